"""The reports API: every report, the dashboard, sources and exports; in the schema."""
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reports.models import ExportJob

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_collection_report(org, ledger):
    data = api(org.manager).get(reverse("report-collection"), {"group_by": "station"}).json()
    assert data["season"] == "2025-2026" and data["group_by"] == "station"
    assert [(r["label"], r["collected"], r["rate"]) for r in data["rows"]] == [
        ("一站", "1600.00", "0.3766"), ("二站", "300.00", "0.0706")]
    assert data["total"]["receivable"] == "8496.00" and data["total"]["households"] == 4
    mine = api(org.supervisor2).get(reverse("report-collection"), {"group_by": "community"}).json()
    assert [r["label"] for r in mine["rows"]] == ["阳光花园2"]


def test_arrears_report_paginated_with_totals_and_filter_errors(org, ledger):
    client = api(org.supervisor1)
    data = client.get(reverse("report-arrears"), {"page_size": 1}).json()
    assert data["count"] == 2 and len(data["results"]) == 1 and data["next"]
    assert data["results"][0]["account_no"] == org.customer1b.account_no
    assert data["results"][0]["arrears_total"] == "2124.00" and data["results"][0]["unit"] == 1
    assert data["totals"] == {"households": 2, "owed": "2648.00", "old_arrears": "0.00", "late_fee": "0.00"}
    several = client.get(reverse("report-arrears") + f"?community={org.community1.pk}&heating_status=normal"
                                                      "&heating_status=suspended").json()
    assert several["count"] == 2
    bad = client.get(reverse("report-arrears"), {"community": org.community2.pk})
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "community"
    assert client.get(reverse("report-arrears"), {"min_amount": 5, "max_amount": 1}).json()["extra"]["field"] == \
        "max_amount"


def test_cash_and_jurisdiction_reports(org, ledger):
    cash = api(org.manager).get(reverse("report-cash"), {"date_from": "2025-12-01", "date_to": "2025-12-02"}).json()
    assert cash["total"]["net"] == "4024.00" and cash["total"]["receipts"] == 5
    assert {r["collector"] for r in cash["rows"]} >= {org.collector1.display_name, "网上缴费（无收费员）"}
    rows = api(org.supervisor1).get(reverse("report-jurisdictions")).json()
    assert [r["collector"] for r in rows["rows"]] == [org.collector1.display_name]
    assert rows["total"]["collected"] == "1600.00"


def test_dashboard_and_sources(org, ledger):
    data = api(org.manager).get(reverse("report-dashboard")).json()
    assert data["season"] == "2025-2026" and data["progress"]["collected"] == "1900.00"
    assert data["curve"] and {"date", "rate", "previous_rate"} <= set(data["curve"][0])
    assert [a["station"] for a in data["arrears"]] == ["一站", "二站"]
    assert api(org.collector1).get(reverse("report-dashboard")).status_code == 403
    names = [s["name"] for s in api(org.supervisor1).get(reverse("report-sources")).json()]
    assert names == ["collection", "arrears", "cash", "jurisdictions", "messages", "campaigns"]
    assert [s["name"] for s in api(org.service1).get(reverse("report-sources")).json()] == ["messages", "campaigns"]


def test_permission_denied_for_reports(org, ledger):
    response = api(org.collector1).get(reverse("report-arrears"))
    assert response.status_code == 403 and response.json()["message"]


def test_export_through_the_api(org, ledger, settings, django_capture_on_commit_callbacks):
    client = api(org.supervisor1)
    small = client.post(reverse("report-export-list"), {"source": "arrears", "filters": {"min_seasons": 1}},
                        format="json")
    assert small.status_code == 201, small.json()
    body = small.json()
    assert body["status"] == "done" and body["download_url"].endswith(f"/{body['id']}/download/")
    response = client.get(reverse("report-export-download", args=[body["id"]]))
    content = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(content))
    assert wb.active["A1"].value == "户号" and wb.active.max_row == 3

    settings.EXPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        large = client.post(reverse("report-export-list"), {"source": "arrears", "filters": {}}, format="json")
    assert large.status_code == 202 and large.json()["status"] == "pending" and large.json()["download_url"] is None
    waiting = client.get(reverse("report-export-download", args=[large.json()["id"]]))
    assert waiting.status_code == 409
    callbacks[0]()
    done = client.get(reverse("report-export-detail", args=[large.json()["id"]])).json()
    assert done["status"] == "done" and done["progress"]["percent"] == 100

    assert client.post(reverse("report-export-list"), {"source": "nope"}, format="json").status_code == 404
    job = ExportJob.objects.filter(actor=org.supervisor1).first()
    other = api(org.supervisor2)
    assert other.get(reverse("report-export-detail", args=[job.pk])).status_code == 404
    assert other.get(reverse("report-export-download", args=[job.pk])).status_code == 404
    assert other.get(reverse("report-export-list")).json()["count"] == 0


def test_every_report_is_in_the_schema(org):
    client = api(org.admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/reports/collection/", "/api/v1/reports/arrears/", "/api/v1/reports/cash/",
                 "/api/v1/reports/jurisdictions/", "/api/v1/reports/dashboard/", "/api/v1/reports/sources/",
                 "/api/v1/reports/exports/", "/api/v1/reports/exports/{id}/",
                 "/api/v1/reports/exports/{id}/download/"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/reports/arrears/"]["get"]["parameters"]}
    assert {"community", "collector", "min_seasons", "min_amount", "max_amount", "exchange_station"} <= params
    assert "ArrearsRow" in schema["components"]["schemas"]
