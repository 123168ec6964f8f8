"""Messaging pages: topics with a live preview, send one SMS, staff notices, messages, replies."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core_billing.errors import AppError
from core_billing.pagination import WindowCountPaginator
from core_billing.models import Customer
from core_billing.scoping import get_visible_or_404

from .. import templating
from ..models import Message, Topic, TopicKind
from ..selectors.messages import inbound_list, topic_list
from ..services.inbound import opt_out_set
from ..services.sending import message_send_one, staff_messages_send, staff_recipients
from ..services.topics import topic_create, topic_preview, topic_update
from .forms import PreviewForm, SendOneForm, StaffSendForm, TopicForm


def _form_error(form, exc: AppError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _placeholder_groups():
    return {kind: [{"key": p.key, "label": p.label} for p in templating.placeholders_for(kind)]
            for kind in TopicKind.values}


@login_required
@permission_required("messaging.view_topic", raise_exception=True)
def topic_list_page(request):
    kind = request.GET.get("kind", "")
    topics = topic_list(actor=request.user, kind=kind if kind in TopicKind.values else "")
    return render(request, "messaging/topic_list.html", {
        "topics": topics, "kinds": TopicKind.choices, "kind": kind,
        "can_add": request.user.has_perm("messaging.add_topic")})


@login_required
@permission_required("messaging.view_topic", raise_exception=True)
def topic_edit(request, pk=None):
    user = request.user
    topic = get_visible_or_404(Topic, user, pk=pk) if pk else None
    perm = "messaging.change_topic" if topic else "messaging.add_topic"
    can_save = user.has_perm(perm)
    initial = {"is_active": True} if topic is None else {
        "name": topic.name, "kind": topic.kind, "is_marketing": topic.is_marketing, "body": topic.body,
        "is_active": topic.is_active}
    form = TopicForm(request.POST or None, actor=user, topic=topic, initial=initial)
    if request.method == "POST" and can_save and form.is_valid():
        d = form.cleaned_data
        try:
            if topic is None:
                station = d.get("station")
                topic = topic_create(actor=user, name=d["name"], kind=d["kind"], body=d["body"],
                                     is_marketing=d["is_marketing"], is_active=d["is_active"],
                                     station=station, company_wide="station" in d and station is None)
            else:
                topic_update(actor=user, topic=topic, reason=d.get("reason", ""), changes={
                    k: d[k] for k in ("name", "kind", "is_marketing", "body", "is_active")})
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("messaging:topic-list")
    return render(request, "messaging/topic_edit.html", {
        "form": form, "topic": topic, "can_save": can_save, "placeholders": _placeholder_groups()})


def _preview_context(request, data) -> dict:
    """What the preview partial shows; errors are shown, not raised."""
    user = request.user
    form = PreviewForm(data)
    if not form.is_valid():
        return {"error": _("Nothing to preview.")}
    d = form.cleaned_data
    body, kind, marketing = d.get("body") or "", d.get("kind") or TopicKind.SERVICE, d.get("is_marketing")
    if d.get("topic") and not body.strip():
        topic = Topic.objects.visible_to(user).filter(pk=d["topic"]).first()
        if topic is None:
            return {"error": _("Unknown topic.")}
        body, kind, marketing = topic.body, topic.kind, topic.is_marketing
    if not body.strip():
        return {"empty": True}
    customer = None
    if d.get("customer"):
        customer = Customer.objects.visible_to(user).select_related("building__community").filter(
            Q(account_no=d["customer"].strip())).first()
        if customer is None:
            return {"error": _("No customer with that account number in your stations.")}
    try:
        preview = topic_preview(actor=user, body=body, kind=kind, is_marketing=marketing, customer=customer,
                                season=d.get("season") or "", sample=customer is None)
    except AppError as exc:
        return {"error": exc.message, "extra": exc.extra}
    return {"preview": preview, "customer": customer}


@login_required
@permission_required("messaging.view_topic", raise_exception=True)
@require_POST
def preview_partial(request):
    return render(request, "messaging/_preview.html", _preview_context(request, request.POST))


@login_required
@permission_required("messaging.send_message", raise_exception=True)
def send_one(request):
    user = request.user
    form = SendOneForm(request.POST or None, actor=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = None
        if d["customer"]:
            customer = Customer.objects.visible_to(user).filter(account_no=d["customer"].strip()).first()
            if customer is None:
                form.add_error("customer", _("No customer with that account number in your stations."))
        if not form.errors:
            try:
                msg = message_send_one(actor=user, customer=customer, phone=d["phone"], topic=d["topic"],
                                       body=d["body"] if not d["topic"] else "", season=d["season"])
            except AppError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Message queued for sending."))
                return redirect("messaging:message-detail", pk=msg.pk)
    return render(request, "messaging/send_one.html", {"form": form})


@login_required
@permission_required("messaging.send_staff_message", raise_exception=True)
def staff_send(request):
    user = request.user
    form = StaffSendForm(request.POST or None, actor=user)
    result = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            result = staff_messages_send(actor=user, topic=d["topic"], body=d["body"] if not d["topic"] else "",
                                         stations=d.get("stations") or (), roles=d["roles"], users=d["users"])
        except AppError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(n)d messages queued.") % {"n": len(result.messages)})
    return render(request, "messaging/staff_send.html", {"form": form, "result": result})


@login_required
@permission_required("messaging.send_staff_message", raise_exception=True)
@require_POST
def staff_count_partial(request):
    """How many staff the current choice reaches, and how many have no mobile (htmx)."""
    user = request.user
    form = StaffSendForm(request.POST, actor=user)
    form.is_valid()
    d = form.cleaned_data
    people = list(staff_recipients(actor=user, stations=d.get("stations") or (), roles=d.get("roles") or (),
                                   users=d.get("users") or ())) if (d.get("stations") or d.get("roles")
                                                                     or d.get("users")) else []
    without = [p for p in people if not p.mobile]
    context = {"count": len(people), "without": without}
    topic = d.get("topic")
    body = topic.body if topic else (d.get("body") or "")
    if body.strip():
        context.update(_preview_context(request, {"body": body, "kind": TopicKind.INTERNAL}))
    return render(request, "messaging/_staff_count.html", context)


@login_required
@permission_required("messaging.view_message", raise_exception=True)
def message_detail(request, pk):
    msg = get_visible_or_404(Message.objects.select_related("topic", "customer", "staff", "sender", "station",
                                                            "resend_of"), request.user, pk=pk)
    template = "messaging/_message_status.html" if request.htmx else "messaging/message_detail.html"
    return render(request, template, {"msg": msg})


@login_required
@permission_required("messaging.view_inboundmessage", raise_exception=True)
def replies(request):
    page = WindowCountPaginator(inbound_list(actor=request.user, phone=request.GET.get("phone", "")), 50).get_page(
        request.GET.get("page"))
    return render(request, "messaging/replies.html", {"page": page, "phone": request.GET.get("phone", "")})


@login_required
@permission_required("messaging.change_optout", raise_exception=True)
@require_POST
def customer_opt_out(request, customer_pk):
    customer = get_visible_or_404(Customer, request.user, pk=customer_pk)
    opted_out = request.POST.get("opted_out") == "1"
    try:
        opt_out_set(actor=request.user, phone=customer.mobile, opted_out=opted_out,
                    reason=request.POST.get("reason", "").strip() or _("changed by staff"))
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marketing SMS setting saved."))
    return redirect("console:customer-detail", pk=customer.pk)
