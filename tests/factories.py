"""Small builders for test data; real rows in the real test database."""
from __future__ import annotations

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
    sync_roles()
    u = User.objects.create_user(username=username, password=PASSWORD, station=st, **extra)
    u.groups.set(Group.objects.filter(name__in=roles))
    return User.objects.get(pk=u.pk)  # fresh: no cached permissions


def assign(collector: User, *, comm: Community | None = None, bldg: Building | None = None) -> CollectorAssignment:
    target = bldg or comm
    return CollectorAssignment.objects.create(station_id=target.station_id, collector=collector, community=comm,
                                              building=bldg)
