"""Campaigns listen to messaging: a final failure gives the no-repeat claim back,
and a campaign whose last message became final is finished."""
from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from messaging.models import FINAL_STATUSES, Message, MessageStatus
from messaging.signals import message_status_changed

from .models import Campaign, CampaignStatus, NoRepeatClaim


@receiver(message_status_changed, dispatch_uid="campaigns.message_status")
def on_message_status(sender, status, message_ids, **kwargs):
    if status not in FINAL_STATUSES or not message_ids:
        return
    ids = list(message_ids)
    campaign_ids = set()
    for i in range(0, len(ids), 900):  # SQLite's parameter limit
        part = ids[i:i + 900]
        if status == MessageStatus.FAILED:
            with transaction.atomic():
                NoRepeatClaim.objects.filter(message_id__in=part).delete()
        campaign_ids.update(Message.objects.filter(pk__in=part, campaign_id__isnull=False)
                            .values_list("campaign_id", flat=True).distinct())
    if not campaign_ids:
        return
    from .services.campaigns import campaign_check_finished

    for pk in Campaign.objects.filter(pk__in=campaign_ids, status=CampaignStatus.SENDING).values_list("pk", flat=True):
        campaign_check_finished(pk)
