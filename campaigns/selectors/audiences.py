"""Audience previews: counts per skip reason, the cost before confirming, and the skipped customers as .xlsx."""
from __future__ import annotations

import io
from decimal import Decimal

from django.conf import settings
from django.utils import translation

from messaging import segments, templating
from messaging.context import RenderTarget, build_values
from messaging.services.sending import compose

from ..audience import Preview, SendRules, Skip, compile_audience, preview_counts, with_reason

SAMPLE = 200  # recipients rendered to estimate segments; their mean stands for the rest


def audience_preview(*, actor, filters: dict, station_id: int | None = None, topic=None, season: str = "",
                     no_repeat: bool = False) -> dict:
    qs = compile_audience(actor=actor, filters=filters, station_id=station_id)
    rules = SendRules.for_topic(topic, season, no_repeat)
    preview = preview_counts(qs, rules)
    out = {"preview": preview, **preview.as_dict()}
    if topic is not None and preview.recipients:
        out["estimate"] = estimate_cost(qs, rules, topic, season, preview)
    return out


def estimate_cost(qs, rules: SendRules, topic, season: str, preview: Preview) -> dict:
    """Segments and cost of the campaign: exact up to SAMPLE recipients, extrapolated above."""
    sample = list(with_reason(qs, rules).filter(skip_reason="").select_related("building__community")
                  .order_by("pk")[:SAMPLE])
    keys = templating.keys_of(topic.body)
    targets = [RenderTarget(station_id=c.station_id, customer=c, season=season) for c in sample]
    values = build_values(keys, targets) if keys else [{} for _ in targets]
    counts = [segments.analyze(compose(templating.render(topic.body, v), is_marketing=topic.is_marketing)).segments
              for v in values]
    per = Decimal(sum(counts)) / len(counts) if counts else Decimal(0)
    total = sum(counts) if preview.recipients <= len(counts) else int((per * preview.recipients).to_integral_value())
    price = settings.SMS_PRICE_PER_SEGMENT
    return {"segments": total, "per_message": round(per, 2), "exact": preview.recipients <= len(counts),
            "price": price, "cost": (Decimal(total) * price).quantize(Decimal("0.01")),
            "example": compose(templating.render(topic.body, values[0]), is_marketing=topic.is_marketing)
            if values else ""}


HEADERS = ["户号", "姓名", "供热站", "小区", "楼", "单元", "房号", "手机号", "跳过原因"]


def skipped_workbook(*, actor, filters: dict, station_id: int | None = None, topic=None, season: str = "",
                     no_repeat: bool = False) -> bytes:
    """Every skipped customer with the reason, streamed through openpyxl's write-only mode."""
    from openpyxl import Workbook

    qs = compile_audience(actor=actor, filters=filters, station_id=station_id)
    rows = (with_reason(qs, SendRules.for_topic(topic, season, no_repeat)).exclude(skip_reason="")
            .order_by("pk").values_list("account_no", "name", "station__name", "building__community__name",
                                        "building__name", "unit", "room", "mobile", "skip_reason"))
    with translation.override("zh-hans"):  # a file for Chinese offices, whatever the page language
        labels = {k: str(v) for k, v in Skip.LABELS.items()}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("跳过的客户")
    ws.append(HEADERS)
    for row in rows.iterator(chunk_size=2000):
        ws.append([*row[:-1], labels.get(row[-1], row[-1])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

