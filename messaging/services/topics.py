"""Topics (MSG-01): create, change, preview.

    topic_create(*, actor, name, kind, body, is_marketing=False, station=None, company_wide=False) -> Topic
    topic_update(*, actor, topic, changes, reason="") -> Topic
    topic_preview(*, actor, body, kind, is_marketing=False, customer=None, staff=None, season="",
                  values=None, sample=False) -> Preview
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from core_billing.audit import audit_record, snapshot
from core_billing.errors import AppError, PermissionDeniedError
from core_billing.scoping import is_head_office
from core_billing.services._common import apply_changes, full_clean_or_error, require_in_scope, require_perm

from .. import segments, templating
from ..context import RenderTarget, build_values, missing_provider_error
from ..models import Topic
from ..templating import TopicKind
from .sending import compose

FIELDS = ["station", "name", "kind", "is_marketing", "body", "is_active"]


def _validated(topic: Topic) -> None:
    if topic.is_marketing and topic.kind != TopicKind.NOTICE:
        raise AppError("只有通知类主题可以标为营销短信（催缴、服务、内部和工单短信不是营销短信）。", field="is_marketing")
    topic.body = templating.check(topic.body, topic.kind).body
    full_clean_or_error(topic, exclude=["created_by"])


def _check_station_rights(actor, station_id) -> None:
    if station_id is None:
        if not is_head_office(actor):
            raise PermissionDeniedError("全公司共用的主题只能由总站维护。")
    else:
        require_in_scope(actor, station_id)


@transaction.atomic
def topic_create(*, actor, name: str, kind: str, body: str, is_marketing: bool = False, station=None,
                 company_wide: bool = False, is_active: bool = True) -> Topic:
    require_perm(actor, "messaging.add_topic", "没有新建短信主题的权限。")
    if company_wide:
        station_id = None
    elif station is not None:
        station_id = getattr(station, "pk", station)
    elif is_head_office(actor):
        raise AppError("总站用户须指定供热站，或选择全公司共用。", field="station")
    else:
        station_id = actor.station_id
    _check_station_rights(actor, station_id)
    topic = Topic(station_id=station_id, name=(name or "").strip(), kind=kind, body=body or "",
                  is_marketing=bool(is_marketing), is_active=is_active, created_by=actor)
    _validated(topic)
    topic.save()
    audit_record(actor=actor, action="topic.create", obj=topic, after=snapshot(topic, FIELDS), station_id=station_id)
    return topic


@transaction.atomic
def topic_update(*, actor, topic: Topic, changes: dict, reason: str = "") -> Topic:
    require_perm(actor, "messaging.change_topic", "没有修改短信主题的权限。")
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    _check_station_rights(actor, topic.station_id)
    if "station" in changes and getattr(changes["station"], "pk", changes["station"]) != topic.station_id:
        raise AppError("不能把主题移到另一个供热站。", field="station")
    before, after = apply_changes(topic, {k: v for k, v in changes.items() if k != "station"},
                                  ["name", "kind", "is_marketing", "body", "is_active"])
    if not after:
        return topic
    _validated(topic)
    if "body" in after:
        after["body"] = topic.body  # as stored: Chinese names replaced by keys
        if before["body"] == topic.body:
            before.pop("body"), after.pop("body")
    topic.save()
    if after:
        audit_record(actor=actor, action="topic.update", obj=topic, before=before, after=after, reason=reason,
                     station_id=topic.station_id)
    return topic


@dataclass
class Preview:
    text: str
    info: segments.SegmentInfo
    cost: Decimal
    price: Decimal
    keys: list[str]
    sample: bool

    def as_dict(self) -> dict:
        return {"text": self.text, **self.info.as_dict(), "cost": str(self.cost), "price_per_segment": str(self.price),
                "placeholders": self.keys, "sample": self.sample}


def topic_preview(*, actor, body: str, kind: str, is_marketing: bool = False, customer=None, staff=None,
                  season: str = "", values: dict | None = None, sample: bool = False) -> Preview:
    """The text as a recipient would get it, its length, segments and cost.

    With a real customer (or staff member) every value comes from the context
    providers; a placeholder whose provider is not wired in yet is an error.
    `sample=True` (the editor's live counter, before a customer is chosen)
    fills the catalogue's sample values and says so."""
    checked = templating.check(body, kind)
    marketing = bool(is_marketing and kind == TopicKind.NOTICE)
    if sample:
        vals = {k: templating.PLACEHOLDERS[k].sample for k in checked.keys}
    else:
        if customer is not None:
            require_in_scope(actor, customer.station_id)
        station_id = customer.station_id if customer else (staff.station_id if staff else actor.station_id)
        error = missing_provider_error({k for k in checked.keys if k not in (values or {})})
        if error:
            raise error
        vals = build_values(checked.keys, [RenderTarget(station_id=station_id, customer=customer, staff=staff,
                                                        season=season, values=values or {})])[0]
    text = compose(templating.render(checked.body, vals), is_marketing=marketing)
    info = segments.analyze(text)
    price = settings.SMS_PRICE_PER_SEGMENT
    return Preview(text, info, info.cost(price), price, sorted(checked.keys), sample)
