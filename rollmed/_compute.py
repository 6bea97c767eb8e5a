"""What the pandas accessors share: keys to groups, a plan and a statistic applied to columns.

The accessors (rollmed.accessor, rollmed._frame_accessor) check the dtype, read their
arguments and rebox; this module turns keys into group codes, ``window`` into a plan
(``None`` is expanding) and runs a statistic over unboxed columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _plans, _statistics, _values


def group_codes(keys: list[Any], n: int) -> np.ndarray:
    """A group number per row from one or more key arrays; -1 where a key is missing.

    pandas' groupby drops the rows of a missing key; here they get no result.
    """
    for key in keys:
        if len(key) != n:
            raise ValueError(f"`by` must have one key per row ({n}), got {len(key)}")
    if len(keys) > 1:
        # Plain arrays, so that groupby matches keys to rows by position, not by index label.
        arrays = [np.asarray(key) for key in keys]
        numbers_ = pd.Series(np.zeros(n)).groupby(arrays, sort=False, dropna=True).ngroup()
        return numbers_.fillna(-1).to_numpy(dtype=np.int64)
    key = keys[0]
    dtype = getattr(key, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        # Integers of a range not much wider than the data are their own group numbers (less
        # the smallest): no hashing, which took most of a grouped median of 1e6 rows. Groups
        # that no row has cost nothing later.
        numbers_ = np.asarray(key)
        if numbers_.size and int(numbers_.max()) - int(numbers_.min()) < 4 * n:
            return (numbers_ - numbers_.min()).astype(np.int64)
    return pd.factorize(key, use_na_sentinel=True)[0].astype(np.int64, copy=False)


def key_columns(columns: pd.Index, by: Any) -> list[Any]:
    """The names of a frame's ``by`` columns (one name or a list; none for None), checked."""
    names = [] if by is None else by if isinstance(by, list) else [by]
    missing = [name for name in names if name not in columns]
    if missing:
        raise KeyError(f"`by` names columns that do not exist: {missing!r}")
    return names


def series_keys(by: Any, series: pd.Series) -> Any:
    """A Series' ``by``: one key per row, as an array, list, Series (aligned on the index) or Index."""
    if isinstance(by, pd.Series):
        # pandas aligns a Series of keys on the index
        return by if by.index.equals(series.index) else by.reindex(series.index)
    if isinstance(by, (pd.Index, pd.api.extensions.ExtensionArray)):
        return by
    if isinstance(by, (str, bytes)) or np.ndim(by) == 0:
        raise TypeError(
            f"`by` of a Series must be keys, one per row (an array, list, Series or Index), got {by!r}"
        )
    keys = np.asarray(by)
    if keys.ndim != 1:
        raise ValueError(f"`by` of a Series must be one-dimensional, one key per row, got shape {keys.shape}")
    return keys


def plan(
    n: int, window: Any, min_periods: Any, center: Any, closed: Any, step: Any, times: Any, codes: Any
) -> _plans.Plan:
    """The plan of a window (``None``: expanding, where only ``min_periods`` applies, by default 1)."""
    if window is not None:
        return _plans.plan_window(n, window, min_periods, center, closed, step, times, codes)
    given = [("center", center)] if _checks.check_flag("center", center) else []
    given += [(name, value) for name, value in (("closed", closed), ("step", step)) if value is not None]
    if given:
        name, value = given[0]
        raise ValueError(f"`{name}` does not go with window=None (the expanding window), got {value!r}")
    return _plans.plan_expanding(n, 1 if min_periods is None else min_periods, codes)


def run(
    plan: _plans.Plan,
    columns: list[pd.Series],
    statistic: _statistics.Statistic,
    interpolation: str = "linear",
) -> list[list[Any]]:
    """Each column's results under ``plan``: a list of one array per output of ``statistic``.

    Integer columns are exact where the statistic selects values (quantiles read with an
    exact ``interpolation``); float columns run together, split across threads.
    """
    exact_modes = isinstance(statistic, _statistics.Quantiles)
    unboxed = [_values.unbox_series(column, interpolation if exact_modes else "linear") for column in columns]
    results: list[Any] = [None] * len(unboxed)
    floats = [i for i, column in enumerate(unboxed) if not column.exact]
    if len(floats) > 1:
        stacked = plan.run_stacked(np.stack([unboxed[i].values for i in floats]), statistic)
        for i, out in zip(floats, stacked, strict=True):
            results[i] = out
    for i, column in enumerate(unboxed):
        if results[i] is None:
            out, out_valid = plan.run(column.values, column.valid, statistic)
            results[i] = (out, out_valid)
    reboxed = []
    for column, result in zip(unboxed, results, strict=True):
        out, out_valid = result if isinstance(result, tuple) else (result, None)
        reboxed.append(
            [
                column.rebox(out[:, k], None if out_valid is None else out_valid[:, k])
                for k in range(out.shape[1])
            ]
        )
    return reboxed


HAMPEL_FIELDS = ("median", "mad", "threshold", "outlier", "filtered")


def hampel_center(window: Any, center: Any) -> bool:
    """Whether a Hampel filter's windows are centred: ``center``, checked, but never when expanding.

    The filter is centred by default; ``window=None`` (the running Hampel filter, each row
    judged against every row up to it) has no rows after its own to centre on, so the
    default does not make it an error.
    """
    return _checks.check_flag("center", center) and window is not None


def hampel(values: np.ndarray, median: np.ndarray, mad: np.ndarray, n_sigmas: float, scale: float) -> dict:
    """The Hampel filter from each row's window median and MAD: every field of :data:`HAMPEL_FIELDS`.

    A value is an outlier when ``|x - median| > n_sigmas * scale * mad``; it is replaced
    by its median. A missing value, median or MAD flags nothing.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf: no threshold, nothing flagged
        threshold = n_sigmas * scale * mad
        outlier = np.abs(values - median) > threshold
    filtered = np.where(outlier, median, values)
    return {"median": median, "mad": mad, "threshold": threshold, "outlier": outlier, "filtered": filtered}
