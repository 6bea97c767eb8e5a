"""rollmed.dask's MAD, ranks, Hampel filter, quantile lists and expanding windows against the pandas
accessor on the whole data, over random partitionings (tiny and empty partitions, windows wider than
them) on the synchronous scheduler."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")

import rollmed.dask  # noqa: E402, F401  (registers the dask accessor)
from tests.test_dask import partitioned, partitionings  # noqa: E402


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def data(n, seed):
    """Values with ties and NaN (``x`` floats on a coarse grid, ``i`` small integers), keys with
    gaps, and times on a DatetimeIndex (and in ``t``) that increase irregularly."""
    rng = np.random.default_rng(seed)
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(rng.integers(1, 4, n)), unit="s")
    x = rng.integers(-4, 5, n) / 2
    x[rng.random(n) < 0.15] = np.nan
    keys = rng.choice(np.array(["u", "v", None], dtype=object), n, p=[0.5, 0.4, 0.1])
    frame = pd.DataFrame({"x": x, "i": rng.integers(-3, 4, n), "k": keys, "t": times}, index=times)
    frame.loc[frame.index[rng.random(n) < 0.1], "x"] = 1e300  # a spike, for the Hampel filter
    return frame


def check(result, expected):
    """The computed dask result is the pandas result: index, names, columns, values; and its meta says
    so before anything runs (dtypes and columns)."""
    computed = result.compute()
    assert type(computed) is type(expected)
    assert computed.index.equals(expected.index)
    if isinstance(expected, pd.Series):
        assert computed.name == expected.name
        assert result.dtype == computed.dtype
        pairs = [(computed, expected)]
    else:
        assert computed.columns.equals(expected.columns)
        assert computed.columns.names == expected.columns.names
        assert result.columns.equals(computed.columns)
        assert list(result.dtypes) == list(computed.dtypes)
        pairs = [(computed.iloc[:, j], expected.iloc[:, j]) for j in range(expected.shape[1])]
    for actual, wanted in pairs:
        if wanted.dtype == bool:
            assert actual.dtype == bool
        np.testing.assert_array_equal(
            actual.to_numpy(np.float64), wanted.to_numpy(np.float64, na_value=np.nan)
        )


@st.composite
def calls(draw):
    """A method of the accessor and its keywords: any window its signature takes."""
    method = draw(st.sampled_from(["mad", "rank", "hampel", "hampel_details", "window"]))
    kind = draw(st.sampled_from(["rows", "time", "expanding"]))
    options = {}
    if kind == "rows":
        options["window"] = draw(st.integers(1, 9))
    elif kind == "time":
        options["window"] = draw(st.sampled_from(["2s", "5s", "11s"]))
    else:
        options["window"] = None
    if kind != "expanding":
        options["center"] = draw(st.booleans())
        options["closed"] = draw(st.sampled_from([None, "right", "left", "both", "neither"]))
        if kind == "rows" and not method.startswith("hampel") and draw(st.booleans()):
            options["step"] = draw(st.integers(1, 4))
    elif method.startswith("hampel") and draw(st.booleans()):
        options["center"] = draw(st.booleans())  # never centred when expanding, but accepted
    options["min_periods"] = draw(st.sampled_from([None, 0, 1, 2]))
    if kind == "rows" and options["min_periods"] is not None:  # at most the window, as pandas asks
        options["min_periods"] = min(options["min_periods"], options["window"])
    if method == "mad":
        options["scale"] = draw(st.sampled_from([1.0, 1.4826]))
    elif method == "rank":
        options["method"] = draw(st.sampled_from(["average", "min", "max"]))
        options["ascending"] = draw(st.booleans())
        options["pct"] = draw(st.booleans())
    elif method == "window":
        options["q"] = draw(st.sampled_from([0.5, 0.1, [0.1, 0.5, 0.9]]))
        options["interpolation"] = draw(st.sampled_from(["linear", "lower", "nearest"]))
    else:
        options["n_sigmas"] = draw(st.sampled_from([0.0, 1.0, 3.0]))
    return method, options


@settings(max_examples=30, deadline=None)
@given(partitionings(), calls(), st.booleans(), st.integers(0, 2**16))
def test_any_partitioning_of_a_series_gives_the_whole_data_result(partitioning, call, grouped, seed):
    n, sizes = partitioning
    method, options = call
    frame = data(n, seed)
    dask_frame = partitioned(frame, sizes)
    if grouped and "step" not in options:  # pandas takes no step within groups
        result = getattr(dask_frame["x"].rollmed, method)(**options, by=dask_frame["k"])
        expected = getattr(frame["x"].rollmed, method)(**options, by=frame["k"])
    else:
        result = getattr(dask_frame["x"].rollmed, method)(**options)
        expected = getattr(frame["x"].rollmed, method)(**options)
    check(result, expected)


@settings(max_examples=30, deadline=None)
@given(partitionings(), calls(), st.booleans(), st.booleans(), st.integers(0, 2**16))
def test_any_partitioning_of_a_frame_gives_the_whole_data_result(partitioning, call, grouped, on, seed):
    n, sizes = partitioning
    method, options = call
    frame = data(n, seed).drop(columns="t" if not on else [])
    if on:  # time windows on the column `t` instead of the index
        frame = frame.reset_index(drop=True)
        options["on"] = "t"
    if grouped and "step" not in options:
        options["by"] = "k"
    else:
        frame = frame.drop(columns="k")
    if on and isinstance(options.get("q"), list):
        options["q"] = 0.5  # (the pandas accessor cannot yet put `on` beside a column per quantile)
    result = getattr(partitioned(frame, sizes).rollmed, method)(**options)
    check(result, getattr(frame.rollmed, method)(**options))


@pytest.fixture(scope="module")
def sample():
    frame = data(300, 7)
    return frame, dd.from_pandas(frame, npartitions=6)


@pytest.mark.parametrize(
    ("closed", "center"),
    [(None, False), ("right", True), ("left", False), ("left", True), ("both", True), ("neither", False)],
)
def test_time_windows_on_a_datetime_index_with_each_closed(sample, closed, center):
    frame, dask_frame = sample
    options = {"closed": closed, "center": center}
    check(dask_frame["x"].rollmed.mad("7s", **options), frame["x"].rollmed.mad("7s", **options))
    check(dask_frame["x"].rollmed.rank("7s", **options), frame["x"].rollmed.rank("7s", **options))
    check(dask_frame["x"].rollmed.hampel("7s", **options), frame["x"].rollmed.hampel("7s", **options))
    keyed = {**options, "by": "k", "numeric_only": True}
    check(dask_frame.rollmed.hampel_details("7s", **keyed), frame.rollmed.hampel_details("7s", **keyed))


@pytest.mark.parametrize("q", [[0.1, 0.5, 0.9], [0.25], (0.75, 0.5)])
def test_quantile_lists_give_a_column_per_quantile(sample, q):
    frame, dask_frame = sample
    for window in [5, "6s", None]:
        check(dask_frame["i"].rollmed.window(window, q=q), frame["i"].rollmed.window(window, q=q))
        quantiles = {"q": q, "numeric_only": True}
        check(dask_frame.rollmed.window(window, **quantiles), frame.rollmed.window(window, **quantiles))
    check(dask_frame["x"].rollmed.expanding(q=q), frame["x"].rollmed.expanding(q=q))
    keyed = {"q": q, "interpolation": "lower", "by": "k", "numeric_only": True}
    check(dask_frame.rollmed.expanding(**keyed), frame.rollmed.expanding(**keyed))
    check(
        dask_frame["x"].rollmed.expanding(q=q, by=dask_frame["k"]),
        frame["x"].rollmed.expanding(q=q, by=frame["k"]),
    )


def test_expanding_robust_statistics_see_every_earlier_partition(sample):
    frame, dask_frame = sample
    x, dask_x = frame["x"], dask_frame["x"]
    check(dask_x.rollmed.mad(None, scale=1.4826), x.rollmed.mad(None, scale=1.4826))
    check(dask_x.rollmed.rank(None, pct=True), x.rollmed.rank(None, pct=True))
    check(dask_x.rollmed.rank(None, min_periods=20), x.rollmed.rank(None, min_periods=20))
    check(dask_x.rollmed.hampel(None, 2.0, center=False), x.rollmed.hampel(None, 2.0, center=False))
    check(dask_x.rollmed.hampel(None), x.rollmed.hampel(None, center=False))
    check(dask_x.rollmed.window(None, min_periods=3), x.rollmed.window(None, min_periods=3))
    check(dask_x.rollmed.mad(None, by=dask_frame["k"]), x.rollmed.mad(None, by=frame["k"]))
    keyed = {"by": "k", "numeric_only": True}
    check(dask_frame.rollmed.rank(None, **keyed), frame.rollmed.rank(None, **keyed))
    check(dask_frame.rollmed.mad(None, numeric_only=True), frame.rollmed.mad(None, numeric_only=True))


def test_a_time_column_named_by_on_is_kept(sample):
    frame, _ = sample
    plain = frame.reset_index(drop=True)[["t", "x", "i"]]
    dask_plain = dd.from_pandas(plain, npartitions=4)
    for method in ["mad", "rank", "window"]:
        check(getattr(dask_plain.rollmed, method)("9s", on="t"), getattr(plain.rollmed, method)("9s", on="t"))
        check(getattr(dask_plain.rollmed, method)(None, on="t"), getattr(plain.rollmed, method)(None, on="t"))
    check(dask_plain.rollmed.hampel("9s", on="t"), plain.rollmed.hampel("9s", on="t"))


def test_errors_are_raised_before_anything_runs(sample):
    _, dask_frame = sample
    x = dask_frame["x"]
    with pytest.raises(ValueError, match="`scale`"):
        x.rollmed.mad(5, scale=-1.0)
    with pytest.raises(ValueError, match="`method`"):
        x.rollmed.rank(5, method="dense")
    with pytest.raises(ValueError, match="`n_sigmas`"):
        x.rollmed.hampel(5, n_sigmas=-1.0)
    with pytest.raises(TypeError, match="`center`"):
        x.rollmed.hampel(None, center="yes")
    with pytest.raises(ValueError, match="`step`"):
        x.rollmed.mad(None, step=2)
    with pytest.raises(ValueError, match="`step`"):
        dask_frame.rollmed.rank(5, step=2, by="k", numeric_only=True)
    with pytest.raises(TypeError, match="column 'k'"):
        dask_frame.rollmed.hampel(5)
    with pytest.raises(KeyError, match="nope"):
        dask_frame.rollmed.mad(5, by="nope", numeric_only=True)
    with pytest.raises(ValueError, match="indexer"):
        x.rollmed.rank(pd.api.indexers.FixedForwardWindowIndexer(window_size=3))
    with pytest.raises(TypeError, match="dask Series of keys"):
        x.rollmed.hampel_details(5, by=[1, 2])
    with pytest.raises(ValueError, match="DatetimeIndex"):
        dask_frame.reset_index(drop=True)["x"].rollmed.mad("5s")


def test_a_partition_without_a_key_in_a_time_window():
    # Every key of the first partition and its halo missing: a check of times per group meets no group.
    times = pd.date_range("2024-01-01", periods=6, freq="s")
    keys = np.array([None, None, None, None, "a", "a"], dtype=object)
    frame = pd.DataFrame({"x": np.arange(6.0), "k": keys}, index=times)
    dask_frame = partitioned(frame, [1, 3, 2])
    check(dask_frame["x"].rollmed.mad("2s", by=dask_frame["k"]), frame["x"].rollmed.mad("2s", by=frame["k"]))
    check(dask_frame.rollmed.window("2s", by="k"), frame.rollmed.window("2s", by="k"))
