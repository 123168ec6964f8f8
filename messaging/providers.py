"""Placeholder values that come from the layer below: billing's balances, pay
links and receipts.

Registered at ready(); bulk, so a campaign of 100,000 renders with the few
queries of billing_placeholders and paylinks_for_customers rather than one
per customer."""
from __future__ import annotations

from decimal import Decimal

from core_billing.models import Receipt
from core_billing.paylinks import receipt_url
from core_billing.selectors.billing import billing_placeholders
from core_billing.services.paylinks import paylinks_for_customers

from .context import RenderTarget, register_context_provider

MONEY_KEYS = ("unit_price", "amount_due", "late_fee", "total_owed")


def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def billing_values(targets: list[RenderTarget]) -> list[dict]:
    customers = {t.customer.pk: t.customer for t in targets if t.customer is not None}
    found = billing_placeholders(customers.values())
    out = []
    for t in targets:
        row = found.get(t.customer.pk) if t.customer is not None else None
        if row is None:
            out.append({})  # no customer: strict rendering names the missing placeholder
            continue
        out.append({"season": row["season"], "arrears_seasons": str(row["arrears_seasons"]),
                    **{key: _money(row[key]) for key in MONEY_KEYS}})
    return out


def pay_link_values(targets: list[RenderTarget]) -> list[dict]:
    """A signed, expiring link per customer; live links are reused, missing ones made in one insert."""
    customers = {t.customer.pk: t.customer for t in targets if t.customer is not None}
    urls = paylinks_for_customers(customers.values())
    return [{"pay_link": urls[t.customer.pk]} if t.customer is not None else {} for t in targets]


def payment_values(targets: list[RenderTarget]) -> list[dict]:
    """The receipt a message is about (extra["receipt_id"]), else the customer's latest
    (the topic editor's preview)."""
    ids = {t.extra["receipt_id"] for t in targets if t.extra.get("receipt_id")}
    found = Receipt.objects.in_bulk(ids) if ids else {}
    out = []
    for t in targets:
        receipt = found.get(t.extra.get("receipt_id"))
        if receipt is None and t.customer is not None:
            receipt = Receipt.objects.filter(customer_id=t.customer.pk).order_by("-received_at", "-id").first()
        if receipt is None:
            out.append({})
            continue
        out.append({"paid_amount": _money(receipt.amount), "receipt_no": receipt.number,
                    "receipt_link": receipt_url(receipt.pk)})
    return out


def register() -> None:
    register_context_provider("billing", bulk=billing_values, customer_fields=(
        "customer_type_id", "metering_mode", "due_current", "late_fee_total", "arrears_total", "old_arrears",
        "arrears_seasons", "balance_as_of"))
    register_context_provider("pay_link", bulk=pay_link_values, customer_fields=())
    register_context_provider("payment", bulk=payment_values, customer_fields=())
