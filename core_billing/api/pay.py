"""REST API for pay links and online orders (/api/v1/billing/pay-links/, /online-orders/).

Staff hand a customer a link (created or reused), revoke links, and follow
online orders (those paid but not recorded wait in status "review")."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..api_base import ScopedPrimaryKeyRelatedField, ScopedQuerysetMixin, body_text
from ..models import Customer, OnlineOrder, PayLink, Season
from ..services.paylinks import paylink_create, paylink_revoke, paylink_url
from .billing import ReadPermission


class PayLinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = PayLink
        fields = ["id", "customer", "season", "station", "url", "created_at", "expires_at", "revoked_at", "is_live"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return paylink_url(obj)


class PayLinkCreateSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())
    season = serializers.PrimaryKeyRelatedField(queryset=Season.objects.all(), required=False, allow_null=True)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class OnlineOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnlineOrder
        fields = ["id", "out_trade_no", "customer", "station", "pay_link", "season", "provider", "amount", "status",
                  "provider_txn_id", "receipt", "note", "created_at", "paid_at"]
        read_only_fields = fields


class PayLinkViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Pay links (缴费链接).  POST creates one for a customer, or returns the live one."""

    queryset = PayLink.objects.select_related("customer").order_by("-created_at", "-id")
    serializer_class = PayLinkSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["customer", "season"]

    @extend_schema(request=PayLinkCreateSerializer, responses={201: PayLinkSerializer})
    def create(self, request):
        body = PayLinkCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        link = paylink_create(actor=request.user, customer=body.validated_data["customer"],
                              season=body.validated_data.get("season"))
        return Response(PayLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses={200: PayLinkSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.get_object()  # 404 for another station's link before the body is read
        link = paylink_revoke(actor=request.user, link=link, reason=body_text(request, "reason"))
        return Response(PayLinkSerializer(link).data)


class OnlineOrderViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Online orders: what was asked of a provider and what came of it."""

    queryset = OnlineOrder.objects.order_by("-created_at", "-id")
    serializer_class = OnlineOrderSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["customer", "status", "provider"]
