from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from ..models import AuditLog, Building, CollectorAssignment, Customer, CustomerPhone
from ..phones import clean_text, normalize_phone
from ..pricing import round_fen


def collector_subquery(prefix: str = ""):
    """The collector responsible for a customer: its building's, else its community's.
    `prefix` reaches the customer from another model ("customer__" for accounts)."""
    by_building = CollectorAssignment.objects.filter(
        building_id=OuterRef(f"{prefix}building_id")).values("collector_id")[:1]
    by_community = CollectorAssignment.objects.filter(
        community_id=OuterRef(f"{prefix}building__community_id")).values("collector_id")[:1]
    return Coalesce(Subquery(by_building), Subquery(by_community))


def customer_list(*, actor, search: str = "", station=None, community=None, building=None, unit=None,
                  customer_type=None, heating_status: str = "", metering_mode: str = "", contact_kind: str = "",
                  collector=None) -> QuerySet[Customer]:
    qs = (Customer.objects.visible_to(actor)
          .select_related("building__community", "customer_type", "station"))
    if station:
        qs = qs.filter(station_id=station)
    if community:
        qs = qs.filter(building__community_id=community)
    if building:
        qs = qs.filter(building_id=building)
    if unit:
        qs = qs.filter(unit=unit)
    if customer_type:
        qs = qs.filter(customer_type_id=customer_type)
    if heating_status:
        qs = qs.filter(heating_status=heating_status)
    if metering_mode:
        qs = qs.filter(metering_mode=metering_mode)
    if contact_kind:
        qs = qs.filter(contact_kind=contact_kind)
    if collector:
        qs = qs.annotate(collector_id=collector_subquery()).filter(collector_id=collector)
    if search:
        qs = qs.filter(customer_search_q(search))
    return qs


def customer_search_q(text: str) -> Q:
    """Name, account number, phone or address: every word must match one of them
    ("阳光花园 3号楼 502" finds that room)."""
    text = clean_text(text)
    q = Q()
    for word in text.split():
        q &= _word_q(word)
    whole = normalize_phone(text)  # "138 0013 8000" is one number, not three words
    if whole.number:
        q |= Q(pk__in=CustomerPhone.objects.filter(number=whole.number).values("customer_id"))
    return q


def _word_q(word: str) -> Q:
    # A word with no letter case (Chinese, digits) is compared as it is: folding the case of every
    # household's name, account and room made a one-character search cost a 7 ms scan per station.
    i = "" if word.upper() == word.lower() else "i"
    # the buildings by their own or their community's name as one subquery: joined per customer row
    # instead, a one-character search scanned both joins for every household of the station
    buildings = Building.objects.filter(Q(**{f"community__name__{i}contains": word}) | Q(**{f"name__{i}exact": word}))
    q = (Q(**{f"account_no__{i}startswith": word}) | Q(**{f"name__{i}contains": word})
         | Q(building_id__in=buildings.values("pk")) | Q(**{f"room__{i}exact": word}))
    digits = "".join(ch for ch in word if ch.isdigit())
    if len(digits) >= 4:
        info = normalize_phone(word)
        numbers = CustomerPhone.objects.filter(number=info.number) if info.number else \
            CustomerPhone.objects.filter(number__contains=digits)
        q |= Q(pk__in=numbers.values("customer_id"))
    return q


def customer_history(*, actor, customer: Customer) -> QuerySet[AuditLog]:
    return AuditLog.objects.visible_to(actor).for_object(customer).select_related("actor")


def jurisdiction_stats(*, actor, collector=None) -> list[dict]:
    """Per collector (BIL-12): households, heated area, total owed (all seasons, as
    of the last refresh), and this season's billed and collected amounts."""
    from ..models import SeasonAccount

    qs = (Customer.objects.visible_to(actor).filter(is_active=True)
          .annotate(collector_id=collector_subquery()).exclude(collector_id=None))
    accounts = (SeasonAccount.objects.visible_to(actor).filter(season__is_current=True, customer__is_active=True)
                .annotate(responsible=collector_subquery("customer__")).exclude(responsible=None))
    if collector:
        qs = qs.filter(collector_id=getattr(collector, "pk", collector))
        accounts = accounts.filter(responsible=getattr(collector, "pk", collector))
    rows = list(qs.values("collector_id").annotate(households=Count("id"), area=Sum("area"),
                                                   owed=Sum("arrears_total")).order_by("collector_id"))
    season = {r["responsible"]: r for r in accounts.values("responsible").annotate(
        charged=Sum("charged"), discount=Sum("discount"), adjusted=Sum("adjusted"), paid=Sum("paid"))}
    zero = Decimal("0.00")
    for row in rows:
        s = season.get(row["collector_id"], {})
        row["owed"] = round_fen(row["owed"] or 0)
        row["billed"] = round_fen((s.get("charged") or 0) - (s.get("discount") or 0) - (s.get("adjusted") or 0))
        row["collected"] = round_fen(s.get("paid") or zero)
    return rows
