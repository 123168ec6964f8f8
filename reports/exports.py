"""The export registry: a named source is a selector (actor + filter) and the
columns of its rows.  Pages, the API, background jobs and the benchmark all
export through it, so a new report is exportable by registering one source:

    register_source(ExportSource(
        name="arrears", title=_("Arrears list"), permission="reports.view_reports",
        form=ArrearsFilterForm, rows=arrears_list, columns=(
            Column("account_no", _("Account number")),
            Column("arrears_total", _("Total owed"), MONEY),
            ...)))

`rows(actor=..., **filter)` returns a QuerySet (streamed with .iterator()) or a
list of dicts; a column reads its value by key, dotted path or callable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.errors import AppError, PermissionDeniedError

from .filters import ReportFilterForm
from .xlsx import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, TEXT, Field  # noqa: F401 (re-exported kinds)

ITERATOR_CHUNK = 2000


def _resolve(row: Any, path: str) -> Any:
    value = row
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value() if callable(value) else value


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # a lazy translation: the language is the exporting user's
    kind: str = TEXT
    get: str | Callable[[Any], Any] | None = None  # dotted path or callable; default: key
    width: int | None = None

    def value(self, row: Any) -> Any:
        if callable(self.get):
            return self.get(row)
        return _resolve(row, self.get or self.key)

    def field(self) -> Field:
        return Field(header=str(self.header), kind=self.kind, width=self.width)


@dataclass(frozen=True)
class ExportSource:
    name: str
    title: Any
    permission: str
    form: type[ReportFilterForm]
    rows: Callable[..., Iterable | QuerySet]
    columns: Sequence[Column]
    description: Any = ""

    def allowed(self, actor) -> bool:
        return bool(actor and actor.is_active and actor.has_perm(self.permission))

    def require(self, actor) -> None:
        if not self.allowed(actor):
            raise PermissionDeniedError("没有查看该报表的权限。")

    def filter_form(self, params, actor) -> ReportFilterForm:
        return self.form(params, actor=actor)

    def query(self, actor, cleaned_kwargs: dict) -> Iterable | QuerySet:
        return self.rows(actor=actor, **cleaned_kwargs)

    def fields(self) -> list[Field]:
        return [c.field() for c in self.columns]

    def values(self, row: Any) -> list:
        return [c.value(row) for c in self.columns]

    def as_dict(self, row: Any) -> dict:
        return {c.key: c.value(row) for c in self.columns}


def count_rows(rows: Iterable | QuerySet) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)  # type: ignore[arg-type]


def iterate_rows(rows: Iterable | QuerySet) -> Iterator:
    """Rows one at a time: a QuerySet through a cursor (server-side on
    PostgreSQL), so a million rows never sit in memory at once."""
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=ITERATOR_CHUNK)
    return iter(rows)


_sources: dict[str, ExportSource] = {}


def register_source(source: ExportSource) -> None:
    _sources[source.name] = source


def get_source(name: str) -> ExportSource:
    try:
        return _sources[name]
    except KeyError:
        raise AppError(f"没有名为“{name}”的报表。", field="source", code="not_found",
                       extra={"valid": sorted(_sources)}) from None


def all_sources() -> list[ExportSource]:
    return list(_sources.values())


def sources_for(actor) -> list[ExportSource]:
    return [s for s in _sources.values() if s.allowed(actor)]


def kind_label(kind: str):
    return {TEXT: pgettext_lazy("column type", "text"), INT: _("integer"), MONEY: _("money"), DECIMAL: _("decimal"), PERCENT: _("percentage"),
            DATE: _("date"), DATETIME: _("date and time")}[kind]
