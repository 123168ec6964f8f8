"""Changes that move fees: prices and season settings (every affected account at
once, set-based), heating status and area changes with an effective date, heat
meter readings (BIL-04, BIL-05, BIL-06, BIL-08)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import pricing
from ..audit import audit_record, jsonable, snapshot
from ..errors import AppError
from ..models import AccountChange, ChangeReason, Customer, CustomerType, PriceChange, Season, SeasonAccount, Tariff
from ..models.org import HeatingStatus
from ..signals import account_status_changed, balances_changed, send_on_commit
from . import balances
from ._common import require_in_scope, require_perm
from ._money import parse_date, parse_decimal, require_reason
from .billing import require_head_office, require_in_season, require_open

PRICE_FIELDS = ("unit_price", "base_price", "heat_price")
# Stored in ledger reasons, so fixed Chinese rather than the request's language.
CHANGE_LABELS = {"suspend": "报停", "forced_stop": "强停", "resume": "复热", "radiators_added": "加片",
                 "area_change": "面积变更"}


@dataclass
class PricePreview:
    accounts: int
    money_moved: Decimal
    before: dict
    after: dict


def _prices(tariff: Tariff | None, unit_price, base_price, heat_price) -> tuple[dict, dict]:
    before = {k: (getattr(tariff, k) if tariff else None) for k in PRICE_FIELDS}
    given = {"unit_price": unit_price, "base_price": base_price, "heat_price": heat_price}
    labels = {"unit_price": "面积单价", "base_price": "计量基础单价", "heat_price": "计量热价"}
    after = {}
    for key in PRICE_FIELDS:
        value = given[key]
        if value in (None, ""):
            value = before[key] if before[key] is not None else Decimal("0")
        after[key] = parse_decimal(value, field=key, label=labels[key], places=2).quantize(pricing.FEN)
    return before, after


def _tariff_for(season: Season, customer_type: CustomerType) -> Tariff | None:
    return Tariff.objects.filter(season=season, customer_type=customer_type).first()


def tariff_change_preview(*, actor, season: Season, customer_type: CustomerType, unit_price=None, base_price=None,
                          heat_price=None) -> PricePreview:
    """How many accounts a price change re-prices and how much money it moves; writes nothing."""
    require_perm(actor, "core_billing.change_tariff", "没有调整单价的权限。")
    tariff = _tariff_for(season, customer_type)
    before, after = _prices(tariff, unit_price, base_price, heat_price)
    count, moved = balances.preview_reprice(season, balances.season_scope(season, customer_type.pk), after)
    return PricePreview(count, moved, before, after)


def reprice_season(*, actor, season: Season, customer_type: CustomerType | None, before: dict, after: dict,
                   reason: str) -> PriceChange:
    """Re-price every account of the season (of one customer type) in a few
    statements, record what moved, refresh balances.  Caller holds the
    transaction and the exclusive season lock."""
    scope = balances.season_scope(season, customer_type.pk if customer_type else None)
    count, moved = balances.preview_reprice(season, scope)
    change = PriceChange.objects.create(season=season, customer_type=customer_type, before=jsonable(before),
                                        after=jsonable(after),
                                        accounts=count, money_moved=moved, reason=reason,
                                        actor=actor if getattr(actor, "pk", None) else None)
    if count:
        balances.reprice(season, scope, actor_id=getattr(actor, "pk", None), reason=reason,
                         value_date=timezone.localdate(), price_change_id=change.pk)
        balances.refresh_repriced(season, scope)
        send_on_commit(balances_changed, customer_ids=None, season_id=season.pk)
    return change


@transaction.atomic
def tariff_change(*, actor, season: Season, customer_type: CustomerType, unit_price=None, base_price=None,
                  heat_price=None, reason: str) -> PriceChange:
    """调价: new prices for one customer type; every account of that type in the
    season is re-priced at once and its balance and arrears refresh."""
    require_perm(actor, "core_billing.change_tariff", "没有调整单价的权限。")
    require_head_office(actor, "单价")
    reason = require_reason(reason)
    balances.lock_seasons([season.pk], exclusive=True)
    season = Season.objects.get(pk=season.pk)
    require_open(season, "调价")
    tariff = Tariff.objects.select_for_update().filter(season=season, customer_type=customer_type).first()
    before, after = _prices(tariff, unit_price, base_price, heat_price)
    if tariff is None:
        tariff = Tariff(season=season, customer_type=customer_type)
    for key, value in after.items():
        setattr(tariff, key, value)
    tariff.save()
    audit_record(actor=actor, action="tariff.change", obj=tariff, before=before, after=after, reason=reason,
                 station_id=None)
    return reprice_season(actor=actor, season=season, customer_type=customer_type, before=before, after=after,
                          reason=reason)


# --- heating status and area --------------------------------------------------------

def _timeline(account: SeasonAccount, season: Season, extra: list[pricing.Change] | None = None):
    changes = [pricing.Change(c.effective_date, status=c.status or None, area=c.area)
               for c in account.changes.order_by("effective_date", "id")]
    return pricing.timeline(season.start_date, season.end_date, account.start_area, account.start_status,
                            changes + (extra or []))


def account_timeline(account: SeasonAccount) -> list[pricing.Segment]:
    return _timeline(account, account.season)


@transaction.atomic
def heating_change(*, actor, account: SeasonAccount, kind: str, effective_date, area: Any = None,
                   reason: str = "", change_reason: ChangeReason | None = None) -> AccountChange:
    """报停 / 强停 / 复热 / 加片 / 面积变更 from `effective_date` (inclusive) to the
    season's end or the next recorded change; the account is re-priced at once."""
    require_perm(actor, "core_billing.change_heating", "没有办理供热变更的权限。")
    require_in_scope(actor, account.station_id)
    kinds = AccountChange.Kind
    if kind not in kinds.values:
        raise AppError(f"未知的变更类型“{kind}”。", field="kind", extra={"valid": list(kinds.values)})
    day = parse_date(effective_date, field="effective_date", label="生效日期")
    balances.lock_seasons([account.season_id], exclusive=False)
    account = SeasonAccount.objects.select_for_update(of=("self",)).select_related("season").get(pk=account.pk)
    season = account.season
    require_open(season, "办理供热变更")
    require_in_season(season, day)
    if change_reason is not None and change_reason.season_id != season.pk:
        raise AppError("变更原因不属于该供暖年度。", field="change_reason")
    note = (reason or "").strip()
    if not note and change_reason is None:
        raise AppError("请填写原因。", field="reason")
    before = pricing.state_on(_timeline(account, season), day)
    new_status, new_area = "", None
    if kind in AccountChange.STATUS_OF:
        new_status = AccountChange.STATUS_OF[kind]
        if before.status == new_status:
            raise AppError(f"{day} 起已是“{HeatingStatus(new_status).label}”状态。", field="kind")
    else:
        new_area = parse_decimal(area, field="area", label="面积", minimum=Decimal("0.01"), places=2)
        if new_area == before.area:
            raise AppError(f"{day} 起面积已是 {new_area} m²。", field="area")
        if kind == kinds.RADIATORS_ADDED and new_area < before.area:
            raise AppError("加片后的面积不能小于原面积。", field="area")
    change = AccountChange.objects.create(
        station_id=account.station_id, account=account, kind=kind, effective_date=day, status=new_status,
        area=new_area, before_status=before.status, before_area=before.area, reason=change_reason, note=note,
        actor=actor)
    segments = _timeline(account, season)
    normal, stopped = pricing.area_days(segments)
    final = segments[-1]
    old = snapshot(account, ["area", "heating_status", "heating_fee", "standby_fee"])
    SeasonAccount.objects.filter(pk=account.pk).update(area=final.area, heating_status=final.status,
                                                       normal_area_days=normal, stopped_area_days=stopped)
    label = change_reason.name if change_reason else note
    balances.reprice(season, balances.accounts(account.pk), actor_id=actor.pk, value_date=day, change_id=change.pk,
                     reason=f"{CHANGE_LABELS[kind]}（{day} 起）：{label}")
    balances.refresh(balances.accounts(account.pk))
    account.refresh_from_db()
    if season.is_current:
        # the registry shows the current season's latest state
        Customer.objects.filter(pk=account.customer_id).update(area=final.area, heating_status=final.status,
                                                               updated_at=timezone.now())
    audit_record(actor=actor, action=f"account.{kind}", obj=account,
                 before={**old, "effective_date": day, "status_on_date": before.status, "area_on_date": before.area},
                 after={**snapshot(account, ["area", "heating_status", "heating_fee", "standby_fee"]),
                        "change": change.pk},
                 reason=label, station_id=account.station_id)
    if new_status:
        send_on_commit(account_status_changed, account_id=account.pk, customer_id=account.customer_id,
                       season_id=season.pk, old_status=before.status, new_status=new_status, effective_date=day)
    send_on_commit(balances_changed, customer_ids=[account.customer_id], season_id=season.pk)
    return change


@transaction.atomic
def meter_reading_record(*, actor, account: SeasonAccount, heat_gj: Any, reason: str = "") -> SeasonAccount:
    """The season's heat consumption for a metered account; the metered fee follows."""
    require_perm(actor, "core_billing.record_meter_reading", "没有录入热量表读数的权限。")
    require_in_scope(actor, account.station_id)
    balances.lock_seasons([account.season_id], exclusive=False)
    account = SeasonAccount.objects.select_for_update(of=("self",)).select_related("season").get(pk=account.pk)
    require_open(account.season, "录入读数")
    if account.metering_mode != "metered":
        raise AppError("该户按面积计费，没有热量表读数。", field="heat_gj")
    gj = parse_decimal(heat_gj, field="heat_gj", label="用热量", places=3)
    if gj == account.heat_gj:
        return account
    before = {"heat_gj": account.heat_gj, "metered_fee": account.metered_fee}
    SeasonAccount.objects.filter(pk=account.pk).update(heat_gj=gj)
    balances.reprice(account.season, balances.accounts(account.pk), actor_id=actor.pk,
                     value_date=timezone.localdate(), reason=f"热量表读数 {gj} GJ {reason}".strip())
    balances.refresh(balances.accounts(account.pk))
    account.refresh_from_db()
    audit_record(actor=actor, action="account.meter_reading", obj=account, before=before,
                 after={"heat_gj": gj, "metered_fee": account.metered_fee}, reason=reason)
    send_on_commit(balances_changed, customer_ids=[account.customer_id], season_id=account.season_id)
    return account


def effective_date_for_registry_edit(season: Season, today: dt.date | None = None) -> dt.date | None:
    """A status or area edited in the customer registry counts from today inside
    the current season, from its first day before it starts, and not at all
    (registry only) once it has ended."""
    today = today or timezone.localdate()
    if today > season.end_date:
        return None
    return max(today, season.start_date)
