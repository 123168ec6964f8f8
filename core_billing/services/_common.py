from __future__ import annotations

from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import connection, models

from ..errors import AppError, PermissionDeniedError
from ..scoping import is_head_office, station_visible_to


def require_perm(actor, perm: str, message: str) -> None:
    if not (actor and actor.is_active and actor.has_perm(perm)):
        raise PermissionDeniedError(message)


def require_in_scope(actor, station_id: int | None) -> None:
    # Callers fetch objects through the scoped queryset already; this guards
    # services called from tasks or other services with ids from elsewhere.
    if not station_visible_to(actor, station_id):
        raise AppError("对象不存在。", code="not_found")


def resolve_station(actor, station) -> Any:
    """Station staff always act in their own station; head office names one."""
    if not is_head_office(actor):
        if station is not None and getattr(station, "pk", station) != actor.station_id:
            raise AppError("对象不存在。", field="station", code="not_found")
        return actor.station
    if station is None:
        raise AppError("总站用户须指定供热站。", field="station")
    return station


def full_clean_or_error(obj: models.Model, exclude: Iterable[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=list(exclude or []), validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.error_dict.items()))
            label = field
            if field != "__all__":
                try:
                    label = str(obj._meta.get_field(field).verbose_name)
                except Exception:
                    pass
            raise AppError(f"{label}: {'; '.join(e for err in errors for e in err.messages)}",
                           field=None if field == "__all__" else field,
                           extra={"errors": exc.message_dict}) from exc
        raise AppError("; ".join(exc.messages)) from exc


def apply_changes(obj: models.Model, changes: dict[str, Any], allowed: Iterable[str]) -> tuple[dict, dict]:
    """Set the changed attributes; return (before, after) of those that differ."""
    allowed = set(allowed)
    before, after = {}, {}
    for name, value in changes.items():
        if name not in allowed:
            raise AppError(f"不能修改字段 {name}。", field=name)
        field = obj._meta.get_field(name)
        attr = field.attname if isinstance(field, models.ForeignKey) else name
        old = getattr(obj, attr)
        new = value.pk if isinstance(field, models.ForeignKey) and isinstance(value, models.Model) else value
        if old != new:
            before[name] = old
            after[name] = new
            setattr(obj, name if isinstance(value, models.Model) or value is None else attr, value)
    return before, after


def next_ids(model: type[models.Model], count: int = 1) -> list[int]:
    """Ids for `count` rows of `model` before they are written, in order: drawn from the table's
    sequence on PostgreSQL; on SQLite, which writes one transaction at a time, the ids after the
    largest, free until this transaction commits."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        last = cursor.fetchone()[0]
        return list(range(last + 1, last + 1 + count))


def analyze(*tables: type[models.Model], grown_by: int | None = None) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; nothing on SQLite).

    Autovacuum gets round to it within a minute or so; until then PostgreSQL
    plans as if the tables held what they did before the load: a campaign to
    100,000 households imported a moment ago sorted the whole station for each
    chunk, and the preview after a large campaign ran a scan of the claims per
    customer (58 s instead of half a second).  With no table named, every table
    of the database.  With `grown_by`, only tables that rows grew by more than
    a tenth of what their statistics hold (autovacuum's own rule, but now)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # the load is not committed yet: its caller analyzes after
    names = [m._meta.db_table for m in tables]
    with connection.cursor() as cursor:
        if grown_by is not None and names:
            cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND %s > reltuples / 10",
                           [names, grown_by])
            names = [row[0] for row in cursor.fetchall()]
            if not names:
                return
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(n) for n in names)}")
