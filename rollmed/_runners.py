"""Runners: allocate the results, split the work into spans and run the kernels on threads.

The kernels (rollmed._kernels) are imported on the first call, so that ``import rollmed``
neither imports numba nor compiles anything. Arguments arrive checked.
"""

from __future__ import annotations

import numpy as np

from rollmed import _threads

# Results per task when the work is split across threads. The split depends on the
# data alone, never on the thread count, so results are the same on any number of threads.
_SPAN = 1 << 16


def read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view: the kernels compile once per dtype, and cannot write to the caller's data."""
    view = array.view()
    view.flags.writeable = False
    return view


def spans(n_rows: int, n_out: int, width: int) -> list[tuple[int, int, int, int]]:
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


def _results(n_rows: int, n_out: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """Empty results: float64, or int64 and a validity mask for exact integers."""
    out = np.empty((n_rows, n_out), np.int64 if exact else np.float64)
    return out, np.empty((n_rows, n_out if exact else 0), np.bool_)


def run_fixed(
    rows: np.ndarray,
    valid: np.ndarray | None,
    offsets: tuple[int, int, int],
    expanding: bool,
    readout: tuple[float, int, int],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Fixed windows along the last axis of a 2-d float64 or int64 array.

    Result ``o`` covers ``[o * step + start, o * step + end)`` of its row, clipped to the
    row, for ``offsets = (start, end, step)``; ``expanding`` windows never drop a value.
    ``readout`` is ``(q, interpolation code, min_count)``. Float input gives float64
    (NaN where ``min_count`` is not met); int64 input gives exact int64 results and their
    validity mask, where ``valid`` (or ``None``: all) marks the present values.
    """
    from rollmed import _kernels

    n_rows, n = rows.shape
    start_offset, end_offset, step = offsets
    n_out = -(-n // step)
    exact = rows.dtype.kind == "i"
    out, out_valid = _results(n_rows, n_out, exact)
    if out.size:
        rows = read_only(np.ascontiguousarray(rows))
        valid = np.ones((n_rows, 0), np.bool_) if valid is None else np.ascontiguousarray(valid)
        kernel_offsets = _kernels.Offsets(*offsets)
        kernel_readout = _kernels.Readout(*readout)

        def run_span(*span: int) -> None:
            _kernels.rolling_rows(
                rows, valid, kernel_offsets, expanding, kernel_readout, out, out_valid, _kernels.Span(*span)
            )

        _threads.run(spans(n_rows, n_out, min(end_offset - start_offset, n)), run_span)
    return out, (out_valid if exact else None)


def run_bounds(
    values: np.ndarray,
    valid: np.ndarray | None,
    bounds: tuple[np.ndarray, np.ndarray],
    expanding: bool,
    readout: tuple[float, int, int],
) -> tuple[np.ndarray, np.ndarray | None]:
    """The windows ``[start[j], end[j])`` of a 1-d float64 or int64 array; see :func:`run_fixed`.

    ``bounds = (start, end)`` are monotone non-decreasing; ``expanding`` windows keep
    their start and gain one value at a time, or start afresh at the previous end.
    """
    from rollmed import _kernels

    start, end = bounds
    n_out = len(start)
    exact = values.dtype.kind == "i"
    out, out_valid = _results(1, n_out, exact)
    out, out_valid = out[0], out_valid[0]
    if n_out:
        values = read_only(np.ascontiguousarray(values))
        valid = np.empty(0, np.bool_) if valid is None else np.ascontiguousarray(valid)
        start = np.ascontiguousarray(start, dtype=np.int64)
        end = np.ascontiguousarray(end, dtype=np.int64)
        width = int(np.max(end - start))
        kernel_readout = _kernels.Readout(*readout)

        def run_span(*span: int) -> None:
            _kernels.rolling_bounds(
                values, valid, start, end, expanding, kernel_readout, out, out_valid, _kernels.Span(*span)
            )

        _threads.run(spans(1, n_out, width), run_span)
    return out, (out_valid if exact else None)
