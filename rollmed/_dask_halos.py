"""How rollmed.dask computes partitions: with halos, or with streams carried from one to the next.

A window reaches a bounded way back and forth: a number of rows or a time span,
within each group when ``by`` is given. Each partition is computed by the pandas
accessor (any of its methods: quantiles, MAD, ranks, the Hampel filter) on its own
rows together with the rows around it that its windows reach, its *halo*: the tail
of everything before it and, for centred windows, the head of everything after it.
Halos are handed on from partition to partition, so a window may reach across any
number of partitions, small or empty.

The expanding window reaches back without bound. The expanding median hands on its
streaming state instead (one stream per group and quantile:
:class:`rollmed._grouped.GroupedStreams`), in order. The expanding MAD, ranks and
Hampel filter need every value so far, and a stream of them would hold every value
too: their halo is all the rows before the partition. Either way the result equals
the pandas accessor's result on the whole data.

:func:`series_call` and :func:`frame_call` are the accessors' one way in.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask import delayed
from pandas.api.indexers import BaseIndexer

from rollmed import _plans, _statistics
from rollmed._compute import key_columns
from rollmed._factories import MedianStreams
from rollmed._grouped import GroupedStreams

# The columns of the blocks a Series is computed from: its values, and its keys under `by`.
VALUE, KEY = "value", "key"


@dataclass(frozen=True)
class Reach:
    """The rows that the windows of a row may reach, before and after it.

    ``before`` and ``after`` rows, or every row within ``span`` in time (of the index,
    or of the column ``on``), or every row before it (``everything``); within the
    groups of the ``keys`` columns when given.
    """

    before: int = 0
    after: int = 0
    span: pd.Timedelta | None = None
    center: bool = False
    on: Any = None
    keys: list[Any] = field(default_factory=list)
    everything: bool = False

    @property
    def ahead(self) -> bool:
        """Whether windows reach rows after their own."""
        return self.after > 0 or (self.span is not None and self.center)

    def _times(self, rows: pd.DataFrame) -> pd.Series:
        # On a plain range index, by position, as the keys below.
        return pd.Series(rows.index if self.on is None else rows[self.on].array, copy=False)

    def _groups(self, values: pd.Series, rows: pd.DataFrame) -> Any:
        keys = [rows[name].reset_index(drop=True) for name in self.keys]
        return values.groupby(keys, sort=False, dropna=True)

    def _near(self, rows: pd.DataFrame, edge: str) -> pd.DataFrame:
        """The rows within ``span`` of the latest (``edge="max"``) or earliest ("min") time of their group."""
        times = self._times(rows)
        ends = self._groups(times, rows).transform(edge) if self.keys else getattr(times, edge)()
        near = (times >= ends - self.span) if edge == "max" else (times <= ends + self.span)
        return rows[near.to_numpy()]

    def tail(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows that the windows of later rows may reach."""
        if self.everything:
            return rows
        if self.span is not None:
            return self._near(rows, "max")
        if self.keys:
            return rows.groupby(self.keys, sort=False, dropna=True).tail(self.before)
        return rows.iloc[len(rows) - min(self.before, len(rows)) :]

    def head(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows that the windows of earlier rows may reach."""
        if self.span is not None:
            return self._near(rows, "min")
        if self.keys:
            return rows.groupby(self.keys, sort=False, dropna=True).head(self.after)
        return rows.iloc[: self.after]

    def check_increasing(self, rows: pd.DataFrame) -> None:
        """Time windows across partitions need times that increase (within each group)."""
        times = self._times(rows)
        if self.keys:
            by_group = self._groups(times, rows).is_monotonic_increasing
            # No group (no rows, or every key missing): pandas gives it the times' dtype, and no all().
            increasing = by_group.empty or bool(by_group.all())
        else:
            increasing = times.is_monotonic_increasing
        if not increasing:
            where = "within each group " if self.keys else ""
            raise ValueError(
                f"a time window on a dask frame needs times that increase {where}from row to row"
            )


def reach(window: Any, center: bool, closed: str | None, on: Any, keys: list[Any]) -> Reach:
    """How far the windows reach; the arguments already checked by the pandas accessor.

    Examples
    --------
    >>> from rollmed._dask_halos import reach
    >>> found = reach(5, True, None, None, [])
    >>> found.before, found.after
    (2, 2)
    >>> reach(None, False, None, None, []).everything
    True
    """
    if window is None:
        return Reach(everything=True, keys=keys)
    if _plans.is_time_span(window):
        span = pd.Timedelta(_plans.time_span_nanos(window))
        # A centred window reaches half a span each way; a whole span is enough.
        return Reach(span=span, center=center, on=on, keys=keys)
    start_offset, end_offset = _plans.fixed_offsets(window, center, closed)
    return Reach(before=max(-start_offset, 0), after=max(end_offset - 1, 0), keys=keys)


def as_float(result: pd.Series | pd.DataFrame, name: Any, on: Any) -> pd.Series | pd.DataFrame:
    """float64 results, as dask's meta says before anything runs (exact integers too).

    A Series gets ``name``; a frame keeps its ``on`` column and its boolean columns
    (the Hampel filter's outlier flags) as they are.
    """
    if isinstance(result, pd.Series):
        return result.astype(np.float64).rename(name)
    dtypes = {
        label: np.float64 for label, dtype in result.dtypes.items() if label != on and dtype.kind != "b"
    }
    return result.astype(dtypes) if dtypes else result


@dataclass(frozen=True)
class Roll:
    """A block's results by a method of the pandas accessor.

    On a frame's block; or, with ``series``, on the ``VALUE`` column of a Series'
    block, within the groups of its ``KEY`` column if ``keyed``, the result named ``name``.
    """

    method: str
    options: dict[str, Any]
    series: bool = False
    name: Any = None
    keyed: bool = False

    def __call__(self, rows: pd.DataFrame, step: int | None = None) -> pd.Series | pd.DataFrame:
        options = dict(self.options)
        if step is not None:  # (the Hampel filter takes no step: never given one)
            options["step"] = step
        if self.series:
            if self.keyed:
                options["by"] = rows[KEY]
            rows = rows[VALUE]
        result = getattr(rows.rollmed, self.method)(**options)
        return as_float(result, self.name, self.options.get("on"))


def pair(values: pd.Series, keys: pd.Series | None) -> pd.DataFrame:
    """A block of a Series' values and, under `by`, their keys, row by row.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._dask_halos import pair
    >>> pair(pd.Series([1.0, 2.0]), pd.Series(["a", "b"])).columns.tolist()
    ['value', 'key']
    """
    if keys is None:
        return pd.DataFrame({VALUE: values})
    if len(keys) != len(values):
        raise ValueError(
            f"`by` must have one key per row: a partition has {len(values)} rows, {len(keys)} keys"
        )
    return pd.DataFrame({VALUE: values, KEY: keys.to_numpy()}, index=values.index)


def _next_tail(reach: Reach, tail: pd.DataFrame | None, block: pd.DataFrame) -> pd.DataFrame:
    # The tail of (tail, block) is the tail of (tail, the block's tail): no copy of the whole block.
    return reach.tail(_concat([tail, reach.tail(block)]))


def _next_head(reach: Reach, block: pd.DataFrame, head: pd.DataFrame | None) -> pd.DataFrame:
    return reach.head(_concat([reach.head(block), head]))


def _concat(pieces: list[pd.DataFrame | None]) -> pd.DataFrame:
    nonempty = [piece for piece in pieces if piece is not None and len(piece)]
    if len(nonempty) <= 1:
        return nonempty[0] if nonempty else next(piece for piece in pieces if piece is not None)
    return pd.concat(nonempty)


def _roll_block(
    roll: Roll,
    reach: Reach,
    tail: pd.DataFrame | None,
    block: pd.DataFrame,
    head: pd.DataFrame | None,
    first_row: int,
    step: int,
) -> pd.Series | pd.DataFrame:
    """The results of ``block``'s rows: computed with its halo, then the halo's rows dropped."""
    rows = _concat([tail, block, head])
    if reach.span is not None:
        reach.check_increasing(rows)
    before = 0 if tail is None else len(tail)
    result = roll(rows).iloc[before : before + len(block)]
    # pandas' step counts rows from the first row of the whole data.
    return result.iloc[(-first_row) % step :: step] if step > 1 else result


def with_halos(blocks: list[Any], meta: Any, roll: Roll, reach: Reach, step: int, divisions: Any) -> Any:
    """Each block's results, its halo handed on from block to block.

    ``roll`` computes the results of a block (the pandas accessor), ``step`` is
    applied here, counting rows from the first row of the whole data.
    """
    tails = [None]
    for block in blocks[:-1]:
        tails.append(delayed(_next_tail)(reach, tails[-1], block))
    heads = [None]
    if reach.ahead:
        for block in reversed(blocks[1:]):
            heads.append(delayed(_next_head)(reach, block, heads[-1]))
    heads = heads[::-1] if reach.ahead else heads * len(blocks)
    first_rows = [0]
    if step > 1:
        for block in blocks[:-1]:
            first_rows.append(delayed(operator.add)(first_rows[-1], delayed(len)(block)))
    else:
        first_rows *= len(blocks)
    results = [
        delayed(_roll_block)(roll, reach, tail, block, head, first_row, step)
        for tail, block, head, first_row in zip(tails, blocks, heads, first_rows, strict=True)
    ]
    return dd.from_delayed(results, meta=meta, divisions=divisions, verify_meta=False)


@dataclass(frozen=True)
class Carry:
    """Expanding medians (or quantiles) of a block's columns at ``positions``, within groups of ``keys``.

    ``meta`` is the result's empty Series or frame; a frame's column ``on`` is copied
    from the block, as the pandas accessor keeps it.
    """

    positions: list[int]
    keys: list[Any]
    meta: pd.Series | pd.DataFrame
    on: Any = None


def _carry_step(
    carry: Carry, block: pd.DataFrame, streams: list[list[GroupedStreams]]
) -> tuple[list[list[GroupedStreams]], pd.Series | pd.DataFrame]:
    """A block's running medians, and the streams (a list per column: one per quantile) for the next."""
    # A task never changes its input: dask may run it again.
    streams = [[stream.copy() for stream in column] for column in streams]
    keys = block[carry.keys] if carry.keys else None
    results = []
    for position, column in zip(carry.positions, streams, strict=True):
        values = block.iloc[:, position].to_numpy(dtype=np.float64, na_value=np.nan)
        # No lag: every row's result, in order.
        results.extend(stream.update(values, keys)[1] for stream in column)
    if isinstance(carry.meta, pd.Series):
        return streams, pd.Series(results[0], index=block.index, name=carry.meta.name)
    columns = iter(results)
    data = [
        block[carry.on].array.copy() if carry.on is not None and label == carry.on else next(columns)
        for label in carry.meta.columns
    ]
    frame = pd.DataFrame(dict(enumerate(data)), index=block.index, copy=False)
    frame.columns = carry.meta.columns
    return streams, frame


def carried(
    blocks: list[Any], meta: Any, carry: Carry, min_periods: Any, q: Any, interpolation: str, divisions: Any
) -> Any:
    """Run running-median streams block after block, each handing its state on to the next."""
    # Made here, so that a bad argument fails now and not on a worker.
    qs = _statistics.quantiles(q, interpolation)[0].qs
    min_periods = 1 if min_periods is None else min_periods
    factories = [MedianStreams(None, min_periods=min_periods, q=q, interpolation=interpolation) for q in qs]
    streams = [[GroupedStreams(factory) for factory in factories] for _ in carry.positions]
    results = []
    for block in blocks:
        streams, result = delayed(_carry_step, nout=2)(carry, block, streams)
        results.append(result)
    return dd.from_delayed(results, meta=meta, divisions=divisions, verify_meta=False)


# The methods whose expanding window is a running median: streams, not halos of everything.
_MEDIANS = ("window", "expanding")


def _check_window(window: Any) -> None:
    """A pandas window indexer asks for the bounds of all rows at once: not partition by partition."""
    if isinstance(window, BaseIndexer):
        raise ValueError("a window indexer needs the whole data at once; it does not go with a dask frame")


def _check_keys(series: dd.Series, keys: Any) -> dd.Series:
    """A Series' ``by``: a dask Series of keys, partitioned like it (row counts are checked per block)."""
    if not isinstance(keys, dd.Series):
        raise TypeError(f"`by` on a dask Series must be a dask Series of keys, got {type(keys).__name__}")
    if keys.npartitions != series.npartitions:
        raise ValueError(
            f"`by` must be partitioned like the Series: it has {keys.npartitions} partitions, "
            f"the Series {series.npartitions}"
        )
    return keys


def series_call(series: dd.Series, method: str, options: dict[str, Any], step: Any, by: Any) -> Any:
    """``series.rollmed.<method>(**options, step=step, by=by)`` of the pandas accessor, lazily.

    ``by`` is a dask Series of keys partitioned like ``series``.
    """
    window = options.get("window")
    _check_window(window)
    keys = _check_keys(series, by) if by is not None else None
    roll = Roll(method, options, series=True, name=series.name, keyed=keys is not None)
    # The pandas accessor on the empty meta checks every argument here, not on a worker.
    meta = roll(pair(series._meta, None if keys is None else keys._meta), step)
    key_parts = keys.to_delayed() if keys is not None else [None] * series.npartitions
    blocks = [delayed(pair)(part, key) for part, key in zip(series.to_delayed(), key_parts, strict=True)]
    key_names = [KEY] if keys is not None else []
    if window is None and method in _MEDIANS:
        carry = Carry([0], key_names, meta)
        return carried(blocks, meta, carry, options["min_periods"], options["q"], options["interpolation"],
                       series.divisions)  # fmt: skip
    found = reach(window, options.get("center", False), options.get("closed"), None, key_names)
    return with_halos(blocks, meta, roll, found, step or 1, series.divisions)


def frame_call(frame: dd.DataFrame, method: str, options: dict[str, Any], step: Any = None) -> Any:
    """``frame.rollmed.<method>(**options, step=step)`` of the pandas accessor, lazily."""
    window = options.get("window")
    _check_window(window)
    roll = Roll(method, options)
    meta = roll(frame._meta, step)  # checks every argument and column now
    keys = key_columns(frame.columns, options.get("by"))
    on = options.get("on")
    if window is None and method in _MEDIANS:
        names = set(meta.columns.get_level_values(0)) - ({on} if on is not None else set())
        positions = [i for i, name in enumerate(frame.columns) if name in names]
        carry = Carry(positions, keys, meta, on)
        return carried(frame.to_delayed(), meta, carry, options["min_periods"], options["q"],
                       options["interpolation"], frame.divisions)  # fmt: skip
    found = reach(window, options.get("center", False), options.get("closed"), on, keys)
    return with_halos(frame.to_delayed(), meta, roll, found, step or 1, frame.divisions)
