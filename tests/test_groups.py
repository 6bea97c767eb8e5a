"""``by=``: rolling and expanding medians within groups, on the original rows, against pandas' groupby."""

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rollmed
from tests.strategies import finite_floats, windows

CLOSED = [None, "right", "left", "both", "neither"]


def pandas_by(series, keys, method, *args, stat="median", stat_args=(), on_index=False, **kwargs):
    """pandas' ``groupby(keys).rolling(...)`` (or ``expanding``) back on the rows of ``series``, in order.

    Done on row positions, so that any index (duplicates, datetimes) comes back right; with
    ``on_index`` the index becomes the ``on`` column of a time window.
    """
    n = len(series)
    if n and pd.isna(np.asarray(keys, dtype=object)).all():
        # No group at all: every row gets NaN (pandas itself fails to concatenate no groups).
        return pd.Series(np.nan, index=series.index, name=series.name)
    frame = pd.DataFrame({"v": series.to_numpy(dtype=np.float64, na_value=np.nan)})
    if on_index:
        frame["t"] = series.index
        kwargs["on"] = "t"
    grouped = frame.groupby(keys if isinstance(keys, list) else np.asarray(keys, dtype=object))
    result = getattr(getattr(grouped, method)(*args, **kwargs), stat)(*stat_args)["v"]
    result = result.droplevel(list(range(result.index.nlevels - 1))).reindex(pd.RangeIndex(n))
    return pd.Series(result.to_numpy(), index=series.index, name=series.name)


def frame_by(frame, by, method, *args, stat="median", stat_args=(), **kwargs):
    """pandas' ``frame.groupby(by).rolling(...)`` on the rows of ``frame`` (a unique index)."""
    result = getattr(getattr(frame.groupby(by), method)(*args, **kwargs), stat)(*stat_args)
    levels = len(by) if isinstance(by, list) else 1
    return result.droplevel(list(range(levels))).reindex(frame.index)


rng = np.random.default_rng(2024)
N = 80
KEYS = rng.choice(np.array(["a", "b", "c", None], dtype=object), size=N, p=[0.4, 0.3, 0.2, 0.1])
VALUES = np.round(rng.normal(size=N) * 4) / 2
VALUES[[2, 3, 4, 5, 17, 40]] = np.nan


@pytest.fixture
def series():
    return pd.Series(VALUES, index=pd.Index([f"r{i}" for i in range(N)][::-1]), name="x")


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("window", [1, 2, 3, 5, 30, 100])
def test_series_window_by_matches_pandas(series, window, closed, center):
    for min_periods in [None, 0, 1, 2]:
        if min_periods is not None and min_periods > window:
            continue
        kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
        expected = pandas_by(series, KEYS, "rolling", window, **kwargs)
        result = series.rollmed.window(window, by=KEYS, **kwargs)
        tm.assert_series_equal(result, expected, check_exact=True, obj=f"min_periods={min_periods}")


@pytest.mark.parametrize("min_periods", [0, 1, 3, 50])
def test_series_expanding_by_matches_pandas(series, min_periods):
    expected = pandas_by(series, KEYS, "expanding", min_periods=min_periods)
    tm.assert_series_equal(series.rollmed.expanding(min_periods, by=KEYS), expected, check_exact=True)


@pytest.mark.parametrize("q", [0.0, 0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantiles_by_match_pandas(series, q, interpolation):
    stat = {"stat": "quantile", "stat_args": (q, interpolation)}
    expected = pandas_by(series, KEYS, "rolling", 4, min_periods=1, center=True, **stat)
    result = series.rollmed.window(4, min_periods=1, center=True, q=q, interpolation=interpolation, by=KEYS)
    tm.assert_series_equal(result, expected, check_exact=False, rtol=1e-12, atol=0)
    expected = pandas_by(series, KEYS, "expanding", **stat)
    result = series.rollmed.expanding(q=q, interpolation=interpolation, by=KEYS)
    tm.assert_series_equal(result, expected, check_exact=False, rtol=1e-12, atol=0)


@pytest.mark.parametrize("interpolation", ["lower", "higher", "nearest"])
def test_exact_integers_by(interpolation):
    integers = pd.Series(rng.integers(-1000, 1000, size=N), name="i")
    result = integers.rollmed.window(5, min_periods=2, q=0.3, interpolation=interpolation, by=KEYS)
    assert result.dtype == "Int64"
    quantile = {"stat": "quantile", "stat_args": (0.3, interpolation)}
    expected = pandas_by(integers, KEYS, "rolling", 5, min_periods=2, **quantile)
    tm.assert_series_equal(result, expected.astype("Int64"), check_exact=True)
    assert result[pd.isna(KEYS)].isna().all()


def test_missing_keys_give_missing_results(series):
    for result in (series.rollmed.window(3, min_periods=1, by=KEYS), series.rollmed.expanding(by=KEYS)):
        missing = pd.isna(KEYS)
        assert result[missing].isna().all()
        assert result[~missing & ~np.isnan(VALUES)].notna().all()


def test_no_key_at_all(series):
    keys = np.full(N, None, dtype=object)
    expected = pd.Series(np.nan, index=series.index, name="x")
    tm.assert_series_equal(series.rollmed.window(3, min_periods=1, by=keys), expected)
    tm.assert_series_equal(series.rollmed.expanding(by=keys), expected)


def test_keys_with_nan_floats():
    keys = np.array([1.0, np.nan, 1.0, 2.0, np.nan, 2.0, 1.0])
    series = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    expected = pd.Series([1.0, np.nan, 2.0, 4.0, np.nan, 5.0, 3.0])
    tm.assert_series_equal(series.rollmed.window(3, min_periods=1, by=keys), expected)
    tm.assert_series_equal(
        series.rollmed.window(3, min_periods=1, by=keys), pandas_by(series, keys, "rolling", 3, min_periods=1)
    )


def test_keys_as_a_series_align_on_the_index():
    series = pd.Series([1.0, 10.0, 3.0, 30.0, 5.0], index=[10, 20, 30, 40, 50], name="x")
    keys = pd.Series(["a", "b", "a", "b", "a"], index=[10, 20, 30, 40, 50]).iloc[::-1]
    expected = series.groupby(keys).rolling(2, min_periods=1).median().droplevel(0).reindex(series.index)
    result = series.rollmed.window(2, min_periods=1, by=keys)
    tm.assert_series_equal(result, expected, check_exact=True)
    tm.assert_series_equal(result, pd.Series([1.0, 10.0, 2.0, 20.0, 4.0], index=series.index, name="x"))


def test_categorical_keys():
    keys = pd.Categorical(["x", "y", None, "x", "y", "x"], categories=["z", "x", "y"])
    series = pd.Series([1.0, 2.0, 3.0, 4.0, 6.0, 8.0])
    expected = pd.Series([1.0, 2.0, np.nan, 2.5, 4.0, 6.0])
    tm.assert_series_equal(series.rollmed.window(2, min_periods=1, by=keys), expected)


def test_interleaved_groups_roll_over_their_own_rows():
    keys = np.array(list("abcabcabcabcabc"))
    series = pd.Series(np.arange(15.0) ** 2)
    result = series.rollmed.window(3, by=keys)
    for key in "abc":
        rows = keys == key
        own = series[rows].rolling(3).median()
        tm.assert_series_equal(result[rows], own, check_exact=True)


def test_single_group_is_plain_rolling(series):
    keys = np.zeros(N, dtype=np.int64)
    for window, center in [(3, False), (4, True), (100, True)]:
        expected = series.rolling(window, min_periods=1, center=center).median()
        result = series.rollmed.window(window, min_periods=1, center=center, by=keys)
        tm.assert_series_equal(result, expected, check_exact=True)
    tm.assert_series_equal(series.rollmed.expanding(by=keys), series.expanding().median(), check_exact=True)


def test_every_row_its_own_group(series):
    keys = np.arange(N)
    tm.assert_series_equal(series.rollmed.window(5, min_periods=1, center=True, by=keys), series)
    tm.assert_series_equal(series.rollmed.expanding(by=keys), series)
    assert series.rollmed.window(2, by=keys).isna().all()
    tm.assert_series_equal(series.rollmed.window(2, by=keys), pandas_by(series, keys, "rolling", 2))


def test_empty_series_and_frame():
    empty = pd.Series([], dtype=np.float64, name="e")
    tm.assert_series_equal(empty.rollmed.window(3, by=[]), empty)
    tm.assert_series_equal(empty.rollmed.expanding(by=[]), empty)
    frame = pd.DataFrame({"k": pd.Series([], dtype=object), "x": [], "y": pd.Series([], dtype=np.int64)})
    expected = pd.DataFrame({"x": [], "y": []}, index=frame.index)
    tm.assert_frame_equal(frame.rollmed.window(3, by="k"), expected)
    tm.assert_frame_equal(frame.rollmed.expanding(by="k"), expected)


# Time windows within groups


def group_times(keys, seed, duplicates):
    """Each group's own rising timestamps, interleaved so that the whole index is not monotonic."""
    local = np.random.default_rng(seed)
    times = np.empty(len(keys), dtype="datetime64[us]")
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key) if key is not None else np.flatnonzero(pd.isna(keys))
        gaps = local.choice(
            [0, 250, 1000, 2500, 60_000] if duplicates else [250, 1000, 2500, 60_000], len(rows)
        )
        start = np.datetime64("2024-01-01T00:00:00", "us") + local.integers(0, 10**7)
        times[rows] = start + np.cumsum(gaps).astype("timedelta64[ms]")
    return pd.DatetimeIndex(times)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("duplicates", [False, True], ids=["unique", "duplicates"])
def test_time_windows_by_match_pandas(duplicates, closed, center):
    series = pd.Series(VALUES, index=group_times(KEYS, seed=1, duplicates=duplicates), name="x")
    assert not series.index.is_monotonic_increasing
    for window in ["1s", "3s", "5min", pd.Timedelta(milliseconds=2500)]:
        for min_periods in [None, 0, 2]:
            kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
            expected = pandas_by(series, KEYS, "rolling", window, on_index=True, **kwargs)
            result = series.rollmed.window(window, by=KEYS, **kwargs)
            tm.assert_series_equal(result, expected, check_exact=True, obj=f"{window=} {min_periods=}")


def test_time_window_by_groups_rising_and_falling():
    # pandas asks each group to be monotonic, in either direction.
    keys = np.array(list("abababab"))
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 9, 1, 7, 4, 6, 5, 2], unit="s")
    series = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], index=times)
    expected = pandas_by(series, keys, "rolling", "3s", on_index=True)
    tm.assert_series_equal(series.rollmed.window("3s", by=keys), expected, check_exact=True)


def test_time_window_by_needs_each_group_monotonic():
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta([0, 5, 3, 4], unit="s")
    series = pd.Series([1.0, 2.0, 3.0, 4.0], index=times)
    series.rollmed.window("2s", by=np.array(list("aabb")))  # each group rises
    with pytest.raises(ValueError, match="monotonic"):
        series.rollmed.window("2s", by=np.array(list("aaab")))  # 0 s, 5 s, 3 s


def test_frame_time_window_on_column_by_matches_pandas():
    frame = pd.DataFrame(
        {"ts": group_times(KEYS, seed=3, duplicates=False), "k": KEYS, "x": VALUES, "y": np.arange(N) % 7}
    )
    for closed in CLOSED:
        expected = frame_by(frame, "k", "rolling", "3s", on="ts", closed=closed)
        expected["ts"] = frame["ts"]  # kept on every row, those of a missing key too
        result = frame.rollmed.window("3s", on="ts", by="k", closed=closed)
        tm.assert_frame_equal(result, expected, check_exact=True)
        assert list(result.columns) == ["ts", "x", "y"]


# DataFrames


@pytest.fixture
def frame():
    local = np.random.default_rng(7)
    n = 60
    sensor = local.choice(["s1", "s2", "s3"], size=n)
    site = local.choice(np.array(["north", "south", None], dtype=object), size=n, p=[0.5, 0.4, 0.1])
    x = np.round(local.normal(size=n) * 4) / 4
    x[local.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "sensor": sensor,
            "count": local.integers(0, 50, size=n),
            "site": site,
            "f32": local.normal(size=n).astype(np.float32),
        },
        index=pd.Index(local.permutation(n) * 10, name="row"),
    )


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("window", [1, 3, 4, 9])
def test_frame_window_by_matches_pandas(frame, window, closed, center):
    data = frame.drop(columns="site")
    for min_periods in [None, 1]:
        kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
        expected = frame_by(data, "sensor", "rolling", window, **kwargs)
        result = data.rollmed.window(window, by="sensor", **kwargs)
        tm.assert_frame_equal(result, expected, check_exact=True)


def test_frame_by_two_columns_with_missing_keys(frame):
    expected = frame_by(frame, ["sensor", "site"], "rolling", 3, min_periods=1)
    result = frame.rollmed.window(3, min_periods=1, by=["sensor", "site"])
    tm.assert_frame_equal(result, expected, check_exact=True)
    assert list(result.columns) == ["x", "count", "f32"]
    assert result[frame["site"].isna()].isna().all().all()
    expected = frame_by(frame, ["sensor", "site"], "expanding")
    tm.assert_frame_equal(frame.rollmed.expanding(by=["sensor", "site"]), expected, check_exact=True)


@pytest.mark.parametrize("index", [[10, 20, 30, 40, 50, 60], [2, 1, 0, 3, 5, 4], list("fedcba")], ids=str)
def test_frame_by_two_columns_on_any_index(index):
    # Several key columns are matched to the rows by position, whatever the index.
    frame = pd.DataFrame(
        {"a": list("xxyyxy"), "b": [1, 1, 1, 1, 2, 1], "v": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, index=index
    )
    expected = pd.DataFrame({"v": [1.0, 1.5, 3.0, 3.5, 5.0, 5.0]}, index=frame.index)
    tm.assert_frame_equal(frame.rollmed.window(2, min_periods=1, by=["a", "b"]), expected)
    tm.assert_frame_equal(frame_by(frame, ["a", "b"], "rolling", 2, min_periods=1), expected)
    expected = pd.DataFrame({"v": [1.0, 1.5, 3.0, 3.5, 5.0, 4.0]}, index=frame.index)
    tm.assert_frame_equal(frame.rollmed.expanding(by=["a", "b"]), expected)


def test_frame_by_a_list_of_one_column(frame):
    data = frame.drop(columns="site")
    tm.assert_frame_equal(data.rollmed.window(5, by=["sensor"]), data.rollmed.window(5, by="sensor"))


@pytest.mark.parametrize("min_periods", [0, 1, 4])
def test_frame_expanding_by_matches_pandas(frame, min_periods):
    data = frame.drop(columns="sensor")
    expected = frame_by(data, "site", "expanding", min_periods=min_periods)
    tm.assert_frame_equal(data.rollmed.expanding(min_periods, by="site"), expected, check_exact=True)


def test_frame_quantiles_by_with_exact_integers(frame):
    data = frame.drop(columns="site")
    expected = frame_by(
        data, "sensor", "rolling", 5, min_periods=1, stat="quantile", stat_args=(0.75, "higher")
    )
    result = data.rollmed.window(5, min_periods=1, q=0.75, interpolation="higher", by="sensor")
    assert result["count"].dtype == "Int64"
    tm.assert_frame_equal(result, expected.astype({"count": "Int64"}), check_exact=True)


def test_assigning_a_column_back(frame):
    df = frame.drop(columns="site")
    df["x_med"] = df.rollmed.window(9, by="sensor")["x"]
    expected = frame_by(frame.drop(columns="site"), "sensor", "rolling", 9)["x"].rename("x_med")
    tm.assert_series_equal(df["x_med"], expected, check_exact=True)
    tm.assert_frame_equal(df.drop(columns="x_med"), frame.drop(columns="site"))


def test_a_missing_by_column_is_a_key_error(frame):
    with pytest.raises(KeyError, match="sensr"):
        frame.rollmed.window(3, by="sensr")
    with pytest.raises(KeyError, match="nowhere"):
        frame.rollmed.window(3, by=["sensor", "nowhere"])
    with pytest.raises(KeyError, match="sensr"):
        frame.rollmed.expanding(by="sensr")


def test_step_with_by_raises(series):
    with pytest.raises(ValueError, match="step"):
        series.rollmed.window(3, step=2, by=KEYS)


def test_keys_of_the_wrong_length_raise(series):
    with pytest.raises(ValueError, match="one key per row"):
        series.rollmed.window(3, by=KEYS[:-1])


# Hypothesis: random small-alphabet keys make interleaved groups of every size.


@st.composite
def keyed_series(draw):
    n = draw(st.integers(0, 60))
    keys = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    values = draw(hnp.arrays(np.float64, n, elements=st.one_of(finite_floats, st.just(np.nan))))
    return pd.Series(values, name="v"), np.array(keys, dtype=object)


@settings(max_examples=150)
@given(
    data=keyed_series(),
    window=windows(1, 12),
    min_periods=st.one_of(st.none(), st.integers(0, 12)),
    center=st.booleans(),
    closed=st.sampled_from(CLOSED),
)
def test_window_by_equals_pandas(data, window, min_periods, center, closed):
    series, keys = data
    if min_periods is not None and min_periods > window:
        min_periods = window
    kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
    expected = pandas_by(series, keys, "rolling", window, **kwargs)
    tm.assert_series_equal(series.rollmed.window(window, by=keys, **kwargs), expected, check_exact=True)


@settings(max_examples=100)
@given(data=keyed_series(), min_periods=st.integers(0, 5))
def test_expanding_by_equals_pandas(data, min_periods):
    series, keys = data
    expected = pandas_by(series, keys, "expanding", min_periods=min_periods)
    tm.assert_series_equal(series.rollmed.expanding(min_periods, by=keys), expected, check_exact=True)


@settings(max_examples=100)
@given(
    data=keyed_series(),
    gaps=st.lists(st.sampled_from([1, 2, 3, 8, 40]), min_size=60, max_size=60),
    window_ms=st.integers(0, 16).map(lambda k: k * 250),
    closed=st.sampled_from(CLOSED),
    center=st.booleans(),
)
def test_time_window_by_equals_pandas(data, gaps, window_ms, closed, center):
    # Rising timestamps without duplicates: duplicates and the centring rules are tested on their own in
    # test_time_windows; here the groups are what varies.
    series, keys = data
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(gaps[: len(series)]) * 250, unit="ms")
    series.index = pd.DatetimeIndex(times).as_unit("us")
    window = pd.Timedelta(window_ms, unit="ms")
    expected = pandas_by(series, keys, "rolling", window, closed=closed, center=center, on_index=True)
    result = series.rollmed.window(window, closed=closed, center=center, by=keys)
    tm.assert_series_equal(result, expected, check_exact=True)


# Threads


@pytest.fixture
def restore_threads():
    before = rollmed.get_num_threads()
    yield
    rollmed.set_num_threads(before)


@pytest.fixture(scope="module")
def big_frame():
    local = np.random.default_rng(99)
    n = 200_000
    x = local.normal(size=n)
    x[local.random(n) < 0.05] = np.nan
    steps = local.integers(0, 4, size=n)
    return pd.DataFrame(
        {
            "g": local.integers(0, 1000, size=n),
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(steps), unit="s"),
            "x": x,
            "y": local.integers(-100, 100, size=n),
            "z": local.normal(size=n).astype(np.float32),
        }
    )


def test_results_do_not_depend_on_the_thread_count(big_frame, restore_threads):
    runs = {}
    for threads in (1, 2):
        rollmed.set_num_threads(threads)
        assert rollmed.get_num_threads() == threads
        runs[threads] = [
            big_frame.rollmed.window(25, min_periods=1, center=True, by="g", numeric_only=True),
            big_frame.rollmed.window(
                7, closed="both", q=0.3, interpolation="lower", by="g", numeric_only=True
            ),
            big_frame.rollmed.window("90s", on="ts", by="g"),
            big_frame.rollmed.expanding(by="g", q=0.9, interpolation="nearest", numeric_only=True),
            big_frame[["x", "z"]].rollmed.window(101, center=True),
            big_frame["x"].rollmed.window(15, by=big_frame["g"]),
        ]
    for one, two in zip(runs[1], runs[2], strict=True):
        if isinstance(one, pd.DataFrame):
            tm.assert_frame_equal(one, two, check_exact=True)
        else:
            tm.assert_series_equal(one, two, check_exact=True)
    expected = frame_by(big_frame[["g", "x", "y", "z"]], "g", "rolling", 25, min_periods=1, center=True)
    tm.assert_frame_equal(runs[2][0], expected, check_exact=True)


@given(
    keys=st.lists(st.sampled_from([-(2**62), -3, 0, 1, 7, 2**40, 2**62]), min_size=1, max_size=60),
    dtype=st.sampled_from(["int64", "int8", "uint64"]),
)
def test_integer_keys_are_groups_like_any_other(keys, dtype):
    # Integer keys of a narrow range number themselves; a wide range is hashed like other keys.
    keys = np.array(keys)
    if dtype != "int64":
        keys = np.clip(keys, *((0, 2**63) if dtype == "uint64" else (-128, 127))).astype(dtype)
    values = pd.Series(np.arange(len(keys), dtype=np.float64))
    as_text = keys.astype(str)
    for by in (keys, pd.Series(keys)):
        tm.assert_series_equal(values.rollmed.window(2, 1, by=by), values.rollmed.window(2, 1, by=as_text))
