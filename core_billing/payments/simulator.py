"""The bundled payment simulator: a provider for development, the demo and tests.

Its checkout pages are served by our own app at /paysim/checkout/ (they play
the provider's side and never read our database: everything they need is in
a signed checkout token).  "Pay" posts a signed asynchronous notification to
our notify endpoint from a background thread, a real HTTP POST, retried a few
times as a provider would, and sends the customer back to our return page.

Notifications are JSON; the header `Paysim-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>" under the simulator's SECRET>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from django.core import signing
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from .base import Answer, CheckoutContext, InvalidNotification, Notification, NotifyRequest, PaymentProvider, yuan

log = logging.getLogger("core_billing.paysim")
TOLERANCE = 300
HEADER = "Paysim-Signature"


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def notification_for(secret: str, *, out_trade_no: str, amount, status: str = "SUCCESS", txn_id: str | None = None,
                     t: int | None = None) -> tuple[bytes, dict]:
    """(body, headers) of a notification, as the simulator posts it."""
    txn_id = txn_id or "SIM" + hashlib.sha256(f"{secret}:{out_trade_no}".encode()).hexdigest()[:24].upper()
    body = json.dumps({"out_trade_no": out_trade_no, "txn_id": txn_id, "amount": yuan(Decimal(str(amount))),
                       "status": status, "paid_at": timezone.now().isoformat()}, separators=(",", ":")).encode()
    return body, {HEADER: sign(secret, body, t), "Content-Type": "application/json"}


class SimulatorProvider(PaymentProvider):
    label = "模拟支付"

    @property
    def secret(self) -> str:
        return self.options["SECRET"]

    def start(self, order, ctx: CheckoutContext) -> str:
        token = signing.dumps({"o": order.out_trade_no, "a": yuan(order.amount), "n": ctx.notify_url,
                               "r": ctx.return_url, "s": ctx.subject}, key=self.secret, salt="paysim.checkout",
                              compress=True)
        return f"{settings.PUBLIC_BASE_URL}/paysim/checkout/?s={token}"

    def checkout_origins(self) -> list[str]:
        return [settings.PUBLIC_BASE_URL]

    def parse_notification(self, request: NotifyRequest) -> Notification:
        header = request.headers.get(HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            t = int(parts.get("t", ""))
        except ValueError as exc:
            raise InvalidNotification("missing timestamp") from exc
        if abs(time.time() - t) > TOLERANCE:
            raise InvalidNotification("timestamp too far off")
        expected = sign(self.secret, request.body, t).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise InvalidNotification("bad signature")
        try:
            data = json.loads(request.body)
            amount = Decimal(data["amount"])
            return Notification(out_trade_no=str(data["out_trade_no"]), provider_txn_id=str(data["txn_id"]),
                                amount=amount, paid=data.get("status") == "SUCCESS",
                                paid_at=parse_datetime(data.get("paid_at") or ""), raw=data)
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise InvalidNotification("malformed body") from exc

    def answer(self, ok: bool) -> Answer:
        return Answer(200, "success") if ok else Answer(400, "fail")


# --- the simulator's own checkout pages (the provider's side) ------------------------------

def _deliver(url: str, body: bytes, headers: dict, delay: float = 0.0, attempts: int = 4) -> None:
    time.sleep(delay)
    for attempt in range(attempts):
        try:
            answer = requests.post(url, data=body, headers=headers, timeout=10)
            if answer.status_code == 200 and answer.text.strip() == "success":
                return
            log.warning("paysim notify %s answered %s %s", url, answer.status_code, answer.text[:100])
        except requests.RequestException as exc:
            log.warning("paysim notify %s failed: %s", url, exc)
        time.sleep(0.5 * 2 ** attempt)


def notify_in_background(url: str, body: bytes, headers: dict, delay: float = 0.0) -> threading.Thread:
    thread = threading.Thread(target=_deliver, args=(url, body, headers, delay), daemon=True,
                              name="paysim-notify")
    thread.start()
    return thread


def _options() -> dict:
    return settings.PAYMENT_PROVIDERS["simulator"]


@require_http_methods(["GET", "POST"])
def checkout(request):
    options = _options()
    token = request.GET.get("s") or request.POST.get("s") or ""
    try:
        session = signing.loads(token, key=options["SECRET"], salt="paysim.checkout", max_age=3600)
    except signing.BadSignature:
        return HttpResponseBadRequest("invalid checkout", content_type="text/plain")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pay":
            body, headers = notification_for(options["SECRET"], out_trade_no=session["o"], amount=session["a"])
            notify_in_background(session["n"], body, headers, delay=options.get("NOTIFY_DELAY_MS", 0) / 1000)
            return HttpResponseRedirect(session["r"], status=303)
        if action == "cancel":
            return HttpResponseRedirect(session["r"] + ("&" if "?" in session["r"] else "?") + "cancelled=1",
                                        status=303)
        return HttpResponseBadRequest("unknown action", content_type="text/plain")
    return render(request, "core_billing/pay/paysim.html",
                  {"token": token, "out_trade_no": session["o"], "amount": session["a"], "subject": session["s"]})
