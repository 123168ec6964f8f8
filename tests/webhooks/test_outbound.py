"""Outbound webhooks: signed POSTs to a real receiver on loopback, retries, give-up, replay."""
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core_billing.errors import AppError
from core_billing.models import AuditLog
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.outbound import signing
from webhooks.outbound.services import (backoff, delivery_attempt, delivery_replay, subscription_create,
                                        webhooks_emit)
from webhooks.tasks import deliver_due

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver on loopback that answers the queued status codes (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.codes: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(outer.codes.pop(0) if outer.codes else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    r = Receiver()
    yield r
    r.server.shutdown()


def test_event_is_signed_and_delivered(org, receiver, django_capture_on_commit_callbacks):
    sub = subscription_create(actor=org.admin, url=receiver.url, events=["payment.succeeded"], station=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_emit("payment.succeeded", [(org.s1.pk, {"amount": "100.00", "account_no": "A1"})]) == 1
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    assert signing.verify(sub.secret, req["body"], req["headers"]["Nuanxin-Signature"])
    assert not signing.verify("whsec_other", req["body"], req["headers"]["Nuanxin-Signature"])
    assert not signing.verify(sub.secret, req["body"] + b" ", req["headers"]["Nuanxin-Signature"])
    payload = json.loads(req["body"])
    assert payload["type"] == "payment.succeeded" and payload["station"] == org.s1.pk
    assert payload["data"] == {"amount": "100.00", "account_no": "A1"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert AuditLog.objects.filter(action="webhook.subscribe").exists()


def test_station_subscription_hears_only_its_station(org, receiver, django_capture_on_commit_callbacks):
    subscription_create(actor=org.admin, url=receiver.url, events=["message.failed"], station=org.s2)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_emit("message.failed", [(org.s1.pk, {"id": 1})]) == 0
        assert webhooks_emit("message.delivered", [(org.s2.pk, {"id": 2})]) == 0
        assert webhooks_emit("message.failed", [(org.s2.pk, {"id": 3})]) == 1
    assert [json.loads(r["body"])["data"]["id"] for r in receiver.requests] == [3]


def test_failures_retry_with_backoff_then_succeed(org, receiver, django_capture_on_commit_callbacks):
    subscription_create(actor=org.admin, url=receiver.url, events=["campaign.finished"])
    receiver.codes = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_emit("campaign.finished", [(org.s1.pk, {"campaign": 9})])
    d = WebhookDelivery.objects.get()
    assert d.status == DeliveryStatus.RETRYING and d.attempts == 1 and d.last_status_code == 500
    assert d.next_attempt_at - timezone.now() > dt.timedelta(seconds=25)
    deliver_due()  # not due yet: nothing happens
    assert len(receiver.requests) == 1
    WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
    deliver_due()
    d.refresh_from_db()
    assert d.attempts == 2 and d.status == DeliveryStatus.RETRYING
    assert backoff(2) == 2 * backoff(1)
    WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
    deliver_due()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == 3 and len(receiver.requests) == 3
    # the same event id every time, so the receiver can drop duplicates
    assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1


def test_gives_up_after_24_hours(org, receiver, django_capture_on_commit_callbacks):
    subscription_create(actor=org.admin, url=receiver.url, events=["work_order.changed"])
    receiver.codes = [500] * 5
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_emit("work_order.changed", [(org.s1.pk, {"number": "GD-1"})])
    d = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=d.pk).update(created_at=timezone.now() - dt.timedelta(hours=23, minutes=59),
                                                   next_attempt_at=timezone.now())
    assert delivery_attempt(d.pk) == DeliveryStatus.FAILED


def test_unreachable_receiver_is_retried_not_lost(org, settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    subscription_create(actor=org.admin, url="http://127.0.0.1:9/closed", events=["payment.succeeded"])
    webhooks_emit("payment.succeeded", [(None, {"x": 1})])
    d = WebhookDelivery.objects.get()
    assert delivery_attempt(d.pk) == DeliveryStatus.RETRYING
    d.refresh_from_db()
    assert d.last_error == "ConnectionError"


def test_replay_sends_the_same_event_again(org, receiver, django_capture_on_commit_callbacks):
    subscription_create(actor=org.admin, url=receiver.url, events=["payment.succeeded"])
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_emit("payment.succeeded", [(org.s1.pk, {"n": 1})])
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        copy = delivery_replay(actor=org.admin, delivery=original)
    copy.refresh_from_db()
    assert copy.status == DeliveryStatus.SUCCEEDED and copy.replay_of_id == original.pk
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert bodies[0]["id"] == bodies[1]["id"]


def test_private_addresses_refused_by_default(org, settings):
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = False
    for url in ["http://127.0.0.1/x", "http://10.1.2.3/x", "ftp://example.org/x", "http://[::1]/x"]:
        with pytest.raises(AppError):
            subscription_create(actor=org.admin, url=url, events=["payment.succeeded"])
    with pytest.raises(AppError):
        subscription_create(actor=org.admin, url="https://example.org/x", events=["nonsense"])


def test_api_and_isolation(org, receiver):
    api = APIClient()
    api.force_authenticate(org.admin)
    created = api.post(reverse("webhook-subscription-list"),
                       {"url": receiver.url, "events": ["message.delivered"], "station": org.s1.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["secret"].startswith("whsec_")
    sub_id = created.json()["id"]
    webhooks_emit("message.delivered", [(org.s1.pk, {"id": 5})])
    delivery = WebhookDelivery.objects.get()
    other = APIClient()
    other.force_authenticate(org.supervisor2)
    assert other.get(reverse("webhook-subscription-detail", args=[sub_id])).status_code == 404
    assert other.get(reverse("webhook-delivery-detail", args=[delivery.pk])).status_code == 404
    own = APIClient()
    own.force_authenticate(org.supervisor1)
    assert own.get(reverse("webhook-delivery-detail", args=[delivery.pk])).status_code == 200
    assert own.post(reverse("webhook-delivery-replay", args=[delivery.pk])).status_code == 403
    replay = api.post(reverse("webhook-delivery-replay", args=[delivery.pk]))
    assert replay.status_code == 201 and replay.json()["replay_of"] == delivery.pk
    off = api.patch(reverse("webhook-subscription-detail", args=[sub_id]), {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert webhooks_emit("message.delivered", [(org.s1.pk, {"id": 6})]) == 0


def test_console_page(org, receiver, client):
    client.force_login(org.admin)
    response = client.post(reverse("outbound:webhooks"), {"url": receiver.url, "events": ["payment.succeeded"],
                                                         "description": "财务系统"})
    assert response.status_code == 302
    page = client.get(reverse("outbound:webhooks")).content.decode()
    assert receiver.url in page and "财务系统" in page


def test_domain_events_become_deliveries(org, receiver, sim, django_capture_on_commit_callbacks):
    """SMS delivered/failed and work-order steps reach subscribers through the lower layers' signals."""
    from dispatch.models import RepairWorker
    from dispatch.services.work_orders import work_order_assign, work_order_create
    from messaging.models import Message
    from messaging.services.transitions import transition
    from messaging.services.sending import message_send_one
    from tests import factories as f

    subscription_create(actor=org.admin, url=receiver.url, events=["message.delivered", "work_order.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send_one(actor=org.service1, customer=org.customer1, body="明日供热")
    with django_capture_on_commit_callbacks(execute=True):
        transition([message.pk], "delivered")  # as a delivery receipt would
    dispatcher = f.user("dispatcher1", "dispatcher", st=org.s1)
    worker = RepairWorker.objects.create(user=f.user("r1", st=org.s1, mobile="+8613700000001"), station=org.s1)
    with django_capture_on_commit_callbacks(execute=True):
        order = work_order_create(actor=dispatcher, customer=org.customer1, problem="不热")
    with django_capture_on_commit_callbacks(execute=True):
        work_order_assign(actor=dispatcher, work_order=order, worker=worker)
    events = [(json.loads(r["body"])["type"], json.loads(r["body"])["data"]) for r in receiver.requests]
    delivered = [d for t, d in events if t == "message.delivered"]
    assert [d["account_no"] for d in delivered if d["message_id"] == message.pk] == [org.customer1.account_no]
    steps = [d["step"] for t, d in events if t == "work_order.changed"]
    assert steps == ["created", "assigned"]


def test_payment_becomes_a_payment_succeeded_event(org, receiver, django_capture_on_commit_callbacks):
    import datetime as dt

    from core_billing.models import Customer
    from core_billing.services.ledger import payment_take
    from tests import factories as f

    f.season(name="2026-2027", start=dt.date(2026, 11, 1), end=dt.date(2027, 3, 31))
    subscription_create(actor=org.admin, url=receiver.url, events=["payment.succeeded"], station=org.s1)
    collector = f.user("desk1", "collector", st=org.s1)
    with django_capture_on_commit_callbacks(execute=True):
        result = payment_take(actor=collector, customer=Customer.objects.get(pk=org.customer1.pk), amount="100.00",
                              method="cash")
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["type"] == "payment.succeeded" and payload["station"] == org.s1.pk
    assert payload["data"]["amount"] == "100.00" and payload["data"]["account_no"] == org.customer1.account_no
    assert payload["data"]["receipt_number"] == result.receipt.number


def test_finished_campaign_becomes_a_campaign_finished_event(org, receiver, sim, django_capture_on_commit_callbacks):
    from campaigns.services.campaigns import campaign_create
    from messaging.models import Message
    from messaging.services.topics import topic_create
    from messaging.services.transitions import transition
    from tests import factories as f

    f.season()
    topic = topic_create(actor=org.admin, name="开栓通知", kind="notice", company_wide=True,
                         body="尊敬的{{ 客户名称 }}，明日开栓供热。")
    subscription_create(actor=org.admin, url=receiver.url, events=["campaign.finished"])
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_create(actor=org.service1, name="开栓", topic=topic, season="2025-2026",
                                   filters={"buildings": [org.building1.pk]})
    assert not receiver.requests  # still sending
    with django_capture_on_commit_callbacks(execute=True):
        transition(list(Message.objects.filter(campaign_id=campaign.pk).values_list("pk", flat=True)), "delivered")
    payload = [json.loads(r["body"]) for r in receiver.requests]
    assert [p["type"] for p in payload] == ["campaign.finished"]
    data = payload[0]["data"]
    assert data["campaign_id"] == campaign.pk and data["status"] == "finished" and data["topic"] == "开栓通知"
    assert data["counts"]["delivered"] == 1 and data["counts"]["skipped"] == 1  # the landline


@pytest.mark.django_db(transaction=True)  # the answer is only kept outside a transaction, as after a payment
def test_a_new_or_changed_subscription_hears_the_next_event(org, receiver):
    """Which events anyone subscribes to is kept per process (every payment asks); a subscription write moves
    it on."""
    from webhooks.outbound.services import subscribed, subscription_update

    assert not subscribed("payment.succeeded")  # now kept as nobody's
    sub = subscription_create(actor=org.admin, url=receiver.url, events=["payment.succeeded"], station=None)
    assert subscribed("payment.succeeded") and not subscribed("work_order.changed")
    subscription_update(actor=org.admin, subscription=sub, events=["work_order.changed"])
    assert subscribed("work_order.changed") and not subscribed("payment.succeeded")
    subscription_update(actor=org.admin, subscription=sub, is_active=False)
    assert not subscribed("work_order.changed")
