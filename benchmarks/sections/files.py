"""Files larger than memory: the peak memory of ``python -m rollmed`` with and without ``--chunksize``.

Two series of growing files: a window of rows within keys, and a centred time window
(``-w 5min --on time``) within keys, whose chunked run holds each key's rows within the
span around its waiting rows.
"""

from __future__ import annotations

import filecmp
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import harness
import numpy as np
import pandas as pd
from harness import MIB, Peers, Section, Settings, format_mib, yes_no

NAME = "files"
WINDOW = 101
KEYS = 100
# (row counts, --chunksize): every file is at least 20 chunks, full run and --quick
CASE = ((1_000_000, 2_000_000, 4_000_000), 50_000)
QUICK_CASE = ((100_000, 200_000, 400_000), 5_000)
FILES_SEED = harness.SEED + 20
TIME_WINDOW = "5min"  # over readings about a second apart: some 300 rows a window, 3 per key

# The child reads its own resident set after the imports and a small warm-up (numba and the
# compiled kernels loaded), then its own peak (VmHWM) after main(): a process started by exec
# has a fresh VmHWM, unlike ru_maxrss (see RESIDENT_KIB_SOURCE).
CLI_PEAK_SNIPPET = """
import sys
import numpy as np
import pandas as pd
import rollmed
from rollmed import _cli
{resident_kib}
small = pd.Series(np.arange(1_000.0))
small.rollmed.window(101, by=small.index % 10)
rollmed.RollingMedian(101).update(small.to_numpy())
after_imports = resident_kib("VmRSS")
status = _cli.main({argv!r})
if status:
    sys.exit(status)
print(after_imports / 1024, resident_kib("VmHWM") / 1024)
"""


@dataclass(frozen=True)
class FileResults:
    rows: int
    file_mib: float
    chunked: tuple[float | None, float | None, float]  # MiB after imports, peak MiB, seconds
    one_shot: tuple[float | None, float | None, float]
    same: bool | None  # the x_rollmed columns agree; None if an output is missing
    identical_bytes: bool | None


@dataclass(frozen=True)
class Results:
    chunksize: int
    files: list[FileResults]
    time_files: list[FileResults]  # the same with a centred time window


def write_key_value_csv(path: Path, rows: int, seed: int, timed: bool = False) -> None:
    """A CSV of ``rows`` rows: ``key``, an int in [0, KEYS), and ``x``, float64 standard normal.

    ``timed``: first a column ``time``, readings about a second apart (to the millisecond).
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"key": rng.integers(0, KEYS, rows), "x": rng.standard_normal(rows)})
    if timed:
        milliseconds = np.cumsum(np.round(rng.exponential(1000.0, rows)).astype(np.int64))
        frame.insert(0, "time", pd.Timestamp("2024-01-01") + pd.to_timedelta(milliseconds, unit="ms"))
    frame.to_csv(path, index=False)


def cli_argv(source: Path, output: Path, chunksize: int | None, timed: bool = False) -> list[str]:
    window = ["--window", TIME_WINDOW, "--on", "time", "--center"] if timed else ["--window", str(WINDOW)]
    argv = [str(source), "--column", "x", *window, "--by", "key"]
    argv += ["--output", str(output)]
    return argv + (["--chunksize", str(chunksize)] if chunksize is not None else [])


def cli_snippet(argv: list[str]) -> str:
    return CLI_PEAK_SNIPPET.format(argv=argv, resident_kib=harness.RESIDENT_KIB_SOURCE)


def cli_peak(argv: list[str]) -> tuple[float | None, float | None, float]:
    """``python -m rollmed ARGV`` in a fresh process: MiB resident after imports, peak MiB, seconds."""
    start = time.perf_counter()
    numbers = harness.run_python_numbers(cli_snippet(argv))
    seconds = time.perf_counter() - start
    return (None, None, seconds) if numbers is None else (numbers[0], numbers[1], seconds)


def same_output_column(chunked: Path, one_shot: Path) -> bool | None:
    """Whether the outputs' ``x_rollmed`` columns agree (np.allclose, equal_nan); None if one is missing."""
    if not chunked.exists() or not one_shot.exists():
        return None
    ours = pd.read_csv(chunked, usecols=["x_rollmed"])["x_rollmed"].to_numpy(np.float64)
    theirs = pd.read_csv(one_shot, usecols=["x_rollmed"])["x_rollmed"].to_numpy(np.float64)
    return ours.shape == theirs.shape and bool(np.allclose(ours, theirs, equal_nan=True))


def bench_file(folder: Path, rows: int, chunksize: int, seed: int, timed: bool = False) -> FileResults:
    source = folder / f"rows-{rows}.csv"
    write_key_value_csv(source, rows, seed, timed)
    chunked_out, one_shot_out = folder / "chunked.csv", folder / "one-shot.csv"
    file_mib = source.stat().st_size / MIB
    chunked = cli_peak(cli_argv(source, chunked_out, chunksize, timed))
    one_shot = cli_peak(cli_argv(source, one_shot_out, None, timed))
    same = same_output_column(chunked_out, one_shot_out)
    identical = None if same is None else filecmp.cmp(chunked_out, one_shot_out, shallow=False)
    for path in (source, chunked_out, one_shot_out):
        path.unlink(missing_ok=True)
    print(
        f"  {rows:,} rows{', time window' if timed else ''}: chunked peak {format_mib(chunked[1])} MiB, "
        f"one-shot peak {format_mib(one_shot[1])} MiB, same: {yes_no(same)}"
    )
    return FileResults(rows, file_mib, chunked, one_shot, same, identical)


def run(settings: Settings, peers: Peers) -> Results:
    row_counts, chunksize = QUICK_CASE if settings.quick else CASE
    print(
        f"files, {', '.join(f'{rows:,}' for rows in row_counts)} rows, --chunksize {chunksize:,} ...",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="rollmed-bench-files-") as directory:
        folder = Path(directory)
        # One untimed round on a small file fills the on-disk numba cache for both paths.
        warm = folder / "warm.csv"
        for timed in (False, True):
            write_key_value_csv(warm, 2 * chunksize, FILES_SEED, timed)
            for size in (chunksize, None):
                harness.run_python_numbers(cli_snippet(cli_argv(warm, folder / "warm-out.csv", size, timed)))
        series = {
            timed: [
                bench_file(folder, rows, chunksize, FILES_SEED + 1 + number, timed)
                for number, rows in enumerate(row_counts)
            ]
            for timed in (False, True)
        }
    return Results(chunksize, series[False], series[True])


def files_table(results: Results, files: list[FileResults]) -> str:
    header = [
        "rows",
        "file MiB",
        "rows / chunksize",
        "resident before the run, MiB",
        "chunked peak MiB",
        "one-shot peak MiB",
        "chunked s",
        "one-shot s",
        "`x_rollmed` agrees",
        "files byte-identical",
    ]
    rows = []
    for found in files:
        imports, chunked_peak, chunked_s = found.chunked
        _, one_shot_peak, one_shot_s = found.one_shot
        rows.append(
            [
                f"{found.rows:,}",
                format_mib(found.file_mib),
                f"{found.rows / results.chunksize:g}",
                format_mib(imports),
                format_mib(chunked_peak),
                format_mib(one_shot_peak),
                f"{chunked_s:.1f}",
                f"{one_shot_s:.1f}",
                yes_no(found.same),
                yes_no(found.identical_bytes),
            ]
        )
    return harness.markdown_table(header, rows)


def files_summary(files: list[FileResults]) -> str:
    first, last = files[0], files[-1]

    def growth(low: float | None, high: float | None) -> str:
        return "n/a" if low is None or high is None else f"{round(high - low, 1) + 0.0:+.1f} MiB"

    return (
        f"From {first.rows:,} to {last.rows:,} rows ({last.rows / first.rows:g}x the file), "
        f"the chunked run's peak changes by {growth(first.chunked[1], last.chunked[1])}, "
        f"the one-shot run's by {growth(first.one_shot[1], last.one_shot[1])}."
    )


def report(results: Results) -> str:
    chunksize = results.chunksize
    command = " ".join(cli_argv(Path("FILE.csv"), Path("OUT.csv"), chunksize))
    timed = " ".join(cli_argv(Path("FILE.csv"), Path("OUT.csv"), chunksize, timed=True))
    return (
        f"## Files: `python -m rollmed {command}`\n\n"
        f"CSV files of an int column `key` ({KEYS} keys, at random) and a float64 column `x`, "
        f"written to a temporary directory; the rolling median of `x` over {WINDOW} rows within "
        f"each key, with `--chunksize {chunksize:,}` (chunked) and without (one-shot: the whole file "
        "in memory). Peak memory is the peak resident set (VmHWM) of a fresh process running "
        "`rollmed._cli.main`, one run each (after an untimed run that fills the numba cache); "
        "its resident set before the run (pandas, numba and rollmed's kernels loaded by a warm-up "
        "on 1,000 values) is part of every peak. Agreement: the "
        "`x_rollmed` columns of the two outputs, np.allclose with equal_nan.\n\n"
        f"{files_table(results, results.files)}\n\n{files_summary(results.files)}\n\n"
        f"### In time: `python -m rollmed {timed}`\n\n"
        f"The same with a column `time` first, readings about a second apart (exponential gaps, to the "
        f"millisecond), and the median of `x` over the {TIME_WINDOW} centred on each row within each key: "
        "the chunked run holds each key's rows within the span around the rows still waiting for "
        "the end of their window.\n\n"
        f"{files_table(results, results.time_files)}\n\n{files_summary(results.time_files)}"
    )


SECTION = Section(NAME, run, report)
