"""Invariants of the matching engine, over random catalogues and briefs (hypothesis, no DB)."""

import dataclasses

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matching.engine.catalogue import STANDING_ADVERSE, STANDING_GOOD, STANDING_NONE, SiteFeatures
from matching.engine.criteria import CRITERIA, MAX_WEIGHT, BriefCriteria
from matching.engine.scales import (
    PHASE_ADJACENT,
    PHASE_SERVED,
    SCALE_FULL,
    SCALE_TWO_RUNS_HIGH,
    scale_subscore,
)
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


# --- Rankings that do not depend on the rest of the catalogue, and partial fits ------------------


@given(catalogues(min_size=2), briefs(), methods, st.data())
def test_removing_sites_never_reorders_the_others(sites, criteria, method, data):
    # Given a run over a catalogue, and the same brief run over what is left once any subset of
    # the sites is gone
    kept = data.draw(
        st.lists(st.sampled_from(sites), min_size=1, max_size=len(sites) - 1, unique_by=id)
    )
    kept_ids = {site.site_id for site in kept}

    whole = score_catalogue(criteria, make_index(*sites), method=method)
    fewer = score_catalogue(criteria, make_index(*kept), method=method)

    # Then the sites left keep their order, and their very scores
    order = [site_id for site_id in whole.eligible_site_ids.tolist() if site_id in kept_ids]
    assert fewer.eligible_site_ids.tolist() == order
    whole_scores = dict(zip(whole.index.site_ids.tolist(), whole.scores.tolist(), strict=True))
    fewer_scores = dict(zip(fewer.index.site_ids.tolist(), fewer.scores.tolist(), strict=True))
    for site_id in order:
        assert fewer_scores[site_id] == whole_scores[site_id]


def _shared_rank(outcome, row: int) -> int:
    """1 + the eligible sites scoring more than the site in `row`: equal scores share a rank."""
    return 1 + int((outcome.scores[outcome.ranking] > outcome.scores[row] + 1e-9).sum())


@given(catalogues(min_size=2), briefs(), st.sampled_from(CRITERIA), st.integers(1, MAX_WEIGHT))
def test_raising_a_weight_never_lowers_the_rank_of_the_best_site_on_it(
    sites, criteria, name, raise_by
):
    # Every site eligible, whatever the weights (must-haves do not depend on them anyway).
    criteria = dataclasses.replace(criteria, must_haves=frozenset(), excluded_countries=())
    sites = [dataclasses.replace(s, terms=s.terms | {criteria.modality}) for s in sites]
    index = make_index(*sites)
    before = score_catalogue(criteria, index)
    weight = criteria.weight(name)
    assume(weight < MAX_WEIGHT)
    column = CRITERIA.index(name)
    eligible = before.ranking
    best = eligible[before.subscores[eligible, column] == before.subscores[eligible, column].max()]
    heavier = dataclasses.replace(
        criteria, weights={**criteria.weights, name: min(MAX_WEIGHT, weight + raise_by)}
    )

    after = score_catalogue(heavier, index)

    for row in best.tolist():
        assert _shared_rank(after, row) <= _shared_rank(before, row)


@st.composite
def phase_and_scale_briefs(draw) -> BriefCriteria:
    criteria = draw(briefs())
    return dataclasses.replace(
        criteria,
        phase=draw(st.sampled_from(PHASE_SLUGS)),
        batch_size=draw(st.floats(1.0, 10_000.0)),
        # Neither is a must-have, so that a partial fit stays eligible to be compared.
        must_haves=criteria.must_haves - {"phase", "scale"},
        weights={**criteria.weights, "phase": draw(st.integers(1, MAX_WEIGHT))},
    )


@given(catalogues(), phase_and_scale_briefs(), methods, st.data())
def test_a_partial_fit_on_phase_scores_below_the_full_fit(sites, criteria, method, data):
    # Given a site, and its twin serving the brief's phase on top of what it serves
    original = data.draw(st.sampled_from(sites))
    position = PHASE_SLUGS.index(criteria.phase)
    partial = dataclasses.replace(
        original,
        site_id=100,
        phases=data.draw(
            st.sets(st.sampled_from(PHASE_SLUGS[:position] + PHASE_SLUGS[position + 1 :]))
        ),
    )
    full = dataclasses.replace(partial, site_id=101, phases=partial.phases | {criteria.phase})

    outcome = score_catalogue(criteria, make_index(*sites, partial, full), method=method)

    column = CRITERIA.index("phase")
    partial_row, full_row = len(sites), len(sites) + 1
    assert outcome.subscores[full_row, column] == PHASE_SERVED
    assert outcome.subscores[partial_row, column] <= PHASE_ADJACENT
    if outcome.eligible[full_row]:
        assert outcome.eligible[partial_row]
        assert outcome.scores[partial_row] < outcome.scores[full_row]


@given(catalogues(), phase_and_scale_briefs(), methods, st.data())
def test_a_partial_fit_on_scale_scores_below_the_full_fit(sites, criteria, method, data):
    # Given a site making the brief's batch in one run and its twin making only a share of it
    criteria = dataclasses.replace(
        criteria, weights={**criteria.weights, "scale": data.draw(st.integers(1, MAX_WEIGHT))}
    )
    original = data.draw(st.sampled_from(sites))
    share = data.draw(st.floats(0.0, 1.0, exclude_max=True))
    batch = float(criteria.batch_size)
    unit = "max_volume_l" if criteria.batch_unit == "L" else "max_batch_kg"

    def making(site_id: int, maximum: float) -> SiteFeatures:
        maxima = {**getattr(original, unit), criteria.modality: maximum}
        return dataclasses.replace(original, site_id=site_id, **{unit: maxima})

    partial = making(100, share * batch)
    full = making(101, data.draw(st.floats(1.0, 100.0)) * batch)

    outcome = score_catalogue(criteria, make_index(*sites, partial, full), method=method)

    column = CRITERIA.index("scale")
    partial_row, full_row = len(sites), len(sites) + 1
    assert outcome.subscores[full_row, column] == SCALE_FULL
    assert outcome.subscores[partial_row, column] <= SCALE_TWO_RUNS_HIGH
    if outcome.eligible[full_row]:
        assert outcome.eligible[partial_row]
        assert outcome.scores[partial_row] < outcome.scores[full_row]


@given(st.lists(st.floats(0.0, 1000.0), min_size=2, max_size=20))
def test_more_capacity_never_lowers_the_scale_sub_score(ratios):
    ordered = np.sort(np.array(ratios))

    sub = scale_subscore(ordered)

    assert (np.diff(sub) >= 0).all()
    assert ((sub >= 0) & (sub <= 1)).all()
    assert (sub[ordered >= 1] == SCALE_FULL).all()
    assert (sub[ordered < 1] <= SCALE_TWO_RUNS_HIGH).all()
