"""The pay page and online orders: what is owed and why, amounts decided on the
server, instalment minimum, one open order per link, early-payment discount,
the receipt SMS; customer self-service with SMS codes."""
import datetime as dt
import re
from decimal import Decimal as D
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from core_billing import paylinks as codes
from core_billing.errors import AppError
from core_billing.models import OnlineOrder, Receipt
from core_billing.services.online import online_order_start, pay_quote
from messaging.models import Message
from tests import factories as f
from tests.core_billing.payfix import (keys, link_for, open_season, post_notice, providers,  # noqa: F401
                                       simulator_notice, today)
from tests.integration.conftest import wait_until


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def page_path(link):
    return f"/p/{codes.code_for(link.token)}"


def test_the_pay_page_shows_the_breakdown_with_a_masked_name(client, org):
    f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), late_start=None, current=False)
    open_season()
    link = link_for(org.customer1)
    response = client.get(page_path(link))
    assert response.status_code == 200
    body = response.content.decode()
    assert "张**" in body and "张伟1" not in body  # 张伟1 masked
    assert org.customer1.address in body
    assert body.count('class="card season"') == 2 and "2024-2025" in body
    assert "采暖费" in body and "截至今日滞纳金" in body and "已缴" in body
    assert "¥4248.00" in body  # both seasons
    assert 'id="pay-simulator"' in body


def test_full_payment_amount_is_decided_on_the_server(client, org):
    open_season()
    link = link_for(org.customer1)
    response = client.post(page_path(link), {"mode": "full", "amount": "0.01", "provider": "simulator"})
    assert response.status_code == 303 and "/paysim/checkout/?s=" in response["Location"]
    order = OnlineOrder.objects.get()
    assert order.amount == D("2124.00") and order.status == "open" and order.provider == "simulator"
    checkout = client.get(urlparse(response["Location"]).path + "?" + urlparse(response["Location"]).query)
    assert "¥2124.00" in checkout.content.decode()


def test_instalments_are_checked_against_the_minimum_and_what_is_owed(client, org, settings):
    settings.PAY_MIN_INSTALMENT = D("200")
    open_season()
    link = link_for(org.customer1)
    for amount, message in (("199.99", "不少于 200"), ("2124.01", "不能超过"), ("abc", "必须是金额"), ("-5", "")):
        response = client.post(page_path(link), {"mode": "part", "amount": amount, "provider": "simulator"})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not OnlineOrder.objects.exists()
    response = client.post(page_path(link), {"mode": "part", "amount": "200", "provider": "simulator"})
    assert response.status_code == 303
    assert OnlineOrder.objects.get().amount == D("200.00")


def test_the_minimum_is_what_is_owed_when_less(org, settings):
    settings.PAY_MIN_INSTALMENT = D("100")
    open_season()
    from core_billing.services.ledger import payment_take
    payment_take(actor=org.collector1, customer=org.customer1, amount="2074.00", method="cash")
    link = link_for(org.customer1)
    assert pay_quote(link).minimum == D("50.00")
    order, _url = online_order_start(link=link, mode="part", amount="50", provider="simulator")
    assert order.amount == D("50.00")


def test_a_provider_not_offered_is_refused(org, settings):
    open_season()
    link = link_for(org.customer1)
    with pytest.raises(AppError):
        online_order_start(link=link, mode="full", provider="alipay")  # not offered by default


def test_one_open_order_per_customer_and_link(org):
    open_season()
    link = link_for(org.customer1)
    first, _ = online_order_start(link=link, mode="full", provider="simulator")
    second, _ = online_order_start(link=link, mode="part", amount="300", provider="simulator")
    first.refresh_from_db()
    assert first.status == "cancelled" and second.status == "open"
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        OnlineOrder.objects.create(station_id=org.s1.pk, customer=org.customer1, pay_link=link, out_trade_no="X1",
                                   provider="simulator", amount=D("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        OnlineOrder.objects.create(station_id=org.s1.pk, customer=org.customer1, pay_link=link,
                                   out_trade_no=second.out_trade_no, provider="simulator", amount=D("1"),
                                   status="cancelled")


def test_a_cancelled_order_paid_after_all_is_still_recorded(client, org, providers, keys):
    open_season()
    link = link_for(org.customer1)
    first, _ = online_order_start(link=link, mode="part", amount="300", provider="simulator")
    online_order_start(link=link, mode="full", provider="simulator")
    body, headers = simulator_notice(providers, first.out_trade_no, "300.00")
    assert post_notice(client, "simulator", body, headers).status_code == 200
    first.refresh_from_db()
    assert first.status == "paid" and Receipt.objects.get().amount == D("300.00")


def test_an_early_payment_earns_its_discount(client, org, providers, keys, django_capture_on_commit_callbacks,
                                             sim):
    open_season(tiers=[(today() + dt.timedelta(days=30), "0.03")])
    link = link_for(org.customer1)
    quote = pay_quote(link)
    assert quote.full == D("2060.30")  # 2124.00 less 3 % (63.72, rounded to jiao: 63.70)
    order, _ = online_order_start(link=link, mode="full", provider="simulator")
    body, headers = simulator_notice(providers, order.out_trade_no, order.amount)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_notice(client, "simulator", body, headers).status_code == 200
    account = f.account(org.customer1)
    assert account.discount == D("63.70") and account.paid == D("2060.30") and account.due == D("0.00")
    # the receipt SMS, through the SMS simulator
    message = Message.objects.get(customer=org.customer1)
    receipt = Receipt.objects.get()
    assert "2060.30" in message.body and receipt.number in message.body
    link_in_sms = re.search(r"https?://\S+/r/\S+", message.body).group(0)
    assert client.get(urlparse(link_in_sms).path).status_code == 200
    assert any(receipt.number in m["body"] for m in sim.received(org.customer1.mobile))


def test_the_receipt_topic_is_used_when_there_is_one(client, org, providers, keys, django_capture_on_commit_callbacks,
                                                     sim):
    from messaging.services.topics import topic_create
    topic_create(actor=org.admin, name="缴费回执", kind="service", company_wide=True,
                 body="{{ 客户名称 }}您好，收到供热费{{ 缴费金额 }}元，收据{{ 收据链接 }}")
    open_season()
    order, _ = online_order_start(link=link_for(org.customer1), mode="part", amount="500", provider="simulator")
    body, headers = simulator_notice(providers, order.out_trade_no, "500.00")
    with django_capture_on_commit_callbacks(execute=True):
        post_notice(client, "simulator", body, headers)
    assert Message.objects.get().body.startswith("【暖信热力】张伟1您好，收到供热费500.00元")


def test_a_desk_payment_sends_no_receipt_sms(org, django_capture_on_commit_callbacks, sim):
    open_season()
    from core_billing.services.ledger import payment_take
    with django_capture_on_commit_callbacks(execute=True):
        payment_take(actor=org.collector1, customer=org.customer1, amount="100", method="cash")
    assert not Message.objects.exists()


def test_the_return_page_waits_then_shows_the_balance(client, org, providers, keys):
    open_season()
    link = link_for(org.customer1)
    order, _ = online_order_start(link=link, mode="full", provider="simulator")
    done = f"{page_path(link)}/done/{order.out_trade_no}/"
    assert "正在等待支付结果" in client.get(done).content.decode()
    body, headers = simulator_notice(providers, order.out_trade_no, order.amount)
    post_notice(client, "simulator", body, headers)
    page = client.get(done, HTTP_HX_REQUEST="true").content.decode()
    assert "缴费成功" in page and 'id="remaining">¥0.00' in page and "/r/" in page
    assert client.get(f"{page_path(link)}/done/NXOTHER/").status_code == 404


def test_the_simulator_checkout_notifies_over_http_and_returns(live_server, org, settings, providers, make_sim):
    sms = make_sim(callback_threads=1)
    settings.PUBLIC_BASE_URL = live_server.url
    open_season()
    link = link_for(org.customer1)
    import requests
    s = requests.Session()
    page = s.get(f"{live_server.url}{page_path(link)}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = s.post(f"{live_server.url}{page_path(link)}", data={"csrfmiddlewaretoken": token, "mode": "part",
                                                                  "amount": "300", "provider": "simulator"},
                    allow_redirects=False)
    checkout = s.get(answer.headers["Location"])
    assert "¥300.00" in checkout.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', checkout.text).group(1)
    s_value = re.search(r'name="s" value="([^"]+)"', checkout.text).group(1)
    back = s.post(answer.headers["Location"].split("?")[0], data={"csrfmiddlewaretoken": token, "s": s_value,
                                                                   "action": "pay"}, allow_redirects=False)
    assert back.status_code == 303 and "/done/" in back.headers["Location"]
    wait_until(lambda: Receipt.objects.exists(), timeout=20, message="the simulator's notification")
    assert f.account(org.customer1).paid == D("300.00")
    assert OnlineOrder.objects.get().status == "paid"
    wait_until(lambda: sms.received(org.customer1.mobile), timeout=10, message="the receipt SMS")
    assert "300.00" in sms.received(org.customer1.mobile)[0]["body"]


def test_a_bad_checkout_token_is_refused(client):
    assert client.get("/paysim/checkout/?s=forged").status_code == 400


# --- self-service -------------------------------------------------------------------------

def _codes_sent(phone):
    return [re.search(r"验证码是(\d{6})", m.body).group(1) for m in Message.objects.filter(phone=phone)
            .order_by("id")]


def test_self_service_with_an_sms_code(client, org, sim, django_capture_on_commit_callbacks):
    open_season()
    from core_billing.services.ledger import payment_take
    payment_take(actor=org.collector1, customer=org.customer1, amount="100", method="cash")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"})
    assert "138****8001" in sent.content.decode()
    code = _codes_sent(org.customer1.mobile)[-1]
    assert any(code in m["body"] for m in sim.received(org.customer1.mobile))
    assert client.get("/my/bills/").status_code == 302  # not yet
    response = client.post("/my/", {"account_no": org.customer1.account_no, "code": code, "action": "verify"})
    assert response.status_code == 302 and response["Location"] == "/my/bills/"
    bills = client.get("/my/bills/").content.decode()
    assert "张**" in bills and "¥2024.00" in bills and "100.00" in bills  # owed, history
    receipt = Receipt.objects.get()
    assert receipt.number in client.get(f"/my/receipts/{receipt.pk}/").content.decode()
    other = payment_take(actor=org.collector2, customer=org.customer2, amount="100", method="cash").receipt
    assert client.get(f"/my/receipts/{other.pk}/").status_code == 404
    pay = client.post("/my/pay/")
    assert pay.status_code == 302 and re.match(r"^/p/\w{9}$", pay["Location"])
    # the code was used up
    client.post("/my/logout/")
    again = client.post("/my/", {"account_no": org.customer1.account_no, "code": code, "action": "verify"})
    assert again.status_code == 400


def test_an_unknown_account_looks_like_a_known_one(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/my/", {"account_no": "NOPE", "action": "send"})
    assert response.status_code == 200 and "如户号正确" in response.content.decode()
    assert not Message.objects.exists()


def test_codes_expire_and_allow_few_attempts(client, org, sim, settings, django_capture_on_commit_callbacks):
    settings.SELF_SERVICE_CODE_ATTEMPTS = 3
    settings.SELF_SERVICE_CODE_INTERVAL = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"})
    code = _codes_sent(org.customer1.mobile)[-1]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        assert client.post("/my/", {"account_no": org.customer1.account_no, "code": wrong,
                                    "action": "verify"}).status_code == 400
    # the fourth try is refused even with the right code
    response = client.post("/my/", {"account_no": org.customer1.account_no, "code": code, "action": "verify"})
    assert response.status_code == 400 and "次数过多" in response.content.decode()
    settings.SELF_SERVICE_CODE_TTL = -1  # a new code that is already stale
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"})
    code = _codes_sent(org.customer1.mobile)[-1]
    assert client.post("/my/", {"account_no": org.customer1.account_no, "code": code,
                                "action": "verify"}).status_code == 400


def test_codes_are_rate_limited_per_phone_and_per_address(client, org, sim, settings,
                                                          django_capture_on_commit_callbacks):
    settings.SELF_SERVICE_CODE_INTERVAL = 60
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"}).status_code == 200
        again = client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"})
    assert again.status_code == 429 and "60 秒" in again.content.decode()
    assert len(_codes_sent(org.customer1.mobile)) == 1
    from core_billing.services.selfservice import _key
    cache.delete(_key("interval", org.customer1.mobile))  # a minute later
    settings.SELF_SERVICE_CODE_INTERVAL = 0
    settings.SELF_SERVICE_CODES_PER_PHONE_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"}).status_code == 200
        assert client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"}).status_code == 429
    assert len(_codes_sent(org.customer1.mobile)) == 2
    settings.SELF_SERVICE_REQUESTS_PER_IP_HOUR = 5  # this address has asked 4 times already
    assert client.post("/my/", {"account_no": "X1", "action": "send"}).status_code == 200
    response = client.post("/my/", {"account_no": "X2", "action": "send"})
    assert response.status_code == 429
    other_ip = client.post("/my/", {"account_no": "X3", "action": "send"}, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_codes_are_stored_hashed(client, org, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/my/", {"account_no": org.customer1.account_no, "action": "send"})
    code = _codes_sent(org.customer1.mobile)[-1]
    from core_billing.services.selfservice import _key
    stored = cache.get(_key("code", org.customer1.pk))
    assert stored and code not in repr(stored)


def test_an_offered_provider_without_credentials_is_refused(org, settings):
    settings.PAYMENT_PROVIDERS_OFFERED = ["simulator", "alipay"]
    open_season()
    link = link_for(org.customer1)
    with pytest.raises(AppError, match="暂不可用"):
        online_order_start(link=link, mode="full", provider="alipay")
    assert not OnlineOrder.objects.exists()
