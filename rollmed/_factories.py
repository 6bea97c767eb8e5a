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

from rollmed import _plans, _statistics, _values
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
