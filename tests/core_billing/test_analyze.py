"""Planner statistics after a bulk load (core_billing.services._common.analyze), PostgreSQL only."""
import pytest
from django.db import connection

from core_billing.models import Customer
from core_billing.services._common import analyze
from tests import factories as f
from tests.conftest import unavailable


def _reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_is_analyzed_at_once_and_a_small_growth_is_left_to_autovacuum():
    if connection.vendor != "postgresql":
        unavailable("planner statistics are PostgreSQL's: set DATABASE_URL=postgres://...")
    building = f.building(f.community(f.station("A1", "统计站")))
    ctype = f.customer_type()
    Customer.objects.bulk_create([Customer(station_id=building.station_id, building=building, unit=1, room=f"{i}",
                                           account_no=f"A{i:06d}", name=f"住户{i}", customer_type=ctype, area=80)
                                  for i in range(3000)])
    table = Customer._meta.db_table
    analyze(Customer, grown_by=3000)  # never analyzed (reltuples -1): a growth of 3,000 counts
    assert _reltuples(table) == 3000

    Customer.objects.filter(account_no__gte="A002900").delete()
    analyze(Customer, grown_by=100)  # a thirtieth of what the statistics hold: left as it is
    assert _reltuples(table) == 3000
    analyze(Customer)  # named without grown_by: always
    assert _reltuples(table) == 2900
