"""Slow, obviously-correct references: one np.nanmedian per window, pandas' window rules.

Every kernel and fast path of rollmed is checked against these. They share no code
with the package.
"""

import numpy as np


def median_of(values):
    """The median of the non-NaN ``values``: np.nanmedian, except where the midpoint overflows."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    with np.errstate(over="ignore", invalid="ignore"):
        median = np.median(values)
    if np.isinf(median):
        ordered = np.sort(values)
        low, high = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
        if np.isfinite(low) and np.isfinite(high):  # only the sum overflowed
            median = low / 2 + high / 2
    return median


def window_bounds(n, window, center=False):
    """pandas' FixedWindowIndexer: the rows ``[start, end)`` of each row's window."""
    shift = (window - 1) // 2 if center else 0
    raw_end = np.arange(n) + shift + 1
    return np.clip(raw_end - window, 0, n), np.clip(raw_end, 0, n)


def rolling_median(values, window, min_count=None, center=False):
    """The rolling median of a 1-D array, NaN where fewer than ``min_count`` values are present."""
    values = np.asarray(values, dtype=np.float64)
    min_count = window if min_count is None else min_count
    out = np.full(len(values), np.nan)
    for i, (start, end) in enumerate(zip(*window_bounds(len(values), window, center), strict=True)):
        present = values[start:end][~np.isnan(values[start:end])]
        if len(present) >= max(min_count, 1):
            out[i] = median_of(present)
    return out


def expanding_median(values, min_count=1):
    """The running median of a 1-D array."""
    return rolling_median(values, max(len(values), 1), min_count)


def move_median_nd(a, window, min_count=None, axis=-1):
    """``rolling_median`` along one axis of an N-d array."""
    a = np.asarray(a)
    if a.size == 0:
        return np.zeros(a.shape)
    out = np.apply_along_axis(rolling_median, axis, a.astype(np.float64), window, min_count)
    return out.reshape(a.shape)
