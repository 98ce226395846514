"""The matching engine as a plain function over small catalogue indexes built by hand (no DB)."""

import math

import pytest

from matching.engine.catalogue import (
    STANDING_ADVERSE,
    STANDING_GOOD,
    CatalogueIndex,
    SiteFeatures,
    catalogue_from_sites,
)
from matching.engine.criteria import CRITERIA, BriefCriteria
from matching.engine.scoring import (
    EXCLUDED_COUNTRIES,
    MODALITY,
    FunnelStep,
    Relaxation,
    explain,
    score_catalogue,
)
from partners.choices import (
    DEA_SCHEDULES,
    MARKET_AUTHORITY,
    PHASES,
    Authority,
    CertificationKind,
)
from partners.vocabulary import CAPABILITY_TERMS

TERM_SLUGS = tuple(slug for terms in CAPABILITY_TERMS.values() for slug, _ in terms)
MODALITY_SLUGS = tuple(slug for slug, _ in CAPABILITY_TERMS["modality"])
LABELS = {
    **{slug: name for terms in CAPABILITY_TERMS.values() for slug, name in terms},
    **dict(PHASES),
    **dict(DEA_SCHEDULES),
    **dict(CertificationKind.choices),
}


def make_index(*sites: SiteFeatures) -> CatalogueIndex:
    return catalogue_from_sites(
        sites,
        term_slugs=TERM_SLUGS,
        modality_slugs=MODALITY_SLUGS,
        phase_slugs=tuple(slug for slug, _ in PHASES),
        dea_codes=tuple(code for code, _ in DEA_SCHEDULES),
        certification_kinds=tuple(CertificationKind.values),
        authorities=tuple(Authority.values),
        market_authorities={market: str(a) for market, a in MARKET_AUTHORITY.items()},
        labels=LABELS,
    )


def site(site_id: int, **features) -> SiteFeatures:
    features.setdefault("terms", frozenset({"small-molecule-api"}))
    features.setdefault("compliance", 80.0)
    for name in ("terms", "phases", "dea_schedules", "certifications"):
        features[name] = frozenset(features[name]) if name in features else frozenset()
    return SiteFeatures(site_id=site_id, **features)


def subscores(outcome, criterion: str) -> list[float]:
    return outcome.subscores[:, CRITERIA.index(criterion)].tolist()


def sentence(outcome, row: int, criterion: str) -> str:
    return next(e.sentence for e in explain(outcome, row) if e.criterion == criterion)


def brief(**fields) -> BriefCriteria:
    fields.setdefault("modality", "small-molecule-api")
    return BriefCriteria(**fields)


# --- Sub-scores per criterion -------------------------------------------------------------------


def test_capability_is_zero_without_the_modality_and_the_covered_share_with_it():
    index = make_index(
        site(1, terms={"small-molecule-api", "oral-solid", "spray-drying"}),
        site(2, terms={"small-molecule-api", "oral-solid"}),
        site(3, terms={"small-molecule-api"}),
        site(4, terms={"mab", "oral-solid", "spray-drying"}),
    )

    outcome = score_catalogue(
        brief(dosage_forms=("oral-solid",), technologies=("spray-drying",)), index
    )

    assert subscores(outcome, "capability") == [1.0, 0.5, 0.0, 0.0]


def test_capability_is_one_with_the_modality_when_nothing_else_is_requested():
    index = make_index(site(1), site(2, terms={"mab"}))

    outcome = score_catalogue(brief(), index)

    assert subscores(outcome, "capability") == [1.0, 0.0]


def test_phase_scores_served_1_neighbouring_only_0_4_distant_only_0_1_none_listed_0():
    index = make_index(
        site(1, phases={"phase2", "commercial"}),
        site(2, phases={"phase1"}),
        site(3, phases={"phase3", "commercial"}),
        site(4, phases={"commercial"}),
        site(5),
    )

    outcome = score_catalogue(brief(phase="phase2"), index)

    assert subscores(outcome, "phase") == [1.0, 0.4, 0.4, 0.1, 0.0]
    sentences = [sentence(outcome, row, "phase") for row in range(5)]
    assert sentences == [
        "serves Phase 2.",
        "does not serve Phase 2, only a neighbouring phase (serves Phase 1).",
        "does not serve Phase 2, only a neighbouring phase (serves Phase 3 and Commercial).",
        "does not serve Phase 2 nor a neighbouring phase (serves Commercial).",
        "lists no phases served, so not Phase 2.",
    ]


def test_scale_compares_the_batch_with_the_site_maximum_in_the_brief_unit():
    index = make_index(
        site(1, max_batch_kg={"small-molecule-api": 500}),
        site(2, max_batch_kg={"small-molecule-api": 50}),
        site(3),
        site(4, max_volume_l={"small-molecule-api": 5000}),
    )

    outcome = score_catalogue(brief(batch_size=100, batch_unit="kg"), index)

    # Site 2 makes half the batch: two runs per batch, 0.4 on the published scale.
    assert subscores(outcome, "scale") == [1.0, 0.4, 0.5, 0.5]
    # Sites 3 and 4 give no maximum in kg: a neutral sub-score, but not shown to handle it.
    assert outcome.fails[:, CRITERIA.index("scale")].tolist() == [False, True, True, True]


def test_scale_below_the_batch_scores_by_the_runs_one_batch_would_take():
    # Given a 2,000 L batch and sites making all of it, three quarters, half, 40 % and a tenth
    maxima = [2000, 1500, 1000, 800, 200]
    index = make_index(
        *(site(n, max_volume_l={"small-molecule-api": m}) for n, m in enumerate(maxima, 1))
    )

    outcome = score_catalogue(brief(batch_size=2000, batch_unit="L"), index)

    # Then one run: 1; two runs: 0.4 at half, rising linearly towards 0.8; three or more runs:
    # below 0.2 (0.2 x ratio / 0.5).
    assert subscores(outcome, "scale") == pytest.approx([1.0, 0.6, 0.4, 0.16, 0.04])
    assert sentence(outcome, 1, "scale") == (
        "handles up to 1,500 L, only 75% of the 2,000 L batch: "
        "it would take 2 runs to make one batch."
    )
    assert sentence(outcome, 4, "scale") == (
        "handles up to 200 L, only 10% of the 2,000 L batch: "
        "it would take 10 runs to make one batch."
    )


def test_scale_is_one_when_the_brief_gives_no_batch():
    index = make_index(site(1, max_batch_kg={"small-molecule-api": 1}))

    assert subscores(score_catalogue(brief(), index), "scale") == [1.0]


def test_markets_count_the_share_of_authorities_the_site_stands_well_with():
    index = make_index(
        site(1, standing={"FDA": STANDING_GOOD, "EMA": STANDING_GOOD}),
        site(2, standing={"FDA": STANDING_GOOD, "EMA": STANDING_ADVERSE}),
        site(3),
    )

    outcome = score_catalogue(brief(target_markets=("US", "EU")), index)

    assert subscores(outcome, "markets") == [1.0, 0.5, 0.0]


def test_certifications_count_the_share_of_required_kinds_held_valid():
    index = make_index(
        site(1, certifications={"eu-gmp", "fda-registration"}),
        site(2, certifications={"eu-gmp"}),
        site(3, certifications={"iso-9001"}),
    )

    outcome = score_catalogue(brief(required_certifications=("eu-gmp", "fda-registration")), index)

    assert subscores(outcome, "certifications") == [1.0, 0.5, 0.0]


def test_unknown_compliance_is_neutral_and_below_a_clean_record():
    index = make_index(site(1, compliance=90.0), site(2, compliance=None), site(3, compliance=30))

    outcome = score_catalogue(brief(), index)

    assert subscores(outcome, "compliance") == [0.9, 0.5, 0.3]


def test_containment_needs_a_demonstrated_oel_at_or_below_the_brief():
    index = make_index(
        site(1, oel_ug_m3=0.1), site(2, oel_ug_m3=1.0), site(3, oel_ug_m3=10.0), site(4)
    )

    outcome = score_catalogue(brief(max_oel_ug_m3=1.0), index)

    assert subscores(outcome, "containment") == [1.0, 1.0, 0.0, 0.0]


def test_controlled_substances_need_the_schedule():
    index = make_index(site(1, dea_schedules={"II", "III"}), site(2, dea_schedules={"IV"}))

    outcome = score_catalogue(brief(dea_schedule="II"), index)

    assert subscores(outcome, "controlled_substances") == [1.0, 0.0]


def test_geography_prefers_countries_and_regions_and_zeroes_excluded_countries():
    index = make_index(
        site(1, country="CH", region="europe"),
        site(2, country="DE", region="europe"),
        site(3, country="IN", region="asia-pacific"),
        site(4, country="US", region="north-america"),
    )

    outcome = score_catalogue(
        brief(
            preferred_countries=("US",), preferred_regions=("europe",), excluded_countries=("IN",)
        ),
        index,
    )

    assert subscores(outcome, "geography") == [1.0, 1.0, 0.0, 1.0]
    assert outcome.eligible.tolist() == [True, True, False, True]


def test_geography_is_half_outside_the_preferences():
    index = make_index(site(1, country="BR", region="latin-america"), site(2, country="DE"))

    outcome = score_catalogue(brief(preferred_regions=("europe",)), index)

    assert subscores(outcome, "geography") == [0.5, 1.0]


def test_development_needs_a_cdmo():
    index = make_index(site(1, cdmo=True), site(2, cdmo=False))

    outcome = score_catalogue(brief(development_needed=True), index)

    assert subscores(outcome, "development") == [1.0, 0.0]


def test_criteria_not_asked_score_one_weigh_nothing_and_say_not_asked():
    index = make_index(site(1, cdmo=False))

    outcome = score_catalogue(brief(), index)

    asked = {"capability", "compliance"}
    for name in CRITERIA:
        if name not in asked:
            assert subscores(outcome, name) == [1.0]
            assert outcome.weights[CRITERIA.index(name)] == 0
    explained = {e.criterion: e for e in explain(outcome, 0)}
    assert explained["development"].sentence == "Not asked."
    assert explained["development"].weight == 0


def test_score_is_the_weighted_mean_times_100():
    index = make_index(site(1, compliance=60.0, phases={"phase1"}))
    weights = {**dict.fromkeys(CRITERIA, 0), "capability": 1, "phase": 3, "compliance": 0}

    outcome = score_catalogue(brief(phase="phase2", weights=weights), index)

    # capability 1.0 weighs 1, phase 0.4 (neighbouring only) weighs 3: (1 + 1.2) / 4.
    assert outcome.scores[0] == pytest.approx(55.0)


def test_ranking_is_by_score_then_site_id():
    index = make_index(site(7, compliance=70.0), site(3, compliance=90.0), site(5, compliance=70.0))

    outcome = score_catalogue(brief(), index)

    assert outcome.eligible_site_ids.tolist() == [3, 5, 7]


# --- Must-haves, funnel, relaxation ---------------------------------------------------------------


def test_a_failed_must_have_excludes_with_a_reason_naming_the_fact():
    index = make_index(site(1, certifications={"eu-gmp"}), site(2, certifications={"iso-9001"}))

    outcome = score_catalogue(
        brief(required_certifications=("eu-gmp",), must_haves=frozenset({"certifications"})),
        index,
    )

    assert outcome.eligible_site_ids.tolist() == [1]
    assert outcome.excluded_site_ids.tolist() == [2]
    assert math.isnan(outcome.scores[1])
    assert outcome.first_failed(1) == "certifications"
    assert outcome.exclusion_reason(1) == (
        "Must-have Certifications: holds no valid EU GMP certificate."
    )
    assert outcome.exclusion_reason(0) is None


def test_the_same_failure_without_must_have_only_lowers_the_score():
    index = make_index(site(1, certifications={"eu-gmp"}), site(2, certifications={"iso-9001"}))

    outcome = score_catalogue(brief(required_certifications=("eu-gmp",)), index)

    assert outcome.eligible_site_ids.tolist() == [1, 2]
    assert outcome.scores[0] > outcome.scores[1]


def test_excluded_countries_always_exclude_and_are_never_suggested_for_relaxation():
    index = make_index(site(1, country="CN", region="asia-pacific"), site(2))

    outcome = score_catalogue(brief(excluded_countries=("CN",)), index)

    assert outcome.excluded_site_ids.tolist() == [1]
    assert outcome.exclusion_reason(0) == ("Excluded country: is in CN, which the brief excludes.")
    assert outcome.relaxation is None
    assert [step.constraint for step in outcome.funnel] == [MODALITY, EXCLUDED_COUNTRIES]
    assert not any(step.relaxable for step in outcome.funnel)


def test_funnel_counts_sequentially_and_alone_and_suggests_the_best_relaxation():
    # Given six sites and three must-haves (certifications, containment, development):
    #   1 passes everything; 2 fails certifications only; 3 and 4 fail containment only;
    #   5 fails certifications and containment; 6 is a CMO failing development only.
    good = {"certifications": {"eu-gmp"}, "oel_ug_m3": 0.5}
    index = make_index(
        site(1, **good),
        site(2, oel_ug_m3=0.5),
        site(3, certifications={"eu-gmp"}, oel_ug_m3=5.0),
        site(4, certifications={"eu-gmp"}),
        site(5),
        site(6, cdmo=False, **good),
    )
    criteria = brief(
        required_certifications=("eu-gmp",),
        max_oel_ug_m3=1.0,
        development_needed=True,
        must_haves=frozenset({"certifications", "containment", "development"}),
    )

    outcome = score_catalogue(criteria, index)

    assert outcome.eligible_site_ids.tolist() == [1]
    steps = {step.constraint: step for step in outcome.funnel}
    assert [step.constraint for step in outcome.funnel] == [
        MODALITY,  # always applied: every site here makes the modality
        "certifications",
        "containment",
        "development",
    ]
    assert (steps["certifications"].removed, steps["certifications"].removed_alone) == (2, 2)
    assert (steps["containment"].removed, steps["containment"].removed_alone) == (2, 3)
    assert (steps["development"].removed, steps["development"].removed_alone) == (1, 1)
    assert sum(step.removed for step in outcome.funnel) == len(outcome.excluded_site_ids)
    assert outcome.relaxation == Relaxation(
        criterion="containment", admitted=2, requirement="containment to 1 µg/m³"
    )
    assert str(outcome.relaxation) == "drop the containment to 1 µg/m³ must-have: +2 sites"
    assert outcome.failed_constraints(4) == ["certifications", "containment"]


def test_relaxation_count_matches_rescoring_without_the_must_have():
    index = make_index(
        site(1, certifications={"eu-gmp"}, phases={"phase1"}),
        site(2, phases={"phase1"}),
        site(3, certifications={"eu-gmp"}),
        site(4),
    )
    criteria = brief(
        phase="phase1",
        required_certifications=("eu-gmp",),
        must_haves=frozenset({"phase", "certifications"}),
    )
    outcome = score_catalogue(criteria, index)

    relaxed = score_catalogue(
        brief(
            phase="phase1",
            required_certifications=("eu-gmp",),
            must_haves=frozenset({outcome.relaxation.criterion} ^ criteria.must_haves),
        ),
        index,
    )

    assert relaxed.eligible.sum() - outcome.eligible.sum() == outcome.relaxation.admitted


@pytest.mark.parametrize("must_haves", [frozenset(), frozenset({"capability"})])
def test_a_site_without_the_modality_is_excluded_whatever_the_must_haves(must_haves):
    index = make_index(site(1), site(2, terms={"mab"}))

    outcome = score_catalogue(brief(must_haves=must_haves), index)

    assert outcome.excluded_site_ids.tolist() == [2]
    assert outcome.exclusion_reason(1) == (
        "Modality: does not make Small-molecule API, the brief's modality."
    )
    assert outcome.funnel[0] == FunnelStep(MODALITY, removed=1, removed_alone=1, relaxable=False)


def test_scale_must_have_needs_a_scale_shown_to_handle_the_batch():
    index = make_index(
        site(1, max_batch_kg={"small-molecule-api": 10}),
        site(2),
        site(3, max_batch_kg={"small-molecule-api": 500}),
    )

    outcome = score_catalogue(brief(batch_size=100, must_haves=frozenset({"scale"})), index)

    assert outcome.eligible_site_ids.tolist() == [3]
    assert "only 10% of the 100 kg batch: it would take 10 runs" in outcome.exclusion_reason(0)
    assert "scale unknown" in outcome.exclusion_reason(1)


def test_compliance_must_have_excludes_unknown_and_poor_records():
    index = make_index(site(1, compliance=80.0), site(2, compliance=None), site(3, compliance=35))

    outcome = score_catalogue(brief(must_haves=frozenset({"compliance"})), index)

    assert outcome.eligible_site_ids.tolist() == [1]


def test_an_empty_catalogue_and_an_all_excluding_brief_give_empty_rankings():
    empty = score_catalogue(brief(), make_index())
    assert empty.ranking.tolist() == []
    none_left = score_catalogue(
        brief(dea_schedule="I", must_haves=frozenset({"controlled_substances"})),
        make_index(site(1)),
        method="topsis",
    )
    assert none_left.eligible_site_ids.tolist() == []
    assert none_left.relaxation == Relaxation("controlled_substances", 1, "DEA schedule I")


# --- Explanations -------------------------------------------------------------------------------


def test_explain_writes_one_sentence_per_criterion_for_the_site_asked():
    index = make_index(
        site(
            1,
            terms={"small-molecule-api", "oral-solid"},
            phases={"phase3"},
            max_batch_kg={"small-molecule-api": 200},
            certifications={"eu-gmp"},
            standing={"FDA": STANDING_GOOD},
            oel_ug_m3=0.5,
            dea_schedules={"II"},
            compliance=None,
        )
    )
    criteria = brief(
        dosage_forms=("oral-solid", "sterile-injectable"),
        phase="phase3",
        batch_size=100,
        target_markets=("US", "EU"),
        required_certifications=("eu-gmp",),
        max_oel_ug_m3=1,
        dea_schedule="II",
        preferred_countries=("DE",),
        development_needed=True,
    )

    sentences = {e.criterion: e.sentence for e in explain(score_catalogue(criteria, index), 0)}

    assert list(sentences) == list(CRITERIA)
    assert sentences["capability"] == (
        "offers Small-molecule API and 1 of 2 requested; lacks Sterile injectable."
    )
    assert sentences["phase"] == "serves Phase 3."
    assert sentences["scale"] == "handles up to 200 kg, enough for a 100 kg batch."
    assert sentences["markets"] == (
        "in good standing with FDA for US; has no recent record with EMA for EU."
    )
    assert sentences["certifications"] == (
        "holds every required certification valid (EU GMP certificate)."
    )
    assert "unknown" in sentences["compliance"]
    assert sentences["containment"] == "contains down to 0.5 µg/m³; the brief needs 1 µg/m³."
    assert sentences["controlled_substances"] == "is registered for DEA Schedule II."
    assert sentences["geography"] == "is in DE, a preferred country."
    assert sentences["development"] == "belongs to a CDMO, which offers development."


# --- TOPSIS -------------------------------------------------------------------------------------


def test_topsis_can_order_sites_differently_from_the_weighted_mean():
    # Given three sites on two equally weighted criteria (compliance, phase): the weighted mean
    # puts the site serving the phase with a poor record first; TOPSIS, which measures the
    # distance to a full fit and to no fit on every criterion at once, puts the one with a good
    # deal of both first.
    index = make_index(
        site(1, compliance=10.0, phases={"phase2"}),  # compliance 0.1, phase 1
        site(2, compliance=68.0, phases={"phase1"}),  # compliance 0.68, phase 0.4 (neighbour)
        site(3, compliance=90.0, phases={"commercial"}),  # compliance 0.9, phase 0.1 (far)
    )
    weights = {**dict.fromkeys(CRITERIA, 0), "compliance": 1, "phase": 1}
    criteria = brief(phase="phase2", weights=weights)

    weighted = score_catalogue(criteria, index)
    by_topsis = score_catalogue(criteria, index, method="topsis")

    assert weighted.eligible_site_ids.tolist() == [1, 2, 3]
    assert weighted.scores.tolist() == pytest.approx([55.0, 54.0, 50.0])
    assert by_topsis.eligible_site_ids.tolist() == [2, 1, 3]
    assert by_topsis.scores.tolist() == pytest.approx([52.76, 53.71, 50.0], abs=0.01)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="Unknown method"):
        score_catalogue(brief(), make_index(site(1)), method="borda")


# --- Validation ---------------------------------------------------------------------------------


def test_validate_names_each_problem():
    criteria = BriefCriteria(
        modality="mab",
        batch_size=0,
        max_oel_ug_m3=-1,
        preferred_countries=("DE",),
        excluded_countries=("DE",),
        weights={"capability": 7, "colour": 1},
        must_haves=frozenset({"luck"}),
    )

    errors = criteria.validate()

    assert set(errors) == {
        "batch_size",
        "max_oel_ug_m3",
        "excluded_countries",
        "weights",
        "must_haves",
    }


def test_validate_accepts_a_plain_brief():
    assert brief(phase="phase1", batch_size=10).validate() == {}
