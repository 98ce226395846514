"""The ranking's stability (matching/engine/stability.py): the closed form for the weighted
mean and the numerical search for TOPSIS, each checked against brute force (sweep one weight
on a fine grid, rank again, compare)."""

import numpy as np
import pytest
from bs4 import BeautifulSoup
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from matching.engine.stability import (
    PRECISION,
    describe,
    ranking_stability,
    run_closeness,
)
from matching.models import Run
from partners.models import Site
from tests.factories import RunFactory

SWEEP = np.round(np.arange(0, 5.0001, 0.01), 2)


def _scores(subscores, weights, method):
    if method == "weighted":
        scores = subscores @ weights / weights.sum()
    else:
        scores = run_closeness(subscores, weights)
    # Equal up to rounding is a tie, which the site ids break.
    return np.round(scores, 9)


def _rank(subscores, weights, ids, method):
    return np.lexsort((ids, -_scores(subscores, weights, method)))


def _ranked(subscores, weights, ids, method):
    """The instance in the engine's rank order, as a run stores it."""
    order = _rank(subscores, weights, ids, method)
    return subscores[order], ids[order]


def _sweep(subscores, weights, ids, method, k):
    """For each weight of criterion k on the sweep (a weighting at all), each site's position:
    positions[t, i] is where site i ranks (0 = first)."""
    sweep, positions = [], []
    for t in SWEEP:
        trial = weights.copy()
        trial[k] = t
        if trial.sum() == 0:
            continue
        order = _rank(subscores, trial, ids, method)
        position = np.empty(len(ids), dtype=int)
        position[order] = np.arange(len(ids))
        sweep.append(t)
        positions.append(position)
    return np.array(sweep), np.array(positions)


def _around(sweep, held, weight):
    """The contiguous range of the sweep around `weight` where `held` is true."""
    here = int(np.argmin(np.abs(sweep - weight)))
    low_index = here
    while low_index > 0 and held[low_index - 1]:
        low_index -= 1
    high_index = here
    while high_index < len(sweep) - 1 and held[high_index + 1]:
        high_index += 1
    return sweep[low_index], sweep[high_index]


def _check_against_brute_force(subscores, weights, ids, method):
    subscores, ids = _ranked(subscores, weights, ids, method)
    names = [f"c{k}" for k in range(subscores.shape[1])]
    result = ranking_stability(subscores, weights, ids, names, method=method)
    n = len(ids)
    # The sweep's step, plus the numerical search's precision for TOPSIS.
    slack = 0.011 + (PRECISION if method == "topsis" else 0)
    nearest = np.full(max(n - 1, 0), np.inf)
    for k, item in enumerate(result.criteria):
        sweep, positions = _sweep(subscores, weights, ids, method, k)
        low, high = _around(sweep, positions[:, 0] == 0, weights[k])
        assert item.low == pytest.approx(low, abs=slack), (k, "low")
        assert item.high == pytest.approx(high, abs=slack), (k, "high")
        if n >= 3:
            in_order = (positions[:, :3] == [0, 1, 2]).all(axis=1)
            low, high = _around(sweep, in_order, weights[k])
            assert item.top3_low == pytest.approx(low, abs=slack), (k, "top3_low")
            assert item.top3_high == pytest.approx(high, abs=slack), (k, "top3_high")
        for upper in range(min(n, 10) - 1):
            swapped = positions[:, upper + 1] < positions[:, upper]
            if swapped.any():
                distance = np.abs(sweep[swapped] - weights[k]).min()
                nearest[upper] = min(nearest[upper], distance)
    for pair in result.pairs:
        closest = nearest[pair.upper_rank - 1]
        if pair.criterion is None:
            assert closest == np.inf, pair
        else:
            assert abs(pair.swap_at - pair.weight) == pytest.approx(closest, abs=slack), pair


instances = st.integers(1, 7).flatmap(
    lambda n: st.integers(1, 4).flatmap(
        lambda m: st.tuples(
            st.lists(
                st.lists(st.integers(0, 20).map(lambda v: v / 20), min_size=m, max_size=m),
                min_size=n,
                max_size=n,
            ),
            st.lists(st.integers(0, 5), min_size=m, max_size=m).filter(lambda w: sum(w) > 0),
            st.permutations(list(range(1, n + 1))),
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
# Equal means up to rounding: the tie is broken by site id, and a cut of one weight undoes it.
@example(([[0.0, 0.0], [0.05, 0.35], [0.0, 0.4]], [5, 5], [1, 7, 6]))
def test_weighted_mean_bounds_agree_with_brute_force(instance):
    subscores, weights, ids = instance
    _check_against_brute_force(
        np.array(subscores, dtype=float), np.array(weights, dtype=float), np.array(ids), "weighted"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_topsis_bounds_agree_with_brute_force(instance):
    subscores, weights, ids = instance
    _check_against_brute_force(
        np.array(subscores, dtype=float), np.array(weights, dtype=float), np.array(ids), "topsis"
    )


@pytest.mark.parametrize("method", ["weighted", "topsis"])
@pytest.mark.parametrize("sites", [12, 60])
def test_random_instances_beyond_the_top_ten_agree_with_brute_force(method, sites):
    # Beyond ten sites the search leaves out those that cannot overtake: it must not matter.
    rng = np.random.default_rng(sites)
    for _ in range(2):
        subscores = rng.random((sites, 4)) ** 0.3
        weights = rng.integers(1, 6, 4).astype(float)
        _check_against_brute_force(subscores, weights, np.arange(1, sites + 1), method)


def test_swap_point_solves_the_linear_equation():
    # A leads on compliance, B on scale; weights scale 3, compliance 4.
    # D = 3(0.5 - 1) + 4(1 - 0.2) = 1.7; lowering compliance to t: -1.5 + 0.8 t = 0 at 1.875.
    subscores = np.array([[0.5, 1.0], [1.0, 0.2]])
    result = ranking_stability(subscores, [3, 4], [1, 2], ["scale", "compliance"])
    compliance = result.criteria[1]
    assert compliance.low == pytest.approx(1.875)
    assert compliance.high == 5
    (pair,) = result.pairs
    # Scale up instead: 1.7 - 0.5 (t - 3) = 0 at 6.4, off the scale; compliance is the one.
    assert (pair.criterion, pair.weight, pair.swap_at) == ("compliance", 4, pytest.approx(1.875))


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
    if method == "weighted":
        assert (shared.low, shared.high, shared.top3_low, shared.top3_high) == (0, 5, 0, 5)
    data = describe(result.as_data(), {1: "Alpha", 2: "Beta", 3: "Gamma"})
    assert data["first"] == "Alpha stays first whatever the weights, each from 0 to 5."


def test_identical_sites_never_swap_and_the_tie_keeps_site_order():
    subscores = np.array([[0.5, 0.5], [0.5, 0.5]])
    result = ranking_stability(subscores, [3, 3], [1, 2], ["a", "b"])
    (pair,) = result.pairs
    assert pair.criterion is None
    assert (result.criteria[0].low, result.criteria[0].high) == (0, 5)


def test_a_tie_now_is_undone_by_any_move_of_the_weight_that_favours_the_lower_site():
    # Equal means (0.5) with site 1 first by id; site 2 is better on b.
    subscores = np.array([[1.0, 0.0], [0.0, 1.0]])
    result = ranking_stability(subscores, [2, 2], [1, 2], ["a", "b"])
    (pair,) = result.pairs
    assert pair.swap_at == pair.weight == 2
    data = describe(result.as_data(), {1: "One", 2: "Two"})
    assert "they tie now" in data["swaps"][0]


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
    assert pair.criterion == "b"
    assert pair.weight == 0
    assert pair.swap_at == pytest.approx(b.high, abs=PRECISION)


def test_sentences_name_the_range_and_the_closest_swap_first():
    subscores = np.array([[0.5, 1.0], [1.0, 0.2], [0.1, 0.1]])
    result = ranking_stability(subscores, [3, 4], [1, 2, 3], ["scale", "compliance"])
    data = describe(result.as_data(), {1: "Site A", 2: "Site B", 3: "Site C"})
    assert data["first"] == (
        "Site A stays first while the compliance weight is between 1.88 and 5 (it is 4); "
        "every other weight can take any value from 0 to 5."
    )
    assert data["swaps"][0] == (
        "#2 Site B overtakes #1 Site A if the compliance weight drops from 4 to 1.88."
    )
    assert data["how"].startswith("Exact")


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


# On the run's page and in the API


def _done_run(user, brief, catalogue, django_capture_on_commit_callbacks):
    """A weighted run where Cork has the better record and Berlin the preferred country:
    D = 3(0.80 - 0.95) + 3(1 - 0.5) = 1.05, so Cork overtakes at a geography weight of 0.9."""
    Site.objects.filter(pk=catalogue["cork"].pk).update(compliance_score=95)
    client = Client()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/briefs/{brief.pk}/runs/", {"method": "weighted"})
    return client, Run.objects.get()


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index")
def test_a_run_stores_its_stability(helix, brief, catalogue, django_capture_on_commit_callbacks):
    _, run = _done_run(helix, brief, catalogue, django_capture_on_commit_callbacks)

    geography = next(c for c in run.stability["criteria"] if c["criterion"] == "geography")
    assert geography == {
        "criterion": "geography",
        "weight": 3.0,
        "low": 0.9,
        "high": 5.0,
        "top3_low": None,
        "top3_high": None,
    }
    assert run.stability["pairs"] == [
        {
            "upper_rank": 1,
            "lower_rank": 2,
            "criterion": "geography",
            "weight": 3.0,
            "swap_at": 0.9,
        }
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index")
def test_the_run_page_says_how_stable_the_ranking_is(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    client, run = _done_run(helix, brief, catalogue, django_capture_on_commit_callbacks)

    page = BeautifulSoup(client.get(f"/runs/{run.pk}/").content, "html.parser")

    section = page.select_one(".run-stability")
    assert " ".join(section.select_one(".stability-first").get_text(" ").split()) == (
        "Berlin stays first while the geography weight is between 0.9 and 5 (it is 3); every "
        "other weight can take any value from 0 to 5."
    )
    assert [li.get_text() for li in section.select(".stability-swaps li")] == [
        "#2 Cork overtakes #1 Berlin if the geography weight drops from 3 to 0.9."
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("fresh_catalogue_index")
def test_the_run_endpoint_gives_the_stability(
    helix, brief, catalogue, django_capture_on_commit_callbacks
):
    _, run = _done_run(helix, brief, catalogue, django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(helix)

    stability = api.get(f"/api/runs/{run.pk}/").json()["stability"]

    assert stability["method"] == "weighted"
    assert stability["precision"] is None
    assert stability["scale"] == [0, 5]
    assert stability["pairs"][0]["swap_at"] == 0.9
    assert {c["criterion"] for c in stability["criteria"]} >= {"compliance", "geography"}


@pytest.mark.django_db
def test_a_run_not_done_has_no_stability_in_the_api(helix, brief):
    run = RunFactory(brief=brief)
    api = APIClient()
    api.force_authenticate(helix)

    assert api.get(f"/api/runs/{run.pk}/").json()["stability"] is None
