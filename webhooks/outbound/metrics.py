from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from ..models import WebhookDelivery


def deliveries_by_status():
    family = GaugeMetricFamily("nuanxin_webhook_deliveries", "Outbound webhook deliveries by status",
                               labels=["status"])
    for row in WebhookDelivery.objects.values("status").annotate(n=Count("id")).order_by():
        family.add_metric([row["status"]], row["n"])
    yield family
