"""Login → customer search → customer detail, as station staff in a browser."""
import re

import pytest
from playwright.sync_api import expect

from core_billing.services.customers import customer_update

pytestmark = pytest.mark.e2e


def test_login_search_and_open_customer(org, login, live_server):
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"area": "90.00"}, reason="复核面积")
    page = login(org.service1)
    expect(page.locator("header")).to_contain_text("客户")  # Chinese labels by default
    page.click("text=客户")
    expect(page.locator("#results")).to_contain_text(org.customer1.account_no)
    expect(page.locator("#results")).not_to_contain_text(org.customer2.account_no)  # other station
    page.fill("#q", "138 0013 8001")  # live search by phone, no submit
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("张伟1")
    page.click(f"text={org.customer1.account_no}")
    expect(page).to_have_url(re.compile(rf"/customers/{org.customer1.pk}/$"))
    expect(page.locator("h1")).to_contain_text("张伟1")
    expect(page.locator("main")).to_contain_text("复核面积")  # the audit history
    expect(page.locator("main")).to_contain_text("+8613800138001")


def test_other_station_customer_is_not_found(org, login, live_server):
    page = login(org.service2)
    response = page.goto(f"{live_server.url}/customers/{org.customer1.pk}/")
    assert response.status == 404


def test_english_switch_and_phone_layout(org, login, live_server):
    page = login(org.service1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("button[name=language][value=en]")
    expect(page.locator("header")).to_contain_text("Customers")
    page.goto(f"{live_server.url}/customers/")
    # on a phone the table turns into labelled cards that fit the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
