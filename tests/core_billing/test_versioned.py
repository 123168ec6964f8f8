"""A copy kept per process (core_billing/versioned.py): two Versioned objects of one name stand for two
processes sharing the cache."""
import time

import pytest

from core_billing.versioned import Versioned


@pytest.mark.django_db(transaction=True)  # changed() asks the connection whether a transaction is open
def test_a_change_reaches_this_process_at_once_and_another_within_recheck():
    rows = {"value": 1}
    here = Versioned("test", lambda: rows["value"], recheck=0.3)
    there = Versioned("test", lambda: rows["value"], recheck=0.3)
    assert here.get() == there.get() == 1
    rows["value"] = 2
    here.changed()  # outside a transaction the after-commit move happens at once too
    assert here.get() == 2
    assert there.get() == 1  # its copy was checked less than `recheck` ago
    time.sleep(0.35)
    assert there.get() == 2


def test_a_write_nobody_announced_shows_after_ttl():
    rows = {"value": 1}
    kept = Versioned("test", lambda: rows["value"], ttl=0.3, recheck=60)
    assert kept.get() == 1
    rows["value"] = 2  # raw SQL, say: no changed()
    assert kept.get() == 1
    time.sleep(0.35)
    assert kept.get() == 2
