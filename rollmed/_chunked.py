"""Files larger than memory: rolling medians of a table fed a chunk at a time.

:class:`ChunkedRolling` takes the chunks of a table in order and gives back its rows
with their results as soon as they are known, in the table's order, equal to the
one-shot results. Each column is a :class:`rollmed._grouped.GroupedStreams` (one group
without ``by``); a centred window's result is its group's trailing result ``(window -
1) // 2`` rows later, so a row waits for that many more rows of its group, or the end.
:class:`ChunkedTimeRolling` does the same for time windows, over the times of each row
(:class:`rollmed._timed.TimeSlices`: a centred row waits for a row of its group more
than half the span later, or the end).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollmed._grouped import GroupedStreams, StreamFactory, concat_values
from rollmed._timed import TimeSlices, TimeStatistic


@dataclass(frozen=True)
class RollingColumn:
    """A result to add: the rolling statistic of column ``source``, as column ``name``.

    Examples
    --------
    >>> from rollmed._chunked import RollingColumn
    >>> from rollmed._factories import MedianStreams
    >>> RollingColumn("x", "x_rollmed", MedianStreams(3)).name
    'x_rollmed'
    """

    source: Any
    name: Any
    factory: StreamFactory  # the streams, and how they take the column's values (``values_of``)


class _Pending:
    """The rows fed and not yet given back, in order, and their results so far.

    The results of the waiting rows sit in arrays that double as they fill, so that a
    long wait (a centred window of a million rows) costs no copy a chunk.
    """

    def __init__(self, missing: dict[Any, Any]) -> None:
        self.first_row = 0  # the number of the first waiting row
        self.size = 0
        self.frames: deque[pd.DataFrame] = deque()
        self.empty: pd.DataFrame | None = None
        self.results = {name: make(0) for name, make in missing.items()}
        self.known = np.zeros(0, np.bool_)
        self._missing = dict(missing)  # each result's missing values: n -> array

    def add(self, frame: pd.DataFrame) -> None:
        if self.empty is None:
            self.empty = frame.iloc[:0]  # what no rows look like
        self.frames.append(frame)
        self.size += len(frame)
        if self.size > len(self.known):
            room = max(self.size, 2 * len(self.known)) - len(self.known)
            self.known = np.append(self.known, np.zeros(room, np.bool_))
            for name, results in self.results.items():
                self.results[name] = concat_values([results, self._missing[name](room)])

    def settle(self, name: Any, rows: np.ndarray, results: Any) -> None:
        where = rows - self.first_row
        self.results[name][where] = results
        self.known[where] = True

    def take_ready(self) -> pd.DataFrame:
        """The leading rows whose results are all known, with their results."""
        known = self.known[: self.size]
        ready = self.size if known.all() else int(np.argmin(known))
        frames, left = [], ready
        while self.frames and left >= len(self.frames[0]):
            left -= len(self.frames[0])
            frames.append(self.frames.popleft())
        if left:
            frames.append(self.frames[0].iloc[:left])
            self.frames[0] = self.frames[0].iloc[left:]
        frames = [frame for frame in frames if len(frame)] or [self.empty]
        done = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
        for name, results in self.results.items():
            done[name] = results[:ready]
            self.results[name] = results[ready:]
        self.known = self.known[ready:]
        self.first_row += ready
        self.size -= ready
        return done


class ChunkedRolling:
    """Rolling statistics of a table fed a chunk at a time; its rows back with results, in order.

    Parameters
    ----------
    columns : sequence of RollingColumn
        The results to add, each from a column of the chunks.
    by : column name, optional
        Roll within the groups of rows with equal values of this column.
    lag : int, default 0
        Give a row the trailing result of its group ``lag`` rows later: a centred
        window's ``(window - 1) // 2``.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._chunked import ChunkedRolling, RollingColumn
    >>> from rollmed._factories import MedianStreams
    >>> streams = MedianStreams(3, min_periods=1)
    >>> rolling = ChunkedRolling([RollingColumn("x", "m", streams)], lag=streams.centre_lag)
    >>> rolling.feed(pd.DataFrame({"x": [1.0, 5.0]}))["m"].tolist()
    [3.0]
    >>> rolling.feed(pd.DataFrame({"x": [2.0]}))["m"].tolist()
    [2.0]
    >>> rolling.finish()["m"].tolist()
    [3.5]
    """

    def __init__(self, columns: Sequence[RollingColumn], by: Any = None, lag: int = 0) -> None:
        self._columns = list(columns)
        self._by = by
        self._streams = {column.name: GroupedStreams(column.factory, lag) for column in self._columns}
        self._pending = _Pending({column.name: column.factory.missing for column in self._columns})

    def feed(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """Feed the next rows; the rows whose results are now known (perhaps none), in order.

        Returns
        -------
        pandas.DataFrame
            The chunk's columns and one column per result.
        """
        self._pending.add(chunk)
        keys = None if self._by is None else chunk[self._by]
        for column in self._columns:
            values = column.factory.values_of(chunk[column.source])
            self._pending.settle(column.name, *self._streams[column.name].update(values, keys))
        return self._pending.take_ready()

    def finish(self) -> pd.DataFrame:
        """The rows still waiting after the last chunk, with their results, as :meth:`feed` gives them."""
        for column in self._columns:
            self._pending.settle(column.name, *self._streams[column.name].finish())
        return self._pending.take_ready()


@dataclass(frozen=True)
class TimeColumn:
    """A result to add: a statistic of column ``source`` over a time window, as column ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._chunked import TimeColumn
    >>> from rollmed._timed import TimeStatistic
    >>> def median_of(s, keys):
    ...     return s.rollmed.window("5min", by=keys)
    >>> median = TimeStatistic(median_of, lambda n: np.full(n, np.nan))
    >>> TimeColumn("x", "x_rollmed", median).name
    'x_rollmed'
    """

    source: Any
    name: Any
    statistic: TimeStatistic


class ChunkedTimeRolling:
    """Statistics over a time window of a table fed a chunk at a time; its rows back with results, in order.

    Parameters
    ----------
    columns : sequence of TimeColumn
        The results to add, each from a column of the chunks.
    times : callable
        ``times(chunk, first_row)``: the time of each row of a chunk, as int64 nanoseconds.
    span : int
        The window's span, in nanoseconds.
    center : bool
        Whether the windows are centred on their rows.
    by : column name, optional
        Roll within the groups of rows with equal values of this column.

    Raises
    ------
    rollmed._timed.DecreasingTimes
        From :meth:`feed`, where a row's time is earlier than its group's previous one.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._chunked import ChunkedTimeRolling, TimeColumn
    >>> from rollmed._timed import TimeStatistic
    >>> def median_of(s, keys):
    ...     return s.rollmed.window("2min", by=keys)
    >>> median = TimeStatistic(median_of, lambda n: np.full(n, np.nan))
    >>> times = lambda chunk, first_row: pd.to_datetime(chunk["t"]).to_numpy("M8[ns]").view(np.int64)
    >>> rolling = ChunkedTimeRolling([TimeColumn("x", "m", median)], times, span=120 * 10**9, center=False)
    >>> chunk = pd.DataFrame({"t": ["2024-01-01 00:00", "2024-01-01 00:01"], "x": [1.0, 5.0]})
    >>> rolling.feed(chunk)["m"].tolist()
    [1.0, 3.0]
    >>> rolling.feed(pd.DataFrame({"t": ["2024-01-01 00:02"], "x": [2.0]}))["m"].tolist()
    [3.5]
    """

    def __init__(
        self, columns: Sequence[TimeColumn], times: Any, span: int, center: bool, by: Any = None
    ) -> None:
        self._columns = list(columns)
        self._times = times
        self._by = by
        self._slices = TimeSlices({column.name: column.statistic for column in self._columns}, span, center)
        self._pending = _Pending({column.name: column.statistic.missing for column in self._columns})

    def feed(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """Feed the next rows; the rows whose results are now known (perhaps none), in order."""
        ticks = self._times(chunk, self._pending.first_row + self._pending.size)
        keys = None if self._by is None else chunk[self._by]
        values = {column.name: chunk[column.source] for column in self._columns}
        rows, results = self._slices.update(values, ticks, keys)
        self._pending.add(chunk)
        for name, result in results.items():
            self._pending.settle(name, rows, result)
        return self._pending.take_ready()

    def finish(self) -> pd.DataFrame:
        """The rows still waiting after the last chunk, with their results, as :meth:`feed` gives them."""
        rows, results = self._slices.finish()
        for name, result in results.items():
            self._pending.settle(name, rows, result)
        return self._pending.take_ready()
