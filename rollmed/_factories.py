"""The statistics that :class:`rollmed._grouped.GroupedStreams` runs: a stream factory for each.

A factory makes a statistic's streams and computes many small groups at once as the
one-shot accessor does (a window plan over the groups); see
:class:`rollmed._grouped.StreamFactory` for what it provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _compute, _plans, _statistics, _values
from rollmed._stream import RollingMedian


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
    >>> from rollmed._factories import MedianStreams
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
    _statistic: _statistics.Quantiles = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Made now, so that a bad argument fails here; copying it is ten times faster than a new one.
        options = {"min_periods": self.min_periods, "q": self.q, "interpolation": self.interpolation}
        object.__setattr__(self, "_prototype", RollingMedian(self.window, **options, dtype=self.dtype))
        object.__setattr__(self, "_statistic", _statistics.quantiles(self.q, self.interpolation)[0])

    @classmethod
    def for_column(
        cls, dtype: Any, window: int | None, min_periods: int | None, q: float, interpolation: str
    ) -> MedianStreams:
        """Streams for a column of ``dtype``: exact integers where the accessor gives them, else float64.

        Examples
        --------
        >>> from rollmed._factories import MedianStreams
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
        """The number of latest values that decide every later result: ``window - 1``.

        Examples
        --------
        >>> from rollmed._factories import MedianStreams
        >>> MedianStreams(5).history, MedianStreams(None).history
        (4, None)
        """
        return None if self.window is None else self.window - 1

    @property
    def centre_lag(self) -> int:
        """How many rows after its own a centred window's result is known: the rows it reaches ahead.

        Examples
        --------
        >>> from rollmed._factories import MedianStreams
        >>> MedianStreams(5).centre_lag, MedianStreams(4).centre_lag
        (2, 1)
        """
        return 0 if self.window is None else _plans.fixed_offsets(self.window, True, None)[1] - 1

    def __call__(self) -> RollingMedian:
        """A new stream."""
        return self._prototype.copy()

    def values_of(self, column: pd.Series) -> Any:
        """A column's values as the streams take them: float64, or masked integers.

        Examples
        --------
        >>> import pandas as pd
        >>> from rollmed._factories import MedianStreams
        >>> MedianStreams(3, interpolation="lower", dtype="int64").values_of(pd.Series([2**62 + 1])).tolist()
        [4611686018427387905]
        """
        if self.dtype == "float64":
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        return pd.array(column, dtype="UInt64" if self.dtype == "uint64" else "Int64")

    def missing(self, n: int) -> Any:
        """``n`` missing values: NaN, or masked integers.

        Examples
        --------
        >>> from rollmed._factories import MedianStreams
        >>> MedianStreams(3).missing(2).tolist()
        [nan, nan]
        """
        if self.dtype == "float64":
            return np.full(n, np.nan)
        return pd.arrays.IntegerArray(np.zeros(n, self.dtype), np.ones(n, np.bool_))

    def finish_stream(self, stream: RollingMedian, seen: int, lag: int, count: int) -> Any:
        """A stream's last ``count`` results, its group ended: the group continued by ``lag`` missing values.

        Missing values leave a median's window as a cut-short window leaves it.

        Examples
        --------
        >>> import numpy as np
        >>> from rollmed._factories import MedianStreams
        >>> streams = MedianStreams(3, min_periods=1)
        >>> stream = streams()
        >>> stream.update(np.array([1.0, 3.0, 8.0])).tolist()
        [1.0, 2.0, 3.0]
        >>> streams.finish_stream(stream, 3, lag=1, count=1).tolist()
        [5.5]
        """
        if seen + lag <= self.history + 1:
            # No value leaves the window before the last result: every one is the next one.
            return stream.update(self.missing(1))[np.zeros(count, np.int64)]
        # Here lag < seen: feeding the missing values costs less than the values fed.
        return stream.update(self.missing(lag))[lag - count :]

    def ungrouped(self, values: Any) -> Any:
        """The results of rows of no group: missing."""
        return self.missing(len(values))

    def run_groups(self, values: Any, groups: np.ndarray, lag: int) -> Any:
        """Each group's results as its own stream gives them: the accessor's plan, centred for a lag.

        Examples
        --------
        >>> import numpy as np
        >>> from rollmed._factories import MedianStreams
        >>> streams = MedianStreams(3, min_periods=1)
        >>> streams.run_groups(np.array([1.0, 3.0, 5.0]), np.array([0, 0, 0]), lag=1).tolist()
        [2.0, 3.0, 4.0]
        """
        if lag not in (0, self.centre_lag):
            raise ValueError(f"a median stream's results come 0 or {self.centre_lag} rows late, not {lag}")
        if self.window is None:
            min_periods = 1 if self.min_periods is None else self.min_periods
            plan = _plans.plan_expanding(len(groups), min_periods, groups)
        else:
            n, centred = len(groups), lag > 0
            plan = _plans.plan_window(n, self.window, self.min_periods, centred, None, None, None, groups)
        if self.dtype == "float64":
            column = _values.Unboxed(values, None)
        else:
            column = _values.unbox_series(pd.Series(values, copy=False), self.interpolation)
        out, out_valid = plan.run(column.values, column.valid, self._statistic)
        return column.rebox(out[:, 0], None if out_valid is None else out_valid[:, 0])


def _earlier_in_group(values: np.ndarray, groups: np.ndarray, shift: int) -> np.ndarray:
    """Each row's value ``shift`` rows before it in its group; NaN where the group has no such row."""
    if not shift:
        return values
    order, segments = _plans.group_order(groups)
    position = np.arange(len(order)) - np.repeat(segments[:-1], np.diff(segments))
    earlier = np.full(len(values), np.nan)
    later = np.flatnonzero(position >= shift)
    earlier[order[later]] = values[order[later - shift]]
    return earlier


class WindowStream:
    """A stream of a :class:`WindowStreams` statistic, over the last ``history`` values and the new ones.

    Each update computes its windows over the values held and the new values, as
    :class:`rollmed.RollingMAD` does: memory follows the window, not the stream.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._factories import RankStreams
    >>> stream = RankStreams(3, min_periods=1)()
    >>> stream.update(np.array([3.0, 1.0])).tolist(), stream.update(np.array([2.0, 0.0])).tolist()
    ([1.0, 1.0], [2.0, 1.0])
    """

    def __init__(self, factory: WindowStreams) -> None:
        self._factory = factory
        self._held = np.empty(0, np.float64)

    def update(self, values: Any) -> np.ndarray:
        """The trailing results at ``values`` (float64, NaN missing), the next values of the stream."""
        data = np.concatenate([self._held, np.asarray(values, np.float64)])
        rows = np.arange(len(self._held), len(data))
        results = self._factory.judge(data, rows + 1, rows - self._factory.shift)
        # The values that decide later results: every later window and row is among them.
        self._held = data[max(len(data) - self._factory.history, 0) :].copy()
        return results

    def finish(self, lag: int, count: int) -> np.ndarray:
        """The last ``count`` rows' results, their windows ending ``lag`` rows ahead, cut short at the end."""
        n = len(self._held)
        rows = np.arange(n - count, n)
        return self._factory.judge(self._held, rows + lag + 1, rows)


@dataclass(frozen=True)
class WindowStreams:
    """Streams of a statistic of windows of rows, not a median: MAD, rank and Hampel's.

    The base of :class:`MADStreams`, :class:`RankStreams` and :class:`HampelStreams`.

    Values and results are float64, as the accessor computes these statistics. The
    streams (:class:`WindowStream`) hold the last ``window - 1`` values.
    """

    window: int
    min_periods: int | None

    def __post_init__(self) -> None:
        _checks.check_row_window(self.window)
        if self.min_periods is not None:
            _checks.check_min_periods(self.min_periods, self.window)

    @property
    def statistic(self) -> _statistics.Statistic:
        """What each window gives."""
        raise NotImplementedError

    @property
    def shift(self) -> int:
        """How many rows before the end of its window the row of a trailing result is: 0 but for Hampel's."""
        return 0

    @property
    def history(self) -> int:
        """The number of latest values that decide every later result: ``window - 1``."""
        return self.window - 1

    @property
    def centre_lag(self) -> int:
        """How many rows after its own a centred window's result is known.

        Examples
        --------
        >>> from rollmed._factories import MADStreams
        >>> MADStreams(5).centre_lag, MADStreams(4).centre_lag
        (2, 1)
        """
        return _plans.fixed_offsets(self.window, True, None)[1] - 1

    @property
    def lags(self) -> tuple[int, int]:
        """The lags a :class:`rollmed._grouped.GroupedStreams` of these streams takes: trailing, centred."""
        return 0, self.centre_lag

    def __call__(self) -> WindowStream:
        """A new stream."""
        return WindowStream(self)

    def values_of(self, column: pd.Series) -> np.ndarray:
        """A column's values as the streams take them: float64, NaN missing."""
        return column.to_numpy(dtype=np.float64, na_value=np.nan)

    def missing(self, n: int) -> np.ndarray:
        """``n`` missing values: NaN."""
        return np.full(n, np.nan)

    def result(self, own: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The results from each window's ``out`` (rows, outputs) and its row's own value."""
        return out[:, 0]

    def judge(self, values: np.ndarray, end: np.ndarray, own: np.ndarray) -> np.ndarray:
        """The results of the windows of ``values`` ending before ``end``, cut short at both ends.

        ``own`` is each window's row (its value for Hampel's filter): none where negative.
        """
        start = np.maximum(end - self.window, 0)
        end = np.minimum(end, len(values))
        min_count = self.window if self.min_periods is None else self.min_periods
        out, _ = _plans.Plan(len(values), min_count, bounds=(start, end)).run(values, None, self.statistic)
        mine = np.full(len(own), np.nan)
        mine[own >= 0] = values[own[own >= 0]]
        return self.result(mine, out)

    def ungrouped(self, values: np.ndarray) -> np.ndarray:
        """The results of rows of no group: missing."""
        return self.missing(len(values))

    def finish_stream(self, stream: WindowStream, seen: int, lag: int, count: int) -> np.ndarray:
        """A stream's last ``count`` results, its group ended: centred windows cut short at the end."""
        return stream.finish(lag, count)

    def run_groups(self, values: np.ndarray, groups: np.ndarray, lag: int) -> np.ndarray:
        """Each group's results as its own stream gives them: the accessor's plan, centred for a lag.

        Examples
        --------
        >>> import numpy as np
        >>> from rollmed._factories import MADStreams
        >>> MADStreams(3, min_periods=1).run_groups(np.array([1.0, 2.0, 4.0]), np.zeros(3, int), 1).tolist()
        [0.5, 1.0, 1.0]
        """
        if lag not in self.lags:
            raise ValueError(
                f"these streams' results come {' or '.join(map(str, self.lags))} rows late, not {lag}"
            )
        n = len(groups)
        plan = _plans.plan_window(n, self.window, self.min_periods, lag > 0, None, None, None, groups)
        out, _ = plan.run(values, None, self.statistic)
        return self.result(_earlier_in_group(values, groups, 0 if lag else self.shift), out)


@dataclass(frozen=True)
class MADStreams(WindowStreams):
    """Rolling MAD streams, as ``s.rollmed.mad(window, min_periods, scale=scale)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._factories import MADStreams
    >>> MADStreams(3).run_groups(np.array([1.0, 2.0, 4.0, 8.0]), np.zeros(4, int), 0).tolist()
    [nan, nan, 1.0, 2.0]
    """

    min_periods: int | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _checks.check_scale(self.scale)

    @property
    def statistic(self) -> _statistics.Statistic:
        """The MAD times ``scale``."""
        return _statistics.MedianAbsoluteDeviation(self.scale)


@dataclass(frozen=True)
class RankStreams(WindowStreams):
    """Rolling rank streams, as ``s.rollmed.rank(window, min_periods, pct=pct)``: each window's last value.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._factories import RankStreams
    >>> RankStreams(3, pct=True).run_groups(np.array([3.0, 1.0, 2.0, 2.0]), np.zeros(4, int), 0).tolist()
    [nan, nan, 0.6666666666666666, 0.8333333333333334]
    """

    min_periods: int | None = None
    pct: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _checks.check_flag("pct", self.pct)

    @property
    def statistic(self) -> _statistics.Statistic:
        """Pandas' average rank, divided by the window's count for ``pct``."""
        return _statistics.rank("average", True, self.pct)


@dataclass(frozen=True)
class HampelStreams(WindowStreams):
    """Hampel filter streams, as ``s.rollmed.hampel(window, n_sigmas, center=center, ...)``.

    The filtered value of a row needs its window: centred, that ends ``centre_lag`` rows
    later, so a stream's result at a value is the filtered value of the row
    ``centre_lag`` before it (:attr:`shift`), and :class:`rollmed._grouped.GroupedStreams`
    must be made with that lag.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._factories import HampelStreams
    >>> values = np.array([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8])
    >>> HampelStreams(5).run_groups(values, np.zeros(7, int), 2).tolist()
    [1.0, 1.2, 0.9, 1.1, 1.1, 1.0, 0.8]
    """

    n_sigmas: float = 3.0
    center: bool = True
    min_periods: int | None = 1
    scale: float = 1.4826

    def __post_init__(self) -> None:
        super().__post_init__()
        _checks.check_n_sigmas(self.n_sigmas)
        _checks.check_scale(self.scale)
        _checks.check_flag("center", self.center)

    @property
    def statistic(self) -> _statistics.Statistic:
        """Each window's median and (unscaled) MAD."""
        return _statistics.MEDIAN_AND_MAD

    @property
    def shift(self) -> int:
        """The rows from a row to the end of its window: ``centre_lag`` when centred, else 0."""
        return self.centre_lag if self.center else 0

    @property
    def lags(self) -> tuple[int, int]:
        """Trailing results, or results ``shift`` rows late: those of the rows' own windows."""
        return 0, self.shift

    def ungrouped(self, values: np.ndarray) -> np.ndarray:
        """The rows of no group are left as they are, as the accessor leaves them (a filter judges none)."""
        return np.array(values, np.float64)

    def result(self, own: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The row's value, or its window's median where it is an outlier."""
        return _compute.hampel(own, out[:, 0], out[:, 1], self.n_sigmas, self.scale)["filtered"]
