"""Pricing: pure functions of explicit inputs, no database (BIL-02/03/05/06/07/08).

Every amount is computed exactly (Decimal inputs, `Fraction` in between) and
rounded once, by `to_money`, with the season's precision mode:

    drop_fen    舍分        truncate to jiao (0.1 元)
    drop_jiao   舍角        truncate to yuan (1 元)
    round_jiao  四舍五入到角  half-up to jiao
    round_yuan  四舍五入到元  half-up to yuan

Truncation goes toward zero and half-up away from zero, like Decimal's
ROUND_DOWN / ROUND_HALF_UP, so a reversal (the negated amount) rounds to the
negated result.  Results are Decimals with two places (fen), as stored.

The fee calculator's rules (issue 3, point 9) are `quote()`; the ledger posts
charges with the same functions, so both agree for the same inputs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

ZERO = Decimal("0.00")
FEN = Decimal("0.01")

DROP_FEN, DROP_JIAO, ROUND_JIAO, ROUND_YUAN = "drop_fen", "drop_jiao", "round_jiao", "round_yuan"
PRECISIONS = {
    DROP_FEN: ("舍分", Fraction(1, 10), False),
    DROP_JIAO: ("舍角", Fraction(1), False),
    ROUND_JIAO: ("四舍五入到角", Fraction(1, 10), True),
    ROUND_YUAN: ("四舍五入到元", Fraction(1), True),
}

NORMAL, SUSPENDED, FORCED_STOP = "normal", "suspended", "forced_stop"
STATUSES = (NORMAL, SUSPENDED, FORCED_STOP)
STOPPED = (SUSPENDED, FORCED_STOP)

AREA, METERED = "area", "metered"

FIXED, PERCENT, PER_M2 = "fixed", "percent", "per_m2"
FORMULAS = (FIXED, PERCENT, PER_M2)


class PricingError(ValueError):
    """Bad pricing input; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


Number = Decimal | Fraction | int


def exact(value: Number | str) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal) and not value.is_finite():
        raise PricingError("金额必须是有限的数。")
    return Fraction(value)


def _ratio(value: Number | str) -> tuple[int, int]:
    """(numerator, denominator) of an exact value, without building a Fraction."""
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PricingError("金额必须是有限的数。")
        return value.as_integer_ratio()
    raise TypeError(f"not an exact number: {value!r}")


def fen(value: Fraction) -> Decimal:
    """A Fraction known to be a whole number of fen, as a two-place Decimal."""
    scaled = value * 100
    if scaled.denominator != 1:
        raise ValueError(f"{value} is not a whole number of fen")
    return (Decimal(scaled.numerator) / 100).quantize(FEN)


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise PricingError(f"未知的金额精度“{precision}”，可选：{', '.join(PRECISIONS)}。", "precision")
    return precision


def _round_parts(num: int, den: int, quantum: Fraction, half_up: bool) -> Decimal:
    """num/den rounded to a multiple of `quantum`, in integer arithmetic (exact)."""
    num, den = num * quantum.denominator, den * quantum.numerator  # in quanta
    if den < 0:
        num, den = -num, -den
    sign = -1 if num < 0 else 1
    whole, rest = divmod(abs(num), den)
    if half_up and 2 * rest >= den:
        whole += 1
    cents = sign * whole * quantum.numerator * 100 // quantum.denominator
    return Decimal(cents).scaleb(-2)


def _round(value: Number | str, quantum: Fraction, half_up: bool) -> Decimal:
    num, den = _ratio(value)
    return _round_parts(num, den, quantum, half_up)


def to_money(value: Number | str, precision: str) -> Decimal:
    """Round an exact amount by the precision mode (the one place charges are rounded)."""
    _label, quantum, half_up = PRECISIONS[check_precision(precision)]
    return _round(value, quantum, half_up)


def money_of(factors: Iterable[Number | str], divisor: Number | str, precision: str) -> Decimal:
    """to_money(product of factors ÷ divisor) without intermediate Fractions: the
    hot path when a database refresh prices every row in Python (SQLite)."""
    _label, quantum, half_up = PRECISIONS[check_precision(precision)]
    num, den = _ratio(divisor)
    num, den = den, num
    for factor in factors:
        n, d = _ratio(factor)
        num *= n
        den *= d
    if den == 0:
        raise PricingError("除数不能为 0。")
    return _round_parts(num, den, quantum, half_up)


def round_fen(value: Number | str) -> Decimal:
    """Half-up to the fen, for values that are money already but came through arithmetic."""
    return _round(value, Fraction(1, 100), True)


# --- days and periods ------------------------------------------------------------

def day_count(start: dt.date, end: dt.date) -> int:
    """Days from start to end, both included (0 when end is before start)."""
    return max(0, (end - start).days + 1)


@dataclass(frozen=True)
class Period:
    """A stretch of the season in one heating status; both dates included."""

    status: str
    start: dt.date
    end: dt.date


def check_periods(season_start: dt.date, season_end: dt.date, periods: Sequence[Period]) -> list[Period]:
    if season_end < season_start:
        raise PricingError("供暖年度结束日期早于开始日期。", "season_end")
    ordered = sorted(periods, key=lambda p: p.start)
    for n, p in enumerate(ordered):
        if p.status not in STATUSES:
            raise PricingError(f"未知的供热状态“{p.status}”。", "periods")
        if p.end < p.start:
            raise PricingError(f"时段 {p.start}～{p.end} 的结束日期早于开始日期。", "periods")
        if p.start < season_start or p.end > season_end:
            raise PricingError(f"时段 {p.start}～{p.end} 超出供暖年度 {season_start}～{season_end}。", "periods")
        if n and p.start <= ordered[n - 1].end:
            raise PricingError(f"时段 {ordered[n - 1].start}～{ordered[n - 1].end} 与 {p.start}～{p.end} 重叠。",
                               "periods")
    return ordered


def status_days(season_start: dt.date, season_end: dt.date, periods: Sequence[Period]) -> dict[str, int]:
    """Days per status; days no period covers are normal."""
    days = {s: 0 for s in STATUSES}
    covered = 0
    for p in check_periods(season_start, season_end, periods):
        n = day_count(p.start, p.end)
        days[p.status] += n
        covered += n
    days[NORMAL] += day_count(season_start, season_end) - covered
    return days


@dataclass(frozen=True)
class Change:
    """From `effective` on (inclusive) the status and/or area become these."""

    effective: dt.date
    status: str | None = None
    area: Decimal | None = None


@dataclass(frozen=True)
class Segment:
    start: dt.date
    end: dt.date
    area: Decimal
    status: str

    @property
    def days(self) -> int:
        return day_count(self.start, self.end)


def timeline(season_start: dt.date, season_end: dt.date, area: Decimal, status: str,
             changes: Iterable[Change]) -> list[Segment]:
    """The season cut into segments of constant area and status.

    `changes` apply in effective-date order (ties in the order given), each
    from its date to the next change or the season's end."""
    if status not in STATUSES:
        raise PricingError(f"未知的供热状态“{status}”。", "heating_status")
    ordered = sorted(enumerate(changes), key=lambda pair: (pair[1].effective, pair[0]))
    segments: list[Segment] = []
    cursor = season_start
    for _n, change in ordered:
        if not season_start <= change.effective <= season_end:
            raise PricingError(f"生效日期 {change.effective} 不在供暖年度 {season_start}～{season_end} 内。",
                               "effective_date")
        if change.status is not None and change.status not in STATUSES:
            raise PricingError(f"未知的供热状态“{change.status}”。", "heating_status")
        if change.area is not None and change.area <= 0:
            raise PricingError("面积必须是正数。", "area")
        if change.effective > cursor:
            segments.append(Segment(cursor, change.effective - dt.timedelta(days=1), area, status))
            cursor = change.effective
        status = change.status if change.status is not None else status
        area = change.area if change.area is not None else area
    segments.append(Segment(cursor, season_end, area, status))
    return segments


def state_on(segments: Sequence[Segment], day: dt.date) -> Segment:
    for seg in segments:
        if seg.start <= day <= seg.end:
            return seg
    return segments[-1] if day > segments[-1].end else segments[0]


def area_days(segments: Iterable[Segment]) -> tuple[Decimal, Decimal]:
    """(normal, stopped) area × days: what proration multiplies by price ÷ heating days."""
    normal = stopped = Decimal(0)
    for seg in segments:
        if seg.status == NORMAL:
            normal += seg.area * seg.days
        else:
            stopped += seg.area * seg.days
    return normal, stopped


# --- fees -------------------------------------------------------------------------

def heating_fee(price: Number, normal_area_days: Number, heating_days: int, precision: str) -> Decimal:
    """daily (= area × price ÷ heating days, unrounded) × normal days, rounded once."""
    if heating_days <= 0:
        raise PricingError("法定供热天数必须大于 0。", "heating_days")
    return money_of((price, normal_area_days), heating_days, precision)


def standby_fee(price: Number, ratio: Number, stopped_area_days: Number, heating_days: int,
                precision: str) -> Decimal:
    """daily × stand-by ratio × days suspended or force-stopped, rounded once."""
    if heating_days <= 0:
        raise PricingError("法定供热天数必须大于 0。", "heating_days")
    return money_of((price, ratio, stopped_area_days), heating_days, precision)


def metered_fee(heat_gj: Number, heat_price: Number, precision: str) -> Decimal:
    """Consumption part of two-part metered billing: not prorated."""
    return money_of((heat_gj, heat_price), 1, precision)


@dataclass(frozen=True)
class Tier:
    until: dt.date
    rate: Decimal


def discount_rate(tiers: Iterable[Tier], payment_date: dt.date) -> Decimal:
    """The rate of the first tier (in date order) whose `until` is on or after the payment date."""
    for tier in sorted(tiers, key=lambda t: t.until):
        if tier.until >= payment_date:
            return tier.rate
    return Decimal(0)


def discount(rate: Number, base: Number, precision: str) -> Decimal:
    return money_of((rate, base), 1, precision)


def late_fee_days(late_fee_start: dt.date | None, until: dt.date, accrued_through: dt.date | None = None) -> int:
    """Days a late fee accrues: from its start (or the day after what was already
    charged) to `until`, both included; 0 before the start."""
    if late_fee_start is None:
        return 0
    first = late_fee_start
    if accrued_through is not None and accrued_through >= first:
        first = accrued_through + dt.timedelta(days=1)
    return day_count(first, until)


def late_fee(principal: Number, daily_rate: Number, days: int, precision: str, *,
             cap: Number | None = None) -> Decimal:
    """principal × daily rate × days, rounded once; never more than `cap` (what
    may still be charged), never negative."""
    if exact(principal) <= 0 or days <= 0:
        amount = ZERO
    else:
        amount = money_of((principal, daily_rate, days), 1, precision)
    if cap is not None:
        amount = min(amount, max(to_money(exact(cap), precision), ZERO))
    return max(amount, ZERO)


def adjustment_amount(formula: str, value: Number, *, base: Number, area: Number, precision: str) -> Decimal:
    """Waiver / allowance formulas: fixed amount, percentage of the season's charges, per m²."""
    if formula == FIXED:
        raw = exact(value)
    elif formula == PERCENT:
        raw = exact(value) * exact(base) / 100
    elif formula == PER_M2:
        raw = exact(value) * exact(area)
    else:
        raise PricingError(f"未知的公式“{formula}”。", "formula")
    return to_money(raw, precision)


# --- splitting ------------------------------------------------------------------

def split(total: Decimal, weights: Sequence[Number], quantum: Decimal = FEN) -> list[Decimal]:
    """Share `total` by `weights` in whole quanta; the parts always sum to `total`
    exactly (largest remainders get the leftover quanta, earlier parts first on ties)."""
    if not weights:
        raise ValueError("nothing to split into")
    q = exact(quantum)
    units = exact(total) / q
    if units.denominator != 1:
        raise ValueError(f"{total} is not a whole number of {quantum}")
    units_int = units.numerator
    ws = [exact(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError("weights must not be negative")
    wsum = sum(ws)
    if wsum == 0:
        ws, wsum = [Fraction(1)] * len(ws), Fraction(len(ws))
    sign = -1 if units_int < 0 else 1
    ideal = [abs(units_int) * w / wsum for w in ws]
    floors = [i.numerator // i.denominator for i in ideal]
    left = abs(units_int) - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(ideal[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [fen(sign * n * q) for n in floors]


def split_evenly(total: Decimal, parts: int, quantum: Decimal = FEN) -> list[Decimal]:
    """Instalments: `parts` amounts as equal as the quantum allows, summing to `total`."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    return split(total, [1] * parts, quantum)


# --- the fee calculator ---------------------------------------------------------

@dataclass
class QuoteInput:
    area: Decimal
    season_start: dt.date
    season_end: dt.date
    payment_date: dt.date
    metering: str = AREA
    unit_price: Decimal | None = None
    base_price: Decimal | None = None
    heat_price: Decimal | None = None
    heat_gj: Decimal = Decimal(0)
    heating_days: int | None = None
    periods: list[Period] = field(default_factory=list)
    standby_ratio: Decimal = Decimal(0)
    discount_tiers: list[Tier] = field(default_factory=list)
    late_fee_start: dt.date | None = None
    late_fee_daily_rate: Decimal = Decimal(0)
    precision: str = ROUND_JIAO


@dataclass
class QuoteLine:
    code: str
    label: str
    formula: str
    amount: Decimal


@dataclass
class Quote:
    heating_fee: Decimal
    standby_fee: Decimal
    metered_fee: Decimal
    discount: Decimal
    late_fee: Decimal
    total: Decimal
    days: dict[str, int]
    heating_days: int
    discount_rate: Decimal
    late_fee_days: int
    lines: list[QuoteLine]


def _nonnegative(value: Decimal | None, name: str, label: str, *, required: bool = False) -> Decimal:
    if value is None:
        if required:
            raise PricingError(f"缺少{label}。", name)
        return Decimal(0)
    if not value.is_finite() or value < 0:
        raise PricingError(f"{label}不能为负数。", name)
    return value


def _rate(value: Decimal, name: str, label: str) -> Decimal:
    if not value.is_finite() or not 0 <= value <= 1:
        raise PricingError(f"{label}须在 0 到 1 之间。", name)
    return value


def check_quote_input(q: QuoteInput) -> None:
    if not q.area.is_finite() or q.area <= 0:
        raise PricingError("面积必须是正数。", "area")
    check_precision(q.precision)
    if q.metering == AREA:
        _nonnegative(q.unit_price, "unit_price", "单价", required=True)
    elif q.metering == METERED:
        _nonnegative(q.base_price, "base_price", "基础热价", required=True)
        _nonnegative(q.heat_price, "heat_price", "计量热价", required=True)
        _nonnegative(q.heat_gj, "heat_gj", "用热量")
    else:
        raise PricingError(f"未知的计费方式“{q.metering}”，可选：area、metered。", "metering")
    if q.heating_days is not None and q.heating_days <= 0:
        raise PricingError("法定供热天数必须大于 0。", "heating_days")
    _rate(q.standby_ratio, "standby_ratio", "停热基费比例")
    for tier in q.discount_tiers:
        _rate(tier.rate, "discount_tiers", "优惠率")
    _nonnegative(q.late_fee_daily_rate, "late_fee_daily_rate", "滞纳金日费率")
    check_periods(q.season_start, q.season_end, q.periods)


def quote(q: QuoteInput) -> Quote:
    """What a customer pays if paying on `payment_date` (issue 3, point 9)."""
    check_quote_input(q)
    heating_days = q.heating_days or day_count(q.season_start, q.season_end)
    days = status_days(q.season_start, q.season_end, q.periods)
    stopped = days[SUSPENDED] + days[FORCED_STOP]
    price = q.unit_price if q.metering == AREA else q.base_price
    mode = q.precision
    heating = heating_fee(price, q.area * days[NORMAL], heating_days, mode)
    standby = standby_fee(price, q.standby_ratio, q.area * stopped, heating_days, mode)
    metered = metered_fee(q.heat_gj, q.heat_price, mode) if q.metering == METERED else ZERO
    rate = discount_rate(q.discount_tiers, q.payment_date)
    disc = discount(rate, heating + metered, mode)
    late_days = late_fee_days(q.late_fee_start, q.payment_date)
    principal = heating + standby + metered - disc
    late = late_fee(principal, q.late_fee_daily_rate, late_days, mode)
    total = heating + standby + metered - disc + late
    full = q.area * price
    label = PRECISIONS[mode][0]
    lines = [
        QuoteLine("heating_fee", "采暖费",
                  f"{q.area} m² × {price} 元/m² ÷ {heating_days} 天 × {days[NORMAL]} 天正常供热（{label}）", heating),
        QuoteLine("standby_fee", "停热基费",
                  f"{full} 元 ÷ {heating_days} 天 × {q.standby_ratio} × {stopped} 天停热"
                  f"（报停 {days[SUSPENDED]} 天，强停 {days[FORCED_STOP]} 天）", standby),
    ]
    if q.metering == METERED:
        lines.append(QuoteLine("metered_fee", "计量热费", f"{q.heat_gj} GJ × {q.heat_price} 元/GJ", metered))
    lines.append(QuoteLine("discount", "预交优惠",
                           f"({heating} + {metered}) × {rate}（{q.payment_date} 缴费）" if rate else
                           f"{q.payment_date} 缴费，无优惠", -disc if disc else ZERO))
    lines.append(QuoteLine("late_fee", "滞纳金",
                           f"{principal} × {q.late_fee_daily_rate} × {late_days} 天" if late_days else
                           "未到滞纳金起算日", late))
    lines.append(QuoteLine("total", "合计", "采暖费 + 停热基费 + 计量热费 − 预交优惠 + 滞纳金", total))
    return Quote(heating_fee=heating, standby_fee=standby, metered_fee=metered, discount=disc, late_fee=late,
                 total=total, days=days, heating_days=heating_days, discount_rate=rate, late_fee_days=late_days,
                 lines=lines)
