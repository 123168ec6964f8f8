"""Saved audiences: create, change, delete (audited)."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core_billing.audit import audit_record, snapshot
from core_billing.errors import AppError
from core_billing.services._common import require_in_scope, require_perm

from ..audience import check_visible, clean_filters
from ..models import Audience
from ._common import owner_station

FIELDS = ("station", "name", "filters")


@transaction.atomic
def audience_create(*, actor, name: str, filters: dict, station=None) -> Audience:
    require_perm(actor, "campaigns.add_audience", "没有保存受众的权限。")
    name = (name or "").strip()
    if not name:
        raise AppError("请填写受众名称。", field="name")
    filters = clean_filters(filters)
    check_visible(actor, filters)
    station_id = owner_station(actor, station)
    audience = Audience(station_id=station_id, name=name[:64], filters=filters, created_by=actor)
    try:
        with transaction.atomic():
            audience.save()
    except IntegrityError:
        raise AppError(f"已有名为「{name}」的受众。", field="name") from None
    audit_record(actor=actor, action="audience.create", obj=audience, after=snapshot(audience, FIELDS))
    return audience


@transaction.atomic
def audience_update(*, actor, audience: Audience, name: str | None = None, filters: dict | None = None) -> Audience:
    require_perm(actor, "campaigns.change_audience", "没有修改受众的权限。")
    require_in_scope(actor, audience.station_id)
    audience = Audience.objects.select_for_update().get(pk=audience.pk)
    before = snapshot(audience, FIELDS)
    if name is not None:
        if not name.strip():
            raise AppError("请填写受众名称。", field="name")
        audience.name = name.strip()[:64]
    if filters is not None:
        audience.filters = clean_filters(filters)
        check_visible(actor, audience.filters)
    audience.updated_at = timezone.now()
    try:
        with transaction.atomic():
            audience.save()
    except IntegrityError:
        raise AppError(f"已有名为「{audience.name}」的受众。", field="name") from None
    audit_record(actor=actor, action="audience.update", obj=audience, before=before, after=snapshot(audience, FIELDS))
    return audience


@transaction.atomic
def audience_delete(*, actor, audience: Audience) -> None:
    require_perm(actor, "campaigns.delete_audience", "没有删除受众的权限。")
    require_in_scope(actor, audience.station_id)
    if audience.campaigns.exists() or audience.dunning_schemes.exists():
        raise AppError("该受众已被群发或催缴方案使用，不能删除。", field="audience")
    audit_record(actor=actor, action="audience.delete", obj=audience, before=snapshot(audience, FIELDS))
    audience.delete()
