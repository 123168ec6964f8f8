"""What dispatch announces to the layers above it (outbound webhooks), after commit.

work_order_changed(sender=WorkOrder, work_order_id=..., station_id=..., kind=<event kind>, status=<new status>)
"""
from django.dispatch import Signal

work_order_changed = Signal()
