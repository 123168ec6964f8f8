"""REST API of the reports (PLT-04): every report the pages show, the
dashboard, the export sources, and exports (start, progress, download).

Reports take their filter as query parameters, checked by the same form as
the page (errors are {"message", "extra"} naming the field); each needs the
report's permission.  Exports started here are always stored: small ones are
ready when the answer comes (201), large ones are written by a worker (202)
and polled at /exports/{id}/."""
from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core_billing.api_base import Pagination
from core_billing.errors import AppError, PermissionDeniedError
from core_billing.permissions import ModelPermissions

from .. import sources
from ..exports import ExportSource, get_source, sources_for
from ..models import ExportJob
from ..selectors.billing import arrears_totals, cash_report, collection_progress, jurisdiction_rows
from ..selectors.campaigns import campaign_outcome_rows
from ..selectors.dashboard import dashboard
from ..selectors.exports import export_list
from ..services.exports import export_file, export_start
from ..views import XLSX, attachment
from . import serializers as s


def _filter(source: ExportSource, request) -> dict:
    source.require(request.user)
    form = source.filter_form(request.query_params, request.user)
    form.clean_or_error()
    return form.kwargs()


class CollectionReportView(APIView):
    @extend_schema(parameters=s.form_parameters(sources.COLLECTION.form), responses=s.CollectionReportSerializer,
                   description="Collection progress (RPT-02): households, area, receivable, collected, outstanding "
                               "and rate per station, community, collector (of the season) or season.")
    def get(self, request):
        source = sources.COLLECTION
        report = collection_progress(actor=request.user, **_filter(source, request))
        season = report["season"]
        return Response(s.CollectionReportSerializer({
            "season": season.name if season else None, "group_by": report["group_by"],
            "rows": [source.as_dict({**r, "season": season.name if season else r["label"]}) for r in report["rows"]],
            "total": source.as_dict({**report["total"], "season": season.name if season else ""})}).data)


class ArrearsReportView(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=s.form_parameters(sources.ARREARS.form),
                   responses=s.row_serializer(sources.ARREARS)(many=True),
                   description="Households in arrears filtered like an audience (RPT-02), paginated; "
                               "`totals` covers every page.")
    def get(self, request):
        source = sources.ARREARS
        qs = source.query(request.user, _filter(source, request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        rows = s.row_serializer(source)([source.as_dict(c) for c in page], many=True).data
        response = paginator.get_paginated_response(rows)
        response.data["totals"] = s.ArrearsTotalsSerializer(arrears_totals(qs)).data
        return response


class CashReportView(APIView):
    @extend_schema(parameters=s.form_parameters(sources.CASH.form), responses=s.CashReportSerializer,
                   description="Daily cash report (RPT-03): receipts and money per day, station and collector by "
                               "payment method, reversals netted on their own day.  Default: today.")
    def get(self, request):
        source = sources.CASH
        report = cash_report(actor=request.user, **_filter(source, request))
        total = {**report["totals"], "day": None, "station": "", "collector": ""}
        return Response(s.CashReportSerializer({
            "date_from": report["date_from"], "date_to": report["date_to"],
            "rows": [source.as_dict(r) for r in report["rows"]], "total": source.as_dict(total)}).data)


class JurisdictionReportView(APIView):
    @extend_schema(parameters=s.form_parameters(sources.JURISDICTIONS.form), responses=s.JurisdictionReportSerializer,
                   description="Jurisdiction statistics (BIL-12): households, area and amounts per collector.")
    def get(self, request):
        source = sources.JURISDICTIONS
        rows = jurisdiction_rows(actor=request.user, **_filter(source, request))
        return Response(s.JurisdictionReportSerializer({
            "rows": [source.as_dict(r) for r in rows[:-1]], "total": source.as_dict(rows[-1])}).data)


class CampaignOutcomeReportView(APIView):
    @extend_schema(parameters=s.form_parameters(sources.CAMPAIGNS.form), responses=s.CampaignOutcomeReportSerializer,
                   description="Campaign outcomes (RPT-04): targeted, skipped by reason, sent, delivered, failed by "
                               "error code, billed segments and cost, per campaign (newest first) or per topic and "
                               "season (`group_by=topic`).")
    def get(self, request):
        source = sources.CAMPAIGNS
        rows = campaign_outcome_rows(actor=request.user, **_filter(source, request))
        return Response(s.CampaignOutcomeReportSerializer({
            "rows": [source.as_dict(r) for r in rows[:-1]], "total": source.as_dict(rows[-1])}).data)


class DashboardView(APIView):
    @extend_schema(responses=s.DashboardSerializer,
                   description="The manager dashboard's figures: this season's collection, the collection rate "
                               "through the season against last season's, arrears by station, today's cash, and "
                               "SMS delivered and failed since Monday.")
    def get(self, request):
        if not request.user.has_perm("reports.view_dashboard"):
            raise PermissionDeniedError("没有查看看板的权限。")
        data = dashboard(actor=request.user)
        curve = data["curve"]
        return Response(s.DashboardSerializer({
            **data, "season": data["season"].name if data["season"] else None,
            "curve": curve.points() if curve else []}).data)


class SourceListView(APIView):
    @extend_schema(responses=s.SourceSerializer(many=True),
                   description="The reports you may export, with their columns and filter parameters.")
    def get(self, request):
        out = []
        for source in sources_for(request.user):
            fields = source.form.base_fields
            out.append({"name": source.name, "title": str(source.title), "description": str(source.description),
                        "columns": [{"key": c.key, "header": str(c.header), "kind": c.kind} for c in source.columns],
                        "filters": [{"name": n, "label": str(f.label),
                                     "many": getattr(f.widget, "allow_multiple_selected", False)} for n, f in fields.items()]})
        return Response(s.SourceSerializer(out, many=True).data)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your exports (administrators: everyone's), newest first."""

    queryset = ExportJob.objects.all()
    serializer_class = s.ExportJobSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["source", "status"]

    def get_queryset(self):
        return export_list(actor=self.request.user).select_related("actor")

    @extend_schema(request=s.ExportRequestSerializer,
                   responses={201: s.ExportJobSerializer, 202: s.ExportJobSerializer},
                   description="Export a report to Excel with its filter.  201: the file is ready; 202: a worker "
                               "is writing it — poll the export for its progress and download_url.")
    def create(self, request):
        body = s.ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        get_source(body.validated_data["source"])  # unknown report: 404 with the valid names
        result = export_start(actor=request.user, source=body.validated_data["source"],
                              params=body.validated_data.get("filters") or {}, inline_allowed=False)
        code = status.HTTP_201_CREATED if result.job.status == ExportJob.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(self.get_serializer(result.job).data, status=code)

    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="the .xlsx file"),
                              409: OpenApiResponse(description="not ready, failed or expired")})
    @action(detail=True)
    def download(self, request, pk=None):
        job = self.get_object()
        if job.actor_id != request.user.pk and not get_source(job.source).allowed(request.user):
            raise AppError("对象不存在。", code="not_found")
        if not job.can_download:
            return Response({"message": "该导出没有可下载的文件（尚未完成、失败或已过期）。",
                             "extra": {"status": job.status}}, status=status.HTTP_409_CONFLICT)
        response = StreamingHttpResponse(export_file(job), content_type=XLSX)
        response["Content-Length"] = str(job.size_bytes)
        return attachment(response, job.filename)
