"""Campaign reads: lists, live progress, and the outcome report (RPT-04) that reports reuse."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core_billing.progress import progress_get
from messaging.models import Message, MessageStatus as M

from ..audience import Skip
from ..models import Audience, Campaign, DunningScheme

IN_FLIGHT = (M.QUEUED, M.SENDING, M.ERRORED)
# What the gateway bills: whatever it accepted (a message refused at once costs nothing).
BILLED = Q(status__in=(M.SENT, M.DELIVERED)) | Q(status=M.FAILED, gateway_ref__gt="")


def campaign_list(*, actor, status: str = "", topic=None, season: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.visible_to(actor).select_related("topic", "audience", "station", "created_by")
    if status:
        qs = qs.filter(status=status)
    if topic:
        qs = qs.filter(topic_id=getattr(topic, "pk", topic))
    if season:
        qs = qs.filter(season=season)
    return qs


def audience_list(*, actor) -> QuerySet[Audience]:
    return Audience.objects.visible_to(actor).select_related("station", "created_by")


def dunning_scheme_list(*, actor) -> QuerySet[DunningScheme]:
    return DunningScheme.objects.visible_to(actor).select_related("station", "topic", "audience")


def _message_counts(messages: QuerySet[Message]) -> dict:
    row = messages.order_by().aggregate(
        created=Count("id"),
        queued=Count("id", filter=Q(status__in=IN_FLIGHT)),
        sent=Count("id", filter=Q(status=M.SENT)),
        delivered=Count("id", filter=Q(status=M.DELIVERED)),
        failed=Count("id", filter=Q(status=M.FAILED)),
        resent=Count("id", filter=Q(resend_of__isnull=False)),
        segments_total=Coalesce(Sum("segments"), 0),
        segments_billed=Coalesce(Sum("segments", filter=BILLED), 0))
    row["segments"], row["billed_segments"] = row.pop("segments_total"), row.pop("segments_billed")
    return row


def campaign_counts(campaign: Campaign) -> dict:
    """Targeted, created, skipped and messages by status right now (progress, the finished signal)."""
    row = _message_counts(Message.objects.filter(campaign_id=campaign.pk))
    return {"targeted": campaign.targeted, "skipped": campaign.skipped_total,
            **{k: row[k] for k in ("created", "queued", "sent", "delivered", "failed", "resent")}}


def campaign_progress(campaign: Campaign) -> dict:
    counts = campaign_counts(campaign)
    handled = campaign.created_count + campaign.skipped_total
    done = counts["delivered"] + counts["failed"] + campaign.skipped_total
    total = max(campaign.targeted, 1)
    return {**counts, "created_phase": progress_get(f"campaign:{campaign.pk}"),
            "creating_percent": min(100, int(100 * handled / total)) if campaign.targeted else 100,
            "percent": 100 if campaign.is_final and campaign.status == "finished"
            else min(100, int(100 * done / total)),
            "skipped_by_reason": skipped_rows(campaign.skipped)}


def skipped_rows(skipped: dict) -> list[dict]:
    order = {r: i for i, r in enumerate(Skip.ORDER)}
    return [{"reason": r, "label": str(Skip.LABELS.get(r, r)), "count": n}
            for r, n in sorted(skipped.items(), key=lambda kv: order.get(kv[0], 99)) if n]


def _cost(segments: int) -> Decimal:
    return (Decimal(segments) * settings.SMS_PRICE_PER_SEGMENT).quantize(Decimal("0.01"))


def campaign_outcome(*, actor, campaign: Campaign) -> dict:
    """RPT-04 for one campaign: targeted, skipped by reason, sent, delivered, failed by
    error code, segments and cost (the resends of its failures included)."""
    messages = Message.objects.visible_to(actor).filter(campaign_id=campaign.pk)
    row = _message_counts(messages)
    failed = list(messages.filter(status=M.FAILED).order_by().values("error_code")
                  .annotate(count=Count("id")).order_by("-count", "error_code"))
    return {
        "campaign": campaign.pk, "targeted": campaign.targeted, "skipped_total": campaign.skipped_total,
        "skipped": skipped_rows(campaign.skipped),
        **{k: row[k] for k in ("created", "queued", "sent", "delivered", "failed", "resent", "segments")},
        "sent_total": row["sent"] + row["delivered"] + row["failed"],
        "failed_by_code": [{"error_code": r["error_code"] or "—", "count": r["count"]} for r in failed],
        "billed_segments": row["billed_segments"], "cost": _cost(row["billed_segments"]),
    }
