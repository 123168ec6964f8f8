"""Receipt and inbound-SMS webhooks: signature on the raw body, batches, final states never go back."""
import json
import logging
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from core_billing.models import AuditLog
from messaging.gateways.twilio import compute_signature
from messaging.models import InboundMessage, Message, OptOut, PendingReceipt
from messaging.services import pipeline
from messaging.services.inbound import InboundResult, register_inbound_handler, unregister_inbound_handler
from messaging.services.receipts import receipts_apply
from messaging.services.sending import message_send_one

pytestmark = pytest.mark.django_db
STATUS_URL = "/webhooks/sms/twilio/status/"
INBOUND_URL = "/webhooks/sms/twilio/inbound/"


def post_signed(settings, path, params, *, token=None, signature=None):
    url = f"{settings.PUBLIC_BASE_URL}{path}"
    sig = signature if signature is not None else compute_signature(token or settings.TWILIO_AUTH_TOKEN, url,
                                                                     list(params.items()))
    headers = {"HTTP_X_TWILIO_SIGNATURE": sig} if sig else {}
    return Client().post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def receipt(msg, status, **extra):
    return {"AccountSid": "AC1", "ApiVersion": "2010-04-01", "From": "+8610690000", "MessageSid": msg.gateway_ref,
            "MessageStatus": status, "SmsSid": msg.gateway_ref, "SmsStatus": status, "To": msg.phone, **extra}


@pytest.fixture
def sent_message(org, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    msg.refresh_from_db()
    assert msg.status == "sent"
    return msg


def test_signed_receipt_delivers(settings, sent_message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(settings, STATUS_URL, receipt(sent_message, "delivered"))
    assert response.status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == "delivered" and sent_message.delivered_at
    assert not PendingReceipt.objects.exists()


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_bad_or_missing_signature_is_403_and_changes_nothing(settings, sent_message, signature):
    response = post_signed(settings, STATUS_URL, receipt(sent_message, "delivered"), signature=signature)
    assert response.status_code == 403
    assert not PendingReceipt.objects.exists()
    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


def test_signature_from_another_token_is_refused(settings, sent_message):
    response = post_signed(settings, STATUS_URL, receipt(sent_message, "delivered"), token="someone-else")
    assert response.status_code == 403


def test_tampered_body_is_refused(settings, sent_message):
    params = receipt(sent_message, "delivered")
    url = f"{settings.PUBLIC_BASE_URL}{STATUS_URL}"
    sig = compute_signature(settings.TWILIO_AUTH_TOKEN, url, list(params.items()))
    params["MessageStatus"] = "undelivered"
    response = Client().post(STATUS_URL, urlencode(params), content_type="application/x-www-form-urlencoded",
                             HTTP_X_TWILIO_SIGNATURE=sig)
    assert response.status_code == 403


def test_unknown_gateway_is_404(client):
    assert client.post("/webhooks/sms/nosuch/status/", {}).status_code == 404


@pytest.mark.parametrize("order, final", [
    (["sent", "delivered"], "delivered"),
    (["delivered", "sent"], "delivered"),  # out of order
    (["delivered", "delivered", "sent", "delivered"], "delivered"),  # duplicates
    (["sent", "undelivered", "delivered"], "failed"),  # a late contradicting receipt cannot revive it
    (["undelivered", "sent", "sent"], "failed"),
])
def test_duplicate_late_and_out_of_order_receipts_end_in_the_right_state(settings, sent_message, order, final,
                                                                         django_capture_on_commit_callbacks):
    for status in order:  # each applied on its own
        with django_capture_on_commit_callbacks(execute=True):
            extra = {"ErrorCode": "30003"} if status == "undelivered" else {}
            assert post_signed(settings, STATUS_URL, receipt(sent_message, status, **extra)).status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == final


@pytest.mark.parametrize("order, final", [
    (["sent", "delivered"], "delivered"),
    (["delivered", "sent"], "delivered"),
    (["undelivered", "delivered", "sent"], "failed"),  # first final one wins within a batch too
])
def test_receipts_applied_in_one_batch(settings, sent_message, order, final):
    for status in order:  # stored, not applied: the test's transaction never commits
        extra = {"ErrorCode": "30003"} if status == "undelivered" else {}
        post_signed(settings, STATUS_URL, receipt(sent_message, status, **extra))
    assert PendingReceipt.objects.count() == len(order)
    counts = receipts_apply()
    assert counts["taken"] == len(order) and counts["applied"] == 1
    sent_message.refresh_from_db()
    assert sent_message.status == final
    assert not PendingReceipt.objects.exists()


def test_failed_receipt_records_the_gateways_error(settings, sent_message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(settings, STATUS_URL, receipt(sent_message, "undelivered", ErrorCode="30003"))
    sent_message.refresh_from_db()
    assert (sent_message.status, sent_message.error_code) == ("failed", "30003")
    assert "无法接通" in sent_message.error_text


def test_unknown_id_is_answered_200_kept_and_logged_when_it_expires(settings, sim, caplog,
                                                                   django_capture_on_commit_callbacks):
    params = {"MessageSid": "SMdoesnotexist", "MessageStatus": "delivered", "To": "+8613800138001"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(settings, STATUS_URL, params).status_code == 200
    pending = PendingReceipt.objects.get()
    assert pending.tries == 1 and not pending.unmatched  # waits: its message may not be recorded yet
    PendingReceipt.objects.update(received_at=timezone.now() - timedelta(seconds=settings.SMS_RECEIPT_MATCH_WINDOW + 1))
    caplog.set_level(logging.WARNING, logger="messaging.receipts")
    pipeline.sweep()
    assert PendingReceipt.objects.get().unmatched
    assert "SMdoesnotexist" in caplog.text


def test_receipt_that_overtook_its_send_result_is_applied_later(org, settings, sim):
    msg = message_send_one(actor=org.service1, customer=org.customer1, body="测试")
    token, rows = pipeline.claim([msg.pk])
    early = {"MessageSid": "SMearly", "MessageStatus": "delivered", "To": msg.phone}
    post_signed(settings, STATUS_URL, early)
    assert receipts_apply()["waiting"] == 1
    from messaging.gateways import SendResult

    pipeline.record_results(token, rows, [SendResult(msg.pk, True, ref="SMearly")])
    PendingReceipt.objects.update(next_try_at=None)
    assert receipts_apply()["applied"] == 1
    msg.refresh_from_db()
    assert msg.status == "delivered"


def test_aliyun_receipts_match_biz_id_and_phone(org, settings, django_capture_on_commit_callbacks):
    gateways = dict(settings.SMS_GATEWAYS)
    gateways["aliyun"] = {**gateways["aliyun"], "ACCESS_KEY_ID": "LTAIid", "ACCESS_KEY_SECRET": "secret-123456",
                          "TEMPLATE_CODE": "SMS_1", "CALLBACK_TOKEN": "cb-token-987654"}
    settings.SMS_GATEWAYS = gateways
    from tests import factories as f

    other = f.customer(org.building1, name="王五", room="R9", phones=["13912345678"])
    now = timezone.now()
    m1 = Message.objects.create(station=org.s1, customer=org.customer1, phone=org.customer1.mobile, body="x",
                                gateway="aliyun", gateway_ref="900100", status="sent", created_at=now)
    m2 = Message.objects.create(station=org.s1, customer=other, phone=other.mobile, body="x", gateway="aliyun",
                                gateway_ref="900100", status="sent", created_at=now)
    body = json.dumps([
        {"phone_number": "13800138001", "success": True, "err_code": "DELIVERED", "biz_id": "900100"},
        {"phone_number": "13912345678", "success": False, "err_code": "IC:0001", "err_msg": "空号", "biz_id": "900100"},
    ])
    url = "/webhooks/sms/aliyun/status/"
    assert Client().post(url, body, content_type="application/json").status_code == 403
    assert Client().post(url + "?token=wrong", body, content_type="application/json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url + "?token=cb-token-987654", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["code"] == 0
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert m1.status == "delivered"
    assert (m2.status, m2.error_code, m2.error_text) == ("failed", "IC:0001", "号码空号")


# --- inbound SMS and opt-out (MSG-08) --------------------------------------------------------

def inbound(settings, sender, body, sid="SMin1"):
    return post_signed(settings, INBOUND_URL, {"From": sender, "To": "+8610690000", "Body": body,
                                               "MessageSid": sid, "AccountSid": "AC1"})


@pytest.mark.parametrize("word", ["退订", "TD", "td", "Ｔ", " r ", "退订。"])
def test_opt_out_keywords(org, settings, sim, word, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = inbound(settings, org.customer1.mobile, word)
    assert response.status_code == 200 and "<Response>" in response.content.decode()
    assert OptOut.objects.get(phone=org.customer1.mobile).is_opted_out
    row = InboundMessage.objects.get()
    assert (row.action, row.customer, row.station) == ("opt_out", org.customer1, org.s1)
    audit = AuditLog.objects.for_object(org.customer1).get(action="sms.opt_out")
    assert audit.after == {"marketing_sms": "已退订"} and audit.station_id == org.s1.pk
    confirmation = Message.objects.get(phone=org.customer1.mobile)
    assert "退订" in confirmation.body and not confirmation.is_marketing and confirmation.status == "sent"


def test_subscribe_opts_back_in(org, settings, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound(settings, org.customer1.mobile, "TD", sid="SM1")
        inbound(settings, org.customer1.mobile, "订阅", sid="SM2")
    assert not OptOut.objects.get(phone=org.customer1.mobile).is_opted_out
    actions = list(AuditLog.objects.for_object(org.customer1).values_list("action", flat=True))
    assert actions == ["sms.opt_in", "sms.opt_out"]


def test_same_inbound_twice_is_stored_once(org, settings, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound(settings, org.customer1.mobile, "TD")
        assert inbound(settings, org.customer1.mobile, "TD").status_code == 200
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1  # one confirmation


def test_inbound_bad_signature_changes_nothing(org, settings):
    response = post_signed(settings, INBOUND_URL, {"From": org.customer1.mobile, "Body": "TD", "MessageSid": "S"},
                           signature="forged")
    assert response.status_code == 403
    assert not InboundMessage.objects.exists() and not OptOut.objects.exists()


def test_other_replies_go_to_registered_handlers(org, settings, sim, django_capture_on_commit_callbacks):
    def handler(row):
        if row.body.startswith("1 "):
            return InboundResult(handled_by="work_orders", reply="已确认接单")
        return None

    register_inbound_handler(handler, name="test")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            inbound(settings, org.customer1.mobile, "1 GD-0001", sid="SMa")
            inbound(settings, org.customer1.mobile, "暖气不热", sid="SMb")
    finally:
        unregister_inbound_handler("test")
    rows = {r.body: r for r in InboundMessage.objects.all()}
    assert (rows["1 GD-0001"].action, rows["1 GD-0001"].handled_by) == ("handled", "work_orders")
    assert rows["暖气不热"].action == "unhandled"
    assert Message.objects.get().body.endswith("已确认接单")


def test_replies_from_unknown_numbers_are_head_office_only(org, settings, sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound(settings, "+8613700001111", "你好")
    row = InboundMessage.objects.get()
    assert row.station is None
    assert not InboundMessage.objects.visible_to(org.service1).exists()
    assert InboundMessage.objects.visible_to(org.admin).count() == 1
