from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core_billing.api_base import ScopedQuerysetMixin
from core_billing.permissions import ModelPermissions

from ..models import RepairWorker, WorkOrder
from ..selectors.work_orders import work_order_list, work_order_timeline
from ..services import work_orders as svc
from . import serializers as s


class RepairWorkerViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RepairWorker.objects.select_related("user")
    serializer_class = s.RepairWorkerSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["station", "is_active"]


@extend_schema(parameters=[OpenApiParameter("status", str, description="a status, or `open`"),
                           OpenApiParameter("worker", int), OpenApiParameter("overdue", bool),
                           OpenApiParameter("search", str)])
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.WorkOrderSerializer
    permission_classes = [ModelPermissions]
    queryset = WorkOrder.objects.none()

    def get_queryset(self):
        p = self.request.query_params if self.action == "list" else {}
        worker = p.get("worker", "")
        return work_order_list(actor=self.request.user, status=p.get("status", ""),
                               worker=worker if worker.isdigit() else None,
                               overdue=p.get("overdue") in ("1", "true"), search=p.get("search", ""))

    @extend_schema(request=s.WorkOrderCreateSerializer, responses={201: s.WorkOrderSerializer})
    def create(self, request):
        data = s.WorkOrderCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        order = svc.work_order_create(actor=request.user, via="api", **data.validated_data)
        return Response(s.WorkOrderSerializer(order).data, status=201)

    def _step(self, request, func, serializer_class=None, **kwargs):
        order = self.get_object()
        extra = {}
        if serializer_class is not None:
            data = serializer_class(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            extra = dict(data.validated_data)
        order = func(actor=request.user, work_order=order, via="api", **extra, **kwargs)
        return Response(s.WorkOrderSerializer(order).data)

    @extend_schema(request=s.AssignSerializer, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._step(request, svc.work_order_assign, s.AssignSerializer)

    @extend_schema(request=None, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, svc.work_order_accept)

    @extend_schema(request=None, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._step(request, svc.work_order_start)

    @extend_schema(request=s.FinishResultSerializer, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        return self._step(request, svc.work_order_finish, s.FinishResultSerializer)

    @extend_schema(request=s.CancelReasonSerializer, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, svc.work_order_cancel, s.CancelReasonSerializer)

    @extend_schema(request=None, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        order = self.get_object()
        return Response(s.WorkOrderSerializer(svc.work_order_remind(actor=request.user, work_order=order)).data)

    @extend_schema(responses=s.TimelineItemSerializer(many=True))
    @action(detail=True, pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        order = self.get_object()
        rows = s.timeline_rows(work_order_timeline(actor=request.user, work_order=order))
        return Response(s.TimelineItemSerializer(rows, many=True).data)
