"""Reads of messages, topics, replies and opt-outs; every one starts from visible_to(actor)."""
from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, QuerySet
from django.utils import timezone

from core_billing.phones import normalize_phone

from ..models import InboundMessage, Message, OptOut, Topic


def message_list(*, actor, status: str = "", phone: str = "", season: str = "", topic=None, sender=None,
                 customer=None, campaign=None, work_order=None, kind: str = "", date_from=None, date_to=None,
                 search: str = "") -> QuerySet[Message]:
    qs = Message.objects.visible_to(actor).select_related("topic", "customer", "staff", "sender", "station")
    if status:
        qs = qs.filter(status__in=status.split(",")) if "," in status else qs.filter(status=status)
    if phone:
        info = normalize_phone(phone)
        qs = qs.filter(phone=info.number) if info.number else qs.filter(phone__contains="".join(
            ch for ch in phone if ch.isdigit()))
    if season:
        qs = qs.filter(season=season)
    if topic:
        qs = qs.filter(topic_id=getattr(topic, "pk", topic))
    if sender:
        qs = qs.filter(sender_id=getattr(sender, "pk", sender))
    if customer:
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    if work_order:
        qs = qs.filter(work_order_id=work_order)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(created_at__gte=_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_start(date_to) + timezone.timedelta(days=1))
    if search:
        qs = qs.filter(body__icontains=search)
    return qs


def _start(day) -> datetime:
    if isinstance(day, str):
        day = datetime.strptime(day, "%Y-%m-%d").date()
    return timezone.make_aware(datetime.combine(day, time.min))


def status_counts(qs: QuerySet[Message]) -> dict[str, int]:
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


def topic_list(*, actor, kind: str = "", active: bool | None = None) -> QuerySet[Topic]:
    qs = Topic.objects.visible_to(actor).select_related("station")
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def inbound_list(*, actor, phone: str = "") -> QuerySet[InboundMessage]:
    qs = InboundMessage.objects.visible_to(actor).select_related("customer", "staff")
    if phone:
        info = normalize_phone(phone)
        qs = qs.filter(phone=info.number or phone)
    return qs


def opt_out_of(phone: str) -> OptOut | None:
    return OptOut.objects.filter(phone=phone).first() if phone else None


def customer_sms_summary(*, actor, customer) -> dict:
    opt = opt_out_of(customer.mobile)
    return {
        "opt_out": opt,
        "opted_out": bool(opt and opt.is_opted_out),
        "sms_messages": list(Message.objects.visible_to(actor).filter(customer=customer)
                         .select_related("topic").order_by("-created_at")[:10]),
        "replies": list(InboundMessage.objects.visible_to(actor).filter(customer=customer)[:5]),
    }
