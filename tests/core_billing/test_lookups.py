"""An id no integer column can hold matches nothing, on every database."""
import pytest

from core_billing.models import Customer

pytestmark = pytest.mark.django_db


def test_an_id_no_integer_column_holds_matches_nothing(org, client):
    first = org.customer1
    assert list(Customer.objects.filter(pk__in=[10 ** 30, first.pk])) == [first]
    assert not Customer.objects.filter(pk__in=[10 ** 30, -10 ** 30]).exists()
    client.force_login(org.supervisor1)  # the API fuzzer's case: a filter form's choice of an absurd id
    assert client.get("/api/v1/reports/arrears/", {"customer_type": "9341699584330278035783680"}).status_code == 400
