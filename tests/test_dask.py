"""rollmed.dask against the pandas accessor on the whole data: on a distributed cluster of
worker processes, and over random partitionings (tiny, empty) on the synchronous scheduler."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

import rollmed  # noqa: E402
import rollmed.dask  # noqa: E402, F401  (registers the dask accessor)
from tests.strategies import windows  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def sample(n, seed=12):
    """Irregular times, NaN gaps, a few groups (some keys missing), an integer column."""
    rng = np.random.default_rng(seed)
    jitter = pd.to_timedelta(rng.integers(0, 900, n), unit="ms")
    times = pd.date_range("2024-01-01", periods=n, freq="s") + jitter
    frame = pd.DataFrame(
        {
            "x": rng.standard_normal(n),
            "y": rng.integers(-50, 50, n).astype(float),
            "k": rng.integers(0, 9, n),
            "j": rng.choice(np.array(["u", "v", None], dtype=object), n, p=[0.5, 0.4, 0.1]),
            "i": rng.integers(-9, 9, n),
            "t": times,
        },
        index=times,
    )
    frame.loc[frame.index[::13], "x"] = np.nan
    frame.loc[frame.index[n // 3 : n // 3 + n // 60], "y"] = np.nan
    return frame


@pytest.fixture(scope="module")
def frames():
    frame = sample(6000)
    return frame, dd.from_pandas(frame, npartitions=7)


def same(actual, expected):
    assert actual.index.equals(expected.index)
    np.testing.assert_array_equal(actual.to_numpy(dtype=np.float64), expected.to_numpy(dtype=np.float64))


WINDOWS = [
    {"window": 25},
    {"window": 24, "center": True, "min_periods": 1},
    {"window": 10, "closed": "both"},
    {"window": 9, "step": 4},
    {"window": 8, "center": True, "step": 3, "closed": "neither", "min_periods": 2},
    {"window": "30s"},
    {"window": "30s", "center": True},
    {"window": "30s", "closed": "both"},
    {"window": "45s", "closed": "left", "min_periods": 3},
    {"window": 31, "q": 0.9, "interpolation": "nearest"},
]


@pytest.mark.parametrize("options", WINDOWS, ids=repr)
def test_windows_across_partitions(client, frames, options):
    frame, dask_frame = frames
    same(dask_frame["x"].rollmed.window(**options).compute(), frame["x"].rollmed.window(**options))


GROUPED = [
    {"window": 5},
    {"window": 6, "center": True, "min_periods": 1},
    {"window": 4, "closed": "left", "q": 0.25, "interpolation": "lower"},
    {"window": "40s"},
    {"window": "40s", "center": True, "closed": "both"},
]


@pytest.mark.parametrize("options", GROUPED, ids=repr)
def test_windows_within_groups_across_partitions(client, frames, options):
    frame, dask_frame = frames
    result = dask_frame.rollmed.window(**options, by="k", numeric_only=True).compute()
    expected = frame.rollmed.window(**options, by="k", numeric_only=True)
    assert list(result.columns) == list(expected.columns)
    for name in ["x", "y", "i"]:
        same(result[name], expected[name])
    same(
        dask_frame["x"].rollmed.window(**options, by=dask_frame["j"]).compute(),
        frame["x"].rollmed.window(**options, by=frame["j"]),
    )


def test_time_window_on_a_column_keeps_the_column(client, frames):
    frame, dask_frame = frames
    plain = frame.reset_index(drop=True)[["t", "x", "i"]]
    dask_plain = dd.from_pandas(plain, npartitions=5)
    result = dask_plain.rollmed.window("20s", on="t", center=True).compute()
    expected = plain.rollmed.window("20s", on="t", center=True)
    assert list(result.columns) == ["t", "x", "i"]
    pd.testing.assert_series_equal(result["t"], expected["t"])
    same(result["x"], expected["x"])
    same(result["i"], expected["i"])
    both = dask_frame.rollmed.window("1min", on="t", by=["k", "j"], numeric_only=True).compute()
    same(both["y"], frame.rollmed.window("1min", on="t", by=["k", "j"], numeric_only=True)["y"])


@pytest.mark.parametrize("quantile", [{}, {"q": 0.25, "interpolation": "lower"}])
def test_expanding_carries_the_state_across_partitions(client, frames, quantile):
    frame, dask_frame = frames
    same(dask_frame["x"].rollmed.expanding(**quantile).compute(), frame["x"].rollmed.expanding(**quantile))
    result = dask_frame[["x", "y"]].rollmed.expanding(**quantile).compute()
    same(result["y"], frame["y"].rollmed.expanding(**quantile))


def test_expanding_groups_carry_their_states_across_partitions(client, frames):
    frame, dask_frame = frames
    expanding = dask_frame.rollmed.expanding(by="k", q=0.75, numeric_only=True).compute()
    assert list(expanding.columns) == ["x", "y", "i"]
    same(expanding["y"], frame.rollmed.expanding(by="k", q=0.75, numeric_only=True)["y"])
    same(
        dask_frame["x"].rollmed.expanding(by=dask_frame["j"]).compute(),
        frame["x"].rollmed.expanding(by=frame["j"]),
    )
    two_keys = dask_frame[["x", "k", "j"]].rollmed.expanding(by=["k", "j"]).compute()
    same(two_keys["x"], frame[["x", "k", "j"]].rollmed.expanding(by=["k", "j"])["x"])


def test_robust_statistics_and_quantile_lists_on_worker_processes(client, frames):
    # What the workers are sent pickles: a halo's method and keywords, and the carried streams.
    frame, dask_frame = frames
    keyed = {"by": "k", "numeric_only": True}
    pd.testing.assert_frame_equal(
        dask_frame.rollmed.mad(25, center=True, **keyed).compute(),
        frame.rollmed.mad(25, center=True, **keyed),
    )
    pd.testing.assert_frame_equal(
        dask_frame["x"].rollmed.window(None, q=[0.25, 0.75], by=dask_frame["j"]).compute(),
        frame["x"].rollmed.window(None, q=[0.25, 0.75], by=frame["j"]),
    )


def test_matches_pandas_where_pandas_is_right(client, frames):
    frame, dask_frame = frames
    same(dask_frame["y"].rollmed.window(15).compute(), frame["y"].rolling(15).median())
    same(dask_frame["y"].rollmed.window(15, step=7).compute(), frame["y"].rolling(15, step=7).median())


def partitioned(frame, sizes):
    """``frame`` cut into pieces of the given sizes (empty pieces too), divisions unknown."""
    cuts = np.cumsum([0, *sizes])
    pieces = [dask.delayed(frame.iloc[a:b]) for a, b in itertools.pairwise(cuts)]
    return dd.from_delayed(pieces, meta=frame.iloc[:0])


@st.composite
def partitionings(draw):
    n = draw(st.integers(0, 60))
    sizes = []
    while sum(sizes) < n:
        sizes.append(min(draw(st.integers(0, 7)), n - sum(sizes)))
    return n, sizes or [0]


@st.composite
def window_options(draw):
    if draw(st.booleans()):
        options = {"window": draw(st.sampled_from(["2s", "5s", "11s"]))}
    else:
        options = {"window": draw(windows(1, 9))}
        if draw(st.booleans()):
            options["step"] = draw(st.integers(1, 4))
    options["center"] = draw(st.booleans())
    options["closed"] = draw(st.sampled_from([None, "right", "left", "both", "neither"]))
    options["min_periods"] = draw(st.sampled_from([None, 0, 1]))
    options["q"] = draw(st.sampled_from([0.5, 0.1]))
    return options


@settings(max_examples=120, deadline=None)
@given(partitionings(), window_options(), st.booleans(), st.integers(0, 2**16))
def test_any_partitioning_gives_the_whole_data_result(partitioning, options, grouped, seed):
    n, sizes = partitioning
    frame = sample(n, seed)[["x", "i", "k"]]
    frame["k"] %= 3
    if grouped:
        options.pop("step", None)  # pandas takes no step within groups
        options["by"] = "k"
    with dask.config.set(scheduler="synchronous"):
        result = partitioned(frame, sizes).rollmed.window(**options).compute()
    expected = frame.rollmed.window(**options)
    for name in expected.columns:
        same(result[name], expected[name])


def test_errors_are_raised_before_anything_runs(frames):
    _, dask_frame = frames
    with pytest.raises(ValueError, match="`q`"):
        dask_frame["x"].rollmed.window(5, q=3)
    with pytest.raises(ValueError, match="`step`"):
        dask_frame["x"].rollmed.window(5, step=0)
    with pytest.raises(ValueError, match="`step`"):
        dask_frame.rollmed.window(5, step=2, by="k", numeric_only=True)
    with pytest.raises(ValueError, match="`min_periods`"):
        dask_frame["x"].rollmed.expanding(min_periods=-1, by=dask_frame["k"])
    with pytest.raises(ValueError, match="`interpolation`"):
        dask_frame.rollmed.expanding(interpolation="middle", by="k")
    with pytest.raises(KeyError, match="nope"):
        dask_frame.rollmed.window(5, by="nope")
    with pytest.raises(KeyError, match="nope"):
        dask_frame.rollmed.window("5s", on="nope")
    with pytest.raises(TypeError, match="column 'j'"):
        dask_frame.rollmed.window(5)
    with pytest.raises(ValueError, match="indexer"):
        dask_frame["x"].rollmed.window(pd.api.indexers.FixedForwardWindowIndexer(window_size=3))
    with pytest.raises(TypeError, match="dask Series of keys"):
        dask_frame["x"].rollmed.window(5, by=[1, 2])
    with pytest.raises(ValueError, match="partitioned like the Series"):
        dask_frame["x"].rollmed.window(5, by=dask_frame["k"].repartition(npartitions=3))
    with pytest.raises(ValueError, match="DatetimeIndex"):
        dask_frame.reset_index(drop=True)["x"].rollmed.window("5s")
    with pytest.raises(AttributeError, match="dtype"):
        dask_frame["x"].astype(str).rollmed  # noqa: B018


def test_times_that_do_not_increase_are_an_error(client):
    frame = sample(50)[::-1]
    with pytest.raises(ValueError, match="times that increase"):
        dd.from_pandas(frame, npartitions=3, sort=False)["x"].rollmed.window("5s").compute()
