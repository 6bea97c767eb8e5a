"""Bad or unusual input gets pandas' answer or a clear error naming the parameter: issue 9's table."""

import os
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import rollmed


def test_duplicate_column_names_give_pandas_answer():
    frame = pd.DataFrame([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]], columns=["a", "a", "b"])
    tm.assert_frame_equal(frame.rollmed.window(2), frame.rolling(2).median(), check_exact=True)
    tm.assert_frame_equal(frame.rollmed.expanding(), frame.expanding().median(), check_exact=True)


def test_by_or_on_naming_a_duplicated_column_is_an_error():
    frame = pd.DataFrame([[1, 2.0, 3.0], [1, 5.0, 6.0]], columns=["k", "k", "x"])
    with pytest.raises(ValueError, match="`by` names 'k', which is the name of several columns"):
        frame.rollmed.window(2, by="k")
    timed = pd.DataFrame({"t": pd.date_range("2024", periods=2), "x": [1.0, 2.0]})
    timed.columns = ["t", "t"]
    with pytest.raises(ValueError, match="`on` names 't'"):
        timed.rollmed.window("1D", on="t", numeric_only=True)


@pytest.mark.parametrize(
    "by, error",
    [(1, TypeError), ("abc", TypeError), (np.zeros((5, 2)), ValueError), (None, None)],
)
def test_series_by_must_be_keys_one_per_row(by, error):
    series = pd.Series(np.arange(5.0))
    if error is None:
        tm.assert_series_equal(series.rollmed.window(3, by=by), series.rolling(3).median())
        return
    with pytest.raises(error, match="`by`"):
        series.rollmed.window(3, by=by)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda s: s.rollmed.window(2**63), "window"),
        (lambda s: s.rollmed.window(3, min_periods=2**63), "min_periods"),
        (lambda s: s.rollmed.expanding(2**63), "min_periods"),
        (lambda s: s.rollmed.window("1D", min_periods=2**63), "min_periods"),
        (lambda s: s.rollmed.window(3, step=2**64), "step"),
        (lambda s: rollmed.move_median(s.to_numpy(), 2**63), "window"),
        (lambda s: rollmed.RollingMedian(window=2**63), "window"),
    ],
)
def test_integers_beyond_int64_name_the_parameter(call, name):
    series = pd.Series(np.arange(5.0), index=pd.date_range("2024", periods=5))
    with pytest.raises(ValueError, match=f"`{name}` \\(=[0-9]+\\) must be"):
        call(series)


def test_windows_far_larger_than_the_data_are_clipped():
    series = pd.Series(np.arange(5.0))
    tm.assert_series_equal(series.rollmed.window(2**62, min_periods=1), series.expanding().median())
    tm.assert_series_equal(
        series.rollmed.window(2**63 - 1, min_periods=1, center=True),
        series.rolling(9, min_periods=1, center=True).median(),
    )


def test_a_numpy_timedelta_is_a_time_span():
    series = pd.Series([1.0, 5.0, 2.0, 8.0], index=pd.date_range("2024", periods=4, freq="min"))
    tm.assert_series_equal(series.rollmed.window(np.timedelta64(2, "m")), series.rolling("2min").median())


def test_a_span_beyond_pandas_timedeltas_is_an_error():
    series = pd.Series([1.0, 5.0], index=pd.date_range("2024", periods=2))
    with pytest.raises(ValueError, match="`window` \\(='10000000D'\\)"):
        series.rollmed.window("10000000D")


@pytest.mark.parametrize("interpolation", ["lower", "floor", "linear"])
def test_sparse_integers_are_densified(interpolation):
    dense = pd.Series([1, 0, 0, 5, 7, 0])
    sparse = dense.astype(pd.SparseDtype("int64", 0))
    expected = dense.rollmed.window(2, interpolation=interpolation)
    tm.assert_series_equal(sparse.rollmed.window(2, interpolation=interpolation), expected)


def test_numeric_only_must_be_a_bool():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    for method in (
        lambda: frame.rollmed.window(2, numeric_only="yes"),
        lambda: frame.rollmed.expanding(numeric_only=1),
    ):
        with pytest.raises(TypeError, match="`numeric_only` must be a bool"):
            method()


@pytest.mark.parametrize("window, freq", [("150min", "h"), ("5h", "2h"), ("2D", "D"), ("90min", "h")])
def test_time_window_on_a_period_index_is_pandas(window, freq):
    series = pd.Series(
        [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0], index=pd.period_range("2024-01-01", periods=7, freq=freq)
    )
    for center in (False, True):
        expected = series.rolling(window, center=center).median()
        tm.assert_series_equal(series.rollmed.window(window, center=center), expected, check_exact=True)


def test_a_period_index_of_months_has_no_fixed_span():
    series = pd.Series([1.0, 2.0], index=pd.period_range("2024-01", periods=2, freq="M"))
    with pytest.raises(ValueError):
        series.rollmed.window("5D")


THREADS_FROM_ENVIRONMENT = """
import os, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import rollmed
messages = "|".join(str(warning.message) for warning in caught)
print(rollmed.get_num_threads(), len(os.sched_getaffinity(0)), messages, sep=";")
"""


@pytest.mark.parametrize("value", ["abc", "2.5", "0", "-4", " "])
def test_a_bad_thread_count_in_the_environment_is_named_not_fatal(value):
    environment = {**os.environ, "ROLLMED_NUM_THREADS": value}
    result = subprocess.run(
        [sys.executable, "-c", THREADS_FROM_ENVIRONMENT],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    threads, cores, warning = result.stdout.strip().split(";", 2)
    assert threads == cores  # the default: every core this process may use
    if value.strip():
        assert f"ROLLMED_NUM_THREADS={value!r} is not a number of threads" in warning
    else:
        assert warning == ""


def test_a_good_thread_count_in_the_environment_is_taken():
    environment = {**os.environ, "ROLLMED_NUM_THREADS": "3"}
    result = subprocess.run(
        [sys.executable, "-c", THREADS_FROM_ENVIRONMENT],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split(";")[0] == "3"


def rollmed_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("rollmed")]


def test_one_pool_alive_at_a_time():
    # Issue 9: every thread count ever used kept a pool of threads alive (24 threads).
    previous = rollmed.get_num_threads()
    values = np.random.default_rng(0).standard_normal((16, 70_000))
    try:
        for count in (1000, 2, 7, 3, 2):
            rollmed.set_num_threads(count)
            rollmed.move_median(values, 5)
        for thread in rollmed_threads():
            thread.join(timeout=10) if not thread.is_alive() else None
        alive = [thread for thread in rollmed_threads() if thread.is_alive()]
        assert (
            len(alive) <= 3
        )  # the pool of the last count (2): at most its helpers, and the old ones exiting
        rollmed.set_num_threads(1)
        for thread in alive:
            thread.join(timeout=30)
        assert not [thread for thread in rollmed_threads() if thread.is_alive()]
    finally:
        rollmed.set_num_threads(previous)


def test_set_num_threads_and_the_environment_share_one_rule():
    for bad in (0, -4):
        with pytest.raises(ValueError, match=r"`n` \(=-?[0-9]+\) must be at least 1"):
            rollmed.set_num_threads(bad)
