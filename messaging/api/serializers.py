from rest_framework import serializers

from core_billing.api_base import ScopedPrimaryKeyRelatedField
from core_billing.models import Customer, Station, User
from core_billing.roles import Role

from ..models import InboundMessage, Message, MessageStatus, OptOut, Topic, TopicKind


class TopicSerializer(serializers.ModelSerializer):
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)
    company_wide = serializers.BooleanField(write_only=True, required=False, default=False,
                                            help_text="Head office only: a topic shared by every station.")
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Topic
        fields = ["id", "station", "name", "kind", "is_marketing", "body", "is_active", "created_at", "updated_at",
                  "company_wide", "reason"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # uniqueness is the service's (full_clean), with the station it resolves


class PreviewRequestSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=TopicKind.choices, required=False)
    is_marketing = serializers.BooleanField(required=False, default=False)
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    season = serializers.CharField(required=False, allow_blank=True, max_length=16)
    sample = serializers.BooleanField(required=False, default=False,
                                      help_text="Fill placeholders with sample values (the editor's counter).")


class PreviewSerializer(serializers.Serializer):
    text = serializers.CharField()
    characters = serializers.IntegerField()
    encoding = serializers.CharField()
    units = serializers.IntegerField()
    segments = serializers.IntegerField()
    per_segment = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    price_per_segment = serializers.DecimalField(max_digits=10, decimal_places=4)
    placeholders = serializers.ListField(child=serializers.CharField())
    sample = serializers.BooleanField()


class PlaceholderSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    provider = serializers.CharField()
    available = serializers.BooleanField(help_text="Whether the provider of this value is wired in.")
    kinds = serializers.ListField(child=serializers.CharField())


class SegmentsRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class SegmentsSerializer(serializers.Serializer):
    characters = serializers.IntegerField()
    encoding = serializers.CharField()
    units = serializers.IntegerField()
    segments = serializers.IntegerField()
    per_segment = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=10, decimal_places=2)


class MessageSerializer(serializers.ModelSerializer):
    recipient_name = serializers.CharField(read_only=True)
    topic_name = serializers.CharField(source="topic.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = ["id", "station", "topic", "topic_name", "kind", "is_marketing", "season", "campaign_id",
                  "work_order_id", "customer", "staff", "recipient_name", "phone", "body", "segments", "encoding",
                  "sender", "gateway", "gateway_ref", "attempts", "status", "error_code", "error_text", "resend_of",
                  "created_at", "sent_at", "delivered_at", "failed_at"]
        read_only_fields = fields


class SendRequestSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False, allow_null=True)
    body = serializers.CharField(required=False, allow_blank=True)
    season = serializers.CharField(required=False, allow_blank=True, max_length=16)


class StaffSendRequestSerializer(serializers.Serializer):
    stations = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), many=True, required=False)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)
    users = ScopedPrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False, allow_null=True)
    body = serializers.CharField(required=False, allow_blank=True)


class SkippedSerializer(serializers.Serializer):
    customer = serializers.IntegerField(allow_null=True)
    staff = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    label = serializers.CharField()


class SendResultSerializer(serializers.Serializer):
    messages = MessageSerializer(many=True)
    skipped = SkippedSerializer(many=True)


class OptOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = OptOut
        fields = ["id", "phone", "is_opted_out", "keyword", "source", "changed_at"]
        read_only_fields = fields


class OptOutRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    opted_out = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class InboundSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundMessage
        fields = ["id", "station", "gateway", "phone", "to", "body", "customer", "staff", "action", "handled_by",
                  "received_at"]
        read_only_fields = fields


STATUS_CHOICES = MessageStatus.choices
