"""The catalogue as the matching engine reads it: each site's features in NumPy arrays, one row per
site, so that one brief scores every site in a few vectorised passes.

No Django here: matching/index.py builds a `CatalogueIndex` from the database; tests and the
benchmark build one by hand (`catalogue_from_sites` for a few sites, NumPy for many).
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

# A site's standing with an authority (CatalogueIndex.standing); the rule is in matching/index.py.
STANDING_NONE = 0  # no recent record either way
STANDING_GOOD = 1  # recent good evidence and no recent adverse record
STANDING_ADVERSE = -1  # a recent adverse record (OAI, warning letter, import alert, ...)


@dataclass(frozen=True, eq=False)
class CatalogueIndex:
    """Every site's features, row i describing site_ids[i]. Matrices' columns follow the
    vocabulary tuples beside them (term_slugs, modality_slugs, certification_kinds, ...)."""

    version: str
    built_on: datetime.date
    site_ids: NDArray[np.int64]
    provider_ids: NDArray[np.int64]
    provider_is_cdmo: NDArray[np.bool_]
    countries: NDArray[np.str_]  # ISO 3166 alpha-2
    regions: NDArray[np.str_]  # partners.choices.Region values
    site_names: NDArray[np.object_]
    provider_names: NDArray[np.object_]
    term_slugs: tuple[str, ...]
    capabilities: NDArray[np.bool_]  # sites x term_slugs
    modality_slugs: tuple[str, ...]
    max_batch_kg: NDArray[np.float64]  # sites x modality_slugs, NaN when not given
    max_volume_l: NDArray[np.float64]  # sites x modality_slugs, NaN when not given
    phase_slugs: tuple[str, ...]  # in development order; bit i of phase_mask is phase_slugs[i]
    phase_mask: NDArray[np.uint32]
    oel_ug_m3: NDArray[np.float64]  # lowest OEL contained, NaN when none
    dea_codes: tuple[str, ...]  # bit i of dea_mask is dea_codes[i]
    dea_mask: NDArray[np.uint32]
    certification_kinds: tuple[str, ...]
    certifications: NDArray[np.bool_]  # sites x certification_kinds, valid on built_on
    authorities: tuple[str, ...]
    standing: NDArray[np.int8]  # sites x authorities: STANDING_NONE, _GOOD or _ADVERSE
    compliance: NDArray[np.float64]  # 0-100, NaN when unknown
    market_authorities: Mapping[str, str]  # a brief's target market -> its authority
    labels: Mapping[str, str] = field(default_factory=dict)  # slug or code -> display name
    # The day capacity is free from, as a proleptic ordinal (date.toordinal()), NaN when the
    # site does not say; None when the index holds no such column (all unknown).
    available_from: NDArray[np.float64] | None = None

    @property
    def site_count(self) -> int:
        return len(self.site_ids)

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


@dataclass(frozen=True)
class SiteFeatures:
    """One site, described plainly: the input of `catalogue_from_sites`."""

    site_id: int
    provider_id: int | None = None
    cdmo: bool = True
    country: str = "DE"
    region: str = "europe"
    name: str = ""
    provider_name: str = ""
    terms: frozenset[str] = frozenset()
    max_batch_kg: Mapping[str, float] = field(default_factory=dict)  # modality -> kg
    max_volume_l: Mapping[str, float] = field(default_factory=dict)  # modality -> L
    phases: frozenset[str] = frozenset()
    oel_ug_m3: float | None = None
    dea_schedules: frozenset[str] = frozenset()
    certifications: frozenset[str] = frozenset()
    standing: Mapping[str, int] = field(default_factory=dict)  # authority -> STANDING_*
    compliance: float | None = None
    available_from: datetime.date | None = None  # capacity free from this day


def catalogue_from_sites(
    sites: Iterable[SiteFeatures],
    *,
    term_slugs: tuple[str, ...],
    modality_slugs: tuple[str, ...],
    phase_slugs: tuple[str, ...],
    dea_codes: tuple[str, ...],
    certification_kinds: tuple[str, ...],
    authorities: tuple[str, ...],
    market_authorities: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    version: str = "by-hand",
    built_on: datetime.date | None = None,
) -> CatalogueIndex:
    """An index of a few sites described one by one (tests, examples); a loop, not for scale."""
    sites = list(sites)
    n = len(sites)
    capabilities = np.zeros((n, len(term_slugs)), dtype=bool)
    max_batch_kg = np.full((n, len(modality_slugs)), np.nan)
    max_volume_l = np.full((n, len(modality_slugs)), np.nan)
    certifications = np.zeros((n, len(certification_kinds)), dtype=bool)
    standing = np.zeros((n, len(authorities)), dtype=np.int8)
    phase_mask = np.zeros(n, dtype=np.uint32)
    dea_mask = np.zeros(n, dtype=np.uint32)
    for row, site in enumerate(sites):
        for column, slug in enumerate(term_slugs):
            capabilities[row, column] = slug in site.terms
        for column, slug in enumerate(modality_slugs):
            max_batch_kg[row, column] = site.max_batch_kg.get(slug, np.nan)
            max_volume_l[row, column] = site.max_volume_l.get(slug, np.nan)
        for column, kind in enumerate(certification_kinds):
            certifications[row, column] = kind in site.certifications
        for column, authority in enumerate(authorities):
            standing[row, column] = site.standing.get(authority, STANDING_NONE)
        phase_mask[row] = sum(1 << bit for bit, p in enumerate(phase_slugs) if p in site.phases)
        dea_mask[row] = sum(1 << bit for bit, c in enumerate(dea_codes) if c in site.dea_schedules)
    return CatalogueIndex(
        version=version,
        # The project's time zone is UTC (config/settings.py): today there, without Django.
        built_on=built_on or datetime.datetime.now(tz=datetime.UTC).date(),
        site_ids=np.array([s.site_id for s in sites], dtype=np.int64),
        provider_ids=np.array(
            [s.site_id if s.provider_id is None else s.provider_id for s in sites], dtype=np.int64
        ),
        provider_is_cdmo=np.array([s.cdmo for s in sites], dtype=bool),
        countries=np.array([s.country for s in sites], dtype="U2"),
        regions=np.array([s.region for s in sites], dtype="U24"),
        site_names=np.array([s.name or f"Site {s.site_id}" for s in sites], dtype=object),
        provider_names=np.array(
            [s.provider_name or f"Provider {s.provider_id}" for s in sites], dtype=object
        ),
        term_slugs=tuple(term_slugs),
        capabilities=capabilities,
        modality_slugs=tuple(modality_slugs),
        max_batch_kg=max_batch_kg,
        max_volume_l=max_volume_l,
        phase_slugs=tuple(phase_slugs),
        phase_mask=phase_mask,
        oel_ug_m3=np.array(
            [np.nan if s.oel_ug_m3 is None else s.oel_ug_m3 for s in sites], dtype=np.float64
        ),
        dea_codes=tuple(dea_codes),
        dea_mask=dea_mask,
        certification_kinds=tuple(certification_kinds),
        certifications=certifications,
        authorities=tuple(authorities),
        standing=standing,
        compliance=np.array(
            [np.nan if s.compliance is None else s.compliance for s in sites], dtype=np.float64
        ),
        market_authorities=dict(market_authorities),
        labels=dict(labels or {}),
        available_from=np.array(
            [np.nan if s.available_from is None else s.available_from.toordinal() for s in sites],
            dtype=np.float64,
        ),
    )
