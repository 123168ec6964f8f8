"""The seasons with their tariffs and early-payment tiers, and the customer types: what every bill shown
reads besides the customer's own accounts.

A few dozen rows that head office changes a few times a year, read by every pay page (150 a second when a
dunning campaign goes out), so they are kept per process (versioned.py) rather than read with each page:
two queries and two joins fewer per page.  Every write of these models moves the version on: .save() and
.delete() anywhere through the receivers below, and the services that write them with update() or
bulk_create() by calling `season_settings_changed()`.

Only what is shown reads from here (the customer's summary and the pay page's quote).  Posting a payment
reads the seasons it locks, in its own transaction."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save

from .. import pricing
from ..models import CustomerType, DiscountTier, Season, Tariff
from ..versioned import Versioned


@dataclass(frozen=True)
class SeasonSettings:
    seasons: dict[int, Season]
    current: Season | None
    tiers: dict[int, list[pricing.Tier]]  # season id -> early-payment tiers, by date
    tariffs: dict[int, dict[int, Tariff]]  # season id -> customer type id -> tariff
    type_names: dict[int, str]


def _load() -> SeasonSettings:
    seasons = {s.pk: s for s in Season.objects.all()}
    tiers: dict[int, list[pricing.Tier]] = {pk: [] for pk in seasons}
    for season_id, until, rate in DiscountTier.objects.order_by("season_id", "until").values_list(
            "season_id", "until", "rate"):
        tiers.setdefault(season_id, []).append(pricing.Tier(until, rate))
    tariffs: dict[int, dict[int, Tariff]] = {pk: {} for pk in seasons}
    for tariff in Tariff.objects.all():
        tariffs.setdefault(tariff.season_id, {})[tariff.customer_type_id] = tariff
    return SeasonSettings(seasons=seasons, current=next((s for s in seasons.values() if s.is_current), None),
                          tiers=tiers, tariffs=tariffs,
                          type_names=dict(CustomerType.objects.values_list("pk", "name")))


_kept = Versioned("season-settings", _load)


def season_settings(*, reload: bool = False) -> SeasonSettings:
    return _kept.get(reload=reload)


def season_settings_changed() -> None:
    _kept.changed()


def _saved_or_deleted(sender, **kwargs) -> None:
    season_settings_changed()


def connect_signals() -> None:
    for model in (Season, Tariff, DiscountTier, CustomerType):
        for signal in (post_save, post_delete):
            signal.connect(_saved_or_deleted, sender=model, dispatch_uid=f"nuanxin.season_settings.{model.__name__}")
