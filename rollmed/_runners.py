"""Runners: allocate the results, split the work into spans and run the kernels on threads.

The kernels (rollmed._kernels) are imported on the first call, so that ``import rollmed``
neither imports numba nor compiles anything. Arguments arrive checked.
"""

from __future__ import annotations

import numpy as np

from rollmed import _threads
from rollmed._statistics import MEDIAN, MedianAbsoluteDeviation, Quantiles, Statistic

# Results per task when the work is split across threads. The split depends on the
# data alone, never on the thread count, so results are the same on any number of threads.
_SPAN = 1 << 16
# Networks leave a row's windows that are cut short or hold a NaN to a general path. The
# few are sorted afresh, so that a network's first call compiles no other path: those at
# the ends of a row, and as many more as cost no more than the larger of two budgets.
# Sorting afresh takes about k**2 / 4 compare-exchanges a window: _AFRESH_WORK * n / k**2
# windows (at most two compare-exchanges for each value of the row; and up to one in
# _SORTED_AFRESH_SHARE of its windows), or _AFRESH_FLOOR / k**2 (about a million, a
# millisecond, so that a NaN or two in a short row compile nothing more). More go to
# run_bounds. Bounded by the share alone, 50 NaN scattered over 1e6 values (8,000
# windows left) took the median at k = 160 51.6 ms instead of 10.7, and 130 NaN the MAD
# at 116 60.1 instead of 20.7; bounded by the work too, 11.9 and 22.8 (one thread).
_SORTED_AFRESH_SHARE = 64
_AFRESH_WORK = 8
_AFRESH_FLOOR = 1 << 22


def read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view: the kernels compile once per dtype, and cannot write to the caller's data."""
    view = array.view()
    view.flags.writeable = False
    return view


def spans(n_rows: int, n_out: int, width: int) -> list[tuple[int, int, int, int]]:
    """Split rows x results into tasks ``(row_start, row_stop, first, last)`` of similar size.

    A long row is cut into spans, as many for each thread. Each span refills a window
    before its first result, and for the block window that means sorting two blocks of
    ``width`` values: spans of about 32 widths keep that near 1/32 of the work (the
    median of 1e6 values at k = 10,001, one thread: 72-73 -> 65-66 ms with 4 spans
    instead of 13; both threads, 37 -> 33). Short rows go several to a task.
    """
    least = max(_SPAN, 8 * width)
    if n_out >= 2 * least:
        threads = _threads.get_num_threads()
        count = -(-n_out // max(_SPAN, 32 * width))
        count = -(-count // threads) * threads  # a whole number of spans for each thread
        span = max(-(-n_out // count), 8 * width)
        return [
            (row, row + 1, first, min(first + span, n_out))
            for row in range(n_rows)
            for first in range(0, n_out, span)
        ]
    rows_per_task = max(1, least // max(n_out, 1))
    return [(row, min(row + rows_per_task, n_rows), 0, n_out) for row in range(0, n_rows, rows_per_task)]


def _results(shape: tuple[int, ...], exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """Empty results: float64 (and an empty mask), or int64 and a validity mask for exact integers."""
    out = np.empty(shape, np.int64 if exact else np.float64)
    return out, np.empty(shape if exact else (0,) * len(shape), np.bool_)


def _each_quantile(statistic: Quantiles, min_count: int, out: np.ndarray, out_valid: np.ndarray, run) -> None:
    """Run the double heap once per quantile, each writing its results into its slice of ``out``."""
    from rollmed import _kernels

    exact = out.dtype.kind == "i"
    no_mask = np.empty((0,) * (out.ndim - 1), np.bool_)  # float results carry no validity
    for i, (q, interpolation) in enumerate(zip(statistic.qs, statistic.interpolations, strict=True)):
        readout = _kernels.Readout(q, interpolation, min_count)
        if statistic.n_outputs == 1:  # the slice is contiguous: write in place
            run(readout, out[..., 0], out_valid[..., 0] if exact else no_mask)
            continue
        part, part_valid = _results(out.shape[:-1], exact)
        run(readout, part, part_valid)
        out[..., i] = part
        if exact:
            out_valid[..., i] = part_valid


_RANK_METHODS = {"average": 0, "min": 1, "max": 2, "normalized": 3}  # the kernels' RANK_* codes


def _robust(statistic: Statistic, min_count: int):
    """The kernels' record of a statistic for the order-statistic window (rollmed._kernels.Robust)."""
    from rollmed import _kernels

    no_quantiles = np.empty(0, np.float64)
    if isinstance(statistic, Quantiles):
        qs = np.array(statistic.qs, np.float64)
        interpolations = np.array(statistic.interpolations, np.int64)
        return _kernels.Robust(_kernels.QUANTILES, qs, interpolations, min_count, 0, True, False)
    if isinstance(statistic, MedianAbsoluteDeviation):
        kind = _kernels.MEDIAN_AND_MAD if statistic.with_median else _kernels.MAD
        return _kernels.Robust(kind, no_quantiles, np.empty(0, np.int64), min_count, 0, True, False)
    method = _RANK_METHODS[statistic.method]
    return _kernels.Robust(
        _kernels.RANK,
        no_quantiles,
        np.empty(0, np.int64),
        min_count,
        method,
        statistic.ascending,
        statistic.pct,
    )


def _on_heaps(statistic: Statistic, exact: bool, expanding: bool, width: int, bounds: bool) -> bool:
    """Whether the double heap answers ``statistic`` rather than the order-statistic window.

    The heaps answer one quantile, and exact integers, and an expanding window; several
    quantiles of floats share one sorted array or block state. One quantile of floats in
    the middle (the median) goes to the order-statistic window too where that is faster:
    fixed windows wider than FIXED_HEAPS_MAX; windows given by ``bounds`` (time windows,
    groups, indexers) of 8 to BOUNDS_SORTED_MAX values or wider than SORTED_ARRAY_MAX.
    On bounds the heaps run their general loop, which pays an insert or a delete (and
    often a root moved between the heaps) for each value that enters without one leaving
    or leaves without one entering, where a fixed window pays one replace. Measured: see
    rollmed._kernels, section 5.
    """
    from rollmed import _kernels

    if not (isinstance(statistic, Quantiles) and (exact or statistic.n_outputs == 1)):
        return False
    if exact or expanding or width <= _kernels.SORT_AFRESH_MAX:
        return True
    tail = _kernels.HEAPS_TAIL
    if not tail <= statistic.qs[0] <= 1 - tail:
        return True
    if bounds:
        return _kernels.BOUNDS_SORTED_MAX < width <= _kernels.SORTED_ARRAY_MAX
    return width <= _kernels.FIXED_HEAPS_MAX


def _scaled(out: np.ndarray, statistic: Statistic) -> np.ndarray:
    """The MAD times its scale (the kernels give the MAD itself)."""
    if isinstance(statistic, MedianAbsoluteDeviation) and statistic.scale != 1.0:
        # A MAD near the largest float may scale to inf; an infinite MAD at scale 0 is NaN, no MAD.
        with np.errstate(over="ignore", invalid="ignore"):
            out[..., -1] *= statistic.scale
    return out


def run_fixed(
    rows: np.ndarray,
    valid: np.ndarray | None,
    offsets: tuple[int, int, int],
    expanding: bool,
    min_count: int,
    statistic: Statistic,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Fixed windows along the last axis of a 2-d float64 or int64 array: ``(rows, results, outputs)``.

    Result ``o`` covers ``[o * step + start, o * step + end)`` of its row, clipped to the
    row, for ``offsets = (start, end, step)``; ``expanding`` windows never drop a value.
    Windows with fewer than ``min_count`` present values give no result. Float input
    gives float64 (NaN for no result); int64 input gives exact int64 results and their
    validity mask, where ``valid`` (or ``None``: all) marks the present values.
    """
    from rollmed import _kernels

    n_rows, n = rows.shape
    start_offset, end_offset, step = offsets
    n_out = -(-n // step)
    exact = rows.dtype.kind == "i"
    out, out_valid = _results((n_rows, n_out, statistic.n_outputs), exact)
    if not out.size:
        return out, (out_valid if exact else None)
    rows = read_only(np.ascontiguousarray(rows))
    valid = np.ones((n_rows, 0), np.bool_) if valid is None else np.ascontiguousarray(valid)
    kernel_offsets = _kernels.Offsets(*offsets)
    width = min(end_offset - start_offset, n)
    tasks = spans(n_rows, n_out, width)
    network = _network_kind(statistic, exact, offsets, expanding, min_count)
    if network is not None:
        if isinstance(statistic, MedianAbsoluteDeviation) and statistic.with_median:
            _median_and_mad_by_networks(rows, offsets, min_count, tasks, out)
        else:
            _fixed_by_networks(rows, offsets, min_count, statistic, network, tasks, out)
        _scaled(out, statistic)
    elif _on_heaps(statistic, exact, expanding, width, bounds=False):
        balance = _kernels.LOOSE_BALANCE if expanding else _kernels.EXACT_BALANCE

        def run(readout, out, out_valid):
            def run_span(*span: int) -> None:
                span = _kernels.Span(*span)
                _kernels.rolling_rows(
                    rows, valid, kernel_offsets, expanding, balance, readout, out, out_valid, span
                )

            _threads.run(tasks, run_span)

        _each_quantile(statistic, min_count, out, out_valid, run)
    else:
        robust = _robust(statistic, min_count)
        marker = _kernels.kind_marker(robust.kind)

        def run_span(*span: int) -> None:
            _kernels.robust_rows(rows, kernel_offsets, robust, marker, out, _kernels.Span(*span))

        _threads.run(tasks, run_span)
        _scaled(out, statistic)
    return out, (out_valid if exact else None)


def _network_kind(statistic: Statistic, exact: bool, offsets, expanding: bool, min_count: int):
    """The kind of median network that answers (rollmed._kernels.NETWORK_*), or None.

    Networks take the median of float windows of 2 to MEDIAN_NETWORK_MAX rows and the
    MAD (with or without the median) of 2 to MAD_NETWORK_MAX, a result for every row,
    where a full window is enough for ``min_count``.
    """
    from rollmed import _kernels

    start_offset, end_offset, step = offsets
    width = end_offset - start_offset
    if exact or expanding or step != 1 or width < 2 or min_count > width:
        return None
    if statistic == MEDIAN:
        return _kernels.NETWORK_MEDIAN if width <= _kernels.MEDIAN_NETWORK_MAX else None
    if isinstance(statistic, MedianAbsoluteDeviation):  # (with the median: see run_fixed)
        return _kernels.NETWORK_MAD if width <= _kernels.MAD_NETWORK_MAX else None
    if isinstance(statistic, Quantiles) and statistic.n_outputs > 1 and width <= _kernels.SORT_NETWORK_MAX:
        return _kernels.NETWORK_SORT  # (one quantile stays on the heaps: no compile per k)
    return None


def _median_and_mad_by_networks(rows, offsets, min_count, tasks, out) -> None:
    """The median and the MAD (the Hampel filter's) each by its own network, apart.

    A network that wrote both into one result row did not vectorise: at k = 21, 1e6
    values, one thread, 41.8 ms against 2.9 + 6.5 for the two apart.
    """
    from rollmed import _kernels

    parts = ((MEDIAN, _kernels.NETWORK_MEDIAN), (MedianAbsoluteDeviation(), _kernels.NETWORK_MAD))
    for column, (statistic, kind) in enumerate(parts):
        part = np.empty((*out.shape[:-1], 1))
        _fixed_by_networks(rows, offsets, min_count, statistic, kind, tasks, part)
        out[..., column] = part[..., 0]


def _fixed_by_networks(rows, offsets, min_count, statistic, kind, tasks, out) -> None:
    """The windows by networks; those they leave (cut short, with a NaN, an infinite median) by the rest."""
    from rollmed import _kernels

    start_offset, end_offset, _ = offsets
    width = end_offset - start_offset
    marker = _kernels.network_marker(width, kind)
    robust = _robust(statistic, min_count)  # (its quantiles: the sorting network reads them)
    left_by_span: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, results) the networks leave

    def run_span(*span: int) -> None:
        row_start, row_stop, first, last = span
        # Each span flags its own results to redo: a flag a result would cost an eighth of the output.
        todo = np.zeros((row_stop - row_start, last - first), np.bool_)
        _kernels.network_rows(
            rows, marker, start_offset, _kernels.Span(*span), robust.qs, robust.interpolations, out, todo
        )
        # np.nonzero of a 2-d array took 3.7 ms for a row of 1e6 (the k = 3 network, 1.2 ms);
        # of the same flags flat, 0.13 ms.
        where_rows, where_results = np.divmod(np.flatnonzero(todo), max(last - first, 1))
        if where_rows.size:
            left_by_span.append((where_rows + row_start, where_results + first))  # (one call: thread safe)

    _threads.run(tasks, run_span)
    if not left_by_span:
        return
    left_rows = np.concatenate([where_rows for where_rows, _ in left_by_span])
    left_results = np.concatenate([where_results for _, where_results in left_by_span])
    order = np.lexsort((left_results, left_rows))
    left_rows, left_results = left_rows[order], left_results[order]
    n = rows.shape[1]
    # (Unscaled: the caller scales the MAD of every window, these included.)
    unscaled = statistic._replace(scale=1.0) if isinstance(statistic, MedianAbsoluteDeviation) else statistic
    # (A row's ends cut k - 1 windows short; more may hold a NaN.)
    more = max(min(n // _SORTED_AFRESH_SHARE, _AFRESH_WORK * n // width**2), _AFRESH_FLOOR // width**2)
    for row in np.unique(left_rows):
        left = left_results[np.searchsorted(left_rows, row) : np.searchsorted(left_rows, row, side="right")]
        bounds = (np.clip(left + start_offset, 0, n), np.clip(left + end_offset, 0, n))
        few = left.size <= width - 1 + more
        if few and kind == _kernels.NETWORK_MEDIAN:
            readout = _kernels.Readout(statistic.qs[0], statistic.interpolations[0], min_count)
            medians = np.empty(left.size)
            _kernels.sorted_afresh_bounds(rows[row], *bounds, readout, medians)
            out[row, left, 0] = medians
        elif few and kind == _kernels.NETWORK_MAD:
            mads = np.empty(left.size)
            _kernels.mad_afresh_bounds(rows[row], *bounds, min_count, mads)
            out[row, left, 0] = mads
        else:
            out[row, left] = run_bounds(rows[row], None, bounds, False, min_count, unscaled)[0]


def time_bounds(
    ticks: np.ndarray,
    size: int,
    left_closed: bool,
    right_closed: bool,
    center: bool,
    segments: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The bounds ``(start, end)`` of pandas' time windows of ``size`` ticks over each segment of ``ticks``.

    See rollmed._kernels.time_window_bounds; None if a segment's times are not
    monotonic. Trailing windows over one long segment are split into spans of rows on
    the threads: each row's bounds follow from the times alone.
    """
    from rollmed import _kernels

    n = len(ticks)
    start = np.empty(n, np.int64)
    end = np.empty(n, np.int64)
    closed = (left_closed, right_closed)
    if center or len(segments) != 2 or n < 2 * _SPAN:
        monotonic = _kernels.time_window_bounds(ticks, size, *closed, center, segments, start, end)
        return (start, end) if monotonic else None
    spans_monotonic: list[bool] = []

    def run_span(first: int, stop: int) -> None:
        monotonic = _kernels.trailing_time_bounds(ticks, size, *closed, first, stop, start, end)
        spans_monotonic.append(monotonic)  # (one call: thread safe)

    _threads.run([(first, min(first + _SPAN, n)) for first in range(0, n, _SPAN)], run_span)
    return (start, end) if all(spans_monotonic) else None


def run_bounds(
    values: np.ndarray,
    valid: np.ndarray | None,
    bounds: tuple[np.ndarray, np.ndarray],
    expanding: bool,
    min_count: int,
    statistic: Statistic,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The windows ``[start[j], end[j])`` of a 1-d float64 or int64 array: ``(results, outputs)``.

    ``bounds = (start, end)`` are monotone non-decreasing; ``expanding`` windows keep
    their start and gain one value at a time, or start afresh at the previous end. See
    :func:`run_fixed`.
    """
    from rollmed import _kernels

    start, end = bounds
    n_out = len(start)
    exact = values.dtype.kind == "i"
    out, out_valid = _results((n_out, statistic.n_outputs), exact)
    if n_out:
        values = read_only(np.ascontiguousarray(values))
        valid = np.empty(0, np.bool_) if valid is None else np.ascontiguousarray(valid)
        start = np.ascontiguousarray(start, dtype=np.int64)
        end = np.ascontiguousarray(end, dtype=np.int64)
        width = int(_kernels.widest_window(start, end))
        tasks = spans(1, n_out, width)

        if _on_heaps(statistic, exact, expanding, width, bounds=True):

            def run(readout, out, out_valid):
                def run_span(_row_start: int, _row_stop: int, first: int, last: int) -> None:
                    span = _kernels.Span(0, 1, first, last)
                    _kernels.rolling_bounds(
                        values, valid, start, end, expanding, readout, out, out_valid, span
                    )

                _threads.run(tasks, run_span)

            _each_quantile(statistic, min_count, out, out_valid, run)
        else:
            robust = _robust(statistic, min_count)
            marker = _kernels.kind_marker(robust.kind)

            def run_span(_row_start: int, _row_stop: int, first: int, last: int) -> None:
                span = _kernels.Span(0, 1, first, last)
                _kernels.robust_bounds(values, start, end, robust, marker, out, span)

            _threads.run(tasks, run_span)
            _scaled(out, statistic)
    return out, (out_valid if exact else None)
