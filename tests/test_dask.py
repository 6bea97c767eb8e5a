"""rollmed.dask on a real distributed cluster with worker processes, against pandas on the whole data."""

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import rollmed  # noqa: E402
import rollmed.dask  # noqa: E402, F401  (registers the dask accessor)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(12)
    n = 6000
    jitter = pd.to_timedelta(rng.integers(0, 900, n), unit="ms")
    index = pd.date_range("2024-01-01", periods=n, freq="s") + jitter
    frame = pd.DataFrame(
        {
            "x": rng.standard_normal(n),
            "y": rng.integers(-50, 50, n).astype(float),
            "k": rng.integers(0, 9, n),
        },
        index=index,
    )
    frame.loc[frame.index[::13], "x"] = np.nan
    frame.loc[frame.index[2000:2100], "y"] = np.nan
    return frame, dd.from_pandas(frame, npartitions=7)


def same(actual, expected):
    assert actual.index.equals(expected.index)
    np.testing.assert_array_equal(actual.to_numpy(), expected.to_numpy())


WINDOWS = [
    ({"window": 25}, {}),
    ({"window": 24, "center": True, "min_periods": 1}, {}),
    ({"window": 10, "closed": "both"}, {}),
    ({"window": "30s"}, {}),
    ({"window": "30s", "center": True}, {}),
    ({"window": "30s", "closed": "both"}, {}),
    ({"window": "45s", "closed": "left", "min_periods": 3}, {}),
    ({"window": 31}, {"q": 0.9, "interpolation": "nearest"}),
]


@pytest.mark.parametrize("window, quantile", WINDOWS, ids=lambda kwargs: repr(kwargs))
def test_windows_across_partitions(client, frames, window, quantile):
    frame, dask_frame = frames
    expected = frame["x"].rollmed.window(**window, **quantile)
    same(dask_frame["x"].rollmed.window(**window, **quantile).compute(), expected)


@pytest.mark.parametrize("quantile", [{}, {"q": 0.25, "interpolation": "lower"}])
def test_expanding_carries_the_state_across_partitions(client, frames, quantile):
    frame, dask_frame = frames
    same(dask_frame["x"].rollmed.expanding(**quantile).compute(), frame["x"].rollmed.expanding(**quantile))
    result = dask_frame[["x", "y"]].rollmed.expanding(**quantile).compute()
    same(result["y"], frame["y"].rollmed.expanding(**quantile))


def test_groups_carry_their_states_across_partitions(client, frames):
    frame, dask_frame = frames
    result = dask_frame.rollmed.window(5, by="k").compute()
    expected = frame.rollmed.window(5, by="k")
    assert list(result.columns) == ["x", "y"]
    same(result["x"], expected["x"])
    same(result["y"], expected["y"])
    same(
        dask_frame["x"].rollmed.window(7, by=dask_frame["k"]).compute(),
        frame["x"].rollmed.window(7, by=frame["k"]),
    )
    expanding = dask_frame.rollmed.expanding(by="k", q=0.75).compute()
    assert list(expanding.columns) == ["x", "y"]
    same(expanding["y"], frame.rollmed.expanding(by="k", q=0.75)["y"])
    same(
        dask_frame["x"].rollmed.expanding(by=dask_frame["k"]).compute(),
        frame["x"].rollmed.expanding(by=frame["k"]),
    )


def test_matches_pandas_where_pandas_is_right(client, frames):
    frame, dask_frame = frames
    same(dask_frame["y"].rollmed.window(15).compute(), frame["y"].rolling(15).median())


def test_errors_are_raised_before_anything_runs(frames):
    _, dask_frame = frames
    with pytest.raises(ValueError, match="`q`"):
        dask_frame["x"].rollmed.window(5, q=3)
    with pytest.raises(KeyError, match="nope"):
        dask_frame.rollmed.window(5, by="nope")
    with pytest.raises(ValueError, match="`by` on a dask frame"):
        dask_frame.rollmed.window(5, by="k", center=True)
    with pytest.raises(AttributeError, match="dtype"):
        dask_frame["x"].astype(str).rollmed  # noqa: B018
