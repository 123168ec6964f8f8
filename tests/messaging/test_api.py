"""The messaging API: the same services as the pages, station-scoped, in the OpenAPI schema."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from messaging.models import Message, OptOut, Topic
from messaging.services.topics import topic_create

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_topic_crud_and_errors(org):
    c = api(org.service1)
    response = c.post(reverse("sms-topic-list"), {"name": "通知", "kind": "notice", "body": "{{ 客户名称 }}您好"},
                      format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["body"] == "{{ customer_name }}您好" and response.json()["station"] == org.s1.pk
    bad = c.post(reverse("sms-topic-list"), {"name": "坏", "kind": "notice", "body": "{{ 不存在 }}"}, format="json")
    assert bad.status_code == 400
    assert "不存在" in bad.json()["message"] and bad.json()["extra"]["placeholders"]
    pk = response.json()["id"]
    patched = c.patch(reverse("sms-topic-detail", args=[pk]), {"body": "改了", "reason": "措辞"}, format="json")
    assert patched.status_code == 200 and Topic.objects.get(pk=pk).body == "改了"


def test_other_station_topic_is_404(org):
    topic = topic_create(actor=org.service2, name="二站", kind="notice", body="x")
    c = api(org.service1)
    assert c.get(reverse("sms-topic-detail", args=[topic.pk])).status_code == 404
    assert c.post(reverse("sms-topic-preview", args=[topic.pk]), {}, format="json").status_code == 404


def test_preview_endpoints(org, without_provider):
    without_provider("billing")
    c = api(org.service1)
    r = c.post(reverse("sms-topic-preview-body"), {"body": "{{ customer_name }}您好", "kind": "notice",
                                                    "customer": org.customer1.pk}, format="json")
    assert r.status_code == 200 and r.json()["text"] == "【暖信热力】张伟1您好" and r.json()["segments"] == 1
    missing = c.post(reverse("sms-topic-preview-body"), {"body": "{{ amount_due }}", "kind": "dunning",
                                                          "customer": org.customer1.pk}, format="json")
    assert missing.status_code == 400 and missing.json()["extra"]["providers"] == ["billing"]
    other = c.post(reverse("sms-topic-preview-body"), {"body": "x", "kind": "notice", "customer": org.customer2.pk},
                   format="json")
    assert other.status_code == 400  # another station's customer "does not exist"
    places = c.get(reverse("sms-topic-placeholders")).json()
    by_key = {p["key"]: p for p in places}
    assert by_key["customer_name"]["available"] and not by_key["amount_due"]["available"]
    assert by_key["amount_due"]["label"] == "应缴金额"


def test_segments_endpoint(org):
    r = api(org.service1).post(reverse("message-segments"), {"text": "a" * 161}, format="json").json()
    assert (r["encoding"], r["segments"], r["per_segment"]) == ("GSM-7", 2, 153)


def test_send_one_and_list(org, sim, django_capture_on_commit_callbacks):
    c = api(org.service1)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("message-list"), {"customer": org.customer1.pk, "body": "您好", "season": "2025-2026"},
                   format="json")
    assert r.status_code == 201 and r.json()["status"] == "queued"
    assert Message.objects.get().status == "sent"
    rows = c.get(reverse("message-list"), {"season": "2025-2026", "status": "sent"}).json()["results"]
    assert [m["phone"] for m in rows] == [org.customer1.mobile]
    assert api(org.service2).get(reverse("message-detail", args=[rows[0]["id"]])).status_code == 404
    landline = c.post(reverse("message-list"), {"customer": org.customer1b.pk, "body": "您好"}, format="json")
    assert landline.status_code == 400 and landline.json()["extra"]["reason"] == "landline"


def test_anonymous_and_collectors_cannot_send(org, sim):
    assert api().post(reverse("message-list"), {"phone": "13800138000", "body": "x"}, format="json").status_code in (
        401, 403)
    assert api(org.collector1).post(reverse("message-list"), {"phone": "13800138000", "body": "x"},
                                    format="json").status_code == 403
    assert not Message.objects.exists()


def test_staff_notice_endpoint(org, sim, django_capture_on_commit_callbacks):
    org.collector1.mobile = "+8613911110001"
    org.collector1.save()
    with django_capture_on_commit_callbacks(execute=True):
        r = api(org.supervisor1).post(reverse("message-staff"), {"roles": ["collector", "customer_service"],
                                                                 "body": "开会"}, format="json")
    assert r.status_code == 201
    data = r.json()
    assert [m["staff"] for m in data["messages"]] == [org.collector1.pk]
    assert [s["staff"] for s in data["skipped"]] == [org.service1.pk]


def test_opt_out_endpoint_is_scoped(org):
    c = api(org.service1)
    r = c.post(reverse("sms-opt-out-list"), {"phone": org.customer1.mobile, "opted_out": True, "reason": "电话"},
               format="json")
    assert r.status_code == 200 and OptOut.objects.get().is_opted_out
    assert c.post(reverse("sms-opt-out-list"), {"phone": org.customer2.mobile, "opted_out": True},
                  format="json").status_code == 404
    assert [o["phone"] for o in c.get(reverse("sms-opt-out-list")).json()["results"]] == [org.customer1.mobile]
    assert api(org.service2).get(reverse("sms-opt-out-list")).json()["results"] == []


def test_every_endpoint_is_in_the_schema(org):
    schema = api(org.admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in ["/api/v1/sms-topics/", "/api/v1/sms-topics/{id}/preview/", "/api/v1/sms-topics/preview/",
                 "/api/v1/sms-topics/placeholders/", "/api/v1/messages/", "/api/v1/messages/{id}/",
                 "/api/v1/messages/staff/", "/api/v1/messages/segments/", "/api/v1/sms-opt-outs/",
                 "/api/v1/sms-replies/"]:
        assert path in paths, path
