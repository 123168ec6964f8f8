"""Properties of the pure pricing functions (no database)."""
import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core_billing import pricing as p

MODES = list(p.PRECISIONS)
QUANTUM = {p.DROP_FEN: Decimal("0.1"), p.DROP_JIAO: Decimal("1"), p.ROUND_JIAO: Decimal("0.1"),
           p.ROUND_YUAN: Decimal("1")}

money = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=4, allow_nan=False,
                    allow_infinity=False)
positive_money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2, allow_nan=False,
                             allow_infinity=False)
areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2, allow_nan=False,
                    allow_infinity=False)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2, allow_nan=False,
                     allow_infinity=False)
ratios = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4, allow_nan=False,
                     allow_infinity=False)
modes = st.sampled_from(MODES)
SEASON = (dt.date(2025, 11, 1), dt.date(2026, 3, 31))


@given(money, modes)
def test_to_money_matches_decimal_rounding(value, mode):
    q = QUANTUM[mode]
    rounding = ROUND_DOWN if mode.startswith("drop") else ROUND_HALF_UP
    result = p.to_money(value, mode)
    assert result == value.quantize(q, rounding=rounding)
    assert result.as_tuple().exponent == -2  # stored as fen
    assert abs(result - value) < q if mode.startswith("drop") else abs(result - value) <= q / 2
    if mode.startswith("drop"):
        assert abs(result) <= abs(value)  # truncation never rounds up


@given(money, modes)
def test_rounding_is_idempotent_and_symmetric(value, mode):
    once = p.to_money(value, mode)
    assert p.to_money(once, mode) == once
    assert p.to_money(-value, mode) == -once  # a reversal rounds to the negated amount


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=400), modes)
def test_exact_rationals_round_without_float_error(numerator, denominator, mode):
    value = Fraction(numerator, denominator * 100)
    result = Fraction(p.to_money(value, mode))
    q = Fraction(QUANTUM[mode])
    if mode.startswith("drop"):
        assert result <= value < result + q
    else:
        assert result - q / 2 <= value < result + q / 2


@given(positive_money.map(lambda d: d.quantize(Decimal("0.01"))),
       st.lists(st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=3, allow_nan=False,
                            allow_infinity=False), min_size=1, max_size=12))
def test_split_always_sums_exactly(total, weights):
    parts = p.split(total, weights)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    wsum = sum(weights)
    if wsum:
        for part, w in zip(parts, weights):  # every part within one fen of its exact share
            assert abs(Fraction(part) - Fraction(total) * Fraction(w) / Fraction(wsum)) < Fraction(1, 100)


@given(positive_money.map(lambda d: d.quantize(Decimal("0.01"))), st.integers(min_value=1, max_value=24))
def test_split_evenly(total, parts):
    pieces = p.split_evenly(total, parts)
    assert len(pieces) == parts and sum(pieces) == total
    assert max(pieces) - min(pieces) <= Decimal("0.01")


@st.composite
def periods(draw):
    start, end = SEASON
    total = p.day_count(start, end)
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=total), max_size=8)))
    result = []
    for a, b in zip(cuts, cuts[1:]):
        status = draw(st.sampled_from(p.STATUSES + ("gap",)))
        if status != "gap" and b > a:
            result.append(p.Period(status, start + dt.timedelta(days=a), start + dt.timedelta(days=b - 1)))
    return result


@given(periods())
def test_status_days_partition_the_season(ps):
    days = p.status_days(*SEASON, ps)
    assert sum(days.values()) == p.day_count(*SEASON)
    assert days[p.SUSPENDED] == sum(x.end.toordinal() - x.start.toordinal() + 1 for x in ps if x.status == p.SUSPENDED)


@given(areas, prices, periods(), modes)
def test_proration_never_exceeds_full_fee(area, price, ps, mode):
    days = p.status_days(*SEASON, ps)
    heating_days = p.day_count(*SEASON)
    stopped = days[p.SUSPENDED] + days[p.FORCED_STOP]
    heating = p.heating_fee(price, area * days[p.NORMAL], heating_days, mode)
    standby_full = p.standby_fee(price, Decimal(1), area * stopped, heating_days, mode)
    full = area * price
    # at ratio 1 the two parts add up to the full fee, give or take one rounding step each
    assert abs(heating + standby_full - full) <= 2 * QUANTUM[mode]
    standby = p.standby_fee(price, Decimal("0.3"), area * stopped, heating_days, mode)
    assert standby <= standby_full


@given(areas, prices, periods())
def test_timeline_area_days_match_periods(area, price, ps):
    # the same stretches expressed as effective-dated changes give the same area-days
    changes = []
    for x in ps:
        changes.append(p.Change(x.start, status=x.status))
        if x.end < SEASON[1]:
            changes.append(p.Change(x.end + dt.timedelta(days=1), status=p.NORMAL))
    segments = p.timeline(*SEASON, area, p.NORMAL, changes)
    normal, stopped = p.area_days(segments)
    days = p.status_days(*SEASON, ps)
    assert normal == area * days[p.NORMAL]
    assert stopped == area * (days[p.SUSPENDED] + days[p.FORCED_STOP])
    assert sum(s.days for s in segments) == p.day_count(*SEASON)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=150), st.sampled_from(p.STATUSES + (None,)),
                          st.one_of(st.none(), areas)), max_size=6), areas)
def test_timeline_segments_are_contiguous(raw, area):
    start, end = SEASON
    changes = [p.Change(start + dt.timedelta(days=d), status=s, area=a) for d, s, a in raw]
    segments = p.timeline(start, end, area, p.NORMAL, changes)
    assert segments[0].start == start and segments[-1].end == end
    for a, b in zip(segments, segments[1:]):
        assert b.start == a.end + dt.timedelta(days=1)


@given(st.lists(st.tuples(st.dates(min_value=dt.date(2025, 8, 1), max_value=dt.date(2025, 12, 31)), ratios),
                max_size=4, unique_by=lambda t: t[0]),
       st.dates(min_value=dt.date(2025, 8, 1), max_value=dt.date(2026, 3, 31)))
def test_discount_rate_is_first_tier_not_yet_passed(raw, pay):
    tiers = [p.Tier(d, r) for d, r in raw]
    rate = p.discount_rate(tiers, pay)
    later = sorted((t for t in tiers if t.until >= pay), key=lambda t: t.until)
    assert rate == (later[0].rate if later else 0)


@given(positive_money, st.decimals(min_value=Decimal("0"), max_value=Decimal("0.01"), places=5, allow_nan=False,
                                   allow_infinity=False),
       st.dates(min_value=dt.date(2025, 11, 1), max_value=dt.date(2026, 12, 31)), modes)
def test_late_fee_is_zero_before_start_and_grows_with_time(principal, rate, pay, mode):
    start = dt.date(2026, 1, 1)
    days = p.late_fee_days(start, pay)
    fee = p.late_fee(principal, rate, days, mode)
    if pay < start:
        assert days == 0 and fee == 0
    else:
        assert days == (pay - start).days + 1
    later = p.late_fee(principal, rate, p.late_fee_days(start, pay + dt.timedelta(days=1)), mode)
    assert later >= fee
    assert p.late_fee(principal, rate, days, mode, cap=Decimal("10")) <= max(p.to_money(10, mode), Decimal(0))


def test_late_fee_days_after_earlier_charge():
    start = dt.date(2026, 1, 1)
    assert p.late_fee_days(start, dt.date(2026, 1, 20), accrued_through=dt.date(2026, 1, 10)) == 10
    assert p.late_fee_days(start, dt.date(2026, 1, 20), accrued_through=dt.date(2025, 12, 1)) == 20
    assert p.late_fee_days(None, dt.date(2026, 1, 20)) == 0


@given(st.sampled_from(p.FORMULAS), st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2,
                                                allow_nan=False, allow_infinity=False),
       positive_money, areas, modes)
def test_adjustment_formulas(formula, value, base, area, mode):
    amount = p.adjustment_amount(formula, value, base=base, area=area, precision=mode)
    expected = {p.FIXED: value, p.PERCENT: value * base / 100, p.PER_M2: value * area}[formula]
    assert amount == p.to_money(expected, mode)


@st.composite
def quote_inputs(draw):
    metering = draw(st.sampled_from([p.AREA, p.METERED]))
    tiers = [p.Tier(dt.date(2025, 9, 30), Decimal("0.03")), p.Tier(dt.date(2025, 10, 31), Decimal("0.02"))]
    return p.QuoteInput(
        area=draw(areas), season_start=SEASON[0], season_end=SEASON[1],
        payment_date=draw(st.dates(min_value=dt.date(2025, 8, 1), max_value=dt.date(2026, 6, 30))),
        metering=metering, unit_price=draw(prices), base_price=draw(prices), heat_price=draw(prices),
        heat_gj=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=3, allow_nan=False,
                                 allow_infinity=False)),
        periods=draw(periods()), standby_ratio=draw(ratios), discount_tiers=draw(st.sampled_from([[], tiers])),
        late_fee_start=dt.date(2026, 1, 1),
        late_fee_daily_rate=draw(st.sampled_from([Decimal(0), Decimal("0.003"), Decimal("0.0005")])),
        precision=draw(modes))


@settings(max_examples=200)
@given(quote_inputs())
def test_quote_parts_add_up_and_follow_the_rules(q):
    r = p.quote(q)
    assert r.total == r.heating_fee + r.standby_fee + r.metered_fee - r.discount + r.late_fee
    assert [line.amount for line in r.lines][-1] == r.total
    for amount in (r.heating_fee, r.standby_fee, r.metered_fee, r.discount, r.late_fee):
        assert amount >= 0
        assert p.to_money(amount, q.precision) == amount  # each rounded once by the mode
    assert r.discount <= r.heating_fee + r.metered_fee
    if q.metering == p.AREA:
        assert r.metered_fee == 0
    if q.payment_date < q.late_fee_start:
        assert r.late_fee == 0
    else:
        assert r.discount == 0 or q.payment_date <= dt.date(2025, 10, 31)


@pytest.mark.parametrize("field, change, message", [
    ("area", {"area": Decimal("-1")}, "面积"),
    ("precision", {"precision": "round_fen"}, "精度"),
    ("metering", {"metering": "flat"}, "计费方式"),
    ("unit_price", {"unit_price": None}, "单价"),
    ("standby_ratio", {"standby_ratio": Decimal("1.5")}, "停热"),
    ("heating_days", {"heating_days": 0}, "供热天数"),
    ("periods", {"periods": [p.Period("suspended", dt.date(2025, 10, 1), dt.date(2025, 11, 5))]}, "超出"),
    ("periods", {"periods": [p.Period("suspended", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
                             p.Period("forced_stop", dt.date(2025, 12, 31), dt.date(2026, 1, 5))]}, "重叠"),
    ("periods", {"periods": [p.Period("off", dt.date(2025, 12, 1), dt.date(2025, 12, 31))]}, "状态"),
])
def test_bad_quote_input_names_the_field(field, change, message):
    base = dict(area=Decimal("80"), season_start=SEASON[0], season_end=SEASON[1], payment_date=dt.date(2026, 1, 5),
                unit_price=Decimal("24"))
    base.update(change)
    with pytest.raises(p.PricingError) as exc:
        p.quote(p.QuoteInput(**base))
    assert exc.value.field == field and message in exc.value.message


def test_timeline_refuses_dates_outside_the_season():
    with pytest.raises(p.PricingError) as exc:
        p.timeline(*SEASON, Decimal("80"), p.NORMAL, [p.Change(dt.date(2026, 4, 1), status=p.SUSPENDED)])
    assert exc.value.field == "effective_date"


@given(areas, prices, modes)
def test_fees_grow_with_area_and_price(area, price, mode):
    assume(price > 0)
    a = p.heating_fee(price, area * 151, 151, mode)
    b = p.heating_fee(price, (area + 1) * 151, 151, mode)
    c = p.heating_fee(price + 1, area * 151, 151, mode)
    assert a <= b and a <= c
