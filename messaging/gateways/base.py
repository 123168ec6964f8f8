"""The gateway interface.  A gateway is a class chosen by dotted path in
settings.SMS_GATEWAYS (like Django's email backends); the pipeline and the
webhooks only ever talk to this interface."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Mapping

from core_billing.phones import mask_phone

log = logging.getLogger("messaging.gateways")


@dataclass(frozen=True)
class OutgoingSms:
    message_id: int
    phone: str  # E.164
    body: str  # the whole text as the phone shows it, 【signature】 included


# Errors after which the provider may have accepted the message all the same.
AMBIGUOUS_ERRORS = frozenset({"timeout", "worker_lost", "gateway_error", "500", "502", "503", "504", "20500",
                              "20503"})


@dataclass(frozen=True)
class SendResult:
    message_id: int
    ok: bool
    ref: str = ""  # the gateway's id for the message (Twilio SID, Aliyun BizId)
    error_code: str = ""
    error_text: str = ""
    permanent: bool = False  # retrying cannot help (bad number, refused content, bad credentials)


@dataclass(frozen=True)
class Receipt:
    ref: str
    phone: str  # E.164, or "" when the gateway does not say
    status: str  # "sent", "delivered" or "failed"
    error_code: str = ""
    error_text: str = ""


@dataclass(frozen=True)
class InboundSms:
    ref: str
    phone: str  # E.164 of the sender
    to: str
    body: str


@dataclass(frozen=True)
class WebhookRequest:
    """What a webhook adapter hands a gateway: the raw body, never a parsed form."""
    method: str
    urls: tuple[str, ...]  # the URL the gateway called, in every form worth trying (public URL first)
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str]


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    content_type: str
    body: str


class GatewayError(Exception):
    """A whole call failed.  `permanent` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool, code: str = ""):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class Throttle:  # the protocol the pipeline passes in (see ratelimit.Throttle)
    def take(self, n: int = 1) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SmsGateway:
    """Send batches; verify and parse receipts and inbound messages.

    Subclasses set `max_batch` (how many messages one send_batch call may
    take) and keep every credential in `secrets()` so nothing logs them."""

    max_batch = 100
    rate = 100.0  # messages per second allowed by the provider (settings override)

    def __init__(self, *, name: str, rate: float | None = None, **options):
        self.name = name
        if rate is not None:
            self.rate = float(rate)
        self.options = options

    def __repr__(self):  # never the options: they hold credentials
        return f"<{type(self).__name__} {self.name}>"

    # --- credentials --------------------------------------------------------------------
    def secrets(self) -> list[str]:
        return []

    def redact(self, text: object) -> str:
        out = str(text)
        for secret in self.secrets():
            if secret and len(secret) >= 4:
                out = out.replace(secret, "***")
        return re.sub(r"(?i)(authorization:?\s*basic\s+)[A-Za-z0-9+/=]+", r"\1***", out)

    def log_failure(self, sms: OutgoingSms | None, what: str, detail: object) -> None:
        who = mask_phone(sms.phone) if sms else "-"
        log.warning("%s: %s for %s: %s", self.name, what, who, self.redact(detail))

    # --- sending --------------------------------------------------------------------------
    def send_batch(self, messages: list[OutgoingSms], throttle: Throttle) -> list[SendResult]:
        raise NotImplementedError

    def find_sent(self, messages: list[OutgoingSms], since, throttle: Throttle) -> dict[int, str]:
        """{message id: gateway ref} for those the provider already accepted since `since`.

        Asked before re-sending a message whose earlier attempt may have reached the
        provider (a timeout, a 5xx, a worker killed mid-batch), so a crash does not
        become a duplicate.  A gateway that cannot tell returns {} (resend: a
        duplicate rather than a loss)."""
        return {}

    # --- webhooks -------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        """True when the request provably comes from the provider."""
        raise NotImplementedError

    def parse_status(self, request: WebhookRequest) -> list[Receipt]:
        raise NotImplementedError

    def parse_inbound(self, request: WebhookRequest) -> list[InboundSms]:
        raise NotImplementedError

    def status_answer(self) -> WebhookAnswer:
        return WebhookAnswer(200, "text/plain", "")

    def inbound_answer(self) -> WebhookAnswer:
        return WebhookAnswer(200, "text/plain", "")
