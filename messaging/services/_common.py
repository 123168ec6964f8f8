from __future__ import annotations

import time

from core_billing.errors import PermissionDeniedError


def require_sender(actor, perm: str, message: str) -> None:
    """`actor=None` is the system itself (a task acting for a campaign or a work
    order that a person started earlier); anyone else needs the permission."""
    if actor is None:
        return
    if not (actor.is_active and actor.has_perm(perm)):
        raise PermissionDeniedError(message)


def visible_or_error(source, actor, pk, what: str = "对象"):
    """Like get_visible_or_404, for services: another station's object does not exist."""
    from django.http import Http404

    from core_billing.errors import AppError
    from core_billing.scoping import get_visible_or_404

    try:
        return get_visible_or_404(source, actor, pk=pk)
    except Http404:
        raise AppError(f"{what}不存在。", code="not_found") from None


_asked: dict[str, float] = {}  # per process: key -> until when a run asked for has surely not started


def schedule_soon(key: str, task, delay: float, *, when_eager: bool = True) -> None:
    """Run `task` once, `delay` seconds after the current transaction commits,
    however many callers ask within that time (a storm of receipts asks
    thousands of times a second).  The run starts after the window closes, so
    whatever arrived during the window is in the database when it runs.
    Eager Celery (tests, CELERY_TASK_ALWAYS_EAGER) runs synchronously and has
    nothing to coalesce: it runs at once, or not at all for `when_eager=False`
    (a retry loop that would otherwise recurse)."""
    from celery import current_app
    from django.core.cache import cache
    from django.db import transaction

    if current_app.conf.task_always_eager:
        if when_eager:
            transaction.on_commit(lambda: task.apply())
        return
    window = max(1, int(delay))

    def ask():
        # After the commit, so whatever this caller wrote is in the database before any run it relies on starts.
        now = time.time()
        if _asked.get(key, 0.0) > now:
            return  # a run starts after this moment: asked for by this process, or seen asked for by another
        if cache.add(f"nuanxin:soon:{key}", 1, timeout=window):
            task.apply_async(countdown=window + 0.2)
            _asked[key] = now + window
        else:
            # Another process's run starts 0.2 s after its key expires, and the key is still there: at least
            # 0.2 s from now.  Without this every callback of a storm would ask Redis.
            _asked[key] = now + 0.2

    transaction.on_commit(ask)