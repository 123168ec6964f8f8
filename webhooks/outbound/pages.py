"""Console page: subscriptions, a form to add one, and the delivery log with replay."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core_billing.errors import AppError
from core_billing.pagination import WindowCountPaginator
from core_billing.scoping import get_visible_or_404

from ..models import DeliveryStatus, Event, WebhookDelivery, WebhookSubscription
from . import services


class SubscriptionForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("description"), required=False, max_length=200)
    events = forms.MultipleChoiceField(label=gettext_lazy("events"), choices=Event.choices,
                                       widget=forms.CheckboxSelectMultiple)


@login_required
@permission_required("webhooks.view_webhooksubscription", raise_exception=True)
def webhook_page(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_create(actor=request.user, **form.cleaned_data)
        except AppError as exc:
            form.add_error("url" if exc.field == "url" else None, exc.message)
        else:
            messages.success(request, _("Subscription added."))
            return redirect("outbound:webhooks")
    status = request.GET.get("status", "")
    deliveries = WebhookDelivery.objects.visible_to(request.user).select_related("subscription")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return render(request, "webhooks/outbound.html", {
        "form": form, "subscriptions": WebhookSubscription.objects.visible_to(request.user),
        "page": WindowCountPaginator(deliveries, 25).get_page(request.GET.get("page")),
        "statuses": DeliveryStatus.choices,
        "status": status})


@login_required
@require_POST
def replay(request, pk):
    delivery = get_visible_or_404(WebhookDelivery.objects.select_related("subscription"), request.user, pk=pk)
    try:
        services.delivery_replay(actor=request.user, delivery=delivery)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Queued again."))
    return redirect("outbound:webhooks")


@login_required
@require_POST
def toggle(request, pk):
    sub = get_visible_or_404(WebhookSubscription, request.user, pk=pk)
    try:
        services.subscription_update(actor=request.user, subscription=sub, is_active=not sub.is_active)
    except AppError as exc:
        messages.error(request, exc.message)
    return redirect("outbound:webhooks")
