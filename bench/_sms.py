"""What the SMS benchmarks share: the simulator in its own process, the gateway
pointed at it, messages written in bulk, and "a worker process" — the
send_batch task body run on a pool of threads, as `celery worker
--pool=threads` runs it (in this process, so its CPU time is measurable and
the throw-away database of `python -m bench` is visible)."""
from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(*, rate: float, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "smsgate_sim", "--port", str(port), "--rate", str(rate),
         "--latency-ms", "0", "--receipt-latency-ms", "0", "--undelivered-rate", "0", *(extra or [])],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/sim/stats", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the SMS simulator did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def sim_stats(url: str) -> dict:
    return requests.get(f"{url}/sim/stats", timeout=10).json()


def point_gateway(url: str, *, rate: float, callback: str = "", concurrency: int = 4) -> None:
    from messaging.gateways import reset_gateways

    gateways = copy.deepcopy(settings.SMS_GATEWAYS)
    gateways["twilio"].update({"API_BASE": url, "STATUS_CALLBACK": callback, "RATE": rate,
                               "CONCURRENCY": concurrency})
    settings.SMS_GATEWAYS = gateways
    settings.SMS_GATEWAY = "twilio"
    reset_gateways()


def station(code: str = "B1"):
    """Each benchmark writes under its own station: one `python -m bench` run shares the database."""
    from core_billing.models import Station

    return Station.objects.get_or_create(code=code, defaults={"name": f"基准站{code}"})[0]


def make_messages(n: int, *, code: str, body: str = "基准测试：明日供热，请注意室内温度。") -> tuple[list[int], float]:
    """n queued messages to distinct mobiles; returns their ids and the seconds it took."""
    from messaging.services import sending

    collected: list[int] = []
    real_enqueue = sending.enqueue
    sending.enqueue = collected.extend  # the benchmark hands batches to its own worker threads
    # Numbers ending 0000 or 9999 are the simulator's undelivered and invalid ones.
    phones = [f"+86137{i:08d}" for i in range(1, 2 * n + 2) if i % 10000 not in (0, 9999)][:n]
    try:
        st = station(code)
        started = time.perf_counter()
        for start in range(0, n, 5000):
            sending.messages_create_bulk(actor=None, station=st, body=body,
                                         recipients=[sending.Recipient(phone=p) for p in phones[start:start + 5000]])
        return collected, time.perf_counter() - started
    finally:
        sending.enqueue = real_enqueue


def run_worker(ids: list[int], *, threads: int = 4) -> dict:
    """Send every batch the way one worker process does; returns timing and CPU.

    Celery runs eagerly here, so a retry happens at once inside the batch
    instead of going to a broker that no worker of this run reads."""
    from config.celery import app
    from messaging.services.pipeline import batch_send

    app.conf.task_always_eager = True
    if connection.vendor == "sqlite":
        # The benchmark's SQLite database lives in memory, where connections of
        # several threads lock each other's tables: one thread then (the
        # gateway still sends each batch on its own pool of connections).
        threads = 1
    size = settings.SMS_BATCH_SIZE
    batches = [ids[i:i + size] for i in range(0, len(ids), size)]
    durations: list[float] = []

    def one(batch):
        t = time.perf_counter()
        try:
            return batch_send(message_ids=batch)
        finally:
            durations.append(time.perf_counter() - t)

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(one, batches))
        elapsed = time.perf_counter() - wall, time.process_time() - cpu
        close_all_in(pool, threads)
    return {"seconds": elapsed[0], "cpu": elapsed[1], "durations": durations,
            "sent": sum(len(r["sent"]) for r in results)}


def close_all_in(pool: ThreadPoolExecutor, threads: int) -> None:
    """Close each pool thread's database connection (a barrier makes every thread take one)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(threads)

    def close():
        barrier.wait(timeout=30)
        connections.close_all()

    for future in [pool.submit(close) for _ in range(threads)]:
        future.result()


def reset_rate(key: str = "gateway:twilio") -> None:
    from messaging.ratelimit import limiter

    limiter().reset(key)


def vendor() -> str:
    return connection.vendor


def outcome(code: str) -> tuple[int, dict]:
    """(messages sent, {"status error_code": count} of those not sent) for one benchmark's station."""
    from django.db.models import Count

    from messaging.models import Message

    rows = (Message.objects.filter(station__code=code).values_list("status", "error_code")
            .annotate(n=Count("id")).order_by())
    counts = {f"{status} {error}".strip(): n for status, error, n in rows}
    return counts.pop("sent", 0), counts
