"""Figures of the performance pages: a rate as a percentage, a missing value as a dash."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

DASH = "—"


@register.filter
def pct(rate) -> str:
    """0.9464 → "94.6%"; None → "—"."""
    if rate is None:
        return DASH
    return f"{floatformat(float(rate) * 100, 1)}%"


@register.filter
def fig(value, digits=1) -> str:
    """A number with `digits` decimals; None → "—"."""
    if value is None:
        return DASH
    return floatformat(value, digits)
