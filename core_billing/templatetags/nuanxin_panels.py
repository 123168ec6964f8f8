from django import template
from django.utils.safestring import mark_safe

from ..panels import customer_panels as _customer_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def customer_panels(context, customer):
    """The sections upper apps registered for the customer page (already escaped by their templates)."""
    return mark_safe("".join(_customer_panels(context["request"], customer)))
