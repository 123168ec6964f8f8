from decimal import Decimal

from rest_framework import serializers

from ..api_base import ScopedPrimaryKeyRelatedField
from ..models import (AuditLog, Building, CollectorAssignment, Community, Customer, CustomerPhone, CustomerType,
                      ExchangeStation, ImportJob, Station, User)
from ..models.org import HeatingStatus, MeteringMode


class StationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Station
        fields = ["id", "code", "name", "hotline", "address", "is_active"]


class TenantSerializer(serializers.ModelSerializer):
    """Station staff write into their own station; head office names the station."""

    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False)


class ExchangeStationSerializer(TenantSerializer):
    class Meta:
        model = ExchangeStation
        fields = ["id", "station", "code", "name", "is_active"]


class CommunitySerializer(TenantSerializer):
    class Meta:
        model = Community
        fields = ["id", "station", "name", "address"]


class BuildingSerializer(serializers.ModelSerializer):
    community = ScopedPrimaryKeyRelatedField(queryset=Community.objects.all())
    exchange_station = ScopedPrimaryKeyRelatedField(queryset=ExchangeStation.objects.all(), required=False,
                                                    allow_null=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Building
        fields = ["id", "station", "community", "community_name", "exchange_station", "name", "unit_count"]
        read_only_fields = ["station"]

    def validate(self, attrs):
        community = attrs.get("community") or getattr(self.instance, "community", None)
        exchange = attrs.get("exchange_station")
        if exchange is not None and community is not None and exchange.station_id != community.station_id:
            raise serializers.ValidationError({"exchange_station": "换热站不属于该小区的供热站。"})
        return attrs


class CustomerTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerType
        fields = ["id", "code", "name", "sort_order", "is_active"]


class PhoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerPhone
        fields = ["raw", "number", "kind", "is_primary"]


class CustomerSerializer(serializers.ModelSerializer):
    building = ScopedPrimaryKeyRelatedField(queryset=Building.objects.all())
    customer_type = serializers.PrimaryKeyRelatedField(queryset=CustomerType.objects.filter(is_active=True))
    address = serializers.CharField(read_only=True)
    community = serializers.IntegerField(source="building.community_id", read_only=True)
    phones = PhoneSerializer(many=True, read_only=True)
    phone_numbers = serializers.ListField(child=serializers.CharField(max_length=40), write_only=True,
                                          required=False, max_length=10,
                                          help_text="Numbers as typed; each is normalised and classified.")
    area = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Customer
        fields = ["id", "account_no", "name", "station", "community", "building", "unit", "room", "address",
                  "customer_type", "area", "heating_status", "metering_mode", "mobile", "contact_kind", "phones",
                  "phone_numbers", "note", "is_active", "created_at", "updated_at", "reason"]
        read_only_fields = ["station", "mobile", "contact_kind", "created_at", "updated_at"]


class CustomerUpdateSerializer(CustomerSerializer):
    class Meta(CustomerSerializer.Meta):
        read_only_fields = [*CustomerSerializer.Meta.read_only_fields, "account_no"]


class AuditLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = ["id", "at", "actor_name", "station", "action", "object_type", "object_id", "object_repr",
                  "before", "after", "reason"]


class CollectorAssignmentSerializer(serializers.ModelSerializer):
    collector = ScopedPrimaryKeyRelatedField(queryset=User.objects.all())
    community = ScopedPrimaryKeyRelatedField(queryset=Community.objects.all(), required=False, allow_null=True)
    building = ScopedPrimaryKeyRelatedField(queryset=Building.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = CollectorAssignment
        fields = ["id", "station", "collector", "community", "building", "created_at", "reason"]
        read_only_fields = ["station", "created_at"]


class JurisdictionStatSerializer(serializers.Serializer):
    collector_id = serializers.IntegerField()
    collector_name = serializers.CharField()
    households = serializers.IntegerField()
    area = serializers.DecimalField(max_digits=14, decimal_places=2)
    owed = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="total owed, all seasons")
    billed = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="current season, net of discounts")
    collected = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="current season")


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    station_name = serializers.CharField(source="station.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "station", "station_name", "roles", "is_superuser"]

    def get_roles(self, obj) -> list[str]:
        return sorted(obj.role_codes())


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "station", "filename", "status", "total_rows", "imported_rows", "error_rows", "message",
                  "created_at", "finished_at", "progress"]

    def get_progress(self, obj) -> dict:
        from ..progress import progress_get

        return progress_get(f"import:{obj.pk}")


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    station = ScopedPrimaryKeyRelatedField(queryset=Station.objects.all(), required=False)


CHOICES = {"heating_status": HeatingStatus.choices, "metering_mode": MeteringMode.choices}
