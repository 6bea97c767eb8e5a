"""The NumPy layer: validate, coerce, compute window bounds, handle the axis.

Nothing here is jitted; the kernels (rollmed._kernels) are imported on the first
call, so that ``import rollmed`` neither imports numba nor compiles anything.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

# Codes shared with rollmed._kernels; kept here so that validation does not import numba.
INTERPOLATIONS = {"linear": 0, "lower": 1, "higher": 2, "midpoint": 3, "nearest": 4}
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


# Elements per task when the work is split across threads. The split depends on the
# data alone, never on the thread count, so results are the same on any number of threads.
_SPAN = 1 << 16


def _spans(n_rows: int, length: int, window: int) -> list[tuple[int, int, int, int]]:
    """Split rows x elements into tasks ``(row_start, row_stop, first, last)`` of similar size."""
    # Each span refills a window before its first output: keep that overhead under ~1/8.
    span = max(_SPAN, 8 * min(window, length))
    if length >= 2 * span:
        return [
            (row, row + 1, first, min(first + span, length))
            for row in range(n_rows)
            for first in range(0, length, span)
        ]
    rows_per_task = max(1, span // length)
    return [(row, min(row + rows_per_task, n_rows), 0, length) for row in range(0, n_rows, rows_per_task)]


def rolling_along_axis(
    array: np.ndarray,
    axis: int,
    window: int,
    shift: int,
    min_count: int,
    q: float,
    interpolation: int,
) -> np.ndarray:
    """Run the engine over fixed windows along ``axis`` of a validated array; a float64 result.

    The window of element ``i`` is ``[i + shift + 1 - window, i + shift + 1)``, clipped
    to the axis; ``window`` may exceed the axis length (then it is the expanding window).
    """
    from rollmed import _kernels, _threads

    moved = np.moveaxis(array, axis, -1)
    length = moved.shape[-1]
    if moved.size == 0:
        return np.full(array.shape, np.nan)
    rows = np.ascontiguousarray(moved, dtype=np.float64).reshape(-1, length)
    # One read-only C-contiguous float64 signature: the kernels compile once, and
    # cannot write to the caller's data even when no copy was made.
    rows = rows.view()
    rows.flags.writeable = False
    out = np.empty(rows.shape, np.float64)

    def run_span(row_start: int, row_stop: int, first: int, last: int) -> None:
        _kernels.rolling_rows(
            rows, window, shift, min_count, q, interpolation, out, row_start, row_stop, first, last
        )

    _threads.run(_spans(*rows.shape, window), run_span)
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


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
    array = _as_array(a)
    axis = _normalize_axis(axis, array.ndim)
    window = _check_integer("window", window)
    length = array.shape[axis]
    if not 1 <= window <= length:
        raise ValueError(f"`window` (={window}) must be between 1 and {length}, inclusive")
    if min_count is None:
        min_count = window
    else:
        min_count = _check_integer("min_count", min_count)
        if not 1 <= min_count <= window:
            raise ValueError(f"`min_count` (={min_count}) must be between 1 and window (={window})")
    out = rolling_along_axis(array, axis, window, 0, min_count, *_MEDIAN)
    return out.astype(_result_dtype(array.dtype), copy=False)


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
    length = array.shape[axis]
    out = rolling_along_axis(array, axis, max(length, 1), 0, min_count, *_MEDIAN)
    return out.astype(_result_dtype(array.dtype), copy=False)
