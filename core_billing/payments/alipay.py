"""Alipay mobile web pay (alipay.trade.wap.pay), RSA2.

Request: the common parameters plus biz_content, every non-empty one except
`sign` sorted by name and joined as k=v with &, signed with the app's private
key (SHA256withRSA, PKCS#1 v1.5, base64); the customer's browser is sent to
the gateway with the signed parameters.  Asynchronous notification: a form
POST; `sign` and `sign_type` are left out, the rest sorted and joined the same
way and checked against Alipay's public key; we answer the bare word
`success` (anything else and Alipay retries).
"""
from __future__ import annotations

import base64
import json
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .base import Answer, CheckoutContext, InvalidNotification, Notification, NotifyRequest, PaymentProvider, yuan

PAID = {"TRADE_SUCCESS", "TRADE_FINISHED"}


def sign_content(params: dict, *, exclude=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in ("", None))


def rsa2_sign(private_pem: str, content: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_pem: str, content: str, signature: str) -> bool:
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        key.verify(base64.b64decode(signature), content.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


class AlipayProvider(PaymentProvider):
    label = "支付宝"

    def is_configured(self) -> bool:
        return bool(self.options.get("APP_ID") and self.options.get("PRIVATE_KEY")
                    and self.options.get("ALIPAY_PUBLIC_KEY"))

    def request_params(self, order, ctx: CheckoutContext) -> dict:
        params = {
            "app_id": self.options["APP_ID"], "method": "alipay.trade.wap.pay", "format": "JSON",
            "charset": "utf-8", "sign_type": "RSA2", "version": "1.0",
            "timestamp": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
            "notify_url": ctx.notify_url, "return_url": ctx.return_url,
            "biz_content": json.dumps({"out_trade_no": order.out_trade_no, "total_amount": yuan(order.amount),
                                       "subject": ctx.subject, "product_code": "QUICK_WAP_WAY",
                                       "timeout_express": "30m"}, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = rsa2_sign(self.options["PRIVATE_KEY"], sign_content(params))
        return params

    def checkout_origins(self) -> list[str]:
        parts = urlsplit(self.options["GATEWAY"])
        return [f"{parts.scheme}://{parts.netloc}"]

    def start(self, order, ctx: CheckoutContext) -> str:
        return f"{self.options['GATEWAY']}?{urlencode(self.request_params(order, ctx))}"

    def parse_notification(self, request: NotifyRequest) -> Notification:
        try:
            params = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidNotification("malformed body") from exc
        signature = params.get("sign", "")
        if not signature or not rsa2_verify(self.options["ALIPAY_PUBLIC_KEY"],
                                            sign_content(params, exclude=("sign", "sign_type")), signature):
            raise InvalidNotification("bad signature")
        if params.get("app_id") != self.options["APP_ID"]:
            raise InvalidNotification("notification for another app")
        try:
            amount = Decimal(params["total_amount"])
            return Notification(out_trade_no=params["out_trade_no"], provider_txn_id=params["trade_no"],
                                amount=amount, paid=params.get("trade_status") in PAID,
                                paid_at=_alipay_time(params.get("gmt_payment", "")), raw=params)
        except (KeyError, InvalidOperation) as exc:
            raise InvalidNotification("missing fields") from exc

    def answer(self, ok: bool) -> Answer:
        return Answer(200, "success") if ok else Answer(200, "failure")

    def refused(self) -> Answer:
        return Answer(403, "failure")


def _alipay_time(value: str):
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # Alipay's times are Beijing time, our TIME_ZONE
    return parsed
