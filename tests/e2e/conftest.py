"""Browser tests: Playwright driving Debian's Chromium against live_server."""
import os

import pytest

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# from the test body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def login(page, live_server):
    """login(user) signs in through the real login form and returns the page."""
    def go(user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page
    return go


@pytest.fixture
def phone_context_args():
    """A phone-sized viewport for customer pages (pass to browser.new_context)."""
    return {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
            "has_touch": True, "locale": "zh-CN"}
