"""campaign: a 100,000-customer campaign (20,000 on SQLite), start to every message written and queued, vs a raw COPY.

Ours (timed): campaign_create and the run task in chunks of CAMPAIGN_CHUNK_SIZE
customers — audience resolve with every skip reason in the query, rendering,
no-repeat claims, message rows, enqueue.  Enqueue is real: with REDIS_URL the
batches go to the Redis broker (no worker listens; the queue is purged
afterwards); without it each batch's task message is still built and
serialised exactly as the broker would get it, then dropped, so the embedded
filesystem queue of a developer's worker is never touched.

Baseline (PostgreSQL, same run, same table): a raw psycopg3 `cursor.copy` of as
many messaging_message rows as ours wrote, with the columns ours writes and
bodies of the same length and script, built before the clock starts; the table
is emptied again (TRUNCATE) before ours runs.  On SQLite there is
no COPY, so the baseline is one executemany of the same rows.  Goal (issue 5,
item 8): ours within 4× of the COPY and at least 10,000 messages/s.
BENCH_PROFILE=<file> writes a cProfile of the timed part.
"""
from __future__ import annotations

import contextlib
import cProfile
import datetime as dt
import os
import time
import uuid
from decimal import Decimal

from bench import harness

GOAL_RATIO = 4.0
GOAL_RATE = 10_000
BODY = "尊敬的{{ 客户名称 }}，{{ 小区 }}明日打压试水，请家中留人。"


def _setup(n: int):
    from django.contrib.auth.models import Group

    from core_billing.models import (Building, Community, Customer, CustomerPhone, CustomerType, Season, Station,
                                     User)
    from core_billing.roles import sync_roles
    from core_billing.services._common import analyze
    from messaging.services.topics import topic_create

    sync_roles()
    station = Station.objects.create(code="B1", name="基准供热站")
    community = Community.objects.create(station=station, name="基准小区")
    buildings = Building.objects.bulk_create([Building(station=station, community=community, name=f"{i}号楼",
                                                       unit_count=6) for i in range(1, n // 120 + 2)])
    ctype = CustomerType.objects.create(code="residential", name="居民")
    Season.objects.create(name="2025-2026", start_date=dt.date(2025, 11, 15), end_date=dt.date(2026, 3, 15),
                          heating_days=121, is_current=True)
    rows = []
    for i in range(n):
        # every 50th has no mobile, every 97th only a landline: the skips are counted too
        kind = "none" if i % 50 == 0 else "landline" if i % 97 == 0 else "mobile"
        rows.append(Customer(station=station, building=buildings[i // 120], unit=1 + (i // 20) % 6,
                             room=f"{i % 20 + 1:02d}{i}", account_no=f"B{i:07d}", name=f"住户{i}",
                             customer_type=ctype, area=Decimal("80.00"), contact_kind=kind,
                             mobile=f"+86139{i:08d}" if kind == "mobile" else ""))
    made = Customer.objects.bulk_create(rows, batch_size=2000)
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, raw=c.mobile, number=c.mobile, kind="mobile",
                                                     is_primary=True) for c in made if c.mobile], batch_size=2000)
    analyze(Customer, CustomerPhone, Building)  # as the customer import does after its load
    actor = User.objects.create_user("bench-service", password=None, station=station)
    actor.groups.add(Group.objects.get(name="customer_service"))
    actor = User.objects.get(pk=actor.pk)
    admin = User.objects.create_user("bench-admin", password=None, is_superuser=True)
    topic = topic_create(actor=admin, name="打压试水通知", kind="notice", company_wide=True, body=BODY)
    copy_topic = topic_create(actor=admin, name="COPY 基线", kind="notice", company_wide=True, body=BODY)
    return actor, topic, copy_topic, station, [c for c in made if c.mobile]


def _baseline_rows(customers, count: int, topic, station, actor) -> tuple[list[str], list[tuple]]:
    """The rows a raw COPY writes: the columns insert_messages writes (the id left to its default),
    realistic bodies."""
    from django.conf import settings
    from django.utils import timezone

    from messaging import segments
    from messaging.models import Message

    now = timezone.now()
    rows = []
    for c in customers[:count]:
        text = segments.compose(f"尊敬的{c.name}，基准小区明日打压试水，请家中留人。",
                                signature=settings.SMS_SIGNATURE, opt_out_text="")
        info = segments.analyze(text)
        rows.append({"topic_id": topic.pk, "kind": "notice", "is_marketing": False, "season": "2025-2026",
                     "campaign_id": None, "work_order_id": None, "sender_id": actor.pk, "gateway": "console",
                     "status": "queued", "created_at": now, "updated_at": now, "station_id": station.pk,
                     "customer_id": c.pk, "staff_id": None, "phone": c.mobile, "body": text,
                     "segments": info.segments, "encoding": info.encoding, "resend_of_id": None})
    names = list(rows[0]) if rows else []
    defaults = {f.attname: f.get_default() for f in Message._meta.concrete_fields
                if f.attname not in names and f.attname != "id" and not f.null}
    columns = [Message._meta.get_field(a).column for a in [*names, *defaults]]
    extra = tuple(defaults.values())
    return columns, [(*r.values(), *extra) for r in rows]


def _copy_baseline(columns: list[str], rows: list[tuple], topic_id: int) -> dict:
    from django.db import connection, transaction

    from messaging.models import Message

    table = connection.ops.quote_name(Message._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with harness.timer() as took:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    written = Message.objects.filter(topic_id=topic_id).count()
    with connection.cursor() as cursor:
        # Nothing else is in the table yet.  TRUNCATE leaves it as empty as ours finds it; a DELETE
        # left 97,000 dead rows, and autovacuum cleaning them up ran on the cores during our run.
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table} CASCADE")  # the throw-away database: what refers to it is empty
        else:
            cursor.execute(f"DELETE FROM {table} WHERE topic_id = %s", [topic_id])
    return {"seconds": took["seconds"], "written": written}


class _SqlTimes:
    """BENCH_SQL=1: where the database time of the timed part goes, by statement."""

    def __init__(self):
        self.times: dict[str, list] = {}

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            box = self.times.setdefault(sql[:150], [0, 0.0])
            box[0] += 1
            box[1] += time.perf_counter() - start

    def __enter__(self):
        from django.db import connection

        self._wrap = connection.execute_wrapper(self)
        self._wrap.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrap.__exit__(*exc)

    def report(self):
        for sql, (count, seconds) in sorted(self.times.items(), key=lambda kv: -kv[1][1])[:12]:
            print(f"   sql {seconds:7.2f} s {count:5d}×  {sql}")


class _Broker:
    """Where send_batch.apply_async goes: the real Redis broker, or (embedded) the same task
    message built and serialised, then dropped."""

    def __init__(self):
        from django.conf import settings

        from messaging import tasks

        self.task = tasks.send_batch
        self.real = bool(settings.REDIS_URL)
        self.ids: list[int] = []
        self.batches = 0
        self._apply_async = self.task.apply_async

    def __enter__(self):
        def apply_async(args, **options):
            self.ids.extend(args[0])
            self.batches += 1
            if self.real:
                return self._apply_async(args, **options)
            from kombu.utils.json import dumps

            app = self.task.app
            msg = app.amqp.as_task_v2(uuid.uuid4().hex, self.task.name, args=args, **options)
            dumps(msg.body)
            dumps(msg.headers)
        self.task.apply_async = apply_async
        return self

    def __exit__(self, *exc):
        self.task.apply_async = self._apply_async
        if self.real:
            self.task.app.control.purge()  # no worker here: drop what we queued


def run(args) -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    from campaigns import tasks as campaign_tasks
    from campaigns.models import Campaign
    from campaigns.services.campaigns import campaign_create, campaign_run
    from messaging.models import Message

    postgres = connection.vendor == "postgresql"
    n = args.n or (100_000 if postgres else 20_000)
    settings.SMS_GATEWAY = "console"
    actor, topic, copy_topic, station, mobiles = _setup(n)
    expected = sum(1 for i in range(n) if i % 50 and i % 97)  # who has a mobile

    columns, rows = _baseline_rows(mobiles, expected, copy_topic, station, actor)
    baseline = _copy_baseline(columns, rows, copy_topic.pk)
    del rows

    campaign_tasks.run_campaign.delay = lambda pk: None  # we run it here, timed
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    sql = _SqlTimes() if os.environ.get("BENCH_SQL") else contextlib.nullcontext()
    with _Broker() as broker, sql:
        with harness.timer() as ours:
            if profile:
                profile.enable()
            with transaction.atomic():
                campaign = campaign_create(actor=actor, name="基准", topic=topic, season="2025-2026",
                                           filters={}, no_repeat=True)
            campaign_run(campaign.pk)
            if profile:
                profile.disable()
    if os.environ.get("BENCH_SQL"):
        sql.report()
    if profile:
        profile.dump_stats(os.environ["BENCH_PROFILE"])  # the timed part only; slower under the profiler
    campaign = Campaign.objects.get(pk=campaign.pk)
    created = Message.objects.filter(campaign_id=campaign.pk).count()
    errors = int(created != len(broker.ids) or created != expected or baseline["written"] != expected
                 or campaign.status not in ("sending", "finished"))

    # The live preview after the campaign: every skip reason counted over the whole audience in one query.
    from campaigns.audience import SendRules, compile_audience, preview_counts

    with harness.timer() as preview_time:
        preview = preview_counts(compile_audience(actor=actor, filters={}),
                                 SendRules.for_topic(topic, "2025-2026", no_repeat=True))
    errors += int(preview.skipped.get("already_sent") != created)

    rate = created / ours["seconds"]
    ratio = ours["seconds"] / baseline["seconds"]
    out = {
        "name": "campaign", "n": n, "messages": created, "skipped": campaign.skipped,
        "seconds": round(ours["seconds"], 2), "rate": round(rate, 1),
        "baseline": (f"raw COPY of {baseline['written']} messaging_message rows" if postgres
                     else f"one executemany INSERT of {baseline['written']} messaging_message rows (SQLite)"),
        "baseline_seconds": round(baseline["seconds"], 3), "ratio": round(ratio, 2),
        "ratio_means": "ours seconds ÷ baseline seconds (lower is better)",
        "goal_ratio": GOAL_RATIO, "goal_rate": GOAL_RATE,
        "goal_ratio_met": ratio <= GOAL_RATIO, "goal_rate_met": rate >= GOAL_RATE,
        "errors": errors, "broker": "redis" if broker.real else "serialised, not sent (no REDIS_URL)",
        "batches": broker.batches,
        "cpu_ms_per_item": round(ours["cpu"] * 1000 / max(created, 1), 3), "peak_mb": round(harness.peak_rss_mb(), 1),
        "chunk_size": settings.CAMPAIGN_CHUNK_SIZE, "preview_ms": round(preview_time["seconds"] * 1000, 1),
    }
    print(f"   {created} messages written and queued in {out['seconds']} s ({out['rate']}/s, goal ≥ {GOAL_RATE}); "
          f"baseline {out['baseline']} {out['baseline_seconds']} s → ×{out['ratio']} (goal ≤ {GOAL_RATIO}); "
          f"preview of {n} with every skip reason {out['preview_ms']} ms")
    return out
