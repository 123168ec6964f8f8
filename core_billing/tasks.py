import logging

from celery import shared_task

from .models import ImportJob
from .services.imports import import_job_fail, import_job_run

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_customer_import(job_id: int) -> None:
    try:
        import_job_run(job_id=job_id)
    except Exception:
        log.exception("customer import %s crashed", job_id)
        job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).first()
        if job:
            import_job_fail(job, "导入时发生内部错误，未导入任何数据。请联系管理员。")
        raise


@shared_task(acks_late=True)
def refresh_balances() -> int:
    """Nightly: late fees move with the calendar, so every account and customer is
    refreshed as of the new day (set-based, a few statements)."""
    from django.db import transaction

    from .services.balances import refresh_everything

    with transaction.atomic():
        return refresh_everything()
