"""The streaming state: any split of the data gives the one-shot result; checkpoints resume exactly."""

import copy
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rollmed
from tests.strategies import float_series, int64_values, windows


def one_shot(values, window, min_periods, q, interpolation):
    series = pd.Series(values)
    if window is None:
        return series.rollmed.expanding(min_periods=min_periods or 1, q=q, interpolation=interpolation)
    return series.rollmed.window(window, min_periods=min_periods, q=q, interpolation=interpolation)


def feed(stream, values, cuts):
    """Feed ``values`` split at ``cuts``; pieces of one value go in as scalars."""
    results = []
    for piece in np.split(values, sorted(cuts)):
        if len(piece) == 1:
            result = stream.update(float(piece[0]))
            assert isinstance(result, float)
            results.append(np.array([result]))
        else:
            results.append(stream.update(piece))
    return np.concatenate(results) if results else np.array([])


@given(
    data=st.data(),
    values=float_series(max_size=150),
    window=st.one_of(st.none(), windows(1, 40)),
    q=st.sampled_from([0.5, 0.1, 0.9, 1.0]),
    interpolation=st.sampled_from(["linear", "lower", "nearest", "floor"]),
)
def test_any_split_gives_the_one_shot_result(data, values, window, q, interpolation):
    min_periods = data.draw(st.one_of(st.none(), st.integers(0, window or 5)))
    cuts = data.draw(st.lists(st.integers(0, len(values)), max_size=8))
    stream = rollmed.RollingMedian(window, min_periods=min_periods, q=q, interpolation=interpolation)
    expected = one_shot(values, window, min_periods, q, interpolation).to_numpy()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(feed(stream, values, cuts), expected)
    assert stream.count == len(values)


@pytest.mark.parametrize("window", [None, 1, 5, 64])
@pytest.mark.parametrize("clone", [pickle.loads, copy.deepcopy, "copy"], ids=["pickle", "deepcopy", "copy"])
def test_checkpoint_and_resume_mid_stream(window, clone):
    values = np.random.default_rng(4).standard_normal(3000)
    values[::13] = np.nan
    stream = rollmed.RollingMedian(window)
    stream.update(values[:1234])
    if clone is pickle.loads:
        resumed = pickle.loads(pickle.dumps(stream))
    elif clone == "copy":
        resumed = stream.copy()
    else:
        resumed = clone(stream)
    rest_original = stream.update(values[1234:])
    rest_resumed = resumed.update(values[1234:])
    np.testing.assert_array_equal(rest_original, rest_resumed)
    np.testing.assert_array_equal(rest_original, one_shot(values, window, None, 0.5, "linear")[1234:])


def test_clones_are_independent():
    stream = rollmed.RollingMedian(3)
    stream.update([1.0, 2.0, 3.0])
    clone = stream.copy()
    stream.update([100.0, 100.0])
    assert clone.update(4.0) == 3.0
    assert clone.count == 4 and stream.count == 5


def test_fixed_window_memory_does_not_grow_with_the_stream():
    stream = rollmed.RollingMedian(101)
    stream.update(np.arange(1000.0))
    size = stream.nbytes
    for _ in range(20):
        stream.update(np.arange(10_000.0))  # monotone: the worst case for lazy deletion
    stream.update(5.0)
    assert stream.nbytes == size


def test_numpy_scalars_and_zero_dimensional_arrays_are_scalars():
    stream = rollmed.RollingMedian(2, min_periods=1)
    assert stream.update(np.float32(1.0)) == 1.0
    assert stream.update(np.int64(3)) == 2.0
    assert stream.update(np.array(5.0)) == 4.0
    assert stream.update([]).shape == (0,)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"window": 0}, ValueError, "`window` (=0)"),
        ({"window": 2.5}, TypeError, "`window` must be an integer"),
        ({"window": 3, "min_periods": 4}, ValueError, "`min_periods` (=4)"),
        ({"window": 3, "min_periods": -1}, ValueError, "`min_periods` (=-1)"),
        ({"q": 2}, ValueError, "`q`"),
        ({"interpolation": "spline"}, ValueError, "`interpolation`"),
    ],
)
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as caught:
        rollmed.RollingMedian(**kwargs)
    assert words in str(caught.value)


def test_two_dimensional_update_is_refused():
    with pytest.raises(ValueError, match="one-dimensional"):
        rollmed.RollingMedian(3).update(np.zeros((2, 2)))


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy, pickle.loads, "copy"])
def test_every_kind_of_copy_is_independent(clone):
    # Issue 9: copy.copy shared its heaps with the original.
    stream = rollmed.RollingMedian(3)
    stream.update([1.0, 2.0])
    other = (
        stream.copy()
        if clone == "copy"
        else pickle.loads(pickle.dumps(stream))
        if clone is pickle.loads
        else clone(stream)
    )
    other.update(100.0)
    assert stream.update(3.0) == 2.0
    assert other.update(3.0) == 3.0


THREADED_UPDATES = """
import itertools, threading, numpy as np, pandas as pd, rollmed
for window in (None, 5, 300, "5s", "300s"):
    stream = rollmed.RollingMedian(window)
    timed = isinstance(window, str)
    clock = itertools.count(0, 10_000)  # each update reserves its times (ms); threads interleave them
    refused, errors = [], []
    def feed(seed):
        rng = np.random.default_rng(seed)
        for _ in range(300):
            n = rng.integers(0, 2000)
            try:
                times = pd.to_datetime(next(clock) + np.arange(n), unit="ms") if timed else None
                stream.update(rng.standard_normal(n), times)
                time = pd.Timestamp(next(clock), unit="ms") if timed else None
                stream.update(float(rng.standard_normal()), time)
            except RuntimeError as exc:
                refused.append(str(exc))
            except ValueError as exc:  # another thread's later times came first
                if "must not decrease" not in str(exc):
                    errors.append(repr(exc))
            except Exception as exc:
                errors.append(repr(exc))
    threads = [threading.Thread(target=feed, args=(seed,)) for seed in range(4)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    assert not errors, errors
    assert all("another thread" in message for message in refused)
    # The stream still works.
    assert isinstance(stream.update(1.0, pd.Timestamp(next(clock), unit="ms") if timed else None), float)
print("ok")
"""


def test_updates_from_several_threads_never_crash():
    # Issue 9: four threads updating one stream killed the interpreter (SIGSEGV, SIGBUS).
    result = subprocess.run(
        [sys.executable, "-c", THREADED_UPDATES], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize("window", [3, "3s"])
def test_a_refused_update_leaves_the_stream_as_it_was(window):
    stream = rollmed.RollingMedian(window)
    times = pd.date_range("2024-01-01", periods=6, freq="s") if isinstance(window, str) else [None] * 6
    stream.update([1.0, 2.0, 3.0], None if times[0] is None else times[:3])
    in_use = stream._using()
    in_use.__enter__()  # as if another thread were inside update
    with pytest.raises(RuntimeError, match="another thread"):
        stream.update(4.0, times[3])
    with pytest.raises(RuntimeError, match="another thread"):
        stream.update([4.0, 5.0], None if times[0] is None else times[3:5])
    in_use.__exit__()
    assert stream.count == 3
    assert stream.update(10.0, times[3]) == 3.0


@pytest.mark.parametrize(
    "values",
    ["1.5", np.datetime64("2024-01-01"), np.array([1 + 2j]), 1 + 2j, [1.0, "a"], pd.Series(["x"]),
     pd.Series(pd.date_range("2024", periods=2)), [np.timedelta64(1, "s")], b"1"],
)  # fmt: skip
def test_values_that_are_not_numbers_are_refused(values):
    stream = rollmed.RollingMedian(2, min_periods=1)
    with pytest.raises(TypeError, match="RollingMedian takes numbers"):
        stream.update(values)
    assert stream.count == 0


def test_none_and_pd_na_are_missing_like_nan():
    stream = rollmed.RollingMedian(3, min_periods=1)
    assert np.isnan(stream.update(None))
    assert np.isnan(stream.update(pd.NA))
    np.testing.assert_array_equal(stream.update([1.0, None, pd.NA, 3.0]), [1.0, 1.0, 1.0, 3.0])
    nullable = pd.array([4, None, 6], dtype="Int64")
    np.testing.assert_array_equal(stream.update(nullable), [3.5, 3.5, 5.0])


def test_memory_follows_the_values_held():
    # Issue 9: a stream sized its heaps by the window up front (42 MB for a window of 10**6).
    stream = rollmed.RollingMedian(window=10**6)
    assert len(pickle.dumps(stream)) < 4096
    stream.update(np.arange(1000.0))
    assert stream.nbytes < 5 * 1024 * 8 + 1024  # five arrays of the 1024 values' capacity
    huge = rollmed.RollingMedian(window=2**62, min_periods=1)
    np.testing.assert_array_equal(huge.update([3.0, 1.0, 2.0]), [3.0, 2.0, 2.0])
    assert huge.nbytes < 1024


@given(values=float_series(max_size=300), window=windows(1, 300), cuts=st.lists(st.integers(0, 300)))
def test_growing_state_gives_the_one_shot_result(values, window, cuts):
    stream = rollmed.RollingMedian(window, min_periods=1)
    cuts = [cut for cut in cuts if cut <= len(values)]
    expected = pd.Series(values).rollmed.window(window, min_periods=1).to_numpy()
    np.testing.assert_array_equal(feed(stream, values, cuts), expected)


@given(
    data=st.data(),
    values=st.lists(st.one_of(st.none(), int64_values), max_size=120),
    window=st.one_of(st.none(), windows(1, 30)),
    interpolation=st.sampled_from(["lower", "higher", "nearest", "floor"]),
    q=st.sampled_from([0.5, 0.1, 0.9, 1.0]),
)
def test_integer_streams_are_exact_under_any_split(data, values, window, interpolation, q):
    series = pd.Series(values, dtype="Int64")
    min_periods = data.draw(st.one_of(st.none(), st.integers(0, window or 5)))
    expected = one_shot(series, window, min_periods, q, interpolation).array
    stream = rollmed.RollingMedian(
        window, min_periods=min_periods, q=q, interpolation=interpolation, dtype="int64"
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=6)))
    pieces = []
    for start, stop in zip([0, *cuts], [*cuts, len(values)], strict=True):
        if stop - start == 1 and data.draw(st.booleans()):
            value = values[start]
            result = stream.update(pd.NA if value is None else value)
            pieces.append(pd.array([result], dtype="Int64"))
        elif stop > start:
            pieces.append(
                stream.update(series.iloc[start:stop] if data.draw(st.booleans()) else values[start:stop])
            )
    combined = pd.array(
        np.concatenate([np.asarray(p, dtype=object) for p in pieces]) if pieces else [], dtype="Int64"
    )
    pd.testing.assert_extension_array_equal(combined, expected)


def test_unsigned_streams_are_exact():
    values = np.array([2**64 - 1, 2**64 - 3, 0, 2**63], np.uint64)
    stream = rollmed.RollingMedian(2, interpolation="floor", dtype="uint64")
    expected = pd.Series(values).rollmed.window(2, interpolation="floor").array
    pd.testing.assert_extension_array_equal(stream.update(values), expected)


@pytest.mark.parametrize(
    "kwargs, values, error",
    [
        ({"dtype": "int64", "interpolation": "lower"}, [1.5], TypeError),
        ({"dtype": "int64", "interpolation": "lower"}, [2**63], ValueError),
        ({"dtype": "uint64", "interpolation": "lower"}, [-1], ValueError),
        ({"dtype": "int64", "interpolation": "lower"}, pd.Series([1.0]), TypeError),
    ],
)
def test_integer_streams_take_integers_in_range(kwargs, values, error):
    stream = rollmed.RollingMedian(3, **kwargs)
    with pytest.raises(error):
        stream.update(values)
    assert stream.count == 0


@pytest.mark.parametrize(
    "dtype, words", [("int64", "`dtype` (='int64') gives exact integers"), ("int32", "`dtype`")]
)
def test_integer_streams_need_an_exact_interpolation(dtype, words):
    with pytest.raises(ValueError) as caught:
        rollmed.RollingMedian(3, dtype=dtype)
    assert words in str(caught.value)


def test_a_buffer_replaced_by_a_larger_one_is_refused_for_good():
    # update's hot path takes no token: its kernel refuses a busy buffer, and a buffer
    # replaced while the stream grew stays busy, so a value fed to it cannot be lost.
    from rollmed import _kernels, _stream_base

    assert _stream_base.BUSY == _kernels.STREAM_BUSY
    times = pd.date_range("2024-01-01", periods=200, freq="s")
    stream = rollmed.RollingMedian("1h")
    stream.update(1.0, times[0])
    old_buffer, old_ring = stream._buffers[0], stream._ring
    stream.update(np.arange(1.0, 100.0), times[1:100])
    assert stream._buffers[0] is not old_buffer
    with pytest.raises(_kernels.PushRefused):
        stream._push_in_time(old_buffer, old_ring, 5.0, times[100].value)
    with pytest.raises(_kernels.PushRefused):
        stream._push_in_time(stream._buffers[0], stream._ring, 5.0, times[50].value)  # an earlier time
    assert stream.count == 100
    values = pd.Series(np.arange(101.0), index=times[:101]).clip(lower=1.0)  # 1, 1, 2, ..., 100
    assert stream.update(100.0, times[100]) == values.rollmed.window("1h").iloc[-1] == 50.0


def test_a_row_stream_fed_a_value_at_a_time_retires_the_buffers_it_outgrows():
    # Values one at a time grow the heaps under the token alone (the push must pass): the
    # buffer left behind is marked busy where it is replaced, so its kernel refuses it.
    from rollmed import _kernels

    stream = rollmed.RollingMedian(100, min_periods=1)
    first = stream._buffers[0]
    results = [stream.update(float(value)) for value in range(20)]
    assert stream._buffers[0] is not first
    with pytest.raises(_kernels.PushRefused):
        stream._push(first, 1.0)
    assert results == list(pd.Series(np.arange(20.0)).rolling(100, min_periods=1).median())
    assert stream.update(20.0) == 10.0


def test_a_stream_saved_with_another_buffer_layout_is_refused_not_misread():
    stream = rollmed.RollingMedian(3)
    stream.update([1.0, 2.0, 3.0])
    state = stream.__getstate__()
    del state["_buffer_layout"]  # as pickled by the rollmed before STREAM_BUSY
    with pytest.raises(ValueError, match="keep their state differently"):
        object.__new__(rollmed.RollingMedian).__setstate__(state)  # what unpickling does
    assert pickle.loads(pickle.dumps(stream)).update(4.0) == 3.0


def test_streams_load_on_first_use():
    # A fresh interpreter: the stream modules stay unloaded until a stream is asked for,
    # then every name of rollmed.__all__ resolves, and a misspelt one is an AttributeError.
    script = (
        "import sys, rollmed\n"
        "assert 'rollmed._stream' not in sys.modules and 'rollmed._robust_stream' not in sys.modules\n"
        "assert {'RollingMedian', 'RollingHampel'} <= set(dir(rollmed))\n"
        "from rollmed import *\n"
        "assert [getattr(rollmed, name).__name__ for name in rollmed.__all__] == rollmed.__all__\n"
        "assert rollmed.RollingMedian(3).update([1.0, 2.0, 6.0])[-1] == 2.0\n"
        "try:\n"
        "    rollmed.RollingMedain\n"
        "except AttributeError as error:\n"
        "    assert 'RollingMedain' in str(error)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
