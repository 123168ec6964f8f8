"""Demo billing data, in bulk: the previous season (closed, some households left
in arrears) and the current one, with Anshan-like prices, accounts for every
household, and a realistic mix of early payers (with the discount), late payers
(with the late fee), instalments, unpaid accounts and a few waivers.

Seasons follow today's date (the current season is the one starting in the
autumn before today), so the demo looks the same whenever it is loaded.
Accounts open and are charged set-based (services/balances.py); payments are
computed with the same pricing functions as the payment service and inserted
with bulk_create, then every balance is refreshed in one pass.  200,000
households load in well under a minute on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from . import pricing
from .audit import audit_record
from .models import (Adjustment, AdjustmentCategory, ChangeReason, CustomerType, DiscountTier, LedgerEntry, Receipt,
                     Season, SeasonAccount, Tariff, User)
from .selectors.season_settings import season_settings_changed
from .services import balances
from .services.billing import accounts_open, season_close, season_create
from .services.ledger import receipt_number

# Anshan-like prices (元/m²; metered: base 元/m² + 元/GJ)
TARIFFS = {"residential": ("26.00", "10.40", "42.00"), "commercial": ("38.00", "15.20", "58.00"),
           "low_income": ("26.00", "10.40", "42.00"), "institution": ("35.00", "14.00", "52.00")}
CATEGORIES = [("dibao", "低保减免", "waiver", "percent", "20"), ("cold", "室温不达标折让", "allowance", "per_m2", "2"),
              ("hardship", "特困户减免", "waiver", "fixed", "600"), ("elderly", "孤寡老人减免", "waiver", "percent", "50")]
REASONS = [("away", "外出不住", "heating"), ("vacant", "房屋空置", "heating"), ("repair", "管网检修", "heating"),
           ("measure", "实测面积更正", "heating"), ("legacy", "历史数据更正", "correction"),
           ("import", "导入数据错误", "correction"), ("wrong", "收错户", "reversal"), ("bounced", "银行退票", "reversal")]
METHODS = [("cash", 50), ("card", 20), ("bank_transfer", 10), ("online", 20)]
CHUNK = 20000


def current_start_year(today: dt.date) -> int:
    return today.year if today.month >= 7 else today.year - 1


def _season(actor, year: int, *, current: bool) -> Season:
    season = season_create(
        actor=actor, name=f"{year}-{year + 1}", start_date=dt.date(year, 11, 1), end_date=dt.date(year + 1, 3, 31),
        standby_ratio="0.30", late_fee_start=dt.date(year + 1, 1, 1), late_fee_daily_rate="0.0005",
        late_fee_cap_ratio="1", precision="round_jiao", make_current=current, reason="演示数据")
    types = {t.code: t for t in CustomerType.objects.all()}
    Tariff.objects.bulk_create([Tariff(season=season, customer_type=types[code], unit_price=Decimal(u),
                                       base_price=Decimal(b), heat_price=Decimal(h))
                                for code, (u, b, h) in TARIFFS.items() if code in types])
    DiscountTier.objects.bulk_create([DiscountTier(season=season, until=dt.date(year, 9, 30), rate=Decimal("0.03")),
                                      DiscountTier(season=season, until=dt.date(year, 10, 31), rate=Decimal("0.02"))])
    season_settings_changed()  # bulk_create sends no post_save
    AdjustmentCategory.objects.bulk_create([
        AdjustmentCategory(season=season, code=c, name=n, kind=k, formula=f, value=Decimal(v))
        for c, n, k, f, v in CATEGORIES])
    ChangeReason.objects.bulk_create([ChangeReason(season=season, code=c, name=n, applies_to=a)
                                      for c, n, a in REASONS])
    return season


def _meter_readings(season: Season) -> None:
    """Metered households used 0.25–0.44 GJ per m² over the season."""
    with connection.cursor() as cur:
        # (id * 7) mod 20, spelled with integer division: '%' means a placeholder to psycopg
        cur.execute("UPDATE core_billing_seasonaccount SET heat_gj = ROUND(area * (25 + (id * 7) - 20 * ((id * 7) / 20))"
                    " / 100.0, 3) WHERE season_id = %s AND metering_mode = 'metered'", [season.pk])
    scope = balances.Scope(season_id=season.pk, metered_only=True)
    balances.reprice(season, scope, actor_id=None, reason="热量表读数（演示数据）", value_date=season.end_date)


def _noon(day: dt.date) -> dt.datetime:
    """Mid-morning of `day`, or now for today's payments seeded before then (a receipt never lies ahead)."""
    return min(timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30))), timezone.now())


def _pick_day(rng: random.Random, first: dt.date, last: dt.date, today: dt.date) -> dt.date | None:
    last = min(last, today)
    if last < first:
        return None
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


RECEIPT_COLUMNS = ("id", "station_id", "customer_id", "number", "method", "amount", "paid_on", "received_at",
                   "actor_id", "collector_id", "provider", "provider_txn_id", "note")
ENTRY_COLUMNS = ("id", "station_id", "account_id", "kind", "amount", "value_date", "posted_at", "actor_id",
                 "receipt_id", "category_id", "for_entry_id", "reason", "detail")
ADJUSTMENT_COLUMNS = ("id", "station_id", "account_id", "category_id", "amount", "detail", "reason", "status",
                      "requested_by_id", "requested_at", "decided_at", "decision_note", "entry_id")


def _next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Bulk insert plain tuples: COPY on PostgreSQL, executemany on SQLite (no model
    instances: the demo writes a million rows)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    def sqlite_value(v):
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dt.datetime):  # stored as naive UTC, as Django does
            return v.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")
        if isinstance(v, dt.date):
            return v.isoformat()
        return v
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                        [tuple(sqlite_value(v) for v in row) for row in rows])


class Generator:
    """Builds one season's adjustments, receipts and ledger rows as tuples, chunk by chunk."""

    def __init__(self, season: Season, rng: random.Random, today: dt.date, closed: bool):
        self.season, self.rng, self.today, self.closed = season, rng, today, closed
        y = season.start_date.year
        self.tiers = [pricing.Tier(t.until, t.rate) for t in season.discount_tiers.all()]
        self.categories = {c.code: c for c in season.adjustment_categories.all()}
        self.windows = {"sep": (dt.date(y, 9, 1), dt.date(y, 9, 30)), "oct": (dt.date(y, 10, 1), dt.date(y, 10, 31)),
                        "winter": (dt.date(y, 11, 1), dt.date(y, 12, 31)),
                        "late": (dt.date(y + 1, 1, 2), dt.date(y + 1, 3, 31))}
        # previous season: most paid; current season: paying as the winter goes on
        self.plan = ([("sep", .28), ("oct", .15), ("winter", .30), ("late", .09), ("instalments", .08)] if closed else
                     [("sep", .24), ("oct", .14), ("winter", .20), ("late", .06), ("instalments", .10)])
        self.counts = defaultdict(int)
        self.receipt_id = _next_id(Receipt)
        self.entry_id = _next_id(LedgerEntry)
        self.adjustment_id = _next_id(Adjustment)
        self.methods = [m for m, _w in METHODS]
        self.weights = [w for _m, w in METHODS]
        self.reset()

    def reset(self) -> None:
        self.receipts: list[tuple] = []
        self.entries: list[tuple] = []
        self.adjustments: list[tuple] = []
        self.through: dict[int, dt.date] = {}

    def _entry(self, row, kind, amount, day, actor_id, receipt_id=None, category_id=None, for_entry=None,
               reason="", detail=None) -> int:
        entry_id = self.entry_id
        self.entry_id += 1
        self.entries.append((entry_id, row.station_id, row.id, kind, amount, day, _noon(day), actor_id, receipt_id,
                             category_id, for_entry, reason, json.dumps(detail) if detail is not None else None))
        return entry_id

    def account(self, row) -> None:
        """One account: maybe a waiver, then its payments, as the services would post them."""
        rng, season = self.rng, self.season
        acc = SimpleNamespace(charged=row.charged, discount=Decimal(0), adjusted=Decimal(0), paid=Decimal(0),
                              late_fee_charged=Decimal(0), late_fee_through=None)
        category = None
        if row.type_code == "low_income":
            category = self.categories["dibao"]
        elif rng.random() < 0.004:
            category = self.categories["elderly"]
        elif not self.closed and rng.random() < 0.01:
            category = self.categories["cold"]
        if category is not None:
            amount = pricing.adjustment_amount(category.formula, category.value, base=row.charged, area=row.area,
                                               precision=season.precision)
            if 0 < amount <= row.charged:
                detail = {"formula": category.formula, "value": str(category.value), "base": str(row.charged),
                          "area": str(row.area)}
                entry = self._entry(row, category.kind, -amount, season.start_date, row.collector_id,
                                    category_id=category.pk, reason="演示数据", detail=detail)
                at = _noon(season.start_date)
                self.adjustments.append((self.adjustment_id, row.station_id, row.id, category.pk, amount,
                                         json.dumps(detail), "演示数据", "approved",
                                         row.collector_id or self.admin_id, at, at, "", entry))
                self.adjustment_id += 1
                acc.adjusted = amount
                self.counts["adjustments"] += 1
        roll, kind = rng.random(), None
        for name, share in self.plan:
            roll -= share
            if roll < 0:
                kind = name
                break
        if kind is None:
            self.counts["unpaid"] += 1
            return
        if kind == "instalments":
            first, last = self.windows["winter"]
            share = Decimal(rng.randint(25, 80)) / 100
            total = pricing.round_fen((acc.charged - acc.adjusted) * share)
            parts = pricing.split_evenly(total, rng.choice([1, 2, 3]))
            days = sorted(d for d in (_pick_day(rng, first, last, self.today) for _p in parts) if d)
            for day, part in zip(days, parts):
                if part > 0:
                    self._pay(row, acc, day, part, False)
            self.counts["instalments" if days else "unpaid"] += 1
            return
        day = _pick_day(rng, *self.windows[kind], self.today)
        if day is None:
            self.counts["unpaid"] += 1
            return
        self._pay(row, acc, day, None, True)
        self.counts["paid in full"] += 1

    def _pay(self, row, acc, day, amount, settle) -> None:
        season = self.season
        disc = pricing.ZERO
        if settle:
            rate = pricing.discount_rate(self.tiers, day)
            disc = pricing.discount(rate, row.heating_fee + row.metered_fee, season.precision) if rate else disc
            acc.discount += disc
        late = balances.accrued_late_fee(acc, season, day)
        if settle:
            amount = acc.charged - acc.discount - acc.adjusted - acc.paid + acc.late_fee_charged + late
        if amount <= 0:
            return
        method = self.rng.choices(self.methods, weights=self.weights)[0]
        online = method == "online"
        actor = None if online else row.collector_id
        receipt_id = self.receipt_id
        self.receipt_id += 1
        number = receipt_number(row.station_code, day, receipt_id)
        self.receipts.append((receipt_id, row.station_id, row.customer_id, number, method, amount, day, _noon(day),
                              actor, actor, "simulator" if online else "",
                              f"DEMO{season.pk}-{receipt_id:09d}" if online else "", ""))
        payment = self._entry(row, "payment", -amount, day, actor, receipt_id, reason=f"收据 {number}")
        if late > 0:
            self._entry(row, "late_fee", late, day, actor, receipt_id, for_entry=payment, reason=f"滞纳金计至 {day}")
        if disc > 0:
            self._entry(row, "discount", -disc, day, actor, receipt_id, for_entry=payment, reason="预交优惠")
        acc.paid += amount
        acc.late_fee_charged += late
        self.counts["receipts"] += 1
        if season.late_fee_start and day >= season.late_fee_start:
            acc.late_fee_through = day
            self.through[row.id] = day

    def flush(self) -> None:
        insert_rows("core_billing_receipt", RECEIPT_COLUMNS, self.receipts)
        insert_rows("core_billing_ledgerentry", ENTRY_COLUMNS, self.entries)
        insert_rows("core_billing_adjustment", ADJUSTMENT_COLUMNS, self.adjustments)
        by_day = defaultdict(list)
        for account_id, day in self.through.items():
            by_day[day].append(account_id)
        for day, ids in by_day.items():
            for i in range(0, len(ids), 900):
                SeasonAccount.objects.filter(pk__in=ids[i:i + 900]).update(late_fee_through=day)
        self.reset()


def _rows(season: Season):
    """Each account with the fees its ledger charged so far (read from the ledger:
    the accounts' own sums are refreshed once, after everything is posted)."""
    from django.db.models import Q, Sum

    station_codes = dict(season.accounts.values_list("station_id", "station__code").distinct())
    fees = {kind: Sum("entries__amount", filter=Q(entries__kind=kind)) for kind in ("heating", "standby", "metered")}
    qs = (SeasonAccount.objects.filter(season=season).order_by("id").annotate(**{f"f_{k}": v for k, v in fees.items()})
          .values_list("id", "customer_id", "station_id", "collector_id", "customer_type__code", "area",
                       "f_heating", "f_standby", "f_metered"))
    for values in qs.iterator(chunk_size=5000):
        (id_, customer_id, station_id, collector_id, code, area, heating, standby, metered) = values
        heating, standby, metered = (pricing.round_fen(v or 0) for v in (heating, standby, metered))
        yield SimpleNamespace(id=id_, customer_id=customer_id, station_id=station_id, collector_id=collector_id,
                              type_code=code, area=area, heating_fee=heating, standby_fee=standby,
                              metered_fee=metered, charged=heating + standby + metered,
                              station_code=station_codes[station_id])


def seed_season_activity(season: Season, *, rng: random.Random, today: dt.date, closed: bool, admin) -> dict:
    gen = Generator(season, rng, today, closed)
    gen.admin_id = admin.pk
    for n, row in enumerate(_rows(season), start=1):
        gen.account(row)
        if n % CHUNK == 0:
            gen.flush()
    gen.flush()
    with connection.cursor() as cur:  # ids were assigned here; the sequences move past them
        for sql in connection.ops.sequence_reset_sql(no_style(), [Receipt, LedgerEntry, Adjustment]):
            cur.execute(sql)
    return dict(gen.counts)


def seed(*, org: dict, log=print) -> None:
    if not org.get("created"):
        return
    admin = User.objects.get(username="admin")
    started = time.monotonic()
    today = timezone.localdate()
    year = current_start_year(today)
    rng = random.Random(20261128)
    with transaction.atomic():
        previous = _season(admin, year - 1, current=False)
        current = _season(admin, year, current=True)
        for season, closed in ((previous, True), (current, False)):
            opened = accounts_open(season=season, actor=admin, as_of=today, refresh=False)
            _meter_readings(season)
            counts = seed_season_activity(season, rng=rng, today=today, closed=closed, admin=admin)
            audit_record(actor=admin, action="season.demo_activity", obj=season, after={"accounts": opened, **counts},
                         reason="演示数据")
            log(f"{season.name}: {opened} accounts, " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                + f" ({time.monotonic() - started:.1f}s)")
        balances.refresh_everything(today)
        season_close(actor=admin, season=Season.objects.get(pk=previous.pk), reason="演示数据：上一供暖年度结账")
        log(f"balances refreshed ({time.monotonic() - started:.1f}s)")
    log(f"billing demo data committed in {time.monotonic() - started:.1f}s")
