"""Campaign outcomes (RPT-04): per campaign, or per topic and season — targeted,
skipped by reason, sent, delivered, failed by error code, billed segments and cost.

Two grouped queries over the messages whatever the number of campaigns (one
for the counts, one for the failures by code); a topic + season row is the
sum of its campaigns' rows, so the two views always agree."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from campaigns.models import Campaign
from campaigns.selectors.campaigns import BILLED, skipped_rows
from messaging.models import Message, MessageStatus as M

COUNTS = ("campaigns", "targeted", "skipped", "sent", "delivered", "failed", "billed_segments")


def _text(pairs) -> str:
    return "；".join(f"{label} {n}" for label, n in pairs)


def _finish(row: dict, skipped: dict, failed: dict) -> dict:
    row["skipped_reasons"] = _text((r["label"], r["count"]) for r in skipped_rows(skipped))
    row["failed_codes"] = _text(sorted(failed.items(), key=lambda kv: (-kv[1], kv[0])))
    row["cost"] = (Decimal(row["billed_segments"]) * settings.SMS_PRICE_PER_SEGMENT).quantize(Decimal("0.01"))
    row["delivery_rate"] = (Decimal(row["delivered"]) / row["sent"]) if row["sent"] else None
    return row


def campaign_outcome_rows(*, actor, season: str = "", topic=None, station=None, group_by: str = "campaign",
                          ) -> list[dict]:
    """Outcome rows newest first (or by season and topic), then one total row."""
    campaigns = Campaign.objects.visible_to(actor).select_related("topic", "station")
    if season:
        campaigns = campaigns.filter(season=season)
    if topic:
        campaigns = campaigns.filter(topic_id=getattr(topic, "pk", topic))
    if station:
        campaigns = campaigns.filter(station_id=getattr(station, "pk", station))
    campaigns = list(campaigns.order_by("-created_at", "-pk"))
    messages = Message.objects.visible_to(actor).filter(campaign_id__in=[c.pk for c in campaigns]).order_by()
    counts = {r["campaign_id"]: r for r in messages.values("campaign_id").annotate(
        sent=Count("id", filter=Q(status__in=(M.SENT, M.DELIVERED, M.FAILED))),
        delivered=Count("id", filter=Q(status=M.DELIVERED)), failed=Count("id", filter=Q(status=M.FAILED)),
        billed_segments=Coalesce(Sum("segments", filter=BILLED), 0))}
    failures: dict[int, dict[str, int]] = {}
    for r in messages.filter(status=M.FAILED).values("campaign_id", "error_code").annotate(n=Count("id")):
        failures.setdefault(r["campaign_id"], {})[r["error_code"] or "—"] = r["n"]

    groups: dict = {}
    order: list = []
    for c in campaigns:
        key = c.pk if group_by == "campaign" else (c.season, c.topic_id)
        if key not in groups:
            label = c.name if group_by == "campaign" else c.topic.name
            groups[key] = ({"label": label, "station": c.station.name if group_by == "campaign" and c.station_id
                            else "", "season": c.season, "topic": c.topic.name,
                            "created_at": c.created_at if group_by == "campaign" else None,
                            **dict.fromkeys(COUNTS, 0)}, {}, {})
            order.append(key)
        row, skipped, failed = groups[key]
        found = counts.get(c.pk, {})
        row["campaigns"] += 1
        row["targeted"] += c.targeted
        row["skipped"] += c.skipped_total
        for name in ("sent", "delivered", "failed", "billed_segments"):
            row[name] += found.get(name, 0)
        for reason, n in c.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
        for code, n in failures.get(c.pk, {}).items():
            failed[code] = failed.get(code, 0) + n
    if group_by != "campaign":
        order.sort(key=lambda k: (groups[k][0]["season"], groups[k][0]["topic"]))
    rows = [_finish(*groups[k]) for k in order]
    total, skipped, failed = {"label": "合计", "station": "", "season": "", "topic": "", "created_at": None,
                              **dict.fromkeys(COUNTS, 0)}, {}, {}
    for key in order:
        row, row_skipped, row_failed = groups[key]
        for name in COUNTS:
            total[name] += row[name]
        for src, dst in ((row_skipped, skipped), (row_failed, failed)):
            for k, n in src.items():
                dst[k] = dst.get(k, 0) + n
    return [*rows, _finish(total, skipped, failed)]
