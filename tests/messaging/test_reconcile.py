"""A resend after a timeout, a 5xx or a dead worker first asks the gateway
whether it already has the message: outages and crashes cause no duplicates."""
import requests

from messaging.models import Message
from messaging.services.pipeline import batch_send
from messaging.services.sending import Recipient, messages_create_bulk
from tests import factories as f
from tests.messaging.fixtures import point_twilio_at


def _people(org, n):
    return [f.customer(org.building1, name=f"住户{i}", room=f"R{i}", phones=[f"1391234{i:04d}"]) for i in range(n)]


# Retries are scheduled on commit, which never comes inside a test's transaction:
# each test calls batch_send itself for the first attempt and for the retry.


def test_answer_lost_after_acceptance_is_not_sent_twice(org, make_sim, settings):
    """The gateway accepted but answered after our timeout: the retry finds the message instead of resending."""
    sim = make_sim(timeout_s=1.5)
    point_twilio_at(settings, sim.url, TIMEOUT=0.5)
    people = _people(org, 3)
    sim.outage(60, "slow")
    result = messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=c) for c in people],
                                  body="明日停热检修")
    batch_send(message_ids=result.message_ids)
    rows = list(Message.objects.filter(pk__in=result.message_ids).values_list("status", "error_code"))
    assert rows == [("errored", "timeout")] * 3
    assert len(sim.received()) == 3  # the simulator has them all the same
    sim.outage(0)
    batch_send(message_ids=result.message_ids)  # the retry
    sent = {m.pk: m for m in Message.objects.filter(pk__in=result.message_ids)}
    assert {m.status for m in sent.values()} == {"sent"}
    assert {m.gateway_ref for m in sent.values()} == {r["sid"] for r in sim.received()}
    assert len(sim.received()) == 3  # nobody got it twice


def test_500s_are_retried_and_each_phone_gets_one(org, make_sim):
    sim = make_sim()
    people = _people(org, 4)
    response = requests.post(f"{sim.url}/sim/outage", json={"seconds": 60, "mode": "500"}, timeout=5)
    assert response.status_code == 200
    result = messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=c) for c in people],
                                  body="明日停热检修")
    batch_send(message_ids=result.message_ids)
    assert set(Message.objects.filter(pk__in=result.message_ids).values_list("status", flat=True)) == {"errored"}
    assert sim.received() == []
    sim.outage(0)
    batch_send(message_ids=result.message_ids)
    assert set(Message.objects.filter(pk__in=result.message_ids).values_list("status", flat=True)) == {"sent"}
    assert sorted(m["to"] for m in sim.received()) == sorted(c.mobile for c in people)


def test_dead_worker_leftovers_are_found_not_resent(org, make_sim, django_capture_on_commit_callbacks):
    """A worker sent the batch and died before recording it; the sweeper's retry asks first."""
    from django.utils import timezone

    from messaging.services.pipeline import claim, sweep

    sim = make_sim()
    people = _people(org, 2)
    result = messages_create_bulk(actor=org.service1, recipients=[Recipient(customer=c) for c in people],
                                  body="供热通知")
    token, rows = claim(result.message_ids)
    from messaging.services.pipeline import call_gateway

    call_gateway("twilio", rows)  # reaches the gateway ... and the worker dies here
    assert len(sim.received()) == 2
    later = timezone.now() + timezone.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep(now=later)
    assert counts["stuck"] == 2
    assert set(Message.objects.filter(pk__in=result.message_ids).values_list("status", flat=True)) == {"sent"}
    assert len(sim.received()) == 2
