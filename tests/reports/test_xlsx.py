"""The streaming writer on its own: typed cells, header, widths, frozen pane,
a new sheet at the row limit, and text that must stay text."""
import datetime as dt
import io
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from reports.xlsx import EXCEL_MAX_ROWS, Field, display_width, safe_sheet_title, write_xlsx

FIELDS = [Field("编号", "int"), Field("客户名称"), Field("金额", "money"), Field("日期", "date"),
          Field("时间", "datetime"), Field("收费率", "percent"), Field("面积", "decimal")]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _book(rows, **kw):
    buf = io.BytesIO()
    n = write_xlsx(buf, title="欠费清单", fields=FIELDS, rows=rows, **kw)
    buf.seek(0)
    return n, load_workbook(buf)


def test_header_types_formats_and_frozen_row(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    at = dt.datetime(2026, 1, 5, 2, 30, tzinfo=dt.timezone.utc)  # 10:30 in Shanghai
    rows = [(1, "张伟", D("1234.50"), dt.date(2026, 1, 5), at, D("0.8532"), D("88.50")),
            (2, "李娜", None, None, None, None, D("120"))]
    n, wb = _book(rows)
    ws = wb.active
    assert n == 2 and ws.title == "欠费清单"
    assert [c.value for c in ws[1]] == [f.header for f in FIELDS]
    assert ws[1][0].font.b and ws.freeze_panes == "A2"
    first = ws[2]
    assert first[0].value == 1 and first[0].data_type == "n"
    assert first[1].value == "张伟" and first[1].data_type == "s"
    assert first[2].value == 1234.5 and first[2].data_type == "n" and first[2].number_format == "#,##0.00"
    assert first[3].is_date and first[3].value == dt.datetime(2026, 1, 5) and first[3].number_format == "yyyy-mm-dd"
    assert first[4].is_date and first[4].value == dt.datetime(2026, 1, 5, 10, 30)
    assert first[5].number_format == "0.00%" and first[5].value == pytest.approx(0.8532)
    assert [c.value for c in ws[3]][2:6] == [None, None, None, None]
    assert ws.max_row == 3


def test_widths_follow_header_and_data():
    rows = [(1, "阳光花园小区三号楼二单元的一位客户", D("1"), None, None, None, None)]
    _n, wb = _book(rows)
    widths = {k: v.width for k, v in wb.active.column_dimensions.items()}
    assert widths["B"] >= display_width("阳光花园小区三号楼二单元的一位客户")
    assert widths["A"] >= 6 and widths["E"] >= 19  # a datetime column fits "yyyy-mm-dd hh:mm:ss"


def test_text_that_looks_like_a_formula_stays_text_and_control_characters_go():
    rows = [(1, "=HYPERLINK(\"http://x\",\"点我\")", None, None, None, None, None),
            (2, "#N/A", None, None, None, None, None),
            (3, "张\x0b伟\x00", None, None, None, None, None)]
    _n, wb = _book(rows)
    ws = wb.active
    assert ws["B2"].data_type == "s" and ws["B2"].value.startswith("=HYPERLINK")
    assert ws["B3"].data_type == "s" and ws["B3"].value == "#N/A"
    assert ws["B4"].value == "张伟"


def test_a_new_sheet_starts_at_the_row_limit_with_its_own_header():
    rows = ((i, f"户{i}", D(i), None, None, None, None) for i in range(7))
    n, wb = _book(rows, max_rows=4)  # header + 3 rows a sheet
    assert n == 7
    assert wb.sheetnames == ["欠费清单", "欠费清单 (2)", "欠费清单 (3)"]
    for ws in wb.worksheets:
        assert ws["A1"].value == "编号" and ws.freeze_panes == "A2"
    assert [[r[0] for r in ws.iter_rows(min_row=2, values_only=True)] for ws in wb.worksheets] == [
        [0, 1, 2], [3, 4, 5], [6]]


def test_excel_limit_and_sheet_titles():
    assert EXCEL_MAX_ROWS == 2 ** 20
    assert safe_sheet_title("a/b:c*?[x]") == "a b c   x"
    assert len(safe_sheet_title("很" * 40, 12)) == 31 and safe_sheet_title("很" * 40, 12).endswith(" (12)")


def test_progress_is_reported_while_writing():
    seen = []
    write_xlsx(io.BytesIO(), title="t", fields=FIELDS[:1], rows=([i] for i in range(25)), progress=seen.append,
               progress_every=10)
    assert seen == [10, 20, 25]
