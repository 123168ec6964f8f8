"""Money in and out: payments at the desk and online, reversals (冲正), waivers and
allowances with approval, supervisor corrections (BIL-01/02/03/09).

Nothing posted is edited: each action appends ledger rows, then the accounts it
touched and their customers are refreshed from the ledger in the same
transaction (services/balances.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import pricing
from ..audit import audit_record
from ..errors import AppError
from ..models import (Adjustment, AdjustmentCategory, Customer, DiscountTier, LedgerEntry, PaymentMethod, Receipt,
                      SeasonAccount)
from ..roles import Role
from ..signals import balances_changed, payment_recorded, payment_reversed, send_on_commit
from . import balances
from ._common import next_ids, require_in_scope, require_perm
from ._money import parse_date, parse_money, require_reason

Kind = LedgerEntry.Kind


@dataclass
class SettlePlan:
    """What closing one account on a date takes: the late fee accrued to that
    date and, if a tier applies, the early-payment discount."""

    account: SeasonAccount
    late_fee: Decimal
    discount: Decimal
    discount_rate: Decimal
    late_fee_if_partial: Decimal

    @property
    def to_settle(self) -> Decimal:
        return self.account.due + self.late_fee - self.discount


@dataclass
class PaymentResult:
    receipt: Receipt
    created: bool
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def discount(self) -> Decimal:
        return -sum((e.amount for e in self.entries if e.kind == Kind.DISCOUNT), Decimal("0.00"))

    @property
    def late_fee(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.kind == Kind.LATE_FEE), Decimal("0.00"))


def season_tiers(accounts) -> dict[int, list[pricing.Tier]]:
    """The early-payment tiers of these accounts' seasons, in one query, for settle_plan."""
    wanted = {a.season_id for a in accounts if a.discount == 0}  # an account discounted once earns no more
    out: dict[int, list[pricing.Tier]] = {pk: [] for pk in wanted}
    if wanted:
        for season_id, until, rate in (DiscountTier.objects.filter(season_id__in=wanted)
                                       .order_by("season_id", "until").values_list("season_id", "until", "rate")):
            out[season_id].append(pricing.Tier(until, rate))
    return out


def settle_plan(account: SeasonAccount, day: dt.date, tiers: dict[int, list[pricing.Tier]] | None = None
                ) -> SettlePlan:
    """Pure given the account's current sums and its season's settings (`tiers`: season_tiers() of the
    accounts at hand, else this account's are read)."""
    season = account.season
    rate = Decimal(0)
    disc = pricing.ZERO
    if account.discount == 0:
        rate = pricing.discount_rate((tiers if tiers is not None else season_tiers([account]))[account.season_id],
                                     day)
        if rate:
            disc = pricing.discount(rate, account.heating_fee + account.metered_fee, season.precision)
    partial = balances.accrued_late_fee(account, season, day)
    late = partial
    if disc:
        # the late fee of a settling payment runs on the fees net of the discount (as the quote does)
        late = balances.accrued_late_fee(_with_discount(account, disc), season, day)
    return SettlePlan(account, late, disc, rate, partial)


def _with_discount(account: SeasonAccount, disc: Decimal) -> SeasonAccount:
    clone = SeasonAccount(**{f.attname: getattr(account, f.attname) for f in SeasonAccount._meta.concrete_fields})
    clone.discount = account.discount + disc
    return clone


def lock_accounts(ids) -> None:
    """Row locks on these accounts, always in id order (no deadlock between two writers)."""
    list(SeasonAccount.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk").values_list("pk", flat=True))


def receipt_number(station_code: str, day: dt.date, receipt_id: int) -> str:
    """Station, day and the receipt's own id: unique without a counter.  A per-station counter
    was a row lock every payment of the station queued on until commit (measured under the pay
    benchmark: 16 of 50 notifications a second got through)."""
    return f"{station_code}{day:%Y%m%d}{receipt_id:08d}"


def _post(account: SeasonAccount, kind: str, amount: Decimal, day: dt.date, actor, **extra) -> LedgerEntry:
    return LedgerEntry.objects.create(station_id=account.station_id, account=account, kind=kind, amount=amount,
                                      value_date=day, actor=actor if getattr(actor, "pk", None) else None, **extra)


@transaction.atomic
def payment_take(*, actor, customer: Customer, amount: Any, method: str, paid_on=None, season=None,
                 collector=None, provider: str = "", provider_txn_id: str = "", note: str = "") -> PaymentResult:
    """收费: record a payment, oldest season first (or one season), any number of instalments.

    The late fee accrued to the payment date is charged with it; a payment that
    settles a season within an early-payment tier earns its discount.  Online
    payments come without an actor (the provider's verified notification) and
    with the provider's transaction id, which is recorded exactly once: a
    repeat returns the first receipt with `created=False`."""
    online = method == PaymentMethod.ONLINE
    if actor is None and not (online and provider and provider_txn_id):
        raise AppError("没有收费的权限。", code="permission_denied")
    if actor is not None:
        require_perm(actor, "core_billing.take_payment", "没有收费的权限。")
        require_in_scope(actor, customer.station_id)
    if method not in PaymentMethod.values:
        raise AppError(f"未知的缴费方式“{method}”。", field="method", extra={"valid": list(PaymentMethod.values)})
    if online and not (provider and provider_txn_id):
        raise AppError("网上缴费须有支付渠道和交易号。", field="provider_txn_id")
    amount = parse_money(amount, field="amount", label="缴费金额")
    today = timezone.localdate()
    day = parse_date(paid_on or today, field="paid_on", label="缴费日期")
    if day > today:
        raise AppError("缴费日期不能晚于今天。", field="paid_on")

    def existing() -> PaymentResult | None:
        if not provider_txn_id:
            return None
        found = Receipt.objects.filter(provider=provider, provider_txn_id=provider_txn_id).first()
        return PaymentResult(found, False, list(found.entries.all())) if found else None

    season_id = getattr(season, "pk", season)
    balances.lock_seasons_of(customer.pk, season_id)  # the seasons first, then the accounts: one order for all
    accounts_qs = SeasonAccount.objects.filter(customer_id=customer.pk)
    if season_id is not None:
        accounts_qs = accounts_qs.filter(season_id=season_id)
    accounts = list(accounts_qs.select_for_update(of=("self",)).select_related("season", "station")
                    .order_by("season__start_date"))
    if not accounts:
        raise AppError("该户没有可缴费的供暖年度账户。", field="season")
    # Looked for only now: a duplicate notification waited on the locks above and sees the first one.
    if (repeat := existing()) is not None:
        return repeat

    tiers = season_tiers(accounts)
    plans = [settle_plan(a, day, tiers) for a in accounts]
    payable = [p for p in plans if p.to_settle > 0]
    owed = sum((p.to_settle for p in payable), Decimal("0.00"))
    allocations: list[tuple[SettlePlan, Decimal, bool]] = []
    remaining = amount
    for plan in payable:
        if remaining <= 0:
            break
        settles = remaining >= plan.to_settle
        part = plan.to_settle if settles else remaining
        allocations.append((plan, part, settles))
        remaining -= part
    if remaining > 0:
        if not settings.BILLING_ALLOW_PREPAYMENT:
            raise AppError(f"缴费金额 {amount} 元超过应缴 {owed} 元。", field="amount",
                           extra={"owed": str(owed)})
        # prepayment credit goes to the latest season
        target = plans[-1]
        if allocations and allocations[-1][0] is target:
            plan, part, settles = allocations.pop()
            allocations.append((plan, part + remaining, settles))
        else:
            allocations.append((target, remaining, False))

    station = customer.station
    staff = actor if getattr(actor, "pk", None) else None
    taker = collector or (staff if staff and staff.has_role(Role.COLLECTOR) else None)
    receipt_id = next_ids(Receipt)[0]  # the number is made of it
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                pk=receipt_id, station=station, customer=customer, number=receipt_number(station.code, day, receipt_id),
                method=method, amount=amount, paid_on=day, actor=staff, collector=taker, provider=provider or "",
                provider_txn_id=provider_txn_id or "", note=(note or "")[:200])
    except IntegrityError:
        if (repeat := existing()) is not None:
            return repeat
        raise
    entries: list[LedgerEntry] = []
    for plan, part, settles in allocations:
        acc = plan.account
        payment = _post(acc, Kind.PAYMENT, -part, day, staff, receipt=receipt,
                        reason=f"收据 {receipt.number}")
        entries.append(payment)
        late = plan.late_fee if settles else plan.late_fee_if_partial
        if late > 0:
            entries.append(_post(acc, Kind.LATE_FEE, late, day, staff, for_entry=payment, receipt=receipt,
                                 reason=f"滞纳金计至 {day}",
                                 detail={"through": day.isoformat(), "rate": str(acc.season.late_fee_daily_rate)}))
        if settles and plan.discount > 0:
            entries.append(_post(acc, Kind.DISCOUNT, -plan.discount, day, staff, for_entry=payment, receipt=receipt,
                                 reason=f"预交优惠 {plan.discount_rate}",
                                 detail={"rate": str(plan.discount_rate)}))
        if acc.season.late_fee_start and day >= acc.season.late_fee_start and \
                (acc.late_fee_through is None or day > acc.late_fee_through):
            SeasonAccount.objects.filter(pk=acc.pk).update(late_fee_through=day)
    # Only the accounts this payment posted to changed; their customer's totals are summed over all of them.
    touched = [plan.account for plan, _part, _settles in allocations]
    balances.refresh(balances.accounts(*[a.pk for a in touched]), seasons=[a.season for a in touched])
    audit_record(actor=staff, action="payment.take", obj=receipt,
                 after={"amount": amount, "method": method, "paid_on": day, "provider": provider,
                        "provider_txn_id": provider_txn_id,
                        "entries": [[e.account.season.name, e.kind, e.amount] for e in entries]},
                 reason=note or "", station_id=station.pk)
    send_on_commit(payment_recorded, receipt_id=receipt.pk, customer_id=customer.pk, station_id=station.pk,
                   amount=amount, method=method, paid_on=day)
    return PaymentResult(receipt, True, entries)


@transaction.atomic
def payment_reverse(*, actor, receipt: Receipt, reason: str) -> list[LedgerEntry]:
    """冲正: every payment row of the receipt, and the discounts they earned, negated."""
    require_perm(actor, "core_billing.reverse_payment", "没有冲正的权限。")
    require_in_scope(actor, receipt.station_id)
    reason = require_reason(reason)
    payments = list(receipt.entries.filter(kind=Kind.PAYMENT, reverses__isnull=True).select_related("account"))
    balances.lock_seasons({e.account.season_id for e in payments}, exclusive=False)
    lock_accounts([e.account_id for e in payments])
    if LedgerEntry.objects.filter(reverses__in=payments).exists():
        raise AppError(f"收据 {receipt.number} 已冲正，不能重复冲正。", field="receipt")
    today = timezone.localdate()
    to_reverse = payments + list(LedgerEntry.objects.filter(for_entry__in=payments, kind=Kind.DISCOUNT,
                                                            reversals__isnull=True))
    rows = []
    try:
        with transaction.atomic():
            for entry in to_reverse:
                rows.append(_post(entry.account, entry.kind, -entry.amount, today, actor, reverses=entry,
                                  receipt=receipt, reason=reason))
    except IntegrityError as exc:  # a concurrent reversal got there first
        raise AppError(f"收据 {receipt.number} 已冲正，不能重复冲正。", field="receipt") from exc
    balances.refresh(balances.customers([receipt.customer_id]))
    audit_record(actor=actor, action="payment.reverse", obj=receipt, before={"amount": receipt.amount},
                 after={"reversed": [[e.kind, e.amount] for e in rows]}, reason=reason)
    send_on_commit(payment_reversed, receipt_id=receipt.pk, customer_id=receipt.customer_id,
                   station_id=receipt.station_id, amount=receipt.amount, reason=reason)
    return rows


def receipt_is_reversed(receipt: Receipt) -> bool:
    return LedgerEntry.objects.filter(reverses__receipt=receipt, reverses__kind=Kind.PAYMENT).exists()


# --- waivers and allowances ------------------------------------------------------------

def adjustment_quote(account: SeasonAccount, category: AdjustmentCategory) -> tuple[Decimal, dict]:
    amount = pricing.adjustment_amount(category.formula, category.value, base=account.charged, area=account.area,
                                       precision=account.season.precision)
    return amount, {"formula": category.formula, "value": str(category.value), "base": str(account.charged),
                    "area": str(account.area)}


def _check_room(account: SeasonAccount, amount: Decimal) -> None:
    room = balances.principal_due(account)
    if amount > room:
        raise AppError(f"减免金额 {amount} 元超过该季尚欠的 {max(room, Decimal('0.00'))} 元。", field="category")


@transaction.atomic
def adjustment_grant(*, actor, account: SeasonAccount, category: AdjustmentCategory, reason: str) -> Adjustment:
    """减免 / 折让 by a preset category; computed by its formula.  Above the approval
    threshold it waits for a second person (adjustment_approve)."""
    require_perm(actor, "core_billing.grant_adjustment", "没有办理减免、折让的权限。")
    require_in_scope(actor, account.station_id)
    reason = require_reason(reason)
    balances.lock_seasons([account.season_id], exclusive=False)
    account = SeasonAccount.objects.select_for_update(of=("self",)).select_related("season").get(pk=account.pk)
    if category.season_id != account.season_id or not category.is_active:
        raise AppError("该减免类别不适用于这个供暖年度。", field="category")
    amount, detail = adjustment_quote(account, category)
    if amount <= 0:
        raise AppError("按该类别计算的金额为 0。", field="category")
    _check_room(account, amount)
    adjustment = Adjustment.objects.create(station_id=account.station_id, account=account, category=category,
                                           amount=amount, detail=detail, reason=reason, requested_by=actor)
    audit_record(actor=actor, action="adjustment.request", obj=adjustment,
                 after={"category": category.name, "amount": amount, **detail}, reason=reason)
    if amount <= settings.BILLING_ADJUSTMENT_APPROVAL_THRESHOLD:
        _post_adjustment(adjustment, approver=None, account=account)
    return adjustment


def _post_adjustment(adjustment: Adjustment, *, approver, account: SeasonAccount) -> None:
    entry = _post(account, adjustment.category.kind, -adjustment.amount, timezone.localdate(),
                  adjustment.requested_by, approved_by=approver, category=adjustment.category,
                  reason=adjustment.reason, detail=adjustment.detail)
    Adjustment.objects.filter(pk=adjustment.pk).update(status=Adjustment.Status.APPROVED, entry=entry,
                                                       decided_by=approver, decided_at=timezone.now())
    adjustment.refresh_from_db()
    balances.refresh(balances.accounts(account.pk))
    send_on_commit(balances_changed, customer_ids=[account.customer_id], season_id=account.season_id)


@transaction.atomic
def adjustment_approve(*, actor, adjustment: Adjustment, note: str = "") -> Adjustment:
    require_perm(actor, "core_billing.approve_adjustment", "没有审批减免、折让的权限。")
    require_in_scope(actor, adjustment.station_id)
    adjustment = Adjustment.objects.select_for_update(of=("self",)).select_related("category", "requested_by").get(
        pk=adjustment.pk)
    if adjustment.status != Adjustment.Status.PENDING:
        raise AppError("这笔减免已经处理过了。", field="status")
    if adjustment.requested_by_id == actor.pk:
        raise AppError("超过限额的减免须由另一人审批。", field="status")
    balances.lock_seasons([adjustment.account.season_id], exclusive=False)
    account = (SeasonAccount.objects.select_for_update(of=("self",)).select_related("season")
               .get(pk=adjustment.account_id))
    _check_room(account, adjustment.amount)
    _post_adjustment(adjustment, approver=actor, account=account)
    Adjustment.objects.filter(pk=adjustment.pk).update(decision_note=note)
    audit_record(actor=actor, action="adjustment.approve", obj=adjustment, before={"status": "pending"},
                 after={"status": "approved", "amount": adjustment.amount}, reason=note)
    return Adjustment.objects.get(pk=adjustment.pk)


@transaction.atomic
def adjustment_reject(*, actor, adjustment: Adjustment, note: str) -> Adjustment:
    require_perm(actor, "core_billing.approve_adjustment", "没有审批减免、折让的权限。")
    require_in_scope(actor, adjustment.station_id)
    note = require_reason(note, field="note")
    adjustment = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    if adjustment.status != Adjustment.Status.PENDING:
        raise AppError("这笔减免已经处理过了。", field="status")
    Adjustment.objects.filter(pk=adjustment.pk).update(status=Adjustment.Status.REJECTED, decided_by=actor,
                                                       decided_at=timezone.now(), decision_note=note)
    audit_record(actor=actor, action="adjustment.reject", obj=adjustment, before={"status": "pending"},
                 after={"status": "rejected"}, reason=note)
    return Adjustment.objects.get(pk=adjustment.pk)


# --- corrections and reversals of other rows -------------------------------------------

@transaction.atomic
def correction_post(*, actor, account: SeasonAccount, amount: Any, reason: str,
                    corrects: LedgerEntry | None = None) -> LedgerEntry:
    """费用矫正: a supervisor's signed correction of legacy data, always with a reason."""
    require_perm(actor, "core_billing.correct_ledger", "没有费用矫正的权限。")
    require_in_scope(actor, account.station_id)
    reason = require_reason(reason)
    value = parse_money(amount, field="amount", label="矫正金额", positive=False)
    if value == 0:
        raise AppError("矫正金额不能为 0。", field="amount")
    if corrects is not None and corrects.account_id != account.pk:
        raise AppError("被矫正的记录不属于这个账户。", field="corrects")
    balances.lock_seasons([account.season_id], exclusive=False)
    account = SeasonAccount.objects.select_for_update().get(pk=account.pk)
    if account.charged + value < 0:
        raise AppError(f"矫正后应收将为负数（现应收 {account.charged} 元）。", field="amount")
    entry = _post(account, Kind.CORRECTION, value, timezone.localdate(), actor, corrects=corrects, reason=reason)
    balances.refresh(balances.accounts(account.pk))
    audit_record(actor=actor, action="ledger.correction", obj=entry,
                 after={"account": account.pk, "amount": value, "corrects": getattr(corrects, "pk", None)},
                 reason=reason, station_id=account.station_id)
    send_on_commit(balances_changed, customer_ids=[account.customer_id], season_id=account.season_id)
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Reverse one correction, waiver, allowance or late fee.  Payments are
    reversed by receipt (payment_reverse); fees follow their inputs and are
    changed through prices and heating changes, never reversed by hand."""
    require_in_scope(actor, entry.station_id)
    if entry.kind == Kind.PAYMENT or entry.kind == Kind.DISCOUNT:
        raise AppError("缴费请按收据冲正。", field="entry")
    if entry.kind in (Kind.HEATING, Kind.STANDBY, Kind.METERED):
        raise AppError("采暖费由面积、单价和供热状态决定，请办理变更或调价，不能直接冲正。", field="entry")
    require_perm(actor, "core_billing.correct_ledger", "没有冲正的权限。")
    reason = require_reason(reason)
    if entry.reverses_id:
        raise AppError("冲正记录本身不能再冲正。", field="entry")
    balances.lock_seasons([entry.account.season_id], exclusive=False)
    lock_accounts([entry.account_id])
    if entry.reversals.exists():
        raise AppError("这条记录已冲正，不能重复冲正。", field="entry")
    try:
        with transaction.atomic():
            row = _post(entry.account, entry.kind, -entry.amount, timezone.localdate(), actor, reverses=entry,
                        category=entry.category, reason=reason)
    except IntegrityError as exc:
        raise AppError("这条记录已冲正，不能重复冲正。", field="entry") from exc
    balances.refresh(balances.accounts(entry.account_id))
    audit_record(actor=actor, action="ledger.reverse", obj=row, before={"entry": entry.pk, "amount": entry.amount},
                 after={"amount": row.amount}, reason=reason, station_id=entry.station_id)
    send_on_commit(balances_changed, customer_ids=[entry.account.customer_id], season_id=entry.account.season_id)
    return row
