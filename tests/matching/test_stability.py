"""The ranking's stability (matching/engine/stability.py): the closed form for the weighted
mean and the numerical search for TOPSIS, each checked against brute force (sweep one weight
on a fine grid, score again, compare), ties included.

"Ahead" is strict throughout: a site is ahead of another when it scores more; equal scores
tie (the engine then lists them by site id), and reaching a tie is not overtaking."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matching.engine.stability import (
    BY_ROUNDING,
    BY_SITE_ID,
    DOWN,
    PRECISION,
    UP,
    describe,
    ranking_stability,
    run_closeness,
)

SWEEP = np.round(np.arange(0, 5.0001, 0.01), 2)
# Scores closer than this are a tie in the brute force (the scale is 0-1).
LEVEL = 1e-9


def _scores(subscores, weights, method):
    if method == "weighted":
        # Criterion by criterion, as the engine adds them.
        total = np.zeros(len(subscores))
        for k in np.flatnonzero(weights):
            total += subscores[:, k] * weights[k]
        return total / weights.sum()
    return run_closeness(subscores, weights)


def _ranked(subscores, weights, ids, method):
    """The instance in the engine's rank order, as a run stores it: by score, equal scores
    (here: up to rounding) by site id."""
    scores = np.round(_scores(subscores, weights, method), 9)
    order = np.lexsort((ids, -scores))
    return subscores[order], ids[order]


def _sweep(subscores, weights, method, k):
    """Every site's score for each weight of criterion k on the sweep that is a weighting."""
    sweep, scores = [], []
    for t in SWEEP:
        trial = weights.copy()
        trial[k] = t
        if trial.sum() == 0:
            continue
        sweep.append(t)
        scores.append(_scores(subscores, trial, method))
    return np.array(sweep), np.array(scores)


def _ahead(scores, front, back):
    """Per sweep point, whether site `back` scores strictly more than site `front`."""
    return scores[:, back] > scores[:, front] + LEVEL


def _level(scores, front, back):
    return np.abs(scores[:, back] - scores[:, front]) <= LEVEL


def _none_ahead(scores, relations):
    """Per sweep point, whether no relation (front, back) has its back site ahead."""
    held = np.ones(len(scores), dtype=bool)
    for front, back in relations:
        held &= ~_ahead(scores, front, back)
    return held


def _around(sweep, held, weight):
    """The contiguous range of the sweep around `weight` where `held` is true."""
    here = int(np.argmin(np.abs(sweep - weight)))
    assert held[here]
    low_index = here
    while low_index > 0 and held[low_index - 1]:
        low_index -= 1
    high_index = here
    while high_index < len(sweep) - 1 and held[high_index + 1]:
        high_index += 1
    return sweep[low_index], sweep[high_index]


def _new_ties(scores, relations, index):
    """How many relations (front, back) that are not ties at the brief's weights (row -1 of
    `scores`) are ties at sweep point `index`."""
    return sum(
        int(_level(scores, front, back)[index] and not _level(scores, front, back)[-1])
        for front, back in relations
    )


def _check_against_brute_force(subscores, weights, ids, method):
    subscores, ids = _ranked(subscores, weights, ids, method)
    names = [f"c{k}" for k in range(subscores.shape[1])]
    result = ranking_stability(subscores, weights, ids, names, method=method)
    n = len(ids)
    now = _scores(subscores, weights, method)[None, :]
    # The sweep's step, plus the numerical search's precision for TOPSIS.
    slack = 0.011 + (PRECISION if method == "topsis" else 0)
    nearest = np.full(max(n - 1, 0), np.inf)
    leader = [(0, other) for other in range(1, n)]
    top3 = [(0, 1), (1, 2)] + [(2, other) for other in range(3, n)]
    for k, item in enumerate(result.criteria):
        sweep, scores = _sweep(subscores, weights, method, k)
        with_now = np.vstack([scores, now])
        # The leader: no site ahead of it.
        first = _none_ahead(scores, leader)
        low, high = _around(sweep, first, weights[k])
        assert item.low == pytest.approx(low, abs=slack), (k, "low")
        assert item.high == pytest.approx(high, abs=slack), (k, "high")
        for bound, by, ties, end, step in (
            (item.low, item.low_by, item.low_ties, 0, -1),
            (item.high, item.high_by, item.high_ties, len(sweep) - 1, 1),
        ):
            if by is None:
                # Nothing overtakes it that way; the sites that draw level at the end of the
                # scale are counted (where the end is a weighting at all).
                assert bound == (0 if step < 0 else 5), (k, bound)
                at_end = sweep[end] == (0 if step < 0 else 5)
                expected = _new_ties(with_now, leader, end) if at_end else 0
                assert ties == expected, (k, end)
            else:
                # The site named is ahead of the leader just beyond the bound.
                beyond = int(np.argmin(np.abs(sweep - np.clip(bound + step * slack, 0, 5))))
                assert _ahead(scores, 0, by - 1)[beyond], (k, by)
                assert ties == 0
        if n >= 3:
            in_order = _none_ahead(scores, top3)
            low, high = _around(sweep, in_order, weights[k])
            assert item.top3_low == pytest.approx(low, abs=slack), (k, "top3_low")
            assert item.top3_high == pytest.approx(high, abs=slack), (k, "top3_high")
            for bound, ties, end, edge in (
                (item.top3_low, item.top3_low_ties, 0, 0),
                (item.top3_high, item.top3_high_ties, len(sweep) - 1, 5),
            ):
                if bound == edge and sweep[end] == edge:
                    assert ties == _new_ties(with_now, top3, end), (k, "top3 ties", end)
        else:
            assert item.top3_low is None
            assert item.top3_low_ties is None
        for upper in range(min(n, 10) - 1):
            overtaken = _ahead(scores, upper, upper + 1)
            if overtaken.any():
                distance = np.abs(sweep[overtaken] - weights[k]).min()
                nearest[upper] = min(nearest[upper], distance)
    for pair in result.pairs:
        upper = pair.upper_rank - 1
        tied = bool(_level(now, upper, upper + 1)[0])
        assert pair.tied == tied, pair
        assert pair.always_tied == (tied and np.array_equal(subscores[upper], subscores[upper + 1]))
        if tied:
            assert pair.tie_break == (BY_SITE_ID if ids[upper] < ids[upper + 1] else BY_ROUNDING)
        else:
            assert pair.tie_break is None
        closest = nearest[upper]
        if pair.criterion is None:
            assert closest == np.inf, pair
            continue
        assert abs(pair.swap_at - pair.weight) == pytest.approx(closest, abs=slack), pair
        if tied:
            assert pair.swap_at == pair.weight
        # Just beyond the swap, the way it says, the lower site is ahead.
        k = names.index(pair.criterion)
        sweep, scores = _sweep(subscores, weights, method, k)
        step = slack if pair.direction == UP else -slack
        beyond = int(np.argmin(np.abs(sweep - np.clip(pair.swap_at + step, 0, 5))))
        assert _ahead(scores, upper, upper + 1)[beyond], pair
    return result


def _sentences_agree(result, n):
    """The sentences say the leader may be overtaken exactly where the data does, and never
    contradict each other."""
    names = {rank: f"Site {rank}" for rank in range(1, n + 1)}
    text = describe(result.as_data(), names)
    free = all(item.low_by is None and item.high_by is None for item in result.criteria)
    leader_overtaken = [sentence for sentence in text["swaps"] if "overtakes #1 " in sentence]
    assert ("whatever the weights" in text["first"]) == free, text
    assert ("overtakes it" in text["first"]) == (not free), text
    if free:
        assert not leader_overtaken, text
    top3_free = "whatever the weights" in (text["top3"] or "")
    if top3_free:
        assert not [s for s in text["swaps"] if any(f"overtakes #{r} " in s for r in (1, 2, 3))]
    tied = [pair for pair in result.pairs if pair.tied]
    assert len(text["ties"]) == len(tied)
    for pair, sentence in zip(tied, text["ties"], strict=True):
        assert sentence.startswith(
            f"#{pair.upper_rank} Site {pair.upper_rank} and #{pair.lower_rank} "
            f"Site {pair.lower_rank} tie"
        )
    # No pair is both steady and overtaken, and none is said to be overtaken at the end of
    # the scale it cannot move past.
    for sentence in text["swaps"]:
        assert not sentence.endswith(("to below 0.", "to above 5.")), sentence
    return text


# Few distinct values and rows drawn from a small pool: ties, identical sites and sites that
# differ on one criterion alone are common.
VALUES = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]) | st.integers(0, 20).map(lambda v: v / 20)
instances = st.integers(1, 7).flatmap(
    lambda n: st.integers(1, 4).flatmap(
        lambda m: st.tuples(
            st.lists(st.lists(VALUES, min_size=m, max_size=m), min_size=1, max_size=3).flatmap(
                lambda pool: st.lists(
                    st.sampled_from(pool) | st.lists(VALUES, min_size=m, max_size=m),
                    min_size=n,
                    max_size=n,
                )
            ),
            st.lists(st.integers(0, 5), min_size=m, max_size=m).filter(lambda w: sum(w) > 0),
            st.permutations(list(range(1, n + 1))),
        )
    )
)


def _arrays(instance):
    subscores, weights, ids = instance
    return np.array(subscores, dtype=float), np.array(weights, dtype=float), np.array(ids)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
# Equal means up to rounding: a tie, which a cut of one weight undoes.
@example(([[0.0, 0.0], [0.05, 0.35], [0.0, 0.4]], [5, 5], [1, 7, 6]))
# The demo's shape: full fits everywhere but compliance, which only a weight of 0 levels.
@example(([[1.0, 0.9], [1.0, 0.8], [1.0, 0.8], [0.5, 1.0]], [3, 3], [4, 2, 3, 1]))
# One criterion weighed, the other 0: its weight cannot reach 0.
@example(([[1.0, 0.2], [0.5, 0.9]], [0, 4], [2, 1]))
def test_weighted_mean_agrees_with_brute_force_and_its_sentences_agree(instance):
    subscores, weights, ids = _arrays(instance)
    result = _check_against_brute_force(subscores, weights, ids, "weighted")
    _sentences_agree(result, len(ids))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
@example(([[1.0, 0.9], [1.0, 0.8], [1.0, 0.8], [0.5, 1.0]], [3, 3], [4, 2, 3, 1]))
def test_topsis_agrees_with_brute_force_and_its_sentences_agree(instance):
    subscores, weights, ids = _arrays(instance)
    result = _check_against_brute_force(subscores, weights, ids, "topsis")
    _sentences_agree(result, len(ids))


@pytest.mark.parametrize("method", ["weighted", "topsis"])
@pytest.mark.parametrize("sites", [12, 60])
def test_random_instances_beyond_the_top_ten_agree_with_brute_force(method, sites):
    # Beyond ten sites the search leaves out those that cannot overtake: it must not matter.
    rng = np.random.default_rng(sites)
    for _ in range(2):
        subscores = rng.random((sites, 4)) ** 0.3
        weights = rng.integers(1, 6, 4).astype(float)
        _check_against_brute_force(subscores, weights, np.arange(1, sites + 1), method)


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_many_ties_beyond_the_top_ten_agree_with_brute_force(method):
    # Forty sites from six distinct rows: ties with the leader and between neighbours
    # everywhere, at the brief's weights and at the ends of the scale.
    rng = np.random.default_rng(5)
    pool = np.array(
        [[1, 1, 0.9], [1, 1, 0.8], [1, 0.5, 1], [1, 1, 0.6], [0.5, 1, 1], [1, 1, 1]], dtype=float
    )
    subscores = pool[rng.integers(0, len(pool), 40)]
    ids = rng.permutation(40) + 1
    result = _check_against_brute_force(subscores, np.array([3.0, 2.0, 4.0]), ids, method)
    _sentences_agree(result, 40)


def test_swap_point_solves_the_linear_equation():
    # A leads on compliance, B on scale; weights scale 3, compliance 4.
    # D = 3(0.5 - 1) + 4(1 - 0.2) = 1.7; lowering compliance to t: -1.5 + 0.8 t = 0 at 1.875.
    subscores = np.array([[0.5, 1.0], [1.0, 0.2]])
    result = ranking_stability(subscores, [3, 4], [1, 2], ["scale", "compliance"])
    compliance = result.criteria[1]
    assert (compliance.low, compliance.high) == (pytest.approx(1.875), 5)
    assert (compliance.low_by, compliance.high_by) == (2, None)
    (pair,) = result.pairs
    # Scale up instead: 1.7 - 0.5 (t - 3) = 0 at 6.4, off the scale; compliance is the one.
    assert (pair.criterion, pair.weight, pair.swap_at, pair.direction) == (
        "compliance",
        4,
        pytest.approx(1.875),
        DOWN,
    )
    assert not pair.tied


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_one_eligible_site_stays_first_whatever_the_weights(method):
    result = ranking_stability(np.array([[0.3, 0.9]]), [2, 4], [5], ["a", "b"], method=method)
    assert [(c.low, c.high) for c in result.criteria] == [(0, 5), (0, 5)]
    assert result.criteria[0].top3_low is None
    assert result.pairs == ()


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_a_criterion_all_sites_share_leaves_its_weight_free(method):
    subscores = np.array([[0.7, 0.9], [0.7, 0.4], [0.7, 0.1]])
    result = ranking_stability(subscores, [3, 2], [1, 2, 3], ["shared", "b"], method=method)
    shared = result.criteria[0]
    assert (shared.low, shared.high, shared.top3_low, shared.top3_high) == (0, 5, 0, 5)
    data = describe(result.as_data(), {1: "Alpha", 2: "Beta", 3: "Gamma"})
    # With b at 0 all three score the same.
    assert data["first"] == (
        "Alpha stays first whatever the weights, each from 0 to 5. With the b weight at 0, 2 "
        "other sites would tie with it."
    )


# The demo's shape: the best sites fit every criterion fully but compliance. With the
# compliance weight at 0 they all score 100 and tie, and a tie is not an overtaking.
FULL_FITS = np.array([[1.0, 1.0, 0.99], [1.0, 1.0, 0.91], [1.0, 1.0, 0.89], [1.0, 0.5, 0.5]])
FULL_FIT_IDS = [1377, 1218, 1408, 700]
FULL_FIT_NAMES = {1: "Schaffhausen", 2: "Penzberg", 3: "Coimbra", 4: "Lyon"}


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_sites_that_only_tie_at_the_end_of_the_scale_are_not_said_to_overtake(method):
    result = ranking_stability(
        FULL_FITS, [3, 3, 3], FULL_FIT_IDS, ["markets", "scale", "compliance"], method=method
    )

    compliance = result.criteria[2]
    assert (compliance.low, compliance.high, compliance.low_by) == (0, 5, None)
    # Penzberg and Coimbra draw level at 0; Lyon (not a full fit on scale) does not.
    assert compliance.low_ties == 2
    assert [pair.criterion for pair in result.pairs[:2]] == [None, None]
    data = describe(result.as_data(), FULL_FIT_NAMES)
    assert data["first"].startswith("Schaffhausen stays first whatever the weights, each from")
    assert data["first"].endswith(
        "With the compliance weight at 0, 2 other sites would tie with it."
    )
    assert not any("#2 Penzberg overtakes #1" in sentence for sentence in data["swaps"])
    assert not any("to below 0." in sentence for sentence in data["swaps"])
    assert data["steady"] == [
        "No change of one weight from 0 to 5 puts any of #2 to #4 ahead of the site ranked just "
        "above it."
    ]


def test_the_topsis_leader_free_over_the_whole_scale_reads_whatever_the_weights():
    result = ranking_stability(
        FULL_FITS, [3, 3, 3], FULL_FIT_IDS, ["markets", "scale", "compliance"], method="topsis"
    )
    data = describe(result.as_data(), FULL_FIT_NAMES)
    assert "between 0 and 5" not in data["first"]
    assert "whatever the weights" in data["first"]


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_identical_sites_tie_whatever_the_weights_and_say_which_comes_first(method):
    # Monza and Wuxi: the same compliance, the same sub-scores everywhere.
    subscores = np.array([[1.0, 0.95], [1.0, 0.86], [1.0, 0.86], [0.9, 0.5]])
    result = ranking_stability(subscores, [3, 3], [10, 434, 1043, 7], ["a", "b"], method=method)

    pair = result.pairs[1]
    assert (pair.tied, pair.always_tied, pair.tie_break, pair.criterion) == (
        True,
        True,
        BY_SITE_ID,
        None,
    )
    data = describe(result.as_data(), {1: "Basel", 2: "Monza", 3: "Wuxi", 4: "Lyon"})
    assert data["ties"] == [
        "#2 Monza and #3 Wuxi tie whatever the weights, with the same sub-score on every "
        "criterion; Monza comes first only because the engine lists equal scores by site id, "
        "lowest first."
    ]
    assert not any("Wuxi ahead of #2 Monza" in sentence for sentence in data["steady"])
    assert not any("Wuxi overtakes" in sentence for sentence in data["swaps"])


def test_a_tie_now_is_undone_by_any_move_of_the_weight_that_favours_the_lower_site():
    # Equal means (0.5) with site 1 first by id; site 2 is better on b.
    subscores = np.array([[1.0, 0.0], [0.0, 1.0]])
    result = ranking_stability(subscores, [2, 2], [1, 2], ["a", "b"])
    (pair,) = result.pairs
    assert (pair.tied, pair.always_tied, pair.tie_break) == (True, False, BY_SITE_ID)
    assert pair.swap_at == pair.weight == 2
    data = describe(result.as_data(), {1: "One", 2: "Two"})
    assert data["ties"] == [
        "#1 One and #2 Two tie at these weights; One comes first only because the engine "
        "lists equal scores by site id, lowest first."
    ]
    # Lowering a (or raising b, as near): the first criterion in the brief's order is named.
    assert data["swaps"] == [
        "#2 Two overtakes #1 One if the a weight drops at all below 2 (they tie now)."
    ]
    # And the leader's range ends at the weight itself, on the side that favours #2.
    assert (result.criteria[0].low, result.criteria[0].low_by) == (2, 2)


def test_a_tie_up_to_rounding_says_the_engine_ordered_it_by_the_last_digits():
    # Equal means up to rounding, the higher site id first: the engine's arithmetic, not the
    # tie-break by site id, put it there.
    subscores = np.array([[0.05, 0.35], [0.0, 0.4]])
    result = ranking_stability(subscores, [5, 5], [7, 6], ["a", "b"])
    (pair,) = result.pairs
    assert (pair.tied, pair.tie_break) == (True, BY_ROUNDING)
    data = describe(result.as_data(), {1: "Seven", 2: "Six"})
    assert "the last digits of their computed scores" in data["ties"][0]


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_a_criterion_weighing_zero_is_analysed_too(method):
    # b weighs 0 now; raising it puts site 2 ahead.
    subscores = np.array([[0.9, 0.1], [0.8, 0.9]])
    subscores, ids = _ranked(subscores, np.array([4.0, 0.0]), np.array([1, 2]), method)
    result = ranking_stability(subscores, [4, 0], ids, ["a", "b"], method=method)
    b = result.criteria[1]
    assert b.low == 0
    assert 0 < b.high < 5
    (pair,) = result.pairs
    assert (pair.criterion, pair.weight, pair.direction) == ("b", 0, UP)
    assert pair.swap_at == pytest.approx(b.high, abs=PRECISION)


def test_sentences_name_the_range_who_overtakes_and_the_closest_swap_first():
    subscores = np.array([[0.5, 1.0], [1.0, 0.2], [0.1, 0.1]])
    result = ranking_stability(subscores, [3, 4], [1, 2, 3], ["scale", "compliance"])
    data = describe(result.as_data(), {1: "Site A", 2: "Site B", 3: "Site C"})
    assert data["first"] == (
        "Site A stays first while the compliance weight is between 1.88 and 5 (it is 4; "
        "#2 Site B overtakes it below 1.88); every other weight can take any value from 0 to 5."
    )
    assert data["swaps"][0] == (
        "#2 Site B overtakes #1 Site A if the compliance weight drops from 4 to below 1.88."
    )
    assert data["how"].startswith("Exact")
    assert "only by scoring strictly more" in data["how"]


def test_the_leader_sentence_names_a_site_beyond_the_top_two_that_overtakes_it():
    # #2 can never pass the leader; #3 can, by a heavier b, and passes #2 first.
    subscores = np.array([[0.8, 0.8], [0.79, 0.79], [0.5, 1.0]])
    result = ranking_stability(subscores, [1, 1], [1, 2, 3], ["a", "b"])
    assert result.pairs[0].criterion is None
    assert (result.criteria[1].high, result.criteria[1].high_by) == (pytest.approx(1.5), 3)
    data = describe(result.as_data(), {1: "One", 2: "Two", 3: "Three"})
    assert "(it is 1; #3 Three overtakes it above 1.5)" in data["first"]
    assert "whatever the weights" not in data["first"]


def test_topsis_says_how_it_searched():
    subscores = np.array([[0.5, 1.0], [1.0, 0.2]])
    result = ranking_stability(subscores, [3, 4], [1, 2], ["a", "b"], method="topsis")
    assert result.precision == PRECISION
    data = describe(result.as_data(), {1: "A", 2: "B"})
    assert "bisection to within 0.01 of a weight point" in data["how"]


def test_the_leader_is_checked_against_every_eligible_site_not_only_the_top_ten():
    # Site 12 (rank 12) is the one that overtakes the leader when b rises.
    subscores = np.column_stack([np.linspace(0.95, 0.5, 12), np.full(12, 0.2)])
    subscores[11] = [0.4, 1.0]
    result = ranking_stability(subscores, [5, 1], np.arange(1, 13), ["a", "b"])
    # Leader vs site 12: D = 5(0.55) + 1(-0.8) = 1.95; with b = t: 2.75 - 0.8 t = 0 at 3.4375.
    assert result.criteria[1].high == pytest.approx(3.4375)
    assert result.criteria[1].high_by == 12
    data = describe(result.as_data(), {rank: f"S{rank}" for rank in range(1, 11)})
    # Its name is not among those given: its rank stands alone.
    assert "#12 overtakes it above 3.44" in data["first"]


def test_a_bound_inside_the_scale_is_never_written_as_its_end():
    data = {
        "version": 2,
        "method": "topsis",
        "precision": PRECISION,
        "scale": [0, 5],
        "criteria": [
            {
                "criterion": "compliance",
                "weight": 3.0,
                "low": 0.0039,
                "high": 5.0,
                "top3_low": None,
                "top3_high": None,
                "low_by": 2,
                "high_by": None,
                "low_ties": 0,
                "high_ties": 0,
                "top3_low_ties": None,
                "top3_high_ties": None,
            }
        ],
        "pairs": [],
    }
    text = describe(data, {1: "A", 2: "B"})["first"]
    assert "between 0.0039 and 5" in text


# Stored before ties were told apart: the demo's run, as the page showed it contradict itself.
LEGACY_WEIGHTED = {
    "method": "weighted",
    "precision": None,
    "scale": [0, 5],
    "criteria": [
        {"criterion": "scale", "weight": 3.0, "low": 0.0, "high": 5.0, "top3_low": 0.2455,
         "top3_high": 5.0},
        {"criterion": "compliance", "weight": 3.0, "low": 0.0, "high": 5.0, "top3_low": 0.0,
         "top3_high": 5.0},
    ],
    "pairs": [
        {"upper_rank": 1, "lower_rank": 2, "criterion": "compliance", "weight": 3.0,
         "swap_at": 0.0},
        {"upper_rank": 2, "lower_rank": 3, "criterion": None, "weight": None, "swap_at": None},
        {"upper_rank": 3, "lower_rank": 4, "criterion": "compliance", "weight": 2.0,
         "swap_at": 2.0},
        {"upper_rank": 4, "lower_rank": 5, "criterion": "compliance", "weight": 3.0,
         "swap_at": 1.2},
    ],
}  # fmt: skip
LEGACY_TOPSIS = {
    "method": "topsis",
    "precision": 0.01,
    "scale": [0, 5],
    "criteria": [
        {"criterion": "compliance", "weight": 3.0, "low": 0.0039, "high": 5.0,
         "top3_low": 0.0039, "top3_high": 5.0},
    ],
    "pairs": [
        {"upper_rank": 1, "lower_rank": 2, "criterion": "compliance", "weight": 3.0,
         "swap_at": 0.0039},
    ],
}  # fmt: skip
NAMES = {1: "Schaffhausen", 2: "Penzberg", 3: "Coimbra", 4: "Carlow", 5: "Monza"}


def test_runs_stored_before_ties_were_told_apart_read_without_contradiction():
    data = describe(LEGACY_WEIGHTED, NAMES)

    assert data["first"] == "Schaffhausen stays first whatever the weights, each from 0 to 5."
    # The swap at the end of the scale was a tie there: no overtaking.
    assert (
        "No change of one weight from 0 to 5 puts #2 Penzberg ahead of #1 Schaffhausen."
        in (data["steady"])
    )
    # A swap at the weight itself was a tie now, its direction not recorded.
    assert data["ties"][0].startswith("#3 Coimbra and #4 Carlow tie at these weights;")
    assert data["swaps"] == [
        "#4 Carlow overtakes #3 Coimbra if the compliance weight moves at all, one way, from 2 "
        "(they tie now).",
        "#5 Monza overtakes #4 Carlow if the compliance weight drops from 3 to below 1.2.",
    ]


def test_topsis_runs_stored_before_read_the_whole_scale_as_whatever_the_weights():
    data = describe(LEGACY_TOPSIS, NAMES)

    assert data["first"] == "Schaffhausen stays first whatever the weights, each from 0 to 5."
    assert data["swaps"] == []
