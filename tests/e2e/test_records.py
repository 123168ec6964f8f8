"""Delivery records in a browser: a supervisor filters the records, turns the
page, exports the query, and the downloaded file holds the rows the page shows."""
import datetime as dt
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from messaging.models import Message

pytestmark = pytest.mark.e2e


@pytest.fixture
def records(org):
    start = timezone.now() - dt.timedelta(hours=2)
    rows = []
    for n in range(60):
        failed = n % 4 == 0
        rows.append(Message(station=org.s1 if n < 56 else org.s2, phone=f"+86139123{n:05d}", body=f"供热通知{n}",
                            gateway="console", season="2025-2026" if n % 2 == 0 else "2024-2025",
                            status="failed" if failed else "delivered", error_code="30003" if failed else "",
                            error_text="Unreachable" if failed else "", created_at=start + dt.timedelta(minutes=n)))
    Message.objects.bulk_create(rows)
    return rows


def _phones(page) -> list[str]:
    return [t.strip() for t in page.locator("#record-table .record-phone").all_inner_texts()]


def test_supervisor_filters_records_exports_and_the_file_has_the_same_rows(org, records, login, live_server,
                                                                           tmp_path):
    page = login(org.supervisor1)
    page.click("header >> text=短信记录")
    expect(page.locator("h1")).to_have_text("短信记录")
    expect(page.locator("#record-total")).to_have_attribute("data-total", "56")
    assert len(_phones(page)) == 50 and "二站" not in page.content()
    page.click("#page-older")  # the next page by cursor: the six oldest
    expect(page).to_have_url(re.compile(r"after="))
    assert _phones(page) == [f"+86139123{n:05d}" for n in range(5, -1, -1)]

    page.goto(f"{live_server.url}/reports/records/")
    page.select_option("select[name=status]", "failed")
    page.fill("input[name=season]", "2025-2026")
    page.click("#record-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"status=failed"))
    expect(page.locator("#record-total")).to_have_attribute("data-total", "14")
    expect(page.locator("#record-counts")).to_contain_text("失败 14")
    shown = _phones(page)
    expected = [f"+86139123{n:05d}" for n in range(55, -1, -1) if n % 4 == 0]
    assert shown == expected

    page.click("#record-export button")
    expect(page).to_have_url(re.compile(r"/reports/exports/\d+/$"))
    expect(page.locator("#export-progress .progress")).to_be_visible()
    expect(page.locator("#export-download")).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        page.click("#export-download")
    path = tmp_path / "records.xlsx"
    info.value.save_as(path)
    assert "短信发送记录" in info.value.suggested_filename
    ws = load_workbook(path).active
    headers = [c.value for c in ws[1]]
    rows = [dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["手机号"] for r in rows] == shown
    assert {r["发送状态"] for r in rows} == {"失败"} and {r["供暖年度"] for r in rows} == {"2025-2026"}


def test_records_page_on_a_phone(org, records, login, live_server):
    page = login(org.supervisor1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/sms/messages/?status=failed")  # the old address, filter kept
    expect(page).to_have_url(re.compile(r"/reports/records/\?status=failed$"))
    expect(page.locator("#record-total")).to_have_attribute("data-total", "14")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
