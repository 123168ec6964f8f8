import logging

from celery import shared_task

from .models import ExportJob
from .services.exports import export_job_fail, export_job_run, exports_expire

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_export(job_id: int) -> None:
    try:
        export_job_run(job_id=job_id)
    except Exception:
        log.exception("export %s crashed", job_id)
        job = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).first()
        if job:
            export_job_fail(job, "导出时发生内部错误，请稍后重试或联系管理员。")
        raise


@shared_task(acks_late=True)
def expire_exports() -> dict:
    """Periodic: delete expired export files, give up on exports whose worker died."""
    return exports_expire()
