"""Billing pages: the collector desk (find → breakdown → pay → receipt), supervisor
pages (approvals, corrections, price changes with a preview), account changes and
adjustments, and the fee calculator.  Every write calls a service."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from ..errors import AppError
from ..models import Adjustment, Customer, LedgerEntry, PrecisionMode, Receipt, Season, SeasonAccount, Tariff
from ..scoping import get_visible_or_404
from ..selectors import billing as sel
from ..selectors.customers import customer_list
from ..services import billing as billing_services
from ..services import ledger, pricing_changes
from .billing_forms import (AdjustmentForm, CorrectionForm, DecisionForm, HeatingChangeForm, PaymentForm, PriceForm,
                            ReverseForm, RolloverForm)


def _form_error(form, exc: AppError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# --- the collector desk ------------------------------------------------------------

@login_required
@permission_required("core_billing.view_seasonaccount", raise_exception=True)
def desk(request):
    """Find a customer by name, account number, phone or address."""
    q = request.GET.get("q", "").strip()
    results = customer_list(actor=request.user, search=q)[:20] if q else []
    template = "core_billing/billing/_desk_results.html" if request.htmx else "core_billing/billing/desk.html"
    return render(request, template, {"q": q, "results": results})


@login_required
@permission_required("core_billing.view_seasonaccount", raise_exception=True)
def desk_customer(request, pk):
    """A customer's seasons, what settles them today, and the payment form."""
    customer = get_visible_or_404(customer_list(actor=request.user).prefetch_related("phones"), request.user, pk=pk)
    summary = sel.customer_billing_summary(customer)
    can_pay = request.user.has_perm("core_billing.take_payment")
    seasons = [(line.season_id, line.season) for line in summary.seasons if line.owed > 0 or line.is_current]
    form = PaymentForm(request.POST or None, seasons=seasons,
                       initial={"amount": summary.to_settle or None, "method": "cash"})
    if request.method == "POST":
        _need(request, "core_billing.take_payment")
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = ledger.payment_take(actor=request.user, customer=customer, amount=d["amount"],
                                             method=d["method"], paid_on=d["paid_on"],
                                             season=int(d["season"]) if d["season"] else None, note=d["note"])
            except AppError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Payment recorded."))
                return redirect("billing:receipt", pk=result.receipt.pk)
    return render(request, "core_billing/billing/desk_customer.html", {
        "customer": customer, "summary": summary, "form": form, "can_pay": can_pay,
        "receipts": sel.receipt_list(actor=request.user, customer=customer)[:10],
        "accounts": {a.season_id: a for a in SeasonAccount.objects.filter(customer=customer)},
        "can_change": request.user.has_perm("core_billing.change_heating"),
        "can_adjust": request.user.has_perm("core_billing.grant_adjustment"),
    })


@login_required
@permission_required("core_billing.view_receipt", raise_exception=True)
def receipt(request, pk):
    """A printable receipt; supervisors can reverse it here."""
    obj = get_visible_or_404(Receipt.objects.select_related("customer__building__community", "station",
                                                            "collector", "actor"), request.user, pk=pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST":
        _need(request, "core_billing.reverse_payment")
        if form.is_valid():
            try:
                ledger.payment_reverse(actor=request.user, receipt=obj, reason=form.cleaned_data["reason"])
            except AppError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The payment was reversed."))
                return redirect("billing:receipt", pk=obj.pk)
    lines = sel.receipt_lines(obj)
    return render(request, "core_billing/billing/receipt.html", {
        "receipt": obj, "lines": lines, "reversed": sel.receipt_reversed(obj), "form": form,
        "can_reverse": request.user.has_perm("core_billing.reverse_payment"),
    })


@login_required
@permission_required("core_billing.change_heating", raise_exception=True)
def account_change(request, pk):
    """报停 · 强停 · 复热 · 加片 · 面积变更 for one season account."""
    account = get_visible_or_404(SeasonAccount.objects.select_related("season", "customer"), request.user, pk=pk)
    form = HeatingChangeForm(request.POST or None, season=account.season,
                             initial={"effective_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            pricing_changes.heating_change(actor=request.user, account=account, kind=d["kind"],
                                           effective_date=d["effective_date"], area=d.get("area"),
                                           reason=d["reason"], change_reason=d["preset"])
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The change was recorded and the fees re-priced."))
            return redirect("billing:desk-customer", pk=account.customer_id)
    return render(request, "core_billing/billing/account_change.html", {
        "account": account, "form": form, "changes": account.changes.select_related("actor", "reason"),
        "timeline": pricing_changes.account_timeline(account)})


@login_required
@permission_required("core_billing.grant_adjustment", raise_exception=True)
def account_adjust(request, pk):
    """减免 / 折让 for one season account, by category."""
    account = get_visible_or_404(SeasonAccount.objects.select_related("season", "customer"), request.user, pk=pk)
    form = AdjustmentForm(request.POST or None, season=account.season)
    if request.method == "POST" and form.is_valid():
        try:
            adj = ledger.adjustment_grant(actor=request.user, account=account, category=form.cleaned_data["category"],
                                          reason=form.cleaned_data["reason"])
        except AppError as exc:
            _form_error(form, exc)
        else:
            if adj.status == Adjustment.Status.PENDING:
                messages.info(request, _("Above the approval limit: waiting for a second person's approval."))
            else:
                messages.success(request, _("Granted."))
            return redirect("billing:desk-customer", pk=account.customer_id)
    quotes = [(c, ledger.adjustment_quote(account, c)[0]) for c in form.fields["category"].queryset]
    return render(request, "core_billing/billing/account_adjust.html", {
        "account": account, "form": form, "quotes": quotes,
        "adjustments": account.adjustments.select_related("category", "requested_by", "decided_by")})


# --- supervisor pages ------------------------------------------------------------------

@login_required
@permission_required("core_billing.approve_adjustment", raise_exception=True)
def approvals(request):
    """Waivers and allowances above the limit, waiting for a second person."""
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            adj = get_visible_or_404(Adjustment, request.user, pk=form.cleaned_data["adjustment"])
            try:
                if form.cleaned_data["decision"] == "approve":
                    ledger.adjustment_approve(actor=request.user, adjustment=adj, note=form.cleaned_data["note"])
                    messages.success(request, _("Approved and posted."))
                else:
                    ledger.adjustment_reject(actor=request.user, adjustment=adj, note=form.cleaned_data["note"])
                    messages.success(request, _("Rejected."))
            except AppError as exc:
                messages.error(request, exc.message)
        return redirect("billing:approvals")
    decided = (Adjustment.objects.visible_to(request.user).exclude(status=Adjustment.Status.PENDING)
               .select_related("account__customer", "account__season", "category", "requested_by", "decided_by")
               .order_by("-decided_at")[:20])
    return render(request, "core_billing/billing/approvals.html", {
        "pending": sel.pending_adjustments(actor=request.user), "decided": decided})


@login_required
@permission_required("core_billing.correct_ledger", raise_exception=True)
def corrections(request):
    """费用矫正 of legacy data, always with a reason; recent corrections and reversals."""
    form = CorrectionForm(request.POST or None, initial={"season": Season.objects.filter(is_current=True).first()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = Customer.objects.visible_to(request.user).filter(account_no=d["account_no"].strip()).first()
        account = SeasonAccount.objects.filter(customer=customer, season=d["season"]).first() if customer else None
        if account is None:
            form.add_error("account_no", _("No account for this account number in that season."))
        else:
            try:
                ledger.correction_post(actor=request.user, account=account, amount=d["amount"],
                                       reason=form.reason_text())
            except AppError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Correction posted."))
                return redirect("billing:corrections")
    return render(request, "core_billing/billing/corrections.html", {
        "form": form, "rows": sel.recent_corrections(actor=request.user)})


@login_required
@require_POST
@permission_required("core_billing.correct_ledger", raise_exception=True)
def entry_reverse(request, pk):
    entry = get_visible_or_404(LedgerEntry, request.user, pk=pk)
    try:
        ledger.entry_reverse(actor=request.user, entry=entry, reason=request.POST.get("reason", ""))
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reversed."))
    return redirect(request.POST.get("next") or "billing:corrections")


def _price_form_prices(d) -> dict:
    return {k: d.get(k) for k in ("unit_price", "base_price", "heat_price")}


@login_required
@permission_required("core_billing.change_tariff", raise_exception=True)
def prices(request):
    """调价: current prices, a live preview of what a change moves, then apply it."""
    form = PriceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            change = pricing_changes.tariff_change(actor=request.user, season=d["season"],
                                                   customer_type=d["customer_type"], reason=d["reason"],
                                                   **_price_form_prices(d))
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Prices changed: %(n)s accounts re-priced, %(m)s yuan moved.")
                             % {"n": change.accounts, "m": change.money_moved})
            return redirect("billing:prices")
    return render(request, "core_billing/billing/prices.html", {
        "form": form,
        "tariffs": Tariff.objects.filter(season__status="open").select_related("season", "customer_type"),
        "changes": sel.price_change_list(actor=request.user).select_related("customer_type")[:20]})


@login_required
@permission_required("core_billing.change_tariff", raise_exception=True)
def price_preview(request):
    """htmx: how many accounts and how much money the prices in the form would move."""
    form = PriceForm(request.POST or request.GET or None)
    context = {"form": form}
    if form.is_valid():
        d = form.cleaned_data
        try:
            context["preview"] = pricing_changes.tariff_change_preview(
                actor=request.user, season=d["season"], customer_type=d["customer_type"], **_price_form_prices(d))
        except AppError as exc:
            context["error"] = exc.message
    return render(request, "core_billing/billing/_price_preview.html", context)


@login_required
@permission_required("core_billing.view_season", raise_exception=True)
def seasons(request):
    """Seasons with their totals; head office closes a season or starts the next one."""
    current = Season.objects.filter(is_current=True).first()
    form = None
    if current is not None:
        y = current.start_date.year + 1
        form = RolloverForm(request.POST if request.POST.get("rollover") else None, initial={
            "name": f"{y}-{y + 1}", "start_date": current.start_date.replace(year=y),
            "end_date": current.end_date.replace(year=current.end_date.year + 1), "close_source": True})
    if request.method == "POST":
        try:
            if request.POST.get("close"):
                billing_services.season_close(actor=request.user, reason=_("closed on the seasons page"),
                                              season=get_visible_or_404(Season, request.user,
                                                                        pk=request.POST["close"]))
                messages.success(request, _("Season closed."))
                return redirect("billing:seasons")
            if form is not None and form.is_valid():
                season = billing_services.season_rollover(actor=request.user, source=current, **form.cleaned_data)
                messages.success(request, _("Season %(s)s started.") % {"s": season.name})
                return redirect("billing:seasons")
        except AppError as exc:
            if form is not None and request.POST.get("rollover"):
                _form_error(form, exc)
            else:
                messages.error(request, exc.message)
    rows = [(s, sel.season_totals(actor=request.user, season=s)) for s in Season.objects.all()]
    return render(request, "core_billing/billing/seasons.html", {
        "rows": rows, "current": current, "form": form,
        "can_rollover": request.user.has_perm("core_billing.rollover_season"),
        "can_close": request.user.has_perm("core_billing.close_season")})


# --- the fee calculator -----------------------------------------------------------------

QUOTE_FIELDS = ("area", "metering", "unit_price", "base_price", "heat_price", "heat_gj", "season_start",
                "season_end", "heating_days", "standby_ratio", "payment_date", "late_fee_start",
                "late_fee_daily_rate", "precision")


def _quote_data(post) -> dict:
    data = {k: post.get(k, "").strip() for k in QUOTE_FIELDS}
    data = {k: v for k, v in data.items() if v != ""}
    data["periods"] = [{"status": post.get(f"p{i}_status"), "from": post.get(f"p{i}_from"),
                        "to": post.get(f"p{i}_to")} for i in range(3) if post.get(f"p{i}_from")]
    data["discount_tiers"] = [{"until": post.get(f"t{i}_until"), "rate": post.get(f"t{i}_rate")}
                              for i in range(3) if post.get(f"t{i}_until")]
    return data


@login_required
@permission_required("core_billing.quote_fees", raise_exception=True)
def quote(request):
    """费用试算 for supervisors: the same rules as POST /api/v1/billing/quote/, documented on the page."""
    from ..api.billing import run_quote

    season = Season.objects.filter(is_current=True).first()
    values = {"metering": "area", "precision": season.precision if season else "round_jiao", "heat_gj": "0",
              "standby_ratio": str(season.standby_ratio) if season else "0.3",
              "payment_date": timezone.localdate().isoformat()}
    if season:
        values.update(season_start=season.start_date.isoformat(), season_end=season.end_date.isoformat(),
                      heating_days=str(season.heating_days),
                      late_fee_start=season.late_fee_start.isoformat() if season.late_fee_start else "",
                      late_fee_daily_rate=str(season.late_fee_daily_rate))
        residential = Tariff.objects.filter(season=season).select_related("customer_type").first()
        if residential:
            values.update(unit_price=str(residential.unit_price), base_price=str(residential.base_price),
                          heat_price=str(residential.heat_price))
        for i, tier in enumerate(season.discount_tiers.all()[:3]):
            values.update({f"t{i}_until": tier.until.isoformat(), f"t{i}_rate": str(tier.rate)})
    result, errors = None, None
    if request.method == "POST":
        values = request.POST
        try:
            result = run_quote(_quote_data(request.POST))
        except ValidationError as exc:
            errors = exc.detail
    return render(request, "core_billing/billing/quote.html", {
        "values": values, "result": result, "errors": errors, "precisions": PrecisionMode.choices,
        "period_rows": [{"i": i, "status": values.get(f"p{i}_status", ""), "from": values.get(f"p{i}_from", ""),
                         "to": values.get(f"p{i}_to", "")} for i in range(3)],
        "tier_rows": [{"i": i, "until": values.get(f"t{i}_until", ""), "rate": values.get(f"t{i}_rate", "")}
                      for i in range(3)]})

