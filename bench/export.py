"""export: 100,000 SMS delivery records to Excel, streamed, against a naive load-everything export.

Builds one station per size (10,000, 30,000 and 100,000 messages by default;
`--n` sets the largest) so that a station supervisor's unfiltered export is
exactly that many rows.  Each export runs in its own process, so its peak
memory (ru_maxrss) is its own:

  streamed  the real background export (`export_job_run`): the station-scoped
            record query read through a cursor, rows written by openpyxl's
            write-only mode to a temporary file, the file stored in chunks;
  naive     the same query loaded into a list, a normal openpyxl workbook,
            every cell kept in memory until it is saved.

Goal: the streamed export's peak memory stays flat (< 150 MB) from 10,000 to
100,000 rows.  `ratio` is streamed seconds ÷ naive seconds at the largest size
(below 1: faster)."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import harness

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 30_000, 100_000)
PEAK_GOAL_MB = 150


def _sizes(n: int | None) -> list[int]:
    top = n or SIZES[-1]
    return sorted({s for s in SIZES if s < top} | {top})


def _build(sizes: list[int]) -> dict[int, tuple[int, int]]:
    """One station, supervisor and message history per size: {size: (user id, job id)}."""
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from core_billing.models import Building, Community, Customer, CustomerType, Station, User
    from core_billing.roles import Role, sync_roles
    from messaging.models import Message, Topic
    from reports.models import ExportJob

    sync_roles()
    ctype = CustomerType.objects.create(code="residential", name="居民")
    sender = User.objects.create_superuser("bench-export-admin", password="bench-pass-123")
    now = timezone.now()
    out = {}
    for k, size in enumerate(sizes, start=1):
        with transaction.atomic():
            station = Station.objects.create(code=f"E{k}", name=f"导出压测站{k}")
            community = Community.objects.create(station=station, name=f"导出小区{k}")
            building = Building.objects.create(station=station, community=community, name="1号楼", unit_count=4)
            customers = Customer.objects.bulk_create([
                Customer(station=station, building=building, unit=1 + i % 4, room=f"{i}", account_no=f"E{k}{i:06d}",
                         name=f"王芳{i}", customer_type=ctype, area=88, mobile=f"+86139{k}{i:07d}")
                for i in range(500)])
            topic = Topic.objects.create(station=station, name=f"供热通知{k}", kind="notice",
                                         body="尊敬的{{ customer_name }}，本采暖期将于11月1日正式供热。")
            user = User.objects.create_user(f"bench-export-sup{k}", password="bench-pass-123", station=station)
            user.groups.add(Group.objects.get(name=Role.SUPERVISOR))
        batch = []
        for i in range(size):
            c = customers[i % len(customers)]
            failed = i % 11 == 0
            at = now - dt.timedelta(seconds=size - i)
            batch.append(Message(
                station=station, topic=topic, kind="notice", season="2025-2026", customer=c, phone=c.mobile,
                body=f"尊敬的{c.name}，本采暖期将于11月1日正式供热，如家中暖气不热请拨打0412-96000。回T退订",
                segments=2, sender=sender, gateway="twilio", gateway_ref=f"SMX{k}{i:09d}", attempts=1,
                status="failed" if failed else "delivered", error_code="30003" if failed else "",
                error_text="Unreachable destination handset" if failed else "", created_at=at, sent_at=at,
                delivered_at=None if failed else at, failed_at=at if failed else None, updated_at=at))
            if len(batch) == 5000:
                Message.objects.bulk_create(batch)
                batch = []
        Message.objects.bulk_create(batch)
        job = ExportJob.objects.create(station=station, actor=user, source="messages", title="短信发送记录",
                                       params={}, total_rows=size, filename=f"bench-{size}.xlsx")
        out[size] = (user.pk, job.pk)
    return out


def _child_env(db_file: str | None) -> dict:
    from django.db import connection

    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0", "LOG_LEVEL": "WARNING"}
    if db_file:
        env["DATABASE_URL"] = f"sqlite:///{db_file}"
        return env
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env["DATABASE_URL"] = url
    return env


def _measure(mode: str, user_id: int, job_id: int, env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench._export_child", mode, str(user_id), str(job_id)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} export failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(args) -> dict:
    from django.db import connection

    sizes = _sizes(args.n)
    with harness.timer() as build:
        made = _build(sizes)
    print(f"   built {sum(sizes)} messages in {build['seconds']:.1f}s", flush=True)
    db_file = None
    if connection.vendor == "sqlite":
        # The benchmark database lives in this process's memory; the children read a copy of it.
        db_file = tempfile.NamedTemporaryFile(prefix="bench-export-", suffix=".sqlite3", delete=False).name
        connection.ensure_connection()
        target = __import__("sqlite3").connect(db_file)
        connection.connection.backup(target)
        target.close()
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE messaging_message")
    env = _child_env(db_file)
    table = []
    try:
        for size in sizes:
            user_id, job_id = made[size]
            streamed = _measure("streamed", user_id, job_id, env)
            naive = _measure("naive", user_id, job_id, env) if size in (sizes[0], sizes[-1]) else None
            table.append({"n": size, "seconds": streamed["seconds"], "peak_mb": streamed["peak_mb"],
                          "added_mb": round(streamed["peak_mb"] - streamed["before_mb"], 1),
                          "naive_added_mb": naive and round(naive["peak_mb"] - naive["before_mb"], 1),
                          "bytes": streamed["bytes"], "naive_seconds": naive and naive["seconds"],
                          "naive_peak_mb": naive and naive["peak_mb"]})
            print(f"   {size:>7} rows: streamed {streamed['seconds']:.1f}s peak {streamed['peak_mb']:.0f} MB "
                  f"(+{streamed['peak_mb'] - streamed['before_mb']:.0f} MB over the loaded process) "
                  f"({streamed['bytes'] / 1e6:.1f} MB file)"
                  + (f"; naive {naive['seconds']:.1f}s peak {naive['peak_mb']:.0f} MB" if naive else ""), flush=True)
    finally:
        if db_file:
            os.unlink(db_file)
    top = table[-1]
    peaks = [row["peak_mb"] for row in table]
    errors = sum(1 for row in table if row["seconds"] is None)
    ratio = top["seconds"] / top["naive_seconds"] if top["naive_seconds"] else None
    flat = max(peaks) < PEAK_GOAL_MB and max(peaks) - min(peaks) < 20
    return {
        "name": "export", "n": top["n"], "seconds": top["seconds"],
        "baseline": "naive openpyxl: every row in a list, normal workbook", "baseline_seconds": top["naive_seconds"],
        "ratio": round(ratio, 2) if ratio else None, "ratio_means": "streamed seconds ÷ naive seconds (< 1: faster)",
        "rate": round(top["n"] / top["seconds"]), "peak_mb": top["peak_mb"], "baseline_peak_mb": top["naive_peak_mb"],
        "peak_mb_by_rows": {row["n"]: row["peak_mb"] for row in table},
        "export_added_mb_by_rows": {row["n"]: row["added_mb"] for row in table},
        "naive_added_mb_by_rows": {row["n"]: row["naive_added_mb"] for row in table if row["naive_added_mb"]},
        "naive_peak_mb_by_rows": {row["n"]: row["naive_peak_mb"] for row in table if row["naive_peak_mb"]},
        "seconds_by_rows": {row["n"]: row["seconds"] for row in table},
        "file_mb": round(top["bytes"] / 1e6, 1), "errors": errors, "goal_met": flat,
    }
