"""Threads: the same results on one thread or two, and from several Python threads at once."""

import threading

import numpy as np
import pandas as pd
import pytest

import rollmed
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


@pytest.mark.parametrize("window, center", [(3, False), (101, True), (4000, False), (20_000, True)])
def test_one_and_two_threads_agree_with_the_reference(num_threads, window, center):
    values = long_data()
    series = pd.Series(values)
    results = []
    for threads in (1, 2):
        num_threads(threads)
        results.append(series.rollmed.window(window, min_periods=1, center=center).to_numpy())
    np.testing.assert_array_equal(results[0], results[1])
    # The reference is slow: check it at the edges of the spans the work is split into.
    checked = np.r_[0:300, 65_400:65_700, 131_000:131_200, 149_900:150_700, -300:0]
    start, end = reference.window_bounds(len(values), window, center)
    for i in checked % len(values):
        window_values = values[start[i] : end[i]]
        expected = np.nan if np.isnan(window_values).all() else reference.median_of(window_values)
        np.testing.assert_array_equal(results[0][i], expected, err_msg=f"row {i}")


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
