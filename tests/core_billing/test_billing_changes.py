"""Heating and area changes, price and settings changes, adjustments, corrections,
season roll-over: each refreshes balances at once and is audited."""
import datetime as dt
from decimal import Decimal as D

import pytest

from core_billing.errors import AppError
from core_billing.models import (AccountChange, Adjustment, AdjustmentCategory, AuditLog, ChangeReason, Customer,
                                 LedgerEntry, PriceChange, Season)
from core_billing.services.billing import season_close, season_rollover, season_update
from core_billing.services.customers import customer_update
from core_billing.services.ledger import (adjustment_approve, adjustment_grant, adjustment_reject, correction_post,
                                          entry_reverse, payment_take)
from core_billing.services.pricing_changes import heating_change, tariff_change, tariff_change_preview
from tests import factories as f
from tests.core_billing.test_ledger import assert_balances_match_ledger

pytestmark = pytest.mark.django_db


def test_suspend_and_resume_prorate_by_effective_date(org):
    f.season()
    acc = f.account(org.customer1)
    change = heating_change(actor=org.service1, account=acc, kind="suspend", effective_date="2026-01-01",
                            reason="外出过冬")
    acc.refresh_from_db()
    # 88.50 m² × 24 = 2124; 47 of 121 days heated: 2124 × 47 / 121 = 825.025 → 825.0;
    # stand-by 2124 × 0.3 × 74 / 121 = 389.692… → 389.7
    assert (acc.heating_status, acc.heating_fee, acc.standby_fee, acc.due) == (
        "suspended", D("825.00"), D("389.70"), D("1214.70"))
    assert (change.before_status, change.status) == ("normal", "suspended")
    assert Customer.objects.get(pk=org.customer1.pk).heating_status == "suspended"
    heating_change(actor=org.service1, account=acc, kind="resume", effective_date="2026-02-01", reason="回来了")
    acc.refresh_from_db()
    # stopped 1–31 January = 31 days, normal 90: 2124 × 90/121 = 1579.83… → 1579.8; 637.2 × 31/121 = 163.249… → 163.2
    assert (acc.heating_status, acc.heating_fee, acc.standby_fee) == ("normal", D("1579.80"), D("163.20"))
    rows = LedgerEntry.objects.filter(account=acc, kind="heating").order_by("id")
    assert [r.amount for r in rows] == [D("2124.00"), D("-1299.00"), D("754.80")]  # appended, never edited
    assert rows[1].change_id == change.pk and "报停" in rows[1].reason
    assert AuditLog.objects.filter(action="account.suspend", object_id=str(acc.pk)).exists()
    assert_balances_match_ledger()


def test_forced_stop_area_change_and_radiators(org):
    f.season()
    acc = f.account(org.customer1)
    heating_change(actor=org.supervisor1, account=acc, kind="area_change", effective_date="2025-11-15", area="90",
                   reason="复核面积")
    acc.refresh_from_db()
    assert (acc.area, acc.heating_fee) == (D("90.00"), D("2160.00"))
    heating_change(actor=org.supervisor1, account=acc, kind="forced_stop", effective_date="2025-12-01",
                   reason="管道检修")
    heating_change(actor=org.supervisor1, account=acc, kind="resume", effective_date="2025-12-11", reason="修好")
    acc.refresh_from_db()
    # forced stop 1–10 December: 2160 × 111/121 = 1981.48… → 1981.5; 648 × 10/121 = 53.55… → 53.6
    assert (acc.heating_fee, acc.standby_fee) == (D("1981.50"), D("53.60"))
    with pytest.raises(AppError) as exc:
        heating_change(actor=org.supervisor1, account=acc, kind="radiators_added", effective_date="2026-01-01",
                       area="80", reason="加片")
    assert exc.value.field == "area"
    heating_change(actor=org.supervisor1, account=acc, kind="radiators_added", effective_date="2026-01-01",
                   area="100", reason="加片")
    acc.refresh_from_db()
    # 15 Nov–31 Dec at 90 m² (47 days, 10 stopped → 37 normal), 1 Jan–15 Mar at 100 m² (74 days)
    # normal area-days 90 × 37 + 100 × 74 = 10730 → 24 × 10730 / 121 = 2128.26… → 2128.3
    assert (acc.area, acc.normal_area_days, acc.heating_fee) == (D("100.00"), D("10730.00"), D("2128.30"))
    assert Customer.objects.get(pk=org.customer1.pk).area == D("100.00")
    assert_balances_match_ledger()


@pytest.mark.parametrize("kwargs, field", [
    ({"kind": "suspend", "effective_date": "2026-03-16"}, "effective_date"),  # after the season
    ({"kind": "suspend", "effective_date": "2025-11-14"}, "effective_date"),
    ({"kind": "resume", "effective_date": "2026-01-01"}, "kind"),             # already heating
    ({"kind": "explode", "effective_date": "2026-01-01"}, "kind"),
    ({"kind": "area_change", "effective_date": "2026-01-01", "area": "-2"}, "area"),
    ({"kind": "suspend", "effective_date": "1 Jan"}, "effective_date"),
])
def test_bad_heating_changes_write_nothing(org, kwargs, field):
    f.season()
    acc = f.account(org.customer1)
    with pytest.raises(AppError) as exc:
        heating_change(actor=org.service1, account=acc, reason="x", **kwargs)
    assert exc.value.field == field
    assert not AccountChange.objects.exists()
    assert LedgerEntry.objects.filter(account=acc).count() == 1


def test_heating_change_rules(org):
    s = f.season()
    acc = f.account(org.customer1)
    with pytest.raises(AppError):
        heating_change(actor=org.collector1, account=acc, kind="suspend", effective_date="2026-01-01", reason="x")
    with pytest.raises(AppError) as exc:
        heating_change(actor=org.service2, account=acc, kind="suspend", effective_date="2026-01-01", reason="x")
    assert exc.value.code == "not_found"
    with pytest.raises(AppError) as exc:
        heating_change(actor=org.service1, account=acc, kind="suspend", effective_date="2026-01-01", reason="")
    assert exc.value.field == "reason"
    reason = ChangeReason.objects.get(season=s, code="away")
    change = heating_change(actor=org.service1, account=acc, kind="suspend", effective_date="2026-01-01",
                            change_reason=reason)
    assert change.reason == reason
    Season.objects.filter(pk=s.pk).update(status="closed")
    with pytest.raises(AppError) as exc:
        heating_change(actor=org.service1, account=acc, kind="resume", effective_date="2026-02-01", reason="x")
    assert "已结账" in exc.value.message


def test_registry_edit_of_area_goes_through_the_heating_change(org):
    f.season()
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"area": "90", "name": "张大伟"},
                    reason="复核面积", effective_date="2025-11-15")
    acc = f.account(org.customer1)
    assert (acc.area, acc.heating_fee) == (D("90.00"), D("2160.00"))
    change = AccountChange.objects.get(account=acc)
    assert (change.kind, change.effective_date, change.note) == ("area_change", dt.date(2025, 11, 15), "复核面积")
    c = Customer.objects.get(pk=org.customer1.pk)
    assert (c.area, c.name, c.due_current) == (D("90.00"), "张大伟", D("2160.00"))
    row = AuditLog.objects.get(action="customer.update")
    assert row.before == {"name": "张伟1", "area": "88.50"} and row.after == {"name": "张大伟", "area": "90"}
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"heating_status": "suspended"},
                    reason="报停", effective_date="2026-01-01")
    assert f.account(org.customer1).heating_status == "suspended"
    with pytest.raises(AppError):  # outside the season
        customer_update(actor=org.supervisor1, customer=org.customer1, changes={"heating_status": "normal"},
                        reason="复热", effective_date="2026-05-01")
    assert_balances_match_ledger()


def test_price_change_refreshes_every_account_of_that_type_at_once(org):
    Customer.objects.filter(pk=org.customer2b.pk).update(customer_type=f.customer_type("commercial", "非居民"))
    s = f.season(prices={"residential": ("24", "12", "44.45"), "commercial": ("40", "0", "0")})
    with pytest.raises(AppError):  # station staff cannot change company-wide prices
        tariff_change(actor=org.supervisor1, season=s, customer_type=f.customer_type(), unit_price="26", reason="x")
    preview = tariff_change_preview(actor=org.admin, season=s, customer_type=f.customer_type(), unit_price="26")
    # three residential households of 88.50 m²: 88.5 × 2 = 177.00 more each
    assert (preview.accounts, preview.money_moved) == (3, D("531.00"))
    assert not PriceChange.objects.exists()  # a preview writes nothing
    change = tariff_change(actor=org.admin, season=s, customer_type=f.customer_type(), unit_price="26",
                           reason="物价局批复")
    assert (change.accounts, change.money_moved) == (3, D("531.00"))
    assert f.account(org.customer1).heating_fee == D("2301.00")
    assert f.account(org.customer2b).heating_fee == D("3540.00")  # 88.5 × 40, untouched
    assert Customer.objects.get(pk=org.customer2.pk).due_current == D("2301.00")
    assert LedgerEntry.objects.filter(price_change=change).count() == 3
    assert AuditLog.objects.filter(action="tariff.change").get().after["unit_price"] == "26.00"
    with pytest.raises(AppError) as exc:
        tariff_change(actor=org.admin, season=s, customer_type=f.customer_type(), unit_price="27", reason=" ")
    assert exc.value.field == "reason"
    assert_balances_match_ledger()


def test_price_change_refused_in_a_closed_season(org):
    f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), current=False,
             status="closed")
    old = Season.objects.get(name="2024-2025")
    with pytest.raises(AppError) as exc:
        tariff_change(actor=org.admin, season=old, customer_type=f.customer_type(), unit_price="26", reason="x")
    assert "已结账" in exc.value.message
    assert f.account(org.customer1, old).heating_fee == D("2124.00")


def test_settings_change_reprices_the_season(org):
    s = f.season()
    acc = f.account(org.customer1)
    heating_change(actor=org.service1, account=acc, kind="suspend", effective_date="2026-01-01", reason="外出")
    season_update(actor=org.admin, season=s, changes={"standby_ratio": D("0.2"), "precision": "round_yuan"},
                  reason="新规")
    acc.refresh_from_db()
    # heating 2124 × 47/121 = 825.02 → 825; stand-by 2124 × 0.2 × 74/121 = 259.79… → 260
    assert (acc.heating_fee, acc.standby_fee) == (D("825.00"), D("260.00"))
    assert PriceChange.objects.get().after == {"standby_ratio": "0.2", "precision": "round_yuan"}
    with pytest.raises(AppError):
        season_update(actor=org.admin, season=s, changes={"start_date": dt.date(2025, 11, 1)}, reason="x")
    assert_balances_match_ledger()


def test_small_adjustment_posts_at_once_large_one_waits_for_a_second_person(org, settings):
    settings.BILLING_ADJUSTMENT_APPROVAL_THRESHOLD = D("500")
    s = f.season(late_start=None)
    acc = f.account(org.customer1)
    cold = AdjustmentCategory.objects.get(season=s, code="cold")
    with pytest.raises(AppError):
        adjustment_grant(actor=org.collector1, account=acc, category=cold, reason="室温 14 度")
    small = adjustment_grant(actor=org.supervisor1, account=acc, category=cold, reason="室温 14 度")
    # 2 元/m² × 88.50 m² = 177.00, under the threshold
    assert (small.status, small.amount) == ("approved", D("177.00"))
    big = adjustment_grant(actor=org.supervisor1, account=acc, category=AdjustmentCategory.objects.get(
        season=s, code="hardship"), reason="大病")
    assert (big.status, big.amount) == ("pending", D("800.00"))
    acc.refresh_from_db()
    assert (acc.adjusted, acc.due) == (D("177.00"), D("1947.00"))
    with pytest.raises(AppError) as exc:
        adjustment_approve(actor=org.supervisor1, adjustment=big)
    assert "另一人" in exc.value.message
    other = f.user("supervisor1b", "supervisor", st=org.s1)
    with pytest.raises(AppError):
        adjustment_approve(actor=org.supervisor2, adjustment=big)  # another station
    approved = adjustment_approve(actor=other, adjustment=big, note="同意")
    entry = LedgerEntry.objects.get(pk=approved.entry_id)
    assert (entry.kind, entry.amount, entry.actor, entry.approved_by) == ("waiver", D("-800.00"), org.supervisor1,
                                                                          other)
    acc.refresh_from_db()
    assert (acc.adjusted, acc.due) == (D("977.00"), D("1147.00"))
    with pytest.raises(AppError):
        adjustment_reject(actor=other, adjustment=big, note="晚了")
    assert_balances_match_ledger()


def test_adjustment_cannot_exceed_what_is_owed_and_can_be_rejected(org):
    s = f.season(late_start=None)
    acc = f.account(org.customer1)
    payment_take(actor=org.collector1, customer=org.customer1, amount="2000", method="cash",
                 paid_on=dt.date(2025, 11, 20))
    with pytest.raises(AppError) as exc:
        adjustment_grant(actor=org.supervisor1, account=acc, category=AdjustmentCategory.objects.get(
            season=s, code="cold"), reason="x")
    assert "超过" in exc.value.message
    payment_reverse_all = LedgerEntry.objects.filter(kind="payment").count()
    assert payment_reverse_all == 1
    pending = adjustment_grant(actor=org.admin, account=f.account(org.customer1b),
                               category=AdjustmentCategory.objects.get(season=s, code="hardship"), reason="x")
    rejected = adjustment_reject(actor=org.supervisor1, adjustment=pending, note="材料不全")
    assert rejected.status == "rejected" and rejected.entry_id is None
    assert not Adjustment.objects.filter(status="pending").exists()


def test_percentage_waiver(org):
    s = f.season(late_start=None)
    acc = f.account(org.customer1)
    adj = adjustment_grant(actor=org.supervisor1, account=acc, category=AdjustmentCategory.objects.get(
        season=s, code="dibao"), reason="低保证 123")
    # 20 % of 2124.00 = 424.80
    assert (adj.amount, adj.status) == (D("424.80"), "approved")


def test_correction_needs_reason_and_permission_and_can_be_reversed(org):
    f.season()
    acc = f.account(org.customer1)
    with pytest.raises(AppError):
        correction_post(actor=org.collector1, account=acc, amount="-100", reason="旧系统多收")
    with pytest.raises(AppError) as exc:
        correction_post(actor=org.supervisor1, account=acc, amount="-100", reason="")
    assert exc.value.field == "reason"
    with pytest.raises(AppError):
        correction_post(actor=org.supervisor1, account=acc, amount="-3000", reason="过多")
    entry = correction_post(actor=org.supervisor1, account=acc, amount="-100", reason="旧系统多收")
    acc.refresh_from_db()
    assert (acc.corrections, acc.charged, acc.due) == (D("-100.00"), D("2024.00"), D("2024.00"))
    row = AuditLog.objects.get(action="ledger.correction")
    assert row.reason == "旧系统多收" and row.actor == org.supervisor1
    back = entry_reverse(actor=org.supervisor1, entry=entry, reason="更正错了")
    assert back.reverses == entry and back.amount == D("100.00")
    with pytest.raises(AppError):
        entry_reverse(actor=org.supervisor1, entry=entry, reason="again")
    with pytest.raises(AppError):  # fees follow their inputs
        entry_reverse(actor=org.supervisor1, entry=LedgerEntry.objects.filter(kind="heating").first(), reason="x")
    assert_balances_match_ledger()


def test_rollover_carries_old_arrears_as_their_own_lines(org):
    old = f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), late_start=None)
    payment_take(actor=org.collector1, customer=org.customer1b, amount="2124", method="cash",
                 paid_on=dt.date(2025, 1, 5))
    payment_take(actor=org.collector1, customer=org.customer1, amount="124", method="cash",
                 paid_on=dt.date(2025, 1, 5))
    new = season_rollover(actor=org.admin, source=old, name="2025-2026", start_date="2025-11-15",
                          end_date="2026-03-15", close_source=True, reason="新年度")
    old.refresh_from_db()
    assert (old.status, old.is_current, new.is_current) == ("closed", False, True)
    assert new.tariffs.get().unit_price == D("24.00")
    assert [t.until for t in new.discount_tiers.all()] == [dt.date(2025, 9, 30), dt.date(2025, 10, 31)]
    c1 = Customer.objects.get(pk=org.customer1.pk)
    # 2000.00 left from 2024-2025 stays there; 2025-2026 charges 2124.00 afresh
    assert (c1.old_arrears, c1.due_current, c1.arrears_total, c1.arrears_seasons) == (
        D("2000.00"), D("2124.00"), D("4124.00"), 2)
    assert f.account(org.customer1, old).due == D("2000.00")
    c1b = Customer.objects.get(pk=org.customer1b.pk)
    assert (c1b.old_arrears, c1b.arrears_seasons) == (0, 1)
    # a change in the new season leaves the old one alone
    heating_change(actor=org.service1, account=f.account(org.customer1, new), kind="suspend",
                   effective_date="2026-01-01", reason="x")
    assert f.account(org.customer1, old).heating_fee == D("2124.00")
    # paying oldest first
    payment_take(actor=org.collector1, customer=org.customer1, amount="2500", method="cash",
                 paid_on=dt.date(2025, 11, 20))
    assert f.account(org.customer1, old).due == 0
    assert Customer.objects.get(pk=org.customer1.pk).arrears_seasons == 1
    with pytest.raises(AppError):
        season_close(actor=org.admin, season=old, reason="again")
    assert_balances_match_ledger()


def test_arrears_filter_is_one_query(org, django_assert_num_queries):
    old = f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), late_start=None)
    season_rollover(actor=org.admin, source=old, name="2025-2026", start_date="2025-11-15", end_date="2026-03-15")
    payment_take(actor=org.collector2, customer=org.customer2, amount="2124", method="cash",
                 paid_on=dt.date(2025, 2, 1))
    with django_assert_num_queries(1):
        rows = list(Customer.objects.visible_to(org.admin).filter(arrears_seasons__gte=2,
                                                                  arrears_total__range=(D("4000"), D("5000")))
                    .values_list("account_no", flat=True))
    assert sorted(rows) == sorted([org.customer1.account_no, org.customer1b.account_no, org.customer2b.account_no])
