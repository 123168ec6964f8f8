"""Replies customers and staff send to us, and marketing opt-outs (MSG-08)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core_billing.scoping import ScopedManager, StationScopedQuerySet


class InboundMessage(models.Model):
    """An SMS received through a gateway.  Its station is that of the customer
    or staff member it came from; replies from unknown numbers have none and
    are seen by head office only."""

    class Action(models.TextChoices):
        OPT_OUT = "opt_out", _("opted out")
        OPT_IN = "opt_in", _("opted back in")
        HANDLED = "handled", _("handled")
        UNHANDLED = "unhandled", _("not understood")

    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    gateway = models.CharField(_("gateway"), max_length=32)
    gateway_ref = models.CharField(max_length=64, blank=True)
    phone = models.CharField(pgettext_lazy("sms", "from"), max_length=20, db_index=True)
    to = models.CharField(pgettext_lazy("sms", "to"), max_length=32, blank=True)
    body = models.TextField(_("text"))
    customer = models.ForeignKey("core_billing.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    action = models.CharField(_("result"), max_length=16, choices=Action.choices, default=Action.UNHANDLED)
    handled_by = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received SMS")
        verbose_name_plural = _("received SMS")
        constraints = [
            # A gateway that posts the same inbound SMS twice records it once.
            models.UniqueConstraint(fields=["gateway", "gateway_ref"], condition=~Q(gateway_ref=""),
                                    name="inbound_gateway_ref_unique"),
        ]

    def __str__(self):
        return f"{self.phone}: {self.body[:20]}"


class OptOutQuerySet(StationScopedQuerySet):
    def for_station_staff(self, actor):
        # An opt-out belongs to a phone number, not a station: station staff
        # see those of numbers their own customers use.
        from core_billing.models import CustomerPhone

        numbers = CustomerPhone.objects.visible_to(actor).exclude(number="").values("number")
        return self.filter(phone__in=numbers)


class OptOut(models.Model):
    """The marketing consent of one mobile number: the person at that number
    asked us to stop (退订) or to start again (订阅)."""

    phone = models.CharField(pgettext_lazy("sms", "phone"), max_length=20, unique=True)
    is_opted_out = models.BooleanField(_("opted out of marketing"), default=True)
    keyword = models.CharField(_("reply"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=16, default="sms")  # sms | staff
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    objects = OptOutQuerySet.as_manager()
    # A number is not any one station's: its audit rows carry no station.
    station_id = None

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("marketing opt-out")
        verbose_name_plural = _("marketing opt-outs")

    def __str__(self):
        return f"{self.phone} {'退订' if self.is_opted_out else '订阅'}"
