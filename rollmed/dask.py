"""The ``.rollmed`` accessor on dask DataFrames and Series: ``import rollmed.dask``.

The methods of the pandas accessor (``window``, ``expanding``, ``mad``, ``rank``,
``hampel``, ``hampel_details``) with its keywords, lazily: each partition is computed
by the pandas accessor on its rows and the rows of the others that its windows
reach (rollmed._dask_halos), so the result equals the pandas accessor's result on
the whole data, for any partitioning.

Needs ``pip install "rollmed[dask]"``.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd

from rollmed import _values
from rollmed._dask_halos import frame_call, series_call


@dd.extensions.register_series_accessor("rollmed")
class DaskSeriesAccessor:
    """The pandas accessor's methods on a dask Series: ``s.rollmed.window(...)``, ``.mad``, ``.rank``...

    The same keywords as ``pandas.Series.rollmed``; results are float64 (the Hampel
    filter's outlier flags bool). ``by`` is a dask Series of keys, partitioned like the
    Series. A time window needs times that increase.
    """

    def __init__(self, series: dd.Series) -> None:
        if not _values.is_supported(series.dtype):
            raise AttributeError(f"rollmed needs a numeric or boolean Series, got dtype {series.dtype!s}")
        self._series = series

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float | list[float] = 0.5, interpolation: str = "linear", closed: str | None = None,
               step: int | None = None, by: Any = None) -> dd.Series | dd.DataFrame:  # fmt: skip
        """Rolling median or quantiles; ``window=None`` is expanding. See ``pandas.Series.rollmed.window``.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed, step
            As for the pandas accessor.
        by : dask.dataframe.Series, optional
            Keys partitioned like the Series: windows within groups.

        Returns
        -------
        dask.dataframe.Series or dask.dataframe.DataFrame
            float64, partitioned like the Series; a column per quantile for a list ``q``.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([1.0, 3.0, -1.0, -3.0, 5.0, 3.0]), npartitions=2)
        >>> s.rollmed.window(3).compute().tolist()
        [nan, nan, 1.0, -1.0, -1.0, 3.0]
        >>> s.rollmed.window(3, center=True, step=2).compute().tolist()
        [nan, -1.0, 3.0]
        >>> s.rollmed.window(2, q=[0.0, 1.0]).compute().columns.tolist()
        [0.0, 1.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "q": q,
                   "interpolation": interpolation, "closed": closed}  # fmt: skip
        return series_call(self._series, "window", options, step, by)

    def expanding(self, min_periods: int = 1, *, q: float | list[float] = 0.5, interpolation: str = "linear",
                  by: Any = None) -> dd.Series | dd.DataFrame:  # fmt: skip
        """Expanding (running) median or quantiles, carried across partitions in order.

        Parameters
        ----------
        min_periods, q, interpolation
            As for the pandas accessor.
        by : dask.dataframe.Series, optional
            Keys partitioned like the Series: the running median within each group.

        Returns
        -------
        dask.dataframe.Series or dask.dataframe.DataFrame
            float64, partitioned like the Series; a column per quantile for a list ``q``.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([2.0, 3.0, 4.0, 1.0]), npartitions=2)
        >>> s.rollmed.expanding().compute().tolist()
        [2.0, 2.5, 3.0, 2.5]
        """
        options = {"min_periods": min_periods, "q": q, "interpolation": interpolation}
        return series_call(self._series, "expanding", options, None, by)

    def mad(self, window: Any, min_periods: int | None = None, center: bool = False, *,
            scale: float = 1.0, closed: str | None = None, step: int | None = None,
            by: Any = None) -> dd.Series:  # fmt: skip
        """Rolling median absolute deviation; ``window=None`` is expanding. See ``pandas.Series.rollmed.mad``.

        Parameters
        ----------
        window, min_periods, center, scale, closed, step, by
            As for :meth:`window` and the pandas accessor.

        Returns
        -------
        dask.dataframe.Series
            float64, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([1.0, 2.0, 4.0, 8.0, 16.0]), npartitions=3)
        >>> s.rollmed.mad(3).compute().tolist()
        [nan, nan, 1.0, 2.0, 4.0]
        >>> s.rollmed.mad(None).compute().tolist()
        [0.0, 0.5, 1.0, 1.5, 3.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "scale": scale,
                   "closed": closed}  # fmt: skip
        return series_call(self._series, "mad", options, step, by)

    def rank(self, window: Any, min_periods: int | None = None, center: bool = False, *,
             method: str = "average", ascending: bool = True, pct: bool = False, closed: str | None = None,
             step: int | None = None, by: Any = None) -> dd.Series:  # fmt: skip
        """Rolling rank of each value in its window; ``window=None`` is expanding.

        See ``pandas.Series.rollmed.rank``.

        Parameters
        ----------
        window, min_periods, center, method, ascending, pct, closed, step, by
            As for :meth:`window` and the pandas accessor.

        Returns
        -------
        dask.dataframe.Series
            float64 ranks, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([3.0, 1.0, 2.0, 2.0, 5.0]), npartitions=2)
        >>> s.rollmed.rank(3).compute().tolist()
        [nan, nan, 2.0, 2.5, 3.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "method": method,
                   "ascending": ascending, "pct": pct, "closed": closed}  # fmt: skip
        return series_call(self._series, "rank", options, step, by)

    def hampel(self, window: Any, n_sigmas: float = 3.0, *, center: bool = True, min_periods: int | None = 1,
               scale: float = 1.4826, closed: str | None = None, by: Any = None) -> dd.Series:  # fmt: skip
        """Hampel despiking: values far from their window's median replaced by it.

        See ``pandas.Series.rollmed.hampel``.

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, by
            As for :meth:`window` and the pandas accessor.

        Returns
        -------
        dask.dataframe.Series
            float64, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8]), npartitions=3)
        >>> s.rollmed.hampel(5).compute().tolist()
        [1.0, 1.2, 0.9, 1.1, 1.1, 1.0, 0.8]
        """
        options = {"window": window, "n_sigmas": n_sigmas, "center": center, "min_periods": min_periods,
                   "scale": scale, "closed": closed}  # fmt: skip
        return series_call(self._series, "hampel", options, None, by)

    def hampel_details(self, window: Any, n_sigmas: float = 3.0, *, center: bool = True,
                       min_periods: int | None = 1, scale: float = 1.4826, closed: str | None = None,
                       by: Any = None) -> dd.DataFrame:  # fmt: skip
        """The Hampel filter row by row: ``median``, ``mad``, ``threshold``, ``outlier`` and ``filtered``.

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, by
            As for :meth:`hampel`.

        Returns
        -------
        dask.dataframe.DataFrame
            float64 columns and the bool ``outlier``, partitioned like the Series.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> s = dd.from_pandas(pd.Series([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8]), npartitions=3)
        >>> s.rollmed.hampel_details(5)["outlier"].compute().tolist()
        [False, False, False, True, False, False, False]
        """
        options = {"window": window, "n_sigmas": n_sigmas, "center": center, "min_periods": min_periods,
                   "scale": scale, "closed": closed}  # fmt: skip
        return series_call(self._series, "hampel_details", options, None, by)


@dd.extensions.register_dataframe_accessor("rollmed")
class DaskFrameAccessor:
    """The pandas accessor's methods on a dask DataFrame, every numeric column.

    The same keywords as ``pandas.DataFrame.rollmed`` (``on``, ``by`` naming columns,
    ``numeric_only``); results are float64 (and ``on`` and the Hampel filter's outlier
    flags as they are). A time window needs times that increase (within each group).
    """

    def __init__(self, frame: dd.DataFrame) -> None:
        self._frame = frame

    def window(self, window: Any, min_periods: int | None = None, center: bool = False, *,
               q: float | list[float] = 0.5, interpolation: str = "linear", closed: str | None = None,
               step: int | None = None, on: Any = None, by: Any = None,
               numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Rolling median or quantiles of every numeric column; ``window=None`` is expanding.

        Parameters
        ----------
        window, min_periods, center, q, interpolation, closed, step, on, by, numeric_only
            As for the pandas accessor.

        Returns
        -------
        dask.dataframe.DataFrame
            The numeric columns but ``by``, float64 (and ``on``, as it is); for a list
            ``q``, a column per (column, quantile).

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"k": [1, 2, 1, 2, 1], "x": [1.0, 10.0, 3.0, 30.0, 5.0]})
        >>> dd.from_pandas(frame, npartitions=2).rollmed.window(2, by="k").compute()["x"].tolist()
        [nan, nan, 2.0, 20.0, 4.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "q": q,
                   "interpolation": interpolation, "closed": closed, "on": on, "by": by,
                   "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "window", options, step)

    def expanding(self, min_periods: int = 1, *, q: float | list[float] = 0.5, interpolation: str = "linear",
                  by: Any = None, numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Expanding (running) median or quantiles of every numeric column, carried across partitions.

        Parameters
        ----------
        min_periods, q, interpolation, by, numeric_only
            As for the pandas accessor.

        Returns
        -------
        dask.dataframe.DataFrame
            The numeric columns but ``by``, float64.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"x": [3.0, 1.0, 2.0, 8.0]})
        >>> dd.from_pandas(frame, npartitions=2).rollmed.expanding().compute()["x"].tolist()
        [3.0, 2.0, 2.0, 2.5]
        """
        options = {"min_periods": min_periods, "q": q, "interpolation": interpolation, "by": by,
                   "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "expanding", options)

    def mad(self, window: Any, min_periods: int | None = None, center: bool = False, *,
            scale: float = 1.0, closed: str | None = None, step: int | None = None, on: Any = None,
            by: Any = None, numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Rolling median absolute deviation of every numeric column; ``window=None`` is expanding.

        Parameters
        ----------
        window, min_periods, center, scale, closed, step, on, by, numeric_only
            As for the pandas accessor.

        Returns
        -------
        dask.dataframe.DataFrame
            float64 (and ``on``, as it is).

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0, 4.0, 8.0]}), npartitions=2)
        >>> frame.rollmed.mad(3).compute()["x"].tolist()
        [nan, nan, 1.0, 2.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "scale": scale,
                   "closed": closed, "on": on, "by": by, "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "mad", options, step)

    def rank(self, window: Any, min_periods: int | None = None, center: bool = False, *,
             method: str = "average", ascending: bool = True, pct: bool = False, closed: str | None = None,
             step: int | None = None, on: Any = None, by: Any = None,
             numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Rolling rank of each value in its window, every numeric column; ``window=None`` is expanding.

        Parameters
        ----------
        window, min_periods, center, method, ascending, pct, closed, step, on, by, numeric_only
            As for the pandas accessor.

        Returns
        -------
        dask.dataframe.DataFrame
            float64 ranks (and ``on``, as it is).

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = dd.from_pandas(pd.DataFrame({"x": [3.0, 1.0, 2.0]}), npartitions=2)
        >>> frame.rollmed.rank(2).compute()["x"].tolist()
        [nan, 1.0, 2.0]
        """
        options = {"window": window, "min_periods": min_periods, "center": center, "method": method,
                   "ascending": ascending, "pct": pct, "closed": closed, "on": on, "by": by,
                   "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "rank", options, step)

    def hampel(self, window: Any, n_sigmas: float = 3.0, *, center: bool = True, min_periods: int | None = 1,
               scale: float = 1.4826, closed: str | None = None, on: Any = None, by: Any = None,
               numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """Hampel despiking of every numeric column.

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, on, by, numeric_only
            As for the pandas accessor.

        Returns
        -------
        dask.dataframe.DataFrame
            float64, each column with its outliers replaced by their window's median.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"x": [1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8]})
        >>> dd.from_pandas(frame, npartitions=3).rollmed.hampel(5).compute()["x"].tolist()
        [1.0, 1.2, 0.9, 1.1, 1.1, 1.0, 0.8]
        """
        options = {"window": window, "n_sigmas": n_sigmas, "center": center, "min_periods": min_periods,
                   "scale": scale, "closed": closed, "on": on, "by": by,
                   "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "hampel", options)

    def hampel_details(self, window: Any, n_sigmas: float = 3.0, *, center: bool = True,
                       min_periods: int | None = 1, scale: float = 1.4826, closed: str | None = None,
                       on: Any = None, by: Any = None,
                       numeric_only: bool = False) -> dd.DataFrame:  # fmt: skip
        """The Hampel filter of every numeric column row by row: a column per (column, field).

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, on, by, numeric_only
            As for :meth:`hampel`.

        Returns
        -------
        dask.dataframe.DataFrame
            Columns ``(column, field)`` for the fields ``median``, ``mad``,
            ``threshold``, ``outlier`` (bool) and ``filtered``.

        Examples
        --------
        >>> import dask.dataframe as dd
        >>> import pandas as pd
        >>> import rollmed.dask
        >>> frame = pd.DataFrame({"x": [1.0, 1.2, 0.9, 25.0, 1.1]})
        >>> details = dd.from_pandas(frame, npartitions=2).rollmed.hampel_details(5).compute()
        >>> details[("x", "outlier")].tolist()
        [False, False, False, True, False]
        """
        options = {"window": window, "n_sigmas": n_sigmas, "center": center, "min_periods": min_periods,
                   "scale": scale, "closed": closed, "on": on, "by": by,
                   "numeric_only": numeric_only}  # fmt: skip
        return frame_call(self._frame, "hampel_details", options)
