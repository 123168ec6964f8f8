"""Billing reports against a real ledger: the numbers are the ledger's, every
report stays inside the actor's stations."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core_billing.models import Customer
from reports.selectors.billing import (arrears_list, arrears_totals, cash_report, collection_progress,
                                       jurisdiction_report)
from reports.selectors.dashboard import arrears_by_station, collection_curve, dashboard, sms_this_week
from tests import factories as f
from tests.reports.conftest import D1, D2

pytestmark = pytest.mark.django_db


def test_collection_progress_by_station(org, ledger):
    report = collection_progress(actor=org.admin, group_by="station")
    rows = {r["label"]: r for r in report["rows"]}
    # each station: two households of 88.50 m² at 24 元/m² = 4,248.00 receivable
    s1, s2 = rows["一站"], rows["二站"]
    assert (s1["households"], s1["area"], s1["receivable"], s1["collected"], s1["outstanding"]) == (
        2, D("177.00"), D("4248.00"), D("1600.00"), D("2648.00"))  # 1000 + 500 + 100 online; 2124 reversed
    assert s1["rate"] == D("0.3766")
    assert (s2["collected"], s2["rate"]) == (D("300.00"), D("0.0706"))
    total = report["total"]
    assert (total["households"], total["receivable"], total["collected"]) == (4, D("8496.00"), D("1900.00"))


def test_collection_progress_by_community_collector_and_season(org, ledger):
    by_comm = collection_progress(actor=org.supervisor1, group_by="community")["rows"]
    assert [(r["label"], r["collected"]) for r in by_comm] == [("阳光花园1", D("1600.00"))]
    by_collector = collection_progress(actor=org.admin, group_by="collector")["rows"]
    assert {r["label"]: r["households"] for r in by_collector} == {org.collector1.display_name: 2,
                                                                    org.collector2.display_name: 2}
    older = f.season(name="2024-2025", start=dt.date(2024, 11, 15), end=dt.date(2025, 3, 15), current=False)
    by_season = collection_progress(actor=org.supervisor2, group_by="season")["rows"]
    assert [r["label"] for r in by_season] == ["2025-2026", older.name]
    assert by_season[0]["collected"] == D("300.00") and by_season[0]["households"] == 2


def test_cash_report_by_collector_and_method_reversals_netted_on_their_day(org, ledger):
    day1 = cash_report(actor=org.supervisor1, date_from=D1, date_to=D1)
    rows = {r["collector"]: r for r in day1["rows"]}
    assert set(rows) == {org.collector1.display_name, org.supervisor1.display_name}  # station 2's stays out
    assert (rows[org.collector1.display_name]["cash"], rows[org.supervisor1.display_name]["cash"]) == (
        D("1000.00"), D("2124.00"))
    day2 = cash_report(actor=org.supervisor1, date_from=D2, date_to=D2)
    assert {r["collector"]: (r["card"], r["online"]) for r in day2["rows"]} == {
        org.collector1.display_name: (D("500.00"), D("0.00")), "网上缴费（无收费员）": (D("0.00"), D("100.00"))}
    today = timezone.localdate()
    refund = cash_report(actor=org.supervisor1, date_from=today, date_to=today)
    assert [(r["collector"], r["cash"], r["reversed"], r["net"], r["receipts"]) for r in refund["rows"]] == [
        (org.supervisor1.display_name, D("-2124.00"), D("2124.00"), D("-2124.00"), 0)]
    everything = cash_report(actor=org.admin, date_from=D1, date_to=today)
    assert everything["totals"]["net"] == D("1900.00") and everything["totals"]["receipts"] == 5
    only_cash = cash_report(actor=org.admin, date_from=D1, date_to=today, method="cash", collector=org.collector1)
    assert only_cash["totals"]["net"] == D("1000.00")


def test_arrears_list_filters_like_an_audience(org, ledger):
    everyone = arrears_list(actor=org.admin)
    assert {c.pk for c in everyone} == {org.customer1.pk, org.customer1b.pk, org.customer2.pk, org.customer2b.pk}
    assert [c.account_no for c in everyone][:1] == [org.customer1b.account_no]  # largest first (2124 after reversal)
    mine = arrears_list(actor=org.supervisor1)
    assert {c.pk for c in mine} == {org.customer1.pk, org.customer1b.pk}
    assert {c.collector_name for c in mine} == {org.collector1.display_name}
    assert set(arrears_list(actor=org.admin, min_amount=D("1000"), max_amount=D("2000"))) == {
        Customer.objects.get(pk=org.customer2.pk)}  # owes 1824
    assert list(arrears_list(actor=org.admin, min_seasons=2)) == []
    assert {c.pk for c in arrears_list(actor=org.admin, community=[org.community2],
                                       heating_status=["normal"], unit=[1])} == {org.customer2.pk, org.customer2b.pk}
    assert {c.pk for c in arrears_list(actor=org.admin, exchange_station=[org.exchange1],
                                       collector=[org.collector1])} == {org.customer1.pk, org.customer1b.pk}
    assert not arrears_list(actor=org.admin, collector=[org.collector2], station=[org.s1]).exists()
    totals = arrears_totals(mine)
    assert (totals["households"], totals["owed"]) == (2, D("2648.00"))


def test_jurisdiction_report(org, ledger):
    rows = jurisdiction_report(actor=org.admin)
    assert [(r["collector"], r["station"], r["households"], r["collected"], r["billed"]) for r in rows] == [
        (org.collector1.display_name, "一站", 2, D("1600.00"), D("4248.00")),
        (org.collector2.display_name, "二站", 2, D("300.00"), D("4248.00"))]
    assert rows[0]["rate"] == D("0.3766")
    assert [r["collector"] for r in jurisdiction_report(actor=org.admin, station=org.s2)] == [
        org.collector2.display_name]
    assert [r["collector"] for r in jurisdiction_report(actor=org.supervisor2)] == [org.collector2.display_name]


def test_dashboard_figures(org, ledger):
    from messaging.models import Message

    today = timezone.localdate()
    for status in ("delivered", "delivered", "failed", "sent"):
        Message.objects.create(station=org.s1, phone="+8613800138001", body="x", gateway="console", status=status)
    Message.objects.create(station=org.s2, phone="+8613800138002", body="x", gateway="console", status="failed")
    sms = sms_this_week(actor=org.supervisor1, today=today)
    assert (sms["delivered"], sms["failed"], sms["pending"], sms["delivery_rate"]) == (2, 1, 1, D("0.6667"))
    assert sms_this_week(actor=org.manager, today=today)["failed"] == 2

    arrears = arrears_by_station(actor=org.manager)
    assert [(r["station"], r["owing"], r["owed"]) for r in arrears] == [("一站", 2, D("2648.00")),
                                                                         ("二站", 2, D("3948.00"))]
    assert [r["station"] for r in arrears_by_station(actor=org.supervisor2)] == ["二站"]

    curve = collection_curve(actor=org.supervisor1, season=ledger.season, today=dt.date(2026, 1, 10))
    points = dict(zip(curve.days, curve.current))
    # 1000 + 2124 on 1 December, 500 + 100 on the 2nd; the reversal (dated today) is after 10 January
    assert points[min(d for d in curve.days if d >= D2)] == pytest.approx(3724 / 4248, abs=1e-4)
    assert curve.current[-1] is None  # the season's end is after 10 January
    assert curve.previous == "" and all(v is None for v in curve.before)

    data = dashboard(actor=org.supervisor1)
    assert data["progress"]["collected"] == D("1600.00")
    assert data["cash"]["reversed"] == D("2124.00") and data["cash"]["net"] == D("-2124.00")
