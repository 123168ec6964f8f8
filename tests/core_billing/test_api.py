import pytest
import yaml
from django.urls import reverse
from rest_framework.test import APIClient

from core_billing.models import AuditLog, Customer
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_auth_and_me(org):
    client = APIClient()
    token = client.post(reverse("api-token"), {"username": "service1", "password": PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("api-me")).json()
    assert me["username"] == "service1" and me["station"] == org.s1.pk and me["roles"] == ["customer_service"]
    assert APIClient().get(reverse("api-me")).status_code in (401, 403)


def test_session_login_with_bad_password_names_the_problem(org):
    client = APIClient(enforce_csrf_checks=False)
    bad = client.post(reverse("api-login"), {"username": "service1", "password": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["message"] == "用户名或密码错误。"
    ok = client.post(reverse("api-login"), {"username": "service1", "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    assert client.get(reverse("customer-list")).status_code == 200


def test_customer_filters(org):
    client = APIClient()
    client.force_authenticate(org.admin)
    url = reverse("customer-list")
    assert [r["account_no"] for r in client.get(url, {"contact_kind": "landline"}).json()["results"]] == \
        sorted([org.customer1b.account_no, org.customer2b.account_no])
    assert [r["id"] for r in client.get(url, {"community": org.community2.pk, "search": "张伟"}).json()["results"]] \
        == [org.customer2.pk]
    assert [r["id"] for r in client.get(url, {"collector": org.collector1.pk}).json()["results"]] == \
        [org.customer1.pk, org.customer1b.pk]
    detail = client.get(reverse("customer-detail", args=[org.customer1.pk])).json()
    assert detail["address"] == "阳光花园11号楼1单元101"
    assert detail["phones"] == [{"raw": "13800138001", "number": "+8613800138001", "kind": "mobile",
                                 "is_primary": True}]


def test_create_and_update_customer_through_api(org):
    client = APIClient()
    client.force_authenticate(org.supervisor1)
    response = client.post(reverse("customer-list"), {
        "account_no": "N0001", "name": "新户", "building": org.building1.pk, "unit": 2, "room": "601",
        "customer_type": org.customer1.customer_type_id, "area": "70.25", "heating_status": "normal",
        "metering_mode": "area", "phone_numbers": ["139 0000 1111", "0412-5550000"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mobile"] == "+8613900001111" and body["contact_kind"] == "mobile" and body["station"] == org.s1.pk
    customer = Customer.objects.get(account_no="N0001")
    patch = client.patch(reverse("customer-detail", args=[customer.pk]),
                         {"name": "新户改", "reason": "登记错误"}, format="json")
    assert patch.status_code == 200 and patch.json()["name"] == "新户改"
    assert AuditLog.objects.filter(object_id=str(customer.pk)).count() == 2
    history = client.get(reverse("customer-history", args=[customer.pk])).json()["results"]
    assert [h["action"] for h in history] == ["customer.update", "customer.create"]
    assert history[0]["reason"] == "登记错误"


@pytest.mark.parametrize("payload, field", [
    ({"area": "-1"}, "area"),
    ({"area": "abc"}, "area"),
    ({"unit": 99}, "unit"),
    ({"customer_type": 999999}, "customer_type"),
    ({"heating_status": "warm"}, "heating_status"),
])
def test_bad_input_is_400_naming_the_field_and_changes_nothing(org, payload, field):
    client = APIClient()
    client.force_authenticate(org.supervisor1)
    response = client.patch(reverse("customer-detail", args=[org.customer1.pk]), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert field in body["message"] or field in str(body["extra"])
    assert not AuditLog.objects.exists()


def test_collector_cannot_write(org):
    client = APIClient()
    client.force_authenticate(org.collector1)
    response = client.patch(reverse("customer-detail", args=[org.customer1.pk]), {"name": "x"}, format="json")
    assert response.status_code == 403


def test_duplicate_account_number_refused(org):
    client = APIClient()
    client.force_authenticate(org.supervisor1)
    response = client.post(reverse("customer-list"), {
        "account_no": org.customer2.account_no, "name": "重", "building": org.building1.pk, "unit": 1,
        "room": "909", "customer_type": org.customer1.customer_type_id, "area": "50"}, format="json")
    assert response.status_code == 400 and "account_no" in str(response.json())


def test_openapi_schema_and_docs(org, client):
    client.force_login(org.admin)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    for path in ["/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/stations/", "/api/v1/communities/",
                 "/api/v1/buildings/", "/api/v1/exchange-stations/", "/api/v1/customer-types/",
                 "/api/v1/auth/token/", "/api/v1/imports/", "/api/v1/jurisdictions/stats/"]:
        assert path in paths, path
    assert client.get("/api/docs/").status_code == 200


def test_openapi_schema_is_valid_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.stat().st_size > 1000
