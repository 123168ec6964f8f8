from celery import shared_task
from django.conf import settings

from .services.work_orders import work_orders_sweep


@shared_task(ignore_result=True)
def sweep() -> dict:
    """催办 and 督办 (run by beat): reminders for orders not accepted in time,
    escalations for orders past their appointment window."""
    return work_orders_sweep(accept_minutes=settings.DISPATCH_ACCEPT_REMINDER_MINUTES,
                             escalate=settings.DISPATCH_ESCALATE_OVERDUE)
