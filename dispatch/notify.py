"""The SMS a work order sends (DSP-02): to the worker on assignment, to both
workers on reassignment, reminders (催办) and escalations (督办) to the
station's supervisors, and the help text for replies we cannot read.

Each goes out from a work-order topic named in settings.DISPATCH_TOPICS (a
station's own topic before a company-wide one); without such a topic the
default wording below is used, so a work order is never left unsent.  These
run after the step's transaction commits."""
from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core_billing.errors import AppError
from core_billing.models import User
from core_billing.roles import Role
from messaging.models import Topic
from messaging.services.sending import Recipient, messages_create_bulk
from messaging.templating import TopicKind

from .models import RepairWorker, WorkOrder

log = logging.getLogger(__name__)

DEFAULT_BODIES = {
    "assigned": "【派单】{{ 工单号 }} {{ 报修地址 }}，{{ 联系人 }} {{ 联系电话 }}，{{ 问题描述 }}，预约{{ 预约时间 }}。"
                "回复“1 {{ 工单号 }}”接单，“2 {{ 工单号 }}”完工。",
    "released": "【改派】工单{{ 工单号 }}（{{ 报修地址 }}）已改派他人，您无需处理。",
    "cancelled": "【取消】工单{{ 工单号 }}（{{ 报修地址 }}）已取消，您无需处理。",
    "reminder": "【催办】工单{{ 工单号 }} {{ 报修地址 }}尚未处理，请尽快回复“1 {{ 工单号 }}”接单。",
    "escalation": "【督办】工单{{ 工单号 }} {{ 报修地址 }}（{{ 问题描述 }}）已过预约时间{{ 预约时间 }}仍未完工，请督办。",
}


def appointment_text(order: WorkOrder) -> str:
    if not order.appointment_start:
        return "尽快"
    start = timezone.localtime(order.appointment_start)
    text = f"{start.month}月{start.day}日 {start:%H:%M}"
    if order.appointment_end:
        text += f"-{timezone.localtime(order.appointment_end):%H:%M}"
    return text


def order_values(order: WorkOrder) -> dict:
    return {"work_order_no": order.number, "work_order_address": order.address,
            "contact_name": order.contact_name, "contact_phone": order.contact_phone,
            "problem": order.problem, "appointment": appointment_text(order)}


def values_for_targets(targets) -> list[dict]:
    """The `work_order` context provider: topic previews and renders ask for work-order fields."""
    ids = {t.extra.get("work_order_id") for t in targets if t.extra.get("work_order_id")}
    orders = {o.pk: o for o in WorkOrder.objects.filter(pk__in=ids)}
    out = []
    for t in targets:
        order = orders.get(t.extra.get("work_order_id"))
        if order is None:
            raise AppError("这条短信需要一张工单来填写工单字段。", field="topic")
        out.append(order_values(order))
    return out


def _topic(step: str, station_id: int) -> Topic | None:
    name = settings.DISPATCH_TOPICS.get(step)
    if not name:
        return None
    return (Topic.objects.filter(kind=TopicKind.WORK_ORDER, name=name, is_active=True)
            .filter(Q(station_id=station_id) | Q(station__isnull=True)).order_by("station_id").first())


def _send(step: str, order: WorkOrder, people: list[User]) -> int:
    topic = _topic(step, order.station_id)
    values = order_values(order)
    result = messages_create_bulk(
        actor=None, recipients=[Recipient(staff=u, values=values, extra={"work_order_id": order.pk}) for u in people],
        topic=topic, body="" if topic else DEFAULT_BODIES[step], kind=TopicKind.WORK_ORDER, station=order.station_id,
        work_order_id=order.pk)
    for skipped in result.skipped:
        log.warning("work order %s: %s SMS to staff %s not sent: %s", order.pk, step, skipped.recipient.staff.pk,
                    skipped.reason)
    return len(result.messages)


def _order(order_id: int) -> WorkOrder:
    return WorkOrder.objects.select_related("worker__user", "station").get(pk=order_id)


def assigned(order_id: int, *, previous_worker_id: int | None, actor_id: int | None) -> None:
    order = _order(order_id)
    if order.worker_id is None:
        return
    _send("assigned", order, [order.worker.user])
    if previous_worker_id:
        previous = RepairWorker.objects.select_related("user").get(pk=previous_worker_id)
        _send("released", order, [previous.user])


def cancelled(order_id: int, *, actor_id: int | None) -> None:
    order = _order(order_id)
    if order.worker_id:
        _send("cancelled", order, [order.worker.user])


def reminder(order_id: int, *, actor_id: int | None, manual: bool) -> None:
    order = _order(order_id)
    if order.worker_id and order.is_open:
        _send("reminder", order, [order.worker.user])


def escalation(order_id: int) -> None:
    order = _order(order_id)
    supervisors = list(User.objects.filter(station_id=order.station_id, is_active=True)
                       .with_role(Role.SUPERVISOR).exclude(mobile=""))
    if not supervisors:
        log.warning("work order %s is overdue and station %s has no supervisor with a mobile", order.pk,
                    order.station_id)
        return
    _send("escalation", order, supervisors)
