"""Robust statistics on every window kind: the MAD, ranks, several quantiles at once and the Hampel filter.

Each against a slow reference (tests/reference.py) over pandas' own window bounds, and
against pandas and bottleneck where they are right.
"""

import bottleneck as bn
import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pandas.api.indexers import FixedForwardWindowIndexer

import rollmed
from tests import reference
from tests.strategies import (
    NETWORK_WIDTHS,
    float_series,
    int64_values,
    pandas_safe_series,
    window_args,
    windows,
)

CLOSED = [None, "right", "left", "both", "neither"]
METHODS = ["average", "min", "max"]


def pandas_bounds(series, window, min_periods=None, center=False, closed=None, step=None):
    """pandas' bounds of each window of ``series.rolling(...)`` (every ``step``-th row), and min_periods."""
    rolling = series.rolling(window, min_periods=min_periods, center=center, closed=closed, step=step)
    start, end = rolling._get_window_indexer().get_window_bounds(
        num_values=len(series), min_periods=rolling.min_periods, center=center, closed=closed, step=step
    )
    # pandas' default min_periods: the window for a number of rows, 1 for a time span.
    min_count = rolling.min_periods if rolling.min_periods is not None else window
    return start, end, min_count


def reference_mad(series, window, **kwargs):
    start, end, min_count = pandas_bounds(series, window, **kwargs)
    return reference.rolling_over_bounds(
        series.to_numpy(), start, end, min_count, lambda w, _: reference.mad_of(w)
    )


def reference_rank(series, window, method="average", ascending=True, pct=False, **kwargs):
    # pandas ranks the last value of each window (the row itself for a trailing window).
    values = series.to_numpy(dtype=np.float64)
    start, end, min_count = pandas_bounds(series, window, **kwargs)

    def rank(present, j):
        return reference.rank_in(present, values[end[j] - 1], method, ascending, pct)

    return reference.rolling_over_bounds(values, start, end, min_count, rank)


window_kinds = st.fixed_dictionaries(
    {"center": st.booleans(), "closed": st.sampled_from(CLOSED), "step": st.sampled_from([None, 1, 2, 3])}
)


@settings(max_examples=100)  # the reference is a Python loop of nanmedians per window
@given(data=st.data(), values=float_series(), kind=window_kinds)
def test_mad_equals_reference(data, values, kind):
    window, min_periods = data.draw(window_args(len(values)))
    series = pd.Series(values)
    result = series.rollmed.mad(window, min_periods, **kind)
    expected = reference_mad(series, window, min_periods=min_periods, **kind)
    np.testing.assert_array_equal(result.to_numpy(), expected, err_msg=f"{window=} {min_periods=} {kind}")


@settings(max_examples=100)  # the reference is a Python loop of nanmedians per window
@given(data=st.data(), values=pandas_safe_series())
def test_mad_bit_for_bit_nanmedian_on_finite_data(data, values):
    window = data.draw(st.integers(1, max(len(values), 1)))
    result = pd.Series(values).rollmed.mad(window, min_periods=1).to_numpy()
    for i in range(len(values)):
        w = values[max(i - window + 1, 0) : i + 1]
        if np.isnan(w).all():
            assert np.isnan(result[i])
            continue
        expected = np.nanmedian(np.abs(w - np.nanmedian(w)))
        assert result[i] == expected and np.signbit(result[i]) == np.signbit(expected), (i, w)


@pytest.mark.parametrize(
    "window, expected",
    [
        (
            [np.inf, np.inf, np.inf, 1.0],
            np.inf,
        ),  # the median is inf; 1 is infinitely far, the infs have no distance
        ([np.inf, np.inf, np.inf], np.nan),  # no value has a distance to the median
        ([-np.inf, 0.0, np.inf], np.inf),  # a finite median: the infinities are infinitely far
        ([-np.inf, 1.0, 2.0, 3.0, np.inf], 1.0),
        ([-np.inf, np.inf], np.nan),  # no median
        ([-1e308, 1e308], 1e308),  # the midpoint is finite: 0, and each value is 1e308 from it
    ],
)
def test_mad_of_infinities(window, expected):
    window = np.array(window)
    np.testing.assert_array_equal(pd.Series(window).rollmed.mad(len(window)).iloc[-1], expected)
    np.testing.assert_array_equal(reference.mad_of(window), expected)


@given(values=float_series(max_size=120), min_periods=st.integers(0, 5), scale=st.sampled_from([1.0, 1.4826]))
def test_expanding_mad_equals_reference(values, min_periods, scale):
    result = pd.Series(values).rollmed.mad(None, min_periods, scale=scale).to_numpy()
    with np.errstate(over="ignore"):
        expected = [
            reference.mad_of(values[: i + 1]) * scale
            if (~np.isnan(values[: i + 1])).sum() >= max(min_periods, 1)
            else np.nan
            for i in range(len(values))
        ]
    np.testing.assert_array_equal(result, expected)


@given(
    data=st.data(),
    values=pandas_safe_series(),
    kind=window_kinds.map(lambda kind: {**kind, "center": False}),
)
def test_rank_equals_pandas(data, values, kind):
    # pandas ranks the value it inserted last: where a window loses values and gains none
    # (a centred window at the end, a forward window), it keeps the rank from before; there
    # rollmed ranks the window's last value among the values it holds (the reference test).
    # An empty window with min_periods=0 gets pandas' rank variable as it was initialised (0):
    # rollmed gives NaN there, so min_periods starts at 1 here.
    window, min_periods = data.draw(window_args(len(values)))
    min_periods = None if min_periods is None else max(min_periods, 1)
    method = data.draw(st.sampled_from(METHODS))
    ascending, pct = data.draw(st.booleans()), data.draw(st.booleans())
    series = pd.Series(values, name="v")
    expected = series.rolling(window, min_periods=min_periods, **kind).rank(
        method=method, ascending=ascending, pct=pct
    )
    result = series.rollmed.rank(window, min_periods, method=method, ascending=ascending, pct=pct, **kind)
    tm.assert_series_equal(result, expected, check_exact=True)


@given(data=st.data(), values=float_series(), kind=window_kinds)
def test_rank_equals_reference_with_infinities(data, values, kind):
    window, min_periods = data.draw(window_args(len(values)))
    method = data.draw(st.sampled_from(METHODS))
    ascending, pct = data.draw(st.booleans()), data.draw(st.booleans())
    series = pd.Series(values)
    options = {"method": method, "ascending": ascending, "pct": pct}
    result = series.rollmed.rank(window, min_periods, **options, **kind)
    expected = reference_rank(series, window, **options, min_periods=min_periods, **kind)
    np.testing.assert_array_equal(result.to_numpy(), expected)


@given(data=st.data(), values=float_series())
def test_move_rank_equals_bottleneck(data, values):
    if values.size == 0:
        return
    window = data.draw(st.integers(1, values.size))
    min_count = data.draw(st.one_of(st.none(), st.integers(1, window)))
    np.testing.assert_array_equal(
        rollmed.move_rank(values, window, min_count), bn.move_rank(values, window, min_count)
    )


@pytest.mark.parametrize("window", [7, 8, 48, 49, 256, 257])
def test_rank_on_both_sides_of_each_path(window):
    # Windows that slide by one row are counted across windows up to RANK_SLIDING_MAX (256),
    # in runs of at least SLIDING_RUN_MIN (8); the others one by one up to RANK_SCAN_MAX (48),
    # else by the block structure. 2,600 values span blocks of 1,024 windows; a step and
    # a centred window mix the paths within a block.
    rng = np.random.default_rng(window)
    values = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, np.nan], 2600) + rng.integers(0, 3, 2600)
    values[1500:1800] = np.nan
    np.testing.assert_array_equal(rollmed.move_rank(values, window, 3), bn.move_rank(values, window, 3))
    series = pd.Series(values)
    for kind in ({"center": True}, {"step": 3}, {"center": True, "closed": "neither"}):
        expected = reference_rank(series, window, min_periods=2, **kind)
        np.testing.assert_array_equal(series.rollmed.rank(window, 2, **kind).to_numpy(), expected)


@settings(max_examples=100)  # the reference is a Python loop of nanmedians per window
@given(data=st.data(), values=float_series())
def test_move_mad_equals_reference(data, values):
    if values.size == 0:
        return
    window = data.draw(windows(1, values.size))
    min_count = data.draw(st.integers(1, window))
    expected = reference.rolling(values, window, min_count, False, reference.mad_of)
    np.testing.assert_array_equal(rollmed.move_mad(values, window, min_count), expected)


@settings(max_examples=60)
@given(data=st.data())
def test_mad_networks_equal_the_reference(data):
    # The MAD's networks (two over each window up to 16 values; then a sorted core shared
    # by 4 or 8 neighbouring windows, to MAD_NETWORK_MAX) answer windows without NaN:
    # these values have few, with heavy ties, +-0, infinities (an infinite median is
    # redone elsewhere; an infinite value among finite ones is not) and extremes.
    window = data.draw(st.sampled_from([width for width in NETWORK_WIDTHS if width <= 201]))
    elements = st.one_of(
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e308, -1e308, np.inf, -np.inf]),
        st.integers(-3, 3).map(float),
        st.floats(-1e6, 1e6),
    )
    values = data.draw(hnp.arrays(np.float64, st.integers(window, 3 * window + 300), elements=elements))
    if data.draw(st.booleans()):
        values[data.draw(st.integers(0, values.size - 1))] = np.nan
    min_count = data.draw(st.integers(1, window))
    expected = reference.rolling(values, window, min_count, False, reference.mad_of)
    np.testing.assert_array_equal(rollmed.move_mad(values, window, min_count), expected)
    series = pd.Series(values)
    centred = series.rollmed.mad(window, center=True).to_numpy()
    np.testing.assert_array_equal(centred, reference_mad(series, window, center=True))


def test_move_functions_take_any_axis_and_dtype():
    rng = np.random.default_rng(5)
    array = rng.integers(-5, 5, (4, 30, 3)).astype(np.float32)
    for function, slow in ((rollmed.move_mad, None), (rollmed.move_rank, bn.move_rank)):
        result = function(array, 7, min_count=2, axis=1)
        assert result.shape == array.shape and result.dtype == np.float32
        if slow is not None:
            # (bottleneck ranks float32 in float32 arithmetic; rollmed in float64, then rounds)
            np.testing.assert_allclose(result, slow(array, 7, min_count=2, axis=1), rtol=1e-6)
        else:
            expected = np.apply_along_axis(
                lambda row: reference.rolling(row, 7, 2, False, reference.mad_of), 1, array.astype(np.float64)
            )
            np.testing.assert_array_equal(result, expected.astype(np.float32))


@st.composite
def timed_series(draw, max_size=80):
    """Values on never-decreasing timestamps: gaps of 0 to 1.5 s, repeated times included."""
    values = draw(float_series(max_size=max_size))
    gaps = draw(
        hnp.arrays(
            np.int64, len(values), elements=st.sampled_from([0, 250, 500, 1000, 1500]) | st.integers(0, 1500)
        )
    )
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(gaps), unit="ms")
    return pd.Series(values, index=times)


@settings(max_examples=100)  # the references are Python loops per window
@given(
    data=st.data(),
    series=timed_series(),
    window=st.sampled_from(["2s", "3500ms", "0s", "1ms", "10s"]),
    closed=st.sampled_from(CLOSED),
    center=st.booleans(),
)
def test_time_windows(data, series, window, closed, center):
    kind = {"center": center, "closed": closed, "min_periods": data.draw(st.sampled_from([None, 0, 1, 3]))}
    method = data.draw(st.sampled_from(METHODS))
    np.testing.assert_array_equal(
        series.rollmed.mad(window, **kind).to_numpy(), reference_mad(series, window, **kind)
    )
    np.testing.assert_array_equal(
        series.rollmed.rank(window, method=method, **kind).to_numpy(),
        reference_rank(series, window, method, **kind),
    )


def test_time_windows_rank_as_pandas():
    rng = np.random.default_rng(7)
    times = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.cumsum(rng.integers(0, 1500, 80)), unit="ms")
    series = pd.Series(rng.choice([1.0, 2.0, np.nan, 5.0, -1.0, 0.5], 80), index=times)
    for window in ["2s", "3500ms"]:
        for closed in CLOSED:
            # (pandas' rank of a window that only shrinks is stale: see test_rank_equals_pandas)
            expected = series.rolling(window, closed=closed).rank()
            tm.assert_series_equal(series.rollmed.rank(window, closed=closed), expected, check_exact=True)


class LaggedWindowIndexer(pd.api.indexers.BaseIndexer):
    """Windows of ``window_size`` rows that end ``lag`` rows before each row (monotone bounds)."""

    def get_window_bounds(self, num_values=0, min_periods=None, center=None, closed=None, step=None):
        end = np.clip(np.arange(1, num_values + 1) - self.lag, 0, num_values).astype(np.int64)
        return np.clip(end - self.window_size, 0, num_values).astype(np.int64), end


@settings(max_examples=100)  # the references are Python loops per window
@given(
    values=float_series(max_size=80),
    size=st.integers(0, 9),
    lag=st.integers(0, 3),
    forward=st.booleans(),
    min_periods=st.integers(0, 3),
    method=st.sampled_from(METHODS),
)
def test_indexer_windows(values, size, lag, forward, min_periods, method):
    if forward:
        indexer = FixedForwardWindowIndexer(window_size=size)
    else:
        indexer = LaggedWindowIndexer(window_size=size, lag=lag)
    start, end = indexer.get_window_bounds(len(values), min_periods, False, None, None)
    series = pd.Series(values)
    expected = reference.rolling_over_bounds(
        values, start, end, min_periods, lambda w, _: reference.mad_of(w)
    )
    np.testing.assert_array_equal(series.rollmed.mad(indexer, min_periods).to_numpy(), expected)

    def rank(present, j):
        # the window's last value; a window that holds none (end at its start) ranks nothing
        return reference.rank_in(present, values[end[j] - 1], method)

    ranks = reference.rolling_over_bounds(values, start, end, min_periods, rank)
    np.testing.assert_array_equal(series.rollmed.rank(indexer, min_periods, method=method).to_numpy(), ranks)


@settings(max_examples=100)  # the references are Python loops per window
@given(
    data=st.data(),
    values=hnp.arrays(np.int64, st.integers(0, 60), elements=int64_values),
    kind=window_kinds,
)
def test_integer_extremes_are_ranked_and_spread_as_their_float64_values(data, values, kind):
    # As pandas, the accessors' MAD and ranks of integers are those of their float64 values: exact
    # up to 2**53, beyond it neighbouring integers tie (the README says so). move_rank ranks the
    # integers themselves, as bottleneck's does; move_mad, as bottleneck's move_median, floats.
    window, min_periods = data.draw(window_args(len(values)))
    method = data.draw(st.sampled_from(METHODS))
    series = pd.Series(values)
    as_floats = series.astype(np.float64)
    np.testing.assert_array_equal(
        series.rollmed.mad(window, min_periods, **kind).to_numpy(),
        reference_mad(as_floats, window, min_periods=min_periods, **kind),
    )
    np.testing.assert_array_equal(
        series.rollmed.rank(window, min_periods, method=method, **kind).to_numpy(),
        reference_rank(as_floats, window, method, min_periods=min_periods, **kind),
    )
    nullable = series.astype("Int64")
    np.testing.assert_array_equal(
        nullable.rollmed.mad(window, min_periods, **kind).to_numpy(np.float64),
        series.rollmed.mad(window, min_periods, **kind).to_numpy(),
    )
    if values.size:
        window = min(window, values.size)
        min_count = None if min_periods is None else max(min(min_periods, window), 1)
        np.testing.assert_array_equal(
            rollmed.move_rank(values, window, min_count), bn.move_rank(values, window, min_count)
        )
        np.testing.assert_array_equal(
            rollmed.move_mad(values, window, min_count),
            reference.rolling(values.astype(np.float64), window, min_count, False, reference.mad_of),
        )


@given(values=float_series(max_size=150), keys=st.lists(st.sampled_from("abc"), min_size=150, max_size=150))
def test_groups_roll_over_their_own_rows(values, keys):
    keys = np.array(keys[: len(values)])
    series = pd.Series(values)
    mads = series.rollmed.mad(4, 1, by=keys)
    ranks = series.rollmed.rank(4, 1, by=keys)
    runs = series.rollmed.mad(None, by=keys)
    for key in "abc":
        rows = keys == key
        own = pd.Series(values[rows])
        np.testing.assert_array_equal(mads[rows].to_numpy(), own.rollmed.mad(4, 1).to_numpy())
        np.testing.assert_array_equal(ranks[rows].to_numpy(), own.rollmed.rank(4, 1).to_numpy())
        np.testing.assert_array_equal(runs[rows].to_numpy(), own.rollmed.mad(None).to_numpy())


@given(data=st.data(), values=float_series(), qs=st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_several_quantiles_equal_one_at_a_time(data, values, qs):
    window, min_periods = data.draw(window_args(len(values)))
    mode = data.draw(st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest", "floor"]))
    center = data.draw(st.booleans())
    series = pd.Series(values, name="x")
    together = series.rollmed.window(window, min_periods, center, q=qs, interpolation=mode)
    assert list(together.columns) == qs and together.columns.name == "quantile"
    for position, q in enumerate(qs):
        alone = series.rollmed.window(window, min_periods, center, q=q, interpolation=mode)
        np.testing.assert_array_equal(together.iloc[:, position].to_numpy(), alone.to_numpy())
    running = series.rollmed.expanding(q=qs, interpolation=mode)
    for position, q in enumerate(qs):
        np.testing.assert_array_equal(
            running.iloc[:, position], series.rollmed.expanding(q=q, interpolation=mode)
        )


@pytest.mark.parametrize("window", [3, 16, 17])
def test_several_quantiles_on_both_sides_of_the_sorting_network(window):
    # Fixed windows of up to SORT_NETWORK_MAX (16) rows take several quantiles from a sorting
    # network, where they hold no NaN; the others (a NaN, the row's ends) and wider windows
    # the sorted array. Each against the heaps' one quantile at a time, and the reference.
    rng = np.random.default_rng(window)
    values = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, np.nan, 1e308, -1e308], 2600)
    values = values + rng.integers(0, 3, 2600)
    values[1500:1530] = np.nan
    qs = [0.0, 0.1, 0.5, 0.75, 1.0]
    for mode in ("linear", "lower", "higher", "midpoint", "nearest", "floor"):
        together = rollmed.move_quantile(values, window, qs, min_count=1, interpolation=mode)
        for position, q in enumerate(qs):
            alone = rollmed.move_quantile(values, window, q, min_count=1, interpolation=mode)
            np.testing.assert_array_equal(together[:, position], alone, err_msg=f"{mode} {q}")
    lower = rollmed.move_quantile(values, window, qs, min_count=1, interpolation="lower")
    for position, q in enumerate(qs):
        lowest = lambda w, q=q: np.quantile(w, q, method="lower")  # noqa: E731
        expected = reference.rolling(values, window, 1, False, lowest)
        np.testing.assert_array_equal(lower[:, position], expected, err_msg=str(q))


# A centred window mixes windows that slide with ones that shrink at the row's ends; a
# step makes every window start afresh.
SWITCH_KINDS = ({}, {"center": True}, {"step": 3}, {"center": True, "closed": "neither"})


def values_at_a_switch(window, nan_stop):
    """2,600 values for tests of a switch between paths: ties, +-0, +-inf, +-1e308, NaN to ``nan_stop``."""
    rng = np.random.default_rng(window)
    values = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, np.nan, 1e308, -1e308], 2600)
    values = values + rng.integers(0, 3, 2600)
    values[1500:nan_stop] = np.nan
    return values


@pytest.mark.parametrize(
    "window, qs",
    [
        (40, [0.1, 0.9]),
        (41, [0.1, 0.9]),
        (60, [0.0, 0.5, 1.0]),
        (61, [0.0, 0.5, 1.0]),
        (100, [0.0, 0.1, 0.5, 0.75, 1.0]),
        (101, [0.0, 0.1, 0.5, 0.75, 1.0]),
        (128, [0.25, 0.75]),
        (129, [0.25, 0.75]),
    ],
)
def test_quantiles_and_mad_on_both_sides_of_the_sorted_array(window, qs):
    # Windows of up to SORTED_PER_QUANTILE (20) values a quantile, and for the MAD up to
    # MAD_SORTED_MAX (128), keep a sorted array; wider ones the block state.
    values = values_at_a_switch(window, 1700)
    series = pd.Series(values)
    for kind in SWITCH_KINDS:
        start, end, _ = pandas_bounds(series, window, min_periods=2, **kind)
        together = series.rollmed.window(window, 2, q=qs, **kind)
        for position, q in enumerate(qs):
            expected = reference.rolling_over_bounds(
                values, start, end, 2, lambda w, _, q=q: reference.quantile_of(w, q, "linear")
            )
            result = together.iloc[:, position].to_numpy()
            np.testing.assert_array_equal(result, expected, err_msg=f"{kind} {q}")
        mad = series.rollmed.mad(window, 2, **kind).to_numpy()
        expected = reference_mad(series, window, min_periods=2, **kind)
        np.testing.assert_array_equal(mad, expected, err_msg=str(kind))


@pytest.mark.parametrize("window", [16, 17, 48, 49, 108, 109, 200, 201])
def test_mad_on_both_sides_of_its_networks(window):
    # The MAD of fixed windows of up to MAD_NETWORK_MAX (200) values comes from networks:
    # two over each window up to 16, a sorted core shared by 4 neighbouring windows up to
    # 48, by 8 beyond (sorted whole up to 108, in halves beyond; the windows they leave,
    # with a NaN or an infinite median, sorted afresh when few, else by the general path);
    # wider ones from the sorted array; the Hampel filter's median and MAD each from its
    # own network.
    values = values_at_a_switch(window, 1700)
    rng = np.random.default_rng(window)
    values[:1400] = rng.standard_normal(1400)  # runs without NaN or infinities: the networks' own
    series = pd.Series(values)
    for kind in ({}, {"center": True}):
        for min_periods in (None, 2):
            result = series.rollmed.mad(window, min_periods, **kind).to_numpy()
            expected = reference_mad(series, window, min_periods=min_periods, **kind)
            np.testing.assert_array_equal(result, expected, err_msg=f"{kind} {min_periods}")
    np.testing.assert_array_equal(
        rollmed.move_mad(values, window, 2), reference.rolling(values, window, 2, False, reference.mad_of)
    )
    for center in (True, False):
        expected, outliers = reference.hampel(values, window, 2.0, 1.4826, min_count=window, center=center)
        details = series.rollmed.hampel_details(window, 2.0, center=center, min_periods=window)
        np.testing.assert_array_equal(details["filtered"].to_numpy(), expected)
        np.testing.assert_array_equal(details["outlier"].to_numpy(), outliers)


def spy_on(module, name, calls, monkeypatch):
    """Record in ``calls`` the name of ``module.name`` each time it is called; it still runs."""
    function = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


@pytest.mark.parametrize("window", [5, 17, 101])
def test_networks_leave_scattered_windows_to_a_sort_afresh(window, monkeypatch):
    # The windows a network leaves (a row's ends cut short, those holding a NaN) are sorted
    # afresh while that costs little (rollmed._runners._AFRESH_WORK, _AFRESH_FLOOR), so
    # that no other path compiles; more go to the general path. A NaN leaves k windows:
    # in a row of 6,000, the narrow windows of any of these are sorted afresh, at k = 101
    # those of two NaN but not of a dozen. Both paths give the reference's MAD and median.
    from rollmed import _kernels, _runners

    calls = []
    for module, name in (
        (_kernels, "mad_afresh_bounds"),
        (_kernels, "sorted_afresh_bounds"),
        (_runners, "run_bounds"),
    ):
        spy_on(module, name, calls, monkeypatch)
    rng = np.random.default_rng(window)
    for n_special, specials in (
        (2, [np.nan]),
        (12, [np.nan, np.inf, -np.inf, -0.0]),
        (120, [np.nan, np.inf]),
    ):
        values = rng.standard_normal(6_000).round(1)  # ties
        values[rng.choice(values.size, n_special, replace=False)] = rng.choice(specials, n_special)
        for min_count in (None, 2):
            calls.clear()
            expected = reference.rolling(values, window, min_count, False, reference.mad_of)
            np.testing.assert_array_equal(rollmed.move_mad(values, window, min_count), expected)
            expected = reference.rolling(values, window, min_count, False, reference.median_of)
            np.testing.assert_array_equal(rollmed.move_median(values, window, min_count), expected)
            afresh = window < 101 or n_special == 2
            paths = ["mad_afresh_bounds", "sorted_afresh_bounds"] if afresh else ["run_bounds", "run_bounds"]
            assert calls == paths, (n_special, min_count)
    # Infinities without NaN: the windows of an infinite median are left too.
    values = rng.standard_normal(6_000).round(1)
    values[2000 : 2000 + window] = np.inf
    values[rng.choice(values.size, 10, replace=False)] = -np.inf
    calls.clear()
    np.testing.assert_array_equal(
        rollmed.move_mad(values, window), reference.rolling(values, window, None, False, reference.mad_of)
    )
    assert calls == ["mad_afresh_bounds"]


@pytest.mark.parametrize("window", [64, 109, 200])
def test_mad_networks_across_spans_and_rows(window, monkeypatch):
    # Rows long enough to be split into spans (whose first windows need not begin a block
    # of groups), three rows of one 2-d array, a few NaN: the networks give what the
    # general path gives (the sorted array, tested against the reference above).
    from rollmed import _kernels

    rng = np.random.default_rng(window)
    values = rng.standard_normal((3, 140_000)).round(2)
    values[1, rng.choice(values.shape[1], 5, replace=False)] = np.nan
    by_networks = rollmed.move_mad(values, window, 2, axis=1)
    monkeypatch.setattr(_kernels, "MAD_NETWORK_MAX", 0)
    np.testing.assert_array_equal(by_networks, rollmed.move_mad(values, window, 2, axis=1))


@pytest.mark.parametrize("window", [512, 513])
def test_one_quantile_on_both_sides_of_the_heaps(window):
    # One quantile from 0.25 to 0.75 (HEAPS_TAIL) of fixed windows wider than
    # FIXED_HEAPS_MAX (512) comes from the block window, the others from the heaps.
    values = values_at_a_switch(window, 1900)
    series = pd.Series(values)
    for kind in SWITCH_KINDS:
        start, end, _ = pandas_bounds(series, window, min_periods=2, **kind)
        for q in (0.2, 0.25, 0.5, 0.75, 0.8):
            for how in ("linear", "lower", "higher", "midpoint", "nearest"):
                result = series.rollmed.window(window, 2, q=q, interpolation=how, **kind).to_numpy()
                expected = reference.rolling_over_bounds(
                    values, start, end, 2, lambda w, _, q=q, how=how: reference.quantile_of(w, q, how)
                )
                np.testing.assert_array_equal(result, expected, err_msg=f"{kind} {q} {how}")


@st.composite
def wide_window_values(draw):
    """Up to 1,500 values for the block window: ties, +-0 and +-inf or normal noise, NaN here and there."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, 1500))
    if draw(st.booleans()):
        values = rng.choice([0.0, -0.0, 1.0, 2.5, -np.inf, np.inf, 1e308, -1e308], n) + rng.integers(0, 3, n)
    else:
        values = rng.standard_normal(n)
    values[rng.random(n) < draw(st.sampled_from([0.0, 0.002, 0.05]))] = np.nan
    if n and draw(st.booleans()):
        first = draw(st.integers(0, n - 1))
        values[first : first + draw(st.integers(1, 400))] = np.nan
    return values


@settings(max_examples=25)
@given(data=st.data(), values=wide_window_values())
def test_the_block_window_against_the_reference(data, values):
    # The block window takes the median of fixed windows wider than FIXED_HEAPS_MAX (512)
    # and several quantiles of windows wider than SORTED_PER_QUANTILE (20) values a
    # quantile; windows that
    # slide a row on with no NaN entering or leaving take its one-set-bit step, the others
    # (a NaN, the row's ends, a new pair of blocks) its walk.
    window = data.draw(st.sampled_from([61, 101, 129, 257, 300, 513, 700]))
    min_periods = data.draw(st.sampled_from([1, window // 2, window]))
    center = data.draw(st.booleans())
    how = data.draw(st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
    qs = data.draw(st.sampled_from([[0.5], [0.25, 0.5, 0.9], [0.0, 1.0], [0.3, 0.7]]))
    series = pd.Series(values)
    start, end, _ = pandas_bounds(series, window, min_periods=min_periods, center=center)
    result = series.rollmed.window(
        window, min_periods, center, q=qs if len(qs) > 1 else qs[0], interpolation=how
    )
    result = result.to_numpy().reshape(len(values), len(qs))
    for position, q in enumerate(qs):
        # q = 0.5 with linear interpolation is pandas' median, (a + b) / 2: the midpoint.
        read = "midpoint" if (q, how) == (0.5, "linear") else how
        expected = reference.rolling_over_bounds(
            values, start, end, min_periods, lambda w, _, q=q, read=read: reference.quantile_of(w, q, read)
        )
        np.testing.assert_array_equal(result[:, position], expected, err_msg=f"q = {q}")


@pytest.mark.parametrize("window", [40, 256])
def test_each_row_of_an_array_starts_its_own_window(window):
    # Short rows go several to a task, and the sorted array is kept from one block of
    # windows to the next: each row must start afresh, not carry on from the row before.
    rng = np.random.default_rng(window)
    array = rng.standard_normal((5, 300))
    array[rng.random(array.shape) < 0.05] = np.nan
    qs = [0.1, 0.5, 0.9]
    quantiles = rollmed.move_quantile(array, window, qs, min_count=2)
    mads = rollmed.move_mad(array, window, min_count=2)
    for row, values in enumerate(array):
        np.testing.assert_array_equal(quantiles[row], rollmed.move_quantile(values, window, qs, min_count=2))
        expected_mad = reference.rolling(values, window, 2, False, reference.mad_of)
        np.testing.assert_array_equal(mads[row], expected_mad)


@given(data=st.data(), values=hnp.arrays(np.int64, st.integers(0, 80), elements=int64_values))
def test_several_exact_integer_quantiles(data, values):
    window = data.draw(st.integers(1, len(values) + 2))
    series = pd.Series(values)
    together = series.rollmed.window(window, 1, q=[0.0, 0.3, 0.5, 1.0], interpolation="nearest")
    for q in together.columns:
        tm.assert_series_equal(
            together[q], series.rollmed.window(window, 1, q=q, interpolation="nearest"), check_names=False
        )
    assert (together.dtypes == "Int64").all()


def test_move_quantile_takes_several_quantiles():
    a = np.random.default_rng(2).standard_normal((3, 50))
    result = rollmed.move_quantile(a, 9, [0.1, 0.5, 0.9])
    assert result.shape == (3, 50, 3)
    for position, q in enumerate([0.1, 0.5, 0.9]):
        np.testing.assert_array_equal(result[..., position], rollmed.move_quantile(a, 9, q))


def test_frame_quantiles_and_statistics_per_column():
    frame = pd.DataFrame({"a": [1.0, 5.0, 2.0, 8.0, 3.0], "b": [2, 4, 6, 8, 10], "k": list("xyxyx")})
    result = frame.rollmed.window(2, 1, q=[0.25, 0.75], by="k")
    assert list(result.columns) == [("a", 0.25), ("a", 0.75), ("b", 0.25), ("b", 0.75)]
    for column in ("a", "b"):
        for q in (0.25, 0.75):
            alone = frame[column].rollmed.window(2, 1, q=q, by=frame["k"])
            np.testing.assert_array_equal(result[(column, q)].to_numpy(), alone.to_numpy())
    tm.assert_frame_equal(
        frame[["a", "b"]].rollmed.mad(3, 1),
        pd.DataFrame({"a": frame["a"].rollmed.mad(3, 1), "b": frame["b"].rollmed.mad(3, 1)}),
    )
    tm.assert_frame_equal(
        frame[["a", "b"]].rollmed.rank(3), frame[["a", "b"]].rolling(3).rank(), check_exact=True
    )


def test_pandas_rank_of_a_shrinking_window_is_stale():
    # pandas keeps the rank it computed when it inserted the last value: at the last row of a
    # centred window of 3, [0, 0] gives 2.0 (the rank among [0, 0, 0]); the rank of 0 among
    # the two zeros the window holds is 1.5.
    series = pd.Series([0.0, 0.0, 0.0])
    assert series.rolling(3, center=True, min_periods=1).rank().iloc[-1] == 2.0
    assert series.rollmed.rank(3, 1, center=True).iloc[-1] == 1.5


@settings(max_examples=100)  # the reference is a Python loop of nanmedians per window
@given(
    values=float_series(max_size=150),
    window=st.none() | windows(1, 25),
    center=st.booleans(),
    n_sigmas=st.sampled_from([0.0, 1.0, 3.0]),
    scale=st.sampled_from([1.0, 1.4826]),
)
def test_hampel_equals_reference(values, window, center, n_sigmas, scale):
    # window=None is the running filter: every row up to each one, never centred
    series = pd.Series(values, name="s")
    expected, outliers = reference.hampel(values, window, n_sigmas, scale, center=center)
    result = series.rollmed.hampel(window, n_sigmas, center=center, scale=scale)
    assert result.name == "s" and result.index.equals(series.index)
    np.testing.assert_array_equal(result.to_numpy(), expected)
    details = series.rollmed.hampel_details(window, n_sigmas, center=center, scale=scale)
    np.testing.assert_array_equal(details["outlier"].to_numpy(), outliers)
    np.testing.assert_array_equal(details["filtered"].to_numpy(), expected)
    with np.errstate(invalid="ignore", over="ignore"):
        threshold = n_sigmas * scale * details["mad"].to_numpy()
    np.testing.assert_array_equal(details["threshold"].to_numpy(), threshold)


def test_hampel_replaces_spikes_only():
    rng = np.random.default_rng(0)
    clean = np.sin(np.linspace(0, 20, 2000)) + 0.05 * rng.standard_normal(2000)
    spiky = clean.copy()
    spikes = rng.choice(2000, 20, replace=False)
    spiky[spikes] += 5.0
    details = pd.Series(spiky).rollmed.hampel_details(21)
    assert set(np.flatnonzero(details["outlier"])) >= set(spikes)
    assert details["outlier"].sum() < 60


def test_hampel_of_a_frame_per_column():
    frame = pd.DataFrame(
        {"x": [1.0, 1.2, 0.9, 25.0, 1.1, 1.0, 0.8], "y": [5.0, 5.0, -40.0, 5.0, 5.0, 5.0, 5.0]}
    )
    result = frame.rollmed.hampel(5)
    for column in frame.columns:
        tm.assert_series_equal(result[column], frame[column].rollmed.hampel(5))
    details = frame.rollmed.hampel_details(5)
    assert details.columns.names == [None, "field"]
    assert details[("y", "outlier")].tolist() == [False, False, True, False, False, False, False]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda s: s.rollmed.mad(3, scale=-1.0), ValueError, "`scale`"),
        (lambda s: s.rollmed.mad(3, scale="1"), TypeError, "`scale`"),
        (lambda s: s.rollmed.rank(3, method="dense"), ValueError, "`method`"),
        (lambda s: s.rollmed.rank(3, pct="yes"), TypeError, "`pct`"),
        (lambda s: s.rollmed.rank(3, ascending=None), TypeError, "`ascending`"),
        (lambda s: s.rollmed.hampel(3, n_sigmas=-1), ValueError, "`n_sigmas`"),
        (lambda s: s.rollmed.hampel(3, n_sigmas=np.nan), ValueError, "`n_sigmas`"),
        (lambda s: s.rollmed.window(3, q=[]), ValueError, "`q`"),
        (lambda s: s.rollmed.window(3, q=[0.5, 2.0]), ValueError, "`q`"),
        (lambda s: s.rollmed.window(3, q=[[0.5]]), ValueError, "`q`"),
        (lambda s: s.rollmed.window(None, center=True), ValueError, "`center`"),
        (lambda s: s.rollmed.mad(None, step=2), ValueError, "`step`"),
        (lambda s: rollmed.move_rank(s.to_numpy(), 0), ValueError, "`window`"),
        (lambda s: rollmed.move_mad(s.to_numpy(), 2, min_count=3), ValueError, "`min_count`"),
    ],
)
def test_bad_arguments_name_the_parameter(call, error, words):
    with pytest.raises(error, match=words):
        call(pd.Series(np.arange(5.0)))


def test_window_none_is_the_expanding_window():
    series = pd.Series([3.0, np.nan, 1.0, 4.0, 1.0, 5.0])
    tm.assert_series_equal(series.rollmed.window(None), series.rollmed.expanding())
    tm.assert_series_equal(series.rollmed.window(None, 3), series.expanding(3).median())
    tm.assert_series_equal(series.rollmed.rank(None), series.expanding().rank(), check_exact=True)


@pytest.mark.parametrize("name", ["move_rank", "move_median"])
def test_bottlenecks_own_sweep_with_rollmed_substituted(name):
    # bottleneck/tests/move_test.py::test_move, with rollmed's function in bottleneck's place.
    from bottleneck.tests.util import array_order, arrays

    ours, slow = getattr(rollmed, name), getattr(bn.slow, name)
    for i, a in enumerate(arrays(name)):
        for axis in range(-1, a.ndim):
            for window in range(1, a.shape[axis]):
                for min_count in [*range(1, window + 1), None]:
                    actual = ours(a, window, min_count, axis=axis)
                    desired = slow(a, window, min_count, axis=axis)
                    context = (
                        f"func {name} | window {window} | min_count {min_count} | input a{i} ({a.dtype}) | "
                        f"shape {a.shape} | axis {axis} | order {array_order(a)}\n{a}"
                    )
                    np.testing.assert_array_almost_equal(actual, desired, 5, context)
                    assert actual.dtype == desired.dtype, context


def _block_cases():
    rng = np.random.default_rng(7)
    normal = rng.standard_normal(1000)
    spiky = normal.copy()
    spiky[::100] = 1e12
    signed = rng.choice([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf], 1000)
    sprinkled = np.where(rng.random(1000) < 0.05, signed, normal)
    return {
        # sorted by buckets
        "normal": (normal, True),
        "uniform": (rng.random(1000), True),
        "random walk": (np.cumsum(normal), True),
        "few values": (rng.integers(0, 10, 1000).astype(float), True),
        "normal with NaN, infinities and zeros of both signs": (sprinkled, True),
        "a spike 1e12 times the rest": (spiky, True),
        "the largest floats of both signs": (np.r_[1.7e308, -1.7e308, normal[:998]], True),
        # by the radix sort
        "many orders of magnitude": (np.exp(30 * normal), False),
        "a range too small to scale": (normal * 5e-324, False),
        "one value": (np.full(1000, 2.5), False),
        "infinities only": (rng.choice([np.inf, -np.inf, np.nan], 1000), False),
        "many zeros of both signs": (signed, False),
    }


@pytest.mark.parametrize("case", list(_block_cases()))
def test_a_block_sorts_by_value_negative_zero_first_then_by_offset(case):
    # The block window's order (section 5), whichever sort serves a block: the buckets,
    # or the radix sort where they give up (its own fallback, a comparison sort for
    # values within 2**-36 of each other, orders by value only: the denormals here).
    from rollmed import _kernels

    values, by_buckets = _block_cases()[case]
    state = _kernels.block_state(len(values), 1)
    count = _kernels._sort_block(values, state, 0, 0)
    offsets = np.flatnonzero(~np.isnan(values))
    present = values[offsets]
    order = np.lexsort((offsets, ~np.signbit(present), present))
    assert count == len(present)
    np.testing.assert_array_equal(state.sorted_values[0, :count], present[order])
    if "too small" not in case:  # (the comparison sort)
        np.testing.assert_array_equal(state.sorted_offsets[0, :count], offsets[order])
        assert (np.signbit(state.sorted_values[0, :count]) == np.signbit(present[order])).all()
    buckets = _kernels._sort_by_buckets(
        values,
        0,
        len(values),
        0,
        state.sorted_values[1],
        state.sorted_offsets[1],
        state.keys[0],
        state.keys[1],
    )
    assert buckets == (count if by_buckets else -1)


def test_the_sorted_arrays_shifts_move_as_slices_do():
    # The sorted array's shifts (section 5) move four values at a time and hold the last
    # four (going up, the first four) over the loop: every count from 0 to 40, from
    # several starts, each way, against NumPy's slices; nothing outside them moves.
    from numba import njit

    from rollmed import _kernels

    @njit
    def shift(array, first, count, up):
        if up:
            _kernels._shift_up(array, first, count)
        else:
            _kernels._shift_down(array, first, count)

    for up in (False, True):
        for first in range(5):
            for count in range(41):
                values = np.arange(50.0)
                expected = values.copy()
                if up:
                    expected[first + 1 : first + count + 1] = values[first : first + count]
                else:
                    expected[first : first + count] = values[first + 1 : first + count + 1]
                shift(values, first, count, up)
                np.testing.assert_array_equal(
                    values, expected, err_msg=f"up={up} first={first} count={count}"
                )


@given(
    data=st.data(),
    dtype=st.sampled_from([np.int64, np.int32, np.int16, np.uint8, np.uint64, np.bool_]),
    shape=st.tuples(st.integers(1, 4), st.integers(1, 40)),
)
def test_move_rank_of_integers_is_bottlenecks_bit_for_bit(data, dtype, shape):
    # bottleneck runs integer code for int64 and int32 (its own rounding once windows are full)
    if dtype is np.bool_:
        elements = st.booleans()
    else:  # a few values make ties; the extremes, neighbours that float64 would tie
        info = np.iinfo(dtype)
        elements = st.integers(0, 4) | st.sampled_from([info.min, info.min + 1, info.max - 1, info.max])
    array = data.draw(hnp.arrays(dtype, shape, elements=elements))
    axis = data.draw(st.sampled_from([0, 1, -1]))
    window = data.draw(st.integers(1, array.shape[axis]))
    min_count = data.draw(st.one_of(st.none(), st.integers(1, window)))
    np.testing.assert_array_equal(
        rollmed.move_rank(array, window, min_count, axis=axis),
        bn.move_rank(array, window, min_count, axis=axis),
    )
