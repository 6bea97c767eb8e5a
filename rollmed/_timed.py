"""Time windows within groups over rows that arrive in pieces: each group's rows held while in reach.

:class:`TimeSlices` gives each row the result that a one-shot statistic of the whole
table gives it (``s.rollmed.window("5min", ..., by=keys)`` over the times as index),
for any split of the table into pieces, however the groups' rows interleave. pandas'
time window of a row covers rows of its group within the span around its time (the
span before it; half the span either side, centred), so the one-shot statistic of a
slice holding every row of a group within that reach gives the row its one-shot
result. A group's rows are held while a later window may reach them:

- trailing windows: the rows within the span before the group's latest time (a later
  row's time is no earlier); each row's result is known when it arrives;
- centred windows: a row waits until its group has a row more than half the span after
  it (then every row its window covers has arrived), or the end; the rows within half
  the span before the earliest waiting row are held with the waiting ones.

Each piece costs one call of the statistic over the held rows of the groups in it and
the piece's rows (all such groups at once); the results of the rows resolved are kept.
Memory follows the rows inside the windows, not the table. The statistic is any
one-shot function of a slice (:class:`TimeStatistic`): the median's and quantiles'
here, and any other statistic with a one-shot form plugs in alike. A window that
holds far more rows than a piece is recomputed each piece (every piece costs the rows
in one window): choose pieces at least as long as the windows where that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollmed._grouped import GROUP_NUMBER, GroupKeys, concat_values

_NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class TimeStatistic:
    """A statistic of a time window, as :class:`TimeSlices` takes it.

    Parameters
    ----------
    compute : callable
        ``compute(values, keys)``: the one-shot results of ``values`` (a Series on a
        nanosecond DatetimeIndex, each group's times never decreasing) within the groups
        of ``keys`` (a Series on the same index, or None for one group), one per row.
    missing : callable
        ``missing(n)``: ``n`` missing results, of the results' type.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._timed import TimeStatistic
    >>> def median_of(s, keys):
    ...     return s.rollmed.window("2min", by=keys)
    >>> median = TimeStatistic(median_of, lambda n: np.full(n, np.nan))
    >>> times = pd.date_range("2024-01-01", periods=3, freq="min")
    >>> median.compute(pd.Series([1.0, 5.0, 2.0], index=times), None).tolist()
    [1.0, 3.0, 3.5]
    """

    compute: Callable[[pd.Series, pd.Series | None], Any]
    missing: Callable[[int], Any]


class DecreasingTimes(ValueError):
    """A row whose time is earlier than the time of the row before it in its group.

    ``row`` counts from the first row fed (0); ``time`` and ``previous`` are nanoseconds.
    """

    def __init__(self, row: int, time: int, previous: int) -> None:
        super().__init__(
            f"row {row}: the time {pd.Timestamp(time)} comes after {pd.Timestamp(previous)} in its group"
        )
        self.row = row
        self.time = time
        self.previous = previous


def check_order(
    codes: np.ndarray, ticks: np.ndarray, latest: np.ndarray | None = None, first_row: int = 0
) -> None:
    """Raise :class:`DecreasingTimes` for the first row whose time is earlier than its group's previous one.

    ``codes`` number the groups from 0 (-1: a row of no group, not checked); ``latest``
    holds each group's time before these rows, if any; ``first_row`` is the number of
    the first row, for the message.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._timed import DecreasingTimes, check_order
    >>> check_order(np.array([0, 1, 0]), np.array([5, 1, 5]))  # each group in order
    >>> try:
    ...     check_order(np.array([0, 1, 0]), np.array([5, 9, 4]))
    ... except DecreasingTimes as exc:
    ...     print(exc.row, exc.time, exc.previous)
    2 4 5
    """
    keyed = np.flatnonzero(codes >= 0)
    order = keyed[np.argsort(codes[keyed], kind="stable")]
    sorted_codes, sorted_ticks = codes[order], ticks[order]
    previous = np.empty(len(order), np.int64)
    previous[1:] = sorted_ticks[:-1]
    starts = np.ones(len(order), np.bool_)
    starts[1:] = sorted_codes[1:] != sorted_codes[:-1]
    previous[starts] = _NO_TIME if latest is None else latest[sorted_codes[starts]]
    wrong = np.flatnonzero(sorted_ticks < previous)
    if len(wrong):
        first = wrong[np.argmin(order[wrong])]  # the earliest such row in the table
        raise DecreasingTimes(first_row + int(order[first]), int(sorted_ticks[first]), int(previous[first]))


class TimeSlices:
    """Time windows within groups, fed rows a piece at a time; each row's one-shot result back.

    Parameters
    ----------
    statistics : mapping of name to TimeStatistic
        The results to give each row, one per name (each column of a table, say).
    span : int
        The window's span in nanoseconds (as the statistics have it).
    center : bool
        Whether the statistics' windows are centred on their rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._timed import TimeSlices, TimeStatistic
    >>> def centred(s, keys):
    ...     return s.rollmed.window("2min", center=True, by=keys)
    >>> median = TimeStatistic(centred, lambda n: np.full(n, np.nan))
    >>> slices = TimeSlices({"m": median}, span=120 * 10**9, center=True)
    >>> minutes = lambda *m: np.array(m, np.int64) * 60 * 10**9
    >>> rows, results = slices.update({"m": np.array([1.0, 5.0])}, minutes(0, 1))
    >>> rows.tolist()  # a row's window reaches a minute later: both wait
    []
    >>> rows, results = slices.update({"m": np.array([2.0])}, minutes(3))
    >>> rows.tolist(), results["m"].tolist()
    ([0, 1], [3.0, 5.0])
    >>> rows, results = slices.finish()
    >>> rows.tolist(), results["m"].tolist()
    ([2], [2.0])
    """

    def __init__(self, statistics: Mapping[Any, TimeStatistic], span: int, center: bool) -> None:
        self._statistics = dict(statistics)
        # How far before a row its window reaches, and how far after (centred).
        self._before = span // 2 if center else span
        self._after = span // 2 if center else None
        self._keys = GroupKeys()
        self._grouped = False  # whether keys were ever given (else the statistics run without them)
        self._fed = 0
        self._latest = np.zeros(0, np.int64)  # each group's latest time
        self._held_codes = np.zeros(0, GROUP_NUMBER)
        self._held_rows = np.zeros(0, np.int64)
        self._held_ticks = np.zeros(0, np.int64)
        self._held_waiting = np.zeros(0, np.bool_)  # whether the row still waits for its result
        self._held_values = {name: None for name in self._statistics}

    @property
    def held(self) -> int:
        """The number of rows held (waiting, or within reach of a later window)."""
        return len(self._held_rows)

    def update(
        self, values: Mapping[Any, Any], ticks: np.ndarray, keys: pd.Series | None = None
    ) -> tuple[np.ndarray, dict[Any, Any]]:
        """Feed the next rows: their values (per statistic), times (int64 nanoseconds) and keys.

        Returns
        -------
        rows : numpy.ndarray
            The numbers of the rows whose results are now known, counted from the first
            row fed: all those fed, for a trailing window.
        results : dict
            Their results, per statistic; missing for a row of no group (a missing key).

        Raises
        ------
        DecreasingTimes
            Before anything changes, if a row's time is earlier than its group's previous one.
        """
        n = len(ticks)
        ticks = np.asarray(ticks, np.int64)
        codes = self._keys.codes(keys, n)
        self._grouped = self._grouped or keys is not None
        groups = int(codes.max(initial=-1)) + 1
        if groups > len(self._latest):
            grow = max(groups, 2 * len(self._latest)) - len(self._latest)
            self._latest = np.append(self._latest, np.full(grow, _NO_TIME))
        check_order(codes, ticks, self._latest, self._fed)
        rows = np.arange(self._fed, self._fed + n, dtype=np.int64)
        self._fed += n
        values = {name: _array(values[name]) for name in self._statistics}

        unkeyed = np.flatnonzero(codes < 0)
        done_rows = [rows[unkeyed]]
        done = {name: [s.missing(len(unkeyed))] for name, s in self._statistics.items()}
        keyed = np.flatnonzero(codes >= 0)
        if len(keyed):
            present = np.zeros(len(self._latest), np.bool_)
            present[codes[keyed]] = True
            gathered = present[self._held_codes] if len(self._held_codes) else np.zeros(0, np.bool_)
            table_codes = np.concatenate([self._held_codes[gathered], codes[keyed]])
            order = np.argsort(table_codes, kind="stable")  # by group, each in row order
            table_codes = table_codes[order]
            table_rows = np.concatenate([self._held_rows[gathered], rows[keyed]])[order]
            table_ticks = np.concatenate([self._held_ticks[gathered], ticks[keyed]])[order]
            waiting = np.concatenate([self._held_waiting[gathered], np.ones(len(keyed), np.bool_)])[order]
            table_values = {
                name: concat_values([held[gathered], values[name][keyed]])[order]
                if (held := self._held_values[name]) is not None
                else values[name][keyed][order]
                for name in self._statistics
            }
            np.maximum.at(self._latest, codes[keyed], ticks[keyed])
            resolved = waiting.copy()
            if self._after is not None:  # centred: known once a row lies beyond the window's end
                resolved &= self._latest[table_codes] > table_ticks + self._after
            if resolved.any():
                results = self._compute(table_codes, table_ticks, table_values)
                done_rows.append(table_rows[resolved])
                for name, result in results.items():
                    done[name].append(result[resolved])
            self._hold(gathered, table_codes, table_rows, table_ticks, waiting & ~resolved, table_values)
        return _in_order(done_rows, done)

    def finish(self) -> tuple[np.ndarray, dict[Any, Any]]:
        """The rows still waiting (centred windows) and their results, as ``update`` gives them."""
        waiting = self._held_waiting
        if not waiting.any():
            return np.zeros(0, np.int64), {name: s.missing(0) for name, s in self._statistics.items()}
        order = np.argsort(self._held_codes, kind="stable")
        values = {name: held[order] for name, held in self._held_values.items()}
        results = self._compute(self._held_codes[order], self._held_ticks[order], values)
        rows = self._held_rows[order][waiting[order]]
        done = {name: [result[waiting[order]]] for name, result in results.items()}
        self._held_waiting = np.zeros(len(waiting), np.bool_)
        return _in_order([rows], done)

    def _compute(self, codes: np.ndarray, ticks: np.ndarray, values: dict[Any, Any]) -> dict[Any, Any]:
        """Each statistic's one-shot results over rows gathered by group."""
        index = pd.DatetimeIndex(ticks.view("M8[ns]"))
        keys = pd.Series(codes, index=index, copy=False) if self._grouped else None
        results = {}
        for name, statistic in self._statistics.items():
            results[name] = _array(statistic.compute(pd.Series(values[name], index=index, copy=False), keys))
        return results

    def _hold(
        self,
        gathered: np.ndarray,
        codes: np.ndarray,
        rows: np.ndarray,
        ticks: np.ndarray,
        waiting: np.ndarray,
        values: dict[Any, Any],
    ) -> None:
        """Keep the table's rows that wait or that a later window may reach, in place of the gathered."""
        # The earliest time whose window is still to come: a waiting row's, else the group's latest.
        reach = self._latest.copy()
        np.minimum.at(reach, codes[waiting], ticks[waiting])
        kept = waiting | (ticks >= reach[codes] - self._before)
        others = ~gathered
        self._held_codes = np.concatenate([self._held_codes[others], codes[kept]])
        self._held_rows = np.concatenate([self._held_rows[others], rows[kept]])
        self._held_ticks = np.concatenate([self._held_ticks[others], ticks[kept]])
        self._held_waiting = np.concatenate([self._held_waiting[others], waiting[kept]])
        for name, table in values.items():
            held = self._held_values[name]
            self._held_values[name] = (
                table[kept] if held is None else concat_values([held[others], table[kept]])
            )


def _array(values: Any) -> Any:
    """Values as a NumPy array, or a pandas array where their type is pandas' own (masked integers)."""
    if isinstance(values, pd.Series):
        return values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        return values.to_numpy()
    return values


def _in_order(rows: list[np.ndarray], results: dict[Any, list[Any]]) -> tuple[np.ndarray, dict[Any, Any]]:
    """Rows and their results, by row number."""
    all_rows = np.concatenate(rows)
    order = np.argsort(all_rows, kind="stable")
    return all_rows[order], {name: concat_values(pieces)[order] for name, pieces in results.items()}
