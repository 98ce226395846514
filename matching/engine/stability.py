"""How much a run's ranking depends on the weights the sponsor gave: the ranking's stability.

For each criterion the brief asks about, with every other weight held at the brief's value:

- the range of its weight, on the brief's 0-5 scale, within which the top site stays first
  (against every eligible site, not only the top ten), and the range within which the top three
  keep their places in their order;
- and for each adjacent pair of the top ten (#1/#2, ..., #9/#10), the smallest change of one
  weight that puts the lower site ahead ("#2 overtakes #1 if the compliance weight drops from 4
  to 2.6").

The bounds are real numbers although the brief's weights are whole numbers.

Weighted mean (exact). A site's score is sum_i w_i s_i / sum_i w_i. Two sites a and b compare by
D = sum_i w_i (s_a,i - s_b,i) (the common positive denominator drops out); moving one weight w_k
to t changes D linearly, D(t) = D + (t - w_k)(s_a,k - s_b,k), so the swap point is
t = w_k - D / (s_a,k - s_b,k), and the range keeping a site ahead of all others is the
intersection of one half-line per other site. All of it is vectorised over the sites.

TOPSIS (numerical). The run's TOPSIS (matching/engine/mcda.py) scores each site on its own
(ideal 1 and anti-ideal 0 on the raw sub-scores), so the order of two sites depends on theirs
alone, but not linearly in a weight. Each weight is swept over a grid of GRID_STEP (0.05) from 0
to 5; where the order changes between two grid points, the point of change is found by
bisection to within PRECISION / 2, so every TOPSIS bound is within PRECISION (0.01 of a weight
point) of the true one. An order that changes and changes back within one grid step would go
unseen. When the closeness is of the fixed-scale form (checked on a probe), the sweep is two
matrix products per criterion, and the sites that no weighting can put ahead of a site (no
better on any criterion: TOPSIS on a fixed scale never ranks a site below one it is at least as
good as everywhere) are left out of it, which keeps it fast.

Ties keep the engine's rule: equal scores rank by site id.

Plain Python and NumPy, no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
# Differences of scores below this are rounding, not a preference.
TOLERANCE = 1e-12

# A closeness function: (sites x criteria sub-scores, weights) -> one closeness per site.
Closeness = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class CriterionRange:
    """The weights of one criterion that keep the leader first (and the top three in order)."""

    criterion: str
    weight: float
    low: float
    high: float
    top3_low: float | None  # None with fewer than three eligible sites
    top3_high: float | None


@dataclass(frozen=True)
class PairSwap:
    """The smallest change of one weight that puts the site ranked `lower_rank` ahead of the
    one ranked `upper_rank`; criterion and the rest None when no change from 0 to 5 does."""

    upper_rank: int
    lower_rank: int
    criterion: str | None
    weight: float | None
    swap_at: float | None


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
    sites' ids in the same order (they break ties). For method "topsis", `closeness` is the
    TOPSIS closeness function, the run's (`run_closeness`) unless given.
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


# --- Weighted mean: closed form ------------------------------------------------------------------


def _weighted(
    scores: NDArray[np.float64],
    weight: NDArray[np.float64],
    ids: NDArray[np.int64],
    criteria: tuple[str, ...],
) -> Stability:
    n = len(scores)
    ranges = []
    if n:
        low, high = _ahead_range(scores[0] - scores[1:], weight)
        if n >= TOP_ORDER:
            ordered = np.vstack(
                [
                    scores[: TOP_ORDER - 1] - scores[1:TOP_ORDER],
                    scores[TOP_ORDER - 1] - scores[TOP_ORDER:],
                ]
            )
            top3_low, top3_high = _ahead_range(ordered, weight)
        for k, criterion in enumerate(criteria):
            ranges.append(
                CriterionRange(
                    criterion=criterion,
                    weight=float(weight[k]),
                    low=float(low[k]),
                    high=float(high[k]),
                    top3_low=float(top3_low[k]) if n >= TOP_ORDER else None,
                    top3_high=float(top3_high[k]) if n >= TOP_ORDER else None,
                )
            )
    pairs = []
    for upper in range(min(TOP, n) - 1):
        difference = scores[upper] - scores[upper + 1]
        margin = float(difference @ weight)
        margin = margin if margin >= TOLERANCE else 0.0
        best: tuple[float, int, float] | None = None
        for k in range(len(criteria)):
            change = difference[k]
            if change == 0:
                continue
            swap_at = weight[k] - margin / change
            # Rounding must not push a swap at an end of the scale off it.
            for edge in (MIN_WEIGHT, MAX_WEIGHT):
                if abs(swap_at - edge) < 1e-9:
                    swap_at = edge
            others = weight.sum() - weight[k]
            if not MIN_WEIGHT <= swap_at <= MAX_WEIGHT or others + swap_at <= 0:
                continue
            # At the swap point they tie, and the lower site id ranks first: at the end of the
            # scale the lower site can only tie, never overtake, unless its id is the lower.
            at_edge = swap_at in (MIN_WEIGHT, MAX_WEIGHT) and margin > 0
            if at_edge and ids[upper] < ids[upper + 1]:
                continue
            # A tie now: the lower site goes ahead on any move of the weight one way (the way
            # that favours it), if the scale leaves room to move that way.
            if margin == 0 and not (
                weight[k] > MIN_WEIGHT if change > 0 else weight[k] < MAX_WEIGHT
            ):
                continue
            distance = abs(swap_at - weight[k])
            if best is None or distance < best[0]:
                best = (distance, k, float(swap_at))
        pairs.append(_pair(upper, best, criteria, weight))
    return Stability("weighted", tuple(ranges), tuple(pairs), precision=None)


def _ahead_range(
    differences: NDArray[np.float64], weight: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per criterion, the range of its weight (others fixed) within which every difference row
    (site ahead minus site behind) keeps a non-negative weighted sum."""
    m = len(weight)
    if not len(differences):
        return np.full(m, float(MIN_WEIGHT)), np.full(m, float(MAX_WEIGHT))
    margin = np.maximum(differences @ weight, 0.0)
    margin[margin < TOLERANCE] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = weight - margin[:, None] / differences
    lower = np.where(differences > 0, bound, -np.inf).max(axis=0)
    upper = np.where(differences < 0, bound, np.inf).min(axis=0)
    return np.clip(lower, MIN_WEIGHT, weight), np.clip(upper, weight, MAX_WEIGHT)


def _pair(
    upper: int,
    best: tuple[float, int, float] | None,
    criteria: tuple[str, ...],
    weight: NDArray[np.float64],
) -> PairSwap:
    if best is None:
        return PairSwap(upper + 1, upper + 2, None, None, None)
    _, k, swap_at = best
    return PairSwap(upper + 1, upper + 2, criteria[k], float(weight[k]), swap_at)


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


def _ahead(
    closeness: NDArray[np.float64], ids: NDArray[np.int64], front: int, back: NDArray[np.intp]
) -> NDArray[np.bool_]:
    """Per weighting (column), whether row `front` ranks ahead of every row in `back`."""
    if not len(back):
        return np.ones(closeness.shape[1], dtype=bool)
    mine = closeness[front]
    theirs = closeness[back]
    ahead = (mine > theirs) | ((mine == theirs) & (ids[front] < ids[back])[:, None])
    return ahead.all(axis=0)


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
        needed |= ~_never_ahead(scores, ids, leader)
    rows = np.flatnonzero(needed)

    ranges = []
    pair_best: list[tuple[float, int, float] | None] = [None] * (top - 1)
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
        swept_rows = rows
        if prune and len(rows) > top:
            # On the fixed scale each site's closeness moves one way as one weight moves (it
            # is 1 / (1 + sqrt((A + a t^p) / (B + b t^p)))), so over the scale it lies between
            # its values at the two ends: a site whose highest end is below a leader's lowest
            # can never pass that leader.
            ends = batch(scores[rows], weightings[[0, -1]])
            highest = ends.max(axis=1)
            lowest = ends.min(axis=1)
            keep = np.zeros(len(rows), dtype=bool)
            keep[:top] = True
            for leader in leaders:
                keep |= highest >= lowest[leader]
            swept_rows = rows[keep]
        bounds = _sweep(scores[swept_rows], ids[swept_rows], weight, k, grid, weightings, batch)
        low, high, _, _ = bounds[0]
        top3 = bounds[1][:2] if n >= TOP_ORDER else (None, None)
        ranges.append(CriterionRange(criterion, float(weight[k]), low, high, top3[0], top3[1]))
        for upper, (pair_low, pair_high, low_swaps, high_swaps) in enumerate(
            bounds[len(bounds) - len(pair_best) :]
        ):
            for swap_at, swaps in ((pair_low, low_swaps), (pair_high, high_swaps)):
                if not swaps:
                    continue
                distance = abs(swap_at - weight[k])
                best = pair_best[upper]
                if best is None or distance < best[0]:
                    pair_best[upper] = (distance, k, swap_at)
    pairs = tuple(_pair(upper, best, criteria, weight) for upper, best in enumerate(pair_best))
    return Stability(method, tuple(ranges), pairs, PRECISION)


def _sweep(
    candidates: NDArray[np.float64],
    candidate_ids: NDArray[np.int64],
    weight: NDArray[np.float64],
    k: int,
    grid: NDArray[np.float64],
    weightings: NDArray[np.float64],
    batch: BatchCloseness,
) -> list[tuple[float, float, bool, bool]]:
    """Sweep weight k over the grid for the candidate sites (the top ten first, in rank order):
    the ranges keeping the leader first, the top three in order (with three sites or more),
    and each adjacent pair of the top ten in order, each with whether its ends are changes."""
    n = len(candidates)
    everyone_but_first = np.arange(1, n)
    below_third = np.arange(TOP_ORDER, n)

    def first(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
        return _ahead(closeness, candidate_ids, 0, everyone_but_first)

    def top_three(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
        keep = _ahead(closeness, candidate_ids, TOP_ORDER - 1, below_third)
        for upper in range(TOP_ORDER - 1):
            keep &= _ahead(closeness, candidate_ids, upper, np.array([upper + 1]))
        return keep

    def pair(upper: int) -> Check:
        def ahead(closeness: NDArray[np.float64]) -> NDArray[np.bool_]:
            return _ahead(closeness, candidate_ids, upper, np.array([upper + 1]))

        return ahead

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
) -> tuple[float, float, bool, bool]:
    """The range around grid[here] where `kept` stays true, each end refined by bisection;
    and whether each end is a change (rather than the end of the scale)."""
    if not kept[here]:
        # Rounding puts the current order on a knife edge: no room either way.
        return float(grid[here]), float(grid[here]), True, True
    failing_above = np.flatnonzero(~kept[here:])
    if len(failing_above):
        outside = here + int(failing_above[0])
        high = _bisect(float(grid[outside - 1]), float(grid[outside]), holds)
    else:
        high = float(MAX_WEIGHT)
    failing_below = np.flatnonzero(~kept[: here + 1])
    if len(failing_below):
        outside = int(failing_below[-1])
        low = _bisect(float(grid[outside + 1]), float(grid[outside]), holds)
    else:
        low = float(MIN_WEIGHT)
    return low, high, bool(len(failing_below)), bool(len(failing_above))


def _bisect(inside: float, outside: float, holds: Callable[[float], bool]) -> float:
    while abs(outside - inside) > PRECISION / 2:
        middle = (inside + outside) / 2
        if holds(middle):
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def _never_ahead(
    scores: NDArray[np.float64], ids: NDArray[np.int64], leader: int
) -> NDArray[np.bool_]:
    """The sites no weighting puts ahead of `leader`: no better on any criterion, and either
    worse on every one or later by site id (which decides a tie)."""
    below = (scores <= scores[leader]).all(axis=1)
    strictly = (scores < scores[leader]).all(axis=1)
    never = below & (strictly | (ids > ids[leader]))
    never[leader] = True
    return never


# --- Sentences -----------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def describe(data: dict[str, Any], names: Mapping[int | None, str]) -> dict[str, Any]:
    """The stored stability (Stability.as_data) in sentences, for the run's page. `names` maps
    a rank (1-10) to its site's name."""
    low_end, high_end = data.get("scale", [MIN_WEIGHT, MAX_WEIGHT])
    scale = f"from {_number(low_end)} to {_number(high_end)}"

    def label(criterion: str) -> str:
        return CRITERION_LABELS.get(criterion, criterion)

    def site(rank: int) -> str:
        return names.get(rank, f"#{rank}")

    def limits(low_key: str, high_key: str) -> tuple[list[str], bool]:
        limited, free = [], False
        for item in data["criteria"]:
            low, high = item[low_key], item[high_key]
            if low is None:
                continue
            if low <= low_end and high >= high_end:
                free = True
                continue
            limited.append(
                f"the {label(item['criterion'])} weight is between {_number(low)} and "
                f"{_number(high)} (it is {_number(item['weight'])})"
            )
        return limited, free

    def sentence(subject: str, limited: list[str], free: bool) -> str:
        if not limited:
            return f"{subject} whatever the weights, each {scale}."
        text = f"{subject} while {_listing(limited)}"
        if free:
            text += f"; every other weight can take any value {scale}"
        return text + "."

    result: dict[str, Any] = {"first": None, "top3": None, "swaps": [], "steady": [], "how": ""}
    if not data.get("criteria"):
        return result
    limited, free = limits("low", "high")
    result["first"] = sentence(f"{site(1)} stays first", limited, free)
    if data["criteria"][0]["top3_low"] is not None:
        limited, free = limits("top3_low", "top3_high")
        leaders = _listing([site(rank) for rank in (1, 2, 3)])
        result["top3"] = sentence(
            f"{leaders} keep the top three places in that order", limited, free
        )
    swaps = []
    for pair in data["pairs"]:
        upper, lower = pair["upper_rank"], pair["lower_rank"]
        if pair["criterion"] is None:
            result["steady"].append(
                f"No change of one weight {scale} puts #{lower} {site(lower)} ahead of "
                f"#{upper} {site(upper)}."
            )
            continue
        weight, swap_at = pair["weight"], pair["swap_at"]
        what = f"the {label(pair['criterion'])} weight"
        if _number(swap_at) == _number(weight):
            # A tie now, or all but one: the smallest move of the weight, one way, swaps them.
            if swap_at > weight:
                change = f"{what} rises at all above {_number(weight)} (they all but tie now)"
            elif swap_at < weight:
                change = f"{what} drops at all below {_number(weight)} (they all but tie now)"
            else:
                change = f"{what} moves at all, one way, from {_number(weight)} (they tie now)"
        else:
            way = "rises" if swap_at > weight else "drops"
            change = f"{what} {way} from {_number(weight)} to {_number(swap_at)}"
        swaps.append(
            (
                abs(swap_at - weight),
                upper,
                f"#{lower} {site(lower)} overtakes #{upper} {site(upper)} if {change}.",
            )
        )
    result["swaps"] = [text for _, _, text in sorted(swaps)]
    if data.get("precision"):
        result["how"] = (
            "Found numerically: each weight swept from "
            f"{_number(low_end)} to {_number(high_end)} in steps of {_number(GRID_STEP)}, each "
            f"change located by bisection to within {_number(data['precision'])} of a weight point."
        )
    else:
        result["how"] = "Exact: the weighted mean changes linearly with each weight."
    return result


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
