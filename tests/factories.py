"""Small builders for test data; real rows in the real test database."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group

from core_billing.models import (Building, CollectorAssignment, Community, Customer, CustomerPhone, CustomerType,
                                 ExchangeStation, Station, User)
from core_billing.phones import classify_phones
from core_billing.roles import sync_roles

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


def station(code: str | None = None, name: str | None = None) -> Station:
    n = next(_seq)
    return Station.objects.create(code=code or f"T{n}", name=name or f"测试供热站{n}", hotline="0412-5550000")


def exchange_station(st: Station, name: str | None = None) -> ExchangeStation:
    n = next(_seq)
    return ExchangeStation.objects.create(station=st, code=f"H{n}", name=name or f"换热站{n}")


def community(st: Station, name: str | None = None) -> Community:
    return Community.objects.create(station=st, name=name or f"小区{next(_seq)}")


def building(comm: Community, name: str | None = None, units: int = 3, exchange=None) -> Building:
    return Building.objects.create(station_id=comm.station_id, community=comm, name=name or f"{next(_seq)}号楼",
                                   unit_count=units, exchange_station=exchange)


def customer_type(code: str = "residential", name: str = "居民") -> CustomerType:
    return CustomerType.objects.get_or_create(code=code, defaults={"name": name})[0]


def customer(bldg: Building, *, name: str = "张伟", account_no: str | None = None, unit: int = 1,
             room: str | None = None, area: str | Decimal = "88.50", phones: list[str] | None = None,
             ctype: CustomerType | None = None, **extra) -> Customer:
    n = next(_seq)
    infos, mobile, kind = classify_phones(["13800138000"] if phones is None else phones)
    c = Customer.objects.create(station_id=bldg.station_id, building=bldg, unit=unit, room=room or f"{n}",
                                account_no=account_no or f"A{n:07d}", name=name,
                                customer_type=ctype or customer_type(), area=Decimal(str(area)),
                                mobile=mobile, contact_kind=kind, **extra)
    CustomerPhone.objects.bulk_create([
        CustomerPhone(customer=c, raw=i.raw, number=i.number, kind=i.kind,
                      is_primary=bool(mobile) and i.number == mobile, position=p)
        for p, i in enumerate(infos)])
    return c


def user(username: str, *roles: str, st: Station | None = None, **extra) -> User:
    if Group.objects.filter(name__in=roles).count() < len(set(roles)):  # migrate made them; a flush empties them
        sync_roles()
    u = User.objects.create_user(username=username, password=PASSWORD, station=st, **extra)
    u.groups.set(Group.objects.filter(name__in=roles))
    return User.objects.get(pk=u.pk)  # fresh: no cached permissions


def assign(collector: User, *, comm: Community | None = None, bldg: Building | None = None) -> CollectorAssignment:
    target = bldg or comm
    return CollectorAssignment.objects.create(station_id=target.station_id, collector=collector, community=comm,
                                              building=bldg)


# --- billing ---------------------------------------------------------------------

BEIJING_SEASON = dict(name="2025-2026", start_date=dt.date(2025, 11, 15), end_date=dt.date(2026, 3, 15))


def season(*, name: str = "2025-2026", start: dt.date = dt.date(2025, 11, 15), end: dt.date = dt.date(2026, 3, 15),
           heating_days: int | None = None, prices: dict | None = None, standby: str = "0.30",
           late_start: dt.date | None = dt.date(2026, 1, 1), late_rate: str = "0.003", late_cap: str | None = None,
           precision: str = "round_jiao", tiers: list | None = None, current: bool = True,
           open_accounts: bool = True, status: str = "open"):
    """A season with Beijing-like settings (24 元/m² residential; metered 12 元/m² + 44.45 元/GJ;
    3 % / 2 % early discounts; 3‰ a day from 1 January) and, by default, every active
    customer's account opened and charged."""
    from core_billing.models import AdjustmentCategory, ChangeReason, DiscountTier, Season, Tariff
    from core_billing.services.billing import accounts_open

    if current:
        Season.objects.filter(is_current=True).update(is_current=False)
    s = Season.objects.create(
        name=name, start_date=start, end_date=end, heating_days=heating_days or (end - start).days + 1,
        standby_ratio=Decimal(standby), late_fee_start=late_start, late_fee_daily_rate=Decimal(late_rate),
        late_fee_cap_ratio=Decimal(late_cap) if late_cap else None, precision=precision, is_current=current,
        status=status)
    for code, price in (prices or {"residential": ("24", "12", "44.45")}).items():
        unit, base, heat = price if isinstance(price, tuple) else (price, "0", "0")
        names = {"residential": "居民", "commercial": "非居民"}
        Tariff.objects.create(season=s, customer_type=customer_type(code, names.get(code, code)),
                              unit_price=Decimal(unit), base_price=Decimal(base), heat_price=Decimal(heat))
    for until, rate in (tiers if tiers is not None else
                        [(dt.date(start.year, 9, 30), "0.03"), (dt.date(start.year, 10, 31), "0.02")]):
        DiscountTier.objects.create(season=s, until=until, rate=Decimal(rate))
    AdjustmentCategory.objects.create(season=s, code="dibao", name="低保减免", kind="waiver", formula="percent",
                                      value=Decimal("20"))
    AdjustmentCategory.objects.create(season=s, code="cold", name="室温不达标折让", kind="allowance",
                                      formula="per_m2", value=Decimal("2"))
    AdjustmentCategory.objects.create(season=s, code="hardship", name="困难户减免", kind="waiver", formula="fixed",
                                      value=Decimal("800"))
    ChangeReason.objects.create(season=s, code="away", name="外出不住", applies_to="heating")
    ChangeReason.objects.create(season=s, code="legacy", name="历史数据更正", applies_to="correction")
    if open_accounts:
        accounts_open(season=s, as_of=dt.date(2025, 11, 1))
    return s


def account(cust: Customer, s=None):
    from core_billing.models import SeasonAccount

    qs = SeasonAccount.objects.select_related("season", "customer")
    return qs.get(customer=cust, season=s) if s is not None else qs.get(customer=cust, season__is_current=True)
