"""What every stream shares: its window (rows, time or everything), its times, one thread at a time, copies.

A stream numbers the values it is fed from 0 (positions) and works out, for each new
value, the positions its window covers: the last ``window`` rows, everything seen, or
the readings within a span of time before it (pandas' rules, ``closed`` included). For
a time window it holds the times of the positions later windows may still reach, so
its memory follows the readings inside the window.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from rollmed import _checks, _plans

_TIME_TYPES = (pd.Timestamp, np.datetime64)


class StreamWindow:
    """The window of a stream: ``kind`` is ``"rows"``, ``"running"`` or ``"time"``.

    For a time window, ``span`` is in nanoseconds and ``held_times`` are the times of the
    positions from ``held_from`` on (the readings later windows may reach).
    """

    def __init__(self, window: Any, closed: Any, min_periods: Any) -> None:
        closed = _checks.check_closed(closed)
        if window is None or not _plans.is_time_span(window):
            if closed is not None:
                raise _checks.ArgumentError(
                    "closed", closed, "None", "`closed` goes with a time window only, as a stream has it"
                )
            self.kind = "running" if window is None else "rows"
            self.rows = 0 if window is None else _checks.check_row_window(window)
            default = self.rows or 1
            self.min_periods = _checks.check_min_periods(
                default if min_periods is None else min_periods, self.rows or None
            )
        else:
            self.kind = "time"
            self.span = _plans.time_span_nanos(window)
            self.rows = 0
            self.min_periods = _checks.check_min_periods(1 if min_periods is None else min_periods, None)
        self.window = window
        self.closed = closed
        self.held_times = np.empty(0, np.int64)
        self.held_from = 0  # the position of held_times[0]
        self.tz: Any = False  # unknown until the first times arrive; then a tz or None
        self.last_tick = np.iinfo(np.int64).min  # the latest time seen, in nanoseconds

    @property
    def timed(self) -> bool:
        """Whether the stream takes times."""
        return self.kind == "time"

    def times_of(self, times: Any, n: int) -> np.ndarray:
        """``times`` as int64 nanoseconds, one per value, never decreasing (from the last held ones)."""
        if not self.timed:
            if times is not None:
                raise TypeError(f"a stream with window={self.window!r} takes no times, got times={times!r}")
            return np.empty(0, np.int64)
        if times is None:
            raise TypeError(f"a stream with the time window {self.window!r} needs the times of its values")
        scalar = np.ndim(times) == 0 and not isinstance(times, (list, tuple))
        try:
            index = pd.DatetimeIndex([times] if scalar else times)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`times` must be timestamps (as pandas reads them), got {times!r}") from exc
        if len(index) != n:
            raise ValueError(f"`times` must hold one time per value: {n} values, {len(index)} times")
        if index.hasnans:
            raise ValueError("`times` must not hold NaT")
        if self.tz is False:
            self.tz = index.tz
        elif (index.tz is None) != (self.tz is None):
            raise TypeError(f"`times` must all be time-zone aware or all naive: the stream has tz={self.tz}")
        ticks = index.as_unit("ns").asi8
        previous = np.concatenate([[self.last_tick], ticks[:-1]])
        later = ticks
        if (later < previous).any():
            where = int(np.argmax(later < previous))
            raise ValueError(
                f"`times` must not decrease: {pd.Timestamp(int(later[where]), tz=index.tz)} comes after "
                f"{pd.Timestamp(int(previous[where]), tz=index.tz)}"
            )
        return ticks

    def bounds(self, first: int, n: int, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows ``[start, end)`` (global positions) of the positions ``first..first + n - 1``.

        For a time window, ``ticks`` are their times; the times held are updated to
        those the next values' windows may reach.
        """
        end = np.arange(first + 1, first + 1 + n, dtype=np.int64)
        if self.kind == "rows":
            return np.maximum(end - self.rows, 0), end
        if self.kind == "running":
            return np.zeros(n, np.int64), end
        from rollmed import _kernels

        times = np.concatenate([self.held_times, ticks])
        start = np.empty(times.size, np.int64)
        stop = np.empty(times.size, np.int64)
        closed = self.closed or "right"
        left, right = closed in ("left", "both"), closed in ("right", "both")
        segments = np.array([0, times.size], np.int64)
        _kernels.time_window_bounds(times, self.span, left, right, False, segments, start, stop)
        held = self.held_times.size
        start, stop = start[held:] + self.held_from, stop[held:] + self.held_from
        if n:
            self.last_tick = int(ticks[-1])
            # Keep from the last window's start, and every earlier reading at its time: the
            # next windows' bounds follow on from these (pandas' rules go row to row).
            keep = min(int(start[-1]), int(stop[-1])) - self.held_from
            keep = int(np.searchsorted(times, times[keep], side="left"))
            self.held_times = times[keep:].copy()
            self.held_from += keep
        return start, stop


class Stream:
    """A stream fed by one thread at a time, copied and pickled whole.

    Subclasses keep their state in plain attributes (arrays and numbers) and call
    :meth:`_start` for what is rebuilt, not copied.
    """

    def _start(self) -> None:
        # One token: an update takes it and gives it back (list.pop and append are atomic
        # under the GIL, a lock costs 0.3 us here). Two threads at once in a kernel would
        # corrupt its state; the second is refused instead.
        self._token = [True]

    def __getstate__(self) -> dict[str, Any]:
        with self._using():
            state = copy.deepcopy(
                {name: value for name, value in self.__dict__.items() if not _rebuilt(name)}
            )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start()

    def __copy__(self) -> Stream:
        # A shallow copy would share the state: every copy is independent.
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Stream:
        return self.copy()

    def copy(self) -> Stream:
        """An independent copy of the stream's state, to resume from later.

        Returns
        -------
        Stream
            A deep copy: feeding one does not change the other.

        Examples
        --------
        >>> import rollmed
        >>> stream = rollmed.RollingMedian(window=2)
        >>> _ = stream.update([1.0, 5.0])
        >>> checkpoint = stream.copy()
        >>> stream.update(9.0), checkpoint.update(9.0)
        (7.0, 7.0)
        """
        clone = object.__new__(type(self))
        clone.__setstate__(self.__getstate__())
        return clone

    def _using(self) -> InUse:
        return InUse(self._token)


# rollmed._kernels.STREAM_BUSY, the header slot that marks a stream's buffer busy (kept
# here: importing the kernels imports numba).
BUSY = 13


@functools.cache
def single_value_kernels() -> tuple[Any, Any, type[Exception]]:
    """The compiled single-value updates (rows and time), called without numba's type dispatch.

    ``Dispatcher.compile(signature)`` returns the compiled function itself; calling it
    skips working out the argument types on every call (about 0.15 us of 0.5 us).
    Looked up once per process: every stream (and every copy or unpickled one) shares them.
    """
    import numba

    from rollmed import _kernels

    array = numba.types.Array(numba.types.int64, 1, "C")
    push = _kernels.stream_push.compile((array, numba.types.float64))
    push_in_time = _kernels.stream_push_in_time.compile(
        (array, array, numba.types.float64, numba.types.int64)
    )
    return push, push_in_time, _kernels.PushRefused


def _rebuilt(name: str) -> bool:
    """Attributes made anew by ``_start`` (not copied): the token, compiled entry points, flags."""
    return name in ("_token", "_push", "_push_in_time", "_fast", "_in_time", "_push_refused")


def refuse_concurrent_use() -> NoReturn:
    """Raise the error of a stream updated by two threads at once."""
    raise RuntimeError(
        "this stream is being updated by another thread: feed a stream from one "
        "thread at a time (or give each thread its own stream)"
    ) from None


class InUse:
    """Holds a stream's token while an update runs; a second thread finds none and is refused."""

    __slots__ = ("_token",)

    def __init__(self, token: list[bool]) -> None:
        self._token = token

    def __enter__(self) -> None:
        try:
            self._token.pop()
        except IndexError:
            refuse_concurrent_use()

    def __exit__(self, *exc_info: object) -> None:
        self._token.append(True)


class BuffersInUse(InUse):
    """:class:`InUse` that also marks a stream's buffers busy (``update``'s hot paths take no token).

    Their kernels refuse a busy buffer. A buffer replaced by a larger one is marked for
    good where it is replaced (``RollingMedian._resize``), so that a hot path that read it
    before cannot feed it a value that would be lost.
    """

    __slots__ = ("_buffers",)

    def __init__(self, token: list[bool], buffers: list[np.ndarray]) -> None:
        super().__init__(token)
        self._buffers = buffers

    def __enter__(self) -> None:
        super().__enter__()
        for buffer in self._buffers:
            buffer[BUSY] = 1

    def __exit__(self, *exc_info: object) -> None:
        for buffer in self._buffers:
            buffer[BUSY] = 0
        super().__exit__(*exc_info)
