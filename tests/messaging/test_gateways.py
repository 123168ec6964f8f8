"""Gateways: signatures checked against the providers' documented examples; Aliyun over loopback."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from tests.conftest import unavailable

from messaging.gateways import GatewayError, OutgoingSms, WebhookRequest, get_gateway
from messaging.gateways.aliyun import AliyunGateway, sign
from messaging.gateways.twilio import compute_signature
from messaging.ratelimit import FileLimiter, Throttle


def test_twilio_signature_matches_twilios_documented_example():
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
              ("From", "+14158675309"), ("To", "+18005551212")]
    assert compute_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_verify_accepts_the_url_with_or_without_default_port(settings):
    gw = get_gateway("twilio")
    body = b"MessageSid=SM1&MessageStatus=delivered"
    sig = compute_signature(settings.TWILIO_AUTH_TOKEN, "https://nx.example.cn/webhooks/sms/twilio/status/",
                            [("MessageSid", "SM1"), ("MessageStatus", "delivered")])
    req = WebhookRequest("POST", ("https://nx.example.cn:443/webhooks/sms/twilio/status/",),
                         {"X-Twilio-Signature": sig}, body, {})
    assert gw.verify(req)
    assert not gw.verify(WebhookRequest("POST", req.urls, {"X-Twilio-Signature": sig}, body + b"&x=1", {}))


def test_aliyun_signature_matches_the_documented_example():
    params = {"Timestamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
              "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
              "SignatureVersion": "1.0"}
    assert sign(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


class _FakeDysms(BaseHTTPRequestHandler):
    """Checks each SendBatchSms signature the way Alibaba Cloud does and answers like it."""
    secret = "secret-123456"
    answer = {"Code": "OK", "BizId": "900100^0", "RequestId": "R1", "Message": "OK"}
    seen: list = []

    def do_POST(self):
        form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        given = form.pop("Signature")
        ok = sign(form, self.secret, "POST") == given
        type(self).seen.append(form)
        body = json.dumps(self.answer if ok else {"Code": "SignatureDoesNotMatch", "Message": "bad"}).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def dysms():
    _FakeDysms.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeDysms)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def aliyun(endpoint, secret="secret-123456"):
    return AliyunGateway(name="aliyun", access_key_id="LTAIid", access_key_secret=secret, sign_name="暖信热力",
                         template_code="SMS_1", endpoint=endpoint, rate=0)


def test_aliyun_sends_a_signed_batch(dysms):
    gw = aliyun(dysms)
    results = gw.send_batch([OutgoingSms(1, "+8613800138001", "【暖信热力】明日供热"),
                             OutgoingSms(2, "+8613912345678", "【暖信热力】明日供热")], Throttle("t", 0))
    assert [(r.ok, r.ref) for r in results] == [(True, "900100^0"), (True, "900100^0")]
    form = _FakeDysms.seen[0]
    assert form["Action"] == "SendBatchSms" and json.loads(form["PhoneNumberJson"]) == ["13800138001", "13912345678"]
    assert json.loads(form["TemplateParamJson"])[0] == {"content": "明日供热"}  # Aliyun adds the 【signature】


def test_aliyun_errors_say_whether_permanent(dysms):
    bad_key = aliyun(dysms, secret="wrong-secret").send_batch([OutgoingSms(1, "+8613800138001", "x")], Throttle("t", 0))
    assert (bad_key[0].ok, bad_key[0].error_code, bad_key[0].permanent) == (False, "SignatureDoesNotMatch", True)
    _FakeDysms.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}
    try:
        limited = aliyun(dysms).send_batch([OutgoingSms(1, "+8613800138001", "x")], Throttle("t", 0))
    finally:
        _FakeDysms.answer = {"Code": "OK", "BizId": "900100^0", "RequestId": "R1", "Message": "OK"}
    assert (limited[0].ok, limited[0].permanent, limited[0].error_text) == (False, False, "触发发送频率限制")


def test_aliyun_unreachable_is_transient():
    result = aliyun("http://127.0.0.1:9/").send_batch([OutgoingSms(1, "+8613800138001", "x")], Throttle("t", 0))
    assert (result[0].ok, result[0].permanent, result[0].error_code) == (False, False, "network")


def test_missing_credentials_are_a_permanent_gateway_error(settings):
    with pytest.raises(GatewayError) as err:
        get_gateway("aliyun")  # no AccessKey in the test environment
    assert err.value.permanent


def test_gateway_repr_hides_credentials(settings):
    assert settings.TWILIO_AUTH_TOKEN not in repr(get_gateway("twilio"))


def test_throttle_paces_to_the_rate(tmp_path):
    slept = []
    throttle = Throttle("k", 100, chunk=10, backend=FileLimiter(tmp_path), sleep=slept.append)
    for _ in range(50):
        throttle.take()
    # 50 messages at 100/s in chunks of 10: the chunks may start 0.1, 0.2, 0.3, 0.4 s after the first
    # (the fake sleep lets no time pass, so each wait is measured from the same moment)
    assert [round(w, 1) for w in slept] == [0.1, 0.2, 0.3, 0.4]


def test_two_throttles_share_the_global_limit(tmp_path, monkeypatch):
    # the clock stands still, as it nearly does between these calls on an idle machine (sleep is recorded, not
    # slept): a busy one took 50 ms between two calls and the waits came out a slot short
    monkeypatch.setattr("messaging.ratelimit.time.time", lambda: 1_000_000.0)
    backend = FileLimiter(tmp_path)
    a, b = [], []
    ta = Throttle("k", 100, chunk=10, backend=backend, sleep=a.append)
    tb = Throttle("k", 100, chunk=10, backend=backend, sleep=b.append)
    for _ in range(20):
        ta.take()
        tb.take()
    # 40 messages between them, at 100/s: chunks start 0, 0.1, 0.2, 0.3 s whichever throttle takes them
    assert sorted(round(w, 1) for w in a + b) == [0.1, 0.2, 0.3]


@pytest.mark.integration
def test_redis_limiter_when_configured(settings):
    if not settings.REDIS_URL:
        unavailable("the Redis rate limiter needs Redis: set REDIS_URL=redis://...")
    from messaging.ratelimit import RedisLimiter

    limiter = RedisLimiter(settings.REDIS_URL)
    limiter.reset("test-key")
    waits = [limiter.reserve("test-key", 50, 10) for _ in range(3)]
    assert waits[0] == 0 and 0.15 < waits[1] <= 0.2 and 0.35 < waits[2] <= 0.4


def test_rate_limit_holds_per_process_while_redis_is_down():
    from messaging.ratelimit import RedisLimiter

    limiter = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens there
    waits = [limiter.reserve("down", 10, 1) for _ in range(3)]
    assert waits[0] == 0 and 0.05 < waits[1] <= 0.1 and 0.15 < waits[2] <= 0.2
