"""Serializers for the billing API.  Money goes out as decimal strings."""
from __future__ import annotations

from rest_framework import serializers

from ..api_base import ScopedPrimaryKeyRelatedField
from ..models import (AccountChange, Adjustment, AdjustmentCategory, ChangeReason, Customer, CustomerType,
                      DiscountTier, LedgerEntry, PaymentMethod, PriceChange, Receipt, Season, SeasonAccount, Tariff)
from ..models.billing import PrecisionMode

MONEY = {"max_digits": 14, "decimal_places": 2}


def money(**kw):
    return serializers.DecimalField(**MONEY, **kw)


class SeasonSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    make_current = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Season
        fields = ["id", "name", "start_date", "end_date", "heating_days", "status", "is_current", "standby_ratio",
                  "late_fee_start", "late_fee_daily_rate", "late_fee_cap_ratio", "precision", "reason",
                  "make_current"]
        read_only_fields = ["status", "is_current"]
        extra_kwargs = {"heating_days": {"required": False}}


class RolloverSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=16)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    heating_days = serializers.IntegerField(required=False, min_value=1)
    close_source = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class SettingSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)


class TariffSerializer(SettingSerializer):
    customer_type_name = serializers.CharField(source="customer_type.name", read_only=True)

    class Meta:
        model = Tariff
        fields = ["id", "season", "customer_type", "customer_type_name", "unit_price", "base_price", "heat_price",
                  "reason"]


class DiscountTierSerializer(SettingSerializer):
    class Meta:
        model = DiscountTier
        fields = ["id", "season", "until", "rate", "reason"]


class AdjustmentCategorySerializer(SettingSerializer):
    class Meta:
        model = AdjustmentCategory
        fields = ["id", "season", "code", "name", "kind", "formula", "value", "is_active", "reason"]


class ChangeReasonSerializer(SettingSerializer):
    class Meta:
        model = ChangeReason
        fields = ["id", "season", "code", "name", "applies_to", "is_active", "reason"]


class PriceChangeRequestSerializer(serializers.Serializer):
    season = serializers.PrimaryKeyRelatedField(queryset=Season.objects.all())
    customer_type = serializers.PrimaryKeyRelatedField(queryset=CustomerType.objects.all())
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    base_price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    heat_price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PricePreviewSerializer(serializers.Serializer):
    accounts = serializers.IntegerField()
    money_moved = money()
    before = serializers.DictField()
    after = serializers.DictField()


class PriceChangeSerializer(serializers.ModelSerializer):
    season_name = serializers.CharField(source="season.name", read_only=True)
    actor_name = serializers.CharField(source="actor.username", default="", read_only=True)

    class Meta:
        model = PriceChange
        fields = ["id", "season", "season_name", "customer_type", "before", "after", "accounts", "money_moved",
                  "reason", "actor_name", "at"]


class AccountSerializer(serializers.ModelSerializer):
    season_name = serializers.CharField(source="season.name", read_only=True)
    account_no = serializers.CharField(source="customer.account_no", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    late_fee = money(read_only=True)

    class Meta:
        model = SeasonAccount
        fields = ["id", "station", "customer", "account_no", "customer_name", "season", "season_name",
                  "customer_type", "metering_mode", "collector", "area", "heating_status", "heat_gj", "heating_fee",
                  "standby_fee", "metered_fee", "corrections", "charged", "discount", "adjusted",
                  "late_fee_charged", "late_fee_pending", "late_fee", "paid", "due", "owed", "late_fee_through",
                  "balance_as_of"]


class LedgerEntrySerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.username", default="", read_only=True)
    approved_by_name = serializers.CharField(source="approved_by.username", default="", read_only=True)
    receipt_number = serializers.CharField(source="receipt.number", default="", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "account", "kind", "kind_display", "amount", "value_date", "posted_at", "actor_name",
                  "approved_by_name", "receipt", "receipt_number", "category", "reverses", "corrects", "for_entry",
                  "price_change", "change", "reason", "detail"]


class HeatingChangeSerializer(serializers.ModelSerializer):
    reason_text = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)
    actor_name = serializers.CharField(source="actor.username", default="", read_only=True)

    class Meta:
        model = AccountChange
        fields = ["id", "account", "kind", "effective_date", "status", "area", "before_status", "before_area",
                  "reason", "note", "reason_text", "actor_name", "created_at"]
        read_only_fields = ["account", "status", "before_status", "before_area", "note", "created_at"]


class MeterReadingSerializer(serializers.Serializer):
    heat_gj = serializers.DecimalField(max_digits=12, decimal_places=3)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CorrectionSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2,
                                      help_text="signed: positive charges more, negative less")
    reason = serializers.CharField(max_length=500)
    corrects = serializers.IntegerField(required=False, allow_null=True, help_text="ledger entry it corrects")


class AdjustmentRequestSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=AdjustmentCategory.objects.filter(is_active=True))
    reason = serializers.CharField(max_length=500)


class AdjustmentSerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.customer.account_no", read_only=True)
    customer_name = serializers.CharField(source="account.customer.name", read_only=True)
    season_name = serializers.CharField(source="account.season.name", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    requested_by_name = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by_name = serializers.CharField(source="decided_by.username", default="", read_only=True)

    class Meta:
        model = Adjustment
        fields = ["id", "station", "account", "account_no", "customer_name", "season_name", "category",
                  "category_name", "amount", "detail", "reason", "status", "requested_by_name", "requested_at",
                  "decided_by_name", "decided_at", "decision_note", "entry"]


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PaymentRequestSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all())
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    paid_on = serializers.DateField(required=False)
    season = serializers.PrimaryKeyRelatedField(queryset=Season.objects.all(), required=False, allow_null=True,
                                                help_text="pay one season; default: oldest owing first")
    provider = serializers.CharField(required=False, allow_blank=True, max_length=16)
    provider_txn_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ReceiptSerializer(serializers.ModelSerializer):
    entries = LedgerEntrySerializer(many=True, read_only=True)
    account_no = serializers.CharField(source="customer.account_no", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    collector_name = serializers.CharField(source="collector.username", default="", read_only=True)
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ["id", "number", "station", "customer", "account_no", "customer_name", "method", "amount",
                  "paid_on", "received_at", "collector_name", "provider", "provider_txn_id", "note", "reversed",
                  "entries"]

    def get_reversed(self, obj) -> bool:
        from ..selectors.billing import receipt_reversed

        return receipt_reversed(obj)


class PaymentResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    discount = money()
    late_fee = money()
    receipt = ReceiptSerializer()


class SeasonLineSerializer(serializers.Serializer):
    season_id = serializers.IntegerField()
    season = serializers.CharField()
    account_id = serializers.IntegerField()
    is_current = serializers.BooleanField()
    is_open = serializers.BooleanField()
    area = serializers.DecimalField(max_digits=10, decimal_places=2)
    customer_type = serializers.CharField()
    heating_status = serializers.CharField()
    metering_mode = serializers.CharField()
    heating_fee = money()
    standby_fee = money()
    metered_fee = money()
    corrections = money()
    charged = money()
    discount = money()
    adjusted = money(help_text="waivers and allowances")
    late_fee_charged = money()
    late_fee_accrued = money()
    late_fee = money(help_text="as of the summary's date")
    paid = money()
    due = money()
    owed = money()
    to_settle = money()
    settle_discount = money()


class BillingSummarySerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    as_of = serializers.DateField()
    season = serializers.CharField(allow_null=True)
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    heat_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    amount_due = money()
    late_fee = money()
    total_owed = money()
    old_arrears = money()
    arrears_seasons = serializers.IntegerField()
    to_settle = money()
    seasons = SeasonLineSerializer(many=True)


class EntryReverseSerializer(RequiredReasonSerializer):
    pass


# --- the fee calculator -----------------------------------------------------------------

def _decimal(**kw):
    return serializers.DecimalField(max_digits=18, decimal_places=6, **kw)


class QuotePeriodSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="normal, suspended or forced_stop")
    to = serializers.DateField(help_text="last day, included")
    vars()["from"] = serializers.DateField(help_text="first day, included")


class QuoteTierSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="paid on or before this date")
    rate = _decimal(help_text="e.g. 0.03")


class QuoteRequestSerializer(serializers.Serializer):
    area = _decimal(help_text="m²")
    metering = serializers.CharField(default="area", help_text="area or metered")
    unit_price = _decimal(required=False, allow_null=True, help_text="元/m², area billing")
    base_price = _decimal(required=False, allow_null=True, help_text="元/m², metered base part")
    heat_price = _decimal(required=False, allow_null=True, help_text="元/GJ, metered")
    heat_gj = _decimal(required=False, default="0", help_text="GJ used, metered")
    season_start = serializers.DateField()
    season_end = serializers.DateField()
    heating_days = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="default: season_start to season_end, both included")
    periods = QuotePeriodSerializer(many=True, required=False, default=list)
    standby_ratio = _decimal(required=False, default="0")
    discount_tiers = QuoteTierSerializer(many=True, required=False, default=list)
    payment_date = serializers.DateField(required=False, help_text="default: today")
    late_fee_start = serializers.DateField(required=False, allow_null=True)
    late_fee_daily_rate = _decimal(required=False, default="0", help_text="e.g. 0.003 for 3‰ a day")
    precision = serializers.CharField(default="round_jiao",
                                      help_text="drop_fen, drop_jiao, round_jiao or round_yuan")


class QuoteLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    formula = serializers.CharField()
    amount = serializers.CharField()


class QuoteResponseSerializer(serializers.Serializer):
    heating_fee = serializers.CharField()
    standby_fee = serializers.CharField()
    metered_fee = serializers.CharField()
    discount = serializers.CharField()
    late_fee = serializers.CharField()
    total = serializers.CharField()
    heating_days = serializers.IntegerField()
    days = serializers.DictField(child=serializers.IntegerField())
    discount_rate = serializers.CharField()
    late_fee_days = serializers.IntegerField()
    lines = QuoteLineSerializer(many=True)


PRECISION_CHOICES = PrecisionMode.choices
