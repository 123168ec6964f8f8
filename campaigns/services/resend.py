"""Resend failed messages (MSG-06): every failed message a record filter finds, once.

Each failed message is taken with a row unique on it (INSERT … ON CONFLICT DO
NOTHING, read back by token), so a second press, a second browser or a retry
finds it taken and sends nothing.  The new message goes to the customer's
number as it is now, linked by `resend_of`; a customer who has meanwhile been
sent the same season + topic (or holds its no-repeat claim) is skipped."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from core_billing.errors import AppError
from core_billing.services._common import require_perm
from messaging.models import Message, MessageStatus as M
from messaging.selectors.messages import message_list
from messaging.services.sending import Recipient, messages_create_bulk

from ..models import NoRepeatClaim, ResendLink

CHUNK = 1000
# message_list's keyword filters a resend accepts (the record query of MSG-05).
FILTER_KEYS = ("status", "phone", "season", "topic", "sender", "customer", "campaign", "work_order", "kind",
               "date_from", "date_to", "search")


def clean_record_filters(params) -> dict:
    """The message_list keywords in a query string or JSON object (unknown keys are ignored: a page URL
    carries paging and the like)."""
    if not hasattr(params, "get"):
        raise AppError("请求体必须是 JSON 对象。", field="filters")
    out = {}
    for key in FILTER_KEYS:
        value = params.get(key)
        if value in (None, "") or key == "status":
            continue
        if key in ("topic", "sender", "customer", "campaign", "work_order"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise AppError(f"{key} 须为编号。", field=key) from None
        elif key in ("date_from", "date_to"):
            import datetime as dt

            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise AppError(f"{key} 须为日期（YYYY-MM-DD）。", field=key) from None
        else:
            value = str(value)[:64]
        out[key] = value
    return out


def failed_to_resend(*, actor, filters: dict) -> QuerySet[Message]:
    """The failed messages of a record filter not resent yet."""
    return (message_list(actor=actor, **{**filters, "status": M.FAILED})
            .filter(~Exists(ResendLink.objects.filter(failed_id=OuterRef("pk")))))


@dataclass
class ResendResult:
    resent: int = 0
    already_resent: int = 0
    already_sent: int = 0
    skipped: dict = field(default_factory=dict)
    message_ids: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"resent": self.resent, "already_resent": self.already_resent, "already_sent": self.already_sent,
                "skipped": self.skipped, "message_ids": self.message_ids[:1000]}


def _strip(text: str, marketing: bool) -> str:
    """A message without a topic is sent again with its own text, less what compose() adds."""
    signature = f"【{settings.SMS_SIGNATURE}】"
    if text.startswith(signature):
        text = text[len(signature):]
    if marketing and text.endswith(settings.SMS_OPT_OUT_TEXT):
        text = text[: -len(settings.SMS_OPT_OUT_TEXT)]
    return text


def messages_resend_failed(*, actor, filters: dict) -> ResendResult:
    require_perm(actor, "messaging.send_message", "没有重发短信的权限。")
    result = ResendResult()
    skipped: Counter = Counter()
    last = 0
    # The failures of the query as pressed: resends that fail while this press is still
    # walking (a fast worker, a gateway refusing everything) are the next press's work,
    # else one press would chase its own failures for ever.
    ceiling = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    while True:
        chunk = list(failed_to_resend(actor=actor, filters=filters).filter(pk__gt=last, pk__lte=ceiling).order_by("pk")
                     .select_related(None).select_related("customer__building__community", "staff", "topic")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        with transaction.atomic():
            _resend_chunk(actor, chunk, result, skipped)
    result.skipped = dict(skipped)
    return result


def _resend_chunk(actor, chunk: list[Message], result: ResendResult, skipped: Counter) -> None:
    token = uuid.uuid4().hex
    ResendLink.objects.bulk_create([ResendLink(failed_id=m.pk, token=token, actor=actor) for m in chunk],
                                   ignore_conflicts=True)
    ours = set(ResendLink.objects.filter(token=token).values_list("failed_id", flat=True))
    result.already_resent += len(chunk) - len(ours)
    todo = [m for m in chunk if m.pk in ours]
    # Customers since sent the same season + topic successfully (or on the way) are done.
    keyed = [m for m in todo if m.customer_id and m.topic_id and m.season]
    done = set()
    if keyed:
        done = set(Message.objects.filter(customer_id__in={m.customer_id for m in keyed},
                                          topic_id__in={m.topic_id for m in keyed},
                                          season__in={m.season for m in keyed})
                   .exclude(status=M.FAILED).values_list("customer_id", "topic_id", "season"))
    claim_token = uuid.uuid4().hex
    fresh = [m for m in keyed if (m.customer_id, m.topic_id, m.season) not in done]
    if fresh:
        NoRepeatClaim.objects.bulk_create(
            [NoRepeatClaim(season=m.season, topic_id=m.topic_id, customer_id=m.customer_id, campaign_id=m.campaign_id,
                           token=claim_token) for m in fresh], ignore_conflicts=True)
        claimed = set(NoRepeatClaim.objects.filter(token=claim_token).values_list("customer_id", "topic_id",
                                                                                  "season"))
    else:
        claimed = set()
    keyed_pks = {m.pk for m in keyed}
    go, unsendable = [], []
    seen = set()
    for m in todo:
        key = (m.customer_id, m.topic_id, m.season)
        if m.pk in keyed_pks:
            if key not in claimed or key in seen:  # sent meanwhile, or twice in this filter
                result.already_sent += 1
                continue
            seen.add(key)
        go.append(m)
    groups: dict[tuple, list[Message]] = {}
    for m in go:
        text = "" if m.topic_id else _strip(m.body, m.is_marketing)
        groups.setdefault((m.topic_id, m.season, m.campaign_id, m.kind, m.is_marketing, text, m.station_id),
                          []).append(m)
    links: dict[int, int] = {}
    for (topic_id, season, campaign_id, kind, marketing, text, station_id), msgs in groups.items():
        recipients = [Recipient(customer=m.customer, staff=m.staff,
                                phone="" if (m.customer_id or m.staff_id) else m.phone, resend_of=m.pk)
                      for m in msgs]
        try:
            with transaction.atomic():
                created = messages_create_bulk(
                    actor=actor, recipients=recipients, topic=msgs[0].topic, body=text, kind=kind,
                    is_marketing=marketing, season=season, station=station_id, campaign_id=campaign_id)
        except AppError as exc:
            skipped[exc.message] += len(msgs)
            unsendable.extend(m.pk for m in msgs)
            continue
        gone = {id(s.recipient) for s in created.skipped}
        for s in created.skipped:
            skipped[s.reason] += 1
            unsendable.append(s.recipient.resend_of)
        for r, new_id in zip((r for r in recipients if id(r) not in gone), created.message_ids):
            links[r.resend_of] = new_id
        result.message_ids.extend(created.message_ids)
    if links:
        rows = list(ResendLink.objects.filter(token=token, failed_id__in=list(links)))
        for row in rows:
            row.new_message_id = links[row.failed_id]
        ResendLink.objects.bulk_update(rows, ["new_message_id"], batch_size=500)
        new_by_key = {(m.customer_id, m.topic_id, m.season): links[m.pk] for m in go
                      if m.pk in links and m.pk in keyed_pks}
        claims = list(NoRepeatClaim.objects.filter(token=claim_token))
        for claim in claims:
            claim.message_id = new_by_key.get((claim.customer_id, claim.topic_id, claim.season))
        NoRepeatClaim.objects.bulk_update(claims, ["message_id"], batch_size=500)
    NoRepeatClaim.objects.filter(token=claim_token, message_id__isnull=True).delete()
    # Not sent now (no mobile any more, opted out): free to be resent once that is fixed.
    if unsendable:
        ResendLink.objects.filter(token=token, failed_id__in=unsendable).delete()
    result.resent += len(links)
