"""The only code that changes Message.status.

Each change is a conditional UPDATE naming the states it may leave, so a
transition that lost a race (a second worker, a duplicate or late receipt)
changes nothing.  The ids that did change are announced on commit."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, CharField, Q, Value, When
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


def announce(status: str, ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: message_status_changed.send(sender=Message, status=status,
                                                                  message_ids=list(ids)))


def per_row(values: dict[int, str], field: str) -> Case:
    """One UPDATE that sets a different value per row (gateway refs, error texts)."""
    return Case(*[When(pk=pk, then=Value(v)) for pk, v in values.items()], default=field,
                output_field=CharField())


def transition(ids: Iterable[int], to: str, *, extra_filter: Q | None = None, **fields) -> list[int]:
    """Move the given messages to `to` if their current state allows it; returns
    the ids that moved.  Rows are locked in id order first so two appliers
    touching the same messages queue instead of deadlocking."""
    ids = sorted(set(ids))
    if not ids:
        return []
    now = timezone.now()
    base = Message.objects.filter(pk__in=ids, status__in=ALLOWED_FROM[to])
    if extra_filter is not None:
        base = base.filter(extra_filter)
    with transaction.atomic():
        # On SQLite the IMMEDIATE transaction already holds the write lock.
        moving = list(base.select_for_update().order_by("pk").values_list("pk", flat=True))
        if not moving:
            return []
        stamp = {TIMESTAMP[to]: now} if to in TIMESTAMP else {}
        base.filter(pk__in=moving).update(status=to, updated_at=now, **stamp, **fields)
        announce(to, moving)
    return moving
