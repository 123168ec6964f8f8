"""Saved audiences: a named, stored filter over customers (CMP-01)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core_billing.scoping import ScopedManager


class Audience(models.Model):
    """The filter is kept as data (see campaigns/audience.py for its keys) and
    compiled into one customer queryset whenever it is used, so a saved
    audience follows the registry: a customer who paid drops out of an
    arrears audience without anyone editing it."""

    # Empty: a head-office audience over every station (only head office sees it).
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"))
    name = models.CharField(_("name"), max_length=64)
    filters = models.JSONField(_("criteria"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["station_id", "name"]
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        constraints = [
            models.UniqueConstraint(fields=["station", "name"], condition=Q(station__isnull=False),
                                    name="audience_station_name_unique"),
            models.UniqueConstraint(fields=["name"], condition=Q(station__isnull=True),
                                    name="audience_company_name_unique"),
        ]

    def __str__(self):
        return self.name
