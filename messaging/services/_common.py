from __future__ import annotations

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
