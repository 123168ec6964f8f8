"""IDOR sweep: for every API route that names an object, a station-2 user
holding every permission gets 404 for station-1 objects, and lists never show them.

The data is the demo data set (each app's demo seed), so a new endpoint is
swept as soon as its app seeds demo rows; an endpoint with no station-1 row
to try fails the sweep rather than passing it silently."""
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from core_billing.audit import station_of
from core_billing.demo import seed_org
from core_billing.models import Station, User
from core_billing.roles import Role

pytestmark = pytest.mark.django_db



def _company_wide(viewset) -> bool:
    """Company-wide data (customer types, seasons, tariffs ...) belongs to no station."""
    from core_billing.scoping import StationScopedQuerySet

    queryset = getattr(viewset, "queryset", None)
    return queryset is not None and not isinstance(queryset.model._default_manager.all(), StationScopedQuerySet)


def _detail_routes():
    """(name, pattern, viewset) for every /api/v1/ route with a {pk} in it."""
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/")
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and "(?P<pk>" in str(p.pattern) and p.name and \
                    hasattr(p.callback, "cls") and getattr(p.callback, "actions", None):
                if "format" in str(p.pattern):
                    continue
                found.append((p.name, prefix + str(p.pattern), p.callback.cls, p.callback.actions))
    walk(api.url_patterns, "/api/v1/")
    return found


def _path(pattern: str, pk) -> str:
    path = re.sub(r"\(\?P<pk>[^)]+\)", str(pk), pattern)
    return path.replace("^", "").replace("$", "").replace("\\.", ".")


@pytest.fixture
def demo(db):
    import importlib

    from core_billing.roles import PROJECT_APPS

    result = seed_org(customers=60, log=lambda *a: None)
    for app in PROJECT_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        if hasattr(module, "seed"):
            module.seed(org=result, log=lambda *a: None)
    s1, s2 = Station.objects.get(code="S1"), Station.objects.get(code="S2")
    _rows_demo_data_lacks(s1)
    intruder = User.objects.create_user("intruder", password="x-intruder-1", station=s2)
    intruder.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))  # every permission, station 2 only
    return {"s1": s1, "s2": s2, "intruder": User.objects.get(pk=intruder.pk),
            "admin": User.objects.get(username="admin")}


def _rows_demo_data_lacks(s1):
    """Station-1 rows of kinds the demo does not create (its own imports, webhook subscriptions)."""
    from core_billing.models import ImportJob
    from webhooks.models import WebhookDelivery, WebhookSubscription

    supervisor = User.objects.get(username="supervisor1")
    ImportJob.objects.create(station=s1, actor=supervisor, filename="x.xlsx", source=b"x", status="failed",
                             error_report=b"x")
    sub = WebhookSubscription.objects.create(station=s1, url="https://example.org/h", events=["payment.succeeded"],
                                             created_by=supervisor)
    WebhookDelivery.objects.create(subscription=sub, event="payment.succeeded", payload={})


def test_every_object_route_hides_other_stations(demo):
    admin, intruder, s1 = demo["admin"], demo["intruder"], demo["s1"]
    routes = _detail_routes()
    assert len(routes) >= 8
    untested = []
    for name, pattern, viewset, actions in routes:
        if _company_wide(viewset):
            continue
        view = viewset()
        view.request = type("R", (), {"user": admin, "query_params": {}, "method": "GET"})()
        view.action, view.kwargs, view.format_kwarg = "retrieve", {}, None
        objects = [o for o in view.get_queryset()[:500] if station_of(o) == s1.pk]
        if not objects:
            untested.append(name)
            continue
        obj = objects[0]
        client = APIClient()
        client.force_authenticate(intruder)
        url = _path(pattern, obj.pk)
        for method in list(actions):
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 404, f"{method.upper()} {url} ({name}) gave {response.status_code}"
    assert not untested, f"no station-1 demo rows to sweep for: {untested}"


def test_lists_never_show_other_stations(demo):
    intruder, s1 = demo["intruder"], demo["s1"]
    client = APIClient()
    client.force_authenticate(intruder)
    for name, pattern, viewset, actions in _detail_routes():
        if _company_wide(viewset) or "get" not in actions or actions.get("get") != "retrieve":
            continue
        list_url = re.sub(r"\(\?P<pk>[^)]+\)/?$", "", _path(pattern, "PK")).replace("PK/", "")
        response = client.get(list_url, {"page_size": 500})
        if response.status_code != 200:
            continue
        rows = response.json()
        rows = rows.get("results", rows) if isinstance(rows, dict) else rows
        model = viewset.queryset.model if getattr(viewset, "queryset", None) is not None else None
        if model is None:
            continue
        ids = [r["id"] for r in rows if isinstance(r, dict) and "id" in r]
        leaked = [o.pk for o in model._default_manager.filter(pk__in=ids) if station_of(o) == s1.pk]
        assert not leaked, f"{list_url} shows station-1 rows {leaked[:5]}"
