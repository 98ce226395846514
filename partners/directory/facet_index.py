"""An in-process index of which site offers which filter option, for the directory's facets.

Counting a facet in SQL means scanning the capability rows of every candidate site, once per
facet; here each option is a boolean array over the catalogue's sites, built once per catalogue
version and day (certificate validity depends on the date), so counting every option of every
facet takes milliseconds. The list itself is still filtered in SQL by ProviderFilterSet.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from partners.catalogue_version import CatalogueCache
from partners.choices import DataSource, Region, VerificationStatus
from partners.models import Certification, Inspection, Provider, Site, SiteCapability, Term
from partners.regions import region_of

# The site facets the index answers without SQL: facet name -> option value -> sites.
INDEXED_SITE_FACETS = (
    "modality",
    "dosage_form",
    "service",
    "technology",
    "phase",
    "country",
    "region",
    "certification",
    "inspected_by",
    "dea_schedule",
)


@dataclass(frozen=True)
class FacetIndex:
    version: str
    built_on: datetime.date
    site_ids: np.ndarray  # sorted ids of all sites
    site_provider: np.ndarray  # position of each site's provider in provider_ids
    provider_ids: np.ndarray  # sorted ids of all providers
    provider_kind: np.ndarray  # each provider's kind
    provider_verified: np.ndarray  # bool per provider
    site_registered: np.ndarray  # bool per site: in FDA's establishment registrations
    site_ancillary: np.ndarray  # bool per site: registered only for an ancillary trade
    options: dict[str, dict[str, np.ndarray]]  # facet -> value -> bool per site

    @property
    def site_count(self) -> int:
        return len(self.site_ids)

    def sites_among(self, ids: Iterable[int]) -> np.ndarray:
        """A bool per site: is its id among `ids`."""
        return np.isin(self.site_ids, np.fromiter(ids, dtype=np.int64))

    def providers_among(self, ids: Iterable[int]) -> np.ndarray:
        return np.isin(self.provider_ids, np.fromiter(ids, dtype=np.int64))

    def sites_with_any(self, facet: str, values: Iterable[str]) -> np.ndarray:
        mask = np.zeros(self.site_count, dtype=bool)
        for value in values:
            option = self.options[facet].get(value)
            if option is not None:
                mask |= option
        return mask

    def count_providers(self, sites: np.ndarray) -> int:
        """How many distinct providers own at least one of the `sites`."""
        owners = np.zeros(len(self.provider_ids), dtype=bool)
        owners[self.site_provider[sites]] = True
        return int(owners.sum())

    def providers_without_sites(self) -> np.ndarray:
        """A bool per provider: does it have no site at all."""
        return ~self.providers_with_site(np.ones(self.site_count, dtype=bool))

    def providers_with_site(self, sites: np.ndarray) -> np.ndarray:
        owners = np.zeros(len(self.provider_ids), dtype=bool)
        owners[self.site_provider[sites]] = True
        return owners


def _option_masks(
    site_ids: np.ndarray, pairs: Iterable[tuple[int, int | str]]
) -> dict[str, np.ndarray]:
    """(site id, option value) rows -> option value -> bool per site."""
    rows = list(pairs)
    if not rows:
        return {}
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = np.array([row[1] for row in rows])  # ints or fixed-width strings: fast to compare
    positions = np.searchsorted(site_ids, ids)
    # A row of a site created after the sites were read (a concurrent write) is left out; the
    # write bumped the catalogue version, so the next request rebuilds the index anyway.
    known = positions < len(site_ids)
    known[known] = site_ids[positions[known]] == ids[known]
    positions, values = positions[known], values[known]
    masks = {}
    for value in set(values.tolist()):
        mask = np.zeros(len(site_ids), dtype=bool)
        mask[positions[values == value]] = True
        masks[str(value)] = mask
    return masks


def build_facet_index(version: str, today: datetime.date) -> FacetIndex:
    """Read the catalogue in a handful of queries and index it."""
    providers = list(
        Provider.objects.order_by("pk").values_list("pk", "kind", "verification_status")
    )
    provider_ids = np.array([p[0] for p in providers], dtype=np.int64)
    sites = list(
        Site.objects.order_by("pk").values_list(
            "pk", "provider_id", "country", "source", "duns_number", "ancillary_only"
        )
    )
    site_ids = np.array([s[0] for s in sites], dtype=np.int64)
    # As partners.filtersets.registered_establishment says in SQL.
    registered = np.array(
        [s[3] == DataSource.FDA_REGISTRATION or bool(s[4]) for s in sites], dtype=bool
    )
    ancillary = np.array([s[5] for s in sites], dtype=bool)

    options = {
        "country": _option_masks(site_ids, ((s[0], s[2]) for s in sites)),
        "region": _option_masks(site_ids, ((s[0], region_of(s[2])) for s in sites)),
        "phase": _option_masks(
            site_ids, Site.phases.through.objects.order_by().values_list("site_id", "phase_id")
        ),
        "dea_schedule": _option_masks(
            site_ids, Site.dea_schedules.through.objects.values_list("site_id", "deaschedule_id")
        ),
        "certification": _option_masks(
            site_ids,
            Certification.objects.valid_on(today).order_by().values_list("site_id", "kind"),
        ),
        "inspected_by": _option_masks(
            site_ids,
            # No ordering, or DISTINCT would count the ordering columns and keep every row.
            Inspection.objects.filter(site__isnull=False)
            .order_by()
            .values_list("site_id", "authority")
            .distinct(),
        ),
    }
    # Capabilities are the bulk of the catalogue (about ten rows a site): grouped by term id.
    by_term = _option_masks(
        site_ids, SiteCapability.objects.order_by().values_list("site_id", "term_id")
    )
    for term_id, kind, slug in Term.objects.values_list("pk", "kind", "slug"):
        if str(term_id) in by_term:
            options.setdefault(kind, {})[slug] = by_term[str(term_id)]
    for facet in INDEXED_SITE_FACETS:
        options.setdefault(facet, {})
    for region in Region:
        options["region"].setdefault(region.value, np.zeros(len(site_ids), dtype=bool))

    owners = np.array([s[1] for s in sites], dtype=np.int64)
    # Providers are read before sites, so a site of a provider created in between is unowned;
    # it is dropped from the index (see above).
    provider_position = np.searchsorted(provider_ids, owners)
    owned = provider_position < len(provider_ids)
    owned[owned] = provider_ids[provider_position[owned]] == owners[owned]
    if not owned.all():
        site_ids, provider_position = site_ids[owned], provider_position[owned]
        registered, ancillary = registered[owned], ancillary[owned]
        options = {
            facet: {value: mask[owned] for value, mask in masks.items()}
            for facet, masks in options.items()
        }
    return FacetIndex(
        version=version,
        built_on=today,
        site_ids=site_ids,
        site_provider=provider_position,
        provider_ids=provider_ids,
        provider_kind=np.array([p[1] for p in providers], dtype=object),
        provider_verified=np.array(
            [p[2] == VerificationStatus.VERIFIED for p in providers], dtype=bool
        ),
        site_registered=registered,
        site_ancillary=ancillary,
        options=options,
    )


_cache = CatalogueCache(build_facet_index)


def get_facet_index() -> FacetIndex:
    """The index of the current catalogue: one small query when it is still current."""
    return _cache.get()
