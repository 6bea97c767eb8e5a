"""The computing side of the xarray accessor (rollmed.xarray): windows along one axis of an array.

A :class:`Windows` says which window each position along the axis gets (a number of
rows, a time span over a coordinate, or everything so far) and what statistic of it;
results carry one more, last axis: the statistic's outputs (one per quantile, or one).

- NumPy arrays run in one call: the axis moved last, every other position a row of a
  2-d float64 array that the plan runs along, all rows at once, split across threads.
- dask arrays stay lazy. Each chunk along the axis is computed from the slice of the
  input that its windows reach: its own rows and the halo before and after them,
  measured in rows for a number of rows and from the coordinate for a time span. The
  slice may cover several input chunks (chunks smaller than the window) or none (an
  empty chunk), and holds only what the chunk's windows need, so memory follows the
  chunk and the window, never the whole axis. Chunks along other axes run
  independently. The expanding quantile carries streaming states
  (:class:`rollmed.RollingMedian`, one per column and quantile) from chunk to chunk in
  order; other expanding statistics have no streaming state, so each chunk is computed
  with everything before it.

Either way a position's window holds the same rows, so the results are the same.
"""

from __future__ import annotations

import copy
import math
import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _compute, _plans, _statistics
from rollmed._stream import RollingMedian

_INTERPOLATION_NAMES = {code: name for name, code in _checks.INTERPOLATIONS.items()}


@dataclass(frozen=True)
class Windows:
    """The windows of one call along one axis, and the statistic of each.

    ``window`` is a number of rows, a time span (over ``times``), a pandas indexer, or
    None for the expanding window; the others mean what they mean in pandas.
    """

    window: Any
    min_periods: Any
    center: bool
    closed: str | None
    statistic: _statistics.Statistic

    def plan(self, n: int, times: pd.Index | None) -> _plans.Plan:
        """The plan over ``n`` positions (checking every argument)."""
        return _compute.plan(n, self.window, self.min_periods, self.center, self.closed, None, times, None)


def apply(values: np.ndarray, axis: int, windows: Windows, times: pd.Index | None) -> np.ndarray:
    """The statistic of every window along ``axis`` of ``values``: float64, ``values.shape + (outputs,)``.

    The input is not modified (the kernels read it through a read-only view).
    """
    return _run(values, axis, windows.plan(values.shape[axis], times), windows.statistic)


def _run(values: np.ndarray, axis: int, plan: _plans.Plan, statistic: _statistics.Statistic) -> np.ndarray:
    moved = np.moveaxis(values, axis, -1)
    shape = (*moved.shape, statistic.n_outputs)
    if moved.size == 0:
        out = np.full(shape, np.nan)
    else:
        # One copy at most: to float64 in C order, which the reshape then only views.
        rows = moved.astype(np.float64, order="C", copy=False).reshape(-1, moved.shape[-1])
        out = plan.run_stacked(rows, statistic).reshape(shape)
    return np.moveaxis(out, -2, axis)


def apply_lazy(array: Any, axis: int, windows: Windows, times: pd.Index | None) -> Any:
    """:func:`apply` on a dask array, lazily, chunked as the input; the arguments are checked now."""
    import dask.array as dsa
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    if isinstance(windows.window, pd.api.indexers.BaseIndexer):
        raise ValueError("a window indexer needs the whole axis at once; it does not go with a dask array")
    plan = windows.plan(array.shape[axis], times)
    name = f"rollmed-{type(windows.statistic).__name__.lower()}-{tokenize(array, axis, windows, times)}"
    if plan.expanding and isinstance(windows.statistic, _statistics.Quantiles):
        tasks = _carried(array, axis, windows.statistic, plan.min_count, name)
    else:
        tasks = _with_halos(array, axis, windows, times, plan, name)
    graph = HighLevelGraph.from_collections(name, tasks, dependencies=[array])
    meta = np.empty((0,) * (array.ndim + 1), np.float64)
    return dsa.Array(graph, name, (*array.chunks, (windows.statistic.n_outputs,)), meta=meta)


def _reach(plan: _plans.Plan, first: int, last: int) -> tuple[int, int]:
    """The rows ``[lo, hi)`` that the windows of rows ``[first, last)`` cover, and those rows themselves."""
    if first == last:
        return first, last
    if plan.expanding:
        return 0, last
    if plan.offsets is not None:
        start, end = plan.offsets
        return max(first + min(start, 0), 0), min(last + max(end - 1, 0), plan.n)
    start, end = plan.bounds
    return min(int(start[first]), first), max(int(end[last - 1]), last)


def _with_halos(array: Any, axis: int, windows: Windows, times: Any, plan: _plans.Plan, name: str) -> dict:
    """The tasks of the output blocks: each from its input block and the slices of others that it reaches.

    The slices are tasks of their own, so that a block sent to another worker is only the
    part of it that the windows there need.
    """
    edges = np.cumsum([0, *array.chunks[axis]])
    tasks: dict = {}
    for index in np.ndindex(*array.numblocks):
        i = index[axis]
        first, last = int(edges[i]), int(edges[i + 1])
        lo, hi = _reach(plan, first, last)
        parts = []
        for k in range(len(edges) - 1):
            start, stop = max(lo, int(edges[k])), min(hi, int(edges[k + 1]))
            if start >= stop:  # beyond the reach, or an empty chunk
                continue
            key = (array.name, *index[:axis], k, *index[axis + 1 :])
            if k != i:
                part = (slice(None),) * axis + (slice(start - edges[k], stop - edges[k]),)
                tasks[(f"{name}-halo", *index, k)] = (operator.getitem, key, part)
                key = (f"{name}-halo", *index, k)
            parts.append(key)
        shape = (*(array.chunks[d][index[d]] for d in range(array.ndim)), windows.statistic.n_outputs)
        local_times = None if times is None else times[lo:hi]
        tasks[(name, *index, 0)] = (_halo_block, parts, axis, windows, local_times, first - lo, shape)
    return tasks


def _halo_block(
    parts: list[np.ndarray], axis: int, windows: Windows, times: Any, first: int, shape: tuple[int, ...]
) -> np.ndarray:
    """The results of a block from the parts of the input its windows reach, its own ``first`` rows in."""
    if not parts or shape[axis] == 0:
        return np.empty(shape)
    rows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)
    out = apply(rows, axis, windows, times)
    kept = out[(slice(None),) * axis + (slice(first, first + shape[axis]),)]
    # A view keeps the halo's results alive as long as the block's: copy where they are most of it.
    return kept if 2 * shape[axis] >= out.shape[axis] else np.ascontiguousarray(kept)


class _Streams:
    """The running quantiles of a chunk's columns: one stream per column and quantile, made on first use."""

    def __init__(self, statistic: _statistics.Quantiles, min_count: int) -> None:
        self.statistic = statistic
        self.min_count = min_count
        self.streams: list[list[RollingMedian]] | None = None

    def update(self, rows: np.ndarray) -> np.ndarray:
        """The results of the next values of each column (a row of ``rows``): ``(columns, values, qs)``."""
        statistic = self.statistic
        if self.streams is None:
            readings = [
                {"q": q, "interpolation": _INTERPOLATION_NAMES[code]}
                for q, code in zip(statistic.qs, statistic.interpolations, strict=True)
            ]
            self.streams = [
                [RollingMedian(None, min_periods=self.min_count, **reading) for reading in readings]
                for _ in range(len(rows))
            ]
        out = np.empty((*rows.shape, statistic.n_outputs))
        for row, streams, row_out in zip(rows, self.streams, out, strict=True):
            for k, stream in enumerate(streams):
                row_out[:, k] = stream.update(row)
        return out


def _stream_block(block: np.ndarray, axis: int, streams: _Streams) -> tuple[_Streams, np.ndarray]:
    streams = copy.deepcopy(streams)  # a task never changes its input: dask may run it again
    moved = np.moveaxis(block, axis, -1)
    rows = moved.astype(np.float64, order="C", copy=False).reshape(
        math.prod(moved.shape[:-1]), moved.shape[-1]
    )
    out = streams.update(rows).reshape(*moved.shape, streams.statistic.n_outputs)
    return streams, np.moveaxis(out, -2, axis)


def _carried(array: Any, axis: int, statistic: _statistics.Quantiles, min_count: int, name: str) -> dict:
    """The tasks of expanding quantiles: streaming states carried along the axis, block to block."""
    tasks: dict = {}
    for index in np.ndindex(*array.numblocks):
        step = (f"{name}-step", *index)
        if index[axis] == 0:
            streams = _Streams(statistic, min_count)
        else:  # the state the block before hands on
            streams = (
                operator.getitem,
                (f"{name}-step", *index[:axis], index[axis] - 1, *index[axis + 1 :]),
                0,
            )
        tasks[step] = (_stream_block, (array.name, *index), axis, streams)
        tasks[(name, *index, 0)] = (operator.getitem, step, 1)
    return tasks


def hampel(values: Any, median: Any, mad: Any, n_sigmas: float, scale: float) -> dict[str, Any]:
    """The Hampel fields (rollmed._compute.HAMPEL_FIELDS) of NumPy or dask arrays of one shape and chunks."""
    if isinstance(values, np.ndarray):
        return _compute.hampel(values, median, mad, n_sigmas, scale)
    # Block by block, so that the comparisons run under _compute.hampel's error state on the workers too.
    return {
        field: values.map_blocks(
            _hampel_field,
            median,
            mad,
            n_sigmas,
            scale,
            field,
            dtype=bool if field == "outlier" else np.float64,
        )
        for field in _compute.HAMPEL_FIELDS
    }


def _hampel_field(values, median, mad, n_sigmas: float, scale: float, field: str) -> np.ndarray:
    return _compute.hampel(values, median, mad, n_sigmas, scale)[field]
