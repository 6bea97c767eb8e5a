"""Values in, results out: numbers unboxed for the kernels, results reboxed for pandas.

The kernels take float64 (NaN missing) or int64 values with a mask of the present
ones. Integers are exact with the interpolations that select a value (or floor
integers): uint64 maps onto int64 in the same order by flipping its top bit, and back.
The accessors and the streams unbox and rebox through here alone.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_complex_dtype, is_integer_dtype, is_numeric_dtype

from rollmed import _checks

_UINT64_FLIP = np.uint64(1 << 63)  # maps uint64 onto int64 in the same order, and back
# Every integer up to 2**53 in magnitude is a float64 number; beyond, neighbours round together.
_FLOAT64_INTEGERS = 2**53
_NUMBERS_ONLY = "takes numbers"


def is_supported(dtype: Any) -> bool:
    """Whether rollmed computes on ``dtype``: booleans and real numbers, nullable and pyarrow ones too."""
    return is_bool_dtype(dtype) or (is_numeric_dtype(dtype) and not is_complex_dtype(dtype))


def _is_uint64(dtype: Any) -> bool:
    numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    return numpy_dtype.kind == "u" and numpy_dtype.itemsize == 8


class Unboxed:
    """Values ready for the kernels (``values``, and ``valid`` or None: all present), and their rebox.

    ``exact``: int64 values and int64 results; ``unsigned``: uint64 mapped onto them.
    """

    def __init__(self, values: np.ndarray, valid: np.ndarray | None, unsigned: bool = False) -> None:
        self.values = values
        self.valid = valid
        self.exact = values.dtype.kind == "i"
        self.unsigned = unsigned

    def rebox(self, out: np.ndarray, out_valid: np.ndarray | None) -> Any:
        """Float results as they are; exact ones as a nullable integer array (``UInt64`` for uint64)."""
        if not self.exact:
            return out
        if self.unsigned:
            out = out.view(np.uint64) ^ _UINT64_FLIP
        return pd.arrays.IntegerArray(out, ~out_valid)


def comparable_floats(values: np.ndarray) -> np.ndarray:
    """float64 numbers that order and tie as ``values`` do, for a statistic that only compares (ranks).

    Integers within ``±2**53`` are float64 numbers; beyond, neighbours would round
    together, so integers are replaced by their dense ranks (0, 1, 2...), which order and
    tie as they do. Other values are cast.

    Examples
    --------
    >>> import numpy as np
    >>> from rollmed._values import comparable_floats
    >>> comparable_floats(np.array([2**63 - 1, 2**63 - 2, 0]))
    array([2., 1., 0.])
    """
    if values.dtype.kind in "iu" and values.size:
        if values.min() < -_FLOAT64_INTEGERS or values.max() > _FLOAT64_INTEGERS:
            codes = np.unique(values.ravel(), return_inverse=True)[1]
            return codes.reshape(values.shape).astype(np.float64)
    return values.astype(np.float64, copy=False)


def unbox_series(series: pd.Series, interpolation: str) -> Unboxed:
    """A Series' values: exact integers where its dtype is an integer one and ``interpolation`` selects."""
    if isinstance(series.dtype, pd.SparseDtype):
        series = series.sparse.to_dense()
    if not (is_integer_dtype(series.dtype) and interpolation in _checks.EXACT_INTERPOLATIONS):
        return Unboxed(series.to_numpy(dtype=np.float64, na_value=np.nan), None)
    missing = series.isna().to_numpy(dtype=np.bool_)
    valid = ~missing if missing.any() else None
    if _is_uint64(series.dtype):
        raw = series.to_numpy(dtype=np.uint64, na_value=0)
        return Unboxed((raw ^ _UINT64_FLIP).view(np.int64), valid, unsigned=True)
    return Unboxed(series.to_numpy(dtype=np.int64, na_value=0), valid)


def _refuse(what: Any) -> None:
    raise TypeError(f"RollingMedian {_NUMBERS_ONLY}, got {what}")


def _element(value: Any, integers: bool) -> tuple[Any, bool]:
    """One value of an object array, and whether it is present: None and ``pd.NA`` are missing."""
    if value is None or value is pd.NA:
        return 0, False
    if (integers and _checks.is_integer(value)) or (not integers and isinstance(value, numbers.Real)):
        return value, True
    _refuse(f"{value!r} of type {type(value).__name__}")


def unbox_stream(values: Any, dtype: str) -> Unboxed:
    """The values fed to a stream of ``dtype``: numbers only, never text, dates or complex values.

    A float64 stream takes any real numbers (NaN, None and ``pd.NA`` missing); an int64
    or uint64 stream takes integers within its range (None and ``pd.NA`` missing).
    """
    integers = dtype != "float64"
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        if not is_supported(values.dtype) or (integers and not is_integer_dtype(values.dtype)):
            _refuse(f"values of dtype {values.dtype}")
        if not integers:
            return Unboxed(values.to_numpy(dtype=np.float64, na_value=np.nan), None)
        missing = np.asarray(pd.isna(values), dtype=np.bool_)
        raw = values.to_numpy(dtype=np.uint64 if _is_uint64(values.dtype) else np.int64, na_value=0)
        return _integers(raw, ~missing if missing.any() else None, dtype)
    array = np.asarray(values)
    kind = array.dtype.kind
    if kind == "O":
        elements = [_element(value, integers) for value in array.ravel()]
        present = np.array([ok for _, ok in elements], np.bool_).reshape(array.shape)
        if not integers:
            floats = np.array([float(value) if ok else np.nan for value, ok in elements])
            return Unboxed(floats.reshape(array.shape), None)
        numbers_ = np.array([int(value) for value, _ in elements], dtype=object).reshape(array.shape)
        return _integers(numbers_, present if not present.all() else None, dtype)
    if kind not in "biuf" or (integers and kind == "f"):
        _refuse(f"values of dtype {array.dtype}")
    if not integers:
        return Unboxed(array.astype(np.float64, copy=False), None)
    return _integers(array, None, dtype)


def _integers(array: np.ndarray, present: np.ndarray | None, dtype: str) -> Unboxed:
    """Integers (any integer or object array of Python ints) as the stream's int64 keys, range-checked."""
    info = np.iinfo(dtype)
    checked = array[present] if present is not None else array
    if checked.size and (checked.min() < info.min or checked.max() > info.max):
        raise _checks.ArgumentError(
            "values",
            None,
            f"{dtype} integers",
            f"a {dtype} stream takes integers from {info.min} to {info.max}",
        )
    if present is not None:
        array = np.where(present, array, 0)
    if dtype == "uint64":
        return Unboxed((array.astype(np.uint64) ^ _UINT64_FLIP).view(np.int64), present, unsigned=True)
    return Unboxed(array.astype(np.int64), present)
