"""Exports end to end: small ones straight to the browser, large ones through a
job, its progress and its stored file; opened back with openpyxl they hold the
same rows as the report, typed, under Chinese headers; every export is
audited and stays inside the exporter's stations."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core_billing.models import AuditLog, Customer, User
from core_billing.progress import progress_get
from core_billing.services.customers import customer_update
from reports.models import ExportChunk, ExportJob
from reports.selectors.billing import arrears_list
from reports.services.exports import export_job_run, export_start, exports_expire, progress_key

pytestmark = pytest.mark.django_db

ARREARS_HEADERS = ["户号", "客户名称", "供热站", "小区", "楼号", "单元", "房号", "换热站", "客户类型", "供热状态",
                   "面积（㎡）", "手机", "收费员", "欠费年数", "陈欠（元）", "本季应缴（元）", "滞纳金（元）",
                   "欠费合计（元）", "余额截至"]


def _sheet_rows(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return wb, [list(r) for ws in wb.worksheets for r in ws.iter_rows(min_row=2, values_only=True)]


def _download(client, job) -> bytes:
    response = client.get(reverse("reports:export-download", args=[job.pk]))
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def test_small_export_goes_straight_to_the_browser_typed_and_audited(client, org, ledger):
    client.force_login(org.supervisor1)
    response = client.post(reverse("reports:export", args=["arrears"]), {"community": [org.community1.pk]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment; filename*=UTF-8''" in response["Content-Disposition"]
    wb, rows = _sheet_rows(response.content)
    ws = wb.active
    assert ws.title == "欠费清单" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ARREARS_HEADERS
    expected = list(arrears_list(actor=org.supervisor1, community=[org.community1]))
    assert [r[0] for r in rows] == [c.account_no for c in expected]
    first, customer = ws[2], expected[0]
    assert first[17].value == float(customer.arrears_total) == 2124.0 and first[17].number_format == "#,##0.00"
    assert first[10].value == 88.5 and first[13].value == 1 and first[13].data_type == "n"
    assert first[18].is_date and first[18].value.date() == customer.balance_as_of
    assert first[12].value == org.collector1.display_name and first[9].value == "正常供热"

    job = ExportJob.objects.get()
    assert (job.inline, job.status, job.total_rows, job.station_id, job.actor_id) == (
        True, "done", 2, org.s1.pk, org.supervisor1.pk)
    assert job.params == {"community": [str(org.community1.pk)]} and "阳光花园1" in job.filter_text
    audit = AuditLog.objects.get(action="report.export")
    assert audit.actor_id == org.supervisor1.pk and audit.station_id == org.s1.pk
    assert audit.after["source"] == "arrears" and audit.after["filter"] == job.params and audit.after["rows"] == 2
    assert not ExportChunk.objects.exists()  # nothing stored


def test_large_export_runs_as_a_job_with_progress_and_a_stored_file(client, org, ledger, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    settings.EXPORT_SHEET_MAX_ROWS = 2  # a header and one row a sheet: the split is exercised end to end
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("reports:export", args=["arrears"]), {"order": "address"})
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:export-detail", args=[job.pk])
    assert (job.status, job.inline, job.total_rows, job.written_rows) == ("done", False, 4, 4)
    assert job.expires_at > timezone.now() and job.size_bytes == sum(len(c.data) for c in job.chunks.all())
    assert progress_get(progress_key(job))["percent"] == 100
    page = client.get(reverse("reports:export-detail", args=[job.pk]))
    assert reverse("reports:export-download", args=[job.pk]).encode() in page.content
    wb, rows = _sheet_rows(_download(client, job))
    assert len(wb.worksheets) == 4 and all(ws["A1"].value == "户号" for ws in wb.worksheets)
    assert [r[0] for r in rows] == [c.account_no for c in arrears_list(actor=org.admin, order="address")]
    assert job.station_id is None  # head office's export: only head office sees it


def test_chunks_stream_in_order(org, ledger, settings):
    from reports.services import exports

    settings.EXPORT_INLINE_MAX_ROWS = 0
    exports_chunk = exports.CHUNK_BYTES
    exports.CHUNK_BYTES = 1000
    try:
        job = export_start(actor=org.admin, source="cash", params={"date_from": "2025-12-01"},
                           inline_allowed=False).job
        assert job.status == "pending"
        job = export_job_run(job_id=job.pk)
    finally:
        exports.CHUNK_BYTES = exports_chunk
    assert job.chunks.count() > 3
    content = b"".join(exports.export_file(job))
    assert len(content) == job.size_bytes
    _wb, rows = _sheet_rows(content)
    assert rows[-1][2] == "合计" and rows[-1][-1] == 3424.0  # 1 December only: 1000 + 2124 + 300


def test_another_station_cannot_see_or_download_an_export(client, org, ledger, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    job = export_start(actor=org.supervisor1, source="arrears", params={}, inline_allowed=False).job
    job = export_job_run(job_id=job.pk)
    assert job.status == "done"
    client.force_login(org.supervisor2)
    for name in ("reports:export-detail", "reports:export-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert job.pk not in [j.pk for j in client.get(reverse("reports:export-list")).context["page"]]
    # station 2's own export holds station 2's households only
    client.post(reverse("reports:export", args=["arrears"]), {})
    mine = ExportJob.objects.filter(actor=org.supervisor2).get()
    assert mine.total_rows == 2 and mine.station_id == org.s2.pk
    # naming station 1's community in the filter is refused like an id that does not exist
    response = client.post(reverse("reports:export", args=["arrears"]), {"community": [org.community1.pk]})
    assert response.status_code == 302 and ExportJob.objects.filter(actor=org.supervisor2).count() == 1


def test_same_station_colleague_sees_only_their_own_exports(client, org, ledger):
    export_start(actor=org.supervisor1, source="jurisdictions", params={})
    other = User.objects.create_user("supervisor1b", password="x-pass-123", station=org.s1)
    other.groups.set(org.supervisor1.groups.all())
    client.force_login(other)
    assert list(client.get(reverse("reports:export-list")).context["page"]) == []


def test_permissions(client, org, ledger):
    client.force_login(org.collector1)
    assert client.get(reverse("reports:arrears")).status_code == 403
    response = client.post(reverse("reports:export", args=["arrears"]), {})
    assert response.status_code == 302 and not ExportJob.objects.exists()
    client.force_login(org.service1)  # customer service exports delivery records, not billing reports
    assert client.post(reverse("reports:export", args=["messages"]), {}).status_code == 200
    assert client.post(reverse("reports:export", args=["cash"]), {}).status_code == 302
    assert list(ExportJob.objects.values_list("source", flat=True)) == ["messages"]


def test_the_worker_checks_the_permission_again(org, ledger, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    job = export_start(actor=org.supervisor1, source="arrears", params={}, inline_allowed=False).job
    org.supervisor1.user_permissions.clear()
    for group in org.supervisor1.groups.all():
        group.permissions.remove(Permission.objects.get(codename="view_reports"))
    job = export_job_run(job_id=ExportJob.objects.get(pk=job.pk).pk)
    assert job.status == "failed" and "权限" in job.message and not job.chunks.exists()


def test_text_cells_are_never_formulas(client, org, ledger):
    customer_update(actor=org.supervisor1, customer=Customer.objects.get(pk=org.customer1.pk),
                    changes={"name": "=HYPERLINK(\"http://evil\")"}, reason="测试")
    client.force_login(org.supervisor1)
    response = client.post(reverse("reports:export", args=["arrears"]), {})
    wb, rows = _sheet_rows(response.content)
    cell = next(c for c in wb.active["B"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


def test_message_records_export(client, org):
    from messaging.models import Message

    Message.objects.create(station=org.s1, customer=org.customer1, phone="+8613800138001", body="供热通知", segments=2,
                           gateway="console", status="failed", error_code="30003", error_text="Unreachable",
                           season="2025-2026")
    Message.objects.create(station=org.s2, customer=org.customer2, phone="+8613800138002", body="x",
                           gateway="console", status="delivered")
    client.force_login(org.supervisor1)
    response = client.post(reverse("reports:export", args=["messages"]), {"status": "failed"})
    wb, rows = _sheet_rows(response.content)
    headers = [c.value for c in wb.active[1]]
    assert headers[:4] == ["创建时间", "供热站", "手机号", "接收人"] and "发送状态" in headers
    assert len(rows) == 1
    row = dict(zip(headers, rows[0]))
    assert (row["接收人"], row["计费条数"], row["费用（元）"], row["发送状态"], row["错误代码"]) == (
        "张伟1", 2, 0.1, "失败", "30003")
    assert isinstance(row["创建时间"], dt.datetime)


def test_expiry_deletes_files_and_gives_up_on_vanished_workers(org, ledger, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    done = export_job_run(job_id=export_start(actor=org.admin, source="cash", params={},
                                              inline_allowed=False).job.pk)
    stuck = export_start(actor=org.admin, source="cash", params={}, inline_allowed=False).job
    ExportJob.objects.filter(pk=stuck.pk).update(status="running", started_at=timezone.now() - dt.timedelta(hours=3),
                                                 created_at=timezone.now() - dt.timedelta(hours=3))
    later = timezone.now() + dt.timedelta(hours=settings.EXPORT_RETENTION_HOURS + 1)
    assert exports_expire(now=later) == {"expired": 1, "abandoned": 1}
    assert ExportJob.objects.get(pk=done.pk).status == "expired" and not ExportChunk.objects.exists()
    assert ExportJob.objects.get(pk=stuck.pk).status == "failed"


def test_money_stays_exact(org, ledger):
    result = export_start(actor=org.admin, source="collection", params={"group_by": "station"})
    _wb, rows = _sheet_rows(result.content)
    assert [(r[0], D(str(r[6]))) for r in rows] == [("一站", D("1600")), ("二站", D("300")), ("合计", D("1900"))]


def test_every_export_header_is_in_chinese():
    from django.utils import translation

    from reports.exports import all_sources

    with translation.override("zh-hans"):
        for source in all_sources():
            for column in source.columns:
                shown = str(column.header)
                assert not any("a" <= ch.lower() <= "z" for ch in shown), (source.name, shown)
            assert not any("a" <= ch.lower() <= "z" for ch in str(source.title)), source.name
