"""Quantiles and exact integers: the reference, pandas, and the seed's floor median."""

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rollmed
from tests import reference
from tests.strategies import INT64_MAX, INT64_MIN, float_series, int64_values, pandas_safe_series, windows

MODES = ["linear", "lower", "higher", "midpoint", "nearest"]
EXACT_MODES = ["lower", "higher", "nearest", "floor"]
quantiles = st.one_of(st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 1.0]), st.floats(0, 1))


@given(data=st.data(), values=float_series(), q=quantiles, mode=st.sampled_from([*MODES, "floor"]))
def test_window_quantile_equals_reference(data, values, q, mode):
    window = data.draw(windows(1, len(values) + 3))
    min_periods = data.draw(st.integers(0, window))
    center = data.draw(st.booleans())
    result = pd.Series(values).rollmed.window(
        window, min_periods=min_periods, center=center, q=q, interpolation=mode
    )
    with np.errstate(invalid="ignore", over="ignore"):  # the reference's own inf - inf
        expected = reference.rolling_quantile(values, window, q, mode, min_periods, center)
    if mode == "linear" and q == 0.5:  # the median: (a + b) / 2, finite where the sum overflows
        expected = reference.rolling_median(values, window, min_periods, center)
    np.testing.assert_array_equal(result.to_numpy(), expected, err_msg=f"{window=} {min_periods=} {center=}")


@given(data=st.data(), values=pandas_safe_series(), q=quantiles, mode=st.sampled_from(MODES))
def test_window_quantile_equals_pandas(data, values, q, mode):
    window = data.draw(windows(1, len(values) + 3))
    min_periods = data.draw(st.integers(0, window))
    series = pd.Series(values, name="v")
    expected = series.rolling(window, min_periods=min_periods).quantile(q, interpolation=mode)
    result = series.rollmed.window(window, min_periods=min_periods, q=q, interpolation=mode)
    if mode == "linear" and q == 0.5:
        # rollmed reads the median as (a + b) / 2, as pandas' median(); pandas' quantile
        # reads a + (b - a) / 2, which can differ in the last bit.
        tm.assert_series_equal(result, expected, check_exact=False, rtol=1e-15, atol=0)
    else:
        tm.assert_series_equal(result, expected, check_exact=True)


@given(values=pandas_safe_series(), q=quantiles, mode=st.sampled_from(MODES), min_periods=st.integers(0, 5))
def test_expanding_quantile_equals_pandas(values, q, mode, min_periods):
    series = pd.Series(values)
    expected = series.expanding(min_periods=min_periods).quantile(q, interpolation=mode)
    result = series.rollmed.expanding(min_periods=min_periods, q=q, interpolation=mode)
    tm.assert_series_equal(result, expected, check_exact=not (mode == "linear" and q == 0.5), rtol=1e-15)


@given(data=st.data(), values=float_series(), q=quantiles, mode=st.sampled_from(MODES))
def test_move_quantile_equals_reference(data, values, q, mode):
    if values.size == 0:
        return
    window = data.draw(windows(1, values.size))
    min_count = data.draw(st.integers(1, window))
    result = rollmed.move_quantile(values, window, q, min_count=min_count, interpolation=mode)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = reference.rolling_quantile(values, window, q, mode, min_count)
    if mode == "linear" and q == 0.5:
        expected = reference.rolling_median(values, window, min_count)
    np.testing.assert_array_equal(result, expected)


def test_move_quantile_at_one_half_is_move_median():
    values = np.random.default_rng(2).standard_normal((3, 50))
    np.testing.assert_array_equal(rollmed.move_quantile(values, 8, 0.5), rollmed.move_median(values, 8))


@given(
    data=st.data(),
    values=hnp.arrays(np.int64, st.integers(0, 80), elements=int64_values),
    q=quantiles,
    mode=st.sampled_from(EXACT_MODES),
)
def test_exact_integers_at_the_int64_extremes(data, values, q, mode):
    window = data.draw(windows(1, len(values) + 2))
    series = pd.Series(values, name="n")
    result = series.rollmed.window(window, min_periods=1, q=q, interpolation=mode)
    assert result.dtype == "Int64"
    expected = reference.exact_rolling_quantile(values.tolist(), window, q, mode, 1)
    assert result.tolist() == expected


@given(
    data=st.data(),
    values=st.lists(st.one_of(st.none(), st.integers(INT64_MIN, INT64_MAX), st.integers(-3, 3)), max_size=60),
    mode=st.sampled_from(EXACT_MODES),
)
def test_exact_integers_with_missing_values(data, values, mode):
    window = data.draw(windows(1, len(values) + 2))
    min_periods = data.draw(st.integers(0, window))
    series = pd.Series(values, dtype="Int64")
    result = series.rollmed.window(window, min_periods=min_periods, interpolation=mode)
    expected = reference.exact_rolling_quantile(values, window, 0.5, mode, min_periods)
    assert [None if v is pd.NA else v for v in result.tolist()] == expected


@given(values=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40), mode=st.sampled_from(EXACT_MODES))
def test_exact_uint64_beyond_int64(values, mode):
    series = pd.Series(np.array(values, dtype=np.uint64))
    result = series.rollmed.window(3, min_periods=1, interpolation=mode)
    assert result.dtype == "UInt64"
    assert result.tolist() == reference.exact_rolling_quantile(values, 3, 0.5, mode, 1)


def test_floor_midpoint_of_the_largest_integers_does_not_overflow():
    big = np.iinfo(np.int64).max
    series = pd.Series([big, big - 1, INT64_MIN, INT64_MIN + 1])
    result = series.rollmed.window(2, interpolation="floor")
    assert result.tolist() == [pd.NA, big - 1, -1, INT64_MIN]


def test_seed_stream_median_is_the_floor_of_the_mean():
    # shared/seeds/002: "[2, 3] - median is floor((2 + 3) / 2) = 2", "[2, 3, 4] - median is 3".
    stream = pd.Series([2, 3, 4])
    assert stream.rollmed.expanding(interpolation="floor").tolist() == [2, 2, 3]
    running = pd.Series([5, 15, 1, 3, 2, 8, 7, 9, 10, 6, 11, 4])
    expected = [int(np.floor(np.median(running[: i + 1]))) for i in range(len(running))]
    assert running.rollmed.expanding(interpolation="floor").tolist() == expected


def test_int64_beyond_two_to_the_53_stays_exact_where_pandas_rounds():
    values = pd.Series([2**53 + 1, 2**53 + 3, 2**53 + 5])
    assert values.rollmed.window(3, interpolation="lower").tolist() == [pd.NA, pd.NA, 2**53 + 3]
    assert int(values.rolling(3).quantile(0.5, interpolation="lower").iloc[-1]) != 2**53 + 3


@pytest.mark.parametrize("mode", ["linear", "midpoint"])
def test_integers_with_averaging_modes_give_float64_like_pandas(mode):
    series = pd.Series([1, 2, 4, 8, 16])
    result = series.rollmed.window(2, q=0.3, interpolation=mode)
    tm.assert_series_equal(result, series.rolling(2).quantile(0.3, interpolation=mode))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"q": 1.5}, ValueError, "`q` must be between 0 and 1, got 1.5"),
        ({"q": -0.1}, ValueError, "`q` must be between 0 and 1"),
        ({"q": "0.5"}, TypeError, "`q` must be a number"),
        ({"q": None}, TypeError, "`q` must be a number"),
        ({"interpolation": "cubic"}, ValueError, "`interpolation` must be one of"),
        ({"interpolation": None}, ValueError, "got None"),
    ],
)
def test_bad_quantile_arguments(kwargs, error, words):
    series = pd.Series([1.0, 2.0, 3.0])
    for call in (
        lambda: series.rollmed.window(2, **kwargs),
        lambda: series.rollmed.expanding(**kwargs),
        lambda: rollmed.move_quantile(series.to_numpy(), 2, **{"q": 0.5, **kwargs}),
    ):
        with pytest.raises(error) as caught:
            call()
        assert words in str(caught.value)
