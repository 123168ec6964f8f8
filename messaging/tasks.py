"""Thin Celery tasks: ids in, services do the work."""
import logging

from celery import shared_task
from django.db import OperationalError

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def send_batch(message_ids: list[int]) -> None:
    from .services.pipeline import batch_send

    batch_send(message_ids=message_ids)


@shared_task(ignore_result=True)  # each receipt is claimed once, whichever run takes it
def send_payment_receipts() -> None:
    from .services.payment_receipts import payment_receipts_send

    payment_receipts_send()


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5)
def apply_receipts(self, rounds: int = 50) -> None:
    """Drain the receipt inbox, a batch per transaction, until it is empty (or `rounds` batches)."""
    from .services.receipts import receipts_apply

    try:
        for _ in range(rounds):
            if receipts_apply()["taken"] == 0:
                break
    except OperationalError as exc:  # a deadlock victim: the receipts are still in the inbox
        log.warning("applying receipts failed, will retry: %s", exc)
        raise self.retry(exc=exc, countdown=2)


@shared_task(acks_late=True, ignore_result=True)
def sweep() -> None:
    from django.core.cache import cache

    from .services.pipeline import sweep as sweep_service

    # One sweeper at a time: beat may fire while a slow sweep still runs.
    if not cache.add("messaging:sweep-lock", 1, timeout=300):
        return
    try:
        counts = sweep_service()
        if any(counts.values()):
            log.info("sweep: %s", counts)
    finally:
        cache.delete("messaging:sweep-lock")
    apply_receipts.delay()
