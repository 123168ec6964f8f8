from rest_framework import serializers

from core_billing.api_base import ScopedPrimaryKeyRelatedField
from core_billing.models import Station
from messaging.models import Topic

from ..models import Audience, Campaign, DunningRun, DunningScheme


class AudienceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Audience
        fields = ["id", "station", "name", "filters", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class AudienceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    filters = serializers.JSONField(required=False, help_text="criteria: stations, exchange_stations, communities, "
                                    "buildings, units, customer_types, heating_statuses, collectors, "
                                    "arrears_seasons_min, arrears_min, arrears_max")
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)


class AudienceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    filters = serializers.JSONField(required=False)


class AudiencePreviewRequestSerializer(serializers.Serializer):
    filters = serializers.JSONField(required=False)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False, allow_null=True)
    season = serializers.CharField(required=False, allow_blank=True, max_length=16)
    no_repeat = serializers.BooleanField(required=False, default=True)
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)


class SkipCountSerializer(serializers.Serializer):
    reason = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class EstimateSerializer(serializers.Serializer):
    segments = serializers.IntegerField()
    per_message = serializers.DecimalField(max_digits=8, decimal_places=2)
    exact = serializers.BooleanField()
    price = serializers.DecimalField(max_digits=8, decimal_places=4)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    example = serializers.CharField()


class AudiencePreviewSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    recipients = serializers.IntegerField()
    skipped_total = serializers.IntegerField()
    skipped = SkipCountSerializer(many=True)
    estimate = EstimateSerializer(required=False)


class CampaignSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(source="topic.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "station", "name", "topic", "topic_name", "season", "audience", "filters", "no_repeat",
                  "status", "status_label", "scheduled_at", "held", "targeted", "created_count", "skipped",
                  "created_by", "created_at", "started_at", "finished_at", "note"]
        read_only_fields = fields


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all())
    season = serializers.CharField(max_length=16)
    audience = ScopedPrimaryKeyRelatedField(queryset=Audience.objects.all(), required=False, allow_null=True)
    filters = serializers.JSONField(required=False, help_text="criteria, when no saved audience is given")
    no_repeat = serializers.BooleanField(required=False, default=True)
    send_at = serializers.DateTimeField(required=False, allow_null=True)
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)


class ProgressSerializer(serializers.Serializer):
    status = serializers.CharField()
    targeted = serializers.IntegerField()
    skipped = serializers.IntegerField()
    created = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    resent = serializers.IntegerField()
    percent = serializers.IntegerField()
    creating_percent = serializers.IntegerField()
    skipped_by_reason = SkipCountSerializer(many=True)


class FailedCodeSerializer(serializers.Serializer):
    error_code = serializers.CharField()
    count = serializers.IntegerField()


class OutcomeSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    targeted = serializers.IntegerField()
    skipped_total = serializers.IntegerField()
    skipped = SkipCountSerializer(many=True)
    created = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField(help_text="accepted by the gateway, no receipt yet")
    sent_total = serializers.IntegerField(help_text="reached the gateway: sent + delivered + failed")
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    resent = serializers.IntegerField()
    failed_by_code = FailedCodeSerializer(many=True)
    segments = serializers.IntegerField()
    billed_segments = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)


class ResendFilterSerializer(serializers.Serializer):
    """The record filter (message_list keywords) whose failed messages are resent."""

    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    season = serializers.CharField(required=False, allow_blank=True, max_length=16)
    topic = serializers.IntegerField(required=False, min_value=1)
    sender = serializers.IntegerField(required=False, min_value=1)
    customer = serializers.IntegerField(required=False, min_value=1)
    campaign = serializers.IntegerField(required=False, min_value=1)
    work_order = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.CharField(required=False, allow_blank=True, max_length=16)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=64)


class ResendCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="failed messages that match and will be resent")


class ResendResultSerializer(serializers.Serializer):
    resent = serializers.IntegerField()
    already_resent = serializers.IntegerField()
    already_sent = serializers.IntegerField()
    skipped = serializers.DictField(child=serializers.IntegerField())
    message_ids = serializers.ListField(child=serializers.IntegerField())


class DunningSchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DunningScheme
        fields = ["id", "station", "name", "topic", "audience", "season", "start_date", "end_date", "every_days",
                  "is_active", "created_by", "created_at"]
        read_only_fields = fields


class DunningSchemeWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all())
    audience = ScopedPrimaryKeyRelatedField(queryset=Audience.objects.all(), required=False, allow_null=True)
    season = serializers.CharField(max_length=16)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    every_days = serializers.IntegerField(min_value=1, max_value=365, default=15)
    is_active = serializers.BooleanField(required=False, default=True)
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)


class DunningSchemeUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    topic = ScopedPrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False)
    audience = ScopedPrimaryKeyRelatedField(queryset=Audience.objects.all(), required=False, allow_null=True)
    season = serializers.CharField(max_length=16, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    every_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    is_active = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DunningRunSerializer(serializers.ModelSerializer):
    campaign_status = serializers.CharField(source="campaign.status", read_only=True, default=None, allow_null=True)

    class Meta:
        model = DunningRun
        fields = ["id", "scheme", "due_date", "campaign", "campaign_status", "counts", "created_at"]
        read_only_fields = fields
