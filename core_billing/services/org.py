"""Reference data, staff and jurisdictions."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models, transaction

from ..audit import audit_record, model_fields, snapshot, station_of
from ..errors import AppError
from ..models import Building, CollectorAssignment, Community, User
from ..phones import normalize_phone
from ..roles import Role
from ._common import full_clean_or_error, require_in_scope, require_perm, resolve_station


def _perm(obj: models.Model, action: str) -> str:
    return f"{obj._meta.app_label}.{action}_{obj._meta.model_name}"


@transaction.atomic
def reference_save(*, actor, obj: models.Model, reason: str = "") -> models.Model:
    """Create or update one reference-data row (stations, communities, buildings,
    customer types, ...) with its audit row; the admin and the API both call this."""
    adding = obj._state.adding
    require_perm(actor, _perm(obj, "add" if adding else "change"), "没有修改基础资料的权限。")
    if hasattr(type(obj)._default_manager, "visible_to"):  # a tenant-owned row
        require_in_scope(actor, station_of(obj))
    fields = model_fields(obj)
    before = None
    if not adding:
        current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        before = snapshot(current, fields)
    full_clean_or_error(obj)
    obj.save()
    after = snapshot(obj, fields)
    if before is not None:
        changed = [k for k in fields if before.get(k) != after.get(k)]
        if not changed:
            return obj
        before = {k: before[k] for k in changed}
        after = {k: after[k] for k in changed}
    audit_record(actor=actor, action=f"{obj._meta.model_name}.{'create' if adding else 'update'}", obj=obj,
                 before=before, after=after, reason=reason)
    return obj


@transaction.atomic
def reference_delete(*, actor, obj: models.Model, reason: str = "") -> None:
    require_perm(actor, _perm(obj, "delete"), "没有删除基础资料的权限。")
    before = snapshot(obj, model_fields(obj))
    audit_record(actor=actor, action=f"{obj._meta.model_name}.delete", obj=obj, before=before, reason=reason)
    try:
        obj.delete()
    except models.ProtectedError as exc:
        raise AppError(f"“{obj}”仍被其他数据引用，不能删除。") from exc


@transaction.atomic
def collector_assign(*, actor, collector: User, community: Community | None = None,
                     building: Building | None = None, reason: str = "") -> CollectorAssignment:
    require_perm(actor, "core_billing.add_collectorassignment", "没有分配管辖区域的权限。")
    target = building or community
    if (community is None) == (building is None):
        raise AppError("请选择一个小区或一栋楼。", field="community")
    require_in_scope(actor, target.station_id)
    if not collector.has_role(Role.COLLECTOR) or collector.station_id != target.station_id:
        raise AppError("只能分配给本站的收费员。", field="collector")
    existing = CollectorAssignment.objects.filter(community=community) if community else \
        CollectorAssignment.objects.filter(building=building)
    previous = existing.select_for_update().first()
    before = None
    if previous:
        before = snapshot(previous, ["collector", "community", "building"])
        audit_record(actor=actor, action="jurisdiction.remove", obj=previous, before=before, reason=reason)
        previous.delete()
    assignment = CollectorAssignment.objects.create(station_id=target.station_id, collector=collector,
                                                    community=community, building=building)
    audit_record(actor=actor, action="jurisdiction.assign", obj=assignment, before=before,
                 after=snapshot(assignment, ["collector", "community", "building"]), reason=reason)
    return assignment


@transaction.atomic
def collector_unassign(*, actor, assignment: CollectorAssignment, reason: str = "") -> None:
    require_perm(actor, "core_billing.delete_collectorassignment", "没有调整管辖区域的权限。")
    require_in_scope(actor, assignment.station_id)
    audit_record(actor=actor, action="jurisdiction.remove", obj=assignment,
                 before=snapshot(assignment, ["collector", "community", "building"]), reason=reason)
    assignment.delete()


@transaction.atomic
def staff_create(*, actor, username: str, password: str, roles: list[str], station=None, full_name: str = "",
                 mobile: str = "") -> User:
    require_perm(actor, "core_billing.add_user", "没有新增用户的权限。")
    station = resolve_station(actor, station) if station is not None or not actor.is_head_office else None
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise AppError(f"未知角色：{', '.join(sorted(unknown))}", field="roles", extra={"valid": Role.values})
    number = ""
    if mobile:
        info = normalize_phone(mobile)
        if not info.is_mobile:
            raise AppError("手机号无效。", field="mobile")
        number = info.number
    user = User(username=username, full_name=full_name, station=station, mobile=number)
    user.set_password(password)
    full_clean_or_error(user, exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    audit_record(actor=actor, action="user.create", obj=user,
                 after={"username": username, "station": user.station_id, "roles": sorted(roles),
                        "full_name": full_name, "mobile": number},
                 station_id=user.station_id)
    return user
