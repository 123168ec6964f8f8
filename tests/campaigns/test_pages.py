"""Campaign pages: builder preview (htmx), skipped download, campaign create → detail → progress,
actions, resend page, dunning pages; another station's pages are 404."""
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from campaigns.models import Audience, Campaign
from messaging.models import Message
from messaging.services.transitions import transition

pytestmark = pytest.mark.django_db
SEASON = "2025-2026"


def browser(user):
    c = Client()
    c.force_login(user)
    return c


def test_builder_preview_save_send_progress_and_resend(org, street, season, topics, sim,
                                                       django_capture_on_commit_callbacks):
    web = browser(org.service1)
    home = web.get("/").content.decode()
    assert "/campaigns/" in home  # in the console nav
    page = web.get("/campaigns/audiences/new/")
    assert page.status_code == 200 and "受众" in page.content.decode()
    form = {"name": "一号楼", "buildings": [org.building1.pk], "topic": topics.notice.pk, "season": SEASON,
            "no_repeat": "on"}
    partial = web.post("/campaigns/preview/", form, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="preview-recipients">4<' in partial and 'data-reason="landline"' in partial
    assert "没有手机号" in partial and "条" in partial or "0.20" in partial
    xlsx = web.get("/campaigns/preview/skipped.xlsx", form)
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][0] == "户号"
    r = web.post("/campaigns/audiences/new/", form)
    audience = Audience.objects.get()
    assert r.status_code == 302 and audience.filters == {"buildings": [org.building1.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        r = web.post("/campaigns/new/", {"name": "打压试水", "audience": audience.pk, "topic": topics.notice.pk,
                                         "season": SEASON, "no_repeat": "on"})
    campaign = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/{campaign.pk}/"
    detail = web.get(r["Location"]).content.decode()
    assert 'id="count-targeted">7<' in detail and 'hx-trigger="every 2s"' in detail
    ids = list(Message.objects.filter(campaign_id=campaign.pk).values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        transition(ids[:2], "delivered")
        transition(ids[2:], "failed", error_code="30003")
    progress = web.get(f"/campaigns/{campaign.pk}/progress/").content.decode()
    assert 'id="count-delivered">2<' in progress and 'id="count-failed">2<' in progress
    assert 'id="resend"' in progress and "30003" in progress
    resend = web.get(f"/campaigns/resend/?campaign={campaign.pk}").content.decode()
    assert 'id="resend-count"' in resend and ">2 " in resend.replace("\n", " ") or "2" in resend
    with django_capture_on_commit_callbacks(execute=True):
        r = web.post(f"/campaigns/resend/?campaign={campaign.pk}")
        web.post(f"/campaigns/resend/?campaign={campaign.pk}")  # a second press
    assert r.status_code == 302
    assert Message.objects.filter(resend_of__isnull=False).count() == 2
    assert web.get("/reports/campaigns/").status_code == 200  # outcomes across campaigns
    assert web.get("/campaigns/").status_code == 200


def test_pause_cancel_buttons_and_other_station_404(org, street, season, topics, django_capture_on_commit_callbacks):
    web = browser(org.service1)
    with django_capture_on_commit_callbacks(execute=False):
        web.post("/campaigns/new/", {"audience": Audience.objects.create(station=org.s1, name="a", filters={}).pk,
                                     "topic": topics.notice.pk, "season": SEASON})
    c = Campaign.objects.get()
    web.post(f"/campaigns/{c.pk}/pause/")
    assert Campaign.objects.get().status == "paused"
    web.post(f"/campaigns/{c.pk}/cancel/")
    assert Campaign.objects.get().status == "cancelled"
    other = browser(org.service2)
    for url in (f"/campaigns/{c.pk}/", f"/campaigns/{c.pk}/progress/",
                f"/campaigns/audiences/{c.audience_id}/"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/campaigns/{c.pk}/resume/").status_code == 404


def test_dunning_pages_need_the_permission(org, season, topics):
    assert browser(org.service1).get("/campaigns/dunning/new/").status_code == 403
    web = browser(org.supervisor1)
    r = web.post("/campaigns/dunning/new/", {"name": "冬季催缴", "topic": topics.dunning.pk, "season": SEASON,
                                              "start_date": "2025-11-01", "end_date": "2026-03-15",
                                              "every_days": 15})
    assert r.status_code == 302, r.content.decode()[:2000]
    page = web.get(r["Location"]).content.decode()
    assert "冬季催缴" in page
    assert "冬季催缴" in web.get("/campaigns/dunning/").content.decode()
