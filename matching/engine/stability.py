"""How much a run's ranking depends on the weights the sponsor gave: the ranking's stability.

What "ahead" means. A site is ahead of another when it scores strictly more (beyond
TOLERANCE, differences below which are rounding); a site that scores the same ties, and ties
are listed as the engine lists them, by site id, lowest first. A site overtakes another when a
change of weight puts it strictly ahead; reaching a tie is not overtaking. Every bound below
is computed on this one definition, so the leader's range and the pairs' swaps agree: the
leader stays first over the whole scale of a weight exactly when no site can overtake it by
moving that weight.

For each criterion the brief asks about, with every other weight held at the brief's value:

- the range of its weight, on the brief's 0-5 scale, within which no site overtakes the top site
  (checked against every eligible site, not only the top ten): just beyond an end inside the
  scale some site is ahead of it, and the site most ahead there is named (`low_by`,
  `high_by`, by rank); at an end of the range that is an end of the scale, the sites that draw
  level with the top site there are counted (`low_ties`, `high_ties`);
- the range within which the top three keep their places in their order (none of them
  overtaken by the site just below it, #3 by none of the rest);
- and for each adjacent pair of the top ten (#1/#2, ..., #9/#10), the smallest change of one
  weight after which the lower site is ahead ("#2 overtakes #1 if the compliance weight drops
  from 4 to below 2.6"; at 2.6 they tie). A pair that ties now says so (`tied`; `always_tied`
  when no weighting separates them), with how the engine ordered them (`tie_break`).

The bounds are real numbers although the brief's weights are whole numbers.

Weighted mean (exact). A site's score is sum_i w_i s_i / sum_i w_i. Two sites a and b compare by
D = sum_i w_i (s_a,i - s_b,i) (the common positive denominator drops out); moving one weight w_k
to t changes D linearly, D(t) = D + (t - w_k)(s_a,k - s_b,k). b overtakes a past the point where
D(t) = 0, t = w_k - D / (s_a,k - s_b,k), if that point is inside the scale with room beyond it;
D at the ends of the scale says whether it is. The range keeping a site ahead of all others is
the intersection of one half-line per other site. All of it is vectorised over the sites.

TOPSIS (numerical). The run's TOPSIS (matching/engine/mcda.py) scores each site on its own
(ideal 1 and anti-ideal 0 on the raw sub-scores), so the order of two sites depends on theirs
alone, but not linearly in a weight. Each weight is swept over a grid of GRID_STEP (0.05) from 0
to 5; where an order changes between two grid points, the point of change is found by
bisection to within PRECISION / 2, so every TOPSIS bound is within PRECISION (0.01 of a weight
point) of the true one. An order that changes and changes back within one grid step would go
unseen. When the closeness is of the fixed-scale form (checked on a probe), the sweep is two
matrix products per criterion, and the sites that no weighting can put ahead of a site (no
better on any criterion: TOPSIS on a fixed scale never ranks a site below one it is at least as
good as everywhere) are left out of it, which keeps it fast.

Runs stored before this definition (no "version" in their data) counted a tie that the site id
broke in the lower site's favour as an overtaking; `current` reads them in today's terms.

Plain Python and NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.engine.criteria import CRITERIA, CRITERION_LABELS, MAX_WEIGHT, MIN_WEIGHT
from matching.engine.mcda import topsis
from matching.engine.scoring import MatchOutcome

# How many sites the pairs cover, and how many must keep their order in the "top three" range.
TOP = 10
TOP_ORDER = 3
# The numerical search for TOPSIS: the sweep's grid, and how close each bound is to the true one.
GRID_STEP = 0.05
PRECISION = 0.01
# Differences of scores below this are rounding, not a preference: a tie.
TOLERANCE = 1e-12
# The form of the stored data (Stability.as_data); data without a version is read by `current`.
VERSION = 2
# Which way a weight moves for a pair to swap.
UP, DOWN = "up", "down"
# How the engine ordered two tied sites: by site id (equal scores), or by the last digits of
# scores equal but for rounding.
BY_SITE_ID, BY_ROUNDING = "site id", "rounding"

# A closeness function: (sites x criteria sub-scores, weights) -> one closeness per site.
Closeness = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class CriterionRange:
    """The weights of one criterion within which no site overtakes the leader (and the top
    three keep their order)."""

    criterion: str
    weight: float
    low: float
    high: float
    top3_low: float | None  # None with fewer than three eligible sites
    top3_high: float | None
    # The rank of the site most ahead of the leader just below `low` / above `high`; None
    # where that end is the end of the scale (nothing overtakes the leader that way).
    low_by: int | None = None
    high_by: int | None = None
    # Where that end is the end of the scale: how many other eligible sites, behind the
    # leader now, tie with it there.
    low_ties: int = 0
    high_ties: int = 0
    # The same for the top three: how many of the orders they keep (#1 before #2, #2 before #3,
    # #3 before each other site) become ties there; None with fewer than three eligible sites.
    top3_low_ties: int | None = None
    top3_high_ties: int | None = None


@dataclass(frozen=True)
class PairSwap:
    """The smallest change of one weight after which the site ranked `lower_rank` is ahead of
    the one ranked `upper_rank` (at `swap_at` they tie; beyond it, in `direction`, the lower
    one is ahead); criterion and the rest None when no change from 0 to 5 does that."""

    upper_rank: int
    lower_rank: int
    criterion: str | None
    weight: float | None
    swap_at: float | None
    direction: str | None = None  # UP or DOWN
    tied: bool = False  # the two score the same now
    always_tied: bool = False  # ... and under every weighting (the same sub-scores)
    tie_break: str | None = None  # when tied: BY_SITE_ID or BY_ROUNDING


@dataclass(frozen=True)
class Stability:
    method: str
    criteria: tuple[CriterionRange, ...]
    pairs: tuple[PairSwap, ...]
    # None for the weighted mean (exact); the bound's precision in weight points for TOPSIS.
    precision: float | None

    def as_data(self) -> dict[str, Any]:
        """JSON-ready, as Run.stability stores it."""
        return {
            "version": VERSION,
            "method": self.method,
            "precision": self.precision,
            "scale": [MIN_WEIGHT, MAX_WEIGHT],
            "criteria": [
                {
                    "criterion": item.criterion,
                    "weight": item.weight,
                    "low": _rounded(item.low),
                    "high": _rounded(item.high),
                    "top3_low": _rounded(item.top3_low),
                    "top3_high": _rounded(item.top3_high),
                    "low_by": item.low_by,
                    "high_by": item.high_by,
                    "low_ties": item.low_ties,
                    "high_ties": item.high_ties,
                    "top3_low_ties": item.top3_low_ties,
                    "top3_high_ties": item.top3_high_ties,
                }
                for item in self.criteria
            ],
            "pairs": [
                {
                    "upper_rank": pair.upper_rank,
                    "lower_rank": pair.lower_rank,
                    "criterion": pair.criterion,
                    "weight": pair.weight,
                    "swap_at": _rounded(pair.swap_at),
                    "direction": pair.direction,
                    "tied": pair.tied,
                    "always_tied": pair.always_tied,
                    "tie_break": pair.tie_break,
                }
                for pair in self.pairs
            ],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def ranking_stability(
    subscores: NDArray[np.float64],
    weights: Sequence[float] | NDArray[np.float64],
    site_ids: Sequence[int] | NDArray[np.int64],
    criteria: Sequence[str],
    method: str = "weighted",
    closeness: Closeness | None = None,
) -> Stability:
    """The stability of a ranking.

    `subscores` holds the eligible sites' sub-scores in rank order (best first), one column per
    criterion analysed (`criteria`, with their weights on the brief's scale); `site_ids` the
    sites' ids in the same order (the engine lists tied sites by them). For method "topsis",
    `closeness` is the TOPSIS closeness function, the run's (`run_closeness`) unless given.
    """
    scores = np.asarray(subscores, dtype=np.float64).reshape(len(site_ids), len(criteria))
    weight = np.asarray(weights, dtype=np.float64)
    ids = np.asarray(site_ids, dtype=np.int64)
    if method == "weighted":
        return _weighted(scores, weight, ids, tuple(criteria))
    batch, own_rows = _batch_closeness(closeness or run_closeness)
    return _numerical(scores, weight, ids, tuple(criteria), batch, method, prune=own_rows)


def outcome_stability(outcome: MatchOutcome) -> Stability:
    """The stability of a scored outcome's ranking, over the criteria its brief asks about."""
    asked = np.array([outcome.criteria.is_asked(name) for name in CRITERIA])
    ranking = outcome.ranking
    return ranking_stability(
        outcome.subscores[ranking][:, asked],
        outcome.weights[asked],
        outcome.index.site_ids[ranking],
        [name for name, wanted in zip(CRITERIA, asked.tolist(), strict=True) if wanted],
        method=outcome.method,
    )


def run_closeness(
    subscores: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The TOPSIS closeness a run ranks by (matching/engine/scoring.py), criteria weighing 0
    left out as the run leaves them out."""
    used = weights > 0
    return np.asarray(topsis(subscores[:, used], weights[used]).closeness, dtype=np.float64)


def _tie(
    upper: int, ids: NDArray[np.int64], tied: bool, same: bool
) -> tuple[bool, bool, str | None]:
    """A pair's tie now: whether they tie, whether under every weighting, and how the engine
    ordered them (by site id when their scores are equal; else the last digits of scores equal
    but for rounding put the upper one first)."""
    if not tied:
        return False, False, None
    order = BY_SITE_ID if ids[upper] < ids[upper + 1] else BY_ROUNDING
    return True, same, order


# --- Weighted mean: closed form ------------------------------------------------------------------


@dataclass(frozen=True)
class _Kept:
    """Per criterion, the range of its weight (the others fixed) within which no row's site
    behind overtakes its site ahead; the row overtaking just beyond each end (-1 at an end of
    the scale), and the rows tying there when that end is the scale's."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    low_row: NDArray[np.intp]
    high_row: NDArray[np.intp]
    low_ties: NDArray[np.intp]
    high_ties: NDArray[np.intp]


def _weighted_sums(differences: NDArray[np.float64], weight: NDArray[np.float64]) -> NDArray[Any]:
    """Each row's weighted sum, accumulated criterion by criterion: the same bits for a row
    whatever other rows are given (a matrix product may add in another order by shape), so a
    pair and the leader's range decide a near tie alike."""
    total = np.zeros(len(differences))
    for k in np.flatnonzero(weight):
        total += differences[:, k] * weight[k]
    return total


def _kept(differences: NDArray[np.float64], weight: NDArray[np.float64]) -> _Kept:
    """`_Kept` for difference rows (site ahead minus site behind, in that order now).

    Each row's D(t) is linear in the weight t of a criterion, so it is checked at the two ends
    of the scale: below -TOLERANCE there, the site behind is ahead (overtakes past the root of
    D, inside the scale); within TOLERANCE of 0, it ties there and no further."""
    m = differences.shape[1]
    margin = _weighted_sums(differences, weight)
    # Ties now (and sites behind only by rounding) have D = 0.
    margin = np.where(margin > TOLERANCE, margin, 0.0)
    newly = margin > 0
    low = np.full(m, float(MIN_WEIGHT))
    high = np.full(m, float(MAX_WEIGHT))
    low_row = np.full(m, -1, dtype=np.intp)
    high_row = np.full(m, -1, dtype=np.intp)
    low_ties = np.zeros(m, dtype=np.intp)
    high_ties = np.zeros(m, dtype=np.intp)
    total = float(weight.sum())
    for k in range(m):
        w = float(weight[k])
        d = differences[:, k]
        # With every other weight 0, the weight k cannot reach 0 (no weighting): each D(t) is
        # t d_k, of one sign over the whole scale.
        ends = [(MIN_WEIGHT, -1)] if total - w > 0 else []
        for end, way in [*ends, (MAX_WEIGHT, 1)]:
            at_end = margin + (end - w) * d
            over = np.flatnonzero(at_end < -TOLERANCE)
            if not len(over):
                ties = int((newly & (np.abs(at_end) <= TOLERANCE)).sum())
                if way < 0:
                    low_ties[k] = ties
                else:
                    high_ties[k] = ties
                continue
            bound = np.clip(w - margin[over] / d[over], MIN_WEIGHT, MAX_WEIGHT)
            if way < 0:
                edge = float(min(bound.max(), w))
                # Just below the bound, the row most ahead is the one whose D falls fastest.
                first = over[np.isclose(bound, edge, rtol=0, atol=1e-9)]
                low[k], low_row[k] = edge, first[np.argmax(d[first])]
            else:
                edge = float(max(bound.min(), w))
                first = over[np.isclose(bound, edge, rtol=0, atol=1e-9)]
                high[k], high_row[k] = edge, first[np.argmin(d[first])]
    return _Kept(low, high, low_row, high_row, low_ties, high_ties)


def _weighted(
    scores: NDArray[np.float64],
    weight: NDArray[np.float64],
    ids: NDArray[np.int64],
    criteria: tuple[str, ...],
) -> Stability:
    n = len(scores)
    ranges = []
    if n:
        leader = _kept(scores[0] - scores[1:], weight)
        top3 = None
        if n >= TOP_ORDER:
            top3 = _kept(
                np.vstack(
                    [
                        scores[: TOP_ORDER - 1] - scores[1:TOP_ORDER],
                        scores[TOP_ORDER - 1] - scores[TOP_ORDER:],
                    ]
                ),
                weight,
            )
        for k, criterion in enumerate(criteria):
            # Row i of the leader's differences is the site ranked i + 2.
            ranges.append(
                CriterionRange(
                    criterion=criterion,
                    weight=float(weight[k]),
                    low=float(leader.low[k]),
                    high=float(leader.high[k]),
                    top3_low=float(top3.low[k]) if top3 else None,
                    top3_high=float(top3.high[k]) if top3 else None,
                    low_by=int(leader.low_row[k]) + 2 if leader.low_row[k] >= 0 else None,
                    high_by=int(leader.high_row[k]) + 2 if leader.high_row[k] >= 0 else None,
                    low_ties=int(leader.low_ties[k]),
                    high_ties=int(leader.high_ties[k]),
                    top3_low_ties=int(top3.low_ties[k]) if top3 else None,
                    top3_high_ties=int(top3.high_ties[k]) if top3 else None,
                )
            )
    pairs = []
    for upper in range(min(TOP, n) - 1):
        difference = scores[upper] - scores[upper + 1]
        pair = _kept(difference[None, :], weight)
        best: tuple[float, int, float, str] | None = None
        for k in range(len(criteria)):
            for row, edge, way in ((pair.low_row, pair.low, DOWN), (pair.high_row, pair.high, UP)):
                if row[k] < 0:
                    continue
                distance = abs(float(edge[k]) - float(weight[k]))
                if best is None or distance < best[0]:
                    best = (distance, k, float(edge[k]), way)
        tied = abs(float(_weighted_sums(difference[None, :], weight)[0])) <= TOLERANCE
        pairs.append(
            _pair(upper, best, criteria, weight, *_tie(upper, ids, tied, not difference.any()))
        )
    return Stability("weighted", tuple(ranges), tuple(pairs), precision=None)


def _pair(
    upper: int,
    best: tuple[float, int, float, str] | None,
    criteria: tuple[str, ...],
    weight: NDArray[np.float64],
    tied: bool,
    always_tied: bool,
    tie_break: str | None,
) -> PairSwap:
    if best is None:
        return PairSwap(upper + 1, upper + 2, None, None, None, None, tied, always_tied, tie_break)
    _, k, swap_at, way = best
    if tied:
        # A tie now: the smallest move of the weight, that way, puts the lower one ahead.
        swap_at = float(weight[k])
    return PairSwap(
        upper + 1,
        upper + 2,
        criteria[k],
        float(weight[k]),
        swap_at,
        way,
        tied,
        always_tied,
        tie_break,
    )


# --- TOPSIS: grid sweep and bisection ------------------------------------------------------------

# Closeness of the candidate sites under several weightings at once: (sites x criteria,
# weightings x criteria) -> sites x weightings.
BatchCloseness = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]
# Per weighting, whether an order holds, from the candidates' closeness (sites x weightings).
Check = Callable[[NDArray[np.float64]], NDArray[np.bool_]]


def _fixed_scale_topsis(power: int) -> BatchCloseness:
    """TOPSIS with ideal 1 and anti-ideal 0, distances sqrt(sum (w_j d_j)^2) (power 2) or
    sqrt(sum w_j d_j^2) (power 1), for many weightings in two matrix products."""

    def closeness(scores: NDArray[np.float64], weightings: NDArray[np.float64]) -> NDArray[Any]:
        factor = (weightings**power).T
        to_ideal = np.sqrt((1.0 - scores) ** 2 @ factor)
        to_anti_ideal = np.sqrt(scores**2 @ factor)
        total = to_ideal + to_anti_ideal
        return np.divide(
            to_anti_ideal, total, out=np.full(total.shape, 0.5), where=total > 0
        ).astype(np.float64)

    return closeness


def _batch_closeness(closeness: Closeness) -> tuple[BatchCloseness, bool]:
    """The run's closeness function for many weightings at once: computed by matrix products
    when it is one of the two usual fixed-scale forms (checked on a probe), else one call per
    weighting. And whether it is such a form: each site's closeness its own, never lower for
    a site at least as good everywhere (so the sweep may leave out the sites that cannot
    overtake)."""
    rng = np.random.default_rng(0)
    probe = rng.random((7, 4))
    probe_weights = rng.random((3, 4)) * 5 + 0.1
    expected = np.column_stack([closeness(probe, w) for w in probe_weights])
    for power in (2, 1):
        fast = _fixed_scale_topsis(power)
        if np.allclose(fast(probe, probe_weights), expected, rtol=0, atol=1e-12):
            return fast, True

    def one_by_one(scores: NDArray[np.float64], weightings: NDArray[np.float64]) -> NDArray[Any]:
        return np.column_stack([closeness(scores, w) for w in weightings])

    return one_by_one, False


def _not_overtaken(
    closeness: NDArray[np.float64], front: int, back: NDArray[np.intp]
) -> NDArray[np.bool_]:
    """Per weighting (column), whether no row in `back` is ahead of row `front` (a tie is not
    ahead)."""
    if not len(back):
        return np.ones(closeness.shape[1], dtype=bool)
    return (closeness[back] <= closeness[front] + TOLERANCE).all(axis=0)


def _numerical(
    scores: NDArray[np.float64],
    weight: NDArray[np.float64],
    ids: NDArray[np.int64],
    criteria: tuple[str, ...],
    batch: BatchCloseness,
    method: str,
    prune: bool = True,
) -> Stability:
    n = len(scores)
    if not n:
        return Stability(method, (), (), PRECISION)
    top = min(TOP, n)
    # The rows the sweep needs: the top ten, and every site some weighting might put ahead of
    # the leader or of #3.
    leaders = [0] + ([TOP_ORDER - 1] if n >= TOP_ORDER else [])
    needed = np.zeros(n, dtype=bool) if prune else np.ones(n, dtype=bool)
    needed[:top] = True
    for leader in leaders if prune else ():
        needed |= ~_never_ahead(scores, leader)
    rows = np.flatnonzero(needed)
    level = _Level.of(scores, weight, needed, batch, leaders)
    # The orders whose ties at the ends of the scale are counted: the leader's, then the top
    # three's (`Relations`).
    orders: list[Relations] = [[(0, np.arange(1, len(rows)), True)]]
    if n >= TOP_ORDER:
        orders.append(
            [(upper, np.array([upper + 1]), False) for upper in range(TOP_ORDER - 1)]
            + [(TOP_ORDER - 1, np.arange(TOP_ORDER, len(rows)), True)]
        )

    ranges = []
    pair_best: list[tuple[float, int, float, str] | None] = [None] * (top - 1)
    for k, criterion in enumerate(criteria):
        others = weight.sum() - weight[k]
        grid = np.unique(
            np.concatenate(
                [np.arange(MIN_WEIGHT, MAX_WEIGHT + GRID_STEP / 2, GRID_STEP), [weight[k]]]
            )
        )
        if others <= 0:
            # Every weight 0 is no weighting (the brief refuses it).
            grid = grid[grid > 0]
        weightings = np.repeat(weight[None, :], len(grid), axis=0)
        weightings[:, k] = grid
        # The needed sites' closeness with the weight at each end of the sweep.
        ends = batch(scores[rows], weightings[[0, -1]])
        swept_rows = rows
        if prune and len(rows) > top:
            # On the fixed scale each site's closeness moves one way as one weight moves (it
            # is 1 / (1 + sqrt((A + a t^p) / (B + b t^p)))), so over the scale it lies between
            # its values at the two ends: a site whose highest end is below a leader's lowest
            # can never reach that leader.
            highest = ends.max(axis=1)
            lowest = ends.min(axis=1)
            keep = np.zeros(len(rows), dtype=bool)
            keep[:top] = True
            for leader in leaders:
                keep |= highest >= lowest[leader] - TOLERANCE
            swept_rows = rows[keep]
        candidates = scores[swept_rows]
        bounds = _sweep(candidates, weight, k, grid, weightings, batch)
        (low, low_out), (high, high_out) = bounds[0]
        by = [_most_ahead(candidates, weight, k, out, batch) for out in (low_out, high_out)]
        # Ties where a range reaches an end of the scale (one that is a weighting: the sweep's
        # own end), for the leader then the top three.
        ties = [[0, 0] for _ in orders]
        for order, relations in enumerate(orders):
            for side, (end, swept_end) in enumerate(
                ((MIN_WEIGHT, grid[0]), (MAX_WEIGHT, grid[-1]))
            ):
                if bounds[order][side][1] is None and swept_end == end:
                    ties[order][side] = level.new_ties(relations, k, ends[:, side], float(end))
        three = n >= TOP_ORDER
        ranges.append(
            CriterionRange(
                criterion,
                float(weight[k]),
                low,
                high,
                bounds[1][0][0] if three else None,
                bounds[1][1][0] if three else None,
                low_by=None if by[0] is None else int(swept_rows[by[0]]) + 1,
                high_by=None if by[1] is None else int(swept_rows[by[1]]) + 1,
                low_ties=ties[0][0],
                high_ties=ties[0][1],
                top3_low_ties=ties[1][0] if three else None,
                top3_high_ties=ties[1][1] if three else None,
            )
        )
        for upper, (pair_low, pair_high) in enumerate(bounds[len(bounds) - len(pair_best) :]):
            for (swap_at, out), way in ((pair_low, DOWN), (pair_high, UP)):
                if out is None:
                    continue
                distance = abs(swap_at - weight[k])
                best = pair_best[upper]
                if best is None or distance < best[0]:
                    pair_best[upper] = (distance, k, swap_at, way)
    now = level.now
    pairs = tuple(
        _pair(
            upper,
            best,
            criteria,
            weight,
            *_tie(
                upper,
                ids,
                abs(now[upper] - now[upper + 1]) <= TOLERANCE,
                bool(np.array_equal(scores[upper], scores[upper + 1])),
            ),
        )
        for upper, best in enumerate(pair_best)
    )
    return Stability(method, tuple(ranges), pairs, PRECISION)


# An order among the eligible sites, as relations: a front, the sites that must not be ahead
# of it (positions among the needed rows, the first of which are the top ten), and whether the
# sites left out of the sweep must not be either.
Relations = list[tuple[int, NDArray[np.intp], bool]]


@dataclass(frozen=True)
class _Level:
    """What the ties at the ends of the scale are counted from. The needed sites (the top ten
    and those some weighting might put ahead of #1 or #3) by their closeness; the others, no
    better than #1 and #3 on any criterion, by their sub-scores: on the fixed scale such a site
    scores the same as #1 (or #3) exactly when it equals it on every criterion that weighs."""

    weight: NDArray[np.float64]
    now: NDArray[np.float64]  # the needed sites' closeness at the brief's weights
    # Per front (#1 at position 0, #3 at 2): for each site left out, on which criteria it
    # differs from the front, and on how many of those that weigh now.
    differ: dict[int, NDArray[np.bool_]]
    differ_now: dict[int, NDArray[np.intp]]

    @classmethod
    def of(
        cls,
        scores: NDArray[np.float64],
        weight: NDArray[np.float64],
        needed: NDArray[np.bool_],
        batch: BatchCloseness,
        leaders: list[int],
    ) -> _Level:
        left_out = scores[~needed]
        differ = {front: left_out != scores[front] for front in leaders}
        weighs = weight > 0
        return cls(
            weight,
            batch(scores[needed], weight[None, :])[:, 0],
            differ,
            {front: differs[:, weighs].sum(axis=1) for front, differs in differ.items()},
        )

    def new_ties(self, relations: Relations, k: int, there: NDArray[np.float64], end: float) -> int:
        """How many of the relations, not ties now, are ties with weight k at `end` (an end of
        the scale); `there` is the needed sites' closeness there."""
        count = 0
        for front, backs, with_left_out in relations:
            level_there = np.abs(there[backs] - there[front]) <= TOLERANCE
            level_now = np.abs(self.now[backs] - self.now[front]) <= TOLERANCE
            count += int((level_there & ~level_now).sum())
            if not with_left_out:
                continue
            # The sites left out: the criteria that weigh there are those that weigh now,
            # with criterion k in or out.
            differs_now = self.differ_now[front]
            differs_k = self.differ[front][:, k].astype(np.intp)
            if end > 0 and self.weight[k] == 0:
                differs_there = differs_now + differs_k
            elif end == 0 and self.weight[k] > 0:
                differs_there = differs_now - differs_k
            else:
                differs_there = differs_now
            count += int(((differs_there == 0) & (differs_now > 0)).sum())
        return count


def _most_ahead(
    candidates: NDArray[np.float64],
    weight: NDArray[np.float64],
    k: int,
    at: float | None,
    batch: BatchCloseness,
) -> int | None:
    """The candidate most ahead of the leader (row 0) with weight k at `at`, if any is."""
    if at is None:
        return None
    trial = weight.copy()
    trial[k] = at
    closeness = batch(candidates, trial[None, :])[:, 0]
    ahead = np.flatnonzero(closeness > closeness[0] + TOLERANCE)
    if not len(ahead):
        return None
    return int(ahead[np.argmax(closeness[ahead])])


Bound = tuple[float, float | None]


def _sweep(
    candidates: NDArray[np.float64],
    weight: NDArray[np.float64],
    k: int,
    grid: NDArray[np.float64],
    weightings: NDArray[np.float64],
    batch: BatchCloseness,
) -> list[tuple[Bound, Bound]]:
    """Sweep weight k over the grid for the candidate sites (the top ten first, in rank order):
    the ranges within which the leader is not overtaken, the top three keep their order (with
    three sites or more), and each adjacent pair of the top ten keeps its order. Each end comes
    with a weight just beyond it at which the order is broken (None at an end of the scale)."""
    n = len(candidates)
    everyone_but_first = np.arange(1, n)
    below_third = np.arange(TOP_ORDER, n)

    def first(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
        return _not_overtaken(closeness, 0, everyone_but_first)

    def top_three(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
        keep = _not_overtaken(closeness, TOP_ORDER - 1, below_third)
        for upper in range(TOP_ORDER - 1):
            keep &= _not_overtaken(closeness, upper, np.array([upper + 1]))
        return keep

    def pair(upper: int) -> Check:
        def kept(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
            return _not_overtaken(closeness, upper, np.array([upper + 1]))

        return kept

    checks: list[Check] = [first]
    if n >= TOP_ORDER:
        checks.append(top_three)
    checks += [pair(upper) for upper in range(min(TOP, n) - 1)]

    def holds(check: Check) -> Callable[[float], bool]:
        def at(t: float) -> bool:
            trial = weight.copy()
            trial[k] = t
            return bool(check(batch(candidates, trial[None, :]))[0])

        return at

    swept = batch(candidates, weightings)
    here = int(np.searchsorted(grid, weight[k]))
    return [_interval(grid, check(swept), here, holds(check)) for check in checks]


def _interval(
    grid: NDArray[np.float64],
    kept: NDArray[np.bool_],
    here: int,
    holds: Callable[[float], bool],
) -> tuple[Bound, Bound]:
    """The range around grid[here] where `kept` stays true, each end refined by bisection,
    with a point just beyond it where `kept` is false (None at the end of the scale)."""
    if not kept[here]:
        # Rounding puts the current order on a knife edge: no room either way.
        at = float(grid[here])
        return (at, at), (at, at)
    failing_above = np.flatnonzero(~kept[here:])
    high: Bound = (float(MAX_WEIGHT), None)
    if len(failing_above):
        outside = here + int(failing_above[0])
        high = _bisect(float(grid[outside - 1]), float(grid[outside]), holds)
    failing_below = np.flatnonzero(~kept[: here + 1])
    low: Bound = (float(MIN_WEIGHT), None)
    if len(failing_below):
        outside = int(failing_below[-1])
        low = _bisect(float(grid[outside + 1]), float(grid[outside]), holds)
    return low, high


def _bisect(inside: float, outside: float, holds: Callable[[float], bool]) -> Bound:
    while abs(outside - inside) > PRECISION / 2:
        middle = (inside + outside) / 2
        if holds(middle):
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2, outside


def _never_ahead(scores: NDArray[np.float64], leader: int) -> NDArray[np.bool_]:
    """The sites no weighting puts ahead of `leader`: no better on any criterion (at most a
    tie)."""
    never = (scores <= scores[leader]).all(axis=1)
    never[leader] = True
    return never


# --- Stored data ---------------------------------------------------------------------------------


def current(data: Mapping[str, Any]) -> dict[str, Any]:
    """Stored stability data (Stability.as_data) in today's form, whatever version stored it.

    Data from before VERSION 2 counted a tie at an end of the scale, broken by site id in the
    lower site's favour, as an overtaking: a pair swapping at 0 or 5 (for TOPSIS within
    PRECISION of it, where such a tie failed the sweep's check), which reads now as no
    overtaking; and a TOPSIS range ending within PRECISION of an end of the scale, which reads
    as reaching it. What such data did not record reads as unknown (None): who overtakes the
    leader and how many sites tie with it at an end of the scale; a pair reads as tied when
    its swap was at the weight itself (the weighted mean's tie now)."""
    if data.get("version", 1) >= VERSION:
        return dict(data)
    low_end, high_end = data.get("scale", [MIN_WEIGHT, MAX_WEIGHT])
    slack = data.get("precision") or 0.0

    def snapped(value: float | None) -> float | None:
        if value is None:
            return None
        if value <= low_end + slack:
            return low_end
        if value >= high_end - slack:
            return high_end
        return value

    criteria = [
        {
            **item,
            **{key: snapped(item[key]) for key in ("low", "high", "top3_low", "top3_high")},
            "low_by": None,
            "high_by": None,
            "low_ties": None,
            "high_ties": None,
            "top3_low_ties": None,
            "top3_high_ties": None,
        }
        for item in data.get("criteria", [])
    ]
    pairs = []
    for pair in data.get("pairs", []):
        criterion, weight, swap_at = pair["criterion"], pair["weight"], pair["swap_at"]
        tied = data.get("method") == "weighted" and criterion is not None and swap_at == weight
        at_an_end = criterion is not None and (
            min(abs(swap_at - low_end), abs(swap_at - high_end)) <= slack
        )
        if at_an_end and abs(swap_at - weight) > slack:
            criterion = weight = swap_at = None
        direction = None
        if criterion is not None and swap_at != weight:
            direction = UP if swap_at > weight else DOWN
        pairs.append(
            {
                **pair,
                "criterion": criterion,
                "weight": weight,
                "swap_at": swap_at,
                "direction": direction,
                "tied": tied,
                "always_tied": False,
                "tie_break": BY_SITE_ID if tied else None,
            }
        )
    return {**data, "version": VERSION, "criteria": criteria, "pairs": pairs}


def named_ranks(data: Mapping[str, Any]) -> set[int]:
    """The ranks whose sites the sentences name: the top ten, and any site named as the one
    overtaking the leader."""
    ranks = set(range(1, TOP + 1))
    for item in current(data).get("criteria", []):
        ranks.update(item[key] for key in ("low_by", "high_by") if item.get(key))
    return ranks


# --- Sentences -----------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def describe(data: Mapping[str, Any], names: Mapping[int | None, str]) -> dict[str, Any]:
    """The stored stability (Stability.as_data, any version) in sentences, for the run's page.
    `names` maps a rank to its site's name (the top ten and `named_ranks`)."""
    data = current(data)
    low_end, high_end = data.get("scale", [MIN_WEIGHT, MAX_WEIGHT])
    scale = f"from {_number(low_end)} to {_number(high_end)}"

    def label(criterion: str) -> str:
        return CRITERION_LABELS.get(criterion, criterion)

    def name(rank: int) -> str:
        return names.get(rank) or f"#{rank}"

    def ranked(rank: int) -> str:
        return f"#{rank} {names[rank]}" if names.get(rank) else f"#{rank}"

    def bound(value: float) -> str:
        # A bound inside the scale is never written as its end.
        text = _number(value)
        if value not in (low_end, high_end) and text in (_number(low_end), _number(high_end)):
            text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text

    def limits(prefix: str, leader: bool) -> tuple[list[str], bool, list[str]]:
        limited, free, level = [], False, []
        for item in data["criteria"]:
            low, high = item[f"{prefix}low"], item[f"{prefix}high"]
            if low is None:
                continue
            low_by = item.get("low_by") if leader else None
            high_by = item.get("high_by") if leader else None
            low_limited = low > low_end or low_by is not None
            high_limited = high < high_end or high_by is not None
            what = f"the {label(item['criterion'])} weight"
            for end, ties, is_limited in (
                (low_end, item.get(f"{prefix}low_ties"), low_limited),
                (high_end, item.get(f"{prefix}high_ties"), high_limited),
            ):
                if not ties or is_limited:
                    continue
                if not leader:
                    level.append(
                        f"With {what} at {_number(end)}, ties would decide some of these places."
                    )
                    continue
                sites = "1 other site" if ties == 1 else f"{ties} other sites"
                level.append(f"With {what} at {_number(end)}, {sites} would tie with it.")
            if not (low_limited or high_limited):
                free = True
                continue
            who = [
                f"{ranked(by)} overtakes it {side} {bound(end)}"
                for by, side, end in ((low_by, "below", low), (high_by, "above", high))
                if by is not None
            ]
            if len(who) == 2:
                who[1] = who[1].replace(" overtakes it", "")
            aside = f"it is {_number(item['weight'])}" + "".join(f"; {w}" for w in who[:1])
            aside += "".join(f", {w}" for w in who[1:])
            limited.append(f"{what} is between {bound(low)} and {bound(high)} ({aside})")
        return limited, free, level

    def sentence(subject: str, limited: list[str], free: bool, level: list[str]) -> str:
        if not limited:
            text = f"{subject} whatever the weights, each {scale}."
        else:
            text = f"{subject} while {_listing(limited)}"
            if free:
                text += f"; every other weight can take any value {scale}"
            text += "."
        return " ".join([text, *level])

    result: dict[str, Any] = {
        "first": None,
        "top3": None,
        "ties": [],
        "swaps": [],
        "steady": [],
        "how": "",
    }
    if not data.get("criteria"):
        return result
    result["first"] = sentence(f"{name(1)} stays first", *limits("", leader=True))
    if data["criteria"][0]["top3_low"] is not None:
        leaders = _listing([name(rank) for rank in (1, 2, 3)])
        result["top3"] = sentence(
            f"{leaders} keep the top three places in that order",
            *limits("top3_", leader=False),
        )
    swaps, steady = [], []
    for pair in data["pairs"]:
        upper, lower = pair["upper_rank"], pair["lower_rank"]
        if pair.get("tied"):
            result["ties"].append(_tie_sentence(pair, ranked, name, scale))
        if pair["criterion"] is None:
            if not pair.get("tied"):
                steady.append((upper, lower))
            continue
        weight, swap_at, direction = pair["weight"], pair["swap_at"], pair.get("direction")
        what = f"the {label(pair['criterion'])} weight"
        way, side = ("rises", "above") if direction == UP else ("drops", "below")
        if direction is None:
            change = f"{what} moves at all, one way, from {_number(weight)} (they tie now)"
        elif pair.get("tied"):
            change = f"{what} {way} at all {side} {_number(weight)} (they tie now)"
        elif _number(swap_at) == _number(weight):
            change = f"{what} {way} at all {side} {_number(weight)} (they all but tie now)"
        else:
            change = f"{what} {way} from {_number(weight)} to {side} {bound(swap_at)}"
        swaps.append(
            (
                abs(swap_at - weight),
                upper,
                f"{ranked(lower)} overtakes {ranked(upper)} if {change}.",
            )
        )
    result["swaps"] = [text for _, _, text in sorted(swaps)]
    if len(steady) > 1 and len(steady) == len(data["pairs"]):
        result["steady"] = [
            f"No change of one weight {scale} puts any of #2 to #{steady[-1][1]} ahead of the "
            "site ranked just above it."
        ]
    else:
        result["steady"] = [
            f"No change of one weight {scale} puts {ranked(lower)} ahead of {ranked(upper)}."
            for upper, lower in steady
        ]
    ahead = (
        "A site overtakes another only by scoring strictly more: where their scores meet they "
        "tie, and the engine lists equal scores by site id, lowest first."
    )
    if data.get("precision"):
        result["how"] = (
            "Found numerically: each weight swept from "
            f"{_number(low_end)} to {_number(high_end)} in steps of {_number(GRID_STEP)}, each "
            f"change located by bisection to within {_number(data['precision'])} of a weight "
            f"point. {ahead}"
        )
    else:
        result["how"] = f"Exact: the weighted mean changes linearly with each weight. {ahead}"
    return result


def _tie_sentence(
    pair: Mapping[str, Any], ranked: Callable[[int], str], name: Callable[[int], str], scale: str
) -> str:
    upper, lower = pair["upper_rank"], pair["lower_rank"]
    both = f"{ranked(upper)} and {ranked(lower)}"
    if pair.get("tie_break") == BY_ROUNDING:
        why = "the last digits of their computed scores, equal but for rounding, put it first"
    else:
        why = "the engine lists equal scores by site id, lowest first"
    first = f"{name(upper)} comes first only because {why}."
    if pair.get("always_tied"):
        return (
            f"{both} tie whatever the weights, with the same sub-score on every criterion; {first}"
        )
    if pair["criterion"] is None:
        return (
            f"{both} tie at these weights, and no change of one weight {scale} puts "
            f"{name(lower)} ahead; {first}"
        )
    return f"{both} tie at these weights; {first}"


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
