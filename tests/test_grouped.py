"""GroupedStreams: values and keys in pieces give the one-shot ``s.rollmed.window(..., by=keys)``."""

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollmed._factories import HampelStreams, MADStreams, MedianStreams, RankStreams
from rollmed._grouped import GroupedStreams, GroupKeys
from tests.strategies import windows


@st.composite
def grouped_cases(draw):
    n = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(-5, 5, n).astype(float)
    values[rng.random(n) < draw(st.sampled_from([0.0, 0.2, 0.9]))] = np.nan
    keys = pd.Series(rng.integers(0, draw(st.integers(1, 6)), n)).astype(float)
    keys[rng.random(n) < 0.1] = np.nan
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=6)))
    return values, keys, [0, *cuts, n]


@settings(max_examples=150)
@given(
    grouped_cases(),
    st.one_of(st.none(), windows(1, 12)),
    st.booleans(),
    st.sampled_from([None, 0, 1, 3]),
    st.sampled_from([(0.5, "linear"), (0.25, "lower"), (0.9, "nearest"), (0.5, "floor")]),
    st.booleans(),
    st.integers(0, 5),
    st.booleans(),
)
def test_pieces_give_the_one_shot_result(case, window, center, min_periods, quantile, exact, most_held, copy):
    values, keys, cuts = case
    center = center and window is not None
    if window is not None and min_periods is not None:
        min_periods = min(min_periods, window)
    q, interpolation = quantile
    exact = exact and interpolation != "linear"
    column = pd.Series(values).astype("Int64") if exact else pd.Series(values)
    if window is None:
        expected = column.rollmed.expanding(min_periods or 0, q=q, interpolation=interpolation, by=keys)
        min_periods = min_periods or 0
    else:
        expected = column.rollmed.window(
            window, min_periods=min_periods, center=center, q=q, interpolation=interpolation, by=keys
        )
    factory = MedianStreams.for_column(column.dtype, window, min_periods, q, interpolation)
    # most_held small: groups move from the vectorised path to streams of their own mid-way.
    streams = GroupedStreams(factory, factory.centre_lag if center else 0, most_held=most_held)
    results = factory.missing(len(values))
    given_rows = np.zeros(len(values), np.int64)
    for start, stop in itertools.pairwise(cuts):
        if copy:  # a copy (or a pickled stream) goes on as the original would
            streams = pickle.loads(pickle.dumps(streams))
        rows, found = streams.update(factory.values_of(column.iloc[start:stop]), keys.iloc[start:stop])
        assert np.all(np.diff(rows) > 0)
        results[rows] = found
        given_rows[rows] += 1
    rows, found = streams.finish()
    results[rows] = found
    given_rows[rows] += 1
    assert np.all(given_rows == 1)  # every row gets one result, once
    pd.testing.assert_series_equal(pd.Series(results), pd.Series(expected.array), check_exact=True)


def test_a_centred_window_far_longer_than_the_data():
    """Issue 9, item 3: the end of a window of 10**11 rows costs what the data does, not the window."""
    factory = MedianStreams(10**11, min_periods=1)
    for most_held in (0, 512):  # a stream of its own, and the vectorised path
        streams = GroupedStreams(factory, factory.centre_lag, most_held=most_held)
        assert len(streams.update(np.arange(20.0))[0]) == 0
        rows, results = streams.finish()
        assert rows.tolist() == list(range(20)) and results.tolist() == [9.5] * 20


def test_many_small_groups_cost_no_stream_each():
    """100,000 keys of two rows each: no stream is made, the results come in one call a piece."""
    rng = np.random.default_rng(3)
    keys = pd.Series(rng.integers(0, 100_000, 200_000))
    values = rng.standard_normal(200_000)
    streams = GroupedStreams(MedianStreams(1001, min_periods=1))
    found = np.concatenate(
        [streams.update(values[i : i + 20_000], keys[i : i + 20_000])[1] for i in range(0, 200_000, 20_000)]
    )
    expected = pd.Series(values).rollmed.window(1001, min_periods=1, by=keys)
    np.testing.assert_array_equal(found, expected.to_numpy())
    assert streams.own_streams == 0


def test_group_keys_are_stable_across_pieces():
    keys = GroupKeys()
    assert keys.codes(pd.Series([1, 2, None]), 3).tolist() == [0, 1, -1]
    assert keys.codes(pd.Series([2.0, 3.0, 1.0]), 3).tolist() == [1, 2, 0]
    several = GroupKeys()
    frame = pd.DataFrame({"a": ["u", "u", None, "v"], "b": [1, 2, 1, 1]})
    assert several.codes(frame, 4).tolist() == [0, 1, -1, 2]
    assert several.codes(frame.iloc[::-1], 4).tolist() == [2, -1, 1, 0]
    assert GroupKeys().codes(None, 2).tolist() == [0, 0]


def test_bad_arguments_fail_when_made():
    with pytest.raises(ValueError, match="min_periods"):
        MedianStreams(3, min_periods=5)
    with pytest.raises(ValueError, match="fixed window"):
        GroupedStreams(MedianStreams(None), lag=2)


def _robust_expected(statistic, column, window, center, min_periods, keys):
    """The one-shot accessor's result that the streams of ``statistic`` must give."""
    if statistic == "mad":
        return column.rollmed.mad(window, min_periods, center, scale=1.5, by=keys)
    if statistic == "rank":
        return column.rollmed.rank(window, min_periods, center, pct=True, by=keys)
    return column.rollmed.hampel(window, 2.0, center=center, min_periods=min_periods, scale=1.0, by=keys)


def _robust_factory(statistic, window, center, min_periods):
    if statistic == "mad":
        return MADStreams(window, min_periods, scale=1.5)
    if statistic == "rank":
        return RankStreams(window, min_periods, pct=True)
    return HampelStreams(window, min_periods=min_periods, n_sigmas=2.0, center=center, scale=1.0)


@settings(max_examples=100)
@given(
    grouped_cases(),
    st.integers(1, 12),
    st.booleans(),
    st.sampled_from([None, 0, 1, 3]),
    st.sampled_from(["mad", "rank", "hampel"]),
    st.integers(0, 5),
    st.booleans(),
)
def test_robust_pieces_give_the_one_shot_result(
    case, window, center, min_periods, statistic, most_held, copy
):
    """MAD, rank and Hampel streams within groups, vectorised and (most_held small) of their own."""
    values, keys, cuts = case
    if min_periods is not None:
        min_periods = min(min_periods, window)
    elif statistic == "hampel":
        min_periods = 1  # the accessor's default
    # Outliers for Hampel's filter to find.
    values = np.where(np.arange(len(values)) % 7 == 3, values * 50, values)
    expected = _robust_expected(statistic, pd.Series(values), window, center, min_periods, keys)
    factory = _robust_factory(statistic, window, center, min_periods)
    streams = GroupedStreams(factory, factory.centre_lag if center else 0, most_held=most_held)
    results = factory.missing(len(values))
    given_rows = np.zeros(len(values), np.int64)
    for start, stop in itertools.pairwise(cuts):
        if copy:
            streams = pickle.loads(pickle.dumps(streams))
        rows, found = streams.update(values[start:stop], keys.iloc[start:stop])
        results[rows] = found
        given_rows[rows] += 1
    rows, found = streams.finish()
    results[rows] = found
    given_rows[rows] += 1
    assert np.all(given_rows == 1)
    np.testing.assert_array_equal(results, expected.to_numpy())


def test_robust_streams_of_their_own_finish_as_the_one_shot():
    """A stream of its own ends with centred windows cut short: rank of the last value, Hampel of its row."""
    values = np.array([5.0, 1.0, 9.0, 2.0, 7.0, 3.0, 80.0, 4.0, 6.0])
    for factory, expected in [
        (RankStreams(5, 1), pd.Series(values).rollmed.rank(5, 1, center=True)),
        (HampelStreams(5), pd.Series(values).rollmed.hampel(5)),
        (MADStreams(5, 1), pd.Series(values).rollmed.mad(5, 1, center=True)),
    ]:
        streams = GroupedStreams(factory, factory.centre_lag, most_held=0)
        rows, found = streams.update(values)
        assert streams.own_streams == 1
        tail_rows, tail = streams.finish()
        assert np.concatenate([rows, tail_rows]).tolist() == list(range(len(values)))
        np.testing.assert_array_equal(np.concatenate([found, tail]), expected.to_numpy())


def test_a_hampel_stream_runs_with_its_own_lag_only():
    with pytest.raises(ValueError, match="rows late"):
        HampelStreams(5, center=False).run_groups(np.zeros(3), np.zeros(3, np.int64), 2)
    with pytest.raises(ValueError, match="scale"):
        MADStreams(3, scale=-1.0)
    with pytest.raises(ValueError, match="n_sigmas"):
        HampelStreams(3, n_sigmas=float("nan"))
