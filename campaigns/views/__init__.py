"""Campaign pages: audience builder with live preview, campaigns with live progress, resend, dunning.

Outcomes across campaigns (per campaign, per topic and season, with the export) are
the reports app's page /reports/campaigns/."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core_billing.errors import AppError
from core_billing.pagination import WindowCountPaginator
from core_billing.scoping import get_visible_or_404

from ..audience import clean_filters, check_visible
from ..models import Audience, Campaign, CampaignStatus, DunningScheme
from ..selectors.audiences import audience_preview, skipped_workbook
from ..selectors.campaigns import (audience_list, campaign_list, campaign_outcome,
                                   campaign_progress, dunning_scheme_list)
from ..services import audiences as aud_svc, campaigns as svc, dunning as dun_svc
from ..services._common import owner_station
from ..services.resend import failed_to_resend, messages_resend_failed
from .forms import AudienceForm, CampaignForm, CriteriaForm, DunningSchemeForm, ResendFilterForm, SendRulesForm


def _form_error(form, exc: AppError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list_page(request):
    status = request.GET.get("status", "")
    qs = campaign_list(actor=request.user, status=status if status in CampaignStatus.values else "")
    page = WindowCountPaginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html", {"page": page, "status": status,
                                                             "statuses": CampaignStatus.choices})


# --- audiences --------------------------------------------------------------------

@login_required
@permission_required("campaigns.view_audience", raise_exception=True)
def audience_list_page(request):
    return render(request, "campaigns/audience_list.html", {"audiences": audience_list(actor=request.user)})


@login_required
@permission_required("campaigns.view_audience", raise_exception=True)
def audience_edit(request, pk=None):
    user = request.user
    audience = get_visible_or_404(Audience, user, pk=pk) if pk else None
    can_save = user.has_perm("campaigns.change_audience" if audience else "campaigns.add_audience")
    initial = {"name": audience.name, **CriteriaForm.initial_from(audience.filters)} if audience else {}
    form = AudienceForm(request.POST or None, actor=user, initial=initial)
    rules = SendRulesForm(request.POST or None, actor=user)
    if request.method == "POST" and can_save and form.is_valid():
        try:
            if audience is None:
                audience = aud_svc.audience_create(actor=user, name=form.cleaned_data["name"],
                                                   filters=form.criteria())
            else:
                aud_svc.audience_update(actor=user, audience=audience, name=form.cleaned_data["name"],
                                        filters=form.criteria())
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Audience saved."))
            return redirect("campaigns:audience-edit", pk=audience.pk)
    return render(request, "campaigns/audience_edit.html", {"form": form, "rules": rules, "audience": audience,
                                                             "can_save": can_save})


def _preview_args(request, data) -> dict:
    """Criteria (from a saved audience or the builder) and send rules out of a request; AppError if bad."""
    user = request.user
    rules = SendRulesForm(data, actor=user)
    rules.is_valid()
    r = rules.cleaned_data
    station_id = None
    if data.get("audience"):
        audience = Audience.objects.visible_to(user).filter(pk=data.get("audience")).first() \
            if str(data.get("audience")).isdigit() else None
        if audience is None:
            raise AppError(_("Unknown audience."))
        filters, station_id = audience.filters, audience.station_id
    else:
        criteria = CriteriaForm(data, actor=user)
        if not criteria.is_valid():
            raise AppError("; ".join(e for errs in criteria.errors.values() for e in errs))
        filters = clean_filters(criteria.criteria())
        check_visible(user, filters)
        station_id = owner_station(user, None)
    return {"filters": filters, "station_id": station_id, "topic": r.get("topic"), "season": r.get("season") or "",
            "no_repeat": bool(r.get("no_repeat"))}


@login_required
@permission_required("campaigns.view_audience", raise_exception=True)
@require_POST
def preview_partial(request):
    """The live count (htmx): recipients, every skip reason, segments and cost."""
    try:
        args = _preview_args(request, request.POST)
        out = audience_preview(actor=request.user, **args)
    except AppError as exc:
        return render(request, "campaigns/_preview.html", {"error": exc.message})
    query = request.POST.copy()
    query.pop("csrfmiddlewaretoken", None)
    return render(request, "campaigns/_preview.html", {"out": out, "query": query.urlencode()})


@login_required
@permission_required("campaigns.view_audience", raise_exception=True)
def skipped_download(request):
    try:
        args = _preview_args(request, request.GET)
    except AppError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    data = skipped_workbook(actor=request.user, **args)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="skipped-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- campaigns --------------------------------------------------------------------

@login_required
@permission_required("campaigns.add_campaign", raise_exception=True)
def campaign_create_page(request):
    user = request.user
    initial = {"audience": request.GET.get("audience")} if request.GET.get("audience") else {}
    form = CampaignForm(request.POST or None, actor=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = svc.campaign_create(actor=user, name=d["name"], topic=d["topic"], season=d["season"],
                                           audience=d["audience"], no_repeat=d["no_repeat"], send_at=d["send_at"])
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Campaign started.") if campaign.status != CampaignStatus.SCHEDULED
                             else _("Campaign scheduled."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


def _campaign(request, pk) -> Campaign:
    return get_visible_or_404(Campaign.objects.select_related("topic", "audience", "station", "created_by"),
                              request.user, pk=pk)


def _progress_context(request, campaign) -> dict:
    return {"campaign": campaign, "progress": campaign_progress(campaign),
            "outcome": campaign_outcome(actor=request.user, campaign=campaign)}


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_detail(request, pk):
    campaign = _campaign(request, pk)
    context = _progress_context(request, campaign)
    context["resend_count"] = failed_to_resend(actor=request.user, filters={"campaign": campaign.pk}).count()
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_progress_partial(request, pk):
    campaign = _campaign(request, pk)
    context = _progress_context(request, campaign)
    context["resend_count"] = failed_to_resend(actor=request.user, filters={"campaign": campaign.pk}).count()
    return render(request, "campaigns/_progress.html", context)


ACTIONS = {"pause": svc.campaign_pause, "resume": svc.campaign_resume, "cancel": svc.campaign_cancel}


@login_required
@permission_required("campaigns.change_campaign", raise_exception=True)
@require_POST
def campaign_action(request, pk, action):
    campaign = _campaign(request, pk)
    func = ACTIONS.get(action)
    if func is None:
        return redirect("campaigns:detail", pk=pk)
    try:
        func(actor=request.user, campaign=campaign)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("campaigns:detail", pk=pk)


# --- resend -----------------------------------------------------------------------

@login_required
@permission_required("messaging.send_message", raise_exception=True)
def resend_failed(request):
    """GET: how many failed messages of this record filter will be resent; POST: resend them (once)."""
    user = request.user
    form = ResendFilterForm(request.GET or None, actor=user)
    filters = form.filters() if form.is_valid() else {}
    result = None
    if request.method == "POST":
        try:
            result = messages_resend_failed(actor=user, filters=filters)
        except AppError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)d failed messages resent.") % {"n": result.resent})
            if filters.get("campaign"):
                return redirect("campaigns:detail", pk=filters["campaign"])
    count = failed_to_resend(actor=user, filters=filters).count()
    return render(request, "campaigns/resend.html", {"form": form, "count": count, "result": result,
                                                      "query": request.GET.urlencode()})


# --- dunning ----------------------------------------------------------------------

@login_required
@permission_required("campaigns.view_dunningscheme", raise_exception=True)
def dunning_list(request):
    return render(request, "campaigns/dunning_list.html", {
        "schemes": dunning_scheme_list(actor=request.user), "today": timezone.localdate(),
        "can_manage": request.user.has_perm("campaigns.manage_dunningscheme")})


@login_required
@permission_required("campaigns.manage_dunningscheme", raise_exception=True)
def dunning_create(request):
    form = DunningSchemeForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = dun_svc.dunning_scheme_create(actor=request.user, **form.cleaned_data)
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Dunning scheme saved."))
            return redirect("campaigns:dunning-detail", pk=scheme.pk)
    return render(request, "campaigns/dunning_form.html", {"form": form})


@login_required
@permission_required("campaigns.view_dunningscheme", raise_exception=True)
def dunning_detail(request, pk):
    scheme = get_visible_or_404(DunningScheme.objects.select_related("topic", "audience"), request.user, pk=pk)
    if request.method == "POST" and request.user.has_perm("campaigns.manage_dunningscheme"):
        try:
            dun_svc.dunning_scheme_update(actor=request.user, scheme=scheme,
                                          changes={"is_active": not scheme.is_active})
        except AppError as exc:
            messages.error(request, exc.message)
        return redirect("campaigns:dunning-detail", pk=pk)
    today = timezone.localdate()
    return render(request, "campaigns/dunning_detail.html", {
        "scheme": scheme, "runs": scheme.runs.select_related("campaign"), "next_date": scheme.next_date(today),
        "can_manage": request.user.has_perm("campaigns.manage_dunningscheme")})
