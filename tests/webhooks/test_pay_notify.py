"""Payment notifications at /webhooks/pay/<provider>/notify/, for every provider:
recorded once (replays, five at once), refused when tampered, not recorded
when the amount differs, unknown orders answered as the provider expects."""
import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connections
from django.test import Client

from core_billing.models import OnlineOrder, Receipt
from tests import factories as f
from tests.integration.conftest import real_services  # noqa: F401
from tests.core_billing.payfix import (PROVIDERS, keys, notice, open_season, order_for, post_notice,  # noqa: F401
                                       providers, simulator_notice, wechat_notice)

OK = {"simulator": (200, "success"), "alipay": (200, "success"), "wechatpay": (204, "")}


def accepted(provider, response):
    status, body = OK[provider]
    return response.status_code == status and response.content.decode().strip() == body


@pytest.fixture
def billed(org):
    return open_season()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_valid_notification_records_the_payment_once(client, org, billed, providers, keys, provider):
    order = order_for(org.customer1, "500.00", provider)
    body, headers = notice(provider, providers, keys, order.out_trade_no, "500.00")
    for _ in range(3):  # the provider retries: replays change nothing
        assert accepted(provider, post_notice(client, provider, body, headers))
    receipt = Receipt.objects.get()
    assert receipt.amount == D("500.00") and receipt.provider == provider and receipt.method == "online"
    order.refresh_from_db()
    assert order.status == "paid" and order.receipt_id == receipt.pk
    assert f.account(org.customer1).paid == D("500.00")
    org.customer1.refresh_from_db()
    assert org.customer1.due_current == D("1624.00")  # balances refreshed in the same transaction


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_tampered_notification_is_refused(client, org, billed, providers, keys, provider):
    order = order_for(org.customer1, "500.00", provider)
    body, headers = notice(provider, providers, keys, order.out_trade_no, "500.00")
    forged = body.replace(b"500", b"501") if provider != "wechatpay" else body.replace(b"transaction", b"transactioN", 1)
    response = post_notice(client, provider, forged, headers)
    assert response.status_code in (401, 403)
    assert not Receipt.objects.exists()
    assert OnlineOrder.objects.get().status == "open"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_notification_signed_with_another_key_is_refused(client, org, billed, providers, keys, provider):
    order = order_for(org.customer1, "500.00", provider)
    other = dict(keys, alipay=keys["app"], platform=keys["merchant"])
    conf = {**providers, "simulator": {**providers["simulator"], "SECRET": "not-the-secret"}}
    body, headers = notice(provider, conf, other, order.out_trade_no, "500.00")
    assert post_notice(client, provider, body, headers).status_code in (401, 403)
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_amount_is_not_recorded(client, org, billed, providers, keys, provider):
    order = order_for(org.customer1, "500.00", provider)
    body, headers = notice(provider, providers, keys, order.out_trade_no, "5.00")
    response = post_notice(client, provider, body, headers)
    assert not accepted(provider, response)
    assert not Receipt.objects.exists()
    assert OnlineOrder.objects.get().status == "open"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_order_is_answered_and_logged(client, org, billed, providers, keys, provider, caplog):
    body, headers = notice(provider, providers, keys, "NX-NOT-OURS", "500.00")
    assert accepted(provider, post_notice(client, provider, body, headers))
    assert not Receipt.objects.exists()
    assert "unknown order NX-NOT-OURS" in caplog.text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_order_of_another_provider_is_unknown_here(client, org, billed, providers, keys, provider):
    other = "alipay" if provider != "alipay" else "simulator"
    order = order_for(org.customer1, "500.00", other)
    body, headers = notice(provider, providers, keys, order.out_trade_no, "500.00")
    assert accepted(provider, post_notice(client, provider, body, headers))
    assert not Receipt.objects.exists()


def test_old_simulator_and_wechat_timestamps_are_refused(client, org, billed, providers, keys):
    order = order_for(org.customer1, "500.00", "simulator")
    body, headers = simulator_notice(providers, order.out_trade_no, "500.00", t=int(time.time()) - 301)
    assert post_notice(client, "simulator", body, headers).status_code == 403
    order = order_for(org.customer2, "500.00", "wechatpay")
    body, headers = wechat_notice(providers, keys, order.out_trade_no, "500.00", ts=int(time.time()) + 400)
    assert post_notice(client, "wechatpay", body, headers).status_code == 401
    assert not Receipt.objects.exists()


def test_a_second_transaction_for_a_paid_order_is_not_recorded(client, org, billed, providers, keys, caplog):
    order = order_for(org.customer1, "500.00", "simulator")
    for txn in ("SIM-A", "SIM-B"):
        body, headers = simulator_notice(providers, order.out_trade_no, "500.00", txn=txn)
        assert post_notice(client, "simulator", body, headers).status_code == 200
    assert Receipt.objects.get().provider_txn_id == "SIM-A"
    assert "paid twice" in caplog.text


def test_unconfigured_or_unknown_provider_is_404(client, org, billed, settings):
    assert client.post("/webhooks/pay/paypal/notify/", data=b"{}", content_type="application/json").status_code == 404
    # alipay without keys (the default settings)
    assert client.post("/webhooks/pay/alipay/notify/", data=b"a=b",
                       content_type="application/x-www-form-urlencoded").status_code == 404


def test_a_paid_order_that_no_longer_fits_waits_for_review(client, org, billed, providers, keys):
    order = order_for(org.customer1, "2124.00", "simulator")
    from core_billing.services.ledger import payment_take
    payment_take(actor=org.collector1, customer=org.customer1, amount="2124.00", method="cash")  # paid at the desk
    body, headers = simulator_notice(providers, order.out_trade_no, "2124.00")
    assert post_notice(client, "simulator", body, headers).status_code == 200
    order.refresh_from_db()
    assert order.status == "review" and "超过应缴" in order.note
    assert Receipt.objects.count() == 1


@pytest.mark.integration
@pytest.mark.parametrize("provider", PROVIDERS)
def test_five_identical_notifications_at_once_record_one_payment(real_services, org, providers, keys, provider):
    open_season()
    order = order_for(org.customer1, "500.00", provider)
    body, headers = notice(provider, providers, keys, order.out_trade_no, "500.00")
    barrier = threading.Barrier(5)
    answers, errors = [], []

    def send():
        try:
            barrier.wait()
            answers.append(post_notice(Client(), provider, body, headers))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()
    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(accepted(provider, a) for a in answers) and len(answers) == 5
    assert Receipt.objects.count() == 1
    assert f.account(org.customer1).paid == D("500.00")
    assert OnlineOrder.objects.get().status == "paid"
