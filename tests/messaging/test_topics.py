import datetime as dt
"""Topics: validated on save, station or company-wide, previewed with a real customer (MSG-01, MSG-09)."""
from decimal import Decimal

import pytest

from core_billing.errors import AppError, PermissionDeniedError
from core_billing.models import AuditLog
from messaging.models import Topic
from messaging.services.topics import topic_create, topic_preview, topic_update

pytestmark = pytest.mark.django_db


def test_create_stores_keys_and_is_audited(org):
    topic = topic_create(actor=org.service1, name="缴费通知", kind="notice",
                         body="{{ 客户名称 }}您好，请于本月缴费。客服{{ 客服热线 }}")
    assert topic.station_id == org.s1.pk
    assert topic.body == "{{ customer_name }}您好，请于本月缴费。客服{{ hotline }}"
    entry = AuditLog.objects.get(action="topic.create", object_id=str(topic.pk))
    assert entry.station_id == org.s1.pk and entry.after["name"] == "缴费通知"


def test_unknown_placeholder_refused_and_nothing_saved(org):
    with pytest.raises(AppError) as err:
        topic_create(actor=org.service1, name="x", kind="dunning", body="您欠{{ 欠款金额 }}元")
    assert "欠款金额" in err.value.message and err.value.extra["placeholders"]
    assert not Topic.objects.exists()


def test_marketing_only_on_notices(org):
    with pytest.raises(AppError) as err:
        topic_create(actor=org.service1, name="催缴", kind="dunning", body="请缴费", is_marketing=True)
    assert err.value.field == "is_marketing"


def test_company_wide_topics_only_by_head_office_and_visible_everywhere(org):
    with pytest.raises(PermissionDeniedError):
        topic_create(actor=org.service1, name="全公司", kind="notice", body="通知", company_wide=True)
    org.admin.refresh_from_db()
    shared = topic_create(actor=org.admin, name="全公司", kind="notice", body="通知", company_wide=True)
    own2 = topic_create(actor=org.service2, name="二站的", kind="notice", body="通知")
    visible1 = set(Topic.objects.visible_to(org.service1))
    assert shared in visible1 and own2 not in visible1
    with pytest.raises(PermissionDeniedError):
        topic_update(actor=org.service1, topic=shared, changes={"body": "改"})


def test_other_station_topic_cannot_be_updated(org):
    topic = topic_create(actor=org.service2, name="二站的", kind="notice", body="通知")
    with pytest.raises(AppError) as err:
        topic_update(actor=org.service1, topic=topic, changes={"body": "改"})
    assert err.value.code == "not_found"


def test_update_audits_before_and_after(org):
    topic = topic_create(actor=org.service1, name="通知", kind="notice", body="旧内容")
    topic_update(actor=org.service1, topic=topic, changes={"body": "新内容{{ 小区 }}"}, reason="改措辞")
    entry = AuditLog.objects.get(action="topic.update")
    assert entry.before == {"body": "旧内容"} and entry.after == {"body": "新内容{{ community }}"}
    assert entry.reason == "改措辞"


def test_preview_with_real_customer_counts_signature_and_opt_out(org, settings):
    settings.SMS_SIGNATURE = "暖信热力"
    settings.SMS_PRICE_PER_SEGMENT = Decimal("0.05")
    preview = topic_preview(actor=org.service1, body="{{ customer_name }}您好，{{ 小区 }}明日打压试水。",
                            kind="notice", is_marketing=True, customer=org.customer1)
    assert preview.text == "【暖信热力】张伟1您好，阳光花园1明日打压试水。回T退订"
    assert preview.info.encoding == "ucs2" and preview.info.segments == 1
    assert preview.cost == Decimal("0.05") and not preview.sample


def test_preview_names_the_missing_billing_provider(org, without_provider):
    without_provider("billing")
    with pytest.raises(AppError) as err:
        topic_preview(actor=org.service1, body="{{ customer_name }}您欠费{{ amount_due }}元", kind="dunning",
                      customer=org.customer1)
    assert err.value.code == "provider_missing"
    assert "应缴金额" in err.value.message and "billing" in err.value.message


def test_preview_uses_a_registered_provider(org, billing_provider):
    preview = topic_preview(actor=org.service1, body="{{ customer_name }}，{{ season }}年度应缴{{ amount_due }}元",
                            kind="dunning", customer=org.customer1, season="2025-2026")
    assert "张伟1，2025-2026年度应缴2212.50元" in preview.text


def test_preview_with_real_balances(org):
    """The billing provider reads the customer's stored balances: money as yuan with two decimals."""
    from core_billing.models import Customer
    from tests import factories as f

    f.season(name="2026-2027", start=dt.date(2026, 11, 1), end=dt.date(2027, 3, 31))
    customer = Customer.objects.get(pk=org.customer1.pk)
    preview = topic_preview(actor=org.service1, body="{{ customer_name }}，{{ season }}年度应缴{{ amount_due }}元，"
                            "欠费{{ arrears_seasons }}年，合计{{ total_owed }}元", kind="dunning", customer=customer)
    assert f"{customer.due_current:.2f}" == "2124.00"  # 88.50 m² × 24 元
    assert "张伟1，2026-2027年度应缴2124.00元，欠费1年，合计2124.00元" in preview.text


def test_sample_preview_for_the_editor(org):
    preview = topic_preview(actor=org.service1, body="{{ customer_name }}应缴{{ amount_due }}元", kind="dunning",
                            sample=True)
    assert preview.sample and "张伟应缴2212.50元" in preview.text


def test_preview_of_other_station_customer_refused(org):
    with pytest.raises(AppError):
        topic_preview(actor=org.service2, body="{{ customer_name }}", kind="notice", customer=org.customer1)


def test_long_text_costs_more_segments(org, settings):
    settings.SMS_PRICE_PER_SEGMENT = Decimal("0.05")
    preview = topic_preview(actor=org.service1, body="暖" * 70, kind="service", sample=True)
    assert preview.info.segments == 2 and preview.cost == Decimal("0.10")


def test_company_wide_topic_opens_for_station_staff_everywhere(org, client):
    from django.urls import reverse
    from rest_framework.test import APIClient

    from core_billing.scoping import get_visible_or_404

    shared = topic_create(actor=org.admin, name="全公司", kind="notice", body="通知", company_wide=True)
    assert get_visible_or_404(Topic, org.service1, pk=shared.pk) == shared
    client.force_login(org.service1)
    assert client.get(reverse("messaging:topic-edit", args=[shared.pk])).status_code == 200
    api = APIClient()
    api.force_authenticate(org.service2)
    assert api.get(reverse("sms-topic-detail", args=[shared.pk])).status_code == 200
