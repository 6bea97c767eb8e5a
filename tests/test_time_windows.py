"""Time windows, window indexers and ``step``: rollmed against pandas' ``rolling`` on the same arguments."""

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pandas.api.indexers import BaseIndexer, FixedForwardWindowIndexer, VariableOffsetWindowIndexer

import rollmed  # noqa: F401  (registers the accessor)
from tests import reference
from tests.strategies import finite_floats

CLOSED = [None, "right", "left", "both", "neither"]
OFFSETS = ["1s", "3s", "5min", pd.Timedelta(milliseconds=2500)]
MIN_PERIODS = [None, 0, 2]


def irregular_times(n, seed, duplicates=True, start="2024-03-10 06:50:00"):
    """``n`` rising timestamps with gaps from a quarter second to minutes; zero gaps make duplicates."""
    rng = np.random.default_rng(seed)
    gaps_ms = [250, 500, 1000, 1000, 1500, 2000, 3000, 7000, 45_000, 200_000]
    if duplicates:
        gaps_ms += [0, 0, 0]
    steps = rng.choice(gaps_ms, size=n)
    return pd.DatetimeIndex(pd.Timestamp(start) + pd.to_timedelta(np.cumsum(steps), unit="ms"))


def values_with_gaps(n, seed):
    """Values with ties, a long run of NaN and scattered NaN."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-20, 20, size=n) / 4.0
    values[n // 3 : n // 3 + 6] = np.nan
    values[rng.random(n) < 0.1] = np.nan
    return values


N = 60


def _index(kind):
    times = irregular_times(N, seed=11, duplicates=kind != "unique")
    if kind in ("ns", "decreasing"):
        times = times.as_unit("ns")
    elif kind in ("us", "unique"):
        times = times.as_unit("us")
    elif kind == "tz":  # across the New York DST change of 2024-03-10 07:00 UTC
        times = times.as_unit("us").tz_localize("UTC").tz_convert("America/New_York")
    return times[::-1] if kind == "decreasing" else times


INDEX_KINDS = ["ns", "us", "tz", "decreasing", "unique"]  # all but "unique" have duplicate timestamps


def assert_like_pandas(series, window, closed=None, center=False, min_periods=None, **rolling_kwargs):
    expected = series.rolling(
        window, min_periods=min_periods, center=center, closed=closed, **rolling_kwargs
    ).median()
    result = series.rollmed.window(window, min_periods=min_periods, center=center, closed=closed)
    tm.assert_series_equal(result, expected, check_exact=True)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("window", OFFSETS, ids=str)
@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_time_window_matches_pandas(kind, window, closed, center):
    series = pd.Series(values_with_gaps(N, seed=5), index=_index(kind), name="v")
    for min_periods in MIN_PERIODS:
        expected = series.rolling(window, min_periods=min_periods, center=center, closed=closed).median()
        result = series.rollmed.window(window, min_periods=min_periods, center=center, closed=closed)
        tm.assert_series_equal(result, expected, check_exact=True, obj=f"min_periods={min_periods}")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_every_unit_gives_the_same_windows(unit):
    times = irregular_times(30, seed=3, duplicates=False).as_unit(unit)
    series = pd.Series(values_with_gaps(30, seed=4), index=times)
    for window in ["1s", "3s", "5min"]:
        result = series.rollmed.window(window)
        tm.assert_series_equal(result, series.rolling(window).median(), check_exact=True)
        reference = pd.Series(series.to_numpy(), index=times.as_unit("ns")).rollmed.window(window)
        np.testing.assert_array_equal(result.to_numpy(), reference.to_numpy())


def test_timedelta_window_equals_string_window():
    series = pd.Series(values_with_gaps(40, seed=8), index=irregular_times(40, seed=9))
    tm.assert_series_equal(
        series.rollmed.window(pd.Timedelta(seconds=3)), series.rollmed.window("3s"), check_exact=True
    )
    tm.assert_series_equal(
        series.rollmed.window(pd.offsets.Second(3)), series.rollmed.window("3s"), check_exact=True
    )


def test_time_window_on_timedelta_index():
    series = pd.Series(values_with_gaps(30, seed=2), index=pd.to_timedelta(np.arange(30) * 700, unit="ms"))
    assert_like_pandas(series, "2s")
    assert_like_pandas(series, "2s", center=True, closed="both")


def test_default_min_periods_is_one_for_time_windows():
    times = pd.date_range("2024-01-01", periods=5, freq="10s")
    series = pd.Series([1.0, np.nan, 3.0, 4.0, np.nan], index=times)
    result = series.rollmed.window("1s")
    tm.assert_series_equal(result, pd.Series([1.0, np.nan, 3.0, 4.0, np.nan], index=times))
    tm.assert_series_equal(result, series.rolling("1s").median())


def test_long_nan_gap_with_min_periods():
    times = pd.date_range("2024-01-01", periods=20, freq="s", unit="us")
    values = np.arange(20.0)
    values[3:15] = np.nan
    series = pd.Series(values, index=times)
    for min_periods in [0, 1, 2, 3]:
        assert_like_pandas(series, "4s", min_periods=min_periods)
        assert_like_pandas(series, "4s", min_periods=min_periods, center=True)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
def test_all_timestamps_equal(closed, center):
    series = pd.Series([3.0, 1.0, np.nan, 2.0, 8.0], index=pd.DatetimeIndex(["2024-01-01"] * 5))
    for window in ["0s", "1s"]:
        assert_like_pandas(series, window, closed=closed, center=center)


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.75, 1.0])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_time_window_quantiles(q, interpolation):
    series = pd.Series(values_with_gaps(50, seed=6), index=irregular_times(50, seed=7, duplicates=False))
    for window, center in [("3s", False), ("5min", False), ("3s", True)]:
        expected = series.rolling(window, center=center).quantile(q, interpolation=interpolation)
        result = series.rollmed.window(window, center=center, q=q, interpolation=interpolation)
        tm.assert_series_equal(result, expected, check_exact=False, rtol=1e-12, atol=0)


# Minimal cases, one per rule of pandas' time windows that the grid above also covers.


@pytest.mark.parametrize("closed", ["left", "neither"])
def test_open_right_end_leaves_out_rows_at_the_same_time(closed):
    # The window of a row ends before its time: rows sharing that time are outside (pandas >= 2.2).
    series = pd.Series([1.0, 2.0, 3.0], index=pd.DatetimeIndex(["2024-01-01"] * 2 + ["2024-01-01 00:00:01"]))
    expected = pd.Series([np.nan, np.nan, 1.5], index=series.index)
    tm.assert_series_equal(series.rolling("2s", closed=closed).median(), expected)
    tm.assert_series_equal(series.rollmed.window("2s", closed=closed), expected)


def test_centred_window_takes_every_row_at_its_closed_end():
    times = pd.to_datetime(["2024-01-01 00:00:00", "2024-01-01 00:00:01"] + ["2024-01-01 00:00:02"] * 2)
    series = pd.Series([1.0, 2.0, 3.0, 4.0], index=times)
    expected = pd.Series([1.5, 3.0, 3.5, 3.5], index=times)  # row 1 covers (0s, 2s]: rows 1, 2 and 3
    tm.assert_series_equal(series.rolling("2s", center=True).median(), expected)
    tm.assert_series_equal(series.rollmed.window("2s", center=True), expected)


def test_centred_window_on_a_decreasing_index_holds_its_own_row():
    series = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3, freq="s")[::-1])
    expected = pd.Series([1.0, 2.0, 3.0], index=series.index)
    tm.assert_series_equal(series.rolling("1s", center=True).median(), expected)
    tm.assert_series_equal(series.rollmed.window("1s", center=True), expected)


def test_centred_window_half_is_not_rounded():
    # A 3 s window centred on a row covers 1.5 s either side: the rows 2 s away are outside.
    series = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2024-01-01", periods=3, freq="2s", unit="s"))
    expected = pd.Series([1.0, 2.0, 3.0], index=series.index)
    tm.assert_series_equal(series.rolling("3s", center=True, closed="both").median(), expected)
    tm.assert_series_equal(series.rollmed.window("3s", center=True, closed="both"), expected)


def test_centred_window_at_nanosecond_resolution():
    # Nanosecond times of today are near 1.7e18: exact in int64, not in float64.
    times = pd.date_range("2024-01-01 00:00:00.000000001", periods=4, freq="s", unit="ns")
    series = pd.Series([1.0, 2.0, 3.0, 4.0], index=times)
    expected = pd.Series([1.5, 2.5, 3.5, 4.0], index=times)
    tm.assert_series_equal(series.rolling("2s", center=True).median(), expected)
    tm.assert_series_equal(series.rollmed.window("2s", center=True), expected)


@pytest.mark.parametrize("closed", CLOSED)
def test_centred_windows_on_nanosecond_times(closed):
    # Gaps of a few hundred nanoseconds, windows that end between representable float64 values.
    steps = np.random.default_rng(0).integers(0, 400, size=40).cumsum()
    times = pd.DatetimeIndex(
        pd.Timestamp("2024-05-05 00:00:00.000000007") + pd.to_timedelta(steps, unit="ns")
    )
    series = pd.Series(values_with_gaps(40, seed=1), index=times.as_unit("ns"))
    for window in ["1s", pd.Timedelta(1, unit="us"), pd.Timedelta(101, unit="ns")]:
        assert_like_pandas(series, window, closed=closed, center=True)
        assert_like_pandas(series, window, closed=closed, center=False)


@st.composite
def timed_series(draw):
    """A Series on irregular timestamps: gaps of 0 (duplicates) to 10 s, in ns or us, either direction."""
    n = draw(st.integers(0, 40))
    gaps = draw(st.lists(st.sampled_from([0, 0, 1, 1, 2, 3, 5, 8, 40]), min_size=n, max_size=n))
    unit = draw(st.sampled_from(["ns", "us"]))
    # A start off the whole second, down to the nanosecond where the unit has them.
    offset_ns = draw(st.integers(0, 10**9 - 1)) if unit == "ns" else draw(st.integers(0, 10**6 - 1)) * 1000
    start = pd.Timestamp("2024-01-01") + pd.Timedelta(offset_ns, unit="ns")
    times = pd.DatetimeIndex(start + pd.to_timedelta(np.cumsum(gaps, dtype=np.int64) * 250, unit="ms"))
    times = times.as_unit(unit)
    if draw(st.booleans()):
        times = times[::-1]
    values = draw(hnp.arrays(np.float64, n, elements=st.one_of(finite_floats, st.just(np.nan))))
    return pd.Series(values, index=times, name="v")


@settings(max_examples=150)
@given(
    series=timed_series(),
    window_ms=st.one_of(st.integers(0, 12).map(lambda k: k * 250), st.integers(1, 5000)),
    closed=st.sampled_from(CLOSED),
    center=st.booleans(),
    min_periods=st.one_of(st.none(), st.integers(0, 3)),
)
def test_time_windows_equal_pandas(series, window_ms, closed, center, min_periods):
    window = pd.Timedelta(window_ms, unit="ms")
    expected = series.rolling(window, min_periods=min_periods, center=center, closed=closed).median()
    result = series.rollmed.window(window, min_periods=min_periods, center=center, closed=closed)
    tm.assert_series_equal(result, expected, check_exact=True)


# Errors


@pytest.fixture
def timed():
    return pd.Series(np.arange(6.0), index=pd.date_range("2024-01-01", periods=6, freq="s"), name="t")


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(6),
        pd.Index([0.5, 1.0, 2.0, 3.0, 4.0, 5.0]),
        pd.Index(list("abcdef")),
    ],
    ids=["RangeIndex", "float", "str"],
)
def test_time_window_needs_a_datetime_index(index):
    series = pd.Series(np.arange(6.0), index=index)
    with pytest.raises(ValueError, match="DatetimeIndex"):
        series.rollmed.window("2s")


def test_time_window_needs_a_monotonic_index(timed):
    shuffled = timed.iloc[[0, 2, 1, 3, 4, 5]]
    with pytest.raises(ValueError, match="monotonic"):
        shuffled.rollmed.window("2s")
    with pytest.raises(ValueError, match="monotonic"):
        shuffled.rolling("2s").median()  # pandas agrees


@pytest.mark.parametrize(
    "window",
    ["1ME", pd.offsets.MonthEnd(), "1W", pd.offsets.BDay(), pd.DateOffset(months=1)],
    ids=str,
)
def test_non_fixed_offsets_raise(timed, window):
    with pytest.raises(ValueError):
        timed.rolling(window).median()  # pandas refuses them too
    with pytest.raises(ValueError, match="fixed"):
        timed.rollmed.window(window)


def test_step_with_a_time_window_raises(timed):
    with pytest.raises(ValueError, match="step"):
        timed.rollmed.window("2s", step=2)


def test_nat_in_the_index_raises():
    series = pd.Series([1.0, 2.0, 3.0], index=pd.DatetimeIndex(["2024-01-01", None, "2024-01-02"]))
    with pytest.raises(ValueError, match="NaT"):
        series.rollmed.window("1D")


# Window indexers

VALUES = [1.0, 5.0, 2.0, np.nan, 4.0, 8.0, 3.0, 7.0, np.nan, np.nan, 6.0, 0.0, 9.0]


@pytest.mark.parametrize("window_size", [1, 2, 3, 5, 20])
@pytest.mark.parametrize("min_periods", [None, 0, 1, 2])
def test_forward_indexer_matches_pandas(window_size, min_periods):
    series = pd.Series(VALUES, index=pd.Index(np.arange(len(VALUES)) * 3), name="f")
    indexer = FixedForwardWindowIndexer(window_size=window_size)
    expected = series.rolling(indexer, min_periods=min_periods).median()
    tm.assert_series_equal(
        series.rollmed.window(indexer, min_periods=min_periods), expected, check_exact=True
    )


def test_forward_indexer_default_min_periods_is_its_window_size():
    # pandas reads a missing min_periods as the indexer's window_size.
    series = pd.Series([1.0, np.nan, 3.0, 4.0])
    expected = pd.Series([np.nan, np.nan, 3.5, np.nan])
    tm.assert_series_equal(series.rolling(FixedForwardWindowIndexer(window_size=2)).median(), expected)
    tm.assert_series_equal(series.rollmed.window(FixedForwardWindowIndexer(window_size=2)), expected)


@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_forward_indexer_with_step(step):
    series = pd.Series(VALUES)
    indexer = FixedForwardWindowIndexer(window_size=3)
    expected = series.rolling(indexer, min_periods=1, step=step).median()
    tm.assert_series_equal(
        series.rollmed.window(indexer, min_periods=1, step=step), expected, check_exact=True
    )


def test_forward_indexer_with_quantile():
    series = pd.Series(VALUES)
    indexer = FixedForwardWindowIndexer(window_size=4)
    expected = series.rolling(indexer, min_periods=1).quantile(0.8, interpolation="linear")
    result = series.rollmed.window(indexer, min_periods=1, q=0.8)
    tm.assert_series_equal(result, expected, check_exact=False, rtol=1e-12)


def test_forward_indexer_refuses_center_as_pandas():
    series = pd.Series(VALUES)
    with pytest.raises(ValueError):
        series.rolling(FixedForwardWindowIndexer(window_size=2), center=True).median()
    with pytest.raises(ValueError):
        series.rollmed.window(FixedForwardWindowIndexer(window_size=2), center=True)


@pytest.mark.parametrize("min_periods", [None, 1, 2])
def test_variable_offset_indexer_matches_pandas(min_periods):
    times = pd.date_range("2024-01-31", periods=len(VALUES), freq="D")
    series = pd.Series(VALUES, index=times)
    indexer = VariableOffsetWindowIndexer(index=times, offset=pd.offsets.BDay(1))
    expected = series.rolling(indexer, min_periods=min_periods).median()
    tm.assert_series_equal(
        series.rollmed.window(indexer, min_periods=min_periods), expected, check_exact=True
    )


class PreviousRows(BaseIndexer):
    """The ``window_size`` rows before each row, not the row itself: monotone bounds."""

    def get_window_bounds(self, num_values=0, min_periods=None, center=None, closed=None, step=None):
        end = np.arange(num_values, dtype=np.int64)
        return np.clip(end - self.window_size, 0, None), end


class Backwards(BaseIndexer):
    """Windows that jump back to the start every third row: bounds that move backwards."""

    def get_window_bounds(self, num_values=0, min_periods=None, center=None, closed=None, step=None):
        end = np.arange(1, num_values + 1, dtype=np.int64)
        start = np.where(end % 3 == 0, 0, np.maximum(end - 2, 0))
        return start.astype(np.int64), end


def test_custom_indexer_matches_pandas():
    series = pd.Series(VALUES)
    for min_periods in [None, 1, 2]:
        indexer = PreviousRows(window_size=3)
        expected = series.rolling(indexer, min_periods=min_periods).median()
        result = series.rollmed.window(indexer, min_periods=min_periods)
        tm.assert_series_equal(result, expected, check_exact=True)


def test_custom_indexer_moving_backwards_raises():
    series = pd.Series(VALUES)
    series.rolling(Backwards(), min_periods=1).median()  # pandas takes them
    with pytest.raises(ValueError, match="backwards"):
        series.rollmed.window(Backwards(), min_periods=1)


# step with windows of a number of rows


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("step", [1, 2, 3, 7])
def test_step_matches_pandas(step, closed, center):
    series = pd.Series(VALUES * 2, index=pd.Index([f"r{i}" for i in range(2 * len(VALUES))]), name="s")
    for window in [1, 2, 3, 5, 30]:
        for min_periods in [None, 0, 1, 2]:
            if min_periods is not None and min_periods > window:
                continue
            expected = series.rolling(
                window, min_periods=min_periods, center=center, closed=closed, step=step
            ).median()
            result = series.rollmed.window(
                window, min_periods=min_periods, center=center, closed=closed, step=step
            )
            tm.assert_series_equal(result, expected, check_exact=True, obj=f"{window=} {min_periods=}")
            assert result.index.equals(expected.index)


@pytest.mark.parametrize("step", [1, 4, 100])
def test_step_with_quantiles_and_exact_integers(step):
    series = pd.Series([5, 3, 9, 1, 4, 4, 8, 2, 7, 6], dtype="int64")
    expected = series.rolling(3, min_periods=1, step=step).quantile(0.25, interpolation="lower")
    result = series.rollmed.window(3, min_periods=1, step=step, q=0.25, interpolation="lower")
    tm.assert_series_equal(result, expected.astype("Int64"), check_exact=True)


def test_step_on_empty_series():
    empty = pd.Series([], dtype=np.float64)
    tm.assert_series_equal(empty.rollmed.window(3, step=2), empty.rolling(3, step=2).median())


@pytest.mark.parametrize("step", [0, -1])
def test_step_below_one_raises(step):
    with pytest.raises(ValueError, match="step"):
        pd.Series(VALUES).rollmed.window(3, step=step)


def _span_of_widest(times_ns, width):
    """The shortest span (ns) whose widest trailing window (t - span, t] holds ``width`` rows.

    Distinct times: lengthening the span adds rows to windows one at a time, so the
    widest window grows by one at a time and the shortest span reaching ``width`` gives it.
    """

    def widest(span):
        return int(np.max(np.arange(len(times_ns)) + 1 - np.searchsorted(times_ns, times_ns - span, "right")))

    low, high = 0, int(times_ns[-1] - times_ns[0]) + 1
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if widest(middle) < width else (low, middle)
    assert widest(low) == width
    return low


@pytest.mark.parametrize("width", [7, 8, 64, 65, 256, 257])
def test_one_quantile_of_time_windows_on_both_sides_of_each_path(width):
    # One quantile of windows given by bounds: sorted afresh up to SORT_AFRESH_MAX (7);
    # for quantiles from 0.25 to 0.75 (HEAPS_TAIL), the sorted array up to
    # BOUNDS_SORTED_MAX (64), the heaps up to SORTED_ARRAY_MAX (256), the block window
    # above; the heaps for the others. The widest window decides; the others vary.
    rng = np.random.default_rng(width)
    n = 1500
    times_ns = np.cumsum(rng.integers(1, 2000, n)) * 1_000_000  # distinct, 1 ms to 2 s apart
    values = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, np.nan, 1e308, -1e308], n)
    values = values + rng.integers(0, 3, n)
    values[600:700] = np.nan
    index = pd.DatetimeIndex(times_ns.view("M8[ns]"))
    series = pd.Series(values, index=index)
    span = pd.Timedelta(_span_of_widest(times_ns, width), unit="ns")
    start, end = series.rolling(span)._get_window_indexer().get_window_bounds(n, 2, False, "right", None)
    assert np.max(end - start) == width and np.ptp(end - start) > 0
    for interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
        for q in (0.0, 0.1, 0.25, 0.5, 0.75, 0.8, 1.0):
            result = series.rollmed.window(span, 2, q=q, interpolation=interpolation).to_numpy()
            expected = reference.rolling_over_bounds(
                values, start, end, 2, lambda w, _, q=q, how=interpolation: reference.quantile_of(w, q, how)
            )
            np.testing.assert_array_equal(result, expected, err_msg=f"{interpolation} {q}")
