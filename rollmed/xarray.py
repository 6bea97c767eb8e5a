"""The ``.rollmed`` accessor on xarray DataArrays and Datasets: ``import rollmed.xarray``.

``da.rollmed.window(time=101)`` is ``da.rolling(time=101).median()``, exact and fast,
along one dimension: a number of positions, a time span over a datetime coordinate
(``time="1h"``, pandas' rules), or everything so far (:meth:`expanding`); quantiles,
the MAD, ranks and the Hampel filter too. Results are float64 with the dims, coords,
name and attrs of the input, which is never modified. NumPy-backed arrays run in one
call over all their columns; dask-backed ones stay lazy and give the same values for
any chunking (rollmed._xarray_blocks says how).

Needs ``pip install "rollmed[xarray]"`` (and ``rollmed[dask]`` for dask-backed arrays).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import xarray as xr

from rollmed import _checks, _statistics, _xarray_calls

# The parameters the methods share, written once into each docstring.
_DIM = """dim : mapping, optional
            ``{dimension: window}``: the dimension and its window as a mapping, for a
            dimension whose name is not a keyword (or is one of the parameters below).
        **window_kwargs
            Exactly one dimension and its window, as ``time=101``: a number of
            positions (it may exceed the length); a time span such as ``"1h"`` over the
            dimension's datetime coordinate, with pandas' rules; or None for the
            expanding window of everything so far."""
_PLACEMENT = """min_periods : int, optional
            The least number of non-missing values a window must hold to give a
            result; by default the window for a number of positions, 1 for a time
            span or the expanding window.
        center : bool, default False
            Centre the window on each position instead of ending it there, as pandas
            (and xarray) do.
        closed : {"right", "left", "both", "neither"}, optional
            Which ends of the window are included, as pandas' ``closed``."""
_RAISES = """TypeError
            If the array is not numeric or an argument has the wrong type.
        ValueError
            If no dimension, two, or one the array does not have is given, or an
            argument is out of range, or a time window meets a coordinate that is
            not datetime or not monotonic."""


def _fill_doc(method: Any) -> Any:
    method.__doc__ = (
        method.__doc__.replace("{dim}", _DIM).replace("{placement}", _PLACEMENT).replace("{raises}", _RAISES)
    )
    return method


class _Rollmed:
    """The methods of both accessors: each reads its call and applies it to a DataArray or a Dataset."""

    def __init__(self, obj: xr.DataArray | xr.Dataset) -> None:
        self._obj = obj

    def _result(self, dim, window_kwargs, options, statistic, qs=None) -> Any:
        call = _xarray_calls.read_call(self._obj, dim, window_kwargs, options, statistic, qs)
        return _xarray_calls.result(self._obj, call)

    @_fill_doc
    def window(
        self,
        dim: Mapping[Any, Any] | None = None,
        min_periods: int | None = None,
        center: bool = False,
        *,
        q: float | Sequence[float] = 0.5,
        interpolation: str = "linear",
        closed: str | None = None,
        **window_kwargs: Any,
    ) -> Any:
        """Rolling median or quantile along one dimension, like ``da.rolling(time=k).median()``.

        Parameters
        ----------
        {dim}
        {placement}
        q : float or sequence of floats, default 0.5
            The quantile, from 0 to 1; the default is the median. Several quantiles are
            computed in one pass and give a new first dimension ``quantile``, as
            xarray's ``quantile`` does.
        interpolation : {"linear", "lower", "higher", "midpoint", "nearest", "floor"}
            How to read a quantile between two values, as pandas' ``quantile``;
            ``"floor"`` is the floor of their midpoint.

        Returns
        -------
        DataArray or Dataset
            float64, with the dims (and ``quantile`` first for a sequence ``q``),
            coords, name and attrs of the input; lazy for a dask-backed input.

        Raises
        ------
        {raises}

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> da = xr.DataArray([1.0, 3.0, -1.0, -3.0, 5.0], dims="time", name="x")
        >>> da.rollmed.window(time=3).values
        array([nan, nan,  1., -1., -1.])
        >>> da.rollmed.window(time=3, center=True, min_periods=1).values
        array([ 2.,  1., -1., -1.,  1.])
        >>> da.rollmed.window(time=3, q=[0.1, 0.9], min_periods=1).sel(quantile=0.9).values
        array([1. , 2.8, 2.6, 2.2, 3.8])
        >>> times = xr.date_range("2024-01-01", periods=5, freq="20min")
        >>> da.assign_coords(time=times).rollmed.window(time="1h").values
        array([ 1.,  2.,  1., -1., -1.])
        """
        statistic, several = _statistics.quantiles(q, interpolation)
        qs = statistic.qs if several else None  # several quantiles: a new dimension
        return self._result(dim, window_kwargs, (min_periods, center, closed), statistic, qs)

    def expanding(
        self,
        dim: Hashable,
        min_periods: int = 1,
        *,
        q: float | Sequence[float] = 0.5,
        interpolation: str = "linear",
    ) -> Any:
        """Expanding (running) median or quantile along ``dim``, like ``da.cumulative(dim).median()``.

        The same as ``window({dim: None}, min_periods, q=q, interpolation=interpolation)``.
        On dask, each chunk along ``dim`` carries its running state on to the next.

        Parameters
        ----------
        dim : hashable
            The dimension to run along.
        min_periods : int, default 1
            The least number of non-missing values seen so far to give a result.
        q, interpolation
            As for :meth:`window`.

        Returns
        -------
        DataArray or Dataset
            As for :meth:`window`.

        Raises
        ------
        TypeError, ValueError
            As for :meth:`window`.

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> xr.DataArray([2.0, 3.0, 4.0, float("nan"), 10.0], dims="t").rollmed.expanding("t").values
        array([2. , 2.5, 3. , 3. , 3.5])
        """
        min_periods = _checks.check_min_periods(min_periods, None)  # None is not a default here
        if not isinstance(dim, Hashable):
            raise TypeError(f"`dim` must be the name of one dimension, got {dim!r}")
        return self.window({dim: None}, min_periods, q=q, interpolation=interpolation)

    @_fill_doc
    def mad(
        self,
        dim: Mapping[Any, Any] | None = None,
        min_periods: int | None = None,
        center: bool = False,
        *,
        scale: float = 1.0,
        closed: str | None = None,
        **window_kwargs: Any,
    ) -> Any:
        """Rolling median absolute deviation: the median over each window of ``|x - median(window)|``.

        Parameters
        ----------
        {dim}
        {placement}
        scale : float, default 1.0
            A factor for the MAD: 1.4826 makes it estimate the standard deviation of
            normal data.

        Returns
        -------
        DataArray or Dataset
            float64, as for :meth:`window`.

        Raises
        ------
        {raises}

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> xr.DataArray([1.0, 2.0, 4.0, 8.0, 16.0], dims="t").rollmed.mad(t=3).values
        array([nan, nan,  1.,  2.,  4.])
        """
        statistic = _statistics.MedianAbsoluteDeviation(_checks.check_scale(scale))
        return self._result(dim, window_kwargs, (min_periods, center, closed), statistic)

    @_fill_doc
    def rank(
        self,
        dim: Mapping[Any, Any] | None = None,
        min_periods: int | None = None,
        center: bool = False,
        *,
        method: str = "average",
        ascending: bool = True,
        pct: bool = False,
        closed: str | None = None,
        **window_kwargs: Any,
    ) -> Any:
        """Rolling rank of each value within its window, like pandas' ``rolling(...).rank()``.

        Parameters
        ----------
        {dim}
        {placement}
        method : {"average", "min", "max"}, default "average"
            The rank given to tied values, as pandas.
        ascending : bool, default True
            Rank from the smallest value (1) up, or from the largest down.
        pct : bool, default False
            Divide each rank by the number of values in its window.

        Returns
        -------
        DataArray or Dataset
            float64 ranks from 1, NaN where the value is missing or the window holds
            fewer than ``min_periods`` values; as for :meth:`window`.

        Raises
        ------
        {raises}

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> xr.DataArray([3.0, 1.0, 2.0, 2.0, 5.0], dims="t").rollmed.rank(t=3).values
        array([nan, nan, 2. , 2.5, 3. ])
        """
        statistic = _statistics.rank(method, ascending, pct)
        return self._result(dim, window_kwargs, (min_periods, center, closed), statistic)

    @_fill_doc
    def hampel(
        self,
        dim: Mapping[Any, Any] | None = None,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        **window_kwargs: Any,
    ) -> Any:
        """Hampel despiking: a value more than ``n_sigmas`` scaled MADs from its window's median becomes it.

        ``x`` is an outlier when ``|x - m| > n_sigmas * scale * mad``, with ``m`` and
        ``mad`` the median and MAD of its window (centred by default, as the Hampel
        filter is). Missing values stay missing. ``hampel_details`` (on a DataArray)
        gives the median, MAD, threshold and outlier flag of every value.

        Parameters
        ----------
        {dim}
        n_sigmas : float, default 3.0
            The threshold, in scaled MADs.
        center : bool, default True
            Centre each window on its value; the expanding window (``time=None``) never is.
        min_periods : int, default 1
            The least number of values a window needs to judge its value.
        scale : float, default 1.4826
            The MAD's factor: 1.4826 makes it estimate the standard deviation of normal data.
        closed : {"right", "left", "both", "neither"}, optional
            Which ends of the window are included, as pandas' ``closed``.

        Returns
        -------
        DataArray or Dataset
            float64, the input with its outliers replaced; dims, coords, name and attrs kept.

        Raises
        ------
        {raises}

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> da = xr.DataArray([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8], dims="t")
        >>> da.rollmed.hampel(t=5).values
        array([1. , 1.2, 0.9, 1.1, 1.1, 1. , 0.8])
        """
        call = _xarray_calls.hampel_call(self._obj, dim, window_kwargs, (min_periods, center, closed))
        return _xarray_calls.hampel(self._obj, call, n_sigmas, scale)


@xr.register_dataarray_accessor("rollmed")
class RollmedDataArrayAccessor(_Rollmed):
    """Rolling medians, quantiles, MAD, ranks and Hampel despiking along one dimension of a DataArray.

    ``da.rollmed.window(time=101)``, ``da.rollmed.hampel(time=21)``... NaN is missing,
    infinities are values; results are float64 with the dims, coords, name and attrs
    of ``da``, lazy when ``da`` is dask-backed. ``da`` is not modified.
    """

    def hampel_details(
        self,
        dim: Mapping[Any, Any] | None = None,
        n_sigmas: float = 3.0,
        *,
        center: bool = True,
        min_periods: int | None = 1,
        scale: float = 1.4826,
        closed: str | None = None,
        **window_kwargs: Any,
    ) -> xr.Dataset:
        """The Hampel filter value by value: median, MAD, threshold, outlier flag and the filtered value.

        Parameters
        ----------
        dim, n_sigmas, center, min_periods, scale, closed, **window_kwargs
            As for :meth:`hampel`.

        Returns
        -------
        Dataset
            On the dims and coords of the DataArray: ``median`` and ``mad`` of each
            value's window, ``threshold`` (``n_sigmas * scale * mad``), ``outlier``
            (bool) and ``filtered`` (the value, or the median where it is an outlier).

        Examples
        --------
        >>> import xarray as xr
        >>> import rollmed.xarray
        >>> da = xr.DataArray([1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8], dims="t")
        >>> details = da.rollmed.hampel_details(t=5)
        >>> details["outlier"].values
        array([False, False, False,  True, False, False, False])
        >>> float(details["median"][3]), round(float(details["mad"][3]), 12)
        (1.1, 0.1)
        """
        call = _xarray_calls.hampel_call(self._obj, dim, window_kwargs, (min_periods, center, closed))
        fields = _xarray_calls.hampel_fields(self._obj, call, n_sigmas, scale)
        return xr.Dataset({field: array.rename(None) for field, array in fields.items()})


@xr.register_dataset_accessor("rollmed")
class RollmedDatasetAccessor(_Rollmed):
    """The DataArray accessor's methods on every data variable of a Dataset that has the dimension.

    Variables without the dimension are kept as they are, as xarray's ``rolling`` keeps
    them; a non-numeric variable with the dimension is a TypeError that names it.

    Examples
    --------
    >>> import xarray as xr
    >>> import rollmed.xarray
    >>> ds = xr.Dataset({"x": ("t", [1.0, 3.0, -1.0, -3.0]), "label": ("s", ["a", "b"])})
    >>> result = ds.rollmed.window(t=2)
    >>> result["x"].values, result["label"].values
    (array([nan,  2.,  1., -2.]), array(['a', 'b'], dtype='<U1'))
    """
