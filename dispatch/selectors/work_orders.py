from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import RepairWorker, WorkOrder, WorkOrderEvent
from ..models.work_orders import OPEN_STATUSES


def work_order_list(*, actor, status: str = "", worker=None, overdue: bool = False, search: str = "",
                    station=None) -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.visible_to(actor).select_related("worker__user", "customer", "station")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if worker:
        qs = qs.filter(worker_id=getattr(worker, "pk", worker))
    if station:
        qs = qs.filter(station_id=getattr(station, "pk", station))
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, appointment_end__lt=timezone.now())
    if search:
        text = search.strip()
        qs = qs.filter(Q(number__icontains=text) | Q(address__icontains=text) | Q(contact_name__icontains=text)
                       | Q(contact_phone__contains=text) | Q(problem__icontains=text))
    return qs


def work_order_timeline(*, actor, work_order: WorkOrder) -> list[dict]:
    """Every step and every SMS of an order, oldest first."""
    from messaging.models import Message  # dispatch sits above messaging

    events = WorkOrderEvent.objects.visible_to(actor).filter(work_order=work_order).select_related(
        "actor", "worker__user")
    items = [{"at": e.at, "type": "event", "event": e} for e in events]
    messages = Message.objects.visible_to(actor).filter(work_order_id=work_order.pk).select_related("staff")
    items += [{"at": m.created_at, "type": "sms", "message": m} for m in messages]
    items.sort(key=lambda item: item["at"])
    return items


def repair_workers(*, actor, active_only: bool = True) -> QuerySet[RepairWorker]:
    qs = RepairWorker.objects.visible_to(actor).select_related("user", "station")
    return qs.filter(is_active=True) if active_only else qs
