"""Campaign writes: create (with quiet hours), run in chunks, pause, resume, cancel, finish.

A campaign's messages are written chunk by chunk, each chunk in its own
transaction holding the campaign row: customers in id order after the cursor,
skipped by reason, no-repeat claims taken in one INSERT … ON CONFLICT DO
NOTHING, each holding the id its message will get (a claim another campaign
holds, or a live message of the season + topic, is "already sent"), then
messages_create_bulk writes the messages under those ids and enqueues them.
Pause and cancel are conditional updates that wait for the chunk in flight
and stop the next."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core_billing.audit import audit_record
from core_billing.errors import AppError
from core_billing.progress import progress_set
from core_billing.services._common import analyze, next_ids, require_in_scope, require_perm
from messaging.context import customer_fields
from messaging.models import FINAL_STATUSES, Message, MessageStatus
from messaging.services.sending import Recipient, messages_create_bulk
from messaging.templating import keys_of

from ..audience import SendRules, Skip, check_visible, clean_filters, compile_audience, preview_counts, with_reason
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


# Customer columns no placeholder reads: not fetched when a provider did not declare its fields.
UNUSED = ("note", "created_at", "updated_at")


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
        # Every skip reason but "already sent" comes from the query; that one from the claims below.
        fields = customer_fields(keys_of(c.topic.body))  # only what the topic's placeholders read
        customers = audience_of(c).filter(pk__gt=c.cursor)
        customers = customers.only(*fields) if fields is not None else customers.defer(*UNUSED)
        chunk = list(with_reason(customers, replace(rules, no_repeat=False))
                     .order_by("pk")[:settings.CAMPAIGN_CHUNK_SIZE])
        if not chunk:
            c.status, c.heartbeat_at = S.SENDING, now
            c.save(update_fields=["status", "heartbeat_at"])
            _record_run_counts(c)
            transaction.on_commit(lambda: campaign_check_finished(campaign_id))
            # the next preview checks these tables for every customer: plan it on their new sizes
            transaction.on_commit(lambda n=c.created_count: analyze(NoRepeatClaim, Message, grown_by=n))
            return False
        skips: Counter = Counter(cust.skip_reason for cust in chunk if cust.skip_reason)
        ready = [cust for cust in chunk if not cust.skip_reason]
        claims = None
        if rules.no_repeat and ready:
            claims = _claims_take(c, ready)
            skips[Skip.ALREADY_SENT] += len(ready) - len(claims.message_of)
            ready = [cust for cust in ready if cust.pk in claims.message_of]
        recipients = [Recipient(customer=cust, message_id=claims.message_of[cust.pk] if claims else None)
                      for cust in ready]
        result = messages_create_bulk(actor=c.created_by, recipients=recipients,
                                      topic=c.topic, season=c.season, station=c.station_id, campaign_id=c.pk)
        for s in result.skipped:
            skips[s.reason] += 1
        if claims and result.skipped:  # not written after all (an opt-out since the query): give them back
            NoRepeatClaim.objects.filter(token=claims.token,
                                         customer_id__in=[s.recipient.customer.pk for s in result.skipped]).delete()
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


@dataclass
class _Claims:
    token: str
    message_of: dict[int, int]  # customer id -> the id its message will have


def _claims_take(c: Campaign, customers: list) -> _Claims:
    """Claim season + topic for a chunk's customers in one statement, each claim already holding
    the id its message will be written with; a customer claimed before (ON CONFLICT), or already
    sent a message of it that has not failed (NOT EXISTS), is left out.  Nothing is updated
    afterwards, so a claim row is written once."""
    token = uuid.uuid4().hex
    table, messages = (connection.ops.quote_name(m._meta.db_table) for m in (NoRepeatClaim, Message))
    insert = (f"INSERT INTO {table} (season, topic_id, campaign_id, token, created_at, customer_id, message_id) "
              f"SELECT %s, %s, %s, %s, %s, v.cid, {{mid}} FROM {{source}} "
              f"WHERE NOT EXISTS (SELECT 1 FROM {messages} m WHERE m.season = %s AND m.topic_id = %s "
              f"AND m.customer_id = v.cid AND m.status <> %s) ON CONFLICT DO NOTHING")
    head = [c.season, c.topic_id, c.pk, token, timezone.now()]
    tail = [c.season, c.topic_id, MessageStatus.FAILED]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # message ids from the sequence as the claims go in
            sequence = f"pg_get_serial_sequence('{Message._meta.db_table}', 'id')"
            cursor.execute(insert.format(mid="nextval(s.seq)",
                                         source=f"unnest(%s::bigint[]) AS v(cid), (SELECT {sequence} AS seq) AS s")
                           + " RETURNING customer_id, message_id",
                           [*head, [cust.pk for cust in customers], *tail])
            return _Claims(token, dict(cursor.fetchall()))
        pairs = list(zip((cust.pk for cust in customers), next_ids(Message, len(customers))))
        for i in range(0, len(pairs), 400):  # SQLite binds at most 999 parameters
            part = pairs[i:i + 400]
            values = ", ".join(["(%s, %s)"] * len(part))
            source = f"(SELECT column1 AS cid, column2 AS mid FROM (VALUES {values})) AS v"
            cursor.execute(insert.format(mid="v.mid", source=source), [*head, *(x for p in part for x in p), *tail])
        cursor.execute(f"SELECT customer_id, message_id FROM {table} WHERE token = %s", [token])
        return _Claims(token, dict(cursor.fetchall()))


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
