"""A small ledger for the report tests: one season, payments by three people
and one online payment on two days, and a reversal (made today)."""
import datetime as dt
from types import SimpleNamespace

import pytest

from core_billing.models import Receipt
from core_billing.services.ledger import payment_reverse, payment_take
from tests import factories as f

D1, D2 = dt.date(2025, 12, 1), dt.date(2025, 12, 2)


@pytest.fixture
def ledger(org):
    season = f.season(late_start=None)
    take = payment_take
    r1 = take(actor=org.collector1, customer=org.customer1, amount="1000", method="cash", paid_on=D1).receipt
    r2 = take(actor=org.collector1, customer=org.customer1, amount="500", method="card", paid_on=D2).receipt
    r3 = take(actor=org.supervisor1, customer=org.customer1b, amount="2124", method="cash", paid_on=D1).receipt
    r4 = take(actor=None, customer=org.customer1, amount="100", method="online", paid_on=D2, provider="simulator",
              provider_txn_id="T-1").receipt
    r5 = take(actor=org.collector2, customer=org.customer2, amount="300", method="cash", paid_on=D1).receipt
    payment_reverse(actor=org.supervisor1, receipt=Receipt.objects.get(pk=r3.pk), reason="收错户")
    return SimpleNamespace(season=season, receipts=[r1, r2, r3, r4, r5])
