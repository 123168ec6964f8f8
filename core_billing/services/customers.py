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


@transaction.atomic
def customer_create(*, actor, building: Building, unit: int, room: str, account_no: str, name: str,
                    customer_type: CustomerType, area: Any, heating_status: str = "normal",
                    metering_mode: str = "area", phones: list[str] | None = None, note: str = "") -> Customer:
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
                 after={**snapshot(customer, model_fields(customer)), "phones": stored})
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, changes: dict[str, Any], phones: list[str] | None = None,
                    reason: str = "") -> Customer:
    """Change a customer's registry data; `phones`, when given, replaces the numbers."""
    require_perm(actor, "core_billing.change_customer", "没有修改客户资料的权限。")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    require_in_scope(actor, customer.station_id)
    if "area" in changes:
        changes["area"] = parse_area(changes["area"])
    before, after = apply_changes(customer, changes, EDITABLE_FIELDS)
    if {"building", "unit"} & after.keys():
        _check_building(actor, customer.station_id, customer.building, customer.unit)
    if phones is not None:
        old = customer_phone_list(customer)
        new = _write_phones(customer, phones)
        if old != new:
            before["phones"], after["phones"] = old, new
    if not after:
        return customer
    full_clean_or_error(customer)
    customer.save()
    audit_record(actor=actor, action="customer.update", obj=customer, before=before, after=after, reason=reason)
    return customer
