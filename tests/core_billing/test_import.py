import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core_billing.importing import COLUMNS
from core_billing.models import AuditLog, Customer, ImportJob
from core_billing.services.imports import import_job_create
from tests import factories as f

pytestmark = pytest.mark.django_db
HEADERS = [h for _k, h, *_ in COLUMNS]


def workbook(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()




@pytest.fixture
def importer(org, django_capture_on_commit_callbacks):
    def go(rows, actor=None, headers=HEADERS):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(actor=actor or org.supervisor1, filename="customers.xlsx",
                                    data=workbook(rows, headers))
        return ImportJob.objects.get(pk=job.pk)
    return go


def good_rows():
    return [
        ["B0001", "王芳", "阳光花园1", "1号楼", 1, "201", "居民", 75.5, "正常", "面积", "13900139000", ""],
        # full-width digits, stray spaces, building without 号楼, two phones, float unit
        ["  Ｂ０００２ ", " 赵 磊 ", "阳光花园1", "1", 2.0, " 301 ", "居民", "１２０.００", "报停", "计量",
         "0412-5551234 / １３９ ００１３ ９００１", "老住户"],
        ["B0003", "孙丽", "阳光花园1", "1号楼", 3, "302", "居民", 60, None, None, None, None],
    ]


def test_good_file_imports_every_row_with_audit(org, importer):
    job = importer(good_rows())
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.imported_rows == 3
    second = Customer.objects.get(account_no="B0002")
    assert second.name == "赵 磊"
    assert second.unit == 2 and second.room == "301"
    assert str(second.area) == "120.00"
    assert second.heating_status == "suspended" and second.metering_mode == "metered"
    assert second.mobile == "+8613900139001"
    assert [p.kind for p in second.phones.all()] == ["landline", "mobile"]
    third = Customer.objects.get(account_no="B0003")
    assert third.contact_kind == "none" and third.heating_status == "normal"
    assert third.station_id == org.s1.pk
    assert AuditLog.objects.filter(action="customer.import", object_id=str(second.pk)).count() == 1


def test_bad_file_imports_nothing_and_reports_each_bad_row(org, importer, client):
    rows = good_rows() + [
        ["B0004", "周杰", "不存在小区", "1号楼", 1, "401", "居民", 80, "", "", "13800000001", ""],
        ["B0005", "吴敏", "阳光花园1", "9号楼", 1, "402", "居民", 80, "", "", "", ""],
        ["B0001", "重复", "阳光花园1", "1号楼", 1, "501", "居民", 80, "", "", "", ""],  # dup in file
        [org.customer2.account_no, "库中重复", "阳光花园1", "1号楼", 1, "502", "居民", 80, "", "", "", ""],
        ["B0006", "电话错", "阳光花园1", "1号楼", 1, "503", "居民", 80, "", "", "12345", ""],
        ["B0007", "面积零", "阳光花园1", "1号楼", 1, "504", "居民", 0, "", "", "", ""],
        ["B0008", "面积负", "阳光花园1", "1号楼", 1, "505", "居民", -5, "", "", "", ""],
        ["B0009", "面积字", "阳光花园1", "1号楼", 1, "506", "居民", "大", "", "", "", ""],
        ["B0010", "", "阳光花园1", "1号楼", 9, "507", "未知", 80, "乱写", "", "", ""],
    ]
    before = Customer.objects.count()
    job = importer(rows)
    assert job.status == ImportJob.Status.FAILED
    assert job.error_rows == 9 and job.total_rows == 12
    assert Customer.objects.count() == before
    assert not Customer.objects.filter(account_no="B0002").exists()

    client.force_login(org.supervisor1)
    response = client.get(reverse("console:import-errors", args=[job.pk]))
    assert response.status_code == 200
    report = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                      else response.content))
    ws = report.worksheets[0]
    table = list(ws.iter_rows(values_only=True))
    assert table[0][0] == "Excel 行号" and table[0][-1] == "错误原因"
    reasons = {row[0]: row[-1] for row in table[1:]}
    assert sorted(reasons) == list(range(5, 14))
    assert "小区“不存在小区”不存在" in reasons[5]
    assert "楼“阳光花园19号楼”不存在" in reasons[6]
    assert "户号与第 2 行重复" in reasons[7]
    assert f"户号 {org.customer2.account_no} 已存在" in reasons[8]
    assert "电话号码无效：12345" in reasons[9]
    assert "面积必须是正数" in reasons[10] and "面积必须是正数" in reasons[11] and "面积必须是正数" in reasons[12]
    assert "姓名不能为空" in reasons[13]


def test_row_with_several_problems_lists_them_all(org, importer):
    job = importer([["C1", "某人", "阳光花园1", "1号楼", 9, "1", "未知", "-1", "乱写", "乱写", "12", ""]])
    reasons = load_workbook(io.BytesIO(bytes(job.error_report))).worksheets[0].cell(row=2, column=len(COLUMNS) + 2).value
    for text in ["单元须在 1 到 3 之间", "客户类型“未知”不存在", "面积必须是正数", "供热状态“乱写”无效",
                 "计量方式“乱写”无效", "电话号码无效：12"]:
        assert text in reasons


def test_missing_columns_and_non_workbooks_are_refused(org, importer):
    job = importer([["x"]], headers=["户号", "姓名"])
    assert job.status == ImportJob.Status.FAILED
    assert "缺少必填列" in job.message and "小区" in job.message
    from core_billing.errors import AppError

    with pytest.raises(AppError):
        import_job_create(actor=org.supervisor1, filename="customers.csv", data=b"a,b")
    with pytest.raises(AppError):
        import_job_create(actor=org.service1, filename="customers.xlsx", data=workbook([]))  # no permission


def test_garbage_bytes_with_xlsx_name_fail_cleanly(org, importer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=org.supervisor1, filename="x.xlsx", data=b"not a zip")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "xlsx" in job.message


def test_upload_through_page_then_progress_and_template(org, client, django_capture_on_commit_callbacks):
    client.force_login(org.supervisor1)
    template = client.get(reverse("console:import-template"))
    headers = [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]]
    assert headers == HEADERS
    upload = io.BytesIO(workbook(good_rows()))
    upload.name = "客户.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:import-list"), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and 'aria-valuenow="100"' in page
    assert job.imported_rows == 3


def test_head_office_must_name_the_station(org):
    from core_billing.errors import AppError

    with pytest.raises(AppError) as err:
        import_job_create(actor=org.admin, filename="c.xlsx", data=workbook(good_rows()))
    assert err.value.field == "station"
    job = import_job_create(actor=org.admin, filename="c.xlsx", data=workbook(good_rows()), station=org.s1)
    assert job.station_id == org.s1.pk


def test_api_upload_and_error_report(org, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(org.supervisor1)
    bad = io.BytesIO(workbook([["Z1", "某", "无", "1号楼", 1, "1", "居民", 50, "", "", "", ""]]))
    bad.name = "bad.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("import-list"), {"file": bad}, format="multipart")
    assert response.status_code == 202
    job_id = response.json()["id"]
    detail = api.get(reverse("import-detail", args=[job_id])).json()
    assert detail["status"] == "failed" and detail["error_rows"] == 1
    report = api.get(reverse("import-error-report", args=[job_id]))
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxml")
