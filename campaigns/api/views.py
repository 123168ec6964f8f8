"""REST API for audiences, campaigns, resend of failures and dunning schemes (PLT-04)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core_billing.api_base import ScopedQuerysetMixin
from core_billing.permissions import ModelPermissions

from ..models import Audience, Campaign, DunningScheme
from ..selectors.audiences import audience_preview
from ..selectors.campaigns import campaign_outcome, campaign_progress
from ..services import audiences as aud_svc, campaigns as svc, dunning as dun_svc
from ..services._common import owner_station
from ..services.resend import failed_to_resend, messages_resend_failed
from ..audience import clean_filters, check_visible
from . import serializers as s


def _valid(serializer_class, request, data=None):
    ser = serializer_class(data=request.data if data is None else data, context={"request": request})
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _preview(request, *, filters, station_id, topic, season, no_repeat):
    filters = clean_filters(filters)
    check_visible(request.user, filters)
    out = audience_preview(actor=request.user, filters=filters, station_id=station_id, topic=topic,
                           season=season, no_repeat=no_repeat)
    out.pop("preview")
    return Response(s.AudiencePreviewSerializer(out).data)


class AudienceViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    queryset = Audience.objects.select_related("station")
    serializer_class = s.AudienceSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["station"]

    @extend_schema(request=s.AudienceWriteSerializer, responses={201: s.AudienceSerializer})
    def create(self, request):
        d = _valid(s.AudienceWriteSerializer, request)
        audience = aud_svc.audience_create(actor=request.user, name=d["name"], filters=d.get("filters") or {},
                                           station=d.get("station"))
        return Response(s.AudienceSerializer(audience).data, status=201)

    @extend_schema(request=s.AudienceUpdateSerializer, responses=s.AudienceSerializer)
    def partial_update(self, request, pk=None):
        audience = self.get_object()
        d = _valid(s.AudienceUpdateSerializer, request)
        audience = aud_svc.audience_update(actor=request.user, audience=audience, name=d.get("name"),
                                           filters=d.get("filters"))
        return Response(s.AudienceSerializer(audience).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        aud_svc.audience_delete(actor=request.user, audience=self.get_object())
        return Response(status=204)

    @extend_schema(parameters=[OpenApiParameter("topic", int), OpenApiParameter("season", str),
                               OpenApiParameter("no_repeat", bool)], responses=s.AudiencePreviewSerializer)
    @action(detail=True, methods=["get"], url_path="preview", url_name="preview")
    def preview_saved(self, request, pk=None):
        audience = self.get_object()
        d = _valid(s.AudiencePreviewRequestSerializer, request, data=request.query_params)
        return _preview(request, filters=audience.filters, station_id=audience.station_id, topic=d.get("topic"),
                        season=d.get("season", ""), no_repeat=d.get("no_repeat", True))

    @extend_schema(request=s.AudiencePreviewRequestSerializer, responses=s.AudiencePreviewSerializer)
    @action(detail=False, methods=["post"], url_path="preview", url_name="preview-filters")
    def preview(self, request):
        d = _valid(s.AudiencePreviewRequestSerializer, request)
        station_id = owner_station(request.user, d.get("station"))
        return _preview(request, filters=d.get("filters") or {}, station_id=station_id, topic=d.get("topic"),
                        season=d.get("season", ""), no_repeat=d.get("no_repeat", True))


@extend_schema(parameters=[OpenApiParameter("status", str), OpenApiParameter("season", str),
                           OpenApiParameter("topic", int)])
class CampaignViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    queryset = Campaign.objects.select_related("topic")
    serializer_class = s.CampaignSerializer
    permission_classes = [ModelPermissions]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            p = self.request.query_params
            if p.get("status"):
                qs = qs.filter(status=p["status"])
            if p.get("season"):
                qs = qs.filter(season=p["season"])
            if p.get("topic", "").isdigit():
                qs = qs.filter(topic_id=int(p["topic"]))
        return qs

    @extend_schema(request=s.CampaignCreateSerializer, responses={201: s.CampaignSerializer})
    def create(self, request):
        d = _valid(s.CampaignCreateSerializer, request)
        campaign = svc.campaign_create(actor=request.user, name=d.get("name", ""), topic=d["topic"],
                                       season=d["season"], audience=d.get("audience"), filters=d.get("filters"),
                                       no_repeat=d.get("no_repeat", True), send_at=d.get("send_at"),
                                       station=d.get("station"))
        return Response(s.CampaignSerializer(campaign).data, status=201)

    def _step(self, func):
        campaign = func(actor=self.request.user, campaign=self.get_object())
        return Response(s.CampaignSerializer(campaign).data)

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._step(svc.campaign_pause)

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._step(svc.campaign_resume)

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(svc.campaign_cancel)

    @extend_schema(responses=s.ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        campaign = self.get_object()
        return Response(s.ProgressSerializer({**campaign_progress(campaign), "status": campaign.status}).data)

    @extend_schema(responses=s.OutcomeSerializer)
    @action(detail=True, methods=["get"])
    def outcome(self, request, pk=None):
        campaign = self.get_object()
        return Response(s.OutcomeSerializer(campaign_outcome(actor=request.user, campaign=campaign)).data)

    @extend_schema(request=s.AudiencePreviewRequestSerializer, responses=s.AudiencePreviewSerializer)
    @action(detail=False, methods=["post"])
    def estimate(self, request):
        """Recipients, skips by reason, segments and cost of a campaign before it is confirmed."""
        d = _valid(s.AudiencePreviewRequestSerializer, request)
        return _preview(request, filters=d.get("filters") or {}, station_id=owner_station(request.user,
                                                                                          d.get("station")),
                        topic=d.get("topic"), season=d.get("season", ""), no_repeat=d.get("no_repeat", True))

    @extend_schema(methods=["GET"], parameters=[s.ResendFilterSerializer], responses=s.ResendCountSerializer)
    @extend_schema(methods=["POST"], request=s.ResendFilterSerializer, responses=s.ResendResultSerializer)
    @action(detail=False, methods=["get", "post"], url_path="resend-failed", url_name="resend-failed",
            pagination_class=None, filter_backends=[])
    def resend_failed(self, request):
        """Resend every failed message of a record filter (MSG-06), once however often it is asked."""
        if request.method == "GET":
            filters = _valid(s.ResendFilterSerializer, request, data=request.query_params)
            return Response({"count": failed_to_resend(actor=request.user, filters=_clean(filters)).count()})
        filters = _valid(s.ResendFilterSerializer, request)
        result = messages_resend_failed(actor=request.user, filters=_clean(filters))
        return Response(s.ResendResultSerializer(result.as_dict()).data)


def _clean(filters: dict) -> dict:
    return {k: v for k, v in filters.items() if v not in ("", None)}


class DunningSchemeViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           viewsets.GenericViewSet):
    queryset = DunningScheme.objects.select_related("topic")
    serializer_class = s.DunningSchemeSerializer
    permission_classes = [ModelPermissions]

    @extend_schema(request=s.DunningSchemeWriteSerializer, responses={201: s.DunningSchemeSerializer})
    def create(self, request):
        d = _valid(s.DunningSchemeWriteSerializer, request)
        scheme = dun_svc.dunning_scheme_create(actor=request.user, **d)
        return Response(s.DunningSchemeSerializer(scheme).data, status=201)

    @extend_schema(request=s.DunningSchemeUpdateSerializer, responses=s.DunningSchemeSerializer)
    def partial_update(self, request, pk=None):
        scheme = self.get_object()
        d = dict(_valid(s.DunningSchemeUpdateSerializer, request))
        reason = d.pop("reason", "")
        scheme = dun_svc.dunning_scheme_update(actor=request.user, scheme=scheme, changes=d, reason=reason)
        return Response(s.DunningSchemeSerializer(scheme).data)

    @extend_schema(responses=s.DunningRunSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def runs(self, request, pk=None):
        scheme = self.get_object()
        return Response(s.DunningRunSerializer(scheme.runs.select_related("campaign"), many=True).data)
