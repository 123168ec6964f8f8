"""Domain signals: billing says what happened; upper layers (messaging, webhooks)
listen.  Every signal is sent with transaction.on_commit, so a listener never
sees a payment that was rolled back, and billing never imports messaging.

    payment_recorded(receipt_id, customer_id, station_id, amount, method, paid_on)
        a payment was recorded (desk or online); sent once per receipt.
    payment_reversed(receipt_id, customer_id, station_id, amount, reason)
        a payment was reversed (冲正).
    account_status_changed(account_id, customer_id, season_id, old_status, new_status, effective_date)
        a heating status change (suspend, forced stop, resume) was recorded.
    balances_changed(customer_ids, season_id)
        balances moved for these customers (price change, correction, adjustment, ...);
        customer_ids is None when a whole season moved.
    verification_code_requested(customer_id, station_id, phone, code, minutes)
        a customer asked for a self-service verification code; the listener
        (messaging) texts `code` to `phone`; it is valid for `minutes`.
"""
from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

payment_recorded = Signal()
payment_reversed = Signal()
account_status_changed = Signal()
balances_changed = Signal()
verification_code_requested = Signal()


def send_on_commit(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender="core_billing", **kwargs))
