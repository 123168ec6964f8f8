"""Inbound SMS and marketing opt-outs (MSG-08).

inbound_receive() stores each reply once (gateway + reference unique), then:
  1. 退订 / TD / T / R (any case, full- or half-width, surrounding punctuation
     ignored) opts the number out of marketing notices; 订阅 opts it back in.
     Both are audited on every customer using the number and confirmed by SMS.
  2. otherwise the registered handlers are asked in order (dispatch registers
     one for repair workers' "1 <number>" replies); the first that returns an
     InboundResult handles it.
  3. `inbound_sms_received` is sent on commit either way.

    register_inbound_handler(func, name=...)    func(inbound: InboundMessage) -> InboundResult | None
    opt_out_set(*, actor, phone, opted_out, reason="", keyword="", source="staff") -> OptOut
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from core_billing.audit import audit_record
from core_billing.errors import AppError
from core_billing.models import Customer, CustomerPhone, User
from core_billing.phones import normalize_phone
from core_billing.services._common import require_perm

from ..gateways import InboundSms
from ..models import InboundMessage, OptOut
from ..signals import inbound_sms_received

log = logging.getLogger("messaging.inbound")

OPT_OUT_WORDS = {"退订", "TD", "T", "R", "N", "STOP", "UNSUBSCRIBE"}
OPT_IN_WORDS = {"订阅", "START", "UNSTOP"}
OPT_OUT_REPLY = "您已退订营销类短信，缴费、维修等服务通知仍会发送。回复“订阅”可恢复。"
OPT_IN_REPLY = "您已恢复接收营销类短信。回复“退订”可退订。"


@dataclass
class InboundResult:
    handled_by: str
    reply: str = ""  # sent back to the sender as a service SMS when not empty


Handler = Callable[[InboundMessage], "InboundResult | None"]
_handlers: list[tuple[int, str, Handler]] = []


def register_inbound_handler(func: Handler, *, name: str, order: int = 50) -> None:
    global _handlers
    _handlers = sorted([h for h in _handlers if h[1] != name] + [(order, name, func)], key=lambda h: h[0])


def unregister_inbound_handler(name: str) -> None:
    global _handlers
    _handlers = [h for h in _handlers if h[1] != name]


def keyword(body: str) -> str:
    text = unicodedata.normalize("NFKC", body or "").strip().upper()
    return re.sub(r"^[\s\W_]+|[\s\W_]+$", "", text)


def customers_of(phone: str):
    ids = CustomerPhone.objects.filter(number=phone).values("customer_id")
    return Customer.objects.filter(pk__in=ids).select_related("station").order_by("pk")


def opt_out_set(*, actor, phone: str, opted_out: bool, reason: str = "", keyword: str = "",
                source: str = "staff") -> OptOut:
    """Record a number's marketing consent; audited on the OptOut and on every customer using the number."""
    if source == "staff":
        require_perm(actor, "messaging.change_optout", "没有修改退订状态的权限。")
    info = normalize_phone(phone)
    if not info.is_mobile:
        raise AppError("请输入有效的手机号码。", field="phone")
    if source == "staff" and actor is not None and not actor.is_superuser and actor.station_id is not None:
        if not customers_of(info.number).filter(station_id=actor.station_id).exists():
            raise AppError("本站客户中没有这个号码。", field="phone", code="not_found")
    with transaction.atomic():
        row = OptOut.objects.select_for_update().filter(phone=info.number).first()
        before = None if row is None else row.is_opted_out
        if row is None:
            row = OptOut(phone=info.number)
        row.is_opted_out = opted_out
        row.keyword = keyword[:32]
        row.source = source
        row.changed_by = actor if getattr(actor, "pk", None) else None
        row.changed_at = timezone.now()
        row.save()
        if before != opted_out:
            action = "sms.opt_out" if opted_out else "sms.opt_in"
            why = reason or (f"短信回复“{keyword}”" if keyword else "")
            audit_record(actor=actor, action=action, obj=row, before={"opted_out": before},
                         after={"opted_out": opted_out}, reason=why, station_id=None)
            for customer in customers_of(info.number):
                audit_record(actor=actor, action=action, obj=customer,
                             before={"marketing_sms": "已退订" if before else "接收"},
                             after={"marketing_sms": "已退订" if opted_out else "接收"}, reason=why)
    return row


def _find_sender(phone: str) -> tuple[Customer | None, User | None]:
    customer = customers_of(phone).first() if phone else None
    staff = None
    if customer is None and phone:
        staff = User.objects.filter(mobile__in=[phone, phone.removeprefix("+86")], is_active=True).first()
    return customer, staff


def inbound_receive(*, gateway: str, items: list[InboundSms]) -> list[InboundMessage]:
    stored = []
    for item in items:
        row = _receive_one(gateway, item)
        if row is not None:
            stored.append(row)
    return stored


def _receive_one(gateway: str, item: InboundSms) -> InboundMessage | None:
    customer, staff = _find_sender(item.phone)
    station = customer.station_id if customer else (staff.station_id if staff else None)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                station_id=station, gateway=gateway, gateway_ref=item.ref[:64], phone=item.phone[:20],
                to=item.to[:32], body=item.body[:1000], customer=customer, staff=staff)
            reply = _handle(row)
            row.save(update_fields=["action", "handled_by"])
            transaction.on_commit(lambda: inbound_sms_received.send(sender=InboundMessage, inbound=row))
    except IntegrityError:
        log.info("inbound %s:%s already received", gateway, item.ref)
        return None
    if reply:
        _reply(row, reply)
    return row


def _handle(row: InboundMessage) -> str:
    word = keyword(row.body)
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS:
        out = word in OPT_OUT_WORDS
        if normalize_phone(row.phone).is_mobile:
            opt_out_set(actor=None, phone=row.phone, opted_out=out, keyword=word, source="sms")
        row.action = InboundMessage.Action.OPT_OUT if out else InboundMessage.Action.OPT_IN
        row.handled_by = "opt_out"
        from django.conf import settings

        return (OPT_OUT_REPLY if out else OPT_IN_REPLY) if settings.SMS_OPT_OUT_CONFIRM else ""
    for _order, name, func in _handlers:
        result = func(row)
        if result is not None:
            row.action = InboundMessage.Action.HANDLED
            row.handled_by = result.handled_by or name
            return result.reply
    return ""


def _reply(row: InboundMessage, text: str) -> None:
    from .sending import message_send_one

    try:
        message_send_one(actor=None, phone=row.phone, customer=row.customer, staff=row.staff, body=text,
                         station=row.station_id, values={})
    except AppError as exc:
        log.warning("could not reply to inbound %s: %s", row.pk, exc.message)
