"""Placeholder providers and the customer fields they declare (messaging.context)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_billing.models import Customer
from messaging.context import RenderTarget, build_values, customer_fields, register_context_provider
from messaging.services.sending import Recipient, messages_create_bulk
from messaging.templating import PLACEHOLDERS, TopicKind
from tests import factories as f

pytestmark = pytest.mark.django_db

# Every placeholder a dunning SMS to a customer can use: customer, billing, pay link, company.
DUNNING_KEYS = {k for k, p in PLACEHOLDERS.items() if TopicKind.DUNNING in p.kinds}


def test_the_declared_fields_are_all_a_dunning_sms_reads(org):
    """A campaign loads only customer_fields(...) of each customer; a provider reading another
    field would cost one query per customer, and give the same text only slowly."""
    f.season()
    customers = [org.customer1, *(f.customer(org.building1, name=f"住户{i}", room=f"R{i}",
                                             phones=[f"1391234{i:04d}"]) for i in range(4))]
    fields = customer_fields(DUNNING_KEYS)
    assert fields is not None and "due_current" in fields and "note" not in fields

    slim = list(Customer.objects.filter(pk__in=[c.pk for c in customers]).only(*fields).order_by("pk"))
    full = list(Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        got = build_values(DUNNING_KEYS, [RenderTarget(station_id=c.station_id, customer=c) for c in slim])
    assert not [q["sql"] for q in queries.captured_queries if 'FROM "core_billing_customer"' in q["sql"]]
    want = build_values(DUNNING_KEYS, [RenderTarget(station_id=c.station_id, customer=c) for c in full])
    assert got == want
    assert got[0]["customer_name"] == "张伟1" and got[0]["amount_due"] != "0.00"

    # sending itself reads no more than it declares either
    body = "{{ customer_name }}，欠费{{ total_owed }}元，缴费：{{ pay_link }}"
    with CaptureQueriesContext(connection) as queries:
        result = messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=c) for c in slim],
                                      body=body, kind=TopicKind.DUNNING)
    assert len(result.message_ids) == 5
    assert not [q["sql"] for q in queries.captured_queries
                if q["sql"].startswith('SELECT') and 'FROM "core_billing_customer"' in q["sql"]]


def test_a_provider_that_does_not_say_means_every_field_is_loaded(org):
    register_context_provider("customer", bulk=lambda targets: [{"customer_name": "x", "account_no": "",
                                                                 "address": "", "community": "", "area": ""}
                                                                for _t in targets])
    try:
        assert customer_fields({"customer_name"}) is None
        assert customer_fields({"hotline"}) is not None
    finally:
        from messaging.context import register_builtin_providers

        register_builtin_providers()
