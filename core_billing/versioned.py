"""Rarely written rows that hot paths read, kept in each process under a version held in the shared cache.

A writer calls `changed()`: its own process drops its copy, and the shared
version moves on at once and again after the commit.  A reader compares the
shared version with the one its copy was loaded under, at most once every
`recheck` seconds (the comparison is a cache round trip, as dear as the query
it saves on a pay page), and reloads when they differ.  So another process
sees a change within `recheck` seconds, as if its page had been opened that
much earlier.  The second move matters: a reader that loaded the old rows
while the write was still open kept them under the first new version, and the
one after the commit retires that.

Inside a transaction a reader always loads from the database and keeps
nothing: it may be the writer, who must see its own change at once, and what
it loads may be uncommitted, which nobody else may see and which nothing
retires if it rolls back.  A copy is also reloaded after `ttl` seconds, in
case something wrote the rows without saying so (raw SQL, a migration)."""
from __future__ import annotations

import time
import uuid
from typing import Callable, Generic, NamedTuple, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")


class _Copy(NamedTuple):
    version: str
    loaded: float
    checked: float
    value: object


class Versioned(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], ttl: float = 60.0, recheck: float = 1.0):
        self.key = f"nuanxin:versioned:{name}"
        self.ttl, self.recheck = ttl, recheck
        self._load = load
        self._copy: _Copy | None = None  # replaced whole, never changed in place: threads share it

    def _bump(self) -> None:
        self._copy = None
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

    def get(self, *, reload: bool = False) -> T:
        """The kept value; `reload`: load it again whatever the version says (the caller found it short)."""
        if connection.in_atomic_block:
            return self._load()
        now, copy = time.monotonic(), self._copy
        if copy is not None and now - copy.loaded < self.ttl and not reload:
            if now - copy.checked < self.recheck:
                return copy.value
            version = self._version()
            if version == copy.version:
                self._copy = copy._replace(checked=now)
                return copy.value
        else:
            version = self._version()
        value = self._load()
        self._copy = _Copy(version, now, now, value)
        return value
