"""The ``.rollmed`` pandas accessors: unbox, plan the windows, rebox on the same index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _plans, _values


def _group_codes(keys: list[Any], n: int) -> np.ndarray:
    """A group number per row from one or more key arrays; -1 where a key is missing.

    pandas' groupby drops the rows of a missing key; here they get no result.
    """
    for key in keys:
        if len(key) != n:
            raise ValueError(f"`by` must have one key per row ({n}), got {len(key)}")
    if len(keys) > 1:
        # Plain arrays, so that groupby matches keys to rows by position, not by index label.
        arrays = [np.asarray(key) for key in keys]
        numbers = pd.Series(np.zeros(n)).groupby(arrays, sort=False, dropna=True).ngroup()
        return numbers.fillna(-1).to_numpy(dtype=np.int64)
    return pd.factorize(keys[0], use_na_sentinel=True)[0].astype(np.int64, copy=False)


def key_columns(columns: pd.Index, by: Any) -> list[Any]:
    """The names of a frame's ``by`` columns (one name or a list; none for None), checked."""
    names = [] if by is None else by if isinstance(by, list) else [by]
    missing = [name for name in names if name not in columns]
    if missing:
        raise KeyError(f"`by` names columns that do not exist: {missing!r}")
    return names


def _series_keys(by: Any, series: pd.Series) -> Any:
    """A Series' ``by``: one key per row, as an array, list, Series (aligned on the index) or Index."""
    if isinstance(by, pd.Series):
        # pandas aligns a Series of keys on the index
        return by if by.index.equals(series.index) else by.reindex(series.index)
    if isinstance(by, (pd.Index, pd.Categorical, pd.api.extensions.ExtensionArray)):
        return by
    if isinstance(by, (str, bytes)) or np.ndim(by) == 0:
        raise TypeError(
            f"`by` of a Series must be keys, one per row (an array, list, Series or Index), got {by!r}"
        )
    keys = np.asarray(by)
    if keys.ndim != 1:
        raise ValueError(f"`by` of a Series must be one-dimensional, one key per row, got shape {keys.shape}")
    return keys


def _run(plan: _plans.Plan, column: _values.Unboxed, q: float, code: int) -> Any:
    return column.rebox(*plan.run(column.values, column.valid, q, code))


_WINDOW_DOC_PARAMETERS = """window : int, str, timedelta, DateOffset or BaseIndexer
            The number of rows in each window (it may exceed the length); or a time
            span such as ``"5min"`` over a DatetimeIndex (or the ``on`` column of a
            frame); or a pandas window indexer such as ``FixedForwardWindowIndexer``.
        min_periods : int, optional
            The least number of non-missing values a window must hold to give a
            result; by default the window for a number of rows, 1 for a time span.
        center : bool, default False
            Centre the window on each row instead of ending it there, as pandas does.
        q : float, default 0.5
            The quantile, from 0 to 1; the default is the median.
        interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
            How to read a quantile between two values, as pandas' ``quantile``;
            ``"floor"`` is the floor of their midpoint. With an integer column,
            ``lower``, ``higher``, ``nearest`` and ``floor`` give exact integers.
        closed : {"right", "left", "both", "neither"}, optional
            Which ends of the window are included, as pandas' ``closed``.
        step : int, optional
            Give a result for every ``step``-th row only, as pandas' ``step``.
        by : keys, optional
            Roll within groups of rows with equal keys, in row order, and return the
            results on the original rows (rows with a missing key give NaN)."""

_RETURNS_NOTE = """
        A float64 result where pandas would give one; integer input with an exact
        interpolation gives a nullable ``Int64`` (``UInt64`` for uint64) result."""


def _fill_doc(doc: str) -> str:
    """Put the parameters and the return note that the methods share into a docstring."""
    return doc.replace("{parameters}", _WINDOW_DOC_PARAMETERS).replace("{returns}", _RETURNS_NOTE)


@pd.api.extensions.register_series_accessor("rollmed")
class RollmedSeriesAccessor:
    """Rolling and expanding medians and quantiles of a numeric Series: ``s.rollmed.window(k)``.

    NaN and ``pd.NA`` are missing values; infinities are values. Every method returns
    a Series on the index of ``s`` with its name; ``s`` is not modified.
    """

    def __init__(self, series: pd.Series) -> None:
        if not _values.is_supported(series.dtype):
            # pandas' accessor guide: reject an unsupported dtype with AttributeError, at access.
            raise AttributeError(
                f"rollmed needs a numeric or boolean Series, "
                f"got dtype {series.dtype!s} (Series {series.name!r})"
            )
        self._series = series

    def _rebox(self, values: Any, rows: slice = slice(None)) -> pd.Series:
        # The result is ours alone: hand it to pandas without the copy pandas 3 makes by default.
        return pd.Series(values, index=self._series.index[rows], name=self._series.name, copy=False)

    def _codes(self, by: Any) -> np.ndarray | None:
        return None if by is None else _group_codes([_series_keys(by, self._series)], len(self._series))

    def window(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        q: float = 0.5,
        interpolation: str = "linear",
        closed: str | None = None,
        step: int | None = None,
        by: Any = None,
    ) -> pd.Series:
        """Rolling median or quantile, like ``s.rolling(...).median()`` or ``.quantile(q)``.

        Parameters
        ----------
        {parameters}

        Returns
        -------
        pandas.Series
            On the index of the Series (every ``step``-th row) and with its name.{returns}

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
        >>> pd.Series([2, 3, 7, 8]).rollmed.window(2, interpolation="floor").tolist()
        [<NA>, 2, 5, 7]
        """
        q, code = _checks.check_quantile(q, interpolation)
        plan = _plans.plan_window(
            len(self._series),
            window,
            min_periods,
            center,
            closed,
            step,
            self._series.index,
            self._codes(by),
        )
        return self._rebox(
            _run(plan, _values.unbox_series(self._series, interpolation), q, code), plan.result_rows
        )

    def expanding(
        self, min_periods: int = 1, *, q: float = 0.5, interpolation: str = "linear", by: Any = None
    ) -> pd.Series:
        """Expanding (running) median or quantile, like ``s.expanding(min_periods).median()``.

        Parameters
        ----------
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a result; 0 or more.
        q : float, default 0.5
            The quantile, from 0 to 1; the default is the median.
        interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
            As for :meth:`window`.
        by : keys, optional
            The running median within each group, on the original rows.

        Returns
        -------
        pandas.Series
            On the index of the Series and with its name.{returns}

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
        q, code = _checks.check_quantile(q, interpolation)
        plan = _plans.plan_expanding(len(self._series), min_periods, self._codes(by))
        return self._rebox(_run(plan, _values.unbox_series(self._series, interpolation), q, code))

    window.__doc__ = _fill_doc(window.__doc__)
    expanding.__doc__ = _fill_doc(expanding.__doc__)


@pd.api.extensions.register_dataframe_accessor("rollmed")
class RollmedFrameAccessor:
    """Rolling and expanding medians and quantiles of every numeric column of a DataFrame.

    ``df.rollmed.window(9, by="sensor")`` gives a DataFrame on the rows of ``df``: the
    rolling median of each column within each sensor's rows. The columns run in
    parallel; ``df`` is not modified.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def _named(self, name: Any, role: str) -> pd.Series:
        """The one column called ``name``, which ``on`` or ``by`` names."""
        where = self._frame.columns.get_loc(name)
        if not isinstance(where, (int, np.integer)):
            raise ValueError(f"`{role}` names {name!r}, which is the name of several columns")
        return self._frame.iloc[:, where]

    def _codes(self, keys: list[Any]) -> np.ndarray | None:
        if not keys:
            return None
        return _group_codes([self._named(name, "by") for name in keys], len(self._frame))

    def _columns(self, exclude: list[Any], numeric_only: Any) -> list[int]:
        """The positions of the columns to compute: all but ``exclude``, numeric (or an error)."""
        numeric_only = _checks.check_flag("numeric_only", numeric_only)
        positions = []
        for position, (name, dtype) in enumerate(self._frame.dtypes.items()):
            if name in exclude:
                continue
            if _values.is_supported(dtype):
                positions.append(position)
            elif not numeric_only:
                raise TypeError(
                    f"column {name!r} has dtype {dtype!s}: rollmed needs numeric columns "
                    "(pass numeric_only=True to leave the others out)"
                )
        return positions

    def _apply(self, plan, positions, q, code, interpolation, on=None) -> pd.DataFrame:
        """The results of the columns at ``positions`` on the frame's rows, in the frame's column order.

        Columns are kept by position, so duplicate names come back as pandas gives them.
        """
        unboxed = [
            _values.unbox_series(self._frame.iloc[:, position], interpolation) for position in positions
        ]
        results = dict(zip(positions, self._run_columns(plan, unboxed, q, code), strict=True))
        rows = plan.result_rows
        if on is not None:  # the `on` column, as pandas keeps it: a copy, with its dtype
            results[self._frame.columns.get_loc(on)] = self._named(on, "on").array[rows].copy()
        order = sorted(results)
        result = pd.DataFrame(
            {number: results[position] for number, position in enumerate(order)},
            index=self._frame.index[rows],
            copy=False,
        )
        result.columns = pd.Index(self._frame.columns[order], name=self._frame.columns.name)
        return result

    @staticmethod
    def _run_columns(plan, unboxed: list[_values.Unboxed], q: float, code: int) -> list[Any]:
        floats = [column.values for column in unboxed if not column.exact]
        if len(floats) < 2:
            return [_run(plan, column, q, code) for column in unboxed]
        # The float columns together, in one call; the exact ones each on their own.
        stacked = iter(plan.run_stacked(np.stack(floats), q, code))
        return [_run(plan, column, q, code) if column.exact else next(stacked) for column in unboxed]

    def window(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        q: float = 0.5,
        interpolation: str = "linear",
        closed: str | None = None,
        step: int | None = None,
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Rolling median or quantile of every numeric column, like ``df.rolling(...).median()``.

        Parameters
        ----------
        {parameters}
        on : column name, optional
            A datetime column for a time window, instead of the index; it is kept in
            the result, as pandas keeps it.
        numeric_only : bool, default False
            Leave out the columns that are not numeric, instead of raising.

        Returns
        -------
        pandas.DataFrame
            On the index of the frame (every ``step``-th row), without the ``by``
            columns.{returns}

        Raises
        ------
        KeyError
            If ``on`` or ``by`` names a column that does not exist.
        TypeError
            If a column is not numeric (and ``numeric_only`` is False), or an argument
            has the wrong type.
        ValueError
            As for :meth:`RollmedSeriesAccessor.window`.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> df = pd.DataFrame({"sensor": ["a", "b", "a", "b", "a"], "x": [1.0, 10.0, 3.0, 30.0, 2.0]})
        >>> df.assign(x_med=df.rollmed.window(2, min_periods=1, by="sensor")["x"])
          sensor     x  x_med
        0      a   1.0    1.0
        1      b  10.0   10.0
        2      a   3.0    2.0
        3      b  30.0   20.0
        4      a   2.0    2.5
        """
        q, code = _checks.check_quantile(q, interpolation)
        keys = key_columns(self._frame.columns, by)
        times = self._frame.index
        if on is not None:
            if on not in self._frame.columns:
                raise KeyError(f"`on` names a column that does not exist: {on!r}")
            times = pd.Index(self._named(on, "on"))
        positions = self._columns([*keys, *([on] if on is not None else [])], numeric_only)
        plan = _plans.plan_window(
            len(self._frame), window, min_periods, center, closed, step, times, self._codes(keys)
        )
        return self._apply(plan, positions, q, code, interpolation, on=on)

    def expanding(
        self,
        min_periods: int = 1,
        *,
        q: float = 0.5,
        interpolation: str = "linear",
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Expanding (running) median or quantile of every numeric column.

        Parameters
        ----------
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a result.
        q : float, default 0.5
            The quantile, from 0 to 1; the default is the median.
        interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
            As for :meth:`window`.
        by : column name or list of names, optional
            The running median within each group, on the original rows.
        numeric_only : bool, default False
            Leave out the columns that are not numeric, instead of raising.

        Returns
        -------
        pandas.DataFrame
            On the index of the frame, without the ``by`` columns.{returns}

        Raises
        ------
        KeyError
            If ``by`` names a column that does not exist.
        TypeError
            If a column is not numeric (and ``numeric_only`` is False).
        ValueError
            If ``min_periods`` is negative, ``q`` not in ``[0, 1]`` or
            ``interpolation`` unknown.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> pd.DataFrame({"x": [3.0, 1.0, 2.0], "y": [1, 5, 3]}).rollmed.expanding()
             x    y
        0  3.0  1.0
        1  2.0  3.0
        2  2.0  3.0
        """
        q, code = _checks.check_quantile(q, interpolation)
        keys = key_columns(self._frame.columns, by)
        positions = self._columns(keys, numeric_only)
        plan = _plans.plan_expanding(len(self._frame), min_periods, self._codes(keys))
        return self._apply(plan, positions, q, code, interpolation)

    window.__doc__ = _fill_doc(window.__doc__)
    expanding.__doc__ = _fill_doc(expanding.__doc__)
