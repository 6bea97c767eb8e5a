"""Window plans: pandas' window rules turned into what the kernels take.

A plan says which rows each result covers: fixed offsets (fixed, centred and
expanding windows, with ``closed`` and ``step``) or bounds arrays (time windows,
pandas indexers), optionally within groups whose rows are gathered together. Plans
know nothing of the values, so one plan serves every column of a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from rollmed import _api

CLOSED = ("right", "left", "both", "neither")
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


@dataclass(frozen=True)
class Plan:
    """The windows of one call.

    Either ``offsets`` (result ``o`` covers rows ``[o * step + start, o * step + end)``)
    or ``bounds`` (result ``j`` covers ``[start[j], end[j])``), over the rows taken in
    ``order`` (all rows as they are when ``None``; groups gathered otherwise, the rows
    of no group left out and given no result).
    """

    n: int
    min_count: int
    offsets: tuple[int, int] | None = None
    step: int = 1
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    order: np.ndarray | None = None

    def run(self, values: np.ndarray, valid: np.ndarray | None, q: float, interpolation: int):
        """Apply the plan to float64 or int64 ``values``: results and, for integers, their validity."""
        if self.order is not None:
            values = values[self.order]
            valid = None if valid is None else valid[self.order]
        if self.offsets is not None:
            out, out_valid = _api.run_fixed(
                values[np.newaxis],
                None if valid is None else valid[np.newaxis],
                *self.offsets,
                self.step,
                self.min_count,
                q,
                interpolation,
            )
            out, out_valid = out[0], None if out_valid is None else out_valid[0]
        else:
            out, out_valid = _api.run_bounds(values, valid, *self.bounds, self.min_count, q, interpolation)
        if self.order is None:
            return out, out_valid
        # Back to the rows' own order; rows of no group get no result.
        full = np.zeros(self.n, out.dtype) if out_valid is not None else np.full(self.n, np.nan)
        full[self.order] = out
        if out_valid is None:
            return full, None
        full_valid = np.zeros(self.n, np.bool_)
        full_valid[self.order] = out_valid
        return full, full_valid

    def run_stacked(self, rows: np.ndarray, q: float, interpolation: int) -> list[np.ndarray]:
        """Apply the plan to float64 columns stacked as ``rows``: each column's results.

        Fixed windows take all the columns in one call, split across threads.
        """
        if self.offsets is not None:
            out, _ = _api.run_fixed(rows, None, *self.offsets, self.step, self.min_count, q, interpolation)
            return list(out)
        return [self.run(row, None, q, interpolation)[0] for row in rows]

    @property
    def result_rows(self) -> slice:
        """The rows that get a result: every ``step``-th one."""
        return slice(None, None, self.step)


def _check_min_periods(min_periods: Any, window: int | None) -> int:
    min_periods = _api._check_integer("min_periods", min_periods)
    if min_periods < 0:
        raise ValueError(f"`min_periods` (={min_periods}) must be >= 0")
    if window is not None and min_periods > window:
        raise ValueError(f"`min_periods` (={min_periods}) must be <= window (={window})")
    return min_periods


def check_row_window(window: Any) -> int:
    """A window of a number of rows: an integer, at least 1."""
    window = _api._check_integer("window", window)
    if window < 1:
        raise ValueError(f"`window` (={window}) must be >= 1")
    return window


def is_time_span(window: Any) -> bool:
    """Whether ``window`` is a span of time (``"5min"``, a timedelta, an offset) rather than rows."""
    return isinstance(window, (str, timedelta, pd.offsets.BaseOffset))


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a bool, got {value!r}")
    return bool(value)


def _check_closed(closed: Any) -> str | None:
    if closed is not None and closed not in CLOSED:
        raise ValueError(f"`closed` must be one of {', '.join(map(repr, CLOSED))} or None, got {closed!r}")
    return closed


def group_order(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows gathered by group, in row order within each; and where each group starts.

    ``codes`` are group numbers from 0, -1 for rows of no group (a missing key), which
    are left out. Returns ``order`` and ``segments`` (``order[segments[g]:segments[g +
    1]]`` are the rows of group ``g``).
    """
    from rollmed import _kernels

    codes = np.ascontiguousarray(codes, dtype=np.int64)
    return _kernels.group_order(codes, int(codes.max(initial=-1)) + 1)


def _fixed_bounds_in_groups(segments: np.ndarray, start_offset: int, end_offset: int):
    """The bounds of fixed windows that never cross a group's edges (rows gathered by group)."""
    sizes = np.diff(segments)
    group_start = np.repeat(segments[:-1], sizes)
    group_size = np.repeat(sizes, sizes)
    local = np.arange(segments[-1]) - group_start
    start = group_start + np.clip(local + start_offset, 0, group_size)
    end = group_start + np.clip(local + end_offset, 0, group_size)
    return start, end


def _time_unit_and_values(times: pd.Index) -> tuple[str, np.ndarray]:
    if not isinstance(times, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        raise ValueError(
            "a time window needs a DatetimeIndex (or a datetime column named by `on`), "
            f"got {type(times).__name__} of dtype {times.dtype}"
        )
    if times.hasnans:
        raise ValueError("a time window needs an index without NaT")
    return times.unit, times.asi8


def _time_window_nanos(window: Any) -> int:
    try:
        nanos = pd.tseries.frequencies.to_offset(window).nanos
    except (TypeError, ValueError) as err:
        raise ValueError(f"`window` (={window!r}) is not a number of rows nor a fixed time span") from err
    if nanos < 0:
        raise ValueError(f"`window` (={window!r}) must not be negative")
    return nanos


def _time_window_size(nanos: int, unit: str) -> int:
    """The window in the index's own unit, as pandas computes it."""
    return pd.Timedelta(nanos).as_unit(unit).value // _NS_PER_UNIT[unit]


def plan_window(
    n: int,
    window: Any,
    min_periods: Any,
    center: Any,
    closed: Any,
    step: Any,
    times: pd.Index | None,
    codes: np.ndarray | None,
) -> Plan:
    """The plan of ``rolling(window, min_periods, center, closed, step)`` over ``n`` rows.

    ``times`` is the index a time window runs on; ``codes`` the group of each row.
    """
    center = _check_flag("center", center)
    closed = _check_closed(closed)
    if step is not None:
        step = _api._check_integer("step", step)
        if step < 1:
            raise ValueError(f"`step` (={step}) must be >= 1")
        if codes is not None:
            raise ValueError("`step` does not go with `by`, as in pandas' groupby().rolling()")
    if isinstance(window, BaseIndexer):
        if codes is not None:
            raise ValueError("a window indexer does not go with `by`")
        # pandas' default for an indexer: its window_size.
        default = getattr(window, "window_size", 0)
        min_count = default if min_periods is None else _check_min_periods(min_periods, None)
        start, end = window.get_window_bounds(
            num_values=n, min_periods=min_count, center=center, closed=closed, step=step
        )
        start, end = _api.check_bounds(start, end, n)
        return Plan(n, min_count, bounds=(start, end), step=step or 1)

    if is_time_span(window):
        if step is not None:
            raise ValueError("`step` does not go with a time window, as in pandas")
        nanos = _time_window_nanos(window)
        unit, ticks = _time_unit_and_values(times)
        order, segments = group_order(codes) if codes is not None else (None, np.array([0, n], np.int64))
        size = _time_window_size(nanos, unit)
        ticks = np.ascontiguousarray(ticks if order is None else ticks[order])
        min_count = 1 if min_periods is None else _check_min_periods(min_periods, None)
        from rollmed import _kernels

        start = np.empty(len(ticks), np.int64)
        end = np.empty(len(ticks), np.int64)
        left, right = (closed or "right") in ("left", "both"), (closed or "right") in ("right", "both")
        if not _kernels.time_window_bounds(ticks, size, left, right, center, segments, start, end):
            where = "each group's" if codes is not None else "the"
            raise ValueError(f"a time window needs {where} index to be monotonic")
        return Plan(n, min_count, bounds=(start, end), order=order)

    window = check_row_window(window)
    min_count = window if min_periods is None else _check_min_periods(min_periods, window)
    return _fixed_plan(n, _api.fixed_offsets(window, center, closed), min_count, codes, step or 1)


def plan_expanding(n: int, min_periods: Any, codes: np.ndarray | None) -> Plan:
    """The plan of ``expanding(min_periods)`` over ``n`` rows, within groups if ``codes``."""
    return _fixed_plan(n, (-n, 1), _check_min_periods(min_periods, None), codes)


def _fixed_plan(n: int, offsets: tuple[int, int], min_count: int, codes: np.ndarray | None, step: int = 1):
    """Windows at fixed offsets from each row: as offsets, or as bounds within the groups of ``codes``."""
    if codes is None:
        return Plan(n, min_count, offsets=offsets, step=step)
    order, segments = group_order(codes)
    return Plan(n, min_count, bounds=_fixed_bounds_in_groups(segments, *offsets), order=order)
