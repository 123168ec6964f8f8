"""Exports (MSG-05, RPT-01 … RPT-03): the only writes of the reports app are
its own bookkeeping rows (ExportJob, ExportChunk) and the audit row saying who
exported what filter.

A small export (up to EXPORT_INLINE_MAX_ROWS rows) is written in the request
and sent straight to the browser; a larger one becomes a background job: a
Celery worker streams the rows into a temporary file, stores it in the
database in chunks (see models.py for why) and the page shows its progress
and then a download link.  Either way the rows are exactly what the exporting
user sees: the worker re-checks the user's permission and filter and runs
the same station-scoped selector as that user."""
from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from dataclasses import dataclass
from typing import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from core_billing.audit import audit_record
from core_billing.errors import AppError
from core_billing.progress import progress_set
from core_billing.scoping import is_head_office
from core_billing.services._common import require_perm

from ..exports import ExportSource, count_rows, get_source, iterate_rows
from ..filters import stored_params
from ..models import ExportChunk, ExportJob
from ..xlsx import write_xlsx

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024


@dataclass
class ExportResult:
    job: ExportJob
    content: bytes | None = None  # the file itself, when it goes straight to the browser


def progress_key(job: ExportJob | int) -> str:
    return f"export:{getattr(job, 'pk', job)}"


def export_filename(title: str, at: dt.datetime) -> str:
    return f"{title}-{timezone.localtime(at):%Y%m%d-%H%M%S}.xlsx"


def _checked(actor, source_name: str, params) -> tuple[ExportSource, "object", dict]:
    source = get_source(source_name)
    require_perm(actor, "reports.add_exportjob", "没有导出数据的权限。")
    source.require(actor)
    form = source.filter_form(params, actor)
    form.clean_or_error()
    return source, form, form.kwargs()


def _write(source: ExportSource, actor, kwargs: dict, target, *, language: str, progress=None) -> int:
    # Headers, choice labels and the sheet title in the exporting user's language.
    with translation.override(language):
        rows = source.query(actor, kwargs)
        return write_xlsx(target, title=str(source.title), fields=source.fields(),
                          rows=(source.values(r) for r in iterate_rows(rows)),
                          max_rows=settings.EXPORT_SHEET_MAX_ROWS, progress=progress)


def export_start(*, actor, source: str, params=None, inline_allowed: bool = True) -> ExportResult:
    """Check the filter and the user's permissions, count the rows, and either
    write a small export now (returned as `content`) or create a background job.

    With inline_allowed=False (the API) the file is always stored: small ones
    are written before this returns, large ones by a worker."""
    source_obj, form, kwargs = _checked(actor, source, params)
    language = translation.get_language() or settings.LANGUAGE_CODE
    total = count_rows(source_obj.query(actor, kwargs))
    small = total <= settings.EXPORT_INLINE_MAX_ROWS
    now = timezone.now()
    job = ExportJob(station_id=None if is_head_office(actor) else actor.station_id, actor=actor, source=source_obj.name,
                    title=str(source_obj.title)[:64], params=stored_params(form.data, form),
                    filter_text=form.summary(), language=language, total_rows=total,
                    filename=export_filename(str(source_obj.title), now))
    content = None
    if small and inline_allowed:
        buffer = io.BytesIO()
        written = _write(source_obj, actor, kwargs, buffer, language=language)
        content = buffer.getvalue()
        job.inline, job.status = True, ExportJob.Status.DONE
        job.total_rows = job.written_rows = written
        job.size_bytes, job.started_at, job.finished_at = len(content), now, timezone.now()
    with transaction.atomic():
        job.save()
        audit_record(actor=actor, action="report.export", obj=job, station_id=job.station_id, after={
            "source": job.source, "filter": job.params, "filter_text": job.filter_text, "rows": job.total_rows,
            "delivery": "browser" if job.inline else "file"})
        if not job.inline and not small:
            from ..tasks import run_export

            transaction.on_commit(lambda: run_export.delay(job.pk))
    if not job.inline:
        progress_set(progress_key(job), done=0, total=max(total, 1), phase="waiting", message="等待导出")
        if small:
            job = export_job_run(job_id=job.pk)
    return ExportResult(job=job, content=content)


def export_job_run(*, job_id: int) -> ExportJob:
    """Write a background export's file and store it (a worker calls this)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now())
    job = ExportJob.objects.select_related("actor").get(pk=job_id)
    if not claimed:
        return job  # already run, running elsewhere, or given up
    key = progress_key(job)
    total = max(job.total_rows, 1)
    progress_set(key, done=0, total=total, phase="writing", message="正在导出")

    def progress(n: int) -> None:
        progress_set(key, done=n, total=max(total, n), phase="writing", message=f"已导出 {n} / {job.total_rows} 行")

    try:
        source, _form, kwargs = _checked(job.actor, job.source, job.params)
        with tempfile.TemporaryFile() as tmp:
            written = _write(source, job.actor, kwargs, tmp, language=job.language, progress=progress)
            size = tmp.tell()
            tmp.seek(0)
            with transaction.atomic():
                seq = 0
                while data := tmp.read(CHUNK_BYTES):
                    ExportChunk.objects.create(job=job, seq=seq, data=data)
                    seq += 1
                job.status = ExportJob.Status.DONE
                job.written_rows = written
                job.size_bytes = size
                job.finished_at = timezone.now()
                job.expires_at = job.finished_at + dt.timedelta(hours=settings.EXPORT_RETENTION_HOURS)
                job.message = ""
                job.save(update_fields=["status", "written_rows", "size_bytes", "finished_at", "expires_at",
                                        "message"])
    except AppError as exc:  # the user lost the permission, or the filter no longer holds
        return export_job_fail(job, exc.message)
    progress_set(key, done=written, total=max(written, 1), phase="done", message=f"已导出 {written} 行")
    return job


def export_job_fail(job: ExportJob, message: str) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]).update(
        status=ExportJob.Status.FAILED, message=message, finished_at=timezone.now())
    progress_set(progress_key(job), done=0, total=1, phase="failed", message=message)
    job.refresh_from_db()
    return job


def export_file(job: ExportJob) -> Iterator[bytes]:
    """The stored file, one chunk per query, so neither side holds it whole."""
    ids = list(ExportChunk.objects.filter(job=job).order_by("seq").values_list("pk", flat=True))
    for pk in ids:
        yield bytes(ExportChunk.objects.filter(pk=pk).values_list("data", flat=True).get())


def exports_expire(*, now: dt.datetime | None = None) -> dict:
    """Delete the files of exports past their retention; give up on exports whose
    worker vanished (the user starts them again)."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(status=ExportJob.Status.DONE, inline=False, expires_at__lt=now)
                   .values_list("pk", flat=True))
    for start in range(0, len(expired), 500):
        ids = expired[start:start + 500]
        with transaction.atomic():
            ExportChunk.objects.filter(job_id__in=ids).delete()
            ExportJob.objects.filter(pk__in=ids).update(status=ExportJob.Status.EXPIRED)
    stale_before = now - dt.timedelta(seconds=settings.EXPORT_STALE_AFTER)
    stale = ExportJob.objects.filter(
        status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING], created_at__lt=stale_before)
    abandoned = 0
    for job in stale:
        if job.status == ExportJob.Status.RUNNING and job.started_at and job.started_at >= stale_before:
            continue
        export_job_fail(job, "导出中断（处理进程已停止），请重新导出。")
        abandoned += 1
    return {"expired": len(expired), "abandoned": abandoned}
