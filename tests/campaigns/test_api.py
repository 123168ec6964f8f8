"""The campaigns API: audiences and their preview, campaigns and their steps, outcome, resend, dunning;
another station's objects are 404; a body that is not an object is a 400."""
import pytest
from rest_framework.test import APIClient

from campaigns.models import Audience, Campaign
from messaging.models import Message
from messaging.services.transitions import transition

pytestmark = pytest.mark.django_db
SEASON = "2025-2026"


def client_for(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_audience_preview_campaign_outcome_and_resend(org, street, season, topics, sim,
                                                      django_capture_on_commit_callbacks):
    api = client_for(org.service1)
    r = api.post("/api/v1/audiences/", {"name": "一号楼", "filters": {"buildings": [org.building1.pk]}},
                 format="json")
    assert r.status_code == 201, r.json()
    audience = r.json()
    assert audience["station"] == org.s1.pk
    r = api.get(f"/api/v1/audiences/{audience['id']}/preview/", {"topic": topics.notice.pk, "season": SEASON})
    body = r.json()
    assert r.status_code == 200 and body["recipients"] == 4 and body["skipped_total"] == 3
    assert {x["reason"]: x["count"] for x in body["skipped"]} == {"no_phone": 1, "landline": 1, "invalid": 1,
                                                                 "already_sent": 0}
    assert body["estimate"]["segments"] == 4
    r = api.post("/api/v1/campaigns/estimate/", {"filters": {"units": [2]}, "topic": topics.notice.pk,
                                                 "season": SEASON}, format="json")
    assert r.json()["recipients"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/campaigns/", {"name": "打压", "topic": topics.notice.pk, "season": SEASON,
                                            "audience": audience["id"]}, format="json")
    assert r.status_code == 201, r.json()
    cid = r.json()["id"]
    progress = api.get(f"/api/v1/campaigns/{cid}/progress/").json()
    assert progress["status"] == "sending" and progress["created"] == 4 and progress["skipped"] == 3
    ids = list(Message.objects.filter(campaign_id=cid).order_by("pk").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        transition(ids[:3], "delivered")
        transition(ids[3:], "failed", error_code="30003")
    outcome = api.get(f"/api/v1/campaigns/{cid}/outcome/").json()
    assert (outcome["delivered"], outcome["failed"], outcome["targeted"]) == (3, 1, 7)
    assert outcome["failed_by_code"] == [{"error_code": "30003", "count": 1}]
    assert outcome["segments"] == 4 and outcome["cost"] == "0.20"
    assert api.get(f"/api/v1/campaigns/{cid}/").json()["status"] == "finished"

    assert api.get("/api/v1/campaigns/resend-failed/", {"campaign": cid}).json() == {"count": 1}
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/campaigns/resend-failed/", {"campaign": cid}, format="json")
    assert r.status_code == 200 and r.json()["resent"] == 1
    assert api.post("/api/v1/campaigns/resend-failed/", {"campaign": cid}, format="json").json()["resent"] == 0
    assert api.post("/api/v1/campaigns/resend-failed/", ["x"], format="json").status_code == 400
    assert api.post(f"/api/v1/campaigns/{cid}/cancel/").status_code == 400  # already finished


def test_bad_input_is_a_clear_400(org, season, topics):
    api = client_for(org.service1)
    assert api.post("/api/v1/audiences/", [1, 2], format="json").status_code == 400
    r = api.post("/api/v1/audiences/", {"name": "x", "filters": {"colour": [1]}}, format="json")
    assert r.status_code == 400 and "colour" in r.json()["message"]
    r = api.post("/api/v1/audiences/", {"name": "x", "filters": ["a"]}, format="json")
    assert r.status_code == 400
    r = api.post("/api/v1/campaigns/", {"topic": topics.notice.pk, "season": "1900-1901"}, format="json")
    assert r.status_code == 400 and r.json()["extra"]["field"] == "season"


def test_other_station_objects_are_404(org, season, topics, django_capture_on_commit_callbacks):
    api1, api2 = client_for(org.service1), client_for(org.service2)
    audience = api1.post("/api/v1/audiences/", {"name": "一站", "filters": {}}, format="json").json()
    with django_capture_on_commit_callbacks(execute=False):
        cid = api1.post("/api/v1/campaigns/", {"topic": topics.notice.pk, "season": SEASON,
                                               "audience": audience["id"]}, format="json").json()["id"]
    for url in (f"/api/v1/audiences/{audience['id']}/", f"/api/v1/audiences/{audience['id']}/preview/",
                f"/api/v1/campaigns/{cid}/", f"/api/v1/campaigns/{cid}/progress/",
                f"/api/v1/campaigns/{cid}/outcome/"):
        assert api2.get(url).status_code == 404, url
    assert api2.post(f"/api/v1/campaigns/{cid}/pause/").status_code == 404
    assert api2.delete(f"/api/v1/audiences/{audience['id']}/").status_code == 404
    # naming station 1's building or audience from station 2 reads as missing
    r = api2.post("/api/v1/campaigns/", {"topic": topics.notice.pk, "season": SEASON,
                                         "audience": audience["id"]}, format="json")
    assert r.status_code == 400
    r = api2.post("/api/v1/audiences/preview/", {"filters": {"buildings": [org.building1.pk]}}, format="json")
    assert r.status_code == 404
    assert api2.get("/api/v1/campaigns/").json()["count"] == 0
    assert Campaign.objects.count() == 1 and Audience.objects.count() == 1


def test_dunning_api_needs_the_dunning_permission(org, season, topics):
    body = {"name": "催缴", "topic": topics.dunning.pk, "season": SEASON, "start_date": "2025-11-01",
            "end_date": "2026-03-15", "every_days": 15}
    assert client_for(org.service1).post("/api/v1/dunning-schemes/", body, format="json").status_code == 403
    api = client_for(org.supervisor1)
    r = api.post("/api/v1/dunning-schemes/", body, format="json")
    assert r.status_code == 201, r.json()
    sid = r.json()["id"]
    r = api.patch(f"/api/v1/dunning-schemes/{sid}/", {"every_days": 10, "reason": "加密"}, format="json")
    assert r.status_code == 200 and r.json()["every_days"] == 10
    assert api.get(f"/api/v1/dunning-schemes/{sid}/runs/").json() == []
    assert client_for(org.supervisor2).get(f"/api/v1/dunning-schemes/{sid}/").status_code == 404
