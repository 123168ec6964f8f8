"""Demo data: three stations, their org tree, staff with the README's logins,
and N plausible households.  Upper apps add theirs through their own
`demo.seed(...)`, called by `manage.py seed_demo` after this one."""
from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from .audit import audit_bulk_create, audit_record
from .models import (Building, CollectorAssignment, Community, Customer, CustomerPhone, CustomerType,
                     ExchangeStation, Station, User)
from .models.org import HeatingStatus, MeteringMode
from .phones import classify_phones
from .roles import Role, sync_roles

DEMO_PASSWORD = "demo12345"
STATIONS = [("S1", "铁东供热站", "0412-5550001"), ("S2", "铁西供热站", "0412-5550002"), ("S3", "立山供热站", "0412-5550003")]
CUSTOMER_TYPES = [("residential", "居民", 1), ("commercial", "非居民", 2), ("low_income", "低保", 3),
                  ("institution", "单位", 4)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕淑珍凤兰丹玉梅国华春梅晓东文博子涵浩然欣怡宇轩思远雨桐"
COMMUNITY_WORDS = ["阳光", "幸福", "和平", "胜利", "钢城", "铁东", "新华", "建设", "园林", "湖南", "光明", "春华",
                   "秋实", "锦绣", "翠苑", "东方", "明珠", "友谊", "民生", "繁荣", "长安", "金色", "滨河", "花园"]
COMMUNITY_SUFFIX = ["花园", "小区", "家园", "新村", "雅居", "公寓", "苑"]
AUDITED = ["account_no", "name", "building", "unit", "room", "area", "heating_status", "mobile"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "176", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "198", "199"]


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.35 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def _phones(rng: random.Random) -> list[str]:
    roll = rng.random()
    mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    if roll < 0.82:
        return [mobile]
    if roll < 0.88:
        return [mobile, f"0412-{rng.randrange(2000000, 8999999)}"]
    if roll < 0.93:
        return [f"0412-{rng.randrange(2000000, 8999999)}"]  # landline only
    if roll < 0.96:
        return [f"1{rng.randrange(10**6):06d}"]  # typo: too short
    return []


def seed_reference() -> list[CustomerType]:
    types = []
    for code, name, order in CUSTOMER_TYPES:
        t, _ = CustomerType.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})
        types.append(t)
    return types


def _user(username: str, *, role: str, station: Station | None, full_name: str, mobile: str = "",
          superuser: bool = False) -> User:
    user = User(username=username, station=station, full_name=full_name, mobile=mobile,
                is_staff=superuser, is_superuser=superuser)
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def seed_org(*, customers: int = 2000, seed: int = 20261128, log=print) -> dict:
    if Station.objects.exists():
        log("Demo data already present; nothing to do.")
        return {"created": False}
    sync_roles()
    rng = random.Random(seed)
    types = seed_reference()
    type_weights = [86, 8, 4, 2]
    admin = _user("admin", role=Role.ADMINISTRATOR, station=None, full_name="系统管理员", superuser=True)
    _user("manager", role=Role.MANAGER, station=None, full_name="总经理")
    stations = []
    for k, (code, name, hotline) in enumerate(STATIONS, start=1):
        station = Station.objects.create(code=code, name=name, hotline=hotline, address=f"鞍山市{name[:2]}区")
        audit_record(actor=admin, action="station.create", obj=station, after={"code": code, "name": name},
                     reason="演示数据")
        stations.append(station)
        _user(f"service{k}", role=Role.CUSTOMER_SERVICE, station=station, full_name=f"客服{k}号")
        _user(f"supervisor{k}", role=Role.SUPERVISOR, station=station, full_name=f"收费主管{k}号")
        _user(f"dispatcher{k}", role=Role.DISPATCHER, station=station, full_name=f"派单员{k}号")
        _user(f"collector{k}", role=Role.COLLECTOR, station=station, full_name=f"收费员{k}号",
              mobile=f"+86139{k:04d}{k:04d}")
        _user(f"collector{k}b", role=Role.COLLECTOR, station=station, full_name=f"收费员{k}号乙",
              mobile=f"+86138{k:04d}{k:04d}")
        for e in (1, 2):
            ExchangeStation.objects.create(station=station, code=f"{code}-H{e}", name=f"{name[:2]}{e}号换热站")

    per_station = [customers // 3 + (1 if i < customers % 3 else 0) for i in range(3)]
    community_names = iter(rng.sample([w + s for w in COMMUNITY_WORDS for s in COMMUNITY_SUFFIX],
                                      len(COMMUNITY_WORDS) * len(COMMUNITY_SUFFIX)))
    account_seq = 0
    total = 0
    for k, (station, wanted) in enumerate(zip(stations, per_station), start=1):
        exchanges = list(station.exchange_stations.all())
        collectors = list(User.objects.filter(station=station).with_role(Role.COLLECTOR).order_by("username"))
        made = 0
        community_index = 0
        while made < wanted:
            community_name = next(community_names, None) or f"{station.name[:2]}第{community_index + 1}小区"
            community = Community.objects.create(station=station, name=community_name,
                                                 address=f"鞍山市{station.name[:2]}区{community_name}路{rng.randint(1, 300)}号")
            CollectorAssignment.objects.create(station=station, collector=collectors[community_index % len(collectors)],
                                               community=community)
            community_index += 1
            for b in range(1, rng.randint(6, 12) + 1):
                if made >= wanted:
                    break
                building = Building.objects.create(station=station, community=community, name=f"{b}号楼",
                                                   unit_count=rng.randint(2, 4), exchange_station=rng.choice(exchanges))
                batch: list[tuple[Customer, list]] = []
                for unit in building.unit_numbers:
                    for floor in range(1, 7):
                        for door in (1, 2):
                            if made >= wanted:
                                break
                            account_seq += 1
                            made += 1
                            infos, mobile, kind = classify_phones(_phones(rng))
                            roll = rng.random()
                            status = (HeatingStatus.NORMAL if roll < 0.9 else
                                      HeatingStatus.SUSPENDED if roll < 0.97 else HeatingStatus.FORCED_STOP)
                            customer = Customer(
                                station=station, building=building, unit=unit, room=f"{floor}0{door}",
                                account_no=f"{station.code[1]}{account_seq:07d}", name=_name(rng),
                                customer_type=rng.choices(types, weights=type_weights)[0],
                                area=Decimal(rng.randint(4500, 14000)) / 100, heating_status=status,
                                metering_mode=MeteringMode.METERED if rng.random() < 0.08 else MeteringMode.AREA,
                                mobile=mobile, contact_kind=kind)
                            batch.append((customer, infos))
                Customer.objects.bulk_create([c for c, _ in batch])
                CustomerPhone.objects.bulk_create([
                    CustomerPhone(customer=c, raw=i.raw, number=i.number, kind=i.kind,
                                  is_primary=bool(c.mobile) and i.number == c.mobile, position=n)
                    for c, infos in batch for n, i in enumerate(infos)])
                audit_bulk_create(actor=admin, action="customer.import", objs=[c for c, _ in batch],
                                  fields=AUDITED, reason="演示数据")
                total += len(batch)
        log(f"{station.name}: {made} households in {community_index} communities")
    return {"created": True, "stations": stations, "customers": total}


def seed(*, org: dict, log=print) -> None:
    """Billing demo data (seasons, prices, accounts, payments), after seed_org."""
    from .demo_billing import seed as seed_billing
    from .demo_pay import seed as seed_pay

    seed_billing(org=org, log=log)
    seed_pay(org=org, log=log)
