"""Placeholder values that come from the layer below: billing's balances.

Registered at ready(); bulk, so a campaign of 100,000 renders with the few
queries of billing_placeholders rather than one per customer."""
from __future__ import annotations

from decimal import Decimal

from core_billing.selectors.billing import billing_placeholders

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


def register() -> None:
    register_context_provider("billing", bulk=billing_values)
