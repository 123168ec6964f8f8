"""Balances, set-based (BIL-04, DESIGN "Money and the ledger").

Every season account carries the sums of its ledger rows and what it owes as
of a date; every customer carries its arrears across seasons.  The functions
here recompute them for any set of accounts with a fixed number of SQL
statements, whatever the set's size: one customer after a payment, or every
account of a season after a price change.

- `reprice` posts, for each account, the difference between what its inputs
  (price × area-days ÷ heating days, stand-by, metered) now cost and what the
  ledger has charged so far, as new ledger rows.
- `refresh` sets each account's money fields from its ledger rows, adds the
  late fee accrued as of a date, and refreshes the customers' arrears.

The fees are rounded in SQL exactly as `pricing.to_money` does: PostgreSQL's
numeric is exact (ROUND is half away from zero, TRUNC toward zero); SQLite has
no exact decimal type, so there the rounding runs in `nx_money`, a Python
function registered on each connection (see apps.py) that does the arithmetic
with `pricing`.  tests/core_billing/test_balances.py checks both against the
pure functions.

Values spliced into SQL are ints, Decimals and dates only (`lit`); the few
strings (reasons) are parameters.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from django.db import connection
from django.utils import timezone

from .. import pricing
from ..models import Season

SEASON = "core_billing_season"
ACCOUNT = "core_billing_seasonaccount"
LEDGER = "core_billing_ledgerentry"
CUSTOMER = "core_billing_customer"
TARIFF = "core_billing_tariff"

_SIX_PLACES = Decimal("0.000001")


# --- SQL pieces that differ by database ------------------------------------------

def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def lit(value) -> str:
    """A trusted literal: int, Decimal or date (never user text)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not SQL literals here")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite decimal")
        return format(value, "f")
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'" if is_postgres() else f"'{value.isoformat()}'"
    raise TypeError(f"{type(value).__name__} is not a trusted SQL literal")


def money_sql(precision: str, factors: list[str], divisor: str | None = None) -> str:
    """SQL for pricing.to_money(product of factors ÷ divisor, precision)."""
    _label, quantum, half_up = pricing.PRECISIONS[pricing.check_precision(precision)]
    if len(factors) > 3:
        raise ValueError("at most three factors")
    if is_postgres():
        places = 1 if quantum == Fraction(1, 10) else 0
        product = " * ".join(f"({f})" for f in factors)
        body = f"({product}) / {divisor}" if divisor else product
        return f"{'ROUND' if half_up else 'TRUNC'}({body}, {places})"
    args = [*factors, *["1"] * (3 - len(factors)), divisor or "1"]
    return f"nx_money('{precision}', {', '.join(args)})"


def days_since_sql(day: dt.date, column: str) -> str:
    """Whole days from `column` to `day`."""
    if is_postgres():
        return f"({lit(day)} - {column})"
    return f"CAST(julianday({lit(day)}) - julianday({column}) AS INTEGER)"


def _exact_arg(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        # SQLite hands stored decimals back as binary floats; every stored
        # quantity has at most six places, so this recovers it exactly.
        return Decimal(repr(value)).quantize(_SIX_PLACES)
    return Decimal(str(value))


def nx_money(precision, a, b, c, divisor):
    """SQLite's stand-in for exact numeric rounding (registered in apps.py)."""
    args = (_exact_arg(a), _exact_arg(b), _exact_arg(c))
    return float(pricing.money_of(args, _exact_arg(divisor), precision))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("nx_money", 5, nx_money, deterministic=True)


# --- which accounts -----------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """A set of season accounts, as a SQL condition on an alias."""

    season_id: int | None = None
    customer_type_id: int | None = None
    account_ids: tuple[int, ...] | None = None
    customer_ids: tuple[int, ...] | None = None
    metered_only: bool = False

    def sql(self, alias: str) -> str:
        parts = [f"{alias}.metering_mode = 'metered'"] if self.metered_only else []
        if self.season_id is not None:
            parts.append(f"{alias}.season_id = {lit(self.season_id)}")
        if self.customer_type_id is not None:
            parts.append(f"{alias}.customer_type_id = {lit(self.customer_type_id)}")
        if self.account_ids is not None:
            parts.append(_in(f"{alias}.id", self.account_ids))
        if self.customer_ids is not None:
            parts.append(_in(f"{alias}.customer_id", self.customer_ids))
        return " AND ".join(parts) or "1 = 1"

    def in_season(self, season_id: int) -> "Scope":
        return Scope(season_id=season_id, customer_type_id=self.customer_type_id, account_ids=self.account_ids,
                     customer_ids=self.customer_ids, metered_only=self.metered_only)


def _in(column: str, ids: Iterable[int]) -> str:
    ids = sorted({int(i) for i in ids})
    return f"{column} IN ({', '.join(map(str, ids))})" if ids else "1 = 0"


def accounts(*ids: int) -> Scope:
    return Scope(account_ids=tuple(ids))


def customers(ids: Iterable[int]) -> Scope:
    return Scope(customer_ids=tuple(ids))


def season_scope(season: Season, customer_type_id: int | None = None) -> Scope:
    return Scope(season_id=season.pk, customer_type_id=customer_type_id)


def _execute(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        if cur.rowcount < 0 and not is_postgres():
            # Python's sqlite3 reports no rowcount for a statement that starts with WITH
            cur.execute("SELECT changes()")
            return cur.fetchone()[0]
        return cur.rowcount


def _seasons_in(scope: Scope) -> list[Season]:
    if scope.season_id is not None:
        return [Season.objects.get(pk=scope.season_id)]
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT a.season_id FROM {ACCOUNT} a WHERE {scope.sql('a')}")
        ids = [row[0] for row in cur.fetchall()]
    return list(Season.objects.filter(pk__in=ids))


# --- locks ------------------------------------------------------------------------

def _lock_seasons(where: str, params: list, *, exclusive: bool) -> None:
    if not is_postgres():  # SQLite writers are serialised already
        return
    mode = "UPDATE" if exclusive else "SHARE"
    with connection.cursor() as cur:
        cur.execute(f"SELECT s.id FROM {SEASON} s WHERE {where} ORDER BY s.id FOR {mode}", params)


def lock_seasons_of(customer_id: int, season_id: int | None = None) -> None:
    """lock_seasons(exclusive=False) for the seasons a customer has accounts in (or one of them),
    without a round trip to find them first: what a payment holds while it posts."""
    which = "a.customer_id = %s" + (" AND a.season_id = %s" if season_id is not None else "")
    _lock_seasons(f"s.id IN (SELECT a.season_id FROM {ACCOUNT} a WHERE {which})",
                  [customer_id] + ([season_id] if season_id is not None else []), exclusive=False)


def lock_seasons(season_ids: Iterable[int], *, exclusive: bool) -> None:
    """Account-level writes hold their seasons shared, set-based refreshes
    exclusively: a price change never interleaves with a payment whose sums it
    is about to rewrite.  (SQLite writers are serialised already.)"""
    ids = sorted({int(i) for i in season_ids})
    if ids:
        _lock_seasons(_in("s.id", ids), [], exclusive=exclusive)


# --- fees from inputs ---------------------------------------------------------------

def _targets_sql(season: Season, scope: Scope, prices: dict | None = None) -> str:
    """SELECT of each account's fees as its inputs price them now.

    `prices` ({"unit_price", "base_price", "heat_price"}) stands in for the
    tariff row: the preview of a price change that is not saved yet."""
    mode = season.precision
    if prices:
        unit, base, heat = (lit(Decimal(prices[k])) for k in ("unit_price", "base_price", "heat_price"))
        join = ""
    else:
        unit, base, heat = "t.unit_price", "t.base_price", "t.heat_price"
        join = (f"LEFT JOIN {TARIFF} t ON t.season_id = a.season_id "
                f"AND t.customer_type_id = a.customer_type_id")
    price = f"COALESCE(CASE WHEN a.metering_mode = 'metered' THEN {base} ELSE {unit} END, 0)"
    days = lit(int(season.heating_days))
    heating = (f"CASE WHEN a.normal_area_days = 0 THEN 0 "
               f"ELSE {money_sql(mode, [price, 'a.normal_area_days'], days)} END")
    standby = (f"CASE WHEN a.stopped_area_days = 0 THEN 0 "
               f"ELSE {money_sql(mode, [price, lit(season.standby_ratio), 'a.stopped_area_days'], days)} END")
    metered = (f"CASE WHEN a.metering_mode = 'metered' THEN "
               f"{money_sql(mode, [f'COALESCE({heat}, 0)', 'a.heat_gj'])} ELSE 0 END")
    return (f"SELECT a.id, a.station_id, a.heating_fee, a.standby_fee, a.metered_fee, a.corrections, a.discount, "
            f"a.adjusted, a.paid, a.late_fee_charged, a.late_fee_through, "
            f"{heating} AS new_heating, {standby} AS new_standby, {metered} AS new_metered "
            f"FROM {ACCOUNT} a {join} WHERE {scope.in_season(season.pk).sql('a')}")


def preview_reprice(season: Season, scope: Scope, prices: dict | None = None) -> tuple[int, Decimal]:
    """(accounts whose fees would change, Σ of the change) — writes nothing."""
    sql = (f"SELECT COUNT(*), ROUND(COALESCE(SUM((x.new_heating - x.heating_fee) + (x.new_standby - x.standby_fee)"
           f" + (x.new_metered - x.metered_fee)), 0), 2) FROM ({_targets_sql(season, scope, prices)}) x "
           f"WHERE x.new_heating <> x.heating_fee OR x.new_standby <> x.standby_fee "
           f"OR x.new_metered <> x.metered_fee")
    with connection.cursor() as cur:
        cur.execute(sql)
        count, moved = cur.fetchone()
    return int(count or 0), pricing.round_fen(Decimal(str(moved or 0)))


def _id_or_null(value: int | None) -> str:
    # typed, or PostgreSQL reads a NULL in a UNION as text
    return lit(int(value)) if value else "CAST(NULL AS BIGINT)"


def reprice(season: Season, scope: Scope, *, actor_id: int | None, reason: str, value_date: dt.date,
            price_change_id: int | None = None, change_id: int | None = None) -> int:
    """Post the difference between each account's priced fees and its ledger.
    Returns the number of ledger rows written.  Call `refresh` afterwards."""
    now = timezone.now()
    targets = _targets_sql(season, scope)
    selects = []
    params: list = []
    for kind, new, old in (("heating", "new_heating", "heating_fee"), ("standby", "new_standby", "standby_fee"),
                           ("metered", "new_metered", "metered_fee")):
        selects.append(
            f"SELECT x.station_id, x.id, '{kind}', ROUND(x.{new} - x.{old}, 2), {lit(value_date)}, %s, "
            f"{_id_or_null(actor_id)}, {_id_or_null(price_change_id)}, {_id_or_null(change_id)}, %s "
            f"FROM x WHERE x.{new} <> x.{old}")
        params += [now, reason]
    sql = (f"WITH x AS MATERIALIZED ({targets}) INSERT INTO {LEDGER} (station_id, account_id, kind, amount, "
           f"value_date, posted_at, actor_id, price_change_id, change_id, reason) " + " UNION ALL ".join(selects))
    return _execute(sql, params)


# --- sums from the ledger ---------------------------------------------------------------

def _late_fee_sql(season: Season, as_of: dt.date, t: str) -> tuple[str, str | None]:
    """(accrued, room) as of `as_of` in terms of the ledger sums and
    late_fee_through in alias `t`: the late fee accrued since it was last
    charged, and what the cap still allows (None: no cap).
    Mirrors `accrued_late_fee` below."""
    start, rate = season.late_fee_start, season.late_fee_daily_rate
    if start is None or not rate or as_of < start:
        return "0", None
    from_start = pricing.day_count(start, as_of)
    days = (f"(CASE WHEN {t}.late_fee_through IS NOT NULL AND {t}.late_fee_through >= {lit(start)} "
            f"THEN {days_since_sql(as_of, f'{t}.late_fee_through')} ELSE {lit(from_start)} END)")
    net = f"({t}.charged - {t}.discount - {t}.adjusted)"
    principal = f"({net} - {t}.paid)"
    accrued = (f"(CASE WHEN {principal} > 0 AND {days} > 0 "
               f"THEN {money_sql(season.precision, [principal, lit(rate), days])} ELSE 0 END)")
    if season.late_fee_cap_ratio is None:
        return accrued, None
    return accrued, money_sql(season.precision, [f"({lit(season.late_fee_cap_ratio)} * {net} - {t}.late_fee_charged)"])


_SUMS = (
    ("heating_fee", "SUM(CASE WHEN e.kind = 'heating' THEN e.amount ELSE 0 END)"),
    ("standby_fee", "SUM(CASE WHEN e.kind = 'standby' THEN e.amount ELSE 0 END)"),
    ("metered_fee", "SUM(CASE WHEN e.kind = 'metered' THEN e.amount ELSE 0 END)"),
    ("corrections", "SUM(CASE WHEN e.kind = 'correction' THEN e.amount ELSE 0 END)"),
    ("late_fee_charged", "SUM(CASE WHEN e.kind = 'late_fee' THEN e.amount ELSE 0 END)"),
    ("discount", "-SUM(CASE WHEN e.kind = 'discount' THEN e.amount ELSE 0 END)"),
    ("adjusted", "-SUM(CASE WHEN e.kind IN ('waiver', 'allowance') THEN e.amount ELSE 0 END)"),
    ("paid", "-SUM(CASE WHEN e.kind = 'payment' THEN e.amount ELSE 0 END)"),
    ("due", "SUM(e.amount)"),
)


def _refresh_season_accounts(season: Season, scope: Scope, as_of: dt.date) -> int:
    """One UPDATE: every money field of the accounts from their ledger rows, and
    the late fee accrued as of `as_of` (each rounding evaluated once per row)."""
    scope = scope.in_season(season.pk)
    sums = ", ".join(f"ROUND({expr}, 2) AS {name}" for name, expr in _SUMS)
    ledger_sums = (f"SELECT e.account_id, {sums} FROM {LEDGER} e "
                   f"WHERE e.account_id IN (SELECT a2.id FROM {ACCOUNT} a2 WHERE {scope.sql('a2')}) "
                   f"GROUP BY e.account_id")
    with_charged = (f"SELECT s.*, ROUND(s.heating_fee + s.standby_fee + s.metered_fee + s.corrections, 2) "
                    f"AS charged, a3.late_fee_through FROM ({ledger_sums}) s "
                    f"JOIN {ACCOUNT} a3 ON a3.id = s.account_id")
    accrued, room = _late_fee_sql(season, as_of, "t")
    # MATERIALIZED: each rounding runs once per row (SQLite would otherwise
    # copy the expressions into every column that reads them)
    with_late = f"SELECT t.*, {accrued} AS accrued, {room or '0'} AS room FROM ({with_charged}) t"
    late = ("u.accrued" if room is None else
            "(CASE WHEN u.room < u.accrued THEN (CASE WHEN u.room > 0 THEN u.room ELSE 0 END) ELSE u.accrued END)")
    sets = ", ".join(f"{name} = v.{name}" for name, _expr in _SUMS)
    sql = (f"WITH u AS MATERIALIZED ({with_late}) "
           f"UPDATE {ACCOUNT} AS a SET {sets}, charged = v.charged, late_fee_pending = v.late, "
           f"owed = ROUND(v.due + v.late, 2), balance_as_of = {lit(as_of)} "
           f"FROM (SELECT u.*, {late} AS late FROM u) AS v WHERE a.id = v.account_id")
    return _execute(sql)


def refresh_repriced(season: Season, scope: Scope, as_of: dt.date | None = None) -> int:
    """Right after `reprice` in the same transaction: set the fees to what was just
    priced (the ledger now sums to exactly that) and recompute due, late fee and
    owed from the accounts' own sums, without re-reading their ledger rows: the
    fast path of a price change over a whole season.  Then refresh the customers."""
    as_of = as_of or timezone.localdate()
    scope = scope.in_season(season.pk)
    priced = (f"SELECT y.*, ROUND(y.new_heating + y.new_standby + y.new_metered + y.corrections, 2) AS charged "
              f"FROM ({_targets_sql(season, scope)}) y")
    accrued, room = _late_fee_sql(season, as_of, "t")
    with_late = f"SELECT t.*, {accrued} AS accrued, {room or '0'} AS room FROM ({priced}) t"
    late = ("u.accrued" if room is None else
            "(CASE WHEN u.room < u.accrued THEN (CASE WHEN u.room > 0 THEN u.room ELSE 0 END) ELSE u.accrued END)")
    due = "(v.charged + v.late_fee_charged - v.discount - v.adjusted - v.paid)"
    sql = (f"WITH u AS MATERIALIZED ({with_late}) "
           f"UPDATE {ACCOUNT} AS a SET heating_fee = v.new_heating, standby_fee = v.new_standby, "
           f"metered_fee = v.new_metered, charged = v.charged, due = ROUND({due}, 2), late_fee_pending = v.late, "
           f"owed = ROUND({due} + v.late, 2), balance_as_of = {lit(as_of)} "
           f"FROM (SELECT u.*, {late} AS late FROM u) AS v WHERE a.id = v.id")
    count = _execute(sql)
    refresh_customers(scope, as_of)
    return count


def refresh_customers(scope: Scope, as_of: dt.date) -> int:
    """Each customer touched by `scope`: due this season, late fee, total owed,
    old arrears (陈欠) and the number of seasons still owing (欠费年数)."""
    # the current season, as Season's default ordering picks it, inside the statement (no round trip of its own)
    current = f"COALESCE((SELECT cs.id FROM {SEASON} cs WHERE cs.is_current ORDER BY cs.start_date DESC LIMIT 1), 0)"
    owing = "a.owed > 0"
    sql = (f"UPDATE {CUSTOMER} AS c SET due_current = s.due_current, late_fee_total = s.late_fee_total, "
           f"arrears_total = s.arrears_total, old_arrears = s.old_arrears, arrears_seasons = s.arrears_seasons, "
           f"balance_as_of = {lit(as_of)} FROM ("
           f"SELECT a.customer_id, "
           f"ROUND(SUM(CASE WHEN a.season_id = {current} THEN a.due ELSE 0 END), 2) AS due_current, "
           f"ROUND(SUM(CASE WHEN {owing} THEN a.late_fee_charged + a.late_fee_pending ELSE 0 END), 2) "
           f"AS late_fee_total, "
           f"ROUND(SUM(CASE WHEN {owing} THEN a.owed ELSE 0 END), 2) AS arrears_total, "
           f"ROUND(SUM(CASE WHEN {owing} AND a.season_id <> {current} THEN a.owed ELSE 0 END), 2) "
           f"AS old_arrears, "
           f"SUM(CASE WHEN {owing} THEN 1 ELSE 0 END) AS arrears_seasons "
           f"FROM {ACCOUNT} a WHERE a.customer_id IN (SELECT a2.customer_id FROM {ACCOUNT} a2 "
           f"WHERE {scope.sql('a2')}) GROUP BY a.customer_id) AS s WHERE c.id = s.customer_id")
    return _execute(sql)


def refresh(scope: Scope, as_of: dt.date | None = None, seasons: Iterable[Season] | None = None) -> int:
    """Recompute the accounts in `scope` from the ledger, then their customers.  `seasons`: the
    seasons of those accounts, when the caller holds them (saves looking them up)."""
    as_of = as_of or timezone.localdate()
    count = 0
    for season in (_seasons_in(scope) if seasons is None else {s.pk: s for s in seasons}.values()):
        count += _refresh_season_accounts(season, scope, as_of)
    refresh_customers(scope, as_of)
    return count


def refresh_everything(as_of: dt.date | None = None) -> int:
    """The nightly job: late fees move with the calendar."""
    as_of = as_of or timezone.localdate()
    seasons = list(Season.objects.all())
    lock_seasons([s.pk for s in seasons], exclusive=True)
    count = sum(_refresh_season_accounts(season, Scope(), as_of) for season in seasons)
    refresh_customers(Scope(), as_of)
    return count


# --- the same rules in Python, for one account at payment time -----------------------

def principal_due(account) -> Decimal:
    """What late fees accrue on: fees less discounts, waivers and payments
    (payments settle the fees before the late fee)."""
    return account.charged - account.discount - account.adjusted - account.paid


def accrued_late_fee(account, season: Season, as_of: dt.date) -> Decimal:
    if season.late_fee_start is None or not season.late_fee_daily_rate:
        return pricing.ZERO
    days = pricing.late_fee_days(season.late_fee_start, as_of, account.late_fee_through)
    principal = principal_due(account)
    if principal <= 0 or days <= 0:
        return pricing.ZERO
    cap = None
    if season.late_fee_cap_ratio is not None:
        net = account.charged - account.discount - account.adjusted
        cap = Fraction(season.late_fee_cap_ratio) * Fraction(net) - Fraction(account.late_fee_charged)
    return pricing.late_fee(principal, season.late_fee_daily_rate, days, season.precision, cap=cap)
