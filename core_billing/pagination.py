"""A Paginator that reads a page and the total in one query (COUNT(*) OVER ()).

Django's Paginator counts first and fetches the page after: a search the
indexes cannot narrow (a one-character name) scans the station's households
twice per page view.  Here the page's rows carry the total; only a page past
the end (no rows to carry it) falls back to the count query."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable

TOTAL = "paginator_total"


class WindowCountPaginator(Paginator):
    def _one_query(self, number) -> object | None:
        qs = self.object_list
        if (not isinstance(qs, QuerySet) or qs._iterable_class is not ModelIterable or qs.query.distinct
                or qs.query.combinator or self.orphans or "count" in self.__dict__):
            return None  # a window counts rows before DISTINCT; orphans need the count first
        try:
            number = int(number)
        except (TypeError, ValueError):
            return None
        if number < 1 or number * self.per_page >= 2 ** 62:
            return None  # an offset past what the database's integers hold: the count says "no such page"
        bottom = (number - 1) * self.per_page
        rows = list(qs.annotate(**{TOTAL: Window(Count("*"))})[bottom:bottom + self.per_page])
        if not rows:
            return None
        self.__dict__["count"] = getattr(rows[0], TOTAL)  # the cached_property Paginator.count
        return self._get_page(rows, number, self)

    def page(self, number):
        return self._one_query(number) or super().page(number)

    def get_page(self, number):
        return self._one_query(number) or super().get_page(number)
