"""Facet counts for the directory: how many providers each filter option would leave.

Counts are disjunctive: a facet is counted over the list filtered by every *other* active filter,
so ticking a second modality shows what it would add, not zero. Each facet is one GROUP BY query,
whatever the number of its options and whatever the page size.
"""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone

from partners.choices import Region
from partners.filtersets import (
    TERM_FILTERS,
    ProviderFilterSet,
    matching_sites,
    provider_conditions,
)
from partners.models import Certification, Inspection, Provider, Site, SiteCapability
from partners.regions import countries_in


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

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


def _providers(data: dict, exclude: str) -> QuerySet:
    """Providers passing every provider filter and having a site passing every site filter,
    except the filter named `exclude`."""
    providers = Provider.objects.filter(*provider_conditions(data, exclude))
    sites = matching_sites(data, exclude)
    if sites is not None:
        providers = providers.filter(Exists(sites.filter(provider=OuterRef("pk"))))
    return providers


def _sites(data: dict, exclude: str) -> QuerySet:
    """Sites passing every site filter but `exclude`, of providers passing the provider filters."""
    sites = matching_sites(data, exclude)
    sites = sites if sites is not None else Site.objects.all()
    provider_filters = provider_conditions(data)
    if provider_filters:
        sites = sites.filter(provider__in=Provider.objects.filter(*provider_filters))
    return sites


def _counts(rows: QuerySet, key: str, provider: str) -> dict[str, int]:
    grouped = rows.order_by().values(key).annotate(n=Count(provider, distinct=True))
    return dict(grouped.values_list(key, "n"))


def _region_of_country() -> Case:
    return Case(
        *[
            When(country__in=sorted(countries_in(region)), then=Value(region.value))
            for region in Region
            if region != Region.MIDDLE_EAST_AFRICA
        ],
        default=Value(Region.MIDDLE_EAST_AFRICA.value),
        output_field=CharField(),
    )


def facet_counts(filterset: ProviderFilterSet) -> dict[str, dict[str, int]]:
    """For each facet, option value -> number of providers that option would leave."""
    data = filterset.form.cleaned_data
    counts: dict[str, dict[str, int]] = {}
    for name, kind in TERM_FILTERS.items():
        rows = SiteCapability.objects.filter(term__kind=kind, site__in=_sites(data, name))
        counts[name] = _counts(rows, "term__slug", "site__provider")
    counts["phase"] = _counts(
        Site.phases.through.objects.filter(site__in=_sites(data, "phase")),
        "phase",
        "site__provider",
    )
    counts["dea_schedule"] = _counts(
        Site.dea_schedules.through.objects.filter(site__in=_sites(data, "dea_schedule")),
        "deaschedule",
        "site__provider",
    )
    counts["country"] = _counts(_sites(data, "country"), "country", "provider")
    counts["region"] = _counts(
        _sites(data, "region").annotate(region=_region_of_country()), "region", "provider"
    )
    counts["certification"] = _counts(
        Certification.objects.valid_on(timezone.localdate()).filter(
            site__in=_sites(data, "certification")
        ),
        "kind",
        "site__provider",
    )
    counts["inspected_by"] = _counts(
        Inspection.objects.filter(site__in=_sites(data, "inspected_by")),
        "authority",
        "site__provider",
    )
    counts["kind"] = _counts(_providers(data, "kind"), "kind", "pk")
    verified = _providers(data, "verified").filter(verification_status="verified")
    counts["verified"] = {"true": verified.count()}
    return counts


FACET_ORDER = [
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


def directory_facets(filterset: ProviderFilterSet) -> list[Facet]:
    """The facets to show beside the list, each option with its count and whether it is ticked."""
    counts = facet_counts(filterset)
    data = filterset.form.cleaned_data
    facets = []
    for name in FACET_ORDER:
        field = filterset.form.fields[name]
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
            # Hundreds of countries exist; show those with providers, and any ticked one.
            options = sorted(
                (o for o in options if o.count or o.selected), key=lambda o: (-o.count, o.label)
            )
        facets.append(Facet(name, str(field.label), options))
    return facets
