"""What upper layers read: the customer summary, SMS placeholder values, arrears
audiences, jurisdiction amounts, domain signals; imports and new customers get
their accounts; the nightly refresh."""
import datetime as dt
from decimal import Decimal as D

import pytest

from core_billing import signals
from core_billing.models import Customer, SeasonAccount
from core_billing.selectors.billing import (billing_placeholders, customer_billing_summary, customers_in_arrears,
                                            season_totals)
from core_billing.selectors.customers import jurisdiction_stats
from core_billing.services import balances
from core_billing.services.customers import customer_create
from core_billing.services.ledger import payment_reverse, payment_take
from core_billing.services.pricing_changes import heating_change
from core_billing.tasks import refresh_balances
from tests import factories as f

pytestmark = pytest.mark.django_db


def two_seasons(org):
    old = f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15),
                   late_start=dt.date(2025, 1, 1), current=False)
    new = f.season()
    return old, new


def test_summary_per_season_and_totals(org):
    old, new = two_seasons(org)
    summary = customer_billing_summary(org.customer1, as_of=dt.date(2025, 1, 10))
    # as of 10 January 2025 only 2024-2025 has late fees: 2124 × 0.003 × 10 = 63.72 → 63.7
    assert [line.season for line in summary.seasons] == ["2024-2025", "2025-2026"]
    first = summary.seasons[0]
    assert (first.heating_fee, first.late_fee_accrued, first.owed) == (D("2124.00"), D("63.70"), D("2187.70"))
    assert (summary.season, summary.unit_price, summary.amount_due, summary.arrears_seasons) == (
        "2025-2026", D("24.00"), D("2124.00"), 2)
    assert summary.total_owed == D("4311.70") and summary.old_arrears == D("2187.70")
    # settling on that date earns 2025-2026 its 3 % early discount: 2124 × 0.03 = 63.72 → 63.7
    assert summary.late_fee == D("63.70") and summary.to_settle == D("2187.70") + D("2060.30")


def test_summary_agrees_with_the_stored_balances(org):
    two_seasons(org)
    payment_take(actor=org.collector1, customer=org.customer1, amount="3000", method="cash",
                 paid_on=dt.date(2026, 1, 5))
    day = dt.date(2026, 2, 1)
    balances.refresh(balances.customers([org.customer1.pk]), day)
    c = Customer.objects.get(pk=org.customer1.pk)
    s = customer_billing_summary(c, as_of=day)
    assert (c.arrears_total, c.late_fee_total, c.due_current, c.old_arrears, c.arrears_seasons) == (
        s.total_owed, s.late_fee, s.amount_due, s.old_arrears, s.arrears_seasons)
    values = billing_placeholders([c])[c.pk]
    assert values == {"season": "2025-2026", "unit_price": D("24.00"), "amount_due": c.due_current,
                      "late_fee": c.late_fee_total, "total_owed": c.arrears_total, "old_arrears": c.old_arrears,
                      "arrears_seasons": c.arrears_seasons, "balance_as_of": day}


def test_early_discount_shows_in_what_settles_today(org):
    f.season(late_start=None)
    s = customer_billing_summary(org.customer1, as_of=dt.date(2025, 10, 15))
    assert (s.seasons[0].settle_discount, s.to_settle) == (D("42.50"), D("2081.50"))  # 2 % of 2124 = 42.48 → 42.5


def test_arrears_audience_and_jurisdiction_amounts(org):
    two_seasons(org)
    payment_take(actor=org.collector1, customer=org.customer1b, amount="2124", method="cash",
                 paid_on=dt.date(2024, 12, 1))
    balances.refresh_everything(dt.date(2024, 12, 31))  # before any late fee
    ids = set(customers_in_arrears(actor=org.supervisor1, min_seasons=2).values_list("pk", flat=True))
    assert ids == {org.customer1.pk}
    assert not customers_in_arrears(actor=org.supervisor1, min_seasons=1, min_amount=D("5000")).exists()
    rows = {r["collector_id"]: r for r in jurisdiction_stats(actor=org.supervisor1)}
    row = rows[org.collector1.pk]
    assert (row["households"], row["owed"], row["billed"], row["collected"]) == (2, D("6372.00"), D("4248.00"), 0)
    totals = season_totals(actor=org.supervisor1, season=f.account(org.customer1).season)
    assert (totals["households"], totals["billed"], totals["owed"]) == (2, D("4248.00"), D("4248.00"))


def test_signals_are_sent_on_commit(org, django_capture_on_commit_callbacks):
    f.season(late_start=None)
    got = []

    def listen(sender, **kw):
        got.append(kw)
    signals.payment_recorded.connect(listen)
    signals.payment_reversed.connect(listen)
    signals.account_status_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            r = payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                             paid_on=dt.date(2025, 11, 20))
        assert got == [] and callbacks  # nothing before the commit
        with django_capture_on_commit_callbacks(execute=True):
            payment_take(actor=org.collector1, customer=org.customer1, amount="20", method="cash",
                         paid_on=dt.date(2025, 11, 21))
            payment_reverse(actor=org.supervisor1, receipt=r.receipt, reason="收错")
            heating_change(actor=org.service1, account=f.account(org.customer1), kind="suspend",
                           effective_date="2026-01-01", reason="外出")
    finally:
        signals.payment_recorded.disconnect(listen)
        signals.payment_reversed.disconnect(listen)
        signals.account_status_changed.disconnect(listen)
    assert got[0]["amount"] == D("20.00") and got[0]["customer_id"] == org.customer1.pk
    assert got[1]["receipt_id"] == r.receipt.pk and got[1]["reason"] == "收错"
    assert (got[2]["old_status"], got[2]["new_status"]) == ("normal", "suspended")


def test_new_customer_gets_a_current_account(org):
    f.season()
    c = customer_create(actor=org.supervisor1, building=org.building1, unit=2, room="301", account_no="N0001",
                        name="新户", customer_type=f.customer_type(), area="100")
    acc = SeasonAccount.objects.get(customer=c)
    assert (acc.heating_fee, Customer.objects.get(pk=c.pk).due_current) == (D("2400.00"), D("2400.00"))


def test_import_opens_accounts_or_refuses_types_without_a_price(org, django_capture_on_commit_callbacks):
    from core_billing.models import ImportJob
    from core_billing.services.imports import import_job_create
    from tests.core_billing.test_import import workbook

    f.season()
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=org.supervisor1, filename="a.xlsx", data=workbook([
            ["I0001", "王一", "阳光花园1", "1号楼", 2, "201", "居民", 80, "正常", "面积", "13800000001", ""]]))
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done", job.message
    assert SeasonAccount.objects.get(customer__account_no="I0001").heating_fee == D("1920.00")
    f.customer_type("commercial", "非居民")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=org.supervisor1, filename="b.xlsx", data=workbook([
            ["I0002", "王二", "阳光花园1", "1号楼", 2, "202", "非居民", 80, "正常", "面积", "13800000002", ""]]))
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "failed" and "非居民" in job.message
    assert not Customer.objects.filter(account_no="I0002").exists()


def test_nightly_refresh_moves_late_fees_with_the_calendar(org):
    f.season()
    Customer.objects.filter(pk=org.customer1.pk).update(arrears_total=0)  # stale
    assert refresh_balances.delay().get() == 4
    c = Customer.objects.get(pk=org.customer1.pk)
    acc = f.account(org.customer1)
    assert c.balance_as_of == acc.balance_as_of and c.arrears_total == acc.owed > D("2124.00")
