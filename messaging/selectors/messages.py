"""Reads of messages, topics, replies and opt-outs; every one starts from visible_to(actor)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone as dt_timezone

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core_billing.errors import AppError

from core_billing.phones import normalize_phone

from ..models import InboundMessage, Message, OptOut, Topic


def message_list(*, actor, status: str = "", phone: str = "", season: str = "", topic=None, sender=None,
                 customer=None, campaign=None, work_order=None, kind: str = "", date_from=None, date_to=None,
                 search: str = "", station=None) -> QuerySet[Message]:
    """THE record filter (MSG-05): the records page, the API, the export and
    the resend of failures all read messages through it, newest first.
    `station` narrows what the actor already sees (head office choosing one
    station); it never widens it."""
    qs = Message.objects.visible_to(actor).select_related("topic", "customer", "staff", "sender", "station")
    if station:
        qs = qs.filter(station_id=getattr(station, "pk", station))
    if status:
        qs = qs.filter(status__in=status.split(",")) if "," in status else qs.filter(status=status)
    if phone:
        info = normalize_phone(phone)
        qs = qs.filter(phone=info.number) if info.number else qs.filter(phone__contains="".join(
            ch for ch in phone if ch.isdigit()))
    if season:
        qs = qs.filter(season=season)
    if topic:
        qs = qs.filter(topic_id=getattr(topic, "pk", topic))
    if sender:
        qs = qs.filter(sender_id=getattr(sender, "pk", sender))
    if customer:
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if campaign:
        qs = qs.filter(campaign_id=campaign)
    if work_order:
        qs = qs.filter(work_order_id=work_order)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from:
        qs = qs.filter(created_at__gte=_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_start(date_to) + timezone.timedelta(days=1))
    if search:
        qs = qs.filter(body__icontains=search)
    return qs


def _start(day) -> datetime:
    if isinstance(day, str):
        day = datetime.strptime(day, "%Y-%m-%d").date()
    return timezone.make_aware(datetime.combine(day, time.min))


def status_counts(qs: QuerySet[Message]) -> dict[str, int]:
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


# Keyset pagination of records, newest first, on (created_at, id).  OFFSET
# reads and throws away every row before the page, so page 2,000 of a
# million messages costs 100,000 rows; a cursor seeks straight to it through
# the (…, created_at, id) indexes and costs one page whatever its depth.  New
# messages arriving while someone pages do not shift the pages they go to.

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int

    def encode(self) -> str:
        stamp = self.created_at.astimezone(dt_timezone.utc)
        return f"{stamp:%Y%m%dT%H%M%S.%f}Z{self.id}"

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            stamp, _z, pk = text.partition("Z")
            return cls(datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt_timezone.utc), int(pk))
        except (ValueError, TypeError):
            raise AppError("翻页位置无效，请从第一页重新查询。", field="cursor") from None

    @classmethod
    def of(cls, message: Message) -> "Cursor":
        return cls(message.created_at, message.pk)


@dataclass
class RecordPage:
    rows: list[Message]
    next: Cursor | None  # older records: pass as `after`
    previous: Cursor | None  # newer records: pass as `before`

    @property
    def is_first(self) -> bool:
        return self.previous is None


def _older_than(c: Cursor) -> Q:
    # The redundant `created_at <= c` is what the index seeks on; the OR alone
    # would be a filter applied to every newer row on the way down.
    return Q(created_at__lte=c.created_at) & (Q(created_at__lt=c.created_at) | Q(id__lt=c.id))


def _newer_than(c: Cursor) -> Q:
    return Q(created_at__gte=c.created_at) & (Q(created_at__gt=c.created_at) | Q(id__gt=c.id))


def message_page(qs: QuerySet[Message], *, after: Cursor | str | None = None, before: Cursor | str | None = None,
                 size: int = PAGE_SIZE) -> RecordPage:
    """One page of `qs` (a message_list result) newest first: the first page,
    the page older than `after`, or the page newer than `before`."""
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    after = Cursor.decode(after) if isinstance(after, str) and after else after or None
    before = Cursor.decode(before) if isinstance(before, str) and before else before or None
    if before is not None:
        rows = list(qs.filter(_newer_than(before)).order_by("created_at", "id")[:size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return RecordPage(rows, Cursor.of(rows[-1]), Cursor.of(rows[0]))
        after = None  # back at the top: show a full first page rather than a short one
    if after is not None:
        qs = qs.filter(_older_than(after))
    rows = list(qs.order_by("-created_at", "-id")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return RecordPage(rows, Cursor.of(rows[-1]) if more else None,
                      Cursor.of(rows[0]) if after is not None and rows else None)


def topic_list(*, actor, kind: str = "", active: bool | None = None) -> QuerySet[Topic]:
    qs = Topic.objects.visible_to(actor).select_related("station")
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def inbound_list(*, actor, phone: str = "") -> QuerySet[InboundMessage]:
    qs = InboundMessage.objects.visible_to(actor).select_related("customer", "staff")
    if phone:
        info = normalize_phone(phone)
        qs = qs.filter(phone=info.number or phone)
    return qs


def opt_out_of(phone: str) -> OptOut | None:
    return OptOut.objects.filter(phone=phone).first() if phone else None


def customer_sms_summary(*, actor, customer) -> dict:
    opt = opt_out_of(customer.mobile)
    return {
        "opt_out": opt,
        "opted_out": bool(opt and opt.is_opted_out),
        "sms_messages": list(Message.objects.visible_to(actor).filter(customer=customer)
                         .select_related("topic").order_by("-created_at")[:10]),
        "replies": list(InboundMessage.objects.visible_to(actor).filter(customer=customer)[:5]),
    }
