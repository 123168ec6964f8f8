"""What messaging announces to the layers above it (campaigns, dispatch,
outbound webhooks), always after the change has committed.

message_status_changed(sender=Message, status=<new status>, message_ids=[...])
    Sent once per status per batch, so a campaign of 100,000 messages is a few
    hundred signals, not 100,000.  `status` is one of MessageStatus; the final
    ones are FINAL_STATUSES (delivered, failed).  Campaigns release their
    no-repeat claim on status == "failed".

inbound_sms_received(sender=InboundMessage, inbound=<InboundMessage>)
    Every stored inbound SMS, after opt-out keywords and handlers ran.
"""
from django.dispatch import Signal

message_status_changed = Signal()
inbound_sms_received = Signal()
