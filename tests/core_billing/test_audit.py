import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core_billing.errors import AppError
from core_billing.models import AuditLog, Customer
from core_billing.models.audit import AuditLogImmutable
from core_billing.services.customers import customer_update
from core_billing.services.org import collector_assign, reference_save

pytestmark = pytest.mark.django_db


def test_customer_update_writes_before_after_reason(org):
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"area": "95.5", "name": "张大伟"},
                    phones=["13900000000", "0412-5550000"], reason="现场复核面积")
    row = AuditLog.objects.get(action="customer.update")
    assert row.actor == org.supervisor1 and row.actor_name == "supervisor1"
    assert row.station_id == org.s1.pk
    assert row.before == {"area": "88.50", "name": "张伟1", "phones": ["+8613800138001"]}
    assert row.after == {"area": "95.5", "name": "张大伟", "phones": ["+8613900000000", "+864125550000"]}
    assert row.reason == "现场复核面积"
    c = Customer.objects.get(pk=org.customer1.pk)
    assert c.mobile == "+8613900000000"


def test_failed_update_writes_nothing(org):
    with pytest.raises(AppError):
        customer_update(actor=org.supervisor1, customer=org.customer1, changes={"area": "-3"}, reason="x")
    with pytest.raises(AppError):
        customer_update(actor=org.supervisor1, customer=org.customer1, changes={"unit": 9}, reason="x")
    assert not AuditLog.objects.filter(action="customer.update").exists()
    assert Customer.objects.get(pk=org.customer1.pk).unit == 1


def test_update_needs_permission(org):
    with pytest.raises(AppError):
        customer_update(actor=org.collector1, customer=org.customer1, changes={"name": "x"})


def test_audit_rows_cannot_be_changed_or_deleted(org):
    org.community1.name = "新名字"
    reference_save(actor=org.admin, obj=org.community1, reason="改名")
    row = AuditLog.objects.filter(action="community.update").get()
    assert row.before == {"name": "阳光花园1"} and row.after == {"name": "新名字"}
    row.reason = "tampered"
    with pytest.raises(AuditLogImmutable):
        row.save()
    with pytest.raises(AuditLogImmutable):
        row.delete()
    with pytest.raises(AuditLogImmutable):
        AuditLog.objects.filter(pk=row.pk).update(reason="x")
    with pytest.raises(AuditLogImmutable):
        AuditLog.objects.all().delete()
    # the database refuses too, whatever the ORM is bypassed with
    for sql in ("UPDATE core_billing_auditlog SET reason = 'x'", "DELETE FROM core_billing_auditlog"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditLog.objects.get(pk=row.pk).reason == "改名"


def test_admin_cannot_edit_or_delete_audit_rows(org, client):
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"name": "张大伟"}, reason="更正")
    row = AuditLog.objects.get()
    client.force_login(org.admin)
    assert client.get(reverse("admin:core_billing_auditlog_changelist")).status_code == 200
    page = client.get(reverse("admin:core_billing_auditlog_change", args=[row.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:core_billing_auditlog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_admin_reference_change_is_audited(org, client):
    client.force_login(org.admin)
    url = reverse("admin:core_billing_community_change", args=[org.community1.pk])
    response = client.post(url, {"station": org.s1.pk, "name": "幸福家园", "address": "一路"})
    assert response.status_code == 302
    row = AuditLog.objects.get(action="community.update")
    assert row.after == {"name": "幸福家园", "address": "一路"} and row.actor == org.admin


def test_jurisdiction_changes_are_audited(org):
    from tests import factories as f

    other = f.user("collector1b", "collector", st=org.s1)
    collector_assign(actor=org.supervisor1, collector=other, community=org.community1, reason="调岗")
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["jurisdiction.remove", "jurisdiction.assign"]
    with pytest.raises(AppError):  # not a collector of that station
        collector_assign(actor=org.supervisor1, collector=org.collector2, community=org.community1)


def test_customer_detail_page_shows_history(org, client):
    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"name": "张大伟"}, reason="身份证更正")
    client.force_login(org.service1)
    body = client.get(reverse("console:customer-detail", args=[org.customer1.pk])).content.decode()
    assert "身份证更正" in body and "张大伟" in body and "supervisor1" in body


def test_customer_edit_page_saves_through_service(org, client):
    client.force_login(org.service1)
    url = reverse("console:customer-edit", args=[org.customer1.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {"name": "张伟", "building": org.building1.pk, "unit": 2, "room": "101", "customer_type":
            org.customer1.customer_type_id, "area": "88.50", "heating_status": "normal", "metering_mode": "area",
            "note": "", "is_active": "on", "phones": "13912345678 / 0412-5550000", "reason": "客户来电"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    c = Customer.objects.get(pk=org.customer1.pk)
    assert (c.unit, c.mobile, c.name) == (2, "+8613912345678", "张伟")
    row = AuditLog.objects.get(action="customer.update")
    assert row.reason == "客户来电" and row.before["unit"] == 1
    bad = client.post(url, {**data, "unit": 7})
    assert bad.status_code == 200 and "单元号须在 1 到 3 之间" in bad.content.decode()
