"""The NumPy API: a drop-in for bottleneck.move_median, awkward arrays, argument errors."""

import itertools

import bottleneck as bn
import numpy as np
import pandas as pd
import pytest

import rollmed
from rollmed import _kernels
from tests import reference


def awkward_arrays():
    """bottleneck's awkward inputs (bottleneck/tests/util.py), named for the failure message."""
    rng = np.random.default_rng(7)
    base = rng.standard_normal((6, 9))
    base[base > 1.2] = np.nan
    ties = rng.integers(-2, 3, (6, 9)).astype(np.float64)
    yield "random with nan", base
    yield "ties", ties
    yield "all equal", np.full((4, 7), 3.0)
    yield "all nan", np.full((3, 5), np.nan)
    yield "inf and -inf", np.array([[np.inf, 1, -np.inf, 2, np.inf, np.nan, -np.inf, 0]])
    yield "1-d", rng.standard_normal(13)
    yield "3-d", rng.standard_normal((3, 4, 5))
    yield "float32", rng.standard_normal((4, 11)).astype(np.float32)
    yield "float16", rng.standard_normal((4, 11)).astype(np.float16)
    yield "big-endian >f4", rng.standard_normal((3, 10)).astype(">f4")
    yield "big-endian >f8", base.astype(">f8")
    yield "int64", rng.integers(-1000, 1000, (5, 8))
    yield "int8", rng.integers(-128, 128, (5, 8)).astype(np.int8)
    yield "uint32", rng.integers(0, 2**32, (5, 8)).astype(np.uint32)
    yield "bool", rng.random((4, 9)) > 0.5
    yield "fortran order", np.asfortranarray(base)
    yield "strided view", rng.standard_normal((8, 20))[::2, ::3]
    yield "reversed view", rng.standard_normal(15)[::-1]
    readonly = rng.standard_normal((3, 9))
    readonly.flags.writeable = False
    yield "read-only", readonly
    yield "empty along the other axis", np.zeros((0, 4))


def sweep():
    for name, array in awkward_arrays():
        for axis in range(-array.ndim, array.ndim):
            length = array.shape[axis]
            for window in sorted({1, 2, 3, max(length - 1, 1), length} - {0}):
                if window > length:
                    continue
                for min_count in sorted({None, 1, window}, key=lambda m: -1 if m is None else m):
                    yield name, array, axis, window, min_count


@pytest.mark.parametrize("name, array, axis, window, min_count", list(sweep()))
def test_matches_bottleneck(name, array, axis, window, min_count):
    message = f"func move_median | input {name} | axis {axis} | window {window} | min_count {min_count}"
    before = array.copy()
    expected = bn.move_median(array, window, min_count=min_count, axis=axis)
    result = rollmed.move_median(array, window, min_count=min_count, axis=axis)
    assert result.dtype == expected.dtype, message
    assert result.shape == expected.shape, message
    np.testing.assert_array_equal(result, expected, err_msg=message)
    np.testing.assert_array_equal(array, before, err_msg=message)  # the input is not modified


@pytest.mark.parametrize("name, array, axis, window, min_count", list(sweep())[::7])
def test_matches_reference(name, array, axis, window, min_count):
    expected = reference.move_median_nd(array, window, min_count, axis)
    result = rollmed.move_median(array, window, min_count=min_count, axis=axis)
    np.testing.assert_array_equal(result.astype(np.float64), expected.astype(result.dtype).astype(np.float64))


def test_positional_and_keyword_calls_agree():
    a = np.arange(10.0)[::-1]
    expected = bn.move_median(a, 4, 2, 0)
    for result in (
        rollmed.move_median(a, 4, 2, 0),
        rollmed.move_median(a, window=4, min_count=2, axis=0),
        rollmed.move_median(a=a, window=4, min_count=2, axis=-1),
        rollmed.move_median(a, np.int64(4), np.int32(2), np.int8(0)),
        rollmed.move_median(list(a), 4, 2),
    ):
        np.testing.assert_array_equal(result, expected)


def test_overflowing_midpoint_is_finite_where_bottleneck_overflows():
    a = np.array([1e308, 1e308, -1e308, -1e308])
    np.testing.assert_array_equal(rollmed.move_median(a, 2), [np.nan, 1e308, 0.0, -1e308])
    with np.errstate(over="ignore"):
        assert np.isinf(bn.move_median(a, 2)[1])


def test_infinities_are_values():
    a = np.array([np.inf, 1.0, 2.0, -np.inf, np.nan, -np.inf])
    np.testing.assert_array_equal(rollmed.move_median(a, 3), [np.nan, np.nan, 2.0, 1.0, np.nan, np.nan])
    np.testing.assert_array_equal(
        rollmed.move_median(a, 3, min_count=1), [np.inf, np.inf, 2.0, 1.0, -np.inf, -np.inf]
    )
    np.testing.assert_array_equal(rollmed.move_median(np.array([np.inf, -np.inf]), 2, 1), [np.inf, np.nan])


def test_output_is_not_the_input_and_input_unchanged():
    a = np.arange(6.0)
    before = a.copy()
    out = rollmed.move_median(a, 1)
    assert not np.shares_memory(out, a)
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda a: rollmed.move_median(a, 0), ValueError, "`window` (=0)"),
        (lambda a: rollmed.move_median(a, 6), ValueError, "`window` (=6)"),
        (lambda a: rollmed.move_median(a, -1), ValueError, "`window` (=-1)"),
        (lambda a: rollmed.move_median(a, 2.0), TypeError, "`window` must be an integer, got 2.0"),
        (lambda a: rollmed.move_median(a, True), TypeError, "`window` must be an integer"),
        (lambda a: rollmed.move_median(a, "2"), TypeError, "`window` must be an integer, got '2'"),
        (lambda a: rollmed.move_median(a, None), TypeError, "`window` must be an integer, got None"),
        (lambda a: rollmed.move_median(a, 2, 0), ValueError, "`min_count` (=0)"),
        (lambda a: rollmed.move_median(a, 2, 3), ValueError, "`min_count` (=3)"),
        (lambda a: rollmed.move_median(a, 2, min_count="1"), TypeError, "`min_count` must be an integer"),
        (lambda a: rollmed.move_median(a, 2, axis="0"), TypeError, "`axis` must be an integer, got '0'"),
        (lambda a: rollmed.move_median(a, 2, axis=None), TypeError, "`axis` must be an integer"),
        (lambda a: rollmed.move_median(a, 2, axis=1), ValueError, "`axis` (=1) is out of bounds"),
        (lambda a: rollmed.move_median(a, 2, axis=-2), ValueError, "`axis` (=-2) is out of bounds"),
        (lambda a: rollmed.move_median(a, 2, foo=1), TypeError, "foo"),
        (lambda a: rollmed.move_median(a, 2, 1, 0, 5), TypeError, "positional"),
        (lambda a: rollmed.move_median(np.array(3.0), 1), ValueError, "0-d"),
        (lambda a: rollmed.move_median(np.zeros(0), 1), ValueError, "between 1 and 0"),
        (lambda a: rollmed.move_median(a.astype(complex), 2), TypeError, "complex128"),
        (lambda a: rollmed.move_median(a.astype(object), 2), TypeError, "object"),
        (lambda a: rollmed.move_median(np.array(["a", "b"]), 1), TypeError, "<U1"),
        (lambda a: rollmed.move_median(a.astype(np.longdouble), 2), TypeError, "float128"),
        (lambda a: rollmed.expanding_median(a, 0), ValueError, "`min_count` (=0)"),
        (lambda a: rollmed.expanding_median(a, 1.5), TypeError, "`min_count` must be an integer"),
        (lambda a: rollmed.expanding_median(a, axis=3), ValueError, "`axis` (=3)"),
    ],
)
def test_bad_arguments(call, error, words):
    a = np.arange(5.0)
    with pytest.raises(error) as caught:
        call(a)
    assert words in str(caught.value)


def test_empty_along_the_window_axis_when_another_axis_is_empty():
    np.testing.assert_array_equal(rollmed.move_median(np.zeros((0, 3)), 1), np.zeros((0, 3)))
    assert rollmed.expanding_median(np.zeros(0)).shape == (0,)
    assert rollmed.expanding_median(np.zeros((2, 0))).dtype == np.float64


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_expanding_median_along_axes(axis):
    a = np.random.default_rng(3).standard_normal((5, 6))
    a[1, 2] = np.nan
    expected = np.apply_along_axis(reference.expanding_median, axis, a, 2)
    np.testing.assert_array_equal(rollmed.expanding_median(a, 2, axis=axis), expected)


def test_window_equal_to_length_and_one():
    a = np.array([5.0, 1.0, 4.0, 2.0])
    np.testing.assert_array_equal(rollmed.move_median(a, 1), a)
    np.testing.assert_array_equal(rollmed.move_median(a, 4, 1), [5.0, 3.0, 4.0, 3.0])


def test_exhaustive_small_windows():
    # Every window and min_count over every sequence of length 5 drawn from {nan, 0, 1}.
    choices = [np.nan, 0.0, 1.0]
    for values in itertools.product(choices, repeat=5):
        a = np.array(values)
        for window in range(1, 6):
            for min_count in range(1, window + 1):
                np.testing.assert_array_equal(
                    rollmed.move_median(a, window, min_count),
                    reference.rolling_median(a, window, min_count),
                    err_msg=f"input {values} | window {window} | min_count {min_count}",
                )


@pytest.mark.parametrize("window", [10, 11, 32, 33, 100, 101, 160, 161])
def test_median_networks_on_both_sides_of_each_switch(window):
    # A network per window up to 10 values; over the core that neighbouring windows
    # share, 4 of them up to 32, 8 up to 100, 16 up to MEDIAN_NETWORK_MAX (160); the
    # heaps beyond. The shared cores work through blocks of 256 groups: lengths end just
    # before, at and after a block's last result, and the last block is cut short. NaN
    # (left to the general path), ±inf, ±0, 1e308 and ties; three rows of one array;
    # centred windows. The per-window reference checks the row where pandas is wrong
    # (±inf, overflow); pandas, right on the others, checks them faster.
    rng = np.random.default_rng(window)
    block = 256 * _kernels.median_group(window)
    for n in (window, block + window - 2, block + window - 1, block + window, 2 * block + 5):
        awkward = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, 1e308, -1e308], n)
        rows = np.stack(
            [rng.standard_normal(n), awkward, np.where(rng.random(n) < 0.002, np.nan, rng.integers(-3, 4, n))]
        )
        result = rollmed.move_median(rows, window)
        for i in (0, 2):
            pandas = pd.Series(rows[i]).rolling(window).median().to_numpy()
            np.testing.assert_array_equal(result[i], pandas, err_msg=f"{n=} row {i}")
        np.testing.assert_array_equal(result[1], reference.rolling_median(awkward, window), err_msg=f"{n=}")
        centred = pd.Series(awkward).rollmed.window(window, min_periods=1, center=True).to_numpy()
        np.testing.assert_array_equal(
            centred, reference.rolling_median(awkward, window, 1, True), err_msg=f"{n=}"
        )
        centred = pd.Series(rows[2]).rollmed.window(window, min_periods=1, center=True)
        pandas = pd.Series(rows[2]).rolling(window, min_periods=1, center=True).median()
        np.testing.assert_array_equal(centred.to_numpy(), pandas.to_numpy(), err_msg=f"{n=}")
