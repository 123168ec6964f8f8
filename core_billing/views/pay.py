"""Customer pages, phone-first: the pay page behind a pay link, the return page
after paying, public receipts and self-service (look up bills with an SMS
code).  No staff login; everything a customer sees is bound to the link, the
signed receipt code or the verified session."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import paylinks as codes
from ..errors import AppError
from ..models import Customer, OnlineOrder, PayLink, Receipt
from ..payments import offered_providers
from ..selectors.billing import customer_billing_summary, receipt_lines, receipt_reversed
from ..services.online import online_order_start, order_for_link, pay_quote
from ..services.paylinks import paylink_create, paylink_resolve
from ..services.selfservice import RateLimited, selfservice_code_request, selfservice_code_verify

SESSION_KEY = "selfservice_customer"


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _hotline(station=None) -> str:
    return (getattr(station, "hotline", "") or settings.COMPANY_HOTLINE)


def link_problem(request, status: int):
    """One friendly page for every bad link: it says nothing about why."""
    return render(request, "core_billing/pay/link_problem.html", {"hotline": settings.COMPANY_HOTLINE},
                  status=status)


def _customer_ctx(customer: Customer) -> dict:
    return {"masked_name": mask_name(customer.name), "address": customer.address, "account_no": customer.account_no,
            "hotline": _hotline(customer.station)}


@never_cache
@require_http_methods(["GET", "POST"])
def pay_page(request, code: str):
    found = paylink_resolve(code)
    if found.link is None or found.problem:
        return link_problem(request, 410 if found.gone else 404)
    link = found.link
    error, mode, amount = "", "full", ""
    if request.method == "POST":
        mode, amount = request.POST.get("mode", "full"), request.POST.get("amount", "")
        try:
            _order, url = online_order_start(link=link, mode=mode, amount=amount,
                                             provider=request.POST.get("provider", ""), client_ip=_client_ip(request))
            return HttpResponseRedirect(url, status=303)
        except AppError as exc:
            error = exc.message
    quote = pay_quote(link)
    providers = offered_providers()
    response = render(request, "core_billing/pay/pay.html", {
        **_customer_ctx(link.customer), "code": code, "quote": quote, "lines": quote.lines, "providers": providers,
        "error": error, "mode": mode, "amount": amount, "min_instalment": quote.minimum, "link": link,
        "today": timezone.localdate()}, status=400 if error else 200)
    # the form's answer redirects to the provider's checkout; browsers hold that redirect to form-action
    response._csp_update = {"form-action": sorted({o for p in providers for o in p.checkout_origins()})}
    return response


def _done_ctx(link: PayLink, order: OnlineOrder) -> dict:
    quote = pay_quote(link)
    return {"order": order, "code": codes.code_for(link.token), "quote": quote,
            "receipt_url": codes.receipt_url(order.receipt_id) if order.receipt_id else "",
            "remaining": quote.full, "paid": order.status == OnlineOrder.Status.PAID}


@never_cache
def pay_done(request, code: str, out_trade_no: str):
    found = paylink_resolve(code)
    if found.link is None or found.problem == "tampered" or found.problem == "unknown":
        return link_problem(request, 404)
    order = order_for_link(found.link, out_trade_no)
    if order is None:
        return link_problem(request, 404)
    ctx = {**_customer_ctx(found.link.customer), **_done_ctx(found.link, order),
           "cancelled": request.GET.get("cancelled") == "1" and order.status != OnlineOrder.Status.PAID}
    template = "core_billing/pay/_done_status.html" if request.htmx else "core_billing/pay/done.html"
    return render(request, template, ctx)


@never_cache
def receipt_public(request, code: str):
    pk = codes.receipt_id_from(code)
    if pk is None:
        return link_problem(request, 404)
    receipt = Receipt.objects.select_related("customer__building__community", "station").filter(pk=pk).first()
    if receipt is None:
        return link_problem(request, 404)
    return _receipt_page(request, receipt)


def _receipt_page(request, receipt: Receipt):
    return render(request, "core_billing/pay/receipt.html", {
        **_customer_ctx(receipt.customer), "receipt": receipt, "lines": receipt_lines(receipt),
        "reversed": receipt_reversed(receipt)})


# --- self-service ----------------------------------------------------------------------

def _session_customer(request) -> Customer | None:
    data = request.session.get(SESSION_KEY)
    if not data or data.get("until", 0) < timezone.now().timestamp():
        return None
    return Customer.objects.select_related("building__community", "station").filter(pk=data["id"]).first()


@never_cache
@require_http_methods(["GET", "POST"])
def my_login(request):
    if _session_customer(request) is not None and request.method == "GET":
        return redirect("pay:my-bills")
    ctx = {"hotline": settings.COMPANY_HOTLINE, "account_no": "", "sent": None, "error": ""}
    status = 200
    if request.method == "POST":
        account_no = request.POST.get("account_no", "").strip()
        ctx["account_no"] = account_no
        try:
            if request.POST.get("action") == "send":
                ctx["sent"] = selfservice_code_request(account_no=account_no, ip=_client_ip(request))
            else:
                customer = selfservice_code_verify(account_no=account_no, code=request.POST.get("code", ""),
                                                   ip=_client_ip(request))
                request.session.cycle_key()
                until = timezone.now() + dt.timedelta(minutes=settings.SELF_SERVICE_SESSION_MINUTES)
                request.session[SESSION_KEY] = {"id": customer.pk, "until": until.timestamp()}
                return redirect("pay:my-bills")
        except RateLimited as exc:
            ctx["error"], status = exc.message, 429
        except AppError as exc:
            ctx["error"], status = exc.message, 400
    return render(request, "core_billing/pay/my_login.html", ctx, status=status)


@never_cache
def my_bills(request):
    customer = _session_customer(request)
    if customer is None:
        return redirect("pay:my")
    summary = customer_billing_summary(customer)
    receipts = Receipt.objects.filter(customer=customer).order_by("-received_at", "-id")[:50]
    return render(request, "core_billing/pay/my_bills.html", {
        **_customer_ctx(customer), "summary": summary, "lines": [line for line in summary.seasons],
        "receipts": receipts})


@require_http_methods(["POST"])
def my_pay(request):
    customer = _session_customer(request)
    if customer is None:
        return redirect("pay:my")
    link = paylink_create(actor=None, customer=customer)
    return redirect(reverse("pay:link", args=[codes.code_for(link.token)]))


@never_cache
def my_receipt(request, pk: int):
    customer = _session_customer(request)
    if customer is None:
        return redirect("pay:my")
    receipt = Receipt.objects.select_related("customer__building__community", "station").filter(
        pk=pk, customer=customer).first()
    if receipt is None:
        raise Http404
    return _receipt_page(request, receipt)


@require_http_methods(["POST"])
def my_logout(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("pay:my")
