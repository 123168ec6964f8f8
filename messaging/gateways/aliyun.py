"""Alibaba Cloud SMS (dysmsapi 2017-05-25): SendBatchSms with RPC signature v1.

Signing (Alibaba Cloud "signature mechanism" for RPC APIs): every parameter
but Signature, percent-encoded per RFC 3986 and sorted, joined as k=v&k=v;
StringToSign = METHOD & %2F & percentEncode(that); Signature =
base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

Aliyun sends only through approved templates, so bodies go through one
configured template whose single variable (`template_param`, default
"content") holds the text; Aliyun prefixes the 【SignName】 itself.
Delivery receipts (SmsReport) and replies (SmsUp) arrive as JSON arrays by
"HTTP batch push", unsigned: the receiving address configured in the Aliyun
console carries a secret `token` query parameter, which `verify` checks.
One SendBatchSms call returns one BizId for the batch, so a receipt is
matched on biz id + phone number.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

import requests

from core_billing.phones import normalize_phone

from .base import GatewayError, InboundSms, Receipt, SendResult, SmsGateway, WebhookAnswer, WebhookRequest

# Codes after which the same request can succeed later (flow control, provider trouble).
TRANSIENT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User", "Throttling",
                   "isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError", "isv.AMOUNT_NOT_ENOUGH"}
ERROR_TEXTS = {
    "isv.MOBILE_NUMBER_ILLEGAL": "号码格式错误", "isv.BUSINESS_LIMIT_CONTROL": "触发发送频率限制",
    "isv.AMOUNT_NOT_ENOUGH": "短信账户余额不足", "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不可用",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不可用", "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.BLACK_KEY_CONTROL_LIMIT": "内容含有禁用词", "SignatureDoesNotMatch": "阿里云签名校验失败（检查密钥配置）",
    "InvalidAccessKeyId.NotFound": "阿里云 AccessKey 不存在", "isv.DENY_IP_RANGE": "来源 IP 不在白名单",
    "MK:0000": "用户退订", "IC:0001": "号码空号", "IA:0001": "号码空号", "DELIVERED": "",
}


def percent_encode(value: str) -> str:
    return quote(str(value), safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def national(e164: str) -> str:
    """Aliyun wants mainland numbers without +86, others with their country code and no +."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


class AliyunGateway(SmsGateway):
    max_batch = 100  # SendBatchSms takes at most 100 numbers per call
    rate = 100.0

    def __init__(self, *, name, access_key_id: str, access_key_secret: str, sign_name: str, template_code: str,
                 template_param: str = "content", endpoint: str = "https://dysmsapi.aliyuncs.com/",
                 callback_token: str = "", region: str = "cn-hangzhou", timeout: float = 10.0, **options):
        super().__init__(name=name, **options)
        if not (access_key_id and access_key_secret and sign_name and template_code):
            raise GatewayError("阿里云短信网关缺少 AccessKey、签名或模板配置。", permanent=True, code="config")
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_param = template_param
        self.endpoint = endpoint
        self.callback_token = callback_token
        self.region = region
        self.timeout = (3.05, float(timeout))
        self.session = requests.Session()

    def secrets(self):
        return [self.access_key_secret, self.callback_token]

    def signed_params(self, action_params: dict[str, str], *, nonce: str | None = None,
                      timestamp: str | None = None) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendBatchSms", "Format": "JSON",
            "RegionId": self.region, "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0", "Version": "2017-05-25",
            "Timestamp": timestamp or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **action_params,
        }
        params["Signature"] = sign(params, self.access_key_secret, "POST")
        return params

    def _content(self, body: str) -> str:
        prefix = f"【{self.sign_name}】"
        return body[len(prefix):] if body.startswith(prefix) else body

    def send_batch(self, messages, throttle):
        throttle.take(len(messages))
        params = self.signed_params({
            "PhoneNumberJson": json.dumps([national(m.phone) for m in messages]),
            "SignNameJson": json.dumps([self.sign_name] * len(messages), ensure_ascii=False),
            "TemplateCode": self.template_code,
            "TemplateParamJson": json.dumps([{self.template_param: self._content(m.body)} for m in messages],
                                            ensure_ascii=False),
        })
        try:
            response = self.session.post(self.endpoint, data=params, timeout=self.timeout)
            payload = response.json()
        except (requests.RequestException, ValueError) as exc:
            self.log_failure(None, "SendBatchSms failed", exc)
            return [SendResult(m.message_id, False, error_code="network", error_text="网关连接失败")
                    for m in messages]
        code = str(payload.get("Code", response.status_code))
        if code == "OK" and payload.get("BizId"):
            return [SendResult(m.message_id, True, ref=str(payload["BizId"])) for m in messages]
        permanent = code not in TRANSIENT_CODES and response.status_code < 500
        self.log_failure(None, f"SendBatchSms {code}", payload.get("Message", ""))
        text = ERROR_TEXTS.get(code) or str(payload.get("Message", ""))[:200]
        return [SendResult(m.message_id, False, error_code=code, error_text=text, permanent=permanent)
                for m in messages]

    # --- webhooks -------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> bool:
        given = request.query.get("token", "")
        return bool(self.callback_token and given and hmac.compare_digest(given, self.callback_token))

    @staticmethod
    def _items(request: WebhookRequest) -> list[dict]:
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return []
        return [item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict)]

    def parse_status(self, request):
        out = []
        for item in self._items(request):
            ok = item.get("success") in (True, "true", "True")
            code = "" if ok else str(item.get("err_code", ""))
            out.append(Receipt(ref=str(item.get("biz_id", "")),
                               phone=normalize_phone(str(item.get("phone_number", ""))).number,
                               status="delivered" if ok else "failed", error_code=code,
                               error_text="" if ok else (ERROR_TEXTS.get(code) or str(item.get("err_msg", ""))[:200])))
        return [r for r in out if r.ref]

    def parse_inbound(self, request):
        out = []
        for item in self._items(request):
            raw = str(item.get("phone_number", ""))
            out.append(InboundSms(ref=str(item.get("sequence_id", "")), phone=normalize_phone(raw).number or raw,
                                  to=str(item.get("dest_code", "")), body=str(item.get("content", ""))))
        return out

    def status_answer(self):
        return WebhookAnswer(200, "application/json", json.dumps({"code": 0, "msg": "接收成功"}, ensure_ascii=False))

    inbound_answer = status_answer
