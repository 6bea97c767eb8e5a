"""A streaming median: the double heap's state kept between calls, so data can arrive in pieces."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rollmed import _checks, _runners, _statistics, _values
from rollmed._stream_base import (
    BUSY,
    BuffersInUse,
    InUse,
    Stream,
    StreamWindow,
    refuse_concurrent_use,
    single_value_kernels,
)

# A window's heaps start with room for this many values and double as values arrive.
_FIRST_CAPACITY = 8
# A time stream takes a chunk in pieces of at least this many values (and at most as
# many as its window holds), so that its room follows the window, not the chunk.
_PIECE = 256
_TIMESTAMP = pd.Timestamp
# The layout of a stream's heap buffer header (rollmed._kernels): 2 since STREAM_BUSY.
# A stream pickled with another layout would read its heaps wrong: it is refused instead.
_BUFFER_LAYOUT = 2
# A Timestamp's offset from UTC, None when naive: datetime's own method, at a quarter of
# the cost of pandas' ``tzinfo`` property (the hot path for a reading in time asks it).
_utc_offset = datetime.datetime.utcoffset


class RollingMedian(Stream):
    """The rolling (or running) median or quantiles of a stream, fed a value or a chunk at a time.

    The two-heap state lives in this object between calls: for any split of the data
    into chunks, the concatenated results of :meth:`update` equal the one-shot
    ``s.rollmed.window(window)`` (or ``s.rollmed.expanding()`` when ``window`` is
    None). The object pickles and copies mid-stream, so a consumer can checkpoint it
    and resume with identical results. Its memory follows the values it holds: it
    grows as they arrive, up to O(window) for a window of rows however long the
    stream, and follows the readings inside a time window. Values are numbers, taken
    as float64; NaN, None and ``pd.NA`` are missing, infinities are values. A stream is
    fed by one thread at a time: an update while another thread's is under way raises
    RuntimeError.

    Parameters
    ----------
    window : int, str, timedelta or DateOffset, optional
        The number of most recent values in each window; or a span of time such as
        ``"5min"``, over the times given to :meth:`update`; None (the default) for the
        running median of everything seen.
    min_periods : int, optional
        The least number of non-missing values a window must hold to give a result;
        by default ``window`` for a number of values, else 1.
    q : float or sequence of floats, default 0.5
        The quantile, from 0 to 1; the default is the median. With several, each
        update gives one result per value and quantile (a 2-d array).
    interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
        How to read a quantile between two values, as pandas' ``quantile``.
    dtype : {"float64", "int64", "uint64"}, default "float64"
        The values' type. With an integer type and an interpolation that selects a value
        (``lower``, ``higher``, ``nearest``) or floors it (``floor``), values and results
        are exact integers: results come back as a nullable ``Int64`` (``UInt64``) array,
        ``<NA>`` where ``min_periods`` is not met, as the accessor gives them.
    closed : {"right", "left", "both", "neither"}, optional
        For a time window, which ends it includes, as pandas' ``closed`` (default right).

    Raises
    ------
    TypeError, ValueError
        For a bad argument, naming it.

    Examples
    --------
    >>> import pandas as pd
    >>> import rollmed
    >>> stream = rollmed.RollingMedian(window=3)
    >>> stream.update([1.0, 3.0, -1.0])
    array([nan, nan,  1.])
    >>> stream.update(-3.0)
    -1.0
    >>> running = rollmed.RollingMedian(interpolation="floor")
    >>> running.update([2, 3, 4]).tolist()
    [2.0, 2.0, 3.0]
    >>> recent = rollmed.RollingMedian(window="5min")
    >>> times = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:03", "2024-01-01 00:07"])
    >>> recent.update([1.0, 2.0, 9.0], times)
    array([1. , 1.5, 5.5])
    """

    def __init__(
        self,
        window: int | Any | None = None,
        *,
        min_periods: int | None = None,
        q: float | Sequence[float] = 0.5,
        interpolation: str = "linear",
        dtype: Any = "float64",
        closed: str | None = None,
    ) -> None:
        from rollmed import _kernels

        self._window = StreamWindow(window, closed, min_periods)
        statistic, self._several = _statistics.quantiles(q, interpolation)
        self.dtype = _checks.check_stream_dtype(dtype, interpolation)
        if self._several and self.dtype != "float64":
            raise _checks.ArgumentError(
                "q",
                q,
                "one quantile",
                "several quantiles stream as float64: give each its own integer stream",
            )
        self.window = window
        self.min_periods = self._window.min_periods
        self.q = list(statistic.qs) if self._several else statistic.qs[0]
        self.interpolation = interpolation
        self.closed = closed
        self._readouts = [
            _kernels.Readout(value, code, self.min_periods)
            for value, code in zip(statistic.qs, statistic.interpolations, strict=True)
        ]
        # Positions are tracked where values leave the window; the running median keeps all.
        self._tracked = self._window.kind != "running"
        self._buffers = [_kernels.heap_buffer(2, 2, self._tracked) for _ in self._readouts]
        span = self._window.span if self._window.timed else self._window.rows
        left_closed = closed in ("left", "both")
        for buffer, readout in zip(self._buffers, self._readouts, strict=True):
            _kernels.stream_setup(buffer, span, readout, left_closed)
        # A time window closed on the right keeps its times in a ring that the kernels read
        # and write, a value at a time; one open on the right (its latest readings enter
        # with a later one) works out its windows a chunk at a time (StreamWindow).
        in_ring = self._window.timed and closed in (None, "right", "both") and self.dtype == "float64"
        self._ring = np.zeros(_FIRST_CAPACITY, np.int64) if in_ring and not self._several else None
        # Values fed but not yet in the heaps: where a time window is open on the right,
        # the latest readings enter with a later one.
        self._pending = np.empty(0, np.float64 if self.dtype == "float64" else np.int64)
        self._pending_valid = np.empty(0, np.bool_)
        self._room = self._values_with_room()
        self._buffer_layout = _BUFFER_LAYOUT
        self._start()

    def _start(self) -> None:
        if getattr(self, "_buffer_layout", None) != _BUFFER_LAYOUT:  # unpickled from another rollmed
            raise ValueError(
                "this RollingMedian was saved by a rollmed whose streams keep their state differently: "
                "feed a new stream the values its window holds"
            )
        super()._start()
        self._push, self._push_in_time, self._push_refused = single_value_kernels()
        for buffer in self._buffers:  # (a copy is taken while its original is in use)
            buffer[BUSY] = 0
        # The hot paths ask one question each: 1, values one at a time by rows or all; 2, in time.
        if self._several or self.dtype != "float64":
            self._fast = 0
        else:
            self._fast = 2 if self._ring is not None else 0 if self._window.timed else 1
        self._in_time = self._time_hot_path()

    def __repr__(self) -> str:
        return (
            f"RollingMedian(window={self.window!r}, min_periods={self.min_periods}, q={self.q}, "
            f"interpolation={self.interpolation!r}, dtype={self.dtype!r}; {self.count} values seen)"
        )

    @property
    def count(self) -> int:
        """The number of values seen so far."""
        return self._seen()

    def _seen(self) -> int:
        # The values in the heaps' positions, and those waiting to enter (a window open on the right).
        from rollmed import _kernels

        return int(_kernels.heap_capacity(self._buffers[0])[2]) + self._pending.size

    @property
    def nbytes(self) -> int:
        """The bytes of state the stream holds: they follow the values inside the window, not the stream."""
        held = self._window.held_times.nbytes + self._pending.nbytes + self._pending_valid.nbytes
        ring = 0 if self._ring is None else self._ring.nbytes
        return sum(buffer.nbytes for buffer in self._buffers) + held + ring

    def _values_with_room(self) -> int:
        """How many more values fit before the heaps (and a time ring) are checked and grown."""
        from rollmed import _kernels

        cap_lo, cap_hi, _ = (int(value) for value in _kernels.heap_capacity(self._buffers[0]))
        if self._window.kind == "time":
            if self._ring is None:
                return 0  # each update works out its windows first
            seen, last_start = (int(value) for value in _kernels.stream_held(self._buffers[0]))
            # Looked at again within half the capacity, so that room left after a burst of
            # readings is given back (see _resize) once the window holds far fewer.
            return min(cap_lo - (seen - last_start) - 1, cap_lo // 2)
        if self._window.kind == "rows":
            # The positions held span at most min(window, seen): the capacity, once past the window.
            return 2**62 if cap_lo >= self._window.rows else cap_lo - self._seen()
        # Each heap holds its share of everything seen, int(q * n) + 2 and int((1 - q) * n) + 2
        # (rollmed._kernels); a margin of one value keeps float rounding on the safe side.
        room = 2**62
        for readout in self._readouts:
            q = readout.q
            room = min(
                room,
                int((cap_lo - 2) / q) - 1 if q > 0 else 2**62,
                int((cap_hi - 2) / (1 - q)) - 1 if q < 1 else 2**62,
            )
        return max(room - self._seen(), 0)

    def _resize(self, need: int) -> None:
        """Give every heap room for windows over ``need`` positions (running: ``need`` values).

        Capacities double as values arrive; a time stream's also halve where its window
        came to hold far fewer readings, so that memory follows them.
        """
        from rollmed import _kernels

        keys = self._buffers[0][:0].view(np.float64) if self.dtype == "float64" else self._buffers[0][:0]
        for index, (buffer, readout) in enumerate(zip(self._buffers, self._readouts, strict=True)):
            cap_lo, cap_hi, _ = (int(value) for value in _kernels.heap_capacity(buffer))
            if self._tracked:
                capacity = max(cap_lo, _FIRST_CAPACITY)
                while capacity < need:
                    capacity *= 2
                while self._window.timed and _kernels.far_more_room.py_func(capacity, need):
                    capacity //= 2
                if capacity == cap_lo:
                    continue
                cap_lo = cap_hi = capacity
            else:
                cap_lo = max(int(readout.q * need) + 2, 2 * cap_lo)
                cap_hi = max(int((1 - readout.q) * need) + 2, 2 * cap_hi)
            self._buffers[index] = _kernels.heap_grow(buffer, cap_lo, cap_hi, keys)
            buffer[BUSY] = 1  # for good: a hot path that read it before cannot feed it a value that is lost
        if self._ring is not None and self._ring.size != int(_kernels.heap_capacity(self._buffers[0])[0]):
            seen, last_start = (int(value) for value in _kernels.stream_held(self._buffers[0]))
            capacity = int(_kernels.heap_capacity(self._buffers[0])[0])
            self._ring = _kernels.ring_resized(self._ring, capacity, last_start, seen)

    def _make_room(self, n_new: int, width: int = 0) -> None:
        """Room for ``n_new`` more values (windows up to ``width`` positions wide, for time), taken.

        ``_room`` counts the values that fit before the heaps must be looked at again.
        """
        if n_new > self._room:
            from rollmed import _kernels

            total = self._seen() + n_new
            if self._window.kind == "time" and self._ring is not None:
                seen, last_start = (int(value) for value in _kernels.stream_held(self._buffers[0]))
                # Room for as many readings again before the next look (a look costs a few
                # microseconds; a value, a fraction of one).
                need = _kernels.time_room_needed.py_func(seen - last_start, n_new)
            else:
                need = {"rows": min(self._window.rows, total), "running": total, "time": width}[
                    self._window.kind
                ]
            self._resize(need)
            self._room = self._values_with_room()
        self._room -= n_new

    def update(self, values: npt.ArrayLike, times: Any = None) -> np.ndarray | float:
        """Feed the next values (with their times, for a time window); the results at their positions.

        Parameters
        ----------
        values : float or array_like
            The next value, or the next values in order: numbers (NaN, None and ``pd.NA``
            are missing).
        times : timestamp or array_like of timestamps, optional
            For a time window (and only then), the time of each value, as pandas reads
            timestamps; never decreasing, within a call and from the last call on.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, else a float64 array of one result per value (a row
            per value and a column per quantile for several ``q``; nullable integers
            for an integer ``dtype``).

        Raises
        ------
        TypeError
            If ``values`` holds text, dates, complex numbers or other things that are not
            numbers; if times are given to a stream without a time window, or missing for one.
        ValueError
            If ``values`` has more than one dimension, or times decrease (the stream is
            left as it was).
        RuntimeError
            If another thread is updating the stream at the same time.

        Examples
        --------
        >>> import rollmed
        >>> stream = rollmed.RollingMedian(window=3, min_periods=1)
        >>> stream.update([4.0, 1.0])
        array([4. , 2.5])
        >>> stream.update(7.0)
        4.0
        """
        # A per-value consumer's hot paths, written out: every attribute read counts here.
        # They take no token: the kernel holds the GIL, checks what it needs and refuses
        # (PushRefused, nothing changed) a buffer that another update has (BuffersInUse).
        if times is None:
            fast = self._fast
            if type(values) is float and fast:
                if self._room > 2**60:  # a window of rows with all the room it needs
                    try:
                        return self._push(self._buffers[0], values)
                    except self._push_refused:
                        pass
                if fast == 1:
                    return self._push_one(values)
        elif type(times) is _TIMESTAMP and type(values) is float and (in_time := self._in_time) is not None:
            push_in_time, buffer, ring, naive = in_time
            if (_utc_offset(times) is None) is naive:
                try:  # the kernel also checks the time and the room
                    return push_in_time(buffer, ring, values, times.value)
                except self._push_refused:
                    pass
            return self._push_one_in_time(values, times)  # the first time, more room, or an error
        unboxed = _values.unbox_stream(values, self.dtype)
        chunk = unboxed.values
        if chunk.ndim > 1:
            raise ValueError(f"`values` must be a scalar or one-dimensional, got shape {chunk.shape}")
        scalar = chunk.ndim == 0
        if scalar:
            valid = None if unboxed.valid is None else unboxed.valid.reshape(1)
            unboxed = _values.Unboxed(chunk.reshape(1), valid, unboxed.unsigned)
        results = self._update_chunk(unboxed, times)
        return results[0] if scalar else results

    def _push_one(self, value: float) -> float:
        """``update``'s way for a value the hot path leaves: room to count or make, or another update."""
        # The token alone, held through the push (whose kernel refuses a buffer marked busy):
        # another update cannot take the room counted here before this value fills it.
        with InUse(self._token):
            if self._room > 0:
                self._room -= 1
            else:
                self._make_room(1)
            try:
                return self._push(self._buffers[0], value)
            except self._push_refused:  # (a buffer marked busy: not while this holds the token)
                refuse_concurrent_use()

    def _using(self) -> InUse:
        return BuffersInUse(self._token, self._buffers)

    def _push_one_in_time(self, value: float, time: pd.Timestamp) -> float:
        """``update``'s way for a reading the hot path leaves: the first time, room to make, an error."""
        result = self._update_chunk(_values.Unboxed(np.array([value]), None), [time])[0]
        self._in_time = self._time_hot_path()
        return result

    def _time_hot_path(self) -> tuple[Any, np.ndarray, np.ndarray, bool | None] | None:
        """What ``update``'s hot path for a reading in time reads, in one attribute (None: no hot path).

        The kernel, the buffer, the ring and whether times are naive (None until the first
        arrive: a reading's must match). Refreshed by the slow path: a buffer replaced since
        is refused by the kernel (it stays busy), which sends the reading the slow way.
        """
        if self._fast != 2:
            return None
        naive = None if self._window.tz is False else self._window.tz is None
        return self._push_in_time, self._buffers[0], self._ring, naive

    def _update_chunk(self, unboxed: _values.Unboxed, times: Any) -> Any:
        from rollmed import _kernels

        n = unboxed.values.size
        exact = unboxed.exact
        n_q = len(self._readouts)
        out = np.empty((n, n_q), np.int64 if exact else np.float64)
        out_valid = np.empty((n, n_q), np.bool_)
        if self._ring is not None:
            return self._update_in_ring(unboxed, times)
        with self._using():
            # The values fed but not in the heaps yet (a window open on the right), then these.
            values = np.concatenate([self._pending, unboxed.values])
            chunk_valid = unboxed.valid if unboxed.valid is not None else np.ones(n if exact else 0, np.bool_)
            valid = np.concatenate([self._pending_valid, chunk_valid])
            seen = self._seen()
            offset = seen - self._pending.size
            ticks = self._window.times_of(times, n)
            held = (self._window.held_times.copy(), self._window.held_from)
            try:
                start, end = self._window.bounds(seen, n, ticks)
            except BaseException:
                self._window.held_times, self._window.held_from = held
                raise
            self._make_room(n, int(np.max(end - start)) if n else 0)
            values = _runners.read_only(values)
            for index, (buffer, readout) in enumerate(zip(self._buffers, self._readouts, strict=True)):
                part = np.empty(n, out.dtype)
                part_valid = np.empty(n if exact else 0, np.bool_)
                _kernels.stream_update(buffer, values, valid, offset, start, end, readout, part, part_valid)
                out[:, index] = part
                out_valid[:, index] = part_valid if exact else True
            entered = int(_kernels.heap_capacity(self._buffers[0])[2]) - offset
            self._pending = values[entered:].copy()
            self._pending_valid = valid[entered:].copy() if exact else valid
        if self._several:
            return out
        return unboxed.rebox(out[:, 0], out_valid[:, 0] if exact else None)

    def _update_in_ring(self, unboxed: _values.Unboxed, times: Any) -> np.ndarray:
        """A chunk of a time stream closed on the right: the ring path, a value at a time in the kernel."""
        from rollmed import _kernels

        n = unboxed.values.size
        out = np.empty(n, np.float64)
        with self._using():
            # The hot path of update leaves the latest time in the ring alone, and the room uncounted.
            seen, _ = _kernels.stream_held(self._buffers[0])
            if seen:
                self._window.last_tick = int(self._ring[(seen - 1) & (self._ring.size - 1)])
            ticks = self._window.times_of(times, n)
            values = _runners.read_only(np.ascontiguousarray(unboxed.values))
            # A piece at a time, no longer than the readings held: the heaps and the ring need
            # room for those and the piece, so memory stays near what the window holds.
            first = 0
            while first < n:
                seen, last_start = (int(value) for value in _kernels.stream_held(self._buffers[0]))
                stop = min(n, first + max(_PIECE, seen - last_start))
                need = _kernels.time_room_needed.py_func(seen - last_start, stop - first)
                if _kernels.far_more_room.py_func(self._ring.size, need):
                    self._room = 0  # _make_room gives some back
                else:
                    self._room = self._values_with_room()
                self._make_room(stop - first)
                piece = slice(first, stop)
                _kernels.stream_update_in_time(
                    self._buffers[0], self._ring, values[piece], ticks[piece], out[piece]
                )
                first = stop
            if n:
                self._window.last_tick = int(ticks[-1])
        return out
