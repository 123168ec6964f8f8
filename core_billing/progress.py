"""Progress of long work (imports, campaigns, exports), kept in the cache so a
page can read it while the work's own transaction is still open."""
from __future__ import annotations

from django.core.cache import cache

TTL = 24 * 3600


def progress_set(key: str, *, done: int, total: int, phase: str = "", message: str = "") -> None:
    cache.set(f"progress:{key}", {"done": done, "total": total, "phase": phase, "message": message}, TTL)


def progress_get(key: str) -> dict:
    data = cache.get(f"progress:{key}") or {"done": 0, "total": 0, "phase": "", "message": ""}
    total = data["total"]
    data["percent"] = int(100 * data["done"] / total) if total else 0
    return data


def progress_clear(key: str) -> None:
    cache.delete(f"progress:{key}")
