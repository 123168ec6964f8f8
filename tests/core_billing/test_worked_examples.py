"""Worked examples from public tariffs, expected values computed by hand (issue 3, point 8).

Beijing: residential area billing 24 元/m²; metered 12 元/m² base + 44.45 元/GJ;
heating season 15 November – 15 March (121 days: 16 + 31 + 31 + 28 + 15).
Harbin: 40.35 元/m²; season 20 October – 20 April (183 days: 12 + 30 + 31 + 31 + 28 + 31 + 20).
Stand-by fee 30 %; late fee 3‰ of the arrears per day from 1 January;
early discount 3 % paying by 30 September, 2 % by 31 October.
"""
import datetime as dt
from decimal import Decimal as D

import pytest

from core_billing.pricing import Period, QuoteInput, Tier, quote

BJ = dict(season_start=dt.date(2025, 11, 15), season_end=dt.date(2026, 3, 15))
HRB = dict(season_start=dt.date(2025, 10, 20), season_end=dt.date(2026, 4, 20))
TIERS = [Tier(dt.date(2025, 10, 31), D("0.02")), Tier(dt.date(2025, 9, 30), D("0.03"))]  # any order
LATE = dict(late_fee_start=dt.date(2026, 1, 1), late_fee_daily_rate=D("0.003"))
NOV = dt.date(2025, 11, 20)  # after the discount dates, before the late fee


def bj_area(area, **kw):
    return QuoteInput(area=D(area), unit_price=D("24"), **BJ, **kw)


def test_season_lengths():
    assert quote(bj_area("90", payment_date=NOV, precision="round_jiao")).heating_days == 121
    r = quote(QuoteInput(area=D("73.6"), unit_price=D("40.35"), payment_date=NOV, precision="round_jiao", **HRB))
    assert r.heating_days == 183


@pytest.mark.parametrize("precision", ["drop_fen", "drop_jiao", "round_jiao", "round_yuan"])
def test_beijing_area_whole_season_round_area(precision):
    # 90 m² × 24 元/m² = 2160 元 exactly: every mode agrees.
    r = quote(bj_area("90", payment_date=NOV, precision=precision))
    assert (r.heating_fee, r.standby_fee, r.discount, r.late_fee, r.total) == (D("2160"), 0, 0, 0, D("2160"))


@pytest.mark.parametrize("precision, expected", [
    # 85.37 m² × 24 元/m² = 2048.88 元
    ("drop_fen", "2048.80"), ("drop_jiao", "2048.00"), ("round_jiao", "2048.90"), ("round_yuan", "2049.00")])
def test_beijing_area_each_precision(precision, expected):
    r = quote(bj_area("85.37", payment_date=NOV, precision=precision))
    assert r.heating_fee == D(expected) and r.total == D(expected)


@pytest.mark.parametrize("precision, base, heat", [
    # base 85.37 × 12 = 1024.44; heat 31.59 GJ × 44.45 = 1404.1755
    ("drop_fen", "1024.40", "1404.10"), ("drop_jiao", "1024.00", "1404.00"),
    ("round_jiao", "1024.40", "1404.20"), ("round_yuan", "1024.00", "1404.00")])
def test_beijing_metered_two_part(precision, base, heat):
    r = quote(QuoteInput(area=D("85.37"), metering="metered", base_price=D("12"), heat_price=D("44.45"),
                         heat_gj=D("31.59"), payment_date=NOV, precision=precision, **BJ))
    assert (r.heating_fee, r.metered_fee) == (D(base), D(heat))
    assert r.total == D(base) + D(heat)


@pytest.mark.parametrize("precision, expected", [
    # 73.6 m² × 40.35 元/m² = 2969.76 元
    ("drop_fen", "2969.70"), ("drop_jiao", "2969.00"), ("round_jiao", "2969.80"), ("round_yuan", "2970.00")])
def test_harbin(precision, expected):
    r = quote(QuoteInput(area=D("73.6"), unit_price=D("40.35"), payment_date=dt.date(2025, 10, 20),
                         precision=precision, **HRB))
    assert r.total == D(expected)


@pytest.mark.parametrize("precision, heating, standby", [
    # Suspended 1 January – 15 March: 31 + 28 + 15 = 74 days; normal 121 − 74 = 47 days.
    # heating = 2160 × 47 / 121 = 839.0083…; stand-by = 2160 × 0.3 × 74 / 121 = 396.2975…
    ("drop_fen", "839.00", "396.20"), ("drop_jiao", "839.00", "396.00"),
    ("round_jiao", "839.00", "396.30"), ("round_yuan", "839.00", "396.00")])
def test_standby_fee_after_suspending(precision, heating, standby):
    r = quote(bj_area("90", payment_date=NOV, precision=precision, standby_ratio=D("0.30"),
                      periods=[Period("suspended", dt.date(2026, 1, 1), dt.date(2026, 3, 15))]))
    assert r.days == {"normal": 47, "suspended": 74, "forced_stop": 0}
    assert (r.heating_fee, r.standby_fee) == (D(heating), D(standby))


def test_standby_fee_forced_stop_and_suspension_mixed():
    # forced stop 1–10 December (10 days) + suspended 1–28 February (28 days): 38 stopped, 83 normal.
    # heating = 2160 × 83 / 121 = 1481.652…→ 1481.7; stand-by = 648 × 38 / 121 = 203.504…→ 203.5
    r = quote(bj_area("90", payment_date=NOV, precision="round_jiao", standby_ratio=D("0.3"),
                      periods=[Period("forced_stop", dt.date(2025, 12, 1), dt.date(2025, 12, 10)),
                               Period("suspended", dt.date(2026, 2, 1), dt.date(2026, 2, 28))]))
    assert (r.heating_fee, r.standby_fee, r.total) == (D("1481.70"), D("203.50"), D("1685.20"))


@pytest.mark.parametrize("pay, precision, late, total", [
    # 2160 元 owed; 3‰ per day from 1 January, both ends counted.
    (dt.date(2025, 12, 31), "round_jiao", "0", "2160"),          # the day before: nothing
    (dt.date(2026, 1, 1), "round_jiao", "6.48", "2166.48"),       # 1 day: 2160 × 0.003 = 6.48 → 6.5
    (dt.date(2026, 1, 20), "round_jiao", "129.60", "2289.60"),    # 20 days: 2160 × 0.003 × 20 = 129.6
    (dt.date(2026, 1, 20), "round_yuan", "130", "2290"),
    (dt.date(2026, 1, 20), "drop_jiao", "129", "2289"),
])
def test_late_fee_three_per_mille_from_january(pay, precision, late, total):
    r = quote(bj_area("90", payment_date=pay, precision=precision, **LATE))
    expected_late = {"6.48": D("6.50")}.get(late, D(late))
    assert r.late_fee == expected_late
    assert r.total == D(total) - D(late) + expected_late


def test_late_fee_on_a_suspended_customer_counts_the_standby_fee():
    # heating 839.0 + stand-by 396.3 = 1235.3 owed; 10 January → 10 days × 3‰ = 37.059 → 37.1
    r = quote(bj_area("90", payment_date=dt.date(2026, 1, 10), precision="round_jiao", standby_ratio=D("0.3"),
                      periods=[Period("suspended", dt.date(2026, 1, 1), dt.date(2026, 3, 15))], **LATE))
    assert (r.late_fee, r.total) == (D("37.10"), D("1272.40"))


@pytest.mark.parametrize("pay, rate, discount, total", [
    # 2160 元; 3 % by 30 September (inclusive), 2 % by 31 October, nothing after.
    (dt.date(2025, 9, 15), "0.03", "64.80", "2095.20"),
    (dt.date(2025, 9, 30), "0.03", "64.80", "2095.20"),
    (dt.date(2025, 10, 1), "0.02", "43.20", "2116.80"),
    (dt.date(2025, 10, 31), "0.02", "43.20", "2116.80"),
    (dt.date(2025, 11, 1), "0", "0", "2160"),
])
def test_early_payment_discount(pay, rate, discount, total):
    r = quote(bj_area("90", payment_date=pay, precision="round_jiao", discount_tiers=TIERS))
    assert (r.discount_rate, r.discount, r.total) == (D(rate), D(discount), D(total))


@pytest.mark.parametrize("precision, heating, discount, total", [
    # 2048.88 rounded first, the 3 % discount taken from the rounded fee, then rounded itself:
    ("drop_fen", "2048.80", "61.40", "1987.40"),    # 2048.8 × 0.03 = 61.464 → 61.4
    ("drop_jiao", "2048.00", "61.00", "1987.00"),   # 2048 × 0.03 = 61.44 → 61
    ("round_jiao", "2048.90", "61.50", "1987.40"),  # 2048.9 × 0.03 = 61.467 → 61.5
    ("round_yuan", "2049.00", "61.00", "1988.00"),  # 2049 × 0.03 = 61.47 → 61
])
def test_discount_each_precision(precision, heating, discount, total):
    r = quote(bj_area("85.37", payment_date=dt.date(2025, 9, 1), precision=precision, discount_tiers=TIERS))
    assert (r.heating_fee, r.discount, r.total) == (D(heating), D(discount), D(total))


def test_metered_discount_covers_consumption_but_not_standby():
    # metered: base 90 × 12 = 1080 × 47/121 = 419.504… → 419.5; stand-by 1080 × 0.3 × 74/121 = 198.148… → 198.1
    # heat 20 GJ × 44.45 = 889.0; discount 2 % of (419.5 + 889.0) = 26.17 → 26.2
    r = quote(QuoteInput(area=D("90"), metering="metered", base_price=D("12"), heat_price=D("44.45"),
                         heat_gj=D("20"), payment_date=dt.date(2025, 10, 8), precision="round_jiao",
                         standby_ratio=D("0.3"), discount_tiers=TIERS,
                         periods=[Period("suspended", dt.date(2026, 1, 1), dt.date(2026, 3, 15))], **BJ))
    assert (r.heating_fee, r.standby_fee, r.metered_fee, r.discount) == (D("419.50"), D("198.10"), D("889.00"),
                                                                         D("26.20"))
    assert r.total == D("1480.40")
