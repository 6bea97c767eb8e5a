"""rollmed against every peer, side by side in one process.

Run it from anywhere; it benchmarks the rollmed checkout it lives in::

    python benchmarks/compare.py              # the full run, a few minutes
    python benchmarks/compare.py --quick      # a smoke test: smaller n, fewer repeats
    python benchmarks/compare.py --no-memory --no-startup --repeat 3
    python benchmarks/compare.py --only time,groups,quantile,integers
    python benchmarks/compare.py --only streaming,files

It times rolling medians (rollmed, bottleneck, scipy.ndimage, polars, pandas) over a
range of windows, the expanding median, many columns at once, start-up and compile
costs in fresh subprocesses and peak memory, time windows ("1h" over irregular
timestamps), rolling medians within groups (``by=``), a rolling quantile, exact
integer medians, the streaming ``rollmed.RollingMedian`` against river (chunked and one
value at a time) and the peak memory of ``python -m rollmed`` on growing CSV files with
and without ``--chunksize``, and ``rollmed.dask`` against dask's own rolling
median, then prints markdown tables and writes them, with a log-log plot of
time against window, to ``benchmarks/results/`` (``compare.md``; a run with ``--only``
writes ``compare-only-<sections>.md`` instead, so as not to replace the full report).

Every time is the median of several warm runs, each library called in turn within a
round, on a noisy shared machine: read ratios, not single milliseconds. Missing
optional peers (bottleneck, scipy, polars, river, dask, matplotlib) are reported as "n/a".
"""

from __future__ import annotations

import argparse
import datetime
import filecmp
import gc
import importlib
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
# Benchmark the checkout next to this script, even where another rollmed is installed.
sys.path.insert(0, str(REPO_ROOT))

import rollmed  # noqa: E402

SEED = 20240601
WINDOWS = (3, 11, 101, 1001, 10001)
MANY_COLUMNS_WINDOW = 101
N_COLUMNS = 8
MIB = 1024 * 1024

# The sections, in the order they run; --only picks some of them.
SECTIONS = (
    "rolling", "expanding", "columns", "startup", "memory", "time", "groups", "quantile", "integers",
    "streaming", "files", "dask",
)  # fmt: skip

TIME_WINDOW = "1h"
TIME_GAP_SECONDS = 1.0  # the mean gap between irregular timestamps (exponential gaps)
TIME_TARGET = 5.0  # the target: rollmed at least this many times faster than pandas (so below)
# (groups, rows per group, window, target speed-up over pandas), full run and --quick
GROUP_CASES = ((100_000, 10, 5, 10.0), (1_000, 1_000, 101, 3.0))
QUICK_GROUP_CASES = ((10_000, 10, 5, 10.0), (100, 1_000, 101, 3.0))
QUANTILE_Q = 0.9
QUANTILE_WINDOW = 101
QUANTILE_TARGET = 5.0
INTEGER_WINDOW = 101
INTEGER_BASE = 2**62  # int64 values from here up: float64 keeps only multiples of 2**10 of them
INTEGER_SPREAD = 1_000_000
STREAM_WINDOW = 101
STREAM_CHUNK = 10_000
STREAM_RIVER_N = 200_000  # river's per-value loop is slow: fewer values, compared per value
STREAM_CHUNKED_TARGET = 50.0  # river per value / rollmed chunked per value: at least this
STREAM_SINGLE_TARGET = 2.0  # rollmed / river, one value at a time: at most this
STREAM_CHUNKED = "rollmed, chunks"
STREAM_SINGLE = "rollmed, one value at a time"
STREAM_RIVER = "river, one value at a time"
FILE_WINDOW = 101
FILE_KEYS = 100
# (row counts, --chunksize): every file is at least 20 chunks, full run and --quick
FILE_CASE = ((1_000_000, 2_000_000, 4_000_000), 50_000)
QUICK_FILE_CASE = ((100_000, 200_000, 400_000), 5_000)
DASK_PARTITIONS = 16
DASK_WINDOW = 101
DASK_GROUP_WINDOW = 11
DASK_GROUPS = 1_000

ROLLMED_SERIES = "rollmed (Series)"
ROLLMED_NDARRAY = "rollmed (ndarray)"
ROLLMED_ONE_THREAD = "rollmed (ndarray, 1 thread)"
ROLLMED_VARIANTS = (ROLLMED_SERIES, ROLLMED_NDARRAY, ROLLMED_ONE_THREAD)
PEERS = ("bottleneck", "scipy", "polars", "pandas")
LIBRARIES = (*ROLLMED_VARIANTS, *PEERS)


@dataclass(frozen=True)
class Settings:
    n: int
    repeat: int
    n_columns_rows: int
    memory_n: int
    startup_repeat: int
    compile_repeat: int
    memory: bool
    startup: bool
    output_dir: Path
    sections: tuple[str, ...] = SECTIONS
    group_cases: tuple[tuple[int, int, int, float], ...] = GROUP_CASES
    stream_river_n: int = STREAM_RIVER_N
    file_case: tuple[tuple[int, ...], int] = FILE_CASE
    partial: bool = False  # --only: some sections alone, reported in a file of their own

    def runs(self, section: str) -> bool:
        return section in self.sections


@dataclass(frozen=True)
class Peers:
    """The optional peers' modules; None where the import failed."""

    bottleneck: ModuleType | None
    ndimage: ModuleType | None
    polars: ModuleType | None


def optional_import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def load_peers() -> Peers:
    return Peers(
        bottleneck=optional_import("bottleneck"),
        ndimage=optional_import("scipy.ndimage"),
        polars=optional_import("polars"),
    )


# --- timing -------------------------------------------------------------------------------------


# A pause before each timed call: long enough for the previous library's thread pool to
# stop spinning (polars' workers spin on the second core for a while after a call,
# slowing whatever runs next by a quarter on this 2-core machine).
SETTLE_SECONDS = 0.05


def time_once(func: Callable[[], object]) -> float:
    time.sleep(SETTLE_SECONDS)
    gc.collect()
    # As timeit does: a collection in the middle of a run is noise, not the library's cost.
    gc.disable()
    try:
        start = time.perf_counter()
        result = func()  # held until the clock stops: freeing it is not part of the call
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    del result
    return elapsed


def median_times(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The median time of each function, in seconds.

    The functions take turns within each round, so that a noisy moment of the shared
    machine lands on every library alike rather than on whichever ran then; and each
    round runs them in a new order (seeded: the same every run), so that none always
    runs right after the same neighbour: the call after pandas' rolling median, which
    churns through memory, is a few ms slower whoever makes it.
    """
    times: dict[str, list[float]] = {name: [] for name in funcs}
    order = list(funcs)
    shuffler = random.Random(SEED)
    for _ in range(repeat):
        shuffler.shuffle(order)
        for name in order:
            times[name].append(time_once(funcs[name]))
    return {name: statistics.median(values) for name, values in times.items()}


def warm_up(funcs: dict[str, Callable[[], object]]) -> dict[str, Callable[[], object]]:
    """Call every function once (compiling, lazy imports); drop, with a warning, those that fail."""
    working = {}
    for name, func in funcs.items():
        try:
            func()
        except Exception as error:  # a broken optional peer must not end the benchmark
            print(f"warning: {name} failed its warm-up call and is left out: {error!r}", file=sys.stderr)
        else:
            working[name] = func
    return working


# --- formatting ---------------------------------------------------------------------------------


def format_ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def format_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator / denominator:.2f}"


def format_mib(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib:.1f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def on_one_thread(func: Callable[[], object]) -> Callable[[], object] | None:
    """``func`` with rollmed's kernels on a single thread, as bottleneck's, scipy's and pandas' run.

    None for a rollmed without ``set_num_threads``, whose kernels are single-threaded anyway.
    """
    if not hasattr(rollmed, "set_num_threads"):
        return None

    def call() -> object:
        previous = rollmed.get_num_threads()
        rollmed.set_num_threads(1)
        try:
            return func()
        finally:
            rollmed.set_num_threads(previous)

    return call


def as_float_array(result: object) -> np.ndarray:
    """A pandas or polars Series or an ndarray as a float64 ndarray, nulls as NaN."""
    values = result.to_numpy() if hasattr(result, "to_numpy") else result
    return np.asarray(values, dtype=np.float64)


def agrees(result: object, reference: np.ndarray, start: int = 0) -> bool:
    return bool(np.allclose(as_float_array(result)[start:], reference[start:], equal_nan=True))


# --- 1. rolling medians -------------------------------------------------------------------------


def rolling_contenders(
    x: np.ndarray, s: pd.Series, window: int, peers: Peers
) -> dict[str, Callable[[], object]]:
    contenders: dict[str, Callable[[], object]] = {
        ROLLMED_SERIES: lambda: s.rollmed.window(window),
        ROLLMED_NDARRAY: lambda: rollmed.move_median(x, window),
        ROLLMED_ONE_THREAD: on_one_thread(lambda: rollmed.move_median(x, window)),
    }
    if peers.bottleneck is not None:
        contenders["bottleneck"] = lambda: peers.bottleneck.move_median(x, window)
    if peers.ndimage is not None:
        # origin shifts scipy's centred window to the trailing one the others use; the
        # work is the same (scipy>=1.11 takes its fast 1-D path either way), and the
        # results can then be compared past the first window - 1 padded edge values.
        origin = (window - 1) // 2
        contenders["scipy"] = lambda: peers.ndimage.median_filter(
            x, size=window, mode="nearest", origin=origin
        )
    if peers.polars is not None:
        contenders["polars"] = lambda: peers.polars.Series(x).rolling_median(window)
    contenders["pandas"] = lambda: s.rolling(window).median()
    return {name: func for name, func in contenders.items() if func is not None}


def check_rolling_agreement(contenders: dict[str, Callable[[], object]], window: int) -> dict[str, bool]:
    """Whether each contender's result matches rollmed.move_median; also each one's first full call."""
    reference = as_float_array(contenders[ROLLMED_NDARRAY]())
    # scipy pads the edge (mode="nearest") where the others give NaN.
    starts = {"scipy": window - 1}
    return {
        name: agrees(func(), reference, starts.get(name, 0))
        for name, func in contenders.items()
        if name != ROLLMED_NDARRAY
    }


def bench_rolling(
    x: np.ndarray, peers: Peers, repeat: int
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, bool]]]:
    s = pd.Series(x)
    small = x[:20_000]
    warm_up(rolling_contenders(small, pd.Series(small), 3, peers))
    timings, agreement = {}, {}
    for window in WINDOWS:
        contenders = warm_up(rolling_contenders(x, s, window, peers))
        agreement[window] = check_rolling_agreement(contenders, window)
        timings[window] = median_times(contenders, repeat)
        print(f"  k={window}: " + ", ".join(f"{n} {format_ms(t)} ms" for n, t in timings[window].items()))
    return timings, agreement


def fastest_peer(times: dict[str, float]) -> tuple[str, float] | tuple[None, None]:
    available = [(times[name], name) for name in PEERS if name in times]
    if not available:
        return None, None
    seconds, name = min(available)
    return name, seconds


def rolling_table(timings: dict[int, dict[str, float]]) -> str:
    header = ["k", *(f"{name} ms" for name in LIBRARIES), "fastest peer"]
    header += [f"{name} / fastest" for name in ROLLMED_VARIANTS]
    rows = []
    for window, times in timings.items():
        name, best = fastest_peer(times)
        row = [str(window), *(format_ms(times.get(library)) for library in LIBRARIES), name or "n/a"]
        row += [format_ratio(times.get(variant), best) for variant in ROLLMED_VARIANTS]
        rows.append(row)
    return markdown_table(header, rows)


def agreement_table(agreement: dict[int, dict[str, bool]]) -> str:
    names = [name for name in LIBRARIES if name != ROLLMED_NDARRAY]
    rows = [
        [str(window), *("n/a" if name not in found else "yes" if found[name] else "NO" for name in names)]
        for window, found in agreement.items()
    ]
    return markdown_table(["k", *names], rows)


# --- 2. expanding median ------------------------------------------------------------------------


def bench_expanding(x: np.ndarray, repeat: int) -> tuple[dict[str, float], bool]:
    s = pd.Series(x)
    contenders = {
        "rollmed `s.rollmed.expanding()`": lambda: s.rollmed.expanding(),
        "rollmed `expanding_median(x)` (ndarray)": lambda: rollmed.expanding_median(x),
        "pandas `s.expanding().median()`": lambda: s.expanding().median(),
        "`np.sort(x)`": lambda: np.sort(x),
    }
    same = agrees(s.rollmed.expanding(), as_float_array(s.expanding().median()))
    return median_times(warm_up(contenders), repeat), same


def expanding_table(times: dict[str, float]) -> str:
    sort_time = times.get("`np.sort(x)`")
    rows = [[name, format_ms(seconds), format_ratio(seconds, sort_time)] for name, seconds in times.items()]
    return markdown_table(["what", "ms", "/ np.sort"], rows)


# --- 3. many columns ----------------------------------------------------------------------------


def bench_many_columns(x2d: np.ndarray, peers: Peers, repeat: int) -> tuple[dict[str, float], bool | None]:
    window = MANY_COLUMNS_WINDOW
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed": lambda: rollmed.move_median(x2d, window, axis=0),
        "rollmed, 1 thread": on_one_thread(lambda: rollmed.move_median(x2d, window, axis=0)),
    }
    if peers.bottleneck is not None:
        contenders["bottleneck"] = lambda: peers.bottleneck.move_median(x2d, window, axis=0)
    contenders = warm_up({name: func for name, func in contenders.items() if func is not None})
    same = None
    if "bottleneck" in contenders:
        same = agrees(contenders["rollmed"](), as_float_array(contenders["bottleneck"]()))
    return median_times(contenders, repeat), same


def many_columns_table(times: dict[str, float], shape: tuple[int, ...]) -> str:
    bottleneck_time = times.get("bottleneck")
    rows = [
        [name, str(shape), format_ms(times.get(name)), format_ratio(times.get(name), bottleneck_time)]
        for name in ("rollmed", "rollmed, 1 thread", "bottleneck")
    ]
    return markdown_table(["what", "X.shape", "ms", "/ bottleneck"], rows)


# --- 4. start-up, in fresh subprocesses ---------------------------------------------------------

# Each snippet prints the seconds its timed part took, so the interpreter's own start-up,
# the same for all, is left out; rollmed's costs are timed after pandas is imported,
# which alone varies by tens of ms from one process to the next.
IMPORT_PANDAS = "import time; t0 = time.perf_counter(); import pandas; print(time.perf_counter() - t0)"
IMPORT_ROLLMED = (
    "import time, pandas; t0 = time.perf_counter(); import rollmed; print(time.perf_counter() - t0)"
)
FIRST_MEDIAN = (
    "import time, pandas as pd; t0 = time.perf_counter(); import rollmed; "
    "pd.Series([3.0, 1.0, 2.0, 5.0, 4.0]).rollmed.window(3); print(time.perf_counter() - t0)"
)
# numba is imported before the clock starts, so that this is the compile cost alone.
COLD_COMPILE = (
    "import time, numpy as np, numba, rollmed; x = np.arange(16.0); "
    "t0 = time.perf_counter(); rollmed.move_median(x, 3); print(time.perf_counter() - t0)"
)


def run_python_numbers(code: str, extra_env: dict[str, str] | None = None) -> list[float] | None:
    """Run ``code`` in a fresh interpreter; the numbers it prints on its last line, or None if it failed."""
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path, **(extra_env or {})}
    # Imports as an installed package has them: from bytecode that the untimed round writes.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False
    )
    if process.returncode != 0:
        print(
            f"warning: a subprocess failed:\n{textwrap.indent(process.stderr[-2000:], '    ')}",
            file=sys.stderr,
        )
        return None
    return [float(word) for word in process.stdout.splitlines()[-1].split()]


def run_python(code: str, extra_env: dict[str, str] | None = None) -> float | None:
    """Run ``code`` in a fresh interpreter; the number it prints last, or None if it failed."""
    numbers = run_python_numbers(code, extra_env)
    return None if numbers is None else numbers[-1]


def median_of_runs(snippets: dict[str, str], repeat: int) -> dict[str, float | None]:
    """Each snippet's median time over fresh processes, the snippets taking turns as in median_times."""
    runs: dict[str, list[float]] = {name: [] for name in snippets}
    for _ in range(repeat):
        for name, code in snippets.items():
            seconds = run_python(code)
            if seconds is not None:
                runs[name].append(seconds)
    return {name: statistics.median(values) if values else None for name, values in runs.items()}


def cold_compile_time(repeat: int) -> float | None:
    times = []
    for _ in range(repeat):
        # An empty cache directory of its own: numba finds nothing and compiles everything.
        with tempfile.TemporaryDirectory(prefix="rollmed-numba-cache-") as cache_dir:
            seconds = run_python(COLD_COMPILE, {"NUMBA_CACHE_DIR": cache_dir})
        if seconds is not None:
            times.append(seconds)
    return statistics.median(times) if times else None


def bench_startup(repeat: int, compile_repeat: int) -> dict[str, float | None]:
    snippets = {
        "import pandas": IMPORT_PANDAS,
        "import rollmed": IMPORT_ROLLMED,
        "first median": FIRST_MEDIAN,
    }
    # One untimed round fills the on-disk numba cache and the OS file cache.
    median_of_runs(snippets, 1)
    results = median_of_runs(snippets, repeat)
    results["cold compile"] = cold_compile_time(compile_repeat)
    return results


def startup_table(results: dict[str, float | None]) -> str:
    rows = [
        ["`import pandas`", results["import pandas"]],
        ["`import rollmed`, pandas already imported", results["import rollmed"]],
        [
            "`import rollmed` + first `s.rollmed.window(3)`, pandas already imported, warm on-disk cache",
            results["first median"],
        ],
        [
            "first `rollmed.move_median` call, empty `NUMBA_CACHE_DIR` (compile; numba already imported)",
            results["cold compile"],
        ],
    ]
    return markdown_table(["what (fresh process)", "ms"], [[what, format_ms(t)] for what, t in rows])


# --- 5. memory, in fresh subprocesses -----------------------------------------------------------

# ru_maxrss would not do here: a child started by exec inherits the peak of the process
# that started it, this benchmark's own hundreds of MiB, which hides the child's peak.
# Linux lets a process reset its peak (VmHWM) to its current resident set instead.
MEMORY_SNIPPET = """
import numpy as np
import pandas as pd
import rollmed
{extra_import}

def run(x, s):
    return {expression}

def resident_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

small = np.arange(2_000, dtype=np.float64)
run(small, pd.Series(small))  # compile and warm up on a small input, outside the measurement
x = np.arange({n}, dtype=np.float64)  # arange writes every page: the input is resident
s = pd.Series(x)
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the peak starts again from what is resident now
before = resident_kib("VmRSS")
result = run(x, s)
print((resident_kib("VmHWM") - before) / 1024)
"""

# (what, expression on x (ndarray) or s (Series), module it needs beyond numpy, pandas and rollmed)
MEMORY_CASES = (
    ("rollmed `s.rollmed.window(3)`", "s.rollmed.window(3)", None),
    ("rollmed `s.rollmed.window(1001)`", "s.rollmed.window(1001)", None),
    ("rollmed `s.rollmed.expanding()`", "s.rollmed.expanding()", None),
    ("rollmed `move_median(x, 3)` (ndarray)", "rollmed.move_median(x, 3)", None),
    ("bottleneck `move_median(x, 3)`", "bottleneck.move_median(x, 3)", "bottleneck"),
    ("pandas `s.rolling(3).median()`", "s.rolling(3).median()", None),
    ("pandas `s.expanding().median()`", "s.expanding().median()", None),
)


def peak_memory_increase(expression: str, module: str | None, n: int) -> float | None:
    """The increase of the peak resident set, in MiB, that ``expression`` causes in a fresh process."""
    if module is not None and optional_import(module) is None:
        return None
    extra_import = f"import {module}" if module else ""
    code = MEMORY_SNIPPET.format(extra_import=extra_import, expression=expression, n=n)
    return run_python(code)


def bench_memory(n: int) -> dict[str, float | None]:
    results = {}
    for what, expression, module in MEMORY_CASES:
        results[what] = peak_memory_increase(expression, module, n)
        print(f"  {what}: {format_mib(results[what])} MiB")
    return results


def memory_table(results: dict[str, float | None], n: int) -> str:
    output_mib = n * 8 / MIB
    rows = [
        [what, format_mib(mib), format_mib(None if mib is None else mib - output_mib)]
        for what, mib in results.items()
    ]
    header = ["what", "peak increase, MiB", f"beyond the {output_mib:.1f} MiB result, MiB"]
    return markdown_table(header, rows)


# --- 6. comparisons with pandas: shared helpers ------------------------------------------------


def speedup(reference: float | None, seconds: float | None) -> str:
    """How many times faster than ``reference`` ``seconds`` is, as "5.9x"."""
    if reference is None or seconds is None:
        return "n/a"
    return f"{reference / seconds:.1f}x"


def faster_or_slower(reference: float | None, seconds: float | None) -> str:
    """``seconds`` against ``reference`` in words: "5.9x faster" or "1.4x slower"."""
    if reference is None or seconds is None:
        return "n/a"
    if seconds <= reference:
        return f"{reference / seconds:.1f}x faster"
    return f"{seconds / reference:.1f}x slower"


def target_text(reference: float | None, seconds: float | None, target: float) -> str:
    if reference is None or seconds is None:
        return "n/a"
    return f"{'met' if reference / seconds >= target else 'NOT met'} (>= {target:g}x)"


def yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "NO"


def versus_table(
    calls: dict[str, str], times: dict[str, float], agreement: dict[str, bool | None] | None, reference: str
) -> str:
    """One row per contender: the call, its time, how many times faster than ``reference``, agreement.

    The agreement column is left out where ``agreement`` is None.
    """
    header = ["what", "call", "ms", f"{reference} / this (times faster)"]
    rows = [
        [name, f"`{call}`", format_ms(times.get(name)), speedup(times.get(reference), times.get(name))]
        for name, call in calls.items()
        if name in times
    ]
    if agreement is not None:
        header.append("agrees with rollmed")
        for row in rows:
            row.append("(reference)" if row[0] not in agreement else yes_no(agreement[row[0]]))
    return markdown_table(header, rows)


def versus_summary(
    times: dict[str, float], rollmed_name: str, reference: str, target: float, peers: tuple[str, ...]
) -> str:
    """The target line under a table: rollmed against ``reference``, and against the fastest peer."""
    text = (
        f"{rollmed_name} against {reference}: "
        f"{faster_or_slower(times.get(reference), times.get(rollmed_name))}; "
        f"target {target_text(times.get(reference), times.get(rollmed_name), target)}."
    )
    available = [(times[name], name) for name in peers if name in times]
    if available:
        seconds, name = min(available)
        text += f" Against the fastest peer ({name}): {faster_or_slower(seconds, times.get(rollmed_name))}."
    return text


def check_agreement(
    contenders: dict[str, Callable[[], object]], reference_name: str, starts: dict[str, int] | None = None
) -> dict[str, bool | None]:
    """Whether each contender's result matches the reference contender's (np.allclose, equal_nan)."""
    reference = as_float_array(contenders[reference_name]())
    starts = starts or {}
    return {name: agrees(func(), reference, starts.get(name, 0)) for name, func in contenders.items()}


# --- 7. time windows ----------------------------------------------------------------------------


def irregular_times(n: int, seed: int) -> pd.DatetimeIndex:
    """``n`` increasing timestamps with exponential gaps of mean TIME_GAP_SECONDS, in ns."""
    rng = np.random.default_rng(seed)
    gaps_ns = rng.exponential(TIME_GAP_SECONDS * 1e9, n)
    ticks = np.int64(pd.Timestamp("2024-01-01").value) + np.cumsum(gaps_ns).astype(np.int64)
    return pd.DatetimeIndex(ticks.view("datetime64[ns]"))


def bench_time_window(
    x: np.ndarray, peers: Peers, repeat: int
) -> tuple[dict[str, str], dict[str, float], dict[str, bool | None], float]:
    index = irregular_times(len(x), SEED + 1)
    s = pd.Series(x, index=index)
    window = TIME_WINDOW
    calls: dict[str, str] = {
        "rollmed": f's.rollmed.window("{window}")',
        "rollmed, 1 thread": f's.rollmed.window("{window}")',
        "polars": f'pl.Series(x).rolling_median_by(pl.Series(index), "{window}")',
        "pandas": f's.rolling("{window}").median()',
    }
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed": lambda: s.rollmed.window(window),
        "rollmed, 1 thread": on_one_thread(lambda: s.rollmed.window(window)),
    }
    if peers.polars is not None:
        x_polars, times_polars = peers.polars.Series(x), peers.polars.Series(index.to_numpy())
        contenders["polars"] = lambda: x_polars.rolling_median_by(times_polars, window)
    contenders["pandas"] = lambda: s.rolling(window).median()
    contenders = warm_up({name: func for name, func in contenders.items() if func is not None})
    agreement = check_agreement(contenders, "rollmed")
    agreement.pop("rollmed")
    # Rows in the window (t - 1h, t] of each row t, as pandas counts them.
    first_rows = index.searchsorted(index - pd.Timedelta(window), side="right")
    rows_per_window = float(np.mean(np.arange(len(x)) - first_rows + 1))
    return calls, median_times(contenders, repeat), agreement, rows_per_window


# --- 8. groups ----------------------------------------------------------------------------------


def grouped_frame(n_groups: int, size: int, seed: int) -> pd.DataFrame:
    """``n_groups`` groups of ``size`` rows each, their rows interleaved at random."""
    rng = np.random.default_rng(seed)
    keys = rng.permutation(np.repeat(np.arange(n_groups, dtype=np.int64), size))
    return pd.DataFrame({"key": keys, "x": rng.standard_normal(n_groups * size)})


def realign(grouped: pd.Series, index: pd.Index) -> pd.Series:
    """pandas' groupby().rolling() result, on (key, row) labels, back on the original rows."""
    return grouped.droplevel(0).reindex(index)


def bench_group_case(
    frame: pd.DataFrame, window: int, peers: Peers, repeat: int
) -> tuple[dict[str, float], dict[str, bool | None]]:
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed": lambda: frame.rollmed.window(window, by="key")["x"],
        "rollmed, 1 thread": on_one_thread(lambda: frame.rollmed.window(window, by="key")["x"]),
    }
    if peers.polars is not None:
        pl = peers.polars
        frame_polars = pl.from_pandas(frame)
        contenders["polars"] = lambda: frame_polars.select(pl.col("x").rolling_median(window).over("key"))[
            "x"
        ]
    contenders["pandas"] = lambda: frame.groupby("key")["x"].rolling(window).median()
    contenders = warm_up({name: func for name, func in contenders.items() if func is not None})
    reference = as_float_array(contenders["rollmed"]())
    agreement: dict[str, bool | None] = {}
    for name, func in contenders.items():
        result = func()
        if name == "pandas":
            result = realign(result, frame.index)
        agreement[name] = agrees(result, reference)
    agreement.pop("rollmed")
    return median_times(contenders, repeat), agreement


GROUP_LIBRARIES = ("rollmed", "rollmed, 1 thread", "polars", "pandas")


def bench_groups(
    cases: tuple[tuple[int, int, int, float], ...], peers: Peers, repeat: int
) -> list[tuple[tuple[int, int, int, float], dict[str, float], dict[str, bool | None]]]:
    results = []
    for number, case in enumerate(cases):
        n_groups, size, window, _ = case
        frame = grouped_frame(n_groups, size, SEED + 2 + number)
        times, agreement = bench_group_case(frame, window, peers, repeat)
        print(
            f"  {n_groups:,} groups of {size:,}, k={window}: "
            + ", ".join(f"{name} {format_ms(t)} ms" for name, t in times.items())
        )
        results.append((case, times, agreement))
    return results


def groups_table(results) -> str:
    header = ["groups x rows", "k", *(f"{name} ms" for name in GROUP_LIBRARIES)]
    header += ["pandas / rollmed (times faster)", "target", "polars / rollmed", "agree with rollmed"]
    rows = []
    for (n_groups, size, window, target), times, agreement in results:
        rollmed_time, pandas_time = times.get("rollmed"), times.get("pandas")
        row = [f"{n_groups:,} x {size:,}", str(window)]
        row += [format_ms(times.get(name)) for name in GROUP_LIBRARIES]
        row += [speedup(pandas_time, rollmed_time), target_text(pandas_time, rollmed_time, target)]
        row += [speedup(times.get("polars"), rollmed_time)]
        row += [", ".join(f"{name} {yes_no(same)}" for name, same in agreement.items())]
        rows.append(row)
    return markdown_table(header, rows)


# --- 9. a rolling quantile ----------------------------------------------------------------------


def bench_quantile(
    x: np.ndarray, peers: Peers, repeat: int
) -> tuple[dict[str, str], dict[str, float], dict[str, bool | None]]:
    s = pd.Series(x)
    window, q = QUANTILE_WINDOW, QUANTILE_Q
    calls = {
        "rollmed (Series)": f"s.rollmed.window({window}, q={q})",
        "rollmed (ndarray)": f"rollmed.move_quantile(x, {window}, {q})",
        "rollmed (ndarray, 1 thread)": f"rollmed.move_quantile(x, {window}, {q})",
        "scipy": f"ndimage.percentile_filter(x, {q * 100:g}, size={window}, mode='nearest', origin=...)",
        "polars": f'pl.Series(x).rolling_quantile({q}, interpolation="linear", window_size={window})',
        "pandas": f"s.rolling({window}).quantile({q})",
    }
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed (Series)": lambda: s.rollmed.window(window, q=q),
        "rollmed (ndarray)": lambda: rollmed.move_quantile(x, window, q),
        "rollmed (ndarray, 1 thread)": on_one_thread(lambda: rollmed.move_quantile(x, window, q)),
    }
    if peers.ndimage is not None:
        # scipy takes the value of rank int(q * k) with no interpolation: the same number here,
        # as q * (k - 1) = 90 is a whole rank; origin makes the window trailing (see above).
        contenders["scipy"] = lambda: peers.ndimage.percentile_filter(
            x, q * 100, size=window, mode="nearest", origin=(window - 1) // 2
        )
    if peers.polars is not None:
        x_polars = peers.polars.Series(x)
        contenders["polars"] = lambda: x_polars.rolling_quantile(
            q, interpolation="linear", window_size=window
        )
    contenders["pandas"] = lambda: s.rolling(window).quantile(q)
    contenders = warm_up({name: func for name, func in contenders.items() if func is not None})
    agreement = check_agreement(contenders, "rollmed (Series)", {"scipy": window - 1})
    agreement.pop("rollmed (Series)")
    return calls, median_times(contenders, repeat), agreement


# --- 10. exact integers -------------------------------------------------------------------------


def exact_lower_median(values: np.ndarray, window: int, chunk: int = 50_000) -> np.ndarray:
    """The lower median of every full trailing window, computed in int64 by np.partition.

    The reference for rollmed's exact result: entry i is the window ending at row
    ``i + window - 1``.
    """
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    rank = (window - 1) // 2
    out = np.empty(len(windows), np.int64)
    for first in range(0, len(windows), chunk):
        block = np.partition(windows[first : first + chunk], rank, axis=1)
        out[first : first + chunk] = block[:, rank]
    return out


def bench_integers(n: int, repeat: int) -> tuple[dict[str, str], dict[str, float], dict[str, object]]:
    rng = np.random.default_rng(SEED + 10)
    values = np.int64(INTEGER_BASE) + rng.integers(0, INTEGER_SPREAD, n, dtype=np.int64)
    s = pd.Series(values)
    window = INTEGER_WINDOW
    calls = {
        "rollmed, exact": f's.rollmed.window({window}, interpolation="lower")',
        "rollmed, exact, 1 thread": f's.rollmed.window({window}, interpolation="lower")',
        "rollmed, float64": f"s.rollmed.window({window})",
        "pandas": f's.rolling({window}).quantile(0.5, interpolation="lower")',
    }
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed, exact": lambda: s.rollmed.window(window, interpolation="lower"),
        "rollmed, exact, 1 thread": on_one_thread(lambda: s.rollmed.window(window, interpolation="lower")),
        "rollmed, float64": lambda: s.rollmed.window(window),
        "pandas": lambda: s.rolling(window).quantile(0.5, interpolation="lower"),
    }
    contenders = warm_up({name: func for name, func in contenders.items() if func is not None})
    times = median_times(contenders, repeat)

    exact = exact_lower_median(values, window)
    full = slice(window - 1, None)  # the rows whose window is full: the others are missing
    found: dict[str, object] = {"rows": len(exact)}
    if "rollmed, exact" in contenders:
        result = contenders["rollmed, exact"]()
        found["rollmed dtype"] = str(result.dtype)
        found["rollmed missing"] = int(result.isna().sum())
        found["rollmed wrong"] = int(np.count_nonzero(result.iloc[full].to_numpy(np.int64) != exact))
    if "pandas" in contenders:
        result = contenders["pandas"]()
        found["pandas dtype"] = str(result.dtype)
        # Every float64 this large is a whole number below 2**63: back to int64 exactly, to
        # compare integers with integers (an int64 == float64 comparison would round again).
        as_integers = result.iloc[full].to_numpy().astype(np.int64)
        errors = np.abs(as_integers - exact)
        found["pandas wrong"] = int(np.count_nonzero(errors))
        found["pandas max error"] = int(errors.max(initial=0))
    return calls, times, found


def integers_text(found: dict[str, object]) -> str:
    rows = found["rows"]
    lines = [f"Exactness over the {rows:,} full windows, against an int64 `np.partition` reference:", ""]
    if "rollmed wrong" in found:
        lines.append(
            f"- rollmed: dtype {found['rollmed dtype']}, {found['rollmed wrong']:,} of {rows:,} values "
            f"differ from the exact lower median ({found['rollmed missing']:,} leading <NA>, as the "
            "windows are not yet full)."
        )
    if "pandas wrong" in found:
        lines.append(
            f"- pandas: dtype {found['pandas dtype']}, {found['pandas wrong']:,} of {rows:,} values differ "
            f"from the exact lower median, by up to {found['pandas max error']:,} (float64 keeps 53 bits)."
        )
    return "\n".join(lines)


# --- 11. streaming ------------------------------------------------------------------------------


def stream_in_chunks(x: np.ndarray, window: int, chunk: int) -> list[np.ndarray]:
    """``RollingMedian(window).update`` over ``x`` in chunks of ``chunk`` values; the chunks' results."""
    stream = rollmed.RollingMedian(window)
    return [stream.update(x[start : start + chunk]) for start in range(0, len(x), chunk)]


def stream_values(xs: list[float], window: int) -> None:
    """``RollingMedian(window).update`` one Python float at a time, as a per-value consumer calls it."""
    stream = rollmed.RollingMedian(window)
    for value in xs:
        stream.update(value)


def stream_values_collected(xs: list[float], window: int) -> np.ndarray:
    """As :func:`stream_values`, keeping the results, to check them (not timed)."""
    stream = rollmed.RollingMedian(window)
    return np.array([stream.update(value) for value in xs], dtype=np.float64)


def river_values(river_stats: ModuleType, xs: list[float], window: int) -> None:
    """river's per-value loop: an update, then a get, per value."""
    rolling = river_stats.RollingQuantile(q=0.5, window_size=window)
    for value in xs:
        rolling.update(value)
        rolling.get()


def river_values_collected(river_stats: ModuleType, xs: list[float], window: int) -> np.ndarray:
    rolling = river_stats.RollingQuantile(q=0.5, window_size=window)
    out = []
    for value in xs:
        rolling.update(value)
        out.append(rolling.get())
    return np.array([np.nan if value is None else value for value in out], dtype=np.float64)


def same_values(result: np.ndarray, reference: np.ndarray) -> str:
    """Whether ``result`` is the reference: "identical", "close" (np.allclose, equal_nan) or "NO"."""
    if result.shape == reference.shape and np.array_equal(result, reference, equal_nan=True):
        return "identical"
    return "close" if agrees(result, reference) else "NO"


def bench_streaming(x: np.ndarray, river_n: int, repeat: int) -> dict[str, object]:
    """Per-value costs of rollmed's streaming median (in chunks, one value at a time) and river's."""
    window, chunk = STREAM_WINDOW, STREAM_CHUNK
    river_stats = optional_import("river.stats")
    river = optional_import("river")
    xs = x[:river_n].tolist()  # Python floats, as a per-value consumer has them
    contenders: dict[str, Callable[[], object]] = {
        STREAM_CHUNKED: lambda: stream_in_chunks(x, window, chunk),
        STREAM_SINGLE: lambda: stream_values(xs, window),
    }
    if river_stats is not None:
        contenders[STREAM_RIVER] = lambda: river_values(river_stats, xs, window)
    contenders = warm_up(contenders)
    times = median_times(contenders, repeat)

    one_shot = pd.Series(x).rollmed.window(window).to_numpy()
    agreement: dict[str, str] = {}
    if STREAM_CHUNKED in contenders:
        agreement[STREAM_CHUNKED] = same_values(np.concatenate(stream_in_chunks(x, window, chunk)), one_shot)
    if STREAM_SINGLE in contenders:
        agreement[STREAM_SINGLE] = same_values(stream_values_collected(xs, window), one_shot[:river_n])
    if STREAM_RIVER in contenders:
        # river gives the median of the values so far until its window is full; rollmed (and
        # pandas) give NaN there: compare the full windows.
        theirs = river_values_collected(river_stats, xs, window)
        full = slice(window - 1, None)
        same = agrees(theirs[full], one_shot[:river_n][full])
        agreement[STREAM_RIVER] = "yes, from k - 1 on" if same else "NO"
    counts = {STREAM_CHUNKED: len(x), STREAM_SINGLE: river_n, STREAM_RIVER: river_n}
    per_value = {name: seconds / counts[name] for name, seconds in times.items()}
    river_version = getattr(river, "__version__", None)
    return {
        "times": times,
        "per_value": per_value,
        "counts": counts,
        "agreement": agreement,
        "river version": river_version,
    }


def format_us(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    us = seconds * 1e6
    return f"{us:.3f}" if us < 1 else f"{us:.2f}"


def streaming_table(found: dict[str, object]) -> str:
    calls = {
        STREAM_CHUNKED: f"stream = RollingMedian({STREAM_WINDOW}); stream.update(x[i : i + {STREAM_CHUNK}])",
        STREAM_SINGLE: f"stream = RollingMedian({STREAM_WINDOW}); for x in xs: stream.update(x)",
        STREAM_RIVER: f"r = RollingQuantile(q=0.5, window_size={STREAM_WINDOW}); "
        "for x in xs: r.update(x); r.get()",
    }
    times, per_value = found["times"], found["per_value"]
    counts, agreement = found["counts"], found["agreement"]
    rows = [
        [
            name,
            f"`{call}`",
            f"{counts[name]:,}",
            format_ms(times.get(name)),
            format_us(per_value.get(name)),
            agreement.get(name, "n/a"),
        ]
        for name, call in calls.items()
    ]
    if STREAM_RIVER not in times:
        rows[-1][3:5] = ["n/a", "n/a"]
    header = ["what", "call", "values", "ms", "us per value"]
    header.append(f"agrees with `s.rollmed.window({STREAM_WINDOW})`")
    return markdown_table(header, rows)


def streaming_summary(found: dict[str, object]) -> str:
    per_value = found["per_value"]
    river = per_value.get(STREAM_RIVER)
    chunked, single = per_value.get(STREAM_CHUNKED), per_value.get(STREAM_SINGLE)
    if river is None:
        return "river is not installed: no comparison (pip install river)."
    speed_up = river / chunked
    note = (
        f"river {found['river version']}'s `RollingQuantile` keeps its window in compiled (Rust) code, "
        "so its per-value cost is mostly the Python calls."
    )
    ratio = single / river
    return "\n".join(
        [
            f"- Chunked throughput: river's per-value loop / rollmed's chunked update = {speed_up:.1f}x "
            f"per value; target >= {STREAM_CHUNKED_TARGET:g}x: "
            + ("met." if speed_up >= STREAM_CHUNKED_TARGET else "NOT met."),
            f"- Single-value updates: rollmed / river per update = {ratio:.2f} "
            f"({format_us(single)} us against {format_us(river)} us); target <= {STREAM_SINGLE_TARGET:g}: "
            + ("met." if ratio <= STREAM_SINGLE_TARGET else "NOT met."),
            "",
            note,
        ]
    )


# --- 12. files larger than memory: the command line with --chunksize ----------------------------

# The child reads its own resident set after the imports and a small warm-up (numba and the
# compiled kernels loaded), then its own peak (VmHWM) after main(): a process started by exec
# has a fresh VmHWM, unlike ru_maxrss (see MEMORY_SNIPPET).
CLI_PEAK_SNIPPET = """
import sys
import numpy as np
import pandas as pd
import rollmed
from rollmed import _cli

def resident_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

small = pd.Series(np.arange(1_000.0))
small.rollmed.window(101, by=small.index % 10)
rollmed.RollingMedian(101).update(small.to_numpy())
after_imports = resident_kib("VmRSS")
status = _cli.main({argv!r})
if status:
    sys.exit(status)
print(after_imports / 1024, resident_kib("VmHWM") / 1024)
"""


def write_key_value_csv(path: Path, rows: int, seed: int) -> None:
    """A CSV of ``rows`` rows: ``key``, an int in [0, FILE_KEYS), and ``x``, float64 standard normal."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"key": rng.integers(0, FILE_KEYS, rows), "x": rng.standard_normal(rows)})
    frame.to_csv(path, index=False)


def cli_argv(source: Path, output: Path, chunksize: int | None) -> list[str]:
    argv = [str(source), "--column", "x", "--window", str(FILE_WINDOW), "--by", "key"]
    argv += ["--output", str(output)]
    return argv + (["--chunksize", str(chunksize)] if chunksize is not None else [])


def cli_peak(argv: list[str]) -> tuple[float | None, float | None, float]:
    """``python -m rollmed ARGV`` in a fresh process: MiB resident after imports, peak MiB, seconds."""
    start = time.perf_counter()
    numbers = run_python_numbers(CLI_PEAK_SNIPPET.format(argv=argv))
    seconds = time.perf_counter() - start
    return (None, None, seconds) if numbers is None else (numbers[0], numbers[1], seconds)


def same_output_column(chunked: Path, one_shot: Path) -> bool | None:
    """Whether the outputs' ``x_rollmed`` columns agree (np.allclose, equal_nan); None if one is missing."""
    if not chunked.exists() or not one_shot.exists():
        return None
    ours = pd.read_csv(chunked, usecols=["x_rollmed"])["x_rollmed"].to_numpy(np.float64)
    theirs = pd.read_csv(one_shot, usecols=["x_rollmed"])["x_rollmed"].to_numpy(np.float64)
    return ours.shape == theirs.shape and bool(np.allclose(ours, theirs, equal_nan=True))


def bench_files(row_counts: tuple[int, ...], chunksize: int) -> list[dict[str, object]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="rollmed-bench-files-") as directory:
        folder = Path(directory)
        # One untimed round on a small file fills the on-disk numba cache for both paths.
        warm = folder / "warm.csv"
        write_key_value_csv(warm, 2 * chunksize, SEED + 20)
        for size in (chunksize, None):
            run_python_numbers(CLI_PEAK_SNIPPET.format(argv=cli_argv(warm, folder / "warm-out.csv", size)))
        for number, rows in enumerate(row_counts):
            source = folder / f"rows-{rows}.csv"
            write_key_value_csv(source, rows, SEED + 21 + number)
            chunked_out, one_shot_out = folder / "chunked.csv", folder / "one-shot.csv"
            found: dict[str, object] = {"rows": rows, "file MiB": source.stat().st_size / MIB}
            found["chunked"] = cli_peak(cli_argv(source, chunked_out, chunksize))
            found["one-shot"] = cli_peak(cli_argv(source, one_shot_out, None))
            found["same"] = same_output_column(chunked_out, one_shot_out)
            found["identical bytes"] = (
                None if found["same"] is None else filecmp.cmp(chunked_out, one_shot_out, shallow=False)
            )
            for path in (source, chunked_out, one_shot_out):
                path.unlink(missing_ok=True)
            print(
                f"  {rows:,} rows: chunked peak {format_mib(found['chunked'][1])} MiB, "
                f"one-shot peak {format_mib(found['one-shot'][1])} MiB, same: {yes_no(found['same'])}"
            )
            results.append(found)
    return results


def files_table(results: list[dict[str, object]], chunksize: int) -> str:
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
    for found in results:
        imports, chunked_peak, chunked_s = found["chunked"]
        _, one_shot_peak, one_shot_s = found["one-shot"]
        rows.append(
            [
                f"{found['rows']:,}",
                format_mib(found["file MiB"]),
                f"{found['rows'] / chunksize:g}",
                format_mib(imports),
                format_mib(chunked_peak),
                format_mib(one_shot_peak),
                f"{chunked_s:.1f}",
                f"{one_shot_s:.1f}",
                yes_no(found["same"]),
                yes_no(found["identical bytes"]),
            ]
        )
    return markdown_table(header, rows)


def files_summary(results: list[dict[str, object]]) -> str:
    first, last = results[0], results[-1]

    def growth(mode: str) -> str:
        low, high = first[mode][1], last[mode][1]
        return "n/a" if low is None or high is None else f"{round(high - low, 1) + 0.0:+.1f} MiB"

    return (
        f"From {first['rows']:,} to {last['rows']:,} rows ({last['rows'] / first['rows']:g}x the file), "
        f"the chunked run's peak changes by {growth('chunked')}, the one-shot run's by {growth('one-shot')}."
    )


# --- 13. dask -----------------------------------------------------------------------------------


def bench_dask(x: np.ndarray, repeat: int) -> list[tuple[str, dict[str, str], dict[str, float], bool]] | None:
    """rollmed.dask against dask's own rolling median, on dask's threads in this process.

    Each case: the calls, their times and whether rollmed.dask agrees with the pandas
    accessor on the whole frame.
    """
    dd, dask = optional_import("dask.dataframe"), optional_import("dask")
    if dd is None or dask is None:
        return None
    import rollmed.dask  # noqa: F401  (registers the dask accessor)

    keys = np.random.default_rng(SEED + 20).integers(0, DASK_GROUPS, len(x))
    frame = pd.DataFrame({"key": keys, "x": x}, index=irregular_times(len(x), SEED + 1))
    ddf = dd.from_pandas(frame, npartitions=DASK_PARTITIONS)
    k, kg, span = DASK_WINDOW, DASK_GROUP_WINDOW, TIME_WINDOW
    # (case, rollmed's call, dask's call): each call a function of the frame, dask's or
    # pandas' alike (the accessors take the same arguments), and its text for the table.
    cases = [
        (f"k = {k}", lambda f: f["x"].rollmed.window(k), lambda f: f["x"].rolling(k).median(),
         f'ddf["x"].rollmed.window({k})', f'ddf["x"].rolling({k}).median()'),
        (f'"{span}"', lambda f: f["x"].rollmed.window(span), lambda f: f["x"].rolling(span).median(),
         f'ddf["x"].rollmed.window("{span}")', f'ddf["x"].rolling("{span}").median()'),
        (f"k = {kg} within {DASK_GROUPS:,} groups", lambda f: f.rollmed.window(kg, by="key")["x"],
         lambda f: f.groupby("key")["x"].rolling(kg).median(),
         f'ddf.rollmed.window({kg}, by="key")["x"]', f'ddf.groupby("key")["x"].rolling({kg}).median()'),
        ("expanding", lambda f: f["x"].rollmed.expanding(), None, 'ddf["x"].rollmed.expanding()', "(none)"),
    ]  # fmt: skip
    results = []
    with dask.config.set(scheduler="threads"):
        for name, ours, theirs, ours_text, theirs_text in cases:
            contenders = {"rollmed.dask": lambda ours=ours: ours(ddf).compute()}
            if theirs is not None:
                contenders["dask"] = lambda theirs=theirs: theirs(ddf).compute()
            contenders = warm_up(contenders)
            same = agrees(contenders["rollmed.dask"](), as_float_array(ours(frame)))
            times = median_times(contenders, repeat)
            print(f"  {name}: " + ", ".join(f"{who} {format_ms(t)} ms" for who, t in times.items()))
            results.append((name, {"rollmed.dask": ours_text, "dask": theirs_text}, times, same))
    return results


def dask_table(results: list[tuple[str, dict[str, str], dict[str, float], bool]]) -> str:
    header = ["window", "rollmed.dask", "dask", "rollmed.dask ms", "dask ms", "dask / rollmed.dask"]
    header.append("rollmed.dask agrees with the pandas accessor")
    rows = [
        [
            name,
            f"`{calls['rollmed.dask']}`",
            f"`{calls['dask']}`",
            format_ms(times.get("rollmed.dask")),
            format_ms(times.get("dask")),
            speedup(times.get("dask"), times.get("rollmed.dask")),
            yes_no(same),
        ]
        for name, calls, times, same in results
    ]
    return markdown_table(header, rows)


# --- 14. plot and report ------------------------------------------------------------------------


def plot_rolling(timings: dict[int, dict[str, float]], n: int, path: Path) -> bool:
    matplotlib = optional_import("matplotlib")
    if matplotlib is None:
        return False
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    for library in LIBRARIES:
        points = [(window, times[library] * 1e3) for window, times in timings.items() if library in times]
        if points:
            windows, ms = zip(*points, strict=True)
            axes.plot(windows, ms, marker="o", label=library)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("window k")
    axes.set_ylabel("time, ms (median of warm runs)")
    axes.set_title(f"Rolling median of {n:,} float64 values")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")  # off the curves
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
    return True


def thread_info() -> str:
    import numba

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    text = (
        f"numba.get_num_threads() = {numba.get_num_threads()}, os.cpu_count() = {os.cpu_count()}, "
        f"CPUs this process may use = {affinity}"
    )
    if hasattr(rollmed, "get_num_threads"):
        text += f", rollmed.get_num_threads() = {rollmed.get_num_threads()}"
    polars = optional_import("polars")
    if polars is not None:
        text += f", polars.thread_pool_size() = {polars.thread_pool_size()}"
    return text


def versions() -> str:
    names = ("numpy", "pandas", "numba", "bottleneck", "scipy", "polars")
    found = {name: getattr(optional_import(name), "__version__", "n/a") for name in names}
    return f"Python {platform.python_version()}, rollmed {rollmed.__version__}, " + ", ".join(
        f"{name} {version}" for name, version in found.items()
    )


def rollmed_revision() -> str:
    """The commit of the checkout benchmarked, and whether rollmed/ differs from it."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
        )

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changes = git("status", "--porcelain", "--", "rollmed")
    except OSError:
        return "git n/a"
    if commit.returncode != 0:
        return "not a git checkout"
    dirty = " with uncommitted changes to rollmed/" if changes.stdout.strip() else ""
    return f"commit {commit.stdout.strip()}{dirty}"


class Report:
    """Prints each section as it is done and keeps it for the markdown file."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        print(text + "\n", flush=True)
        self.parts.append(text)

    def write(self, path: Path) -> None:
        path.write_text("\n\n".join(self.parts) + "\n")


# --- main ---------------------------------------------------------------------------------------


def parse_settings(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats: a smoke test")
    parser.add_argument("--repeat", type=int, help="warm runs per measurement (default 5, 2 with --quick)")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow) peak memory section")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and compile section")
    parser.add_argument(
        "--only",
        type=parse_sections,
        metavar="SECTION[,SECTION]",
        help=f"run only these sections, of: {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(__file__).resolve().parent / "results",
        help="where compare.md and compare.png go (default: benchmarks/results)",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    sections = args.only or SECTIONS
    skipped = {"memory": args.no_memory, "startup": args.no_startup}
    sections = tuple(section for section in sections if not skipped.get(section, False))
    if not sections:
        parser.error("--only and --no-memory/--no-startup leave no section to run")
    return Settings(
        n=100_000 if args.quick else 1_000_000,
        repeat=repeat,
        n_columns_rows=100_000 if args.quick else 1_000_000,
        memory_n=1_000_000 if args.quick else 10_000_000,
        # A process start is cheap and noisier than a warm call: take more of them.
        startup_repeat=repeat if args.quick else max(repeat, 9),
        compile_repeat=1 if args.quick else 3,
        memory="memory" in sections,
        startup="startup" in sections,
        output_dir=args.output_dir,
        sections=sections,
        group_cases=QUICK_GROUP_CASES if args.quick else GROUP_CASES,
        stream_river_n=STREAM_RIVER_N // 10 if args.quick else STREAM_RIVER_N,
        file_case=QUICK_FILE_CASE if args.quick else FILE_CASE,
        partial=args.only is not None,
    )


def parse_sections(text: str) -> tuple[str, ...]:
    """``--only``'s comma-separated section names, in the order the sections run."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(SECTIONS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(SECTIONS)}"
        )
    return tuple(section for section in SECTIONS if section in names)


def header(settings: Settings) -> str:
    return "\n".join(
        [
            "# rollmed against its peers",
            "",
            f"{datetime.date.today().isoformat()}, {platform.machine()}, {versions()}.",
            f"Threads: {thread_info()}.",
            f"Times are medians of {settings.repeat} warm runs, the libraries taking turns, "
            "on a noisy shared machine. Input: float64 standard normal, seed "
            f"{SEED}. rollmed from {Path(rollmed.__file__).parent}, {rollmed_revision()}.",
            *([f"Sections run (--only): {', '.join(settings.sections)}."] if settings.partial else []),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    settings = parse_settings(argv)
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    peers = load_peers()
    rng = np.random.default_rng(SEED)
    # Drawn whichever sections run, so that each section sees the same data in any run.
    x = rng.standard_normal(settings.n)
    report = Report()
    report.add(header(settings))

    timings = None
    if settings.runs("rolling"):
        print(f"rolling medians, n = {settings.n:,} ...", flush=True)
        timings, agreement = bench_rolling(x, peers, settings.repeat)
        report.add(f"## Rolling median, n = {settings.n:,}\n\n{rolling_table(timings)}")
        report.add(
            "Agreement with `rollmed.move_median` (np.allclose, equal_nan; scipy from index k - 1 on, "
            f"as it pads the edge):\n\n{agreement_table(agreement)}"
        )

    if settings.runs("expanding"):
        print(f"expanding median, n = {settings.n:,} ...", flush=True)
        expanding_times, expanding_same = bench_expanding(x, settings.repeat)
        report.add(
            f"## Expanding median, n = {settings.n:,}\n\n{expanding_table(expanding_times)}\n\n"
            f"rollmed and pandas agree: {'yes' if expanding_same else 'NO'}"
        )

    if settings.runs("columns"):
        x2d = rng.standard_normal((settings.n_columns_rows, N_COLUMNS))
        print(f"many columns, shape {x2d.shape} ...", flush=True)
        columns_times, columns_same = bench_many_columns(x2d, peers, settings.repeat)
        same_text = "n/a" if columns_same is None else ("yes" if columns_same else "NO")
        report.add(
            f"## Many columns: `move_median(X, {MANY_COLUMNS_WINDOW}, axis=0)`\n\n"
            f"{many_columns_table(columns_times, x2d.shape)}\n\nrollmed and bottleneck agree: {same_text}"
        )
        del x2d

    if settings.startup:
        print("start-up, in fresh subprocesses ...", flush=True)
        startup = bench_startup(settings.startup_repeat, settings.compile_repeat)
        report.add(
            f"## Start-up (median of {settings.startup_repeat} fresh processes; "
            f"compile: median of {settings.compile_repeat})\n\n{startup_table(startup)}"
        )

    if settings.memory:
        print(f"peak memory, n = {settings.memory_n:,} (np.arange), in fresh subprocesses ...", flush=True)
        memory = bench_memory(settings.memory_n)
        report.add(
            f"## Peak memory, n = {settings.memory_n:,} monotone increasing float64\n\n"
            "The increase of the peak resident set (VmHWM, reset just before the call) of a fresh "
            "process holding the input array and Series, after a warm-up call on a small input.\n\n"
            f"{memory_table(memory, settings.memory_n)}"
        )

    if settings.runs("time"):
        print(f"time window {TIME_WINDOW!r}, n = {settings.n:,} irregular timestamps ...", flush=True)
        calls, times, agreement, rows_per_window = bench_time_window(x, peers, settings.repeat)
        report.add(
            f'## Time window `"{TIME_WINDOW}"`, n = {settings.n:,} irregular timestamps\n\n'
            f"Exponential gaps of mean {TIME_GAP_SECONDS:g} s (seed {SEED + 1}), so a window holds "
            f"{rows_per_window:,.0f} rows on average; the values are the float64 input above.\n\n"
            f"{versus_table(calls, times, agreement, 'pandas')}\n\n"
            f"{versus_summary(times, 'rollmed', 'pandas', TIME_TARGET, ('polars', 'pandas'))}"
        )

    if settings.runs("groups"):
        print("rolling medians within groups ...", flush=True)
        group_results = bench_groups(settings.group_cases, peers, settings.repeat)
        report.add(
            '## Groups: `df.rollmed.window(k, by="key")["x"]`\n\n'
            'Against `df.groupby("key")["x"].rolling(k).median()` (pandas, timed without putting '
            "its (key, row) result back on the original rows, as rollmed's is) and "
            '`pl.col("x").rolling_median(k).over("key")` (polars). The rows of the groups are '
            "interleaved at random; float64 standard normal values. Agreement after putting "
            f"pandas' result back on the original rows.\n\n{groups_table(group_results)}"
        )

    if settings.runs("quantile"):
        print(f"rolling quantile q={QUANTILE_Q}, k={QUANTILE_WINDOW}, n = {settings.n:,} ...", flush=True)
        calls, times, agreement = bench_quantile(x, peers, settings.repeat)
        report.add(
            f"## Rolling quantile q = {QUANTILE_Q}, k = {QUANTILE_WINDOW}, n = {settings.n:,}\n\n"
            "bottleneck has no moving quantile. scipy's `percentile_filter` takes rank int(q k) "
            f"without interpolation, the same value here only because q (k - 1) = "
            f"{QUANTILE_Q * (QUANTILE_WINDOW - 1):g} is a whole rank (compared from index k - 1 on).\n\n"
            f"{versus_table(calls, times, agreement, 'pandas')}\n\n"
            + versus_summary(
                times, "rollmed (Series)", "pandas", QUANTILE_TARGET, ("scipy", "polars", "pandas")
            )
        )

    if settings.runs("integers"):
        print(f"exact integer medians, k={INTEGER_WINDOW}, n = {settings.n:,} ...", flush=True)
        calls, times, found = bench_integers(settings.n, settings.repeat)
        report.add(
            f"## Exact integers: lower median, k = {INTEGER_WINDOW}, n = {settings.n:,} int64\n\n"
            f"Values 2**62 + uniform integers in [0, {INTEGER_SPREAD:,}) (seed {SEED + 10}). "
            '"rollmed, float64" is the default (linear) median of the same Series, '
            "in float64 as pandas.\n\n"
            f"{versus_table(calls, times, None, 'pandas')}\n\n{integers_text(found)}"
        )

    if settings.runs("streaming"):
        river_n = min(settings.stream_river_n, settings.n)
        print(f"streaming, k={STREAM_WINDOW}, n = {settings.n:,} (river: {river_n:,}) ...", flush=True)
        found = bench_streaming(x, river_n, settings.repeat)
        report.add(
            f"## Streaming: `rollmed.RollingMedian({STREAM_WINDOW})` against river, k = {STREAM_WINDOW}\n\n"
            f"rollmed fed all {settings.n:,} values of the input above in chunks of {STREAM_CHUNK:,}, and "
            f"the first {river_n:,} of them one Python float at a time; river's "
            f"`stats.RollingQuantile(q=0.5, window_size={STREAM_WINDOW})` fed the same {river_n:,} one at a "
            "time (it has no chunked update). Compare the time per value. Agreement with the one-shot "
            'result: exact equality ("identical") or np.allclose with equal_nan ("close").\n\n'
            f"{streaming_table(found)}\n\n{streaming_summary(found)}"
        )

    if settings.runs("files"):
        row_counts, chunksize = settings.file_case
        print(
            f"files, {', '.join(f'{rows:,}' for rows in row_counts)} rows, --chunksize {chunksize:,} ...",
            flush=True,
        )
        file_results = bench_files(row_counts, chunksize)
        command = " ".join(cli_argv(Path("FILE.csv"), Path("OUT.csv"), chunksize))
        report.add(
            f"## Files: `python -m rollmed {command}`\n\n"
            f"CSV files of an int column `key` ({FILE_KEYS} keys, at random) and a float64 column `x`, "
            f"written to a temporary directory; the rolling median of `x` over {FILE_WINDOW} rows within "
            f"each key, with `--chunksize {chunksize:,}` (chunked) and without (one-shot: the whole file "
            "in memory). Peak memory is the peak resident set (VmHWM) of a fresh process running "
            "`rollmed._cli.main`, one run each (after an untimed run that fills the numba cache); "
            "its resident set before the run (pandas, numba and rollmed's kernels loaded by a warm-up "
            "on 1,000 values) is part of every peak. Agreement: the "
            "`x_rollmed` columns of the two outputs, np.allclose with equal_nan.\n\n"
            f"{files_table(file_results, chunksize)}\n\n{files_summary(file_results)}"
        )

    if settings.runs("dask"):
        print(f"dask, {DASK_PARTITIONS} partitions, n = {settings.n:,} ...", flush=True)
        dask_results = bench_dask(x, settings.repeat)
        report.add(
            f"## Dask: `import rollmed.dask`, n = {settings.n:,} rows in {DASK_PARTITIONS} partitions\n\n"
            "A dask DataFrame made by `dd.from_pandas` of the float64 input above on the irregular "
            f"timestamps of the time-window section, with an int column `key` ({DASK_GROUPS:,} keys, at "
            "random); `.compute()` on dask's threaded scheduler in this process (both cores). dask has no "
            "expanding median. Agreement: rollmed.dask's result against the pandas accessor on the whole "
            "frame, np.allclose with equal_nan.\n\n"
            + (dask_table(dask_results) if dask_results is not None else "dask is not installed: n/a.")
        )

    name = "compare" if not settings.partial else "compare-only-" + "-".join(settings.sections)
    markdown_path = settings.output_dir / f"{name}.md"
    report.write(markdown_path)
    print(f"tables written to {markdown_path}")
    if timings is not None:
        plot_path = settings.output_dir / "compare.png"
        if plot_rolling(timings, settings.n, plot_path):
            print(f"plot written to {plot_path}")
        else:
            print("plot skipped: matplotlib is not installed")


if __name__ == "__main__":
    main()
