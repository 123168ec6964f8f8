"""Roles are Django groups whose permissions the code declares (each app's roles.py); sync_roles makes the
database say the same, and refuses a permission that does not exist."""
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_billing import roles

pytestmark = pytest.mark.django_db


def _held(name: str) -> set[str]:
    return {f"{app}.{code}" for app, code in Group.objects.get(name=name).permissions.values_list(
        "content_type__app_label", "codename")}


def test_every_role_holds_what_the_code_declares_and_nothing_else():
    collector = roles.Role.COLLECTOR.value
    group = Group.objects.get(name=collector)
    group.permissions.clear()  # drifted: an admin emptied the role by hand
    roles.sync_roles()
    for role, wanted in roles.collected_role_permissions().items():
        if roles.ALL not in wanted:
            assert _held(role) == wanted, role
    assert _held(collector)  # and the emptied one is whole again


def test_a_declared_permission_that_does_not_exist_is_refused(monkeypatch):
    declared = roles.collected_role_permissions()
    role = roles.Role.COLLECTOR.value
    declared[role] = declared[role] | {"core_billing.fly_to_the_moon"}
    monkeypatch.setattr(roles, "collected_role_permissions", lambda: declared)
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        roles.sync_roles()


def test_a_sync_takes_a_few_queries_per_role():
    with CaptureQueriesContext(connection) as queries:
        roles.sync_roles()
    assert len(queries) <= 6 * len(roles.collected_role_permissions()) + 2
