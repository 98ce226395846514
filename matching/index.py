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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from operator import eq, itemgetter

import numpy as np
from django.db import connection
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
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


# Rows are fetched a batch at a time and each batch is made into arrays at once, while its
# tuples are fresh in the processor's cache (walking hundreds of thousands of tuples again after
# fetching them all is memory-bound), and dropped before the next is fetched. Within a batch each
# column is visited once in C (map, itemgetter, dict.get, np.fromiter), not by a loop a row.
BATCH_ROWS = 4096


def _read(queryset: QuerySet, columns: Callable[[list[tuple]], Sequence[np.ndarray]]) -> list:
    """A values_list query's rows as arrays, `columns(rows)` of each batch joined end to end.
    The query's own SQL goes through a plain cursor (the ORM would make a model-level tuple of
    each row, and fetch them a hundred at a time)."""
    sql, params = queryset.query.sql_with_params()
    batches = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            batches.append(columns(rows))
    if not batches:
        batches.append(columns([]))
    return [np.concatenate(column) for column in zip(*batches, strict=True)]


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


def _int_columns(rows: Sequence[tuple], width: int) -> list[np.ndarray]:
    """Rows of `width` integers that are never NULL, as a column each: one pass over them."""
    values = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows))
    return list(values.reshape(len(rows), width).T)


def _code(field: str, code_of: Mapping[str, int], default: int = -1) -> Case:
    """`field`'s code, worked out in SQL: its value's entry in `code_of`, `default` for any
    other value. The catalogue's codes (kinds, authorities, phases) come back as small integers,
    made into arrays in one pass with the ids rather than looked up a row at a time."""
    return Case(
        *(When(**{field: value}, then=Value(code)) for value, code in code_of.items()),
        default=Value(default),
        output_field=IntegerField(),
    )


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
    def site_columns(rows: list[tuple]) -> list[np.ndarray]:
        count = len(rows)
        return [
            _ints(rows, 0),
            _ints(rows, 1),
            np.fromiter(
                map(eq, map(itemgetter(2), rows), repeat(ProviderKind.CDMO)),
                dtype=bool,
                count=count,
            ),
            np.fromiter(map(itemgetter(3), rows), dtype=object, count=count),
            np.fromiter(map(itemgetter(4), rows), dtype=object, count=count),
            np.array(list(map(str, map(itemgetter(5), rows))), dtype="U2"),
            _floats(map(itemgetter(6), rows), count),
            _floats(map(itemgetter(7), rows), count),
            _floats(
                (None if day is None else day.toordinal() for day in map(itemgetter(8), rows)),
                count,
            ),
        ]

    (
        site_ids,
        provider_ids,
        provider_is_cdmo,
        provider_names,
        site_names,
        countries,
        oel_ug_m3,
        compliance,
        available_from,
    ) = _read(
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
        ),
        site_columns,
    )
    n = len(site_ids)
    codes, country_of_site = np.unique(countries, return_inverse=True)
    regions = np.array([region_of(str(code)) for code in codes], dtype="U24")[country_of_site]

    terms = list(Term.objects.order_by("pk").values_list("pk", "kind", "slug", "name"))
    term_slugs = tuple(t[2] for t in terms)
    modality_slugs = tuple(t[2] for t in terms if t[1] == TermKind.MODALITY)
    term_pks = np.array([t[0] for t in terms], dtype=np.int64)  # sorted: ordered by pk
    # Each term's column among the modalities, -1 for other kinds; the last, -1, for no term.
    modality_of_term = np.full(len(terms) + 1, -1, dtype=np.intp)
    modality_of_term[:-1][[t[1] == TermKind.MODALITY for t in terms]] = np.arange(
        len(modality_slugs)
    )

    def term_columns(term_ids: np.ndarray) -> np.ndarray:
        """Each term id's column among the terms, -1 for an id that is none of them."""
        if not terms:
            return np.full(len(term_ids), -1, dtype=np.intp)
        columns = np.minimum(np.searchsorted(term_pks, term_ids), len(terms) - 1)
        return np.where(term_pks[columns] == term_ids, columns, -1)

    def capability_columns(rows: list[tuple]) -> list[np.ndarray]:
        term_ids = _ints(rows, 1)
        # Only a modality's rows give a scale (a few rows in ten): their numbers alone are read.
        scaled = np.flatnonzero(modality_of_term[term_columns(term_ids)] >= 0)
        scaled_rows = list(map(rows.__getitem__, scaled.tolist()))
        return [
            _ints(rows, 0),
            term_ids,
            _ints(scaled_rows, 0),
            term_ids[scaled],
            _floats(map(itemgetter(2), scaled_rows), len(scaled)),
            _floats(map(itemgetter(3), scaled_rows), len(scaled)),
        ]

    capabilities = np.zeros((n, len(term_slugs)), dtype=bool)
    max_batch_kg = np.full((n, len(modality_slugs)), np.nan)
    max_volume_l = np.full((n, len(modality_slugs)), np.nan)
    # The bulk of the catalogue (about ten rows a site): placed with array indexing, no loop.
    capability_sites, capability_terms, scaled_sites, scaled_terms, batch_kg, volume_l = _read(
        SiteCapability.objects.order_by().values_list(
            "site_id", "term_id", "max_batch_kg", "max_volume_l"
        ),
        capability_columns,
    )
    positions, found = _positions(site_ids, capability_sites)
    columns = term_columns(capability_terms)
    found &= columns >= 0
    capabilities[positions[found], columns[found]] = True
    positions, found = _positions(site_ids, scaled_sites)
    modality = modality_of_term[term_columns(scaled_terms)]
    max_batch_kg[positions[found], modality[found]] = batch_kg[found]
    max_volume_l[positions[found], modality[found]] = volume_l[found]

    phase_slugs = tuple(slug for slug, _ in PHASES)
    phase_mask = _bitmask(site_ids, Site.phases.through.objects.all(), "phase_id", phase_slugs)
    dea_codes = tuple(code for code, _ in DEA_SCHEDULES)
    dea_mask = _bitmask(
        site_ids, Site.dea_schedules.through.objects.all(), "deaschedule_id", dea_codes
    )

    certification_kinds = tuple(CertificationKind.values)
    authorities = tuple(Authority.values)
    certifications = np.zeros((n, len(certification_kinds)), dtype=bool)
    good = np.zeros((n, len(authorities)), dtype=bool)
    adverse = np.zeros((n, len(authorities)), dtype=bool)
    authority_column = {a: column for column, a in enumerate(authorities)}
    kind_column = {k: column for column, k in enumerate(certification_kinds)}
    implied_column = {
        str(kind): authority_column.get(authority, -1)
        for kind, authority in CERTIFICATION_AUTHORITY.items()
    }

    # Certificates, inspections and actions: a few rows a site, placed with array indexing.
    held_sites, kind_columns, authority_columns = _read(
        Certification.objects.valid_on(today)
        .order_by()
        .values_list(
            "site_id",
            _code("kind", kind_column),
            # A certificate naming no authority speaks for the one its kind implies.
            Case(
                When(authority="", then=_code("kind", implied_column)),
                default=_code("authority", authority_column),
                output_field=IntegerField(),
            ),
        ),
        lambda rows: _int_columns(rows, 3),
    )
    at, found = _positions(site_ids, held_sites)
    placed = found & (kind_columns >= 0)
    certifications[at[placed], kind_columns[placed]] = True
    placed = found & (authority_columns >= 0)
    good[at[placed], authority_columns[placed]] = True

    evidence_since = years_before(today, STANDING_EVIDENCE_YEARS)
    adverse_since = years_before(today, STANDING_ADVERSE_YEARS)
    # Per site and authority, in SQL: whether an inspection was good (NAI, VAI) and whether
    # a recent one was OAI.
    oai = Q(classification=Classification.OAI)
    inspected_sites, authority_columns, any_good, any_adverse = _read(
        Inspection.objects.filter(
            site__isnull=False, end_date__gte=evidence_since, end_date__lte=today
        )
        .order_by()
        .values("site_id", authority_code=_code("authority", authority_column))
        .annotate(
            any_good=Max(Case(When(~oai, then=1), default=0)),
            any_adverse=Max(Case(When(oai & Q(end_date__gte=adverse_since), then=1), default=0)),
        )
        .values_list("site_id", "authority_code", "any_good", "any_adverse"),
        lambda rows: _int_columns(rows, 4),
    )
    at, found = _positions(site_ids, inspected_sites)
    found &= authority_columns >= 0
    placed = found & (any_adverse == 1)
    adverse[at[placed], authority_columns[placed]] = True
    placed = found & (any_good == 1)
    good[at[placed], authority_columns[placed]] = True

    acted_sites, authority_columns = _read(
        RegulatoryAction.objects.filter(
            site__isnull=False,
            action_type__in=ADVERSE_STANDING_ACTIONS,
            action_date__gte=adverse_since,
            action_date__lte=today,
        )
        .order_by()
        .values_list("site_id", _code("authority", authority_column))
        .distinct(),
        lambda rows: _int_columns(rows, 2),
    )
    at, found = _positions(site_ids, acted_sites)
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
        provider_ids=provider_ids,
        provider_is_cdmo=provider_is_cdmo,
        countries=countries,
        regions=regions,
        site_names=site_names,
        provider_names=provider_names,
        term_slugs=term_slugs,
        capabilities=capabilities,
        modality_slugs=modality_slugs,
        max_batch_kg=max_batch_kg,
        max_volume_l=max_volume_l,
        phase_slugs=phase_slugs,
        phase_mask=phase_mask,
        oel_ug_m3=oel_ug_m3,
        dea_codes=dea_codes,
        dea_mask=dea_mask,
        certification_kinds=certification_kinds,
        certifications=certifications,
        authorities=authorities,
        standing=standing,
        compliance=compliance,
        market_authorities={market: str(a) for market, a in MARKET_AUTHORITY.items()},
        labels=labels,
        available_from=available_from,
    )


def _bitmask(
    site_ids: np.ndarray, pairs: QuerySet, field: str, vocabulary: tuple[str, ...]
) -> np.ndarray:
    """(site id, code) rows of the through table `pairs` -> a bit per code of `vocabulary`
    (`field` holds the code), per site."""
    mask = np.zeros(len(site_ids), dtype=np.uint32)
    sites, bits = _read(
        pairs.order_by().values_list(
            "site_id", _code(field, {code: 1 << bit for bit, code in enumerate(vocabulary)}, 0)
        ),
        lambda rows: _int_columns(rows, 2),
    )
    positions, found = _positions(site_ids, sites)
    found &= bits > 0
    # A site has several rows (a bit each): OR them in unbuffered, as a loop would.
    np.bitwise_or.at(mask, positions[found], bits[found].astype(np.uint32))
    return mask


# The index takes the day first; the cache hands over (version, day).
_cache = CatalogueCache(lambda version, today: build_catalogue_index(today, version))


def get_catalogue_index() -> CatalogueIndex:
    """The index of the current catalogue: one small query when it is still current."""
    return _cache.get()


def clear_catalogue_index() -> None:
    """Forget the cached index (tests)."""
    _cache.clear()
