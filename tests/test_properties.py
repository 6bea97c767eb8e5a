"""Hypothesis: rollmed equals the slow reference on awkward data, and pandas where pandas is right."""

import numpy as np
import pandas as pd
import pandas.testing as tm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rollmed
from tests import reference
from tests.strategies import float_series, int64_values, pandas_safe_series, window_args, windows


def assert_same(actual, expected, context=""):
    np.testing.assert_array_equal(actual, expected, err_msg=context, strict=True)


@given(data=st.data(), values=float_series())
def test_window_equals_reference(data, values):
    window, min_periods = data.draw(window_args(len(values)))
    center = data.draw(st.booleans())
    result = pd.Series(values).rollmed.window(window, min_periods=min_periods, center=center)
    expected = reference.rolling_median(values, window, min_periods, center)
    assert_same(result.to_numpy(), expected, f"window={window} min_periods={min_periods} center={center}")


@given(values=float_series(), min_periods=st.integers(0, 10))
def test_expanding_equals_reference(values, min_periods):
    result = pd.Series(values).rollmed.expanding(min_periods=min_periods)
    assert_same(result.to_numpy(), reference.expanding_median(values, min_periods))


@given(data=st.data(), values=float_series())
def test_move_median_equals_reference(data, values):
    if values.size == 0:
        return
    window = data.draw(windows(1, values.size))
    min_count = data.draw(st.integers(1, window))
    result = rollmed.move_median(values, window, min_count)
    assert_same(result, reference.rolling_median(values, window, min_count), f"{window=} {min_count=}")


@given(data=st.data(), values=hnp.arrays(np.int64, st.integers(1, 120), elements=int64_values))
def test_int64_extremes_equal_reference_on_float64(data, values):
    # Integers are medianed as float64, like bottleneck and pandas (exact integers are a later mode).
    window = data.draw(windows(1, values.size))
    result = rollmed.move_median(values, window)
    assert_same(result, reference.rolling_median(values.astype(np.float64), window))


@given(data=st.data(), values=pandas_safe_series())
def test_window_bit_identical_to_pandas(data, values):
    window, min_periods = data.draw(window_args(len(values)))
    center = data.draw(st.booleans())
    series = pd.Series(values, name="x")
    expected = series.rolling(window, min_periods=min_periods, center=center).median()
    tm.assert_series_equal(
        series.rollmed.window(window, min_periods=min_periods, center=center), expected, check_exact=True
    )


@given(values=pandas_safe_series(), min_periods=st.integers(0, 10))
def test_expanding_bit_identical_to_pandas(values, min_periods):
    series = pd.Series(values, name="x")
    expected = series.expanding(min_periods=min_periods).median()
    tm.assert_series_equal(series.rollmed.expanding(min_periods=min_periods), expected, check_exact=True)


@given(data=st.data(), values=float_series(max_size=100), extra=float_series(max_size=50))
def test_causal(data, values, extra):
    # A trailing window only looks back: more data after the end changes nothing before it.
    if values.size == 0:
        return
    window = data.draw(windows(1, values.size))
    short = rollmed.move_median(values, window, 1)
    longer = rollmed.move_median(np.concatenate([values, extra]), window, 1)
    assert_same(longer[: values.size], short)
