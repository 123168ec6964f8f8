"""Station isolation: the one place that decides what an actor may see.

Every tenant-owned model uses `StationScopedQuerySet` (directly or through
`ScopedManager`) and names the path to its station in `STATION_LOOKUP`
(default "station"; "pk" for Station itself, "customer__station" for rows that
hang off a customer, ...).  Selectors, API viewsets, pages and exports all
start from `Model.objects.visible_to(actor)`; nothing filters by station by
hand.  Outside an actor's station an object does not exist (404).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:  # pragma: no cover
    from .models import User

M = TypeVar("M", bound=models.Model)


def station_lookup(model: type[models.Model]) -> str:
    return getattr(model, "STATION_LOOKUP", "station")


def is_head_office(actor) -> bool:
    """Head-office staff (no station) and superusers see every station."""
    return bool(actor.is_superuser or getattr(actor, "station_id", None) is None)


def actor_can_see_anything(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


def scope_queryset(qs: models.QuerySet, actor) -> models.QuerySet:
    """The rows of `qs` the actor may see.  Company-wide data (a queryset that
    is not station-scoped, like customer types) is visible to all staff."""
    if not actor_can_see_anything(actor):
        return qs.none()
    if is_head_office(actor) or not isinstance(qs, StationScopedQuerySet):
        return qs
    return qs.for_station_staff(actor)


def station_visible_to(actor, station_id: int | None) -> bool:
    """Whether a row owned by `station_id` is inside the actor's scope."""
    if not actor_can_see_anything(actor):
        return False
    return is_head_office(actor) or station_id == actor.station_id


class StationScopedQuerySet(models.QuerySet):
    def visible_to(self, actor: "User"):
        return scope_queryset(self, actor)

    def for_station_staff(self, actor: "User"):
        """What staff of one station see.  Override (never visible_to) for rows
        some stations share, e.g. company-wide SMS topics."""
        return self.filter(**{station_lookup(self.model): actor.station_id})


class ScopedManager(models.Manager.from_queryset(StationScopedQuerySet)):
    pass


def get_visible_or_404(source: type[M] | models.QuerySet, actor, **lookup) -> M:
    qs = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    try:
        return scope_queryset(qs, actor).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404
