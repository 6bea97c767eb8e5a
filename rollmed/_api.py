"""The NumPy layer: validate, coerce, compute window bounds, handle the axis.

Nothing here is jitted; the kernels (rollmed._kernels) are imported on the first
call, so that ``import rollmed`` neither imports numba nor compiles anything.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

# Codes shared with rollmed._kernels; kept here so that validation does not import numba.
INTERPOLATIONS = {"linear": 0, "lower": 1, "higher": 2, "midpoint": 3, "nearest": 4, "floor": 5}
# The modes whose result is one of the values (or, for floor, an integer): exact on integers.
EXACT_INTERPOLATIONS = frozenset({"lower", "higher", "nearest", "floor"})
_MEDIAN = (0.5, INTERPOLATIONS["midpoint"])  # pandas' median: (a + b) / 2 of the two middle values


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_integer(name: str, value: Any) -> int:
    if not _is_integer(value):
        raise TypeError(f"`{name}` must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


def _as_array(a: npt.ArrayLike) -> np.ndarray:
    """``a`` as an array of a dtype rollmed computes on: bool, integers or float16/32/64."""
    array = np.asarray(a)
    kind = array.dtype.kind
    supported_float = kind == "f" and array.dtype.itemsize <= 8
    if not (kind in "biu" or supported_float):
        raise TypeError(
            f"`a` must hold booleans, integers or floats of at most 64 bits, got dtype {array.dtype}"
        )
    if array.ndim == 0:
        raise ValueError("`a` must have at least one dimension, got a 0-d array")
    return array


def _normalize_axis(axis: Any, ndim: int) -> int:
    axis = _check_integer("axis", axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"`axis` (={axis}) is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def _result_dtype(dtype: np.dtype) -> np.dtype:
    """Apply bottleneck's rule: a float array keeps its dtype, byte order included; others give float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def check_quantile(q: Any, interpolation: Any) -> tuple[float, int]:
    """Validate ``q`` and ``interpolation``; the pair of kernel arguments that reads them.

    At ``q = 0.5``, linear interpolation is the median, read as ``(a + b) / 2``
    exactly as pandas' ``median()``: ``a + (b - a) * 0.5`` can differ in the last bit.
    """
    if isinstance(q, (bool, np.bool_)) or not isinstance(q, numbers.Real):
        raise TypeError(f"`q` must be a number between 0 and 1, got {q!r}")
    if not 0 <= q <= 1:
        raise ValueError(f"`q` must be between 0 and 1, got {q!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"`interpolation` must be one of {', '.join(map(repr, INTERPOLATIONS))}, got {interpolation!r}"
        )
    if interpolation == "linear" and q == 0.5:
        return _MEDIAN
    return float(q), INTERPOLATIONS[interpolation]


def fixed_offsets(window: int, center: bool, closed: str | None) -> tuple[int, int]:
    """The window of result ``i`` as pandas has it: rows ``[i + start, i + end)``, before clipping."""
    shift = (window - 1) // 2 if center else 0
    start, end = shift + 1 - window, shift + 1
    if closed in ("left", "both"):
        start -= 1
    if closed in ("left", "neither"):
        end -= 1
    return start, end


def _read_only(array: np.ndarray) -> np.ndarray:
    # One read-only signature per dtype: the kernels compile once, and cannot write
    # to the caller's data even where no copy was made.
    view = array.view()
    view.flags.writeable = False
    return view


# Results per task when the work is split across threads. The split depends on the
# data alone, never on the thread count, so results are the same on any number of threads.
_SPAN = 1 << 16


def _spans(n_rows: int, n_out: int, width: int) -> list[tuple[int, int, int, int]]:
    """Split rows x results into tasks ``(row_start, row_stop, first, last)`` of similar size."""
    # Each span refills a window before its first result: keep that overhead under ~1/8.
    span = max(_SPAN, 8 * width)
    if n_out >= 2 * span:
        return [
            (row, row + 1, first, min(first + span, n_out))
            for row in range(n_rows)
            for first in range(0, n_out, span)
        ]
    rows_per_task = max(1, span // max(n_out, 1))
    return [(row, min(row + rows_per_task, n_rows), 0, n_out) for row in range(0, n_rows, rows_per_task)]


def run_fixed(
    rows: np.ndarray,
    valid: np.ndarray | None,
    start_offset: int,
    end_offset: int,
    step: int,
    min_count: int,
    q: float,
    interpolation: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Fixed windows along the last axis of a 2-d float64 or int64 array.

    Result ``o`` covers ``[o * step + start_offset, o * step + end_offset)`` clipped to
    the row. Float input gives float64 (NaN where ``min_count`` is not met); int64
    input gives exact int64 results and their validity mask, where ``valid`` (or
    ``None``: all) marks the present values.
    """
    from rollmed import _kernels, _threads

    n_rows, n = rows.shape
    n_out = -(-n // step)
    exact = rows.dtype.kind == "i"
    out = np.empty((n_rows, n_out), np.int64 if exact else np.float64)
    out_valid = np.empty((n_rows, n_out if exact else 0), np.bool_)
    if out.size:
        rows = _read_only(np.ascontiguousarray(rows))
        valid = np.ones((n_rows, 0), np.bool_) if valid is None else np.ascontiguousarray(valid)

        def run_span(row_start: int, row_stop: int, first: int, last: int) -> None:
            _kernels.rolling_rows(
                rows, valid, start_offset, end_offset, step, min_count, q, interpolation,
                out, out_valid, row_start, row_stop, first, last,
            )  # fmt: skip

        _threads.run(_spans(n_rows, n_out, min(end_offset - start_offset, n)), run_span)
    return out, (out_valid if exact else None)


def run_bounds(
    values: np.ndarray,
    valid: np.ndarray | None,
    start: np.ndarray,
    end: np.ndarray,
    min_count: int,
    q: float,
    interpolation: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The windows ``[start[j], end[j])`` of a 1-d float64 or int64 array; see :func:`run_fixed`.

    ``start`` and ``end`` must be monotone non-decreasing (see :func:`check_bounds`).
    """
    from rollmed import _kernels, _threads

    n_out = len(start)
    exact = values.dtype.kind == "i"
    out = np.empty(n_out, np.int64 if exact else np.float64)
    out_valid = np.empty(n_out if exact else 0, np.bool_)
    if n_out:
        values = _read_only(np.ascontiguousarray(values))
        valid = np.empty(0, np.bool_) if valid is None else np.ascontiguousarray(valid)
        start = np.ascontiguousarray(start, dtype=np.int64)
        end = np.ascontiguousarray(end, dtype=np.int64)
        width = int(np.max(end - start))

        def run_span(_row_start: int, _row_stop: int, first: int, last: int) -> None:
            _kernels.rolling_bounds(
                values, valid, start, end, min_count, q, interpolation, out, out_valid, first, last
            )

        _threads.run(_spans(1, n_out, width), run_span)
    return out, (out_valid if exact else None)


def check_bounds(start: Any, end: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate window bounds from an indexer: int arrays in ``[0, n]``, ``start <= end``, monotone."""
    start = np.asarray(start)
    end = np.asarray(end)
    if start.dtype.kind not in "iu" or end.dtype.kind not in "iu" or start.shape != end.shape:
        raise ValueError("window bounds must be two integer arrays of one length")
    if len(start) and (start.min() < 0 or end.max() > n or np.any(start > end)):
        raise ValueError(f"window bounds must satisfy 0 <= start <= end <= {n}")
    if np.any(np.diff(start) < 0) or np.any(np.diff(end) < 0):
        raise ValueError("rollmed needs window bounds that never move backwards (monotone start and end)")
    return start.astype(np.int64, copy=False), end.astype(np.int64, copy=False)


def _along_axis(
    array: np.ndarray, axis: int, start_offset: int, end_offset: int, min_count: int, q: float, code: int
) -> np.ndarray:
    """Fixed windows along ``axis`` of a validated array, with bottleneck's dtype rule."""
    moved = np.moveaxis(array, axis, -1)
    # One copy at most: to float64 in C order, which the reshape then only views.
    as_float = moved.astype(np.float64, order="C", copy=False)
    rows = as_float.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    out, _ = run_fixed(rows, None, start_offset, end_offset, 1, min_count, q, code)
    out = np.moveaxis(out.reshape(moved.shape), -1, axis)
    return out.astype(_result_dtype(array.dtype), copy=False)


def _check_window(window: Any, length: int) -> int:
    window = _check_integer("window", window)
    if not 1 <= window <= length:
        raise ValueError(f"`window` (={window}) must be between 1 and {length}, inclusive")
    return window


def _check_moving(
    a: npt.ArrayLike, window: Any, min_count: Any, axis: Any
) -> tuple[np.ndarray, int, int, int]:
    """The bottleneck-style arguments, validated: the array, its axis, the window and min_count."""
    array = _as_array(a)
    axis = _normalize_axis(axis, array.ndim)
    window = _check_window(window, array.shape[axis])
    return array, axis, window, _check_min_count(min_count, window)


def _check_min_count(min_count: Any, window: int) -> int:
    if min_count is None:
        return window
    min_count = _check_integer("min_count", min_count)
    if not 1 <= min_count <= window:
        raise ValueError(f"`min_count` (={min_count}) must be between 1 and window (={window})")
    return min_count


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
    return _along_axis(array, axis, 1 - window, 1, min_count, *_MEDIAN)


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
    array = _as_array(a)
    axis = _normalize_axis(axis, array.ndim)
    min_count = _check_integer("min_count", min_count)
    if min_count < 1:
        raise ValueError(f"`min_count` (={min_count}) must be at least 1")
    return _along_axis(array, axis, -array.shape[axis], 1, min_count, *_MEDIAN)


def move_quantile(
    a: npt.ArrayLike,
    window: int,
    q: float,
    min_count: int | None = None,
    axis: int = -1,
    interpolation: str = "linear",
) -> np.ndarray:
    """Moving window quantile along the specified axis, ignoring NaNs.

    :func:`move_median` for any quantile, with pandas' interpolation modes: the two
    heaps split at the order statistic ``q`` asks for. ``q = 0.5`` with linear
    interpolation is the median, bit for bit.

    Parameters
    ----------
    a : array_like
        Input array of booleans, integers or floats (float16, float32, float64), of
        any dimension, memory layout and byte order. It is not modified.
    window : int
        The number of elements in the moving window, from 1 to ``a.shape[axis]``.
    q : float
        The quantile, from 0 to 1.
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
        The moving quantile, of the shape of ``a``, with :func:`move_median`'s dtype rule.

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
    """
    array, axis, window, min_count = _check_moving(a, window, min_count, axis)
    q, code = check_quantile(q, interpolation)
    return _along_axis(array, axis, 1 - window, 1, min_count, q, code)
