"""The seasons, tariffs and discount tiers that bills are shown with are kept per process
(selectors/season_settings.py); every way head office changes them shows on the next bill shown.

Transactional: the kept copy is only used and filled outside a transaction, as on a pay page."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction

from core_billing.models import DiscountTier, Tariff
from core_billing.selectors.billing import customer_billing_summary
from core_billing.services.billing import season_make_current, season_setting_save
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2025, 10, 15)  # within the 2 % early-payment tier of 2025-2026


class Rollback(Exception):
    pass


def settle_discount(customer) -> D:
    return customer_billing_summary(customer, as_of=DAY).seasons[-1].settle_discount


def test_a_changed_tier_or_price_shows_on_the_next_bill(org):
    season = f.season(late_start=None)
    assert settle_discount(org.customer1) == D("42.50")  # 2 % of 2124; the settings are now kept
    tier = DiscountTier.objects.get(season=season, rate=D("0.02"))
    tier.rate = D("0.05")
    season_setting_save(actor=org.admin, obj=tier, reason="提高优惠")
    assert settle_discount(org.customer1) == D("106.20")  # 5 % of 2124
    tariff = Tariff.objects.get(season=season)
    tariff.unit_price = D("25.00")
    season_setting_save(actor=org.admin, obj=tariff, reason="调价")
    summary = customer_billing_summary(org.customer1, as_of=DAY)
    assert summary.unit_price == D("25.00") and summary.seasons[-1].heating_fee == D("2212.50")


def test_a_new_current_season_shows_on_the_next_bill(org):
    old = f.season(late_start=None)
    new = f.season(name="2026-2027", start=dt.date(2026, 11, 15), end=dt.date(2027, 3, 15), current=False)
    assert customer_billing_summary(org.customer1, as_of=DAY).season == "2025-2026"
    season_make_current(actor=org.admin, season=new, reason="新年度")  # an UPDATE: no post_save
    summary = customer_billing_summary(org.customer1, as_of=DAY)
    assert summary.season == "2026-2027"
    assert [line.is_current for line in summary.seasons] == [False, True] and old.pk == summary.seasons[0].season_id


def test_what_a_rolled_back_change_showed_inside_it_is_not_kept(org):
    season = f.season(late_start=None)
    assert settle_discount(org.customer1) == D("42.50")
    with pytest.raises(Rollback), transaction.atomic():
        DiscountTier.objects.filter(season=season).delete()
        assert settle_discount(org.customer1) == 0  # the transaction sees its own change
        raise Rollback
    assert settle_discount(org.customer1) == D("42.50")
