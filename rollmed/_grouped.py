"""Streams within groups: values and their keys in, a piece at a time; each row's result out.

:class:`GroupedStreams` gives each row the result its group's own stream would give it,
so that the pieces (the chunks of a file, the partitions of a dask frame) together give
the one-shot ``s.rollmed.window(..., by=keys)``. With a ``lag``, a row's result is its
group's trailing result ``lag`` rows later (a centred window), and :meth:`GroupedStreams.finish`
gives the last rows of each group theirs, the windows cut short at the end as pandas cuts them.

Cost follows the data, not the number of groups: a group that has seen few values keeps
them itself (at most ``most_held``), and the results of all such groups come from one
vectorised call a piece (:meth:`StreamFactory.run_groups`) over their kept values and
the new ones; a group that outgrows that gets a stream of its own, and a Python call a
piece. A fixed window's group keeps at most its last ``window - 1`` values either way.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

import numpy as np
import pandas as pd

# A group keeps up to this many values itself before it gets a stream: one stream call
# (about 25 us) costs as much as recomputing some 500 values in a vectorised call.
MOST_HELD = 512
# Rows copied at a time where the rows held are copied (the held rows may be many).
_BLOCK = 1 << 16
# A group's number: 4 bytes a row held (two billion groups would not fit in memory anyway).
GROUP_NUMBER = np.int32


class Stream(Protocol):
    """A streaming statistic: ``update(values)`` gives one result per value, in order."""

    def update(self, values: Any) -> Any:
        """The results at the positions of ``values``."""


class StreamFactory(Protocol):
    """What :class:`GroupedStreams` needs to know of a statistic.

    Streams ignore missing values; a fixed window covers the latest ``history + 1``
    values. Values and results are NumPy float64 arrays or pandas masked arrays. A
    stream's (trailing) result at a value is that of the window ending there; a
    statistic of a row and its centred window (the Hampel filter's) may give there the
    result of the row ``lag`` values before, whose window ends there.
    """

    history: int | None  # the number of latest values that decide every later result; None: all

    def __call__(self) -> Stream:
        """A new stream."""

    def missing(self, n: int) -> Any:
        """``n`` missing values, of the kind streams take and give."""

    def run_groups(self, values: Any, groups: np.ndarray, lag: int) -> Any:
        """The results of ``values``, each group fed to a new stream of its own.

        ``groups`` numbers the groups from 0, a group's rows in order. With ``lag`` > 0 a
        row's result is its group's trailing result ``lag`` rows later: that of its
        centred window, cut short at the group's end as pandas cuts it.
        """

    def ungrouped(self, values: Any) -> Any:
        """The results of rows of no group (a missing key): missing, but where a filter leaves its value."""

    def finish_stream(self, stream: Stream, seen: int, lag: int, count: int) -> Any:
        """The results of the last ``count`` rows of a stream fed ``seen`` values, its group ended.

        Each row (``count`` is at most ``lag``) gets the result of its centred window,
        cut short at the group's end, as :meth:`run_groups` gives it with ``lag``.
        """


class _Numbering:
    """Numbers for the distinct values of one key column, a value keeping its number.

    The values seen are kept sorted beside their numbers (12 bytes a value, where a dict
    took 75), so that a piece's values are looked up in ``log`` time each; values that
    do not sort together (objects of mixed types) are numbered through a dict instead.
    Equal as ``==`` finds them, as pandas' factorize does.
    """

    def __init__(self) -> None:
        self.count = 0
        self._sorted: np.ndarray | None = None  # the values seen, sorted
        self._numbers = np.zeros(0, GROUP_NUMBER)  # theirs, in the same order
        self._by_value: dict[Any, int] | None = None

    def of(self, values: np.ndarray) -> np.ndarray:
        """The numbers of distinct ``values``; new ones get the next numbers, in order."""
        if self._by_value is None:
            try:
                return self._look_up(values)
            except TypeError:  # values that do not compare: a dict from now on
                seen = [] if self._sorted is None else self._sorted.tolist()
                self._by_value = dict(zip(seen, self._numbers.tolist(), strict=True))
        known = self._by_value
        numbers = [known.setdefault(value, len(known)) for value in values.tolist()]
        self.count = len(known)
        return np.asarray(numbers, GROUP_NUMBER)

    def _look_up(self, values: np.ndarray) -> np.ndarray:
        seen = values[:0] if self._sorted is None else self._sorted
        place = np.searchsorted(seen, values)
        at = np.minimum(place, max(len(seen) - 1, 0))
        found = (place < len(seen)) & (seen[at] == values) if len(seen) else np.zeros(len(values), np.bool_)
        numbers = np.empty(len(values), GROUP_NUMBER)
        numbers[found] = self._numbers[at[found]]
        new = np.flatnonzero(~found)
        numbers[new] = self.count + np.arange(len(new))
        if len(new) or self._sorted is None:
            order = np.argsort(values[new], kind="stable")
            where = np.searchsorted(seen, values[new][order])
            self._sorted = np.insert(seen, where, values[new][order])
            self._numbers = np.insert(self._numbers, where, numbers[new][order])
            self.count += len(new)
        return numbers


class GroupKeys:
    """Group numbers for keys that arrive in pieces: a key keeps its number from piece to piece.

    Keys are equal as pandas' ``groupby`` finds them; a row with a missing key is in no
    group (-1). Several key columns make one group per combination.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._grouped import GroupKeys
    >>> keys = GroupKeys()
    >>> keys.codes(pd.Series(["a", "b", None]), 3).tolist()
    [0, 1, -1]
    >>> keys.codes(pd.Series(["b", "c"]), 2).tolist()
    [1, 2]
    """

    def __init__(self) -> None:
        self._columns: list[_Numbering] = []  # each key column's values so far
        self._combinations: dict[tuple[int, ...], int] = {}  # with several columns

    def codes(self, keys: pd.Series | pd.DataFrame | None, n: int) -> np.ndarray:
        """The group number (int32) of each of ``n`` rows: all 0 without keys."""
        if keys is None:
            return np.zeros(n, GROUP_NUMBER)
        if isinstance(keys, pd.Series):
            return self._number(0, keys)
        numbers = [self._number(j, keys.iloc[:, j]) for j in range(keys.shape[1])]
        if len(numbers) == 1:
            return numbers[0]
        rows = np.stack(numbers, axis=1)
        keyed = (rows >= 0).all(axis=1)
        combinations, inverse = np.unique(rows[keyed], axis=0, return_inverse=True)
        known = self._combinations
        found = [known.setdefault(tuple(row), len(known)) for row in combinations.tolist()]
        codes = np.full(n, -1, GROUP_NUMBER)
        codes[keyed] = np.asarray(found, GROUP_NUMBER)[inverse.reshape(-1)]
        return codes

    def _number(self, j: int, column: pd.Series) -> np.ndarray:
        """The numbers of a key column's values, -1 for a missing one (pandas' factorize finds them)."""
        local, uniques = pd.factorize(column, use_na_sentinel=True)
        while len(self._columns) <= j:
            self._columns.append(_Numbering())
        numbers = self._columns[j].of(np.asarray(uniques.to_numpy()))
        return np.append(numbers, GROUP_NUMBER(-1))[local]


class _Rows:
    """Rows held or fed: their group, their number (from the first row fed) and their values.

    ``rows`` is None where no row number is needed (held rows without a lag: they wait for nothing).
    """

    def __init__(self, codes: np.ndarray, rows: np.ndarray | None, values: Any) -> None:
        self.codes = codes
        self.rows = rows
        self.values = values

    def take(self, where: np.ndarray) -> _Rows:
        return _Rows(self.codes[where], None if self.rows is None else self.rows[where], self.values[where])

    def numbers(self) -> np.ndarray:
        """The row numbers, -1 where they are not kept."""
        return np.full(len(self.codes), -1, np.int64) if self.rows is None else self.rows

    def then(self, added: _Rows) -> _Rows:
        """These rows, then ``added``'s."""
        rows = None
        if self.rows is not None or added.rows is not None:
            rows = np.concatenate([self.numbers(), added.numbers()])
        codes = np.concatenate([self.codes, added.codes])
        return _Rows(codes, rows, concat_values([self.values, added.values]))

    def but(self, gone: np.ndarray, added: _Rows, numbered: bool) -> _Rows:
        """These rows but the ``gone`` ones, then ``added``'s: each array made once (it may be large)."""
        keep = ~gone
        count = int(np.count_nonzero(keep))

        def joined(mine: Any, theirs: Any) -> Any:
            if not (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray)):
                return concat_values([mine[keep], theirs])
            out = np.empty(count + len(theirs), mine.dtype)
            done = 0
            for start in range(0, len(mine), _BLOCK):  # a block at a time: no copy of the whole
                block = mine[start : start + _BLOCK][keep[start : start + _BLOCK]]
                out[done : done + len(block)] = block
                done += len(block)
            out[count:] = theirs
            return out

        rows = joined(self.numbers(), added.numbers()) if numbered else None
        return _Rows(joined(self.codes, added.codes), rows, joined(self.values, added.values))


def concat_values(pieces: list[Any]) -> Any:
    """NumPy arrays or pandas arrays of one kind, end to end.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._grouped import concat_values
    >>> concat_values([pd.array([1], dtype="Int64"), pd.array([None], dtype="Int64")]).tolist()
    [1, <NA>]
    """
    if all(isinstance(piece, np.ndarray) for piece in pieces):
        return np.concatenate(pieces)
    return pd.concat([pd.Series(piece, copy=False) for piece in pieces], ignore_index=True).array


def _numbered(codes: np.ndarray) -> np.ndarray:
    """Sorted group numbers renumbered 0, 1, 2... in order."""
    return np.concatenate([np.zeros(min(len(codes), 1), np.int64), np.cumsum(codes[1:] != codes[:-1])])


def _segments(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal ``codes`` starts, and its length (codes sorted by group)."""
    if not len(codes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    return starts, np.diff(np.append(starts, len(codes)))


class GroupedStreams:
    """One stream per group, fed values and keys a piece at a time; each row's result out.

    Parameters
    ----------
    factory : StreamFactory
        Makes the streams (and computes many small groups at once): :class:`rollmed._factories.MedianStreams`.
    lag : int, default 0
        A row's result is its group's trailing result ``lag`` rows later (a centred
        window's ``(window - 1) // 2``); the last rows of each group get theirs from
        :meth:`finish`. Needs a fixed window.
    most_held : int, optional
        The most values a group keeps itself before it gets a stream of its own.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from rollmed._factories import MedianStreams
    >>> from rollmed._grouped import GroupedStreams
    >>> streams = GroupedStreams(MedianStreams(None))  # running medians per key
    >>> rows, results = streams.update(np.array([1.0, 10.0, 3.0]), pd.Series(["a", "b", "a"]))
    >>> rows.tolist(), results.tolist()
    ([0, 1, 2], [1.0, 10.0, 2.0])
    >>> streams.update(np.array([20.0]), pd.Series(["b"]))[1].tolist()
    [15.0]
    """

    def __init__(self, factory: StreamFactory, lag: int = 0, most_held: int = MOST_HELD) -> None:
        if lag and factory.history is None:
            raise ValueError("a lag needs streams of a fixed window")
        self._factory = factory
        self._lag = lag
        self._most_held = most_held
        self._keys = GroupKeys()
        self._fed = 0  # rows fed so far
        self._seen = np.zeros(0, np.int64)  # values fed to each group
        self._streamed = np.zeros(0, np.bool_)  # whether the group has a stream of its own
        self._streams: dict[int, Stream] = {}
        # Each group's last rows: those still waiting for a result and, for a group
        # without a stream, the values that decide its next results.
        numbers = np.zeros(0, np.int64) if lag else None
        self._held = _Rows(np.zeros(0, GROUP_NUMBER), numbers, factory.missing(0))

    def copy(self) -> GroupedStreams:
        """An independent copy, to resume from later."""
        return copy.deepcopy(self)

    @property
    def own_streams(self) -> int:
        """How many groups have a stream of their own (the others are computed together)."""
        return len(self._streams)

    def update(self, values: Any, keys: pd.Series | pd.DataFrame | None = None) -> tuple[np.ndarray, Any]:
        """Feed the next rows: their values and keys (None: one group).

        Returns
        -------
        rows : numpy.ndarray
            The numbers of the rows whose results are now known, counted from the first
            row fed, in increasing order: all those fed, without a lag.
        results : array
            Their results; a row of no group (a missing key) gets
            ``factory.ungrouped``'s: missing, for all but a filter.
        """
        n = len(values)
        codes = self._keys.codes(keys, n)
        rows = np.arange(self._fed, self._fed + n, dtype=np.int64)
        self._fed += n
        self._make_room(int(codes.max(initial=-1)) + 1)
        keyed = codes >= 0
        unkeyed = np.flatnonzero(~keyed)
        new = _Rows(codes, rows, values)
        table, fresh, gathered = self._gather(new if not len(unkeyed) else new.take(keyed))
        done_rows, done = self._resolve(table, fresh, self._trailing(table, fresh))
        self._hold(table, fresh, gathered)
        return self._in_order([rows[unkeyed], done_rows], [self._factory.ungrouped(values[unkeyed]), done])

    def finish(self) -> tuple[np.ndarray, Any]:
        """The rows still waiting for a result (with a lag) and their results, as ``update`` gives them."""
        held = self._held.take(np.argsort(self._held.codes, kind="stable"))
        self._held = held.take(np.zeros(0, np.int64))
        if held.rows is None:
            held.rows = held.numbers()
        if not self._lag or not len(held.codes):
            return np.zeros(0, np.int64), self._factory.missing(0)
        starts, lengths = _segments(held.codes)
        waiting = np.minimum(lengths, self._lag)
        last = np.arange(len(held.codes)) >= np.repeat(starts + lengths - waiting, lengths)
        results = self._factory.missing(len(held.codes))
        own = self._streamed[held.codes]
        if (~own).any():
            # The kept values cover every waiting row's window: a centred run over them.
            results[~own] = self._factory.run_groups(
                held.values[~own], _numbered(held.codes[~own]), self._lag
            )
        for group in np.flatnonzero(self._streamed[held.codes[starts]]):
            end, count = starts[group] + lengths[group], waiting[group]
            code = int(held.codes[starts[group]])
            results[end - count : end] = self._factory.finish_stream(
                self._streams[code], int(self._seen[code]), self._lag, int(count)
            )
        return self._in_order([held.rows[last]], [results[last]])

    def _make_room(self, groups: int) -> None:
        if groups > len(self._seen):
            grow = max(groups, 2 * len(self._seen)) - len(self._seen)
            self._seen = np.append(self._seen, np.zeros(grow, np.int64))
            self._streamed = np.append(self._streamed, np.zeros(grow, np.bool_))

    def _gather(self, new: _Rows) -> tuple[_Rows, np.ndarray, np.ndarray]:
        """The held rows of the groups in ``new``, then ``new``'s rows, by group.

        Also which of those rows are new, and which held rows were taken.
        """
        present = np.zeros(len(self._seen), np.bool_)
        present[new.codes] = True
        gathered = present[self._held.codes]
        old = self._held.take(gathered)
        table = old.then(new)
        # Stable: a group's held rows come before its new ones, each in row order.
        order = np.argsort(table.codes, kind="stable")
        fresh = np.arange(len(table.codes)) >= len(old.codes)
        return table.take(order), fresh[order], gathered

    def _trailing(self, table: _Rows, fresh: np.ndarray) -> Any:
        """The trailing result at each new row (missing at the held ones)."""
        own = self._streamed[table.codes]
        if not own.any():  # no group has a stream of its own: one call for all
            return self._factory.run_groups(table.values, _numbered(table.codes), 0)
        results = self._factory.missing(len(table.codes))
        if not own.all():
            results[~own] = self._factory.run_groups(table.values[~own], _numbered(table.codes[~own]), 0)
        fed = np.flatnonzero(own & fresh)
        starts, lengths = _segments(table.codes[fed])
        for start, length in zip(starts, lengths, strict=True):
            where = fed[start : start + length]
            results[where] = self._streams[int(table.codes[where[0]])].update(table.values[where])
        return results

    def _resolve(self, table: _Rows, fresh: np.ndarray, trailing: Any) -> tuple[np.ndarray, Any]:
        """The rows that the new trailing results resolve, ``lag`` rows back in their group."""
        starts, lengths = _segments(table.codes)
        position = np.arange(len(table.codes)) - np.repeat(starts, lengths)
        new = np.flatnonzero(fresh)
        # A group's first `lag` trailing results belong to no row.
        new = new[position[new] >= self._lag]
        return table.rows[new - self._lag], trailing[new]

    def _hold(self, table: _Rows, fresh: np.ndarray, gathered: np.ndarray) -> None:
        """Keep each group's last rows, in place of its ``gathered`` ones.

        A group that outgrows ``most_held`` gets a stream of its own.
        """
        starts, lengths = _segments(table.codes)
        codes = table.codes[starts]
        if len(starts):
            self._seen[codes] += np.add.reduceat(fresh.astype(np.int64), starts)
        history = self._factory.history
        decisive = lengths if history is None else np.minimum(lengths, history)
        for group in np.flatnonzero((decisive > self._most_held) & ~self._streamed[codes]):
            # Fed the values that decide its next results, the stream goes on where the group is.
            end, code = starts[group] + lengths[group], int(codes[group])
            self._streams[code] = self._factory()
            self._streams[code].update(table.values[end - decisive[group] : end])
            self._streamed[code] = True
        keep = np.where(self._streamed[codes], np.minimum(lengths, self._lag), decisive)
        kept = np.arange(len(table.codes)) >= np.repeat(starts + lengths - keep, lengths)
        self._held = self._held.but(gathered, table.take(kept), numbered=self._lag > 0)

    def _in_order(self, rows: list[np.ndarray], results: list[Any]) -> tuple[np.ndarray, Any]:
        """Rows and their results, by row number (each row once)."""
        rows_, results_ = np.concatenate(rows), concat_values(results)
        if len(rows_) and rows_.max() - rows_.min() + 1 == len(rows_):  # every row of a range: put in place
            first = rows_.min()
            ordered = self._factory.missing(len(rows_))
            ordered[rows_ - first] = results_
            return np.arange(first, first + len(rows_)), ordered
        order = np.argsort(rows_, kind="stable")
        return rows_[order], results_[order]
