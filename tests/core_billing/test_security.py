import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, password):
    return client.post(reverse("login"), {"username": "service1", "password": password}, REMOTE_ADDR="10.0.0.7")


def test_login_locks_after_repeated_failures_even_with_the_right_password(org, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "wrong")
        assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    assert _login(client, "wrong").status_code == 429  # the limit-th failure locks
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # the API's token endpoint shares the lock
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    token = api.post(reverse("api-token"), {"username": "service1", "password": PASSWORD})
    assert token.status_code == 429 and "锁定" in token.json()["message"]


def test_a_success_resets_the_count(org, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302


def test_security_headers_on_pages(org, client):
    login = _login(client, PASSWORD)
    cookie = login.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    response = client.get(reverse("console:customer-list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_csrf_enforced_on_forms_and_session_api(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.supervisor1)
    response = client.post(reverse("console:customer-edit", args=[org.customer1.pk]), {"name": "x"})
    assert response.status_code == 403
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(org.supervisor1)
    assert api.patch(reverse("customer-detail", args=[org.customer1.pk]), {"name": "x"},
                     format="json").status_code == 403


def test_api_docs_load_no_outside_scripts(org, client):
    client.force_login(org.service1)
    body = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr" not in body and "unpkg" not in body
    assert "<script>" not in body.replace(" ", "")  # no inline script: CSP script-src 'self' holds


def test_templates_have_no_inline_script_the_csp_would_block():
    """script-src 'self': behaviour lives in static files, never in <script> bodies or on* attributes."""
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR).glob("*/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=\s*\"", text):
            offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert not offenders


@pytest.mark.integration
def test_permissions_come_from_redis_and_a_role_taken_away_is_gone_on_the_next_request(org, client, settings):
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import unavailable

    if not settings.REDIS_URL:
        unavailable("permissions are cached in Redis only: set REDIS_URL=redis://...")
    client.force_login(org.supervisor1)
    assert client.get(reverse("reports:records")).status_code == 200

    def permission_queries():
        with CaptureQueriesContext(connection) as queries:
            status = client.get(reverse("reports:records")).status_code
        return status, sum("auth_permission" in q["sql"] for q in queries.captured_queries)

    assert permission_queries() == (200, 0)  # read from Redis
    org.supervisor1.groups.set([Group.objects.get(name="collector")])
    status, asked = permission_queries()
    assert status == 403 and asked > 0  # the database again, at once


def test_pages_still_load_from_the_database_when_redis_is_away(org, client, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.REDIS_URL}}
    settings.SESSION_ENGINE = "core_billing.sessions"
    client.force_login(org.supervisor1)
    assert client.get(reverse("reports:records")).status_code == 200
    client.force_login(org.collector1)
    assert client.get(reverse("reports:records")).status_code == 403
    client.logout()
    assert "permissions cache unavailable" in caplog.text and "session cache unavailable" in caplog.text
