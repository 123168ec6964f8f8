"""Dunning schemes (CMP-04): set up (own permission, audited) and run by beat.

A run is a campaign to the scheme's audience narrowed to customers still
owing, compiled when the run starts (whoever paid since the last run is not
in it).  The run row is unique on (scheme, due date) and is taken before the
campaign is made, so beat firing twice or on two nodes reminds once."""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from core_billing.audit import audit_record, snapshot
from core_billing.errors import AppError
from core_billing.services._common import require_in_scope, require_perm

from ..models import DunningRun, DunningScheme
from ._common import check_season, check_topic, owner_station
from .campaigns import campaign_create

FIELDS = ("station", "name", "topic", "audience", "season", "start_date", "end_date", "every_days", "is_active")
PERM = "campaigns.manage_dunningscheme"


def _check(actor, *, topic, audience, start_date, end_date, every_days):
    topic = check_topic(actor, topic)
    if audience is not None:
        require_in_scope(actor, audience.station_id)
    if not start_date or not end_date:
        raise AppError("请填写开始和结束日期。", field="start_date")
    if end_date < start_date:
        raise AppError("结束日期不能早于开始日期。", field="end_date")
    if not every_days or int(every_days) < 1:
        raise AppError("间隔天数至少为 1。", field="every_days")
    return topic


@transaction.atomic
def dunning_scheme_create(*, actor, name: str, topic, season: str, start_date: dt.date, end_date: dt.date,
                          every_days: int = 15, audience=None, station=None, is_active: bool = True) -> DunningScheme:
    require_perm(actor, PERM, "没有设置催缴方案的权限。")
    topic = _check(actor, topic=topic, audience=audience, start_date=start_date, end_date=end_date,
                   every_days=every_days)
    if not (name or "").strip():
        raise AppError("请填写方案名称。", field="name")
    scheme = DunningScheme(station_id=owner_station(actor, station, audience=audience), name=name.strip()[:64],
                           topic=topic, audience=audience, season=check_season(season), start_date=start_date,
                           end_date=end_date, every_days=int(every_days), is_active=is_active, created_by=actor)
    try:
        with transaction.atomic():
            scheme.save()
    except IntegrityError:
        raise AppError(f"已有名为「{scheme.name}」的催缴方案。", field="name") from None
    audit_record(actor=actor, action="dunning_scheme.create", obj=scheme, after=snapshot(scheme, FIELDS))
    return scheme


@transaction.atomic
def dunning_scheme_update(*, actor, scheme: DunningScheme, changes: dict, reason: str = "") -> DunningScheme:
    require_perm(actor, PERM, "没有设置催缴方案的权限。")
    require_in_scope(actor, scheme.station_id)
    scheme = DunningScheme.objects.select_for_update().get(pk=scheme.pk)
    before = snapshot(scheme, FIELDS)
    allowed = {"name", "topic", "audience", "season", "start_date", "end_date", "every_days", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise AppError(f"不能修改字段 {'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    for key, value in changes.items():
        setattr(scheme, key, value)
    scheme.topic = _check(actor, topic=scheme.topic, audience=scheme.audience, start_date=scheme.start_date,
                          end_date=scheme.end_date, every_days=scheme.every_days)
    scheme.season = check_season(scheme.season)
    try:
        with transaction.atomic():
            scheme.save()
    except IntegrityError:
        raise AppError(f"已有名为「{scheme.name}」的催缴方案。", field="name") from None
    audit_record(actor=actor, action="dunning_scheme.update", obj=scheme, before=before,
                 after=snapshot(scheme, FIELDS), reason=reason)
    return scheme


def dunning_filters(scheme: DunningScheme) -> dict:
    filters = dict(scheme.audience.filters) if scheme.audience_id else {}
    # Only customers still owing, whatever the audience says.
    filters["arrears_seasons_min"] = max(int(filters.get("arrears_seasons_min") or 0), 1)
    return filters


def dunning_run(*, scheme: DunningScheme, due_date: dt.date) -> DunningRun | None:
    """Run the scheme for one due date; None if that date has already run."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = DunningRun.objects.create(scheme=scheme, due_date=due_date)
        except IntegrityError:
            return None
        campaign = campaign_create(
            actor=scheme.created_by, name=f"{scheme.name} {due_date:%Y-%m-%d}", topic=scheme.topic,
            season=scheme.season, filters=dunning_filters(scheme), no_repeat=False, station=scheme.station_id,
            system=True)
        run.campaign = campaign
        run.counts = {"targeted": campaign.targeted}
        run.save(update_fields=["campaign", "counts"])
    return run


def dunning_run_due(*, today: dt.date | None = None) -> int:
    """Every active scheme whose latest due date has not run yet runs now (beat)."""
    today = today or timezone.localdate()
    ran = 0
    for scheme in DunningScheme.objects.filter(is_active=True, start_date__lte=today).select_related(
            "topic", "audience", "created_by"):
        due = scheme.due_date(today)
        if due is None or scheme.runs.filter(due_date=due).exists():
            continue
        try:
            if dunning_run(scheme=scheme, due_date=due) is not None:
                ran += 1
        except AppError as exc:  # a stopped topic, a closed season: the scheme waits for someone to fix it
            import logging

            logging.getLogger(__name__).warning("dunning scheme %s not run: %s", scheme.pk, exc.message)
    return ran
