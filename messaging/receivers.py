"""What messaging does when billing announces something (core_billing/signals.py).

A payment recorded online gets a receipt SMS; a self-service verification
code goes to the customer's primary mobile.  Both are service messages (they
ignore marketing opt-outs) and go through the normal sending pipeline.  The
receipt SMS uses the topic named RECEIPT_TOPIC (the customer's station's own
first, then a company-wide one) when there is an active one, else built-in
wording."""
from __future__ import annotations

import logging

from django.dispatch import receiver

from core_billing.errors import AppError
from core_billing.models import Customer, PaymentMethod, Receipt
from core_billing.paylinks import receipt_url
from core_billing.signals import payment_recorded, verification_code_requested

from .models import Topic
from .services.sending import message_send_one
from .templating import TopicKind

log = logging.getLogger("messaging.receivers")

RECEIPT_TOPIC = "缴费回执"
RECEIPT_BODY = ("您已成功缴纳供热费{{ 缴费金额 }}元，收据号{{ 收据号 }}，电子收据：{{ 收据链接 }} "
                "如有疑问请拨打{{ 客服热线 }}。")
CODE_BODY = "您的验证码是{{ 验证码 }}，{{ minutes }}分钟内有效。请勿告诉他人。"


def receipt_topic(station_id: int) -> Topic | None:
    return (Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True)
            .filter(station_id__in=[station_id]).first()
            or Topic.objects.filter(name=RECEIPT_TOPIC, kind=TopicKind.SERVICE, is_active=True,
                                    station__isnull=True).first())


@receiver(payment_recorded, dispatch_uid="messaging.payment_receipt")
def send_receipt(sender, receipt_id, customer_id, station_id, amount, method, **kwargs):
    if method != PaymentMethod.ONLINE:
        return  # the desk hands out a printed receipt
    customer = Customer.objects.select_related("building__community").filter(pk=customer_id).first()
    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if customer is None or receipt is None or not customer.mobile:
        return
    topic = receipt_topic(station_id)
    values = {"paid_amount": f"{receipt.amount:.2f}", "receipt_no": receipt.number,
              "receipt_link": receipt_url(receipt.pk)}
    try:
        message_send_one(actor=None, customer=customer, topic=topic, body="" if topic else RECEIPT_BODY,
                         kind=TopicKind.SERVICE, values=values)
    except AppError as exc:
        log.warning("receipt SMS for receipt %s not sent: %s", receipt.number, exc.message)
    except Exception:  # the payment is committed: its notification must still be answered
        log.exception("receipt SMS for receipt %s not sent", receipt.number)


@receiver(verification_code_requested, dispatch_uid="messaging.verification_code")
def send_code(sender, customer_id, station_id, phone, code, minutes, **kwargs):
    customer = Customer.objects.select_related("building__community").filter(pk=customer_id).first()
    if customer is None:
        return
    body = CODE_BODY.replace("{{ minutes }}", str(int(minutes)))
    try:
        message_send_one(actor=None, customer=customer, phone=phone, body=body, kind=TopicKind.SERVICE,
                         values={"verification_code": code})
    except AppError as exc:
        log.warning("verification code SMS not sent: %s", exc.message)
    except Exception:
        log.exception("verification code SMS not sent")
