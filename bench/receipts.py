"""receipts: 20,000 signed status callbacks posted to the webhook by 20 concurrent clients; receipts applied per second (goal >= 2,000/s), none lost.

The storm: 20 clients (keep-alive connections of bench/_http.post_storm, whose
CPU per callback is reported as client_cpu_ms) post every callback, signed, to the
webhook (the web server of make serve, granian unless WEB_SERVER says gunicorn,
3 processes of 8 threads, on PostgreSQL), which verifies and stores each one,
while a Celery worker applies the stored receipts as the webhook asks it to, as
in production.  `rate` is receipts applied per second
from the first callback sent to the last receipt applied.  Then the applier
alone (the apply_receipts task body) on an inbox of as many receipts, against
the naive way, each receipt applied in its own transaction, in the same run:
that gives `ratio`.  On the embedded SQLite the webhook runs in this process
(its in-memory benchmark database no other process can see) and the inbox is
applied after the storm, so `rate` there is the two one after the other.
`errors` counts lost receipts (messages not delivered at the end) plus
non-200 answers.
"""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench import _http, harness
from bench._sms import ROOT, free_port, station
from core_billing.processes import web_server

CLIENTS = 20


def _messages(n: int, prefix: str) -> list[tuple[int, str, str]]:
    from messaging.models import Message

    st = station(f"RCPT{prefix}")
    now = timezone.now()
    rows = [Message(station=st, phone=f"+86136{i:08d}", body="基准", gateway="twilio", gateway_ref=f"SMrcpt{prefix}{i:026x}",
                    status="sent", created_at=now, updated_at=now, sent_at=now) for i in range(n)]
    made = Message.objects.bulk_create(rows, batch_size=2000)
    return [(m.pk, m.gateway_ref, m.phone) for m in made]


def _baseline(targets) -> float:
    """The storm of single-row transactions: one conditional update per receipt."""
    from messaging.services.transitions import transition

    started = time.perf_counter()
    for pk, _ref, _phone in targets:
        transition([pk], "delivered")
    return time.perf_counter() - started


def _start_web(port: int) -> subprocess.Popen:
    """The web server of make serve, its processes and threads (concurrent receipts of a process share one
    INSERT), on plain HTTP."""
    from core_billing.processes import web_server_command

    env = {**os.environ, "DATABASE_URL": harness.database_url(), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "LOG_LEVEL": "WARNING"}
    argv = web_server_command(web_server(), host="127.0.0.1", port=port, workers=3, threads=8, access_log=False)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.post(f"http://127.0.0.1:{port}/webhooks/sms/twilio/status/", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.3)
    harness.stop_group(proc)
    raise RuntimeError(f"{argv[2]} did not start")


def _start_worker() -> subprocess.Popen:
    """A Celery worker on the benchmark's database and broker, as make serve runs them; waits until it answers."""
    from config.celery import app

    app.control.purge()  # tasks an earlier run left for nobody
    name = f"bench-receipts-{os.getpid()}@127.0.0.1"
    env = {**os.environ, "DATABASE_URL": harness.database_url(), "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=threads",
                             "--concurrency=2", "--loglevel=WARNING", "--without-mingle", "--without-gossip",
                             f"--hostname={name}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name], timeout=0.5):
            return proc
    harness.stop_group(proc)
    raise RuntimeError("the Celery worker did not start")


def _fill_inbox(targets) -> None:
    """As many stored receipts as the storm posts, for timing the applier alone."""
    from messaging.gateways import Receipt
    from messaging.services.receipts import receipts_accept

    with transaction.atomic():
        receipts_accept(gateway="twilio", receipts=[Receipt(ref, phone, "delivered") for _pk, ref, phone in targets])


def _start_inprocess(port: int):
    """A single-threaded WSGI server in this process (SQLite: the database is in memory)."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Server(WSGIServer):
        request_queue_size = 128  # 20 clients connect at once; the default backlog of 5 refuses some

    server = make_server("127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(args) -> dict:
    from config.celery import app
    from messaging.gateways.twilio import compute_signature
    from messaging.models import Message, PendingReceipt
    from messaging.services.receipts import receipts_apply

    n = args.n or 20000
    app.conf.task_always_eager = False
    postgres = connection.vendor == "postgresql"
    targets = _messages(n, "a")
    base_targets = _messages(n, "b")
    baseline_seconds = _baseline(base_targets)

    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/sms/twilio/status/"
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
    if postgres:
        server = _start_web(port)
    else:
        # Nothing to coalesce in-process: the benchmark applies the receipts itself.
        from messaging.services import receipts as receipts_module

        receipts_module.schedule_soon = lambda *a, **k: None
        server = _start_inprocess(port)
    token = settings.TWILIO_AUTH_TOKEN
    bodies = []
    for _pk, ref, phone in targets:
        params = {"AccountSid": settings.TWILIO_ACCOUNT_SID, "ApiVersion": "2010-04-01", "From": "+8610690000",
                  "MessageSid": ref, "MessageStatus": "delivered", "SmsSid": ref, "SmsStatus": "delivered", "To": phone}
        bodies.append((urlencode(params), compute_signature(token, url, list(params.items()))))
    rec = _http.Recorder()

    def storm(items, target=url, record=True) -> float:
        """CLIENTS clients, each posting its next callback as soon as the last one is answered; the client's
        CPU seconds."""
        cpu = time.process_time()
        posts = [(body.encode(), {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
                 for body, signature in items]
        asyncio.run(_http.post_storm(target, posts, CLIENTS, rec if record else None, "callback"))
        return time.process_time() - cpu

    def remaining(code: str = "RCPTa") -> int:
        return Message.objects.filter(station__code=code).exclude(status="delivered").count()

    worker = None
    try:
        if postgres:
            worker = _start_worker()
            harness.wait_quiet()  # the web server's other processes and the worker finish starting before the storm
        started = time.perf_counter()
        client_cpu = storm(bodies)
        ingest_seconds = time.perf_counter() - started
        if worker is not None:  # until the worker has applied the last one (it is asked at most once a second)
            while remaining() and time.perf_counter() - started < ingest_seconds + 60:
                time.sleep(0.05)
        applied_seconds = time.perf_counter() - started
        # The floor of this HTTP stack on this machine: the same requests to a webhook that
        # refuses them after the signature check (no database), by the same 20 clients.
        floor_n = min(n, 5000)
        floor_url = url.replace("/twilio/", "/console/")
        for name in ("django.request", "webhooks.sms"):  # 5,000 expected 403s are not news
            logging.getLogger(name).setLevel(logging.ERROR)
        floor_started = time.perf_counter()
        storm(bodies[:floor_n], floor_url, record=False)
        floor_rate = floor_n / (time.perf_counter() - floor_started)
    finally:
        if postgres:
            harness.stop_group(server)
            if worker is not None:
                harness.stop_group(worker)
        else:
            server.shutdown()
    lost = remaining()
    if postgres:
        alone = _messages(n, "c")
        _fill_inbox(alone)
    stored = PendingReceipt.objects.count()
    # The apply_receipts task body, as a worker runs it, over a full inbox.
    apply_started, cpu = time.perf_counter(), time.process_time()
    rounds = 0
    while receipts_apply()["taken"]:
        rounds += 1
    apply_seconds = time.perf_counter() - apply_started
    apply_cpu = time.process_time() - cpu
    if postgres:
        lost += remaining("RCPTc")
    else:
        lost = remaining()
        applied_seconds = ingest_seconds + apply_seconds
    rate = n / applied_seconds
    applier_rate = n / apply_seconds
    baseline_rate = n / baseline_seconds
    out = {
        "name": "receipts", "n": n, "seconds": round(applied_seconds, 3), "rate": round(rate, 1),
        "rate_means": ("receipts applied per second, from the first callback sent to the last receipt applied by "
                       "the worker" if postgres else "receipts applied per second, storm then applier"),
        "ingest_seconds": round(ingest_seconds, 2), "ingest_rate": round(n / ingest_seconds, 1),
        "http_floor_rate": round(floor_rate, 1),
        "http_floor_means": "requests/s the same clients and server reach on a webhook doing no work",
        "applier_seconds": round(apply_seconds, 3), "applier_rate": round(applier_rate, 1),
        "baseline": "each receipt applied in its own transaction", "baseline_seconds": round(baseline_seconds, 2),
        "baseline_rate": round(baseline_rate, 1), "ratio": round(applier_rate / baseline_rate, 2),
        "ratio_means": "the applier alone, x faster than one transaction per receipt",
        "p50_ms": rec.ms(50), "p99_ms": rec.ms(99), "p_of": "webhook POST latency",
        "errors": lost + rec.errors, "lost": lost, "non_200": rec.errors, "stored": stored, "apply_batches": rounds,
        "clients": CLIENTS,
        "server": (f"{web_server()} 3 processes x 8 threads (as make serve), a Celery worker of 2 threads" if postgres
                   else "in-process, 1 thread"),
        "cpu_ms_per_item": round(apply_cpu * 1000 / n, 3), "peak_mb": round(harness.peak_rss_mb(), 1),
    }
    if postgres:  # in-process, the server's CPU would be counted too
        out.update(client_cpu_ms=round(client_cpu * 1000 / n, 3),
                   client_cpu_means="CPU of the load generator per callback, on the same cores as the server")
    print(f"   {n} callbacks from {CLIENTS} clients: {out['rate']}/s applied end to end; the webhook took them at "
          f"{out['ingest_rate']}/s (p99 {out['p99_ms']} ms; this HTTP stack's floor here: {out['http_floor_rate']}/s); "
          f"the applier alone {out['applier_rate']}/s in {rounds} batches vs {out['baseline_rate']}/s "
          f"one transaction each; lost {lost}, non-200 {rec.errors}")
    return out
