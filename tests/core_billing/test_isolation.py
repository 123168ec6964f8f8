"""A station's staff see only their station; another station's object does not exist (404)."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core_billing.models import AuditLog, Customer

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# (url name prefix, attribute of the org fixture holding station 1's object)
RESOURCES = [
    ("station", "s1"),
    ("exchange-station", "exchange1"),
    ("community", "community1"),
    ("building", "building1"),
    ("customer", "customer1"),
]


@pytest.mark.parametrize("persona", ["service2", "supervisor2", "collector2"])
@pytest.mark.parametrize("basename, attr", RESOURCES)
def test_other_station_objects_are_404_and_absent_from_lists(org, persona, basename, attr):
    user = getattr(org, persona)
    obj = getattr(org, attr)
    client = api(user)
    detail = reverse(f"{basename}-detail", args=[obj.pk])
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"name": "x"}, format="json").status_code in (403, 404)
    listing = client.get(reverse(f"{basename}-list"), {"page_size": 500}).json()["results"]
    assert obj.pk not in {row["id"] for row in listing}
    own = getattr(org, attr.replace("1", "2"))
    assert own.pk in {row["id"] for row in listing}


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_head_office_sees_every_station(org, persona):
    rows = api(getattr(org, persona)).get(reverse("customer-list"), {"page_size": 500}).json()["results"]
    assert {r["station"] for r in rows} == {org.s1.pk, org.s2.pk}


def test_supervisor_cannot_update_other_station_customer_even_with_permission(org):
    client = api(org.supervisor2)
    url = reverse("customer-detail", args=[org.customer1.pk])
    assert client.patch(url, {"name": "改名"}, format="json").status_code == 404
    org.customer1.refresh_from_db()
    assert org.customer1.name == "张伟1"


def test_cannot_move_customer_into_other_station_building(org):
    client = api(org.supervisor2)
    url = reverse("customer-detail", args=[org.customer2.pk])
    response = client.patch(url, {"building": org.building1.pk, "reason": "搬家"}, format="json")
    assert response.status_code == 400
    assert "building" in response.json()["message"]
    assert Customer.objects.get(pk=org.customer2.pk).building_id == org.building2.pk


def test_create_building_in_other_station_community_refused(org):
    response = api(org.admin).post(reverse("building-list"), {"community": org.community1.pk, "name": "9号楼",
                                                              "unit_count": 2}, format="json")
    assert response.status_code == 201
    station_user = org.supervisor2
    station_user.user_permissions.add(*__import__("django.contrib.auth.models", fromlist=["Permission"])
                                      .Permission.objects.filter(codename="add_building"))
    station_user = type(station_user).objects.get(pk=station_user.pk)
    response = api(station_user).post(reverse("building-list"), {"community": org.community1.pk, "name": "10号楼",
                                                                 "unit_count": 2}, format="json")
    assert response.status_code == 400
    assert "community" in response.json()["message"]


def test_history_endpoint_is_scoped(org):
    assert api(org.service2).get(reverse("customer-history", args=[org.customer1.pk])).status_code == 404


def test_jurisdiction_stats_scoped(org):
    rows = api(org.supervisor1).get(reverse("jurisdiction-stats")).json()
    assert [(r["collector_name"], r["households"]) for r in rows] == [("collector1", 2)]
    rows = api(org.manager).get(reverse("jurisdiction-stats")).json()
    assert sorted(r["collector_name"] for r in rows) == ["collector1", "collector2"]


# --- pages ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["console:customer-detail", "console:customer-edit"])
def test_pages_404_for_other_station(client, org, name):
    client.force_login(org.supervisor2)
    assert client.get(reverse(name, args=[org.customer1.pk])).status_code == 404


def test_customer_list_page_shows_only_own_station(client, org):
    client.force_login(org.service2)
    body = client.get(reverse("console:customer-list")).content.decode()
    assert org.customer2.account_no in body
    assert org.customer1.account_no not in body


def test_customer_list_search_by_phone_name_account_address(client, org):
    client.force_login(org.service1)
    url = reverse("console:customer-list")
    for q in ["138 0013 8001", "张伟1", org.customer1.account_no, "阳光花园1 1号楼 101"]:
        body = client.get(url, {"q": q}).content.decode()
        assert org.customer1.account_no in body, q
        assert org.customer1b.account_no not in body, q


def test_customer_list_ignores_garbage_filters(client, org):
    client.force_login(org.service1)
    assert client.get(reverse("console:customer-list"), {"station": "x'; --", "unit": "abc"}).status_code == 200


def test_import_pages_scoped(client, org):
    from core_billing.services.imports import import_job_create

    from tests.core_billing.test_import import workbook

    job = import_job_create(actor=org.supervisor1, filename="a.xlsx", data=workbook([]))
    client.force_login(org.supervisor2)
    assert client.get(reverse("console:import-detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("console:import-errors", args=[job.pk])).status_code == 404
    assert api(org.supervisor2).get(reverse("import-detail", args=[job.pk])).status_code == 404


def test_audit_rows_scoped(org):
    from core_billing.services.customers import customer_update

    customer_update(actor=org.supervisor1, customer=org.customer1, changes={"name": "王五"}, reason="更正")
    assert AuditLog.objects.visible_to(org.supervisor2).filter(object_id=str(org.customer1.pk)).count() == 0
    assert AuditLog.objects.visible_to(org.supervisor1).filter(object_id=str(org.customer1.pk)).count() == 1
