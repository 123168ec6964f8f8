"""Audience criteria compile into one queryset; preview counts every skip reason in one query."""
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from campaigns.audience import SendRules, clean_filters, compile_audience, preview_counts
from campaigns.models import NoRepeatClaim
from campaigns.selectors.audiences import audience_preview, skipped_workbook
from core_billing.errors import AppError
from core_billing.models import Customer, CustomerType
from messaging.models import OptOut
from tests import factories as f

pytestmark = pytest.mark.django_db


def ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_each_criterion_and_their_combination(org, street):
    actor = org.service1
    other_comm = f.community(org.s1, name="幸福里")
    other_bldg = f.building(other_comm, name="9号楼")
    far = f.customer(other_bldg, name="周强", room="101", phones=["13900000009"],
                     ctype=f.customer_type("commercial", "非居民"), heating_status="suspended")
    Customer.objects.filter(pk=street.m2.pk).update(arrears_seasons=2, arrears_total=Decimal("3000"))
    Customer.objects.filter(pk=street.m3.pk).update(arrears_seasons=1, arrears_total=Decimal("800"))

    def run(**filters):
        return ids(compile_audience(actor=actor, filters=clean_filters(filters)))

    everyone = run()
    assert far.pk in everyone and org.customer2.pk not in everyone  # another station never shows
    assert run(communities=[other_comm.pk]) == {far.pk}
    assert run(buildings=[org.building1.pk], units=[2]) == {street.m2.pk, street.m3.pk}
    assert run(units=[2, 3]) == {street.m2.pk, street.m3.pk, street.m4.pk}
    assert run(exchange_stations=[org.exchange1.pk]) == everyone - {far.pk}
    assert run(customer_types=[CustomerType.objects.get(code="commercial").pk]) == {far.pk}
    assert run(heating_statuses=["suspended"]) == {far.pk}
    assert run(arrears_seasons_min=2) == {street.m2.pk}
    assert run(arrears_min="500", arrears_max="1000") == {street.m3.pk}
    assert run(arrears_seasons_min=1, units=[2], arrears_max="1000") == {street.m3.pk}  # AND across criteria
    # the collector of community 1 covers its buildings; a building assigned to another collector is theirs
    assert run(collectors=[org.collector1.pk]) == everyone - {far.pk}
    other = f.user("collector1b", "collector", st=org.s1)
    f.assign(other, bldg=org.building1)
    assert run(collectors=[org.collector1.pk]) == set()
    assert run(collectors=[other.pk, org.collector1.pk]) == everyone - {far.pk}


def test_bad_criteria_are_refused_by_name(org):
    with pytest.raises(AppError) as err:
        clean_filters({"colour": ["red"]})
    assert "colour" in err.value.message
    with pytest.raises(AppError) as err:
        clean_filters({"arrears_min": "100", "arrears_max": "50"})
    assert err.value.field == "arrears_max"
    with pytest.raises(AppError):
        clean_filters({"heating_statuses": ["boiling"]})
    with pytest.raises(AppError):
        clean_filters({"buildings": ["x"]})


def test_preview_counts_every_skip_reason_in_one_query(org, street, season, topics):
    OptOut.objects.create(phone=street.m4.mobile, is_opted_out=True)
    NoRepeatClaim.objects.create(season="2025-2026", topic=topics.marketing, customer=street.m3, token="x")
    qs = compile_audience(actor=org.service1, filters={"buildings": [org.building1.pk]})
    with CaptureQueriesContext(connection) as queries:
        p = preview_counts(qs, SendRules.for_topic(topics.marketing, "2025-2026", no_repeat=True))
    assert len(queries) == 1
    assert p.total == 7
    assert p.skipped == {"no_phone": 1, "landline": 1, "invalid": 1, "opted_out": 1, "already_sent": 1}
    assert p.recipients == 2  # m1 and m2
    # a service notice ignores opt-outs; without no-repeat nothing is "already sent"
    p = preview_counts(qs, SendRules.for_topic(topics.notice, "2025-2026", no_repeat=False))
    assert p.skipped == {"no_phone": 1, "landline": 1, "invalid": 1} and p.recipients == 4


def test_preview_estimates_segments_and_cost(org, street, season, topics):
    out = audience_preview(actor=org.service1, filters={"buildings": [org.building1.pk]}, topic=topics.notice,
                           season="2025-2026")
    est = out["estimate"]
    assert out["recipients"] == 4 and est["exact"] and est["segments"] == 4
    assert est["cost"] == Decimal("0.20") and "阳光花园1" in est["example"]


def test_skipped_customers_download_as_xlsx_with_chinese_headers(org, street, season, topics):
    data = skipped_workbook(actor=org.service1, filters={"buildings": [org.building1.pk]}, topic=topics.notice,
                            season="2025-2026")
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "户号" and rows[0][-1] == "跳过原因"
    reasons = {r[0]: r[-1] for r in rows[1:]}
    assert reasons == {street.none.account_no: "没有手机号", street.invalid.account_no: "号码无效",
                       street.landline.account_no: "仅座机"}
