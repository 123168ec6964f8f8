"""Audience criteria → one customer queryset, and the set-based skip counts (CMP-01).

Criteria (every key optional; a list means "any of these"; keys combine with AND):

    stations, exchange_stations, communities, buildings, collectors, customer_types: [ids]
    units: [unit numbers]          heating_statuses: ["normal", "suspended", "forced_stop"]
    arrears_seasons_min: int       arrears_min, arrears_max: yuan (total owed)

Skip reasons, first match wins: no mobile, landline only, invalid number, opted
out of marketing (marketing topics only), already sent this season + topic
(no-repeat mode only).  Counting is one aggregate query whatever the size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from core_billing.errors import AppError
from core_billing.models import (Building, CollectorAssignment, Community, Customer, CustomerType, ExchangeStation,
                                 Station, User)
from core_billing.models.org import ContactKind, HeatingStatus
from messaging.models import Message, MessageStatus, OptOut

LIST_KEYS = {
    "stations": Station, "exchange_stations": ExchangeStation, "communities": Community, "buildings": Building,
    "collectors": User, "customer_types": CustomerType,
}
KEYS = (*LIST_KEYS, "units", "heating_statuses", "arrears_seasons_min", "arrears_min", "arrears_max")


class Skip:
    NO_PHONE = "no_phone"
    LANDLINE = "landline"
    INVALID = "invalid"
    OPTED_OUT = "opted_out"
    ALREADY_SENT = "already_sent"
    ORDER = (NO_PHONE, LANDLINE, INVALID, OPTED_OUT, ALREADY_SENT)
    LABELS = {NO_PHONE: _("no mobile"), LANDLINE: _("landline only"), INVALID: _("invalid number"),
              OPTED_OUT: _("opted out of marketing"), ALREADY_SENT: _("already sent this season and topic")}


def _ids(value, key: str) -> list[int]:
    if value in (None, "", []):
        return []
    if not isinstance(value, (list, tuple)):
        value = [value]
    try:
        return sorted({int(v) for v in value if v not in (None, "")})
    except (TypeError, ValueError):
        raise AppError(f"筛选条件 {key} 须为编号列表。", field=key) from None


def _money(value, key: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise AppError(f"筛选条件 {key} 须为金额。", field=key) from None
    if amount < 0 or not amount.is_finite():
        raise AppError(f"筛选条件 {key} 不能为负数。", field=key)
    return amount


def clean_filters(data) -> dict:
    """Validated, canonical criteria (ids sorted, amounts as strings); AppError naming the bad key."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AppError("筛选条件须为对象。", field="filters")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise AppError(f"未知的筛选条件：{'、'.join(unknown)}。", field="filters", extra={"valid": list(KEYS)})
    out: dict = {}
    for key in (*LIST_KEYS, "units"):
        ids = _ids(data.get(key), key)
        if ids:
            out[key] = ids
    statuses = data.get("heating_statuses") or []
    if isinstance(statuses, str):
        statuses = [statuses]
    if not isinstance(statuses, (list, tuple)) or any(s not in HeatingStatus.values for s in statuses):
        raise AppError("供暖状态无效。", field="heating_statuses", extra={"valid": HeatingStatus.values})
    if statuses:
        out["heating_statuses"] = sorted(set(statuses))
    seasons = data.get("arrears_seasons_min")
    if seasons not in (None, ""):
        try:
            seasons = int(seasons)
        except (TypeError, ValueError):
            raise AppError("欠费年数须为整数。", field="arrears_seasons_min") from None
        if seasons < 0:
            raise AppError("欠费年数不能为负数。", field="arrears_seasons_min")
        if seasons:
            out["arrears_seasons_min"] = seasons
    low, high = _money(data.get("arrears_min"), "arrears_min"), _money(data.get("arrears_max"), "arrears_max")
    if low is not None and high is not None and high < low:
        raise AppError("欠费金额上限不能小于下限。", field="arrears_max")
    if low is not None:
        out["arrears_min"] = str(low)
    if high is not None:
        out["arrears_max"] = str(high)
    return out


def check_visible(actor, filters: dict) -> None:
    """Every id in the criteria must be one the actor can see (another station's reads as missing)."""
    for key, model in LIST_KEYS.items():
        ids = filters.get(key)
        if not ids:
            continue
        qs = model.objects.all() if model is not CustomerType else CustomerType.objects.all()
        if hasattr(qs, "visible_to"):
            qs = qs.visible_to(actor)
        if qs.filter(pk__in=ids).count() != len(ids):
            raise AppError(f"筛选条件 {key} 中有不存在的对象。", field=key, code="not_found")


def compile_audience(*, actor, filters: dict, station_id: int | None = None) -> QuerySet[Customer]:
    """The customers an audience covers, as one queryset (subqueries, no Python loops)."""
    qs = Customer.objects.visible_to(actor) if actor is not None else Customer.objects.all()
    qs = qs.filter(is_active=True)
    if station_id:
        qs = qs.filter(station_id=station_id)
    f = filters
    if f.get("stations"):
        qs = qs.filter(station_id__in=f["stations"])
    if f.get("exchange_stations"):
        qs = qs.filter(building__exchange_station_id__in=f["exchange_stations"])
    if f.get("communities"):
        qs = qs.filter(building__community_id__in=f["communities"])
    if f.get("buildings"):
        qs = qs.filter(building_id__in=f["buildings"])
    if f.get("units"):
        qs = qs.filter(unit__in=f["units"])
    if f.get("customer_types"):
        qs = qs.filter(customer_type_id__in=f["customer_types"])
    if f.get("heating_statuses"):
        qs = qs.filter(heating_status__in=f["heating_statuses"])
    if f.get("collectors"):
        mine = CollectorAssignment.objects.filter(collector_id__in=f["collectors"])
        # A building assigned on its own overrides its community's collector.
        own = CollectorAssignment.objects.filter(building__isnull=False).values("building_id")
        qs = qs.filter(Q(building_id__in=mine.filter(building__isnull=False).values("building_id"))
                       | (Q(building__community_id__in=mine.filter(community__isnull=False).values("community_id"))
                          & ~Q(building_id__in=own)))
    if f.get("arrears_seasons_min"):
        qs = qs.filter(arrears_seasons__gte=f["arrears_seasons_min"])
    if f.get("arrears_min") is not None:
        qs = qs.filter(arrears_total__gte=Decimal(f["arrears_min"]))
    if f.get("arrears_max") is not None:
        qs = qs.filter(arrears_total__lte=Decimal(f["arrears_max"]))
    return qs


@dataclass(frozen=True)
class SendRules:
    """What decides the skips besides the phone: the topic's marketing flag and no-repeat."""

    topic_id: int | None = None
    season: str = ""
    is_marketing: bool = False
    no_repeat: bool = False

    @classmethod
    def for_topic(cls, topic, season: str = "", no_repeat: bool = False) -> "SendRules":
        if topic is None:
            return cls()
        return cls(topic.pk, season or "", bool(topic.is_marketing), bool(no_repeat and season))


def _already_sent(rules: SendRules) -> tuple[QuerySet, QuerySet] | None:
    """The one definition of "already sent this season + topic": a claim on it, or a
    message of it that has not failed.  None when no-repeat does not apply."""
    if not (rules.no_repeat and rules.topic_id and rules.season):
        return None
    from .models import NoRepeatClaim

    return (NoRepeatClaim.objects.filter(season=rules.season, topic_id=rules.topic_id),
            Message.objects.filter(season=rules.season, topic_id=rules.topic_id).exclude(
                status=MessageStatus.FAILED))


def already_sent_q(rules: SendRules) -> Q | None:
    """Customers already sent, as a condition on the customer query (previews)."""
    sources = _already_sent(rules)
    if sources is None:
        return None
    claims, messages = sources
    return Q(Exists(claims.filter(customer_id=OuterRef("pk")))) | Q(Exists(messages.filter(customer_id=OuterRef("pk"))))


def skip_conditions(rules: SendRules) -> list[tuple[str, Q]]:
    """(reason, condition) in order; a customer's reason is the first that matches."""
    conds = [(Skip.NO_PHONE, Q(contact_kind=ContactKind.NONE) | Q(contact_kind=ContactKind.MOBILE, mobile="")),
             (Skip.LANDLINE, Q(contact_kind=ContactKind.LANDLINE)),
             (Skip.INVALID, Q(contact_kind=ContactKind.INVALID))]
    if rules.is_marketing:
        conds.append((Skip.OPTED_OUT, Q(mobile__in=OptOut.objects.filter(is_opted_out=True).values("phone"))))
    already = already_sent_q(rules)
    if already is not None:
        conds.append((Skip.ALREADY_SENT, already))
    return conds


def with_reason(qs: QuerySet[Customer], rules: SendRules) -> QuerySet[Customer]:
    """Annotate `skip_reason` ("" for customers who will receive it)."""
    whens = [When(cond, then=Value(reason)) for reason, cond in skip_conditions(rules)]
    return qs.annotate(skip_reason=Case(*whens, default=Value(""), output_field=CharField()))


@dataclass
class Preview:
    total: int
    recipients: int
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def rows(self) -> list[tuple[str, str, int]]:
        return [(reason, str(Skip.LABELS[reason]), self.skipped.get(reason, 0)) for reason in Skip.ORDER
                if reason in self.skipped]

    def as_dict(self) -> dict:
        return {"total": self.total, "recipients": self.recipients, "skipped_total": self.skipped_total,
                "skipped": [{"reason": r, "label": label, "count": n} for r, label, n in self.rows()]}


def preview_counts(qs: QuerySet[Customer], rules: SendRules) -> Preview:
    """How many receive it and how many are skipped for each reason: one aggregate query."""
    conds = skip_conditions(rules)
    aggregates = {"total": Count("id")}
    earlier = Q()
    for reason, cond in conds:
        # First match wins, so each count excludes customers an earlier reason took.
        aggregates[reason] = Count("id", filter=cond & ~earlier if earlier else cond)
        earlier = earlier | cond if earlier else cond
    row = qs.order_by().aggregate(**aggregates)
    skipped = {reason: row[reason] for reason, _c in conds}
    return Preview(total=row["total"], recipients=row["total"] - sum(skipped.values()), skipped=skipped)
