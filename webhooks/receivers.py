"""Domain signals of the lower layers turned into outbound webhook events.

Each receiver runs after the change committed (the signals are sent on
commit) and only reads; webhooks_emit writes the deliveries in bulk."""
from __future__ import annotations

from django.dispatch import receiver

from campaigns.models import Campaign
from campaigns.signals import campaign_finished
from core_billing.models import Customer, Receipt
from core_billing.signals import payment_recorded
from dispatch.models import WorkOrder
from dispatch.signals import work_order_changed
from messaging.models import Message, MessageStatus
from messaging.signals import message_status_changed

from .models import Event
from .outbound.services import subscribed, webhooks_emit

MESSAGE_EVENTS = {MessageStatus.DELIVERED: Event.MESSAGE_DELIVERED, MessageStatus.FAILED: Event.MESSAGE_FAILED}


@receiver(message_status_changed, dispatch_uid="webhooks.messages")
def on_message_status(sender, status, message_ids, **kwargs):
    event = MESSAGE_EVENTS.get(status)
    if event is None or not message_ids or not subscribed(event):
        return
    rows = Message.objects.filter(pk__in=message_ids).values(
        "pk", "station_id", "phone", "status", "error_code", "campaign_id", "work_order_id", "customer__account_no")
    webhooks_emit(event, [(r["station_id"], {
        "message_id": r["pk"], "status": r["status"], "phone": r["phone"], "error_code": r["error_code"],
        "campaign_id": r["campaign_id"], "work_order_id": r["work_order_id"],
        "account_no": r["customer__account_no"]}) for r in rows])


@receiver(work_order_changed, dispatch_uid="webhooks.work_orders")
def on_work_order(sender, work_order_id, station_id, kind, status, **kwargs):
    if not subscribed(Event.WORK_ORDER_CHANGED):
        return
    number = WorkOrder.objects.filter(pk=work_order_id).values_list("number", flat=True).first()
    webhooks_emit(Event.WORK_ORDER_CHANGED, [(station_id, {"work_order_id": work_order_id, "number": number,
                                                           "step": kind, "status": status})])


@receiver(payment_recorded, dispatch_uid="webhooks.payments")
def on_payment(sender, receipt_id, customer_id, station_id, amount, method, paid_on, **kwargs):
    if not subscribed(Event.PAYMENT_SUCCEEDED):
        return
    receipt = Receipt.objects.filter(pk=receipt_id).values("number", "provider", "provider_txn_id").first() or {}
    account_no = Customer.objects.filter(pk=customer_id).values_list("account_no", flat=True).first()
    webhooks_emit(Event.PAYMENT_SUCCEEDED, [(station_id, {
        "receipt_id": receipt_id, "receipt_number": receipt.get("number"), "account_no": account_no,
        "amount": str(amount), "method": method, "paid_on": str(paid_on), "provider": receipt.get("provider", ""),
        "provider_txn_id": receipt.get("provider_txn_id", "")})])


@receiver(campaign_finished, dispatch_uid="webhooks.campaigns")
def on_campaign_finished(sender, campaign_id, station_id, status, counts, **kwargs):
    if not subscribed(Event.CAMPAIGN_FINISHED):
        return
    row = Campaign.objects.filter(pk=campaign_id).values("name", "season", "topic__name").first() or {}
    webhooks_emit(Event.CAMPAIGN_FINISHED, [(station_id, {
        "campaign_id": campaign_id, "name": row.get("name"), "season": row.get("season"),
        "topic": row.get("topic__name"), "status": status, "counts": counts})])
