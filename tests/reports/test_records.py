"""Delivery records (MSG-05, RPT-01): the record filter's new criteria, keyset
pages (every row once, in order, also while messages keep arriving), the
records page (its status counts, its export of the query, no COUNT per page
turn) and station isolation of the page, the API and the export."""
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core_billing.errors import AppError
from core_billing.models import AuditLog
from messaging.models import Message, Topic
from messaging.selectors.messages import Cursor, message_list, message_page
from reports.models import ExportJob

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2025, 12, 1, 9, 0))


def _msg(station, n: int, *, at=None, **extra) -> Message:
    fields = {"phone": f"+86139000{n:05d}", "body": f"短信{n}", "gateway": "console", "status": "delivered",
              "created_at": at or T0 + dt.timedelta(minutes=n)}
    return Message.objects.create(station=station, **{**fields, **extra})


@pytest.fixture
def history(org):
    """65 station-1 messages, five sharing one timestamp (ties broken by id), and 5 of station 2."""
    rows = [_msg(org.s1, n, at=T0 + dt.timedelta(minutes=30) if 30 <= n < 35 else None,
                 status="failed" if n % 10 == 0 else "delivered") for n in range(65)]
    rows += [_msg(org.s2, 100 + n) for n in range(5)]
    return rows


def _newest_first(qs):
    return list(qs.order_by("-created_at", "-id").values_list("pk", flat=True))


def _walk(qs, size):
    seen, page = [], message_page(qs, size=size)
    while True:
        seen += [m.pk for m in page.rows]
        if page.next is None:
            return seen
        page = message_page(qs, after=page.next.encode(), size=size)


def test_keyset_pages_give_every_row_once_in_order(org, history):
    qs = message_list(actor=org.supervisor1)
    expected = _newest_first(qs)
    assert len(expected) == 65
    for size in (1, 7, 10, 64, 65, 500):
        assert _walk(qs, size) == expected, size
    # and back: `before` the first row of page 3 is page 2
    p1 = message_page(qs, size=10)
    p2 = message_page(qs, after=p1.next, size=10)
    p3 = message_page(qs, after=p2.next, size=10)
    back = message_page(qs, before=p3.previous, size=10)
    assert [m.pk for m in back.rows] == [m.pk for m in p2.rows]
    assert p1.is_first and not p2.is_first
    top = message_page(qs, before=p2.previous, size=10)  # newer than page 2 is the first page, whole
    assert [m.pk for m in top.rows] == [m.pk for m in p1.rows] and top.previous is None


def test_keyset_pages_hold_still_while_messages_arrive(org, history):
    qs = message_list(actor=org.supervisor1)
    expected = _newest_first(qs)
    page, seen = message_page(qs, size=20), []
    n = 1000
    while True:
        seen += [m.pk for m in page.rows]
        for _ in range(3):  # new messages land on top while someone pages down
            n += 1
            _msg(org.s1, n, at=timezone.now())
        if page.next is None:
            break
        page = message_page(qs, after=page.next, size=20)
    assert seen == expected  # no duplicate, no gap: an OFFSET page would have shifted by 3 every turn


def test_bad_cursor_is_a_clear_error():
    with pytest.raises(AppError) as err:
        Cursor.decode("20251201T090000.000000Zabc")
    assert err.value.field == "cursor"
    c = Cursor(T0, 42)
    assert Cursor.decode(c.encode()) == c


def test_new_filters_station_campaign_work_order(org, history):
    next_day = T0 + dt.timedelta(days=1)
    _msg(org.s1, 500, campaign_id=7, status="failed", at=next_day)
    _msg(org.s2, 501, campaign_id=7, at=next_day)
    _msg(org.s1, 502, work_order_id=9, at=next_day)
    head = org.admin
    assert message_list(actor=head).count() == 73
    assert message_list(actor=head, station=org.s2).count() == 6
    assert message_list(actor=head, station=org.s2.pk).count() == 6
    assert message_list(actor=head, campaign=7).count() == 2
    assert message_list(actor=head, campaign=7, station=org.s1, status="failed").count() == 1
    assert [m.phone for m in message_list(actor=head, work_order=9)] == ["+8613900000502"]
    # a station's staff asking for another station get nothing of it, never more than their own
    assert message_list(actor=org.supervisor1, station=org.s2).count() == 0
    assert message_list(actor=org.supervisor1, campaign=7).count() == 1
    # the existing criteria keep working
    assert message_list(actor=head, phone="13900000005").count() == 1
    assert message_list(actor=head, phone="00502").count() == 1  # some digits
    assert message_list(actor=head, status="failed,errored").count() == 8
    assert message_list(actor=head, date_from=dt.date(2025, 12, 1), date_to=dt.date(2025, 12, 1)).count() == 73 - 3


def _page(client, **params):
    response = client.get(reverse("reports:records"), params)
    assert response.status_code == 200
    return response


def _shown(response) -> list[int]:
    return [m.pk for m in response.context["page"].rows]


def test_records_page_pages_with_cursors_and_never_counts_per_page(client, org, history):
    client.force_login(org.supervisor1)
    expected = _newest_first(message_list(actor=org.supervisor1))
    with CaptureQueriesContext(connection) as queries:
        first = _page(client)
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [q for q in queries.captured_queries if " OFFSET " in q["sql"].upper()]
    assert _shown(first) == expected[:50]
    text = first.content.decode()
    assert "二站" not in text and 'id="page-older"' in text and 'id="page-newer"' not in text
    second = _page(client, after=first.context["page"].next.encode())
    assert _shown(second) == expected[50:]
    assert 'id="page-newer"' in second.content.decode() and 'id="page-older"' not in second.content.decode()
    back = _page(client, before=second.context["page"].previous.encode())
    assert _shown(back) == expected[:50]
    mangled = _page(client, after="not-a-cursor")
    assert _shown(mangled) == expected[:50] and "翻页位置无效" in mangled.content.decode()


def test_records_page_filters_and_counts(client, org, history):
    client.force_login(org.supervisor1)
    failed = _page(client, status="failed")
    assert {Message.objects.get(pk=pk).status for pk in _shown(failed)} == {"failed"} and len(_shown(failed)) == 7
    counts = client.get(reverse("reports:record-counts")).content.decode()
    assert 'data-total="65"' in counts and "已送达 58" in counts and "失败 7" in counts
    counts = client.get(reverse("reports:record-counts"), {"status": "failed"}).content.decode()
    assert 'data-total="7"' in counts
    # a station's staff cannot ask for another station: the field refuses it
    other = _page(client, station=org.s2.pk)
    assert other.context["page"] is None and other.context["error"]
    assert 'data-total' not in client.get(reverse("reports:record-counts"), {"station": org.s2.pk}).content.decode()


def test_head_office_filters_by_station(client, org, history):
    client.force_login(org.admin)
    response = _page(client, station=org.s2.pk)
    assert len(_shown(response)) == 5 and "二站" in response.content.decode()
    assert 'data-total="5"' in client.get(reverse("reports:record-counts"), {"station": org.s2.pk}).content.decode()


def test_htmx_parts(client, org, history):
    client.force_login(org.supervisor1)
    rows = client.get(reverse("reports:records"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="record-rows")
    assert rows.templates[0].name == "reports/_record_rows.html"
    results = client.get(reverse("reports:records"), {"status": "failed"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="results")
    text = results.content.decode()
    assert results.templates[0].name == "reports/_records.html"
    assert 'name="status" value="failed"' in text  # the export button carries the filter


def _sheet(content: bytes):
    ws = load_workbook(io.BytesIO(content)).active
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_export_of_the_query_is_a_stored_job_with_the_page_rows(client, org, history):
    client.force_login(org.supervisor1)
    shown = _shown(_page(client, status="failed"))
    response = client.post(reverse("reports:export", args=["messages"]), {"status": "failed", "delivery": "file",
                                                                         "after": "ignored"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export-detail", args=[job.pk])
    assert (job.source, job.status, job.total_rows, job.station_id, job.params) == (
        "messages", "done", 7, org.s1.pk, {"status": "failed"})
    download = client.get(reverse("reports:export-download", args=[job.pk]))
    rows = _sheet(b"".join(download.streaming_content))
    assert [r["手机号"] for r in rows] == [Message.objects.get(pk=pk).phone for pk in shown]
    assert {r["供热站"] for r in rows} == {"一站"}
    audit = AuditLog.objects.get(action="report.export")
    assert (audit.actor_id, audit.station_id, audit.after["rows"], audit.after["filter"]) == (
        org.supervisor1.pk, org.s1.pk, 7, {"status": "failed"})


def test_export_stays_inside_the_station(client, org, history):
    client.force_login(org.supervisor1)
    client.post(reverse("reports:export", args=["messages"]), {"delivery": "file"})
    job = ExportJob.objects.get()
    rows = _sheet(b"".join(client.get(reverse("reports:export-download", args=[job.pk])).streaming_content))
    assert len(rows) == 65 and {r["供热站"] for r in rows} == {"一站"}
    refused = client.post(reverse("reports:export", args=["messages"]), {"station": org.s2.pk, "delivery": "file"})
    assert refused.status_code == 302 and ExportJob.objects.count() == 1
    client.force_login(org.supervisor2)  # another station's supervisor cannot fetch the file
    assert client.get(reverse("reports:export-download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export-detail", args=[job.pk])).status_code == 404


def test_permissions(client, org, history):
    client.force_login(org.collector1)
    assert client.get(reverse("reports:records")).status_code == 403
    assert client.get(reverse("reports:record-counts")).status_code == 403


def _api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_cursor_pages_and_counts(org, history):
    c = _api(org.supervisor1)
    expected = _newest_first(message_list(actor=org.supervisor1))
    url, seen = reverse("message-list") + "?page_size=20", []
    while url:
        body = c.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        seen += [m["id"] for m in body["results"]]
        url = body["next"]
    assert seen == expected
    body = c.get(reverse("message-list"), {"page_size": 20}).json()
    older = c.get(body["next"]).json()
    newer = c.get(older["previous"]).json()
    assert [m["id"] for m in newer["results"]] == [m["id"] for m in body["results"]] and newer["previous"] is None
    counts = c.get(reverse("message-counts"), {"status": "failed"}).json()
    assert counts == {"total": 7, "by_status": {"failed": 7}}
    assert c.get(reverse("message-counts")).json()["total"] == 65


def test_api_filters_and_isolation(org, history):
    _msg(org.s2, 600, campaign_id=3)
    head, s1 = _api(org.admin), _api(org.supervisor1)
    assert len(head.get(reverse("message-list"), {"station": org.s2.pk}).json()["results"]) == 6
    assert [m["phone"] for m in head.get(reverse("message-list"), {"campaign": 3}).json()["results"]] == [
        "+8613900000600"]
    assert head.get(reverse("message-counts"), {"station": org.s2.pk}).json()["total"] == 6
    other = s1.get(reverse("message-list"), {"station": org.s2.pk})
    assert other.status_code == 400 and "station" in other.json()["message"]
    assert s1.get(reverse("message-list"), {"campaign": 3}).json()["results"] == []
    assert s1.get(reverse("message-list"), {"cursor": "junk"}).status_code == 400
    assert s1.get(reverse("message-list"), {"direction": "sideways"}).status_code == 400
    assert s1.get(reverse("message-list"), {"page_size": "x"}).status_code == 400
    station2 = Message.objects.filter(station=org.s2).first()
    assert s1.get(reverse("message-detail", args=[station2.pk])).status_code == 404


def test_api_topic_and_season_through_the_selector(org):
    topic = Topic.objects.create(name="开栓通知", kind="notice", body="x", station=org.s1)
    _msg(org.s1, 1, topic=topic, season="2025-2026")
    _msg(org.s1, 2, season="2025-2026")
    _msg(org.s1, 3, topic=topic, season="2024-2025")
    rows = _api(org.supervisor1).get(reverse("message-list"), {"topic": topic.pk, "season": "2025-2026"}).json()
    assert [m["phone"] for m in rows["results"]] == ["+8613900000001"]
