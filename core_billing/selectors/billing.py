"""Billing reads for pages, the API and upper layers (pay page, SMS placeholders,
audiences, reports).  Everything station-owned starts from `visible_to(actor)`;
the summary functions take a customer the caller has already resolved."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from .. import pricing
from ..models import (Adjustment, Customer, LedgerEntry, PriceChange, Receipt, Season, SeasonAccount, Tariff)
from ..services import balances
from .season_settings import season_settings

ZERO = Decimal("0.00")


@dataclass
class SeasonLine:
    """One season of one customer, as of a date (heating fee, stand-by fee,
    metered fee, corrections, discounts, waivers/allowances, late fee, paid, due)."""

    season_id: int
    season: str
    account_id: int
    is_current: bool
    is_open: bool
    area: Decimal
    customer_type: str
    heating_status: str
    metering_mode: str
    heating_fee: Decimal
    standby_fee: Decimal
    metered_fee: Decimal
    corrections: Decimal
    discount: Decimal
    adjusted: Decimal
    late_fee_charged: Decimal
    late_fee_accrued: Decimal
    paid: Decimal
    due: Decimal
    to_settle: Decimal
    settle_discount: Decimal

    @property
    def charged(self) -> Decimal:
        return self.heating_fee + self.standby_fee + self.metered_fee + self.corrections

    @property
    def late_fee(self) -> Decimal:
        """Late fee as of the summary's date: charged with earlier payments plus accrued since."""
        return self.late_fee_charged + self.late_fee_accrued

    @property
    def owed(self) -> Decimal:
        return self.due + self.late_fee_accrued

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items()}
        data.update(charged=self.charged, late_fee=self.late_fee, owed=self.owed)
        return data


@dataclass
class BillingSummary:
    """What a customer owes as of a date.

    season / unit_price / heat_price: the current season and the customer's price in it;
    amount_due: the current season's balance (without the late fee accruing today);
    late_fee: late fee as of the date in seasons still owing; total_owed: everything owed
    as of the date, all seasons; old_arrears: the part from past seasons (陈欠);
    arrears_seasons: seasons still owing (欠费年数); to_settle: paying everything on
    that date, early-payment discounts applied; seasons: one line per season, oldest first."""

    customer_id: int
    as_of: dt.date
    season: str | None
    unit_price: Decimal | None
    heat_price: Decimal | None
    amount_due: Decimal
    late_fee: Decimal
    total_owed: Decimal
    old_arrears: Decimal
    arrears_seasons: int
    to_settle: Decimal
    seasons: list[SeasonLine] = field(default_factory=list)

    @property
    def owing(self) -> list[SeasonLine]:
        return [line for line in self.seasons if line.owed > 0]


def customer_price(customer: Customer, season: Season | None, tariffs: dict | None = None
                   ) -> tuple[Decimal | None, Decimal | None]:
    """(unit price 元/m² — the base price for metered billing —, heat price 元/GJ or None)."""
    if season is None:
        return None, None
    tariff = (tariffs or {}).get(customer.customer_type_id) if tariffs is not None else \
        Tariff.objects.filter(season=season, customer_type_id=customer.customer_type_id).first()
    if tariff is None:
        return None, None
    if customer.metering_mode == "metered":
        return tariff.base_price, tariff.heat_price
    return tariff.unit_price, None


def customer_billing_summary(customer: Customer, *, as_of: dt.date | None = None) -> BillingSummary:
    """The per-season breakdown and totals of one customer as of `as_of` (default
    today).  Late fees are computed for that date from the ledger sums, so the
    answer is right whatever day the stored balances were last refreshed."""
    from ..services.ledger import settle_plan

    as_of = as_of or timezone.localdate()
    accounts = list(SeasonAccount.objects.filter(customer_id=customer.pk))
    ref = season_settings()
    if any(a.season_id not in ref.seasons for a in accounts):  # a season newer than this process's copy
        ref = season_settings(reload=True)
    for acc in accounts:
        acc.season = ref.seasons[acc.season_id]
    accounts.sort(key=lambda a: (a.season.start_date, a.pk))
    current = ref.current
    lines = []
    tiers = {acc.season_id: ref.tiers.get(acc.season_id, []) for acc in accounts}
    for acc in accounts:
        plan = settle_plan(acc, as_of, tiers)
        accrued = balances.accrued_late_fee(acc, acc.season, as_of)
        lines.append(SeasonLine(
            season_id=acc.season_id, season=acc.season.name, account_id=acc.pk, is_current=acc.season.is_current,
            is_open=acc.season.is_open, area=acc.area, customer_type=ref.type_names.get(acc.customer_type_id, ""),
            heating_status=acc.heating_status, metering_mode=acc.metering_mode, heating_fee=acc.heating_fee,
            standby_fee=acc.standby_fee, metered_fee=acc.metered_fee, corrections=acc.corrections,
            discount=acc.discount, adjusted=acc.adjusted, late_fee_charged=acc.late_fee_charged,
            late_fee_accrued=accrued, paid=acc.paid, due=acc.due, to_settle=max(plan.to_settle, ZERO),
            settle_discount=plan.discount if plan.to_settle > 0 else ZERO))
    owing = [line for line in lines if line.owed > 0]
    unit, heat = customer_price(customer, current, ref.tariffs.get(current.pk, {}) if current else None)
    current_line = next((line for line in lines if line.is_current), None)
    return BillingSummary(
        customer_id=customer.pk, as_of=as_of, season=current.name if current else None, unit_price=unit,
        heat_price=heat, amount_due=current_line.due if current_line else ZERO,
        late_fee=sum((line.late_fee for line in owing), ZERO),
        total_owed=sum((line.owed for line in owing), ZERO),
        old_arrears=sum((line.owed for line in owing if not line.is_current), ZERO),
        arrears_seasons=len(owing), to_settle=sum((line.to_settle for line in lines), ZERO), seasons=lines)


def billing_placeholders(customers: Iterable[Customer]) -> dict[int, dict]:
    """SMS placeholder values for many customers at once, from the stored
    balances (no per-customer query): season, unit_price, amount_due, late_fee,
    total_owed, old_arrears, arrears_seasons, balance_as_of."""
    season = Season.objects.filter(is_current=True).first()
    tariffs = {t.customer_type_id: t for t in Tariff.objects.filter(season=season)} if season else {}
    out = {}
    for c in customers:
        unit, _heat = customer_price(c, season, tariffs)
        out[c.pk] = {"season": season.name if season else "", "unit_price": unit, "amount_due": c.due_current,
                     "late_fee": c.late_fee_total, "total_owed": c.arrears_total, "old_arrears": c.old_arrears,
                     "arrears_seasons": c.arrears_seasons, "balance_as_of": c.balance_as_of}
    return out


def customers_in_arrears(*, actor, min_seasons: int = 1, min_amount: Decimal | None = None,
                         max_amount: Decimal | None = None) -> QuerySet[Customer]:
    """Customers owing in at least `min_seasons` seasons, total owed in a range: one query."""
    qs = Customer.objects.visible_to(actor).filter(arrears_seasons__gte=min_seasons)
    if min_amount is not None:
        qs = qs.filter(arrears_total__gte=min_amount)
    if max_amount is not None:
        qs = qs.filter(arrears_total__lte=max_amount)
    return qs


def account_list(*, actor, season=None, station=None, customer=None, collector=None,
                 owing: bool | None = None) -> QuerySet[SeasonAccount]:
    qs = SeasonAccount.objects.visible_to(actor).select_related("season", "customer", "customer_type", "collector")
    if season:
        qs = qs.filter(season_id=getattr(season, "pk", season))
    if station:
        qs = qs.filter(station_id=getattr(station, "pk", station))
    if customer:
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if collector:
        qs = qs.filter(collector_id=getattr(collector, "pk", collector))
    if owing is True:
        qs = qs.filter(owed__gt=0)
    elif owing is False:
        qs = qs.filter(owed__lte=0)
    return qs


def account_entries(*, actor, account: SeasonAccount) -> QuerySet[LedgerEntry]:
    return (LedgerEntry.objects.visible_to(actor).filter(account=account)
            .select_related("actor", "approved_by", "receipt", "category", "reverses")
            .order_by("posted_at", "id"))


def receipt_list(*, actor, customer=None, day: dt.date | None = None, collector=None) -> QuerySet[Receipt]:
    qs = Receipt.objects.visible_to(actor).select_related("customer", "collector", "actor")
    if customer:
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if day:
        qs = qs.filter(paid_on=day)
    if collector:
        qs = qs.filter(collector_id=getattr(collector, "pk", collector))
    return qs


def receipt_lines(receipt: Receipt) -> list[LedgerEntry]:
    return list(receipt.entries.select_related("account__season").order_by("account__season__start_date", "id"))


def receipt_reversed(receipt: Receipt) -> bool:
    return LedgerEntry.objects.filter(reverses__receipt=receipt, reverses__kind=LedgerEntry.Kind.PAYMENT).exists()


def pending_adjustments(*, actor) -> QuerySet[Adjustment]:
    return (Adjustment.objects.visible_to(actor).filter(status=Adjustment.Status.PENDING)
            .select_related("account__customer", "account__season", "category", "requested_by")
            .order_by("requested_at"))


def recent_corrections(*, actor, limit: int = 50) -> QuerySet[LedgerEntry]:
    return (LedgerEntry.objects.visible_to(actor)
            .filter(Q(kind=LedgerEntry.Kind.CORRECTION) | Q(reverses__isnull=False))
            .select_related("account__customer", "account__season", "actor", "reverses")
            .order_by("-posted_at", "-id")[:limit])


def price_change_list(*, actor, season=None) -> QuerySet[PriceChange]:
    qs = PriceChange.objects.select_related("season", "customer_type", "actor")
    return qs.filter(season=season) if season else qs


def season_totals(*, actor, season: Season) -> dict:
    """Households, billed, collected and owed in one season, within the actor's stations."""
    row = account_list(actor=actor, season=season).aggregate(
        charged=Sum("charged"), discount=Sum("discount"), adjusted=Sum("adjusted"), paid=Sum("paid"),
        owed=Sum("owed", filter=Q(owed__gt=0)), late=Sum("late_fee_charged"))
    n = account_list(actor=actor, season=season).count()
    clean = {k: pricing.round_fen(v or 0) for k, v in row.items()}
    billed = clean["charged"] - clean["discount"] - clean["adjusted"]
    return {"households": n, "billed": billed, "collected": clean["paid"], "owed": clean["owed"],
            "late_fee": clean["late"], "rate": (clean["paid"] / billed if billed else Decimal(0))}
