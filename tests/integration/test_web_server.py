"""make serve's web servers (granian by default, gunicorn on request) serving config.wsgi over TLS on the
real PostgreSQL and Redis: pages answer, and a signed delivery receipt posted to the webhook is stored and
then applied by a real Celery worker."""
from urllib.parse import urlencode

import pytest
import requests
from django.utils import timezone

from core_billing.processes import WEB_SERVERS
from messaging.gateways.twilio import compute_signature
from messaging.models import Message
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration
STATUS_PATH = "/webhooks/sms/twilio/status/"


@pytest.mark.parametrize("server", WEB_SERVERS)
def test_pages_and_a_receipt_over_tls(server, web_server, org, celery_workers, settings):
    web = web_server(server, tls=True, env={"DEBUG": "0", "HTTPS": "1"})
    login = requests.get(f"{web}/login/", verify=False, timeout=10)
    assert login.status_code == 200 and "登录" in login.text
    assert "Strict-Transport-Security" in login.headers  # Django saw the request arrive over TLS

    now = timezone.now()
    msg = Message.objects.create(station=org.s1, phone="+8613800000001", body="暖信", gateway="twilio",
                                 gateway_ref="SMweb" + "0" * 29, status="sent", sent_at=now)
    celery_workers.start("web", concurrency=2)
    params = {"AccountSid": settings.TWILIO_ACCOUNT_SID, "MessageSid": msg.gateway_ref,
              "MessageStatus": "delivered", "To": msg.phone}
    signature = compute_signature(settings.TWILIO_AUTH_TOKEN, f"{web}{STATUS_PATH}", list(params.items()))
    answer = requests.post(f"{web}{STATUS_PATH}", data=urlencode(params), verify=False, timeout=10,
                           headers={"X-Twilio-Signature": signature,
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Length") == str(len(answer.content))

    forged = requests.post(f"{web}{STATUS_PATH}", data=urlencode({**params, "MessageStatus": "failed"}),
                           verify=False, timeout=10, headers={"X-Twilio-Signature": signature,
                                                              "Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 403

    wait_until(lambda: Message.objects.get(pk=msg.pk).status == "delivered", timeout=60,
               message="the worker applying the receipt")
