"""TOPSIS ranking: the classic method against its published examples, the fixed-scale method runs
use, edge cases, invalid input and invariants."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from matching.engine.mcda import INDIFFERENT_CLOSENESS, classic_topsis, topsis

# Both methods, where they must behave alike (invalid input).
METHODS = [pytest.param(topsis, id="fixed-scale"), pytest.param(classic_topsis, id="classic")]

# --- Published examples (classic TOPSIS) ---------------------------------------------------------


def test_reproduces_hwang_yoon_1981_fighter_aircraft_example():
    # Given Hwang & Yoon's fighter aircraft: maximum speed (Mach), ferry range (NM), maximum
    # payload (lb), acquisition cost ($M, the one cost criterion), reliability, maneuverability;
    # the last two linguistic, rated low=3, average=5, high=7, very high=9.
    matrix = [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ]
    weights = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]
    benefit = [True, True, True, False, True, True]

    # When
    result = classic_topsis(matrix, weights, benefit)

    # Then
    np.testing.assert_allclose(result.closeness, [0.643, 0.268, 0.613, 0.312], atol=1e-3)
    assert result.ranking.tolist() == [0, 2, 3, 1]


def test_reproduces_tzeng_huang_2011_example():
    # Given Tzeng & Huang's TOPSIS example: four alternatives, three benefit criteria. The matrix
    # and weights as reproduced in scikit-criteria's test suite
    # (tests/madm/test_similarity.py::test_TOPSIS_tzeng2011multiple).
    matrix = [
        [5, 8, 4],
        [7, 6, 8],
        [8, 8, 6],
        [7, 4, 6],
    ]
    weights = [0.3, 0.4, 0.3]

    # When
    result = classic_topsis(matrix, weights)

    # Then
    np.testing.assert_allclose(result.closeness, [0.5037, 0.6581, 0.7482, 0.3340], atol=1e-4)
    assert result.ranking.tolist() == [2, 1, 0, 3]


def test_weights_are_normalised_so_their_scale_does_not_matter():
    matrix = [[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]]

    as_fractions = classic_topsis(matrix, [0.3, 0.4, 0.3])
    as_points = classic_topsis(matrix, [3, 4, 3])

    np.testing.assert_allclose(as_points.closeness, as_fractions.closeness)


def test_distances_are_returned_and_closeness_is_their_ratio():
    result = classic_topsis([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], [0.3, 0.4, 0.3])

    s_plus, s_minus = result.distance_to_ideal, result.distance_to_anti_ideal
    assert (s_plus >= 0).all()
    assert (s_minus >= 0).all()
    np.testing.assert_allclose(result.closeness, s_minus / (s_plus + s_minus))


def test_result_arrays_are_read_only():
    result = classic_topsis([[1.0, 0.5], [0.5, 1.0]], [1, 1])

    with pytest.raises(ValueError, match="read-only"):
        result.closeness[0] = 0.0


# --- TOPSIS on the fixed scale (what runs use) ---------------------------------------------------


def test_fixed_scale_measures_distances_to_a_full_fit_and_to_no_fit():
    # Given two criteria weighted 1 and 3 (0.25 and 0.75 once normalised) and a site scoring
    # 0.6 and 0.2 on them
    result = topsis([[0.6, 0.2]], [1, 3])

    # Then the ideal is (0.25, 0.75), the anti-ideal (0, 0), whatever the other sites
    to_ideal = np.hypot(0.25 * 0.4, 0.75 * 0.8)
    to_anti_ideal = np.hypot(0.25 * 0.6, 0.75 * 0.2)
    np.testing.assert_allclose(result.distance_to_ideal, [to_ideal])
    np.testing.assert_allclose(result.distance_to_anti_ideal, [to_anti_ideal])
    np.testing.assert_allclose(result.closeness, [to_anti_ideal / (to_ideal + to_anti_ideal)])


def test_fixed_scale_gives_a_full_fit_1_and_no_fit_0_even_alone():
    assert topsis([[1.0, 1.0, 1.0]], [1, 2, 3]).closeness.tolist() == [1.0]
    assert topsis([[0.0, 0.0, 0.0]], [1, 2, 3]).closeness.tolist() == [0.0]
    # Identical sites are not "indifferent" but as close to the ideal as their sub-scores say.
    assert topsis([[0.5, 0.5]] * 3, [1, 1]).closeness == pytest.approx([0.5] * 3)
    assert topsis([[0.8, 0.8]] * 2, [1, 1]).closeness == pytest.approx([0.8] * 2)


def test_fixed_scale_cost_criterion_has_its_ideal_at_0():
    benefit_of_the_complement = topsis([[0.7, 0.3]], [1, 2])
    as_cost = topsis([[0.7, 0.7]], [1, 2], [True, False])

    np.testing.assert_allclose(as_cost.closeness, benefit_of_the_complement.closeness)


def test_fixed_scale_rejects_values_above_1_with_their_position():
    with pytest.raises(ValueError, match=r"above 1 \(first at alternative 1, criterion 0"):
        topsis([[0.5, 0.5], [1.5, 0.5]], [1, 1])


def test_dropping_the_worst_site_reorders_the_others_under_classic_topsis_only():
    # Given four sites on two equally weighted criteria, where classic TOPSIS ranks 3, 2, 1, 0
    matrix = np.array([[0.0, 0.5], [0.2, 0.7], [0.4, 0.4], [0.9, 0.4]])
    assert classic_topsis(matrix, [1, 1]).ranking.tolist() == [3, 2, 1, 0]

    # When the worst one, site 0, leaves the catalogue
    without_worst = matrix[1:]

    # Then classic TOPSIS swaps sites 2 and 1 (its column norms and ideal moved) ...
    assert [i + 1 for i in classic_topsis(without_worst, [1, 1]).ranking] == [3, 1, 2]
    # ... and the fixed scale keeps the order it had, with the very same closeness
    before = topsis(matrix, [1, 1])
    after = topsis(without_worst, [1, 1])
    assert [i + 1 for i in after.ranking] == [i for i in before.ranking if i != 0]
    np.testing.assert_array_equal(after.closeness, before.closeness[1:])


# --- Edge cases (classic TOPSIS) -----------------------------------------------------------------


def test_all_zero_column_is_ignored_instead_of_dividing_by_zero():
    # Given a criterion no site scores on at all
    with_zero_column = [[0.9, 0.0, 0.2], [0.4, 0.0, 0.8], [0.6, 0.0, 0.5]]
    without_it = [[0.9, 0.2], [0.4, 0.8], [0.6, 0.5]]

    # When
    result = classic_topsis(with_zero_column, [2, 5, 1])

    # Then it carries no information: same as leaving the criterion out
    assert np.isfinite(result.closeness).all()
    np.testing.assert_allclose(result.closeness, classic_topsis(without_it, [2, 1]).closeness)


def test_identical_alternatives_are_indifferent_with_equal_closeness():
    result = classic_topsis([[0.7, 0.2, 0.5]] * 3, [1, 2, 3], [True, False, True])

    assert result.closeness.tolist() == [INDIFFERENT_CLOSENESS] * 3
    assert INDIFFERENT_CLOSENESS == 0.5
    assert result.distance_to_ideal.tolist() == [0.0] * 3
    assert result.distance_to_anti_ideal.tolist() == [0.0] * 3
    # ties broken by index, for a deterministic order
    assert result.ranking.tolist() == [0, 1, 2]


def test_single_alternative_is_indifferent():
    result = classic_topsis([[0.3, 0.9]], [1, 1])

    assert result.closeness.tolist() == [INDIFFERENT_CLOSENESS]
    assert result.ranking.tolist() == [0]


def test_equal_closeness_ranks_lower_index_first():
    # Given two mirror-image alternatives under equal weights, both beaten by a third
    result = classic_topsis([[0.2, 0.8], [0.8, 0.2], [0.9, 0.9]], [1, 1])

    assert result.closeness[0] == pytest.approx(result.closeness[1])
    assert result.ranking.tolist() == [2, 0, 1]


def test_no_alternatives_gives_an_empty_ranking():
    result = classic_topsis(np.empty((0, 3)), [1, 1, 1])

    assert result.closeness.shape == (0,)
    assert result.ranking.shape == (0,)


def test_criterion_with_zero_weight_does_not_affect_closeness():
    matrix = [[0.9, 0.1, 0.3], [0.2, 0.7, 0.9], [0.5, 0.5, 0.1]]

    result = classic_topsis(matrix, [1, 0, 2])
    without_it = classic_topsis([[0.9, 0.3], [0.2, 0.9], [0.5, 0.1]], [1, 2])

    np.testing.assert_allclose(result.closeness, without_it.closeness)


# --- Invalid input -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_all_zero_weights_are_rejected(method):
    with pytest.raises(ValueError, match="weights are all zero"):
        method([[0.1, 0.2], [0.3, 0.4]], [0, 0])


@pytest.mark.parametrize("method", METHODS)
def test_negative_weight_is_rejected(method):
    with pytest.raises(ValueError, match="weights must be non-negative"):
        method([[0.1, 0.2], [0.3, 0.4]], [1, -1])


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_weight_is_rejected(method):
    with pytest.raises(ValueError, match="weights contain NaN or infinite"):
        method([[0.1, 0.2], [0.3, 0.4]], [1, float("nan")])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("method", METHODS)
def test_nan_or_infinite_value_is_rejected_with_its_position(method, bad):
    with pytest.raises(
        ValueError, match=r"NaN or infinite values \(first at alternative 1, criterion 0"
    ):
        method([[0.1, 0.2], [bad, 0.4]], [1, 1])


@pytest.mark.parametrize("method", METHODS)
def test_negative_value_is_rejected_with_its_position(method):
    with pytest.raises(ValueError, match=r"negative values \(first at alternative 0, criterion 1"):
        method([[0.1, -0.2], [0.3, 0.4]], [1, 1])


@pytest.mark.parametrize("method", METHODS)
def test_weights_of_wrong_length_are_rejected(method):
    with pytest.raises(ValueError, match="weights must have one entry per criterion: expected 2"):
        method([[0.1, 0.2], [0.3, 0.4]], [1, 1, 1])


@pytest.mark.parametrize("method", METHODS)
def test_benefit_of_wrong_length_is_rejected(method):
    with pytest.raises(ValueError, match="benefit must have one entry per criterion: expected 2"):
        method([[0.1, 0.2], [0.3, 0.4]], [1, 1], [True])


@pytest.mark.parametrize("method", METHODS)
def test_benefit_that_is_not_boolean_is_rejected(method):
    with pytest.raises(ValueError, match="benefit must be booleans"):
        method([[0.1, 0.2], [0.3, 0.4]], [1, 1], ["max", "min"])


@pytest.mark.parametrize("matrix", [[0.1, 0.2, 0.3], [[[0.1]]]])
@pytest.mark.parametrize("method", METHODS)
def test_matrix_that_is_not_two_dimensional_is_rejected(method, matrix):
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        method(matrix, [1])


@pytest.mark.parametrize("method", METHODS)
def test_ragged_matrix_is_rejected(method):
    with pytest.raises(ValueError, match="matrix must be numeric"):
        method([[0.1, 0.2], [0.3]], [1, 1])


@pytest.mark.parametrize("method", METHODS)
def test_matrix_without_criteria_is_rejected(method):
    with pytest.raises(ValueError, match="at least one criterion"):
        method(np.empty((3, 0)), [])


# --- Invariants ----------------------------------------------------------------------------------

# Values on a 1/1000 grid in [0, 1], like the engine's sub-scores; the grid keeps hypothesis away
# from subnormal floats whose squares underflow, which would test float arithmetic, not TOPSIS.
sub_scores = st.integers(0, 1000).map(lambda points: points / 1000)


@st.composite
def problems(draw, min_alternatives=1):
    n_alternatives = draw(st.integers(min_alternatives, 8))
    n_criteria = draw(st.integers(1, 6))
    matrix = draw(arrays(np.float64, (n_alternatives, n_criteria), elements=sub_scores))
    # Weights as in a brief: 0-5 per criterion, at least one positive.
    weights = draw(
        st.lists(st.integers(0, 5), min_size=n_criteria, max_size=n_criteria).filter(any)
    )
    benefit = draw(st.lists(st.booleans(), min_size=n_criteria, max_size=n_criteria))
    return matrix, weights, benefit


@given(problems())
def test_closeness_is_between_zero_and_one(problem):
    matrix, weights, benefit = problem

    closeness = classic_topsis(matrix, weights, benefit).closeness

    assert ((closeness >= 0) & (closeness <= 1)).all()


@given(problems(), st.data())
def test_scaling_a_column_by_a_positive_constant_leaves_closeness_unchanged(problem, data):
    # Vector normalisation divides each column by its own norm, so units do not matter.
    matrix, weights, benefit = problem
    column = data.draw(st.integers(0, matrix.shape[1] - 1))
    factor = data.draw(st.floats(0.01, 1000))
    scaled = matrix.copy()
    scaled[:, column] *= factor

    original = classic_topsis(matrix, weights, benefit).closeness
    rescaled = classic_topsis(scaled, weights, benefit).closeness

    np.testing.assert_allclose(rescaled, original, atol=1e-9)


@given(problems(), st.randoms(use_true_random=False))
def test_permuting_alternatives_permutes_closeness(problem, random):
    matrix, weights, benefit = problem
    order = list(range(matrix.shape[0]))
    random.shuffle(order)

    original = classic_topsis(matrix, weights, benefit).closeness
    permuted = classic_topsis(matrix[order], weights, benefit).closeness

    np.testing.assert_allclose(permuted, original[order], atol=1e-12)


@given(problems(), st.data())
def test_dominating_alternative_ranks_first(problem, data):
    # Given a site at least as good as every other on every criterion, and strictly better on one
    # criterion that carries weight
    others, weights, benefit = problem
    others = others.copy()
    is_benefit = np.array(benefit)
    strict = data.draw(st.sampled_from([j for j, w in enumerate(weights) if w > 0]))
    if not is_benefit[strict]:
        # room below the others on a cost criterion, since values cannot go under 0
        others[:, strict] += 1
    dominant = np.where(is_benefit, others.max(axis=0), others.min(axis=0))
    dominant[strict] += 1 if is_benefit[strict] else -1
    position = data.draw(st.integers(0, others.shape[0]))
    matrix = np.insert(others, position, dominant, axis=0)

    # When
    result = classic_topsis(matrix, weights, benefit)

    # Then it ranks first, or ties for first
    assert result.closeness[position] >= result.closeness.max() - 1e-12
    assert result.closeness[result.ranking[0]] == result.closeness.max()


@given(problems())
def test_fixed_scale_closeness_is_between_zero_and_one(problem):
    matrix, weights, benefit = problem

    closeness = topsis(matrix, weights, benefit).closeness

    assert ((closeness >= 0) & (closeness <= 1)).all()


@given(problems(min_alternatives=2), st.data())
def test_fixed_scale_closeness_of_a_site_depends_on_its_own_sub_scores_alone(problem, data):
    # Whatever other sites are present, a site keeps its closeness, bit for bit.
    matrix, weights, benefit = problem
    kept = data.draw(
        st.lists(st.integers(0, matrix.shape[0] - 1), min_size=1, unique=True).map(sorted)
    )

    subset = topsis(matrix[kept], weights, benefit).closeness

    np.testing.assert_array_equal(subset, topsis(matrix, weights, benefit).closeness[kept])


@given(problems(), st.data())
def test_fixed_scale_ranks_a_dominating_alternative_first(problem, data):
    others, weights, benefit = problem
    is_benefit = np.array(benefit)
    strict = data.draw(st.sampled_from([j for j, w in enumerate(weights) if w > 0]))
    dominant = np.where(is_benefit, others.max(axis=0), others.min(axis=0))
    # strictly better on one weighted criterion, where there is room on the 0-1 scale
    dominant[strict] = 1.0 if is_benefit[strict] else 0.0
    matrix = np.vstack([others, dominant])

    result = topsis(matrix, weights, benefit)

    assert result.closeness[-1] >= result.closeness.max() - 1e-12
