from rest_framework import serializers

from core_billing.api_base import ScopedPrimaryKeyRelatedField
from core_billing.models import Customer, Station

from ..models import RepairWorker, WorkOrder, WorkOrderEvent


class RepairWorkerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.display_name", read_only=True)
    mobile = serializers.CharField(source="user.mobile", read_only=True)

    class Meta:
        model = RepairWorker
        fields = ["id", "user", "name", "mobile", "station", "skills", "is_active"]
        read_only_fields = fields


class WorkOrderSerializer(serializers.ModelSerializer):
    worker_name = serializers.CharField(source="worker.user.display_name", read_only=True, default=None,
                                        allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = WorkOrder
        fields = ["id", "number", "station", "status", "customer", "address", "contact_name", "contact_phone",
                  "problem", "category", "priority", "appointment_start", "appointment_end", "worker", "worker_name",
                  "assignment_no", "created_by", "created_at", "assigned_at", "accepted_at", "started_at",
                  "finished_at", "result", "is_overdue"]
        read_only_fields = fields


class WorkOrderCreateSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    problem = serializers.CharField()
    category = serializers.ChoiceField(choices=WorkOrder._meta.get_field("category").choices, required=False)
    priority = serializers.ChoiceField(choices=WorkOrder._meta.get_field("priority").choices, required=False)
    appointment_start = serializers.DateTimeField(required=False, allow_null=True)
    appointment_end = serializers.DateTimeField(required=False, allow_null=True)


class AssignSerializer(serializers.Serializer):
    worker = ScopedPrimaryKeyRelatedField(queryset=RepairWorker.objects.all())
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CancelReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class FinishResultSerializer(serializers.Serializer):
    result = serializers.CharField(required=False, allow_blank=True, max_length=500)


class TimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["event", "sms"])
    kind = serializers.CharField(help_text="event kind, or the SMS status")
    actor = serializers.CharField(allow_null=True)
    via = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    sms_body = serializers.CharField(allow_blank=True)
    sms_status = serializers.CharField(allow_blank=True)
    sms_error = serializers.CharField(allow_blank=True)


def timeline_rows(items: list[dict]) -> list[dict]:
    rows = []
    for item in items:
        if item["type"] == "event":
            e: WorkOrderEvent = item["event"]
            who = e.actor.display_name if e.actor else (str(e.worker) if e.worker else None)
            rows.append({"at": e.at, "type": "event", "kind": e.kind, "actor": who, "via": e.via, "note": e.note,
                         "sms_body": "", "sms_status": "", "sms_error": ""})
        else:
            m = item["message"]
            rows.append({"at": m.created_at, "type": "sms", "kind": m.status, "actor": m.recipient_name, "via": "sms",
                         "note": "", "sms_body": m.body, "sms_status": m.status,
                         "sms_error": " ".join(x for x in (m.error_code, m.error_text) if x)})
    return rows
