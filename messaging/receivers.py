"""What messaging does when billing announces something (core_billing/signals.py).

A payment recorded online gets a receipt SMS (a task, services/payment_receipts.py);
a self-service verification code goes to the customer's primary mobile at once.
Both are service messages (they ignore marketing opt-outs) and go through the
normal sending pipeline."""
from __future__ import annotations

import logging

from django.dispatch import receiver

from core_billing.errors import AppError
from core_billing.models import Customer, PaymentMethod
from core_billing.signals import payment_recorded, verification_code_requested

from .services.sending import message_send_one
from .templating import TopicKind

log = logging.getLogger("messaging.receivers")

CODE_BODY = "您的验证码是{{ 验证码 }}，{{ minutes }}分钟内有效。请勿告诉他人。"


@receiver(payment_recorded, dispatch_uid="messaging.payment_receipt")
def send_receipt(sender, receipt_id, method, **kwargs):
    if method != PaymentMethod.ONLINE:
        return  # the desk hands out a printed receipt
    from .services._common import schedule_soon
    from .tasks import send_payment_receipts

    try:  # one run a second sends every payment's receipt SMS of that second
        schedule_soon("payment-receipts", send_payment_receipts, 1)
    except Exception:  # the payment is committed: its notification must still be answered (beat sends it)
        log.exception("receipt SMS for receipt id %s not asked for", receipt_id)


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
