"""Shared by the pay tests: real RSA keys made in the test, provider settings that
use them, and notifications signed the way each provider signs them."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import secrets
import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings as django_settings
from django.utils import timezone

from core_billing.models import OnlineOrder, PayLink
from core_billing.payments import alipay as alipay_mod
from core_billing.payments import simulator as paysim
from core_billing.services.paylinks import paylinks_for_customers
from tests import factories as f

PROVIDERS = ["simulator", "alipay", "wechatpay"]
API_V3_KEY = "0123456789abcdef0123456789ABCDEF"


def _pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture(scope="session")
def keys():
    """app key (ours), alipay's key, wechat platform key, merchant key: (private, public) each."""
    return {"app": _pair(), "alipay": _pair(), "platform": _pair(), "merchant": _pair()}


@pytest.fixture
def providers(settings, keys):
    conf = copy.deepcopy(django_settings.PAYMENT_PROVIDERS)
    conf["alipay"].update(APP_ID="2021000000000001", PRIVATE_KEY=keys["app"][0], ALIPAY_PUBLIC_KEY=keys["alipay"][1])
    conf["wechatpay"].update(APP_ID="wx0000000000000001", MCH_ID="1900000001", SERIAL_NO="5157F09EFDC096DE15EBE81A47057A72",
                             PRIVATE_KEY=keys["merchant"][0], PLATFORM_PUBLIC_KEY=keys["platform"][1],
                             API_V3_KEY=API_V3_KEY, API_BASE="http://127.0.0.1:9")
    settings.PAYMENT_PROVIDERS = conf
    settings.PAYMENT_PROVIDERS_OFFERED = PROVIDERS
    return conf


def today():
    return timezone.localdate()


def open_season(**extra):
    """A season running now: 88.50 m² × 24 元 = 2124.00 per household, no late fee;
    3 % off until 30 days from today unless tiers say otherwise."""
    t = today()
    opts = dict(name=f"{t.year}-{t.year + 1}", start=t - dt.timedelta(days=10), end=t + dt.timedelta(days=120),
                late_start=None, tiers=[])
    opts.update(extra)
    return f.season(**opts)


def link_for(customer, season=None) -> PayLink:
    paylinks_for_customers([customer], season=season)
    return PayLink.objects.filter(customer=customer, revoked_at__isnull=True).latest("id")


def order_for(customer, amount="500.00", provider="simulator", status="open") -> OnlineOrder:
    link = link_for(customer)
    return OnlineOrder.objects.create(station_id=customer.station_id, customer=customer, pay_link=link,
                                      out_trade_no=f"NXT{secrets.token_hex(6)}", provider=provider,
                                      amount=Decimal(amount), status=status)


# --- notifications as each provider sends them ------------------------------------------

def simulator_notice(conf, out_trade_no, amount, txn="SIM-TXN-1", t=None, status="SUCCESS"):
    return paysim.notification_for(conf["simulator"]["SECRET"], out_trade_no=out_trade_no, amount=amount,
                                   txn_id=txn, t=t, status=status)


def alipay_notice(conf, keys, out_trade_no, amount, txn="2026112922001400000000000001", status="TRADE_SUCCESS",
                  app_id=None):
    params = {"notify_time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"), "notify_type": "trade_status_sync",
              "notify_id": secrets.token_hex(8), "app_id": app_id or conf["alipay"]["APP_ID"], "charset": "utf-8",
              "version": "1.0", "sign_type": "RSA2", "trade_no": txn, "out_trade_no": out_trade_no,
              "trade_status": status, "total_amount": f"{Decimal(amount):.2f}", "subject": "供热费",
              "gmt_payment": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")}
    params["sign"] = alipay_mod.rsa2_sign(keys["alipay"][0], alipay_mod.sign_content(params,
                                                                                   exclude=("sign", "sign_type")))
    return urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def wechat_notice(conf, keys, out_trade_no, amount, txn="4200000000202611290000000001", ts=None,
                  state="SUCCESS", mchid=None):
    data = {"mchid": mchid or conf["wechatpay"]["MCH_ID"], "appid": conf["wechatpay"]["APP_ID"],
            "out_trade_no": out_trade_no, "transaction_id": txn, "trade_type": "MWEB", "trade_state": state,
            "success_time": timezone.localtime().isoformat(timespec="seconds"),
            "amount": {"total": int(Decimal(amount) * 100), "payer_total": int(Decimal(amount) * 100),
                       "currency": "CNY"}}
    nonce = secrets.token_hex(6)
    cipher = AESGCM(API_V3_KEY.encode()).encrypt(nonce.encode(), json.dumps(data).encode(), b"transaction")
    body = json.dumps({"id": secrets.token_hex(8), "create_time": timezone.localtime().isoformat(),
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(cipher).decode(), "associated_data": "transaction",
                                    "nonce": nonce}}, ensure_ascii=False)
    ts = str(int(time.time()) if ts is None else ts)
    req_nonce = secrets.token_hex(16)
    key = serialization.load_pem_private_key(keys["platform"][0].encode(), password=None)
    sig = base64.b64encode(key.sign(f"{ts}\n{req_nonce}\n{body}\n".encode(), padding.PKCS1v15(),
                                    hashes.SHA256())).decode()
    return body.encode(), {"Content-Type": "application/json", "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": req_nonce,
                           "Wechatpay-Signature": sig, "Wechatpay-Serial": "PLATFORMSERIAL"}


def notice(provider, conf, keys, out_trade_no, amount, txn=None):
    if provider == "simulator":
        return simulator_notice(conf, out_trade_no, amount, txn=txn or "SIM-TXN-1")
    if provider == "alipay":
        return alipay_notice(conf, keys, out_trade_no, amount, txn=txn or "2026112922001400000000000001")
    return wechat_notice(conf, keys, out_trade_no, amount, txn=txn or "4200000000202611290000000001")


def post_notice(client, provider, body, headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(f"/webhooks/pay/{provider}/notify/", data=body, content_type=headers["Content-Type"], **extra)
