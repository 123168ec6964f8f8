"""Where placeholder values come from: a registry of context providers.

Each placeholder names a provider (templating.PLACEHOLDERS).  A provider is a
function that, for one recipient, returns the values of its placeholders;
layers that own the data register theirs (billing the season and amounts, pay
links the pay link, dispatch the work-order fields), so messaging never
imports them.  Messaging itself provides customer, company and staff values.

    register_context_provider("billing", per_target_func)            # one at a time
    register_context_provider("billing", bulk=func_for_many_targets)  # campaigns: one query for 100k

A per-target function takes a RenderTarget and returns a dict; a bulk one
takes a list of RenderTargets and returns a list of dicts in the same order.
Values the caller passes in `RenderTarget.values` win over providers (a work
order can hand its own fields over), and a provider is not called at all
when every placeholder it would fill was passed in.  A placeholder whose
provider is not registered is refused with an AppError naming both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from django.conf import settings

from core_billing.errors import AppError

from .templating import PLACEHOLDERS


@dataclass
class RenderTarget:
    station_id: int | None
    customer: Any = None  # core_billing.Customer
    staff: Any = None  # core_billing.User
    season: str = ""
    values: dict = field(default_factory=dict)  # placeholder values given by the caller
    extra: dict = field(default_factory=dict)  # ids a provider may need, e.g. {"work_order_id": 7}


PerTarget = Callable[[RenderTarget], dict]
Bulk = Callable[[list[RenderTarget]], list[dict]]


@dataclass(frozen=True)
class Provider:
    name: str
    bulk: Bulk
    customer_fields: tuple[str, ...] | None = None  # the Customer fields it reads; None: it did not say


_providers: dict[str, Provider] = {}

# What sending itself reads of a customer recipient (messaging.services.sending).
SENDING_FIELDS = ("id", "station_id", "mobile", "contact_kind")


def register_context_provider(name: str, func: PerTarget | None = None, *, bulk: Bulk | None = None,
                              replace: bool = True, customer_fields: tuple[str, ...] | None = None) -> None:
    """`customer_fields`: the Customer fields the provider reads, so a caller loading many customers
    (a campaign) can load only those; leave it out and callers load every field."""
    if (func is None) == (bulk is None):
        raise TypeError("give exactly one of func or bulk")
    if not replace and name in _providers:
        raise ValueError(f"context provider {name!r} is already registered")
    if bulk is None:
        def bulk(targets, _func=func):
            return [_func(t) for t in targets]
    _providers[name] = Provider(name, bulk, tuple(customer_fields) if customer_fields is not None else None)


def customer_fields(keys) -> tuple[str, ...] | None:
    """The Customer fields that sending a body with these placeholders reads, or None when a
    provider involved did not declare its own (then load them all)."""
    fields = set(SENDING_FIELDS)
    for name in {PLACEHOLDERS[k].provider for k in keys}:
        provider = _providers.get(name)
        if provider is None or provider.customer_fields is None:
            return None
        fields.update(provider.customer_fields)
    return tuple(sorted(fields))


def unregister_context_provider(name: str) -> None:
    _providers.pop(name, None)


def is_registered(name: str) -> bool:
    return name in _providers


def missing_provider_error(keys) -> AppError | None:
    missing = sorted({PLACEHOLDERS[k].provider for k in keys if PLACEHOLDERS[k].provider not in _providers})
    if not missing:
        return None
    labels = "、".join(f"「{p.label}」" for k in sorted(keys) if (p := PLACEHOLDERS[k]).provider in missing)
    return AppError(f"占位符{labels}的数据来源（{'、'.join(missing)}）尚未接入，暂时不能生成这条短信。",
                    field="body", code="provider_missing", extra={"providers": missing})


def build_values(keys: frozenset[str] | set[str], targets: list[RenderTarget]) -> list[dict]:
    """The value of every key for every target, asking each needed provider once."""
    out = [dict() for _ in targets]
    by_provider: dict[str, list[str]] = {}
    for key in keys:
        by_provider.setdefault(PLACEHOLDERS[key].provider, []).append(key)
    for name, pkeys in by_provider.items():
        # Only targets lacking a value for one of this provider's keys need it.
        todo = [i for i, t in enumerate(targets) if any(k not in t.values for k in pkeys)]
        if not todo:
            continue
        provider = _providers.get(name)
        if provider is None:
            raise missing_provider_error(pkeys)
        results = provider.bulk([targets[i] for i in todo])
        for i, values in zip(todo, results):
            for key in pkeys:
                if key not in values:
                    raise AppError(f"数据来源 {name} 没有提供占位符「{PLACEHOLDERS[key].label}」的值。",
                                   code="provider_incomplete")
                out[i][key] = _text(values[key])
    for i, target in enumerate(targets):
        out[i].update({k: _text(v) for k, v in target.values.items() if k in keys})
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


# --- what messaging provides itself ----------------------------------------------

def _customer_values(targets: list[RenderTarget]) -> list[dict]:
    from core_billing.models import Building, Customer

    cache = Customer.building.field
    missing = {t.customer.building_id for t in targets if t.customer is not None and not cache.is_cached(t.customer)}
    # A chunk's customers share a handful of buildings: load those once, not each customer again.
    buildings = Building.objects.select_related("community").in_bulk(missing) if missing else {}
    out = []
    for t in targets:
        c = t.customer
        if c is None:
            raise AppError("这条短信使用了客户占位符，但收件人不是客户。", field="body")
        if not cache.is_cached(c):
            cache.set_cached_value(c, buildings[c.building_id])
        out.append({"customer_name": c.name, "account_no": c.account_no, "address": c.address,
                     "community": c.building.community.name, "area": c.area})
    return out


def _company_values(targets: list[RenderTarget]) -> list[dict]:
    from core_billing.models import Station

    stations = Station.objects.in_bulk({t.station_id for t in targets if t.station_id})
    out = []
    for t in targets:
        station = stations.get(t.station_id)
        out.append({"company_signature": settings.SMS_SIGNATURE,
                    "hotline": (station.hotline if station and station.hotline else settings.COMPANY_HOTLINE),
                    "station_name": station.name if station else settings.COMPANY_NAME})
    return out


def _staff_values(target: RenderTarget) -> dict:
    if target.staff is None:
        raise AppError("这条短信使用了员工占位符，但收件人不是员工。", field="body")
    return {"staff_name": target.staff.display_name}


def register_builtin_providers() -> None:
    register_context_provider("customer", bulk=_customer_values,
                              customer_fields=("name", "account_no", "building_id", "unit", "room", "area"))
    register_context_provider("company", bulk=_company_values, customer_fields=())
    register_context_provider("staff", _staff_values, customer_fields=())
