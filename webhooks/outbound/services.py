"""Outbound webhook writes: subscriptions, emitting events, delivering, replaying."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
import uuid
from typing import Iterable
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core_billing.audit import audit_record
from core_billing.errors import AppError
from core_billing.scoping import is_head_office
from core_billing.services._common import require_in_scope, require_perm
from core_billing.versioned import Versioned

from ..models import DeliveryStatus, Event, WebhookDelivery, WebhookSubscription
from . import signing

log = logging.getLogger(__name__)
RETRY_FOR = dt.timedelta(hours=24)
FIRST_BACKOFF = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
STUCK_AFTER = dt.timedelta(minutes=5)


def _check_url(url: str) -> None:
    """Refuse URLs that would make us call into our own network (SSRF), unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AppError("地址必须以 http:// 或 https:// 开头。", field="url")
    if settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        raise AppError(f"无法解析主机名 {parts.hostname}。", field="url")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise AppError("不能向内网地址推送。", field="url")


def _check_events(events: Iterable[str]) -> list[str]:
    events = sorted(set(events))
    unknown = [e for e in events if e not in Event.values]
    if not events or unknown:
        raise AppError(f"事件无效：{', '.join(unknown) or '未选择'}", field="events", extra={"valid": Event.values})
    return events


@transaction.atomic
def subscription_create(*, actor, url: str, events: list[str], station=None,
                        description: str = "") -> WebhookSubscription:
    require_perm(actor, "webhooks.add_webhooksubscription", "没有设置推送的权限。")
    if not is_head_office(actor):
        station = actor.station
    _check_url(url)
    sub = WebhookSubscription.objects.create(station=station, url=url, events=_check_events(events),
                                             description=description.strip(), created_by=actor)
    audit_record(actor=actor, action="webhook.subscribe", obj=sub, station_id=sub.station_id,
                 after={"url": url, "events": sub.events, "station": sub.station_id})
    _events.changed()
    return sub


@transaction.atomic
def subscription_update(*, actor, subscription: WebhookSubscription, url: str | None = None,
                        events: list[str] | None = None, is_active: bool | None = None,
                        rotate_secret: bool = False) -> WebhookSubscription:
    require_perm(actor, "webhooks.change_webhooksubscription", "没有设置推送的权限。")
    require_in_scope(actor, subscription.station_id)
    before = {"url": subscription.url, "events": subscription.events, "is_active": subscription.is_active}
    if url is not None:
        _check_url(url)
        subscription.url = url
    if events is not None:
        subscription.events = _check_events(events)
    if is_active is not None:
        subscription.is_active = is_active
    if rotate_secret:
        from ..models import new_secret

        subscription.secret = new_secret()
    subscription.save()
    after = {"url": subscription.url, "events": subscription.events, "is_active": subscription.is_active}
    audit_record(actor=actor, action="webhook.update", obj=subscription, station_id=subscription.station_id,
                 before=before, after={**after, "secret_rotated": rotate_secret})
    _events.changed()
    return subscription


def _subscriptions(event: str) -> list[WebhookSubscription]:
    active = WebhookSubscription.objects.filter(is_active=True)
    if settings.DATABASE_VENDOR == "postgresql":
        return list(active.filter(events__contains=[event]))
    return [s for s in active if event in s.events]  # SQLite has no JSON containment


def _subscribed_events() -> frozenset[str]:
    return frozenset(e for listed in WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True)
                     for e in listed)


# Every payment and every receipt batch asks whether anyone listens, so the answer is kept per process and
# every subscription write moves it on (versioned.py).  recheck=0: every ask compares the version (one cache
# GET), so a new subscription hears the next event in every process.  A subscription deleted in the admin can
# leave an event listed for up to the TTL; that only costs webhooks_emit a query that finds nobody.
_events = Versioned("webhook-events", _subscribed_events, ttl=300, recheck=0)


def subscribed(event: str) -> bool:
    """Cheap check before a receiver loads the rows an event would carry."""
    return event in _events.get()


def webhooks_emit(event: str, items: Iterable[tuple[int | None, dict]]) -> int:
    """Queue `event` for every matching subscription; `items` are (station id, data) pairs.

    Called from domain-signal receivers, which run after the change committed;
    the deliveries are written in bulk and handed to a worker after they commit."""
    items = list(items)
    if not items:
        return 0
    subs = _subscriptions(event)
    if not subs:
        return 0
    now = timezone.now()
    rows = []
    for station_id, data in items:
        event_id = uuid.uuid4()
        payload = {"id": str(event_id), "type": event, "created": now.isoformat(), "station": station_id,
                   "data": data}
        rows += [WebhookDelivery(subscription=s, event=event, event_id=event_id, payload=payload, created_at=now,
                                 next_attempt_at=now)
                 for s in subs if s.station_id is None or s.station_id == station_id]
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
        transaction.on_commit(_kick)
    return len(rows)


def _kick():
    from ..tasks import deliver_due

    deliver_due.delay()


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def delivery_attempt(delivery_id: int) -> str | None:
    """Claim one due delivery, POST it outside any transaction, record the outcome."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now,
    ).update(status=DeliveryStatus.SENDING, next_attempt_at=now + STUCK_AFTER)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    sub = delivery.subscription
    body = body_of(delivery)
    code, error = None, ""
    try:
        _check_url(sub.url)  # again: the name may resolve elsewhere now
        response = requests.post(sub.url, data=body, timeout=(5, 10), allow_redirects=False, headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "Nuanxin-Webhooks/1",
            signing.HEADER: signing.sign(sub.secret, body), "Nuanxin-Event": delivery.event,
            "Nuanxin-Delivery": str(delivery.pk)})
        code = response.status_code
        ok = 200 <= code < 300
        if not ok:
            error = f"HTTP {code}"
    except AppError as exc:
        ok, error = False, exc.message
    except requests.RequestException as exc:
        ok, error = False, type(exc).__name__
    attempts = delivery.attempts + 1
    finished = timezone.now()
    if ok:
        fields = {"status": DeliveryStatus.SUCCEEDED, "delivered_at": finished}
    elif finished + backoff(attempts) > delivery.created_at + RETRY_FOR:
        fields = {"status": DeliveryStatus.FAILED}
    else:
        fields = {"status": DeliveryStatus.RETRYING, "next_attempt_at": finished + backoff(attempts)}
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        attempts=attempts, last_status_code=code, last_error=error[:300], **fields)
    if not ok:
        log.info("webhook delivery %s to subscription %s failed (%s), attempt %s", delivery.pk, sub.pk, error,
                 attempts)
    return fields["status"]


def deliveries_due(limit: int = 500) -> list[int]:
    return list(WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=timezone.now(),
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def deliveries_release_stuck() -> int:
    """A worker that died mid-POST leaves "sending" behind; after STUCK_AFTER it is retried."""
    return WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lte=timezone.now()).update(
        status=DeliveryStatus.RETRYING)


@transaction.atomic
def delivery_replay(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    require_perm(actor, "webhooks.change_webhooksubscription", "没有重放推送的权限。")
    require_in_scope(actor, delivery.subscription.station_id)
    copy = WebhookDelivery.objects.create(subscription=delivery.subscription, event=delivery.event,
                                          event_id=delivery.event_id, payload=delivery.payload, replay_of=delivery)
    transaction.on_commit(_kick)
    return copy
