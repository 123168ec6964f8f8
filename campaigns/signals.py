"""What campaigns announce to the layers above (outbound webhooks, reports), after commit.

campaign_finished(sender=Campaign, campaign_id=..., station_id=..., status="finished"|"cancelled",
                  counts={"targeted", "created", "skipped", "queued", "sent", "delivered", "failed"})
    Once per campaign, when it reaches a final state: every message final, or cancelled.
"""
from django.dispatch import Signal

campaign_finished = Signal()
