"""Messaging figures for /metrics (core_billing/metrics.py), read at scrape time."""
import datetime as dt

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from core_billing.metrics import percentile_of

from .models import Message, PendingReceipt

LATENCY_SAMPLE = 5000


def messages_by_status():
    since = timezone.now() - dt.timedelta(hours=24)
    family = GaugeMetricFamily("nuanxin_messages_24h", "SMS created in the last 24 hours, by status and gateway",
                               labels=["status", "gateway"])
    for row in (Message.objects.filter(created_at__gte=since).values("status", "gateway")
                .annotate(n=Count("id")).order_by()):
        family.add_metric([row["status"], row["gateway"]], row["n"])
    yield family
    yield GaugeMetricFamily("nuanxin_receipts_pending", "Delivery receipts received but not yet applied",
                            value=PendingReceipt.objects.count())


def gateway_latency():
    """Seconds from a worker claiming a message to the gateway accepting it, over the last 5 minutes."""
    since = timezone.now() - dt.timedelta(minutes=5)
    family = GaugeMetricFamily("nuanxin_gateway_latency_seconds",
                               "Gateway send latency over the last 5 minutes", labels=["gateway", "quantile"])
    rows = (Message.objects.filter(sent_at__gte=since, claimed_at__isnull=False)
            .values_list("gateway", "claimed_at", "sent_at").order_by("-sent_at")[:LATENCY_SAMPLE])
    by_gateway: dict[str, list[float]] = {}
    for gateway, claimed, sent in rows:
        by_gateway.setdefault(gateway, []).append(max((sent - claimed).total_seconds(), 0.0))
    for gateway, values in by_gateway.items():
        for q in (50, 95, 99):
            family.add_metric([gateway, f"0.{q}"], percentile_of(values, q))
    yield family
