"""Writes messages to the log instead of sending them (development, no network)."""
from __future__ import annotations

import logging
import uuid

from core_billing.phones import mask_phone

from .base import OutgoingSms, SendResult, SmsGateway, WebhookRequest

log = logging.getLogger("messaging.console")


class ConsoleGateway(SmsGateway):
    """Every message is "sent" at once and logged.  No receipts ever come, so
    messages stay `sent`; nothing posts to its webhooks, which refuse all."""

    rate = 1000.0

    def send_batch(self, messages, throttle):
        out = []
        for sms in messages:
            throttle.take()
            log.info("SMS to %s (%d chars): %s", mask_phone(sms.phone), len(sms.body), sms.body)
            out.append(SendResult(sms.message_id, True, ref=f"console-{uuid.uuid4().hex[:24]}"))
        return out

    def verify(self, request: WebhookRequest) -> bool:
        return False

    def parse_status(self, request):
        return []

    def parse_inbound(self, request):
        return []
