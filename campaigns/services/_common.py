from __future__ import annotations

from core_billing.errors import AppError
from core_billing.models import Season
from core_billing.scoping import is_head_office
from messaging.models import Topic, TopicKind
from messaging.services._common import visible_or_error

CUSTOMER_KINDS = (TopicKind.NOTICE, TopicKind.DUNNING, TopicKind.SERVICE)


def check_topic(actor, topic) -> Topic:
    if topic is None:
        raise AppError("请选择短信主题。", field="topic")
    topic = visible_or_error(Topic, actor, getattr(topic, "pk", topic), "短信主题")
    if not topic.is_active:
        raise AppError(f"短信主题「{topic.name}」已停用。", field="topic")
    if topic.kind not in CUSTOMER_KINDS:
        raise AppError("群发只能使用通知、催缴或服务类的短信主题。", field="topic")
    return topic


def check_season(season: str) -> str:
    season = (season or "").strip()
    if not season:
        raise AppError("请选择供暖年度。", field="season")
    if not Season.objects.filter(name=season).exists():
        raise AppError(f"没有供暖年度 {season}。", field="season")
    return season


def owner_station(actor, station, *, audience=None) -> int | None:
    """Station staff act in their own station; head office may name one or none (every station)."""
    if audience is not None and audience.station_id:
        return audience.station_id
    if not is_head_office(actor):
        if station is not None and getattr(station, "pk", station) != actor.station_id:
            raise AppError("对象不存在。", field="station", code="not_found")
        return actor.station_id
    return getattr(station, "pk", station)
