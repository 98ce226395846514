"""The directory's facet options, rendered in Python.

A directory page lists a few hundred facet options (every country, modality, certificate…);
as template nodes they were the largest part of building a page for a new query. This renders
exactly what the template did, each value escaped.
"""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from partners.directory.facets import Facet

register = template.Library()


@register.simple_tag
def facet_options(facet: Facet, unit: str) -> SafeString:
    """The `<li>` of each of a facet's options: its input (checked when selected), its label,
    and how many `unit`s choosing it would list ("zero" when none and not selected)."""
    name = escape(facet.name)
    input_type = escape(facet.input_type)
    described = f' aria-describedby="help-{name}"' if facet.help_text else ""
    unit = escape(unit)
    items = []
    for option in facet.options:
        value = escape(option.value)
        count = option.count
        shown = intcomma(count) if count >= 1000 else str(count)
        items.append(
            f'<li class="{"zero" if not count and not option.selected else ""}">\n'
            f'  <input type="{input_type}" name="{name}" value="{value}" '
            f'id="f-{name}-{value}"{described}{" checked" if option.selected else ""}>\n'
            f'  <label for="f-{name}-{value}">{escape(option.label)}</label>\n'
            f'  <span class="count" aria-label="{count} {unit}{"" if count == 1 else "s"}">'
            f"{shown}</span>\n"
            "</li>"
        )
    return mark_safe("\n".join(items))
