"""The DataFrame accessor: every numeric column at once, like ``df.rolling(...).median()``."""

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

import rollmed  # noqa: F401  (registers the accessor)

CLOSED = [None, "right", "left", "both", "neither"]
N = 40


def make_frame(n=N, seed=0):
    """Columns of several numeric dtypes, in no sorted order, on an index of strings in reverse."""
    rng = np.random.default_rng(seed)
    f64 = np.round(rng.normal(size=n) * 8) / 4
    f64[5:11] = np.nan
    f64[rng.random(n) < 0.1] = np.nan
    int_na = pd.array(rng.integers(-9, 9, size=n), dtype="Int64")
    int_na[rng.random(n) < 0.15] = pd.NA
    return pd.DataFrame(
        {
            "zeta": f64,
            "count": rng.integers(-50, 50, size=n).astype(np.int64),
            "f32": (rng.normal(size=n) * 3).astype(np.float32),
            "Int": int_na,
            "flag": rng.random(n) < 0.4,
        },
        index=pd.Index([f"r{i:02d}" for i in range(n)][::-1], name="row"),
    )


@pytest.fixture
def frame():
    return make_frame()


def test_fixture_has_the_dtypes_meant(frame):
    assert [str(dtype) for dtype in frame.dtypes] == ["float64", "int64", "float32", "Int64", "bool"]
    assert frame["Int"].isna().any() and frame["zeta"].isna().any()


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("window", [1, 2, 3, 5, 161])
def test_window_matches_pandas(frame, window, closed, center):
    for min_periods in [None, 0, 1, 2]:
        if min_periods is not None and min_periods > window:
            continue
        kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
        expected = frame.rolling(window, **kwargs).median()
        result = frame.rollmed.window(window, **kwargs)
        tm.assert_frame_equal(result, expected, check_exact=True, obj=f"min_periods={min_periods}")


@pytest.mark.parametrize("min_periods", [0, 1, 3, 100])
def test_expanding_matches_pandas(frame, min_periods):
    expected = frame.expanding(min_periods=min_periods).median()
    tm.assert_frame_equal(frame.rollmed.expanding(min_periods), expected, check_exact=True)


@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_step_matches_pandas(frame, step):
    for window, center in [(3, False), (4, True), (10, True)]:
        expected = frame.rolling(window, min_periods=1, center=center, step=step).median()
        result = frame.rollmed.window(window, min_periods=1, center=center, step=step)
        tm.assert_frame_equal(result, expected, check_exact=True)


def test_index_and_column_order_kept(frame):
    shuffled = frame[["flag", "Int", "zeta", "f32", "count"]]
    shuffled.columns.name = "what"
    for result in (shuffled.rollmed.window(3), shuffled.rollmed.expanding()):
        assert list(result.columns) == ["flag", "Int", "zeta", "f32", "count"]
        assert result.index.equals(frame.index)
        assert result.index.name == "row"
        assert (result.dtypes == np.float64).all()
        assert result.columns.name == "what"  # as pandas keeps it
    tm.assert_frame_equal(shuffled.rollmed.window(3), shuffled.rolling(3).median(), check_exact=True)


def test_columns_match_their_own_series(frame):
    result = frame.rollmed.window(4, min_periods=2, center=True, closed="both")
    for name in frame.columns:
        expected = frame[name].rollmed.window(4, min_periods=2, center=True, closed="both")
        tm.assert_series_equal(result[name], expected, check_exact=True)


def test_single_column_and_empty_frames():
    single = pd.DataFrame({"x": [3.0, 1.0, 2.0, np.nan, 5.0]})
    tm.assert_frame_equal(single.rollmed.window(2), single.rolling(2).median(), check_exact=True)
    empty = pd.DataFrame({"x": pd.Series([], dtype=np.float64), "y": pd.Series([], dtype=np.int64)})
    tm.assert_frame_equal(empty.rollmed.window(3), empty.rolling(3).median())
    tm.assert_frame_equal(empty.rollmed.expanding(), empty.expanding().median())


# on=: a time window over a datetime column


def frame_on_times(n=N, seed=1):
    rng = np.random.default_rng(seed)
    frame = make_frame(n, seed)
    steps = rng.choice([250, 500, 1000, 2000, 3000, 45_000, 200_000], size=n)
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(steps), unit="ms")
    frame.insert(2, "ts", pd.DatetimeIndex(times).as_unit("us"))
    return frame


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("window", ["1s", "3s", "5min", pd.Timedelta(milliseconds=2500)], ids=str)
def test_on_time_window_matches_pandas(window, closed, center):
    frame = frame_on_times()
    for min_periods in [None, 0, 2]:
        kwargs = {"min_periods": min_periods, "center": center, "closed": closed}
        expected = frame.rolling(window, on="ts", **kwargs).median()
        result = frame.rollmed.window(window, on="ts", **kwargs)
        tm.assert_frame_equal(result, expected, check_exact=True)
        assert list(result.columns) == list(frame.columns)
        tm.assert_series_equal(result["ts"], frame["ts"])


def test_on_equals_the_same_times_as_index():
    frame = frame_on_times()
    by_column = frame.rollmed.window("3s", on="ts")
    by_index = frame.set_index("ts").rollmed.window("3s")
    tm.assert_frame_equal(by_column.drop(columns="ts"), by_index.set_axis(frame.index), check_exact=True)


def test_on_with_a_window_of_rows_keeps_the_column():
    frame = frame_on_times()
    expected = frame.rolling(3, on="ts", min_periods=1).median()
    tm.assert_frame_equal(frame.rollmed.window(3, on="ts", min_periods=1), expected, check_exact=True)


def test_on_tz_aware_column():
    frame = frame_on_times()
    frame["ts"] = frame["ts"].dt.tz_localize("Europe/Paris")
    expected = frame.rolling("5s", on="ts").median()
    tm.assert_frame_equal(frame.rollmed.window("5s", on="ts"), expected, check_exact=True)


def test_on_errors():
    frame = frame_on_times()
    with pytest.raises(KeyError, match="nope"):
        frame.rollmed.window("3s", on="nope")
    with pytest.raises(ValueError, match="DatetimeIndex"):
        frame.rollmed.window("3s", on="count", numeric_only=True)
    with pytest.raises(ValueError, match="monotonic"):
        frame.iloc[[0, 2, 1, 3]].rollmed.window("3s", on="ts")


# numeric_only


@pytest.fixture
def with_text(frame):
    return frame.drop(columns="flag").assign(name=[f"n{i}" for i in range(N)])


def test_non_numeric_column_raises_naming_it(with_text):
    with pytest.raises(TypeError, match="'name'"):
        with_text.rollmed.window(3)
    with pytest.raises(TypeError, match="'name'"):
        with_text.rollmed.expanding()
    with pytest.raises(TypeError, match="'cat'"):
        with_text.drop(columns="name").assign(cat=pd.Categorical(["a"] * N)).rollmed.window(3)


def test_numeric_only_leaves_them_out(with_text):
    numeric = with_text.drop(columns="name")
    result = with_text.rollmed.window(3, min_periods=1, numeric_only=True)
    tm.assert_frame_equal(result, numeric.rollmed.window(3, min_periods=1), check_exact=True)
    tm.assert_frame_equal(
        result, with_text.rolling(3, min_periods=1).median(numeric_only=True), check_exact=True
    )
    result = with_text.rollmed.expanding(numeric_only=True)
    tm.assert_frame_equal(result, with_text.expanding().median(numeric_only=True), check_exact=True)


# Quantiles and exact integers


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantiles_match_pandas(frame, q, interpolation):
    exact = interpolation in ("lower", "higher", "nearest")
    integer_columns = {"count": "Int64", "Int": "Int64"} if exact else {}
    for window, center in [(4, False), (5, True)]:
        expected = frame.rolling(window, min_periods=1, center=center).quantile(
            q, interpolation=interpolation
        )
        result = frame.rollmed.window(window, min_periods=1, center=center, q=q, interpolation=interpolation)
        tm.assert_frame_equal(result, expected.astype(integer_columns), check_exact=False, rtol=1e-12, atol=0)
    expected = frame.expanding().quantile(q, interpolation=interpolation)
    result = frame.rollmed.expanding(q=q, interpolation=interpolation)
    tm.assert_frame_equal(result, expected.astype(integer_columns), check_exact=False, rtol=1e-12, atol=0)


def _exact_reference(values, window, how):
    """The rolling lower or higher median, or the floor of their midpoint, on Python ints."""
    out = []
    for i in range(len(values)):
        present = sorted(v for v in values[max(0, i - window + 1) : i + 1] if v is not None)
        if not present:
            out.append(None)
            continue
        low, high = present[(len(present) - 1) // 2], present[len(present) // 2]
        out.append({"lower": low, "higher": high, "floor": (low + high) // 2}[how])
    return out


@pytest.mark.parametrize("how", ["lower", "higher", "floor"])
def test_exact_integer_results(how):
    big = 2**62
    raw = [big + 1, big + 3, None, -big - 1, big + 5, 7, -3, big + 2, None, None, 2**63 - 1, -(2**63)]
    frame = pd.DataFrame(
        {"i": pd.array(raw, dtype="Int64"), "plain": pd.array([0 if v is None else v for v in raw])}
    )
    result = frame.rollmed.window(3, min_periods=1, interpolation=how)
    assert list(result.dtypes.astype(str)) == ["Int64", "Int64"]
    tm.assert_series_equal(result["i"], pd.Series(_exact_reference(raw, 3, how), dtype="Int64", name="i"))
    plain = [0 if v is None else v for v in raw]
    tm.assert_series_equal(
        result["plain"], pd.Series(_exact_reference(plain, 3, how), dtype="Int64", name="plain")
    )


def test_uint64_gives_uint64():
    top = 2**64 - 1
    frame = pd.DataFrame({"u": np.array([top, top - 2, 5, top - 1], dtype=np.uint64)})
    result = frame.rollmed.window(2, interpolation="lower")
    tm.assert_frame_equal(result, pd.DataFrame({"u": pd.array([None, top - 2, 5, 5], dtype="UInt64")}))


def test_integer_columns_with_lower_interpolation_are_int64(frame):
    result = frame.rollmed.window(3, interpolation="lower", q=0.5)
    assert [str(dtype) for dtype in result.dtypes] == ["float64", "Int64", "float64", "Int64", "float64"]
    expected = (
        frame.rolling(3).quantile(0.5, interpolation="lower").astype({"count": "Int64", "Int": "Int64"})
    )
    tm.assert_frame_equal(result, expected, check_exact=True)


# The frame itself


def test_frame_not_modified_and_results_not_views(frame):
    before = frame.copy(deep=True)
    results = [
        frame.rollmed.window(1),
        frame.rollmed.window(3, center=True, closed="both"),
        frame.rollmed.window(3, interpolation="lower"),
        frame.rollmed.expanding(),
        frame.rollmed.window(3, by="flag"),
    ]
    tm.assert_frame_equal(frame, before)
    for result in results:
        result.iloc[:, 0] = 99
    tm.assert_frame_equal(frame, before)


def test_frame_with_on_not_modified():
    frame = frame_on_times()
    before = frame.copy(deep=True)
    result = frame.rollmed.window("3s", on="ts")
    expected = frame.rolling("3s", on="ts").median()
    # The result is the caller's to change, as pandas' is; the frame stays as it was.
    late = frame["ts"].iloc[-1]
    column = list(frame.columns).index("ts")
    expected.iloc[0, column] = late
    result.iloc[0, column] = late
    tm.assert_frame_equal(result, expected, check_exact=True)
    tm.assert_frame_equal(frame, before)


def test_method_chain(frame):
    result = (
        frame.drop(columns=["Int", "flag"])
        .pipe(lambda df: df.rollmed.window(5, min_periods=1, center=True))
        .assign(spread=lambda df: df["zeta"] - df["f32"])
        .pipe(lambda df: df.rollmed.expanding())
    )
    smooth = frame.drop(columns=["Int", "flag"]).rolling(5, min_periods=1, center=True).median()
    expected = smooth.assign(spread=smooth["zeta"] - smooth["f32"]).expanding().median()
    tm.assert_frame_equal(result, expected, check_exact=True)
    assigned = frame.assign(
        smooth=lambda df: df.rollmed.window(3, min_periods=1)["zeta"],
        running=lambda df: df.pipe(lambda d: d.rollmed.expanding(numeric_only=True))["count"],
    )
    tm.assert_series_equal(
        assigned["smooth"], frame["zeta"].rolling(3, min_periods=1).median().rename("smooth")
    )
    tm.assert_series_equal(assigned["running"], frame["count"].expanding().median().rename("running"))


def test_several_quantiles_over_an_on_column_keep_it_once():
    frame = pd.DataFrame(
        {
            "t": pd.date_range("2024-01-01", periods=9, freq="s"),
            "a": np.arange(9.0),
            "b": np.arange(9.0)[::-1] ** 2,
        }
    )
    result = frame.rollmed.window("3s", on="t", q=[0.1, 0.9])
    assert result.columns.tolist() == [("t", ""), ("a", 0.1), ("a", 0.9), ("b", 0.1), ("b", 0.9)]
    pd.testing.assert_series_equal(result[("t", "")], frame["t"], check_names=False)
    for q in (0.1, 0.9):
        one = frame.rollmed.window("3s", on="t", q=q)
        for column in ("a", "b"):
            np.testing.assert_array_equal(result[(column, q)], one[column])
