"""Pages and their totals in one query, the same answers as Django's Paginator."""
import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_billing.models import Customer
from core_billing.pagination import WindowCountPaginator
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty(org):
    for i in range(58):
        f.customer(org.building1, name=f"王{i}", room=f"W{i}", phones=[])
    return Customer.objects.order_by("pk")  # 58 + the org's 4


@pytest.mark.parametrize("asked", ["1", "3", "9", "x", None, "8722763288407740416"])
def test_every_page_matches_djangos_paginator(sixty, asked):
    ours, theirs = WindowCountPaginator(sixty, 25).get_page(asked), Paginator(sixty, 25).get_page(asked)
    assert (ours.number, ours.paginator.count, ours.paginator.num_pages) == \
        (theirs.number, theirs.paginator.count, theirs.paginator.num_pages) == (ours.number, 62, 3)
    assert [c.pk for c in ours] == [c.pk for c in theirs]


def test_a_page_past_the_end_is_no_page(sixty):
    from django.core.paginator import EmptyPage

    for asked in ("4", "8722763288407740416"):
        with pytest.raises(EmptyPage):
            WindowCountPaginator(sixty, 25).page(asked)


def test_a_page_and_its_total_take_one_query(sixty):
    with CaptureQueriesContext(connection) as queries:
        page = WindowCountPaginator(sixty.filter(name__startswith="王"), 25).get_page("3")
        assert (len(page), page.paginator.count, page.has_next()) == (8, 58, False)
    assert len(queries) == 1


def test_nothing_found_and_distinct_rows_are_counted_the_usual_way(sixty):
    empty = WindowCountPaginator(sixty.filter(name="无此人"), 25).get_page("1")
    assert (len(empty), empty.paginator.count) == (0, 0)
    f.building(sixty[0].building.community, name="2号楼")  # the join below now meets building 1's households twice
    doubled = Customer.objects.filter(building__community__buildings__isnull=False).order_by("pk")
    assert doubled.count() == 62 + 60
    page = WindowCountPaginator(doubled.distinct(), 25).get_page("1")
    assert (page.paginator.count, len(page)) == (62, 25)

