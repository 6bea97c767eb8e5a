"""What a call of the xarray accessor (rollmed.xarray) does to a DataArray or Dataset.

It reads the one dimension and its window, finds the coordinate a time span runs over,
hands the array along that dimension to rollmed._xarray_blocks (NumPy or dask), and
puts the results back on the dims, coords, name and attrs of the input; a Dataset does
so for each data variable that has the dimension.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rollmed import _checks, _compute, _plans, _statistics, _values, _xarray_blocks
from rollmed._xarray_blocks import Windows


@dataclass(frozen=True)
class Call:
    """One call: the dimension, its windows and statistic, and the quantiles that form a new dimension."""

    dim: Hashable
    windows: Windows
    qs: tuple[float, ...] | None = None


def read_call(
    obj: xr.DataArray | xr.Dataset, dim: Any, window_kwargs: dict, options: tuple, statistic: Any, qs=None
) -> Call:
    """The call that ``dim`` or ``window_kwargs`` (exactly one dimension and its window) and ``options`` make.

    ``options`` are ``(min_periods, center, closed)``. A missing dimension, two, or none
    is a ValueError naming them.
    """
    if dim is not None and not isinstance(dim, Mapping):
        raise TypeError(
            f"`dim` must be a mapping of one dimension to its window, such as {{'time': 101}}, got {dim!r}"
        )
    if dim is not None and window_kwargs:
        raise TypeError("give the dimension either as the mapping `dim` or as a keyword, not both")
    windows = dict(dim if dim is not None else window_kwargs)
    missing = [name for name in windows if name not in obj.dims]
    if missing:
        kind = type(obj).__name__
        raise ValueError(
            f"{missing[0]!r} is not a dimension of the {kind} (its dimensions: {tuple(obj.dims)})"
        )
    if len(windows) != 1:
        got = f"{len(windows)}: {tuple(windows)}" if windows else "none"
        raise ValueError(f"rollmed rolls along exactly one dimension per call, such as time=101; got {got}")
    name, window = next(iter(windows.items()))
    return Call(name, Windows(window, *options, statistic), qs)


def hampel_call(obj: xr.DataArray | xr.Dataset, dim: Any, window_kwargs: dict, options: tuple) -> Call:
    """:func:`read_call` for the Hampel filter, centred as ``rollmed._compute.hampel_center`` says."""
    call = read_call(obj, dim, window_kwargs, options, _statistics.MEDIAN_AND_MAD)
    center = _compute.hampel_center(call.windows.window, call.windows.center)
    return dataclasses.replace(call, windows=dataclasses.replace(call.windows, center=center))


def _check_numeric(array: xr.DataArray, what: str) -> None:
    if not _values.is_supported(array.dtype):
        raise TypeError(f"rollmed needs numbers or booleans, got dtype {array.dtype} ({what})")


def _times(obj: xr.DataArray | xr.Dataset, dim: Hashable, window: Any) -> pd.Index | None:
    """The coordinate a time span runs over: the dimension's datetime index."""
    if not _plans.is_time_span(window):
        return None
    index = obj.indexes.get(dim)
    if not isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        got = "none" if index is None else f"a {type(index).__name__} of dtype {index.dtype}"
        raise ValueError(
            f"a time window ({window!r}) along {dim!r} needs a datetime coordinate {dim!r}, got {got}"
        )
    return index


def _is_dask(data: Any) -> bool:
    if getattr(data, "chunks", None) is None:
        return False
    import dask.array

    return isinstance(data, dask.array.Array)


def _statistic_of(array: xr.DataArray, call: Call) -> Any:
    """The statistic along the call's dimension: a NumPy or dask float64 array, the outputs on a last axis."""
    _check_numeric(array, f"DataArray {array.name!r}")
    axis = array.get_axis_num(call.dim)
    times = _times(array, call.dim, call.windows.window)
    if _is_dask(array.data):
        return _xarray_blocks.apply_lazy(array.data, axis, call.windows, times)
    return _xarray_blocks.apply(np.asarray(array.values), axis, call.windows, times)


def _like(array: xr.DataArray, data: Any) -> xr.DataArray:
    """``data`` with the dims, coords, name and attrs of ``array`` (not its encoding: the values are new)."""
    return array.copy(deep=False, data=data).drop_encoding()


def _each_variable(dataset: xr.Dataset, dim: Hashable, compute: Callable) -> xr.Dataset:
    """``compute`` of every data variable along ``dim``; the others kept, as xarray's rolling keeps them."""
    variables = {}
    for name, variable in dataset.data_vars.items():
        if dim not in variable.dims:
            variables[name] = variable
            continue
        _check_numeric(variable, f"variable {name!r} along {dim!r}: select the numeric variables first")
        variables[name] = compute(variable)
    return xr.Dataset(variables, coords=dataset.coords, attrs=dataset.attrs)


def _array_result(array: xr.DataArray, call: Call) -> xr.DataArray:
    out = _statistic_of(array, call)
    if call.qs is None:
        return _like(array, out[..., 0])
    # A new first dimension, as xarray's quantile gives it.
    return _like(array.expand_dims(quantile=list(call.qs)), np.moveaxis(out, -1, 0))


def result(obj: xr.DataArray | xr.Dataset, call: Call) -> xr.DataArray | xr.Dataset:
    """The call's statistic of a DataArray, or of each variable of a Dataset that has the dimension."""
    if isinstance(obj, xr.Dataset):
        return _each_variable(obj, call.dim, lambda array: _array_result(array, call))
    return _array_result(obj, call)


def hampel_fields(array: xr.DataArray, call: Call, n_sigmas: Any, scale: Any) -> dict[str, xr.DataArray]:
    """Each Hampel field of ``array`` (rollmed._compute.HAMPEL_FIELDS) as a DataArray like it."""
    n_sigmas = _checks.check_n_sigmas(n_sigmas)
    scale = _checks.check_scale(scale)
    stats = _statistic_of(array, call)
    values = array.data.astype(np.float64) if _is_dask(array.data) else np.asarray(array.values, np.float64)
    fields = _xarray_blocks.hampel(values, stats[..., 0], stats[..., 1], n_sigmas, scale)
    return {field: _like(array, field_values) for field, field_values in fields.items()}


def hampel(
    obj: xr.DataArray | xr.Dataset, call: Call, n_sigmas: Any, scale: Any
) -> xr.DataArray | xr.Dataset:
    """The Hampel filter's output of a DataArray, or of each variable of a Dataset that has the dimension."""
    n_sigmas, scale = _checks.check_n_sigmas(n_sigmas), _checks.check_scale(scale)  # before any variable
    if isinstance(obj, xr.Dataset):
        return _each_variable(
            obj, call.dim, lambda array: hampel_fields(array, call, n_sigmas, scale)["filtered"]
        )
    return hampel_fields(obj, call, n_sigmas, scale)["filtered"]
