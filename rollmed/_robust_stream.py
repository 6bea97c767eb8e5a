"""Robust statistics of a stream: the MAD, ranks and the Hampel filter, fed a value or a chunk at a time.

These statistics need the window's values themselves, not one order statistic: a
stream holds the values later windows may still reach (the last ``window`` rows, the
readings within the time span, or everything for the running window) and works out
each update's windows over them and the new values with the one-shot kernels. So any
split gives the one-shot result, and memory follows the values held. A call costs
O(values held + values fed): feed chunks where values arrive in bulk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from rollmed import _checks, _compute, _runners, _statistics, _values
from rollmed._stream_base import Stream, StreamWindow


class _HeldValuesStream(Stream):
    """A statistic over windows of a stream, recomputed over the values held and the new ones."""

    def __init__(self, window: Any, min_periods: Any, closed: Any, statistic: _statistics.Statistic) -> None:
        self._window = StreamWindow(window, closed, min_periods)
        self.window = window
        self.min_periods = self._window.min_periods
        self.closed = closed
        self._statistic = statistic
        self._held = np.empty(0, np.float64)  # the values of positions from _held_from on
        self._held_from = 0
        self._count = 0
        self._start()

    @property
    def count(self) -> int:
        """The number of values seen so far."""
        return self._count

    @property
    def nbytes(self) -> int:
        """The bytes of values and times the stream holds: they follow the values inside the window."""
        return self._held.nbytes + self._window.held_times.nbytes

    def _feed(self, values: Any, times: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        """The results ``(values, outputs)`` of the next values, the values, and whether a scalar came."""
        chunk = _values.unbox_stream(values, "float64").values
        if chunk.ndim > 1:
            raise ValueError(f"`values` must be a scalar or one-dimensional, got shape {chunk.shape}")
        scalar = chunk.ndim == 0
        chunk = chunk.reshape(-1)
        n = chunk.size
        with self._using():
            ticks = self._window.times_of(times, n)
            held_times = (self._window.held_times, self._window.held_from)
            try:
                start, end = self._window.bounds(self._count, n, ticks)
            except BaseException:
                self._window.held_times, self._window.held_from = held_times
                raise
            data = np.concatenate([self._held, chunk])
            bounds = (start - self._held_from, end - self._held_from)
            out, _ = _runners.run_bounds(data, None, bounds, False, self.min_periods, self._statistic)
            self._count += n
            self._keep(data, self._next_start(start))
        return out, chunk, scalar

    def _next_start(self, start: np.ndarray) -> int:
        """The first position a later window may reach."""
        if self._window.kind == "running":
            return 0
        if self._window.kind == "rows":
            return max(self._count + 1 - self._window.rows, 0)
        return self._window.held_from

    def _keep(self, data: np.ndarray, first: int) -> None:
        """Hold the values of positions from ``first`` on (a copy: the chunk is the caller's)."""
        drop = max(first - self._held_from, 0)
        self._held = data[drop:].copy()
        self._held_from += drop

    def _repr(self, options: str) -> str:
        return f"{type(self).__name__}(window={self.window!r}, {options}; {self._count} values seen)"


class RollingMAD(_HeldValuesStream):
    """The rolling (or running) median absolute deviation of a stream.

    For any split of the data into chunks, the concatenated results of :meth:`update`
    equal the one-shot ``s.rollmed.mad(window, ...)``. Pickles and copies mid-stream.

    Parameters
    ----------
    window : int, str, timedelta or DateOffset, optional
        The number of most recent values; a span of time over the times given to
        :meth:`update`; or None (the default) for everything seen.
    min_periods : int, optional
        The least number of non-missing values a window must hold to give a result;
        by default ``window`` for a number of values, else 1.
    scale : float, default 1.0
        A factor for the MAD (1.4826 for a consistent estimate of a normal standard deviation).
    closed : {"right", "left", "both", "neither"}, optional
        For a time window, which ends it includes, as pandas' ``closed``.

    Examples
    --------
    >>> import rollmed
    >>> stream = rollmed.RollingMAD(3)
    >>> stream.update([1.0, 2.0, 4.0])
    array([nan, nan,  1.])
    >>> stream.update(8.0)
    2.0
    """

    def __init__(
        self,
        window: Any = None,
        *,
        min_periods: int | None = None,
        scale: float = 1.0,
        closed: str | None = None,
    ) -> None:
        statistic = _statistics.MedianAbsoluteDeviation(_checks.check_scale(scale))
        super().__init__(window, min_periods, closed, statistic)
        self.scale = statistic.scale

    def __repr__(self) -> str:
        return self._repr(f"min_periods={self.min_periods}, scale={self.scale}")

    def update(self, values: npt.ArrayLike, times: Any = None) -> np.ndarray | float:
        """Feed the next values (with their times, for a time window); their windows' MAD.

        Parameters
        ----------
        values : float or array_like
            The next value or values, in order (NaN, None and ``pd.NA`` are missing).
        times : timestamp or array_like of timestamps, optional
            For a time window (only), the time of each value, never decreasing.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, else one float64 result per value.

        Examples
        --------
        >>> import rollmed
        >>> rollmed.RollingMAD().update([1.0, 2.0, 4.0, 8.0]).tolist()
        [0.0, 0.5, 1.0, 1.5]
        """
        out, _, scalar = self._feed(values, times)
        return float(out[0, 0]) if scalar else out[:, 0]


class RollingRank(_HeldValuesStream):
    """The rank of each value of a stream within its window, as ``s.rollmed.rank``.

    Parameters
    ----------
    window : int, str, timedelta or DateOffset, optional
        As for :class:`RollingMAD`.
    min_periods : int, optional
        As for :class:`RollingMAD`.
    method : {"average", "min", "max"}, default "average"
        The rank given to ties, as pandas.
    ascending : bool, default True
        Rank from the smallest value up.
    pct : bool, default False
        Divide each rank by the number of values in its window.
    closed : {"right", "left", "both", "neither"}, optional
        For a time window, which ends it includes.

    Examples
    --------
    >>> import rollmed
    >>> stream = rollmed.RollingRank(3)
    >>> stream.update([3.0, 1.0, 2.0])
    array([nan, nan,  2.])
    >>> stream.update(5.0)
    3.0
    """

    def __init__(
        self,
        window: Any = None,
        *,
        min_periods: int | None = None,
        method: str = "average",
        ascending: bool = True,
        pct: bool = False,
        closed: str | None = None,
    ) -> None:
        super().__init__(window, min_periods, closed, _statistics.rank(method, ascending, pct))
        self.method, self.ascending, self.pct = method, ascending, pct

    def __repr__(self) -> str:
        return self._repr(f"method={self.method!r}, ascending={self.ascending}, pct={self.pct}")

    def update(self, values: npt.ArrayLike, times: Any = None) -> np.ndarray | float:
        """Feed the next values (with their times, for a time window); the rank of each in its window.

        Parameters
        ----------
        values : float or array_like
            The next value or values, in order.
        times : timestamp or array_like of timestamps, optional
            For a time window (only), the time of each value.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, else one float64 rank per value.

        Examples
        --------
        >>> import rollmed
        >>> rollmed.RollingRank(pct=True).update([2.0, 1.0, 3.0]).tolist()
        [1.0, 0.5, 1.0]
        """
        out, _, scalar = self._feed(values, times)
        return float(out[0, 0]) if scalar else out[:, 0]


class RollingHampel(_HeldValuesStream):
    """The Hampel filter of a stream: values far from their window's median replaced by it.

    ``x[i]`` is an outlier when ``|x[i] - m[i]| > n_sigmas * scale * mad[i]``, with the
    median and MAD of its window of ``window`` rows, centred on it by default. A centred
    window needs the ``(window - 1) // 2`` values after each one: :meth:`update` returns
    the filtered values of the rows whose windows are complete, so fewer than it was
    fed at first, and :meth:`finish` the last ones (their windows cut short at the end,
    as pandas cuts them). Concatenated, they equal ``s.rollmed.hampel(window, ...)``.

    Parameters
    ----------
    window : int or None
        The number of rows in each window; None for every row so far (the running
        filter, never centred).
    n_sigmas : float, default 3.0
        The threshold, in scaled MADs.
    center : bool, default True
        Centre each window on its row; otherwise each ends at its row and results come at once.
    min_periods : int, default 1
        The least number of values a window needs to judge its row.
    scale : float, default 1.4826
        The MAD's factor.

    Examples
    --------
    >>> import rollmed
    >>> stream = rollmed.RollingHampel(5)
    >>> stream.update([1.0, 1.2, 0.9, 25.0, 1.1])
    array([1. , 1.2, 0.9])
    >>> stream.update([1.0, 0.8])
    array([1.1, 1.1])
    >>> stream.finish()
    array([1. , 0.8])
    """

    def __init__(
        self,
        window: int | None,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
    ) -> None:
        window = None if window is None else _checks.check_row_window(window)
        super().__init__(window, min_periods, None, _statistics.MEDIAN_AND_MAD)
        self.n_sigmas = _checks.check_n_sigmas(n_sigmas)
        self.scale = _checks.check_scale(scale)
        self.center = _compute.hampel_center(window, center)
        # Row i's window ends `lag` rows after it (pandas' centring).
        self._lag = (window - 1) // 2 if self.center else 0
        self._resolved = 0  # rows whose filtered value has been returned
        self._finished = False

    def __repr__(self) -> str:
        return self._repr(f"n_sigmas={self.n_sigmas}, center={self.center}, scale={self.scale}")

    def update(self, values: npt.ArrayLike) -> np.ndarray:
        """Feed the next values; the filtered values of the rows whose windows are now complete.

        Parameters
        ----------
        values : float or array_like
            The next value or values, in order.

        Returns
        -------
        numpy.ndarray
            float64, the filtered values of the next rows in order (possibly none).

        Raises
        ------
        ValueError
            If the stream was finished.

        Examples
        --------
        >>> import rollmed
        >>> rollmed.RollingHampel(3, center=False).update([1.0, 1.0, 9.0, 1.0]).tolist()
        [1.0, 1.0, 1.0, 1.0]
        """
        if self._finished:
            raise ValueError("this RollingHampel was finished: its last windows were cut short")
        chunk = _values.unbox_stream(values, "float64").values.reshape(-1)
        return self._filter(chunk, self._count + chunk.size - self._lag)

    def finish(self) -> np.ndarray:
        """The filtered values of the last rows, their centred windows cut short at the end of the stream.

        Returns
        -------
        numpy.ndarray
            float64, the rows not returned yet.

        Examples
        --------
        >>> import rollmed
        >>> stream = rollmed.RollingHampel(3)
        >>> stream.update([1.0, 2.0])
        array([1.])
        >>> stream.finish()
        array([2.])
        """
        self._finished = True
        return self._filter(np.empty(0), self._count)

    def _filter(self, chunk: np.ndarray, resolved: int) -> np.ndarray:
        """Feed ``chunk``; the filtered values of the rows up to ``resolved`` (exclusive)."""
        with self._using():
            data = np.concatenate([self._held, chunk])
            total = self._count + chunk.size
            rows = np.arange(self._resolved, max(resolved, self._resolved), dtype=np.int64)
            ends = rows + self._lag + 1  # before they are cut short at the end of the stream
            start = np.clip(ends - self.window, 0, total) if self.window is not None else np.zeros_like(rows)
            end = np.clip(ends, 0, total)
            bounds = (start - self._held_from, end - self._held_from)
            out, _ = _runners.run_bounds(data, None, bounds, False, self.min_periods, self._statistic)
            values = data[rows - self._held_from]
            fields = _compute.hampel(values, out[:, 0], out[:, 1], self.n_sigmas, self.scale)
            self._count = total
            self._resolved = max(resolved, self._resolved)
            first_needed = self._resolved + self._lag + 1 - self.window if self.window is not None else 0
            self._keep(data, max(first_needed, 0))
        return fields["filtered"]
