"""Seasons, their settings, and opening customers' season accounts (BIL-10, BIL-15).

Seasons, tariffs and the other presets are company-wide: only head-office staff
with the permission change them, so a station never moves another station's
balances.  A season's dates are fixed once accounts are open; prices and the
settings that price an account re-price every affected account at once
(services/pricing_changes.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from django.db import connection, models, transaction
from django.utils import timezone

from .. import pricing
from ..audit import audit_record, model_fields, snapshot
from ..errors import AppError, PermissionDeniedError
from ..models import (AdjustmentCategory, ChangeReason, Customer, CustomerType, DiscountTier, Season, SeasonAccount,
                      Tariff)
from ..scoping import is_head_office
from ..selectors.season_settings import season_settings_changed
from . import balances
from ._common import full_clean_or_error, require_perm
from ._money import parse_date, parse_decimal

SEASON_FIELDS = ("name", "start_date", "end_date", "heating_days", "standby_ratio", "late_fee_start",
                 "late_fee_daily_rate", "late_fee_cap_ratio", "precision")
DATE_FIELDS = ("start_date", "end_date")
REPRICING_FIELDS = ("heating_days", "standby_ratio", "precision")
LATE_FEE_FIELDS = ("late_fee_start", "late_fee_daily_rate", "late_fee_cap_ratio")
SETTING_MODELS = (Tariff, DiscountTier, AdjustmentCategory, ChangeReason)


def current_season() -> Season | None:
    return Season.objects.filter(is_current=True).first()


def require_head_office(actor, what: str = "供暖年度设置") -> None:
    if not is_head_office(actor):
        raise PermissionDeniedError(f"{what}为全公司统一设置，只有总站人员可以修改。")


def require_open(season: Season, what: str = "") -> None:
    if not season.is_open:
        raise AppError(f"供暖年度 {season.name} 已结账，不能{what or '修改'}。", field="season")


def require_in_season(season: Season, day: dt.date, field: str = "effective_date") -> None:
    if not season.start_date <= day <= season.end_date:
        raise AppError(f"日期 {day} 不在供暖年度 {season.name}（{season.start_date}～{season.end_date}）内。",
                       field=field)


def _clean_season(season: Season) -> None:
    if season.heating_days is None and season.start_date and season.end_date:
        season.heating_days = pricing.day_count(season.start_date, season.end_date)
    full_clean_or_error(season, exclude=["is_current", "status"])
    if season.end_date < season.start_date:
        raise AppError("结束日期早于开始日期。", field="end_date")
    pricing.check_precision(season.precision)


@transaction.atomic
def season_create(*, actor, name: str, start_date, end_date, heating_days: int | None = None,
                  standby_ratio: Any = "0.30", late_fee_start=None, late_fee_daily_rate: Any = "0",
                  late_fee_cap_ratio: Any = None, precision: str = "round_jiao", make_current: bool = False,
                  reason: str = "") -> Season:
    require_perm(actor, "core_billing.add_season", "没有新建供暖年度的权限。")
    require_head_office(actor)
    season = Season(
        name=str(name).strip(), start_date=parse_date(start_date, field="start_date", label="开始日期"),
        end_date=parse_date(end_date, field="end_date", label="结束日期"), heating_days=heating_days,
        standby_ratio=parse_decimal(standby_ratio, field="standby_ratio", label="停热基费比例", maximum=1, places=4),
        late_fee_start=(parse_date(late_fee_start, field="late_fee_start", label="滞纳金起算日")
                        if late_fee_start else None),
        late_fee_daily_rate=parse_decimal(late_fee_daily_rate, field="late_fee_daily_rate", label="滞纳金日费率"),
        late_fee_cap_ratio=(parse_decimal(late_fee_cap_ratio, field="late_fee_cap_ratio", label="滞纳金上限", places=4)
                            if late_fee_cap_ratio not in (None, "") else None),
        precision=precision)
    _clean_season(season)
    season.save()
    audit_record(actor=actor, action="season.create", obj=season, after=snapshot(season, SEASON_FIELDS),
                 reason=reason)
    if make_current:
        _make_current(actor, season, reason)
    return season


def _make_current(actor, season: Season, reason: str) -> None:
    previous = current_season()
    if previous and previous.pk == season.pk:
        return
    Season.objects.filter(is_current=True).update(is_current=False)
    Season.objects.filter(pk=season.pk).update(is_current=True)
    season.is_current = True
    season_settings_changed()
    audit_record(actor=actor, action="season.make_current", obj=season,
                 before={"current": previous.name if previous else None}, after={"current": season.name},
                 reason=reason)
    # due_current and old arrears are relative to the current season
    balances.refresh_customers(balances.Scope(), timezone.localdate())


@transaction.atomic
def season_make_current(*, actor, season: Season, reason: str = "") -> Season:
    require_perm(actor, "core_billing.change_season", "没有修改供暖年度的权限。")
    require_head_office(actor)
    _make_current(actor, season, reason)
    return season


@transaction.atomic
def season_update(*, actor, season: Season, changes: dict[str, Any], reason: str = "") -> Season:
    """Change a season's settings; fees re-priced and late fees refreshed at once."""
    from .pricing_changes import reprice_season

    require_perm(actor, "core_billing.change_season", "没有修改供暖年度设置的权限。")
    require_head_office(actor)
    balances.lock_seasons([season.pk], exclusive=True)
    season = Season.objects.get(pk=season.pk)
    require_open(season)
    unknown = set(changes) - set(SEASON_FIELDS)
    if unknown:
        raise AppError(f"不能修改字段 {', '.join(sorted(unknown))}。", field=sorted(unknown)[0])
    before = snapshot(season, SEASON_FIELDS)
    for name, value in changes.items():
        setattr(season, name, value)
    _clean_season(season)
    after = snapshot(season, SEASON_FIELDS)
    changed = [k for k in SEASON_FIELDS if before[k] != after[k]]
    if not changed:
        return season
    has_accounts = SeasonAccount.objects.filter(season=season).exists()
    if has_accounts and set(changed) & set(DATE_FIELDS):
        raise AppError("供暖年度已开账，不能修改起止日期。", field=next(k for k in changed if k in DATE_FIELDS))
    season.save()
    audit_record(actor=actor, action="season.update", obj=season, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed}, reason=reason)
    if has_accounts and set(changed) & set(REPRICING_FIELDS):
        reprice_season(actor=actor, season=season, customer_type=None,
                       before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                       reason=reason or "供暖年度设置变更")
    elif has_accounts and set(changed) & set(LATE_FEE_FIELDS):
        balances.refresh(balances.season_scope(season))
    return season


@transaction.atomic
def season_close(*, actor, season: Season, reason: str = "") -> Season:
    """No more price, settings or heating changes; payments on its arrears go on."""
    require_perm(actor, "core_billing.close_season", "没有结账的权限。")
    require_head_office(actor)
    season = Season.objects.select_for_update().get(pk=season.pk)
    require_open(season, "再次结账")
    if season.is_current:
        raise AppError("当前供暖年度不能结账，请先开始新的供暖年度。", field="season")
    season.status = Season.Status.CLOSED
    season.save(update_fields=["status"])
    audit_record(actor=actor, action="season.close", obj=season, before={"status": "open"},
                 after={"status": "closed"}, reason=reason)
    return season


# --- presets: tariffs, discount tiers, adjustment categories, change reasons ----------

def _setting_perm(obj: models.Model, action: str) -> str:
    return f"core_billing.{action}_{obj._meta.model_name}"


@transaction.atomic
def season_setting_save(*, actor, obj: models.Model, reason: str = "") -> models.Model:
    """Create or change one preset of a season; a tariff's prices go through the price change."""
    from .pricing_changes import reprice_season, tariff_change

    if not isinstance(obj, SETTING_MODELS):
        raise TypeError(f"not a season setting: {type(obj).__name__}")
    adding = obj._state.adding
    require_perm(actor, _setting_perm(obj, "add" if adding else "change"), "没有修改供暖年度设置的权限。")
    require_head_office(actor)
    require_open(Season.objects.get(pk=obj.season_id))
    fields = model_fields(obj)
    if isinstance(obj, Tariff) and not adding:
        current = Tariff.objects.get(pk=obj.pk)
        if (current.season_id, current.customer_type_id) != (obj.season_id, obj.customer_type_id):
            raise AppError("不能把单价移到别的供暖年度或客户类型。", field="customer_type")
        tariff_change(actor=actor, season=obj.season, customer_type=obj.customer_type,
                      unit_price=obj.unit_price, base_price=obj.base_price, heat_price=obj.heat_price,
                      reason=reason or "调整单价")
        return Tariff.objects.get(pk=obj.pk)
    before = None if adding else snapshot(type(obj).objects.select_for_update().get(pk=obj.pk), fields)
    full_clean_or_error(obj)
    obj.save()
    after = snapshot(obj, fields)
    if before is not None:
        changed = [k for k in fields if before[k] != after[k]]
        if not changed:
            return obj
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
    audit_record(actor=actor, action=f"{obj._meta.model_name}.{'create' if adding else 'update'}", obj=obj,
                 before=before, after=after, reason=reason, station_id=None)
    if isinstance(obj, Tariff):  # a type that had no price yet: its accounts (if any) get charged now
        reprice_season(actor=actor, season=obj.season, customer_type=obj.customer_type, before={},
                       after=snapshot(obj, ["unit_price", "base_price", "heat_price"]), reason=reason or "新增单价")
    return obj


@transaction.atomic
def season_setting_delete(*, actor, obj: models.Model, reason: str = "") -> None:
    require_perm(actor, _setting_perm(obj, "delete"), "没有删除供暖年度设置的权限。")
    require_head_office(actor)
    require_open(Season.objects.get(pk=obj.season_id))
    if isinstance(obj, Tariff) and SeasonAccount.objects.filter(season_id=obj.season_id,
                                                                customer_type_id=obj.customer_type_id).exists():
        raise AppError("已有客户按这个单价计费，不能删除；请改用调价。", field="customer_type")
    audit_record(actor=actor, action=f"{obj._meta.model_name}.delete", obj=obj,
                 before=snapshot(obj, model_fields(obj)), reason=reason, station_id=None)
    try:
        obj.delete()
    except models.ProtectedError as exc:
        raise AppError(f"“{obj}”已被使用，不能删除，可以停用。") from exc


# --- opening accounts ------------------------------------------------------------

def missing_tariffs(season: Season, customer_ids: Iterable[int] | None = None) -> list[str]:
    customers = Customer.objects.filter(is_active=True)
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    used = set(customers.values_list("customer_type_id", flat=True).distinct())
    priced = set(Tariff.objects.filter(season=season).values_list("customer_type_id", flat=True))
    return list(CustomerType.objects.filter(pk__in=used - priced).values_list("name", flat=True))


def accounts_open(*, season: Season, customer_ids: Iterable[int] | None = None, actor=None,
                  as_of: dt.date | None = None, refresh: bool = True) -> int:
    """Open `season` accounts for active customers that have none (all of them,
    or those named), snapshot their billing data, and charge them.  Set-based:
    a fixed number of statements for 200,000 customers as for one.
    The caller holds the transaction and has checked permissions; `refresh=False`
    leaves the balances to the caller's own refresh (bulk loaders)."""
    ids = None if customer_ids is None else sorted({int(i) for i in customer_ids})
    if ids == []:
        return 0
    missing = missing_tariffs(season, ids)
    if missing:
        raise AppError(f"供暖年度 {season.name} 还没有这些客户类型的单价：{'、'.join(missing)}。", field="customer_type")
    span = pricing.day_count(season.start_date, season.end_date)
    now = timezone.now()
    lit = balances.lit
    where = "c.is_active = %s" + (f" AND {balances._in('c.id', ids)}" if ids is not None else "")
    collector = ("COALESCE((SELECT ca.collector_id FROM core_billing_collectorassignment ca "
                 "WHERE ca.building_id = c.building_id ORDER BY ca.id LIMIT 1), "
                 "(SELECT ca.collector_id FROM core_billing_collectorassignment ca "
                 "JOIN core_billing_building b ON b.community_id = ca.community_id "
                 "WHERE b.id = c.building_id ORDER BY ca.id LIMIT 1))")
    zero = ", ".join(["0"] * 12)
    sql = (f"INSERT INTO core_billing_seasonaccount (station_id, customer_id, season_id, customer_type_id, "
           f"metering_mode, collector_id, start_area, start_status, area, heating_status, normal_area_days, "
           f"stopped_area_days, heat_gj, heating_fee, standby_fee, metered_fee, corrections, charged, discount, "
           f"adjusted, late_fee_charged, paid, due, late_fee_pending, owed, opened_at) "
           f"SELECT c.station_id, c.id, {lit(season.pk)}, c.customer_type_id, c.metering_mode, {collector}, "
           f"c.area, c.heating_status, c.area, c.heating_status, "
           f"CASE WHEN c.heating_status = 'normal' THEN c.area * {span} ELSE 0 END, "
           f"CASE WHEN c.heating_status = 'normal' THEN 0 ELSE c.area * {span} END, 0, {zero}, %s "
           f"FROM core_billing_customer c WHERE {where} AND NOT EXISTS (SELECT 1 FROM core_billing_seasonaccount x "
           f"WHERE x.customer_id = c.id AND x.season_id = {lit(season.pk)})")
    with connection.cursor() as cur:
        cur.execute(sql, [now, True])
        opened = cur.rowcount
    if not opened:
        return 0
    scope = balances.Scope(season_id=season.pk, customer_ids=tuple(ids) if ids is not None else None)
    balances.reprice(season, scope, actor_id=getattr(actor, "pk", None), reason=f"{season.name} 开账",
                     value_date=season.start_date)
    if refresh:
        balances.refresh(scope, as_of)
    return opened


@transaction.atomic
def season_open_accounts(*, actor, season: Season, reason: str = "") -> int:
    """Open the season for every active customer that has no account in it yet."""
    require_perm(actor, "core_billing.rollover_season", "没有开账的权限。")
    require_head_office(actor, "开账")
    balances.lock_seasons([season.pk], exclusive=True)
    require_open(season, "开账")
    opened = accounts_open(season=season, actor=actor)
    audit_record(actor=actor, action="season.open_accounts", obj=season, after={"accounts": opened}, reason=reason)
    return opened


def _shift_years(day: dt.date | None, years: int) -> dt.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def season_rollover(*, actor, source: Season, name: str, start_date, end_date, heating_days: int | None = None,
                    close_source: bool = False, reason: str = "") -> Season:
    """Start the next season: its settings copied from `source` (dates moved on by
    the years between them), made current, accounts opened for every active
    customer.  Old arrears stay on their own seasons' accounts, untouched, and
    show as their own lines (BIL-10)."""
    require_perm(actor, "core_billing.rollover_season", "没有开始新供暖年度的权限。")
    require_head_office(actor)
    start = parse_date(start_date, field="start_date", label="开始日期")
    if start <= source.end_date:
        raise AppError(f"新供暖年度须在 {source.name} 结束（{source.end_date}）之后开始。", field="start_date")
    years = start.year - source.start_date.year
    season = season_create(
        actor=actor, name=name, start_date=start, end_date=end_date, heating_days=heating_days,
        standby_ratio=source.standby_ratio, late_fee_start=_shift_years(source.late_fee_start, years),
        late_fee_daily_rate=source.late_fee_daily_rate, late_fee_cap_ratio=source.late_fee_cap_ratio,
        precision=source.precision, reason=reason)
    Tariff.objects.bulk_create([Tariff(season=season, customer_type_id=t.customer_type_id, unit_price=t.unit_price,
                                       base_price=t.base_price, heat_price=t.heat_price)
                                for t in source.tariffs.all()])
    DiscountTier.objects.bulk_create([DiscountTier(season=season, until=_shift_years(t.until, years), rate=t.rate)
                                      for t in source.discount_tiers.all()])
    season_settings_changed()  # bulk_create sends no post_save
    AdjustmentCategory.objects.bulk_create([
        AdjustmentCategory(season=season, code=c.code, name=c.name, kind=c.kind, formula=c.formula, value=c.value,
                           is_active=c.is_active) for c in source.adjustment_categories.all()])
    ChangeReason.objects.bulk_create([
        ChangeReason(season=season, code=r.code, name=r.name, applies_to=r.applies_to, is_active=r.is_active)
        for r in source.change_reasons.all()])
    audit_record(actor=actor, action="season.rollover", obj=season,
                 after={"from": source.name, "tariffs": {t.customer_type_id: snapshot(t, ["unit_price", "base_price",
                                                                                           "heat_price"])
                                                         for t in season.tariffs.all()}},
                 reason=reason)
    _make_current(actor, season, reason)
    opened = accounts_open(season=season, actor=actor)
    audit_record(actor=actor, action="season.open_accounts", obj=season, after={"accounts": opened}, reason=reason)
    if close_source and source.is_open:
        season_close(actor=actor, season=Season.objects.get(pk=source.pk), reason=reason)
    return season
