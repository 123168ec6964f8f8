"""Showing report cells on pages the way the export types them."""
import datetime as dt
from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone

from core_billing.templatetags.billing import yuan

from ..xlsx import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT

register = template.Library()


def show(kind: str, value) -> str:
    if value is None or value == "":
        return "—"
    if kind == MONEY:
        return yuan(value)
    if kind == DECIMAL:
        return f"{Decimal(value):,.2f}"
    if kind == PERCENT:
        return f"{Decimal(value) * 100:.1f}%"
    if kind == INT:
        return intcomma(value)
    if kind == DATETIME and isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else \
            value.strftime("%Y-%m-%d %H:%M")
    if kind == DATE and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@register.simple_tag
def cell(column, row):
    """The value of `column` in `row`, formatted by its kind (escaped by the template engine)."""
    return show(column.kind, column.value(row))


@register.filter
def percent(value):
    return show(PERCENT, value)


@register.filter
def is_number_column(column) -> bool:
    return column.kind in (INT, MONEY, DECIMAL, PERCENT)
