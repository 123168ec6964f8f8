"""2,000 messages through a real Celery worker on Redis + PostgreSQL, the simulator failing 10 % of calls
and duplicating, delaying and reordering its receipts: every message ends in its right final state and
none is sent twice.  The simulator's own record is the judge."""
import collections

import pytest

from messaging.models import Message, PendingReceipt
from messaging.services.sending import Recipient, messages_create_bulk
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration
N = 2000


def test_two_thousand_messages_end_right_and_none_twice(org, celery_workers, web_server, make_sim, monkeypatch,
                                                        settings):
    web = web_server()
    sim = make_sim(failure_rate=0.10, duplicate_rate=0.3, out_of_order_rate=0.3, delay_rate=0.1, delay_ms=1500,
                   undelivered_rate=0.03, receipt_latency_ms=100, callback=f"{web}/webhooks/sms/twilio/status/",
                   callback_threads=6)
    # The worker is another process: it learns where the simulator and our webhook are from its environment.
    monkeypatch.setenv("TWILIO_API_BASE", sim.url)
    monkeypatch.setenv("PUBLIC_BASE_URL", web)
    monkeypatch.setenv("TWILIO_RATE", "1000")
    monkeypatch.setenv("SMS_RETRY_BACKOFF", "1,2")
    monkeypatch.setenv("SMS_GATEWAY", "twilio")
    settings.PUBLIC_BASE_URL = web
    celery_workers.start("sms", concurrency=4)

    phones = [f"+861390000{i:04d}" for i in range(1, N - 9)]
    phones += [f"+86139110{i}9999" for i in range(5)]  # refused by the simulator: permanent failures
    phones += [f"+86139220{i}0000" for i in range(5)]  # accepted, then undelivered
    assert len(phones) == N
    result = messages_create_bulk(actor=org.service1, recipients=[Recipient(phone=p) for p in phones],
                                  body="暖信测试：明日供热。")
    assert len(result.messages) == N and not result.skipped

    def settled():
        open_ = Message.objects.exclude(status__in=["delivered", "failed"]).count()
        return open_ == 0 and sim.pending_callbacks() == 0 and not PendingReceipt.objects.filter(
            unmatched=False).exists()

    wait_until(settled, timeout=300, interval=1, message="every message in a final state")

    record = collections.defaultdict(list)
    for m in sim.received(limit=10 * N):
        record[m["to"]].append(m)
    assert max(len(v) for v in record.values()) == 1, "a message reached the phone twice"
    assert sim.stats["failed"] > 100  # the 10 % transient failures did happen ...
    assert sim.stats["callbacks_sent"] > 2 * len(record)  # ... and so did the duplicate receipts
    rows = {m.phone: m for m in Message.objects.all()}
    assert len(rows) == N
    for phone, msg in rows.items():
        got = record.get(phone)
        if phone.endswith("9999"):
            assert (msg.status, msg.error_code, msg.attempts, got) == ("failed", "21211", 1, None)
        elif got is None:  # three transient failures in a row (p = 0.001): failed after 3 attempts
            assert (msg.status, msg.error_code, msg.attempts) == ("failed", "20503", 3), phone
        else:
            sent = got[0]
            assert msg.gateway_ref == sent["sid"] and msg.body == sent["body"]
            assert msg.status == ("delivered" if sent["final"] == "delivered" else "failed"), phone
            assert 1 <= msg.attempts <= 3
    assert all(rows[p].status == "failed" and rows[p].error_code == "30003" for p in phones[-5:])
