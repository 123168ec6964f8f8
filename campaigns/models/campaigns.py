"""Campaigns, the no-repeat claims that keep them from sending twice, and resend links.

    scheduled ──start──▶ running ──all messages created──▶ sending ──all final──▶ finished
        │                 │  ▲
        │               pause resume
        │                 ▼  │
        │                paused
        └──────────── cancel (from scheduled, running, paused) ──▶ cancelled

A marketing campaign that would start (or go on) in quiet hours goes back to
`scheduled` for the next morning (`held` says why).  `finished` and
`cancelled` are final: the campaign_finished signal goes out once, on entry.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.scoping import ScopedManager


class CampaignStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    RUNNING = "running", _("creating messages")
    PAUSED = "paused", _("paused")
    SENDING = "sending", _("sending")
    FINISHED = "finished", pgettext_lazy("campaign status", "finished")
    CANCELLED = "cancelled", _("cancelled")


FINAL = (CampaignStatus.FINISHED, CampaignStatus.CANCELLED)


class Campaign(models.Model):
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    name = models.CharField(_("name"), max_length=100)
    topic = models.ForeignKey("messaging.Topic", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("topic"))
    season = models.CharField(_("heating season"), max_length=16)
    audience = models.ForeignKey("campaigns.Audience", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="campaigns", verbose_name=_("audience"))
    # The audience's criteria when the campaign was made: editing the audience later changes nothing here.
    filters = models.JSONField(_("criteria"), default=dict, blank=True)
    no_repeat = models.BooleanField(_("no-repeat mode"), default=True)
    status = models.CharField(_("status"), max_length=16, choices=CampaignStatus.choices,
                              default=CampaignStatus.SCHEDULED, db_index=True)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    held = models.BooleanField(_("held for quiet hours"), default=False)
    targeted = models.PositiveIntegerField(_("targeted"), default=0)
    created_count = models.PositiveIntegerField(_("messages created"), default=0)
    skipped = models.JSONField(_("skipped by reason"), default=dict, blank=True)
    # Customers are walked in id order; the cursor is the last id handled, so a
    # resumed or re-delivered run carries on where the last chunk committed.
    cursor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["station", "created_at"], name="campaign_station_created")]

    def __str__(self):
        return self.name

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


class NoRepeatClaim(models.Model):
    """"This customer gets this season's message of this topic": taken before the
    message is written, unique, so two campaigns at once (or two workers of one)
    cannot both send it.  A message that finally fails gives its claim back."""

    STATION_LOOKUP = "customer__station"

    season = models.CharField(max_length=16)
    # Written 100,000 at a time by campaigns, so nothing per row that only a topic's or a
    # campaign's deletion needs: no index (lookups go through the unique constraint, the token
    # or the message id) and no database foreign key, whose check ran once per claim at commit
    # for the same topic and campaign; Django's on_delete still cascades and nulls them.
    topic = models.ForeignKey("messaging.Topic", on_delete=models.CASCADE, related_name="+", db_index=False,
                              db_constraint=False)
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 db_index=False, db_constraint=False)
    # Which insert took it: read back to learn which of a chunk's claims are ours.
    token = models.CharField(max_length=32)
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["season", "topic", "customer"], name="no_repeat_claim_once")]
        indexes = [models.Index(fields=["token"], name="no_repeat_claim_token")]  # no LIKE twin: matched whole


class ResendLink(models.Model):
    """A failed message that has been resent, unique on it: pressing resend
    twice, or in two browsers, sends once."""

    STATION_LOOKUP = "failed__station"

    failed = models.OneToOneField("messaging.Message", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, db_index=True)
    new_message_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()
