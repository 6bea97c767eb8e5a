"""The ``.rollmed`` accessor on pandas Series: check the dtype, read the arguments, rebox on the same index.

The DataFrame accessor lives in rollmed._frame_accessor; both run through
rollmed._compute (plans, statistics, unboxing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rollmed import _checks, _values
from rollmed._lazy import LazyModule

if TYPE_CHECKING:
    from rollmed import _compute, _statistics
else:  # loaded on the first call: see rollmed._lazy
    _compute = LazyModule("rollmed._compute", globals(), "_compute")
    _statistics = LazyModule("rollmed._statistics", globals(), "_statistics")

# The parameters every windowed method shares, written once into each docstring.
WINDOW_PARAMETERS = """window : int, str, timedelta, DateOffset, BaseIndexer or None
            The number of rows in each window (it may exceed the length); or a time
            span such as ``"5min"`` over a DatetimeIndex (or the ``on`` column of a
            frame); or a pandas window indexer such as ``FixedForwardWindowIndexer``;
            or None for the expanding window of everything so far.
        min_periods : int, optional
            The least number of non-missing values a window must hold to give a
            result; by default the window for a number of rows, 1 for a time span or
            the expanding window.
        center : bool, default False
            Centre the window on each row instead of ending it there, as pandas does."""
PLACEMENT_PARAMETERS = """closed : {"right", "left", "both", "neither"}, optional
            Which ends of the window are included, as pandas' ``closed``.
        step : int, optional
            Give a result for every ``step``-th row only, as pandas' ``step``.
        by : keys, optional
            Roll within groups of rows with equal keys, in row order, and return the
            results on the original rows (rows with a missing key give NaN)."""
QUANTILE_PARAMETERS = """q : float or sequence of floats, default 0.5
            The quantile, from 0 to 1; the default is the median. Several quantiles
            are computed in one pass and give one column each.
        interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
            How to read a quantile between two values, as pandas' ``quantile``;
            ``"floor"`` is the floor of their midpoint. With an integer column,
            ``lower``, ``higher``, ``nearest`` and ``floor`` give exact integers."""
EXACT_NOTE = """
            A float64 result where pandas would give one; integer input with an exact
            interpolation gives a nullable ``Int64`` (``UInt64`` for uint64) result."""


def fill_doc(doc: str) -> str:
    """Put the parameter texts the methods share into a docstring's placeholders."""
    return (
        doc.replace("{window}", WINDOW_PARAMETERS)
        .replace("{placement}", PLACEMENT_PARAMETERS)
        .replace("{quantile}", QUANTILE_PARAMETERS)
        .replace("{exact}", EXACT_NOTE)
    )


@pd.api.extensions.register_series_accessor("rollmed")
class RollmedSeriesAccessor:
    """Rolling medians, quantiles, MAD, ranks and Hampel despiking of a numeric Series.

    ``s.rollmed.window(k)``, ``s.rollmed.mad(k)``, ``s.rollmed.hampel(k)``... NaN and
    ``pd.NA`` are missing values; infinities are values. Every method returns results
    on the index of ``s`` with its name; ``s`` is not modified.
    """

    def __init__(self, series: pd.Series) -> None:
        if not _values.is_supported(series.dtype):
            # pandas' accessor guide: reject an unsupported dtype with AttributeError, at access.
            raise AttributeError(
                "rollmed needs a numeric or boolean Series, "
                f"got dtype {series.dtype!s} (Series {series.name!r})"
            )
        self._series = series

    def _plan(self, window, min_periods, center, closed, step, by):
        codes = None
        if by is not None:
            codes = _compute.group_codes([_compute.series_keys(by, self._series)], len(self._series))
        n = len(self._series)
        return _compute.plan(n, window, min_periods, center, closed, step, self._series.index, codes)

    def _series_of(self, values: Any, rows: slice) -> pd.Series:
        # The result is ours alone: hand it to pandas without the copy pandas 3 makes by default.
        return pd.Series(values, index=self._series.index[rows], name=self._series.name, copy=False)

    def _statistic(self, plan, statistic, interpolation="linear") -> list[Any]:
        return _compute.run(plan, [self._series], statistic, interpolation)[0]

    def window(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        q: float | list[float] = 0.5,
        interpolation: str = "linear",
        closed: str | None = None,
        step: int | None = None,
        by: Any = None,
    ) -> pd.Series | pd.DataFrame:
        """Rolling median or quantile, like ``s.rolling(...).median()`` or ``.quantile(q)``.

        Parameters
        ----------
        {window}
        {quantile}
        {placement}

        Returns
        -------
        pandas.Series or pandas.DataFrame
            On the index of the Series (every ``step``-th row) and with its name; for a
            sequence ``q``, a DataFrame with a column per quantile.{exact}

        Raises
        ------
        TypeError
            If an argument has the wrong type.
        ValueError
            If ``window``, ``min_periods``, ``q``, ``interpolation``, ``closed`` or
            ``step`` is out of range, or a time window meets an index that is not
            datetime or not monotonic.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> s = pd.Series([1.0, 3.0, -1.0, -3.0, 5.0], name="x")
        >>> s.rollmed.window(3)
        0    NaN
        1    NaN
        2    1.0
        3   -1.0
        4   -1.0
        Name: x, dtype: float64
        >>> s.rollmed.window(3, center=True, min_periods=1).tolist()
        [2.0, 1.0, -1.0, -1.0, 1.0]
        >>> s.rollmed.window(3, q=0.9, interpolation="higher", min_periods=1).tolist()
        [1.0, 3.0, 3.0, 3.0, 5.0]
        >>> s.rollmed.window(3, q=[0.1, 0.9], min_periods=1)
        quantile  0.1  0.9
        0         1.0  1.0
        1         1.2  2.8
        2        -0.6  2.6
        3        -2.6  2.2
        4        -2.6  3.8
        >>> pd.Series([2, 3, 7, 8]).rollmed.window(2, interpolation="floor").tolist()
        [<NA>, 2, 5, 7]
        """
        statistic, several = _statistics.quantiles(q, interpolation)
        plan = self._plan(window, min_periods, center, closed, step, by)
        results = self._statistic(plan, statistic, interpolation)
        if not several:
            return self._series_of(results[0], plan.result_rows)
        columns = pd.Index(statistic.qs, name="quantile")
        frame = pd.DataFrame(dict(enumerate(results)), index=self._series.index[plan.result_rows], copy=False)
        frame.columns = columns
        return frame

    def expanding(
        self,
        min_periods: int = 1,
        *,
        q: float | list[float] = 0.5,
        interpolation: str = "linear",
        by: Any = None,
    ) -> pd.Series | pd.DataFrame:
        """Expanding (running) median or quantile, like ``s.expanding(min_periods).median()``.

        The same as ``s.rollmed.window(None, min_periods, q=q, interpolation=interpolation, by=by)``.

        Parameters
        ----------
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a result; 0 or more.
        {quantile}
        by : keys, optional
            The running median within each group, on the original rows.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            On the index of the Series and with its name; a DataFrame for a sequence ``q``.{exact}

        Raises
        ------
        TypeError
            If ``min_periods`` is not an integer or ``q`` not a number.
        ValueError
            If ``min_periods`` is negative, ``q`` not in ``[0, 1]`` or
            ``interpolation`` unknown.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> pd.Series([2, 3, 4, None, 10]).rollmed.expanding().tolist()
        [2.0, 2.5, 3.0, 3.0, 3.5]
        >>> pd.Series([2, 3, 4, 1]).rollmed.expanding(interpolation="floor").tolist()
        [2, 2, 3, 2]
        """
        min_periods = _checks.check_min_periods(min_periods, None)  # None is not a default here
        return self.window(None, min_periods, q=q, interpolation=interpolation, by=by)

    def mad(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        scale: float = 1.0,
        closed: str | None = None,
        step: int | None = None,
        by: Any = None,
    ) -> pd.Series:
        """Rolling median absolute deviation: the median over each window of ``|x - median(window)|``.

        On finite data, bit for bit ``np.nanmedian(np.abs(w - np.nanmedian(w)))`` of
        each window ``w``, times ``scale``. Infinities follow the same formula: a value
        at an infinite median of its own sign has no distance to it (it is left out),
        any other value is infinitely far from an infinite median.

        Parameters
        ----------
        {window}
        scale : float, default 1.0
            A factor for the MAD: 1.4826 makes it a consistent estimate of the standard
            deviation of normal data.
        {placement}

        Returns
        -------
        pandas.Series
            float64, on the index of the Series (every ``step``-th row) and with its name.

        Raises
        ------
        TypeError, ValueError
            For a bad argument, naming it (as :meth:`window`).

        See Also
        --------
        hampel : Replace the values far from their window's median, in MADs.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> s = pd.Series([1.0, 2.0, 4.0, 8.0, 16.0])
        >>> s.rollmed.mad(3).tolist()
        [nan, nan, 1.0, 2.0, 4.0]
        >>> s.rollmed.mad(None).tolist()  # the running MAD
        [0.0, 0.5, 1.0, 1.5, 3.0]
        """
        statistic = _statistics.MedianAbsoluteDeviation(_checks.check_scale(scale))
        plan = self._plan(window, min_periods, center, closed, step, by)
        return self._series_of(self._statistic(plan, statistic)[0], plan.result_rows)

    def rank(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        method: str = "average",
        ascending: bool = True,
        pct: bool = False,
        closed: str | None = None,
        step: int | None = None,
        by: Any = None,
    ) -> pd.Series:
        """Rolling rank of each row's value within its window, like ``s.rolling(...).rank()``.

        Parameters
        ----------
        {window}
        method : {"average", "min", "max"}, default "average"
            The rank given to tied values, as pandas.
        ascending : bool, default True
            Rank from the smallest value (1) up, or from the largest down.
        pct : bool, default False
            Divide each rank by the number of values in its window.
        {placement}

        Returns
        -------
        pandas.Series
            float64 ranks from 1, NaN where the row's own value is missing or the window
            holds fewer than ``min_periods`` values.

        Raises
        ------
        TypeError, ValueError
            For a bad argument, naming it (as :meth:`window`).

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> s = pd.Series([3.0, 1.0, 2.0, 2.0, 5.0])
        >>> s.rollmed.rank(3).tolist()
        [nan, nan, 2.0, 2.5, 3.0]
        >>> s.rollmed.rank(3, method="min", pct=True).tolist()
        [nan, nan, 0.6666666666666666, 0.6666666666666666, 1.0]
        """
        statistic = _statistics.rank(method, ascending, pct)
        plan = self._plan(window, min_periods, center, closed, step, by)
        return self._series_of(self._statistic(plan, statistic)[0], plan.result_rows)

    def hampel(
        self,
        window: Any,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        by: Any = None,
    ) -> pd.Series:
        """Hampel despiking: a value more than ``n_sigmas`` scaled MADs from its window's median becomes it.

        ``x[i]`` is an outlier when ``|x[i] - m[i]| > n_sigmas * scale * mad[i]``, with
        ``m[i]`` and ``mad[i]`` the median and MAD of its window (centred by default, as
        the Hampel filter is). Missing values stay missing. :meth:`hampel_details` gives
        the median, MAD, threshold and outlier flag of every row.

        Parameters
        ----------
        window : int, str, timedelta, DateOffset, BaseIndexer or None
            As for :meth:`window`.
        n_sigmas : float, default 3.0
            The threshold, in scaled MADs.
        center : bool, default True
            Centre each window on its row. ``window=None`` (the running filter: each row
            judged against every row up to it) is never centred.
        min_periods : int, default 1
            The least number of values a window needs to judge its row.
        scale : float, default 1.4826
            The MAD's factor: 1.4826 makes it estimate the standard deviation of normal data.
        closed : {"right", "left", "both", "neither"}, optional
            Which ends of the window are included, as pandas' ``closed``.
        by : keys, optional
            Filter within groups of rows with equal keys, in row order.

        Returns
        -------
        pandas.Series
            float64, the Series with its outliers replaced, on its index and with its name.

        Raises
        ------
        TypeError, ValueError
            For a bad argument, naming it.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> s = pd.Series([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8])
        >>> s.rollmed.hampel(5).tolist()
        [1.0, 1.2, 0.9, 1.1, 1.1, 1.0, 0.8]
        """
        details = self.hampel_details(
            window, n_sigmas, center=center, min_periods=min_periods, scale=scale, closed=closed, by=by
        )
        return details["filtered"].rename(self._series.name)

    def hampel_details(
        self,
        window: Any,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        by: Any = None,
    ) -> pd.DataFrame:
        """The Hampel filter row by row: median, MAD, threshold, outlier flag and the filtered value.

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, by
            As for :meth:`hampel`.

        Returns
        -------
        pandas.DataFrame
            On the index of the Series: ``median`` and ``mad`` of each row's window,
            ``threshold`` (``n_sigmas * scale * mad``), ``outlier`` (bool) and
            ``filtered`` (the value, or the median where it is an outlier).

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> s = pd.Series([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8])
        >>> s.rollmed.hampel_details(5).loc[3]
        median           1.1
        mad              0.1
        threshold    0.44478
        outlier         True
        filtered         1.1
        Name: 3, dtype: object
        """
        n_sigmas = _checks.check_n_sigmas(n_sigmas)
        scale = _checks.check_scale(scale)
        center = _compute.hampel_center(window, center)
        plan = self._plan(window, min_periods, center, closed, None, by)
        median, mad = self._statistic(plan, _statistics.MEDIAN_AND_MAD)
        values = self._series.to_numpy(dtype=np.float64, na_value=np.nan)
        fields = _compute.hampel(values, median, mad, n_sigmas, scale)
        return pd.DataFrame(fields, index=self._series.index, copy=False)

    window.__doc__ = fill_doc(window.__doc__)
    expanding.__doc__ = fill_doc(expanding.__doc__)
    mad.__doc__ = fill_doc(mad.__doc__)
    rank.__doc__ = fill_doc(rank.__doc__)
