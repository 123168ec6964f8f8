"""Repair workers answer work orders by SMS (DSP-02): "1 <number>" accepted,
"2 <number>" done, "3 <number>" work started.  A reply we cannot read gets a
short help text; a reply about an order that is not the sender's changes
nothing.  Registered with messaging's inbound handlers in DispatchConfig.ready."""
from __future__ import annotations

import re
import unicodedata

from core_billing.errors import AppError
from messaging.services.inbound import InboundResult

from .models import RepairWorker, WorkOrder
from .services import work_orders as svc

HELP = "回复格式：1 工单号 = 接单，3 工单号 = 开始维修，2 工单号 = 完工。例如：1 GD-20261128-0012"
_REPLY = re.compile(r"^\s*([123])\s*[,，.。:：]?\s*(GD-?\d{8}-?\d{1,4})\s*$", re.IGNORECASE)
STEPS = {"1": svc.work_order_accept, "3": svc.work_order_start, "2": svc.work_order_finish}
DONE_TEXT = {"1": "已接单", "3": "已开始维修", "2": "已完工"}


def _normalise_number(raw: str) -> str:
    digits = re.sub(r"[^0-9]", "", raw)
    return f"GD-{digits[:8]}-{int(digits[8:]):04d}"


def _worker(inbound) -> RepairWorker | None:
    if inbound.staff_id:
        return RepairWorker.objects.select_related("user").filter(user_id=inbound.staff_id, is_active=True).first()
    return svc.worker_for_phone(inbound.phone)


def handle_reply(inbound) -> InboundResult | None:
    worker = _worker(inbound)
    if worker is None:
        return None  # not a repair worker: someone else's business (or nobody's)
    text = unicodedata.normalize("NFKC", inbound.body)
    match = _REPLY.match(text)
    if not match:
        return InboundResult(handled_by="dispatch", reply=HELP)
    step, number = match.group(1), _normalise_number(match.group(2))
    order = WorkOrder.objects.filter(station_id=worker.station_id, number=number).first()
    if order is None or order.worker_id != worker.pk:
        return InboundResult(handled_by="dispatch", reply=f"没有派给您的工单 {number}。{HELP}")
    try:
        kwargs = {"result": "短信回复完工"} if step == "2" else {}
        STEPS[step](work_order=order, worker=worker, via="sms", **kwargs)
    except AppError as exc:
        return InboundResult(handled_by="dispatch", reply=exc.message)
    return InboundResult(handled_by="dispatch", reply=f"工单 {number} {DONE_TEXT[step]}，谢谢。")
