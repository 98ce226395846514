"""The directory's active filters as removable chips, and the page title they make.

Each chip links to the same URL without its one value (and without the page number, as the
list changes), so removing a filter is one click and every state stays a URL. Chips follow the
query string's order; `last_applied` finds the filter the user added last, which the empty state
offers to remove first.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from django.http import QueryDict
from django.utils import dateformat

from partners.directory.facets import Facet
from partners.filtersets import ProviderFilterSet

# Shorter names than the form's labels where a chip reads better with them.
CHIP_NAMES = {
    "q": "Search",
    "scope": "Show",
    "include_ancillary": "Including",
    "verified": "Verification",
    "country": "Country",
    "certification": "Certificate",
    "phase": "Stage",
    "clean_since": "Clean record since",
    "min_batch_kg": "Batch of at least",
    "min_volume_l": "Volume of at least",
    "max_oel": "Contains an OEL of",
}
UNITS = {"min_batch_kg": "kg", "min_volume_l": "L", "max_oel": "µg/m³"}


@dataclass(frozen=True, slots=True)
class FilterChip:
    """One value of one active filter."""

    name: str  # the query parameter
    value: str  # the value as the URL gives it
    label: str  # what is filtered on, "Country"
    value_label: str  # the value as a person reads it, "Germany"
    query: str  # the URL's query string without this value


def _number(value: Decimal | float) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _describe(
    name: str, raw: str, data: dict, option_labels: dict[tuple[str, str], str]
) -> tuple[str, str]:
    label = CHIP_NAMES.get(name, "")
    if name == "q":
        return label, f"“{data['q'].strip()}”"
    if name == "verified":
        return label, "Verified by a curator" if data["verified"] else "Not verified"
    if name == "include_ancillary":
        return label, "medical-gas, animal-feed, packing and testing-only sites"
    if name == "clean_since":
        since: datetime.date = data["clean_since"]
        return label, dateformat.format(since, "j M Y")
    if name in UNITS:
        return label, f"{_number(data[name])} {UNITS[name]}"
    value = raw.strip().upper() if name == "country" else raw
    return label, option_labels.get((name, value), value)


def filter_chips(
    params: QueryDict, filterset: ProviderFilterSet, facets: list[Facet]
) -> list[FilterChip]:
    """A chip per value of each active filter, in the query string's order."""
    active = filterset.active
    if not active:
        return []
    facet_labels = {facet.name: facet.label for facet in facets}
    option_labels = {
        (facet.name, option.value): option.label for facet in facets for option in facet.options
    }
    data = filterset.form.cleaned_data
    # Empty fields (a form sent without JavaScript sends them all) and the page number go.
    base = QueryDict(mutable=True)
    for name, values in params.lists():
        if name != "page" and (kept := [value for value in values if value.strip()]):
            base.setlist(name, kept)
    chips = []
    for name, values in base.lists():
        if name not in active:
            continue
        for raw in values:
            label, value_label = _describe(name, raw, data, option_labels)
            rest = base.copy()
            rest.setlist(name, [value for value in values if value != raw])
            chips.append(
                FilterChip(
                    name=name,
                    value=raw,
                    label=label or facet_labels.get(name) or str(filterset.form[name].label),
                    value_label=value_label,
                    query=rest.urlencode(),
                )
            )
    return chips


def last_applied(chips: list[FilterChip], previous_url: str | None) -> FilterChip | None:
    """The chip of the filter added last: one the page the user came from (htmx sends its URL)
    did not have, or else the last in the query string."""
    if not chips:
        return None
    if previous_url:
        before = QueryDict(urlsplit(previous_url).query)
        added = [chip for chip in chips if chip.value not in before.getlist(chip.name)]
        if added:
            return added[-1]
    return chips[-1]


def page_title(chips: list[FilterChip], total: int | None, unit: str) -> str:
    """ "Monoclonal antibody, Germany — 12 providers — CDMO Match"."""
    parts = []
    if chips:
        names = [chip.value_label for chip in chips]
        shown = ", ".join(names[:4])
        parts.append(shown if len(names) <= 4 else f"{shown} and {len(names) - 4} more")
    else:
        parts.append("Contract manufacturers")
    if total is not None:
        parts.append(f"{total:,} {unit}{'' if total == 1 else 's'}")
    parts.append("CDMO Match")
    return " — ".join(parts)
