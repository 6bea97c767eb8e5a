"""rollmed.xarray: against xarray's own rolling where xarray is right, against the pandas accessor
column by column otherwise, and dask-backed against NumPy-backed for any chunking."""

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

xr = pytest.importorskip("xarray")
dask = pytest.importorskip("dask")

import rollmed  # noqa: E402  (registers the pandas accessor, the reference below)
import rollmed.xarray  # noqa: E402, F401  (registers the xarray accessors)
from tests.strategies import windows  # noqa: E402

CLOSED = [None, "right", "left", "both", "neither"]


def sample(shape=(240, 4, 3), seed=0, dims=("time", "lat", "lon")):
    """Irregular, repeated times (every 0-30 min), NaN gaps, coords along and across the time axis."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    values[rng.random(shape) < 0.08] = np.nan
    values[shape[0] // 3 : shape[0] // 3 + 12] = np.nan
    minutes = np.cumsum(rng.choice([0, 10, 20, 30], shape[0]))
    coords = {
        "time": pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min"),
        "lat": np.linspace(40.0, 50.0, shape[1]),
        "station": ("lat", [f"s{i}" for i in range(shape[1])]),
        "hour": ("time", np.arange(shape[0]) % 24),
    }
    return xr.DataArray(values, dims=dims, coords=coords, name="t2m", attrs={"units": "K"})


@pytest.fixture(scope="module")
def cube():
    return sample()


def by_column(array, dim, call, extra_dim=None):
    """``call(series)`` for each 1-d slice of ``array`` along ``dim``, a Series on the dim's index.

    The pandas accessor, column by column: the reference. Dims: the others, then ``dim``
    (then ``extra_dim``, for a DataFrame result).
    """
    moved = array.transpose(..., dim)
    index = array.indexes[dim] if dim in array.indexes else pd.RangeIndex(array.sizes[dim])
    rows = moved.values.reshape(math.prod(moved.shape[:-1]), array.sizes[dim])
    results = np.array([np.asarray(call(pd.Series(row, index=index)), dtype=np.float64) for row in rows])
    dims = (*moved.dims, *([extra_dim] if extra_dim else []))
    return xr.DataArray(results.reshape(*moved.shape, *results.shape[2:]), dims=dims)


def xarray_median(rolling):
    """xarray's rolling median by NumPy's nanmedian, ``(a + b) / 2`` for an even count as pandas and rollmed.

    With numbagg (xarray's default where it is installed) the midpoint can differ in the last
    bit, and numbagg compiles for half a minute in every process.
    """
    with xr.set_options(use_numbagg=False):
        return rolling.median()


def same_values(actual, expected):
    assert set(actual.dims) == set(expected.dims)
    np.testing.assert_array_equal(actual.transpose(*expected.dims).values, expected.values)


# --- against xarray ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"time": 1},
        {"time": 7},
        {"time": 7, "center": True},
        {"time": 8, "center": True, "min_periods": 2},
        {"time": 5, "min_periods": 1},
        {"time": 500},  # longer than the axis: no window is full
        {"lat": 3, "center": True},
        {"lon": 2, "min_periods": 1},
    ],
    ids=repr,
)
def test_the_median_is_xarrays(cube, options):
    ours = cube.rollmed.window(**options)
    xr.testing.assert_identical(ours, xarray_median(cube.rolling(**options)))
    assert list(ours.dims) == list(cube.dims)


def test_an_array_in_another_dims_order_and_dtype():
    station_first = sample((100, 3, 2)).transpose("lon", "time", "lat")
    xr.testing.assert_identical(
        station_first.rollmed.window(time=9, center=True),
        xarray_median(station_first.rolling(time=9, center=True)),
    )
    counts = (station_first * 10).round().fillna(0).astype(np.int16)
    xr.testing.assert_identical(counts.rollmed.window(time=4), xarray_median(counts.rolling(time=4)))
    assert counts.rollmed.window(time=4).dtype == np.float64


def test_expanding_is_xarrays_cumulative_median(cube):
    xr.testing.assert_identical(cube.rollmed.expanding("time"), xarray_median(cube.cumulative("time")))
    xr.testing.assert_identical(cube.rollmed.window(time=None), xarray_median(cube.cumulative("time")))
    same_values(
        cube.rollmed.expanding("time", min_periods=5, q=0.3, interpolation="lower"),
        by_column(cube, "time", lambda s: s.rollmed.expanding(5, q=0.3, interpolation="lower")),
    )


def test_quantiles_are_a_new_first_dimension(cube):
    qs = [0.1, 0.5, 0.9]
    ours = cube.rollmed.window(time=9, min_periods=1, q=qs)
    # xarray's quantile of each window; its linear reading may differ from pandas' in the last bit.
    # (numbagg compiles for half a minute; NumPy warns of the all-NaN windows, which give NaN)
    with xr.set_options(use_numbagg=False), warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        theirs = cube.rolling(time=9, min_periods=1).construct("window").quantile(qs, dim="window")
    assert ours.dims == theirs.dims == ("quantile", "time", "lat", "lon")
    np.testing.assert_array_equal(ours["quantile"].values, qs)
    np.testing.assert_allclose(ours.values, theirs.values, rtol=1e-13, atol=1e-15)
    # The median among them is the median, bit for bit; each quantile is pandas'.
    xr.testing.assert_identical(ours.sel(quantile=0.5, drop=True), cube.rollmed.window(time=9, min_periods=1))
    expected = by_column(cube, "time", lambda s: s.rollmed.window(9, 1, q=qs), extra_dim="quantile")
    same_values(ours, expected)
    assert ours.attrs == cube.attrs and ours.name == cube.name


def test_a_dataset_rolls_its_variables_with_the_dimension(cube):
    dataset = xr.Dataset(
        {"t2m": cube, "count": (cube.isnull().sum("lon") * 1), "label": ("lat", list("abcd"))},
        attrs={"source": "made up"},
    )
    ours = dataset.rollmed.window(time=5, center=True)
    xr.testing.assert_identical(ours, xarray_median(dataset.rolling(time=5, center=True)))
    xr.testing.assert_identical(ours["label"], dataset["label"])  # no time dimension: kept as it is
    quantiles = dataset.rollmed.window(time=5, q=[0.25, 0.75])
    assert quantiles["t2m"].dims == ("quantile", *cube.dims)
    assert quantiles["label"].dims == ("lat",)
    xr.testing.assert_identical(quantiles["count"], dataset["count"].rollmed.window(time=5, q=[0.25, 0.75]))


# --- against the pandas accessor -------------------------------------------------------------------


@pytest.mark.parametrize("closed", CLOSED)
@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("span", ["30min", "2h"])
def test_time_windows_are_pandas(cube, span, center, closed):
    ours = cube.rollmed.window(time=span, center=center, closed=closed)
    expected = by_column(cube, "time", lambda s: s.rollmed.window(span, center=center, closed=closed))
    same_values(ours, expected)
    xr.testing.assert_identical(ours.coords.to_dataset(), cube.coords.to_dataset())


ROBUST = [
    ("mad", {"window": 11}),
    ("mad", {"window": 10, "center": True, "min_periods": 3, "closed": "both"}),
    ("mad", {"window": "1h", "scale": 1.4826}),
    ("mad", {"window": None}),
    ("rank", {"window": 11}),
    ("rank", {"window": 6, "center": True, "method": "min", "pct": True}),
    ("rank", {"window": "2h", "method": "max", "ascending": False, "closed": "both"}),
    ("rank", {"window": None, "min_periods": 3}),
]


@pytest.mark.parametrize(("method", "options"), ROBUST, ids=repr)
def test_mad_and_rank_are_the_pandas_accessors(cube, method, options):
    options = dict(options)
    window = options.pop("window")
    same_values(
        getattr(cube.rollmed, method)({"time": window}, **options),
        by_column(cube, "time", lambda s: getattr(s.rollmed, method)(window, **options)),
    )


@pytest.mark.parametrize(
    "options",
    [
        {"window": 7},
        {"window": 12, "n_sigmas": 2.0, "center": False, "min_periods": 4},
        {"window": "1h"},
        {"window": None, "n_sigmas": 2.0},
    ],
    ids=repr,
)
def test_hampel_is_the_pandas_accessors(cube, options):
    spiky = cube.copy()
    spiky[::17, 1, :] = 40.0
    options = dict(options)
    window = options.pop("window")
    details = spiky.rollmed.hampel_details({"time": window}, **options)
    for field in details.data_vars:
        expected = by_column(spiky, "time", lambda s, f=field: s.rollmed.hampel_details(window, **options)[f])
        same_values(details[field], expected)
    assert details["outlier"].dtype == bool and int(details["outlier"].sum()) > 0
    filtered = spiky.rollmed.hampel({"time": window}, **options)
    xr.testing.assert_identical(filtered, details["filtered"].rename(spiky.name).assign_attrs(spiky.attrs))
    dataset = xr.Dataset({"a": spiky, "b": spiky.isel(lon=0) * 2})
    xr.testing.assert_identical(
        dataset.rollmed.hampel({"time": window}, **options)["a"], filtered.rename("a")
    )


# --- what comes back, and what does not change ------------------------------------------------------


def test_coords_name_and_attrs_are_kept_and_the_input_is_not_modified(cube):
    cube = cube.copy(deep=True)
    cube.encoding = {"dtype": "int16", "scale_factor": 0.01}
    before = cube.copy(deep=True)
    for result in (
        cube.rollmed.window(lat=2),
        cube.rollmed.window(time="1h", q=[0.5]),
        cube.rollmed.expanding("lon"),
        cube.chunk({"time": 50}).rollmed.window(time=9).compute(),
    ):
        assert result.name == "t2m" and result.attrs == {"units": "K"}
        assert result.encoding == {}  # new values: not the input's packing
        coords = result.coords.to_dataset().drop_vars("quantile", errors="ignore")
        xr.testing.assert_identical(coords, before.coords.to_dataset())
    xr.testing.assert_identical(cube, before)
    assert cube.encoding == before.encoding
    cube.rollmed.window(time=3).attrs["units"] = "changed"
    assert cube.attrs == {"units": "K"}


def test_read_only_and_non_contiguous_input():
    array = sample((60, 3, 2))
    frozen = array.copy(data=np.asfortranarray(array.values))
    frozen.values.flags.writeable = False
    xr.testing.assert_identical(frozen.rollmed.window(time=5), xarray_median(array.rolling(time=5)))


def test_empty_arrays():
    empty = sample((0, 3, 2))
    assert empty.rollmed.window(time=3).shape == (0, 3, 2)
    no_columns = sample((20, 0, 2))
    assert no_columns.rollmed.window(time=3, q=[0.2, 0.8]).shape == (2, 20, 0, 2)


ERRORS = [
    (lambda a: a.rollmed.window(depth=3), ValueError, "'depth' is not a dimension of the DataArray"),
    (lambda a: a.rollmed.window(time=3, centre=True), ValueError, "'centre' is not a dimension"),
    (lambda a: a.rollmed.window(time=3, lat=2), ValueError, r"exactly one .* 2: \('time', 'lat'\)"),
    (lambda a: a.rollmed.window(), ValueError, "exactly one dimension .* none"),
    (lambda a: a.rollmed.window({"time": 3}, lat=2), TypeError, "not both"),
    (lambda a: a.rollmed.window("time"), TypeError, "`dim` must be a mapping"),
    (lambda a: a.rollmed.expanding("depth"), ValueError, "'depth' is not a dimension"),
    (lambda a: a.rollmed.expanding(["time", "lat"]), TypeError, "one dimension"),
    (lambda a: a.rollmed.expanding("time", min_periods=None), TypeError, "min_periods"),
    (lambda a: a.rollmed.window(time=0), ValueError, "`window`"),
    (lambda a: a.rollmed.window(time=2.5), TypeError, "`window`"),
    (lambda a: a.rollmed.window(time=3, min_periods=4), ValueError, "`min_periods`"),
    (lambda a: a.rollmed.window(time=3, q=1.5), ValueError, "`q`"),
    (lambda a: a.rollmed.window(time=3, interpolation="middle"), ValueError, "`interpolation`"),
    (lambda a: a.rollmed.window(time=3, closed="open"), ValueError, "`closed`"),
    (lambda a: a.rollmed.window(time=3, center=1), TypeError, "`center`"),
    (lambda a: a.rollmed.mad(time=3, scale=-1), ValueError, "`scale`"),
    (lambda a: a.rollmed.rank(time=3, method="dense"), ValueError, "`method`"),
    (lambda a: a.rollmed.hampel(time=3, n_sigmas=-1), ValueError, "`n_sigmas`"),
    (
        lambda a: a.rollmed.window(lat="1h"),
        ValueError,
        "along 'lat' needs a datetime coordinate 'lat', got a ",
    ),
    (lambda a: a.rollmed.window(lon="1h"), ValueError, "along 'lon' needs a datetime .*, got none"),
    (
        lambda a: a.sortby("lat", ascending=False).isel(time=[3, 1, 2]).rollmed.window(time="1h"),
        ValueError,
        "monotonic",
    ),
    (lambda a: a.astype(str).rollmed.window(time=3), TypeError, "dtype <U.*DataArray 't2m'"),
    (
        lambda a: a.chunk().rollmed.window(time=pd.api.indexers.FixedForwardWindowIndexer(window_size=2)),
        ValueError,
        "indexer",
    ),
    (lambda a: a.to_dataset().assign(s=a.astype(str)).rollmed.window(time=3), TypeError, "variable 's'"),
    (lambda a: a.to_dataset().rollmed.hampel(depth=3), ValueError, "'depth' .* of the Dataset"),
]


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_errors_name_what_is_wrong(cube, call, error, match):
    with pytest.raises(error, match=match):
        call(cube)


def test_a_dimension_named_like_a_parameter():
    array = xr.DataArray(np.arange(6.0), dims="center")
    np.testing.assert_array_equal(array.rollmed.window({"center": 3}).values, [np.nan, np.nan, 1, 2, 3, 4])


# --- dask ----------------------------------------------------------------------------------------


def test_dask_results_are_lazy_and_chunked_as_the_input(cube):
    def never(block):
        raise AssertionError("computed at the call")

    lazy = cube.chunk({"time": (50, 0, 90, 100), "lat": 2}).copy()
    lazy.data = lazy.data.map_blocks(never, meta=np.array((), lazy.dtype))
    for result in (
        lazy.rollmed.window(time=30),
        lazy.rollmed.window(time="1h", q=[0.2, 0.8]),
        lazy.rollmed.expanding("time"),
        lazy.rollmed.mad(time=5),
        lazy.rollmed.hampel_details(time=5)["outlier"],
    ):
        assert isinstance(result.data, dask.array.Array)
        assert result.chunks[-3:] == lazy.chunks


def test_dask_errors_are_raised_at_the_call(cube):
    lazy = cube.chunk({"time": 40})
    with pytest.raises(ValueError, match="`window`"):
        lazy.rollmed.window(time=-1)
    with pytest.raises(ValueError, match="monotonic"):
        lazy.isel(time=slice(None, None, -1)).isel(time=[0, 2, 1]).rollmed.window(time="1h")


@st.composite
def chunked_arrays(draw):
    """An array with its time axis first or last, and chunk sizes along it (some empty, some tiny)."""
    n = draw(st.integers(0, 40))
    width = draw(st.integers(1, 3))
    sizes = []
    while sum(sizes) < n:
        sizes.append(min(draw(st.integers(0, 9)), n - sum(sizes)))
    elements = st.one_of(
        st.integers(-3, 3).map(float), st.sampled_from([np.nan, np.inf, -np.inf]), st.floats(-1e6, 1e6)
    )
    values = draw(hnp.arrays(np.float64, (n, width), elements=elements))
    steps = draw(hnp.arrays(np.int64, n, elements=st.sampled_from([0, 5, 10, 30])))
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(steps), unit="min")
    array = xr.DataArray(values, dims=("time", "x"), coords={"time": times})
    if draw(st.booleans()):
        array = array.transpose("x", "time")
    chunks = {"time": tuple(sizes) or (0,), "x": draw(st.integers(1, width))}
    return array, chunks


@st.composite
def calls(draw):
    """A method of the accessor and its arguments: any window kind and statistic."""
    kind = draw(st.sampled_from(["rows", "time", "expanding"]))
    window = {
        "rows": windows(1, 12),
        "time": st.sampled_from(["5min", "20min", "1h"]),
        "expanding": st.none(),
    }[kind]
    options = {"dim": {"time": draw(window)}}
    if kind != "expanding":
        options["center"] = draw(st.booleans())
        options["closed"] = draw(st.sampled_from(CLOSED))
    top = options["dim"]["time"] if kind == "rows" else 3
    options["min_periods"] = draw(st.one_of(st.none(), st.integers(0, top)))
    method = draw(st.sampled_from(["window", "quantiles", "mad", "rank", "hampel_details"]))
    if method == "quantiles":
        method = "window"
        options["q"] = draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.75, 1.0]), min_size=1, max_size=3))
        options["interpolation"] = draw(st.sampled_from(["linear", "lower", "nearest", "floor"]))
    elif method == "window":
        options["q"] = draw(st.sampled_from([0.5, 0.25]))
    elif method == "rank":
        options["method"] = draw(st.sampled_from(["average", "min", "max"]))
        options["pct"] = draw(st.booleans())
    elif method == "hampel_details" and kind == "expanding" and draw(st.booleans()):
        options["center"] = draw(st.booleans())  # accepted, but an expanding window is never centred
    return method, options


@settings(max_examples=150, deadline=None)
@given(chunked_arrays(), calls())
def test_dask_gives_the_numpy_result_for_any_chunking(case, call):
    array, chunks = case
    method, options = call
    expected = getattr(array.rollmed, method)(**options)
    lazy = getattr(array.chunk(chunks).rollmed, method)(**options)
    with dask.config.set(scheduler="synchronous"):
        xr.testing.assert_identical(lazy.compute(), expected)


@settings(max_examples=60, deadline=None)
@given(chunked_arrays(), calls())
def test_numpy_backed_is_the_pandas_accessor_column_by_column(case, call):
    array, _ = case
    method, options = call
    options = dict(options)
    window = options.pop("dim")["time"]
    ours = getattr(array.rollmed, method)({"time": window}, **options)
    if method == "hampel_details":
        ours = ours.to_array("field").transpose(..., "field")
    extra = {"window": "quantile" if isinstance(options.get("q"), list) else None, "hampel_details": "field"}

    def with_pandas(series):
        return getattr(series.rollmed, method)(window, **options)

    same_values(ours, by_column(array, "time", with_pandas, extra.get(method)))


@pytest.fixture(scope="module")
def client():
    """Two worker processes; the dashboard on any free port (8787 may be taken on a shared machine)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_on_a_cluster_of_worker_processes(client, cube):
    lazy = cube.chunk({"time": (7, 0, 60, 173), "lat": 2})
    for method, options in [
        ("window", {"time": 25, "center": True}),
        ("window", {"time": "2h", "q": [0.1, 0.9], "closed": "both"}),
        ("expanding", {"dim": "time", "q": [0.25, 0.5]}),
        ("hampel_details", {"time": "1h"}),  # the MAD's kernels too
    ]:
        result = client.compute(getattr(lazy.rollmed, method)(**options)).result()
        xr.testing.assert_identical(result, getattr(cube.rollmed, method)(**options))
    dataset = xr.Dataset({"a": lazy, "b": lazy.isel(lon=0)})
    expected = xr.Dataset({"a": cube, "b": cube.isel(lon=0)}).rollmed.window(time=5)
    xr.testing.assert_identical(client.compute(dataset.rollmed.window(time=5)).result(), expected)
    assert copy.copy(lazy.rollmed.window(time=5)).chunks == lazy.chunks
