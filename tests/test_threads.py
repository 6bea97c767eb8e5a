"""Threads: the same results on one thread or two, and from several Python threads at once."""

import threading

import numpy as np
import pandas as pd
import pytest

import rollmed
from rollmed import _runners
from tests import reference


@pytest.fixture
def num_threads():
    previous = rollmed.get_num_threads()
    yield rollmed.set_num_threads
    rollmed.set_num_threads(previous)


def long_data(n=300_000, seed=5):
    rng = np.random.default_rng(seed)
    values = rng.integers(-100, 100, n).astype(np.float64)  # ties
    values[rng.random(n) < 0.01] = np.nan
    values[n // 2 : n // 2 + 500] = np.nan  # a gap across the middle
    values[[10, n // 4, n // 2 - 10_000]] = [np.inf, -np.inf, np.inf]
    return values


@pytest.mark.parametrize(
    "window, center", [(3, False), (33, True), (101, True), (4000, False), (20_000, True)]
)
def test_one_and_two_threads_agree_with_the_reference(num_threads, window, center):
    values = long_data()
    series = pd.Series(values)
    results = []
    for threads in (1, 2):
        num_threads(threads)
        results.append(series.rollmed.window(window, min_periods=1, center=center).to_numpy())
    np.testing.assert_array_equal(results[0], results[1])
    # The reference is slow: check it at the edges of the spans the work is split into
    # (on one thread and on two), across the gap in the middle, and at the ends.
    edges = []
    for threads in (1, 2):
        num_threads(threads)
        edges += [first for _, _, first, _ in _runners.spans(1, len(values), window)[1:]]
    checked = np.r_[0:300, 149_900:150_700, -300:0, *(np.arange(edge - 100, edge + 100) for edge in edges)]
    start, end = reference.window_bounds(len(values), window, center)
    for i in checked % len(values):
        window_values = values[start[i] : end[i]]
        expected = np.nan if np.isnan(window_values).all() else reference.median_of(window_values)
        np.testing.assert_array_equal(results[0][i], expected, err_msg=f"row {i}")


@pytest.mark.parametrize("closed", ["right", "left", "both", "neither"])
@pytest.mark.parametrize("decreasing", [False, True])
def test_time_windows_of_a_long_series_split_into_spans(num_threads, closed, decreasing):
    # The bounds of trailing time windows over more than two spans of rows (65,536 each)
    # are found span by span on the threads; runs of equal times cross the spans' edges.
    n = 200_000
    rng = np.random.default_rng(3)
    gaps = rng.choice([0, 0, 1, 1, 2, 3, 50], n)
    gaps[65_530:65_545] = 0
    gaps[131_000:131_100] = 0
    ticks = np.cumsum(gaps) * 1_000_000_000
    index = pd.DatetimeIndex((ticks[::-1] if decreasing else ticks).view("M8[ns]"))
    values = rng.integers(-100, 100, n).astype(np.float64)
    values[rng.random(n) < 0.01] = np.nan
    series = pd.Series(values, index=index)
    for window in ("10s", "1000s"):
        expected = series.rolling(window, closed=closed).median()
        for threads in (1, 2):
            num_threads(threads)
            result = series.rollmed.window(window, closed=closed)
            pd.testing.assert_series_equal(result, expected, check_exact=True, obj=f"{window} {threads}")


def test_a_long_time_index_out_of_order_in_a_later_span_raises(num_threads):
    ticks = np.arange(200_000) * 1_000_000_000
    ticks[150_000] = ticks[149_990]
    series = pd.Series(np.ones(len(ticks)), index=pd.DatetimeIndex(ticks.view("M8[ns]")))
    for threads in (1, 2):
        num_threads(threads)
        with pytest.raises(ValueError, match="monotonic"):
            series.rollmed.window("10s")


def test_many_columns_on_two_threads(num_threads):
    matrix = long_data(400_000).reshape(50_000, 8)
    num_threads(1)
    one = rollmed.move_median(matrix, 101, axis=0)
    num_threads(2)
    two = rollmed.move_median(matrix, 101, axis=0)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(two[:, 3], reference.rolling_median(matrix[:, 3], 101))


def test_calls_from_several_python_threads_at_once(num_threads):
    num_threads(2)
    inputs = [long_data(100_000, seed) for seed in range(6)]
    expected = [rollmed.move_median(values, 51, 1) for values in inputs]
    results = [None] * len(inputs)
    barrier = threading.Barrier(len(inputs))

    def work(i):
        barrier.wait()
        for _ in range(3):
            results[i] = rollmed.move_median(inputs[i], 51, 1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result, wanted in zip(results, expected, strict=True):
        np.testing.assert_array_equal(result, wanted)


@pytest.mark.parametrize(
    "bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError)]
)
def test_set_num_threads_rejects_bad_counts(num_threads, bad, error):
    with pytest.raises(error, match="`n`"):
        rollmed.set_num_threads(bad)
