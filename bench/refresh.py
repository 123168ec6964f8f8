"""Price change: re-price and refresh 100,000 accounts set-based vs a per-row ORM loop.

Builds 100,000 households with season accounts (a tenth suspended, a third with a
payment), then changes the residential price with the real service
(`tariff_change`: one statement posts the differences to the ledger, one sets
every account from its ledger, one refreshes the customers' arrears) and times
it.  The baseline changes the price again the naive way on the same data: for
each account compute the fees in Python, save ledger rows one by one, save the
account, re-aggregate and save its customer.  Both must leave every balance
equal to its ledger.  Goal: ≥ 20× faster than the loop and under 5 s on
PostgreSQL.  `ratio` is the speed-up (baseline ÷ ours).
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from bench import harness

N = 100_000


def _build(n: int):
    from django.db import connection, transaction

    from core_billing.models import (Building, Community, Customer, CustomerType, LedgerEntry, Season, Station,
                                     Tariff, User)
    from core_billing.roles import sync_roles
    from core_billing.services import balances
    from core_billing.services.billing import accounts_open

    sync_roles()
    rng = random.Random(7)
    admin = User.objects.create_superuser("bench-admin", password="bench-pass-123")
    station = Station.objects.create(code="B1", name="压测站")
    community = Community.objects.create(station=station, name="压测小区")
    residential = CustomerType.objects.create(code="residential", name="居民")
    buildings = Building.objects.bulk_create([Building(station=station, community=community, name=f"{b}号楼",
                                                       unit_count=4) for b in range(n // 96 + 1)])
    customers = []
    for i in range(n):
        b = buildings[i // 96]
        status = "suspended" if rng.random() < 0.1 else "normal"
        customers.append(Customer(station=station, building=b, unit=i % 96 // 24 + 1, room=f"{i % 24 + 1:02d}",
                                  account_no=f"B{i:08d}", name=f"户{i}", customer_type=residential,
                                  area=Decimal(rng.randint(4500, 14000)) / 100, heating_status=status))
    with transaction.atomic():
        Customer.objects.bulk_create(customers, batch_size=5000)
        season = Season.objects.create(name="2025-2026", start_date=dt.date(2025, 11, 1),
                                       end_date=dt.date(2026, 3, 31), heating_days=151, is_current=True,
                                       late_fee_start=dt.date(2026, 1, 1), late_fee_daily_rate=Decimal("0.0005"),
                                       precision="round_jiao")
        Tariff.objects.create(season=season, customer_type=residential, unit_price=Decimal("26.00"))
        accounts_open(season=season, as_of=dt.date(2026, 2, 1))
        # a third paid something, so balances and arrears differ between customers
        accounts = list(season.accounts.order_by("id").values_list("id", "station_id", "charged"))
        payments = [LedgerEntry(station_id=st, account_id=a, kind="payment", value_date=dt.date(2025, 12, 1),
                                amount=-(charged * Decimal(rng.choice(["0.3", "0.5", "1"]))).quantize(Decimal("0.01")))
                    for a, st, charged in accounts if rng.random() < 0.33]
        LedgerEntry.objects.bulk_create(payments, batch_size=5000)
        balances.refresh(balances.season_scope(season), dt.date(2026, 2, 1))
    if connection.vendor == "postgresql":  # planner statistics, as a live database has them
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    return admin, season, residential


def _naive_loop(season, customer_type, unit_price: Decimal, as_of: dt.date) -> int:
    """The per-row way: Python pricing, one save per ledger row, account and customer."""
    from django.db import transaction
    from django.db.models import Q, Sum

    from core_billing import pricing
    from core_billing.models import Customer, LedgerEntry, SeasonAccount, Tariff
    from core_billing.services import balances

    count = 0
    with transaction.atomic():
        tariff = Tariff.objects.get(season=season, customer_type=customer_type)
        tariff.unit_price = unit_price
        tariff.save()
        for acc in SeasonAccount.objects.filter(season=season, customer_type=customer_type).order_by("id"):
            heating = pricing.heating_fee(unit_price, acc.normal_area_days, season.heating_days, season.precision)
            standby = pricing.standby_fee(unit_price, season.standby_ratio, acc.stopped_area_days,
                                          season.heating_days, season.precision)
            for kind, new, old in (("heating", heating, acc.heating_fee), ("standby", standby, acc.standby_fee)):
                if new != old:
                    LedgerEntry(station_id=acc.station_id, account=acc, kind=kind, amount=new - old,
                                value_date=as_of, reason="逐户调价").save()
            acc.heating_fee, acc.standby_fee = heating, standby
            acc.charged = heating + standby + acc.metered_fee + acc.corrections
            acc.due = acc.charged + acc.late_fee_charged - acc.discount - acc.adjusted - acc.paid
            acc.late_fee_pending = balances.accrued_late_fee(acc, season, as_of)
            acc.owed = acc.due + acc.late_fee_pending
            acc.balance_as_of = as_of
            acc.save()
            customer = Customer.objects.get(pk=acc.customer_id)
            sums = SeasonAccount.objects.filter(customer=customer).aggregate(
                total=Sum("owed", filter=Q(owed__gt=0)), late=Sum("late_fee_pending", filter=Q(owed__gt=0)),
                current=Sum("due", filter=Q(season__is_current=True)))
            customer.arrears_total = sums["total"] or 0
            customer.late_fee_total = sums["late"] or 0
            customer.due_current = sums["current"] or 0
            customer.arrears_seasons = SeasonAccount.objects.filter(customer=customer, owed__gt=0).count()
            customer.balance_as_of = as_of
            customer.save()
            count += 1
    return count


def _consistent(season) -> bool:
    """Every account's due equals its ledger sum (checked in SQL)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM core_billing_seasonaccount a WHERE a.season_id = %s AND a.due <> "
                    "(SELECT ROUND(SUM(e.amount), 2) FROM core_billing_ledgerentry e WHERE e.account_id = a.id)",
                    [season.pk])
        return cur.fetchone()[0] == 0


def run(args) -> dict:
    from core_billing.models import PriceChange
    from core_billing.services.pricing_changes import tariff_change

    n = args.n or N
    with harness.timer() as build:
        admin, season, residential = _build(n)
    print(f"   built {n} households and accounts in {build['seconds']:.1f}s", flush=True)

    with harness.timer() as ours:
        change = tariff_change(actor=admin, season=season, customer_type=residential, unit_price="27.50",
                               reason="压测调价")
    ok_ours = change.accounts == n and _consistent(season)
    print(f"   set-based: {change.accounts} accounts re-priced, {change.money_moved} yuan moved "
          f"in {ours['seconds']:.2f}s", flush=True)

    with harness.timer() as loop:
        looped = _naive_loop(season, residential, Decimal("28.80"), dt.date.today())
    ok_loop = looped == n and _consistent(season)
    print(f"   per-row loop: {looped} accounts in {loop['seconds']:.1f}s", flush=True)

    speedup = loop["seconds"] / ours["seconds"] if ours["seconds"] else 0.0
    return {
        "name": "refresh", "n": n, "seconds": round(ours["seconds"], 3), "baseline": "per-row ORM loop",
        "baseline_seconds": round(loop["seconds"], 3), "ratio": round(speedup, 1),
        "ratio_means": "speed-up: baseline seconds ÷ our seconds (goal ≥ 20, and seconds < 5)",
        "rate": round(n / ours["seconds"]) if ours["seconds"] else None,
        "cpu_ms_per_item": round(ours["cpu"] * 1000 / n, 4), "peak_mb": round(harness.peak_rss_mb(), 1),
        "errors": int(not ok_ours) + int(not ok_loop), "price_changes": PriceChange.objects.count(),
        "goal_met": bool(ok_ours and speedup >= 20 and ours["seconds"] < 5),
    }
