"""Shared fixtures.  Tests use the real database (SQLite by default,
PostgreSQL when DATABASE_URL is set); nothing here mocks the ORM."""
from __future__ import annotations

import ipaddress
import os
import socket
import uuid

import pytest

from tests import factories as f

IN_CI = os.environ.get("NUANXIN_CI") == "1"


def unavailable(message: str) -> None:
    """A test whose service or program this machine lacks: skipped with `message` (what to install or set),
    but failed in CI, where nothing may be missing."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)

# The SMS simulator fixtures (sim, make_sim, billing_provider) serve every app that sends SMS.
pytest_plugins = ["tests.messaging.fixtures"]


def _is_loopback(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except OSError:
            return False


_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        raise RuntimeError(f"test tried to reach a non-loopback address: {address[0]}")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # a test that would leave the machine fails


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not request.node.get_closest_marker("integration"):  # those read what worker processes wrote
        # Each test its own cache keys: the cache (a file cache, or Redis) is shared by the xdist workers
        # and outlives a run, so another test's rate-limit counters made the self-service code test flake.
        default = {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
        settings.CACHES = {**settings.CACHES, "default": default}
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def org(db):
    """Two stations with one community, building and two customers each, and the personas."""
    s1, s2 = f.station("S1", "一站"), f.station("S2", "二站")
    data = {"s1": s1, "s2": s2}
    for key, st in (("1", s1), ("2", s2)):
        ex = f.exchange_station(st)
        comm = f.community(st, name=f"阳光花园{key}")
        bldg = f.building(comm, name="1号楼", exchange=ex)
        data[f"exchange{key}"] = ex
        data[f"community{key}"] = comm
        data[f"building{key}"] = bldg
        data[f"customer{key}"] = f.customer(bldg, name=f"张伟{key}", room="101", phones=[f"1380013800{key}"])
        data[f"customer{key}b"] = f.customer(bldg, name=f"李娜{key}", room="102", phones=["0412-5551234"])
        data[f"service{key}"] = f.user(f"service{key}", "customer_service", st=st)
        data[f"supervisor{key}"] = f.user(f"supervisor{key}", "supervisor", st=st)
        data[f"collector{key}"] = f.user(f"collector{key}", "collector", st=st)
        f.assign(data[f"collector{key}"], comm=comm)
    data["admin"] = f.user("admin", "administrator", is_staff=True, is_superuser=True)
    data["manager"] = f.user("manager", "manager")
    return type("Org", (), data)


def _chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if os.path.exists(path) else None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = _chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("browser tests need Chromium: install it (Debian/Ubuntu: apt install chromium) "
                    "or set CHROMIUM_PATH")
    return {**browser_type_launch_args, "executable_path": path,
            "args": ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                     "--disable-gpu", "--no-first-run", "--disable-sync"]}


@pytest.fixture(autouse=True)
def _sqlite_audit_triggers(request, django_db_blocker):
    """On SQLite the flush after a transactional test empties tables with DELETE,
    which the append-only triggers (audit log, ledger, ...; core_billing/append_only.py)
    refuse: such tests lift the triggers for their flush, and every database test
    starts with them in place."""
    from django.db import connection

    from core_billing.append_only import APPEND_ONLY_TABLES, sqlite_create, sqlite_drop

    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = ("transactional_db" in names or "live_server" in names
                     or bool(marker and marker.kwargs.get("transaction")))
    if connection.vendor != "sqlite" or not (transactional or marker or "db" in names):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    with django_db_blocker.unblock(), connection.cursor() as cur:
        for table in APPEND_ONLY_TABLES:
            for sql in sqlite_create(table):
                cur.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    yield
    if transactional:
        with django_db_blocker.unblock(), connection.cursor() as cur:
            for table in APPEND_ONLY_TABLES:
                for sql in sqlite_drop(table):
                    cur.execute(sql)
