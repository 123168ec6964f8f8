"""Creating messages: what campaigns, dispatch, pay links and the pages call.

    messages_create_bulk(*, actor, recipients, topic=None, body="", kind=None, season="", station=None,
                         campaign_id=None, work_order_id=None, gateway=None, respect_opt_out=True,
                         queue=True)
        -> CreateResult(message_ids=[...], skipped=[Skipped(recipient, reason, detail)...]);
           .messages loads the rows when a caller wants objects
    message_send_one(*, actor, customer=None, staff=None, phone="", topic=None, body="", season="",
                     station=None, values=None, resend_of=None) -> Message     (AppError if it cannot go)
    staff_messages_send(*, actor, topic=None, body="", stations=(), roles=(), users=()) -> CreateResult

Rows are written in bulk, in the caller's transaction; batches are handed to
workers only once it commits.  Recipients whose number is not a mobile, or
who opted out of marketing, are skipped with a reason, never sent.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core_billing.errors import AppError
from core_billing.models import Customer, User
from core_billing.models.org import ContactKind
from core_billing.phones import normalize_phone
from core_billing.scoping import is_head_office, station_visible_to
from core_billing.services._common import next_ids

from .. import segments, templating
from ..context import RenderTarget, build_values
from ..gateways import default_gateway_name, get_gateway
from ..models import Message, MessageStatus, OptOut, Topic
from ..templating import TopicKind
from ._common import require_sender, visible_or_error


@dataclass
class Recipient:
    customer: Customer | None = None
    staff: User | None = None
    phone: str = ""  # overrides the customer's or staff member's own number
    values: dict = field(default_factory=dict)  # placeholder values the caller supplies
    extra: dict = field(default_factory=dict)  # ids for context providers
    resend_of: Message | int | None = None
    message_id: int | None = None  # an id drawn beforehand (next_ids), e.g. one a no-repeat claim holds


class SkipReason:
    NO_PHONE = "no_phone"
    LANDLINE = "landline"
    INVALID = "invalid"
    OPTED_OUT = "opted_out"
    LABELS = {NO_PHONE: "没有手机号", LANDLINE: "只有固定电话", INVALID: "号码无效", OPTED_OUT: "已退订营销短信"}


@dataclass
class Skipped:
    recipient: Recipient
    reason: str
    detail: str = ""

    @property
    def label(self) -> str:
        return SkipReason.LABELS.get(self.reason, self.reason)


@dataclass
class CreateResult:
    """The ids of the messages written (in recipient order) and the recipients skipped.

    `messages` loads the Message rows on first use; callers handling 100,000
    recipients should stay with `message_ids`."""

    message_ids: list[int]
    skipped: list[Skipped]

    @cached_property
    def messages(self) -> list[Message]:
        found = Message.objects.in_bulk(self.message_ids)
        return [found[pk] for pk in self.message_ids]


@dataclass(frozen=True)
class Template:
    body: str
    keys: frozenset
    kind: str
    is_marketing: bool
    topic: Topic | None


def resolve_template(*, actor, topic: Topic | None, body: str, kind: str | None,
                     is_marketing: bool = False) -> Template:
    if topic is not None:
        if actor is not None:
            topic = visible_or_error(Topic, actor, topic.pk, "短信主题")
        if not topic.is_active:
            raise AppError(f"短信主题「{topic.name}」已停用。", field="topic")
        return Template(topic.body, templating.keys_of(topic.body), topic.kind, topic.is_marketing, topic)
    kind = kind or TopicKind.SERVICE
    checked = templating.check(body, kind)
    return Template(checked.body, checked.keys, kind, bool(is_marketing and kind == TopicKind.NOTICE), None)


def compose(text: str, *, is_marketing: bool) -> str:
    return segments.compose(text, signature=settings.SMS_SIGNATURE,
                            opt_out_text=settings.SMS_OPT_OUT_TEXT if is_marketing else "")


def _phone_for(r: Recipient) -> tuple[str, str]:
    """(E.164 mobile, "") or ("", skip reason)."""
    if r.phone:
        info = normalize_phone(r.phone)
        if info.is_mobile:
            return info.number, ""
        return "", SkipReason.LANDLINE if info.kind == "landline" else SkipReason.INVALID
    if r.customer is not None:
        if r.customer.mobile:
            return r.customer.mobile, ""
        return "", {ContactKind.LANDLINE: SkipReason.LANDLINE, ContactKind.INVALID: SkipReason.INVALID}.get(
            r.customer.contact_kind, SkipReason.NO_PHONE)
    if r.staff is not None:
        if not r.staff.mobile:
            return "", SkipReason.NO_PHONE
        info = normalize_phone(r.staff.mobile)
        return (info.number, "") if info.is_mobile else ("", SkipReason.INVALID)
    return "", SkipReason.NO_PHONE


def _station_for(r: Recipient, station) -> int | None:
    if r.customer is not None:
        return r.customer.station_id
    if r.staff is not None:
        return r.staff.station_id
    return getattr(station, "pk", station)


def opted_out(phones: Iterable[str]) -> set[str]:
    phones = list(set(phones))
    found: set[str] = set()
    for i in range(0, len(phones), 900):  # SQLite's parameter limit
        found.update(OptOut.objects.filter(phone__in=phones[i:i + 900], is_opted_out=True)
                     .values_list("phone", flat=True))
    return found


def enqueue(ids: list[int]) -> None:
    """Hand the messages to workers in batches once the caller's transaction commits."""
    if not ids:
        return
    from ..tasks import send_batch

    size = settings.SMS_BATCH_SIZE
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]

    def go():
        with send_batch.app.producer_or_acquire() as producer:  # one broker connection for them all
            for chunk in chunks:
                # argsrepr given: Celery would otherwise build a safe repr of every id list for its logs
                send_batch.apply_async((chunk,), argsrepr=f"[{len(chunk)} ids from {chunk[0]}]",
                                       producer=producer)

    transaction.on_commit(go)


@transaction.atomic
def messages_create_bulk(*, actor, recipients: Iterable[Recipient], topic: Topic | None = None, body: str = "",
                         kind: str | None = None, is_marketing: bool = False, season: str = "", station=None,
                         campaign_id: int | None = None, work_order_id: int | None = None,
                         gateway: str | None = None, respect_opt_out: bool = True,
                         perm: str = "messaging.send_message", queue: bool = True) -> CreateResult:
    require_sender(actor, perm, "没有发送短信的权限。")
    template = resolve_template(actor=actor, topic=topic, body=body, kind=kind, is_marketing=is_marketing)
    gateway = gateway or default_gateway_name()
    get_gateway(gateway)  # fail now, not in the worker, when it is not configured
    recipients = list(recipients)
    skipped: list[Skipped] = []
    ready: list[tuple[Recipient, str, int | None]] = []
    for r in recipients:
        phone, reason = _phone_for(r)
        if reason:
            skipped.append(Skipped(r, reason))
            continue
        station_id = _station_for(r, station)
        if station_id is None and r.customer is None and actor is not None and not is_head_office(actor):
            station_id = actor.station_id  # a bare number typed by station staff belongs to their station
        if actor is not None and not station_visible_to(actor, station_id):
            raise AppError("收件人不存在。", code="not_found")
        ready.append((r, phone, station_id))
    if template.is_marketing and respect_opt_out and ready:
        out = opted_out(p for _r, p, _s in ready)
        if out:
            skipped.extend(Skipped(r, SkipReason.OPTED_OUT) for r, p, _s in ready if p in out)
            ready = [item for item in ready if item[1] not in out]
    targets = [RenderTarget(station_id=s, customer=r.customer, staff=r.staff, season=season, values=r.values,
                            extra=r.extra) for r, _p, s in ready]
    values = build_values(template.keys, targets) if template.keys else [{} for _ in targets]
    now = timezone.now()
    common = {"topic_id": getattr(template.topic, "pk", None), "kind": template.kind,
              "is_marketing": template.is_marketing, "season": season or "", "campaign_id": campaign_id,
              "work_order_id": work_order_id, "sender_id": getattr(actor, "pk", None), "gateway": gateway,
              "status": MessageStatus.QUEUED, "created_at": now, "updated_at": now}
    ids = [r.message_id for r, _p, _s in ready]
    if None in ids:
        drawn = iter(next_ids(Message, ids.count(None)))
        ids = [pk if pk is not None else next(drawn) for pk in ids]

    def rows():  # rendered as they are written: PostgreSQL stores each while the next renders
        for (r, phone, station_id), vals in zip(ready, values):
            text = compose(templating.render(template.body, vals), is_marketing=template.is_marketing)
            info = segments.analyze(text)
            yield {**common, "station_id": station_id, "customer_id": getattr(r.customer, "pk", None),
                   "staff_id": getattr(r.staff, "pk", None), "phone": phone, "body": text,
                   "segments": info.segments, "encoding": info.encoding,
                   "resend_of_id": getattr(r.resend_of, "pk", r.resend_of)}

    insert_messages(ids, rows())
    if queue:
        enqueue(ids)
    return CreateResult(ids, skipped)


def insert_messages(ids: list[int], rows: Iterable[dict]) -> None:
    """Write message rows under ids drawn beforehand (next_ids), in order.

    On PostgreSQL the rows go in by COPY as the iterable yields them, so a
    generator's work overlaps the server's inserts and index updates; a
    campaign of 100,000 messages had spent most of its time building and
    binding model instances in bulk_create."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    if connection.vendor != "postgresql":
        Message.objects.bulk_create([Message(id=pk, **row) for pk, row in zip(ids, rows)], batch_size=1000)
        return
    columns = ["id", *first]
    defaults = {f.attname: f.get_default() for f in Message._meta.concrete_fields
                if f.attname not in columns and not f.null}
    columns += list(defaults)
    with connection.cursor() as cursor:
        names = ", ".join(connection.ops.quote_name(Message._meta.get_field(c).column) for c in columns)
        table = connection.ops.quote_name(Message._meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            extra = tuple(defaults.values())
            for pk, row in zip(ids, rows):
                copy.write_row((pk, *row.values(), *extra))


def message_send_one(*, actor, customer: Customer | None = None, staff: User | None = None, phone: str = "",
                     topic: Topic | None = None, body: str = "", season: str = "", station=None,
                     values: dict | None = None, resend_of: Message | None = None, kind: str | None = None,
                     campaign_id: int | None = None, work_order_id: int | None = None) -> Message:
    """One SMS to a customer, a staff member or a bare number; AppError when it cannot be sent."""
    if customer is None and staff is None and not phone:
        raise AppError("请指定收件人：客户、员工或手机号。", field="phone")
    if customer is not None and actor is not None:
        customer = visible_or_error(Customer.objects.select_related("building__community"), actor, customer.pk,
                                    "客户")
    result = messages_create_bulk(
        actor=actor, recipients=[Recipient(customer=customer, staff=staff, phone=phone, values=values or {},
                                           resend_of=resend_of)],
        topic=topic, body=body, kind=kind, season=season, station=station, campaign_id=campaign_id,
        work_order_id=work_order_id)
    if result.skipped:
        raise AppError(f"不能发送：{result.skipped[0].label}。", field="phone",
                       extra={"reason": result.skipped[0].reason})
    return result.messages[0]


def staff_recipients(*, actor, stations=(), roles=(), users=()):
    qs = User.objects.visible_to(actor).filter(is_active=True).select_related("station")
    if stations:
        qs = qs.filter(station__in=list(stations))
    if roles:
        qs = qs.filter(groups__name__in=list(roles))
    if users:
        qs = qs.filter(pk__in=[getattr(u, "pk", u) for u in users])
    return qs.distinct().order_by("station_id", "username")


def staff_messages_send(*, actor, topic: Topic | None = None, body: str = "", stations=(), roles=(),
                        users=()) -> CreateResult:
    """Notices and meetings to staff chosen by station and role (MSG-07)."""
    require_sender(actor, "messaging.send_staff_message", "没有给员工发短信的权限。")
    if topic is not None and topic.kind != TopicKind.INTERNAL:
        raise AppError("请选择内部通知类的短信主题。", field="topic")
    if not (stations or roles or users):
        raise AppError("请至少选择一个供热站、角色或员工。", field="roles")
    people = list(staff_recipients(actor=actor, stations=stations, roles=roles, users=users))
    if not people:
        raise AppError("没有符合条件的员工。", field="roles")
    return messages_create_bulk(actor=actor, recipients=[Recipient(staff=u) for u in people], topic=topic,
                                body=body, kind=TopicKind.INTERNAL, perm="messaging.send_staff_message")
