"""The ledger: opening charges, payments and instalments, discounts, late fees,
reversals; balances always what the ledger sums to."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from core_billing.append_only import AppendOnlyError
from core_billing.errors import AppError
from core_billing.models import Customer, LedgerEntry, Receipt, SeasonAccount
from core_billing.services import balances
from core_billing.services.ledger import payment_reverse, payment_take
from tests import factories as f

pytestmark = pytest.mark.django_db


def assert_balances_match_ledger():
    """Every account's stored sums are what its ledger rows add up to."""
    for acc in SeasonAccount.objects.all():
        rows = LedgerEntry.objects.filter(account=acc)

        def total(*kinds):  # (SQLite sums in binary floating point: back to fen)
            return (rows.filter(kind__in=kinds).aggregate(s=Sum("amount"))["s"] or D("0")).quantize(D("0.01"))
        assert acc.heating_fee == total("heating")
        assert acc.standby_fee == total("standby")
        assert acc.metered_fee == total("metered")
        assert acc.corrections == total("correction")
        assert acc.late_fee_charged == total("late_fee")
        assert acc.discount == -total("discount")
        assert acc.adjusted == -total("waiver", "allowance")
        assert acc.paid == -total("payment")
        assert acc.due == (rows.aggregate(s=Sum("amount"))["s"] or D("0")).quantize(D("0.01"))
        assert acc.charged == acc.heating_fee + acc.standby_fee + acc.metered_fee + acc.corrections
        assert acc.owed == acc.due + acc.late_fee_pending


def test_opening_a_season_charges_every_customer(org):
    season = f.season()
    acc = f.account(org.customer1)
    # 88.50 m² × 24 元/m² = 2124.00, a whole season of heating
    assert (acc.area, acc.heating_status, acc.heating_fee, acc.standby_fee, acc.due) == (
        D("88.50"), "normal", D("2124.00"), 0, D("2124.00"))
    assert acc.collector_id == org.collector1.pk
    assert SeasonAccount.objects.filter(season=season).count() == 4
    c = Customer.objects.get(pk=org.customer1.pk)
    assert (c.due_current, c.arrears_seasons, c.old_arrears) == (D("2124.00"), 1, 0)
    assert_balances_match_ledger()


def test_instalments_and_history(org):
    f.season(late_start=None)
    r1 = payment_take(actor=org.collector1, customer=org.customer1, amount="1000", method="cash",
                      paid_on=dt.date(2025, 11, 20))
    r2 = payment_take(actor=org.collector1, customer=org.customer1, amount="500.50", method="card",
                      paid_on=dt.date(2025, 12, 5))
    acc = f.account(org.customer1)
    assert (acc.paid, acc.due) == (D("1500.50"), D("623.50"))
    assert r1.receipt.number != r2.receipt.number and r1.receipt.collector == org.collector1
    r3 = payment_take(actor=org.collector1, customer=org.customer1, amount="623.50", method="cash",
                      paid_on=dt.date(2025, 12, 6))
    acc.refresh_from_db()
    assert acc.due == 0 and acc.owed == 0
    assert Customer.objects.get(pk=org.customer1.pk).arrears_seasons == 0
    assert list(Receipt.objects.filter(customer=org.customer1).order_by("id")) == [r1.receipt, r2.receipt, r3.receipt]
    assert_balances_match_ledger()


@pytest.mark.parametrize("amount, message", [("0", "大于 0"), ("-5", "大于 0"), ("abc", "金额"), ("1.005", "小数"),
                                             ("2124.01", "超过应缴")])
def test_bad_payments_write_nothing(org, amount, message):
    f.season(late_start=None)
    with pytest.raises(AppError) as exc:
        payment_take(actor=org.collector1, customer=org.customer1, amount=amount, method="cash",
                     paid_on=dt.date(2025, 11, 20))
    assert message in exc.value.message and exc.value.field == "amount"
    assert not Receipt.objects.exists()
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_payment_needs_permission_and_scope(org):
    f.season(late_start=None)
    with pytest.raises(AppError):
        payment_take(actor=org.service1, customer=org.customer1, amount="10", method="cash")
    with pytest.raises(AppError) as exc:
        payment_take(actor=org.collector2, customer=org.customer1, amount="10", method="cash")
    assert exc.value.code == "not_found"
    with pytest.raises(AppError) as exc:
        payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                     paid_on=dt.date.today() + dt.timedelta(days=1))
    assert exc.value.field == "paid_on"


def test_discount_when_settling_early_not_on_a_partial_payment(org):
    f.season(late_start=None)
    partial = payment_take(actor=org.collector1, customer=org.customer1, amount="100", method="cash",
                           paid_on=dt.date(2025, 9, 10))
    assert partial.discount == 0
    acc = f.account(org.customer1)
    # settling on 10 September: 3 % of 2124.00 = 63.72 → 63.7 (round_jiao); 2124.0 − 100 − 63.7 = 1960.3
    settle = payment_take(actor=org.collector1, customer=org.customer1, amount="1960.30", method="cash",
                          paid_on=dt.date(2025, 9, 10))
    assert settle.discount == D("63.70")
    acc.refresh_from_db()
    assert (acc.discount, acc.paid, acc.due) == (D("63.70"), D("2060.30"), 0)
    assert_balances_match_ledger()


def test_late_fee_is_charged_with_the_payment(org):
    f.season()
    # 2124.00 owed, paying 1000 on 10 January: 10 days × 3‰ × 2124 = 63.72 → 63.7 charged with it
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="1000", method="cash",
                     paid_on=dt.date(2026, 1, 10))
    assert r.late_fee == D("63.70")
    acc = f.account(org.customer1)
    assert (acc.late_fee_charged, acc.late_fee_through, acc.due) == (D("63.70"), dt.date(2026, 1, 10), D("1187.70"))
    # principal left 1124.00; as of 20 January 10 more days: 1124 × 0.003 × 10 = 33.72 → 33.7
    balances.refresh(balances.accounts(acc.pk), dt.date(2026, 1, 20))
    acc.refresh_from_db()
    assert (acc.late_fee_pending, acc.owed) == (D("33.70"), D("1221.40"))
    c = Customer.objects.get(pk=org.customer1.pk)
    assert (c.arrears_total, c.late_fee_total) == (D("1221.40"), D("97.40"))
    assert_balances_match_ledger()


def test_reversal_is_a_linked_row_and_only_once(org):
    f.season(late_start=None)
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="2060.30", method="cash",
                     paid_on=dt.date(2025, 9, 10))
    assert r.discount == D("63.70")
    with pytest.raises(AppError):
        payment_reverse(actor=org.collector1, receipt=r.receipt, reason="收错户")  # collectors cannot reverse
    rows = payment_reverse(actor=org.supervisor1, receipt=r.receipt, reason="收错户")
    assert sorted((e.kind, e.amount) for e in rows) == [("discount", D("63.70")), ("payment", D("2060.30"))]
    assert all(e.reverses_id and e.actor == org.supervisor1 and e.reason == "收错户" for e in rows)
    acc = f.account(org.customer1)
    assert (acc.paid, acc.discount, acc.due) == (0, 0, D("2124.00"))
    with pytest.raises(AppError) as exc:
        payment_reverse(actor=org.supervisor1, receipt=r.receipt, reason="again")
    assert "重复" in exc.value.message
    with pytest.raises(AppError):
        payment_reverse(actor=org.supervisor1, receipt=r.receipt, reason="  ")
    assert_balances_match_ledger()


def test_posted_rows_cannot_be_changed_or_deleted(org):
    f.season(late_start=None)
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                     paid_on=dt.date(2025, 11, 20))
    entry = r.entries[0]
    entry.amount = D("-1")
    for call in (entry.save, entry.delete, r.receipt.delete,
                 lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=0),
                 lambda: LedgerEntry.objects.all().delete()):
        with pytest.raises(AppendOnlyError):
            call()
    for sql in ("UPDATE core_billing_ledgerentry SET amount = 0", "DELETE FROM core_billing_ledgerentry",
                "UPDATE core_billing_receipt SET amount = 1", "DELETE FROM core_billing_receipt"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert LedgerEntry.objects.get(pk=entry.pk).amount == D("-10.00")


def test_online_payment_is_recorded_exactly_once(org):
    f.season(late_start=None)
    first = payment_take(actor=None, customer=org.customer1, amount="100", method="online", provider="simulator",
                         provider_txn_id="T-1", paid_on=dt.date(2025, 11, 20))
    again = payment_take(actor=None, customer=org.customer1, amount="100", method="online", provider="simulator",
                         provider_txn_id="T-1", paid_on=dt.date(2025, 11, 20))
    assert first.created and not again.created and again.receipt == first.receipt
    assert f.account(org.customer1).paid == D("100.00")
    with pytest.raises(AppError):  # no actor is only for a provider's verified notification
        payment_take(actor=None, customer=org.customer1, amount="100", method="cash")
