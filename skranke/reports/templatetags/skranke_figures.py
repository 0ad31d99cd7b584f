"""Figures as the staff pages show them: shares in whole per cent, times in minutes with one
decimal, in the page's language (a decimal comma in Danish)."""

from __future__ import annotations

from fractions import Fraction

from django import template
from django.utils.formats import number_format

from skranke.reports import rounding

register = template.Library()


@register.filter
def percent(value: Fraction | float | None) -> str:
    """A share 0..1 as "78 %"; empty for None."""
    if value is None:
        return ""
    return f"{number_format(rounding.rounded(Fraction(value) * 100, 0) or 0, 0)} %"


@register.filter
def minutes(seconds: Fraction | float | None) -> str:
    """Seconds as "7.2 min" (rounded as the report rounds); empty for None."""
    shown = rounding.minutes(seconds)
    if shown is None:
        return ""
    return f"{number_format(shown, 1)} min"


@register.filter
def shown_minutes(value: float | None) -> str:
    """Minutes of the JSON report (one decimal already) as "7.2 min"; "–" for null."""
    return "–" if value is None else f"{number_format(value, 1)} min"


@register.filter
def shown_share(value: float | None) -> str:
    """A share of the JSON report (0..1, three decimals) as "78.4 %"; "–" for null."""
    return "–" if value is None else f"{number_format(value * 100, 1)} %"


@register.filter
def shown_change(value: float | None) -> str:
    """A change in % of the JSON report as "+4.2 %"; "–" for null."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else ""
    return f"{sign}{number_format(value, 1)} %"
