"""Receipts through the WSGI application the servers run (config.wsgi): the intake that skips Django's
middleware answers as the Django view does, stores each receipt once, and writes concurrent ones together."""
import threading
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from django.db import connections

from messaging.gateways.twilio import compute_signature
from messaging.models import PendingReceipt

pytestmark = pytest.mark.django_db(transaction=True)  # the server's threads have their own connections
STATUS_PATH = "/webhooks/sms/twilio/status/"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:  # a thread per request, each with its own connection: left open, they outlive the
            connections.close_all()  # test and can keep the test database from being dropped


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def asked(monkeypatch):
    """The applier's kicks, counted instead of run (applying is tested in test_sms_webhooks.py)."""
    from messaging.services import receipts

    calls = []
    monkeypatch.setattr(receipts, "schedule_soon", lambda key, task, delay: calls.append(key))
    return calls


@pytest.fixture
def served(settings, asked):
    """config.wsgi.application on a loopback port, many requests at once."""
    from config.wsgi import application

    server = make_server("127.0.0.1", 0, application, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.PUBLIC_BASE_URL = base
    yield base
    server.shutdown()
    server.server_close()


def callback(settings, base, sid, *, status="delivered", token=None, path=STATUS_PATH, host=None):
    params = {"AccountSid": settings.TWILIO_ACCOUNT_SID, "MessageSid": sid, "MessageStatus": status,
              "To": "+8613800000001", "ErrorCode": ""}
    signature = compute_signature(token or settings.TWILIO_AUTH_TOKEN, f"{base}{path}", list(params.items()))
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    if host:
        headers["Host"] = host
    return requests.post(f"{base}{path}", data=urlencode(params), headers=headers, timeout=10)


def test_a_signed_receipt_is_stored_and_answered_as_twilio_expects(settings, served):
    answer = callback(settings, served, "SM0001")
    assert answer.status_code == 200 and answer.text == ""
    stored = PendingReceipt.objects.get()
    assert (stored.gateway, stored.ref, stored.phone, stored.status) == ("twilio", "SM0001", "+8613800000001",
                                                                          "delivered")


def test_a_bad_signature_is_403_and_stores_nothing(settings, served):
    answer = callback(settings, served, "SM0002", token="someone-else")
    assert answer.status_code == 403
    assert not PendingReceipt.objects.exists()


def test_a_host_not_allowed_is_400_and_stores_nothing(settings, served):
    answer = callback(settings, served, "SM0003", host="evil.example")
    assert answer.status_code == 400
    assert not PendingReceipt.objects.exists()


def test_a_body_over_the_upload_limit_is_400(settings, served):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    answer = requests.post(f"{served}{STATUS_PATH}", data="MessageSid=" + "x" * 200,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert answer.status_code == 400
    assert not PendingReceipt.objects.exists()


def test_the_answer_says_its_length(settings, asked):
    """Without Content-Length gunicorn frames every answer in chunks (wsgiref adds the header itself, so the
    application is called directly here)."""
    from django.test import RequestFactory

    from config.wsgi import application

    base = "http://testserver"
    settings.PUBLIC_BASE_URL = base
    params = {"AccountSid": settings.TWILIO_ACCOUNT_SID, "MessageSid": "SM0009", "MessageStatus": "delivered",
              "To": "+8613800000001"}
    signature = compute_signature(settings.TWILIO_AUTH_TOKEN, f"{base}{STATUS_PATH}", list(params.items()))
    environ = RequestFactory().post(STATUS_PATH, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                                    HTTP_X_TWILIO_SIGNATURE=signature).environ
    answered = {}
    body = b"".join(application(environ, lambda status, headers: answered.update(status=status, headers=headers)))
    assert answered["status"].startswith("200")
    assert dict(answered["headers"])["Content-Length"] == str(len(body))
    assert PendingReceipt.objects.filter(ref="SM0009").exists()


def test_other_requests_are_djangos(settings, served):
    assert requests.post(f"{served}/webhooks/sms/nosuch/status/", timeout=10).status_code == 404
    assert requests.get(f"{served}{STATUS_PATH}", timeout=10).status_code == 405
    page = requests.get(f"{served}/healthz", timeout=10)
    assert page.status_code == 200


def test_concurrent_callbacks_are_each_stored_once(settings, served, asked):
    sids = [f"SM{i:04d}" for i in range(60)]
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda sid: callback(settings, served, sid), sids))
    assert [a.status_code for a in answers] == [200] * len(sids)
    assert sorted(PendingReceipt.objects.values_list("ref", flat=True)) == sids
    assert 1 <= len(asked) <= len(sids)  # once per write, by whoever wrote it


@pytest.mark.integration
def test_a_receipt_is_stored_when_its_connection_was_cut_before_the_write(asked):
    """The webhook's write skips Django's per-request health check; a dead connection is found by the write
    failing, and the write is made again on a new one: the gateway still gets its answer."""
    from django.db import connection

    from messaging.gateways import Receipt
    from messaging.services.receipts import receipts_accept
    from tests.conftest import unavailable

    if connection.vendor != "postgresql":
        unavailable("cutting a connection needs PostgreSQL: set DATABASE_URL=postgres://...")
    receipts_accept(gateway="twilio", receipts=[Receipt("SM0101", "+8613800000001", "delivered")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def cut():  # from another thread, so from another connection
        from django.db import connection as other

        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0]
        other.close()

    thread = threading.Thread(target=cut)
    thread.start()
    thread.join()
    receipts_accept(gateway="twilio", receipts=[Receipt("SM0102", "+8613800000001", "delivered")])
    assert sorted(PendingReceipt.objects.values_list("ref", flat=True)) == ["SM0101", "SM0102"]
