"""Serializers of the reports API.  A report's row serializer is built from
its export source's columns, so the API, the page and the file share one
definition of every column and its type."""
from __future__ import annotations

from django import forms
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from core_billing.progress import progress_get

from .. import sources
from ..exports import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, ExportSource
from ..models import ExportJob
from ..services.exports import progress_key

_FIELD_FOR_KIND = {
    INT: lambda: serializers.IntegerField(allow_null=True),
    MONEY: lambda: serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True),
    DECIMAL: lambda: serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True),
    PERCENT: lambda: serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True,
                                              help_text="a fraction: 0.8532 is 85.32 %"),
    DATE: lambda: serializers.DateField(allow_null=True),
    DATETIME: lambda: serializers.DateTimeField(allow_null=True),
}

_row_serializers: dict[str, type[serializers.Serializer]] = {}


def row_serializer(source: ExportSource) -> type[serializers.Serializer]:
    """One serializer class per source (named <Source>Row in the schema)."""
    if source.name not in _row_serializers:
        attrs = {}
        for column in source.columns:
            make = _FIELD_FOR_KIND.get(column.kind)
            field = make() if make else serializers.CharField(allow_null=True, allow_blank=True)
            field.help_text = field.help_text or str(column.header)
            attrs[column.key] = field
        name = "".join(part.capitalize() for part in source.name.split("_")) + "Row"
        _row_serializers[source.name] = type(name, (serializers.Serializer,), attrs)
    return _row_serializers[source.name]


def form_parameters(form_class) -> list[OpenApiParameter]:
    """The query parameters of a report, from its filter form."""
    params = []
    for name, field in form_class.base_fields.items():
        many = isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField))
        if isinstance(field, (forms.ModelChoiceField, forms.IntegerField)) or \
                isinstance(field, forms.TypedMultipleChoiceField):
            kind = OpenApiTypes.INT
        elif isinstance(field, forms.DateField):
            kind = OpenApiTypes.DATE
        elif isinstance(field, forms.DecimalField):
            kind = OpenApiTypes.DECIMAL
        else:
            kind = OpenApiTypes.STR
        enum = None
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField) and \
                not isinstance(field, forms.TypedMultipleChoiceField):
            enum = [value for value, _label in field.choices if value != ""]
        params.append(OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, many=many or None,
                                       enum=enum, description=str(field.label),
                                       explode=True if many else None))
    return params


class CollectionReportSerializer(serializers.Serializer):
    season = serializers.CharField(allow_null=True)
    group_by = serializers.CharField()
    rows = row_serializer(sources.COLLECTION)(many=True)
    total = row_serializer(sources.COLLECTION)()


class CashReportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    rows = row_serializer(sources.CASH)(many=True)
    total = row_serializer(sources.CASH)()


class JurisdictionReportSerializer(serializers.Serializer):
    rows = row_serializer(sources.JURISDICTIONS)(many=True)
    total = row_serializer(sources.JURISDICTIONS)()


class CampaignOutcomeReportSerializer(serializers.Serializer):
    rows = row_serializer(sources.CAMPAIGNS)(many=True)
    total = row_serializer(sources.CAMPAIGNS)()


class ArrearsTotalsSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    owed = serializers.DecimalField(max_digits=16, decimal_places=2)
    old_arrears = serializers.DecimalField(max_digits=16, decimal_places=2)
    late_fee = serializers.DecimalField(max_digits=16, decimal_places=2)


class CurvePointSerializer(serializers.Serializer):
    date = serializers.DateField()
    rate = serializers.FloatField(allow_null=True)
    previous_rate = serializers.FloatField(allow_null=True)


class ProgressTotalSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    area = serializers.DecimalField(max_digits=16, decimal_places=2)
    receivable = serializers.DecimalField(max_digits=16, decimal_places=2)
    collected = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)
    rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


class StationArrearsSerializer(serializers.Serializer):
    station_id = serializers.IntegerField()
    station = serializers.CharField()
    households = serializers.IntegerField()
    owing = serializers.IntegerField()
    owed = serializers.DecimalField(max_digits=16, decimal_places=2)
    old_arrears = serializers.DecimalField(max_digits=16, decimal_places=2)
    share = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


class CashTotalsSerializer(serializers.Serializer):
    receipts = serializers.IntegerField()
    cash = serializers.DecimalField(max_digits=16, decimal_places=2)
    card = serializers.DecimalField(max_digits=16, decimal_places=2)
    bank_transfer = serializers.DecimalField(max_digits=16, decimal_places=2)
    online = serializers.DecimalField(max_digits=16, decimal_places=2)
    received = serializers.DecimalField(max_digits=16, decimal_places=2)
    reversed = serializers.DecimalField(max_digits=16, decimal_places=2)
    net = serializers.DecimalField(max_digits=16, decimal_places=2)


class SmsWeekSerializer(serializers.Serializer):
    since = serializers.DateField()
    total = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    delivery_rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


class DashboardSerializer(serializers.Serializer):
    today = serializers.DateField()
    season = serializers.CharField(allow_null=True)
    progress = ProgressTotalSerializer(allow_null=True)
    curve = CurvePointSerializer(many=True)
    arrears = StationArrearsSerializer(many=True)
    cash = CashTotalsSerializer()
    sms = SmsWeekSerializer()


class SourceColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    header = serializers.CharField()
    kind = serializers.CharField()


class SourceFilterSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    many = serializers.BooleanField()


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    columns = SourceColumnSerializer(many=True)
    filters = SourceFilterSerializer(many=True)


class ExportRequestSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="a report name from /api/v1/reports/sources/")
    filters = serializers.DictField(required=False, default=dict,
                                    help_text="the report's filter, as its query parameters (lists for several values)")


class ExportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    phase = serializers.CharField()
    message = serializers.CharField()


class ExportJobSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    filter = serializers.JSONField(source="params", read_only=True)

    class Meta:
        model = ExportJob
        fields = ["id", "source", "title", "filter", "filter_text", "status", "inline", "total_rows",
                  "written_rows", "size_bytes", "filename", "message", "created_at", "started_at", "finished_at",
                  "expires_at", "actor", "actor_name", "progress", "download_url"]
        read_only_fields = fields

    def get_actor_name(self, job) -> str:
        return job.actor.display_name

    @extend_schema_field(ExportProgressSerializer)
    def get_progress(self, job) -> dict:
        if job.is_finished:
            n = job.written_rows or job.total_rows
            return {"done": n, "total": n, "percent": 100, "phase": job.status, "message": job.message}
        return progress_get(progress_key(job))

    def get_download_url(self, job) -> str | None:
        if not job.can_download:
            return None
        url = reverse("report-export-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
