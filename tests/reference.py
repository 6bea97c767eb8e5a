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
    """pandas' FixedWindowIndexer: the rows ``[start, end)`` of each row's window (None: expanding)."""
    if window is None:
        return np.zeros(n, dtype=np.int64), np.arange(1, n + 1)
    shift = (window - 1) // 2 if center else 0
    raw_end = np.arange(n) + shift + 1
    return np.clip(raw_end - window, 0, n), np.clip(raw_end, 0, n)


def rolling(values, window, min_count, center, reduce):
    """``reduce`` of the non-NaN values of each window, NaN where fewer than ``min_count`` are present."""
    values = np.asarray(values, dtype=np.float64)
    min_count = window if min_count is None else min_count
    out = np.full(len(values), np.nan)
    for i, (start, end) in enumerate(zip(*window_bounds(len(values), window, center), strict=True)):
        present = values[start:end][~np.isnan(values[start:end])]
        if len(present) >= max(min_count, 1):
            out[i] = reduce(present)
    return out


def rolling_median(values, window, min_count=None, center=False):
    """The rolling median of a 1-D array, with pandas' window rules."""
    return rolling(values, window, min_count, center, median_of)


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


def linear_quantile(low, high, fraction):
    """pandas' ``low + (high - low) * fraction`` where it is a number; else its limit.

    Infinities are values: the quantile between -inf and anything finite is -inf,
    between -inf and -inf it is -inf, between -inf and +inf there is none (NaN). Where
    only ``high - low`` overflows, the same formula at half scale.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        pandas = low + (high - low) * fraction
    if np.isfinite(pandas):
        return pandas
    if np.isinf(low) and np.isinf(high):
        return low if low == high else np.nan
    if np.isinf(low) or np.isinf(high):
        return low if np.isinf(low) else high
    return 2 * (low / 2 + (high / 2 - low / 2) * fraction)


def quantile_of(values, q, interpolation):
    """pandas' quantile of the non-NaN ``values``: the order statistics at ``q * (n - 1)``.

    Selections (lower, higher, nearest) are np.nanquantile's; linear is pandas'
    ``low + (high - low) * fraction`` with infinities as values (:func:`linear_quantile`);
    midpoint and floor use the exact midpoint.
    """
    values = np.asarray(values, dtype=np.float64)
    values = np.sort(values[~np.isnan(values)])
    if interpolation in ("lower", "higher", "nearest"):
        return np.quantile(values, q, method=interpolation)
    rank = q * (len(values) - 1)
    low_index = int(rank)
    low, high = values[low_index], values[min(low_index + 1, len(values) - 1)]
    fraction = rank - low_index
    if fraction == 0:
        return low
    if interpolation == "linear":
        return linear_quantile(low, high, fraction)
    midpoint = median_of([low, high])
    return np.floor(midpoint) if interpolation == "floor" else midpoint


def rolling_quantile(values, window, q, interpolation, min_count=None, center=False):
    """The rolling quantile of a 1-D float array with pandas' window rules."""
    return rolling(values, window, min_count, center, lambda present: quantile_of(present, q, interpolation))


def exact_rolling_quantile(values, window, q, interpolation, min_count=None):
    """The rolling quantile of Python integers (None is missing), exactly, in Python integers."""
    min_count = window if min_count is None else min_count
    out = []
    for start, end in zip(*window_bounds(len(values), window), strict=True):
        present = sorted(v for v in values[start:end] if v is not None)
        if len(present) < max(min_count, 1):
            out.append(None)
            continue
        rank = q * (len(present) - 1)
        low_index = int(rank)
        low, high = present[low_index], present[min(low_index + 1, len(present) - 1)]
        fraction = rank - low_index
        if fraction == 0 or interpolation == "lower":
            out.append(low)
        elif interpolation == "higher":
            out.append(high)
        elif interpolation == "nearest":
            half_even = low if low_index % 2 == 0 else high
            out.append(half_even if fraction == 0.5 else (low if fraction < 0.5 else high))
        else:  # floor
            out.append((low + high) // 2)
    return out


def rolling_over_bounds(values, start, end, min_count, reduce):
    """``reduce(present, j)`` of the non-NaN values of each window ``[start[j], end[j])``.

    NaN where fewer than ``max(min_count, 1)`` values are present.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(start), np.nan)
    for j, (first, last) in enumerate(zip(start, end, strict=True)):
        window = values[first:last]
        present = window[~np.isnan(window)]
        if len(present) >= max(min_count, 1):
            out[j] = reduce(present, j)
    return out


def mad_of(values):
    """The median of the distances of the non-NaN ``values`` from their median: np.nanmedian's formula.

    As ``np.nanmedian(np.abs(w - np.nanmedian(w)))``, with :func:`median_of` for both
    medians (finite where only a midpoint's sum overflows); a distance that is NaN (an
    infinite value at an infinite median of its sign) is left out, as nanmedian leaves it.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    with np.errstate(invalid="ignore", over="ignore"):
        distances = np.abs(values - median_of(values))
    distances = distances[~np.isnan(distances)]
    return median_of(distances) if len(distances) else np.nan


def rank_in(present, value, method="average", ascending=True, pct=False):
    """pandas' rank of ``value`` among the non-NaN ``present`` values (NaN for a NaN value)."""
    if np.isnan(value):
        return np.nan
    below = np.sum(present < value) if ascending else np.sum(present > value)
    equal = np.sum(present == value)
    rank = {"min": below + 1, "max": below + equal, "average": below + (equal + 1) / 2}[method]
    return rank / len(present) if pct else float(rank)


def normalized_rank(present, value):
    """bottleneck's move_rank of ``value`` among ``present``: the average rank scaled to [-1, 1]."""
    if np.isnan(value):
        return np.nan
    if len(present) == 1:
        return 0.0
    below = np.sum(present < value)
    equal = np.sum(present == value)
    return 2.0 * ((below + (equal - 1) / 2) / (len(present) - 1)) - 1.0


def hampel(values, window, n_sigmas, scale, min_count=1, center=True):
    """The Hampel filter by hand: per row, its window's median and MAD, and the replaced value."""
    values = np.asarray(values, dtype=np.float64)
    starts, ends = window_bounds(len(values), window, center)
    median = rolling_over_bounds(values, starts, ends, min_count, lambda present, _: median_of(present))
    mad = rolling_over_bounds(values, starts, ends, min_count, lambda present, _: mad_of(present))
    with np.errstate(invalid="ignore", over="ignore"):
        outlier = np.abs(values - median) > n_sigmas * scale * mad
    return np.where(outlier, median, values), outlier
