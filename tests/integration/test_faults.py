"""Faults, against the real services: a worker SIGKILLed mid-campaign, Redis
restarted mid-send, the gateway failing for 30 s, database connections cut
during a receipt storm.  The simulator's record of what reached each phone is
the judge: every recipient exactly once, nothing lost, nothing doubled."""
from __future__ import annotations

import collections
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.db import connection

from messaging.models import Message, PendingReceipt
from messaging.services.sending import Recipient, messages_create_bulk
from tests.conftest import unavailable
from tests.integration.conftest import free_port, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def wired(celery_workers, web_server, make_sim, monkeypatch, settings):
    """A simulator posting receipts to a web server process, and the worker environment pointing at both."""
    def make(**sim_options):
        web = web_server()
        sim = make_sim(callback=f"{web}/webhooks/sms/twilio/status/", receipt_latency_ms=100,
                       callback_threads=8, **sim_options)
        for key, value in {"TWILIO_API_BASE": sim.url, "PUBLIC_BASE_URL": web, "SMS_GATEWAY": "twilio",
                           "TWILIO_RATE": "500", "SMS_RETRY_BACKOFF": "2,4", "SMS_SENDING_TIMEOUT": "8",
                           "TWILIO_TIMEOUT": "2", "SMS_QUEUED_STALE_AFTER": "20",
                           "SMS_RETRY_LOST_AFTER": "10"}.items():
            monkeypatch.setenv(key, value)
        settings.PUBLIC_BASE_URL = web
        return sim
    return make


def _send(org, n: int, prefix: str = "+86139") -> list[str]:
    # numbers ending 9999 or 0000 are the simulator's "invalid" and "undelivered": not wanted here
    phones = [p for p in (f"{prefix}{i:08d}" for i in range(1, 2 * n)) if p[-4:] not in ("9999", "0000")][:n]
    result = messages_create_bulk(actor=org.service1, recipients=[Recipient(phone=p) for p in phones],
                                  body="暖信：明日8时起管网检修，停热一天，敬请谅解。")
    assert len(result.message_ids) == n
    return phones


def _sweep_until_settled(sim, *, timeout: float = 300, also=lambda: True):
    """Act as beat: run the sweeper every few seconds until every message is final and every receipt applied."""
    from messaging.tasks import apply_receipts, sweep

    def settled():
        sweep.delay()
        apply_receipts.delay()
        open_ = Message.objects.exclude(status__in=["delivered", "failed"]).count()
        return also() and open_ == 0 and sim.pending_callbacks() == 0 and not PendingReceipt.objects.filter(
            unmatched=False).exists()
    try:
        wait_until(settled, timeout=timeout, interval=3, message="every message final, every receipt applied")
    except AssertionError as exc:
        statuses = collections.Counter(Message.objects.values_list("status", "error_code"))
        pending = PendingReceipt.objects.filter(unmatched=False).count()
        raise AssertionError(f"{exc}: messages {dict(statuses)}, receipts waiting {pending}, "
                             f"callbacks pending {sim.pending_callbacks()}, simulator {sim.stats}") from None


def _judge(sim, phones: list[str]) -> None:
    record = collections.Counter(m["to"] for m in sim.received(limit=10 * len(phones)))
    doubled = [p for p, n in record.items() if n > 1]
    lost = [p for p in phones if p not in record]
    assert not doubled, f"{len(doubled)} phones got the message twice, e.g. {doubled[:3]}"
    assert not lost, f"{len(lost)} phones never got it, e.g. {lost[:3]}"
    statuses = collections.Counter(Message.objects.values_list("status", flat=True))
    assert statuses == {"delivered": len(phones)}, statuses
    assert sim.stats["callbacks_lost"] == 0


def _households(org, n: int, prefix: str = "+86139"):
    """n households with mobiles in a building of their own (bulk: the campaign is what is under test)."""
    from core_billing.models import Customer, CustomerPhone
    from core_billing.phones import classify_phones
    from tests import factories as f

    phones = [p for p in (f"{prefix}{i:08d}" for i in range(1, 2 * n)) if p[-4:] not in ("9999", "0000")][:n]
    building = f.building(org.community1, name="9号楼")
    kind = classify_phones([phones[0]])[2]
    ctype = f.customer_type()
    customers = Customer.objects.bulk_create([
        Customer(station_id=building.station_id, building=building, unit=1, room=str(i), account_no=f"K{i:07d}",
                 name=f"住户{i}", customer_type=ctype, area="80.00", mobile=phone, contact_kind=kind)
        for i, phone in enumerate(phones)], batch_size=2000)
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, raw=c.mobile, number=c.mobile, kind="mobile",
                                                     is_primary=True, position=0) for c in customers],
                                      batch_size=2000)
    return phones, building


def test_worker_killed_mid_campaign_then_restarted(org, celery_workers, wired, monkeypatch):
    """A 10,000-household campaign: the worker writing and sending it is SIGKILLed; a new
    worker and beat's sweeps (run here) finish it — every household exactly one SMS."""
    from campaigns.models import Campaign
    from campaigns.services.campaigns import campaign_create
    from campaigns.tasks import sweep as campaigns_sweep
    from messaging.services.topics import topic_create
    from tests import factories as f

    sim = wired()
    monkeypatch.setenv("CAMPAIGN_STALE_AFTER", "10")
    monkeypatch.setenv("CAMPAIGN_CHUNK_SIZE", "500")
    phones, building = _households(org, 10_000)
    f.season()
    topic = topic_create(actor=org.admin, name="检修停热", kind="notice", company_wide=True,
                         body="尊敬的{{ 客户名称 }}：明日8时起管网检修，停热一天，敬请谅解。")
    first = celery_workers.start("victim", concurrency=4)
    campaign = campaign_create(actor=org.service1, name="管网检修", topic=topic, season="2025-2026",
                               filters={"buildings": [building.pk]})
    wait_until(lambda: len(sim.received(limit=20_000)) >= 2_500, timeout=120, message="a quarter sent")
    first.send_signal(signal.SIGKILL)  # no warm shutdown, no acks: whatever it held is stranded
    first.wait(timeout=10)
    assert Message.objects.filter(status__in=["queued", "sending"]).exists() or Campaign.objects.filter(
        pk=campaign.pk, status="running").exists()
    celery_workers.start("survivor", concurrency=4)

    def campaign_done():
        campaigns_sweep.delay()
        return Campaign.objects.filter(pk=campaign.pk, status="finished").exists()
    _sweep_until_settled(sim, timeout=420, also=campaign_done)
    _judge(sim, phones)
    campaign.refresh_from_db()
    assert (campaign.targeted, campaign.created_count, campaign.skipped_total) == (10_000, 10_000, 0)


def test_gateway_failing_for_30_seconds(org, celery_workers, wired):
    sim = wired(timeout_s=3)
    celery_workers.start("w1", concurrency=4)
    phones = _send(org, 3_000)
    wait_until(lambda: len(sim.received(limit=10_000)) >= 300, timeout=60, message="sending under way")
    sim.outage(30, "mixed")  # 500s, hangs past our 2 s timeout, and accepted-but-answered-late
    time.sleep(30)
    _sweep_until_settled(sim, timeout=300)
    assert sim.stats["failed"] > 0 and sim.stats["answered_late"] > 0
    _judge(sim, phones)


def test_database_connections_cut_during_a_receipt_storm(org, celery_workers, wired):
    sim = wired(hold_callbacks=True, duplicate_rate=0.3)
    celery_workers.start("w1", concurrency=4)
    phones = _send(org, 2_000)
    wait_until(lambda: not Message.objects.filter(status__in=["queued", "sending", "errored"]).exists(),
               timeout=120, message="all accepted by the gateway")
    sim.release_callbacks()  # the storm: ~5,000 callbacks as fast as the webhook takes them
    db = connection.settings_dict["NAME"]
    with connection.cursor() as cur:
        for _ in range(10):  # cut every other connection to the test database, again and again
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", [db])
            time.sleep(0.5)
    _sweep_until_settled(sim, timeout=300)
    _judge(sim, phones)


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, so restarting it disturbs nothing else on the machine."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("the Redis restart test needs the redis-server binary (Debian: apt install redis-server)")
    port = free_port()

    def start():
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers(port), timeout=10, interval=0.1, message="redis-server up")
        return proc

    box = {"proc": start()}

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def restart(self, down_for: float = 3.0):
            box["proc"].terminate()
            box["proc"].wait(timeout=10)
            time.sleep(down_for)
            box["proc"] = start()

    yield Server()
    box["proc"].terminate()
    box["proc"].wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_redis_restarted_mid_send(org, celery_workers, wired, private_redis, monkeypatch, settings):
    from config.celery import app

    sim = wired()
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    def use_broker(url):
        # Celery caches its connection and producer pools per broker URL: point at
        # another URL and drop the cached references (not the pools: others hold them).
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    old_broker = app.conf.broker_url
    use_broker(private_redis.url)  # this process publishes there too, for this test only
    settings.REDIS_URL = private_redis.url
    try:
        celery_workers.start("w1", concurrency=4, supervised=True)
        phones = _send(org, 4_000)
        wait_until(lambda: len(sim.received(limit=10_000)) >= 800, timeout=60, message="sending under way")
        private_redis.restart(down_for=3)  # queued tasks in Redis are gone with it (no persistence)
        _sweep_until_settled(sim, timeout=300)
        _judge(sim, phones)
    finally:
        use_broker(old_broker)
