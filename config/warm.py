"""What a web worker would otherwise do on its first requests, done before it takes any.

Django imports the URLconf (and with it every view module), the template tag libraries,
the cache client and the translation catalogues on first use.  Measured here: 0.2 s for the first request of a
fresh worker, so a restart under load (three workers) queued a second of work behind
the requests already waiting, and at 150 pay pages a second that took the next several
seconds to work off.  No database connection is opened here: each thread opens its own."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.template import engines
from django.urls import get_resolver
from django.utils import translation


def warm() -> None:
    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    engines.all()  # imports every template tag library (humanize alone: 60 ms)
    getattr(cache, "_cache", None)  # Redis: imports the client library; connects on first command
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("name")
