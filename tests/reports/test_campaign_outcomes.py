"""Campaign outcomes (RPT-04): per campaign and per topic + season, on the page,
in the API and in the export, inside the station."""
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from campaigns.services.campaigns import campaign_create
from messaging.models import Message
from messaging.services.topics import topic_create
from messaging.services.transitions import transition
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcomes(org, sim, django_capture_on_commit_callbacks):
    """Station 1: two campaigns of one topic (3 mobiles + a landline each time); station 2: one."""
    f.season()
    for n in (2, 3):
        f.customer(org.building1, name=f"王{n}", room=f"{n}01", phones=[f"1390000000{n}"])
    f.customer(org.building1, name="无号", room="901", phones=[])
    topic = topic_create(actor=org.admin, name="停热通知", kind="notice", company_wide=True,
                         body="尊敬的{{ 客户名称 }}，明日停热。")
    made = {}
    for key, user, building in (("a", org.service1, org.building1), ("b", org.service1, org.building1),
                                ("c", org.service2, org.building2)):
        with django_capture_on_commit_callbacks(execute=True):
            made[key] = campaign_create(actor=user, name=f"停热{key}", topic=topic, season="2025-2026",
                                        filters={"buildings": [building.pk]}, no_repeat=False)
    ids = lambda c: sorted(Message.objects.filter(campaign_id=c.pk).values_list("pk", flat=True))  # noqa: E731
    a, b = ids(made["a"]), ids(made["b"])
    with django_capture_on_commit_callbacks(execute=True):
        transition(a[:2], "delivered")
        transition(a[2:], "failed", error_code="30003")
        transition(b[:1], "delivered")
        Message.objects.filter(pk=b[2]).update(gateway_ref="")  # refused by the gateway at once: not billed
        transition(b[1:], "failed", error_code="30005")
        transition(ids(made["c"]), "delivered")
    return made


def test_per_campaign_and_per_topic(org, outcomes):
    client = APIClient()
    client.force_authenticate(org.supervisor1)
    data = client.get(reverse("report-campaigns")).json()
    rows = {r["label"]: r for r in data["rows"]}
    assert set(rows) == {"停热a", "停热b"}  # station 2's campaign is not there
    a = rows["停热a"]
    assert (a["targeted"], a["skipped"], a["sent"], a["delivered"], a["failed"]) == (5, 2, 3, 2, 1)
    assert a["skipped_reasons"] == "没有手机号 1；仅座机 1"
    assert a["failed_codes"] == "30003 1"
    # billed: whatever the gateway took (delivered, and failed after the gateway accepted it)
    per_message = Message.objects.get(campaign_id=outcomes["a"].pk, status="failed").segments
    assert a["billed_segments"] == 3 * per_message and a["cost"] == f"{3 * per_message * 0.05:.2f}"
    assert rows["停热b"]["failed_codes"] == "30005 2" and rows["停热b"]["billed_segments"] == 2 * per_message
    assert data["total"]["delivered"] == 3 and data["total"]["failed"] == 3

    by_topic = client.get(reverse("report-campaigns"), {"group_by": "topic"}).json()
    assert [(r["label"], r["season"], r["campaigns"], r["targeted"], r["failed"]) for r in by_topic["rows"]] == [
        ("停热通知", "2025-2026", 2, 10, 3)]
    assert by_topic["rows"][0]["failed_codes"] == "30005 2；30003 1"

    head = APIClient()
    head.force_authenticate(org.manager)
    assert len(head.get(reverse("report-campaigns")).json()["rows"]) == 3
    assert head.get(reverse("report-campaigns"), {"group_by": "topic"}).json()["total"]["campaigns"] == 3


def test_page_and_export(client, org, outcomes):
    client.force_login(org.supervisor1)
    page = client.get(reverse("reports:campaigns"), {"group_by": "campaign"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>群发效果</h1>" in text and "目标户数" in text and "失败（按错误码）" in text
    assert "停热a" in text and "停热c" not in text
    response = client.post(reverse("reports:export", args=["campaigns"]), {"group_by": "campaign"})
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in values[1:]] == ["停热b", "停热a", "合计"]


def test_collector_may_not_see_it(client, org, outcomes):
    client.force_login(org.collector1)
    assert client.get(reverse("reports:campaigns")).status_code == 403


def test_no_campaigns_yet(client, org):
    client.force_login(org.supervisor1)
    page = client.get(reverse("reports:campaigns"), {"group_by": "topic"})
    assert page.status_code == 200 and "合计" in page.content.decode()
    response = client.post(reverse("reports:export", args=["campaigns"]), {})
    rows = list(load_workbook(io.BytesIO(response.getvalue())).active.iter_rows(values_only=True))
    assert rows[1][0] == "合计" and len(rows) == 2
