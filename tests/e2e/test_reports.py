"""Reports in a browser: a supervisor filters the arrears list and exports it,
and the downloaded file opens with the same rows; a large export runs in the
background and its page turns into a download link; the manager dashboard
reads on a laptop and a phone."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.reports.conftest import ledger  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def _page_accounts(page) -> list[str]:
    return [t.strip() for t in page.locator("#arrears-table tbody tr td:nth-child(2)").all_inner_texts()]


def test_supervisor_filters_arrears_exports_and_the_file_has_the_same_rows(org, ledger, login, live_server,  # noqa: F811
                                                                           tmp_path):
    page = login(org.supervisor1)
    page.click("header >> text=报表")
    page.click("text=欠费清单")
    expect(page.locator("h1")).to_contain_text("欠费清单")
    page.select_option("select[name=heating_status]", ["normal"])
    page.fill("input[name=min_amount]", "1000")
    page.click("text=查询")
    expect(page).to_have_url(re.compile(r"min_amount=1000"))
    shown = _page_accounts(page)
    assert shown == [org.customer1b.account_no]  # owes 2,124.00; customer1 owes 524.00
    with page.expect_download() as info:
        page.click("text=导出 Excel")
    path = tmp_path / "arrears.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".xlsx") and "欠费清单" in info.value.suggested_filename
    ws = load_workbook(path).active
    assert ws["A1"].value == "户号" and ws["R1"].value == "欠费合计（元）"
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == shown
    assert ws["R2"].value == 2124.0 and ws["R2"].number_format == "#,##0.00"


def test_large_export_shows_progress_then_a_download(org, ledger, login, live_server, settings, tmp_path):  # noqa: F811
    settings.EXPORT_INLINE_MAX_ROWS = 1
    page = login(org.supervisor1)
    page.goto(f"{live_server.url}/reports/collection/?group_by=collector")
    page.click("text=导出 Excel")
    expect(page).to_have_url(re.compile(r"/reports/exports/\d+/$"))
    expect(page.locator("#export-download")).to_be_visible(timeout=20000)
    with page.expect_download() as info:
        page.click("#export-download")
    path = tmp_path / "collection.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [org.collector1.display_name, "合计"]
    page.click("text=我的导出")
    expect(page.locator("#export-list")).to_contain_text("收费进度")


@pytest.mark.parametrize("phone", [False, True])
def test_manager_dashboard_on_laptop_and_phone(org, ledger, login, live_server, phone):  # noqa: F811
    page = login(org.manager)
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/reports/dashboard/")
    stats = page.locator("#dashboard-stats")
    expect(stats).to_contain_text("本季收缴率")
    expect(stats).to_contain_text("22.4%")
    expect(stats).to_contain_text("本周短信")
    # a chart drawn for the screen's width: the other one is hidden
    chart = page.locator("#collection-chart .chart-narrow svg" if phone else "#collection-chart .chart-wide svg")
    other = page.locator("#collection-chart .chart-wide svg" if phone else "#collection-chart .chart-narrow svg")
    expect(chart).to_be_visible()
    expect(other).to_be_hidden()
    box = chart.bounding_box()
    viewport = page.viewport_size
    assert box["width"] <= viewport["width"] and box["width"] > viewport["width"] * 0.6
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    expect(page.locator("#arrears-by-station")).to_contain_text("二站")
