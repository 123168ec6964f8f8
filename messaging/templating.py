"""Topic bodies: a small, safe subset of Jinja2 (MSG-01).  Pure, no database.

Staff type `{{ customer_name }}` or the Chinese display name `{{ 客户名称 }}`
(stored as the stable key).  A body is checked on save: syntax, placeholders
that exist and suit the topic's kind, and only the harmless parts of the
language (text, placeholders, if/else, a few filters): a topic is written by
office staff and rendered 100,000 times, so loops, calls and attribute access
are refused rather than sandboxed at render time.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core_billing.errors import AppError


class TopicKind:
    NOTICE = "notice"
    DUNNING = "dunning"
    SERVICE = "service"
    INTERNAL = "internal"
    WORK_ORDER = "work_order"
    CUSTOMER_KINDS = (NOTICE, DUNNING, SERVICE)
    ALL = (NOTICE, DUNNING, SERVICE, INTERNAL, WORK_ORDER)


@dataclass(frozen=True)
class Placeholder:
    key: str  # stable, stored in bodies
    label: str  # the Chinese display name staff see and may type
    label_en: str
    provider: str  # the context provider that supplies the value
    kinds: tuple[str, ...]  # topic kinds it makes sense in
    sample: str  # shown in the editor's sample preview, never sent


_C = TopicKind.CUSTOMER_KINDS
_STAFF = (TopicKind.INTERNAL, TopicKind.WORK_ORDER)

PLACEHOLDERS: dict[str, Placeholder] = {p.key: p for p in [
    Placeholder("customer_name", "客户名称", "customer name", "customer", _C, "张伟"),
    Placeholder("account_no", "户号", "account number", "customer", _C, "10000123"),
    Placeholder("address", "地址", "address", "customer", _C, "阳光花园1号楼2单元502"),
    Placeholder("community", "小区", "community", "customer", _C, "阳光花园"),
    Placeholder("area", "面积", "area (m²)", "customer", _C, "88.50"),
    Placeholder("season", "供暖年度", "heating season", "billing", _C, "2025-2026"),
    Placeholder("unit_price", "单价", "unit price", "billing", _C, "25.00"),
    Placeholder("amount_due", "应缴金额", "amount due", "billing", _C, "2212.50"),
    Placeholder("late_fee", "滞纳金", "late fee", "billing", _C, "33.19"),
    Placeholder("total_owed", "欠费合计", "total owed", "billing", _C, "2245.69"),
    Placeholder("arrears_seasons", "欠费年数", "seasons in arrears", "billing", _C, "1"),
    Placeholder("pay_link", "缴费链接", "pay link", "pay_link", _C, "https://nx.example.cn/p/Ab3dE9"),
    Placeholder("paid_amount", "缴费金额", "amount paid", "payment", (TopicKind.SERVICE,), "2212.50"),
    Placeholder("receipt_no", "收据号", "receipt number", "payment", (TopicKind.SERVICE,), "S1202611280001"),
    Placeholder("receipt_link", "收据链接", "receipt link", "payment", (TopicKind.SERVICE,),
                "https://nx.example.cn/r/12-Ab3dE9xY2kLm"),
    Placeholder("verification_code", "验证码", "verification code", "verification", (TopicKind.SERVICE,), "246810"),
    Placeholder("company_signature", "公司签名", "company signature", "company", TopicKind.ALL, "暖信热力"),
    Placeholder("hotline", "客服热线", "hotline", "company", TopicKind.ALL, "0412-96000"),
    Placeholder("station_name", "供热站", "heating station", "company", TopicKind.ALL, "铁东供热站"),
    Placeholder("staff_name", "员工姓名", "staff name", "staff", _STAFF, "王师傅"),
    Placeholder("work_order_no", "工单号", "work order number", "work_order", (TopicKind.WORK_ORDER,),
                "GD-20261128-0012"),
    Placeholder("work_order_address", "报修地址", "repair address", "work_order", (TopicKind.WORK_ORDER,),
                "阳光花园1号楼2单元502"),
    Placeholder("contact_name", "联系人", "contact name", "work_order", (TopicKind.WORK_ORDER,), "张伟"),
    Placeholder("contact_phone", "联系电话", "contact phone", "work_order", (TopicKind.WORK_ORDER,),
                "13800138000"),
    Placeholder("problem", "问题描述", "problem", "work_order", (TopicKind.WORK_ORDER,), "暖气不热"),
    Placeholder("appointment", "预约时间", "appointment", "work_order", (TopicKind.WORK_ORDER,),
                "11月28日 14:00-16:00"),
]}
BY_LABEL = {p.label: p.key for p in PLACEHOLDERS.values()}

ALLOWED_FILTERS = {"default", "d", "trim", "upper", "lower", "replace", "truncate", "round", "int", "string",
                   "length", "abs"}
ALLOWED_TESTS = {"defined", "undefined", "none", "number", "string", "eq", "ne", "gt", "ge", "lt", "le"}
_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If,
                  nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Concat,
                  nodes.Filter, nodes.Test, nodes.Keyword, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div,
                  nodes.Neg, nodes.Pos)
_FRIENDLY = {nodes.For: "for 循环", nodes.Macro: "宏", nodes.Call: "函数调用", nodes.Getattr: "属性访问",
             nodes.Getitem: "下标访问", nodes.Assign: "赋值", nodes.AssignBlock: "赋值",
             nodes.Include: "include", nodes.Extends: "extends", nodes.Import: "import",
             nodes.FromImport: "import", nodes.Block: "block"}

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class CheckedBody:
    body: str  # normalised: Chinese display names replaced by keys
    keys: frozenset[str]

    @property
    def providers(self) -> set[str]:
        return {PLACEHOLDERS[k].provider for k in self.keys}


def placeholders_for(kind: str) -> list[Placeholder]:
    return [p for p in PLACEHOLDERS.values() if kind in p.kinds]


def valid_list(kind: str) -> list[dict]:
    return [{"key": p.key, "label": p.label} for p in placeholders_for(kind)]


def _valid_text(kind: str) -> str:
    return "、".join(f"{p.label}（{p.key}）" for p in placeholders_for(kind))


def _problem(message: str, kind: str, *, line: int | None = None, column: int | None = None) -> AppError:
    where = f"第 {line} 行" + (f"第 {column} 个字" if column else "") + "：" if line else ""
    return AppError(f"{where}{message}", field="body",
                    extra={"line": line, "column": column, "placeholders": valid_list(kind)})


def _positions(source: str):
    """(lineno, column, token type, value) for every token, columns 1-based."""
    line_start = 0  # offset in `text` of the current line
    text = ""
    for lineno, ttype, value in _env.lex(source):
        column = len(text) - line_start + 1
        yield lineno, column, ttype, value
        text += value
        if "\n" in value:
            line_start = text.rindex("\n") + 1


def normalize(source: str) -> str:
    """Replace typed Chinese display names ({{ 客户名称 }}) by their keys."""
    try:
        return "".join(BY_LABEL.get(value, value) if ttype == "name" else value
                       for _l, _c, ttype, value in _positions(source))
    except TemplateSyntaxError:
        return source  # check() reports it with its position


def check(source: str, kind: str) -> CheckedBody:
    """Validate a body for a topic of `kind`; AppError names the position and lists valid placeholders."""
    if kind not in TopicKind.ALL:
        raise AppError(f"未知的主题类型：{kind}", field="kind")
    if not source or not source.strip():
        raise AppError("短信内容不能为空。", field="body")
    body = normalize(source.strip())
    try:
        tree = _env.parse(body)
    except TemplateSyntaxError as exc:
        raise _problem(f"模板语法错误：{exc.message}", kind, line=exc.lineno) from exc
    names: dict[str, tuple[int, int]] = {}
    for lineno, column, ttype, value in _positions(body):
        if ttype == "name":
            names.setdefault(value, (lineno, column))
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            what = next((label for cls, label in _FRIENDLY.items() if isinstance(node, cls)), type(node).__name__)
            raise _problem(f"短信模板不支持{what}。", kind, line=getattr(node, "lineno", None))
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            raise _problem(f"不支持的过滤器：{node.name}", kind, line=node.lineno)
        if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            raise _problem(f"不支持的判断：{node.name}", kind, line=node.lineno)
    keys = set()
    for node in tree.find_all(nodes.Name):
        name = node.name
        line, column = names.get(name, (node.lineno, None))
        if name not in PLACEHOLDERS:
            raise _problem(f"未知的占位符「{name}」。可用的占位符：{_valid_text(kind)}", kind, line=line, column=column)
        if kind not in PLACEHOLDERS[name].kinds:
            raise _problem(f"占位符「{PLACEHOLDERS[name].label}」不能用于这类主题。可用的占位符：{_valid_text(kind)}",
                           kind, line=line, column=column)
        keys.add(name)
    return CheckedBody(body=body, keys=frozenset(keys))


@functools.lru_cache(maxsize=1024)
def _compiled(body: str):
    return _env.from_string(body)


@functools.lru_cache(maxsize=1024)
def keys_of(body: str) -> frozenset[str]:
    """The placeholders a stored (already checked) body uses."""
    return frozenset(n.name for n in _env.parse(body).find_all(nodes.Name))


def render(body: str, values: dict) -> str:
    """Fill a checked body.  A missing value is a bug upstream, so StrictUndefined makes it loud.

    The values are the context itself (shared): a checked body names only
    placeholders, so the environment's globals need not be merged in for each
    of a campaign's 100,000 messages."""
    template = _compiled(body)
    return _env.concat(template.root_render_func(template.new_context(values, shared=True))).strip()


def sample_values() -> dict[str, str]:
    return {p.key: p.sample for p in PLACEHOLDERS.values()}
