"""The pay-link section of the customer page (staff): the live link to read out
or copy, a new one on request, revoking, and the customer's online orders."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..errors import AppError
from ..models import Customer, OnlineOrder, PayLink
from ..scoping import get_visible_or_404
from ..services.paylinks import paylink_create, paylink_url, paylinks_revoke_for_customer


def customer_pay_panel(request, customer) -> str:
    user = request.user
    if not user.has_perm("core_billing.view_paylink"):
        return ""
    link = (PayLink.objects.visible_to(user).filter(customer=customer, season__isnull=True, revoked_at__isnull=True,
                                                    expires_at__gt=timezone.now()).order_by("-expires_at").first())
    orders = OnlineOrder.objects.visible_to(user).filter(customer=customer).order_by("-created_at")[:10]
    return render_to_string("core_billing/pay/_customer_panel.html", {
        "customer": customer, "link": link, "url": paylink_url(link) if link else "", "orders": orders,
        "can_change": user.has_perm("core_billing.change_customer")}, request=request)


@login_required
@require_POST
@permission_required("core_billing.view_customer", raise_exception=True)
def customer_paylink(request, pk):
    customer = get_visible_or_404(Customer, request.user, pk=pk)
    try:
        if request.POST.get("action") == "revoke":
            n = paylinks_revoke_for_customer(actor=request.user, customer=customer,
                                             reason=request.POST.get("reason", ""))
            messages.success(request, _("%(n)d pay link(s) revoked.") % {"n": n})
        else:
            paylink_create(actor=request.user, customer=customer)
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect("console:customer-detail", pk=customer.pk)


def register() -> None:
    from ..panels import register_customer_panel

    register_customer_panel(customer_pay_panel, order=30)
