"""Customer service in a browser: a topic with a live preview and segment counter, one SMS sent through the
simulator and watched until delivered, a customer's TD reply shown on the customer page."""
import re

import pytest
import requests
from playwright.sync_api import expect

from messaging.models import Message

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_sim(make_sim, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return make_sim(callback=f"{live_server.url}/webhooks/sms/twilio/status/",
                    inbound_url=f"{live_server.url}/webhooks/sms/twilio/inbound/", callback_threads=1)


def test_topic_editor_previews_live_and_counts_segments(org, login, live_server, browser_sim):
    page = login(org.service1)
    page.click("text=短信主题")
    page.click("text=新建主题")
    page.fill("#id_name", "打压试水通知")
    page.select_option("#id_kind", "notice")
    page.check("#id_is_marketing")
    page.wait_for_selector("#topic-form[data-ready]", state="attached")
    page.fill("#id_body", "尊敬的")
    page.click("button.ph[data-key=customer_name]:visible")
    page.locator("#id_body").press("End")
    page.locator("#id_body").type("，明日9点打压试水，请家中留人。")
    expect(page.locator("#preview-text")).to_contain_text("【暖信热力】尊敬的张伟，明日9点打压试水，请家中留人。回T退订")
    expect(page.locator("#preview-segments")).to_have_text("1")
    page.fill("#preview-customer", org.customer1.account_no)
    expect(page.locator("#preview-text")).to_contain_text("尊敬的张伟1")
    page.locator("#id_body").type("暖" * 40)
    expect(page.locator("#preview-segments")).to_have_text("2")  # 70 characters crossed, signature included
    page.fill("#id_body", "{{ 欠款 }}")
    expect(page.locator("#preview-error")).to_contain_text("未知的占位符")
    page.fill("#id_body", "尊敬的{{ 客户名称 }}，明日打压试水。")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sms/topics/$"))
    expect(page.locator("main")).to_contain_text("打压试水通知")


def test_send_one_sms_and_watch_it_delivered(org, login, live_server, browser_sim):
    page = login(org.service1)
    page.goto(f"{live_server.url}/sms/send/")
    page.fill("#id_customer", org.customer1.account_no)
    page.fill("#id_body", "您好，您家的报修已受理。")
    expect(page.locator("#preview-text")).to_contain_text("【暖信热力】您好，您家的报修已受理。")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sms/messages/\d+/$"))
    expect(page.locator("#message-status-tag")).to_have_text("已送达", timeout=15000)  # polled without reload
    assert [m["body"] for m in browser_sim.received(org.customer1.mobile)] == [Message.objects.get().body]


def test_reply_td_shows_on_the_customer_page(org, login, live_server, browser_sim):
    response = requests.post(f"{browser_sim.url}/sim/inbound", json={"from": org.customer1.mobile, "body": "TD"},
                             timeout=10)
    assert response.json()["webhook_status"] == 200
    page = login(org.service1)
    page.goto(f"{live_server.url}/customers/{org.customer1.pk}/")
    expect(page.locator("#marketing-sms")).to_have_text("已退订")
    expect(page.locator("main")).to_contain_text("sms.opt_out")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/sms/messages/")
    expect(page.locator("#results")).to_contain_text("退订")  # the confirmation SMS
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
