"""Window plans: pandas' window rules turned into what the runners take.

A plan says which rows each result covers: fixed offsets (fixed, centred and
expanding windows, with ``closed`` and ``step``) or bounds arrays (time windows,
pandas indexers), optionally within groups whose rows are gathered together. Plans
know nothing of the values, so one plan serves every column of a frame.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from rollmed import _checks, _runners
from rollmed._statistics import Statistic

_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


class Plan(NamedTuple):  # (not a dataclass: made at import, a dataclass costs a millisecond)
    """The windows of one call.

    Either ``offsets`` (result ``o`` covers rows ``[o * step + start, o * step + end)``)
    or ``bounds`` (result ``j`` covers ``[start[j], end[j])``), over the rows taken in
    ``order`` (all rows as they are when ``None``; groups gathered otherwise, the rows
    of no group left out and given no result). ``expanding`` windows never drop a
    value but all at once, where a group ends: the kernels then track no positions.
    """

    n: int
    min_count: int
    offsets: tuple[int, int] | None = None
    step: int = 1
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    order: np.ndarray | None = None
    expanding: bool = False

    def run(self, values: np.ndarray, valid: np.ndarray | None, statistic: Statistic):
        """Apply the plan to float64 or int64 ``values``: results ``(rows, outputs)`` and their validity.

        Integer values give exact int64 results and their validity; floats give float64
        and None.
        """
        if self.order is not None:
            values = values[self.order]
            valid = None if valid is None else valid[self.order]
        if self.offsets is not None:
            rows_valid = None if valid is None else valid[np.newaxis]
            out, out_valid = self._run_fixed(values[np.newaxis], rows_valid, statistic)
            out, out_valid = out[0], None if out_valid is None else out_valid[0]
        else:
            bounds = self.bounds
            out, out_valid = _runners.run_bounds(
                values, valid, bounds, self.expanding, self.min_count, statistic
            )
        if self.order is None:
            return out, out_valid
        # Back to the rows' own order; rows of no group get no result.
        shape = (self.n, *out.shape[1:])
        full = np.zeros(shape, out.dtype) if out_valid is not None else np.full(shape, np.nan)
        full[self.order] = out
        if out_valid is None:
            return full, None
        full_valid = np.zeros(shape, np.bool_)
        full_valid[self.order] = out_valid
        return full, full_valid

    def run_stacked(self, rows: np.ndarray, statistic: Statistic) -> np.ndarray:
        """Apply the plan to float64 columns stacked as ``rows``: results ``(columns, rows, outputs)``.

        Fixed windows take all the columns in one call, split across threads.
        """
        if self.offsets is not None:
            return self._run_fixed(rows, None, statistic)[0]
        return np.stack([self.run(row, None, statistic)[0] for row in rows]) if len(rows) else rows

    def _run_fixed(self, rows, valid, statistic):
        offsets = (*self.offsets, self.step)
        return _runners.run_fixed(rows, valid, offsets, self.expanding, self.min_count, statistic)

    @property
    def result_rows(self) -> slice:
        """The rows that get a result: every ``step``-th one."""
        return slice(None, None, self.step)


def fixed_offsets(window: int, center: bool, closed: str | None) -> tuple[int, int]:
    """The window of result ``i`` as pandas has it: rows ``[i + start, i + end)``, before clipping."""
    shift = (window - 1) // 2 if center else 0
    start, end = shift + 1 - window, shift + 1
    if closed in ("left", "both"):
        start -= 1
    if closed in ("left", "neither"):
        end -= 1
    return start, end


def is_time_span(window: Any) -> bool:
    """Whether ``window`` is a span of time (``"5min"``, a timedelta, an offset) rather than rows."""
    return isinstance(window, (str, timedelta, np.timedelta64, pd.offsets.BaseOffset))


def time_span_nanos(window: Any) -> int:
    """A time span in nanoseconds: a ValueError naming ``window`` if it is not a fixed span."""
    try:
        if isinstance(window, np.timedelta64):
            window = pd.Timedelta(window)
        nanos = pd.tseries.frequencies.to_offset(window).nanos
    except (TypeError, ValueError, OverflowError) as err:  # OutOfBoundsTimedelta is a ValueError
        raise _checks.ArgumentError(
            "window",
            window,
            "a number of rows or a fixed time span",
            f"`window` (={window!r}) is not a number of rows nor a fixed time span",
        ) from err
    if nanos > np.iinfo(np.int64).max:  # pandas cannot hold it either (OutOfBoundsTimedelta)
        raise _checks.ArgumentError("window", window, "a span of at most 2**63 - 1 nanoseconds (292 years)")
    if nanos < 0:
        raise _checks.ArgumentError(
            "window", window, "a span that is not negative", f"`window` (={window!r}) must not be negative"
        )
    return nanos


def time_ticks(times: pd.Index, nanos: int) -> tuple[np.ndarray, int]:
    """The times as int64 ticks and a span of ``nanos`` in ticks, as pandas counts them.

    A DatetimeIndex or TimedeltaIndex ticks in its own unit; a PeriodIndex in its
    periods' ordinals, the span truncated to whole ticks as pandas does.
    """
    if isinstance(times.dtype, pd.ArrowDtype) and times.dtype.kind in "mM":
        times = pd.Index(times.to_numpy())
    if not isinstance(times, (pd.DatetimeIndex, pd.TimedeltaIndex, pd.PeriodIndex)):
        raise ValueError(
            "a time window needs a DatetimeIndex (or a datetime column named by `on`), "
            f"got {type(times).__name__} of dtype {times.dtype}"
        )
    if times.hasnans:
        raise ValueError("a time window needs an index without NaT")
    if isinstance(times, pd.PeriodIndex):
        tick = times.freq.nanos / times.freq.n  # raises ValueError for a period that is not fixed
        return times.asi8, int(nanos / tick)
    unit = times.unit
    return times.asi8, pd.Timedelta(nanos).as_unit(unit).value // _NS_PER_UNIT[unit]


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
    from rollmed import _kernels

    start = np.empty(segments[-1], np.int64)
    end = np.empty(segments[-1], np.int64)
    _kernels.fixed_bounds_in_groups(segments, start_offset, end_offset, start, end)
    return start, end


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
    center = _checks.check_flag("center", center)
    closed = _checks.check_closed(closed)
    step = _checks.check_step(step)
    if step is not None and codes is not None:
        raise ValueError("`step` does not go with `by`, as in pandas' groupby().rolling()")
    if isinstance(window, BaseIndexer):
        if codes is not None:
            raise ValueError("a window indexer does not go with `by`")
        # pandas' default for an indexer: its window_size.
        default = getattr(window, "window_size", 0)
        min_count = default if min_periods is None else _checks.check_min_periods(min_periods, None)
        start, end = window.get_window_bounds(
            num_values=n, min_periods=min_count, center=center, closed=closed, step=step
        )
        return Plan(n, min_count, bounds=_checks.check_bounds(start, end, n), step=step or 1)

    if is_time_span(window):
        if step is not None:
            raise ValueError("`step` does not go with a time window, as in pandas")
        ticks, size = time_ticks(times, time_span_nanos(window))
        order, segments = group_order(codes) if codes is not None else (None, np.array([0, n], np.int64))
        ticks = np.ascontiguousarray(ticks if order is None else ticks[order])
        min_count = 1 if min_periods is None else _checks.check_min_periods(min_periods, None)
        left, right = (closed or "right") in ("left", "both"), (closed or "right") in ("right", "both")
        bounds = _runners.time_bounds(ticks, size, left, right, center, segments)
        if bounds is None:
            where = "each group's" if codes is not None else "the"
            raise ValueError(f"a time window needs {where} index to be monotonic")
        return Plan(n, min_count, bounds=bounds, order=order)

    window = _checks.check_row_window(window)
    min_count = window if min_periods is None else _checks.check_min_periods(min_periods, window)
    return _fixed_plan(n, fixed_offsets(window, center, closed), min_count, codes, step or 1)


def plan_expanding(n: int, min_periods: Any, codes: np.ndarray | None) -> Plan:
    """The plan of ``expanding(min_periods)`` over ``n`` rows, within groups if ``codes``."""
    return _fixed_plan(n, (-n, 1), _checks.check_min_periods(min_periods, None), codes, expanding=True)


def _fixed_plan(
    n: int,
    offsets: tuple[int, int],
    min_count: int,
    codes: np.ndarray | None,
    step: int = 1,
    expanding: bool = False,
) -> Plan:
    """Windows at fixed offsets from each row: as offsets, or as bounds within the groups of ``codes``."""
    if codes is None:
        return Plan(n, min_count, offsets=offsets, step=step, expanding=expanding)
    order, segments = group_order(codes)
    bounds = _fixed_bounds_in_groups(segments, *offsets)
    return Plan(n, min_count, bounds=bounds, order=order, expanding=expanding)
