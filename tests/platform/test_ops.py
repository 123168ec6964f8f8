import logging

import pytest

from core_billing.logs import MaskPhonesFilter, mask_text

pytestmark = pytest.mark.django_db


def test_metrics_from_loopback_or_with_token(org, client, settings):
    from webhooks.outbound.services import subscription_create, webhooks_emit

    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    subscription_create(actor=org.admin, url="http://127.0.0.1:9/x", events=["payment.succeeded"])
    webhooks_emit("payment.succeeded", [(org.s1.pk, {})])
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'nuanxin_webhook_deliveries{status="pending"} 1.0' in body
    assert "nuanxin_task_queue_depth" in body
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope").status_code == 403


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.parametrize("text, masked", [
    ("sent to +8613812345678 ok", "sent to +86138****5678 ok"),
    ("phone 13812345678", "phone 138****5678"),
    ("order 1234567890123 stays", "order 1234567890123 stays"),
    ("landline 04125551234", "landline 04125551234"),
])
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_log_records_are_masked_including_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s: %s", ("+8613812345678", "hi"), None)
    MaskPhonesFilter().filter(record)
    assert record.getMessage() == "to +86138****5678: hi"


def test_metrics_cover_messages_latency_and_payments(org, client):
    import datetime as dt

    from django.utils import timezone

    from core_billing.models import Customer
    from core_billing.services.ledger import payment_take
    from messaging.models import Message
    from tests import factories as f

    f.season(name="2026-2027", start=dt.date(2026, 11, 1), end=dt.date(2027, 3, 31))
    payment_take(actor=f.user("desk", "collector", st=org.s1), customer=Customer.objects.get(pk=org.customer1.pk),
                 amount="50.00", method="cash")
    now = timezone.now()
    for i, status in enumerate(["delivered", "delivered", "failed"]):
        Message.objects.create(station=org.s1, phone="+8613800000000", body="x", gateway="twilio", status=status,
                               claimed_at=now - dt.timedelta(seconds=1 + i), sent_at=now)
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'nuanxin_messages_24h{gateway="twilio",status="delivered"} 2.0' in body
    assert 'nuanxin_messages_24h{gateway="twilio",status="failed"} 1.0' in body
    assert 'nuanxin_gateway_latency_seconds{gateway="twilio",quantile="0.50"} 2.0' in body
    assert 'nuanxin_payments_today{method="cash"} 1.0' in body
    assert 'nuanxin_payments_today_yuan{method="cash"} 50.0' in body
