"""Messaging pages: topics with live preview, send one SMS, staff notices, messages, the customer panel."""
import re

import pytest
from django.urls import reverse

from core_billing.models import AuditLog
from messaging.models import Message, OptOut, Topic
from messaging.services.topics import topic_create

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_topic_create_page_and_list(client, org):
    c = login(client, org.service1)
    assert c.get(reverse("messaging:topic-create")).status_code == 200
    response = c.post(reverse("messaging:topic-create"), {"name": "供热通知", "kind": "notice",
                                                          "body": "{{ 客户名称 }}您好，11月1日正式供热。",
                                                          "is_active": "on"})
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.body.startswith("{{ customer_name }}") and topic.station == org.s1
    listing = c.get(reverse("messaging:topic-list")).content.decode()
    assert "供热通知" in listing


def test_topic_page_shows_the_position_of_a_bad_placeholder(client, org):
    c = login(client, org.service1)
    response = c.post(reverse("messaging:topic-create"), {"name": "x", "kind": "dunning", "body": "欠{{ 欠款 }}元",
                                                          "is_active": "on"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "欠款" in text and "第 1 行" in text
    assert not Topic.objects.exists()


def test_live_preview_partial(client, org):
    c = login(client, org.service1)
    response = c.post(reverse("messaging:preview"), {"body": "{{ customer_name }}您好" + "暖" * 70, "kind": "notice",
                                                     "customer": org.customer1.account_no})
    text = response.content.decode()
    assert "张伟1您好" in text and 'id="preview-segments">2<' in text and "UCS-2" in text
    sample = c.post(reverse("messaging:preview"), {"body": "hello {{ customer_name }}", "kind": "notice"})
    assert "GSM-7" not in sample.content.decode()  # the signature 【】 makes it UCS-2
    other = c.post(reverse("messaging:preview"), {"body": "{{ customer_name }}", "kind": "notice",
                                                  "customer": org.customer2.account_no})
    assert "张伟2" not in other.content.decode()  # another station's customer is not found


def test_preview_names_a_missing_provider(client, org, without_provider):
    without_provider("billing")
    c = login(client, org.service1)
    response = c.post(reverse("messaging:preview"), {"body": "应缴{{ amount_due }}元", "kind": "dunning",
                                                     "customer": org.customer1.account_no})
    assert "尚未接入" in response.content.decode()


def test_other_station_topic_is_404(client, org):
    topic = topic_create(actor=org.service2, name="二站", kind="notice", body="通知")
    c = login(client, org.service1)
    assert c.get(reverse("messaging:topic-edit", args=[topic.pk])).status_code == 404


def test_send_one_page(client, org, sim, django_capture_on_commit_callbacks):
    c = login(client, org.service1)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("messaging:send"), {"customer": org.customer1.account_no, "body": "您好"})
    assert response.status_code == 302
    msg = Message.objects.get()
    assert msg.status == "sent" and sim.received()[0]["body"] == msg.body
    detail = c.get(response["Location"]).content.decode()
    assert "+8613800138001" in detail


def test_send_one_page_refuses_landline(client, org, sim):
    c = login(client, org.service1)
    response = c.post(reverse("messaging:send"), {"phone": "0412-5551234", "body": "您好"})
    assert response.status_code == 200 and "固定电话" in response.content.decode()
    assert not Message.objects.exists()


def test_message_list_filters_and_is_scoped(client, org, sim, django_capture_on_commit_callbacks):
    from messaging.services.sending import message_send_one

    with django_capture_on_commit_callbacks(execute=True):
        message_send_one(actor=org.service1, customer=org.customer1, body="一站的短信", season="2025-2026")
        message_send_one(actor=org.service2, customer=org.customer2, body="二站的短信")
    c = login(client, org.service1)
    # the old address leads to the delivery records page (reports), filter kept
    text = c.get(reverse("sms-messages"), follow=True).content.decode()
    assert "一站的短信" in text and "二站的短信" not in text
    old = c.get(reverse("sms-messages"), {"season": "2024-2025"})
    assert old.status_code == 302 and old["Location"] == reverse("reports:records") + "?season=2024-2025"
    assert "一站的短信" not in c.get(reverse("sms-messages"), {"season": "2024-2025"}, follow=True).content.decode()
    assert "一站的短信" in c.get(reverse("sms-messages"), {"status": "sent"}, follow=True).content.decode()
    other = Message.objects.get(body__contains="二站")
    assert c.get(reverse("messaging:message-detail", args=[other.pk])).status_code == 404


def test_staff_notice_page(client, org, sim, django_capture_on_commit_callbacks):
    org.collector1.mobile = "+8613911110001"
    org.collector1.save()
    c = login(client, org.supervisor1)
    count = c.post(reverse("messaging:staff-count"), {"roles": ["collector"], "body": "明天开会"}).content.decode()
    assert re.search(r'id="staff-recipients">\D*1\D', count)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("messaging:staff-send"), {"roles": ["collector"], "body": "{{ 员工姓名 }}明天开会"})
    assert response.status_code == 200 and 'id="staff-result"' in response.content.decode()
    assert Message.objects.get().staff == org.collector1


def test_customer_page_shows_opt_out_and_staff_can_change_it(client, org, sim):
    c = login(client, org.service1)
    page = c.get(reverse("console:customer-detail", args=[org.customer1.pk])).content.decode()
    assert 'id="marketing-sms"' in page
    response = c.post(reverse("messaging:customer-opt-out", args=[org.customer1.pk]),
                      {"opted_out": "1", "reason": "电话要求"})
    assert response.status_code == 302
    assert OptOut.objects.get(phone=org.customer1.mobile).is_opted_out
    audit = AuditLog.objects.for_object(org.customer1).get(action="sms.opt_out")
    assert audit.reason == "电话要求" and audit.actor == org.service1
    page = c.get(reverse("console:customer-detail", args=[org.customer1.pk])).content.decode()
    assert "电话要求" in page  # in the history
    other = c.post(reverse("messaging:customer-opt-out", args=[org.customer2.pk]), {"opted_out": "1"})
    assert other.status_code == 404


def test_collector_sees_no_sms_pages(client, org):
    c = login(client, org.collector1)
    assert c.get(reverse("messaging:topic-list")).status_code == 403
    assert c.get(reverse("messaging:send")).status_code == 403
    page = c.get(reverse("console:customer-detail", args=[org.customer1.pk])).content.decode()
    assert 'id="sms-panel"' not in page
