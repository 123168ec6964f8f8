from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core_billing.api_base import ScopedPrimaryKeyRelatedField, ScopedQuerysetMixin
from core_billing.models import Station
from core_billing.permissions import ModelPermissions

from ..models import Event, WebhookDelivery, WebhookSubscription
from . import services


class SubscriptionSerializer(serializers.ModelSerializer):
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), min_length=1)
    rotate_secret = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "station", "url", "description", "events", "secret", "is_active", "created_at",
                  "rotate_secret"]
        read_only_fields = ["secret", "created_at"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event", "event_id", "payload", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "created_at", "delivered_at", "replay_of"]
        read_only_fields = fields


class SubscriptionViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Outbound webhook subscriptions; turn one off with PATCH is_active=false."""

    queryset = WebhookSubscription.objects.all()
    serializer_class = SubscriptionSerializer
    permission_classes = [ModelPermissions]

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.subscription_create(actor=self.request.user, url=d["url"],
                                                           events=d["events"], station=d.get("station"),
                                                           description=d.get("description", ""))

    def perform_update(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.subscription_update(
            actor=self.request.user, subscription=serializer.instance, url=d.get("url"), events=d.get("events"),
            is_active=d.get("is_active"), rotate_secret=d.get("rotate_secret", False))


class DeliveryViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The delivery log: every event sent to every subscription, with its attempts."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = DeliverySerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["subscription", "status", "event"]

    @extend_schema(request=None, responses={201: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        copy = services.delivery_replay(actor=request.user, delivery=self.get_object())
        return Response(DeliverySerializer(copy).data, status=201)
