"""Provider requests are signed the way each provider checks them: the Alipay
redirect's RSA2 signature, the WeChat Pay v3 Authorization header (checked by a
stand-in API on loopback), and the pay page choosing among offered providers."""
import base64
import json
import re
import threading
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from core_billing.errors import AppError
from core_billing.models import OnlineOrder
from core_billing.payments import alipay
from core_billing.services.online import online_order_start
from tests.core_billing.payfix import keys, link_for, open_season, providers  # noqa: F401


def test_the_alipay_redirect_is_signed_with_rsa2(org, providers, keys):
    open_season()
    order, url = online_order_start(link=link_for(org.customer1), mode="part", amount="300", provider="alipay")
    assert url.startswith("https://openapi.alipay.com/gateway.do?")
    params = dict(parse_qsl(urlparse(url).query))
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2"
    biz = json.loads(params["biz_content"])
    assert biz == {"out_trade_no": order.out_trade_no, "total_amount": "300.00", "subject": biz["subject"],
                   "product_code": "QUICK_WAP_WAY", "timeout_express": "30m"}
    assert params["notify_url"].endswith("/webhooks/pay/alipay/notify/")
    # Alipay checks it with our public key
    assert alipay.rsa2_verify(keys["app"][1], alipay.sign_content(params), params["sign"])
    params["biz_content"] = params["biz_content"].replace("300.00", "3.00")
    assert not alipay.rsa2_verify(keys["app"][1], alipay.sign_content(params), params["sign"])


class _WechatStandIn(BaseHTTPRequestHandler):
    public_pem = ""
    seen: list = []
    answer_status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        auth = self.headers["Authorization"]
        fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
        message = f"POST\n{self.path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        key = serialization.load_pem_public_key(self.public_pem.encode())
        try:
            key.verify(base64.b64decode(fields["signature"]), message.encode(), padding.PKCS1v15(), hashes.SHA256())
            ok = auth.startswith("WECHATPAY2-SHA256-RSA2048 ")
        except Exception:
            ok = False
        self.seen.append((ok, json.loads(body), fields))
        status = self.answer_status if ok else 401
        payload = json.dumps({"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1"}
                             if status == 200 else {"code": "SIGN_ERROR", "message": "签名错误"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def wechat_api(providers, keys):
    _WechatStandIn.public_pem = keys["merchant"][1]
    _WechatStandIn.seen = []
    _WechatStandIn.answer_status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WechatStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    providers["wechatpay"]["API_BASE"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield _WechatStandIn
    server.shutdown()


def test_the_wechat_h5_order_is_signed_and_sends_the_customer_to_h5_url(org, providers, wechat_api):
    open_season()
    order, url = online_order_start(link=link_for(org.customer1), mode="full", provider="wechatpay",
                                    client_ip="10.1.2.3")
    ok, body, fields = wechat_api.seen[0]
    assert ok and fields["mchid"] == "1900000001" and fields["serial_no"] == providers["wechatpay"]["SERIAL_NO"]
    assert body["amount"] == {"total": 212400, "currency": "CNY"} and body["out_trade_no"] == order.out_trade_no
    assert body["scene_info"] == {"payer_client_ip": "10.1.2.3", "h5_info": {"type": "Wap"}}
    assert url.startswith("https://wx.tenpay.com/") and "&redirect_url=http" in url


def test_a_wechat_api_failure_cancels_the_order_and_says_so(org, providers, wechat_api):
    open_season()
    wechat_api.answer_status = 500
    with pytest.raises(AppError, match="支付渠道暂时不可用"):
        online_order_start(link=link_for(org.customer1), mode="full", provider="wechatpay")
    assert OnlineOrder.objects.get().status == "cancelled"
    # the customer can try again
    wechat_api.answer_status = 200
    order, _url = online_order_start(link=link_for(org.customer1), mode="full", provider="wechatpay")
    assert order.status == "open" and order.amount == D("2124.00")


def test_the_pay_page_offers_the_configured_providers(client, org, providers):
    from core_billing import paylinks as codes
    open_season()
    body = client.get(f"/p/{codes.code_for(link_for(org.customer1).token)}").content.decode()
    assert all(f'id="pay-{name}"' in body for name in ("simulator", "alipay", "wechatpay"))
    assert "支付宝" in body and "微信支付" in body


def test_the_pay_page_lets_its_form_redirect_to_the_providers(client, org, providers):
    from core_billing import paylinks as codes
    open_season()
    response = client.get(f"/p/{codes.code_for(link_for(org.customer1).token)}")
    policy = response["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert "'self'" in form_action and "https://openapi.alipay.com" in form_action
    assert "https://wx.tenpay.com" in form_action
    assert "script-src 'self'" in policy  # scripts stay strict
