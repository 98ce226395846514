"""The matching engine's catalogue index, built from the database and cached per process.

One brief is scored against every site (matching/engine/scoring.py), so the catalogue is read once
per catalogue version and day, in a handful of queries, into NumPy arrays
(matching/engine/catalogue.py); the live preview and match runs reuse it until the catalogue changes
(partners/catalogue_version.py) or the date does (certificate validity and the standing windows
depend on it). The only module of the matching engine that touches the ORM.

A site's standing with an authority (what the `markets` criterion counts):

- adverse, if in the last STANDING_ADVERSE_YEARS the authority classified an inspection of it
  OAI, or took an enforcement action against it (warning letter, import alert, EU statement of
  non-compliance, injunction, seizure);
- otherwise good, if it holds a certification valid today from the authority (a certification
  that names no authority counts for the one its kind implies: EU GMP for EMA, and so on), or the
  authority inspected it in the last STANDING_EVIDENCE_YEARS and classified it NAI or VAI;
- otherwise none: no recent record either way.
"""

import datetime
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import eq, itemgetter, not_

import numpy as np
from django.db import connection
from django.db.models import Case, Max, Q, QuerySet, When
from django_countries import countries as country_names

from core.dates import years_before
from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE, CatalogueIndex
from partners.catalogue_version import CatalogueCache
from partners.choices import (
    ADVERSE_STANDING_ACTIONS,
    DEA_SCHEDULES,
    MARKET_AUTHORITY,
    PHASES,
    Authority,
    CertificationKind,
    Classification,
    ProviderKind,
    Region,
    TermKind,
)
from partners.models import Certification, Inspection, RegulatoryAction, Site, SiteCapability, Term
from partners.regions import region_of

STANDING_EVIDENCE_YEARS = 5
STANDING_ADVERSE_YEARS = 2
# The authority a certification speaks for when its own `authority` is blank.
CERTIFICATION_AUTHORITY = {
    CertificationKind.FDA_REGISTRATION: Authority.FDA,
    CertificationKind.EU_GMP: Authority.EMA,
    CertificationKind.MHRA_GMP: Authority.MHRA,
    CertificationKind.PMDA_ACCREDITATION: Authority.PMDA,
    CertificationKind.WHO_PQ: Authority.WHO,
    CertificationKind.HEALTH_CANADA_GMP: Authority.HC,
    CertificationKind.TGA_GMP: Authority.TGA,
    CertificationKind.ANVISA_GMP: Authority.ANVISA,
}


def _positions(site_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the site ids `wanted` in the sorted `site_ids`, and which were found there at all.

    A row of a site created after the sites were read (a concurrent write) is left out; the
    write bumped the catalogue version, so the next request rebuilds the index anyway.
    """
    positions = np.searchsorted(site_ids, wanted)
    found = positions < len(site_ids)
    found[found] = site_ids[positions[found]] == wanted[found]
    return positions, found


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list query's rows: its own SQL through a plain cursor, fetched whole. (The ORM
    fetches a hundred rows at a time, which costs more than the read itself on the
    catalogue's larger tables.)"""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Rows become arrays a column at a time, each value visited once in C (map, itemgetter,
# dict.get, np.fromiter) rather than by a Python loop or list comprehension a row.


def _ints(rows: Sequence[tuple], column: int) -> np.ndarray:
    """A column of integers that are never NULL (ids)."""
    return np.fromiter(map(itemgetter(column), rows), dtype=np.int64, count=len(rows))


def _floats(values: Iterable[float | None], count: int) -> np.ndarray:
    """Numbers as floats, NULL as NaN."""
    return np.fromiter(
        (np.nan if value is None else value for value in values), dtype=np.float64, count=count
    )


def _lookup(codes: Iterable, column_of: Mapping[str, int], count: int) -> np.ndarray:
    """Each code's column in `column_of`, -1 for a code it does not have (or a NULL): one
    dictionary look-up a row, cheaper than sorting the codes as strings."""
    return np.fromiter(map(column_of.get, codes, repeat(-1)), dtype=np.intp, count=count)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk read. Fetching the catalogue makes a
    few hundred thousand row tuples, none of them in a reference cycle (they are freed by
    their counts as usual); the collector would traverse them again and again as they pile up,
    a tenth or more of the build. Threads share the switch: another thread's read ending first
    only turns the collector back on early."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_catalogue_index(today: datetime.date, version: str = "") -> CatalogueIndex:
    """Read the catalogue in a handful of queries (no per-site query) and index it."""
    with collector_paused():
        return _build_catalogue_index(today, version)


def _build_catalogue_index(today: datetime.date, version: str) -> CatalogueIndex:
    sites = _rows(
        Site.objects.order_by("pk").values_list(
            "pk",
            "provider_id",
            "provider__kind",
            "provider__name",
            "name",
            "country",
            "oel_ug_m3",
            "compliance_score",
            "capacity_available_from",
        )
    )
    n = len(sites)
    site_ids = _ints(sites, 0)
    country_codes = list(map(str, map(itemgetter(5), sites)))
    region = {code: region_of(code) for code in set(country_codes)}

    terms = list(Term.objects.order_by("pk").values_list("pk", "kind", "slug", "name"))
    term_slugs = tuple(t[2] for t in terms)
    modality_slugs = tuple(t[2] for t in terms if t[1] == TermKind.MODALITY)
    term_pks = np.array([t[0] for t in terms], dtype=np.int64)  # sorted: ordered by pk
    # Each term's column among the modalities, -1 for other kinds.
    modality_of_term = np.full(len(terms), -1, dtype=np.intp)
    modality_of_term[[t[1] == TermKind.MODALITY for t in terms]] = np.arange(len(modality_slugs))

    capabilities = np.zeros((n, len(term_slugs)), dtype=bool)
    max_batch_kg = np.full((n, len(modality_slugs)), np.nan)
    max_volume_l = np.full((n, len(modality_slugs)), np.nan)
    # The bulk of the catalogue (about ten rows a site): placed with array indexing, no loop.
    rows = _rows(
        SiteCapability.objects.order_by().values_list(
            "site_id", "term_id", "max_batch_kg", "max_volume_l"
        )
    )
    if rows and len(terms):
        positions, found = _positions(site_ids, _ints(rows, 0))
        term_ids = _ints(rows, 1)
        columns = np.minimum(np.searchsorted(term_pks, term_ids), len(terms) - 1)
        found &= term_pks[columns] == term_ids
        capabilities[positions[found], columns[found]] = True
        modality = np.where(found, modality_of_term[columns], -1)
        # Only a modality's rows give a scale (a few rows in ten): their numbers alone are read.
        scaled = np.flatnonzero(modality >= 0)
        scaled_rows = list(map(rows.__getitem__, scaled.tolist()))
        at, modality = positions[scaled], modality[scaled]
        max_batch_kg[at, modality] = _floats(map(itemgetter(2), scaled_rows), len(scaled))
        max_volume_l[at, modality] = _floats(map(itemgetter(3), scaled_rows), len(scaled))

    phase_slugs = tuple(slug for slug, _ in PHASES)
    phase_mask = _bitmask(
        site_ids,
        Site.phases.through.objects.order_by().values_list("site_id", "phase_id"),
        phase_slugs,
    )
    dea_codes = tuple(code for code, _ in DEA_SCHEDULES)
    dea_mask = _bitmask(
        site_ids,
        Site.dea_schedules.through.objects.order_by().values_list("site_id", "deaschedule_id"),
        dea_codes,
    )

    certification_kinds = tuple(CertificationKind.values)
    authorities = tuple(Authority.values)
    certifications = np.zeros((n, len(certification_kinds)), dtype=bool)
    good = np.zeros((n, len(authorities)), dtype=bool)
    adverse = np.zeros((n, len(authorities)), dtype=bool)
    authority_column = {a: column for column, a in enumerate(authorities)}
    kind_column = {k: column for column, k in enumerate(certification_kinds)}

    # Certificates, inspections and actions: a few rows a site, placed with array indexing.
    held = _rows(
        Certification.objects.valid_on(today).order_by().values_list("site_id", "kind", "authority")
    )
    if held:
        count = len(held)
        at, found = _positions(site_ids, _ints(held, 0))
        kind_columns = _lookup(map(itemgetter(1), held), kind_column, count)
        placed = found & (kind_columns >= 0)
        certifications[at[placed], kind_columns[placed]] = True
        # A certificate naming no authority speaks for the one its kind implies.
        implied_column = {
            str(kind): authority_column.get(authority, -1)
            for kind, authority in CERTIFICATION_AUTHORITY.items()
        }
        authority_columns = np.where(
            np.fromiter(map(not_, map(itemgetter(2), held)), dtype=bool, count=count),
            _lookup(map(itemgetter(1), held), implied_column, count),
            _lookup(map(itemgetter(2), held), authority_column, count),
        )
        placed = found & (authority_columns >= 0)
        good[at[placed], authority_columns[placed]] = True

    evidence_since = years_before(today, STANDING_EVIDENCE_YEARS)
    adverse_since = years_before(today, STANDING_ADVERSE_YEARS)
    # Per site and authority, in SQL: whether an inspection was good (NAI, VAI) and whether
    # a recent one was OAI.
    oai = Q(classification=Classification.OAI)
    inspections = _rows(
        Inspection.objects.filter(
            site__isnull=False, end_date__gte=evidence_since, end_date__lte=today
        )
        .order_by()
        .values_list("site_id", "authority")
        .annotate(
            any_good=Max(Case(When(~oai, then=1), default=0)),
            any_adverse=Max(Case(When(oai & Q(end_date__gte=adverse_since), then=1), default=0)),
        )
    )
    if inspections:
        count = len(inspections)
        at, found = _positions(site_ids, _ints(inspections, 0))
        authority_columns = _lookup(map(itemgetter(1), inspections), authority_column, count)
        found &= authority_columns >= 0
        placed = found & (_ints(inspections, 3) == 1)
        adverse[at[placed], authority_columns[placed]] = True
        placed = found & (_ints(inspections, 2) == 1)
        good[at[placed], authority_columns[placed]] = True
    actions = _rows(
        RegulatoryAction.objects.filter(
            site__isnull=False,
            action_type__in=ADVERSE_STANDING_ACTIONS,
            action_date__gte=adverse_since,
            action_date__lte=today,
        )
        .order_by()
        .values_list("site_id", "authority")
        .distinct()
    )
    if actions:
        at, found = _positions(site_ids, _ints(actions, 0))
        authority_columns = _lookup(map(itemgetter(1), actions), authority_column, len(actions))
        placed = found & (authority_columns >= 0)
        adverse[at[placed], authority_columns[placed]] = True
    standing = np.where(
        adverse, STANDING_ADVERSE, np.where(good, STANDING_GOOD, STANDING_NONE)
    ).astype(np.int8)

    labels = {
        **dict(country_names),  # ISO codes -> names; every other kind of code overrides them
        **{t[2]: t[3] for t in terms},
        **dict(PHASES),
        **dict(DEA_SCHEDULES),
        **dict(CertificationKind.choices),
        **{a.value: a.value for a in Authority},
        **dict(Region.choices),
    }
    return CatalogueIndex(
        version=version,
        built_on=today,
        site_ids=site_ids,
        provider_ids=_ints(sites, 1),
        provider_is_cdmo=np.fromiter(
            map(eq, map(itemgetter(2), sites), repeat(ProviderKind.CDMO)), dtype=bool, count=n
        ),
        countries=np.array(country_codes, dtype="U2"),
        regions=np.array(list(map(region.__getitem__, country_codes)), dtype="U24"),
        site_names=np.fromiter(map(itemgetter(4), sites), dtype=object, count=n),
        provider_names=np.fromiter(map(itemgetter(3), sites), dtype=object, count=n),
        term_slugs=term_slugs,
        capabilities=capabilities,
        modality_slugs=modality_slugs,
        max_batch_kg=max_batch_kg,
        max_volume_l=max_volume_l,
        phase_slugs=phase_slugs,
        phase_mask=phase_mask,
        oel_ug_m3=_floats(map(itemgetter(6), sites), n),
        dea_codes=dea_codes,
        dea_mask=dea_mask,
        certification_kinds=certification_kinds,
        certifications=certifications,
        authorities=authorities,
        standing=standing,
        compliance=_floats(map(itemgetter(7), sites), n),
        market_authorities={market: str(a) for market, a in MARKET_AUTHORITY.items()},
        labels=labels,
        available_from=_floats(
            (None if day is None else day.toordinal() for day in map(itemgetter(8), sites)), n
        ),
    )


def _bitmask(site_ids: np.ndarray, pairs: QuerySet, vocabulary: tuple[str, ...]) -> np.ndarray:
    """(site id, code) rows -> a bit per code of `vocabulary`, per site."""
    mask = np.zeros(len(site_ids), dtype=np.uint32)
    rows = _rows(pairs)
    bit_of = {code: 1 << bit for bit, code in enumerate(vocabulary)}
    positions, found = _positions(site_ids, _ints(rows, 0))
    bits = np.fromiter(
        map(bit_of.get, map(itemgetter(1), rows), repeat(0)), dtype=np.uint32, count=len(rows)
    )
    found &= bits > 0
    # A site has several rows (a bit each): OR them in unbuffered, as a loop would.
    np.bitwise_or.at(mask, positions[found], bits[found])
    return mask


# The index takes the day first; the cache hands over (version, day).
_cache = CatalogueCache(lambda version, today: build_catalogue_index(today, version))


def get_catalogue_index() -> CatalogueIndex:
    """The index of the current catalogue: one small query when it is still current."""
    return _cache.get()


def clear_catalogue_index() -> None:
    """Forget the cached index (tests)."""
    _cache.clear()
