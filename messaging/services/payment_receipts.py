"""The receipt SMS for payments made online (BIL-17).

A service message (it ignores marketing opt-outs) through the normal
sending pipeline.  It uses the topic named RECEIPT_TOPIC (the customer's
station's own first, then a company-wide one) when there is an active one,
else built-in wording.

Not in the provider's notification request: the provider waits for its
"success" and the pay page shares the web workers.  A payment only asks for
a run (at most one a second, however many payments come); the run sends every
recent online payment's receipt SMS not yet claimed, many in one go (a
message per receipt in one statement, then sent in batches), and beat runs it
every minute in case a run was asked for and lost.  The claim (ReceiptSms,
unique per receipt) is taken in the transaction that writes the messages, so
each receipt gets its SMS once: a second would look like a second payment.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core_billing.models import PaymentMethod, Receipt
from core_billing.paylinks import receipt_url

from ..models import ReceiptSms, Topic
from ..templating import TopicKind
from .pipeline import batch_send
from .sending import Recipient, messages_create_bulk

log = logging.getLogger("messaging.receipt_sms")

RECEIPT_TOPIC = "缴费回执"
RECEIPT_BODY = ("您已成功缴纳供热费{{ 缴费金额 }}元，收据号{{ 收据号 }}，电子收据：{{ 收据链接 }} "
                "如有疑问请拨打{{ 客服热线 }}。")
# Payments older than this get no receipt SMS any more (one a day late would confuse more than it tells).
WINDOW = timedelta(hours=24)
BATCH = 500


def receipt_topic(station_id: int) -> Topic | None:
    return (Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True)
            .filter(station_id=station_id).first()
            or Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True,
                                    station__isnull=True).first())


@transaction.atomic
def _claim_and_write(limit: int) -> tuple[int, list[int]]:
    """(receipts claimed, ids of the messages written for them)."""
    unclaimed = (Receipt.objects.filter(method=PaymentMethod.ONLINE, received_at__gte=timezone.now() - WINDOW)
                 .exclude(Exists(ReceiptSms.objects.filter(receipt_id=OuterRef("pk"))))
                 .order_by("pk").values_list("pk", flat=True)[:limit])
    token = uuid.uuid4().hex
    # A run at the same moment claims the same receipts: the unique receipt decides, and each keeps its own.
    ReceiptSms.objects.bulk_create([ReceiptSms(receipt_id=pk, token=token) for pk in unclaimed],
                                   ignore_conflicts=True)
    mine = list(Receipt.objects.filter(pk__in=ReceiptSms.objects.filter(token=token).values("receipt_id"))
                .select_related("customer__building__community").order_by("pk"))
    by_station: dict[int, list[Receipt]] = {}
    for receipt in mine:
        if receipt.customer.mobile:
            by_station.setdefault(receipt.customer.station_id, []).append(receipt)
    linked: list[ReceiptSms] = []
    for station, receipts in by_station.items():
        recipients = [Recipient(customer=r.customer, values={
            "paid_amount": f"{r.amount:.2f}", "receipt_no": r.number, "receipt_link": receipt_url(r.pk)})
            for r in receipts]
        topic = receipt_topic(station)
        result = messages_create_bulk(actor=None, recipients=recipients, topic=topic,
                                      body="" if topic else RECEIPT_BODY, kind=TopicKind.SERVICE, queue=False)
        skipped = {id(s.recipient): s for s in result.skipped}
        written = iter(result.message_ids)  # in recipient order, the skipped left out
        for receipt, recipient in zip(receipts, recipients):
            if id(recipient) in skipped:
                log.warning("receipt SMS for receipt %s not sent: %s", receipt.number, skipped[id(recipient)].label)
            else:
                linked.append(ReceiptSms(receipt_id=receipt.pk, message_id=next(written)))
    ReceiptSms.objects.bulk_update(linked, ["message"], batch_size=500)
    return len(mine), [claim.message_id for claim in linked]


def payment_receipts_send(*, limit: int = BATCH) -> dict[str, int]:
    """Write and send the receipt SMS of recent online payments that have none; returns counts."""
    claimed = sent = 0
    while True:
        taken, ids = _claim_and_write(limit)
        claimed += taken
        # After the commit, not inside it: the gateway is a network call.  Should this run die
        # before sending, the sweeper queues the messages as it does any lost one.
        for start in range(0, len(ids), settings.SMS_BATCH_SIZE):
            batch_send(message_ids=ids[start:start + settings.SMS_BATCH_SIZE])
        sent += len(ids)
        if taken < limit:
            return {"claimed": claimed, "messages": sent}
