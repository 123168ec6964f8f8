"""SMS topics (短信主题): named message templates."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core_billing.scoping import StationScopedQuerySet

from .. import templating


class TopicKind(models.TextChoices):
    NOTICE = templating.TopicKind.NOTICE, _("notice")
    DUNNING = templating.TopicKind.DUNNING, _("dunning")
    SERVICE = templating.TopicKind.SERVICE, _("service")
    INTERNAL = templating.TopicKind.INTERNAL, _("internal")
    WORK_ORDER = templating.TopicKind.WORK_ORDER, _("work order")


class TopicQuerySet(StationScopedQuerySet):
    def for_station_staff(self, actor):
        # Company-wide topics (no station) are shared by every station.
        return self.filter(Q(station_id=actor.station_id) | Q(station__isnull=True))

    def active(self):
        return self.filter(is_active=True)


class Topic(models.Model):
    station = models.ForeignKey("core_billing.Station", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("heating station"),
                                help_text=_("Empty: shared by every station (company-wide)."))
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=TopicKind.choices, default=TopicKind.NOTICE)
    is_marketing = models.BooleanField(
        _("marketing"), default=False,
        help_text=_("Marketing notices carry the opt-out text and are not sent to customers who opted out."))
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("SMS topic")
        verbose_name_plural = _("SMS topics")
        constraints = [
            models.UniqueConstraint(fields=["station", "name"], condition=Q(station__isnull=False),
                                    name="topic_station_name_unique"),
            models.UniqueConstraint(fields=["name"], condition=Q(station__isnull=True),
                                    name="topic_company_name_unique"),
            models.CheckConstraint(condition=Q(is_marketing=False) | Q(kind=TopicKind.NOTICE),
                                   name="topic_marketing_only_notice"),
        ]

    def __str__(self):
        return self.name
