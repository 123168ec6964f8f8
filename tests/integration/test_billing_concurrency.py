"""Billing under concurrency on PostgreSQL: the same online notification arriving
five times at once records one payment; payments taken while a price change
re-prices the season leave every balance equal to its ledger."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from core_billing.models import Receipt, SeasonAccount
from core_billing.services.ledger import payment_take
from core_billing.services.pricing_changes import tariff_change
from tests import factories as f

pytestmark = pytest.mark.integration


def run_together(*calls):
    """Start the calls in threads (own database connections) at the same moment."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_same_notification_five_times_at_once_is_one_payment(real_services, org):
    f.season(late_start=None)

    def notify():
        return payment_take(actor=None, customer=org.customer1, amount="500", method="online", provider="simulator",
                            provider_txn_id="SIM-42", paid_on=dt.date(2025, 11, 20))
    results, errors = run_together(*[notify] * 5)
    assert not errors, errors
    assert Receipt.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert {r.receipt.pk for r in results} == {Receipt.objects.get().pk}
    assert f.account(org.customer1).paid == D("500.00")


def test_payments_during_a_price_change_keep_balances_equal_to_the_ledger(real_services, org):
    season = f.season(late_start=None)

    def reprice():
        return tariff_change(actor=org.admin, season=season, customer_type=f.customer_type(), unit_price="30",
                             reason="调价")

    def pay(customer, collector):
        return lambda: payment_take(actor=collector, customer=customer, amount="100", method="cash",
                                    paid_on=dt.date(2025, 11, 20))
    _results, errors = run_together(reprice, pay(org.customer1, org.collector1), pay(org.customer2, org.collector2),
                                    pay(org.customer1b, org.collector1))
    assert not errors, errors
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM core_billing_seasonaccount a WHERE a.due <> "
                    "(SELECT SUM(e.amount) FROM core_billing_ledgerentry e WHERE e.account_id = a.id) "
                    "OR a.paid <> COALESCE((SELECT -SUM(e.amount) FROM core_billing_ledgerentry e "
                    "WHERE e.account_id = a.id AND e.kind = 'payment'), 0)")
        assert cur.fetchone()[0] == 0
    for acc in SeasonAccount.objects.all():
        assert acc.heating_fee == D("2655.00")  # 88.50 m² × 30
    assert sorted(SeasonAccount.objects.values_list("paid", flat=True)) == [0, D("100"), D("100"), D("100")]
