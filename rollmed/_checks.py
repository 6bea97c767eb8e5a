"""The argument checks every layer calls: one rule, one place, one message.

Each check takes the parameter's name, so the message names it and the value it got.
Values out of range raise :class:`ArgumentError` (a ValueError that also carries the
name, the value and the rule), so that the command line can restate the same rule in
its own words (``--window must be at least 1, got 0``); values of the wrong type raise
TypeError. Nothing here imports numba or pandas.

Naming: ``min_periods`` is pandas' word (0 allowed; the accessors and streams speak it),
``min_count`` bottleneck's (at least 1; the NumPy functions speak it).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

# How a quantile between two order statistics is read; the codes are the kernels'.
INTERPOLATIONS = {"linear": 0, "lower": 1, "higher": 2, "midpoint": 3, "nearest": 4, "floor": 5}
# The modes whose result is one of the values (or, for floor, an integer): exact on integers.
EXACT_INTERPOLATIONS = frozenset({"lower", "higher", "nearest", "floor"})
# pandas' median, (a + b) / 2 of the two middle values, as a quantile and its reading.
MEDIAN_QUANTILE = (0.5, INTERPOLATIONS["midpoint"])
CLOSED = ("right", "left", "both", "neither")
STREAM_DTYPES = ("float64", "int64", "uint64")

_INT64_MAX = np.iinfo(np.int64).max


class ArgumentError(ValueError):
    """An argument out of range: its name, the value and the rule the value breaks.

    Parameters
    ----------
    name : str
        The parameter, as the caller spelled it.
    value : object
        The value it got.
    rule : str
        What the value must be, completing "must be ...": ``"at least 1"``.
    message : str, optional
        The whole message, where the default ``"`name` (=value) must be rule"`` does not fit.
    """

    def __init__(self, name: str, value: Any, rule: str, message: str | None = None) -> None:
        super().__init__(message or f"`{name}` (={value!r}) must be {rule}")
        self.name = name
        self.value = value
        self.rule = rule


def is_integer(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_integer(name: str, value: Any) -> int:
    """``value`` as an int that fits the kernels' int64: a TypeError or ValueError naming ``name``."""
    if not is_integer(value):
        raise TypeError(f"`{name}` must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if abs(value) > _INT64_MAX:
        raise ArgumentError(name, value, "between -(2**63 - 1) and 2**63 - 1")
    return value


def check_at_least(name: str, value: Any, lowest: int) -> int:
    """An integer of at least ``lowest``."""
    value = check_integer(name, value)
    if value < lowest:
        raise ArgumentError(name, value, f"at least {lowest}")
    return value


def check_flag(name: str, value: Any) -> bool:
    """A bool (Python or NumPy), not a truthy stand-in such as 1 or ``"yes"``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {value!r}")
    return bool(value)


def check_row_window(window: Any, name: str = "window") -> int:
    """A window of a number of rows: an integer, at least 1 (it may exceed the data)."""
    return check_at_least(name, window, 1)


def check_min_periods(min_periods: Any, window: int | None, name: str = "min_periods") -> int:
    """Pandas' ``min_periods``: from 0 to the window (when the window is a number of rows)."""
    min_periods = check_at_least(name, min_periods, 0)
    if window is not None and min_periods > window:
        raise ArgumentError(name, min_periods, f"<= window (={window})")
    return min_periods


def check_min_count(min_count: Any, window: int) -> int:
    """Bottleneck's ``min_count``: from 1 to the window; None means the window."""
    if min_count is None:
        return window
    min_count = check_integer("min_count", min_count)
    if not 1 <= min_count <= window:
        raise ArgumentError("min_count", min_count, f"between 1 and window (={window})")
    return min_count


def check_window_within(window: Any, length: int) -> int:
    """Bottleneck's ``window``: from 1 to the length of the axis it moves along."""
    window = check_integer("window", window)
    if not 1 <= window <= length:
        raise ArgumentError("window", window, f"between 1 and {length}, inclusive")
    return window


def check_axis(axis: Any, ndim: int) -> int:
    """An axis of an array of ``ndim`` dimensions, negative counting from the end; non-negative."""
    axis = check_integer("axis", axis)
    if not -ndim <= axis < ndim:
        raise ArgumentError(
            "axis", axis, "a dimension", f"`axis` (={axis}) is out of bounds for an array of dimension {ndim}"
        )
    return axis % ndim


def check_closed(closed: Any) -> str | None:
    """Pandas' ``closed``: which ends of a window it includes."""
    if closed is not None and closed not in CLOSED:
        raise ArgumentError("closed", closed, f"one of {', '.join(map(repr, CLOSED))} or None")
    return closed


def check_step(step: Any) -> int | None:
    """Pandas' ``step``: None, or a result for every ``step``-th row."""
    return None if step is None else check_at_least("step", step, 1)


def check_scale(scale: Any, name: str = "scale") -> float:
    """A factor of the MAD: a finite number, at least 0.

    Examples
    --------
    >>> from rollmed import _checks
    >>> _checks.check_scale(1.4826)
    1.4826
    >>> _checks.check_scale(-1.0)
    Traceback (most recent call last):
    ...
    rollmed._checks.ArgumentError: `scale` (=-1.0) must be a finite number, at least 0
    """
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {scale!r}")
    if not (np.isfinite(scale) and scale >= 0):
        raise ArgumentError(name, scale, "a finite number, at least 0")
    return float(scale)


def check_n_sigmas(n_sigmas: Any, name: str = "n_sigmas") -> float:
    """The Hampel filter's threshold in scaled MADs: a finite number, at least 0.

    Examples
    --------
    >>> from rollmed import _checks
    >>> _checks.check_n_sigmas(3)
    3.0
    """
    if isinstance(n_sigmas, (bool, np.bool_)) or not isinstance(n_sigmas, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {n_sigmas!r}")
    if not (np.isfinite(n_sigmas) and n_sigmas >= 0):
        raise ArgumentError(name, n_sigmas, "a finite number, at least 0")
    return float(n_sigmas)


def check_quantile(q: Any, interpolation: Any) -> tuple[float, int]:
    """Validate ``q`` and ``interpolation``; the pair of kernel arguments that reads them.

    At ``q = 0.5``, linear interpolation is the median, read as ``(a + b) / 2``
    exactly as pandas' ``median()``: ``a + (b - a) * 0.5`` can differ in the last bit.
    """
    if isinstance(q, (bool, np.bool_)) or not isinstance(q, numbers.Real):
        raise TypeError(f"`q` must be a number between 0 and 1, got {q!r}")
    if not 0 <= q <= 1:
        raise ArgumentError("q", q, "between 0 and 1", f"`q` must be between 0 and 1, got {q!r}")
    if interpolation not in INTERPOLATIONS:
        raise ArgumentError(
            "interpolation",
            interpolation,
            f"one of {', '.join(map(repr, INTERPOLATIONS))}",
            f"`interpolation` must be one of {', '.join(map(repr, INTERPOLATIONS))}, got {interpolation!r}",
        )
    if interpolation == "linear" and q == 0.5:
        return MEDIAN_QUANTILE
    return float(q), INTERPOLATIONS[interpolation]


def check_array(a: Any) -> np.ndarray:
    """``a`` as an array of a dtype rollmed computes on: bool, integers or float16/32/64, at least 1-d."""
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


def check_bounds(start: Any, end: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Window bounds from an indexer: int arrays in ``[0, n]``, ``start <= end``, never moving back."""
    start = np.asarray(start)
    end = np.asarray(end)
    if start.dtype.kind not in "iu" or end.dtype.kind not in "iu" or start.shape != end.shape:
        raise ValueError("window bounds must be two integer arrays of one length")
    if len(start) and (start.min() < 0 or end.max() > n or np.any(start > end)):
        raise ValueError(f"window bounds must satisfy 0 <= start <= end <= {n}")
    if np.any(np.diff(start) < 0) or np.any(np.diff(end) < 0):
        raise ValueError("rollmed needs window bounds that never move backwards (monotone start and end)")
    return start.astype(np.int64, copy=False), end.astype(np.int64, copy=False)


def check_num_threads(n: Any, name: str = "n") -> int:
    """A number of threads: an integer, at least 1."""
    return check_at_least(name, n, 1)


def check_stream_dtype(dtype: Any, interpolation: str) -> str:
    """A stream's dtype: float64, or int64 / uint64 for exact integers with an exact interpolation."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in STREAM_DTYPES:
        raise ArgumentError("dtype", dtype, "'float64', 'int64' or 'uint64'")
    if name != "float64" and interpolation not in EXACT_INTERPOLATIONS:
        raise ArgumentError(
            "dtype", dtype, "float64 for this interpolation",
            f"`dtype` (={dtype!r}) gives exact integers with interpolation 'lower', 'higher', 'nearest' "
            f"or 'floor' only, got interpolation={interpolation!r}",
        )  # fmt: skip
    return name
