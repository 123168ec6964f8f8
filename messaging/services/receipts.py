"""Delivery receipts (MSG-04), applied in batches.

receipts_accept() is all a webhook does: an INSERT of the parsed receipts,
durable before the gateway gets its 200 (concurrent callbacks share one: group
commit, see groupcommit.py).  receipts_apply() (a task, kicked at
most once a second and run by beat every 15 s) takes up to `limit` stored
receipts, matches them to messages on gateway + reference (+ phone: one
Aliyun BizId covers a whole batch), and moves each message with one
conditional UPDATE per target status.  So a storm of 2,000 callbacks a second
becomes a couple of transactions a second on the messages table, and a crash
anywhere loses nothing: an applied receipt is deleted in the same
transaction that applied it, an unapplied one is still in the table.

Duplicates, late and out-of-order receipts need no special case: `delivered`
and `failed` are final and `sent` only leaves `sending`, so every update
after the first final one matches no row.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..gateways import Receipt
from ..models import Message, MessageStatus as S, PendingReceipt
from ._common import schedule_soon
from .groupcommit import GroupWriter
from .transitions import per_row, transition

log = logging.getLogger("messaging.receipts")
RANK = {"sent": 0, "delivered": 1, "failed": 1}


_COLUMNS = ("gateway", "ref", "phone", "status", "error_code", "error_text", "received_at", "tries", "unmatched")
_ROWS_PER_INSERT = 100  # 900 parameters: under SQLite's oldest limit of 999


def _insert(rows: list[tuple]) -> None:
    """The receipts as multi-row INSERTs, spelt out rather than built by the ORM (a storm is thousands a
    second; measured 9 % more of them than through bulk_create).  One statement is the usual batch and
    commits by itself; more (an Aliyun report of hundreds) share a transaction."""
    table = connection.ops.quote_name(PendingReceipt._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"

    def insert(chunk):
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES {', '.join([one] * len(chunk))}",
                           [value for row in chunk for value in row])

    if len(rows) <= _ROWS_PER_INSERT:
        insert(rows)
        return
    with transaction.atomic():
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            insert(rows[start:start + _ROWS_PER_INSERT])


def _write(rows: list[tuple]) -> None:
    """The group writer's write, outside any transaction (the webhook's).

    With CONN_HEALTH_CHECKS, Django spends a round trip checking a connection before a request's first
    query.  In a receipt storm that check was a third of each write (measured under granian: 0.9 ms of 3.0),
    and skipping it took the receipts benchmark from 1,820-2,240 receipts/s to 2,340-2,440.  So the
    write goes first, and a dead connection (the database restarted, the connection cut) shows itself
    by failing: it is closed and the write made once more on a new one.  Writing twice is safe: the
    failed INSERT committed nothing, or committed and lost its answer, and a receipt stored twice
    applies as nothing the second time."""
    connection.health_check_done = True  # Django's own flag: this request's check is taken care of here
    try:
        _insert(rows)
    except (OperationalError, InterfaceError):
        if connection.connection is not None and connection.is_usable():
            raise  # the statement failed, not the connection
        connection.close()
        _insert(rows)


_inbox = GroupWriter(_write)


def receipts_accept(*, gateway: str, receipts: list[Receipt]) -> int:
    """Store receipts; returns once they are committed.  Outside a transaction (the webhook), concurrent
    callers of this process are written together (group commit); inside one, with it."""
    if not receipts:
        return 0
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(gateway, r.ref[:64], r.phone[:20], r.status, r.error_code[:40], r.error_text[:255], at, 0, False)
            for r in receipts]
    wrote = True
    if connection.in_atomic_block:
        _insert(rows)  # the caller's transaction decides: no other caller's rows may ride on it
    else:
        wrote = _inbox.add(rows)
    if wrote:  # whoever wrote a batch asks for the applier, once for everyone in it
        from ..tasks import apply_receipts

        schedule_soon("receipts", apply_receipts, 1)
    return len(receipts)


def _take(limit: int) -> list[PendingReceipt]:
    qs = (PendingReceipt.objects.filter(unmatched=False)
          .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=timezone.now())).order_by("id"))
    if connection.features.has_select_for_update_skip_locked:
        # Two appliers split the backlog instead of waiting for each other.
        qs = qs.select_for_update(skip_locked=True)
    return list(qs[:limit])


@transaction.atomic
def receipts_apply(*, limit: int = 2000) -> dict[str, int]:
    """Apply one batch; returns counts (applied, ignored as stale, waiting for their message)."""
    batch = _take(limit)
    if not batch:
        return {"taken": 0, "applied": 0, "stale": 0, "waiting": 0}
    # One receipt per (gateway, ref, phone): a final one beats `sent`, the first final one wins.
    best: dict[tuple, PendingReceipt] = {}
    for r in batch:
        key = (r.gateway, r.ref, r.phone)
        if key not in best or RANK[r.status] > RANK[best[key].status]:
            best[key] = r
    matches: dict[tuple, int] = {}
    by_gateway: dict[str, set[str]] = {}
    for g, ref, _p in best:
        by_gateway.setdefault(g, set()).add(ref)
    for g, refs in by_gateway.items():
        refs = list(refs)
        for i in range(0, len(refs), 900):
            for pk, ref, phone in Message.objects.filter(gateway=g, gateway_ref__in=refs[i:i + 900]).values_list(
                    "pk", "gateway_ref", "phone"):
                matches[(g, ref, phone)] = pk
                matches.setdefault((g, ref, ""), pk)  # receipts that name no phone (Twilio's SID is unique)
    targets: dict[str, dict[int, PendingReceipt]] = {"sent": {}, "delivered": {}, "failed": {}}
    waiting = []
    for key, receipt in best.items():
        pk = matches.get(key)
        if pk is None:
            waiting.append(receipt.pk)
            continue
        targets[receipt.status][pk] = receipt
    applied = 0
    applied += len(transition(targets["sent"], S.SENT))
    applied += len(transition(targets["delivered"], S.DELIVERED, error_code="", error_text=""))
    failed = targets["failed"]
    if failed:
        applied += len(transition(failed, S.FAILED,
                                  error_code=per_row({pk: r.error_code or "undelivered" for pk, r in failed.items()}),
                                  error_text=per_row({pk: r.error_text or "未送达" for pk, r in failed.items()})))
    waiting_set = set(waiting)
    done = [r.pk for r in batch if r.pk not in waiting_set]
    # Receipts whose message is unknown yet stay; everything else is consumed.
    for i in range(0, len(done), 900):
        PendingReceipt.objects.filter(pk__in=done[i:i + 900]).delete()
    if waiting:
        _park([r for r in batch if r.pk in waiting_set])
    return {"taken": len(batch), "applied": applied, "stale": len(best) - len(waiting) - applied,
            "waiting": len(waiting)}


def _park(receipts: list[PendingReceipt]) -> None:
    """Receipts that overtook their send result wait and are tried again after
    1, 2, 4 ... 60 s (the pipeline also kicks a run after recording results),
    until SMS_RECEIPT_MATCH_WINDOW gives up on them."""
    from ..tasks import apply_receipts

    now = timezone.now()
    by_tries: dict[int, list[int]] = {}
    for r in receipts:
        if r.tries == 0:
            log.info("receipt %s:%s (%s) matches no message yet; will retry", r.gateway, r.ref, r.status)
        by_tries.setdefault(r.tries + 1, []).append(r.pk)
    for tries, ids in by_tries.items():
        PendingReceipt.objects.filter(pk__in=ids).update(
            tries=tries, next_try_at=now + timedelta(seconds=min(60, 2 ** (tries - 1))))
    schedule_soon("receipts-waiting", apply_receipts, 1, when_eager=False)


def expire_unmatched(*, now=None) -> dict[str, int]:
    """Receipts that matched nothing for SMS_RECEIPT_MATCH_WINDOW: logged, kept a week for inspection."""
    now = now or timezone.now()
    window = now - timedelta(seconds=settings.SMS_RECEIPT_MATCH_WINDOW)
    old = PendingReceipt.objects.filter(unmatched=False, received_at__lt=window)
    expired = 0
    for r in old[:1000]:
        log.warning("receipt for unknown message: gateway=%s ref=%s status=%s", r.gateway, r.ref, r.status)
        expired += 1
    if expired:
        PendingReceipt.objects.filter(pk__in=[r.pk for r in old[:1000]]).update(unmatched=True)
    purged, _ = PendingReceipt.objects.filter(unmatched=True, received_at__lt=now - timedelta(days=7)).delete()
    return {"unmatched": expired, "purged": purged}


def pending_count() -> int:
    return PendingReceipt.objects.filter(unmatched=False).count()
