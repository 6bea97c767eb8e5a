"""The command line in time (issue 14): ``-w 5min --on COLUMN``, one-shot and with ``--chunksize``.

The one-shot output is the accessor's ``s.rollmed.window(span, ...)`` over the parsed
times; ``--chunksize`` writes the one-shot output byte for byte, for random irregular
times (repeated stamps, gaps longer than the window), NaN, groups, every ``closed``,
centred windows and any chunk size; times that go back are a one-line error before any
output (and leave no output file).
"""

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rollmed  # noqa: F401  (the accessor)
from rollmed import _cli
from rollmed._timed import TimeSlices, TimeStatistic

START = pd.Timestamp("2024-03-01 12:00:00")


def run(argv):
    """``main(argv)``: its status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = _cli.main([str(arg) for arg in argv])
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(status, out, err, fragment):
    assert status != 0
    assert out == ""
    assert err.startswith("rollmed: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert fragment in err, err


def read_output(text):
    return pd.read_csv(io.StringIO(text), keep_default_na=True)


def accessor_result(frame, column, window, by=None, **options):
    """The reference: the accessor over the times of column ``t`` (and the keys of ``by``)."""
    times = pd.DatetimeIndex(pd.to_datetime(frame["t"])).as_unit("ns")
    keys = None if by is None else frame[by].set_axis(times)
    values = frame[column].set_axis(times)
    return values.rollmed.window(window, by=keys, **options).to_numpy(dtype=np.float64, na_value=np.nan)


@pytest.fixture
def sensors(tmp_path):
    """Irregular times with repeated stamps and long gaps, NaN values, two keys, an int column."""
    rng = np.random.default_rng(7)
    n = 80
    steps = rng.choice([0, 0, 5, 20, 45, 400], size=n)
    times = START + pd.to_timedelta(np.cumsum(steps), unit="s")
    x = rng.normal(size=n).round(3)
    x[rng.random(n) < 0.15] = np.nan
    frame = pd.DataFrame(
        {
            "t": times.strftime("%Y-%m-%d %H:%M:%S"),
            "k": rng.choice(["a", "b"], size=n),
            "x": x,
            "i": rng.integers(-20, 20, size=n),
        }
    )
    path = tmp_path / "sensors.csv"
    frame.to_csv(path, index=False)
    return path, pd.read_csv(path)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"center": True},
        {"closed": "left", "min_periods": 2},
        {"closed": "both", "center": True, "q": 0.25, "interpolation": "lower"},
        {"closed": "neither", "by": "k"},
        {"by": "k", "center": True, "min_periods": 0},
    ],
)
def test_one_shot_is_the_accessor_over_the_times(sensors, options):
    path, frame = sensors
    argv = [path, "-c", "x", "-c", "i", "-w", "90s", "--on", "t"]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, value]
    status, out, err = run(argv)
    assert (status, err) == (0, "")
    written = read_output(out)
    tm.assert_frame_equal(written[frame.columns], frame)
    for column in ("x", "i"):
        expected = accessor_result(frame, column, "90s", **options)
        np.testing.assert_array_equal(written[f"{column}_rollmed"].to_numpy(dtype=np.float64), expected)


def test_one_shot_median_is_pandas_own(sensors):
    """Beside the accessor: pandas' own rolling median over the times, without groups."""
    path, frame = sensors
    status, out, _ = run([path, "-c", "x", "-w", "2min", "--on", "t", "--center", "--closed", "both"])
    assert status == 0
    series = frame["x"].set_axis(pd.DatetimeIndex(pd.to_datetime(frame["t"])))
    expected = series.rolling("2min", center=True, closed="both").median().to_numpy()
    np.testing.assert_allclose(read_output(out)["x_rollmed"].to_numpy(), expected, rtol=0, atol=0)


def test_step_keeps_every_nth_row_as_the_accessor(sensors):
    path, frame = sensors
    status, out, _ = run([path, "-c", "x", "-w", "5", "--step", "3", "--min-periods", "1"])
    assert status == 0
    written = read_output(out)
    expected = frame["x"].rollmed.window(5, min_periods=1, step=3)
    tm.assert_frame_equal(written[frame.columns], frame.iloc[::3].reset_index(drop=True))
    np.testing.assert_array_equal(written["x_rollmed"].to_numpy(), expected.to_numpy())


def test_closed_with_a_window_of_rows_is_the_accessor(sensors):
    path, frame = sensors
    status, out, _ = run([path, "-c", "x", "-w", "4", "--closed", "left", "--min-periods", "1"])
    assert status == 0
    expected = frame["x"].rollmed.window(4, min_periods=1, closed="left").to_numpy()
    np.testing.assert_array_equal(read_output(out)["x_rollmed"].to_numpy(), expected)


# Keys of the property's groups; "" is a missing key (its rows get no result).
KEYS = ["a", "b", "c", ""]


@st.composite
def timed_files(draw):
    """A CSV text of irregular times (repeated, and gaps longer than the window), NaN, keys."""
    n = draw(st.integers(0, 50))
    grouped = draw(st.booleans())
    keys = [draw(st.sampled_from(KEYS if grouped else ["a"])) for _ in range(n)]
    # Seconds between a row and the previous one of its group (of the file, without groups):
    # repeated stamps, runs of short steps that a window spans, steps of half a window, gaps.
    steps = [draw(st.sampled_from([0, 0, 1, 7, 7, 13, 30, 30, 59, 60, 61, 200])) for _ in range(n)]
    clocks: dict[str, int] = {}
    lines = ["t,k,x,i"]
    for key, step in zip(keys, steps, strict=True):
        group = key if grouped else ""
        clocks[group] = clocks.get(group, draw(st.integers(0, 100))) + step
        time = START + pd.Timedelta(seconds=clocks[group])
        x = draw(st.sampled_from(["", "nan", "1.5", "-2", "0.25", "7", "3", "3"]))
        i = draw(st.sampled_from(["-3", "0", "4", "9"]))
        lines.append(f"{time:%Y-%m-%d %H:%M:%S},{key},{x},{i}")
    return "\n".join(lines) + "\n", grouped, n


@settings(max_examples=25)
@given(
    timed_files(),
    st.sampled_from(["60s", "1min", "45s", "3min", "1s", "60000000001ns"]),  # odd: pandas closes both ends
    st.sampled_from([None, "right", "left", "both", "neither"]),
    st.booleans(),
    st.sampled_from([None, 0, 1, 3]),
    st.sampled_from([[], ["--q", "0.3", "--interpolation", "lower"]]),
    st.integers(1, 12),
    st.sampled_from([None, 2]),
)
def test_chunked_is_the_one_shot_byte_for_byte(file, window, closed, center, min_periods, q, chunksize, step):
    text, grouped, n = file
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = folder / "in.csv"
        path.write_text(text)
        argv = [path, "-c", "x", "-c", "i", "-w", window, "--on", "t", *q]
        argv += ["--by", "k"] if grouped else []
        argv += ["--closed", closed] if closed else []
        argv += ["--center"] if center else []
        argv += ["--min-periods", min_periods] if min_periods is not None else []
        argv += ["--step", step] if step else []
        whole = run(argv)
        chunked = run([*argv, "--chunksize", chunksize])
    assert whole[0] == 0, whole[2]
    assert chunked == whole
    assert len(read_output(whole[1])) == (n if not step else -(-n // step))


@pytest.mark.parametrize("chunksize", [1, 2, 3])
def test_a_centred_row_waits_for_a_row_beyond_half_the_span(tmp_path, chunksize):
    """Rows at exactly half the span after a row are in its window: it waits for a later one."""
    seconds = [0, 30, 30, 30, 45, 61, 61, 200]
    lines = [
        f"{START + pd.Timedelta(seconds=t):%Y-%m-%d %H:%M:%S},a,{v}"
        for t, v in zip(seconds, [1, 9, 8, 7, 2, 3, 4, 5], strict=True)
    ]
    path = _csv(tmp_path, lines)
    whole = run([path, "-c", "x", "-w", "60s", "--on", "t", "--center"])
    assert whole[0] == 0
    assert run([path, "-c", "x", "-w", "60s", "--on", "t", "--center", "--chunksize", chunksize]) == whole


@pytest.mark.parametrize("closed", ["right", "left", "both", "neither"])
def test_a_trailing_window_keeps_the_rows_a_whole_span_back(tmp_path, closed):
    """A later chunk's windows reach rows of earlier chunks up to the span back, its ends included."""
    seconds = [0, 7, 14, 21, 28, 35, 42, 49, 56, 60, 60, 61, 67, 120, 121]
    lines = [f"{START + pd.Timedelta(seconds=t):%Y-%m-%d %H:%M:%S},a,{t % 11}" for t in seconds]
    path = _csv(tmp_path, lines)
    argv = [path, "-c", "x", "-w", "60s", "--on", "t", "--closed", closed]
    whole = run(argv)
    assert whole[0] == 0
    for chunksize in (1, 3, 5):
        assert run([*argv, "--chunksize", chunksize]) == whole


def test_memory_follows_the_rows_in_the_windows():
    """However many rows go through, the rows held are those a window still reaches."""
    median = TimeStatistic(
        lambda s, keys: s.rollmed.window("10s", center=True, by=keys), lambda n: np.full(n, np.nan)
    )
    slices = TimeSlices({"x": median}, span=10 * 10**9, center=True)
    most = 0
    for piece in range(50):
        seconds = np.arange(piece * 100, (piece + 1) * 100, dtype=np.int64)
        slices.update({"x": np.ones(100)}, seconds * 10**9, pd.Series(seconds % 3))
        most = max(most, slices.held)
    assert most < 3 * (100 + 10)  # each group: the piece's rows, and ten seconds before


@pytest.mark.parametrize("name", [None, "when"])
@pytest.mark.parametrize("chunksize", [None, 3])
def test_parquet_datetime_index_needs_no_on(tmp_path, name, chunksize):
    times = START + pd.to_timedelta([0, 10, 10, 50, 130, 131, 400, 401], unit="s")
    frame = pd.DataFrame({"x": [1.0, 5.0, np.nan, 2.0, 8.0, 3.0, 4.0, 0.5]}, index=times.rename(name))
    path = tmp_path / "in.parquet"
    frame.to_parquet(path)
    output = tmp_path / "out.parquet"
    extra = [] if chunksize is None else ["--chunksize", chunksize]
    status, _, err = run([path, "-c", "x", "-w", "1min", "--center", "-o", output, *extra])
    assert (status, err) == (0, "")
    written = pd.read_parquet(output)
    column = name or "index"
    assert list(written.columns) == [column, "x", "x_rollmed"]
    expected = frame["x"].rollmed.window("1min", center=True).to_numpy()
    np.testing.assert_array_equal(written["x_rollmed"].to_numpy(), expected)


def test_parquet_datetime_column_with_on_and_time_zone(tmp_path):
    times = pd.date_range("2024-03-31 00:30", periods=12, freq="17min", tz="Europe/Paris")
    frame = pd.DataFrame({"when": times, "x": np.arange(12.0) % 5})
    path = tmp_path / "in.parquet"
    frame.to_parquet(path)
    whole = run([path, "-c", "x", "-w", "1h", "--on", "when"])
    assert whole[0] == 0, whole[2]
    assert run([path, "-c", "x", "-w", "1h", "--on", "when", "--chunksize", "5"]) == whole
    expected = frame["x"].set_axis(times).rollmed.window("1h").to_numpy()
    np.testing.assert_array_equal(read_output(whole[1])["x_rollmed"].to_numpy(), expected)


def _csv(tmp_path, lines, name="in.csv"):
    path = tmp_path / name
    path.write_text("\n".join(["t,k,x", *lines]) + "\n")
    return path


ROWS = [
    "2024-01-01 00:00:00,a,1",
    "2024-01-01 00:01:00,b,2",
    "2024-01-01 00:02:00,a,3",
    "2024-01-01 00:01:30,b,4",
    "2024-01-01 00:03:00,a,5",
    "2024-01-01 00:02:30,a,6",
]


@pytest.mark.parametrize("chunksize", [None, 1, 4])
def test_decreasing_times_fail_before_any_output(tmp_path, chunksize):
    path = _csv(tmp_path, ROWS)
    extra = [] if chunksize is None else ["--chunksize", chunksize]
    output = tmp_path / "out.csv"
    # Without groups, row 4 goes back; within groups, row 6 does (group a).
    assert_one_line_error(
        *run([path, "-c", "x", "-w", "1min", "--on", "t", "-o", output, *extra]),
        "column 't' goes back in time at row 4: 2024-01-01 00:01:30 after 2024-01-01 00:02:00",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    status, out, err = run([path, "-c", "x", "-w", "1min", "--on", "t", "--by", "k", "-o", output, *extra])
    assert_one_line_error(status, out, err, "within the group k='a' at row 6: 2024-01-01 00:02:30 after")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no output, no temporary file


def test_times_that_only_decrease_across_groups_are_fine(tmp_path):
    path = _csv(tmp_path, ROWS[:5])
    whole = run([path, "-c", "x", "-w", "1min", "--on", "t", "--by", "k"])
    assert whole[0] == 0
    assert run([path, "-c", "x", "-w", "1min", "--on", "t", "--by", "k", "--chunksize", "2"]) == whole


@pytest.mark.parametrize("chunksize", [None, 2])
@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("noon", "cannot read column 't' as times (row 3: 'noon')"),
        ("2024-13-45 00:00:00", "cannot read column 't' as times (row 3: '2024-13-45 00:00:00')"),
        ("", "column 't' has no time at row 3"),
    ],
)
def test_text_that_is_not_a_time(tmp_path, chunksize, cell, fragment):
    lines = [*ROWS[:2], f"{cell},a,3", *ROWS[4:5]]
    extra = [] if chunksize is None else ["--chunksize", chunksize]
    output = tmp_path / "out.csv"
    assert_one_line_error(
        *run([_csv(tmp_path, lines), "-c", "x", "-w", "1min", "--on", "t", "-o", output, *extra]), fragment
    )
    assert not output.exists()


def test_mixed_time_zones_are_refused_whole_or_chunked(tmp_path):
    lines = [
        "2024-01-01T00:00:00+01:00,a,1",
        "2024-01-01T00:01:00+01:00,a,2",
        "2024-01-01T00:02:00+02:00,a,3",
    ]
    path = _csv(tmp_path, lines)
    output = tmp_path / "out.csv"
    for extra in ([], ["--chunksize", "2"]):
        argv = [path, "-c", "x", "-w", "1min", "--on", "t", "-o", output, *extra]
        assert_one_line_error(*run(argv), "column 't' as times")
        assert not output.exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["-w", "5", "--on", "t"], "--on goes with a time window"),
        (["-w", "5min"], "a time window needs --on COLUMN"),
        (["-w", "5min", "--on", "nope"], "no column 'nope'"),
        (["-w", "5", "--closed", "left", "--chunksize", "2"], "--closed left with a window of rows"),
        (["-w", "5min", "--on", "t", "--step", "0"], "--step must be at least 1, got 0"),
        (["-w", "5min", "--on", "t", "--closed", "open"], "--closed: invalid choice"),
        (["-w", "5min", "--on", "t", "--min-periods", "-1"], "--min-periods must be at least 0"),
        (["-w", "5 parsecs", "--on", "t"], "--window must be a number of rows or a fixed time span"),
    ],
)
def test_usage_errors(tmp_path, argv, fragment):
    status, out, err = run([_csv(tmp_path, ROWS[:3]), "-c", "x", *argv])
    assert_one_line_error(status, out, err, fragment)
    assert status == (1 if "no column" in fragment else 2)


def test_help_tells_the_time_options():
    status, out, _ = run(["--help"])
    assert status == 0
    text = " ".join(out.split())
    for fragment in (
        "--on T",
        "--closed {right,left,both,neither}",
        "--step S",
        "span of time",
        "half the span",
    ):
        assert fragment in text


@pytest.mark.parametrize(
    "stat_options",
    [
        ["--stat", "mad", "--scale", "1.4826"],
        ["--stat", "rank", "--pct"],
        ["--stat", "hampel", "--n-sigmas", "2"],
        ["--stat", "hampel", "--no-center", "--closed", "both"],
        ["--q", "0.1", "--q", "0.9", "--interpolation", "lower"],
    ],
)
@pytest.mark.parametrize("by", [[], ["--by", "k"]])
def test_every_statistic_in_time_chunked_as_one_shot(sensors, stat_options, by):
    """Every --stat over a time window: the accessor's results, and --chunksize writes them byte for byte."""
    path, frame = sensors
    argv = [path, "-c", "x", "-w", "90s", "--on", "t", *stat_options, *by]
    status, one_shot, err = run(argv)
    assert status == 0, err
    for chunksize in (1, 7, 1000):
        status, chunked, err = run([*argv, "--chunksize", chunksize])
        assert status == 0, err
        assert chunked == one_shot, (chunksize, stat_options, by)
    written = read_output(one_shot)
    times = pd.DatetimeIndex(pd.to_datetime(frame["t"])).as_unit("ns")
    values = frame["x"].set_axis(times)
    keys = frame["k"].set_axis(times) if by else None
    if "mad" in stat_options:
        expected = {"x_mad": values.rollmed.mad("90s", scale=1.4826, by=keys)}
    elif "rank" in stat_options:
        expected = {"x_rank": values.rollmed.rank("90s", pct=True, by=keys)}
    elif "hampel" in stat_options:
        options = {"center": False, "closed": "both"} if "--no-center" in stat_options else {"n_sigmas": 2.0}
        expected = {"x_hampel": values.rollmed.hampel("90s", **options, by=keys)}
    else:
        both = values.rollmed.window("90s", q=[0.1, 0.9], interpolation="lower", by=keys)
        expected = {"x_rollmed_q0.1": both.iloc[:, 0], "x_rollmed_q0.9": both.iloc[:, 1]}
    for name, series in expected.items():
        expected_values = series.to_numpy(dtype=np.float64)
        np.testing.assert_allclose(written[name], expected_values, rtol=1e-15, equal_nan=True)
