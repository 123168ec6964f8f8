"""Campaigns: sending in chunks, no-repeat claims, quiet hours, pause / resume / cancel, finishing."""
import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, NoRepeatClaim
from campaigns.services.campaigns import (campaign_cancel, campaign_create, campaign_pause, campaign_resume,
                                          campaign_run_chunk, campaigns_start_due)
from campaigns.signals import campaign_finished
from core_billing.errors import AppError, PermissionDeniedError
from messaging.models import Message
from messaging.services.transitions import transition

pytestmark = pytest.mark.django_db
SEASON = "2025-2026"


@pytest.fixture
def finished_signals():
    got = []

    def listen(sender, **kwargs):
        got.append(kwargs)

    campaign_finished.connect(listen, dispatch_uid="test-listen")
    yield got
    campaign_finished.disconnect(dispatch_uid="test-listen")


def make(org, topic, *, run=True, capture=None, **kwargs):
    kwargs.setdefault("filters", {"buildings": [org.building1.pk]})
    kwargs.setdefault("season", SEASON)
    return campaign_create(actor=org.service1, name=kwargs.pop("name", "打压试水"), topic=topic, **kwargs)


def finish_all(status="delivered", **fields):
    ids = list(Message.objects.exclude(status__in=["delivered", "failed"]).values_list("pk", flat=True))
    transition(ids, "sending")
    transition(ids, status, **fields)
    return ids


def test_campaign_sends_every_recipient_once_then_finishes(org, street, season, topics, sim, settings,
                                                            django_capture_on_commit_callbacks, finished_signals):
    settings.CAMPAIGN_CHUNK_SIZE = 2  # several chunks
    with django_capture_on_commit_callbacks(execute=True):
        c = make(org, topics.notice)
    c.refresh_from_db()
    assert c.status == "sending" and c.targeted == 7 and c.created_count == 4
    assert c.skipped == {"no_phone": 1, "landline": 1, "invalid": 1}
    msgs = Message.objects.filter(campaign_id=c.pk)
    assert sorted(m.customer_id for m in msgs) == sorted([street.m1.pk, street.m2.pk, street.m3.pk, street.m4.pk])
    assert len(sim.received()) == 4 and {m.status for m in msgs} == {"sent"}
    assert NoRepeatClaim.objects.filter(campaign=c, message_id__isnull=False).count() == 4
    assert finished_signals == []
    with django_capture_on_commit_callbacks(execute=True):
        finish_all()
    c.refresh_from_db()
    assert c.status == "finished" and c.finished_at
    [signal] = finished_signals
    assert signal["campaign_id"] == c.pk and signal["station_id"] == org.s1.pk and signal["status"] == "finished"
    assert signal["counts"]["delivered"] == 4 and signal["counts"]["skipped"] == 3


def test_no_repeat_skips_customers_already_sent_and_a_failure_frees_them(org, street, season, topics, sim,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = make(org, topics.notice)
    with django_capture_on_commit_callbacks(execute=True):
        second = make(org, topics.notice, name="again")
    second.refresh_from_db()
    assert second.created_count == 0 and second.skipped["already_sent"] == 4
    # without no-repeat the same customers get it again
    with django_capture_on_commit_callbacks(execute=True):
        third = make(org, topics.notice, name="anyway", no_repeat=False)
    third.refresh_from_db()
    assert third.created_count == 4
    # m1's messages finally fail: the claim is released, a new campaign reaches m1 only
    failed = list(Message.objects.filter(customer=street.m1).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        transition(failed, "failed", error_code="30003")
    assert not NoRepeatClaim.objects.filter(customer=street.m1).exists()
    with django_capture_on_commit_callbacks(execute=True):
        fourth = make(org, topics.notice, name="fourth")
    assert list(Message.objects.filter(campaign_id=fourth.pk).values_list("customer_id", flat=True)) == [street.m1.pk]


def test_marketing_campaign_in_quiet_hours_waits_for_the_morning(org, street, season, topics, sim,
                                                                  django_capture_on_commit_callbacks):
    tz = timezone.get_current_timezone()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    evening = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(21, 30)), tz)
    with django_capture_on_commit_callbacks(execute=True):
        c = make(org, topics.marketing, send_at=evening)
        plain = make(org, topics.notice, send_at=evening, name="notice")
    c.refresh_from_db()
    assert c.status == "scheduled" and c.held
    assert timezone.localtime(c.scheduled_at) == timezone.make_aware(dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(8, 0)), tz)
    assert plain.scheduled_at == evening and not plain.held  # quiet hours are for marketing only
    assert not Message.objects.filter(campaign_id=c.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_start_due(now=c.scheduled_at - dt.timedelta(minutes=1)) == 1  # only the notice
    assert Campaign.objects.get(pk=plain.pk).status == "sending"
    assert Campaign.objects.get(pk=c.pk).status == "scheduled"
    # the clock says night: a started marketing campaign holds again instead of sending
    Campaign.objects.filter(pk=c.pk).update(status="running")
    settings_quiet = ("00:00", "23:59")
    from django.test import override_settings
    with override_settings(CAMPAIGN_QUIET_HOURS=settings_quiet):
        assert campaign_run_chunk(c.pk) is False
    c.refresh_from_db()
    assert c.status == "scheduled" and c.held and c.created_count == 0
    with override_settings(CAMPAIGN_QUIET_HOURS=None), django_capture_on_commit_callbacks(execute=True):
        assert campaigns_start_due(now=c.scheduled_at) == 1
    assert Message.objects.filter(campaign_id=c.pk).count() == 4


def test_pause_resume_and_cancel(org, street, season, topics, sim, settings, django_capture_on_commit_callbacks,
                                 finished_signals):
    settings.CAMPAIGN_CHUNK_SIZE = 2
    with django_capture_on_commit_callbacks(execute=False):  # the run task is not started: we step it
        c = make(org, topics.notice)
    assert c.status == "running"
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_run_chunk(c.pk) is True
    campaign_pause(actor=org.service1, campaign=c)
    assert campaign_run_chunk(c.pk) is False  # a paused campaign writes nothing more
    c.refresh_from_db()
    assert c.status == "paused" and c.created_count == 1 and c.skipped == {"landline": 1}  # m1 and the landline
    with pytest.raises(AppError):
        campaign_pause(actor=org.service1, campaign=c)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(actor=org.service1, campaign=c)
    c.refresh_from_db()
    assert c.status == "sending" and c.created_count == 4

    with django_capture_on_commit_callbacks(execute=False):
        other = make(org, topics.marketing, name="cancel me", no_repeat=False, send_at=timezone.now()
                     + dt.timedelta(days=1))
    campaign_pause(actor=org.service1, campaign=other)
    assert campaign_resume(actor=org.service1, campaign=other).status == "scheduled"  # its time has not come
    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(actor=org.service1, campaign=other)
    other.refresh_from_db()
    assert other.status == "cancelled" and not Message.objects.filter(campaign_id=other.pk).exists()
    assert [s["campaign_id"] for s in finished_signals] == [other.pk]
    with pytest.raises(AppError):
        campaign_resume(actor=org.service1, campaign=other)
    with pytest.raises(PermissionDeniedError):
        campaign_pause(actor=org.collector1, campaign=c)


def test_a_station_cannot_send_to_another_station(org, street, season, topics):
    with pytest.raises(AppError) as err:
        campaign_create(actor=org.service1, name="x", topic=topics.notice, season=SEASON,
                        filters={"buildings": [org.building2.pk]})
    assert err.value.code == "not_found"
    with pytest.raises(AppError):
        campaign_create(actor=org.service1, name="x", topic=topics.notice, season="1999-2000", filters={})


def test_sweep_picks_up_a_run_whose_worker_vanished_and_finishes_campaigns(
        org, street, season, topics, sim, django_capture_on_commit_callbacks):
    from campaigns.services.campaigns import campaigns_sweep

    with django_capture_on_commit_callbacks(execute=False):  # the run task is lost: no worker took it
        c = make(org, topics.notice)
    Campaign.objects.filter(pk=c.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_sweep()["restarted"] == 1
    c.refresh_from_db()
    assert c.status == "sending" and c.created_count == 4
    ids = list(Message.objects.filter(campaign_id=c.pk).values_list("pk", flat=True))
    transition(ids, "delivered")  # receipts applied without their signal (a lost on-commit hook)
    assert campaigns_sweep()["finished"] == 1
    assert Campaign.objects.get(pk=c.pk).status == "finished"
