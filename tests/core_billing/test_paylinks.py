"""Pay links: short, signed, expiring, revocable, bound to one customer; made in
bulk for campaigns with a few queries; a bad link shows one friendly page."""
import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core_billing import paylinks as codes
from core_billing.models import PayLink
from core_billing.services.paylinks import (paylink_create, paylink_resolve, paylink_revoke,
                                            paylinks_for_customers, paylinks_revoke_for_customer)
from messaging.models import Message
from messaging.services.sending import Recipient, messages_create_bulk
from tests import factories as f
from tests.core_billing.payfix import open_season


def path_of(url):
    return urlparse(url).path


def test_a_link_is_short_signed_and_bound_to_its_customer(org, settings):
    settings.PUBLIC_BASE_URL = "https://nx.example.cn"
    urls = paylinks_for_customers([org.customer1, org.customer2])
    assert set(urls) == {org.customer1.pk, org.customer2.pk}
    for cid, url in urls.items():
        assert url.startswith("https://nx.example.cn/p/")
        assert len(path_of(url)) <= 12
        found = paylink_resolve(path_of(url)[3:])
        assert found.problem == "" and found.link.customer_id == cid
    link = PayLink.objects.get(customer=org.customer1)
    assert link.station_id == org.s1.pk
    assert abs((link.expires_at - timezone.now()) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)


def test_live_links_are_reused_and_a_season_gets_its_own(org):
    first = paylinks_for_customers([org.customer1])
    assert paylinks_for_customers([org.customer1]) == first
    season = open_season()
    seasonal = paylinks_for_customers([org.customer1], season=season)
    assert seasonal != first
    assert PayLink.objects.filter(customer=org.customer1).count() == 2
    assert PayLink.objects.get(customer=org.customer1, season=season).season_id == season.pk


def test_ttl_is_a_setting(org, settings):
    settings.PAY_LINK_TTL_DAYS = 7
    paylinks_for_customers([org.customer1])
    link = PayLink.objects.get()
    assert (link.expires_at - link.created_at) == dt.timedelta(days=7)


def test_a_link_near_its_end_is_not_handed_out_again(org):
    paylinks_for_customers([org.customer1])
    PayLink.objects.update(expires_at=timezone.now() + dt.timedelta(days=2))
    paylinks_for_customers([org.customer1])
    assert PayLink.objects.filter(customer=org.customer1).count() == 2


def test_many_customers_take_a_few_queries(org):
    people = [f.customer(org.building1, name=f"住户{i}", room=f"R{i}") for i in range(1200)]
    with CaptureQueriesContext(connection) as made:
        urls = paylinks_for_customers(people)
    assert len(urls) == 1200 and len(set(urls.values())) == 1200
    # SQLite: chunks of 900 ids and its 999-parameter inserts; PostgreSQL: one of each
    assert len(made) <= (20 if connection.vendor == "sqlite" else 4), [q["sql"][:80] for q in made]
    with CaptureQueriesContext(connection) as reused:
        assert paylinks_for_customers(people) == urls
    assert len(reused) <= 3


def test_a_guessed_code_fails_before_the_database(org, django_assert_num_queries):
    paylinks_for_customers([org.customer1])
    token = PayLink.objects.get().token
    good = codes.code_for(token)
    bad = [good[:-1] + ("A" if good[-1] != "A" else "B"), "AAAAAAAAA", good + "x", "", "../../etc", "ÄÄÄÄÄÄÄÄÄ"]
    with django_assert_num_queries(0):
        for code in bad:
            assert paylink_resolve(code).problem == "tampered"
    # a correctly signed code for a token we never issued reaches the database, and is unknown
    assert paylink_resolve(codes.code_for("zzzzz")).problem == "unknown"


def test_expired_and_revoked_links_are_gone(org):
    urls = paylinks_for_customers([org.customer1, org.customer2])
    PayLink.objects.filter(customer=org.customer1).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert paylink_resolve(path_of(urls[org.customer1.pk])[3:]).problem == "expired"
    link = PayLink.objects.get(customer=org.customer2)
    paylink_revoke(actor=org.supervisor2, link=link, reason="换户主")
    assert paylink_resolve(path_of(urls[org.customer2.pk])[3:]).problem == "revoked"
    assert paylinks_for_customers([org.customer2])[org.customer2.pk] != urls[org.customer2.pk]


def test_revoking_needs_permission_and_scope(org):
    paylinks_for_customers([org.customer1])
    from core_billing.errors import AppError
    with pytest.raises(AppError):
        paylink_revoke(actor=org.supervisor2, link=PayLink.objects.get(), reason="x")  # other station
    assert paylinks_revoke_for_customer(actor=org.supervisor1, customer=org.customer1, reason="丢失手机") == 1


def test_paylink_create_for_staff_is_station_scoped(org):
    from core_billing.errors import AppError
    assert paylink_create(actor=org.service1, customer=org.customer1).customer_id == org.customer1.pk
    with pytest.raises(AppError):
        paylink_create(actor=org.service2, customer=org.customer1)


@pytest.mark.parametrize("problem,status", [("tampered", 404), ("unknown", 404), ("expired", 410),
                                            ("revoked", 410)])
def test_a_bad_link_shows_the_same_friendly_page(client, org, problem, status):
    open_season()
    urls = paylinks_for_customers([org.customer1])
    path = path_of(urls[org.customer1.pk])
    if problem == "tampered":
        path = path[:-1] + ("A" if path[-1] != "A" else "B")
    elif problem == "unknown":
        path = "/p/" + codes.code_for("zzzzz")
    elif problem == "expired":
        PayLink.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
    else:
        PayLink.objects.update(revoked_at=timezone.now())
    response = client.get(path)
    assert response.status_code == status
    body = response.content.decode()
    assert "0412-96000" in body and "此缴费链接无法使用" in body
    for secret in (org.customer1.name, org.customer1.account_no, "2124", "过期", "作废"):
        assert secret not in body


def test_the_pay_link_placeholder_renders_a_real_link(org, sim, settings):
    settings.PUBLIC_BASE_URL = "https://nx.example.cn"
    people = [org.customer1, org.customer2] + [f.customer(org.building1, name=f"住户{i}", room=f"Q{i}",
                                                          phones=[f"1391111{i:04d}"]) for i in range(30)]
    with CaptureQueriesContext(connection) as made:
        messages_create_bulk(actor=org.admin, recipients=[Recipient(customer=c) for c in people],
                             body="{{ 客户名称 }}您好，请点击 {{ 缴费链接 }} 缴纳供热费。", kind="dunning")
    pay_sql = [q for q in made if "core_billing_paylink" in q["sql"]]
    assert len(pay_sql) <= 4
    for m in Message.objects.all():
        link = m.body.split("请点击 ")[1].split(" ")[0]
        assert link.startswith("https://nx.example.cn/p/") and len(path_of(link)) <= 12
        assert paylink_resolve(path_of(link)[3:]).link.customer_id == m.customer_id


def test_the_api_creates_lists_and_revokes_links_within_the_station(org):
    from rest_framework.test import APIClient
    api = APIClient()
    api.force_authenticate(org.service1)
    made = api.post("/api/v1/billing/pay-links/", {"customer": org.customer1.pk}, format="json")
    assert made.status_code == 201 and "/p/" in made.json()["url"]
    again = api.post("/api/v1/billing/pay-links/", {"customer": org.customer1.pk}, format="json")
    assert again.json()["id"] == made.json()["id"]  # the live one
    assert api.post("/api/v1/billing/pay-links/", {"customer": org.customer2.pk}, format="json").status_code == 400
    assert api.post("/api/v1/billing/pay-links/", ["x"], format="json").status_code == 400
    assert [r["id"] for r in api.get("/api/v1/billing/pay-links/").json()["results"]] == [made.json()["id"]]
    other = APIClient()
    other.force_authenticate(org.supervisor2)
    assert other.get(f"/api/v1/billing/pay-links/{made.json()['id']}/").status_code == 404
    assert other.post(f"/api/v1/billing/pay-links/{made.json()['id']}/revoke/", {}, format="json").status_code == 404
    revoked = api.post(f"/api/v1/billing/pay-links/{made.json()['id']}/revoke/", {"reason": "x"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["is_live"] is False
    assert api.get("/api/v1/billing/online-orders/").status_code == 200


def test_the_customer_page_hands_out_and_revokes_links(client, org):
    client.force_login(org.service1)
    page = client.get(f"/customers/{org.customer1.pk}/").content.decode()
    assert "暂无有效的缴费链接" in page
    client.post(f"/billing/customers/{org.customer1.pk}/pay-link/", {"action": "create"})
    page = client.get(f"/customers/{org.customer1.pk}/").content.decode()
    url = re.search(r'id="pay-link-url">([^<]+)<', page).group(1)
    assert paylink_resolve(path_of(url)[3:]).link.customer_id == org.customer1.pk
    assert client.post(f"/billing/customers/{org.customer2.pk}/pay-link/", {"action": "create"}).status_code == 404
    client.post(f"/billing/customers/{org.customer1.pk}/pay-link/", {"action": "revoke", "reason": "换户主"})
    assert paylink_resolve(path_of(url)[3:]).problem == "revoked"
