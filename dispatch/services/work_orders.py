"""Work-order writes: create, assign, accept, start, finish, cancel, remind.

Every step is a conditional UPDATE naming the statuses it may leave, so two
dispatchers (or a dispatcher and a worker's SMS) racing on one order cannot
both win; each step leaves a WorkOrderEvent.  SMS go out after commit
(dispatch/notify.py)."""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core_billing.errors import AppError
from core_billing.models import Customer
from core_billing.phones import normalize_phone
from core_billing.services._common import require_in_scope, require_perm, resolve_station

from ..models import (RepairWorker, WorkOrder, WorkOrderAlert, WorkOrderCategory, WorkOrderCounter, WorkOrderEvent,
                      WorkOrderStatus)
from ..models.work_orders import OPEN_STATUSES
from .. import notify
from ..signals import work_order_changed

S = WorkOrderStatus
STATUS_LABELS = dict(WorkOrderStatus.choices)


def _next_number(station_id: int, day: dt.date) -> str:
    counter, _created = WorkOrderCounter.objects.get_or_create(station_id=station_id, day=day)
    # The UPDATE locks the row until commit, so a concurrent order waits and then reads the next value.
    WorkOrderCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"GD-{day:%Y%m%d}-{counter.last:04d}"


def _event(order: WorkOrder, *, kind: str, actor=None, worker=None, via: str = "web", from_status: str = "",
           to_status: str = "", note: str = "") -> WorkOrderEvent:
    event = WorkOrderEvent.objects.create(work_order=order, kind=kind, actor=actor if getattr(actor, "pk", None)
                                          else None, worker=worker, via=via, from_status=from_status,
                                          to_status=to_status, note=note)
    transaction.on_commit(lambda: work_order_changed.send(
        sender=WorkOrder, work_order_id=order.pk, station_id=order.station_id, kind=kind,
        status=to_status or order.status))
    return event


def _move(order: WorkOrder, *, to: str, allowed: tuple[str, ...], action: str, **fields) -> WorkOrder:
    """Take the order to `to` if it is still in one of `allowed`; refuse otherwise."""
    moved = WorkOrder.objects.filter(pk=order.pk, status__in=allowed).update(status=to, **fields)
    if not moved:
        current = WorkOrder.objects.get(pk=order.pk)
        raise AppError(f"工单 {current.number} 当前为“{STATUS_LABELS[current.status]}”，不能{action}。",
                       field="status", extra={"status": current.status})
    return WorkOrder.objects.select_related("worker__user", "customer").get(pk=order.pk)


def _window(start, end):
    if start and end and end < start:
        raise AppError("预约结束时间不能早于开始时间。", field="appointment_end")


@transaction.atomic
def work_order_create(*, actor, problem: str, category: str = WorkOrderCategory.NO_HEAT, priority: str = "normal",
                      customer: Customer | None = None, address: str = "", contact_name: str = "",
                      contact_phone: str = "", appointment_start=None, appointment_end=None, station=None,
                      via: str = "web") -> WorkOrder:
    require_perm(actor, "dispatch.add_workorder", "没有新建工单的权限。")
    if customer is not None:
        require_in_scope(actor, customer.station_id)
        station_id = customer.station_id
        address = address.strip() or customer.address
        contact_name = contact_name.strip() or customer.name
        contact_phone = contact_phone.strip() or customer.mobile or next(
            (p.number for p in customer.phones.all() if p.number), "")
    else:
        station_id = resolve_station(actor, station).pk
    if not problem.strip():
        raise AppError("请填写故障描述。", field="problem")
    if not address.strip():
        raise AppError("请填写地址或选择客户。", field="address")
    if not contact_name.strip():
        raise AppError("请填写联系人。", field="contact_name")
    phone = normalize_phone(contact_phone)
    if not phone.number:
        raise AppError("联系电话无效。", field="contact_phone")
    if category not in WorkOrderCategory.values:
        raise AppError("故障类别无效。", field="category", extra={"valid": WorkOrderCategory.values})
    _window(appointment_start, appointment_end)
    now = timezone.now()
    order = WorkOrder.objects.create(
        station_id=station_id, number=_next_number(station_id, timezone.localdate(now)), customer=customer,
        address=address.strip()[:200], contact_name=contact_name.strip()[:64], contact_phone=phone.number,
        problem=problem.strip(), category=category, priority=priority, appointment_start=appointment_start,
        appointment_end=appointment_end, created_by=actor, created_at=now)
    _event(order, kind="created", actor=actor, via=via, to_status=S.CREATED)
    return order


@transaction.atomic
def work_order_assign(*, actor, work_order: WorkOrder, worker: RepairWorker, note: str = "",
                      via: str = "web") -> WorkOrder:
    require_perm(actor, "dispatch.assign_workorder", "没有派单的权限。")
    require_in_scope(actor, work_order.station_id)
    if worker.station_id != work_order.station_id or not worker.is_active:
        raise AppError("只能派给本站在岗的维修人员。", field="worker")
    if not normalize_phone(worker.mobile).is_mobile:
        raise AppError(f"维修人员 {worker} 没有有效的手机号，无法发送派单短信。", field="worker")
    previous = work_order.worker if work_order.worker_id and work_order.worker_id != worker.pk else None
    if work_order.worker_id == worker.pk and work_order.status != S.CREATED:
        raise AppError(f"工单已派给 {worker}。", field="worker")
    before = work_order.status
    order = _move(work_order, to=S.ASSIGNED, allowed=(S.CREATED, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS),
                  action="派单", worker=worker, assignment_no=F("assignment_no") + 1, assigned_at=timezone.now(),
                  accepted_at=None, started_at=None)
    _event(order, kind="reassigned" if previous else "assigned", actor=actor, worker=worker, via=via,
           from_status=before, to_status=S.ASSIGNED, note=note)
    transaction.on_commit(lambda: notify.assigned(order.pk, previous_worker_id=previous.pk if previous else None,
                                                  actor_id=actor.pk))
    return order


def _worker_step(*, work_order: WorkOrder, worker: RepairWorker | None, actor, via: str):
    if worker is not None and work_order.worker_id != worker.pk:
        raise AppError(f"工单 {work_order.number} 没有派给 {worker}。", field="worker", code="not_assigned")
    if actor is not None and worker is None:
        require_perm(actor, "dispatch.change_workorder", "没有修改工单的权限。")
        require_in_scope(actor, work_order.station_id)


@transaction.atomic
def work_order_accept(*, work_order: WorkOrder, worker: RepairWorker | None = None, actor=None,
                      via: str = "web") -> WorkOrder:
    _worker_step(work_order=work_order, worker=worker, actor=actor, via=via)
    order = _move(work_order, to=S.ACCEPTED, allowed=(S.ASSIGNED,), action="接单", accepted_at=timezone.now())
    _event(order, kind="accepted", actor=actor, worker=order.worker, via=via, from_status=S.ASSIGNED,
           to_status=S.ACCEPTED)
    return order


@transaction.atomic
def work_order_start(*, work_order: WorkOrder, worker: RepairWorker | None = None, actor=None,
                     via: str = "web") -> WorkOrder:
    _worker_step(work_order=work_order, worker=worker, actor=actor, via=via)
    before = work_order.status
    order = _move(work_order, to=S.IN_PROGRESS, allowed=(S.ASSIGNED, S.ACCEPTED), action="开始维修",
                  started_at=timezone.now(), accepted_at=work_order.accepted_at or timezone.now())
    _event(order, kind="started", actor=actor, worker=order.worker, via=via, from_status=before,
           to_status=S.IN_PROGRESS)
    return order


@transaction.atomic
def work_order_finish(*, work_order: WorkOrder, worker: RepairWorker | None = None, actor=None, result: str = "",
                      via: str = "web") -> WorkOrder:
    _worker_step(work_order=work_order, worker=worker, actor=actor, via=via)
    before = work_order.status
    order = _move(work_order, to=S.DONE, allowed=(S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS), action="完工",
                  finished_at=timezone.now(), result=result.strip())
    _event(order, kind="finished", actor=actor, worker=order.worker, via=via, from_status=before, to_status=S.DONE,
           note=result.strip())
    return order


@transaction.atomic
def work_order_cancel(*, actor, work_order: WorkOrder, reason: str, via: str = "web") -> WorkOrder:
    require_perm(actor, "dispatch.change_workorder", "没有取消工单的权限。")
    require_in_scope(actor, work_order.station_id)
    if not reason.strip():
        raise AppError("请填写取消原因。", field="reason")
    before = work_order.status
    order = _move(work_order, to=S.CANCELLED, allowed=OPEN_STATUSES, action="取消", finished_at=timezone.now(),
                  result=reason.strip())
    _event(order, kind="cancelled", actor=actor, via=via, from_status=before, to_status=S.CANCELLED,
           note=reason.strip())
    if order.worker_id:
        transaction.on_commit(lambda: notify.cancelled(order.pk, actor_id=actor.pk))
    return order


def _alert_once(order: WorkOrder, kind: str, sequence: int = 0) -> bool:
    """Record that this alert goes out; False if it already did (any worker, any beat run)."""
    try:
        with transaction.atomic():
            WorkOrderAlert.objects.create(work_order=order, kind=kind, assignment_no=order.assignment_no,
                                          sequence=sequence)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def work_order_remind(*, actor, work_order: WorkOrder, note: str = "") -> WorkOrder:
    """催办 by hand: an SMS to the assigned worker now."""
    require_perm(actor, "dispatch.remind_workorder", "没有催办的权限。")
    require_in_scope(actor, work_order.station_id)
    order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if not order.is_open or not order.worker_id:
        raise AppError("只有已派出且未完成的工单可以催办。", field="status")
    sequence = WorkOrderAlert.objects.filter(work_order=order, kind=WorkOrderAlert.Kind.MANUAL_REMINDER).count() + 1
    _alert_once(order, WorkOrderAlert.Kind.MANUAL_REMINDER, sequence)
    _event(order, kind="reminded", actor=actor, worker=order.worker, note=note)
    transaction.on_commit(lambda: notify.reminder(order.pk, actor_id=actor.pk, manual=True))
    return order


def work_orders_sweep(*, now: dt.datetime | None = None, accept_minutes: int, escalate: bool = True) -> dict:
    """The periodic check: remind workers who have not accepted in time, and
    escalate orders past their appointment window to the station supervisors.
    Each alert is taken with a unique row first, so it goes out once."""
    now = now or timezone.now()
    counts = {"reminders": 0, "escalations": 0}
    late_accept = WorkOrder.objects.filter(status=S.ASSIGNED, assigned_at__lt=now - dt.timedelta(minutes=accept_minutes))
    for order in late_accept.exclude(alerts__kind=WorkOrderAlert.Kind.ACCEPT_REMINDER,
                                     alerts__assignment_no=F("assignment_no")).iterator():
        with transaction.atomic():
            if _alert_once(order, WorkOrderAlert.Kind.ACCEPT_REMINDER):
                _event(order, kind="auto_reminder", worker=order.worker, via=WorkOrderEvent.Via.SYSTEM)
                transaction.on_commit(lambda pk=order.pk: notify.reminder(pk, actor_id=None, manual=False))
                counts["reminders"] += 1
    if escalate:
        overdue = WorkOrder.objects.filter(status__in=OPEN_STATUSES, appointment_end__lt=now)
        for order in overdue.exclude(alerts__kind=WorkOrderAlert.Kind.OVERDUE_ESCALATION,
                                     alerts__assignment_no=F("assignment_no")).iterator():
            with transaction.atomic():
                if _alert_once(order, WorkOrderAlert.Kind.OVERDUE_ESCALATION):
                    _event(order, kind="escalated", worker=order.worker, via=WorkOrderEvent.Via.SYSTEM)
                    transaction.on_commit(lambda pk=order.pk: notify.escalation(pk))
                    counts["escalations"] += 1
    return counts


def worker_for_phone(phone: str) -> RepairWorker | None:
    info = normalize_phone(phone)
    if not info.number:
        return None
    return (RepairWorker.objects.select_related("user").filter(user__mobile=info.number, is_active=True).first())
