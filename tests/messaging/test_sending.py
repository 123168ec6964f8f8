"""The sending pipeline over real HTTP to the simulator on loopback (MSG-02, MSG-03)."""
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from core_billing.errors import AppError
from messaging.models import Message, OptOut
from messaging.services import pipeline
from messaging.services.sending import Recipient, message_send_one, messages_create_bulk, staff_messages_send
from messaging.services.topics import topic_create
from messaging.signals import message_status_changed
from tests import factories as f

pytestmark = pytest.mark.django_db


def resident(org, i, phone=None):
    return f.customer(org.building1, name=f"住户{i}", room=f"R{i}", phones=[phone or f"1391234{i:04d}"])


def send(actor, recipients, **kwargs):
    return messages_create_bulk(actor=actor, recipients=recipients, **kwargs)


def test_bulk_send_reaches_the_phone_once(org, sim, django_capture_on_commit_callbacks):
    topic = topic_create(actor=org.service1, name="打压", kind="notice", body="{{ customer_name }}您好，明日打压试水。")
    customers = [org.customer1] + [resident(org, i) for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        result = send(org.service1, [Recipient(customer=c) for c in customers], topic=topic, season="2025-2026")
        assert all(m.status == "queued" for m in result.messages)  # nothing leaves before commit
        assert sim.received() == []
    assert len(result.messages) == 6 and not result.skipped
    rows = Message.objects.order_by("id")
    assert {m.status for m in rows} == {"sent"}
    phone = sim.received()
    assert sorted(p["to"] for p in phone) == sorted(c.mobile for c in customers)
    by_to = {p["to"]: p for p in phone}
    m1 = rows.get(customer=org.customer1)
    assert by_to[m1.phone]["body"] == m1.body == "【暖信热力】张伟1您好，明日打压试水。"
    assert m1.gateway_ref == by_to[m1.phone]["sid"] and m1.attempts == 1 and m1.sender == org.service1
    assert m1.station_id == org.s1.pk and m1.season == "2025-2026" and m1.topic == topic


def test_landlines_invalid_and_missing_numbers_are_reported_never_sent(org, sim, django_capture_on_commit_callbacks):
    nophone = f.customer(org.building1, name="无号码", room="R1", phones=[])
    bad = f.customer(org.building1, name="错号", room="R2", phones=["123"])
    with django_capture_on_commit_callbacks(execute=True):
        result = send(org.service1, [Recipient(customer=c) for c in (org.customer1b, nophone, bad)],
                      body="供热通知")
    assert result.messages == []
    assert sorted(s.reason for s in result.skipped) == ["invalid", "landline", "no_phone"]
    assert sim.received() == [] and not Message.objects.exists()
    with pytest.raises(AppError) as err:
        message_send_one(actor=org.service1, phone="0412-5551234", body="测试")
    assert err.value.extra["reason"] == "landline"


def test_opted_out_numbers_skip_marketing_but_get_dunning(org, sim, django_capture_on_commit_callbacks):
    OptOut.objects.create(phone=org.customer1.mobile, is_opted_out=True)
    other = resident(org, 99, "13912345670")
    marketing = topic_create(actor=org.service1, name="优惠", kind="notice", body="预交优惠开始啦", is_marketing=True)
    dunning = topic_create(actor=org.service1, name="催缴", kind="dunning", body="请尽快缴纳采暖费")
    with django_capture_on_commit_callbacks(execute=True):
        m = send(org.service1, [Recipient(customer=org.customer1), Recipient(customer=other)], topic=marketing)
        d = send(org.service1, [Recipient(customer=org.customer1)], topic=dunning)
    assert [s.reason for s in m.skipped] == ["opted_out"] and len(m.messages) == 1
    assert m.messages[0].body.endswith("回T退订")
    assert len(d.messages) == 1 and not d.messages[0].body.endswith("回T退订")
    assert sorted(p["to"] for p in sim.received()) == sorted([other.mobile, org.customer1.mobile])


def test_permanent_gateway_error_fails_at_once(org, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = message_send_one(actor=org.service1, phone="13800009999", body="测试")  # the simulator refuses *9999
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error_code) == ("failed", 1, "21211")
    assert msg.error_text == "号码无效" and msg.failed_at


def test_transient_errors_retry_three_times_then_fail(org, make_sim, django_capture_on_commit_callbacks):
    sim = make_sim(failure_rate=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error_code) == ("failed", 3, "20503")
    assert sim.stats["failed"] == 3 and sim.received() == []


def test_transient_error_then_success_and_backoff_below_visibility_timeout(org, make_sim, settings,
                                                                            django_capture_on_commit_callbacks):
    sim = make_sim(failure_rate=1.0)
    msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    with django_capture_on_commit_callbacks(execute=False) as later:
        done = pipeline.batch_send(message_ids=[msg.pk])
    assert done["errored"] == [msg.pk] and later  # the retry task waits for commit
    msg.refresh_from_db()
    assert msg.status == "errored" and msg.next_attempt_at > timezone.now()
    for attempt in (1, 2, 3):
        assert 0 < pipeline.retry_countdown(attempt) < settings.BROKER_VISIBILITY_TIMEOUT
    sim.config.failure_rate = 0.0
    pipeline.batch_send(message_ids=[msg.pk])
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error_code) == ("sent", 2, "")
    assert len(sim.received()) == 1


def test_a_batch_is_claimed_once(org, sim):
    msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    token, rows = pipeline.claim([msg.pk])
    assert [r["id"] for r in rows] == [msg.pk]
    assert pipeline.batch_send(message_ids=[msg.pk]) == {"sent": [], "failed": [], "errored": []}
    assert sim.received() == []
    # results recorded with someone else's claim change nothing
    from messaging.gateways import SendResult

    pipeline.record_results("not-my-claim", rows, [SendResult(msg.pk, True, ref="SMx")])
    msg.refresh_from_db()
    assert msg.status == "sending" and msg.gateway_ref == ""


def test_gateway_rate_limit_is_respected_and_429_is_retried(org, make_sim, settings,
                                                            django_capture_on_commit_callbacks):
    customers = [resident(org, i) for i in range(12)]
    sim = make_sim(rate=50, burst=2)  # our gateway is left unlimited: the simulator answers 429
    with django_capture_on_commit_callbacks(execute=True):
        send(org.service1, [Recipient(customer=c) for c in customers], body="通知")
    assert sim.stats["rate_limited"] > 0
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert len(sim.received()) == 12


def test_paced_gateway_gets_no_429(org, make_sim, settings, django_capture_on_commit_callbacks):
    from messaging.ratelimit import limiter

    customers = [resident(org, i) for i in range(12)]
    sim = make_sim(rate=50, burst=5, gateway_rate=40)
    limiter().reset("gateway:twilio")
    with django_capture_on_commit_callbacks(execute=True):
        send(org.service1, [Recipient(customer=c) for c in customers], body="通知")
    assert sim.stats["rate_limited"] == 0 and len(sim.received()) == 12


def test_sweeper_takes_back_messages_stuck_in_sending(org, sim, settings, django_capture_on_commit_callbacks):
    msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    pipeline.claim([msg.pk])  # a worker claimed it and died
    Message.objects.filter(pk=msg.pk).update(claimed_at=timezone.now() - timedelta(
        seconds=settings.SMS_SENDING_TIMEOUT + 5))
    with django_capture_on_commit_callbacks(execute=True):
        counts = pipeline.sweep()
    assert counts["stuck"] == 1
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == ("sent", 2)
    assert len(sim.received()) == 1


def test_sweeper_enqueues_messages_whose_task_was_lost(org, sim, django_capture_on_commit_callbacks):
    msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")  # on_commit never ran
    Message.objects.filter(pk=msg.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.sweep()["requeued"] == 1
    msg.refresh_from_db()
    assert msg.status == "sent"


def test_status_signal_after_commit_with_ids(org, sim, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, status, message_ids, **kwargs):
        seen.append((status, sorted(message_ids)))

    message_status_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ok = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
            bad = message_send_one(actor=org.service1, phone="13800009999", body="测试")
    finally:
        message_status_changed.disconnect(receiver)
    assert ("sent", [ok.pk]) in seen and ("failed", [bad.pk]) in seen


def test_station_staff_cannot_message_another_stations_customer(org, sim):
    with pytest.raises(AppError) as err:
        message_send_one(actor=org.service2, customer=org.customer1, body="测试")
    assert err.value.code == "not_found"


def test_collector_may_not_send(org, sim):
    with pytest.raises(AppError):
        message_send_one(actor=org.collector1, customer=org.customer1, body="测试")


def test_staff_notice_by_station_and_role(org, sim, django_capture_on_commit_callbacks):
    for u, n in ((org.collector1, "13911110001"), (org.service1, "13911110002"), (org.collector2, "13911110003")):
        u.mobile = n
        u.full_name = u.username
        u.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = staff_messages_send(actor=org.supervisor1, body="{{ 员工姓名 }}：明早8点开会。",
                                     roles=["collector", "customer_service"])
    # supervisor1 sees station 1 only: collector2 is not a recipient
    assert sorted(m.staff.username for m in result.messages) == ["collector1", "service1"]
    assert [s.recipient.staff.username for s in result.skipped] == []
    bodies = {p["to"]: p["body"] for p in sim.received()}
    assert bodies["+8613911110001"] == "【暖信热力】collector1：明早8点开会。"
    assert all(m.kind == "internal" and m.station_id == org.s1.pk for m in result.messages)


def test_staff_notice_skips_staff_without_mobile(org, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = staff_messages_send(actor=org.supervisor1, body="开会", roles=["collector"])
    assert result.messages == [] and [s.reason for s in result.skipped] == ["no_phone"]


def test_credentials_never_reach_the_log(org, make_sim, settings, caplog, django_capture_on_commit_callbacks):
    make_sim()
    token = "wrong-token-123456"
    gateways = dict(settings.SMS_GATEWAYS)
    gateways["twilio"] = {**gateways["twilio"], "AUTH_TOKEN": token}
    settings.SMS_GATEWAYS = gateways
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    msg.refresh_from_db()
    assert (msg.status, msg.error_code) == ("failed", "20003")
    assert token not in caplog.text
    from messaging.gateways import get_gateway
    from messaging.logfilters import RedactSecrets

    assert get_gateway("twilio").redact(f"url?token={token} Authorization: Basic QUM6c2VjcmV0") == \
        "url?token=*** Authorization: Basic ***"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", (token,), None)
    RedactSecrets().filter(record)
    assert token not in record.getMessage()
