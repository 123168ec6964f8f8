"""Twilio's Programmable Messaging REST API, over `requests`.

Send: POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic
auth (AccountSid:AuthToken) and To, From (or MessagingServiceSid), Body,
StatusCallback.  Twilio has no batch call, so a batch is sent as concurrent
single requests on kept-alive connections.
Receipts and inbound SMS: form posts signed with X-Twilio-Signature =
base64(HMAC-SHA1(AuthToken, URL + every POST parameter sorted by name, name
and value concatenated)).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

import requests

from core_billing.phones import normalize_phone

from .base import (GatewayError, InboundSms, OutgoingSms, Receipt, SendResult, SmsGateway, WebhookAnswer,
                   WebhookRequest)

STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "delivered", "undelivered": "failed",
              "failed": "failed"}
# Twilio error codes seen in receipts, in the words a Chinese operator needs.
ERROR_TEXTS = {
    "30001": "队列溢出", "30002": "账户已停用", "30003": "手机无法接通（关机或不在服务区）", "30004": "被接收方屏蔽",
    "30005": "号码不存在", "30006": "固定电话或无法接收短信的号码", "30007": "被运营商拦截",
    "30008": "未知错误", "21211": "号码无效", "21610": "接收方已退订", "21614": "不是手机号码",
}
# API errors (4xx) that retrying cannot fix; any other 4xx is treated the same.
TOO_MANY_REQUESTS = 429
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _e164(number: str) -> str:
    """Twilio names numbers in E.164, as we sent them: parsing each again cost a fifth of a receipt's work."""
    return number if E164.fullmatch(number) else normalize_phone(number).number


def compute_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    payload = url + "".join(key + value for key in sorted(grouped) for value in sorted(grouped[key]))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    # Twilio's own validators accept the URL with and without the default port.
    variants = [url]
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if url.startswith(scheme):
            rest = url[len(scheme):]
            host, _, path = rest.partition("/")
            if host.endswith(port):
                variants.append(f"{scheme}{host[:-len(port)]}/{path}")
            elif ":" not in host:
                variants.append(f"{scheme}{host}{port}/{path}")
    return variants


class TwilioGateway(SmsGateway):
    max_batch = 100
    rate = 100.0

    def __init__(self, *, name, account_sid: str, auth_token: str, from_number: str = "", api_base: str =
                 "https://api.twilio.com", status_callback: str = "", concurrency: int = 4, timeout: float = 10.0,
                 max_429_retries: int = 3, **options):
        super().__init__(name=name, **options)
        if not account_sid or not auth_token:
            raise GatewayError("Twilio 网关缺少 ACCOUNT_SID 或 AUTH_TOKEN 配置。", permanent=True, code="config")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.status_callback = status_callback
        self.timeout = (3.05, float(timeout))
        self.max_429_retries = max_429_retries
        self._local = threading.local()
        # requests would scan os.environ for proxies on every call (a third of
        # the CPU of a send); read them once.
        self.proxies = requests.utils.get_environ_proxies(self.url)
        self._pool = ThreadPoolExecutor(max_workers=max(1, int(concurrency)), thread_name_prefix=f"sms-{name}")

    def secrets(self):
        return [self.auth_token]

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = (self.account_sid, self.auth_token)
            session.trust_env = False
            session.proxies.update(self.proxies)
        return session

    # --- sending --------------------------------------------------------------------------
    def send_batch(self, messages, throttle):
        return list(self._pool.map(lambda sms: self._send_one(sms, throttle), messages))

    def _send_one(self, sms: OutgoingSms, throttle) -> SendResult:
        data = {"To": sms.phone, "Body": sms.body}
        if self.from_number.startswith("MG"):
            data["MessagingServiceSid"] = self.from_number
        else:
            data["From"] = self.from_number
        if self.status_callback:
            data["StatusCallback"] = self.status_callback
        # Encoded once here: handing requests a dict costs more CPU than the HTTP exchange itself.
        payload = urlencode(data)
        for attempt in range(self.max_429_retries + 1):
            throttle.take()
            try:
                response = self._session().post(self.url, data=payload, headers=FORM, timeout=self.timeout)
            except (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError) as exc:
                # The request went out: Twilio may have the message.  "timeout" makes the
                # next attempt ask Twilio first (find_sent) instead of sending blind.
                self.log_failure(sms, "no answer", exc)
                return SendResult(sms.message_id, False, error_code="timeout", error_text="网关无应答",
                                  permanent=False)
            except requests.RequestException as exc:
                self.log_failure(sms, "request failed", exc)
                return SendResult(sms.message_id, False, error_code="network", error_text="网关连接失败",
                                  permanent=False)
            if response.status_code in (200, 201):
                try:
                    return SendResult(sms.message_id, True, ref=response.json()["sid"])
                except (ValueError, KeyError) as exc:
                    self.log_failure(sms, "unreadable answer", exc)
                    return SendResult(sms.message_id, False, error_code="bad_response",
                                      error_text="网关返回内容无法识别", permanent=False)
            if response.status_code == TOO_MANY_REQUESTS and attempt < self.max_429_retries:
                # Slow down and try the same message again: 429 is about us, not the message.
                time.sleep(min(5.0, float(response.headers.get("Retry-After") or 0.2 * (attempt + 1))))
                continue
            return self._error_result(sms, response)
        raise AssertionError("unreachable")

    def find_sent(self, messages, since, throttle):
        """Twilio's message list, by recipient and date: a message counts as ours when the
        body matches and it was created at or after `since` (our row's creation)."""
        found: dict[int, str] = {}
        for sms in messages:
            throttle.take()
            try:
                response = self._session().get(self.url, params={"To": sms.phone, "DateSent>": f"{since:%Y-%m-%d}",
                                                                 "PageSize": 50}, timeout=self.timeout)
                rows = response.json().get("messages", []) if response.status_code == 200 else None
            except (requests.RequestException, ValueError) as exc:
                self.log_failure(sms, "lookup failed", exc)
                rows = None
            if rows is None:
                continue  # cannot tell: the caller sends again
            for row in rows:
                try:
                    created = parsedate_to_datetime(row["date_created"])
                except (KeyError, TypeError, ValueError):
                    continue
                if row.get("body") == sms.body and created >= since.replace(microsecond=0):
                    found[sms.message_id] = row["sid"]
                    break
        return found

    def _error_result(self, sms: OutgoingSms, response) -> SendResult:
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        code = str(payload.get("code") or response.status_code)
        text = ERROR_TEXTS.get(code) or str(payload.get("message") or response.reason or "")[:200]
        permanent = 400 <= response.status_code < 500 and response.status_code != TOO_MANY_REQUESTS
        self.log_failure(sms, f"HTTP {response.status_code}", f"{code} {payload.get('message', '')}")
        return SendResult(sms.message_id, False, error_code=code, error_text=text, permanent=permanent)

    # --- webhooks -------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        params = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        for url in request.urls:
            for variant in _url_variants(url):
                if hmac.compare_digest(compute_signature(self.auth_token, variant, params), signature):
                    return True
        return False

    @staticmethod
    def _form(request: WebhookRequest) -> dict[str, str]:
        return dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))

    def parse_status(self, request):
        form = self._form(request)
        status = STATUS_MAP.get(form.get("MessageStatus", form.get("SmsStatus", "")).lower())
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        if not status or not sid:
            return []  # queued/accepted/sending: nothing a person needs to see
        code = form.get("ErrorCode", "") if status == "failed" else ""
        text = ERROR_TEXTS.get(code, f"发送失败（{code}）" if code else "发送失败") if status == "failed" else ""
        return [Receipt(ref=sid, phone=_e164(form.get("To", "")), status=status,
                        error_code=code, error_text=text)]

    def parse_inbound(self, request):
        form = self._form(request)
        sender = normalize_phone(form.get("From", ""))
        return [InboundSms(ref=form.get("MessageSid") or form.get("SmsSid") or "",
                           phone=sender.number or form.get("From", ""), to=form.get("To", ""),
                           body=form.get("Body", ""))]

    def inbound_answer(self):
        return WebhookAnswer(200, "text/xml", '<?xml version="1.0" encoding="UTF-8"?><Response></Response>')
