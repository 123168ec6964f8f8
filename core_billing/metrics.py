"""Prometheus metrics at /metrics (PLT-05).

Figures come from the database and the broker at scrape time, so they are
right however many web and worker processes run.  Apps add theirs with
`register_source(func)`, func() yielding prometheus_client metric families."""
from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Callable, Iterable

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)
Source = Callable[[], Iterable]
_sources: dict[str, Source] = {}


def register_source(name: str, func: Source) -> None:
    _sources[name] = func


def queue_depth() -> Iterable:
    family = GaugeMetricFamily("nuanxin_task_queue_depth", "Tasks waiting in the broker queue", labels=["queue"])
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        family.add_metric(["celery"], client.llen("celery"))
    else:
        from pathlib import Path

        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        family.add_metric(["celery"], sum(1 for _ in folder.glob("*.msg")) if folder.exists() else 0)
    yield family


register_source("queue", queue_depth)


def percentile_of(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def payments_today() -> Iterable:
    from django.db.models import Count, Sum
    from django.utils import timezone

    from .models import Receipt

    count = GaugeMetricFamily("nuanxin_payments_today", "Payments recorded today, by method", labels=["method"])
    amount = GaugeMetricFamily("nuanxin_payments_today_yuan", "Money received today (yuan), by method",
                               labels=["method"])
    for row in (Receipt.objects.filter(paid_on=timezone.localdate()).values("method")
                .annotate(n=Count("id"), total=Sum("amount")).order_by()):
        count.add_metric([row["method"]], row["n"])
        amount.add_metric([row["method"]], float(row["total"] or 0))
    yield count
    yield amount


register_source("payments", payments_today)


class _DatabaseCollector:
    def collect(self):
        for name, source in list(_sources.items()):
            try:
                yield from source()
            except Exception:  # one broken source must not hide the others
                log.exception("metrics source %s failed", name)


def _allowed(request) -> bool:
    if settings.METRICS_TOKEN:
        header = request.headers.get("Authorization", "")
        if hmac.compare_digest(header, f"Bearer {settings.METRICS_TOKEN}"):
            return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("forbidden")
    registry = CollectorRegistry()
    registry.register(_DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def health_view(request):
    """For load balancers: 200 when the database and the cache answer."""
    from django.core.cache import cache
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        cache.set("healthz", "ok", 10)
    except Exception as exc:
        log.warning("health check failed: %s", type(exc).__name__)
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
