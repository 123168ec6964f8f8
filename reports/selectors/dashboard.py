"""The manager dashboard's figures (RPT-02, RPT-03, MSG-04): collection rate
through the season against last season's, arrears by station, today's cash,
and this week's SMS delivered and failed.  All within the actor's stations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core_billing.models import Customer, LedgerEntry, Season
from core_billing.pricing import round_fen
from messaging.models import MessageStatus
from messaging.selectors.messages import message_list, status_counts

from .billing import ZERO, cash_report, collection_progress, current_season, rate

WEEK = dt.timedelta(days=7)
# Early payers start in September; the curve starts at the first payment but
# no earlier than this before the season starts.
MAX_LEAD = dt.timedelta(days=120)


@dataclass
class Curve:
    """Cumulative collection rate (0..1) of a season at chosen days, and last
    season's at the same distance from its start (None where there is none)."""

    season: str
    previous: str
    days: list[dt.date] = field(default_factory=list)
    current: list[float | None] = field(default_factory=list)
    before: list[float | None] = field(default_factory=list)

    def points(self) -> list[dict]:
        return [{"date": d, "rate": c, "previous_rate": p} for d, c, p in zip(self.days, self.current, self.before)]


def _paid_by_day(actor, season: Season) -> list[tuple[dt.date, Decimal]]:
    """Net payments (reversals subtracted) by value date, oldest first."""
    rows = (LedgerEntry.objects.visible_to(actor).filter(kind=LedgerEntry.Kind.PAYMENT, account__season=season)
            .order_by().values("value_date").annotate(amount=Sum("amount")).order_by("value_date"))
    return [(r["value_date"], -round_fen(r["amount"] or 0)) for r in rows]


def _cumulative(series: list[tuple[dt.date, Decimal]], days: list[dt.date]) -> list[Decimal]:
    out, total, i = [], ZERO, 0
    for day in days:
        while i < len(series) and series[i][0] <= day:
            total += series[i][1]
            i += 1
        out.append(total)
    return out


def collection_curve(*, actor, season: Season | None = None, today: dt.date | None = None) -> Curve | None:
    season = season or current_season()
    if season is None:
        return None
    today = today or timezone.localdate()
    previous = Season.objects.filter(start_date__lt=season.start_date).order_by("-start_date").first()
    paid = _paid_by_day(actor, season)
    paid_before = _paid_by_day(actor, previous) if previous else []
    receivable = collection_progress(actor=actor, group_by="station", season=season)["total"]["receivable"]
    receivable_before = (collection_progress(actor=actor, group_by="station", season=previous)["total"]["receivable"]
                         if previous else ZERO)
    shift = (season.start_date - previous.start_date) if previous else dt.timedelta(0)
    firsts = [d for d in (paid[0][0] if paid else None, paid_before[0][0] + shift if paid_before else None) if d]
    start = max(min(firsts, default=season.start_date), season.start_date - MAX_LEAD)
    end = max(season.end_date, start)
    days, day = [], start
    while day < end:
        days.append(day)
        day += WEEK
    days.append(end)
    if season.start_date <= today <= end and today not in days:
        days = sorted([*days, today])
    current = _cumulative(paid, days)
    before = _cumulative(paid_before, [d - shift for d in days])
    curve = Curve(season=season.name, previous=previous.name if previous else "", days=days)
    for day, now, then in zip(days, current, before):
        share = rate(now, receivable)
        curve.current.append(float(share) if share is not None and day <= today else None)
        share = rate(then, receivable_before) if previous else None
        curve.before.append(float(share) if share is not None else None)
    return curve


def arrears_by_station(*, actor) -> list[dict]:
    """Per station: households, households owing, total owed and old arrears (as of the last refresh)."""
    rows = (Customer.objects.visible_to(actor).filter(is_active=True).order_by()
            .values("station_id", "station__name", "station__code")
            .annotate(households=Count("id"), owing=Count("id", filter=Q(arrears_seasons__gte=1)),
                      owed=Sum("arrears_total", filter=Q(arrears_seasons__gte=1)),
                      old=Sum("old_arrears", filter=Q(arrears_seasons__gte=1)))
            .order_by("station__code"))
    return [{"station_id": r["station_id"], "station": r["station__name"], "households": r["households"],
             "owing": r["owing"], "owed": round_fen(r["owed"] or 0), "old_arrears": round_fen(r["old"] or 0),
             "share": rate(Decimal(r["owing"]), Decimal(r["households"]))} for r in rows]


def week_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def sms_this_week(*, actor, today: dt.date | None = None) -> dict:
    """Messages created since Monday: delivered, failed, still on the way."""
    since = week_start(today or timezone.localdate())
    counts = status_counts(message_list(actor=actor, date_from=since))
    delivered = counts.get(MessageStatus.DELIVERED, 0)
    failed = counts.get(MessageStatus.FAILED, 0)
    total = sum(counts.values())
    return {"since": since, "total": total, "delivered": delivered, "failed": failed,
            "pending": total - delivered - failed,
            "delivery_rate": rate(Decimal(delivered), Decimal(delivered + failed))}


def dashboard(*, actor, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    season = current_season()
    progress = collection_progress(actor=actor, group_by="station", season=season) if season else None
    cash = cash_report(actor=actor, date_from=today, date_to=today)
    return {
        "today": today,
        "season": season,
        "progress": progress["total"] if progress else None,
        "curve": collection_curve(actor=actor, season=season, today=today) if season else None,
        "arrears": arrears_by_station(actor=actor),
        "cash": cash["totals"],
        "sms": sms_this_week(actor=actor, today=today),
    }
