"""`{{ value|quantity }}`: a quantity with thousands separated and no trailing zeros, as
core.quantities writes it everywhere ("2,000", "0.25")."""

from django import template

from core.quantities import format_quantity

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """The quantity as text; an empty value (None, "") stays empty."""
    if value is None or value == "":
        return ""
    try:
        return format_quantity(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
