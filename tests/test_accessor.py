"""The pandas accessor: pandas' meaning and defaults, dtypes, index and name, bad arguments."""

import re

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import rollmed  # noqa: F401  (registers the accessor)
from tests import reference

VALUES = [4.0, np.nan, 1.0, 7.0, 3.0, 3.0, np.nan, np.nan, -2.0, 5.0, 0.5]


@pytest.fixture
def series():
    return pd.Series(VALUES, name="x")


@pytest.mark.parametrize("window", [1, 2, 3, 4, 11, 15])
@pytest.mark.parametrize("min_periods", [None, 0, 1, 2])
@pytest.mark.parametrize("center", [False, True])
def test_window_matches_pandas(series, window, min_periods, center):
    if min_periods is not None and min_periods > window:
        return
    expected = series.rolling(window, min_periods=min_periods, center=center).median()
    result = series.rollmed.window(window, min_periods=min_periods, center=center)
    tm.assert_series_equal(result, expected, check_exact=True)


@pytest.mark.parametrize("min_periods", [0, 1, 3, 20])
def test_expanding_matches_pandas(series, min_periods):
    expected = series.expanding(min_periods=min_periods).median()
    tm.assert_series_equal(series.rollmed.expanding(min_periods=min_periods), expected, check_exact=True)


def test_infinities_are_values_where_pandas_drops_them():
    series = pd.Series([np.inf, 1.0, 2.0])
    assert series.rolling(3).median().isna().all()  # pandas' answer (pandas issue #57549)
    tm.assert_series_equal(series.rollmed.window(3), pd.Series([np.nan, np.nan, 2.0]))


def test_overflowing_midpoint_is_finite():
    tm.assert_series_equal(
        pd.Series([1e308, 1e308]).rollmed.window(2), pd.Series([np.nan, 1e308]), check_exact=True
    )


INDEXES = {
    "datetime": pd.date_range("2024-01-01", periods=len(VALUES), freq="min"),
    "multi": pd.MultiIndex.from_product([["a"], range(len(VALUES))], names=["k", "i"]),
    "duplicate labels": pd.Index([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]),
    "strings": pd.Index([f"r{i}" for i in range(len(VALUES))]),
    "unsorted": pd.Index(range(len(VALUES)))[::-1],
}


@pytest.mark.parametrize("kind", INDEXES)
def test_index_and_name_kept(kind):
    series = pd.Series(VALUES, index=INDEXES[kind], name=("a", 1))
    for result in (series.rollmed.window(3, min_periods=1), series.rollmed.expanding()):
        assert result.index.equals(series.index)
        assert result.index.names == series.index.names
        assert result.name == series.name
        assert result.dtype == np.float64


NUMERIC_DTYPES = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "bool",
    "Int8", "Int64", "UInt32", "Float32", "Float64", "boolean",
    "int64[pyarrow]", "uint8[pyarrow]", "float32[pyarrow]", "double[pyarrow]", "bool[pyarrow]",
]  # fmt: skip


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_every_numeric_dtype(dtype):
    raw = [1, 0, 1, 1, 0, 1, 0, 0] if "bool" in dtype else [3, 1, 4, 1, 5, 9, 2, 6]
    series = pd.Series(raw, dtype=dtype, name="v")
    before = series.copy()
    expected = reference.rolling_median(np.array(raw, dtype=np.float64), 3)
    result = series.rollmed.window(3)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result.to_numpy(), expected)
    tm.assert_series_equal(series, before)


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "boolean", "int64[pyarrow]", "double[pyarrow]"])
def test_pd_na_is_missing(dtype):
    raw = [1, None, 0, 1, None, None, 1] if "bool" in dtype else [5, None, 2, 8, None, None, 3]
    series = pd.Series(raw, dtype=dtype)
    as_float = np.array([np.nan if v is None else float(v) for v in raw])
    np.testing.assert_array_equal(
        series.rollmed.window(3, min_periods=1).to_numpy(), reference.rolling_median(as_float, 3, 1)
    )
    np.testing.assert_array_equal(series.rollmed.expanding().to_numpy(), reference.expanding_median(as_float))


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(["a", "b"]),
        pd.Series(["a", "b"], dtype=object),
        pd.Series([1, 2], dtype=object),
        pd.Series(["a", "b"], dtype="category"),
        pd.Series(pd.date_range("2024", periods=2)),
        pd.Series(pd.to_timedelta([1, 2], unit="s")),
        pd.Series([1 + 2j, 3j]),
    ],
    ids=lambda s: str(s.dtype),
)
def test_non_numeric_series_raise_naming_the_dtype(series):
    with pytest.raises(AttributeError, match=re.escape(f"dtype {series.dtype}")):
        series.rollmed  # noqa: B018


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"window": 0}, ValueError, "`window` (=0)"),
        ({"window": -3}, ValueError, "`window` (=-3)"),
        ({"window": 2.5}, TypeError, "`window` must be an integer, got 2.5"),
        ({"window": "x"}, ValueError, "`window` (='x') is not a number of rows nor a fixed time span"),
        ({"window": True}, TypeError, "`window` must be an integer, got True"),
        ({"window": 3, "min_periods": -1}, ValueError, "`min_periods` (=-1)"),
        ({"window": 3, "min_periods": 4}, ValueError, "`min_periods` (=4) must be <= window (=3)"),
        ({"window": 3, "min_periods": 1.0}, TypeError, "`min_periods` must be an integer"),
        ({"window": 3, "center": "yes"}, TypeError, "`center` must be a bool, got 'yes'"),
        ({"window": 3, "center": 1}, TypeError, "`center` must be a bool, got 1"),
    ],
)
def test_window_bad_arguments(series, kwargs, error, words):
    with pytest.raises(error) as caught:
        series.rollmed.window(**kwargs)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "min_periods, error", [(-1, ValueError), (None, TypeError), ("1", TypeError), (1.5, TypeError)]
)
def test_expanding_bad_arguments(series, min_periods, error):
    with pytest.raises(error, match="min_periods"):
        series.rollmed.expanding(min_periods=min_periods)


def test_window_longer_than_the_series(series):
    tm.assert_series_equal(series.rollmed.window(64), series.rolling(64).median())
    tm.assert_series_equal(
        series.rollmed.window(64, min_periods=2, center=True),
        series.rolling(64, min_periods=2, center=True).median(),
    )


def test_empty_series():
    empty = pd.Series([], dtype=np.float64, name="e")
    tm.assert_series_equal(empty.rollmed.window(3), empty.rolling(3).median())
    tm.assert_series_equal(empty.rollmed.expanding(), empty.expanding().median())


def test_method_chains(series):
    frame = series.to_frame().assign(
        smooth=lambda df: df["x"].rollmed.window(3, min_periods=1),
        running=lambda df: df["x"].pipe(lambda s: s.rollmed.expanding()),
    )
    tm.assert_series_equal(frame["smooth"], series.rolling(3, min_periods=1).median().rename("smooth"))
    tm.assert_series_equal(frame["running"], series.expanding().median().rename("running"))


def test_input_not_modified_and_result_not_a_view(series):
    before = series.copy()
    result = series.rollmed.window(1)
    result.iloc[0] = 99.0
    tm.assert_series_equal(series, before)


def test_read_only_strided_and_byte_swapped_data():
    data = np.arange(40.0)[::-1]
    data.flags.writeable = False
    strided = pd.Series(data[::3])
    swapped = pd.Series(np.arange(12.0).astype(">f8"))
    for series in (strided, swapped):
        tm.assert_series_equal(series.rollmed.window(4), series.astype(np.float64).rolling(4).median())
