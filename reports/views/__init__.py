"""Report pages: the manager dashboard, collection progress, the arrears list,
the daily cash report, jurisdictions, and exports (start, progress, download).

Each report page shows the rows of its export source with the source's own
columns, so what is on the page is what lands in the file."""
from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core_billing.errors import AppError
from core_billing.pagination import WindowCountPaginator
from core_billing.progress import progress_get
from core_billing.scoping import get_visible_or_404

from .. import charts
from ..exports import Column, get_source, sources_for
from ..selectors.billing import arrears_totals, cash_report, collection_progress
from ..selectors.dashboard import dashboard as dashboard_data
from ..selectors.exports import export_list
from ..services.exports import export_file, export_start, progress_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_REPORTS = "reports.view_reports"
SOURCE_PAGES = {"collection": "reports:collection", "arrears": "reports:arrears", "cash": "reports:cash",
                "jurisdictions": "reports:jurisdictions", "messages": "reports:records", "campaigns": "reports:campaigns"}


def attachment(response, filename: str):
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _filter(source_name: str, request, *, run: bool = True):
    """The bound filter form of a report page (its defaults when nothing is asked),
    and the source's rows unless the page reads the report itself (run=False)."""
    source = get_source(source_name)
    form = source.filter_form(request.GET, request.user)
    rows, error = None, None
    try:
        form.clean_or_error()
    except AppError as exc:
        error = exc.message
    else:
        rows = source.query(request.user, form.kwargs()) if run else None
    return source, form, rows, error


def _columns(source, keys=None) -> list[Column]:
    return [c for c in source.columns if keys is None or c.key in keys]


@login_required
def index(request):
    allowed = [s for s in sources_for(request.user) if s.name in SOURCE_PAGES]
    return render(request, "reports/index.html", {
        "sources": [{"source": s, "url": reverse(SOURCE_PAGES[s.name])} for s in allowed],
        "can_dashboard": request.user.has_perm("reports.view_dashboard"),
        "can_exports": request.user.has_perm("reports.view_exportjob")})


@login_required
@permission_required("reports.view_dashboard", raise_exception=True)
def dashboard(request):
    data = dashboard_data(actor=request.user)
    charts_svg = {}
    if data["curve"] is not None:
        curve = data["curve"]
        for name, compact in (("wide", False), ("narrow", True)):
            charts_svg[name] = charts.collection_curve_svg(
                curve, title=_("Collection rate through the season"), current_label=curve.season,
                previous_label=_("%(season)s at the same point") % {"season": curve.previous}, compact=compact)
    most = max((r["owed"] for r in data["arrears"]), default=0)
    for row in data["arrears"]:
        row["bar"] = int(100 * row["owed"] / most) if most else 0
    return render(request, "reports/dashboard.html", {**data, "charts": charts_svg})


@login_required
@permission_required(VIEW_REPORTS, raise_exception=True)
def collection(request):
    source, form, _rows, error = _filter("collection", request, run=False)
    report = collection_progress(actor=request.user, **form.kwargs()) if error is None else None
    group_by = form.cleaned_data.get("group_by", "station") if error is None else "station"
    query = request.GET.copy()
    tabs = []
    for value, label in form.fields["group_by"].choices:
        query["group_by"] = value
        tabs.append({"value": value, "label": label, "query": query.urlencode(), "active": value == group_by})
    return render(request, "reports/collection.html", {
        "source": source, "form": form, "error": error, "report": report, "tabs": tabs,
        "columns": _columns(source, None if group_by == "season" else
                            {"label", "households", "area", "receivable", "collected", "outstanding", "rate",
                             *(["station"] if group_by != "station" else [])})})


@login_required
@permission_required(VIEW_REPORTS, raise_exception=True)
def arrears(request):
    source, form, rows, error = _filter("arrears", request)
    page = WindowCountPaginator(rows if rows is not None else [], 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "source": source, "form": form, "error": error, "page": page, "query": query.urlencode(),
        "totals": arrears_totals(rows) if rows is not None else None,
        "columns": _columns(source, {"account_no", "name", "collector", "heating_status", "arrears_seasons",
                                     "old_arrears", "due_current", "late_fee_total", "arrears_total"}),
    }
    template = "reports/_arrears_rows.html" if request.htmx else "reports/arrears.html"
    return render(request, template, context)


@login_required
@permission_required(VIEW_REPORTS, raise_exception=True)
def cash(request):
    source, form, _rows, error = _filter("cash", request, run=False)
    report = cash_report(actor=request.user, **form.kwargs()) if error is None else None
    total = {**report["totals"], "day": None, "station": "", "collector": _("Total")} if report else None
    return render(request, "reports/cash.html", {
        "source": source, "form": form, "error": error, "report": report, "columns": _columns(source),
        "total": total, "rows": report["rows"] if report else []})


@login_required
@permission_required(VIEW_REPORTS, raise_exception=True)
def jurisdictions(request):
    source, form, rows, error = _filter("jurisdictions", request)
    return render(request, "reports/jurisdictions.html", {
        "source": source, "form": form, "error": error, "columns": _columns(source),
        "rows": rows[:-1] if rows else [], "total": rows[-1] if rows else None})


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaigns(request):
    source, form, rows, error = _filter("campaigns", request)
    columns = _columns(source)
    if form.is_valid() and form.cleaned_data.get("group_by") == "topic":
        columns = [c for c in columns if c.key not in ("station", "created_at")]
    else:
        columns = [c for c in columns if c.key != "campaigns"]
    return render(request, "reports/campaigns.html", {
        "source": source, "form": form, "error": error, "columns": columns,
        "rows": rows[:-1] if rows else [], "total": rows[-1] if rows else None})


@login_required
@require_POST
def export(request, source):
    """Export what a report page shows (its filter comes in the form): small
    exports download at once, larger ones go to the export's progress page."""
    page = SOURCE_PAGES.get(source, "reports:index")
    try:
        # delivery=file: always a stored export with its progress page (the records page asks for it)
        result = export_start(actor=request.user, source=source, params=request.POST,
                              inline_allowed=request.POST.get("delivery") != "file")
    except AppError as exc:
        messages.error(request, exc.message)
        return redirect(page)
    if result.content is not None:
        return attachment(HttpResponse(result.content, content_type=XLSX), result.job.filename)
    if not result.job.is_finished:
        messages.info(request, _("The export runs in the background; this page shows its progress."))
    return redirect("reports:export-detail", pk=result.job.pk)


@login_required
@permission_required("reports.view_exportjob", raise_exception=True)
def export_list_page(request):
    page = WindowCountPaginator(export_list(actor=request.user).select_related("actor"), 30).get_page(
        request.GET.get("page"))
    return render(request, "reports/export_list.html", {"page": page})


@login_required
@permission_required("reports.view_exportjob", raise_exception=True)
def export_detail(request, pk):
    job = get_visible_or_404(export_list(actor=request.user), request.user, pk=pk)
    context = {"job": job, "progress": progress_get(progress_key(job))}
    template = "reports/_export_progress.html" if request.htmx else "reports/export_detail.html"
    return render(request, template, context)


@login_required
@permission_required("reports.view_exportjob", raise_exception=True)
def export_download(request, pk):
    job = get_visible_or_404(export_list(actor=request.user), request.user, pk=pk)
    if job.actor_id != request.user.pk and not get_source(job.source).allowed(request.user):
        raise Http404  # someone else's export of data this user may not read
    if not job.can_download:
        messages.error(request, _("This export has no file to download."))
        return redirect("reports:export-detail", pk=job.pk)
    response = StreamingHttpResponse(export_file(job), content_type=XLSX)
    response["Content-Length"] = str(job.size_bytes)
    return attachment(response, job.filename)
