"""Bulk customer import (BIL-16): all rows valid, or nothing imported."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..audit import audit_bulk_create, audit_record
from ..errors import AppError
from ..importing import CheckedRow, check_row, error_workbook, read_rows
from ..models import Building, Community, Customer, CustomerPhone, CustomerType, ImportJob, SeasonAccount
from ..phones import clean_text
from ..progress import progress_set
from ._common import analyze, require_perm, resolve_station
from .billing import accounts_open, current_season

BATCH = 2000
AUDITED_FIELDS = ["account_no", "name", "building", "unit", "room", "customer_type", "area", "heating_status",
                  "metering_mode", "mobile", "note"]


class DatabaseLookups:
    """Answers check_row from a few queries loaded up front, not one per row."""

    def __init__(self, station_id: int):
        self.buildings = {(b.community.name, b.name): b for b in
                          Building.objects.filter(station_id=station_id).select_related("community")}
        self.communities = set(Community.objects.filter(station_id=station_id).values_list("name", flat=True))
        self.types = {}
        for t in CustomerType.objects.filter(is_active=True):
            self.types[t.name] = t
            self.types[t.code] = t

    def building(self, community, building):
        found = self.buildings.get((community, building))
        if found is None and not building.endswith("号楼"):
            found = self.buildings.get((community, f"{building}号楼"))
        return found

    def has_community(self, community):
        return community in self.communities

    def customer_type(self, text):
        return self.types.get(text)


def import_job_create(*, actor, filename: str, data: bytes, station=None) -> ImportJob:
    """Store the workbook; the import itself runs in a worker once this commits."""
    require_perm(actor, "core_billing.add_importjob", "没有导入客户的权限。")
    station = resolve_station(actor, station)
    if not filename.lower().endswith(".xlsx"):
        raise AppError("请上传 .xlsx 格式的 Excel 工作簿。", field="file")
    if not data:
        raise AppError("文件是空的。", field="file")
    job = ImportJob.objects.create(station=station, actor=actor, filename=clean_text(filename)[:200], source=data)
    from ..tasks import run_customer_import

    transaction.on_commit(lambda: run_customer_import.delay(job.pk))
    return job


def import_job_fail(job: ImportJob, message: str, *, total: int = 0, bad: list[CheckedRow] | None = None) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.message = message
    job.total_rows = total
    job.error_rows = len(bad or [])
    job.error_report = error_workbook(bad) if bad else None
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "total_rows", "error_rows", "error_report", "finished_at"])
    progress_set(f"import:{job.pk}", done=total, total=total or 1, phase="failed", message=message)
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Check every row, then write all of them in one transaction (or none)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING)
    job = ImportJob.objects.select_related("actor", "station").get(pk=job_id)
    if not claimed:
        return job  # already run or running elsewhere
    key = f"import:{job.pk}"
    progress_set(key, done=0, total=1, phase="checking", message="正在检查")
    try:
        _headers, rows = read_rows(bytes(job.source), settings.IMPORT_MAX_ROWS)
        lookups = DatabaseLookups(job.station_id)
        good: list[CheckedRow] = []
        bad: list[CheckedRow] = []
        seen_accounts: dict[str, int] = {}
        seen_rooms: dict[tuple, int] = {}
        for n, raw in enumerate(rows, start=1):
            row = check_row(raw, lookups)
            c = row.clean
            if not row.errors:
                first = seen_accounts.setdefault(c["account_no"], row.number)
                if first != row.number:
                    row.errors.append(f"户号与第 {first} 行重复")
                room_key = (c["building"].pk, c["unit"], c["room"])
                first = seen_rooms.setdefault(room_key, row.number)
                if first != row.number:
                    row.errors.append(f"地址与第 {first} 行重复")
            (bad if row.errors else good).append(row)
            if n % 1000 == 0:
                progress_set(key, done=n, total=n + 1, phase="checking", message=f"已检查 {n} 行")
    except AppError as exc:
        return import_job_fail(job, exc.message)
    total = len(good) + len(bad)
    if total == 0:
        return import_job_fail(job, "工作簿里没有数据行。")
    _check_against_database(good, bad)
    if bad:
        bad.sort(key=lambda r: r.number)
        return import_job_fail(job, f"{len(bad)} 行有错误，未导入任何数据。请下载错误报告，改正后重新上传。", total=total, bad=bad)
    try:
        _write(job, good, key)
    except AppError as exc:  # e.g. a customer type without a price in the current season
        return import_job_fail(job, f"{exc.message}未导入任何数据。", total=total)
    return job


def _check_against_database(good: list[CheckedRow], bad: list[CheckedRow]) -> None:
    accounts = [r.clean["account_no"] for r in good]
    taken: set[str] = set()
    for i in range(0, len(accounts), 900):  # stay under SQLite's parameter limit
        taken.update(Customer.objects.filter(account_no__in=accounts[i:i + 900]).values_list("account_no", flat=True))
    buildings = {r.clean["building"].pk for r in good}
    rooms = set(Customer.objects.filter(building_id__in=buildings).values_list("building_id", "unit", "room"))
    still_good = []
    for row in good:
        c = row.clean
        if c["account_no"] in taken:
            row.errors.append(f"户号 {c['account_no']} 已存在")
        if (c["building"].pk, c["unit"], c["room"]) in rooms:
            row.errors.append("该地址已有客户")
        (bad if row.errors else still_good).append(row)
    good[:] = still_good


def _write(job: ImportJob, rows: list[CheckedRow], key: str) -> None:
    total = len(rows)
    with transaction.atomic():
        created: list[Customer] = []
        for start in range(0, total, BATCH):
            chunk = rows[start:start + BATCH]
            customers, phone_rows = [], []
            for row in chunk:
                c = row.clean
                infos, mobile, kind = c["phones"]
                customer = Customer(station_id=job.station_id, building=c["building"], unit=c["unit"],
                                    room=c["room"], account_no=c["account_no"], name=c["name"],
                                    customer_type=c["customer_type"], area=c["area"],
                                    heating_status=c["heating_status"], metering_mode=c["metering_mode"],
                                    mobile=mobile, contact_kind=kind, note=c["note"])
                customers.append(customer)
                phone_rows.append((customer, infos, mobile))
            Customer.objects.bulk_create(customers, batch_size=500)
            CustomerPhone.objects.bulk_create(
                [CustomerPhone(customer=cust, raw=i.raw[:40], number=i.number, kind=i.kind,
                               is_primary=bool(mobile) and i.number == mobile, position=n)
                 for cust, infos, mobile in phone_rows for n, i in enumerate(infos)], batch_size=1000)
            created.extend(customers)
            progress_set(key, done=start + len(chunk), total=total, phase="importing",
                         message=f"已导入 {start + len(chunk)} / {total} 行")
        audit_bulk_create(actor=job.actor, action="customer.import", objs=created, fields=AUDITED_FIELDS,
                          reason=f"导入 {job.filename}（任务 {job.pk}）")
        season = current_season()
        if season is not None and season.is_open:  # new households are billed this season at once
            accounts_open(season=season, customer_ids=[c.pk for c in created], actor=job.actor)
        job.status = ImportJob.Status.DONE
        job.total_rows = job.imported_rows = total
        job.message = f"已导入 {total} 户。"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "imported_rows", "message", "finished_at"])
        audit_record(actor=job.actor, action="import.done", obj=job, after={"rows": total, "file": job.filename})
    analyze(Customer, CustomerPhone, SeasonAccount)
    progress_set(key, done=total, total=total, phase="done", message=job.message)
