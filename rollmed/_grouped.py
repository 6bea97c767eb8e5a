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
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rollmed import _plans, _values
from rollmed import accessor as _accessor  # noqa: F401  (run_groups calls the .rollmed accessor)
from rollmed._stream import RollingMedian

# A group keeps up to this many values itself before it gets a stream: one stream call
# (about 25 us) costs as much as recomputing some 500 values in a vectorised call.
MOST_HELD = 512


class Stream(Protocol):
    """A streaming statistic: ``update(values)`` gives one result per value, in order."""

    def update(self, values: Any) -> Any:
        """The results at the positions of ``values``."""


class StreamFactory(Protocol):
    """What :class:`GroupedStreams` needs to know of a statistic.

    Streams ignore missing values; a fixed window covers the latest ``history + 1``
    values. Values and results are NumPy float64 arrays or pandas masked arrays.
    """

    history: int | None  # the number of latest values that decide every later result; None: all

    def __call__(self) -> Stream:
        """A new stream."""

    def missing(self, n: int) -> Any:
        """``n`` missing values, of the kind streams take and give."""

    def run_groups(self, values: Any, codes: np.ndarray, lag: int) -> Any:
        """The results of ``values``, each group (of ``codes``) fed to a new stream of its own.

        With ``lag`` > 0 a row's result is its group's trailing result ``lag`` rows
        later, the group continued by missing values.
        """


@dataclass(frozen=True)
class MedianStreams:
    """Rolling median (or quantile) streams: :class:`rollmed.RollingMedian` with these arguments.

    Parameters
    ----------
    window : int, optional
        The window in rows; None for the running median.
    min_periods, q, interpolation, dtype
        As for :class:`rollmed.RollingMedian`; the arguments are checked here.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._grouped import MedianStreams
    >>> streams = MedianStreams(3, min_periods=1)
    >>> streams().update([1.0, 3.0, 2.0]).tolist()
    [1.0, 2.0, 2.0]
    >>> streams.run_groups(np.array([1.0, 5.0, 3.0]), np.array([0, 1, 0]), 0).tolist()
    [1.0, 5.0, 2.0]
    """

    window: int | None
    min_periods: int | None = None
    q: float = 0.5
    interpolation: str = "linear"
    dtype: str = "float64"
    _prototype: RollingMedian = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Made now, so that a bad argument fails here; copying it is ten times faster than a new one.
        prototype = RollingMedian(
            self.window, min_periods=self.min_periods, q=self.q, interpolation=self.interpolation,
            dtype=self.dtype,
        )  # fmt: skip
        object.__setattr__(self, "_prototype", prototype)

    @classmethod
    def for_column(
        cls, dtype: Any, window: int | None, min_periods: int | None, q: float, interpolation: str
    ) -> MedianStreams:
        """Streams for a column of ``dtype``: exact integers where the accessor gives them, else float64.

        Examples
        --------
        >>> from rollmed._grouped import MedianStreams
        >>> MedianStreams.for_column("uint64", 3, None, 0.5, "lower").dtype
        'uint64'
        >>> MedianStreams.for_column("int64", 3, None, 0.5, "linear").dtype
        'float64'
        """
        unboxed = _values.unbox_series(pd.Series([], dtype=dtype), interpolation)
        kind = ("uint64" if unboxed.unsigned else "int64") if unboxed.exact else "float64"
        return cls(window, min_periods, q, interpolation, kind)

    @property
    def history(self) -> int | None:
        """The number of latest values that decide every later result: ``window - 1``."""
        return None if self.window is None else self.window - 1

    @property
    def centre_lag(self) -> int:
        """How many rows after its own a centred window's result is known: the rows it reaches ahead."""
        return 0 if self.window is None else _plans.fixed_offsets(self.window, True, None)[1] - 1

    def __call__(self) -> RollingMedian:
        """A new stream."""
        return self._prototype.copy()

    def values_of(self, column: pd.Series) -> Any:
        """A column's values as the streams take them: float64, or masked integers."""
        if self.dtype == "float64":
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.array(column, dtype="UInt64" if self.dtype == "uint64" else "Int64")

    def missing(self, n: int) -> Any:
        """``n`` missing values: NaN, or masked integers."""
        if self.dtype == "float64":
            return np.full(n, np.nan)
        return pd.arrays.IntegerArray(np.zeros(n, self.dtype), np.ones(n, np.bool_))

    def run_groups(self, values: Any, codes: np.ndarray, lag: int) -> Any:
        """Each group's results as its own stream gives them, from the pandas accessor; centred for a lag."""
        if lag not in (0, self.centre_lag):
            raise ValueError(f"a median stream's results come 0 or {self.centre_lag} rows late, not {lag}")
        series = pd.Series(values, copy=False)
        quantile = {"q": self.q, "interpolation": self.interpolation}
        if self.window is None:
            min_periods = 1 if self.min_periods is None else self.min_periods
            result = series.rollmed.expanding(min_periods, **quantile, by=codes)
        else:
            result = series.rollmed.window(
                self.window, min_periods=self.min_periods, center=lag > 0, **quantile, by=codes
            )
        return result.to_numpy() if self.dtype == "float64" else result.array


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
        self._columns: list[dict[Any, int]] = []  # each key column's values, numbered
        self._combinations: dict[tuple[int, ...], int] = {}  # with several columns

    def codes(self, keys: pd.Series | pd.DataFrame | None, n: int) -> np.ndarray:
        """The group number of each of ``n`` rows: all 0 without keys."""
        if keys is None:
            return np.zeros(n, np.int64)
        frame = keys.to_frame() if isinstance(keys, pd.Series) else keys
        while len(self._columns) < frame.shape[1]:
            self._columns.append({})
        numbers = [self._number(self._columns[j], frame.iloc[:, j]) for j in range(frame.shape[1])]
        if len(numbers) == 1:
            return numbers[0]
        rows = np.stack(numbers, axis=1)
        keyed = (rows >= 0).all(axis=1)
        combinations, inverse = np.unique(rows[keyed], axis=0, return_inverse=True)
        known = self._combinations
        found = [known.setdefault(tuple(row), len(known)) for row in combinations.tolist()]
        codes = np.full(n, -1, np.int64)
        codes[keyed] = np.asarray(found, np.int64)[inverse.reshape(-1)]
        return codes

    @staticmethod
    def _number(known: dict[Any, int], column: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(column, use_na_sentinel=True)
        # One dict look-up per distinct key of the piece, not per row; -1 (no key) reads the last, -1.
        found = [known.setdefault(key, len(known)) for key in uniques]
        return np.array([*found, -1], np.int64)[local]


class _Rows:
    """Rows held or fed: their group, their number (from the first row fed) and their values."""

    def __init__(self, codes: np.ndarray, rows: np.ndarray, values: Any) -> None:
        self.codes = codes
        self.rows = rows
        self.values = values

    def take(self, where: np.ndarray) -> _Rows:
        return _Rows(self.codes[where], self.rows[where], self.values[where])

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(
            np.concatenate([part.codes for part in parts]),
            np.concatenate([part.rows for part in parts]),
            concat_values([part.values for part in parts]),
        )


def concat_values(pieces: list[Any]) -> Any:
    """NumPy arrays or pandas arrays of one kind, end to end."""
    if all(isinstance(piece, np.ndarray) for piece in pieces):
        return np.concatenate(pieces)
    return pd.concat([pd.Series(piece, copy=False) for piece in pieces], ignore_index=True).array


def _segments(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal ``codes`` starts, and its length (codes sorted by group)."""
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.empty(0, np.int64)
    return starts, np.diff(np.r_[starts, len(codes)])


class GroupedStreams:
    """One stream per group, fed values and keys a piece at a time; each row's result out.

    Parameters
    ----------
    factory : StreamFactory
        Makes the streams (and computes many small groups at once): :class:`MedianStreams`.
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
    >>> from rollmed._grouped import GroupedStreams, MedianStreams
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
        self._held = _Rows(np.zeros(0, np.int64), np.zeros(0, np.int64), factory.missing(0))

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
            Their results; missing for a row of no group (a missing key).
        """
        n = len(values)
        codes = self._keys.codes(keys, n)
        rows = np.arange(self._fed, self._fed + n, dtype=np.int64)
        self._fed += n
        self._make_room(int(codes.max(initial=-1)) + 1)
        keyed = codes >= 0
        unkeyed = np.flatnonzero(~keyed)
        table, fresh = self._gather(_Rows(codes, rows, values).take(keyed))
        trailing = self._trailing(table, fresh)
        done_rows, done = self._resolve(table, fresh, trailing)
        self._hold(table, fresh)
        return self._in_order([rows[unkeyed], done_rows], [self._factory.missing(len(unkeyed)), done])

    def finish(self) -> tuple[np.ndarray, Any]:
        """The rows still waiting for a result (with a lag) and their results, as ``update`` gives them."""
        held = self._held.take(np.argsort(self._held.codes, kind="stable"))
        self._held = held.take(np.zeros(0, np.int64))
        if not self._lag or not len(held.codes):
            return np.zeros(0, np.int64), self._factory.missing(0)
        starts, lengths = _segments(held.codes)
        waiting = np.minimum(lengths, self._lag)
        last = np.arange(len(held.codes)) >= np.repeat(starts + lengths - waiting, lengths)
        results = self._factory.missing(len(held.codes))
        own = self._streamed[held.codes]
        if (~own).any():
            # The kept values cover every waiting row's window: a centred run over them.
            results[~own] = self._factory.run_groups(held.values[~own], held.codes[~own], self._lag)
        window = self._factory.history + 1
        for group in np.flatnonzero(self._streamed[held.codes[starts]]):
            end, count = starts[group] + lengths[group], waiting[group]
            results[end - count : end] = self._finish_stream(int(held.codes[starts[group]]), count, window)
        return self._in_order([held.rows[last]], [results[last]])

    def _finish_stream(self, code: int, count: int, window: int) -> Any:
        """A stream's last ``count`` results: its group continued by ``lag`` missing values."""
        stream = self._streams[code]
        if self._seen[code] + self._lag <= window:
            # No value leaves the window before the last result: every one is the next one.
            return stream.update(self._factory.missing(1))[np.zeros(count, np.int64)]
        # Here lag < seen: feeding the missing values costs less than the values fed.
        return stream.update(self._factory.missing(self._lag))[self._lag - count :]

    def _make_room(self, groups: int) -> None:
        if groups > len(self._seen):
            grow = max(groups, 2 * len(self._seen)) - len(self._seen)
            self._seen = np.r_[self._seen, np.zeros(grow, np.int64)]
            self._streamed = np.r_[self._streamed, np.zeros(grow, np.bool_)]

    def _gather(self, new: _Rows) -> tuple[_Rows, np.ndarray]:
        """The held rows of the groups in ``new`` and ``new``'s rows, by group; which rows are new."""
        present = np.zeros(len(self._seen), np.bool_)
        present[new.codes] = True
        theirs = present[self._held.codes]
        old = self._held.take(theirs)
        self._held = self._held.take(~theirs)
        table = _Rows.concat([old, new])
        # Stable: a group's held rows come before its new ones, each in row order.
        order = np.argsort(table.codes, kind="stable")
        fresh = np.r_[np.zeros(len(old.codes), np.bool_), np.ones(len(new.codes), np.bool_)]
        return table.take(order), fresh[order]

    def _trailing(self, table: _Rows, fresh: np.ndarray) -> Any:
        """The trailing result at each new row (missing at the held ones)."""
        results = self._factory.missing(len(table.codes))
        own = self._streamed[table.codes]
        if (~own).any():
            results[~own] = self._factory.run_groups(table.values[~own], table.codes[~own], 0)
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

    def _hold(self, table: _Rows, fresh: np.ndarray) -> None:
        """Keep each group's last rows; a group that outgrows ``most_held`` gets a stream."""
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
        self._held = _Rows.concat([self._held, table.take(kept)])

    def _in_order(self, rows: list[np.ndarray], results: list[Any]) -> tuple[np.ndarray, Any]:
        rows_, results_ = np.concatenate(rows), concat_values(results)
        order = np.argsort(rows_, kind="stable")
        return rows_[order], results_[order]
