"""Rank acceptability (SMAA-2, Lahdelma & Salminen 2001): how much a ranking depends on weights.

Weightings are sampled and the sites ranked under each; a site's acceptability of rank k is the
share of weightings under which it ranks k-th or better (here: first, in the top three, in the
top ten), and its central weights are the mean of the weightings that make it first: the
"typical" sponsor for whom it is the best choice.

Two ways of sampling a weighting over the criteria the brief weighs (weight > 0):

- "uniform": uniform over all weightings, i.e. uniform on the simplex {w >= 0, sum w = 1},
  drawn as normalised standard exponential draws (a Dirichlet(1, ..., 1));
- "around": around the brief's own weights w, a Dirichlet whose concentrations are
  AROUND_CONCENTRATION x (number of criteria) x w / sum(w): its mean is the brief's weighting,
  and each weight varies by about a third of itself (for ten equal weights, a coefficient of
  variation of 0.3).

Ranking follows the run's method, over ALL the eligible sites (rows of `subscores`, given in the
run's rank order so that ties, such as sites with the very same sub-scores, go to the row ranked
higher by the run, as the run itself breaks them):

- "weighted": the weighted mean of the 0-1 sub-scores;
- "topsis": TOPSIS on the fixed scale of matching/engine/mcda.py (ideal 1 and anti-ideal 0 on
  every criterion, on the raw sub-scores, weighted Euclidean distances), closeness
  S- / (S+ + S-).

Scores are accumulated criterion by criterion with elementwise operations (no BLAS), so that a
site's score under a weighting is bit-for-bit the same whatever else is in its chunk: identical
sub-scores tie exactly and the chunk size never changes a result.

Reproducible and flat in memory: sample i is drawn from the block i // SAMPLE_BLOCK with its
own generator seeded (seed, block), and blocks are ranked in chunks of at most `chunk_size`
weightings, so memory grows with chunk_size x sites, never with the number of samples.

Plain NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Sampling = Literal["uniform", "around"]
Method = Literal["weighted", "topsis"]
# The acceptabilities reported: first, in the top three, in the top ten.
RANKS = (1, 3, 10)
# Weightings drawn by one generator; sample i belongs to block i // SAMPLE_BLOCK.
SAMPLE_BLOCK = 1000
# Each weight of the "around" sampling varies by about sqrt((1 - m) / (m * (C * k + 1))) of itself,
# where m is its mean share, C the number of criteria and k this: about 0.3 for ten equal weights.
AROUND_CONCENTRATION = 10.0
# Scores held at once: chunk x sites of them (plus a few masks of the same shape), about 8 MB.
CHUNK_ELEMENTS = 1 << 20

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class Acceptabilities:
    """Counts per site (row of the sub-score matrix) over `samples` weightings."""

    samples: int
    # counts[r, s]: weightings under which site s ranks within RANKS[r].
    counts: NDArray[np.int64]
    # Sum of the weightings (normalised to 1) under which each site ranks first.
    weight_sums: NDArray[np.float64]

    def share(self, rank: int) -> NDArray[np.float64]:
        """Per site, the share of weightings under which it ranks `rank`-th or better."""
        return self.counts[RANKS.index(rank)] / self.samples

    def central_weights(self) -> NDArray[np.float64]:
        """Per site, the mean weighting of those making it first (NaN where there is none)."""
        first = self.counts[0].astype(np.float64)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.weight_sums / first


def sample_weightings(
    block: int,
    seed: int,
    size: int,
    sampling: Sampling,
    weights: NDArray[np.float64],
) -> NDArray[np.float64]:
    """`size` weightings (rows summing to 1) of block `block`, from its own generator."""
    rng = np.random.default_rng([seed, block])
    n_criteria = len(weights)
    if sampling == "uniform":
        draws = rng.standard_exponential((size, n_criteria))
    elif sampling == "around":
        alpha = AROUND_CONCENTRATION * n_criteria * weights / weights.sum()
        draws = rng.standard_gamma(alpha, (size, n_criteria))
    else:
        raise ValueError(f"Unknown sampling {sampling!r}: uniform or around.")
    totals = draws.sum(axis=1, keepdims=True)
    # A row of zeros is possible in principle (gamma draws underflow for tiny shapes): the
    # brief's own weighting stands in for it.
    zero = totals[:, 0] <= 0
    if zero.any():
        draws[zero] = weights
        totals[zero] = weights.sum()
    return draws / totals


def scores(
    subscores: NDArray[np.float64], weightings: NDArray[np.float64], method: Method
) -> NDArray[np.float64]:
    """Scores of every site (columns) under every weighting (rows), higher is better."""
    n_weightings, n_criteria = weightings.shape
    shape = (n_weightings, subscores.shape[0])
    if method == "weighted":
        total = np.zeros(shape)
        term = np.empty(shape)
        for j in range(n_criteria):
            np.multiply(weightings[:, j, None], subscores[None, :, j], out=term)
            total += term
        return total
    if method != "topsis":
        raise ValueError(f"Unknown method {method!r}: weighted or topsis.")
    # Weighted values v = w x; the ideal is w (a sub-score of 1), the anti-ideal 0.
    to_ideal = np.zeros(shape)
    to_anti_ideal = np.zeros(shape)
    term = np.empty(shape)
    shortfall = 1.0 - subscores
    for j in range(n_criteria):
        weight = weightings[:, j, None]
        np.multiply(weight, shortfall[None, :, j], out=term)
        term *= term
        to_ideal += term
        np.multiply(weight, subscores[None, :, j], out=term)
        term *= term
        to_anti_ideal += term
    np.sqrt(to_ideal, out=to_ideal)
    np.sqrt(to_anti_ideal, out=to_anti_ideal)
    total = to_ideal + to_anti_ideal
    # Zero only for a weighting that weighs nothing (never sampled): no preference either way.
    return np.divide(to_anti_ideal, total, out=np.full(shape, 0.5), where=total > 0)


def rank_acceptability(
    subscores: ArrayLike,
    weights: ArrayLike,
    *,
    method: Method = "weighted",
    sampling: Sampling = "uniform",
    samples: int = 10_000,
    seed: int = 0,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> Acceptabilities:
    """Sample `samples` weightings and count, per site, how often it ranks first, in the top
    three and in the top ten.

    `subscores` is sites x criteria in [0, 1], rows in the run's rank order (ties go to the
    earlier row); `weights` the brief's weights of those criteria (only used by "around", and
    as a fallback weighting). `progress(done, samples)` is called after each chunk.
    """
    matrix = np.ascontiguousarray(subscores, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ValueError(f"subscores must be sites x criteria; got shape {matrix.shape}")
    brief_weights = np.asarray(weights, dtype=np.float64)
    if brief_weights.shape != (matrix.shape[1],):
        raise ValueError(
            f"weights must have one entry per criterion: expected {matrix.shape[1]}, "
            f"got shape {brief_weights.shape}"
        )
    if (brief_weights < 0).any() or brief_weights.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive total")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    n_sites, n_criteria = matrix.shape
    if chunk_size is None:
        chunk_size = max(1, min(SAMPLE_BLOCK, CHUNK_ELEMENTS // max(n_sites, 1)))
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")

    counts = np.zeros((len(RANKS), n_sites), dtype=np.int64)
    weight_sums = np.zeros((n_sites, n_criteria))
    done = 0
    for block, start in enumerate(range(0, samples, SAMPLE_BLOCK)):
        drawn = sample_weightings(
            block, seed, min(SAMPLE_BLOCK, samples - start), sampling, brief_weights
        )
        for offset in range(0, len(drawn), chunk_size):
            weightings = drawn[offset : offset + chunk_size]
            if n_sites:
                _count(scores(matrix, weightings, method), weightings, counts, weight_sums)
            done += len(weightings)
            if progress is not None:
                progress(done, samples)
    return Acceptabilities(samples=samples, counts=counts, weight_sums=weight_sums)


def _count(
    chunk_scores: NDArray[np.float64],
    weightings: NDArray[np.float64],
    counts: NDArray[np.int64],
    weight_sums: NDArray[np.float64],
) -> None:
    """Add one chunk's ranks to the counts: per weighting (row), the sites within each of RANKS,
    ties going to the lower column."""
    n_sites = chunk_scores.shape[1]
    # argmax takes the first of equal maxima: the tie rule.
    first = np.argmax(chunk_scores, axis=1)
    counts[0] += np.bincount(first, minlength=n_sites)
    for column in range(weightings.shape[1]):
        weight_sums[:, column] += np.bincount(
            first, weights=weightings[:, column], minlength=n_sites
        )
    deeper = [(row, rank) for row, rank in enumerate(RANKS) if rank > 1]
    positions = sorted({n_sites - min(rank, n_sites) for _, rank in deeper})
    ordered = np.partition(chunk_scores, positions, axis=1)
    for row, rank in deeper:
        if rank >= n_sites:
            counts[row] += len(chunk_scores)
            continue
        # The rank-th best score of each weighting; those above it are in, and of those equal
        # to it, the first few columns that fill the rank.
        threshold = ordered[:, n_sites - rank, None]
        inside = chunk_scores > threshold
        room = rank - inside.sum(axis=1, keepdims=True)
        level = chunk_scores == threshold
        # Mostly the rank-th score is one site's alone and all its equals fit; only the rows
        # where more sites share it than there is room need them counted off in order.
        crowded = np.flatnonzero(level.sum(axis=1) > room[:, 0])
        inside |= level
        if len(crowded):
            inside[crowded] &= ~level[crowded] | (
                np.cumsum(level[crowded], axis=1) <= room[crowded]
            )
        counts[row] += inside.sum(axis=0)
