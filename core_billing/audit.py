"""Writing audit rows: call `audit_record` inside the service's transaction."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable

from django.db import models

from .models import AuditLog


def jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON (foreign keys by id)."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            out[name] = getattr(obj, field.attname)
        else:
            out[name] = jsonable(getattr(obj, name))
    return out


def model_fields(obj: models.Model, exclude: Iterable[str] = ("id", "created_at", "updated_at")) -> list[str]:
    skip = set(exclude)
    return [f.name for f in obj._meta.concrete_fields if f.name not in skip and not isinstance(f, models.BinaryField)]


def station_of(obj: models.Model) -> int | None:
    from .scoping import station_lookup

    lookup = station_lookup(type(obj))
    if lookup == "pk":
        return obj.pk
    if "__" not in lookup:
        return getattr(obj, f"{lookup}_id", None)  # None: company-wide data (seasons, prices)
    target: Any = obj
    for part in lookup.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target.pk if isinstance(target, models.Model) else target


def audit_record(*, actor, action: str, obj: models.Model, before: dict | None = None,
                 after: dict | None = None, reason: str = "", station_id: int | None = None) -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_username() if getattr(actor, "pk", None) else "system"),
        station_id=station_id if station_id is not None else station_of(obj),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason or "",
    )


def audit_bulk_create(*, actor, action: str, objs: list[models.Model], fields: Iterable[str],
                      reason: str = "", batch_size: int = 2000) -> None:
    """One audit row per created object, inserted in bulk (imports)."""
    fields = list(fields)
    name = actor.get_username() if getattr(actor, "pk", None) else "system"
    rows = [
        AuditLog(actor=actor if getattr(actor, "pk", None) else None, actor_name=name,
                 station_id=station_of(obj), action=action, object_type=obj._meta.label_lower,
                 object_id=str(obj.pk), object_repr=str(obj)[:200], before=None,
                 after=snapshot(obj, fields), reason=reason)
        for obj in objs
    ]
    AuditLog.objects.bulk_create(rows, batch_size=batch_size)
