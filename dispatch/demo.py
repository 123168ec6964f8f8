"""Demo data for dispatch: repair workers per station, the work-order topics
and a few open and finished work orders (no SMS are sent while seeding)."""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from core_billing.models import Customer, Station, User
from core_billing.roles import Role
from messaging.services.topics import topic_create
from messaging.templating import TopicKind

from .models import RepairWorker, WorkOrder, WorkOrderCategory, WorkOrderEvent, WorkOrderStatus
from .notify import DEFAULT_BODIES
from .services.work_orders import work_order_create

TOPIC_NAMES = {"assigned": "派单通知", "released": "改派通知", "cancelled": "工单取消通知", "reminder": "催办通知",
               "escalation": "督办通知"}
PROBLEMS = [(WorkOrderCategory.NO_HEAT, "卧室暖气不热，温度只有15度"), (WorkOrderCategory.LEAK, "厨房暖气片接口漏水"),
            (WorkOrderCategory.VALVE, "入户阀门拧不动"), (WorkOrderCategory.NOISE, "管道有异响"),
            (WorkOrderCategory.RADIATOR, "新装暖气片需要排气")]


@transaction.atomic
def seed(*, org, log=print) -> None:
    rng = random.Random(7)
    admin = User.objects.get(username="admin")
    for step, name in TOPIC_NAMES.items():
        topic_create(actor=admin, name=name, kind=TopicKind.WORK_ORDER, body=DEFAULT_BODIES[step], company_wide=True)
    for k, station in enumerate(Station.objects.order_by("code"), start=1):
        workers = []
        for n, (suffix, full_name) in enumerate((("a", "王师傅"), ("b", "李师傅")), start=1):
            user = User.objects.create_user(f"repair{k}{suffix}", password=None, station=station,
                                            full_name=f"{full_name}{k}", mobile=f"+86137{k:04d}{n:04d}")
            user.set_unusable_password()
            user.save(update_fields=["password"])
            workers.append(RepairWorker.objects.create(user=user, station=station,
                                                       skills=[c for c in WorkOrderCategory.values][: 3 + n]))
        dispatcher = User.objects.filter(station=station, groups__name=Role.DISPATCHER).first()
        customers = list(Customer.objects.filter(station=station).exclude(mobile="").order_by("id")[:4])
        now = timezone.now()
        for i, customer in enumerate(customers):
            category, problem = PROBLEMS[(k + i) % len(PROBLEMS)]
            start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2 + i)
            order = work_order_create(actor=dispatcher, customer=customer, problem=problem, category=category,
                                      appointment_start=start, appointment_end=start + dt.timedelta(hours=2))
            if i == 0:  # one finished yesterday, for the timeline
                worker = rng.choice(workers)
                done_at = now - dt.timedelta(hours=20)
                WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrderStatus.DONE, worker=worker,
                                                             assignment_no=1, assigned_at=done_at,
                                                             accepted_at=done_at, finished_at=done_at,
                                                             result="已排气，温度恢复")
                WorkOrderEvent.objects.bulk_create([
                    WorkOrderEvent(work_order=order, kind="assigned", actor=dispatcher, worker=worker, at=done_at,
                                   from_status="created", to_status="assigned"),
                    WorkOrderEvent(work_order=order, kind="finished", worker=worker, at=done_at, via="sms",
                                   from_status="assigned", to_status="done", note="已排气，温度恢复")])
    log("dispatch: repair workers, work-order topics and sample work orders")
