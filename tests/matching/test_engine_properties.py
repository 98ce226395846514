"""Invariants of the matching engine, over random catalogues and briefs (hypothesis, no DB)."""

import dataclasses

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE, SiteFeatures
from matching.engine.criteria import CRITERIA, MAX_WEIGHT, BriefCriteria
from matching.engine.scoring import score_catalogue
from tests.matching.test_engine import make_index

MODALITIES = ["small-molecule-api", "mab"]
OTHER_TERMS = ["oral-solid", "sterile-injectable", "process-development", "spray-drying"]
PHASE_SLUGS = ["preclinical", "phase1", "phase2", "phase3", "commercial"]
KINDS = ["eu-gmp", "fda-registration", "iso-9001"]
AUTHORITIES = ["FDA", "EMA"]
COUNTRIES = [
    ("DE", "europe"),
    ("US", "north-america"),
    ("IN", "asia-pacific"),
    ("BR", "latin-america"),
]
MARKETS = ["US", "EU"]

maybe_amount = st.none() | st.sampled_from([1.0, 10.0, 100.0, 1000.0])


@st.composite
def site_features(draw, site_id: int) -> SiteFeatures:
    country, region = draw(st.sampled_from(COUNTRIES))
    modality_scale = {m: draw(maybe_amount) for m in MODALITIES}
    return SiteFeatures(
        site_id=site_id,
        cdmo=draw(st.booleans()),
        country=country,
        region=region,
        terms=frozenset(draw(st.sets(st.sampled_from(MODALITIES + OTHER_TERMS)))),
        max_batch_kg={m: v for m, v in modality_scale.items() if v is not None},
        max_volume_l={m: v for m in MODALITIES if (v := draw(maybe_amount)) is not None},
        phases=frozenset(draw(st.sets(st.sampled_from(PHASE_SLUGS)))),
        oel_ug_m3=draw(st.none() | st.sampled_from([0.1, 1.0, 10.0])),
        dea_schedules=frozenset(draw(st.sets(st.sampled_from(["I", "II", "IV"])))),
        certifications=frozenset(draw(st.sets(st.sampled_from(KINDS)))),
        standing={
            a: draw(st.sampled_from([STANDING_NONE, STANDING_GOOD, STANDING_ADVERSE]))
            for a in AUTHORITIES
        },
        compliance=draw(st.none() | st.floats(0, 100, allow_nan=False)),
    )


@st.composite
def catalogues(draw, min_size: int = 1):
    size = draw(st.integers(min_size, 8))
    return [draw(site_features(site_id)) for site_id in range(1, size + 1)]


def _tuple_of(options):
    return st.lists(st.sampled_from(options), max_size=2, unique=True).map(tuple)


@st.composite
def briefs(draw) -> BriefCriteria:
    preferred = draw(_tuple_of([c for c, _ in COUNTRIES]))
    excluded = tuple(c for c in draw(_tuple_of([c for c, _ in COUNTRIES])) if c not in preferred)
    return BriefCriteria(
        modality=draw(st.sampled_from(MODALITIES)),
        dosage_forms=draw(_tuple_of(["oral-solid", "sterile-injectable"])),
        services=draw(_tuple_of(["process-development"])),
        technologies=draw(_tuple_of(["spray-drying"])),
        phase=draw(st.none() | st.sampled_from(PHASE_SLUGS)),
        batch_size=draw(maybe_amount),
        batch_unit=draw(st.sampled_from(["kg", "L"])),
        target_markets=draw(_tuple_of(MARKETS)),
        required_certifications=draw(_tuple_of(KINDS)),
        max_oel_ug_m3=draw(st.none() | st.sampled_from([0.5, 1.0, 5.0])),
        dea_schedule=draw(st.none() | st.sampled_from(["I", "II", "III"])),
        preferred_regions=draw(_tuple_of(["europe", "asia-pacific"])),
        preferred_countries=preferred,
        excluded_countries=excluded,
        development_needed=draw(st.booleans()),
        weights={name: draw(st.integers(0, MAX_WEIGHT)) for name in CRITERIA},
        must_haves=frozenset(draw(st.sets(st.sampled_from(CRITERIA)))),
    )


methods = st.sampled_from(["weighted", "topsis"])


@given(catalogues(), briefs(), methods)
def test_a_failed_must_have_always_excludes(sites, criteria, method):
    outcome = score_catalogue(criteria, make_index(*sites), method=method)

    for row, site in enumerate(sites):
        failed = [
            name
            for name in criteria.must_haves
            if criteria.is_asked(name) and outcome.fails[row, CRITERIA.index(name)]
        ]
        in_excluded_country = site.country in criteria.excluded_countries
        lacks_modality = criteria.modality not in site.terms
        if failed or in_excluded_country or lacks_modality:
            assert not outcome.eligible[row]
            assert outcome.exclusion_reason(row)
            assert site.site_id not in outcome.eligible_site_ids
        else:
            assert outcome.eligible[row]
    # The criteria judged by "sub-score below 1" agree with it.
    for name in ("phase", "markets", "certifications", "containment", "controlled_substances"):
        column = CRITERIA.index(name)
        if name in criteria.must_haves:
            assert not outcome.eligible[outcome.subscores[:, column] < 1].any()


@given(catalogues(), briefs(), methods, st.integers(0, 7))
def test_identical_sites_get_identical_scores(sites, criteria, method, which):
    original = sites[which % len(sites)]
    twin = dataclasses.replace(original, site_id=100)

    outcome = score_catalogue(criteria, make_index(*sites, twin), method=method)

    row, twin_row = sites.index(original), len(sites)
    assert outcome.eligible[row] == outcome.eligible[twin_row]
    np.testing.assert_array_equal(outcome.subscores[row], outcome.subscores[twin_row])
    np.testing.assert_array_equal(outcome.scores[row], outcome.scores[twin_row])


@given(catalogues(), briefs(), methods)
def test_scores_stay_between_0_and_100(sites, criteria, method):
    outcome = score_catalogue(criteria, make_index(*sites), method=method)

    eligible_scores = outcome.scores[outcome.eligible]
    assert np.all((eligible_scores >= 0) & (eligible_scores <= 100))
    assert np.all((outcome.subscores >= 0) & (outcome.subscores <= 1))
    assert np.isnan(outcome.scores[~outcome.eligible]).all()
    assert sorted(outcome.ranking.tolist()) == np.flatnonzero(outcome.eligible).tolist()


@given(catalogues(min_size=2), briefs(), st.sampled_from(CRITERIA), st.integers(1, MAX_WEIGHT))
def test_raising_a_weight_where_a_beats_b_never_lets_b_overtake(sites, criteria, name, raise_by):
    criteria = dataclasses.replace(criteria, must_haves=frozenset())
    index = make_index(*sites)
    before = score_catalogue(criteria, index)
    column = CRITERIA.index(name)
    weight = criteria.weight(name)
    assume(weight < MAX_WEIGHT)
    heavier = dataclasses.replace(
        criteria, weights={**criteria.weights, name: min(MAX_WEIGHT, weight + raise_by)}
    )

    after = score_catalogue(heavier, index)

    for a in range(len(sites)):
        for b in range(len(sites)):
            a_beats_b_there = before.subscores[a, column] > before.subscores[b, column]
            if a_beats_b_there and before.scores[a] >= before.scores[b]:
                assert after.scores[a] >= after.scores[b] - 1e-9


@given(catalogues(), briefs(), methods, st.sampled_from(CRITERIA))
def test_relaxing_a_must_have_never_shrinks_the_eligible_set(sites, criteria, method, name):
    assume(name in criteria.must_haves)
    index = make_index(*sites)
    relaxed = dataclasses.replace(criteria, must_haves=criteria.must_haves - {name})

    before = score_catalogue(criteria, index, method=method)
    after = score_catalogue(relaxed, index, method=method)

    assert set(before.eligible_site_ids.tolist()) <= set(after.eligible_site_ids.tolist())


@settings(max_examples=50)
@given(catalogues(), briefs())
def test_the_funnel_adds_up_and_the_relaxation_admits_what_it_says(sites, criteria):
    index = make_index(*sites)
    outcome = score_catalogue(criteria, index)

    assert sum(step.removed for step in outcome.funnel) == (~outcome.eligible).sum()
    if outcome.relaxation is not None:
        relaxed = dataclasses.replace(
            criteria, must_haves=criteria.must_haves - {outcome.relaxation.criterion}
        )
        gained = score_catalogue(relaxed, index).eligible.sum() - outcome.eligible.sum()
        assert gained == outcome.relaxation.admitted
        for name in criteria.must_haves:
            other = dataclasses.replace(criteria, must_haves=criteria.must_haves - {name})
            assert score_catalogue(other, index).eligible.sum() - outcome.eligible.sum() <= gained
