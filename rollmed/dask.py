"""The ``.rollmed`` accessor on dask DataFrames and Series: ``import rollmed.dask``.

Windows that look a bounded way back and forth (a number of rows, a time span, centred
or not) run partition by partition with the overlap they need (``map_overlap``). The
expanding median and windows within groups, which reach back across any number of
partitions, run partition after partition, each handing its streaming state
(:class:`rollmed.RollingMedian`) to the next. Either way the result equals pandas'
result on the whole data.

Needs ``pip install "rollmed[dask]"``.
"""

from __future__ import annotations

import copy
import functools
from datetime import timedelta
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask import delayed

import rollmed
from rollmed import _api, _windows
from rollmed._stream import RollingMedian
from rollmed._windows import group_order


class _GroupStreams:
    """One stream per group of keys: the state a grouped window carries across partitions."""

    def __init__(self, window: int | None, min_periods: int | None, q: float, interpolation: str) -> None:
        # Plain attributes, no closure: a dask worker process receives this pickled.
        self._options = {"min_periods": min_periods, "q": q, "interpolation": interpolation}
        self._window = window
        self._streams: dict[Any, RollingMedian] = {}

    def update(self, values: np.ndarray, keys: pd.Series) -> np.ndarray:
        """The results of the next ``values``, each fed to its key's stream; NaN for a missing key."""
        out = np.full(len(values), np.nan)
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        order, segments = group_order(codes)
        for number, key in enumerate(uniques):
            rows = order[segments[number] : segments[number + 1]]
            stream = self._streams.get(key)
            if stream is None:
                stream = self._streams[key] = RollingMedian(self._window, **self._options)
            out[rows] = stream.update(values[rows])
        return out


def _overlap(window: Any, center: bool, closed: str | None) -> tuple[Any, Any]:
    """The rows (or the time span) before and after a partition that its windows reach."""
    if isinstance(window, (str, timedelta, pd.offsets.BaseOffset)):
        # dask keeps the neighbours' rows strictly inside the overlap, while pandas'
        # windows may include their ends (``closed``, centred windows): take a whole
        # span and a tick more on each side the windows reach.
        reach = pd.Timedelta(pd.tseries.frequencies.to_offset(window).nanos) + pd.Timedelta(1, "ns")
        return (reach, reach) if center else (reach, pd.Timedelta(0))
    start_offset, end_offset = _api.fixed_offsets(_api._check_integer("window", window), center, closed)
    return max(-start_offset, 0), max(end_offset - 1, 0)


def _expanding_step(part: pd.Series, stream: RollingMedian) -> tuple[RollingMedian, pd.Series]:
    stream = stream.copy()  # a task never changes its input: dask may run it again
    values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    return stream, pd.Series(stream.update(values), index=part.index, name=part.name)


def _grouped_step(
    part: pd.Series, keys: pd.Series, streams: _GroupStreams
) -> tuple[_GroupStreams, pd.Series]:
    streams = copy.deepcopy(streams)  # a task never changes its input: dask may run it again
    values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    return streams, pd.Series(streams.update(values, keys), index=part.index, name=part.name)


def _carry(series: dd.Series, step: Any, first_state: Any, keys: dd.Series | None = None) -> dd.Series:
    """Run ``step`` partition after partition, each handing its state on to the next."""
    parts = series.to_delayed()
    key_parts = keys.to_delayed() if keys is not None else [None] * len(parts)
    state, results = first_state, []
    for part, key_part in zip(parts, key_parts, strict=True):
        args = (part, state) if keys is None else (part, key_part, state)
        state, result = delayed(step, nout=2)(*args)
        results.append(result)
    meta = pd.Series([], dtype=np.float64, name=series.name)
    return dd.from_delayed(results, meta=meta, divisions=series.divisions, verify_meta=False)


def _series_window(series, window, min_periods, center, q, interpolation, closed, by):
    _api.check_quantile(q, interpolation)  # fail here, not on a worker
    if by is not None:
        if center or closed is not None or isinstance(window, (str, timedelta, pd.offsets.BaseOffset)):
            raise ValueError(
                "`by` on a dask frame takes a trailing window of rows (no center, closed or time span)"
            )
        window = _api._check_integer("window", window)
        streams = _GroupStreams(window, min_periods, q, interpolation)
        return _carry(series, _grouped_step, streams, keys=by)
    before, after = _overlap(window, center, closed)
    if _api._is_integer(window):  # validate here, not on a worker (a time span is checked above)
        _windows.plan_window(1, window, min_periods, center, closed, None, None, None)
    meta = pd.Series([], dtype=np.float64, name=series.name)
    roll = functools.partial(
        _roll_partition, window=window, min_periods=min_periods, center=center, q=q,
        interpolation=interpolation, closed=closed,
    )  # fmt: skip
    return series.map_overlap(roll, before, after, meta=meta)


def _roll_partition(part: pd.Series, **options: Any) -> pd.Series:
    # A module-level function pickles by reference: a worker imports rollmed.dask, and so
    # registers the pandas accessor, before it runs this.
    return part.rollmed.window(**options).astype(np.float64)


def _series_expanding(series, min_periods, q, interpolation, by=None):
    _api.check_quantile(q, interpolation)
    if by is not None:  # a running median per group: one stream per key, carried along
        streams = _GroupStreams(None, min_periods, q, interpolation)
        return _carry(series, _grouped_step, streams, keys=by)
    stream = RollingMedian(None, min_periods=min_periods, q=q, interpolation=interpolation)
    return _carry(series, _expanding_step, stream)


@dd.extensions.register_series_accessor("rollmed")
class DaskSeriesAccessor:
    """``s.rollmed.window(...)`` and ``s.rollmed.expanding(...)`` on a dask Series.

    The same methods and keywords as the pandas accessor (rollmed.accessor); results
    are float64. ``by`` is a dask Series of keys, partitioned like the Series.
    """

    def __init__(self, series: dd.Series) -> None:
        if not rollmed.accessor._is_supported(series.dtype):
            raise AttributeError(f"rollmed needs a numeric or boolean Series, got dtype {series.dtype!s}")
        self._series = series

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float = 0.5, interpolation: str = "linear", closed: str | None = None,
               by: Any = None) -> dd.Series:  # fmt: skip
        """Rolling median or quantile; see ``pandas.Series.rollmed.window``.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed
            As for the pandas accessor.
        by : dask.dataframe.Series, optional
            Keys partitioned like the Series: a trailing window of rows within groups.

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
        """
        return _series_window(self._series, window, min_periods, center, q, interpolation, closed, by)

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
        return _series_expanding(self._series, min_periods, q, interpolation, by)


@dd.extensions.register_dataframe_accessor("rollmed")
class DaskFrameAccessor:
    """``df.rollmed.window(...)`` and ``df.rollmed.expanding(...)`` on a dask DataFrame, column by column."""

    def __init__(self, frame: dd.DataFrame) -> None:
        self._frame = frame

    def _key_column(self, by: Any) -> dd.Series | None:
        if by is not None and by not in self._frame.columns:
            raise KeyError(f"`by` names a column that does not exist: {by!r}")
        return self._frame[by] if by is not None else None

    def _columns(self, exclude: list[Any], numeric_only: bool) -> list[Any]:
        columns = []
        for name, dtype in self._frame.dtypes.items():
            if name in exclude:
                continue
            if rollmed.accessor._is_supported(dtype):
                columns.append(name)
            elif not numeric_only:
                raise TypeError(
                    f"column {name!r} has dtype {dtype!s}: pass numeric_only=True to leave it out"
                )
        return columns

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float = 0.5, interpolation: str = "linear", closed: str | None = None,
               by: Any = None, numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Rolling median or quantile of every numeric column; ``by`` names a key column.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed, numeric_only
            As for the pandas accessor.
        by : column name, optional
            A trailing window of rows within the groups of this column.

        Returns
        -------
        dask.dataframe.DataFrame
            The numeric columns but ``by``, float64.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"k": [1, 2, 1, 2, 1], "x": [1.0, 10.0, 3.0, 30.0, 5.0]})
        >>> dd.from_pandas(frame, npartitions=2).rollmed.window(2, by="k").compute()["x"].tolist()
        [nan, nan, 2.0, 20.0, 4.0]
        """
        keys = self._key_column(by)
        columns = self._columns([by] if by is not None else [], numeric_only)
        results = {
            name: _series_window(
                self._frame[name], window, min_periods, center, q, interpolation, closed, keys
            )
            for name in columns
        }
        return dd.concat(list(results.values()), axis=1)

    def expanding(self, min_periods: int = 1, *, q: float = 0.5, interpolation: str = "linear",
                  by: Any = None, numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Expanding (running) median or quantile of every numeric column.

        Parameters
        ----------
        min_periods, q, interpolation, numeric_only
            As for the pandas accessor.
        by : column name, optional
            The running median within the groups of this column.

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
        keys = self._key_column(by)
        columns = self._columns([by] if by is not None else [], numeric_only)
        return dd.concat(
            [_series_expanding(self._frame[n], min_periods, q, interpolation, keys) for n in columns], axis=1
        )
