"""The receipt SMS for a payment made online (BIL-17).

A service message (it ignores marketing opt-outs) through the normal
sending pipeline.  It uses the topic named RECEIPT_TOPIC (the customer's
station's own first, then a company-wide one) when there is an active one,
else built-in wording.  Run by a task, not in the provider's notification
request: the provider waits for its "success" and the pay page shares the
web workers.  The task writes the message and sends it itself."""
from __future__ import annotations

import logging

from core_billing.errors import AppError
from core_billing.models import Receipt
from core_billing.paylinks import receipt_url

from ..models import Message, Topic
from ..templating import TopicKind
from .pipeline import batch_send
from .sending import message_send_one

log = logging.getLogger("messaging.receipt_sms")

RECEIPT_TOPIC = "缴费回执"
RECEIPT_BODY = ("您已成功缴纳供热费{{ 缴费金额 }}元，收据号{{ 收据号 }}，电子收据：{{ 收据链接 }} "
                "如有疑问请拨打{{ 客服热线 }}。")


def receipt_topic(station_id: int) -> Topic | None:
    return (Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True)
            .filter(station_id=station_id).first()
            or Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True,
                                    station__isnull=True).first())


def payment_receipt_send(*, receipt_id: int) -> Message | None:
    receipt = Receipt.objects.select_related("customer__building__community").filter(pk=receipt_id).first()
    if receipt is None or not receipt.customer.mobile:
        return None
    customer = receipt.customer
    topic = receipt_topic(customer.station_id)
    values = {"paid_amount": f"{receipt.amount:.2f}", "receipt_no": receipt.number,
              "receipt_link": receipt_url(receipt.pk)}
    try:
        message = message_send_one(actor=None, customer=customer, topic=topic, body="" if topic else RECEIPT_BODY,
                                   kind=TopicKind.SERVICE, values=values, queue=False)
    except AppError as exc:
        log.warning("receipt SMS for receipt %s not sent: %s", receipt.number, exc.message)
        return None
    batch_send(message_ids=[message.pk])  # here, not through a second task: this is a task already
    return message
