"""Season settings edited in the Django admin go through the billing services."""
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core_billing.models import AuditLog, LedgerEntry, PriceChange, Tariff
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_tariff_edited_in_admin_reprices_the_season(client, org):
    s = f.season()
    tariff = Tariff.objects.get(season=s)
    client.force_login(org.admin)
    r = client.post(reverse("admin:core_billing_tariff_change", args=[tariff.pk]), {
        "season": s.pk, "customer_type": tariff.customer_type_id, "unit_price": "25", "base_price": "12",
        "heat_price": "44.45"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert PriceChange.objects.get().accounts == 4
    assert f.account(org.customer1).heating_fee == D("2212.50")
    assert AuditLog.objects.filter(action="tariff.change").exists()


def test_ledger_is_read_only_in_admin(client, org):
    f.season()
    entry = LedgerEntry.objects.first()
    client.force_login(org.admin)
    assert client.get(reverse("admin:core_billing_ledgerentry_changelist")).status_code == 200
    body = client.get(reverse("admin:core_billing_ledgerentry_change", args=[entry.pk])).content
    assert b'name="_save"' not in body
    assert client.post(reverse("admin:core_billing_ledgerentry_delete", args=[entry.pk]),
                       {"post": "yes"}).status_code == 403
