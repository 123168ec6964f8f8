"""records: the delivery-record query on 1,000,000 messages, keyset pages against OFFSET.

Builds `--n` messages (default 1,000,000 on PostgreSQL, 100,000 on SQLite)
in a few set-based INSERT … SELECT statements (generate_series on
PostgreSQL, a recursive CTE on SQLite) across three stations, four topics,
two seasons, campaigns, senders and 200,000 phone numbers, with the
delivery mix of a real season (mostly delivered, a few % failed).  Then it
times, as the records page runs them (message_list + message_page):

  first page   newest 50 for a station's supervisor and for head office, and
               filtered by status, phone, season + topic, campaign, sender;
  deep page    the page DEPTH rows down a station's records, by cursor
               (keyset) and by OFFSET (the baseline, same rows);
  counts       the status counts of a station's records, of everything, and
               of one season + topic.

It writes EXPLAIN (ANALYZE, BUFFERS) of the main queries to
var/bench-records-plans.txt (EXPLAIN QUERY PLAN on SQLite).  `seconds` is
the deep keyset page, `baseline_seconds` the OFFSET page at the same depth,
`ratio` keyset ÷ OFFSET (below 1: faster).  The database is the harness's
throw-away one, dropped afterwards."""
from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

from bench import harness

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "var" / "bench-records-plans.txt"
DEFAULT_N = {"postgresql": 1_000_000, "sqlite": 100_000}
REPEAT = 7
STATUS_MIX = "CASE WHEN i % 25 = 0 THEN 'failed' WHEN i % 20 = 1 THEN 'sent' WHEN i % 97 = 3 THEN 'queued' " \
             "ELSE 'delivered' END"


def _setup():
    from django.contrib.auth.models import Group

    from core_billing.models import Station, User
    from core_billing.roles import Role, sync_roles
    from messaging.models import Topic

    sync_roles()
    stations = [Station.objects.create(code=f"R{k}", name=f"记录压测站{k}") for k in range(1, 4)]
    topics = [Topic.objects.create(station=None, name=f"压测主题{k}", kind="notice", body="供热通知") for k in range(4)]
    head = User.objects.create_superuser("bench-records-admin", password="bench-pass-123")
    supervisor = User.objects.create_user("bench-records-sup", password="bench-pass-123", station=stations[0])
    supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    senders = [head, supervisor, User.objects.create_user("bench-records-svc", password="bench-pass-123",
                                                          station=stations[1])]
    return stations, topics, senders, User.objects.get(pk=head.pk), User.objects.get(pk=supervisor.pk)


def _insert(n: int, stations, topics, senders) -> float:
    """n messages, newest at now, one every 20 s back (about eight months); returns seconds."""
    from django.db import connection

    st = stations
    t = [x.pk for x in topics]
    se = [x.pk for x in senders]
    pg = connection.vendor == "postgresql"
    # SQLite keeps datetimes as text: write them exactly as Django does (6
    # fractional digits), or cursor comparisons would compare unlike strings.
    now = "now()" if pg else "strftime('%%Y-%%m-%%d %%H:%%M:%%S', 'now') || '.000000'"
    created = ("now() - ((%(n)s - i) * interval '20 seconds')" if pg
               else "strftime('%%Y-%%m-%%d %%H:%%M:%%S', 'now', '-' || ((%(n)s - i) * 20) || ' seconds') || '.000000'")
    lpad = "lpad((i %% 200000)::text, 8, '0')" if pg else "substr('00000000' || (i %% 200000), -8, 8)"
    select = f"""
        SELECT CASE i %% 3 WHEN 0 THEN {st[0].pk} WHEN 1 THEN {st[1].pk} ELSE {st[2].pk} END,
               CASE i %% 5 WHEN 0 THEN NULL WHEN 1 THEN {t[0]} WHEN 2 THEN {t[1]} WHEN 3 THEN {t[2]} ELSE {t[3]} END,
               'notice', false,
               CASE WHEN i < %(n)s * 3 / 10 THEN '2024-2025' ELSE '2025-2026' END,
               CASE WHEN i %% 10 < 4 THEN i / 20000 + 1 ELSE NULL END,
               CASE WHEN i %% 1000 = 7 THEN i ELSE NULL END,
               '+86138' || {lpad},
               '尊敬的用户，本采暖期将于11月1日正式供热，如家中暖气不热请拨打0412-96000。回T退订', 2, 'ucs2',
               CASE i %% 4 WHEN 0 THEN NULL WHEN 1 THEN {se[0]} WHEN 2 THEN {se[1]} ELSE {se[2]} END,
               'twilio', 'SM' || i, 1, {STATUS_MIX.replace('%', '%%')},
               CASE WHEN i %% 25 = 0 THEN '30003' ELSE '' END,
               CASE WHEN i %% 25 = 0 THEN 'Unreachable destination handset' ELSE '' END,
               '', {created}, {now}
    """
    insert = """INSERT INTO messaging_message (station_id, topic_id, kind, is_marketing, season, campaign_id,
                  work_order_id, phone, body, segments, encoding, sender_id, gateway, gateway_ref, attempts, status,
                  error_code, error_text, claim, created_at, updated_at) """
    step = 250_000
    with harness.timer() as took:
        for start in range(0, n, step):
            end = min(n, start + step) - 1
            with connection.cursor() as cur:
                if pg:
                    cur.execute(insert + select + " FROM generate_series(%(start)s, %(end)s) AS g(i)",
                                {"n": n, "start": start, "end": end})
                else:
                    cur.execute(insert + "WITH RECURSIVE g(i) AS (SELECT %(start)s UNION ALL SELECT i + 1 FROM g "
                                "WHERE i < %(end)s) " + select + " FROM g", {"n": n, "start": start, "end": end})
            print(f"   inserted {end + 1:,} / {n:,}", flush=True)
        with connection.cursor() as cur:
            # What autovacuum does to a table after a load this size: statistics,
            # and the visibility map that lets counts read an index alone.
            cur.execute("VACUUM ANALYZE messaging_message" if pg else "ANALYZE")
    return took["seconds"]


def _time(fn, repeat: int = REPEAT) -> dict:
    fn()  # warm: the first run pays for cold pages, the page does not
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return {"p50_ms": round(statistics.median(runs), 2), "max_ms": round(runs[-1], 2)}


def _explain(out, title: str, qs) -> list[str]:
    from django.db import connection

    plan = (qs.explain(analyze=True, buffers=True) if connection.vendor == "postgresql" else qs.explain())
    out.write(f"== {title}\n{qs.query}\n\n{plan}\n\n")
    return plan.splitlines()


def run(args) -> dict:
    from django.db import connection
    from django.db.models import Count

    from messaging.selectors.messages import Cursor, _older_than, message_list, message_page, status_counts

    n = args.n or DEFAULT_N.get(connection.vendor, 100_000)
    depth = min(100_000, n // 6)  # well inside a station's third of the rows
    stations, topics, senders, head, supervisor = _setup()
    insert_seconds = _insert(n, stations, topics, senders)
    print(f"   built {n:,} messages in {insert_seconds:.1f}s ({n / insert_seconds:,.0f}/s)", flush=True)

    mine = message_list(actor=supervisor)
    everything = message_list(actor=head)
    phone = "+8613800012345"
    filtered = {
        "status=failed (head office)": message_list(actor=head, status="failed"),
        "phone": message_list(actor=supervisor, phone=phone),
        "season+topic": message_list(actor=supervisor, season="2025-2026", topic=topics[1].pk),
        "campaign": message_list(actor=head, campaign=3),
        "sender (head office)": message_list(actor=head, sender=senders[2].pk),
        "station (head office)": message_list(actor=head, station=stations[1].pk),
        "last 7 days": message_list(actor=supervisor, date_from=head.date_joined.date() - dt.timedelta(days=7)),
    }
    # The row DEPTH down a station's records: where a user clicking "older" 2,000 times would be.
    at = mine.order_by("-created_at", "-id").values_list("created_at", "id")[depth - 1]
    cursor = Cursor(at[0], at[1])
    keyset_rows = [m.pk for m in message_page(mine, after=cursor).rows]
    offset_rows = [m.pk for m in mine.order_by("-created_at", "-id")[depth:depth + 50]]
    assert keyset_rows == offset_rows, "keyset and OFFSET pages differ"

    timings = {
        "first page, station": _time(lambda: message_page(mine)),
        "first page, head office": _time(lambda: message_page(everything)),
        **{f"first page, {k}": _time(lambda qs=qs: message_page(qs)) for k, qs in filtered.items()},
        f"deep page {depth:,}, keyset": _time(lambda: message_page(mine, after=cursor)),
        f"deep page {depth:,}, OFFSET": _time(lambda: list(mine.order_by("-created_at", "-id")[depth:depth + 50])),
        "counts, station": _time(lambda: status_counts(mine), repeat=3),
        "counts, head office": _time(lambda: status_counts(everything), repeat=3),
        "counts, season+topic": _time(lambda: status_counts(filtered["season+topic"]), repeat=3),
    }
    for name, t in timings.items():
        print(f"   {name:40} p50 {t['p50_ms']:9.2f} ms   max {t['max_ms']:9.2f} ms", flush=True)

    PLANS.parent.mkdir(parents=True, exist_ok=True)
    first_lines = {}
    with open(PLANS, "w") as out:
        out.write(f"bench records: {n:,} messages on {connection.vendor}\n\n")
        page = lambda qs: qs.order_by("-created_at", "-id")[:51]  # noqa: E731 (what message_page runs)
        for title, qs in (
                ("first page, station", page(mine)),
                ("first page, head office", page(everything)),
                ("first page, status=failed (head office)", page(filtered["status=failed (head office)"])),
                ("first page, season+topic", page(filtered["season+topic"])),
                ("first page, phone", page(filtered["phone"])),
                ("first page, campaign", page(filtered["campaign"])),
                (f"deep page {depth:,}, keyset", page(mine.filter(_older_than(cursor)))),
                (f"deep page {depth:,}, OFFSET", mine.order_by("-created_at", "-id")[depth:depth + 50]),
                ("counts, station", mine.order_by().values_list("status").annotate(n=Count("id"))),
                ("counts, head office", everything.order_by().values_list("status").annotate(n=Count("id"))),
        ):
            lines = _explain(out, title, qs)
            first_lines[title] = [line.strip() for line in lines if "Scan" in line or "Execution Time" in line
                                  or "SEARCH" in line or "SCAN" in line][:4]
    for title, lines in first_lines.items():
        print(f"   plan {title}: {' | '.join(lines)}")
    print(f"   plans: {PLANS}")

    keyset = timings[f"deep page {depth:,}, keyset"]["p50_ms"] / 1000
    offset = timings[f"deep page {depth:,}, OFFSET"]["p50_ms"] / 1000
    firsts = sorted(t["p50_ms"] for k, t in timings.items() if k.startswith("first page"))
    return {"name": "records", "n": n, "seconds": round(keyset, 5), "baseline": f"OFFSET {depth}",
            "baseline_seconds": round(offset, 5), "ratio": round(keyset / offset, 4) if offset else None,
            "ratio_means": "deep keyset page time ÷ OFFSET page time at the same depth (below 1: faster)",
            "rate": round(n / insert_seconds), "p50_ms": firsts[len(firsts) // 2], "p99_ms": firsts[-1],
            "first_page_station_ms": timings["first page, station"]["p50_ms"],
            "first_page_head_office_ms": timings["first page, head office"]["p50_ms"],
            "counts_station_ms": timings["counts, station"]["p50_ms"],
            "counts_head_office_ms": timings["counts, head office"]["p50_ms"],
            "build_seconds": round(insert_seconds, 1), "depth": depth, "plans": str(PLANS.relative_to(ROOT)),
            "errors": 0, "database": connection.vendor}
