"""Report pages: what each role sees, filters, the dashboard's inline charts."""
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_dashboard_for_a_manager(client, org, ledger):
    client.force_login(org.manager)
    response = client.get(reverse("reports:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "本季收缴率" in html and "本周短信 送达 / 失败" in html and "各供热站欠费" in html
    assert html.count("<svg") == 2 and 'class="chart-narrow"' in html and "<script" not in html.split("<main", 1)[1]
    assert not re.search(r"<svg[^>]*\s(width|height)=", html)  # scales with the card
    assert "22.4%" in html  # 1,900 of 8,496 yuan
    assert "一站" in html and "二站" in html


def test_dashboard_of_a_station_shows_its_station(client, org, ledger):
    client.force_login(org.supervisor2)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert "二站" in html and "一站" not in html


def test_report_pages_and_navigation(client, org, ledger):
    client.force_login(org.supervisor1)
    home = client.get("/").content.decode()
    assert reverse("reports:dashboard") in home and reverse("reports:index") in home
    index = client.get(reverse("reports:index")).content.decode()
    for name in ("收费进度", "欠费清单", "收费日报", "管辖区域统计", "我的导出"):
        assert name in index
    for tab in ("station", "community", "collector", "season"):
        page = client.get(reverse("reports:collection"), {"group_by": tab})
        assert page.status_code == 200 and "1,600.00" in page.content.decode()
    arrears = client.get(reverse("reports:arrears"), {"community": org.community1.pk}).content.decode()
    assert org.customer1.account_no in arrears and org.customer2.account_no not in arrears
    assert 'action="/reports/export/arrears/"' in arrears and f'name="community" value="{org.community1.pk}"' in arrears
    cash = client.get(reverse("reports:cash"), {"date_from": "2025-12-01"}).content.decode()
    assert "3,124.00" in cash and "二站" not in cash  # station 1's day: 1000 + 2124
    assert org.collector1.display_name in client.get(reverse("reports:jurisdictions")).content.decode()


def test_bad_filter_shows_the_error(client, org, ledger):
    client.force_login(org.supervisor1)
    html = client.get(reverse("reports:cash"), {"date_from": "2026-01-05", "date_to": "2026-01-01"}).content.decode()
    assert "不能早于起始日期" in html


def test_roles_without_reports(client, org):
    client.force_login(org.collector1)
    for name in ("reports:dashboard", "reports:collection", "reports:arrears", "reports:cash"):
        assert client.get(reverse(name)).status_code == 403
    assert reverse("reports:dashboard") not in client.get("/").content.decode()
