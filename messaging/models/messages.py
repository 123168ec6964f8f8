"""Messages and their status machine (MSG-03, MSG-04).

    queued ──claim──▶ sending ──gateway accepted──▶ sent ──receipt──▶ delivered
                         │                           └──receipt──▶ failed
                         └──transient error──▶ errored ──retry──▶ sending ...
                         └──permanent error, or the last attempt──▶ failed

`delivered` and `failed` are final.  Every status change is one conditional
UPDATE naming the states it may leave (see services/transitions.py), so a
duplicate, late or out-of-order receipt, or a second worker, can never move a
message backwards.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.scoping import ScopedManager


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")  # row written, waiting for a worker
    SENDING = "sending", _("sending")  # claimed by a worker, gateway call in flight
    SENT = "sent", _("sent")  # the gateway accepted it; waiting for the receipt
    DELIVERED = "delivered", _("delivered")  # receipt: on the phone (final)
    ERRORED = "errored", _("retrying")  # transient error; another attempt is scheduled
    FAILED = "failed", _("failed")  # permanent error, attempts used up, or undelivered (final)


FINAL_STATUSES = (MessageStatus.DELIVERED, MessageStatus.FAILED)


class Message(models.Model):
    # Messages to head-office staff have no station: only head office sees them.
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    topic = models.ForeignKey("messaging.Topic", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="messages", verbose_name=_("topic"))
    kind = models.CharField(_("kind"), max_length=16, default="service")
    is_marketing = models.BooleanField(_("marketing"), default=False)
    season = models.CharField(_("heating season"), max_length=16, blank=True,
                              help_text=_("Season code such as 2025-2026."))
    # Campaigns and work orders live in apps above messaging, which must not
    # point down at them: plain ids, indexed, resolved by those apps.
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)
    work_order_id = models.BigIntegerField(_("work order"), null=True, blank=True, db_index=True)
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="messages", verbose_name=_("customer"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="received_messages", verbose_name=_("staff recipient"))
    phone = models.CharField(pgettext_lazy("sms", "phone"), max_length=20)
    body = models.TextField(_("text"))
    segments = models.PositiveSmallIntegerField(_("segments"), default=1)
    encoding = models.CharField(_("encoding"), max_length=8, default="ucs2")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="sent_messages", verbose_name=_("sender"), db_index=False)
    gateway = models.CharField(_("gateway"), max_length=32)
    gateway_ref = models.CharField(_("gateway reference"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=MessageStatus.choices,
                              default=MessageStatus.QUEUED)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_text = models.CharField(_("error"), max_length=255, blank=True)
    # The claim token of the worker holding the message in `sending`: results
    # are recorded only by the claim that sent them.
    claim = models.CharField(max_length=32, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends",
                                  verbose_name=_("resend of"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("send_message", "Can send SMS"), ("send_staff_message", "Can send messages to staff")]
        # The record query (MSG-05) filters by equality on one or two columns
        # and reads newest first, a page at a time, on (created_at, id).  Each
        # record index is (filter columns…, created_at, id), so a page is one
        # index seek in order, never a sort of every match; each replaces a
        # single-column index of its leading column (the old created_at,
        # phone, season, campaign_id and sender_id ones), so the table carries
        # one index more than before: writes pay for every index, and a status
        # change updates them all.  bench/records.py shows the plans.
        indexes = [
            models.Index(fields=["gateway", "gateway_ref"], name="message_gateway_ref"),
            models.Index(fields=["status", "next_attempt_at"], name="message_status_retry"),
            models.Index(fields=["season", "topic", "customer"], name="message_season_topic_cust"),  # no-repeat
            # head office, no filter, or a date range
            models.Index(fields=["created_at", "id"], name="message_created_id"),
            # what every station's staff read: their station, newest first
            models.Index(fields=["station", "created_at", "id"], name="message_station_created_id"),
            # failed (or any status) newest first, across stations; also the status counts
            models.Index(fields=["status", "created_at", "id"], name="message_status_created"),
            # one household's history; also the partial-number fallback's equality case
            models.Index(fields=["phone", "created_at", "id"], name="message_phone_created"),
            # a notice of one season: season alone, or season and topic
            models.Index(fields=["season", "topic", "created_at", "id"], name="message_season_topic_created"),
            # a campaign's messages; most messages have none, so only rows with one are indexed
            models.Index(fields=["campaign_id", "created_at", "id"], name="message_campaign_created",
                         condition=Q(campaign_id__isnull=False)),
            # one sender's messages (also the PROTECT check when a user is deleted)
            models.Index(fields=["sender", "created_at", "id"], name="message_sender_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values), name="message_status_valid"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.phone} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def recipient_name(self) -> str:
        if self.customer_id:
            return self.customer.name
        if self.staff_id:
            return str(self.staff)
        return ""


class PendingReceipt(models.Model):
    """A delivery receipt as the gateway posted it, waiting to be applied.

    The webhook only inserts here (durable before it answers 200); a task
    applies receipts in batches, so a storm of callbacks costs cheap appends
    instead of a storm of row-locking updates on the messages table.  A
    receipt that matches no message yet (it overtook the send result) stays
    and is retried until RECEIPT_MATCH_WINDOW runs out."""

    gateway = models.CharField(max_length=32)
    ref = models.CharField(max_length=64)
    phone = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=16)  # sent, delivered or failed
    error_code = models.CharField(max_length=40, blank=True)
    error_text = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    tries = models.PositiveSmallIntegerField(default=0)  # runs that found no message for it
    next_try_at = models.DateTimeField(null=True, blank=True)
    unmatched = models.BooleanField(default=False)  # gave up matching; kept a week for inspection

    class Meta:
        indexes = [models.Index(fields=["unmatched", "id"], name="receipt_pending")]

    def __str__(self):
        return f"{self.gateway}:{self.ref} {self.status}"


class ReceiptSms(models.Model):
    """The claim on a payment's receipt SMS: one per receipt, so it is sent once.

    Taken in the transaction that writes the message (services/payment_receipts.py);
    a run that dies before committing leaves the receipt unclaimed for the next."""

    receipt = models.OneToOneField("core_billing.Receipt", on_delete=models.CASCADE, related_name="+",
                                   primary_key=True)
    token = models.CharField(max_length=32)  # the run that took it
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_index=False)  # none: no mobile to send to
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["token"], name="receipt_sms_token")]
