"""The engine itself: the seeds' examples, O(k) state, lazy compilation, monotone input."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import rollmed
from tests import reference


@pytest.mark.parametrize(
    "values, window, expected",
    [
        ([1, 3, -1, -3, 5, 3, 6, 7], 3, [1.0, -1.0, -1.0, 3.0, 5.0, 6.0]),
        ([1, 3, -1, -3, 5, 3, 6, 7], 4, [0.0, 1.0, 1.0, 4.0, 5.5]),
        ([1, 1, 1, 1], 2, [1.0, 1.0, 1.0]),
        ([2147483647, 2147483647], 2, [2147483647.0]),
    ],
)
def test_sliding_window_seed_examples(values, window, expected):
    # The LeetCode outputs of shared/seeds/000 and 001: one median per full window.
    result = rollmed.move_median(np.array(values), window)
    np.testing.assert_array_equal(result[window - 1 :], expected)
    assert np.isnan(result[: window - 1]).all()


def test_running_median_of_a_stream_seed_example():
    # shared/seeds/002: the median after each element read from the stream.
    stream = pd.Series([2, 3, 4, 1, 10, 7])
    expected = [2.0, 2.5, 3.0, 2.5, 3.0, 3.5]
    np.testing.assert_array_equal(stream.rollmed.expanding().to_numpy(), expected)
    np.testing.assert_array_equal(rollmed.expanding_median(stream.to_numpy()), expected)


def test_state_is_sized_by_the_window_not_the_data():
    from rollmed import _kernels

    buffer = _kernels.heap_buffer(1001, 1001, True)
    cap_lo, cap_hi, _seen = _kernels.heap_capacity(buffer)
    assert cap_lo == cap_hi == 1024
    # Two heaps of keys and positions, and the position map: five arrays of the capacity.
    assert buffer.size == 5 * 1024 + _kernels._HEADER


@pytest.mark.parametrize("window", [1, 2, 3, 64, 1001])
@pytest.mark.parametrize("direction", [1, -1])
def test_monotone_input(window, direction):
    # Monotone data is the worst case for lazy deletion; here every leaving value is removed at once.
    values = np.arange(5000.0)[::direction]
    expected = reference.rolling_median(values, window)
    np.testing.assert_array_equal(rollmed.move_median(values, window), expected)


def test_import_neither_imports_numba_nor_compiles():
    code = "import sys, rollmed; assert 'numba' not in sys.modules, 'numba was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_planning_and_running_load_on_the_first_call():
    # A fresh interpreter: `import rollmed` leaves the planning and running layers
    # unloaded (rollmed._lazy); the first call loads them, and from then on the
    # accessor's and the NumPy API's names are the modules themselves.
    script = (
        "import sys, types, numpy as np, pandas as pd, rollmed\n"
        "layers = ['rollmed._compute', 'rollmed._plans', 'rollmed._runners', 'rollmed._statistics']\n"
        "assert not set(layers) & set(sys.modules), set(layers) & set(sys.modules)\n"
        "assert pd.Series([3.0, 1.0, 2.0]).rollmed.window(3).iloc[-1] == 2.0\n"
        "assert rollmed.move_median(np.array([3.0, 1.0, 2.0]), 3)[-1] == 2.0\n"
        "assert set(layers) <= set(sys.modules)\n"
        "from rollmed import accessor, _frame_accessor, _numpy_api\n"
        "assert isinstance(accessor._compute, types.ModuleType)\n"
        "assert isinstance(_numpy_api._runners, types.ModuleType)\n"
        "assert pd.DataFrame({'a': [3.0, 1.0, 2.0]}).rollmed.window(3).iloc[-1, 0] == 2.0\n"
        "assert isinstance(_frame_accessor._statistics, types.ModuleType)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_long_random_input_against_reference_in_blocks():
    # Longer than one block of bounds, with NaN runs crossing block edges.
    rng = np.random.default_rng(11)
    values = rng.integers(0, 50, 3000).astype(np.float64)
    values[1000:1100] = np.nan
    values[rng.random(3000) < 0.05] = np.nan
    for window, center in [(7, False), (8, True), (700, True), (2047, False)]:
        series = pd.Series(values)
        np.testing.assert_array_equal(
            series.rollmed.window(window, min_periods=1, center=center).to_numpy(),
            reference.rolling_median(values, window, 1, center),
            err_msg=f"window {window} center {center}",
        )
