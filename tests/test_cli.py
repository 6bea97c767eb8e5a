"""The command line, ``python -m rollmed``: the demo, the file mode, and one-line errors.

Most cases call ``main([...])`` in-process (fast); a few run the real ``python -m rollmed``.
"""

import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest

from rollmed import _demo
from rollmed._cli import main

REPO = Path(__file__).resolve().parents[1]


def _environment():
    """os.environ with this checkout first on the path, so that a subprocess imports this rollmed."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return environment


def _run(*args, cwd, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "rollmed", *map(str, args)],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=600,  # a cold numba cache compiles the kernels first
        check=False,
        **kwargs,
    )


def _assert_one_line_error(status, err, fragment=""):
    assert status != 0
    assert "Traceback" not in err
    assert err.startswith("rollmed: error: "), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert fragment in err


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 40
    a = rng.normal(size=n)
    a[[3, 10, 11, 12, 30]] = np.nan
    return pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=n, freq="min").strftime("%Y-%m-%dT%H:%M:%S"),
            "a": a,
            "b": rng.integers(-50, 50, n),
            "label": [f"x{i}" for i in range(n)],
        }
    )


@pytest.fixture
def csv_file(tmp_path, frame):
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _listing(directory):
    return sorted(path.name for path in Path(directory).iterdir())


# The demo -------------------------------------------------------------------------------------


def test_demo_subprocess(tmp_path):
    result = _run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "<- spike" in out
    assert "1,000,000 rows" in out
    assert "as fast as pandas" in out
    assert "The two results agree" in out


def test_demo_in_process_reports_a_disagreement(monkeypatch, capsys):
    monkeypatch.setattr(_demo, "DEMO_ROWS", 10_000)
    monkeypatch.setattr(_demo, "DEMO_REPEATS", 1)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "10,000 rows" in out and "The two results agree" in out
    monkeypatch.setattr(_demo.np, "allclose", lambda *args, **kwargs: False)
    assert main([]) == 1
    assert "DIFFER" in capsys.readouterr().out


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--column" in out and "--window" in out and "--min-periods" in out
    assert "--stat {median,mad,rank,hampel}" in out and "--no-center" in out and "C_hampel" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "rollmed 0.1.0"


# The file mode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "center", "min_periods"),
    [(1, False, None), (5, False, None), (5, True, 2), (4, True, None), (4, False, 0), (60, True, 1)],
)
def test_csv_to_csv_matches_pandas(tmp_path, frame, csv_file, window, center, min_periods):
    output = tmp_path / "out.csv"
    argv = [str(csv_file), "--column", "a", "--window", str(window), "--output", str(output)]
    argv += ["--center"] * center + ([] if min_periods is None else ["--min-periods", str(min_periods)])
    assert main(argv) == 0
    result = pd.read_csv(output)
    assert list(result.columns) == ["time", "a", "b", "label", "a_rollmed"]
    tm.assert_frame_equal(result[list(frame.columns)], frame)
    expected = frame["a"].rolling(window, center=center, min_periods=min_periods).median()
    tm.assert_series_equal(result["a_rollmed"], expected, check_names=False)
    assert _listing(tmp_path) == ["data.csv", "out.csv"]


def test_stdout_with_several_columns(frame, csv_file, capsys):
    assert main([str(csv_file), "-c", "b", "-c", "a", "-c", "b", "-w", "3", "--min-periods", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    result = pd.read_csv(io.StringIO(captured.out))
    assert list(result.columns) == ["time", "a", "b", "label", "b_rollmed", "a_rollmed"]
    for column in ["a", "b"]:
        expected = frame[column].astype(float).rolling(3, min_periods=1).median()
        tm.assert_series_equal(result[f"{column}_rollmed"], expected, check_names=False)


def test_parquet_round_trips(tmp_path, frame):
    indexed = frame.assign(time=pd.to_datetime(frame["time"])).set_index("time")
    source = tmp_path / "in.parquet"
    indexed.to_parquet(source)
    output = tmp_path / "out.pq"
    assert main([str(source), "-c", "a", "-c", "b", "-w", "7", "--center", "-o", str(output)]) == 0
    result = pd.read_parquet(output)
    # A meaningful index is kept as a column; the dtypes of the input columns are kept.
    tm.assert_frame_equal(result[["time", "a", "b", "label"]], indexed.reset_index())
    expected = indexed["b"].astype(float).rolling(7, center=True).median().reset_index(drop=True)
    tm.assert_series_equal(result["b_rollmed"], expected, check_names=False)


def test_csv_to_parquet_and_compressed_csv(tmp_path, frame, csv_file):
    parquet = tmp_path / "out.parquet"
    assert main([str(csv_file), "-c", "a", "-w", "4", "-o", str(parquet)]) == 0
    gzipped = tmp_path / "again.csv.gz"
    assert main([str(parquet), "-c", "b", "-w", "4", "-o", str(gzipped)]) == 0
    with gzipped.open("rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"  # written gzipped, as its name says
    result = pd.read_csv(gzipped)
    tm.assert_series_equal(result["a_rollmed"], frame["a"].rolling(4).median(), check_names=False)
    tm.assert_series_equal(result["b_rollmed"], frame["b"].rolling(4).median(), check_names=False)


def test_output_file_mode(tmp_path, csv_file):
    new = tmp_path / "new.csv"
    assert main([str(csv_file), "-c", "a", "-w", "3", "-o", str(new)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask  # not the 0o600 of a temporary file
    existing = tmp_path / "existing.csv"
    existing.write_text("old\n")
    existing.chmod(0o640)
    assert main([str(csv_file), "-c", "a", "-w", "3", "-o", str(existing)]) == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert "a_rollmed" in existing.read_text()


def test_output_may_replace_the_input(tmp_path, frame, csv_file):
    assert main([str(csv_file), "-c", "a", "-w", "3", "-o", str(csv_file)]) == 0
    result = pd.read_csv(csv_file)
    tm.assert_series_equal(result["a_rollmed"], frame["a"].rolling(3).median(), check_names=False)
    assert _listing(tmp_path) == ["data.csv"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_file_mode_subprocess(tmp_path, frame, kind):
    source = tmp_path / f"data.{kind}"
    getattr(frame, f"to_{kind}")(source, index=False)
    args = [source.name, "--column", "a", "--window", "5", "--center", "--min-periods", "3"]
    expected = frame["a"].rolling(5, center=True, min_periods=3).median()
    if kind == "csv":  # to stdout
        result = _run(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        output = pd.read_csv(io.StringIO(result.stdout))
    else:
        result = _run(*args, "--output", "out.parquet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        output = pd.read_parquet(tmp_path / "out.parquet")
    assert result.stderr == ""
    tm.assert_series_equal(output["a_rollmed"], expected, check_names=False)


# The statistics (issue 11) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "columns", "expected"),
    [
        ([], ["a_rollmed"], lambda s, k: [s.rollmed.window(5, 2, by=k)]),
        (
            ["--q", "0.9", "--interpolation", "lower"],
            ["a_rollmed"],
            lambda s, k: [s.rollmed.window(5, 2, q=0.9, interpolation="lower", by=k)],
        ),
        (["--q", "0.5", "--q", "0.5"], ["a_rollmed"], lambda s, k: [s.rollmed.window(5, 2, by=k)]),
        (
            ["--q", "0.9", "--q", "0.1", "--q", "0.9", "--q", "1"],
            ["a_rollmed_q0.9", "a_rollmed_q0.1", "a_rollmed_q1.0"],
            lambda s, k: [s.rollmed.window(5, 2, q=q, by=k) for q in (0.9, 0.1, 1.0)],
        ),
        (["--stat", "mad"], ["a_mad"], lambda s, k: [s.rollmed.mad(5, 2, by=k)]),
        (
            ["--stat", "mad", "--scale", "1.4826", "--center"],
            ["a_mad"],
            lambda s, k: [s.rollmed.mad(5, 2, True, scale=1.4826, by=k)],
        ),
        (
            ["--stat", "rank", "--pct", "--center"],
            ["a_rank"],
            lambda s, k: [s.rollmed.rank(5, 2, True, pct=True, by=k)],
        ),
        (["--stat", "rank", "--no-center"], ["a_rank"], lambda s, k: [s.rollmed.rank(5, 2, by=k)]),
        (["--stat", "hampel"], ["a_hampel"], lambda s, k: [s.rollmed.hampel(5, min_periods=2, by=k)]),
        (
            ["--stat", "hampel", "--no-center", "--n-sigmas", "1", "--scale", "1"],
            ["a_hampel"],
            lambda s, k: [s.rollmed.hampel(5, 1.0, center=False, min_periods=2, scale=1.0, by=k)],
        ),
    ],
)
@pytest.mark.parametrize("chunksize", [None, 3])
@pytest.mark.parametrize("by", [False, True])
def test_every_stat_gives_the_accessors_result(tmp_path, frame, options, columns, expected, chunksize, by):
    """Each --stat's columns, named C_rollmed (C_rollmed_qQ), C_mad, C_rank, C_hampel, hold the accessor's."""
    frame = frame.assign(a=np.where(np.arange(len(frame)) % 9 == 4, 40.0, frame["a"]))  # spikes
    frame["k"] = np.arange(len(frame)) % 3
    source, output = tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame.to_parquet(source)
    argv = [str(source), "-c", "a", "-w", "5", "--min-periods", "2", *options, "-o", str(output)]
    argv += (["--by", "k"] if by else []) + (["--chunksize", str(chunksize)] if chunksize else [])
    assert main(argv) == 0
    result = pd.read_parquet(output)
    assert list(result.columns) == [*frame.columns, *columns]
    for column, values in zip(columns, expected(frame["a"], frame["k"] if by else None), strict=True):
        tm.assert_series_equal(result[column], values, check_names=False, check_exact=True)


def test_hampel_defaults_to_a_centred_window_of_min_periods_1(tmp_path, capsys):
    """--stat hampel takes the accessor's defaults: centred, min_periods 1, 3 sigmas of 1.4826 MADs."""
    values = [25.0, 1.0, 1.2, 0.9, 1.1, 1.0, 40.0]
    source = tmp_path / "spiky.csv"
    source.write_text("x\n" + "".join(f"{value}\n" for value in values))
    assert main([str(source), "-c", "x", "-w", "5", "--stat", "hampel"]) == 0
    centred = pd.read_csv(io.StringIO(capsys.readouterr().out))["x_hampel"].tolist()
    explicit = pd.Series(values).rollmed.hampel(5, 3.0, center=True, min_periods=1, scale=1.4826)
    assert centred == explicit.tolist() == [1.2, 1.0, 1.2, 0.9, 1.1, 1.0, 1.1]  # both spikes
    assert main([str(source), "-c", "x", "-w", "5", "--stat", "hampel", "--no-center"]) == 0
    trailing = pd.read_csv(io.StringIO(capsys.readouterr().out))["x_hampel"].tolist()
    assert trailing == pd.Series(values).rollmed.hampel(5, center=False).tolist()
    assert trailing[0] == 25.0  # alone in its trailing window, the spike is its own median


def test_an_infinite_mad_at_scale_0_is_empty_and_quiet(tmp_path, capsys):
    """0 * inf: no MAD, and no warning (pytest makes warnings errors)."""
    source = tmp_path / "inf.csv"
    source.write_text("x\n1.5\n1.5\ninf\n")
    for chunks in ([], ["--chunksize", "1"]):
        assert main([str(source), "-c", "x", "-w", "2", "--stat", "mad", "--scale", "0", *chunks]) == 0
        assert capsys.readouterr().out == "x,x_mad\n1.5,\n1.5,0.0\ninf,\n"


# Errors ---------------------------------------------------------------------------------------


@pytest.fixture
def bad_files(tmp_path, csv_file):
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n6,7\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "fake.parquet").write_text("a,b\n1,2\n")
    (tmp_path / "data.txt").write_text("a,b\n1,2\n")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "late.csv").write_text("a\n1\n2\n3\nabc\n5\n")  # numeric in the first chunk only
    pd.DataFrame({"a": [1.0, 2.0], "a_rollmed": [0.0, 0.0]}).to_csv(tmp_path / "done.csv", index=False)
    pd.DataFrame({"a": [1.0], "a_mad": [0.0], "a_rollmed_q0.9": [0.0]}).to_csv(
        tmp_path / "mad.csv", index=False
    )
    return tmp_path


ERRORS = [
    # (arguments, a fragment of the message, exit status); OUT is the output file, which must not appear.
    (["nope.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "no such file: nope.csv", 1),
    (["folder.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "is a directory", 1),
    (["ragged.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "cannot read ragged.csv: Error tokenizing", 1),
    (["empty.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "cannot read empty.csv", 1),
    (["binary.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "cannot read binary.csv", 1),
    (["fake.parquet", "-c", "a", "-w", "3", "-o", "OUT.csv"], "cannot read fake.parquet", 1),
    (["data.csv", "-c", "zz", "-w", "3", "-o", "OUT.csv"], "no column 'zz' in data.csv", 1),
    (["data.csv", "-c", "a", "-c", "label", "-w", "3", "-o", "OUT.csv"], "column 'label' is not numeric", 1),
    (["done.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"], "already has a column 'a_rollmed'", 1),
    (["late.csv", "-c", "a", "-w", "2", "--chunksize", "2", "-o", "OUT.csv"], "column 'a' is not numeric", 1),
    (["data.csv", "-c", "a", "-w", "0", "-o", "OUT.csv"], "--window must be at least 1, got 0", 2),
    (["data.csv", "-c", "a", "-w", "-3", "-o", "OUT.csv"], "--window must be at least 1, got -3", 2),
    (
        ["data.csv", "-c", "a", "-w", "abc", "-o", "OUT.csv"],
        "--window must be a number of rows or a fixed time span, got abc",
        2,
    ),
    (
        ["data.csv", "-c", "a", "-w", "2.5", "-o", "OUT.csv"],
        "--window must be a number of rows or a fixed time span",
        2,
    ),
    (["data.csv", "-c", "a", "-w", "5", "--min-periods", "9", "-o", "OUT.csv"], "--min-periods", 2),
    (["data.csv", "-c", "a", "-w", "5", "--min-periods", "-1", "-o", "OUT.csv"], "--min-periods", 2),
    (["data.csv", "-c", "a", "-w", "3", "-o", "OUT.txt"], "output file 'OUT.txt'", 2),
    (["data.txt", "-c", "a", "-w", "3", "-o", "OUT.csv"], "input file 'data.txt'", 2),
    (["data.csv", "-c", "a", "-w", "3", "-o", "missing/OUT.csv"], "no such directory missing", 1),
    (["data.csv", "-c", "a", "-w", "3", "-o", "folder.csv"], "cannot write folder.csv: it is a directory", 1),
    (["data.csv", "-w", "3", "-o", "OUT.csv"], "needs at least one --column", 2),
    (["data.csv", "-c", "a", "-o", "OUT.csv"], "needs --window", 2),
    (["--window", "3"], "--window needs a FILE", 2),
    (["-c", "a", "-o", "OUT.csv"], "--column needs a FILE", 2),
    (["data.csv", "-c", "a", "-w", "3", "--frobnicate"], "unrecognized arguments: --frobnicate", 2),
    # Issue 11: the options of each --stat, and its output columns.
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "mad", "--q", "0.2"],
        "--q goes with --stat median, not",
        2,
    ),
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "rank", "--interpolation", "lower"],
        "--interpolation goes",
        2,
    ),
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "rank", "--scale", "2"],
        "--scale goes with --stat mad or",
        2,
    ),
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "mad", "--n-sigmas", "2"],
        "--n-sigmas goes with --stat hampel",
        2,
    ),
    (["data.csv", "-c", "a", "-w", "3", "--pct"], "--pct goes with --stat rank, not with --stat median", 2),
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "mad", "--scale", "-1"],
        "--scale must be a finite number",
        2,
    ),
    (["data.csv", "-c", "a", "-w", "3", "--stat", "hampel", "--scale", "inf"], "--scale must be a finite", 2),
    (["data.csv", "-c", "a", "-w", "3", "--stat", "hampel", "--n-sigmas", "nan"], "--n-sigmas must be a", 2),
    (
        ["data.csv", "-c", "a", "-w", "3", "--stat", "hampel", "--n-sigmas", "x"],
        "--n-sigmas: invalid float",
        2,
    ),
    (
        ["data.csv", "-c", "a", "-w", "3", "--q", "0.5", "--q", "1.5"],
        "--q must be between 0 and 1, got 1.5",
        2,
    ),
    (["data.csv", "-c", "a", "-w", "3", "--stat", "mean"], "argument --stat: invalid choice: 'mean'", 2),
    (
        ["mad.csv", "-c", "a", "-w", "3", "--stat", "mad"],
        "already has a column 'a_mad', where the MAD of 'a'",
        1,
    ),
    (
        ["mad.csv", "-c", "a", "-w", "3", "--q", "0.1", "--q", "0.9"],
        "already has a column 'a_rollmed_q0.9'",
        1,
    ),
    (["--stat", "rank"], "--stat needs a FILE", 2),
    (["--no-center"], "--center needs a FILE", 2),
]


@pytest.mark.parametrize(("argv", "fragment", "status"), ERRORS)
def test_errors_are_one_line(bad_files, monkeypatch, capsys, argv, fragment, status):
    monkeypatch.chdir(bad_files)
    before = _listing(bad_files)
    assert main(argv) == status
    captured = capsys.readouterr()
    _assert_one_line_error(status, captured.err, fragment)
    assert captured.out == ""
    assert _listing(bad_files) == before  # no output file, no temporary file


@pytest.mark.parametrize(
    "argv",
    [
        ["data.parquet", "-c", "a", "-w", "3"],
        ["data.csv", "-c", "a", "-w", "3", "-o", "OUT.parquet"],
    ],
)
def test_parquet_without_pyarrow(tmp_path, frame, monkeypatch, capsys, argv):
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    before = _listing(tmp_path)
    assert main(argv) == 1
    captured = capsys.readouterr()
    _assert_one_line_error(1, captured.err, 'pip install "rollmed[parquet]"')
    assert captured.out == ""
    assert _listing(tmp_path) == before


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (
            OSError(28, "No space left on device"),
            1,
            "rollmed: error: cannot write OUT.csv: No space left on device",
        ),
        (KeyboardInterrupt(), 130, "rollmed: interrupted"),
    ],
)
def test_a_failed_write_leaves_no_file(tmp_path, csv_file, monkeypatch, capsys, error, status, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "OUT.csv").write_text("old\n")
    before = _listing(tmp_path)
    original = pd.DataFrame.to_csv

    def write_half_then_fail(self, path, **kwargs):
        original(self.iloc[:3], path, **kwargs)
        raise error

    monkeypatch.setattr(pd.DataFrame, "to_csv", write_half_then_fail)
    assert main(["data.csv", "-c", "a", "-w", "3", "-o", "OUT.csv"]) == status
    assert capsys.readouterr().err == message + "\n"
    assert _listing(tmp_path) == before
    assert (tmp_path / "OUT.csv").read_text() == "old\n"  # the previous output is untouched


def test_error_subprocess(tmp_path, csv_file):
    result = _run("data.csv", "--column", "label", "--window", "3", "--output", "out.csv", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    _assert_one_line_error(result.returncode, result.stderr, "column 'label' is not numeric (dtype")
    assert _listing(tmp_path) == ["data.csv"]


def test_closed_stdout_is_not_an_error(tmp_path):
    big = pd.DataFrame({"a": np.arange(50_000, dtype=float)})
    big.to_csv(tmp_path / "big.csv", index=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "rollmed", "big.csv", "-c", "a", "-w", "3"],
        cwd=tmp_path,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout.read(100).startswith(b"a,a_rollmed\n")
    process.stdout.close()  # as `| head` does
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=600) == 1
    assert stderr == b""


# Signals --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_file(tmp_path_factory):
    """A file whose output takes seconds to write: xz-compressed CSV of 300,000 rows."""
    folder = tmp_path_factory.mktemp("signals")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"k": rng.integers(0, 50, 300_000), "x": rng.standard_normal(300_000)})
    frame.to_csv(folder / "big.csv", index=False)
    return folder / "big.csv"


STOPS = [(signal.SIGTERM, None), (signal.SIGTERM, 20_000), (signal.SIGHUP, None), (signal.SIGHUP, 20_000)]


@pytest.mark.parametrize(("signum", "chunksize"), [*STOPS, (signal.SIGINT, 20_000)])
def test_a_stop_signal_leaves_no_file(tmp_path, slow_file, signum, chunksize):
    """Issue 9, item 4: SIGTERM (timeout, kill, docker, Slurm) and SIGHUP end a run as Ctrl-C does."""
    (tmp_path / "big.csv").symlink_to(slow_file)
    args = ["big.csv", "-c", "x", "-w", "101", "--by", "k", "-o", "out.csv.xz"]
    args += ["--chunksize", str(chunksize)] if chunksize else []
    process = subprocess.Popen(
        [sys.executable, "-m", "rollmed", *args],
        cwd=tmp_path,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Under nohup the tests inherit an ignored SIGHUP, which the run rightly keeps.
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 600  # a cold numba cache compiles the kernels first
    while not list(tmp_path.glob(".out.csv.xz.*.tmp*")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signum)
    out, err = process.communicate(timeout=600)
    name = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    assert (process.returncode, out, err) == (128 + signum, b"", f"rollmed: {name}\n".encode())
    assert _listing(tmp_path) == ["big.csv"]  # no output, no temporary file


def test_a_stop_signal_taken_by_another_thread_waits_for_the_held_block(tmp_path):
    # The mask holds the signal off in the main thread only: sent to another thread, its
    # handler still runs in the main thread. Before the fix, it could run inside
    # tempfile.mkstemp, once the file was made but before its name was known, and the
    # file was left behind (a flake of test_a_stop_signal_leaves_no_file on the CI).
    import threading

    from rollmed import _files, _stopping

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are the main thread's")  # (the signal would end the run)
    # The other thread starts before the block (as numba's do), so the mask is not its own.
    go = threading.Event()
    other = threading.Thread(target=lambda: go.wait() and signal.raise_signal(signal.SIGTERM))
    other.start()
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt), _stopping.stop_signals_interrupt():
        with _files._atomic_file(tmp_path / "out.csv") as name:
            with _files._signals_held():
                go.set()
                other.join()
                for _ in range(10_000):  # bytecodes at which the handler would run
                    pass
                reached_the_end = True
            Path(name).write_text("never complete\n")
    assert reached_the_end
    assert os.listdir(tmp_path) == []
