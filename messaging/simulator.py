"""The bundled SMS gateway simulator: a real HTTP server that speaks Twilio's
Messages API, so the `twilio` gateway is exercised for real in the demo and
in tests, and posts signed status callbacks back to our webhook.

    POST /2010-04-01/Accounts/{sid}/Messages.json   Basic auth sid:token; To, From, Body, StatusCallback
                                                    201 queued | 400 bad number | 401 | 429 over rate | 503 failure
    GET  /sim/messages?to=+86...&since=N&limit=M    "the phone": what was accepted, oldest first
    GET  /sim/stats                                 counters (accepted, rate_limited, failed, callbacks, ...)
    POST /sim/inbound   {"from", "body"[, "to"]}    a phone replies: posts a signed inbound SMS to our webhook
    GET  /2010-04-01/Accounts/{sid}/Messages.json?To=+86...&DateSent>=YYYY-MM-DD
                                                    Twilio's message list (newest first), used to ask
                                                    "did you get this one?" before a resend
    POST /sim/outage    {"seconds": 30, "mode": "500"|"timeout"|"slow"|"mixed"}
                                                    for a while every send goes wrong: 500 (not accepted),
                                                    no answer for `timeout_s` then 500 (not accepted),
                                                    accepted but answered only after `timeout_s` (the
                                                    client gives up first), or any of the three
    POST /sim/reset                                 forget everything
    GET  /sim/                                      a page showing the phone, for the demo

Behaviour knobs (SimulatorConfig): allowed messages per second (token bucket,
429 beyond), API latency, share of requests failing with 503 (transient: the
message is not accepted), share of accepted messages ending `undelivered`,
and shares of callbacks duplicated, delayed or sent out of order (the final
status before `sent`).  Magic numbers: a To ending in 9999 is refused as
invalid (400, code 21211, permanent); one ending in 0000 is accepted and ends
`undelivered` (30003).
"""
from __future__ import annotations

import heapq
import html
import itertools
import json
import logging
import random
import threading
import time
import uuid
from base64 import b64decode
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlparse

import requests

from . import segments
from .gateways.twilio import compute_signature

log = logging.getLogger("messaging.simulator")
MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass
class SimulatorConfig:
    account_sid: str
    auth_token: str
    host: str = "127.0.0.1"
    port: int = 8025
    rate: float = 100.0  # allowed messages per second; 0 = unlimited
    burst: int = 0  # token bucket size; 0 = max(10, rate / 10)
    latency_ms: float = 0.0  # before the API answers
    receipt_latency_ms: float = 200.0  # mean time to each status callback
    failure_rate: float = 0.0  # share of API calls answered 503 (message not accepted)
    undelivered_rate: float = 0.0  # share of accepted messages that end undelivered
    duplicate_rate: float = 0.0  # share of callbacks posted twice
    delay_rate: float = 0.0  # share of callbacks held back an extra delay_ms
    delay_ms: float = 3000.0
    out_of_order_rate: float = 0.0  # share of messages whose final callback comes before `sent`
    inbound_url: str = ""  # where /sim/inbound posts replies
    hold_callbacks: bool = False  # keep callbacks queued until release_callbacks() (tests)
    callback_threads: int = 4
    callback_retries: int = 5
    seed: int | None = None
    timeout_s: float = 12.0  # how long an outage in "timeout" mode holds a request


@dataclass
class SimMessage:
    n: int
    sid: str
    to: str
    from_: str
    body: str
    callback: str
    at: float
    final: str = ""
    callbacks: list = field(default_factory=list)  # statuses posted successfully, in order

    def as_dict(self) -> dict:
        return {"n": self.n, "sid": self.sid, "to": self.to, "from": self.from_, "body": self.body,
                "segments": segments.analyze(self.body).segments, "received_at": self.at, "final": self.final,
                "callbacks": list(self.callbacks)}


class SmsSimulator:
    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.rng_lock = threading.Lock()
        self.lock = threading.Lock()
        self.messages: list[SimMessage] = []
        self.by_sid: dict[str, SimMessage] = {}
        self.stats = {"requests": 0, "accepted": 0, "rate_limited": 0, "failed": 0, "rejected": 0,
                      "unauthorized": 0, "callbacks_sent": 0, "callbacks_failed": 0, "callbacks_lost": 0,
                      "inbound_sent": 0, "answered_late": 0}
        burst = config.burst or max(10, int(config.rate / 10))
        self.bucket_size = float(burst)
        self.tokens = float(burst)
        self.bucket_at = time.monotonic()
        self.queue: list = []
        self.queue_cv = threading.Condition()
        self.seq = itertools.count()
        self.stopping = False
        self.held = config.hold_callbacks
        self.inflight = 0
        self.server: ThreadingHTTPServer | None = None
        self.threads: list[threading.Thread] = []
        self.outage_until = 0.0
        self.outage_mode = "500"

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "SmsSimulator":
        handler = type("Handler", (_Handler,), {"sim": self})
        self.server = ThreadingHTTPServer((self.config.host, self.config.port), handler)
        self.server.daemon_threads = True
        t = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="smsgate-sim",
                             daemon=True)
        t.start()
        self.threads.append(t)
        for i in range(self.config.callback_threads):
            c = threading.Thread(target=self._callback_loop, name=f"smsgate-cb{i}", daemon=True)
            c.start()
            self.threads.append(c)
        return self

    def stop(self) -> None:
        self.stopping = True
        with self.queue_cv:
            self.queue_cv.notify_all()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def serve_forever(self) -> None:
        if self.server is None:
            self.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.by_sid.clear()
            for key in self.stats:
                self.stats[key] = 0
        with self.queue_cv:
            self.queue.clear()

    def pending_callbacks(self) -> int:
        """Callbacks planned or being posted right now."""
        with self.queue_cv:
            return len(self.queue) + self.inflight

    def release_callbacks(self) -> None:
        with self.queue_cv:
            self.held = False
            self.queue_cv.notify_all()

    # --- the Messages API --------------------------------------------------------------------
    def _random(self) -> float:
        with self.rng_lock:
            return self.rng.random()

    def _allow(self) -> bool:
        if self.config.rate <= 0:
            return True
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.bucket_size, self.tokens + (now - self.bucket_at) * self.config.rate)
            self.bucket_at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def outage(self, seconds: float, mode: str = "500") -> None:
        """Fail every send for `seconds`: answer 500, or hold the request past the client's timeout."""
        if mode not in ("500", "timeout", "slow", "mixed"):
            raise ValueError(f"unknown outage mode {mode!r}")
        with self.lock:
            self.outage_mode = mode
            self.outage_until = time.monotonic() + float(seconds)

    def _outage(self) -> str:
        with self.lock:
            if time.monotonic() >= self.outage_until:
                return ""
            mode = self.outage_mode
        if mode == "mixed":
            mode = ("500", "timeout", "slow")[int(self._random() * 3) % 3]
        return mode

    def list_messages(self, to: str = "", sent_on_or_after: str = "") -> list[dict]:
        """Twilio's list resource, newest first, filtered by To and DateSent>= (a date)."""
        with self.lock:
            found = [m for m in reversed(self.messages) if not to or m.to == to]
        if sent_on_or_after:
            found = [m for m in found if time.strftime("%Y-%m-%d", time.gmtime(m.at)) >= sent_on_or_after]
        return [{"sid": m.sid, "to": m.to, "from": m.from_, "body": m.body, "status": m.final or "sent",
                 "date_created": formatdate(m.at, usegmt=True), "date_sent": formatdate(m.at, usegmt=True)}
                for m in found]

    def create_message(self, form: dict[str, str]) -> tuple[int, dict]:
        to, body = form.get("To", ""), form.get("Body", "")
        outage = self._outage()
        if outage in ("500", "timeout"):
            self._count("failed")
            if outage == "timeout":
                time.sleep(self.config.timeout_s)
            return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}
        if not to.startswith("+") or not to[1:].isdigit() or to.endswith("9999"):
            self._count("rejected")
            return 400, {"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                         "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
        if not body:
            self._count("rejected")
            return 400, {"code": 21602, "message": "Message body is required.", "status": 400}
        if not self._allow():
            self._count("rate_limited")
            return 429, {"code": 20429, "message": "Too Many Requests", "status": 429}
        if self.config.failure_rate and self._random() < self.config.failure_rate:
            self._count("failed")
            return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        sid = "SM" + uuid.uuid4().hex
        undelivered = to.endswith("0000") or (self.config.undelivered_rate and
                                              self._random() < self.config.undelivered_rate)
        with self.lock:
            msg = SimMessage(n=len(self.messages) + 1, sid=sid, to=to, from_=form.get("From", ""), body=body,
                             callback=form.get("StatusCallback", ""), at=time.time(),
                             final="undelivered" if undelivered else "delivered")
            self.messages.append(msg)
            self.by_sid[sid] = msg
            self.stats["accepted"] += 1
        if msg.callback:
            self._plan_callbacks(msg)
        if outage == "slow":
            self._count("answered_late")
            time.sleep(self.config.timeout_s)
        return 201, {
            "sid": sid, "account_sid": self.config.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": formatdate(usegmt=True), "date_updated": formatdate(usegmt=True), "date_sent": None,
            "direction": "outbound-api", "error_code": None, "error_message": None, "from": msg.from_,
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            "num_segments": str(segments.analyze(body).segments), "price": None, "price_unit": "USD",
            "status": "queued", "to": to,
            "uri": f"/2010-04-01/Accounts/{self.config.account_sid}/Messages/{sid}.json",
        }

    def _count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.stats[key] += n

    # --- status callbacks --------------------------------------------------------------------
    def _plan_callbacks(self, msg: SimMessage) -> None:
        cfg = self.config
        base = cfg.receipt_latency_ms / 1000.0
        now = time.monotonic()
        t_sent = now + base * (0.5 + self._random())
        t_final = t_sent + base * (0.5 + self._random())
        if cfg.out_of_order_rate and self._random() < cfg.out_of_order_rate:
            t_sent, t_final = t_final, t_sent
        events = [(t_sent, "sent"), (t_final, msg.final)]
        planned = []
        for due, status in events:
            if cfg.delay_rate and self._random() < cfg.delay_rate:
                due += cfg.delay_ms / 1000.0
            planned.append((due, status))
            if cfg.duplicate_rate and self._random() < cfg.duplicate_rate:
                planned.append((due + base * self._random(), status))
        with self.queue_cv:
            for due, status in planned:
                heapq.heappush(self.queue, (due, next(self.seq), msg.sid, status, 0))
            self.queue_cv.notify(len(planned))

    def callback_params(self, msg: SimMessage, status: str) -> dict[str, str]:
        params = {"AccountSid": self.config.account_sid, "ApiVersion": "2010-04-01", "From": msg.from_,
                  "MessageSid": msg.sid, "MessageStatus": status, "SmsSid": msg.sid, "SmsStatus": status,
                  "To": msg.to}
        if status == "undelivered":
            params["ErrorCode"] = "30003"
        return params

    def _callback_loop(self) -> None:
        session = requests.Session()
        while not self.stopping:
            with self.queue_cv:
                while not self.stopping and (self.held or not self.queue or self.queue[0][0] > time.monotonic()):
                    timeout = None if self.held or not self.queue else max(0.0, self.queue[0][0] - time.monotonic())
                    self.queue_cv.wait(timeout)
                if self.stopping:
                    return
                due, _seq, sid, status, tries = heapq.heappop(self.queue)
                self.inflight += 1
            try:
                self._post_callback(session, sid, status, tries)
            finally:
                with self.queue_cv:
                    self.inflight -= 1

    def _post_callback(self, session, sid: str, status: str, tries: int) -> None:
        msg = self.by_sid.get(sid)
        if msg is None:
            return  # reset meanwhile
        params = self.callback_params(msg, status)
        signature = compute_signature(self.config.auth_token, msg.callback, list(params.items()))
        try:
            response = session.post(msg.callback, data=params, headers={"X-Twilio-Signature": signature},
                                    timeout=10)
            ok = response.status_code < 300
        except requests.RequestException as exc:
            log.debug("callback to %s failed: %s", msg.callback, exc)
            ok = False
        if ok:
            with self.lock:
                msg.callbacks.append(status)
                self.stats["callbacks_sent"] += 1
        elif tries + 1 < self.config.callback_retries:
            self._count("callbacks_failed")
            with self.queue_cv:
                heapq.heappush(self.queue, (time.monotonic() + 0.5 * 2 ** tries, next(self.seq), sid, status,
                                            tries + 1))
                self.queue_cv.notify()
        else:
            self._count("callbacks_lost")
            log.warning("gave up posting %s callback for %s", status, sid)

    # --- a phone replies -----------------------------------------------------------------------
    def send_inbound(self, sender: str, body: str, to: str = "", url: str = "") -> int:
        url = url or self.config.inbound_url
        if not url:
            raise ValueError("no inbound URL configured")
        params = {"AccountSid": self.config.account_sid, "ApiVersion": "2010-04-01", "Body": body,
                  "From": sender, "MessageSid": "SM" + uuid.uuid4().hex, "NumMedia": "0", "NumSegments": "1",
                  "SmsStatus": "received", "To": to or "+8610690000"}
        signature = compute_signature(self.config.auth_token, url, list(params.items()))
        response = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        self._count("inbound_sent")
        return response.status_code

    # --- reading the phone ---------------------------------------------------------------------
    def received(self, to: str = "", since: int = 0, limit: int = 1000) -> list[dict]:
        with self.lock:
            rows = [m for m in self.messages[since:] if not to or m.to == to]
            return [m.as_dict() for m in rows[:limit]]


class _Handler(BaseHTTPRequestHandler):
    sim: SmsSimulator
    protocol_version = "HTTP/1.1"  # keep-alive: senders reuse connections
    # Headers and body go out as two writes; with Nagle on, the body waits for
    # the client's delayed ACK (40 ms per request).
    disable_nagle_algorithm = True
    server_version = "NuanxinSmsSim/1.0"

    def log_message(self, fmt, *args):  # quiet: a benchmark makes 20,000 requests
        log.debug("%s " + fmt, self.address_string(), *args)

    def _send(self, status: int, payload, content_type: str = "application/json", headers: dict | None = None):
        body = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type + ("; charset=utf-8" if "charset" not in content_type else ""))
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorized(self, sid: str) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == sid == self.sim.config.account_sid and password == self.sim.config.auth_token

    def do_POST(self):
        path = urlparse(self.path).path
        raw = self._body()
        sim = self.sim
        if path.startswith("/2010-04-01/Accounts/") and path.endswith("/Messages.json"):
            sim._count("requests")
            sid = path.split("/")[3]
            if not self._authorized(sid):
                sim._count("unauthorized")
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401},
                                  headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
            if sim.config.latency_ms:
                time.sleep(sim.config.latency_ms / 1000.0)
            status, payload = sim.create_message(dict(parse_qsl(raw.decode("utf-8", "replace"),
                                                                keep_blank_values=True)))
            return self._send(status, payload, headers={"Retry-After": "1"} if status == 429 else None)
        if path == "/sim/outage":
            data = json.loads(raw or b"{}")
            try:
                sim.outage(float(data.get("seconds", 30)), str(data.get("mode", "500")))
            except ValueError as exc:
                return self._send(400, {"error": str(exc)})
            return self._send(200, {"ok": True})
        if path == "/sim/reset":
            sim.reset()
            return self._send(200, {"ok": True})
        if path == "/sim/inbound":
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                data = dict(parse_qsl(raw.decode("utf-8", "replace")))
            try:
                status = sim.send_inbound(data.get("from", ""), data.get("body", ""), data.get("to", ""),
                                          data.get("url", ""))
            except (ValueError, requests.RequestException) as exc:
                return self._send(502, {"error": str(exc)})
            return self._send(200, {"webhook_status": status})
        return self._send(404, {"code": 20404, "message": "Not found", "status": 404})

    def do_GET(self):
        parsed = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        sim = self.sim
        if parsed.path.startswith("/2010-04-01/Accounts/") and parsed.path.endswith("/Messages.json"):
            if not self._authorized(parsed.path.split("/")[3]):
                return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
            rows = sim.list_messages(query.get("To", ""), query.get("DateSent>", "").lstrip("="))
            return self._send(200, {"messages": rows, "page": 0, "page_size": len(rows),
                                    "next_page_uri": None})
        if parsed.path == "/sim/messages":
            rows = sim.received(query.get("to", ""), int(query.get("since", 0) or 0),
                                int(query.get("limit", 1000) or 1000))
            return self._send(200, {"messages": rows, "count": len(rows)})
        if parsed.path == "/sim/stats":
            with sim.lock:
                stats = dict(sim.stats)
            stats["pending_callbacks"] = sim.pending_callbacks()
            return self._send(200, stats)
        if parsed.path in ("/sim", "/sim/"):
            rows = sim.received(query.get("to", ""))[-200:]
            items = "".join(
                f"<li><b>{html.escape(m['to'])}</b> <small>{time.strftime('%H:%M:%S', time.localtime(m['received_at']))}"
                f" · {m['segments']} 条 · {html.escape(m['final'])}</small><div>{html.escape(m['body'])}</div></li>"
                for m in reversed(rows))
            page = (f"<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3>"
                    f"<title>短信模拟器</title><h1>短信模拟器：手机收到的短信</h1><ul>{items}</ul>")
            return self._send(200, page, "text/html")
        return self._send(404, {"code": 20404, "message": "Not found", "status": 404})
