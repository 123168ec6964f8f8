"""REST API for the org tree, customers, jurisdictions and imports (PLT-04)."""
from django.contrib.auth import authenticate, login, logout
from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api_base import ScopedQuerysetMixin, body_text
from ..errors import AppError, LockedOutError
from ..importing import template_workbook
from ..models import (Building, CollectorAssignment, Community, Customer, CustomerType, ExchangeStation, ImportJob,
                      Station, User)
from ..permissions import ModelPermissions
from ..selectors.customers import (collector_subquery, customer_history, customer_list, customer_search_q,
                                   jurisdiction_stats)
from ..services.customers import customer_create, customer_update
from ..services.imports import import_job_create
from ..services.org import collector_assign, collector_unassign, reference_save
from ..services._common import resolve_station
from . import serializers as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


class ReferenceViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Reference data: writes go through reference_save (audited)."""

    permission_classes = [ModelPermissions]

    def _save(self, serializer, **extra):
        model = serializer.Meta.model
        data = {k: v for k, v in serializer.validated_data.items() if k != "reason"}
        obj = serializer.instance or model()
        for key, value in {**data, **extra}.items():
            setattr(obj, key, value)
        serializer.instance = reference_save(actor=self.request.user, obj=obj,
                                             reason=body_text(self.request, "reason"))

    def perform_create(self, serializer):
        extra = {}
        if "station" in serializer.fields and not serializer.fields["station"].read_only:
            extra["station"] = resolve_station(self.request.user, serializer.validated_data.get("station"))
        self._save(serializer, **extra)

    def perform_update(self, serializer):
        if "station" in serializer.validated_data and \
                serializer.validated_data["station"].pk != getattr(serializer.instance, "station_id", None):
            raise AppError("不能把数据移到另一个供热站。", field="station")
        self._save(serializer)


class StationViewSet(ReferenceViewSet):
    queryset = Station.objects.all()
    serializer_class = s.StationSerializer
    filterset_fields = ["is_active"]


class ExchangeStationViewSet(ReferenceViewSet):
    queryset = ExchangeStation.objects.all()
    serializer_class = s.ExchangeStationSerializer
    filterset_fields = ["station", "is_active"]


class CommunityViewSet(ReferenceViewSet):
    queryset = Community.objects.all()
    serializer_class = s.CommunitySerializer
    filterset_fields = ["station"]


class BuildingViewSet(ReferenceViewSet):
    queryset = Building.objects.select_related("community")
    serializer_class = s.BuildingSerializer
    filterset_fields = ["station", "community", "exchange_station"]

    def perform_create(self, serializer):
        self._save(serializer, station_id=serializer.validated_data["community"].station_id)

    def perform_update(self, serializer):
        community = serializer.validated_data.get("community")
        if community is not None and community.station_id != serializer.instance.station_id:
            raise AppError("不能把楼移到另一个供热站。", field="community")
        self._save(serializer)


class CustomerTypeViewSet(ReferenceViewSet):
    queryset = CustomerType.objects.all()
    serializer_class = s.CustomerTypeSerializer
    filterset_fields = ["is_active"]


class CustomerFilter(filters.FilterSet):
    """Filters validated by django-filter: a value of the wrong type is a 400, never a 500."""

    search = filters.CharFilter(method="filter_search", help_text="name, account number, phone or address")
    community = filters.NumberFilter(field_name="building__community_id")
    collector = filters.NumberFilter(method="filter_collector")

    class Meta:
        model = Customer
        fields = ["station", "building", "unit", "customer_type", "heating_status", "metering_mode",
                  "contact_kind", "is_active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(customer_search_q(value)) if value.strip() else queryset

    def filter_collector(self, queryset, name, value):
        return queryset.annotate(collector_id=collector_subquery()).filter(collector_id=value)


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    permission_classes = [ModelPermissions]
    filterset_class = CustomerFilter
    queryset = Customer.objects.none()  # for the schema and permissions; get_queryset does the work

    def get_serializer_class(self):
        return s.CustomerUpdateSerializer if self.action in ("update", "partial_update") else s.CustomerSerializer

    def get_queryset(self):
        return customer_list(actor=self.request.user).prefetch_related("phones")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("reason", None)
        phones = data.pop("phone_numbers", [])
        serializer.instance = customer_create(actor=self.request.user, phones=phones, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        phones = data.pop("phone_numbers", None)
        serializer.instance = customer_update(actor=self.request.user, customer=serializer.instance,
                                              changes=data, phones=phones, reason=reason)

    @extend_schema(responses=s.AuditLogSerializer(many=True))
    @action(detail=True)
    def history(self, request, pk=None):
        customer = self.get_object()
        page = self.paginate_queryset(customer_history(actor=request.user, customer=customer))
        return self.get_paginated_response(s.AuditLogSerializer(page, many=True).data)


class CollectorAssignmentViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.CreateModelMixin,
                                 mixins.DestroyModelMixin, viewsets.GenericViewSet):
    queryset = CollectorAssignment.objects.select_related("collector").order_by("pk")
    serializer_class = s.CollectorAssignmentSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["station", "collector", "community", "building"]

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = collector_assign(actor=self.request.user, collector=d["collector"],
                                               community=d.get("community"), building=d.get("building"),
                                               reason=d.get("reason", ""))

    def perform_destroy(self, instance):
        collector_unassign(actor=self.request.user, assignment=instance,
                           reason=self.request.query_params.get("reason", ""))

    @extend_schema(responses=s.JurisdictionStatSerializer(many=True))
    @action(detail=False, pagination_class=None, filter_backends=[])
    def stats(self, request):
        rows = jurisdiction_stats(actor=request.user)
        names = dict(User.objects.visible_to(request.user).filter(pk__in=[r["collector_id"] for r in rows])
                     .values_list("pk", "username"))
        data = [{**r, "collector_name": names.get(r["collector_id"], "")} for r in rows]
        return Response(s.JurisdictionStatSerializer(data, many=True).data)


class ImportJobViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    queryset = ImportJob.objects.all()
    serializer_class = s.ImportJobSerializer
    permission_classes = [ModelPermissions]

    @extend_schema(request={"multipart/form-data": s.ImportUploadSerializer}, responses={202: s.ImportJobSerializer})
    def create(self, request):
        upload = s.ImportUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        f = upload.validated_data["file"]
        job = import_job_create(actor=request.user, filename=f.name, data=f.read(),
                                station=upload.validated_data.get("station"))
        return Response(s.ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, XLSX): bytes})
    @action(detail=True, url_path="errors")
    def error_report(self, request, pk=None):
        job = self.get_object()
        if not job.error_report:
            raise AppError("这次导入没有错误报告。", code="not_found")
        return xlsx_response(bytes(job.error_report), f"import-{job.pk}-errors.xlsx")

    @extend_schema(responses={(200, XLSX): bytes})
    @action(detail=False)
    def template(self, request):
        return xlsx_response(template_workbook(), "customer-import-template.xlsx")


class MeView(APIView):
    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        return Response(s.MeSerializer(request.user).data)


def _authenticate(request, data) -> User:
    """Credentials checked under the same lockout as the login page (django-axes)."""
    credentials = s.LoginSerializer(data=data)
    credentials.is_valid(raise_exception=True)
    username = credentials.validated_data["username"]
    if AxesProxyHandler.is_locked(request, {"username": username}):
        raise LockedOutError()
    user = authenticate(request, username=username, password=credentials.validated_data["password"])
    if user is None:
        if AxesProxyHandler.is_locked(request, {"username": username}):
            raise LockedOutError()
        raise AppError("用户名或密码错误。", code="invalid_login")
    return user


class SessionLoginView(APIView):
    """Session login for browser clients; API clients use a token (POST /api/v1/auth/token/)."""

    permission_classes = [AllowAny]

    @extend_schema(request=s.LoginSerializer, responses=s.MeSerializer)
    def post(self, request):
        user = _authenticate(request, request.data)
        login(request, user)
        return Response(s.MeSerializer(user).data)


class TokenView(APIView):
    """Exchange a user name and password for an API token (send it as `Authorization: Token <key>`)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=s.LoginSerializer, responses=s.TokenSerializer)
    def post(self, request):
        user = _authenticate(request, request.data)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class SessionLogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
