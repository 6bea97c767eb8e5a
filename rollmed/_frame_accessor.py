"""The ``.rollmed`` accessor on pandas DataFrames: every numeric column, in parallel, on the frame's rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rollmed import _checks, _values
from rollmed._lazy import LazyModule
from rollmed.accessor import fill_doc

if TYPE_CHECKING:
    from rollmed import _compute, _statistics
else:  # loaded on the first call: see rollmed._lazy
    _compute = LazyModule("rollmed._compute", globals(), "_compute")
    _statistics = LazyModule("rollmed._statistics", globals(), "_statistics")

FRAME_PARAMETERS = """on : column name, optional
            A datetime column for a time window, instead of the index; it is kept in
            the result, as pandas keeps it.
        by : column name or list of names, optional
            Roll within the groups of rows with equal values of these columns, in row
            order; the results are on the original rows, without the ``by`` columns.
        numeric_only : bool, default False
            Leave out the columns that are not numeric, instead of raising."""


def _fill_frame_doc(doc: str) -> str:
    return fill_doc(doc.replace("{frame}", FRAME_PARAMETERS))


@pd.api.extensions.register_dataframe_accessor("rollmed")
class RollmedFrameAccessor:
    """Rolling medians, quantiles, MAD, ranks and Hampel despiking of every numeric column of a DataFrame.

    ``df.rollmed.window(9, by="sensor")`` gives a DataFrame on the rows of ``df``: the
    rolling median of each column within each sensor's rows. The columns run in
    parallel; ``df`` is not modified. Columns are taken by position, so duplicate
    names come back as pandas gives them.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def _named(self, name: Any, role: str) -> pd.Series:
        """The one column called ``name``, which ``on`` or ``by`` names."""
        where = self._frame.columns.get_loc(name)
        if not isinstance(where, (int, np.integer)):
            raise ValueError(f"`{role}` names {name!r}, which is the name of several columns")
        return self._frame.iloc[:, where]

    def _positions(self, exclude: list[Any], numeric_only: Any) -> list[int]:
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

    def _compute(
        self,
        window,
        min_periods,
        center,
        closed,
        step,
        on,
        by,
        numeric_only,
        statistic,
        interpolation="linear",
    ):
        """The plan, the positions of the computed columns, and their results (a list of outputs each)."""
        keys = _compute.key_columns(self._frame.columns, by)
        times = self._frame.index
        if on is not None:
            if on not in self._frame.columns:
                raise KeyError(f"`on` names a column that does not exist: {on!r}")
            times = pd.Index(self._named(on, "on"))
        positions = self._positions([*keys, *([on] if on is not None else [])], numeric_only)
        codes = (
            _compute.group_codes([self._named(name, "by") for name in keys], len(self._frame))
            if keys
            else None
        )
        plan = _compute.plan(len(self._frame), window, min_periods, center, closed, step, times, codes)
        columns = [self._frame.iloc[:, position] for position in positions]
        return plan, positions, _compute.run(plan, columns, statistic, interpolation)

    def _frame_of(self, plan, positions, results, on=None, labels=None) -> pd.DataFrame:
        """The results in the frame's column order, on its rows; ``labels`` name several outputs a column."""
        rows = plan.result_rows
        columns: dict[int, list[Any]] = dict(zip(positions, results, strict=True))
        if on is not None:  # the `on` column, as pandas keeps it: a copy, with its dtype
            columns[self._frame.columns.get_loc(on)] = [self._named(on, "on").array[rows].copy()]
        order = sorted(columns)
        names = self._frame.columns[order]
        if labels is None:
            data = [columns[position][0] for position in order]
            header = pd.Index(names, name=self._frame.columns.name)
        else:
            # One column per (column, label); the `on` column once, its label empty (as pandas
            # names a column that is not aggregated among aggregated ones).
            data = [output for position in order for output in columns[position]]
            tuples = [
                (name, label)
                for position, name in zip(order, names, strict=True)
                for label in (labels[1] if len(columns[position]) == len(labels[1]) and name != on else [""])
            ]
            header = pd.MultiIndex.from_tuples(tuples, names=[self._frame.columns.name, labels[0]])
        result = pd.DataFrame(dict(enumerate(data)), index=self._frame.index[rows], copy=False)
        result.columns = header
        return result

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
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Rolling median or quantile of every numeric column, like ``df.rolling(...).median()``.

        Parameters
        ----------
        {window}
        {quantile}
        {placement}
        {frame}

        Returns
        -------
        pandas.DataFrame
            On the index of the frame (every ``step``-th row), without the ``by``
            columns; for a sequence ``q``, a column per (column, quantile).{exact}

        Raises
        ------
        KeyError
            If ``on`` or ``by`` names a column that does not exist.
        TypeError
            If a column is not numeric (and ``numeric_only`` is False), or an argument
            has the wrong type.
        ValueError
            As for ``Series.rollmed.window``.

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
        statistic, several = _statistics.quantiles(q, interpolation)
        plan, positions, results = self._compute(
            window, min_periods, center, closed, step, on, by, numeric_only, statistic, interpolation
        )
        labels = ("quantile", statistic.qs) if several else None
        return self._frame_of(plan, positions, results, on, labels)

    def expanding(
        self,
        min_periods: int = 1,
        *,
        q: float | list[float] = 0.5,
        interpolation: str = "linear",
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Expanding (running) median or quantile of every numeric column: ``window(None, ...)``.

        Parameters
        ----------
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a result.
        {quantile}
        by : column name or list of names, optional
            The running median within each group, on the original rows.
        numeric_only : bool, default False
            Leave out the columns that are not numeric, instead of raising.

        Returns
        -------
        pandas.DataFrame
            On the index of the frame, without the ``by`` columns.{exact}

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
        return self.window(
            None, min_periods, q=q, interpolation=interpolation, by=by, numeric_only=numeric_only
        )

    def mad(
        self,
        window: Any,
        min_periods: int | None = None,
        center: bool = False,
        *,
        scale: float = 1.0,
        closed: str | None = None,
        step: int | None = None,
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Rolling median absolute deviation of every numeric column; see ``Series.rollmed.mad``.

        Parameters
        ----------
        {window}
        scale : float, default 1.0
            A factor for the MAD (1.4826 for a consistent estimate of a normal standard deviation).
        {placement}
        {frame}

        Returns
        -------
        pandas.DataFrame
            float64, on the index of the frame (every ``step``-th row).

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> pd.DataFrame({"x": [1.0, 2.0, 4.0, 8.0]}).rollmed.mad(3)["x"].tolist()
        [nan, nan, 1.0, 2.0]
        """
        statistic = _statistics.MedianAbsoluteDeviation(_checks.check_scale(scale))
        plan, positions, results = self._compute(
            window, min_periods, center, closed, step, on, by, numeric_only, statistic
        )
        return self._frame_of(plan, positions, results, on)

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
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Rolling rank of each value within its window, every numeric column; see ``Series.rollmed.rank``.

        Parameters
        ----------
        {window}
        method : {"average", "min", "max"}, default "average"
            The rank given to tied values, as pandas.
        ascending : bool, default True
            Rank from the smallest value up.
        pct : bool, default False
            Divide each rank by the number of values in its window.
        {placement}
        {frame}

        Returns
        -------
        pandas.DataFrame
            float64 ranks, on the index of the frame (every ``step``-th row).

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> pd.DataFrame({"x": [3.0, 1.0, 2.0]}).rollmed.rank(2)["x"].tolist()
        [nan, 1.0, 2.0]
        """
        statistic = _statistics.rank(method, ascending, pct)
        plan, positions, results = self._compute(
            window, min_periods, center, closed, step, on, by, numeric_only, statistic
        )
        return self._frame_of(plan, positions, results, on)

    def hampel(
        self,
        window: Any,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """Hampel despiking of every numeric column; see ``Series.rollmed.hampel``.

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed
            As for ``Series.rollmed.hampel``.
        {frame}

        Returns
        -------
        pandas.DataFrame
            float64, each column with its outliers replaced by their window's median.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> frame = pd.DataFrame({"x": [1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8]})
        >>> frame.rollmed.hampel(5)["x"].tolist()
        [1.0, 1.2, 0.9, 1.1, 1.1, 1.0, 0.8]
        """
        options = {"center": center, "min_periods": min_periods, "scale": scale, "closed": closed}
        details = self.hampel_details(window, n_sigmas, **options, on=on, by=by, numeric_only=numeric_only)
        filtered = details.xs("filtered", axis=1, level=-1)
        filtered.columns = filtered.columns.set_names(self._frame.columns.name)
        return filtered

    def hampel_details(
        self,
        window: Any,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        on: Any = None,
        by: Any = None,
        numeric_only: bool = False,
    ) -> pd.DataFrame:
        """The Hampel filter of every numeric column row by row: a column per (column, field).

        Parameters
        ----------
        window, n_sigmas, center, min_periods, scale, closed, on, by, numeric_only
            As for :meth:`hampel`.

        Returns
        -------
        pandas.DataFrame
            Columns ``(column, field)`` for the fields ``median``, ``mad``,
            ``threshold``, ``outlier`` and ``filtered`` of ``Series.rollmed.hampel_details``.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> frame = pd.DataFrame({"x": [1.0, 1.2, 0.9, 25.0, 1.1]})
        >>> frame.rollmed.hampel_details(5)[("x", "outlier")].tolist()
        [False, False, False, True, False]
        """
        n_sigmas = _checks.check_n_sigmas(n_sigmas)
        scale = _checks.check_scale(scale)
        center = _compute.hampel_center(window, center)
        plan, positions, results = self._compute(
            window, min_periods, center, closed, None, on, by, numeric_only, _statistics.MEDIAN_AND_MAD
        )
        fields = []
        for position, (median, mad) in zip(positions, results, strict=True):
            values = self._frame.iloc[:, position].to_numpy(dtype=np.float64, na_value=np.nan)
            fields.append(list(_compute.hampel(values, median, mad, n_sigmas, scale).values()))
        return self._frame_of(plan, positions, fields, None, ("field", _compute.HAMPEL_FIELDS))

    window.__doc__ = _fill_frame_doc(window.__doc__)
    expanding.__doc__ = _fill_frame_doc(expanding.__doc__)
    mad.__doc__ = _fill_frame_doc(mad.__doc__)
    rank.__doc__ = _fill_frame_doc(rank.__doc__)
    hampel.__doc__ = _fill_frame_doc(hampel.__doc__)
