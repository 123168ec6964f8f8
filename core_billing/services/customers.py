"""Customer writes: create, update, phones."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ..audit import audit_record, model_fields, snapshot
from ..errors import AppError
from ..models import Building, Customer, CustomerPhone, CustomerType
from ..phones import classify_phones
from ._common import apply_changes, full_clean_or_error, require_in_scope, require_perm

EDITABLE_FIELDS = ("name", "building", "unit", "room", "customer_type", "area", "heating_status",
                   "metering_mode", "note", "is_active")


def parse_area(value: Any) -> Decimal:
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AppError("面积必须是正数。", field="area")
    if not area.is_finite() or area <= 0:
        raise AppError("面积必须是正数。", field="area")
    if area.as_tuple().exponent < -2:
        raise AppError("面积最多两位小数。", field="area")
    return area


def _check_building(actor, customer_station_id: int, building: Building, unit: int) -> None:
    require_in_scope(actor, building.station_id)
    if building.station_id != customer_station_id:
        raise AppError("楼不属于该客户的供热站。", field="building")
    if not 1 <= int(unit) <= building.unit_count:
        raise AppError(f"单元号须在 1 到 {building.unit_count} 之间。", field="unit")


def _write_phones(customer: Customer, raws: list[str]) -> list[str]:
    infos, mobile, kind = classify_phones(raws)
    CustomerPhone.objects.filter(customer=customer).delete()
    CustomerPhone.objects.bulk_create([
        CustomerPhone(customer=customer, raw=i.raw[:40], number=i.number, kind=i.kind,
                      is_primary=(i.number == mobile and bool(mobile)), position=n)
        for n, i in enumerate(infos)
    ])
    customer.mobile = mobile
    customer.contact_kind = kind
    return [i.number or i.raw for i in infos]


def customer_phone_list(customer: Customer) -> list[str]:
    return [p.number or p.raw for p in customer.phones.all()]


def _open_current_account(actor, customer: Customer) -> None:
    from .billing import accounts_open, current_season

    season = current_season()
    if season is not None and season.is_open:
        accounts_open(season=season, customer_ids=[customer.pk], actor=actor)


@transaction.atomic
def customer_create(*, actor, building: Building, unit: int, room: str, account_no: str, name: str,
                    customer_type: CustomerType, area: Any, heating_status: str = "normal",
                    metering_mode: str = "area", phones: list[str] | None = None, note: str = "") -> Customer:
    """A new household; it gets an account in the current season at once."""
    require_perm(actor, "core_billing.add_customer", "没有新增客户的权限。")
    customer = Customer(station_id=building.station_id, building=building, unit=unit, room=str(room).strip(),
                        account_no=str(account_no).strip(), name=str(name).strip(), customer_type=customer_type,
                        area=parse_area(area), heating_status=heating_status, metering_mode=metering_mode,
                        note=note)
    _check_building(actor, building.station_id, building, unit)
    full_clean_or_error(customer, exclude=["mobile", "contact_kind"])
    customer.save()
    stored = _write_phones(customer, phones or [])
    customer.save(update_fields=["mobile", "contact_kind"])
    audit_record(actor=actor, action="customer.create", obj=customer,
                 after={**snapshot(customer, [f for f in model_fields(customer)
                                              if f not in Customer.BALANCE_FIELDS]), "phones": stored})
    _open_current_account(actor, customer)
    return customer


STATUS_KIND = {"suspended": "suspend", "forced_stop": "forced_stop", "normal": "resume"}


def _billing_changes(actor, customer: Customer, wanted: dict[str, Any], effective_date, reason: str) -> None:
    """Area and heating status bill the current season: they change through its
    effective-dated heating change (which also updates the registry), and
    directly only when no open current season bills them."""
    from ..models import SeasonAccount
    from ._money import parse_date
    from .billing import current_season
    from .pricing_changes import effective_date_for_registry_edit, heating_change

    season = current_season()
    account = None
    if season is not None and season.is_open:
        account = SeasonAccount.objects.filter(customer=customer, season=season).first()
    day = None
    if account is not None:
        day = (parse_date(effective_date, field="effective_date", label="生效日期") if effective_date
               else effective_date_for_registry_edit(season))
    if day is None:
        for name, value in wanted.items():
            setattr(customer, name, value)
        full_clean_or_error(customer)
        Customer.objects.filter(pk=customer.pk).update(**wanted)
        return
    note = reason or "客户资料修改"
    if "heating_status" in wanted:
        heating_change(actor=actor, account=account, kind=STATUS_KIND[wanted["heating_status"]], effective_date=day,
                       reason=note)
    if "area" in wanted:
        heating_change(actor=actor, account=account, kind="area_change", effective_date=day, area=wanted["area"],
                       reason=note)
    customer.area, customer.heating_status = Customer.objects.filter(pk=customer.pk).values_list(
        "area", "heating_status").get()


@transaction.atomic
def customer_update(*, actor, customer: Customer, changes: dict[str, Any], phones: list[str] | None = None,
                    reason: str = "", effective_date=None) -> Customer:
    """Change a customer's registry data; `phones`, when given, replaces the numbers.

    Area and heating status go through billing's heating change, effective from
    `effective_date` (default: today, or the season's first day before it starts)."""
    require_perm(actor, "core_billing.change_customer", "没有修改客户资料的权限。")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    require_in_scope(actor, customer.station_id)
    changes = dict(changes)
    if "area" in changes:
        changes["area"] = parse_area(changes["area"])
    if changes.get("heating_status") not in (None, *STATUS_KIND):
        raise AppError(f"未知的供热状态“{changes['heating_status']}”。", field="heating_status")
    billing = {k: changes.pop(k) for k in ("area", "heating_status") if k in changes}
    billing = {k: v for k, v in billing.items() if getattr(customer, k) != v}
    before, after = apply_changes(customer, changes, EDITABLE_FIELDS)
    if {"building", "unit"} & after.keys():
        _check_building(actor, customer.station_id, customer.building, customer.unit)
    if phones is not None:
        old = customer_phone_list(customer)
        new = _write_phones(customer, phones)
        if old != new:
            before["phones"], after["phones"] = old, new
    if not after and not billing:
        return customer
    full_clean_or_error(customer)
    fields = [f.name for f in Customer._meta.concrete_fields
              if f.name not in ("id", "area", "heating_status", *Customer.BALANCE_FIELDS)]
    customer.save(update_fields=fields)  # balances belong to billing; never write stale ones
    for name, value in billing.items():
        before[name], after[name] = getattr(customer, name), value
    if billing:
        _billing_changes(actor, customer, billing, effective_date, reason)
    audit_record(actor=actor, action="customer.update", obj=customer, before=before, after=after, reason=reason)
    return customer
