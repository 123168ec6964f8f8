"""Extra sections that upper apps add to the customer page (from their
AppConfig.ready), so core_billing renders them without importing those apps.

    register_customer_panel(func, order=50)   func(request, customer) -> html string ("" to show nothing)
"""
from __future__ import annotations

from typing import Callable

_panels: list[tuple[int, str, Callable]] = []


def register_customer_panel(func: Callable, *, order: int = 50) -> None:
    name = f"{func.__module__}.{func.__qualname__}"
    if all(n != name for _o, n, _f in _panels):
        _panels.append((order, name, func))
        _panels.sort(key=lambda p: p[0])


def customer_panels(request, customer) -> list[str]:
    return [html for _o, _n, func in _panels if (html := func(request, customer))]
