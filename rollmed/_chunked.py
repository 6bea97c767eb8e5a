"""Files larger than memory: rolling medians of a table fed a chunk at a time.

:class:`ChunkedRolling` takes the chunks of a table in order and gives back its rows
with their results as soon as they are known, in the table's order, equal to the
one-shot results. Each column is a :class:`rollmed._grouped.GroupedStreams` (one group
without ``by``); a centred window's result is its group's trailing result ``(window -
1) // 2`` rows later, so a row waits for that many more rows of its group, or the end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollmed._grouped import GroupedStreams, StreamFactory, concat_values


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

    def __init__(self, columns: Sequence[RollingColumn]) -> None:
        self.first_row = 0  # the number of the first waiting row
        self.size = 0
        self.frames: deque[pd.DataFrame] = deque()
        self.empty: pd.DataFrame | None = None
        self.results = {column.name: column.factory.missing(0) for column in columns}
        self.known = np.zeros(0, np.bool_)
        self._missing = {column.name: column.factory.missing for column in columns}

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
        self._pending = _Pending(self._columns)

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
