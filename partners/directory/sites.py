"""The directory's site view: one row per site meeting the filters, for decisions made per site.

The same filters as the provider view (partners/filtersets.py): the site filters hold for the
site itself and the provider filters for its provider. `site_rows` reads, for a page of sites,
their capabilities with their scale and the certificates valid today in two queries of plain
values whatever the page size; `site_facets` counts each filter option in sites (how many sites
it would leave) over the same in-memory index as the provider counts.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, F, OrderBy, OuterRef, QuerySet, Subquery
from django.utils import timezone

from partners.choices import CertificationKind, TermKind
from partners.directory.facet_index import INDEXED_SITE_FACETS
from partners.directory.facets import Facet, _all, directory_facets, filter_masks, scope_counts
from partners.directory.search import among, site_relevance, site_search_condition
from partners.filtersets import ProviderFilterSet, provider_conditions, site_conditions
from partners.models import Certification, Inspection, Provider, Site, SiteCapability

# The capability kinds a site row names as its key capabilities.
KEY_TERM_KINDS = (TermKind.MODALITY, TermKind.DOSAGE_FORM)

# The provider view's orderings, read per site: compliance is the site's own score, the latest
# inspection the site's own; "Most sites" orders by the provider's number of sites, so a large
# network's sites stay together.
SITE_ORDERINGS: dict[str, list[str | OrderBy]] = {
    "name": ["provider__name", "provider_id", "name", "pk"],
    "-name": ["-provider__name", "-provider_id", "-name", "-pk"],
    "country": ["country", "provider__name", "name", "pk"],
    "-compliance": [F("compliance_score").desc(nulls_last=True), "provider__name", "name", "pk"],
    "compliance": [F("compliance_score").asc(nulls_last=True), "provider__name", "name", "pk"],
    "-inspected": [F("last_inspected").desc(nulls_last=True), "provider__name", "name", "pk"],
    "-sites": [F("provider_site_count").desc(), "provider__name", "name", "pk"],
}


def matching_site_list(data: dict) -> QuerySet[Site]:
    """Sites meeting every site filter, of providers meeting every provider filter, ordered,
    found in SQL (the directory finds the same sites over the facet index: `directory_sites`).

    The search text is matched per site (its own name, city, identifiers and capabilities, or
    its provider's text), the most relevant first unless another order is asked for.
    """
    sites = Site.objects.filter(*site_conditions(data))
    if conditions := provider_conditions(data, exclude="q"):
        sites = sites.filter(provider__in=Provider.objects.filter(*conditions))
    if text := (data.get("q") or "").strip():
        sites = sites.filter(site_search_condition(text))
    return order_sites(sites, data)


def directory_sites(filterset: ProviderFilterSet) -> QuerySet[Site]:
    """The sites the directory's site view lists, in its order: found over the facet index
    (`FilterMasks.listed_sites`, as the site counts are), then read and ordered in SQL."""
    sites = Site.objects.all()
    masks = filter_masks(filterset, per_site=True)
    if masks.filtered:
        sites = sites.filter(among(tuple(masks.index.site_ids[masks.listed_sites()].tolist())))
    return order_sites(sites, filterset.form.cleaned_data)


def order_sites(sites: QuerySet[Site], data: dict) -> QuerySet[Site]:
    """Sites in the order the filters ask for: by relevance while searching unless another
    order is chosen, else by one of SITE_ORDERINGS."""
    sites = sites.select_related("provider")
    ordering = data.get("ordering") or ""
    if text := (data.get("q") or "").strip():
        sites = sites.annotate(search_rank=site_relevance(text))
        if ordering not in SITE_ORDERINGS:
            return sites.order_by(F("search_rank").desc(), *SITE_ORDERINGS["name"])
    if ordering not in SITE_ORDERINGS:
        ordering = "name"
    if ordering == "-sites":
        per_provider = (
            Site.objects.filter(provider=OuterRef("provider"))
            .order_by()
            .values("provider")
            .annotate(count=Count("pk"))
            .values("count")
        )
        sites = sites.annotate(provider_site_count=Subquery(per_provider))
    elif ordering == "-inspected":
        latest = Inspection.objects.filter(site=OuterRef("pk")).order_by("-end_date")
        sites = sites.annotate(last_inspected=Subquery(latest.values("end_date")[:1]))
    return sites.order_by(*SITE_ORDERINGS[ordering])


@dataclass
class SiteRow:
    """What a row of the site view shows."""

    site: Site
    modalities: list[str] = field(default_factory=list)
    dosage_forms: list[str] = field(default_factory=list)
    max_batch_kg: float | None = None
    max_volume_l: float | None = None
    certifications: list[str] = field(default_factory=list)

    @property
    def provider(self) -> Provider:
        return self.site.provider


def site_rows(sites: list[Site], today: datetime.date | None = None) -> list[SiteRow]:
    """One row per site of the page: two queries of plain values, whatever the page size."""
    today = today or timezone.localdate()
    rows = {site.pk: SiteRow(site) for site in sites}
    capabilities = SiteCapability.objects.filter(site_id__in=rows).values_list(
        "site_id", "term__kind", "term__name", "max_batch_kg", "max_volume_l"
    )
    for site_id, kind, name, batch_kg, volume_l in capabilities.order_by("term__name"):
        row = rows[site_id]
        if kind == TermKind.MODALITY and name not in row.modalities:
            row.modalities.append(name)
        elif kind == TermKind.DOSAGE_FORM and name not in row.dosage_forms:
            row.dosage_forms.append(name)
        if batch_kg is not None:
            row.max_batch_kg = max(batch_kg, row.max_batch_kg or 0)
        if volume_l is not None:
            row.max_volume_l = max(volume_l, row.max_volume_l or 0)
    valid = (
        Certification.objects.valid_on(today)
        .filter(site_id__in=rows)
        .order_by()
        .values_list("site_id", "kind")
        .distinct()
    )
    labels: dict[int, set[str]] = defaultdict(set)
    for site_id, kind in valid:
        labels[site_id].add(CertificationKind(kind).label)
    for site_id, names in labels.items():
        rows[site_id].certifications = sorted(names)
    return list(rows.values())


def site_facet_counts(filterset: ProviderFilterSet) -> dict[str, dict[str, int]]:
    """For each facet, option value -> number of sites that option would leave.

    Disjunctive like the provider counts (partners/directory/facets.py): each facet is counted
    over the sites passing every other active filter.
    """
    masks = filter_masks(filterset, per_site=True)
    index, site_masks, provider_masks = masks.index, masks.site_masks, masks.provider_masks
    provider_count = len(index.provider_ids)
    of_passing_providers = _all(provider_masks, provider_count)[index.site_provider]

    counts: dict[str, dict[str, int]] = {}
    for facet in INDEXED_SITE_FACETS:
        candidates = _all(site_masks, index.site_count, exclude=facet) & of_passing_providers
        counts[facet] = {
            value: int((candidates & sites).sum()) for value, sites in index.options[facet].items()
        }
    matching = _all(site_masks, index.site_count)
    for facet, values in (
        ("kind", index.provider_kind),
        ("verified", np.where(index.provider_verified, "true", "false")),
    ):
        candidates = matching & _all(provider_masks, provider_count, facet)[index.site_provider]
        chosen = values[index.site_provider[candidates]]
        counts[facet] = {str(value): int((chosen == value).sum()) for value in set(chosen)}
    counts["verified"].setdefault("true", 0)
    counts.update(scope_counts(filterset, per_site=True))
    return counts


def site_facets(filterset: ProviderFilterSet) -> list[Facet]:
    """The facets beside the site view, each option with its number of sites."""
    return directory_facets(filterset, site_facet_counts(filterset))
