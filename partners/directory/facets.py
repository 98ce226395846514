"""Facet counts for the directory: how many providers each filter option would leave.

Counts are disjunctive: a facet is counted over the list filtered by every *other* active filter,
so ticking a second modality shows what it would add, not zero. They are counted in memory over
the facet index (partners/directory/facet_index.py); the only queries are the catalogue version
check and one per active filter the index cannot answer (search text, thresholds, dates),
whatever the number of options and whatever the page size.
"""

from dataclasses import dataclass, replace

import numpy as np
from django.db.models import QuerySet

from partners.choices import CONTRACT_KINDS
from partners.directory.facet_index import INDEXED_SITE_FACETS, FacetIndex, get_facet_index
from partners.directory.search import among, provider_search_ids, site_search_ids
from partners.filtersets import (
    INCLUDE_ANCILLARY,
    SCOPE,
    SCOPE_CONTRACT,
    SCOPE_REGISTERED,
    SCOPES,
    SITE_FILTERS,
    ProviderFilterSet,
    order_providers,
    scope_of,
    site_conditions,
)
from partners.models import Provider, Site


@dataclass(frozen=True, slots=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    label: str
    options: list[FacetOption]
    # "radio" for a choice of one (the scope), else each option is a checkbox.
    input_type: str = "checkbox"
    help_text: str = ""

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


def _site_filter_masks(index: FacetIndex, data: dict) -> dict[str, np.ndarray]:
    """For each active site filter, which sites pass it (alone)."""
    masks = {}
    for name in SITE_FILTERS:
        value = data.get(name)
        if value is None or value in ("", []):
            continue
        if name in INDEXED_SITE_FACETS:
            masks[name] = index.sites_with_any(name, value)
        else:  # thresholds and dates: ask the database which sites pass
            alone = {name: value, INCLUDE_ANCILLARY: True}  # that one, not ancillary's too
            passing = Site.objects.filter(*site_conditions(alone))
            masks[name] = index.sites_among(passing.values_list("pk", flat=True))
    masks.update(_scope_site_masks(index, data))
    return masks


def _scope_site_masks(index: FacetIndex, data: dict) -> dict[str, np.ndarray]:
    """The site side of what the directory lists at all (partners/filtersets.py: `scope`)."""
    masks = {}
    if scope_of(data) == SCOPE_REGISTERED:
        masks[SCOPE] = index.site_registered
    if not data.get(INCLUDE_ANCILLARY):
        masks[INCLUDE_ANCILLARY] = ~index.site_ancillary
    return masks


def _scope_provider_masks(index: FacetIndex, data: dict) -> dict[str, np.ndarray]:
    if scope_of(data) == SCOPE_CONTRACT:
        return {SCOPE: np.isin(index.provider_kind, list(CONTRACT_KINDS))}
    return {}


def _provider_filter_masks(index: FacetIndex, data: dict) -> dict[str, np.ndarray]:
    """For each active provider filter, which providers pass it (alone)."""
    masks = {}
    if data.get("q"):
        masks["q"] = index.providers_among(provider_search_ids(data["q"]))
    if data.get("kind"):
        masks["kind"] = np.isin(index.provider_kind, list(data["kind"]))
    if data.get("verified") is not None:
        masks["verified"] = index.provider_verified == data["verified"]
    masks.update(_scope_provider_masks(index, data))
    return masks


def _all(masks: dict[str, np.ndarray], size: int, exclude: str | None = None) -> np.ndarray:
    combined = np.ones(size, dtype=bool)
    for name, mask in masks.items():
        if name != exclude:
            combined &= mask
    return combined


@dataclass(frozen=True)
class FilterMasks:
    """Which sites and providers pass each active filter, over the facet index: what the
    facet counts are counted from, and what the directory lists (the same answer, so a list
    never disagrees with its counts)."""

    index: FacetIndex
    site_masks: dict[str, np.ndarray]
    provider_masks: dict[str, np.ndarray]

    def with_matching_site(self) -> np.ndarray:
        """A bool per provider: does it own a site passing every site filter (every provider
        does when none is active: the list then asks for no site)."""
        index = self.index
        if not self.site_masks:
            return np.ones(len(index.provider_ids), dtype=bool)
        owners = index.providers_with_site(_all(self.site_masks, index.site_count))
        if set(self.site_masks) == {INCLUDE_ANCILLARY}:
            # Only ancillary sites are hidden: a provider with no site at all stays listed.
            owners |= index.providers_without_sites()
        return owners

    def listed_providers(self) -> np.ndarray:
        """A bool per provider: does it pass every provider filter and own a site passing
        every site filter."""
        return _all(self.provider_masks, len(self.index.provider_ids)) & self.with_matching_site()

    def listed_sites(self) -> np.ndarray:
        """A bool per site: does it pass every site filter, and its provider every provider
        filter."""
        index = self.index
        providers = _all(self.provider_masks, len(index.provider_ids))
        return _all(self.site_masks, index.site_count) & providers[index.site_provider]

    @property
    def filtered(self) -> bool:
        return bool(self.site_masks or self.provider_masks)

    def scoped(self, data: dict) -> "FilterMasks":
        """The same filters, but what the directory lists at all as `data` says (its scope
        and whether ancillary sites are included)."""
        site_masks = {
            name: mask
            for name, mask in self.site_masks.items()
            if name not in (SCOPE, INCLUDE_ANCILLARY)
        }
        provider_masks = {name: mask for name, mask in self.provider_masks.items() if name != SCOPE}
        site_masks.update(_scope_site_masks(self.index, data))
        provider_masks.update(_scope_provider_masks(self.index, data))
        return replace(self, site_masks=site_masks, provider_masks=provider_masks)

    def listed_count(self, per_site: bool) -> int:
        listed = self.listed_sites() if per_site else self.listed_providers()
        return int(listed.sum())


def filter_masks(filterset: ProviderFilterSet, per_site: bool = False) -> FilterMasks:
    """The masks of the filterset's active filters (read once per filterset and view).

    `per_site`: the site view's reading, where the search text picks sites (a site matching it
    by its own fields, capabilities or provider) rather than providers.
    """
    memo = filterset.__dict__.setdefault("_filter_masks", {})
    if per_site not in memo:
        data = filterset.form.cleaned_data
        index = get_facet_index()
        site_masks = _site_filter_masks(index, data)
        if per_site:
            provider_masks = _provider_filter_masks(index, {**data, "q": None})
            if text := (data.get("q") or "").strip():
                site_masks["q"] = index.sites_among(site_search_ids(text))
        else:
            provider_masks = _provider_filter_masks(index, data)
        memo[per_site] = FilterMasks(index, site_masks, provider_masks)
    return memo[per_site]


def facet_counts(filterset: ProviderFilterSet) -> dict[str, dict[str, int]]:
    """For each facet, option value -> number of providers that option would leave."""
    masks = filter_masks(filterset)
    index, site_masks, provider_masks = masks.index, masks.site_masks, masks.provider_masks
    providers_passing = _all(provider_masks, len(index.provider_ids))
    sites_of_passing_providers = providers_passing[index.site_provider]

    counts: dict[str, dict[str, int]] = {}
    for facet in INDEXED_SITE_FACETS:
        candidates = _all(site_masks, index.site_count, exclude=facet) & sites_of_passing_providers
        counts[facet] = {
            value: index.count_providers(candidates & sites)
            for value, sites in index.options[facet].items()
        }
    with_matching_site = masks.with_matching_site()
    for facet, values in (
        ("kind", index.provider_kind),
        ("verified", np.where(index.provider_verified, "true", "false")),
    ):
        candidates = with_matching_site & _all(provider_masks, len(index.provider_ids), facet)
        chosen = values[candidates]
        counts[facet] = {str(value): int((chosen == value).sum()) for value in set(chosen)}
    counts["verified"].setdefault("true", 0)
    counts.update(scope_counts(filterset))
    return counts


def scope_counts(filterset: ProviderFilterSet, per_site: bool = False) -> dict[str, dict]:
    """How many providers (or sites) each scope would list under the other filters, and how
    many the list would hold with the ancillary establishments included."""
    data = filterset.form.cleaned_data
    masks = filter_masks(filterset, per_site)
    included = bool(data.get(INCLUDE_ANCILLARY))
    scopes = {
        scope: masks.scoped({SCOPE: scope, INCLUDE_ANCILLARY: included}).listed_count(per_site)
        for scope, _ in SCOPES
    }
    with_ancillary = masks.scoped({SCOPE: scope_of(data), INCLUDE_ANCILLARY: True})
    return {SCOPE: scopes, INCLUDE_ANCILLARY: {"true": with_ancillary.listed_count(per_site)}}


def directory_providers(filterset: ProviderFilterSet) -> QuerySet[Provider]:
    """The providers the directory lists for the filterset, in its order: found over the facet
    index (`FilterMasks.listed_providers`), then read and ordered in SQL by their ids."""
    data = filterset.form.cleaned_data
    providers = Provider.objects.all()
    masks = filter_masks(filterset)
    if masks.filtered:
        ids = masks.index.provider_ids[masks.listed_providers()]
        providers = providers.filter(among(tuple(ids.tolist())))
    return order_providers(providers, data.get("ordering") or "name", data.get("q") or "")


FACET_ORDER = [
    SCOPE,
    INCLUDE_ANCILLARY,
    "kind",
    "verified",
    "modality",
    "dosage_form",
    "service",
    "technology",
    "phase",
    "region",
    "country",
    "certification",
    "inspected_by",
    "dea_schedule",
]


def directory_facets(
    filterset: ProviderFilterSet, counts: dict[str, dict[str, int]] | None = None
) -> list[Facet]:
    """The facets to show beside the list, each option with its count and whether it is ticked:
    by default the count of providers; the site view passes its counts of sites."""
    if counts is None:
        counts = facet_counts(filterset)
    data = filterset.form.cleaned_data
    facets = []
    for name in FACET_ORDER:
        field = filterset.form.fields[name]
        if name == SCOPE:
            chosen = scope_of(data)
            # The default is sent as an empty value, so that a URL says only what it changes.
            options = [
                FacetOption(
                    "" if value == SCOPE_CONTRACT else value,
                    label,
                    counts[name].get(value, 0),
                    value == chosen,
                )
                for value, label in SCOPES
            ]
            facets.append(Facet(name, str(field.label), options, "radio"))
            continue
        if name == INCLUDE_ANCILLARY:
            label = str(field.label)
            checked = bool(data.get(name))
            options = [FacetOption("true", label, counts[name]["true"], checked)]
            help_text = (
                "Establishments registered only to supply medical gases, make medicated animal "
                "feed, pack or label, or test, hidden unless asked for."
            )
            facets.append(Facet(name, "Ancillary establishments", options, help_text=help_text))
            continue
        if name == "verified":
            label = "Verified by a curator"
            checked = data.get("verified") is True
            options = [FacetOption("true", label, counts[name]["true"], checked)]
            facets.append(Facet(name, "Verification", options))
            continue
        selected = set(data.get(name) or [])
        options = [
            FacetOption(str(value), str(label), counts[name].get(value, 0), value in selected)
            for value, label in field.choices
        ]
        if name == "country":
            # Hundreds of countries exist; show those counted, and any ticked one.
            options = sorted(
                (o for o in options if o.count or o.selected), key=lambda o: (-o.count, o.label)
            )
        facets.append(Facet(name, str(field.label), options))
    return facets
