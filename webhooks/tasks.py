from celery import shared_task

from .outbound.services import deliveries_due, deliveries_release_stuck, delivery_attempt


@shared_task(ignore_result=True)
def deliver_due() -> None:
    deliveries_release_stuck()
    for delivery_id in deliveries_due():
        deliver_one.delay(delivery_id)


@shared_task(ignore_result=True, acks_late=True)
def deliver_one(delivery_id: int) -> None:
    delivery_attempt(delivery_id)
