"""Receipt SMS for online payments: one per receipt however many runs, sent in batches, a lost run made good."""
import datetime as dt

import pytest
from django.utils import timezone

from core_billing.services.ledger import payment_take
from messaging.models import Message, ReceiptSms
from messaging.services.payment_receipts import payment_receipts_send
from tests.core_billing.payfix import open_season

pytestmark = pytest.mark.django_db


def pay_online(customer, txn, amount="100.00"):
    return payment_take(actor=None, customer=customer, amount=amount, method="online", provider="simulator",
                        provider_txn_id=txn).receipt


def test_every_payment_of_a_run_gets_one_receipt_sms(org, sim, django_capture_on_commit_callbacks):
    open_season()
    with django_capture_on_commit_callbacks(execute=False) as asked:  # the runs the payments ask for, not run
        paid = [pay_online(org.customer1, "T1"), pay_online(org.customer2, "T2"), pay_online(org.customer1, "T3")]
    assert asked and not Message.objects.exists()
    assert payment_receipts_send() == {"claimed": 3, "messages": 3}
    for receipt in paid:
        message = ReceiptSms.objects.get(receipt=receipt).message
        assert receipt.number in message.body and f"{receipt.amount:.2f}" in message.body
        assert message.customer_id == receipt.customer_id and message.status == "sent"
    assert len(sim.received(org.customer1.mobile)) == 2 and len(sim.received(org.customer2.mobile)) == 1
    # the run a lost task would have made, and the next minute's: nothing is sent twice
    assert payment_receipts_send() == {"claimed": 0, "messages": 0}
    assert Message.objects.count() == 3


def test_a_customer_without_a_mobile_is_claimed_and_sent_nothing(org, sim, django_capture_on_commit_callbacks):
    open_season()
    with django_capture_on_commit_callbacks(execute=False):
        receipt = pay_online(org.customer1b, "T9")
    assert payment_receipts_send() == {"claimed": 1, "messages": 0}
    assert ReceiptSms.objects.get(receipt=receipt).message is None and not Message.objects.exists()


def test_desk_payments_and_claimed_ones_are_left_alone(org, sim, django_capture_on_commit_callbacks):
    open_season()
    with django_capture_on_commit_callbacks(execute=False):
        payment_take(actor=org.collector1, customer=org.customer1, amount="100", method="cash")
        taken = pay_online(org.customer2, "TAKEN")
    ReceiptSms.objects.create(receipt=taken, token="another-run")
    assert payment_receipts_send() == {"claimed": 0, "messages": 0}
    assert not Message.objects.exists()


def test_payments_older_than_the_window_get_no_sms(org, sim, django_capture_on_commit_callbacks, monkeypatch):
    from messaging.services import payment_receipts

    open_season()
    with django_capture_on_commit_callbacks(execute=False):
        old = pay_online(org.customer1, "OLD")
    # a day later, as far as the window is concerned: the payment is older than it
    monkeypatch.setattr(payment_receipts, "WINDOW", timezone.now() - old.received_at - dt.timedelta(seconds=1))
    assert payment_receipts_send() == {"claimed": 0, "messages": 0}
    monkeypatch.setattr(payment_receipts, "WINDOW", dt.timedelta(hours=24))
    assert payment_receipts_send() == {"claimed": 1, "messages": 1}


def test_a_payment_asks_for_a_run_and_the_run_sends_it(org, sim, django_capture_on_commit_callbacks):
    open_season()
    with django_capture_on_commit_callbacks(execute=True):
        receipt = pay_online(org.customer1, "T5")
    assert ReceiptSms.objects.get(receipt=receipt).message.status == "sent"
    assert any(receipt.number in m["body"] for m in sim.received(org.customer1.mobile))


def test_runs_go_on_until_every_payment_is_sent(org, sim, django_capture_on_commit_callbacks):
    open_season()
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(5):
            pay_online(org.customer1, f"B{i}", amount="10.00")
    assert payment_receipts_send(limit=2) == {"claimed": 5, "messages": 5}
    assert ReceiptSms.objects.filter(message__isnull=False).count() == 5
