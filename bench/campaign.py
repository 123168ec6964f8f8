"""campaign: a 20,000-household campaign, start to every message created and queued, vs a naive per-customer loop.

Ours: campaign_create + the run task (chunks of CAMPAIGN_CHUNK_SIZE customers:
skip reasons in the query, no-repeat claims in one INSERT per chunk,
messages_create_bulk).  Baseline: message_send_one per customer, on a subset,
scaled per item.  Batches are handed to a recorder in place of the broker, so
no worker sends anything and both sides pay the same for queueing.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bench import harness

SUBSET = 1000


def _setup(n: int):
    from django.contrib.auth.models import Group

    from core_billing.models import (Building, Community, Customer, CustomerPhone, CustomerType, Season, Station,
                                     User)
    from core_billing.roles import sync_roles
    from messaging.services.topics import topic_create

    sync_roles()
    station = Station.objects.create(code="B1", name="基准供热站")
    community = Community.objects.create(station=station, name="基准小区")
    buildings = Building.objects.bulk_create([Building(station=station, community=community, name=f"{i}号楼",
                                                       unit_count=6) for i in range(1, n // 120 + 2)])
    ctype = CustomerType.objects.create(code="residential", name="居民")
    Season.objects.create(name="2025-2026", start_date=dt.date(2025, 11, 15), end_date=dt.date(2026, 3, 15),
                          heating_days=121, is_current=True)
    rows = []
    for i in range(n):
        # every 50th has no mobile, every 97th only a landline: the skips are counted too
        kind = "none" if i % 50 == 0 else "landline" if i % 97 == 0 else "mobile"
        rows.append(Customer(station=station, building=buildings[i // 120], unit=1 + (i // 20) % 6,
                             room=f"{i % 20 + 1:02d}{i}", account_no=f"B{i:07d}", name=f"住户{i}",
                             customer_type=ctype, area=Decimal("80.00"), contact_kind=kind,
                             mobile=f"+86139{i:08d}" if kind == "mobile" else ""))
    made = Customer.objects.bulk_create(rows, batch_size=2000)
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, raw=c.mobile, number=c.mobile, kind="mobile",
                                                     is_primary=True) for c in made if c.mobile], batch_size=2000)
    actor = User.objects.create_user("bench-service", password=None, station=station)
    actor.groups.add(Group.objects.get(name="customer_service"))
    actor = User.objects.get(pk=actor.pk)
    admin = User.objects.create_user("bench-admin", password=None, is_superuser=True)
    topic = topic_create(actor=admin, name="打压试水通知", kind="notice", company_wide=True,
                         body="尊敬的{{ 客户名称 }}，{{ 小区 }}明日打压试水，请家中留人。")
    naive_topic = topic_create(actor=admin, name="逐户通知", kind="notice", company_wide=True,
                               body="尊敬的{{ 客户名称 }}，{{ 小区 }}明日打压试水，请家中留人。")
    return actor, topic, naive_topic, made


def run(args) -> dict:
    from django.conf import settings
    from django.db import transaction

    from campaigns.models import Campaign
    from campaigns.services.campaigns import campaign_create, campaign_run
    from core_billing.models import Customer
    from messaging import tasks
    from messaging.models import Message
    from messaging.services.sending import message_send_one

    n = args.n or 20000
    settings.SMS_GATEWAY = "console"
    actor, topic, naive_topic, customers = _setup(n)
    queued: list[int] = []
    tasks.send_batch.delay = lambda ids: queued.extend(ids)  # the recorder in place of the broker

    from campaigns import tasks as campaign_tasks

    campaign_tasks.run_campaign.delay = lambda pk: None  # we run it here, timed
    with harness.timer() as ours:
        with transaction.atomic():
            campaign = campaign_create(actor=actor, name="基准", topic=topic, season="2025-2026",
                                       filters={}, no_repeat=True)
        campaign_run(campaign.pk)
    campaign = Campaign.objects.get(pk=campaign.pk)
    created = Message.objects.filter(campaign_id=campaign.pk).count()
    errors = int(created != len(queued) or campaign.status not in ("sending", "finished"))

    # The live preview after the campaign: every skip reason counted over the whole audience in one query.
    from campaigns.audience import SendRules, compile_audience, preview_counts

    with harness.timer() as preview_time:
        preview = preview_counts(compile_audience(actor=actor, filters={}),
                                 SendRules.for_topic(topic, "2025-2026", no_repeat=True))
    errors += int(preview.skipped.get("already_sent") != created)

    subset = list(Customer.objects.filter(contact_kind="mobile").select_related("building__community")
                  .order_by("pk")[:SUBSET])
    with harness.timer() as naive:
        for customer in subset:
            with transaction.atomic():
                # the naive no-repeat check: one query per customer, then one message
                if Message.objects.filter(customer=customer, topic=naive_topic, season="2025-2026").exclude(
                        status="failed").exists():
                    continue
                message_send_one(actor=actor, customer=customer, topic=naive_topic, season="2025-2026")
    per_naive = naive["seconds"] / len(subset)
    per_ours = ours["seconds"] / max(created, 1)
    out = {
        "name": "campaign", "n": n, "messages": created, "skipped": campaign.skipped,
        "seconds": round(ours["seconds"], 2), "rate": round(created / ours["seconds"], 1),
        "baseline": f"message_send_one per customer with a per-customer no-repeat check, on {len(subset)}",
        "baseline_seconds": round(per_naive * created, 2), "ratio": round(per_naive / per_ours, 1),
        "ratio_means": "speed-up: naive seconds per message ÷ ours", "errors": errors,
        "cpu_ms_per_item": round(ours["cpu"] * 1000 / max(created, 1), 3), "peak_mb": round(harness.peak_rss_mb(), 1),
        "chunk_size": settings.CAMPAIGN_CHUNK_SIZE, "preview_ms": round(preview_time["seconds"] * 1000, 1),
    }
    print(f"   {created} messages created and queued in {out['seconds']} s ({out['rate']}/s); naive loop "
          f"{per_naive * 1000:.1f} ms per message → ×{out['ratio']}; preview of {n} with every skip reason "
          f"{out['preview_ms']} ms")
    return out
