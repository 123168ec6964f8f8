"""Outbound webhooks: subscriptions to our events and every delivery attempt."""
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core_billing.scoping import ScopedManager, StationScopedQuerySet, actor_can_see_anything, is_head_office


class Event(models.TextChoices):
    PAYMENT_SUCCEEDED = "payment.succeeded", _("payment succeeded")
    MESSAGE_DELIVERED = "message.delivered", _("SMS delivered")
    MESSAGE_FAILED = "message.failed", _("SMS failed")
    CAMPAIGN_FINISHED = "campaign.finished", _("campaign finished")
    WORK_ORDER_CHANGED = "work_order.changed", _("work order changed")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class SubscriptionQuerySet(StationScopedQuerySet):
    def visible_to(self, actor):
        # A company-wide subscription (no station) is head office's alone.
        if not actor_can_see_anything(actor):
            return self.none()
        if is_head_office(actor):
            return self
        return self.filter(station_id=actor.station_id)


class WebhookSubscription(models.Model):
    """Where to POST which events.  A station's subscription hears only that
    station's events; a company-wide one (no station) hears all."""

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"),
                                help_text=_("Empty: events of every station."))
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("sending")
    RETRYING = "retrying", _("will retry")
    SUCCEEDED = "succeeded", _("delivered")
    FAILED = "failed", _("gave up")


class WebhookDelivery(models.Model):
    """One event for one subscription, with its attempts.  Retried with
    exponential backoff until it succeeds or is 24 hours old."""

    STATION_LOOKUP = "subscription__station"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays")

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
