"""Menu entries that upper apps add to the console header (from their AppConfig.ready),
so the base layer renders them without importing those apps."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translation
    url_name: str
    permission: str
    order: int = 50


_items: list[NavItem] = []


def register_nav(label, url_name: str, permission: str, order: int = 50) -> None:
    if all(i.url_name != url_name for i in _items):
        _items.append(NavItem(label, url_name, permission, order))
        _items.sort(key=lambda i: i.order)


def nav_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [{"label": i.label, "url": reverse(i.url_name)} for i in _items if user.has_perm(i.permission)]
