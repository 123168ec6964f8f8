"""WeChat Pay API v3, H5 payments.

Requests are signed: "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n" with the
merchant's private key (SHA256withRSA), sent as
`Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,timestamp=..,serial_no=..`.
The H5 order (POST /v3/pay/transactions/h5) answers an h5_url the customer's
browser opens.  Notifications carry Wechatpay-Timestamp/-Nonce/-Signature/-Serial;
the signature covers "TIMESTAMP\\nNONCE\\nBODY\\n" under the platform public key,
timestamps more than five minutes off are refused, and the transaction is in
`resource`, AES-256-GCM encrypted with the APIv3 key (nonce and
associated_data given).  Success is answered 204 with no body; failure 4xx/5xx
with {"code": "FAIL", "message": ...}.
"""
from __future__ import annotations

import base64
import json
import secrets
import time
from decimal import Decimal
from urllib.parse import quote, urlparse

import requests
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.dateparse import parse_datetime

from .base import (Answer, CheckoutContext, InvalidNotification, Notification, NotifyRequest, PaymentProvider,
                   ProviderError)

TOLERANCE = 300
H5_PATH = "/v3/pay/transactions/h5"


def _sign(private_pem: str, message: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(*, mch_id: str, serial_no: str, private_pem: str, method: str, path: str, body: str,
                  timestamp: int | None = None, nonce: str | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_hex(16)
    signature = _sign(private_pem, f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n")
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial_no}"')


def fen(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


class WechatPayProvider(PaymentProvider):
    label = "微信支付"

    def is_configured(self) -> bool:
        o = self.options
        return bool(o.get("APP_ID") and o.get("MCH_ID") and o.get("SERIAL_NO") and o.get("PRIVATE_KEY")
                    and o.get("PLATFORM_PUBLIC_KEY") and len(o.get("API_V3_KEY", "")) == 32)

    def checkout_origins(self) -> list[str]:
        return ["https://wx.tenpay.com"]  # where h5_url points

    def order_body(self, order, ctx: CheckoutContext) -> dict:
        return {"appid": self.options["APP_ID"], "mchid": self.options["MCH_ID"], "description": ctx.subject,
                "out_trade_no": order.out_trade_no, "notify_url": ctx.notify_url,
                "amount": {"total": fen(order.amount), "currency": "CNY"},
                "scene_info": {"payer_client_ip": ctx.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}}

    def start(self, order, ctx: CheckoutContext) -> str:
        body = json.dumps(self.order_body(order, ctx), ensure_ascii=False, separators=(",", ":"))
        auth = authorization(mch_id=self.options["MCH_ID"], serial_no=self.options["SERIAL_NO"],
                             private_pem=self.options["PRIVATE_KEY"], method="POST", path=H5_PATH, body=body)
        try:
            answer = requests.post(f"{self.options['API_BASE'].rstrip('/')}{H5_PATH}", data=body.encode(),
                                   headers={"Authorization": auth, "Content-Type": "application/json",
                                            "Accept": "application/json"},
                                   timeout=self.options.get("TIMEOUT", 10))
        except requests.RequestException as exc:
            raise ProviderError(f"微信支付暂时无法下单：{exc}") from exc
        if answer.status_code != 200:
            raise ProviderError(f"微信支付下单失败（{answer.status_code}）：{answer.text[:200]}")
        h5_url = answer.json().get("h5_url", "")
        if urlparse(h5_url).scheme not in ("https", "http"):
            raise ProviderError("微信支付没有返回支付地址。")
        return f"{h5_url}&redirect_url={quote(ctx.return_url, safe='')}"

    def parse_notification(self, request: NotifyRequest) -> Notification:
        h = request.headers
        timestamp, nonce, signature = (h.get("Wechatpay-Timestamp", ""), h.get("Wechatpay-Nonce", ""),
                                       h.get("Wechatpay-Signature", ""))
        try:
            if abs(time.time() - int(timestamp)) > TOLERANCE:
                raise InvalidNotification("timestamp too far off")
        except ValueError as exc:
            raise InvalidNotification("missing timestamp") from exc
        try:
            body = request.body.decode("utf-8")
            key = serialization.load_pem_public_key(self.options["PLATFORM_PUBLIC_KEY"].encode())
            key.verify(base64.b64decode(signature), f"{timestamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidNotification("bad signature") from exc
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise InvalidNotification("unknown algorithm")
            plain = AESGCM(self.options["API_V3_KEY"].encode()).decrypt(
                resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                (resource.get("associated_data") or "").encode())
            data = json.loads(plain)
            if data.get("mchid") != self.options["MCH_ID"]:
                raise InvalidNotification("notification for another merchant")
            return Notification(out_trade_no=data["out_trade_no"], provider_txn_id=data["transaction_id"],
                                amount=Decimal(int(data["amount"]["total"])) / 100,
                                paid=data.get("trade_state") == "SUCCESS",
                                paid_at=parse_datetime(data.get("success_time") or ""), raw=data)
        except (KeyError, TypeError, ValueError, InvalidTag) as exc:
            raise InvalidNotification("cannot read the resource") from exc

    def answer(self, ok: bool) -> Answer:
        if ok:
            return Answer(204)
        return Answer(500, json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False), "application/json")

    def refused(self) -> Answer:
        return Answer(401, json.dumps({"code": "FAIL", "message": "签名错误"}, ensure_ascii=False),
                      "application/json")
