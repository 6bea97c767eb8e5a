"""GroupedStreams: values and keys in pieces give the one-shot ``s.rollmed.window(..., by=keys)``."""

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollmed._factories import MedianStreams
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
