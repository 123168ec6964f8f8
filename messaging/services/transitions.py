"""The only code that changes Message.status.

Each change is one conditional UPDATE naming the states it may leave (and,
for a worker's results, its claim token), returning the ids that actually
moved; a transition that lost a race — a second worker, a duplicate or late
receipt — matches no row and changes nothing.  The moved ids are announced
on commit.

It is written as SQL rather than through the ORM because a batch sets a
different gateway reference or error per row: compiling that as 100 When()
objects cost more CPU than sending the messages.  On PostgreSQL the rows are
locked in id order first, so two appliers updating overlapping messages
queue instead of deadlocking.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..models import Message, MessageStatus as S
from ..signals import message_status_changed

# Which states each target may be entered from.
ALLOWED_FROM = {
    S.SENDING: (S.QUEUED, S.ERRORED),
    S.SENT: (S.SENDING,),
    S.DELIVERED: (S.SENDING, S.SENT),
    S.ERRORED: (S.SENDING,),
    S.FAILED: (S.SENDING, S.SENT),
    S.QUEUED: (),  # nothing ever goes back to queued
}
TIMESTAMP = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.FAILED: "failed_at"}


class PerRow(dict):
    """{message id: value} for a column that differs per row."""


def per_row(values: dict[int, str], field: str | None = None) -> PerRow:
    return PerRow(values)


def announce(status: str, ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: message_status_changed.send(sender=Message, status=status,
                                                                  message_ids=list(ids)))


def _param(value):
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def transition(ids: Iterable[int], to: str, *, claim: str | None = None, **fields) -> list[int]:
    """Move the given messages to `to` where their state allows it; returns the ids that moved."""
    ids = sorted(set(ids))
    if not ids:
        return []
    now = timezone.now()
    values = {"status": to, "updated_at": now, **({TIMESTAMP[to]: now} if to in TIMESTAMP else {}), **fields}
    table = connection.ops.quote_name(Message._meta.db_table)
    sets, params = [], []
    for column, value in values.items():
        name = connection.ops.quote_name(Message._meta.get_field(column).column)
        if isinstance(value, PerRow):
            cases = []
            for pk in ids:
                if pk in value:
                    cases.append("WHEN %s THEN %s")
                    params.extend([pk, value[pk]])
            sets.append(f"{name} = CASE id {' '.join(cases)} ELSE {name} END" if cases else f"{name} = {name}")
        else:
            sets.append(f"{name} = %s")
            params.append(_param(value))
    where = [f"id IN ({', '.join(['%s'] * len(ids))})",
             f"status IN ({', '.join(['%s'] * len(ALLOWED_FROM[to]))})"]
    where_params: list = [*ids, *ALLOWED_FROM[to]]
    if claim is not None:
        where.append("claim = %s")
        where_params.append(claim)
    condition = " AND ".join(where)
    if connection.vendor == "postgresql":
        condition = f"id IN (SELECT id FROM {table} WHERE {condition} ORDER BY id FOR UPDATE)"
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {condition} RETURNING id"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        moved = sorted(row[0] for row in cursor.fetchall())
        announce(to, moved)
    return moved
