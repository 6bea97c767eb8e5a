"""A streaming median: the engine's state kept between calls, so data can arrive in pieces."""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from rollmed import _api, _windows

_SCALARS = (float, int, np.floating, np.integer)


@functools.cache
def _push_entry_point() -> Any:
    """The compiled single-value update, called without numba's type dispatch.

    ``Dispatcher.compile(signature)`` returns the compiled function itself; calling it
    skips working out the argument types on every call (about 0.15 us of 0.5 us).
    The buffer is always a C-contiguous int64 array made by the kernels. Looked up
    once per process: every stream (and every copy or unpickled one) shares it.
    """
    from numba import types

    from rollmed import _kernels

    return _kernels.stream_push.compile((types.Array(types.int64, 1, "C"), types.float64))


class RollingMedian:
    """The rolling (or running) median of a stream, fed a value or a chunk at a time.

    The two-heap state lives in this object between calls: for any split of the data
    into chunks, the concatenated results of :meth:`update` equal the one-shot
    ``s.rollmed.window(window)`` (or ``s.rollmed.expanding()`` when ``window`` is
    None). The object pickles and copies mid-stream, so a consumer can checkpoint it
    and resume with identical results. A fixed window keeps O(window) memory however
    long the stream; values are float64, NaN missing, infinities values.

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
    ) -> None:
        from rollmed import _kernels

        if window is not None:
            window = _windows.check_row_window(window)
        if min_periods is None:
            min_periods = window if window is not None else 1
        min_periods = _windows._check_min_periods(min_periods, window)
        self.window = window
        self.min_periods = min_periods
        q, code = _api.check_quantile(q, interpolation)
        self.q = q
        self.interpolation = interpolation
        # The running median starts small and grows; a window never needs more than its size.
        self._buffer = _kernels.new_stream(window or 0, min_periods, q, code, 2, 2)
        self._push = _push_entry_point()

    def __getstate__(self) -> dict[str, Any]:
        # The compiled entry point is not picklable; the state arrays are everything.
        return {name: value for name, value in self.__dict__.items() if name != "_push"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._push = _push_entry_point()

    def __repr__(self) -> str:
        return (
            f"RollingMedian(window={self.window}, min_periods={self.min_periods}, q={self.q}, "
            f"interpolation={self.interpolation!r}; {self.count} values seen)"
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
        return copy.deepcopy(self)

    def _make_room(self, n_new: int) -> None:
        """Grow the running median's heaps to their share of everything seen so far."""
        from rollmed import _kernels

        buffer = self._buffer
        total = self.count + n_new
        need_lo, need_hi = int(self.q * total) + 2, int((1 - self.q) * total) + 2
        cap_lo, cap_hi = int(buffer[_kernels._S_CAP_LO]), int(buffer[_kernels._S_CAP_HI])
        if cap_lo < need_lo or cap_hi < need_hi:
            # Doubling keeps the copies to O(n) over the whole stream.
            self._buffer = _kernels.stream_grow(buffer, max(need_lo, 2 * cap_lo), max(need_hi, 2 * cap_hi))

    def update(self, values: npt.ArrayLike) -> np.ndarray | float:
        """Feed the next values; the medians at their positions.

        Parameters
        ----------
        values : float or array_like
            The next value, or the next values in order. NaN is missing.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar, else a float64 array of one result per value.

        Raises
        ------
        ValueError
            If ``values`` has more than one dimension.

        Examples
        --------
        >>> import rollmed
        >>> stream = rollmed.RollingMedian(window=3, min_periods=1)
        >>> stream.update([4.0, 1.0])
        array([4. , 2.5])
        >>> stream.update(7.0)
        4.0
        """
        if type(values) is float and self.window is not None:  # a per-value consumer's hot path
            return self._push(self._buffer, values)
        if isinstance(values, _SCALARS):
            if self.window is None:
                self._make_room(1)
            return self._push(self._buffer, float(values))
        from rollmed import _kernels

        chunk = np.asarray(values, dtype=np.float64)
        if chunk.ndim != 1:
            if chunk.ndim == 0:
                return self.update(float(chunk))
            raise ValueError(f"`values` must be a scalar or one-dimensional, got shape {chunk.shape}")
        if self.window is None:
            self._make_room(chunk.size)
        out = np.empty(chunk.size, np.float64)
        _kernels.stream_update(self._buffer, _api._read_only(np.ascontiguousarray(chunk)), out)
        return out

    @property
    def count(self) -> int:
        """The number of values seen so far."""
        from rollmed import _kernels

        return int(_kernels.stream_count(self._buffer))
