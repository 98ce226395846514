"""Rank acceptability (matching/engine/smaa.py) against shares computed exactly.

With two criteria a weighting is (w, 1 - w), uniform sampling draws w uniformly from [0, 1], and
a site's rank is constant between the weights where two sites' scores cross: its shares are the
total length of the intervals where it ranks first, in the top three, in the top ten.
"""

import itertools
import tracemalloc

import numpy as np
import pytest

from matching.engine.smaa import RANKS, Method, rank_acceptability, scores

# Sub-scores of eleven sites on two criteria, in no particular order, with two identical ones
# (rows 3 and 7: they tie under every weighting, and the earlier row wins).
SITES = np.array(
    [
        [0.90, 0.20],
        [0.30, 0.95],
        [0.60, 0.60],
        [0.75, 0.45],
        [0.10, 1.00],
        [1.00, 0.05],
        [0.50, 0.70],
        [0.75, 0.45],
        [0.40, 0.40],
        [0.85, 0.35],
        [0.20, 0.80],
    ]
)
SAMPLES = 200_000
# Three standard errors of a share near 1/2 over 200,000 samples are about 0.0034.
TOLERANCE = 0.01


def _score(method: Method, w: float) -> np.ndarray:
    return scores(SITES, np.array([[w, 1.0 - w]]), method)[0]


def _ranks_at(method: Method, w: float) -> np.ndarray:
    """Each site's rank (1 = best) under the weighting (w, 1 - w), ties to the earlier row."""
    value = _score(method, w)
    order = np.lexsort((np.arange(len(SITES)), -value))
    rank = np.empty(len(SITES), dtype=int)
    rank[order] = np.arange(1, len(SITES) + 1)
    return rank


def _crossings(method: Method) -> list[float]:
    """Every w in (0, 1) where two sites' scores are equal: exact for the weighted mean (lines
    cross once), by bisection to 1e-13 for TOPSIS (sign changes on a fine grid)."""
    grid = np.linspace(0, 1, 2001)
    on_grid = scores(SITES, np.column_stack([grid, 1 - grid]), method)
    points = []
    for i, k in itertools.combinations(range(len(SITES)), 2):
        if method == "weighted":
            (a_i, b_i), (a_k, b_k) = SITES[i], SITES[k]
            slope = (a_i - b_i) - (a_k - b_k)
            if slope != 0:
                w = (b_k - b_i) / slope
                if 0 < w < 1:
                    points.append(w)
            continue
        gap = on_grid[:, i] - on_grid[:, k]
        for left in np.flatnonzero(np.sign(gap[:-1]) * np.sign(gap[1:]) < 0):
            low, high = grid[left], grid[left + 1]
            while high - low > 1e-13:
                middle = (low + high) / 2
                same = np.sign(_score(method, middle)[i] - _score(method, middle)[k])
                if same == np.sign(gap[left]):
                    low = middle
                else:
                    high = middle
            points.append((low + high) / 2)
    return points


def _exact_shares(method: Method) -> np.ndarray:
    """shares[r, s]: the length of the w in [0, 1] under which site s ranks within RANKS[r]."""
    bounds = np.unique([0.0, 1.0, *_crossings(method)])
    shares = np.zeros((len(RANKS), len(SITES)))
    for low, high in itertools.pairwise(bounds):
        rank = _ranks_at(method, (low + high) / 2)
        for row, limit in enumerate(RANKS):
            shares[row] += (high - low) * (rank <= limit)
    return shares


@pytest.mark.parametrize("method", ["weighted", "topsis"])
def test_two_criterion_shares_match_the_lengths_of_their_intervals(method):
    exact = _exact_shares(method)
    result = rank_acceptability(SITES, [1, 1], method=method, samples=SAMPLES, seed=7)

    for row, rank in enumerate(RANKS):
        assert result.share(rank) == pytest.approx(exact[row], abs=TOLERANCE)
    assert result.share(1).sum() == pytest.approx(1.0)
    assert result.share(3).sum() == pytest.approx(3.0)
    assert result.share(10).sum() == pytest.approx(10.0)


def test_identical_sites_tie_to_the_one_the_run_ranked_higher():
    result = rank_acceptability(SITES, [1, 1], samples=20_000, seed=1)

    assert result.counts[:, 7].sum() <= result.counts[:, 3].sum()
    assert result.counts[0, 7] == 0


def test_central_weights_of_a_leader_are_the_middle_of_its_interval():
    # Weighted mean, two sites: the first leads for w > 1/2, the second below; their central
    # weights are the middles of those intervals, (3/4, 1/4) and (1/4, 3/4).
    two = np.array([[1.0, 0.0], [0.0, 1.0]])
    result = rank_acceptability(two, [1, 1], samples=SAMPLES, seed=3)

    central = result.central_weights()
    assert central[0] == pytest.approx([0.75, 0.25], abs=TOLERANCE)
    assert central[1] == pytest.approx([0.25, 0.75], abs=TOLERANCE)


def test_around_sampling_centres_on_the_briefs_weights():
    # A site best on each of three criteria: the one on the criterion the brief weighs most
    # leads most often, and the mean of all weightings is the brief's.
    three = np.eye(3)
    result = rank_acceptability(three, [4, 1, 1], sampling="around", samples=20_000, seed=5)

    assert result.share(1)[0] > 0.9
    mean = result.weight_sums.sum(axis=0) / result.samples
    assert mean == pytest.approx([4 / 6, 1 / 6, 1 / 6], abs=0.01)


def test_the_same_seed_gives_the_same_counts_and_another_seed_others():
    matrix = np.random.default_rng(0).random((300, 5))

    first = rank_acceptability(matrix, [1, 2, 3, 4, 5], samples=3000, seed=11)
    again = rank_acceptability(matrix, [1, 2, 3, 4, 5], samples=3000, seed=11)
    other = rank_acceptability(matrix, [1, 2, 3, 4, 5], samples=3000, seed=12)

    assert np.array_equal(first.counts, again.counts)
    assert np.array_equal(first.weight_sums, again.weight_sums)
    assert not np.array_equal(first.counts, other.counts)


@pytest.mark.parametrize("method", ["weighted", "topsis"])
@pytest.mark.parametrize("sampling", ["uniform", "around"])
def test_chunk_size_does_not_change_the_result(method, sampling):
    # Coarse sub-scores, so that many sites tie exactly.
    matrix = np.round(np.random.default_rng(2).random((200, 4)) * 4) / 4
    kwargs = {"method": method, "sampling": sampling, "samples": 2500, "seed": 4}

    whole = rank_acceptability(matrix, [1, 2, 3, 1], **kwargs)
    for chunk_size in (1, 7, 333, 1000):
        chunked = rank_acceptability(matrix, [1, 2, 3, 1], chunk_size=chunk_size, **kwargs)
        assert np.array_equal(chunked.counts, whole.counts)
        assert np.allclose(chunked.weight_sums, whole.weight_sums, rtol=1e-12)


def test_fewer_sites_than_a_rank_puts_every_site_within_it():
    result = rank_acceptability(SITES[:2], [1, 1], samples=500, seed=0)

    assert (result.share(3) == 1).all()
    assert (result.share(10) == 1).all()
    assert result.share(1).sum() == pytest.approx(1.0)


def test_progress_is_reported_up_to_every_sample():
    seen = []
    rank_acceptability(SITES, [1, 1], samples=2500, seed=0, progress=lambda d, t: seen.append(d))

    assert seen == sorted(seen)
    assert seen[-1] == 2500


def _peak(samples: int, n_sites: int) -> int:
    matrix = np.random.default_rng(0).random((n_sites, 8))
    tracemalloc.start()
    try:
        rank_acceptability(matrix, np.ones(8), samples=samples, seed=0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_number_of_samples():
    small = _peak(2_000, 2_000)
    large = _peak(10_000, 2_000)

    assert large < small * 1.1 + 100_000
    # A chunk's scores and masks, whatever the samples: well under 64 MB.
    assert large < 64 * 1024 * 1024


def test_invalid_input_is_refused_naming_the_problem():
    with pytest.raises(ValueError, match="one entry per criterion"):
        rank_acceptability(SITES, [1, 1, 1])
    with pytest.raises(ValueError, match="positive total"):
        rank_acceptability(SITES, [0, 0])
    with pytest.raises(ValueError, match="sampling"):
        rank_acceptability(SITES, [1, 1], sampling="gaussian")  # type: ignore[arg-type]


def test_scores_are_the_run_time_methods_of_the_engine():
    # The run's own weighted mean and TOPSIS (matching/engine/mcda.py), weighting by weighting.
    from matching.engine.mcda import topsis

    rng = np.random.default_rng(8)
    matrix = rng.random((50, 4))
    weightings = rng.dirichlet(np.ones(4), 20)

    weighted = scores(matrix, weightings, "weighted")
    closeness = scores(matrix, weightings, "topsis")
    for row, weighting in enumerate(weightings):
        assert weighted[row] == pytest.approx(matrix @ weighting, abs=1e-12)
        assert closeness[row] == pytest.approx(topsis(matrix, weighting).closeness, abs=1e-12)
