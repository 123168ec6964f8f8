"""Dunning schemes (催缴方案): a topic sent to an audience's customers still owing, on a schedule (CMP-04)."""
import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core_billing.scoping import ScopedManager


class DunningScheme(models.Model):
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    name = models.CharField(_("name"), max_length=64)
    topic = models.ForeignKey("messaging.Topic", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("topic"))
    audience = models.ForeignKey("campaigns.Audience", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="dunning_schemes", verbose_name=_("audience"))
    season = models.CharField(_("heating season"), max_length=16)
    start_date = models.DateField(_("first run"))
    end_date = models.DateField(_("last run by"))
    every_days = models.PositiveSmallIntegerField(_("every (days)"), default=15, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["station_id", "name"]
        verbose_name = _("dunning scheme")
        verbose_name_plural = _("dunning schemes")
        permissions = [("manage_dunningscheme", "Can set up dunning schemes")]
        constraints = [
            models.UniqueConstraint(fields=["station", "name"], condition=Q(station__isnull=False),
                                    name="dunning_station_name_unique"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="dunning_dates_ordered"),
            models.CheckConstraint(condition=Q(every_days__gte=1), name="dunning_every_positive"),
        ]

    def __str__(self):
        return self.name

    def due_date(self, today: dt.date) -> dt.date | None:
        """The latest scheduled date on or before `today` (None before the first or after the last)."""
        if today < self.start_date:
            return None
        last = min(today, self.end_date)
        steps = (last - self.start_date).days // self.every_days
        return self.start_date + dt.timedelta(days=steps * self.every_days)

    def next_date(self, today: dt.date) -> dt.date | None:
        if today < self.start_date:
            return self.start_date
        steps = (today - self.start_date).days // self.every_days + 1
        nxt = self.start_date + dt.timedelta(days=steps * self.every_days)
        return nxt if nxt <= self.end_date else None


class DunningRun(models.Model):
    """One run of a scheme for one due date; unique, so beat firing twice,
    two beat nodes or a retry never remind twice for the same date."""

    STATION_LOOKUP = "scheme__station"

    scheme = models.ForeignKey(DunningScheme, on_delete=models.CASCADE, related_name="runs")
    due_date = models.DateField(_("due date"))
    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="dunning_run")
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    created_at = models.DateTimeField(_("run at"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["-due_date"]
        constraints = [models.UniqueConstraint(fields=["scheme", "due_date"], name="dunning_run_once")]
