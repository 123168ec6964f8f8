"""Campaign writes: create (with quiet hours), run in chunks, pause, resume, cancel, finish.

A campaign's messages are written chunk by chunk, each chunk in its own
transaction holding the campaign row: customers in id order after the cursor,
skipped by reason, no-repeat claims taken in one INSERT … ON CONFLICT DO
NOTHING and read back by token (a claim another campaign holds is "already
sent"), then messages_create_bulk writes and enqueues them.  Pause and cancel
are conditional updates that wait for the chunk in flight and stop the next."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core_billing.audit import audit_record
from core_billing.errors import AppError
from core_billing.progress import progress_set
from core_billing.services._common import require_in_scope, require_perm
from messaging.models import FINAL_STATUSES, Message
from messaging.services.sending import Recipient, messages_create_bulk

from ..audience import (SendRules, Skip, already_sent_among, check_visible, clean_filters, compile_audience,
                        preview_counts, with_reason)
from ..models import Campaign, CampaignStatus as S, DunningRun, NoRepeatClaim
from ..quiet import in_quiet_hours, quiet_ends
from ..selectors.campaigns import campaign_counts
from ..signals import campaign_finished
from ._common import check_season, check_topic, owner_station


def progress_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def rules_of(campaign: Campaign) -> SendRules:
    return SendRules.for_topic(campaign.topic, campaign.season, campaign.no_repeat)


def audience_of(campaign: Campaign):
    return compile_audience(actor=campaign.created_by, filters=campaign.filters, station_id=campaign.station_id)


def _enqueue_run(campaign_id: int) -> None:
    from ..tasks import run_campaign

    transaction.on_commit(lambda: run_campaign.delay(campaign_id))


def _audit(actor, action: str, campaign: Campaign, **after) -> None:
    audit_record(actor=actor, action=action, obj=campaign, after={"status": campaign.status, **after})


@transaction.atomic
def campaign_create(*, actor, name: str, topic, season: str, audience=None, filters: dict | None = None,
                    no_repeat: bool = True, send_at=None, station=None, system: bool = False) -> Campaign:
    """A campaign to an audience (a saved one, or criteria given here); starts now, at `send_at`,
    or — a marketing topic in quiet hours — the next morning."""
    if not system:
        require_perm(actor, "campaigns.add_campaign", "没有群发短信的权限。")
        require_perm(actor, "messaging.send_message", "没有发送短信的权限。")
    topic = check_topic(actor, topic)
    season = check_season(season)
    if audience is not None:
        if not system:
            require_in_scope(actor, audience.station_id)
        filters = audience.filters if filters is None else filters
    filters = clean_filters(filters or {})
    check_visible(actor, filters)
    station_id = owner_station(actor, station, audience=audience)
    name = (name or "").strip() or f"{topic.name} {timezone.localdate():%Y-%m-%d}"
    now = timezone.now()
    when = send_at or now
    held = False
    if topic.is_marketing and in_quiet_hours(when):
        when, held = quiet_ends(when), True
    campaign = Campaign.objects.create(
        station_id=station_id, name=name[:100], topic=topic, season=season, audience=audience, filters=filters,
        no_repeat=no_repeat, created_by=actor, scheduled_at=when, held=held)
    campaign.targeted = preview_counts(audience_of(campaign), rules_of(campaign)).total
    if when <= now:
        campaign.status, campaign.started_at, campaign.heartbeat_at = S.RUNNING, now, now
        _enqueue_run(campaign.pk)
    campaign.save()
    _audit(actor, "campaign.create", campaign, topic=topic.pk, season=season, filters=filters, no_repeat=no_repeat,
           scheduled_at=when)
    progress_set(progress_key(campaign.pk), done=0, total=campaign.targeted, phase=campaign.status)
    return campaign


def campaigns_start_due(*, now=None) -> int:
    """Scheduled campaigns whose time has come start (beat, every minute)."""
    now = now or timezone.now()
    started = 0
    for pk in Campaign.objects.filter(status=S.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            if Campaign.objects.filter(pk=pk, status=S.SCHEDULED).update(status=S.RUNNING, started_at=now,
                                                                         heartbeat_at=now):
                _enqueue_run(pk)
                started += 1
    return started


def _chunk_size() -> int:
    return getattr(settings, "CAMPAIGN_CHUNK_SIZE", 1000)


def campaign_run_chunk(campaign_id: int) -> bool:
    """Write the messages of the next chunk of customers; True while there is more to do."""
    try:
        return _run_chunk(campaign_id)
    except AppError as exc:  # rolled back; the campaign cannot go on
        _stop(campaign_id, note=exc.message)
        return False


def _run_chunk(campaign_id: int) -> bool:
    with transaction.atomic():
        c = (Campaign.objects.select_for_update(of=("self",)).select_related("topic", "created_by")
             .filter(pk=campaign_id).first())
        if c is None or c.status != S.RUNNING:
            return False
        now = timezone.now()
        if c.topic.is_marketing and in_quiet_hours(now):
            c.status, c.scheduled_at, c.held = S.SCHEDULED, quiet_ends(now), True
            c.save(update_fields=["status", "scheduled_at", "held"])
            return False
        rules = rules_of(c)
        # the phone and opt-out reasons in the query; already-sent per chunk (already_sent_among)
        chunk = list(with_reason(audience_of(c).filter(pk__gt=c.cursor), replace(rules, no_repeat=False))
                     .select_related("building__community").order_by("pk")[:_chunk_size()])
        already = already_sent_among(rules, [cust.pk for cust in chunk if not cust.skip_reason])
        for cust in chunk:
            if not cust.skip_reason and cust.pk in already:
                cust.skip_reason = Skip.ALREADY_SENT
        if not chunk:
            c.status, c.heartbeat_at = S.SENDING, now
            c.save(update_fields=["status", "heartbeat_at"])
            _record_run_counts(c)
            transaction.on_commit(lambda: campaign_check_finished(campaign_id))
            return False
        skips: Counter = Counter()
        ready = []
        for customer in chunk:
            if customer.skip_reason:
                skips[customer.skip_reason] += 1
            else:
                ready.append(customer)
        token = uuid.uuid4().hex
        if rules.no_repeat and ready:
            NoRepeatClaim.objects.bulk_create(
                [NoRepeatClaim(season=c.season, topic_id=c.topic_id, customer_id=cust.pk, campaign=c, token=token)
                 for cust in ready], ignore_conflicts=True, batch_size=1000)
            ours = set(NoRepeatClaim.objects.filter(token=token).values_list("customer_id", flat=True))
            skips[Skip.ALREADY_SENT] += sum(1 for cust in ready if cust.pk not in ours)
            ready = [cust for cust in ready if cust.pk in ours]
        recipients = [Recipient(customer=cust) for cust in ready]
        result = messages_create_bulk(actor=c.created_by, recipients=recipients,
                                      topic=c.topic, season=c.season, station=c.station_id, campaign_id=c.pk)
        for s in result.skipped:
            skips[s.reason] += 1
        if rules.no_repeat and ready:
            gone = {id(s.recipient) for s in result.skipped}
            written = [r.customer.pk for r in recipients if id(r) not in gone]
            _claims_link(token, dict(zip(written, result.message_ids)))
            NoRepeatClaim.objects.filter(token=token, message_id__isnull=True).delete()  # skipped after all
        c.cursor = chunk[-1].pk
        c.created_count += len(result.message_ids)
        merged = Counter(c.skipped)
        merged.update(skips)
        c.skipped = {k: v for k, v in merged.items() if v}
        c.heartbeat_at = now
        c.save(update_fields=["cursor", "created_count", "skipped", "heartbeat_at"])
        progress_set(progress_key(c.pk), done=c.created_count + c.skipped_total, total=c.targeted,
                     phase=S.RUNNING)
        return True


def _claims_link(token: str, message_of: dict[int, int]) -> None:
    """Point each of a chunk's claims at the message written for its customer, in one statement.

    The ids are known in order from messages_create_bulk; a correlated subquery
    per claim was quadratic on a messages table the planner thought empty."""
    if not message_of:
        return
    table = connection.ops.quote_name(NoRepeatClaim._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"UPDATE {table} AS c SET message_id = v.mid FROM unnest(%s::bigint[], %s::bigint[]) "
                           f"AS v(cid, mid) WHERE c.token = %s AND c.customer_id = v.cid",
                           [list(message_of), list(message_of.values()), token])
            return
        items = list(message_of.items())
        for i in range(0, len(items), 400):  # SQLite binds at most 999 parameters
            part = items[i:i + 400]
            whens = " ".join("WHEN %s THEN %s" for _ in part)
            cursor.execute(f"UPDATE {table} SET message_id = CASE customer_id {whens} END "
                           f"WHERE token = %s AND customer_id IN ({', '.join(['%s'] * len(part))})",
                           [*(x for pair in part for x in pair), token, *(cid for cid, _m in part)])


def _stop(campaign_id: int, *, note: str) -> None:
    """A campaign that cannot go on (its sender lost the right, its topic was stopped) is cancelled, saying why."""
    with transaction.atomic():
        c = Campaign.objects.select_for_update().get(pk=campaign_id)
        if c.status in (S.RUNNING, S.PAUSED, S.SCHEDULED):
            c.status, c.finished_at, c.note = S.CANCELLED, timezone.now(), note[:255]
            c.save(update_fields=["status", "finished_at", "note"])
            _announce(c)


def campaign_run(campaign_id: int) -> None:
    while campaign_run_chunk(campaign_id):
        pass


def _record_run_counts(c: Campaign) -> None:
    DunningRun.objects.filter(campaign_id=c.pk).update(counts={
        "targeted": c.targeted, "created": c.created_count, "skipped": c.skipped})


def _announce(c: Campaign) -> None:
    counts = campaign_counts(c)
    _record_run_counts(c)
    transaction.on_commit(lambda: campaign_finished.send(sender=Campaign, campaign_id=c.pk, station_id=c.station_id,
                                                         status=c.status, counts=counts))


def campaign_check_finished(campaign_id: int) -> bool:
    """Finish a campaign whose messages are all written and all final."""
    with transaction.atomic():
        c = Campaign.objects.select_for_update().filter(pk=campaign_id, status=S.SENDING).first()
        if c is None:
            return False
        if Message.objects.filter(campaign_id=c.pk).exclude(status__in=FINAL_STATUSES).exists():
            return False
        c.status, c.finished_at = S.FINISHED, timezone.now()
        c.save(update_fields=["status", "finished_at"])
        _announce(c)
        return True


def _move(campaign: Campaign, *, to: str, allowed: tuple, action: str, **fields) -> Campaign:
    moved = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(status=to, **fields)
    current = Campaign.objects.select_related("topic").get(pk=campaign.pk)
    if not moved:
        raise AppError(f"群发当前为“{current.get_status_display()}”，不能{action}。", field="status",
                       extra={"status": current.status})
    return current


@transaction.atomic
def campaign_pause(*, actor, campaign: Campaign) -> Campaign:
    require_perm(actor, "campaigns.change_campaign", "没有暂停群发的权限。")
    require_in_scope(actor, campaign.station_id)
    c = _move(campaign, to=S.PAUSED, allowed=(S.RUNNING, S.SCHEDULED), action="暂停")
    _audit(actor, "campaign.pause", c)
    return c


@transaction.atomic
def campaign_resume(*, actor, campaign: Campaign) -> Campaign:
    require_perm(actor, "campaigns.change_campaign", "没有继续群发的权限。")
    require_in_scope(actor, campaign.station_id)
    now = timezone.now()
    current = Campaign.objects.get(pk=campaign.pk)
    if current.started_at is None and current.scheduled_at and current.scheduled_at > now:
        # paused before its time came: back to waiting for it
        c = _move(campaign, to=S.SCHEDULED, allowed=(S.PAUSED,), action="继续")
    else:
        c = _move(campaign, to=S.RUNNING, allowed=(S.PAUSED,), action="继续", heartbeat_at=now,
                  started_at=current.started_at or now)
        _enqueue_run(c.pk)
    _audit(actor, "campaign.resume", c)
    return c


@transaction.atomic
def campaign_cancel(*, actor, campaign: Campaign) -> Campaign:
    require_perm(actor, "campaigns.change_campaign", "没有取消群发的权限。")
    require_in_scope(actor, campaign.station_id)
    c = _move(campaign, to=S.CANCELLED, allowed=(S.SCHEDULED, S.RUNNING, S.PAUSED), action="取消",
              finished_at=timezone.now())
    _audit(actor, "campaign.cancel", c)
    _announce(c)
    return c


def campaigns_sweep(*, now=None, stale_seconds: int | None = None) -> dict:
    """Beat's look-out: start what is due, pick up runs whose worker vanished, finish what is done."""
    now = now or timezone.now()
    stale_seconds = settings.CAMPAIGN_STALE_AFTER if stale_seconds is None else stale_seconds
    counts = {"started": campaigns_start_due(now=now), "restarted": 0, "finished": 0}
    stale = now - timezone.timedelta(seconds=stale_seconds)
    for pk in Campaign.objects.filter(status=S.RUNNING, heartbeat_at__lt=stale).values_list("pk", flat=True):
        with transaction.atomic():
            if Campaign.objects.filter(pk=pk, status=S.RUNNING, heartbeat_at__lt=stale).update(heartbeat_at=now):
                _enqueue_run(pk)
                counts["restarted"] += 1
    for pk in Campaign.objects.filter(status=S.SENDING).values_list("pk", flat=True):
        counts["finished"] += campaign_check_finished(pk)
    return counts
