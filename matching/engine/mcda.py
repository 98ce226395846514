"""TOPSIS: the second ranking method offered over the matching engine's criterion matrix.

TOPSIS (Technique for Order of Preference by Similarity to Ideal Solution) ranks alternatives
(here: sites) by how close each lies to an ideal alternative and how far from an anti-ideal one.
Two variants live here.

`topsis`, on a fixed scale, is the one runs use. The engine's sub-scores already share one
fixed, published 0-1 scale (matching/engine/scales.py), so they are taken as they are:

1. weight them, v_ij = w_j * x_ij, with the weights normalised to sum to 1;
2. the ideal is a full fit on every criterion (x = 1, so v = w_j) and the anti-ideal no fit on
   any (x = 0, so v = 0), whatever the alternatives;
3. measure each alternative's Euclidean distance S+_i to the ideal and S-_i to the anti-ideal;
4. closeness C_i = S-_i / (S+_i + S-_i) in [0, 1]; higher is better.

A site's closeness depends on its own sub-scores and the weights alone, so adding sites to the
catalogue, removing them, or relaxing a must-have never reorders the others (no rank reversal).

`classic_topsis` is the method as published: it vector-normalises each column over the
alternatives, r_ij = x_ij / sqrt(sum_i x_ij^2), and takes the ideal (best value per criterion)
and the anti-ideal (worst) from the alternatives themselves. Its scores, and at times its order,
change with the set of alternatives: dropping the worst of five can reorder the other four. It
is kept to show that the arithmetic reproduces the published examples.

Pure Python and NumPy, no Django, so the engine can call it on arrays it already holds.

Sources, reproduced by the tests with `classic_topsis`:

- Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and Applications.*
  Springer. (The method and its fighter-aircraft example.)
- Tzeng, G.-H. & Huang, J.-J. (2011). *Multiple Attribute Decision Making: Methods and
  Applications.* CRC Press. (TOPSIS numerical example.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Classic TOPSIS: when every alternative is identical (or there is only one), each one is at once
# the ideal and the anti-ideal: S+ = S- = 0 and the ratio is 0/0. The midpoint says "no
# preference either way"; 1.0 would claim each one *is* the ideal, which the data cannot tell
# apart from "is the worst".
INDIFFERENT_CLOSENESS = 0.5


@dataclass(frozen=True, eq=False)
class TopsisResult:
    """Closeness, distances and ranking, all indexed by alternative (row of the matrix)."""

    closeness: NDArray[np.float64]
    distance_to_ideal: NDArray[np.float64]
    distance_to_anti_ideal: NDArray[np.float64]
    # Indices of alternatives, best first; equal closeness keeps the lower index first.
    ranking: NDArray[np.intp]


def topsis(
    matrix: ArrayLike,
    weights: Sequence[float] | ArrayLike,
    benefit: Sequence[bool] | ArrayLike | None = None,
) -> TopsisResult:
    """Rank alternatives (rows of `matrix`) by TOPSIS closeness on the fixed 0-1 scale.

    Values must be sub-scores in [0, 1]; on a benefit criterion the ideal is 1 and the
    anti-ideal 0, on a cost criterion (`benefit[j]` False) the other way round. `weights` as in
    `classic_topsis`. Each closeness depends on its own row alone (module docstring). Raises
    ValueError, naming the problem, on invalid input.
    """
    values = _validated_matrix(matrix)
    n_alternatives, n_criteria = values.shape
    weight = _validated_weights(weights, n_criteria)
    is_benefit = _validated_benefit(benefit, n_criteria)
    above = values > 1
    if above.any():
        row, column = np.argwhere(above)[0]
        raise ValueError(
            f"matrix contains values above 1 (first at alternative {row}, "
            f"criterion {column}: {values[row, column]}); the fixed scale is 0 to 1"
        )
    if n_alternatives == 0:
        empty = np.empty(0, dtype=np.float64)
        return _frozen(empty, empty.copy(), empty.copy(), np.empty(0, dtype=np.intp))

    # Distance of each value from the ideal (1 on a benefit criterion) and the anti-ideal.
    fit = np.where(is_benefit, values, 1 - values)
    # Summed column by column, in the criteria's order: a reduction over each row may add in
    # an order that depends on the array's shape, and a site's closeness must not change in its
    # last digit with the number of other sites (that alone could reorder tied sites).
    gap_squares = np.zeros(n_alternatives)
    fit_squares = np.zeros(n_alternatives)
    for column in range(n_criteria):
        gap_squares += (weight[column] * (1 - fit[:, column])) ** 2
        fit_squares += (weight[column] * fit[:, column]) ** 2
    to_ideal = np.sqrt(gap_squares)
    to_anti_ideal = np.sqrt(fit_squares)
    # The ideal and the anti-ideal are |w| apart, so by the triangle inequality the total is at
    # least |w| > 0: no alternative is ever undecided.
    closeness = to_anti_ideal / (to_ideal + to_anti_ideal)
    ranking = np.argsort(-closeness, kind="stable")
    return _frozen(closeness, to_ideal, to_anti_ideal, ranking)


def classic_topsis(
    matrix: ArrayLike,
    weights: Sequence[float] | ArrayLike,
    benefit: Sequence[bool] | ArrayLike | None = None,
) -> TopsisResult:
    """Rank alternatives (rows of `matrix`) on criteria (columns) by classic TOPSIS closeness,
    each column normalised over the alternatives and the ideal taken from them.

    `weights` need not sum to 1 (they are normalised) but must be non-negative with a positive
    total. `benefit[j]` is True where larger is better on criterion j, False for a cost criterion;
    by default every criterion is a benefit. Values must be finite and non-negative (the engine's
    sub-scores are in [0, 1]). Raises ValueError, naming the problem, on invalid input.
    """
    values = _validated_matrix(matrix)
    n_alternatives, n_criteria = values.shape
    weight = _validated_weights(weights, n_criteria)
    is_benefit = _validated_benefit(benefit, n_criteria)

    if n_alternatives == 0:
        # A brief whose must-haves excluded every site still deserves an (empty) answer.
        empty = np.empty(0, dtype=np.float64)
        return _frozen(empty, empty.copy(), empty.copy(), np.empty(0, dtype=np.intp))

    norms = np.sqrt(np.sum(values**2, axis=0))
    # An all-zero column tells the alternatives apart in no way; treating it as 0 everywhere
    # (instead of dividing by zero) makes it drop out of both distances.
    normalised = np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)
    weighted = normalised * weight

    column_max = weighted.max(axis=0)
    column_min = weighted.min(axis=0)
    ideal = np.where(is_benefit, column_max, column_min)
    anti_ideal = np.where(is_benefit, column_min, column_max)

    to_ideal = np.sqrt(np.sum((weighted - ideal) ** 2, axis=1))
    to_anti_ideal = np.sqrt(np.sum((weighted - anti_ideal) ** 2, axis=1))

    total = to_ideal + to_anti_ideal
    # total is 0 only for an alternative equal to both ideal and anti-ideal, which happens for all
    # of them together (every weighted column constant), never for some alone.
    closeness = np.divide(
        to_anti_ideal,
        total,
        out=np.full(n_alternatives, INDIFFERENT_CLOSENESS),
        where=total > 0,
    )
    # A stable sort on negated closeness keeps ties in index order, so rankings are reproducible.
    ranking = np.argsort(-closeness, kind="stable")
    return _frozen(closeness, to_ideal, to_anti_ideal, ranking)


def _validated_matrix(matrix: ArrayLike) -> NDArray[np.float64]:
    try:
        values = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"matrix must be numeric alternatives x criteria: {error}") from error
    if values.ndim != 2:
        raise ValueError(
            f"matrix must be 2-D (alternatives x criteria); got {values.ndim}-D "
            f"with shape {values.shape}"
        )
    if values.shape[1] == 0:
        raise ValueError("matrix must have at least one criterion (column)")
    non_finite = ~np.isfinite(values)
    if non_finite.any():
        row, column = np.argwhere(non_finite)[0]
        raise ValueError(
            f"matrix contains NaN or infinite values (first at alternative {row}, "
            f"criterion {column}: {values[row, column]})"
        )
    negative = values < 0
    if negative.any():
        # Sub-scores are in [0, 1]; a negative one is an upstream bug, and vector normalisation
        # of mixed-sign columns no longer means "share of the column's magnitude".
        row, column = np.argwhere(negative)[0]
        raise ValueError(
            f"matrix contains negative values (first at alternative {row}, "
            f"criterion {column}: {values[row, column]}); values must be >= 0"
        )
    return values


def _validated_weights(
    weights: Sequence[float] | ArrayLike, n_criteria: int
) -> NDArray[np.float64]:
    try:
        weight = np.array(weights, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"weights must be numeric: {error}") from error
    if weight.shape != (n_criteria,):
        raise ValueError(
            f"weights must have one entry per criterion: expected {n_criteria}, "
            f"got shape {weight.shape}"
        )
    if not np.isfinite(weight).all():
        raise ValueError("weights contain NaN or infinite values")
    if (weight < 0).any():
        raise ValueError("weights must be non-negative")
    total = weight.sum()
    if total == 0:
        raise ValueError("weights are all zero: at least one criterion must carry weight")
    return weight / total


def _validated_benefit(
    benefit: Sequence[bool] | ArrayLike | None, n_criteria: int
) -> NDArray[np.bool_]:
    if benefit is None:
        return np.ones(n_criteria, dtype=bool)
    is_benefit = np.asarray(benefit)
    if is_benefit.shape != (n_criteria,):
        raise ValueError(
            f"benefit must have one entry per criterion: expected {n_criteria}, "
            f"got shape {is_benefit.shape}"
        )
    # Only real booleans: a string such as "min" would otherwise be truthy and silently mean max.
    if is_benefit.dtype != np.bool_:
        raise ValueError(f"benefit must be booleans (True = larger is better), got {benefit!r}")
    return is_benefit


def _frozen(
    closeness: NDArray[np.float64],
    to_ideal: NDArray[np.float64],
    to_anti_ideal: NDArray[np.float64],
    ranking: NDArray[np.intp],
) -> TopsisResult:
    # Read-only arrays so a stored result cannot be altered behind its ranking's back.
    for array in (closeness, to_ideal, to_anti_ideal, ranking):
        array.setflags(write=False)
    return TopsisResult(
        closeness=closeness,
        distance_to_ideal=to_ideal,
        distance_to_anti_ideal=to_anti_ideal,
        ranking=ranking,
    )
