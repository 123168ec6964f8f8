"""REST API for billing (/api/v1/billing/...): seasons and presets, price changes,
accounts and their ledgers, payments and receipts, adjustments, corrections,
customer summaries and the fee calculator.  Every write calls a service, which
checks the specific permission and writes the audit row."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import pricing
from ..api_base import ScopedQuerysetMixin, body_text
from ..errors import PermissionDeniedError
from ..models import (Adjustment, AdjustmentCategory, ChangeReason, Customer, DiscountTier,
                      LedgerEntry, PriceChange, Receipt, Season, SeasonAccount, Tariff)
from ..permissions import ModelPermissions
from ..scoping import get_visible_or_404
from ..selectors import billing as sel
from ..services import billing as svc
from ..services import ledger, pricing_changes
from . import billing_serializers as s


class ReadPermission(ModelPermissions):
    """Reading needs the model's view permission; each write's own permission
    (take_payment, grant_adjustment, change_tariff, ...) is checked by its service."""

    perms_map = {**ModelPermissions.perms_map, "POST": [], "PUT": [], "PATCH": [], "DELETE": []}


def _reason(request) -> str:
    return body_text(request, "reason")


def inline_count():
    return inline_serializer("OpenedAccounts", {"opened": serializers.IntegerField()})


def inline_totals():
    return inline_serializer("SeasonTotals", {
        "households": serializers.IntegerField(), "billed": serializers.CharField(),
        "collected": serializers.CharField(), "owed": serializers.CharField(), "late_fee": serializers.CharField(),
        "rate": serializers.CharField()})


class SeasonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Seasons and their settings (company-wide; changes by head office, re-pricing at once)."""

    queryset = Season.objects.all()
    serializer_class = s.SeasonSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["status", "is_current"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        make_current = data.pop("make_current", False)
        serializer.instance = svc.season_create(actor=self.request.user, make_current=make_current, reason=reason,
                                                **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        data.pop("make_current", None)
        serializer.instance = svc.season_update(actor=self.request.user, season=serializer.instance, changes=data,
                                                reason=reason)

    @extend_schema(request=s.RolloverSerializer, responses={201: s.SeasonSerializer})
    @action(detail=True, methods=["post"])
    def rollover(self, request, pk=None):
        """Start the next season from this one: settings copied, accounts opened, old arrears kept."""
        target = self.get_object()  # 404 for another station's object before the body is read
        body = s.RolloverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        season = svc.season_rollover(actor=request.user, source=target, **body.validated_data)
        return Response(s.SeasonSerializer(season).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.SeasonSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        season = svc.season_close(actor=request.user, season=self.get_object(), reason=_reason(request))
        return Response(s.SeasonSerializer(season).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.SeasonSerializer)
    @action(detail=True, methods=["post"], url_path="make-current")
    def make_current(self, request, pk=None):
        season = svc.season_make_current(actor=request.user, season=self.get_object(), reason=_reason(request))
        return Response(s.SeasonSerializer(season).data)

    @extend_schema(request=s.ReasonSerializer, responses=inline_count())
    @action(detail=True, methods=["post"], url_path="open-accounts")
    def open_accounts(self, request, pk=None):
        opened = svc.season_open_accounts(actor=request.user, season=self.get_object(), reason=_reason(request))
        return Response({"opened": opened})

    @extend_schema(responses=inline_totals())
    @action(detail=True)
    def totals(self, request, pk=None):
        """Households, billed, collected and owed in this season, within your stations."""
        data = sel.season_totals(actor=request.user, season=self.get_object())
        return Response({k: (str(v) if not isinstance(v, int) else v) for k, v in data.items()})


class SettingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A season's presets; writes go through season_setting_save (head office, audited;
    a tariff's new prices re-price the season's accounts)."""

    permission_classes = [ReadPermission]
    filterset_fields = ["season"]

    def _save(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k != "reason"}
        obj = serializer.instance or serializer.Meta.model()
        for key, value in data.items():
            setattr(obj, key, value)
        serializer.instance = svc.season_setting_save(actor=self.request.user, obj=obj,
                                                      reason=body_text(self.request, "reason"))

    perform_create = _save
    perform_update = _save

    def perform_destroy(self, instance):
        svc.season_setting_delete(actor=self.request.user, obj=instance,
                                  reason=self.request.query_params.get("reason", ""))


class TariffViewSet(SettingViewSet):
    queryset = Tariff.objects.select_related("customer_type")
    serializer_class = s.TariffSerializer
    filterset_fields = ["season", "customer_type"]


class DiscountTierViewSet(SettingViewSet):
    queryset = DiscountTier.objects.all()
    serializer_class = s.DiscountTierSerializer


class AdjustmentCategoryViewSet(SettingViewSet):
    queryset = AdjustmentCategory.objects.all()
    serializer_class = s.AdjustmentCategorySerializer
    filterset_fields = ["season", "kind", "is_active"]


class ChangeReasonViewSet(SettingViewSet):
    queryset = ChangeReason.objects.all()
    serializer_class = s.ChangeReasonSerializer
    filterset_fields = ["season", "applies_to", "is_active"]


class PriceChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """调价: preview how many accounts and how much money a price change moves, then apply it."""

    queryset = PriceChange.objects.select_related("season", "actor")
    serializer_class = s.PriceChangeSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["season", "customer_type"]

    @extend_schema(request=s.PriceChangeRequestSerializer, responses={201: s.PriceChangeSerializer})
    def create(self, request):
        body = s.PriceChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        change = pricing_changes.tariff_change(actor=request.user, season=d["season"],
                                               customer_type=d["customer_type"], unit_price=d.get("unit_price"),
                                               base_price=d.get("base_price"), heat_price=d.get("heat_price"),
                                               reason=d.get("reason", ""))
        return Response(s.PriceChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PriceChangeRequestSerializer, responses=s.PricePreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        body = s.PriceChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        p = pricing_changes.tariff_change_preview(actor=request.user, season=d["season"],
                                                  customer_type=d["customer_type"], unit_price=d.get("unit_price"),
                                                  base_price=d.get("base_price"), heat_price=d.get("heat_price"))
        return Response(s.PricePreviewSerializer({"accounts": p.accounts, "money_moved": p.money_moved,
                                                  "before": {k: str(v) if v is not None else None
                                                             for k, v in p.before.items()},
                                                  "after": {k: str(v) for k, v in p.after.items()}}).data)


@extend_schema(parameters=[OpenApiParameter("owing", bool, description="only accounts still owing (or not)")])
class AccountViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Customer season accounts: snapshot and balances; their ledger and changes."""

    queryset = SeasonAccount.objects.select_related("season", "customer")
    serializer_class = s.AccountSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["season", "station", "customer", "collector", "heating_status", "metering_mode"]

    def get_queryset(self):
        qs = super().get_queryset()
        owing = self.request.query_params.get("owing")
        if owing in ("true", "1"):
            qs = qs.filter(owed__gt=0)
        elif owing in ("false", "0"):
            qs = qs.filter(owed__lte=0)
        return qs

    @extend_schema(responses=s.LedgerEntrySerializer(many=True))
    @action(detail=True)
    def entries(self, request, pk=None):
        rows = sel.account_entries(actor=request.user, account=self.get_object())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.LedgerEntrySerializer(page, many=True).data)

    @extend_schema(methods=["get"], responses=s.HeatingChangeSerializer(many=True))
    @extend_schema(methods=["post"], request=s.HeatingChangeSerializer, responses={201: s.HeatingChangeSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def changes(self, request, pk=None):
        """报停 · 强停 · 复热 · 加片 · 面积变更 with an effective date."""
        account = self.get_object()
        if request.method == "GET":
            return Response(s.HeatingChangeSerializer(account.changes.select_related("actor"), many=True).data)
        body = s.HeatingChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        change_reason = d.get("reason")
        change = pricing_changes.heating_change(actor=request.user, account=account, kind=d["kind"],
                                                effective_date=d["effective_date"], area=d.get("area"),
                                                reason=d.get("reason_text", ""), change_reason=change_reason)
        return Response(s.HeatingChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MeterReadingSerializer, responses=s.AccountSerializer)
    @action(detail=True, methods=["post"], url_path="meter-reading")
    def meter_reading(self, request, pk=None):
        target = self.get_object()  # 404 for another station's object before the body is read
        body = s.MeterReadingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = pricing_changes.meter_reading_record(actor=request.user, account=target,
                                                       **body.validated_data)
        return Response(s.AccountSerializer(account).data)

    @extend_schema(request=s.CorrectionSerializer, responses={201: s.LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def corrections(self, request, pk=None):
        """费用矫正: a signed correction with a reason."""
        account = self.get_object()
        body = s.CorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        corrects = None
        if d.get("corrects"):
            corrects = get_visible_or_404(LedgerEntry, request.user, pk=d["corrects"])
        entry = ledger.correction_post(actor=request.user, account=account, amount=d["amount"], reason=d["reason"],
                                       corrects=corrects)
        return Response(s.LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdjustmentRequestSerializer, responses={201: s.AdjustmentSerializer})
    @action(detail=True, methods=["post"])
    def adjustments(self, request, pk=None):
        """减免 / 折让 by category; above the threshold it waits for approval."""
        account = self.get_object()  # another station's account is a 404 before the body is even read
        body = s.AdjustmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        adj = ledger.adjustment_grant(actor=request.user, account=account, **body.validated_data)
        return Response(s.AdjustmentSerializer(adj).data, status=status.HTTP_201_CREATED)


class CustomerSummaryView(APIView):
    """What a customer owes as of a date, season by season."""

    @extend_schema(parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD; default today")],
                   responses=s.BillingSummarySerializer)
    def get(self, request, pk):
        if not request.user.has_perm("core_billing.view_seasonaccount"):
            raise PermissionDeniedError("没有查看账单的权限。")
        customer = get_visible_or_404(Customer, request.user, pk=pk)
        as_of = request.query_params.get("as_of")
        if as_of:
            from ..services._money import parse_date

            as_of = parse_date(as_of, field="as_of", label="日期")
        summary = sel.customer_billing_summary(customer, as_of=as_of or None)
        data = {**summary.__dict__, "seasons": [line.as_dict() for line in summary.seasons]}
        return Response(s.BillingSummarySerializer(data).data)


class PaymentView(APIView):
    """收费: take a payment (oldest season first, or one season); returns the receipt."""

    @extend_schema(request=s.PaymentRequestSerializer, responses={201: s.PaymentResultSerializer,
                                                                  200: s.PaymentResultSerializer})
    def post(self, request):
        body = s.PaymentRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        result = ledger.payment_take(actor=request.user, customer=d.pop("customer"), amount=d.pop("amount"),
                                     method=d.pop("method"), **d)
        data = {"created": result.created, "discount": result.discount, "late_fee": result.late_fee,
                "receipt": result.receipt}
        return Response(s.PaymentResultSerializer(data).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ReceiptViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    queryset = Receipt.objects.select_related("customer", "collector").prefetch_related("entries__actor")
    serializer_class = s.ReceiptSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["customer", "paid_on", "collector", "method", "station"]

    @extend_schema(request=s.RequiredReasonSerializer, responses=s.LedgerEntrySerializer(many=True))
    @action(detail=True, methods=["post"], pagination_class=None)
    def reverse(self, request, pk=None):
        """冲正: reverse the whole receipt (and the discounts it earned), with a reason."""
        target = self.get_object()  # 404 for another station's object before the body is read
        body = s.RequiredReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = ledger.payment_reverse(actor=request.user, receipt=target,
                                      reason=body.validated_data["reason"])
        return Response(s.LedgerEntrySerializer(rows, many=True).data)


class AdjustmentViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    queryset = Adjustment.objects.select_related("account__customer", "account__season", "category",
                                                 "requested_by", "decided_by")
    serializer_class = s.AdjustmentSerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["status", "station", "account"]

    @extend_schema(request=s.DecisionSerializer, responses=s.AdjustmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        target = self.get_object()
        adj = ledger.adjustment_approve(actor=request.user, adjustment=target, note=body_text(request, "note"))
        return Response(s.AdjustmentSerializer(adj).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.AdjustmentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        target = self.get_object()
        adj = ledger.adjustment_reject(actor=request.user, adjustment=target, note=body_text(request, "note"))
        return Response(s.AdjustmentSerializer(adj).data)


class LedgerEntryViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    queryset = LedgerEntry.objects.select_related("actor", "approved_by", "receipt")
    serializer_class = s.LedgerEntrySerializer
    permission_classes = [ReadPermission]
    filterset_fields = ["account", "kind", "receipt", "station"]

    @extend_schema(request=s.EntryReverseSerializer, responses={201: s.LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse a correction, waiver, allowance or late fee (payments: by receipt)."""
        target = self.get_object()  # 404 for another station's object before the body is read
        body = s.EntryReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = ledger.entry_reverse(actor=request.user, entry=target, reason=body.validated_data["reason"])
        return Response(s.LedgerEntrySerializer(row).data, status=status.HTTP_201_CREATED)


def run_quote(data) -> pricing.Quote:
    """Validate a fee-calculator request and compute it; bad input is a 400 naming the field."""
    body = s.QuoteRequestSerializer(data=data)
    body.is_valid(raise_exception=True)
    d = body.validated_data
    try:
        q = pricing.QuoteInput(
            area=d["area"], metering=d["metering"], unit_price=d.get("unit_price"), base_price=d.get("base_price"),
            heat_price=d.get("heat_price"), heat_gj=d.get("heat_gj") or pricing.ZERO,
            season_start=d["season_start"], season_end=d["season_end"], heating_days=d.get("heating_days"),
            periods=[pricing.Period(p["status"], p["from"], p["to"]) for p in d.get("periods", [])],
            standby_ratio=d.get("standby_ratio") or pricing.ZERO,
            discount_tiers=[pricing.Tier(t["until"], t["rate"]) for t in d.get("discount_tiers", [])],
            payment_date=d.get("payment_date") or timezone.localdate(), late_fee_start=d.get("late_fee_start"),
            late_fee_daily_rate=d.get("late_fee_daily_rate") or pricing.ZERO, precision=d["precision"])
        return pricing.quote(q)
    except pricing.PricingError as exc:
        raise serializers.ValidationError({exc.field or "non_field_errors": [exc.message]})


def quote_json(result: pricing.Quote) -> dict:
    return {"heating_fee": str(result.heating_fee), "standby_fee": str(result.standby_fee),
            "metered_fee": str(result.metered_fee), "discount": str(result.discount),
            "late_fee": str(result.late_fee), "total": str(result.total), "heating_days": result.heating_days,
            "days": result.days, "discount_rate": str(result.discount_rate), "late_fee_days": result.late_fee_days,
            "lines": [{"code": line.code, "label": line.label, "formula": line.formula, "amount": str(line.amount)}
                      for line in result.lines]}


class QuoteView(APIView):
    """费用试算: what a customer pays if paying on a date, from explicit inputs; touches no account.

    full = area × unit_price (area) or area × base_price (metered); daily = full ÷ heating_days;
    heating_fee = daily × normal days; standby_fee = daily × standby_ratio × (suspended + forced-stop days);
    metered_fee = heat_gj × heat_price; discount = first tier (by date) with until ≥ payment_date, ×
    (heating_fee + metered_fee); late_fee = (heating_fee + standby_fee + metered_fee − discount) ×
    late_fee_daily_rate × days from late_fee_start to payment_date (both included); each rounded once by
    `precision`, in that order; total = heating_fee + standby_fee + metered_fee − discount + late_fee."""

    @extend_schema(request=s.QuoteRequestSerializer, responses=s.QuoteResponseSerializer)
    def post(self, request):
        if not request.user.has_perm("core_billing.quote_fees"):
            raise PermissionDeniedError("没有使用费用试算的权限。")
        return Response(quote_json(run_quote(request.data)))

