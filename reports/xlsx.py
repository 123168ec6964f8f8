"""Streaming Excel writer: rows in, an .xlsx out, memory flat whatever the row count.

openpyxl's write-only mode writes each row to the sheet's XML as it is
appended, so only the current row is held.  What a reader of the file expects
is done here, once, for every export: a bold header row that stays frozen,
typed cells (dates are dates, money is a number with a number format, text
stays text even when it starts with "="), column widths from the header and
the first rows, and a new sheet (header repeated) when a sheet reaches
Excel's row limit.  No database here: the registry (exports.py) feeds rows.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO, Callable, Iterable, Sequence

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# Rows per sheet including its header row (Excel 2007+: 2**20).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
SAMPLE_ROWS = 200  # rows looked at to size the columns

TEXT, INT, MONEY, DECIMAL, PERCENT, DATE, DATETIME = "text", "int", "money", "decimal", "percent", "date", "datetime"
KINDS = (TEXT, INT, MONEY, DECIMAL, PERCENT, DATE, DATETIME)

NUMBER_FORMATS = {
    INT: "0",
    MONEY: "#,##0.00",
    DECIMAL: "#,##0.00",
    PERCENT: "0.00%",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm:ss",
}
# Widths (in Excel's character units) a column of that kind needs at least.
MIN_WIDTHS = {TEXT: 6, INT: 6, MONEY: 12, DECIMAL: 10, PERCENT: 9, DATE: 11, DATETIME: 19}
MAX_WIDTH = 60

# Control characters are not allowed in the XML of a sheet; an SMS body or a
# name pasted from elsewhere may carry one.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Field:
    """One column as the writer sees it: its header and the kind of its values."""

    header: str
    kind: str = TEXT
    width: int | None = None  # fixed width; None: measured

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def display_width(text: str) -> int:
    """Characters as Excel lays them out: CJK and other wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _as_text(value: Any) -> str:
    return _ILLEGAL.sub("", str(value))[:EXCEL_MAX_CELL_CHARS]


def _local_naive(value: dt.datetime) -> dt.datetime:
    # Excel has no time zones: show the time as staff read it on the pages.
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def cell_value(kind: str, value: Any) -> Any:
    """The Python value to put in a cell of `kind` (None stays empty)."""
    if value is None or (value == "" and kind != TEXT):
        return None
    if kind == TEXT:
        return _as_text(value)
    if kind == INT:
        return int(value)
    if kind in (MONEY, DECIMAL, PERCENT):
        # Decimal goes into the file as its exact digits; never through float.
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == DATETIME:
        return _local_naive(value) if isinstance(value, dt.datetime) else value
    if kind == DATE:
        if isinstance(value, dt.datetime):
            return _local_naive(value).date()
        return value
    return value


def _shown(kind: str, value: Any) -> str:
    """How a value will look in Excel, for sizing its column."""
    if value is None:
        return ""
    if kind in (MONEY, DECIMAL):
        return f"{value:,.2f}"
    if kind == PERCENT:
        return f"{value * 100:.2f}%"
    if kind == DATE:
        return "2026-01-01"
    if kind == DATETIME:
        return "2026-01-01 00:00:00"
    return str(value)


def safe_sheet_title(title: str, number: int = 1) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", str(title)).strip() or "Sheet"
    suffix = f" ({number})" if number > 1 else ""
    return base[:31 - len(suffix)] + suffix


class _Sheets:
    """Creates sheets on demand, each with the header, widths and frozen first row."""

    def __init__(self, wb: Workbook, title: str, fields: Sequence[Field], widths: list[int]):
        self.wb, self.title, self.fields, self.widths = wb, title, fields, widths
        self.count = 0
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDE6F0")
        centre = Alignment(horizontal="center", vertical="center")
        self.header_style = (bold, fill, centre)

    def new(self):
        self.count += 1
        ws = self.wb.create_sheet(safe_sheet_title(self.title, self.count))
        # Widths and panes are written before the first row, so set them now.
        for index, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header = []
        for f in self.fields:
            cell = WriteOnlyCell(ws, value=_as_text(f.header))
            cell.font, cell.fill, cell.alignment = self.header_style
            header.append(cell)
        ws.append(header)
        return ws


class _RowMaker:
    """Turns a row of plain values into what ws.append takes, with typed cells.

    A styled cell costs an object; plain ints and strings need none.  Each
    styled column shares one prepared style so the workbook registers it once."""

    def __init__(self, fields: Sequence[Field]):
        self.fields = fields
        self.formats = [NUMBER_FORMATS.get(f.kind) for f in fields]
        self.kinds = [f.kind for f in fields]
        self._styles: dict[int, Any] = {}
        self.ws = None

    def bind(self, ws) -> None:
        self.ws = ws
        self._styles = {}
        for index, fmt in enumerate(self.formats):
            if fmt and self.kinds[index] != INT:
                probe = WriteOnlyCell(ws)
                probe.number_format = fmt
                self._styles[index] = probe._style

    def __call__(self, values: Sequence[Any]) -> list:
        out = []
        ws = self.ws
        for index, kind in enumerate(self.kinds):
            value = cell_value(kind, values[index])
            if value is None or value == "":
                out.append(None)
                continue
            style = self._styles.get(index)
            if style is not None:
                cell = WriteOnlyCell(ws)
                cell._style = style  # shared, never changed: only read when the cell is written
                cell.value = value
                out.append(cell)
            elif kind == TEXT and value[0] in ("=", "#"):
                # "=..." would become a formula and "#N/A" an error value: keep what was typed.
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(value)
        return out


def measure_widths(fields: Sequence[Field], sample: Sequence[Sequence[Any]]) -> list[int]:
    widths = []
    for index, f in enumerate(fields):
        if f.width:
            widths.append(f.width)
            continue
        longest = display_width(str(f.header))
        for values in sample:
            shown = _shown(f.kind, cell_value(f.kind, values[index]))
            longest = max(longest, display_width(shown))
        widths.append(min(MAX_WIDTH, max(MIN_WIDTHS[f.kind], longest + 2)))
    return widths


def write_xlsx(target: str | BinaryIO, *, title: str, fields: Sequence[Field], rows: Iterable[Sequence[Any]],
               max_rows: int = EXCEL_MAX_ROWS, progress: Callable[[int], None] | None = None,
               progress_every: int = 2000) -> int:
    """Write `rows` (sequences of values in `fields` order) to `target` (a path or a
    binary file object); a new sheet starts when one holds `max_rows` rows
    counting its header.  Returns the number of data rows written."""
    if max_rows < 2:
        raise ValueError("a sheet needs room for its header and at least one row")
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    wb = Workbook(write_only=True)
    sheets = _Sheets(wb, title, fields, measure_widths(fields, sample))
    make = _RowMaker(fields)
    ws = sheets.new()
    make.bind(ws)
    in_sheet = 1
    written = 0
    for values in itertools.chain(sample, rows):
        if in_sheet >= max_rows:
            ws = sheets.new()
            make.bind(ws)
            in_sheet = 1
        ws.append(make(values))
        in_sheet += 1
        written += 1
        if progress is not None and written % progress_every == 0:
            progress(written)
    wb.save(target)
    if progress is not None:
        progress(written)
    return written
