"""The worker side of sending: claim, call the gateway outside any
transaction, record, retry, sweep.

    batch_send(message_ids)   claim queued/errored rows (queued|errored → sending, with a claim token),
                              send them through their gateway under the global rate limit, record the
                              results in one transaction; transient failures come back as `errored` with
                              a retry task scheduled (countdown below the broker's visibility timeout).
    sweep()                   messages stuck in `sending` (worker died) → errored/failed; lost queue
                              entries and lost retries are enqueued again.

Results are recorded only where the row still carries this worker's claim
token and is still `sending`: a message the sweeper took back cannot be
overwritten by a worker that woke up late.
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..gateways import GatewayError, OutgoingSms, SendResult, get_gateway
from ..gateways.base import AMBIGUOUS_ERRORS
from ..models import Message, MessageStatus as S, PendingReceipt
from ..ratelimit import Throttle
from .sending import enqueue
from .transitions import ALLOWED_FROM, announce, per_row, transition

log = logging.getLogger("messaging.pipeline")


def retry_countdown(attempts_made: int) -> int:
    backoff = settings.SMS_RETRY_BACKOFF
    seconds = backoff[min(attempts_made, len(backoff)) - 1]
    # A countdown longer than the visibility timeout would make Redis hand the
    # task to a second worker while the first still holds it.
    return int(min(seconds, settings.BROKER_VISIBILITY_TIMEOUT - 60))


def claim(message_ids: list[int]) -> tuple[str, list[dict]]:
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = Message.objects.filter(pk__in=message_ids, status__in=ALLOWED_FROM[S.SENDING]).update(
        status=S.SENDING, claim=token, claimed_at=now, updated_at=now, attempts=F("attempts") + 1,
        next_attempt_at=None)
    if not claimed:
        return token, []
    rows = list(Message.objects.filter(claim=token, status=S.SENDING)
                .values("id", "phone", "body", "gateway", "attempts", "error_code", "created_at").order_by("id"))
    return token, rows


def already_sent(gateway, throttle, rows: list[dict]) -> list[SendResult]:
    """Rows whose last attempt may have reached the gateway (a timeout, a 5xx, a
    worker that died mid-batch): ask the gateway before sending them again, so a
    crash or an outage does not turn into duplicates on customers' phones."""
    ambiguous = [r for r in rows if r["error_code"] in AMBIGUOUS_ERRORS]
    if not ambiguous:
        return []
    since = min(r["created_at"] for r in ambiguous)
    try:
        found = gateway.find_sent([OutgoingSms(r["id"], r["phone"], r["body"]) for r in ambiguous], since, throttle)
    except Exception:  # a failed lookup only means we cannot tell: send again
        log.exception("gateway %s lookup failed", gateway.name)
        return []
    taken = set(Message.objects.filter(gateway=gateway.name, gateway_ref__in=list(found.values()))
                .values_list("gateway_ref", flat=True))
    return [SendResult(message_id, True, ref=ref) for message_id, ref in found.items() if ref not in taken]


def call_gateway(gateway_name: str, rows: list[dict]) -> list[SendResult]:
    """No transaction is open here: a slow gateway must not hold row locks."""
    try:
        gateway = get_gateway(gateway_name)
    except GatewayError as exc:
        return [SendResult(r["id"], False, error_code=exc.code, error_text=str(exc), permanent=exc.permanent)
                for r in rows]
    throttle = Throttle(f"gateway:{gateway_name}", gateway.rate)
    results: list[SendResult] = already_sent(gateway, throttle, rows)
    if results:
        done = {r.message_id for r in results}
        log.info("gateway %s already had %s of the messages being retried", gateway_name, len(done))
        rows = [r for r in rows if r["id"] not in done]
    for start in range(0, len(rows), gateway.max_batch):
        chunk = [OutgoingSms(r["id"], r["phone"], r["body"]) for r in rows[start:start + gateway.max_batch]]
        try:
            results.extend(gateway.send_batch(chunk, throttle))
        except GatewayError as exc:
            results.extend(SendResult(m.message_id, False, error_code=exc.code, error_text=str(exc)[:255],
                                      permanent=exc.permanent) for m in chunk)
        except Exception as exc:  # a gateway bug must not strand messages in `sending`
            log.exception("gateway %s crashed", gateway_name)
            results.extend(SendResult(m.message_id, False, error_code="gateway_error",
                                      error_text=gateway.redact(exc)[:255]) for m in chunk)
    return results


@transaction.atomic
def record_results(token: str, rows: list[dict], results: list[SendResult]) -> dict[str, list[int]]:
    attempts = {r["id"]: r["attempts"] for r in rows}
    ok = {r.message_id: r.ref for r in results if r.ok}
    done = {"sent": [], "failed": [], "errored": []}
    if ok:
        done["sent"] = transition(ok, S.SENT, claim=token, gateway_ref=per_row(ok), error_code="", error_text="")
    failures = [r for r in results if not r.ok]
    final = [r for r in failures if r.permanent or attempts[r.message_id] >= settings.SMS_MAX_ATTEMPTS]
    again = [r for r in failures if r not in final]
    if final:
        done["failed"] = transition(
            [r.message_id for r in final], S.FAILED, claim=token,
            error_code=per_row({r.message_id: r.error_code[:40] for r in final}),
            error_text=per_row({r.message_id: (r.error_text or r.error_code)[:255] for r in final}))
    by_countdown: dict[int, list[SendResult]] = defaultdict(list)
    for r in again:
        by_countdown[retry_countdown(attempts[r.message_id])].append(r)
    for countdown, group in by_countdown.items():
        moved = transition(
            [r.message_id for r in group], S.ERRORED, claim=token,
            next_attempt_at=timezone.now() + timedelta(seconds=countdown),
            error_code=per_row({r.message_id: r.error_code[:40] for r in group}),
            error_text=per_row({r.message_id: (r.error_text or r.error_code)[:255] for r in group}))
        done["errored"].extend(moved)
        if moved:
            from ..tasks import send_batch

            transaction.on_commit(lambda ids=moved, c=countdown: send_batch.apply_async((ids,), countdown=c))
    return done


def batch_send(*, message_ids: list[int]) -> dict[str, list[int]]:
    token, rows = claim(message_ids)
    if not rows:
        return {"sent": [], "failed": [], "errored": []}
    by_gateway: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_gateway[row["gateway"]].append(row)
    results: list[SendResult] = []
    for name, group in by_gateway.items():
        results.extend(call_gateway(name, group))
    seen = {r.message_id for r in results}
    # A gateway that forgot a message must not leave it in `sending`.
    results.extend(SendResult(r["id"], False, error_code="no_result", error_text="网关没有返回结果")
                   for r in rows if r["id"] not in seen)
    done = record_results(token, rows, results)
    if done["sent"]:
        kick_receipts()  # receipts that overtook these results can match now
    return done


def kick_receipts() -> None:
    """Receipts that overtook these send results wait in the inbox: apply them soon."""
    from ..tasks import apply_receipts
    from ._common import schedule_soon

    if PendingReceipt.objects.filter(unmatched=False).exists():
        schedule_soon("receipts-waiting", apply_receipts, 1, when_eager=False)


def sweep(*, now=None, limit: int = 5000) -> dict[str, int]:
    """Put right what a crash or a lost task left behind."""
    from .receipts import expire_unmatched

    now = now or timezone.now()
    counts = {"stuck": 0, "requeued": 0, "retried": 0}
    stuck = list(Message.objects.filter(status=S.SENDING, claimed_at__lt=now - timedelta(
        seconds=settings.SMS_SENDING_TIMEOUT)).values("id", "attempts", "claim")[:limit])
    if stuck:
        # The worker died mid-call: the gateway may or may not have the message.
        # Retrying risks a duplicate, not retrying risks a loss; SMS notices
        # prefer the duplicate, and the attempt still counts.
        by_claim: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for r in stuck:
            by_claim[(r["claim"], r["attempts"] >= settings.SMS_MAX_ATTEMPTS)].append(r["id"])
        moved: list[int] = []
        with transaction.atomic():
            # Only the claim that got stuck: a message claimed again meanwhile keeps going.
            for (claim_token, last), ids in by_claim.items():
                if last:
                    transition(ids, S.FAILED, claim=claim_token, error_code="worker_lost", error_text="发送进程中断")
                else:
                    moved += transition(ids, S.ERRORED, claim=claim_token, error_code="worker_lost",
                                        error_text="发送进程中断，将重试", next_attempt_at=now)
        counts["stuck"] = len(stuck)
        enqueue(moved)
    # A queued message is only "lost" once it has waited longer than any
    # backlog should last; enqueueing it again is harmless (the claim decides).
    lost_queue = list(Message.objects.filter(status=S.QUEUED, created_at__lt=now - timedelta(
        seconds=settings.SMS_QUEUED_STALE_AFTER))
                      .order_by("id").values_list("id", flat=True)[:limit])
    counts["requeued"] = len(lost_queue)
    enqueue(lost_queue)
    lost_retry = list(Message.objects.filter(status=S.ERRORED, next_attempt_at__lt=now - timedelta(
        seconds=settings.SMS_RETRY_LOST_AFTER))
                      .order_by("id").values_list("id", flat=True)[:limit])
    counts["retried"] = len(lost_retry)
    enqueue(lost_retry)
    counts.update(expire_unmatched(now=now))
    return counts


__all__ = ["announce", "batch_send", "claim", "record_results", "retry_countdown", "sweep"]
