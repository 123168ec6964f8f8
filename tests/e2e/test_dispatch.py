"""A dispatcher in a browser: create a work order → assign it → the worker's SMS
arrives in the simulator → the worker replies "2 <number>" → the timeline shows it."""
import re

import pytest
import requests
from playwright.sync_api import expect

from dispatch.models import RepairWorker, WorkOrder
from tests import factories as f

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_sim(make_sim, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return make_sim(callback=f"{live_server.url}/webhooks/sms/twilio/status/",
                    inbound_url=f"{live_server.url}/webhooks/sms/twilio/inbound/", callback_threads=1)


def test_create_assign_reply_done_timeline(org, login, live_server, browser_sim):
    dispatcher = f.user("dispatcher1", "dispatcher", st=org.s1)
    worker_user = f.user("repair1a", st=org.s1, full_name="王师傅", mobile="+8613700000001")
    RepairWorker.objects.create(user=worker_user, station=org.s1, skills=["no_heat"])
    page = login(dispatcher)
    page.click("text=工单")
    page.click("text=新建工单")
    page.fill("#id_account_no", org.customer1.account_no)
    page.fill("#id_problem", "卧室暖气不热")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dispatch/\d+/$"))
    order = WorkOrder.objects.get()
    expect(page.locator("h1")).to_contain_text(order.number)
    page.select_option("select[name=worker]", label="王师傅")
    page.click("#assign")
    expect(page.locator("#order-status")).to_have_text("已派单")

    # the worker's phone, as the simulator kept it
    texts = browser_sim.received("+8613700000001")
    assert len(texts) == 1 and order.number in texts[0]["body"] and org.customer1.address in texts[0]["body"]

    answer = requests.post(f"{browser_sim.url}/sim/inbound", json={"from": "+8613700000001",
                                                                   "body": f"2 {order.number}"}, timeout=10)
    assert answer.json()["webhook_status"] == 200
    # the timeline refreshes itself: the SMS reply and the done step appear without a reload
    expect(page.locator("#timeline tr[data-kind=finished]")).to_contain_text("短信回复", timeout=10000)
    expect(page.locator("#timeline tr[data-kind=sms]").first).to_contain_text(order.number)
    page.reload()
    expect(page.locator("#order-status")).to_have_text("已完工")
