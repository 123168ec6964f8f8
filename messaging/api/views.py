"""REST API for topics, messages, staff notices, opt-outs and replies (PLT-04)."""
import datetime

from django.conf import settings
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core_billing.api_base import ScopedQuerysetMixin
from core_billing.models import Station
from core_billing.permissions import IsStaffMember, ModelPermissions

from .. import segments, templating
from ..context import is_registered
from ..models import InboundMessage, Message, OptOut, Topic
from ..selectors.messages import (MAX_PAGE_SIZE, PAGE_SIZE, inbound_list, message_list, message_page,
                                  status_counts)
from ..services.inbound import opt_out_set
from ..services.sending import message_send_one, staff_messages_send
from ..services.topics import topic_create, topic_preview, topic_update
from . import serializers as s


def has_perm(perm: str):
    """Active staff with one named permission (actions whose HTTP verb says nothing about the model)."""
    class HasPerm(IsStaffMember):
        def has_permission(self, request, view):
            return super().has_permission(request, view) and request.user.has_perm(perm)
    return HasPerm


class TopicViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = Topic.objects.select_related("station")
    serializer_class = s.TopicSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["kind", "is_marketing", "is_active", "station"]

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = topic_create(actor=self.request.user, name=d["name"], kind=d.get("kind", "notice"),
                                           body=d["body"], is_marketing=d.get("is_marketing", False),
                                           is_active=d.get("is_active", True), station=d.get("station"),
                                           company_wide=d.get("company_wide", False))

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        reason = d.pop("reason", "")
        d.pop("company_wide", None)
        serializer.instance = topic_update(actor=self.request.user, topic=serializer.instance, changes=d,
                                           reason=reason)

    def _preview(self, request, body, kind, is_marketing):
        req = s.PreviewRequestSerializer(data=request.data, context={"request": request})
        req.is_valid(raise_exception=True)
        d = req.validated_data
        preview = topic_preview(actor=request.user, body=body if body is not None else d.get("body", ""),
                                kind=kind or d.get("kind", "service"),
                                is_marketing=is_marketing if is_marketing is not None else d["is_marketing"],
                                customer=d.get("customer"), season=d.get("season", ""),
                                sample=d["sample"] or d.get("customer") is None)
        return Response(s.PreviewSerializer(preview.as_dict()).data)

    @extend_schema(request=s.PreviewRequestSerializer, responses=s.PreviewSerializer,
                   description="The topic as a chosen customer gets it (or with sample values), with segments and cost.")
    @action(detail=True, methods=["post"], permission_classes=[has_perm("messaging.view_topic")])
    def preview(self, request, pk=None):
        topic = self.get_object()
        return self._preview(request, topic.body, topic.kind, topic.is_marketing)

    @extend_schema(request=s.PreviewRequestSerializer, responses=s.PreviewSerializer, operation_id="sms_topics_preview_body",
                   description="Check and preview an unsaved body: errors name the position and the valid placeholders.")
    @action(detail=False, methods=["post"], url_path="preview", permission_classes=[has_perm("messaging.view_topic")])
    def preview_body(self, request):
        return self._preview(request, None, None, None)

    @extend_schema(responses=s.PlaceholderSerializer(many=True))
    @action(detail=False, permission_classes=[has_perm("messaging.view_topic")], pagination_class=None,
            filter_backends=[])
    def placeholders(self, request):
        rows = [{"key": p.key, "label": p.label, "label_en": p.label_en, "provider": p.provider,
                 "available": is_registered(p.provider), "kinds": list(p.kinds)}
                for p in templating.PLACEHOLDERS.values()]
        return Response(s.PlaceholderSerializer(rows, many=True).data)


def _stations(request):
    return Station.objects.visible_to(request.user) if request else Station.objects.none()


class MessageFilter(filters.FilterSet):
    """Validates the record filter (a bad value is a 400 naming it; another
    station is "not a valid choice"); the selector applies it, the same
    message_list as the records page and its export."""

    station = filters.ModelChoiceFilter(queryset=_stations, method="noop",
                                        help_text="Head office: one station's messages.")
    phone = filters.CharFilter(method="noop", help_text="A full number, or some of its digits.")
    date_from = filters.DateFilter(method="noop")
    date_to = filters.DateFilter(method="noop")
    campaign = filters.NumberFilter(field_name="campaign_id", method="noop", help_text="Campaign id.")
    work_order = filters.NumberFilter(field_name="work_order_id", method="noop", help_text="Work order id.")

    class Meta:
        model = Message
        fields = ["status", "season", "topic", "sender", "customer", "staff", "campaign_id", "work_order_id", "kind"]

    def noop(self, queryset, name, value):
        return queryset  # applied by the selector

    def filter_queryset(self, queryset):
        # message_list already applied every field but `staff`.
        staff = self.form.cleaned_data.get("staff")
        return queryset.filter(staff=staff) if staff else queryset


def _selector_kwargs(params, data: dict) -> dict:
    """message_list's keyword arguments from the validated filter."""
    return {"phone": params.get("phone", ""), "date_from": _day(params, "date_from"),
            "date_to": _day(params, "date_to"), "status": data.get("status") or "",
            "season": data.get("season") or "", "topic": data.get("topic"), "sender": data.get("sender"),
            "customer": data.get("customer"), "kind": data.get("kind") or "", "station": data.get("station"),
            "campaign": data.get("campaign") or data.get("campaign_id"),
            "work_order": data.get("work_order") or data.get("work_order_id")}


class RecordCursorPagination(BasePagination):
    """Keyset pages of the record query, newest first: `next` and `previous`
    carry an opaque `cursor`; no page numbers, no count (see message_page)."""

    page_size = PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        params = request.query_params
        try:
            size = int(params.get("page_size") or self.page_size)
        except ValueError:
            raise ValidationError({"page_size": "必须是整数。"}) from None
        cursor, direction = params.get("cursor", ""), params.get("direction", "older")
        if direction not in ("older", "newer"):
            raise ValidationError({"direction": "只能是 older 或 newer。"})
        self.page = message_page(queryset, size=min(max(size, 1), MAX_PAGE_SIZE),
                                 after=cursor if direction == "older" else None,
                                 before=cursor if direction == "newer" else None)
        return self.page.rows

    def _link(self, cursor, direction: str):
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, "cursor", cursor.encode())
        return replace_query_param(url, "direction", direction)

    def get_paginated_response(self, data):
        return Response({"next": self._link(self.page.next, "older"),
                         "previous": self._link(self.page.previous, "newer"), "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {"type": "object", "required": ["results"],
                "properties": {"next": link, "previous": link, "results": schema}}

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "Where a page starts: the `next` or `previous` link carries it."},
            {"name": "direction", "required": False, "in": "query",
             "schema": {"type": "string", "enum": ["older", "newer"]},
             "description": "older (default): the page after the cursor; newer: the page before it."},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}},
        ]


class StatusCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())


def _day(params, name: str):
    """A YYYY-MM-DD query parameter, or a 400 naming it (the filter set only validates, the selector filters)."""
    value = params.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: "日期格式应为 YYYY-MM-DD。"}) from None


def _result(result):
    return {"messages": result.messages,
            "skipped": [{"customer": getattr(x.recipient.customer, "pk", None),
                         "staff": getattr(x.recipient.staff, "pk", None), "reason": x.reason, "label": x.label}
                        for x in result.skipped]}


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delivery records (MSG-05): the record filter of the records page, in keyset pages."""

    serializer_class = s.MessageSerializer
    permission_classes = [ModelPermissions]
    filterset_class = MessageFilter
    pagination_class = RecordCursorPagination
    queryset = Message.objects.none()

    def get_permissions(self):
        if self.action in ("create", "staff", "segments"):
            return [IsStaffMember()]  # the services check messaging.send_message / send_staff_message
        return super().get_permissions()

    def get_queryset(self):
        if self.action not in ("list", "counts"):
            return message_list(actor=self.request.user)
        params = self.request.query_params
        form = MessageFilter(params, queryset=Message.objects.none(), request=self.request).form
        if not form.is_valid():
            raise ValidationError(form.errors)
        return message_list(actor=self.request.user, **_selector_kwargs(params, form.cleaned_data))

    @extend_schema(responses=StatusCountsSerializer,
                   description="How many messages the record filter finds, by status (one query; the records "
                               "page asks once per filter, not per page).")
    @action(detail=False, pagination_class=None)
    def counts(self, request):
        qs = self.filter_queryset(self.get_queryset())
        by_status = status_counts(qs)
        return Response(StatusCountsSerializer({"total": sum(by_status.values()), "by_status": by_status}).data)

    @extend_schema(request=s.SendRequestSerializer, responses={201: s.MessageSerializer},
                   description="Send one SMS to a customer or a mobile number; queued at once, sent by a worker.")
    def create(self, request):
        req = s.SendRequestSerializer(data=request.data, context={"request": request})
        req.is_valid(raise_exception=True)
        d = req.validated_data
        msg = message_send_one(actor=request.user, customer=d.get("customer"), phone=d.get("phone", ""),
                               topic=d.get("topic"), body=d.get("body", ""), season=d.get("season", ""))
        return Response(s.MessageSerializer(msg).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.StaffSendRequestSerializer, responses={201: s.SendResultSerializer},
                   description="Notices and meetings to staff chosen by station, role or name (MSG-07).")
    @action(detail=False, methods=["post"])
    def staff(self, request):
        req = s.StaffSendRequestSerializer(data=request.data, context={"request": request})
        req.is_valid(raise_exception=True)
        d = req.validated_data
        result = staff_messages_send(actor=request.user, topic=d.get("topic"), body=d.get("body", ""),
                                     stations=d.get("stations", []), roles=d.get("roles", []),
                                     users=d.get("users", []))
        return Response(s.SendResultSerializer(_result(result)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SegmentsRequestSerializer, responses=s.SegmentsSerializer,
                   description="Characters, encoding, segments and cost of a text exactly as given.")
    @action(detail=False, methods=["post"])
    def segments(self, request):
        req = s.SegmentsRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        info = segments.analyze(req.validated_data["text"])
        return Response(s.SegmentsSerializer({**info.as_dict(), "cost": info.cost(settings.SMS_PRICE_PER_SEGMENT)}).data)


class OptOutViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = OptOut.objects.all()
    serializer_class = s.OptOutSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["phone", "is_opted_out"]

    def get_permissions(self):
        return [IsStaffMember()] if self.action == "create" else super().get_permissions()

    @extend_schema(request=s.OptOutRequestSerializer, responses={200: s.OptOutSerializer},
                   description="Record a number's marketing consent (a customer asked on the phone); audited.")
    def create(self, request):
        req = s.OptOutRequestSerializer(data=request.data)
        req.is_valid(raise_exception=True)
        d = req.validated_data
        row = opt_out_set(actor=request.user, phone=d["phone"], opted_out=d["opted_out"], reason=d.get("reason", ""))
        return Response(s.OptOutSerializer(row).data)


class InboundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.InboundSerializer
    permission_classes = [ModelPermissions]
    queryset = InboundMessage.objects.none()
    filterset_fields = ["action", "customer"]

    def get_queryset(self):
        return inbound_list(actor=self.request.user, phone=self.request.query_params.get("phone", ""))
