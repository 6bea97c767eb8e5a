"""The ``.rollmed`` pandas accessor: unbox a Series, call the NumPy layer, rebox on the same index."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_complex_dtype, is_numeric_dtype

from rollmed import _api


def _check_min_periods(min_periods: object, window: int | None) -> int:
    min_periods = _api._check_integer("min_periods", min_periods)
    if min_periods < 0:
        raise ValueError(f"`min_periods` (={min_periods}) must be >= 0")
    if window is not None and min_periods > window:
        raise ValueError(f"`min_periods` (={min_periods}) must be <= window (={window})")
    return min_periods


@pd.api.extensions.register_series_accessor("rollmed")
class RollmedSeriesAccessor:
    """Rolling and expanding medians of a numeric Series: ``s.rollmed.window(k)``.

    NaN and ``pd.NA`` are missing values; infinities are values. Every method returns
    a float64 Series on the index of ``s`` with its name; ``s`` is not modified.
    """

    def __init__(self, series: pd.Series) -> None:
        dtype = series.dtype
        if not (is_bool_dtype(dtype) or (is_numeric_dtype(dtype) and not is_complex_dtype(dtype))):
            # pandas' accessor guide: reject an unsupported dtype with AttributeError, at access.
            raise AttributeError(
                f"rollmed needs a numeric or boolean Series, got dtype {dtype!s} (Series {series.name!r})"
            )
        self._series = series

    def _values(self) -> np.ndarray:
        return self._series.to_numpy(dtype=np.float64, na_value=np.nan)

    def _rebox(self, values: np.ndarray) -> pd.Series:
        # The result is ours alone: hand it to pandas without the copy pandas 3 makes by default.
        return pd.Series(values, index=self._series.index, name=self._series.name, copy=False)

    def window(self, window: int, min_periods: int | None = None, center: bool = False) -> pd.Series:
        """Rolling median over a window of ``window`` rows, like ``s.rolling(...).median()``.

        Parameters
        ----------
        window : int
            The number of rows in each window, at least 1; it may exceed the length.
        min_periods : int, optional
            The least number of non-missing values a window must hold to give a
            median, from 0 to ``window``; by default ``window``.
        center : bool, default False
            Centre the window on each row instead of ending it there: for an even
            window, ``window // 2`` rows before and ``window // 2 - 1`` after, as pandas.

        Returns
        -------
        pandas.Series
            float64, on the index of the Series and with its name.

        Raises
        ------
        TypeError
            If ``window`` or ``min_periods`` is not an integer or ``center`` not a bool.
        ValueError
            If ``window`` is below 1 or ``min_periods`` not in ``[0, window]``.

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
        """
        window = _api._check_integer("window", window)
        if window < 1:
            raise ValueError(f"`window` (={window}) must be >= 1")
        min_periods = window if min_periods is None else _check_min_periods(min_periods, window)
        if not isinstance(center, (bool, np.bool_)):
            raise TypeError(f"`center` must be a bool, got {center!r}")
        shift = (window - 1) // 2 if center else 0
        result = _api.rolling_along_axis(self._values(), 0, window, shift, max(min_periods, 1), *_api._MEDIAN)
        return self._rebox(result)

    def expanding(self, min_periods: int = 1) -> pd.Series:
        """Expanding (running) median, like ``s.expanding(min_periods).median()``.

        Parameters
        ----------
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a median; 0 or more.

        Returns
        -------
        pandas.Series
            float64, on the index of the Series and with its name.

        Raises
        ------
        TypeError
            If ``min_periods`` is not an integer.
        ValueError
            If ``min_periods`` is negative.

        Examples
        --------
        >>> import pandas as pd
        >>> import rollmed
        >>> pd.Series([2, 3, 4, None, 10]).rollmed.expanding().tolist()
        [2.0, 2.5, 3.0, 3.0, 3.5]
        """
        min_periods = _check_min_periods(min_periods, None)
        values = self._values()
        result = _api.rolling_along_axis(
            values, 0, max(values.size, 1), 0, max(min_periods, 1), *_api._MEDIAN
        )
        return self._rebox(result)
