"""Delivery receipts straight from the WSGI server to their view.

Gateways post a receipt per message, thousands a second during a campaign
(issue 4).  A receipt needs nothing of Django's middleware stack (sessions,
CSRF, locale, messages, htmx, CSP, login throttling) nor its URL resolver, and
on a 2-core machine those cost more than the receipt's own work: measured
under gunicorn, a webhook that refused every callback after the signature
check took 1,600 a second through Django and a bare WSGI app 3,500-4,500.
So config/wsgi.py wraps Django's handler in ReceiptIntake, which answers
POST /webhooks/sms/<gateway>/status/ by calling the same view, sms_status,
with a plain WSGIRequest; every other request goes to Django unchanged.

What Django's handler would have done and still matters here is done here:
request_started / request_finished (database connections are checked and
closed by age as on every request), ALLOWED_HOSTS and the upload size limit
(by WSGIRequest itself: 400), errors logged on `django.request` and answered
500, unknown gateways answered 404.  Tests post through this wrapper as well as
through Django's test client (tests/webhooks/test_intake.py).
"""
from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core import signals
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404, HttpResponse

log = logging.getLogger("django.request")
STATUS_PATH = re.compile(r"/webhooks/sms/([-a-zA-Z0-9_]+)/status/")


class ReceiptIntake:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        match = (STATUS_PATH.fullmatch(environ.get("PATH_INFO", ""))
                 if environ.get("REQUEST_METHOD") == "POST" else None)
        if match is None or match[1] not in settings.SMS_GATEWAYS:
            return self.app(environ, start_response)
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            response = self._respond(WSGIRequest(environ), match[1])
        finally:
            signals.request_finished.send(sender=self.__class__)
        content = response.content
        if not response.has_header("Content-Length"):  # as Django's CommonMiddleware would: no chunked framing
            response.headers["Content-Length"] = str(len(content))
        start_response(f"{response.status_code} {response.reason_phrase}", [*response.items()])
        return [content]

    @staticmethod
    def _respond(request, gateway: str) -> HttpResponse:
        from .views import sms_status

        try:
            return sms_status(request, gateway)
        except Http404:
            return HttpResponse("not found", status=404, content_type="text/plain")
        except SuspiciousOperation as exc:  # a host not allowed, a body over the upload limit
            logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
            return HttpResponse("bad request", status=400, content_type="text/plain")
        except Exception:
            log.exception("Internal Server Error: %s", request.path, extra={"status_code": 500})
            return HttpResponse("server error", status=500, content_type="text/plain")
