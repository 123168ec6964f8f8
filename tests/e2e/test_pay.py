"""A customer on a phone: the dunning SMS (read from the SMS simulator) → its pay
link → what is owed → pay through the payment simulator → the balance reaches
zero → the receipt SMS arrives in the SMS simulator."""
import re

import pytest
from playwright.sync_api import expect

from core_billing.models import Receipt
from messaging.services.sending import Recipient, messages_create_bulk
from tests import factories as f
from tests.core_billing.payfix import open_season
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_sim(make_sim, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return make_sim(callback=f"{live_server.url}/webhooks/sms/twilio/status/", callback_threads=1)


def test_pay_the_dunning_sms_link_on_a_phone(org, browser, live_server, browser_sim, phone_context_args):
    open_season()
    org.customer1.refresh_from_db()  # the balances the season opened
    messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=org.customer1)], kind="dunning",
                         body="{{ 客户名称 }}您好，您尚欠供热费{{ 欠费合计 }}元，点击 {{ 缴费链接 }} 缴费。")
    phone = org.customer1.mobile
    texts = browser_sim.received(phone)
    assert len(texts) == 1 and "2124.00" in texts[0]["body"]
    link = re.search(r"https?://\S+/p/\w+", texts[0]["body"]).group(0)
    assert len(link.split("//", 1)[1].split("/", 1)[1]) + 1 <= 12  # the path

    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    page.goto(link)
    expect(page.locator("#customer-name")).to_have_text("张**")
    expect(page.locator("#pay-full")).to_have_text("¥2124.00")
    expect(page.locator(".season")).to_contain_text("采暖费")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.click("#pay-simulator")
    expect(page.locator("#paysim-amount")).to_have_text("¥2124.00")
    page.click("#paysim-pay")
    expect(page).to_have_url(re.compile(r"/done/NX\d+/$"))
    expect(page.locator("#pay-result")).to_have_text("缴费成功", timeout=15000)
    expect(page.locator("#remaining")).to_have_text("¥0.00")
    assert f.account(org.customer1).due == 0
    receipt = Receipt.objects.get()
    page.click("#receipt-link")
    expect(page.locator("#receipt-number")).to_have_text(receipt.number)
    expect(page.locator("#receipt-amount")).to_have_text("¥2124.00")
    wait_until(lambda: any(receipt.number in m["body"] for m in browser_sim.received(phone)), timeout=15,
               message="the receipt SMS on the phone")
    context.close()
