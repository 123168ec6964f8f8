"""Billing reports (RPT-02, RPT-03, BIL-12): collection progress, the arrears
list, the daily cash report and jurisdiction statistics.

Everything starts from `visible_to(actor)` and aggregates in the database
over the denormalised totals the billing core keeps (season accounts,
customers' arrears), so a report over 100,000 households is a few grouped
queries.  Money is Decimal, rounded to fen once summed."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _

from core_billing.models import (Customer, LedgerEntry, PaymentMethod, Receipt, Season, SeasonAccount, Station,
                                 User)
from core_billing.pricing import round_fen
from core_billing.selectors.billing import customers_in_arrears
from core_billing.selectors.customers import collector_subquery, jurisdiction_stats

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")


def _pk(value):
    return getattr(value, "pk", value)


def _pks(values) -> list:
    return [_pk(v) for v in (values or [])]


def rate(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole as a fraction with four places (a percentage with two); None without a whole."""
    return (part / whole).quantize(RATE_PLACES) if whole else None


def current_season() -> Season | None:
    return Season.objects.filter(is_current=True).first()


def _names(user_ids: Iterable) -> dict:
    ids = [i for i in set(user_ids) if i]
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}


# --- collection progress (RPT-02) ---------------------------------------------------

_MONEY_SUMS = {
    "charged": Sum("charged"), "late": Sum("late_fee_charged"), "discount": Sum("discount"),
    "adjusted": Sum("adjusted"), "paid": Sum("paid"), "outstanding": Sum("owed", filter=Q(owed__gt=0)),
}


def _progress_row(values: dict) -> dict:
    money = {k: round_fen(values.get(k) or 0) for k in _MONEY_SUMS}
    # What the accounts billed, net of discounts and waivers, with the late fees
    # charged so far: payments of late fees count as collected, so they count as
    # receivable too and the rate stays a share of the same money.
    receivable = money["charged"] + money["late"] - money["discount"] - money["adjusted"]
    return {"households": values.get("households") or 0, "area": round_fen(values.get("area") or 0),
            "receivable": receivable, "collected": money["paid"], "outstanding": money["outstanding"],
            "rate": rate(money["paid"], receivable)}


def collection_progress(*, actor, group_by: str = "station", season=None, station=None) -> dict:
    """Households, area, receivable, collected, outstanding and collection rate of
    one season's accounts (default the current season), grouped by station,
    community or the account's collector; or every season side by side
    (group_by="season").  Returns {"season", "group_by", "rows", "total"}."""
    qs = SeasonAccount.objects.visible_to(actor)
    if station:
        qs = qs.filter(station_id=_pk(station))
    if group_by != "season":
        season = season or current_season()
        if season is None:
            return {"season": None, "group_by": group_by, "rows": [], "total": _progress_row({})}
        qs = qs.filter(season_id=_pk(season))
    sums = dict(households=Count("id"), area=Sum("area"), **_MONEY_SUMS)
    rows: list[dict] = []
    if group_by == "station":
        for v in qs.values("station_id", "station__name", "station__code").annotate(**sums).order_by("station__code"):
            rows.append({"key": v["station_id"], "label": v["station__name"], "station": v["station__name"],
                         **_progress_row(v)})
    elif group_by == "community":
        community = "customer__building__community"
        for v in (qs.values(f"{community}_id", f"{community}__name", "station__name", "station__code")
                  .annotate(**sums).order_by("station__code", f"{community}__name")):
            rows.append({"key": v[f"{community}_id"], "label": v[f"{community}__name"],
                         "station": v["station__name"], **_progress_row(v)})
    elif group_by == "collector":
        found = list(qs.values("collector_id", "station__name", "station__code").annotate(**sums)
                     .order_by("station__code", "collector_id"))
        names = _names(v["collector_id"] for v in found)
        for v in found:
            label = names.get(v["collector_id"]) or _("no collector assigned")
            rows.append({"key": v["collector_id"], "label": label, "station": v["station__name"],
                         **_progress_row(v)})
    elif group_by == "season":
        for v in qs.values("season_id", "season__name", "season__start_date").annotate(**sums) \
                .order_by("-season__start_date"):
            rows.append({"key": v["season_id"], "label": v["season__name"], "station": "", **_progress_row(v)})
    else:
        raise ValueError(f"unknown grouping {group_by!r}")
    total = _progress_row(qs.aggregate(**sums))
    return {"season": season, "group_by": group_by, "rows": rows,
            "total": {"key": None, "label": _("Total"), "station": "", **total}}


def collection_rows(*, actor, **filters) -> list[dict]:
    """The export's rows: every group, then the total."""
    report = collection_progress(actor=actor, **filters)
    season = report["season"].name if report["season"] else ""
    return [{**row, "season": row["label"] if report["group_by"] == "season" else season}
            for row in [*report["rows"], report["total"]]]


# --- arrears list (RPT-02) ------------------------------------------------------------

def _collector_name():
    return Subquery(User.objects.filter(pk=OuterRef("collector_id"))
                    .annotate(shown=Coalesce(NullIf(F("full_name"), Value("")), F("username")))
                    .values("shown")[:1])


def arrears_list(*, actor, station=(), exchange_station=(), community=(), building=(), unit=(), customer_type=(),
                 heating_status=(), collector=(), min_seasons: int | None = None, min_amount: Decimal | None = None,
                 max_amount: Decimal | None = None, order: str = "amount") -> QuerySet[Customer]:
    """Households owing money, filtered on the audience criteria (several values
    within one, all of them combined), with their responsible collector.  One query."""
    qs = customers_in_arrears(actor=actor, min_seasons=min_seasons or 1, min_amount=min_amount,
                              max_amount=max_amount)
    if station:
        qs = qs.filter(station_id__in=_pks(station))
    if exchange_station:
        qs = qs.filter(building__exchange_station_id__in=_pks(exchange_station))
    if community:
        qs = qs.filter(building__community_id__in=_pks(community))
    if building:
        qs = qs.filter(building_id__in=_pks(building))
    if unit:
        qs = qs.filter(unit__in=[int(u) for u in unit])
    if customer_type:
        qs = qs.filter(customer_type_id__in=_pks(customer_type))
    if heating_status:
        qs = qs.filter(heating_status__in=list(heating_status))
    qs = qs.annotate(collector_id=collector_subquery())
    if collector:
        qs = qs.filter(collector_id__in=_pks(collector))
    qs = qs.annotate(collector_name=_collector_name()).select_related(
        "station", "building__community", "building__exchange_station", "customer_type")
    if order == "address":
        return qs.order_by("station__code", "building__community__name", "building__name", "unit", "room", "id")
    return qs.order_by("-arrears_total", "id")


def arrears_totals(qs: QuerySet[Customer]) -> dict:
    row = qs.order_by().aggregate(households=Count("id"), owed=Sum("arrears_total"), old=Sum("old_arrears"),
                                  late=Sum("late_fee_total"))
    return {"households": row["households"] or 0, "owed": round_fen(row["owed"] or 0),
            "old_arrears": round_fen(row["old"] or 0), "late_fee": round_fen(row["late"] or 0)}


# --- daily cash report (RPT-03) -----------------------------------------------------

METHODS = list(PaymentMethod.values)


def cash_report(*, actor, date_from: dt.date, date_to: dt.date, station=None, collector=None,
                method: str = "") -> dict:
    """Money taken per day, station and collector, by payment method, from the
    receipts; reversals are netted on the day they were made (the day's report
    that was handed in stays as it was; the refund shows when it happened).

    A payment is credited to its collector, or failing that to the staff member
    who recorded it; online payments have neither.  Returns {"rows": [...],
    "totals": {...}} where each row has receipts, one amount per method (net),
    reversed and net."""
    receipts = Receipt.objects.visible_to(actor).filter(paid_on__gte=date_from, paid_on__lte=date_to)
    reversals = LedgerEntry.objects.visible_to(actor).filter(
        kind=LedgerEntry.Kind.PAYMENT, reverses__isnull=False, receipt__isnull=False,
        value_date__gte=date_from, value_date__lte=date_to)
    if station:
        receipts = receipts.filter(station_id=_pk(station))
        reversals = reversals.filter(station_id=_pk(station))
    if method:
        receipts = receipts.filter(method=method)
        reversals = reversals.filter(receipt__method=method)
    receipts = receipts.annotate(taker=Coalesce("collector_id", "actor_id"))
    reversals = reversals.annotate(taker=Coalesce("receipt__collector_id", "receipt__actor_id"))
    if collector:
        receipts = receipts.filter(taker=_pk(collector))
        reversals = reversals.filter(taker=_pk(collector))

    groups: dict[tuple, dict] = {}

    def group(day, station_id, taker) -> dict:
        key = (day, station_id, taker)
        if key not in groups:
            groups[key] = {"day": day, "station_id": station_id, "collector_id": taker, "receipts": 0,
                           **{m: ZERO for m in METHODS}, "received": ZERO, "reversed": ZERO, "net": ZERO}
        return groups[key]

    for v in (receipts.order_by().values("paid_on", "station_id", "taker", "method")
              .annotate(n=Count("id"), amount=Sum("amount"))):
        row = group(v["paid_on"], v["station_id"], v["taker"])
        amount = round_fen(v["amount"] or 0)
        row["receipts"] += v["n"]
        row[v["method"]] += amount
        row["received"] += amount
        row["net"] += amount
    for v in (reversals.order_by().values("value_date", "station_id", "taker", "receipt__method")
              .annotate(amount=Sum("amount"))):
        row = group(v["value_date"], v["station_id"], v["taker"])
        amount = round_fen(v["amount"] or 0)  # positive: money handed back
        row[v["receipt__method"]] -= amount
        row["reversed"] += amount
        row["net"] -= amount

    names = _names(r["collector_id"] for r in groups.values())
    stations = dict(Station.objects.filter(pk__in={r["station_id"] for r in groups.values()})
                    .values_list("pk", "name"))
    rows = sorted(groups.values(), key=lambda r: (r["day"], stations.get(r["station_id"], ""),
                                                  r["collector_id"] is None, names.get(r["collector_id"], "")))
    for row in rows:
        row["station"] = stations.get(row["station_id"], "")
        row["collector"] = names.get(row["collector_id"]) or _("online (no collector)")
    totals = {"receipts": sum(r["receipts"] for r in rows)}
    for key in (*METHODS, "received", "reversed", "net"):
        totals[key] = sum((r[key] for r in rows), ZERO)
    return {"date_from": date_from, "date_to": date_to, "rows": rows, "totals": totals}


def cash_rows(*, actor, **filters) -> list[dict]:
    report = cash_report(actor=actor, **filters)
    total = {**report["totals"], "day": None, "station": "", "collector": _("Total")}
    return [*report["rows"], total]


# --- jurisdictions (BIL-12) -----------------------------------------------------------

def jurisdiction_report(*, actor, station=None, collector=None) -> list[dict]:
    """Per collector: households and area in the jurisdiction, this season's billed
    and collected amounts and rate, and what is owed over all seasons (the
    billing core's jurisdiction statistics, with names)."""
    rows = jurisdiction_stats(actor=actor, collector=collector)
    users = {u.pk: u for u in User.objects.filter(pk__in=[r["collector_id"] for r in rows]).select_related("station")}
    out = []
    for r in rows:
        user = users.get(r["collector_id"])
        if station and (user is None or user.station_id != _pk(station)):
            continue
        out.append({**r, "area": round_fen(r["area"] or 0), "collector": user.display_name if user else "",
                    "station": user.station.name if user and user.station else "",
                    "rate": rate(r["collected"], r["billed"])})
    return sorted(out, key=lambda r: (r["station"], r["collector"]))


def jurisdiction_rows(*, actor, **filters) -> list[dict]:
    rows = jurisdiction_report(actor=actor, **filters)
    total = {"collector": _("Total"), "station": "", "households": sum(r["households"] for r in rows),
             "area": sum((r["area"] for r in rows), ZERO), "billed": sum((r["billed"] for r in rows), ZERO),
             "collected": sum((r["collected"] for r in rows), ZERO), "owed": sum((r["owed"] for r in rows), ZERO)}
    total["rate"] = rate(total["collected"], total["billed"])
    return [*rows, total]
