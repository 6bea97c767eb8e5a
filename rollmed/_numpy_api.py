"""The NumPy API: bottleneck-style moving-window functions along an axis of any array.

Each function checks its arguments (rollmed._checks), moves the axis last and hands
the rows to the runners (rollmed._runners), with bottleneck's dtype rule for the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rollmed import _checks, _values
from rollmed._lazy import LazyModule

if TYPE_CHECKING:
    from rollmed import _runners, _statistics
else:  # loaded on the first call: see rollmed._lazy
    _runners = LazyModule("rollmed._runners", globals(), "_runners")
    _statistics = LazyModule("rollmed._statistics", globals(), "_statistics")


def _result_dtype(dtype: np.dtype) -> np.dtype:
    """Apply bottleneck's rule: a float array keeps its dtype, byte order included; others give float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _along_axis(
    array: np.ndarray,
    axis: int,
    offsets: tuple[int, int],
    min_count: int,
    statistic: _statistics.Statistic,
    expanding: bool = False,
    several: bool = False,
) -> np.ndarray:
    """Windows at fixed ``offsets`` along ``axis`` of a checked array, with bottleneck's dtype rule.

    ``several``: the statistic's outputs go on a new last axis; otherwise it has one.
    """
    moved = np.moveaxis(array, axis, -1)
    # One copy at most: to float64 in C order, which the reshape then only views.
    as_float = moved.astype(np.float64, order="C", copy=False)
    rows = as_float.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    out, _ = _runners.run_fixed(rows, None, (*offsets, 1), expanding, min_count, statistic)
    out = out.reshape(*moved.shape, statistic.n_outputs)
    out = (
        np.moveaxis(out, -2, axis if axis >= 0 else axis - 1)
        if several
        else np.moveaxis(out[..., 0], -1, axis)
    )
    return out.astype(_result_dtype(array.dtype), copy=False)


def _check_moving(
    a: npt.ArrayLike, window: Any, min_count: Any, axis: Any
) -> tuple[np.ndarray, int, int, int]:
    """The bottleneck-style arguments, checked: the array, its axis, the window and min_count."""
    array = _checks.check_array(a)
    axis = _checks.check_axis(axis, array.ndim)
    window = _checks.check_window_within(window, array.shape[axis])
    return array, axis, window, _checks.check_min_count(min_count, window)


def move_median(a: npt.ArrayLike, window: int, min_count: int | None = None, axis: int = -1) -> np.ndarray:
    """Moving window median along the specified axis, ignoring NaNs.

    A drop-in replacement for ``bottleneck.move_median``: the same arguments, the same
    errors and the same results, with two exceptions where bottleneck is wrong.
    Infinities are values, not missing data, and the median of an even count is the
    midpoint of the two middle values, finite where their sum overflows: the median
    of ``[1e308, 1e308]`` is ``1e308``, where bottleneck gives ``inf``.

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats (float16, float32, float64), of
        any dimension, memory layout and byte order. It is not modified.
    window : int
        The number of elements in the moving window, from 1 to ``a.shape[axis]``.
    min_count : int, optional
        The least number of non-NaN values a window must hold to give a median; the
        others give NaN. From 1 to ``window``; by default ``window``.
    axis : int, optional
        The axis along which to move the window. By default the last axis.

    Returns
    -------
    numpy.ndarray
        The moving median, of the shape of ``a``. A float array keeps its dtype
        (float16, float32, byte order included); booleans and integers give float64.

    Raises
    ------
    TypeError
        If ``a`` is not numeric, or ``window``, ``min_count`` or ``axis`` is not an integer.
    ValueError
        If ``a`` is 0-d, ``axis`` is out of bounds, ``window`` is not in
        ``[1, a.shape[axis]]`` or ``min_count`` not in ``[1, window]``.

    See Also
    --------
    expanding_median : The median of everything up to each element.

    Examples
    --------
    >>> import numpy as np
    >>> import rollmed
    >>> rollmed.move_median(np.array([1.0, 3.0, -1.0, -3.0, 5.0, 3.0]), window=3)
    array([nan, nan,  1., -1., -1.,  3.])
    >>> rollmed.move_median(np.array([1.0, np.nan, 2.0, 7.0]), window=2, min_count=1)
    array([1. , 1. , 2. , 4.5])
    """
    array, axis, window, min_count = _check_moving(a, window, min_count, axis)
    return _along_axis(array, axis, (1 - window, 1), min_count, _statistics.MEDIAN)


def expanding_median(a: npt.ArrayLike, min_count: int = 1, axis: int = -1) -> np.ndarray:
    """Expanding (running) median along the specified axis, ignoring NaNs.

    Element ``i`` is the median of the non-NaN values among elements ``0..i``: the
    running median of a stream. Infinities are values, and the median of an even count
    is the midpoint of the two middle values, finite where their sum overflows.

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats, of any dimension, memory layout
        and byte order. It is not modified.
    min_count : int, optional
        The least number of non-NaN values seen so far for a median; before that, NaN.
        At least 1; by default 1.
    axis : int, optional
        The axis along which to expand. By default the last axis.

    Returns
    -------
    numpy.ndarray
        The running median, of the shape of ``a``, with ``move_median``'s dtype rule.

    Raises
    ------
    TypeError
        If ``a`` is not numeric, or ``min_count`` or ``axis`` is not an integer.
    ValueError
        If ``a`` is 0-d, ``axis`` is out of bounds or ``min_count`` is below 1.

    See Also
    --------
    move_median : The median of a moving window.

    Examples
    --------
    >>> import numpy as np
    >>> import rollmed
    >>> rollmed.expanding_median(np.array([2.0, 3.0, 4.0, np.nan, 10.0]))
    array([2. , 2.5, 3. , 3. , 3.5])
    """
    array = _checks.check_array(a)
    axis = _checks.check_axis(axis, array.ndim)
    min_count = _checks.check_at_least("min_count", min_count, 1)
    offsets = (-array.shape[axis], 1)
    return _along_axis(array, axis, offsets, min_count, _statistics.MEDIAN, expanding=True)


def move_quantile(
    a: npt.ArrayLike,
    window: int,
    q: float | Sequence[float],
    min_count: int | None = None,
    axis: int = -1,
    interpolation: str = "linear",
) -> np.ndarray:
    """Moving window quantile along the specified axis, ignoring NaNs.

    :func:`move_median` for any quantile, with pandas' interpolation modes: the two
    heaps split at the order statistic ``q`` asks for. ``q = 0.5`` with linear
    interpolation is the median, bit for bit. Several quantiles are computed in one pass.

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats (float16, float32, float64), of
        any dimension, memory layout and byte order. It is not modified.
    window : int
        The number of elements in the moving window, from 1 to ``a.shape[axis]``.
    q : float or sequence of floats
        The quantile, from 0 to 1; or several, which add a last axis to the result.
    min_count : int, optional
        The least number of non-NaN values a window must hold to give a result; the
        others give NaN. From 1 to ``window``; by default ``window``.
    axis : int, optional
        The axis along which to move the window. By default the last axis.
    interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
        How to read a quantile that falls between two values ``i <= j`` at fraction
        ``f``: ``i + (j - i) * f``, ``i``, ``j``, ``(i + j) / 2``, the nearer one (half
        to even, as pandas), or the floor of the midpoint.

    Returns
    -------
    numpy.ndarray
        The moving quantile, of the shape of ``a`` (and ``len(q)`` more along a new last
        axis for a sequence ``q``), with :func:`move_median`'s dtype rule.

    Raises
    ------
    TypeError
        If ``a`` is not numeric, or ``window``, ``min_count``, ``axis`` or ``q`` has the wrong type.
    ValueError
        If ``a`` is 0-d, ``axis`` is out of bounds, ``window`` is not in ``[1,
        a.shape[axis]]``, ``min_count`` not in ``[1, window]``, ``q`` not in ``[0, 1]``
        or ``interpolation`` unknown.

    See Also
    --------
    move_median : The moving median.

    Examples
    --------
    >>> import numpy as np
    >>> import rollmed
    >>> a = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 6.0])
    >>> rollmed.move_quantile(a, window=4, q=0.9)
    array([nan, nan, nan, 3.7, 8.2, 8.8])
    >>> rollmed.move_quantile(a, window=4, q=0.9, interpolation="lower")
    array([nan, nan, nan,  3.,  4.,  6.])
    >>> rollmed.move_quantile(a, window=4, q=[0.1, 0.9])[-1]
    array([3.3, 8.8])
    """
    array, axis, window, min_count = _check_moving(a, window, min_count, axis)
    statistic, several = _statistics.quantiles(q, interpolation)
    return _along_axis(array, axis, (1 - window, 1), min_count, statistic, several=several)


def move_mad(a: npt.ArrayLike, window: int, min_count: int | None = None, axis: int = -1) -> np.ndarray:
    """Moving window median absolute deviation along the specified axis, ignoring NaNs.

    The median over each window of ``|x - median(window)|``: on finite data, bit for bit
    ``np.nanmedian(np.abs(w - np.nanmedian(w)))`` of each window ``w``. Infinities
    follow that formula too: a value at an infinite median of its own sign has no
    distance (it is left out), any other value is infinitely far from an infinite median.

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats, of any dimension, memory layout and
        byte order. It is not modified.
    window : int
        The number of elements in the moving window, from 1 to ``a.shape[axis]``.
    min_count : int, optional
        The least number of non-NaN values a window must hold to give a result; the
        others give NaN. From 1 to ``window``; by default ``window``.
    axis : int, optional
        The axis along which to move the window. By default the last axis.

    Returns
    -------
    numpy.ndarray
        The moving MAD, of the shape of ``a``, with :func:`move_median`'s dtype rule.

    Raises
    ------
    TypeError, ValueError
        As :func:`move_median`.

    See Also
    --------
    move_median : The moving median.

    Examples
    --------
    >>> import numpy as np
    >>> import rollmed
    >>> rollmed.move_mad(np.array([1.0, 2.0, 4.0, 8.0, 16.0, 1.0]), window=3)
    array([nan, nan,  1.,  2.,  4.,  7.])
    """
    array, axis, window, min_count = _check_moving(a, window, min_count, axis)
    return _along_axis(array, axis, (1 - window, 1), min_count, _statistics.MedianAbsoluteDeviation())


def move_rank(a: npt.ArrayLike, window: int, min_count: int | None = None, axis: int = -1) -> np.ndarray:
    """Moving window rank of the last element, normalised to [-1, 1], ignoring NaNs.

    A drop-in replacement for ``bottleneck.move_rank``: the rank of each element among
    the values of the window that ends at it, ties averaged, scaled so that the
    smallest is -1 and the largest 1 (0 for a window of one value); NaN where the
    element is NaN or the window holds fewer than ``min_count`` values. Infinities are
    values; integers are ranked exactly, as bottleneck ranks them (beyond ``2**53``, where
    their float64 values would tie).

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats, of any dimension, memory layout and
        byte order. It is not modified.
    window : int
        The number of elements in the moving window, from 1 to ``a.shape[axis]``.
    min_count : int, optional
        The least number of non-NaN values a window must hold to give a result. From 1
        to ``window``; by default ``window``.
    axis : int, optional
        The axis along which to move the window. By default the last axis.

    Returns
    -------
    numpy.ndarray
        The moving rank, of the shape of ``a``, with :func:`move_median`'s dtype rule.

    Raises
    ------
    TypeError, ValueError
        As :func:`move_median`.

    Examples
    --------
    >>> import numpy as np
    >>> import rollmed
    >>> rollmed.move_rank(np.array([1.0, 3.0, 2.0, 2.0, 5.0]), window=3)
    array([ nan,  nan,  0. , -0.5,  1. ])
    """
    array, axis, window, min_count = _check_moving(a, window, min_count, axis)
    if array.dtype.kind not in "iu":
        return _along_axis(array, axis, (1 - window, 1), min_count, _statistics.Rank("normalized"))
    # Integers are ranked exactly, as bottleneck ranks them (beyond 2**53 too) ...
    comparable = _values.comparable_floats(array)
    if array.dtype not in _BOTTLENECK_INTEGERS:
        return _along_axis(comparable, axis, (1 - window, 1), min_count, _statistics.Rank("normalized"))
    # ... and int64 and int32 normalised in the arithmetic of its integer code.
    average = _along_axis(
        comparable, axis, (1 - window, 1), min_count, _statistics.rank("average", True, False)
    )
    return _bottleneck_integer_ranks(average, axis, window)


# The dtypes bottleneck's move_rank runs integer code for: it scales a full window's rank
# by a precomputed 0.5 / (window - 1), which rounds otherwise than its float code.
_BOTTLENECK_INTEGERS = (np.dtype(np.int64), np.dtype(np.int32))


def _bottleneck_integer_ranks(average: np.ndarray, axis: int, window: int) -> np.ndarray:
    """The ranks of bottleneck's integer move_rank from each window's average rank (1 to its count)."""
    below_twice = 2.0 * average - 2.0  # bottleneck's g + e - 1: twice the values below, ties halved
    index = np.arange(average.shape[axis]).reshape([-1 if d == axis else 1 for d in range(average.ndim)])
    with np.errstate(invalid="ignore", divide="ignore"):
        # Up to the first full window, divided by the count less one (the float code's way) ...
        filling = 2.0 * ((0.5 * below_twice) / index - 0.5)
        # ... then scaled by 0.5 / (window - 1), which can round otherwise.
        sliding = 2.0 * ((0.5 * 1.0 / (window - 1)) * below_twice - 0.5) if window > 1 else 0.0
    ranks = np.where(index == 0, 0.0, np.where(index < window, filling, sliding))
    return np.where(np.isnan(average), np.nan, ranks)
