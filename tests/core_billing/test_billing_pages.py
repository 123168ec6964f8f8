"""Billing pages through the Django test client: desk, receipt, approvals,
corrections, prices with preview, fee calculator, account changes."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core_billing.models import Adjustment, AdjustmentCategory, LedgerEntry, Receipt, Tariff
from core_billing.services.ledger import adjustment_grant, payment_take
from tests import factories as f

pytestmark = pytest.mark.django_db


def page(client, user, name, *args, **kw):
    client.force_login(user)
    return client.get(reverse(name, args=args), kw)


def test_desk_search_is_scoped(client, org):
    f.season()
    body = page(client, org.collector1, "billing:desk", q="张伟").content.decode()
    assert org.customer1.account_no in body and org.customer2.account_no not in body
    assert "收费台" in page(client, org.collector1, "console:home").content.decode()  # in the menu


def test_desk_breakdown_payment_and_receipt(client, org):
    f.season(late_start=None)
    client.force_login(org.collector1)
    url = reverse("billing:desk-customer", args=[org.customer1.pk])
    body = client.get(url).content.decode()
    assert "2,124.00" in body and "2025-2026" in body and "采暖费" in body
    r = client.post(url, {"amount": "1000", "method": "cash", "season": "", "paid_on": "2025-11-20", "note": ""})
    assert r.status_code == 302, r.content.decode()[:3000]
    receipt = Receipt.objects.get()
    assert r["Location"] == reverse("billing:receipt", args=[receipt.pk])
    body = client.get(r["Location"]).content.decode()
    assert receipt.number in body and "壹仟元整" in body and "采暖费收据" in body
    bad = client.post(url, {"amount": "99999", "method": "cash", "paid_on": "2025-11-20"})
    assert bad.status_code == 200 and "超过应缴" in bad.content.decode()
    assert Receipt.objects.count() == 1


def test_desk_pages_are_404_for_other_stations(client, org):
    f.season(late_start=None)
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                     paid_on=dt.date(2025, 11, 20))
    client.force_login(org.collector2)
    assert client.get(reverse("billing:desk-customer", args=[org.customer1.pk])).status_code == 404
    assert client.get(reverse("billing:receipt", args=[r.receipt.pk])).status_code == 404
    assert client.post(reverse("billing:desk-customer", args=[org.customer1.pk]),
                       {"amount": "1", "method": "cash", "paid_on": "2025-11-20"}).status_code == 404
    client.force_login(org.supervisor2)
    assert client.get(reverse("billing:account-change", args=[f.account(org.customer1).pk])).status_code == 404


def test_collector_cannot_post_payment_without_permission(client, org):
    f.season(late_start=None)
    client.force_login(org.service1)  # customer service may look, not take money
    url = reverse("billing:desk-customer", args=[org.customer1.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"amount": "1", "method": "cash", "paid_on": "2025-11-20"}).status_code == 403


def test_receipt_reversal_page(client, org):
    f.season(late_start=None)
    r = payment_take(actor=org.collector1, customer=org.customer1, amount="10", method="cash",
                     paid_on=dt.date(2025, 11, 20))
    client.force_login(org.supervisor1)
    url = reverse("billing:receipt", args=[r.receipt.pk])
    assert client.post(url, {"reason": "收错户"}).status_code == 302
    assert "已冲正" in client.get(url).content.decode()
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 1


def test_approvals_page(client, org):
    s = f.season(late_start=None)
    adj = adjustment_grant(actor=org.supervisor1, account=f.account(org.customer1),
                           category=AdjustmentCategory.objects.get(season=s, code="hardship"), reason="大病")
    other = f.user("supervisor1b", "supervisor", st=org.s1)
    body = page(client, other, "billing:approvals").content.decode()
    assert "困难户减免" in body and "800.00" in body
    assert page(client, org.supervisor2, "billing:approvals").content.decode().count("困难户减免") == 0
    client.force_login(other)
    assert client.post(reverse("billing:approvals"), {"adjustment": adj.pk, "decision": "approve",
                                                      "note": "同意"}).status_code == 302
    assert Adjustment.objects.get(pk=adj.pk).status == "approved"
    assert page(client, org.collector1, "billing:approvals").status_code == 403


def test_corrections_page(client, org):
    s = f.season()
    client.force_login(org.supervisor1)
    url = reverse("billing:corrections")
    r = client.post(url, {"account_no": org.customer1.account_no, "season": s.pk, "amount": "-24", "reason": "多计"})
    assert r.status_code == 302
    assert f.account(org.customer1).corrections == D("-24.00")
    missing = client.post(url, {"account_no": org.customer2.account_no, "season": s.pk, "amount": "5",
                                "reason": "x"})  # another station's customer
    assert "没有" in missing.content.decode() or "No account" in missing.content.decode()
    no_reason = client.post(url, {"account_no": org.customer1.account_no, "season": s.pk, "amount": "5"})
    assert "请填写原因" in no_reason.content.decode()
    assert "多计" in client.get(url).content.decode()


def test_price_page_preview_then_apply(client, org):
    s = f.season()
    client.force_login(org.admin)
    data = {"season": s.pk, "customer_type": f.customer_type().pk, "unit_price": "25", "reason": "调价"}
    preview = client.post(reverse("billing:price-preview"), data, HTTP_HX_REQUEST="true").content.decode()
    assert "<b>4</b>" in preview and "354.00" in preview
    assert Tariff.objects.get(season=s).unit_price == D("24.00")
    assert client.post(reverse("billing:prices"), data).status_code == 302
    assert Tariff.objects.get(season=s).unit_price == D("25.00")
    assert f.account(org.customer1).heating_fee == D("2212.50")
    assert page(client, org.supervisor1, "billing:prices").status_code == 403


def test_quote_page(client, org):
    f.season()
    assert "费用试算" in page(client, org.supervisor1, "billing:quote").content.decode()
    r = client.post(reverse("billing:quote"), {
        "area": "90", "metering": "area", "unit_price": "24", "season_start": "2025-11-15",
        "season_end": "2026-03-15", "standby_ratio": "0.3", "payment_date": "2026-01-10",
        "late_fee_start": "2026-01-01", "late_fee_daily_rate": "0.003", "precision": "round_jiao",
        "p0_status": "suspended", "p0_from": "2026-01-01", "p0_to": "2026-03-15"})
    body = r.content.decode()
    assert "1,272.40" in body and "396.30" in body
    bad = client.post(reverse("billing:quote"), {"area": "-1", "metering": "area", "unit_price": "24",
                                                  "season_start": "2025-11-15", "season_end": "2026-03-15"})
    assert "area" in bad.content.decode() and "面积必须是正数" in bad.content.decode()


def test_heating_change_and_adjust_pages(client, org):
    s = f.season()
    acc = f.account(org.customer1)
    client.force_login(org.service1)
    url = reverse("billing:account-change", args=[acc.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"kind": "suspend", "effective_date": "2026-01-01", "reason": "外出"})
    assert r.status_code == 302
    acc.refresh_from_db()
    assert acc.standby_fee == D("389.70")
    bad = client.post(url, {"kind": "resume", "effective_date": "2026-05-01", "reason": "x"})
    assert "不在供暖年度" in bad.content.decode()
    client.force_login(org.supervisor1)
    url = reverse("billing:account-adjust", args=[acc.pk])
    assert "177.00" in client.get(url).content.decode()  # 2 元/m² × 88.50 m²
    cold = AdjustmentCategory.objects.get(season=s, code="cold")
    assert client.post(url, {"category": cold.pk, "reason": "室温不达标"}).status_code == 302
    assert f.account(org.customer1).adjusted == D("177.00")


def test_seasons_page_rollover_and_close(client, org):
    from core_billing.models import Season, SeasonAccount

    f.season(late_start=None)
    body = page(client, org.manager, "billing:seasons").content.decode()
    assert "2025-2026" in body and "开始新供暖年度" not in body  # managers only look
    client.force_login(org.admin)
    r = client.post(reverse("billing:seasons"), {"rollover": "1", "name": "2026-2027", "start_date": "2026-11-15",
                                                 "end_date": "2027-03-15", "close_source": "on", "reason": "新年度"})
    assert r.status_code == 302
    new = Season.objects.get(name="2026-2027")
    assert new.is_current and Season.objects.get(name="2025-2026").status == "closed"
    assert SeasonAccount.objects.filter(season=new).count() == 4
    bad = client.post(reverse("billing:seasons"), {"rollover": "1", "name": "2026-2027", "start_date": "2026-11-20",
                                                   "end_date": "2027-03-15"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
