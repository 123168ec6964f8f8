"""The collector desk in a browser: find a customer, read the breakdown per
season, take a payment, get a printable receipt; on a laptop and on a phone."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from core_billing.models import Receipt
from tests import factories as f

pytestmark = pytest.mark.e2e


def old_arrears_and_current_season(org):
    """2024-2025 left 2124.00 unpaid; 2025-2026 charges 2124.00 (88.50 m² × 24 元/m²)."""
    f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), late_start=None,
             current=False)
    f.season(late_start=None)


def test_desk_find_breakdown_pay_receipt(org, login, live_server):
    old_arrears_and_current_season(org)
    page = login(org.collector1)
    page.click("header >> text=收费台")
    page.fill("#q", "张伟1")  # live search, no submit
    row = page.locator("#desk-results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(org.customer1.account_no)
    expect(row).to_contain_text("4,248.00")  # two seasons owed
    row.locator("text=打开").click()
    expect(page.locator("h1")).to_contain_text("张伟1")
    seasons = page.locator("#seasons tbody tr")
    expect(seasons).to_have_count(2)
    expect(seasons.nth(0)).to_contain_text("2024-2025")
    expect(seasons.nth(1)).to_contain_text("2025-2026")
    expect(page.locator("#total-owed")).to_have_text("4,248.00")
    # an instalment: 3000 pays the old season first, then 876.00 of the current one
    page.fill("#id_amount", "3000")
    page.select_option("#id_method", "cash")
    page.click("text=确认收费")
    expect(page).to_have_url(re.compile(r"/billing/receipts/\d+/$"))
    receipt = Receipt.objects.get()
    expect(page.locator("#receipt-number")).to_have_text(receipt.number)
    expect(page.locator("#receipt")).to_contain_text("叁仟元整")
    lines = page.locator("#receipt table.lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("2024-2025")
    expect(lines.nth(0)).to_contain_text("2,124.00")
    expect(lines.nth(1)).to_contain_text("876.00")
    page.click("text=‹ 张伟1")
    expect(page.locator("#total-owed")).to_have_text("1,248.00")
    expect(page.locator("#seasons tbody tr").nth(0)).to_contain_text("0.00")


def test_desk_on_a_phone(org, browser, live_server, phone_context_args):
    old_arrears_and_current_season(org)
    context = browser.new_context(**phone_context_args)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", org.collector1.username)
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/billing/desk/{org.customer1.pk}/")
    expect(page.locator("#seasons")).to_contain_text("2024-2025")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # the table folds into cards
    page.fill("#id_amount", "4248")
    page.click("text=确认收费")
    expect(page.locator("#receipt-total")).to_have_text("¥4,248.00")
    expect(page.locator("#receipt")).to_contain_text("肆仟贰佰肆拾捌元整")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    context.close()
