"""Streams of every statistic and window: any split gives the one-shot answer; time windows; checkpoints."""

import copy
import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rollmed
from tests.strategies import float_series, windows

CLOSED = [None, "right", "left", "both", "neither"]


def cuts_of(data, n):
    return sorted(data.draw(st.lists(st.integers(0, n), max_size=8)))


def pieces(n, cuts):
    bounds = [0, *cuts, n]
    return [(start, stop) for start, stop in itertools.pairwise(bounds)]


@st.composite
def irregular_times(draw, n):
    """Times that never decrease, with repeats and gaps longer than the windows."""
    steps = draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 7, 40]), min_size=n, max_size=n))
    return pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(steps), unit="s")


def feed(stream, values, cuts, times=None, scalars=True):
    results = []
    for start, stop in pieces(len(values), cuts):
        chunk_times = None if times is None else times[start:stop]
        if stop - start == 1 and scalars:
            value = float(values[start])
            result = stream.update(value) if times is None else stream.update(value, chunk_times[0])
            results.append(np.atleast_1d(result))
        else:
            piece = values[start:stop]
            results.append(stream.update(piece) if times is None else stream.update(piece, chunk_times))
    return np.concatenate(results) if results else np.empty(0)


@given(data=st.data(), values=float_series(max_size=120), closed=st.sampled_from(CLOSED))
def test_time_window_streams_equal_the_one_shot_result(data, values, closed):
    times = data.draw(irregular_times(len(values)))
    span = data.draw(st.sampled_from(["1s", "3s", "5s", "10s", "0s"]))
    min_periods = data.draw(st.one_of(st.none(), st.integers(0, 3)))
    q = data.draw(st.sampled_from([0.5, 0.1, [0.2, 0.5, 0.9]]))
    series = pd.Series(values, index=times)
    cuts = cuts_of(data, len(values))
    expected = series.rollmed.window(span, min_periods, closed=closed, q=q).to_numpy()
    stream = rollmed.RollingMedian(span, min_periods=min_periods, q=q, closed=closed)
    result = feed(stream, values, cuts, times, scalars=not isinstance(q, list))
    np.testing.assert_array_equal(result.reshape(expected.shape), expected)
    mad = rollmed.RollingMAD(span, min_periods=min_periods, closed=closed)
    np.testing.assert_array_equal(
        feed(mad, values, cuts, times), series.rollmed.mad(span, min_periods, closed=closed).to_numpy()
    )
    rank = rollmed.RollingRank(span, min_periods=min_periods, closed=closed)
    np.testing.assert_array_equal(
        feed(rank, values, cuts, times), series.rollmed.rank(span, min_periods, closed=closed).to_numpy()
    )


@given(
    data=st.data(),
    values=float_series(max_size=150),
    window=st.one_of(st.none(), windows(1, 40)),
    scale=st.sampled_from([1.0, 1.4826]),
)
def test_mad_and_rank_streams_equal_the_one_shot_result(data, values, window, scale):
    min_periods = data.draw(st.one_of(st.none(), st.integers(0, window or 5)))
    method = data.draw(st.sampled_from(["average", "min", "max"]))
    cuts = cuts_of(data, len(values))
    series = pd.Series(values)
    mad = rollmed.RollingMAD(window, min_periods=min_periods, scale=scale)
    np.testing.assert_array_equal(
        feed(mad, values, cuts), series.rollmed.mad(window, min_periods, scale=scale).to_numpy()
    )
    rank = rollmed.RollingRank(window, min_periods=min_periods, method=method, pct=True)
    np.testing.assert_array_equal(
        feed(rank, values, cuts), series.rollmed.rank(window, min_periods, method=method, pct=True).to_numpy()
    )
    assert mad.count == rank.count == len(values)


@given(
    data=st.data(),
    values=float_series(max_size=150),
    window=st.none() | windows(1, 30),
    center=st.booleans(),
    n_sigmas=st.sampled_from([0.0, 2.0, 3.0]),
)
def test_hampel_streams_equal_the_one_shot_result(data, values, window, center, n_sigmas):
    stream = rollmed.RollingHampel(window, n_sigmas, center=center)
    cuts = cuts_of(data, len(values))
    parts = [stream.update(values[start:stop]) for start, stop in pieces(len(values), cuts)]
    parts.append(stream.finish())
    expected = pd.Series(values).rollmed.hampel(window, n_sigmas, center=center).to_numpy()
    np.testing.assert_array_equal(np.concatenate(parts), expected)
    with pytest.raises(ValueError, match="finished"):
        stream.update([1.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: rollmed.RollingMedian("5s"),
        lambda: rollmed.RollingMedian(7, q=[0.1, 0.9]),
        lambda: rollmed.RollingMAD(7),
        lambda: rollmed.RollingMAD("5s", closed="both"),
        lambda: rollmed.RollingRank(None, pct=True),
        lambda: rollmed.RollingHampel(7),
        lambda: rollmed.RollingHampel(None, n_sigmas=1.0),
    ],
)
@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s)), "copy"])
def test_checkpoints_resume_identically(make, clone):
    rng = np.random.default_rng(1)
    values = rng.standard_normal(300)
    values[::17] = np.nan
    times = pd.Timestamp("2024") + pd.to_timedelta(np.cumsum(rng.integers(0, 3, 300)), unit="s")
    stream = make()
    timed = stream._window.timed
    args = (
        (lambda start, stop: (values[start:stop], times[start:stop]))
        if timed
        else (lambda start, stop: (values[start:stop],))
    )
    stream.update(*args(0, 123))
    other = stream.copy() if clone == "copy" else clone(stream)
    np.testing.assert_array_equal(stream.update(*args(123, 300)), other.update(*args(123, 300)))


def test_time_streams_refuse_decreasing_times_and_stay_as_they_were():
    stream = rollmed.RollingMedian("10s", min_periods=1)
    times = pd.to_datetime(["2024-01-01 00:00:00", "2024-01-01 00:00:05"])
    stream.update([1.0, 2.0], times)
    with pytest.raises(ValueError, match="`times` must not decrease"):
        stream.update([3.0, 4.0], pd.to_datetime(["2024-01-01 00:00:06", "2024-01-01 00:00:04"]))
    with pytest.raises(ValueError, match="`times` must not decrease"):
        stream.update(5.0, pd.Timestamp("2024-01-01 00:00:01"))
    assert stream.count == 2
    assert stream.update(9.0, pd.Timestamp("2024-01-01 00:00:07")) == 2.0  # median of 1, 2, 9


@pytest.mark.parametrize("make", [rollmed.RollingMedian, rollmed.RollingMAD, rollmed.RollingRank])
def test_times_go_with_time_windows_only(make):
    with pytest.raises(TypeError, match="needs the times"):
        make("5min").update([1.0])
    with pytest.raises(TypeError, match="takes no times"):
        make(5).update([1.0], pd.to_datetime(["2024"]))
    with pytest.raises(TypeError, match="`times` must be timestamps"):
        make("5min").update([1.0], ["not a time"])
    with pytest.raises(ValueError, match="one time per value"):
        make("5min").update([1.0, 2.0], pd.to_datetime(["2024"]))
    with pytest.raises(ValueError, match="`closed`"):
        make(5, closed="left")


def test_time_stream_memory_follows_the_readings_in_the_window():
    # 100 readings in any 10 s, fed in chunks of 1000: the state follows the window, and
    # stays as it is however long the stream.
    streams = [
        rollmed.RollingMedian("10s"),
        rollmed.RollingMAD("10s"),
        rollmed.RollingMedian("10s", closed="left"),
    ]
    start = pd.Timestamp("2024")
    sizes = []
    for chunk in range(50):
        times = start + pd.to_timedelta(np.arange(chunk * 1000, (chunk + 1) * 1000) * 100, unit="ms")
        for stream in streams:
            stream.update(np.ones(1000), times)
        if chunk in (4, 49):
            sizes.append([stream.nbytes for stream in streams])
    assert sizes[0] == sizes[1]
    assert max(sizes[1]) < 100_000  # (a window of the whole stream would be 50,000 readings)


def test_a_burst_does_not_keep_its_memory():
    stream = rollmed.RollingMedian("10s")
    start = pd.Timestamp("2024")
    stream.update(np.ones(20_000), start + pd.to_timedelta(np.arange(20_000), unit="us"))  # all in 10 s
    burst = stream.nbytes
    for chunk in range(1, 20):
        stream.update(np.ones(100), start + pd.to_timedelta(chunk * 60 + np.arange(100) * 0.1, unit="s"))
    assert stream.nbytes < burst / 8


def test_time_zones_must_agree():
    stream = rollmed.RollingMedian("1h")
    stream.update([1.0], pd.to_datetime(["2024-01-01"]).tz_localize("UTC"))
    with pytest.raises(TypeError, match="time-zone"):
        stream.update([2.0], pd.to_datetime(["2024-01-02"]))


def test_a_burst_does_not_keep_its_memory_one_reading_at_a_time():
    # The readings after the burst take the hot path: its kernel hands the stream back
    # to give room back by the same rule as a chunk's.
    stream = rollmed.RollingMedian("10s")
    start = pd.Timestamp("2024")
    stream.update(np.ones(20_000), start + pd.to_timedelta(np.arange(20_000), unit="us"))
    burst = stream.nbytes
    results = [stream.update(float(i), start + pd.Timedelta(seconds=60 + i)) for i in range(200)]
    assert stream.nbytes < burst / 8
    assert results[-1] == np.median(np.arange(190.0, 200.0))


@pytest.mark.parametrize("first_zone, then_zone", [("UTC", None), (None, "UTC"), ("Europe/Paris", None)])
def test_time_zones_must_agree_one_reading_at_a_time(first_zone, then_zone):
    # The readings after the first take the hot path, which checks the zone itself.
    stream = rollmed.RollingMedian("1h")
    start = pd.Timestamp("2024-01-01")
    for minute in range(3):
        stream.update(1.0, (start + pd.Timedelta(minutes=minute)).tz_localize(first_zone))
    later = start + pd.Timedelta(minutes=5)
    with pytest.raises(TypeError, match="time-zone"):
        stream.update(2.0, later.tz_localize(then_zone))
    assert stream.count == 3
    assert stream.update(3.0, later.tz_localize(first_zone)) == 1.0


def test_hampel_stream_lag():
    stream = rollmed.RollingHampel(7)
    assert stream.update([1.0, 2.0, 3.0]).size == 0  # each row waits for the 3 after it
    assert stream.update([4.0]).size == 1
    assert stream.finish().size == 3
