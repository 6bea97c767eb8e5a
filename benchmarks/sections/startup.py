"""Start-up costs in fresh subprocesses: importing pandas and rollmed, a first call, a cold compile."""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import Peers, Section, Settings, format_ms, markdown_table, run_python

NAME = "startup"

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
# numba's own floor for the row above: importing numba and the first call of a one-line
# function from its warm on-disk cache (numba builds its CPU target then, whatever the function).
FLOOR_MODULE = "import numba\n\n\n@numba.njit(cache=True)\ndef one_line(x):\n    return x + 1.0\n"
FLOOR = (
    "import sys, time, pandas; sys.path.insert(0, {folder!r}); t0 = time.perf_counter(); "
    "import numba, numba_floor; numba_floor.one_line(1.0); print(time.perf_counter() - t0)"
)
# numba is imported before the clock starts, so that this is the compile cost alone.
COLD_COMPILE = (
    "import time, numpy as np, numba, rollmed; x = np.arange(16.0); "
    "t0 = time.perf_counter(); rollmed.move_median(x, 3); print(time.perf_counter() - t0)"
)


@dataclass(frozen=True)
class Results:
    repeat: int
    compile_repeat: int
    times: dict[str, float | None]


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


def run(settings: Settings, peers: Peers) -> Results:
    print("start-up, in fresh subprocesses ...", flush=True)
    # A process start is cheap and noisier than a warm call: take more of them.
    repeat = settings.repeat if settings.quick else max(settings.repeat, 9)
    compile_repeat = 1 if settings.quick else 3
    with tempfile.TemporaryDirectory(prefix="rollmed-numba-floor-") as folder:
        (Path(folder) / "numba_floor.py").write_text(FLOOR_MODULE)
        snippets = {
            "import pandas": IMPORT_PANDAS,
            "import rollmed": IMPORT_ROLLMED,
            "first median": FIRST_MEDIAN,
            "numba floor": FLOOR.format(folder=folder),
        }
        # One untimed round fills the on-disk numba cache and the OS file cache.
        median_of_runs(snippets, 1)
        times = median_of_runs(snippets, repeat)
    times["cold compile"] = cold_compile_time(compile_repeat)
    return Results(repeat, compile_repeat, times)


def report(results: Results) -> str:
    times = results.times
    rows = [
        ["`import pandas`", times["import pandas"]],
        ["`import rollmed`, pandas already imported", times["import rollmed"]],
        [
            "`import rollmed` + first `s.rollmed.window(3)`, pandas already imported, warm on-disk cache",
            times["first median"],
        ],
        [
            "numba's floor for the row above: `import numba` + the first call of a one-line "
            "`@njit(cache=True)` function, warm on-disk cache, pandas already imported",
            times.get("numba floor"),
        ],
        [
            "first `rollmed.move_median` call, empty `NUMBA_CACHE_DIR` (compile; numba already imported)",
            times["cold compile"],
        ],
    ]
    table = markdown_table(["what (fresh process)", "ms"], [[what, format_ms(t)] for what, t in rows])
    return (
        f"## Start-up (median of {results.repeat} fresh processes; "
        f"compile: median of {results.compile_repeat})\n\n{table}"
    )


SECTION = Section(NAME, run, report)
