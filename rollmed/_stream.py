"""A streaming median: the engine's state kept between calls, so data can arrive in pieces."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from rollmed import _checks, _runners, _values

# A fixed window's heaps start with room for this many values and double as values arrive.
_FIRST_CAPACITY = 8


@functools.cache
def _push_entry_point() -> Any:
    """The compiled single-value update, called without numba's type dispatch.

    ``Dispatcher.compile(signature)`` returns the compiled function itself; calling it
    skips working out the argument types on every call (about 0.15 us of 0.5 us).
    Looked up once per process: every stream (and every copy or unpickled one) shares it.
    """
    import numba

    from rollmed import _kernels

    readout = numba.typeof(_kernels.Readout(0.5, 0, 1))
    signature = (
        numba.types.Array(numba.types.int64, 1, "C"),
        numba.types.float64,
        numba.types.int64,
        readout,
    )
    return _kernels.stream_push.compile(signature)


class RollingMedian:
    """The rolling (or running) median of a stream, fed a value or a chunk at a time.

    The two-heap state lives in this object between calls: for any split of the data
    into chunks, the concatenated results of :meth:`update` equal the one-shot
    ``s.rollmed.window(window)`` (or ``s.rollmed.expanding()`` when ``window`` is
    None). The object pickles and copies mid-stream, so a consumer can checkpoint it
    and resume with identical results. Its memory follows the values it holds: it
    grows as they arrive, up to O(window) for a fixed window however long the stream.
    Values are numbers, taken as float64; NaN, None and ``pd.NA`` are missing,
    infinities are values. A stream is fed by one thread at a time: an update while
    another thread's is under way raises RuntimeError.

    Parameters
    ----------
    window : int, optional
        The number of most recent values in each window; None (the default) for the
        running median of everything seen.
    min_periods : int, optional
        The least number of non-missing values a window must hold to give a result;
        by default ``window``, or 1 for the running median.
    q : float, default 0.5
        The quantile, from 0 to 1; the default is the median.
    interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
        How to read a quantile between two values, as pandas' ``quantile``.
    dtype : {"float64", "int64", "uint64"}, default "float64"
        The values' type. With an integer type and an interpolation that selects a value
        (``lower``, ``higher``, ``nearest``) or floors it (``floor``), values and results
        are exact integers: results come back as a nullable ``Int64`` (``UInt64``) array,
        ``<NA>`` where ``min_periods`` is not met, as the accessor gives them.

    Raises
    ------
    TypeError, ValueError
        For a bad ``window``, ``min_periods``, ``q`` or ``interpolation``, naming it.

    Examples
    --------
    >>> import rollmed
    >>> stream = rollmed.RollingMedian(window=3)
    >>> stream.update([1.0, 3.0, -1.0])
    array([nan, nan,  1.])
    >>> stream.update(-3.0)
    -1.0
    >>> running = rollmed.RollingMedian(interpolation="floor")
    >>> running.update([2, 3, 4]).tolist()
    [2.0, 2.0, 3.0]
    """

    def __init__(
        self,
        window: int | None = None,
        *,
        min_periods: int | None = None,
        q: float = 0.5,
        interpolation: str = "linear",
        dtype: Any = "float64",
    ) -> None:
        from rollmed import _kernels

        if window is not None:
            window = _checks.check_row_window(window)
        if min_periods is None:
            min_periods = window if window is not None else 1
        min_periods = _checks.check_min_periods(min_periods, window)
        q, code = _checks.check_quantile(q, interpolation)
        self.dtype = _checks.check_stream_dtype(dtype, interpolation)
        self.window = window
        self.min_periods = min_periods
        self.q = q
        self.interpolation = interpolation
        self._readout = _kernels.Readout(q, code, min_periods)
        # A fixed window tracks positions; the running median never drops a value.
        self._buffer = _kernels.heap_buffer(2, 2, window is not None)
        self._room = self._values_with_room()
        self._start()

    def _start(self) -> None:
        """What a stream needs beside its state, made anew for every copy and unpickled stream."""
        self._push = _push_entry_point()
        # One token: an update takes it and gives it back (list.pop and append are atomic
        # under the GIL, a lock costs 0.3 us). Two threads at once in the kernel would
        # corrupt the heaps; the second is refused instead.
        self._token = [True]

    def __getstate__(self) -> dict[str, Any]:
        with self._using():
            state = dict(self.__dict__)
            state["_buffer"] = self._buffer.copy()
        del state["_push"], state["_token"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start()

    def __copy__(self) -> RollingMedian:
        # A shallow copy would share the heaps: every copy is independent.
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> RollingMedian:
        return self.copy()

    def __repr__(self) -> str:
        return (
            f"RollingMedian(window={self.window}, min_periods={self.min_periods}, q={self.q}, "
            f"interpolation={self.interpolation!r}, dtype={self.dtype!r}; {self.count} values seen)"
        )

    def copy(self) -> RollingMedian:
        """An independent copy of the stream's state, to resume from later.

        Returns
        -------
        RollingMedian
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

    def _using(self) -> _InUse:
        return _InUse(self._token)

    def _values_with_room(self) -> int:
        """How many more values the buffer takes before it must grow."""
        from rollmed import _kernels

        cap_lo, cap_hi, seen = (int(value) for value in _kernels.heap_capacity(self._buffer))
        if self.window is not None:
            # The held positions span at most min(window, seen): the capacity, once past the window.
            return 2**62 if cap_lo >= self.window else cap_lo - seen
        # Each heap holds its share of everything seen, int(q * n) + 2 and int((1 - q) * n) + 2
        # (rollmed._kernels); a margin of one value keeps float rounding on the safe side.
        most = min(
            int((cap_lo - 2) / self.q) - 1 if self.q > 0 else 2**62,
            int((cap_hi - 2) / (1 - self.q)) - 1 if self.q < 1 else 2**62,
            2**62,
        )
        return max(most - seen, 0)

    def _make_room(self, n_new: int) -> None:
        """Grow the buffer, doubling, until it takes ``n_new`` more values: O(n) copies over the stream."""
        from rollmed import _kernels

        if n_new <= self._room:
            self._room -= n_new
            return
        cap_lo, cap_hi, seen = (int(value) for value in _kernels.heap_capacity(self._buffer))
        total = seen + n_new
        if self.window is not None:
            need = min(self.window, total)
            capacity = max(cap_lo, _FIRST_CAPACITY)
            while capacity < need:
                capacity *= 2
            cap_lo = cap_hi = capacity
        else:
            cap_lo = max(int(self.q * total) + 2, 2 * cap_lo)
            cap_hi = max(int((1 - self.q) * total) + 2, 2 * cap_hi)
        keys = self._buffer[:0].view(np.float64) if self.dtype == "float64" else self._buffer[:0]
        self._buffer = _kernels.heap_grow(self._buffer, cap_lo, cap_hi, keys)
        self._room = self._values_with_room() - n_new

    def update(self, values: npt.ArrayLike) -> np.ndarray | float:
        """Feed the next values; the medians at their positions.

        Parameters
        ----------
        values : float or array_like
            The next value, or the next values in order: numbers (NaN, None and ``pd.NA``
            are missing).

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, else a float64 array of one result per value.

        Raises
        ------
        TypeError
            If ``values`` holds text, dates, complex numbers or other things that are not numbers.
        ValueError
            If ``values`` has more than one dimension.
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
        if (
            type(values) is float and self.dtype == "float64"
        ):  # a per-value consumer's hot path, written out: 0.3 us in all
            token = self._token
            try:
                token.pop()
            except IndexError:
                _refuse_concurrent_use()
            try:
                if self._room > 0:
                    self._room -= 1
                else:
                    self._make_room(1)
                return self._push(self._buffer, values, self.window or 0, self._readout)
            finally:
                token.append(True)
        unboxed = _values.unbox_stream(values, self.dtype)
        chunk = unboxed.values
        if chunk.ndim == 0:
            if not unboxed.exact:
                return self.update(float(chunk))
            return self._update_chunk(_values.Unboxed(chunk.reshape(1), unboxed.valid, unboxed.unsigned))[0]
        if chunk.ndim != 1:
            raise ValueError(f"`values` must be a scalar or one-dimensional, got shape {chunk.shape}")
        return self._update_chunk(unboxed)

    def _update_chunk(self, unboxed: _values.Unboxed) -> Any:
        from rollmed import _kernels

        n = unboxed.values.size
        out = np.empty(n, np.int64 if unboxed.exact else np.float64)
        out_valid = np.empty(n if unboxed.exact else 0, np.bool_)
        valid = np.empty(0, np.bool_) if unboxed.valid is None else unboxed.valid.reshape(-1)
        values = _runners.read_only(np.ascontiguousarray(unboxed.values))
        with self._using():
            self._make_room(n)
            _kernels.stream_update(
                self._buffer, values, valid, self.window or 0, self._readout, out, out_valid
            )
        return unboxed.rebox(out, out_valid)

    @property
    def count(self) -> int:
        """The number of values seen so far."""
        from rollmed import _kernels

        return int(_kernels.heap_capacity(self._buffer)[2])


def _refuse_concurrent_use() -> None:
    raise RuntimeError(
        "this RollingMedian is being updated by another thread: feed a stream from one "
        "thread at a time (or give each thread its own stream)"
    ) from None


class _InUse:
    """Holds a stream's token while an update runs; a second thread finds none and is refused."""

    __slots__ = ("_token",)

    def __init__(self, token: list[bool]) -> None:
        self._token = token

    def __enter__(self) -> None:
        try:
            self._token.pop()
        except IndexError:
            _refuse_concurrent_use()

    def __exit__(self, *exc_info: object) -> None:
        self._token.append(True)
