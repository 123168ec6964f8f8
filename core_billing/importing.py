"""Customer workbooks: the template, reading rows, checking each one, and the
report of bad rows.  No database writes here (see services/imports.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Protocol

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .errors import AppError
from .models.org import HeatingStatus, MeteringMode, PhoneKind
from .phones import classify_phones, clean_text, split_phones

# (key, header, required, example)
COLUMNS = [
    ("account_no", "户号", True, "A0001001"),
    ("name", "姓名", True, "张伟"),
    ("community", "小区", True, "阳光花园"),
    ("building", "楼号", True, "1号楼"),
    ("unit", "单元", True, 1),
    ("room", "房号", True, "101"),
    ("customer_type", "客户类型", True, "居民"),
    ("area", "面积", True, 88.5),
    ("heating_status", "供热状态", False, "正常"),
    ("metering_mode", "计量方式", False, "面积"),
    ("phones", "电话", False, "13800138000 / 0412-5551234"),
    ("note", "备注", False, ""),
]
HEADERS = {header: key for key, header, _r, _e in COLUMNS}
STATUS_WORDS = {"正常": HeatingStatus.NORMAL, "供热": HeatingStatus.NORMAL, "报停": HeatingStatus.SUSPENDED,
                "停热": HeatingStatus.SUSPENDED, "强停": HeatingStatus.FORCED_STOP, **{v: v for v in HeatingStatus.values}}
METERING_WORDS = {"面积": MeteringMode.AREA, "按面积": MeteringMode.AREA, "计量": MeteringMode.METERED,
                  "热计量": MeteringMode.METERED, **{v: v for v in MeteringMode.values}}


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for col, (_key, header, required, example) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = bold
        if required:
            cell.fill = required_fill
        ws.cell(row=2, column=col, value=example)
        ws.column_dimensions[get_column_letter(col)].width = max(10, len(str(example)) + 4)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明")
    for line in [
        "黄色表头为必填列；第 2 行为示例，导入前请删除或改写。",
        "小区、楼号须已在系统中建立；单元为 1 到该楼单元数之间的整数。",
        "供热状态：正常 / 报停 / 强停（留空为正常）；计量方式：面积 / 计量（留空为面积）。",
        "电话可填多个，用 / 或 ， 分隔；手机号用于短信，座机仅作记录。",
        "任一行有错误时不导入任何数据，系统会返回错误行及原因。",
    ]:
        notes.append([line])
    notes.column_dimensions["A"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class RawRow:
    number: int  # the row number in Excel
    values: dict[str, object]


@dataclass
class CheckedRow:
    number: int
    values: dict[str, object]
    errors: list[str] = field(default_factory=list)
    clean: dict[str, object] = field(default_factory=dict)


def read_rows(data: bytes, max_rows: int) -> tuple[list[str], Iterator[RawRow]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a non-workbook
        raise AppError("无法读取文件：请上传 .xlsx 格式的 Excel 工作簿。", field="file") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None)
    if not header_row:
        raise AppError("工作簿是空的。", field="file")
    headers = [clean_text(h) for h in header_row]
    missing = [h for _k, h, required, _e in COLUMNS if required and h not in headers]
    if missing:
        raise AppError(f"缺少必填列：{'、'.join(missing)}。请使用导入模板。", field="file",
                       extra={"missing_columns": missing})
    index = {HEADERS[h]: i for i, h in enumerate(headers) if h in HEADERS}

    def generate() -> Iterator[RawRow]:
        count = 0
        for number, row in enumerate(rows, start=2):
            if row is None or all(v is None or clean_text(v) == "" for v in row):
                continue
            count += 1
            if count > max_rows:
                raise AppError(f"一次最多导入 {max_rows} 行。", field="file")
            values = {key: (row[i] if i < len(row) else None) for key, i in index.items()}
            yield RawRow(number=number, values=values)
        wb.close()

    return headers, generate()


class Lookups(Protocol):
    """What check_row asks of the database; services/imports.py answers it."""

    def building(self, community: str, building: str) -> Any: ...

    def has_community(self, community: str) -> bool: ...

    def customer_type(self, text: str) -> Any: ...


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value)


def check_row(row: RawRow, lookups: Lookups) -> CheckedRow:
    """Validate and normalise one row; `lookups` answers the questions that need the database."""
    out = CheckedRow(number=row.number, values=row.values)
    v = {k: _text(row.values.get(k)) for k, *_ in COLUMNS}
    for key, header, required, _e in COLUMNS:
        if required and not v[key]:
            out.errors.append(f"{header}不能为空")
    if out.errors:
        return out
    clean = out.clean
    clean["account_no"] = v["account_no"].replace(" ", "")
    clean["name"] = v["name"]
    building = lookups.building(v["community"], v["building"])
    if building is None:
        out.errors.append(f"小区“{v['community']}”不存在" if not lookups.has_community(v["community"])
                          else f"楼“{v['community']}{v['building']}”不存在")
    else:
        clean["building"] = building
    try:
        unit = int(Decimal(v["unit"].replace("单元", "")))
        if building is not None and not 1 <= unit <= building.unit_count:
            out.errors.append(f"单元须在 1 到 {building.unit_count} 之间")
        clean["unit"] = unit
    except Exception:
        out.errors.append("单元必须是整数")
    clean["room"] = v["room"].replace(" ", "")
    ctype = lookups.customer_type(v["customer_type"])
    if ctype is None:
        out.errors.append(f"客户类型“{v['customer_type']}”不存在")
    clean["customer_type"] = ctype
    try:
        area = Decimal(v["area"].replace("㎡", "").replace("m²", ""))
        if not area.is_finite() or area <= 0:
            raise ValueError
        clean["area"] = area.quantize(Decimal("0.01"))
        if clean["area"] != area:
            out.errors.append("面积最多两位小数")
    except Exception:
        out.errors.append("面积必须是正数")
    status = STATUS_WORDS.get(v["heating_status"] or "正常")
    if status is None:
        out.errors.append(f"供热状态“{v['heating_status']}”无效（正常 / 报停 / 强停）")
    clean["heating_status"] = status
    metering = METERING_WORDS.get(v["metering_mode"] or "面积")
    if metering is None:
        out.errors.append(f"计量方式“{v['metering_mode']}”无效（面积 / 计量）")
    clean["metering_mode"] = metering
    infos, mobile, kind = classify_phones(split_phones(_text(row.values.get("phones"))))
    bad = [i.raw for i in infos if i.kind == PhoneKind.INVALID]
    if bad:
        out.errors.append(f"电话号码无效：{'、'.join(bad)}")
    clean["phones"] = (infos, mobile, kind)
    clean["note"] = v["note"][:200]
    return out


def error_workbook(bad_rows: list[CheckedRow]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误行")
    ws.freeze_panes = "A2"
    for col in range(1, len(COLUMNS) + 3):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.column_dimensions[get_column_letter(len(COLUMNS) + 2)].width = 60
    ws.append(["Excel 行号", *[header for _k, header, *_ in COLUMNS], "错误原因"])
    for row in bad_rows:
        ws.append([row.number, *[_cell(row.values.get(k)) for k, *_ in COLUMNS], "；".join(row.errors)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: object) -> object:
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


