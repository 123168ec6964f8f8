"""Delivery records (MSG-05, RPT-01): the one page where supervisors and
customer service find messages, with the export of exactly that query.

Built to stay fast on millions of messages: the rows are a keyset page
(`message_page`, no OFFSET, no COUNT), the status counts come in their own
request once per filter (not with every page turn or refresh), and the
export runs the same filter as a background job."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from core_billing.errors import AppError
from core_billing.scoping import is_head_office
from messaging.models import MessageStatus
from messaging.selectors.messages import message_page, status_counts

from . import _filter

VIEW_MESSAGES = "messaging.view_message"
CURSOR_KEYS = ("after", "before")


def _query(request, *drop: str) -> str:
    query = request.GET.copy()
    for key in (*CURSOR_KEYS, "page", *drop):
        query.pop(key, None)
    return query.urlencode()


@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def records(request):
    source, form, rows, error = _filter("messages", request)
    page = None
    if rows is not None:
        try:
            page = message_page(rows, after=request.GET.get("after"), before=request.GET.get("before"))
        except AppError as exc:  # a cursor from a mangled link: say so, show the newest
            error, page = exc.message, message_page(rows)
    context = {"source": source, "form": form, "error": error, "page": page, "query": _query(request),
               "show_station": is_head_office(request.user), "export_params": _export_params(request)}
    context["export_query"] = urlencode(context["export_params"])
    if request.htmx and request.htmx.target == "record-rows":
        template = "reports/_record_rows.html"
    elif request.htmx and request.htmx.target == "results":
        template = "reports/_records.html"
    else:
        template = "reports/records.html"
    return render(request, template, context)


def _export_params(request) -> list[tuple[str, str]]:
    return [(k, v) for k, values in request.GET.lists() if k not in (*CURSOR_KEYS, "page") for v in values]


@login_required
@permission_required(VIEW_MESSAGES, raise_exception=True)
def record_counts(request):
    """How many messages the filter finds, by status (one GROUP BY, asked once per filter)."""
    source, form, rows, error = _filter("messages", request)
    counts = status_counts(rows) if rows is not None else {}
    return render(request, "reports/_record_counts.html", {
        "error": error, "total": sum(counts.values()),
        "counts": [(value, label, counts[value]) for value, label in MessageStatus.choices if value in counts]})
