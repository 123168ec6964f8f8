"""Thin tasks: ids in, services do the work."""
from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def run_campaign(campaign_id: int) -> None:
    """Write a running campaign's messages chunk by chunk until done, paused or cancelled."""
    from .services.campaigns import campaign_run

    campaign_run(campaign_id)


@shared_task(ignore_result=True)
def sweep() -> dict:
    """Beat, every minute: start scheduled campaigns, pick up stalled runs, finish campaigns."""
    from .services.campaigns import campaigns_sweep

    return campaigns_sweep()


@shared_task(ignore_result=True)
def run_dunning() -> int:
    """Beat: run every dunning scheme whose date has come."""
    from .services.dunning import dunning_run_due

    return dunning_run_due()
