"""Quiet hours for marketing notices (setting CAMPAIGN_QUIET_HOURS, default 20:00–08:00 local time)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def _bounds() -> tuple[dt.time, dt.time] | None:
    value = getattr(settings, "CAMPAIGN_QUIET_HOURS", None)
    if not value:
        return None
    start, end = value
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def in_quiet_hours(when: dt.datetime) -> bool:
    bounds = _bounds()
    if bounds is None:
        return False
    start, end = bounds
    t = timezone.localtime(when).time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # the window spans midnight


def quiet_ends(when: dt.datetime) -> dt.datetime:
    """The first moment at or after `when` outside quiet hours."""
    if not in_quiet_hours(when):
        return when
    _start, end = _bounds()
    local = timezone.localtime(when)
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), timezone.get_current_timezone())
