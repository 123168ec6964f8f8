"""Staff users, their station and roles, and collector jurisdictions."""
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..scoping import ScopedManager, StationScopedQuerySet
from .org import Building, Community, Station


class UserQuerySet(StationScopedQuerySet):
    def with_role(self, role: str):
        return self.filter(groups__name=role)


class StaffManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A staff member.  `station` empty means head office (总站), which sees all stations."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
                                verbose_name=_("heating station"))
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text=_("E.164, e.g. +8613800000000"))

    objects = StaffManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_head_office(self) -> bool:
        return self.station_id is None

    def role_codes(self) -> set[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = set(self.groups.values_list("name", flat=True))
        return self._role_codes

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.role_codes() & set(roles))


class CollectorAssignment(models.Model):
    """管辖区域: one community or one building given to a collector.

    A building assigned on its own overrides its community's assignment."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="collector_assignments",
                                verbose_name=_("heating station"))
    collector = models.ForeignKey(User, on_delete=models.PROTECT, related_name="jurisdiction",
                                  verbose_name=_("collector"))
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="collector_assignments", verbose_name=_("community"))
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="collector_assignments", verbose_name=_("building"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(community__isnull=False, building__isnull=True)
                           | models.Q(community__isnull=True, building__isnull=False)),
                name="assignment_one_target",
            ),
            models.UniqueConstraint(fields=["community"], condition=models.Q(community__isnull=False),
                                    name="assignment_community_unique"),
            models.UniqueConstraint(fields=["building"], condition=models.Q(building__isnull=False),
                                    name="assignment_building_unique"),
        ]

    def __str__(self):
        return f"{self.collector}: {self.building or self.community}"
