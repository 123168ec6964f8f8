"""Demo data for campaigns: starter topics for the notice kinds of CMP-03 (those
messaging's demo does not already make), a saved audience per station, a
finished campaign per station with its messages (delivered, a few failed:
something for the outcome report and resend), and a dunning scheme per station
whose first run is tomorrow (nothing is sent while seeding)."""
from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core_billing.models import Season, Station, User
from core_billing.roles import Role
from messaging import segments, templating
from messaging.context import RenderTarget, build_values
from messaging.models import Message, MessageStatus, Topic
from messaging.services.sending import compose
from messaging.services.topics import topic_create

from .audience import SendRules, compile_audience, preview_counts
from .models import Audience, Campaign, CampaignStatus, DunningScheme, NoRepeatClaim

# (name, kind, marketing, body): the notice kinds of CMP-03.  Heating start (正式供热通知) and
# pressure test (打压试水通知) come with messaging's demo.
STARTER_TOPICS = [
    ("预交优惠通知", "notice", True, "尊敬的{{ 客户名称 }}，10月31日前缴纳本采暖期供热费可享优惠，详询{{ 客服热线 }}。"),
    ("上门收费通知", "notice", False, "尊敬的{{ 客户名称 }}，收费员将于本周六到{{ 小区 }}上门收费，请家中留人。"),
    ("继续报停申请通知", "notice", False, "尊敬的{{ 客户名称 }}，您的住宅本采暖期如需继续报停，请于10月20日前到{{ 供热站 }}办理。"),
    ("欠费催缴通知", "dunning", False, "尊敬的{{ 客户名称 }}，您尚欠供热费{{ 欠费合计 }}元（欠费{{ 欠费年数 }}年），请尽快缴纳。"),
    ("滞纳金通知", "dunning", False, "尊敬的{{ 客户名称 }}，您的供热费已产生滞纳金{{ 滞纳金 }}元，请尽快缴清欠费{{ 欠费合计 }}元。"),
    ("停止供热通知", "notice", False, "尊敬的{{ 客户名称 }}，本采暖期将于3月15日24时停止供热，感谢您的支持。"),
    ("供热满意度调查", "notice", True, "尊敬的{{ 客户名称 }}，请回复1-5为本采暖期供热服务打分，感谢您的参与。"),
]


@transaction.atomic
def seed(*, org, log=print) -> None:
    admin = User.objects.get(username="admin")
    made = 0
    for name, kind, marketing, body in STARTER_TOPICS:
        if not Topic.objects.filter(name=name, station__isnull=True).exists():
            topic_create(actor=admin, name=name, kind=kind, body=body, is_marketing=marketing, company_wide=True)
            made += 1
    season = Season.objects.filter(is_current=True).first()
    if season is None:
        log("campaigns: no current season, no demo campaigns")
        return
    notice = Topic.objects.get(name="上门收费通知", station__isnull=True)
    dunning = Topic.objects.get(name="欠费催缴通知", station__isnull=True)
    rng = random.Random(17)
    messages = 0
    for station in Station.objects.order_by("code"):
        service = User.objects.filter(station=station, groups__name=Role.CUSTOMER_SERVICE).first() or admin
        supervisor = User.objects.filter(station=station, groups__name=Role.SUPERVISOR).first() or admin
        audience = Audience.objects.create(station=station, name=f"{station.name}欠费两年以上",
                                           filters={"arrears_seasons_min": 2}, created_by=service)
        community = station.communities.order_by("name").first()
        if community is None:
            continue
        filters = {"communities": [community.pk]}
        Audience.objects.create(station=station, name=f"{community.name}全体住户", filters=filters, created_by=service)
        messages += _finished_campaign(station, service, notice, season.name, filters, rng)
        start = timezone.localdate() + dt.timedelta(days=1)
        DunningScheme.objects.create(station=station, name=f"{station.name}冬季催缴", topic=dunning,
                                     audience=audience, season=season.name, start_date=start,
                                     end_date=max(season.end_date, start), every_days=15, created_by=supervisor)
    log(f"campaigns: {made} starter topics, audiences, a finished campaign per station ({messages} messages) "
        "and a dunning scheme per station")


def _finished_campaign(station, actor, topic, season: str, filters: dict, rng) -> int:
    """A campaign sent yesterday, written directly (seeding sends nothing)."""
    at = timezone.now() - dt.timedelta(days=1)
    rules = SendRules.for_topic(topic, season, no_repeat=True)
    audience = compile_audience(actor=actor, filters=filters, station_id=station.pk)
    counts = preview_counts(audience, rules)
    campaign = Campaign.objects.create(
        station=station, name=f"{topic.name}（演示）", topic=topic, season=season, filters=filters, no_repeat=True,
        status=CampaignStatus.FINISHED, scheduled_at=at, targeted=counts.total, created_by=actor, created_at=at,
        started_at=at, finished_at=at + dt.timedelta(minutes=10),
        skipped={k: v for k, v in counts.skipped.items() if v})
    customers = list(audience.filter(contact_kind="mobile").exclude(mobile="")
                     .select_related("building__community").order_by("pk")[:60])
    keys = templating.keys_of(topic.body)
    values = build_values(keys, [RenderTarget(station_id=station.pk, customer=c, season=season) for c in customers])
    rows = []
    for customer, vals in zip(customers, values):
        text = compose(templating.render(topic.body, vals), is_marketing=topic.is_marketing)
        info = segments.analyze(text)
        failed = rng.random() < 0.1
        rows.append(Message(
            station=station, topic=topic, kind=topic.kind, season=season, campaign_id=campaign.pk, customer=customer,
            phone=customer.mobile, body=text, segments=info.segments, encoding=info.encoding, sender=actor,
            gateway=settings.SMS_GATEWAY, gateway_ref=f"SMCMP{campaign.pk:04d}{customer.pk:08d}", attempts=1,
            status=MessageStatus.FAILED if failed else MessageStatus.DELIVERED,
            error_code="30003" if failed else "", error_text="Unreachable destination handset" if failed else "",
            created_at=at, sent_at=at, delivered_at=None if failed else at, failed_at=at if failed else None,
            updated_at=at))
    created = Message.objects.bulk_create(rows)
    NoRepeatClaim.objects.bulk_create([
        NoRepeatClaim(season=season, topic=topic, customer_id=m.customer_id, campaign=campaign, token="demo",
                      message_id=m.pk) for m in created if m.status == MessageStatus.DELIVERED])
    Campaign.objects.filter(pk=campaign.pk).update(created_count=len(created))
    return len(created)



