"""Where pandas is wrong, what the README promises: infinities are values, nothing overflows, -0 + 0 is +0.

Issue 9, items 10 and 11: every quantile mode on every path.
"""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rollmed
from tests import reference

INF = np.inf
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize(
    "values, window, q, expected",
    [
        ([-INF, 1, 2, 3], 4, 0.1, -INF),  # pandas: NaN
        ([1, 2, INF, INF], 4, 0.8, INF),  # pandas: NaN
        ([-INF, 1], 2, 0.7, -INF),
        ([-INF, -INF, 0], 3, 0.3, -INF),
        ([INF, INF], 2, 0.3, INF),
        ([-INF, INF], 2, 0.3, np.nan),  # between -inf and +inf there is no limit
        ([-1.7e308, 1.7e308], 2, 0.3, -6.8e307),  # pandas: inf (the difference overflows)
    ],
)
def test_linear_quantile_of_infinities_and_overflow(values, window, q, expected):
    values = np.array(values, dtype=np.float64)
    series_result = pd.Series(values).rollmed.window(window, q=q).iloc[-1]
    move_result = rollmed.move_quantile(values, window, q)[-1]
    stream_result = rollmed.RollingMedian(window, q=q).update(values)[-1]
    for result in (series_result, move_result, stream_result):
        np.testing.assert_allclose(result, expected, rtol=1e-15)


infinite_or_not = st.sampled_from([-INF, INF, -1e308, 1e308, -1.0, 0.0, 2.5])


@given(
    values=st.lists(infinite_or_not, min_size=1, max_size=12), q=st.floats(0, 1), mode=st.sampled_from(MODES)
)
def test_every_mode_takes_the_limit_on_infinities(values, q, mode):
    values = np.array(values)
    result = pd.Series(values).rollmed.expanding(q=q, interpolation=mode).to_numpy()
    expected = [reference.quantile_of(values[: i + 1], q, mode) for i in range(len(values))]
    np.testing.assert_array_equal(result, expected)
    ordered = np.sort(values)
    low, high = (
        ordered[int(q * (len(values) - 1))],
        ordered[min(int(q * (len(values) - 1)) + 1, len(values) - 1)],
    )
    if not np.isnan(result[-1]):  # NaN only between -inf and +inf
        assert low <= result[-1] <= high
    else:
        assert (low, high) == (-INF, INF)


huge = st.floats(-1.7976931348623157e308, 1.7976931348623157e308, allow_nan=False, allow_infinity=False)


@given(low=huge, high=huge, q=st.floats(0.01, 0.99))
def test_linear_quantile_of_two_finite_values_is_the_exact_one(low, high, q):
    low, high = min(low, high), max(low, high)
    result = rollmed.move_quantile(np.array([high, low]), 2, q)[-1]
    assert np.isfinite(result)
    exact = Fraction(low) + (Fraction(high) - Fraction(low)) * Fraction(q)
    # pandas' formula and its half-scale form round three times: within a few units in the last place.
    tolerance = 4 * math.ulp(max(abs(low), abs(high)))
    assert abs(Fraction(result) - exact) <= Fraction(tolerance)
    with np.errstate(over="ignore"):
        # pandas' bits wherever pandas' formula is finite (at q = 0.5, its median's formula)
        pandas = (low + high) / 2 if q == 0.5 else low + (high - low) * q
    if np.isfinite(pandas):
        assert result == pandas


def sign_bits(values):
    return np.signbit(np.asarray(values, dtype=np.float64)).tolist()


ZEROS = np.array([0.0, -0.0, -0.0, 0.0, 5.0, -0.0, 0.0, -5.0])


@pytest.mark.parametrize("window", [2, 4])
def test_the_mean_of_two_middle_zeros_is_positive_on_every_path(window):
    # The two middle values of [-0.0, 0.0] are -0.0 and 0.0: their mean in float is +0.0 (pandas, bottleneck).
    expected = pd.Series(ZEROS).rolling(window).median().to_numpy()
    paths = {
        "Series": pd.Series(ZEROS).rollmed.window(window),
        "move_median": rollmed.move_median(ZEROS, window),
        "stream": rollmed.RollingMedian(window).update(ZEROS),
        "groups": pd.Series(ZEROS).rollmed.window(window, by=np.zeros(len(ZEROS))),
        "frame": pd.DataFrame({"a": ZEROS, "b": ZEROS}).rollmed.window(window)["a"],
        "time": pd.Series(ZEROS, index=pd.date_range("2024", periods=len(ZEROS), freq="s")).rollmed.window(
            f"{window}s", min_periods=window
        ),
        "quantile midpoint": pd.Series(ZEROS).rollmed.window(window, q=0.5, interpolation="midpoint"),
    }
    # Where more than two zeros tie, the sign depends on tie order (pandas and bottleneck disagree).
    zeros_in_window = pd.Series(ZEROS == 0).rolling(window).sum().to_numpy()
    defined = zeros_in_window <= 2
    assert defined[window - 1 :].any()
    for name, result in paths.items():
        result = np.asarray(result, dtype=np.float64)
        np.testing.assert_array_equal(result, expected, err_msg=name)
        assert sign_bits(result[defined]) == sign_bits(expected[defined]), name


def test_two_negative_zeros_stay_negative():
    for window in (2, 3, 8, 9):  # sorted afresh and in the heaps
        result = rollmed.move_median(np.full(12, -0.0), window)[window - 1 :]
        assert np.signbit(result).all(), window


@pytest.mark.parametrize("window", [4, 8, 10, 64, 162])
def test_one_zero_of_each_sign_in_the_middle_gives_positive_zero(window):
    # Every window of a tiling of one period holds the same values, whose two middle ones
    # are -0.0 and 0.0, in a shuffled order: a network per window (4, 8, 10), one over the
    # core that neighbouring windows share (64), the heaps (162, and every stream).
    rng = np.random.default_rng(window)
    half = np.arange(1.0, window // 2)
    period = np.concatenate([-half, half, [-0.0, 0.0]])
    values = np.tile(rng.permutation(period), 40)
    for result in (rollmed.move_median(values, window), rollmed.RollingMedian(window).update(values)):
        assert (result[window - 1 :] == 0).all()
        assert not np.signbit(result[window - 1 :]).any()
