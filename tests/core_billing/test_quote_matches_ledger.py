"""The fee calculator and the ledger agree: for the same inputs, the amounts the
ledger charges when the customer pays in full on a date are the quote's amounts
(issue 3, point 9), and the set-based SQL refresh agrees with the pure functions."""
import datetime as dt
import itertools
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_billing import pricing
from core_billing.models import LedgerEntry, SeasonAccount
from core_billing.services import balances
from core_billing.services.billing import accounts_open
from core_billing.services.ledger import payment_take
from core_billing.services.pricing_changes import heating_change, meter_reading_record
from tests import factories as f

pytestmark = pytest.mark.django_db
_names = itertools.count(1)
START, END = dt.date(2025, 11, 15), dt.date(2026, 3, 15)
TIERS = [(dt.date(2025, 9, 30), "0.03"), (dt.date(2025, 10, 31), "0.02")]


def ledger_for(org, *, area, metering="area", unit="24", base="12", heat="44.45", gj="0", periods=(),
               pay: dt.date, precision="round_jiao", standby="0.3", late_start=dt.date(2026, 1, 1),
               late_rate="0.003", tiers=TIERS):
    """Bill one household through the services and pay `quote.total` on `pay`;
    returns (quote, {kind: ledger sum}, account)."""
    n = next(_names)
    ctype = f.customer_type(f"t{n}", f"类型{n}")
    season = f.season(name=f"S{n}", start=START, end=END, prices={ctype.code: (unit, base, heat)}, standby=standby,
                      late_start=late_start, late_rate=late_rate, precision=precision, tiers=tiers, current=False,
                      open_accounts=False)
    customer = f.customer(org.building1, area=area, ctype=ctype, metering_mode=metering, room=f"R{n}")
    accounts_open(season=season, customer_ids=[customer.pk])
    account = SeasonAccount.objects.get(customer=customer, season=season)
    for status, start, end in periods:
        kind = {"suspended": "suspend", "forced_stop": "forced_stop", "normal": "resume"}[status]
        heating_change(actor=org.supervisor1, account=account, kind=kind, effective_date=start, reason="试算核对")
        if end < END:
            heating_change(actor=org.supervisor1, account=account, kind="resume",
                           effective_date=end + dt.timedelta(days=1), reason="试算核对")
    if metering == "metered" and D(gj):
        meter_reading_record(actor=org.supervisor1, account=account, heat_gj=gj)
    q = pricing.quote(pricing.QuoteInput(
        area=D(area), metering=metering, unit_price=D(unit), base_price=D(base), heat_price=D(heat),
        heat_gj=D(gj), season_start=START, season_end=END,
        periods=[pricing.Period(s, a, b) for s, a, b in periods], standby_ratio=D(standby),
        discount_tiers=[pricing.Tier(u, D(r)) for u, r in tiers], payment_date=pay, late_fee_start=late_start,
        late_fee_daily_rate=D(late_rate), precision=precision))
    payment_take(actor=org.collector1, customer=customer, season=season, amount=q.total, method="cash", paid_on=pay)
    sums = {k: (LedgerEntry.objects.filter(account=account, kind=k).aggregate(s=Sum("amount"))["s"] or D(0))
            .quantize(D("0.01")) for k in LedgerEntry.Kind.values}
    account.refresh_from_db()
    return q, sums, account


def assert_same(q, sums, account):
    assert sums["heating"] == q.heating_fee
    assert sums["standby"] == q.standby_fee
    assert sums["metered"] == q.metered_fee
    assert -sums["discount"] == q.discount
    assert sums["late_fee"] == q.late_fee
    assert -sums["payment"] == q.total
    assert account.due == 0 and account.paid == q.total


@pytest.mark.parametrize("case", [
    dict(area="90", pay=dt.date(2025, 9, 15)),                                     # 3 % discount
    dict(area="85.37", pay=dt.date(2025, 10, 20), precision="drop_fen"),           # 2 %
    dict(area="73.6", unit="40.35", pay=dt.date(2026, 1, 20), precision="round_yuan"),  # late fee
    dict(area="90", pay=dt.date(2026, 1, 10), periods=[("suspended", dt.date(2026, 1, 1), END)]),
    dict(area="90", pay=dt.date(2026, 2, 3), precision="drop_jiao",
         periods=[("forced_stop", dt.date(2025, 12, 1), dt.date(2025, 12, 10)),
                  ("suspended", dt.date(2026, 2, 1), dt.date(2026, 2, 28))]),
    dict(area="85.37", metering="metered", gj="31.59", pay=dt.date(2025, 10, 8)),
    dict(area="85.37", metering="metered", gj="31.59", pay=dt.date(2026, 3, 1), precision="drop_fen",
         periods=[("suspended", START, dt.date(2025, 11, 30))]),
])
def test_ledger_charges_what_the_quote_says(org, case):
    assert_same(*ledger_for(org, **case))


@st.composite
def scenarios(draw):
    cuts = sorted(draw(st.sets(st.integers(0, (END - START).days + 1), max_size=4)))
    periods = []
    for a, b in zip(cuts, cuts[1:]):
        status = draw(st.sampled_from(["suspended", "forced_stop", "gap"]))
        if status != "gap" and b > a + 1:
            periods.append((status, START + dt.timedelta(days=a), START + dt.timedelta(days=b - 1)))
    metering = draw(st.sampled_from(["area", "metered"]))
    money = st.decimals(min_value=D("1"), max_value=D("60"), places=2, allow_nan=False, allow_infinity=False)
    return dict(
        area=str(draw(st.decimals(min_value=D("20"), max_value=D("300"), places=2, allow_nan=False,
                                  allow_infinity=False))),
        metering=metering, unit=str(draw(money)), base=str(draw(money)), heat=str(draw(money)),
        gj=str(draw(st.decimals(min_value=D("0"), max_value=D("80"), places=3, allow_nan=False,
                                allow_infinity=False))),
        periods=periods, pay=draw(st.dates(min_value=dt.date(2025, 9, 1), max_value=dt.date(2026, 6, 30))),
        precision=draw(st.sampled_from(list(pricing.PRECISIONS))),
        standby=str(draw(st.sampled_from([D("0"), D("0.3"), D("0.25")]))),
        late_rate=str(draw(st.sampled_from([D("0"), D("0.003"), D("0.0005")]))))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(case=scenarios())
def test_ledger_matches_quote_for_any_inputs(org, case):
    assert_same(*ledger_for(org, **case))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(area=st.decimals(min_value=D("20"), max_value=D("300"), places=2, allow_nan=False, allow_infinity=False),
       paid=st.decimals(min_value=D("0"), max_value=D("1"), places=2, allow_nan=False, allow_infinity=False),
       pay=st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2026, 3, 1)),
       as_of=st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2026, 11, 1)),
       cap=st.sampled_from([None, "0.1", "1"]),
       precision=st.sampled_from(list(pricing.PRECISIONS)))
def test_sql_late_fee_matches_the_pure_function(org, area, paid, pay, as_of, cap, precision):
    n = next(_names)
    ctype = f.customer_type(f"t{n}", f"类型{n}")
    season = f.season(name=f"L{n}", start=START, end=END, prices={ctype.code: "24.35"}, precision=precision,
                      late_cap=cap, late_rate="0.0035", current=False, open_accounts=False)
    customer = f.customer(org.building1, area=area, ctype=ctype, room=f"L{n}")
    accounts_open(season=season, customer_ids=[customer.pk])
    account = SeasonAccount.objects.get(customer=customer, season=season)
    part = (account.due * paid).quantize(D("0.01"))
    if part > 0:
        payment_take(actor=org.collector1, customer=customer, season=season, amount=part, method="cash", paid_on=pay)
    balances.refresh(balances.accounts(account.pk), as_of)
    account.refresh_from_db()
    assert account.late_fee_pending == balances.accrued_late_fee(account, season, as_of)
    assert account.owed == account.due + account.late_fee_pending
