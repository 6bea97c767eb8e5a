"""The ``.rollmed`` accessor on dask DataFrames and Series: ``import rollmed.dask``.

A window reaches a bounded way back and forth: a number of rows or a time span,
within each group when ``by`` is given. Each partition is computed by the pandas
accessor on its own rows together with the rows around it that its windows reach,
its *halo*: the tail of everything before it and, for centred windows, the head of
everything after it. Halos are handed on from partition to partition, so a window
may reach across any number of partitions, small or empty. The expanding median,
which reaches back without bound, hands on its streaming state instead (one stream
per group: :class:`rollmed._grouped.GroupedStreams`). Either way the result equals
the pandas accessor's result on the whole data.

Needs ``pip install "rollmed[dask]"``.
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

from rollmed import _plans, _values
from rollmed._compute import key_columns
from rollmed._factories import MedianStreams
from rollmed._grouped import GroupedStreams

# The columns of the blocks a Series is computed from: its values, and its keys under `by`.
_VALUE, _KEY = "value", "key"


@dataclass(frozen=True)
class _Reach:
    """The rows that the windows of a row may reach, before and after it.

    ``before`` and ``after`` rows, or every row within ``span`` in time (of the index,
    or of the column ``on``); within the groups of the ``keys`` columns when given.
    """

    before: int = 0
    after: int = 0
    span: pd.Timedelta | None = None
    center: bool = False
    on: Any = None
    keys: list[Any] = field(default_factory=list)

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
        if times.empty:  # (pandas has no all() for an empty grouped check: its dtype is the times')
            return
        increasing = (
            self._groups(times, rows).is_monotonic_increasing.all()
            if self.keys
            else times.is_monotonic_increasing
        )
        if not increasing:
            where = "within each group " if self.keys else ""
            raise ValueError(
                f"a time window on a dask frame needs times that increase {where}from row to row"
            )


def _reach(window: Any, center: bool, closed: str | None, on: Any, keys: list[Any]) -> _Reach:
    """How far the windows reach; the arguments already checked by the pandas accessor."""
    if _plans.is_time_span(window):
        span = pd.Timedelta(_plans.time_span_nanos(window))
        # A centred window reaches half a span each way; a whole span is enough.
        return _Reach(span=span, center=center, on=on, keys=keys)
    start_offset, end_offset = _plans.fixed_offsets(window, center, closed)
    return _Reach(before=max(-start_offset, 0), after=max(end_offset - 1, 0), keys=keys)


@dataclass(frozen=True)
class _RollSeries:
    """A Series' rolling result from a block of its values (and keys): the pandas accessor."""

    name: Any
    options: dict[str, Any]
    keyed: bool

    def __call__(self, rows: pd.DataFrame, step: int | None = None) -> pd.Series:
        by = rows[_KEY] if self.keyed else None
        result = rows[_VALUE].rollmed.window(**self.options, step=step, by=by)
        return result.astype(np.float64).rename(self.name)


@dataclass(frozen=True)
class _RollFrame:
    """A frame's rolling result from a block of its rows: the pandas accessor."""

    options: dict[str, Any]

    def __call__(self, rows: pd.DataFrame, step: int | None = None) -> pd.DataFrame:
        result = rows.rollmed.window(**self.options, step=step)
        on = self.options["on"]
        return result.astype({name: np.float64 for name in result.columns if name != on})


def _next_tail(reach: _Reach, tail: pd.DataFrame | None, block: pd.DataFrame) -> pd.DataFrame:
    # The tail of (tail, block) is the tail of (tail, the block's tail): no copy of the whole block.
    return reach.tail(_concat([tail, reach.tail(block)]))


def _next_head(reach: _Reach, block: pd.DataFrame, head: pd.DataFrame | None) -> pd.DataFrame:
    return reach.head(_concat([reach.head(block), head]))


def _concat(pieces: list[pd.DataFrame | None]) -> pd.DataFrame:
    nonempty = [piece for piece in pieces if piece is not None and len(piece)]
    if len(nonempty) <= 1:
        return nonempty[0] if nonempty else next(piece for piece in pieces if piece is not None)
    return pd.concat(nonempty)


def _roll_block(
    roll: _RollSeries | _RollFrame,
    reach: _Reach,
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


def _with_halos(
    blocks: list[Any], meta: Any, roll: _RollSeries | _RollFrame, reach: _Reach, step: int, divisions: Any
) -> Any:
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


def _check_window(window: Any) -> None:
    if isinstance(window, BaseIndexer):
        raise ValueError("a window indexer needs the whole data at once; it does not go with a dask frame")


def _check_keys(series: dd.Series, keys: Any) -> dd.Series:
    if not isinstance(keys, dd.Series):
        raise TypeError(f"`by` on a dask Series must be a dask Series of keys, got {type(keys).__name__}")
    if keys.npartitions != series.npartitions:
        raise ValueError(
            f"`by` must be partitioned like the Series: it has {keys.npartitions} partitions, "
            f"the Series {series.npartitions}"
        )
    return keys


def _pair(values: pd.Series, keys: pd.Series | None) -> pd.DataFrame:
    """A block of a Series' values and, under `by`, their keys, row by row."""
    if keys is None:
        return pd.DataFrame({_VALUE: values})
    if len(keys) != len(values):
        raise ValueError(
            f"`by` must have one key per row: a partition has {len(values)} rows, {len(keys)} keys"
        )
    return pd.DataFrame({_VALUE: values, _KEY: keys.to_numpy()}, index=values.index)


def _series_window(series, window, min_periods, center, q, interpolation, closed, step, by):
    _check_window(window)
    keys = _check_keys(series, by) if by is not None else None
    options = {"window": window, "min_periods": min_periods, "center": center, "q": q,
               "interpolation": interpolation, "closed": closed}  # fmt: skip
    roll = _RollSeries(series.name, options, keyed=keys is not None)
    # The pandas accessor on the empty meta checks every argument here, not on a worker.
    meta = roll(_pair(series._meta, keys._meta if keys is not None else None), step)
    reach = _reach(window, center, closed, None, [_KEY] if keys is not None else [])
    key_parts = keys.to_delayed() if keys is not None else [None] * series.npartitions
    blocks = [delayed(_pair)(part, key) for part, key in zip(series.to_delayed(), key_parts, strict=True)]
    return _with_halos(blocks, meta, roll, reach, step or 1, series.divisions)


def _carry_step(
    part: pd.Series, keys: pd.Series | pd.DataFrame | None, streams: GroupedStreams
) -> tuple[GroupedStreams, pd.Series]:
    """A partition's running medians, and the streams to hand on to the next partition."""
    streams = streams.copy()  # a task never changes its input: dask may run it again
    values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    _, results = streams.update(values, keys)  # no lag: every row's result, in order
    return streams, pd.Series(results, index=part.index, name=part.name)


def _series_expanding(series, min_periods, q, interpolation, keys=None):
    """Run the streams partition after partition, each handing its state on to the next."""
    # Made here, so that a bad argument fails now and not on a worker.
    streams = GroupedStreams(MedianStreams(None, min_periods=min_periods, q=q, interpolation=interpolation))
    parts = series.to_delayed()
    key_parts = keys.to_delayed() if keys is not None else [None] * len(parts)
    results = []
    for part, key_part in zip(parts, key_parts, strict=True):
        streams, result = delayed(_carry_step, nout=2)(part, key_part, streams)
        results.append(result)
    meta = pd.Series([], dtype=np.float64, name=series.name)
    return dd.from_delayed(results, meta=meta, divisions=series.divisions, verify_meta=False)


@dd.extensions.register_series_accessor("rollmed")
class DaskSeriesAccessor:
    """``s.rollmed.window(...)`` and ``s.rollmed.expanding(...)`` on a dask Series.

    The same methods and keywords as the pandas accessor (rollmed.accessor); results
    are float64. ``by`` is a dask Series of keys, partitioned like the Series.
    """

    def __init__(self, series: dd.Series) -> None:
        if not _values.is_supported(series.dtype):
            raise AttributeError(f"rollmed needs a numeric or boolean Series, got dtype {series.dtype!s}")
        self._series = series

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float = 0.5, interpolation: str = "linear", closed: str | None = None,
               step: int | None = None, by: Any = None) -> dd.Series:  # fmt: skip
        """Rolling median or quantile; see ``pandas.Series.rollmed.window``.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed, step
            As for the pandas accessor; a time window needs times that increase.
        by : dask.dataframe.Series, optional
            Keys partitioned like the Series: windows within groups.

        Returns
        -------
        dask.dataframe.Series
            float64, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([1.0, 3.0, -1.0, -3.0, 5.0, 3.0]), npartitions=2)
        >>> s.rollmed.window(3).compute().tolist()
        [nan, nan, 1.0, -1.0, -1.0, 3.0]
        >>> s.rollmed.window(3, center=True, step=2).compute().tolist()
        [nan, -1.0, 3.0]
        """
        return _series_window(self._series, window, min_periods, center, q, interpolation, closed, step, by)

    def expanding(self, min_periods: int = 1, *, q: float = 0.5, interpolation: str = "linear",
                  by: Any = None) -> dd.Series:  # fmt: skip
        """Expanding (running) median or quantile, carried across partitions in order.

        Parameters
        ----------
        min_periods, q, interpolation
            As for the pandas accessor.
        by : dask.dataframe.Series, optional
            Keys partitioned like the Series: the running median within each group.

        Returns
        -------
        dask.dataframe.Series
            float64, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([2.0, 3.0, 4.0, 1.0]), npartitions=2)
        >>> s.rollmed.expanding().compute().tolist()
        [2.0, 2.5, 3.0, 2.5]
        """
        keys = _check_keys(self._series, by) if by is not None else None
        return _series_expanding(self._series, min_periods, q, interpolation, keys)


@dd.extensions.register_dataframe_accessor("rollmed")
class DaskFrameAccessor:
    """``df.rollmed.window(...)`` and ``df.rollmed.expanding(...)`` on a dask DataFrame, column by column."""

    def __init__(self, frame: dd.DataFrame) -> None:
        self._frame = frame

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float = 0.5, interpolation: str = "linear", closed: str | None = None,
               step: int | None = None, on: Any = None, by: Any = None,
               numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Rolling median or quantile of every numeric column; ``by`` names key columns.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed, step, on, by, numeric_only
            As for the pandas accessor; a time window needs times that increase
            (within each group).

        Returns
        -------
        dask.dataframe.DataFrame
            The numeric columns but ``by``, float64 (and ``on``, as it is).

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"k": [1, 2, 1, 2, 1], "x": [1.0, 10.0, 3.0, 30.0, 5.0]})
        >>> dd.from_pandas(frame, npartitions=2).rollmed.window(2, by="k").compute()["x"].tolist()
        [nan, nan, 2.0, 20.0, 4.0]
        """
        _check_window(window)
        roll = _RollFrame({"window": window, "min_periods": min_periods, "center": center, "q": q,
                           "interpolation": interpolation, "closed": closed, "on": on, "by": by,
                           "numeric_only": numeric_only})  # fmt: skip
        # The pandas accessor on the empty meta checks every argument here, not on a worker.
        meta = roll(self._frame._meta, step)
        reach = _reach(window, center, closed, on, key_columns(self._frame.columns, by))
        return _with_halos(self._frame.to_delayed(), meta, roll, reach, step or 1, self._frame.divisions)

    def expanding(self, min_periods: int = 1, *, q: float = 0.5, interpolation: str = "linear",
                  by: Any = None, numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Expanding (running) median or quantile of every numeric column.

        Parameters
        ----------
        min_periods, q, interpolation, numeric_only
            As for the pandas accessor.
        by : column name or list of names, optional
            The running median within the groups of these columns.

        Returns
        -------
        dask.dataframe.DataFrame
            The numeric columns but ``by``, float64.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"x": [3.0, 1.0, 2.0, 8.0]})
        >>> dd.from_pandas(frame, npartitions=2).rollmed.expanding().compute()["x"].tolist()
        [3.0, 2.0, 2.0, 2.5]
        """
        keys = key_columns(self._frame.columns, by)
        # The pandas accessor on the empty meta checks the keywords and the columns.
        columns = self._frame._meta.rollmed.expanding(
            min_periods, q=q, interpolation=interpolation, by=by, numeric_only=numeric_only
        ).columns
        key_frame = self._frame[keys] if keys else None
        results = [
            _series_expanding(self._frame[n], min_periods, q, interpolation, key_frame) for n in columns
        ]
        return dd.concat(results, axis=1)
