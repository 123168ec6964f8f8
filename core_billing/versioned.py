"""Rarely written rows that hot paths read, kept in each process under a version held in the shared cache.

A writer calls `changed()`: the version moves on at once and again after the
commit.  A reader compares the shared version with the one its process loaded
under (one cache GET) and reloads when they differ, so a change is seen by
every process on its next read.  The second move matters: a reader that loaded
the old rows while the write was still open stored them under the first new
version, and the one after the commit retires that.

What a reader loads inside a transaction is not kept: it may hold that
transaction's own uncommitted writes, which nobody else may see and which
nothing retires if they roll back.  A value is also reloaded after `ttl`
seconds, in case something wrote the rows without saying so (raw SQL, a
migration)."""
from __future__ import annotations

import time
import uuid
from typing import Callable, Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")


class Versioned(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], ttl: float = 60.0):
        self.key = f"nuanxin:versioned:{name}"
        self.ttl = ttl
        self._load = load
        self._kept: tuple[str, float, T] | None = None  # (version, reload after, value): replaced whole

    def _bump(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, None)

    def changed(self) -> None:
        self._bump()
        transaction.on_commit(self._bump)

    def _version(self) -> str:
        version = cache.get(self.key)
        if version is None:  # never set, or the cache was emptied: start one, never reuse what was kept before
            cache.add(self.key, uuid.uuid4().hex, None)
            version = cache.get(self.key) or ""
        return version

    def get(self) -> T:
        version, now = self._version(), time.monotonic()
        kept = self._kept
        if kept is not None and kept[0] == version and kept[1] > now:
            return kept[2]
        value = self._load()
        if not connection.in_atomic_block:
            self._kept = (version, now + self.ttl, value)
        return value
