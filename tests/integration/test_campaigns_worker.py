"""Two campaigns with the same season + topic, started at the same moment, run by two real Celery
worker processes on PostgreSQL + Redis: every customer gets at most one message (CMP-02), and two
resend presses at once send each failure once (MSG-06)."""
import collections
import threading

import pytest
from django.db import connection

from campaigns.models import Campaign, NoRepeatClaim
from campaigns.services.campaigns import campaign_create
from campaigns.services.resend import messages_resend_failed
from core_billing.models import Customer, CustomerPhone
from messaging.models import Message
from messaging.services.topics import topic_create
from messaging.services.transitions import transition
from tests import factories as f
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration
N = 1500


def _households(org, n):
    """n households with mobiles in station 1, in bulk."""
    bldg = org.building1
    ctype = f.customer_type()
    rows = [Customer(station_id=bldg.station_id, building=bldg, unit=1 + i % 3, room=f"H{i}", account_no=f"C{i:07d}",
                     name=f"住户{i}", customer_type=ctype, area="80.00", mobile=f"+86139{i:08d}",
                     contact_kind="mobile") for i in range(n)]
    made = Customer.objects.bulk_create(rows, batch_size=1000)
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, raw=c.mobile, number=c.mobile, kind="mobile",
                                                     is_primary=True) for c in made], batch_size=1000)


def test_two_campaigns_at_once_send_each_customer_once(org, celery_workers, make_sim, monkeypatch, settings):
    f.season()
    sim = make_sim()
    monkeypatch.setenv("TWILIO_API_BASE", sim.url)
    monkeypatch.setenv("TWILIO_RATE", "5000")
    monkeypatch.setenv("SMS_GATEWAY", "twilio")
    monkeypatch.setenv("CAMPAIGN_CHUNK_SIZE", "200")  # many chunks each, so the two interleave
    monkeypatch.setenv("CAMPAIGN_QUIET_HOURS", "")
    settings.CAMPAIGN_QUIET_HOURS = None
    _households(org, N)
    topic = topic_create(actor=org.admin, name="打压试水", kind="notice", company_wide=True,
                         body="{{ 客户名称 }}您好，明日打压试水。")
    celery_workers.start("c1", concurrency=2)
    celery_workers.start("c2", concurrency=2)

    barrier = threading.Barrier(2)
    made = []

    def start(name):
        try:
            barrier.wait(timeout=10)
            made.append(campaign_create(actor=org.service1, name=name, topic=topic, season="2025-2026",
                                        filters={"buildings": [org.building1.pk]}))
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 2

    def done():
        # a campaign whose every customer the other one claimed first writes no message and finishes at once
        return all(c.status in ("sending", "finished") for c in Campaign.objects.all())

    wait_until(done, timeout=240, interval=0.5, message="both campaigns created all their messages")
    per_customer = collections.Counter(Message.objects.filter(campaign_id__isnull=False)
                                       .values_list("customer_id", flat=True))
    assert max(per_customer.values()) == 1, "a customer got two messages"
    reachable = N + 1  # the org's own mobile customer
    assert len(per_customer) == reachable
    a, b = Campaign.objects.order_by("pk")
    assert a.created_count + b.created_count == reachable
    assert a.skipped.get("already_sent", 0) + b.skipped.get("already_sent", 0) == reachable
    assert NoRepeatClaim.objects.count() == reachable
    # every message past the gateway call (a message in `sending` may not have reached the simulator yet)
    wait_until(lambda: not Message.objects.filter(status__in=["queued", "sending", "errored"]).exists(),
               timeout=240, interval=1, message="the workers sent every message")
    phones = collections.Counter(m["to"] for m in sim.received(limit=10 * N))
    assert max(phones.values()) == 1 and len(phones) == reachable


def test_two_resend_presses_at_once_send_once(org, real_services, settings, django_capture_on_commit_callbacks):
    f.season()
    settings.SMS_GATEWAY = "console"
    _households(org, 300)
    topic = topic_create(actor=org.admin, name="通知", kind="notice", company_wide=True, body="{{ 客户名称 }}您好。")
    campaign = campaign_create(actor=org.service1, name="x", topic=topic, season="2025-2026", filters={},
                               no_repeat=True)
    from campaigns.services.campaigns import campaign_run

    campaign_run(campaign.pk)
    ids = list(Message.objects.filter(campaign_id=campaign.pk).values_list("pk", flat=True))
    transition(ids, "sending")
    transition(ids, "failed", error_code="30003")
    # the failure signal fires on commit in production; here release the claims as the receiver would
    from campaigns.receivers import on_message_status

    on_message_status(sender=Message, status="failed", message_ids=ids)
    barrier = threading.Barrier(2)
    results = []

    def press():
        try:
            barrier.wait(timeout=10)
            results.append(messages_resend_failed(actor=org.service1, filters={"campaign": campaign.pk}))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.resent for r in results) == len(ids)
    resends = collections.Counter(Message.objects.filter(resend_of__isnull=False).values_list("resend_of_id",
                                                                                          flat=True))
    assert len(resends) == len(ids) and max(resends.values()) == 1
