"""Billing REST API: the fee calculator, payments, receipts, accounts, adjustments,
price changes, summaries; station isolation on every endpoint."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core_billing.models import AdjustmentCategory, LedgerEntry, Receipt
from core_billing.services.ledger import payment_take
from tests import factories as f

pytestmark = pytest.mark.django_db

QUOTE = {
    "area": "90", "metering": "area", "unit_price": "24", "season_start": "2025-11-15", "season_end": "2026-03-15",
    "periods": [{"status": "suspended", "from": "2026-01-01", "to": "2026-03-15"}], "standby_ratio": "0.3",
    "discount_tiers": [{"until": "2025-09-30", "rate": "0.03"}, {"until": "2025-10-31", "rate": "0.02"}],
    "payment_date": "2026-01-10", "late_fee_start": "2026-01-01", "late_fee_daily_rate": "0.003",
    "precision": "round_jiao",
}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_quote(org):
    r = api(org.supervisor1).post(reverse("billing-quote"), QUOTE, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    # 2160 × 47/121 = 839.008 → 839.0; 648 × 74/121 = 396.297 → 396.3; late 1235.3 × 0.003 × 10 = 37.059 → 37.1
    assert {k: body[k] for k in ("heating_fee", "standby_fee", "metered_fee", "discount", "late_fee", "total")} == {
        "heating_fee": "839.00", "standby_fee": "396.30", "metered_fee": "0.00", "discount": "0.00",
        "late_fee": "37.10", "total": "1272.40"}
    assert [line["code"] for line in body["lines"]][-1] == "total"
    assert body["days"] == {"normal": 47, "suspended": 74, "forced_stop": 0}


def test_quote_metered_with_discount(org):
    data = {**QUOTE, "metering": "metered", "base_price": "12", "heat_price": "44.45", "heat_gj": "20",
            "payment_date": "2025-10-08", "periods": [], "late_fee_start": None}
    body = api(org.supervisor1).post(reverse("billing-quote"), data, format="json").json()
    # base 90 × 12 = 1080.0; heat 889.0; 2 % of 1969.0 = 39.38 → 39.4; total 1929.6
    assert (body["heating_fee"], body["metered_fee"], body["discount"], body["total"]) == (
        "1080.00", "889.00", "39.40", "1929.60")


@pytest.mark.parametrize("change, field", [
    ({"area": "-1"}, "area"),
    ({"precision": "round_fen"}, "precision"),
    ({"metering": "flat"}, "metering"),
    ({"periods": [{"status": "suspended", "from": "2025-11-01", "to": "2025-12-01"}]}, "periods"),
    ({"periods": [{"status": "suspended", "from": "2025-12-01", "to": "2025-12-31"},
                  {"status": "forced_stop", "from": "2025-12-20", "to": "2026-01-05"}]}, "periods"),
    ({"payment_date": "10/01/2026"}, "payment_date"),
    ({"unit_price": None}, "unit_price"),
])
def test_quote_bad_input_is_400_naming_the_field(org, change, field):
    r = api(org.supervisor1).post(reverse("billing-quote"), {**QUOTE, **change}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["message"].startswith(f"{field}:") and field in body["extra"]["errors"]


def test_quote_needs_permission(org):
    assert api(org.collector1).post(reverse("billing-quote"), QUOTE, format="json").status_code == 403


def test_take_payment_and_reverse_it(org):
    f.season(late_start=None)
    client = api(org.collector1)
    r = client.post(reverse("billing-payment"), {"customer": org.customer1.pk, "amount": "1000", "method": "cash",
                                                 "paid_on": "2025-11-20"}, format="json")
    assert r.status_code == 201, r.content
    receipt = r.json()["receipt"]
    assert receipt["amount"] == "1000.00" and receipt["entries"][0]["amount"] == "-1000.00"
    over = client.post(reverse("billing-payment"), {"customer": org.customer1.pk, "amount": "5000",
                                                    "method": "cash"}, format="json")
    assert over.status_code == 400 and "超过应缴" in over.json()["message"] and over.json()["extra"]["field"] == \
        "amount"
    assert client.post(reverse("receipt-reverse", args=[receipt["id"]]), {"reason": "x"},
                       format="json").status_code == 403  # collectors cannot reverse
    sup = api(org.supervisor1)
    assert sup.post(reverse("receipt-reverse", args=[receipt["id"]]), {}, format="json").status_code == 400
    r = sup.post(reverse("receipt-reverse", args=[receipt["id"]]), {"reason": "收错户"}, format="json")
    assert r.status_code == 200 and r.json()[0]["amount"] == "1000.00"
    again = sup.post(reverse("receipt-reverse", args=[receipt["id"]]), {"reason": "收错户"}, format="json")
    assert again.status_code == 400 and "重复" in again.json()["message"]
    assert sup.get(reverse("receipt-detail", args=[receipt["id"]])).json()["reversed"] is True


def test_online_payment_through_api_is_recorded_once(org):
    f.season(late_start=None)
    data = {"customer": org.customer1.pk, "amount": "10", "method": "online", "provider": "bank",
            "provider_txn_id": "B-77", "paid_on": "2025-11-20"}
    assert api(org.collector1).post(reverse("billing-payment"), data, format="json").status_code == 201
    r = api(org.collector1).post(reverse("billing-payment"), data, format="json")
    assert r.status_code == 200 and r.json()["created"] is False
    assert Receipt.objects.count() == 1


def test_other_station_is_404_everywhere(org):
    f.season(late_start=None)
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                     paid_on=dt.date(2025, 11, 20))
    acc = f.account(org.customer1)
    other = api(org.collector2)
    for url in (reverse("account-detail", args=[acc.pk]), reverse("account-entries", args=[acc.pk]),
                reverse("receipt-detail", args=[r.receipt.pk]), reverse("billing-customer-summary",
                                                                       args=[org.customer1.pk]),
                reverse("ledger-entry-detail", args=[r.entries[0].pk])):
        assert other.get(url).status_code == 404, url
    ids = {row["id"] for row in other.get(reverse("account-list"), {"page_size": 500}).json()["results"]}
    assert acc.pk not in ids and f.account(org.customer2).pk in ids
    pay = other.post(reverse("billing-payment"), {"customer": org.customer1.pk, "amount": "1", "method": "cash"},
                     format="json")
    assert pay.status_code == 400 and Receipt.objects.count() == 1
    sup2 = api(org.supervisor2)
    assert sup2.post(reverse("receipt-reverse", args=[r.receipt.pk]), {"reason": "x"},
                     format="json").status_code == 404
    assert sup2.post(reverse("account-corrections", args=[acc.pk]), {"amount": "1", "reason": "x"},
                     format="json").status_code == 404


def test_summary_endpoint(org):
    f.season()
    payment_take(actor=org.collector1, customer=org.customer1, amount="1000", method="cash",
                 paid_on=dt.date(2026, 1, 10))
    body = api(org.collector1).get(reverse("billing-customer-summary", args=[org.customer1.pk]),
                                   {"as_of": "2026-01-20"}).json()
    # 2124.00 + late fee 63.70 charged on 10 January − 1000 paid = 1187.70; 10 more days on 1124.00: 33.70
    assert (body["season"], body["unit_price"], body["amount_due"], body["late_fee"], body["total_owed"],
            body["arrears_seasons"]) == ("2025-2026", "24.00", "1187.70", "97.40", "1221.40", 1)
    line = body["seasons"][0]
    assert (line["heating_fee"], line["paid"], line["late_fee_charged"], line["late_fee_accrued"]) == (
        "2124.00", "1000.00", "63.70", "33.70")


def test_price_change_preview_and_apply(org):
    s = f.season()
    data = {"season": s.pk, "customer_type": f.customer_type().pk, "unit_price": "25", "reason": "调价"}
    assert api(org.supervisor1).post(reverse("price-change-list"), data, format="json").status_code == 403
    preview = api(org.admin).post(reverse("price-change-preview"), data, format="json").json()
    assert (preview["accounts"], preview["money_moved"]) == (4, "354.00")  # 4 × 88.50 × 1
    r = api(org.admin).post(reverse("price-change-list"), data, format="json")
    assert r.status_code == 201 and r.json()["money_moved"] == "354.00"
    assert api(org.collector1).get(reverse("account-detail", args=[f.account(org.customer1).pk])).json()[
        "heating_fee"] == "2212.50"


def test_heating_change_and_adjustment_via_api(org):
    s = f.season(late_start=None)
    acc = f.account(org.customer1)
    r = api(org.service1).post(reverse("account-changes", args=[acc.pk]),
                               {"kind": "suspend", "effective_date": "2026-01-01", "reason_text": "外出"},
                               format="json")
    assert r.status_code == 201, r.content
    assert api(org.service1).get(reverse("account-detail", args=[acc.pk])).json()["standby_fee"] == "389.70"
    bad = api(org.service1).post(reverse("account-changes", args=[acc.pk]),
                                 {"kind": "resume", "effective_date": "2026-04-01", "reason_text": "x"},
                                 format="json")
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "effective_date"
    hardship = AdjustmentCategory.objects.get(season=s, code="hardship")
    r = api(org.supervisor1).post(reverse("account-adjustments", args=[acc.pk]),
                                  {"category": hardship.pk, "reason": "大病"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    pending = api(org.supervisor1).get(reverse("adjustment-list"), {"status": "pending"}).json()["results"]
    assert [p["id"] for p in pending] == [r.json()["id"]]
    same = api(org.supervisor1).post(reverse("adjustment-approve", args=[r.json()["id"]]), {}, format="json")
    assert same.status_code == 400
    approved = api(org.admin).post(reverse("adjustment-approve", args=[r.json()["id"]]), {"note": "同意"},
                                   format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert LedgerEntry.objects.filter(kind="waiver", amount=D("-800.00")).exists()


def test_schema_lists_billing_endpoints(org):
    client = api(org.admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/billing/quote/", "/api/v1/billing/payments/", "/api/v1/billing/receipts/{id}/reverse/",
                 "/api/v1/billing/price-changes/preview/", "/api/v1/billing/customers/{id}/summary/",
                 "/api/v1/billing/accounts/{id}/changes/"):
        assert path in schema["paths"], path
