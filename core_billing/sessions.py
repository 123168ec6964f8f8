"""Sessions read from Redis and written through to the database (Django's cached_db), except
that signing in, pages and signing out still work from the database when Redis is away
(Django's store only forgives a failed cache write)."""
from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.contrib.sessions.backends.db import SessionStore as DbStore

log = logging.getLogger("core_billing.sessions")


def _redis_away():
    log.warning("session cache unavailable; the database answers", exc_info=True)


class SessionStore(CachedDbStore):
    def load(self):
        try:
            return super().load()
        except Exception:
            _redis_away()
            return DbStore.load(self)

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:
            _redis_away()
            return DbStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception:
            _redis_away()
            DbStore.delete(self, session_key)
