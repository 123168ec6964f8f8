"""Staff console pages for the org tree, customers, imports and jurisdictions."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from ..pagination import WindowCountPaginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..errors import AppError
from ..importing import template_workbook
from ..models import Building, Community, CustomerType, ImportJob, Station, User
from ..models.org import ContactKind, HeatingStatus, MeteringMode
from ..progress import progress_get
from ..roles import Role
from ..scoping import get_visible_or_404
from ..selectors.customers import customer_history, customer_list, jurisdiction_stats
from ..services.customers import customer_phone_list, customer_update
from ..services.imports import import_job_create
from .forms import CustomerEditForm, ImportForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER_KEYS = ("station", "community", "building", "unit", "customer_type", "heating_status", "metering_mode",
               "contact_kind", "collector")
NUMERIC_FILTERS = {"station", "community", "building", "unit", "customer_type", "collector"}


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def home(request):
    user = request.user
    customers = customer_list(actor=user)
    context = {
        "customer_count": customers.count(),
        "no_mobile_count": customers.exclude(contact_kind=ContactKind.MOBILE).count(),
        "stations": Station.objects.visible_to(user),
    }
    return render(request, "core_billing/home.html", context)


@login_required
@permission_required("core_billing.view_customer", raise_exception=True)
def customer_list_page(request):
    user = request.user
    params = {k: request.GET.get(k, "").strip() for k in (*FILTER_KEYS, "q")}
    filters = {k: (params[k] if k not in NUMERIC_FILTERS or params[k].isdigit() else "") or None
               for k in FILTER_KEYS}
    qs = customer_list(actor=user, search=params["q"], **filters)
    page = WindowCountPaginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "params": params,
        "query": query.urlencode(),
        "stations": Station.objects.visible_to(user),
        "communities": Community.objects.visible_to(user),
        "buildings": (Building.objects.visible_to(user).filter(community_id=params["community"])
                      if params["community"].isdigit() else []),
        "customer_types": CustomerType.objects.filter(is_active=True),
        "collectors": User.objects.visible_to(user).with_role(Role.COLLECTOR),
        "heating_statuses": HeatingStatus.choices,
        "metering_modes": MeteringMode.choices,
        "contact_kinds": ContactKind.choices,
    }
    template = "core_billing/_customer_rows.html" if request.htmx else "core_billing/customer_list.html"
    return render(request, template, context)


@login_required
@permission_required("core_billing.view_customer", raise_exception=True)
def customer_detail(request, pk):
    customer = get_visible_or_404(customer_list(actor=request.user).prefetch_related("phones"), request.user, pk=pk)
    history = customer_history(actor=request.user, customer=customer)[:100]
    from ..selectors.billing import customer_billing_summary

    return render(request, "core_billing/customer_detail.html", {
        "customer": customer, "history": history,
        "can_edit": request.user.has_perm("core_billing.change_customer"),
        "billing": (customer_billing_summary(customer)
                    if request.user.has_perm("core_billing.view_seasonaccount") else None),
    })


@login_required
@permission_required("core_billing.change_customer", raise_exception=True)
def customer_edit(request, pk):
    customer = get_visible_or_404(customer_list(actor=request.user), request.user, pk=pk)
    initial = {"phones": " / ".join(customer_phone_list(customer))}
    form = CustomerEditForm(request.POST or None, instance=customer, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(actor=request.user, customer=customer, changes=form.changes(),
                            phones=form.phone_list(), reason=form.cleaned_data["reason"],
                            effective_date=form.cleaned_data.get("effective_date"))
        except AppError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:customer-detail", pk=customer.pk)
    return render(request, "core_billing/customer_edit.html", {"customer": customer, "form": form})


@login_required
@permission_required("core_billing.view_importjob", raise_exception=True)
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and request.user.has_perm("core_billing.add_importjob") and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(actor=request.user, filename=upload.name, data=upload.read(),
                                    station=form.cleaned_data.get("station"))
        except AppError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("console:import-detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user).select_related("actor", "station")[:20]
    return render(request, "core_billing/import_list.html", {"form": form, "jobs": jobs})


@login_required
@permission_required("core_billing.view_importjob", raise_exception=True)
def import_detail(request, pk):
    job = get_visible_or_404(ImportJob.objects.defer("source", "error_report"), request.user, pk=pk)
    context = {"job": job, "progress": progress_get(f"import:{job.pk}"),
               "has_report": ImportJob.objects.filter(pk=job.pk, error_report__isnull=False).exists()}
    template = "core_billing/_import_progress.html" if request.htmx else "core_billing/import_detail.html"
    return render(request, template, context)


@login_required
@permission_required("core_billing.view_importjob", raise_exception=True)
def import_errors(request, pk):
    job = get_visible_or_404(ImportJob, request.user, pk=pk)
    if not job.error_report:
        return redirect("console:import-detail", pk=job.pk)
    return _download(bytes(job.error_report), f"import-{job.pk}-errors.xlsx")


@login_required
def import_template(request):
    return _download(template_workbook(), "customer-import-template.xlsx")


@login_required
@permission_required("core_billing.view_collectorassignment", raise_exception=True)
def jurisdictions(request):
    rows = jurisdiction_stats(actor=request.user)
    collectors = {u.pk: u for u in User.objects.visible_to(request.user).filter(
        pk__in=[r["collector_id"] for r in rows]).select_related("station")}
    for row in rows:
        row["collector"] = collectors.get(row["collector_id"])
    return render(request, "core_billing/jurisdictions.html", {"rows": rows})


@login_required
def buildings_options(request):
    """<option>s for the building filter once a community is picked (htmx)."""
    community = request.GET.get("community", "")
    buildings = Building.objects.visible_to(request.user).filter(community_id=community) if community.isdigit() \
        else Building.objects.none()
    return render(request, "core_billing/_building_options.html", {"buildings": buildings})

