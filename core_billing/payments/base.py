from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping


class ProviderError(Exception):
    """The provider cannot be used (not configured, its API refused or is down)."""


class InvalidNotification(Exception):
    """A notification that fails verification (signature, timestamp, format): change nothing."""


@dataclass(frozen=True)
class NotifyRequest:
    headers: Mapping[str, str]
    body: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified notification, reduced to what we check and record."""

    out_trade_no: str
    provider_txn_id: str
    amount: Decimal
    paid: bool
    paid_at: dt.datetime | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutContext:
    notify_url: str
    return_url: str
    client_ip: str = ""
    subject: str = "供热费"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str = ""
    content_type: str = "text/plain"


class PaymentProvider:
    label = ""  # shown on the pay page

    def __init__(self, name: str, options: dict[str, Any]):
        self.name = name
        self.options = options

    def is_configured(self) -> bool:
        return True

    def start(self, order, ctx: CheckoutContext) -> str:
        """The URL the customer's browser goes to for this order.  Called outside
        any database transaction: it may call the provider's API."""
        raise NotImplementedError

    def parse_notification(self, request: NotifyRequest) -> Notification:
        raise NotImplementedError

    def answer(self, ok: bool) -> Answer:
        """What the provider expects: ok stops its retries, not ok asks it to retry."""
        raise NotImplementedError

    def refused(self) -> Answer:
        """The answer to a notification that failed verification."""
        return Answer(403, "invalid signature")

    def checkout_origins(self) -> list[str]:
        """Where the pay form's redirect goes: the CSP's form-action must allow them
        (browsers apply it to the redirect after a form is posted)."""
        return []


def yuan(amount: Decimal) -> str:
    return f"{Decimal(amount):.2f}"
