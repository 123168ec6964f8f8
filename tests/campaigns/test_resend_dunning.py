"""Resend of failures (MSG-06) and dunning schemes (CMP-04)."""
import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Campaign, DunningRun, ResendLink
from campaigns.services.campaigns import campaign_create
from campaigns.services.dunning import dunning_run, dunning_run_due, dunning_scheme_create
from campaigns.services.resend import failed_to_resend, messages_resend_failed
from core_billing.errors import PermissionDeniedError
from core_billing.models import Customer, CustomerPhone
from core_billing.services.ledger import payment_take
from messaging.models import Message
from messaging.services.transitions import transition

pytestmark = pytest.mark.django_db
SEASON = "2025-2026"


@pytest.fixture
def sent_campaign(org, street, season, topics, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        c = campaign_create(actor=org.service1, name="打压", topic=topics.notice, season=SEASON,
                            filters={"buildings": [org.building1.pk]})
    ids = {m.customer_id: m.pk for m in Message.objects.filter(campaign_id=c.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        transition([ids[street.m1.pk], ids[street.m2.pk]], "failed", error_code="30003")
        transition([ids[street.m3.pk], ids[street.m4.pk]], "delivered")
    return c


def test_resend_goes_once_to_the_current_number(org, street, sent_campaign, sim, django_capture_on_commit_callbacks):
    # m1 has a new mobile since
    CustomerPhone.objects.filter(customer=street.m1).update(number="+8613911112222")
    Customer.objects.filter(pk=street.m1.pk).update(mobile="+8613911112222")
    filters = {"campaign": sent_campaign.pk}
    assert failed_to_resend(actor=org.service1, filters=filters).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        result = messages_resend_failed(actor=org.service1, filters=filters)
    assert result.resent == 2 and result.already_resent == 0
    new = {m.customer_id: m for m in Message.objects.filter(resend_of__isnull=False)}
    assert new[street.m1.pk].phone == "+8613911112222" and new[street.m1.pk].campaign_id == sent_campaign.pk
    assert new[street.m1.pk].resend_of.customer_id == street.m1.pk
    assert sim.received("+8613911112222")
    # pressing again sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        again = messages_resend_failed(actor=org.service1, filters=filters)
    assert again.resent == 0 and failed_to_resend(actor=org.service1, filters=filters).count() == 0
    assert Message.objects.filter(resend_of__isnull=False).count() == 2
    assert ResendLink.objects.count() == 2


def test_resend_skips_customers_since_sent_and_needs_the_right(org, street, sent_campaign, topics,
                                                              django_capture_on_commit_callbacks):
    # m2 has been sent the same season + topic successfully by another way meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        later = campaign_create(actor=org.service1, name="补发", topic=topics.notice, season=SEASON,
                                filters={"buildings": [org.building1.pk], "units": [2]})
    assert Message.objects.filter(campaign_id=later.pk, customer=street.m2).exists()  # the failure freed m2
    with django_capture_on_commit_callbacks(execute=True):
        result = messages_resend_failed(actor=org.service1, filters={"campaign": sent_campaign.pk})
    assert result.resent == 1 and result.already_sent == 1
    with pytest.raises(PermissionDeniedError):
        messages_resend_failed(actor=org.collector1, filters={})
    # another station sees none of them
    assert failed_to_resend(actor=org.service2, filters={}).count() == 0


@pytest.fixture
def scheme(org, street, season, topics):
    supervisor = org.supervisor1
    return dunning_scheme_create(actor=supervisor, name="冬季催缴", topic=topics.dunning, season=SEASON,
                                 start_date=dt.date(2025, 11, 1), end_date=dt.date(2026, 3, 15), every_days=15)


def test_dunning_needs_its_own_permission(org, season, topics):
    with pytest.raises(PermissionDeniedError):
        dunning_scheme_create(actor=org.service1, name="x", topic=topics.dunning, season=SEASON,
                              start_date=dt.date(2025, 11, 1), end_date=dt.date(2026, 3, 15))


def test_dunning_runs_on_schedule_once_per_date_and_only_for_customers_owing(
        org, street, scheme, sim, django_capture_on_commit_callbacks):
    owing = Customer.objects.filter(station=org.s1, arrears_seasons__gte=1).exclude(mobile="")
    assert owing.count() >= 2  # the season charged everyone
    assert scheme.due_date(dt.date(2025, 11, 20)) == dt.date(2025, 11, 16)
    assert scheme.next_date(dt.date(2025, 11, 20)) == dt.date(2025, 12, 1)
    assert dunning_run_due(today=dt.date(2025, 10, 31)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert dunning_run_due(today=dt.date(2025, 11, 20)) == 1
        assert dunning_run_due(today=dt.date(2025, 11, 21)) == 0  # same due date: not again
    assert dunning_run(scheme=scheme, due_date=dt.date(2025, 11, 16)) is None
    run = DunningRun.objects.get()
    first = set(Message.objects.filter(campaign_id=run.campaign_id).values_list("customer_id", flat=True))
    assert street.m1.pk in first and run.counts["created"] == len(first)
    # m1 pays everything: not in the next run
    m1 = Customer.objects.get(pk=street.m1.pk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_take(actor=org.collector1, customer=m1, amount=m1.arrears_total, method="cash",
                     paid_on=dt.date(2025, 11, 25))
    assert Customer.objects.get(pk=m1.pk).arrears_seasons == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert dunning_run_due(today=dt.date(2025, 12, 2)) == 1
    second = DunningRun.objects.get(due_date=dt.date(2025, 12, 1))
    got = set(Message.objects.filter(campaign_id=second.campaign_id).values_list("customer_id", flat=True))
    assert got == first - {m1.pk}
    assert Campaign.objects.get(pk=second.campaign_id).no_repeat is False
    assert Decimal(m1.arrears_total) > 0


def test_records_page_resends_the_failures_of_its_query(client, org, street, sent_campaign,
                                                        django_capture_on_commit_callbacks):
    """The supervisor's way in (MSG-06): filter the records, follow "resend the failed
    messages of this query", confirm; the count and the resend cover exactly that query."""
    client.force_login(org.service1)
    page = client.get("/reports/records/", {"campaign": sent_campaign.pk, "status": "failed"})
    link = page.content.decode().split('id="record-resend" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/campaigns/resend/?") and f"campaign={sent_campaign.pk}" in link
    confirm = client.get(link)
    assert confirm.context["count"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)
    assert sorted(Message.objects.filter(resend_of__isnull=False).values_list("customer_id", flat=True)) == sorted(
        [street.m1.pk, street.m2.pk])
    assert client.get(link).context["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_resends_that_fail_at_once_are_not_resent_by_the_same_press(org, street, season, topics, make_sim, settings):
    """One press resends the failures it found when pressed.  With tasks running at once
    (eager here, a fast worker in production) the resends can fail before the press is
    over; they are new failures for the next press, not more work for this one."""
    make_sim()
    campaign = campaign_create(actor=org.service1, name="打压", topic=topics.notice, season=SEASON,
                               filters={"buildings": [org.building1.pk]})
    ids = list(Message.objects.filter(campaign_id=campaign.pk).values_list("pk", flat=True))
    transition(ids, "failed", error_code="30003")
    settings.SMS_RETRY_BACKOFF = [0, 0]
    make_sim(failure_rate=1.0)  # the gateway now refuses everything
    result = messages_resend_failed(actor=org.service1, filters={})
    assert result.resent == len(ids)
    assert Message.objects.filter(resend_of__isnull=False).count() == len(ids)
    assert Message.objects.filter(resend_of__isnull=False, status="failed").count() == len(ids)
