"""The first call of each robust statistic in a fresh process: from numba's on-disk cache, and compiled.

Each statistic compiles its kernels on its first use (issue 11), so that the median's
cold compile, timed by the startup section, does not pay for them. Here each statistic's
first call is timed alone in a fresh process, with the median's beside it for scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import Peers, Section, Settings, format_ms, format_ratio, markdown_table

from sections.startup import median_of_runs

NAME = "first_calls"
WINDOW = 101
N_VALUES = 1_000

# numba, pandas and rollmed are imported before the clock starts: the first call alone.
SETUP = (
    "import time, numpy as np, numba, pandas as pd, rollmed; "
    f"x = np.random.default_rng(0).standard_normal({N_VALUES}); s = pd.Series(x); "
)
# A cache directory of the process's own, empty: numba finds nothing and compiles everything.
# (TemporaryDirectory removes it when the process ends.) Set before numba is imported,
# which reads it then.
EMPTY_CACHE = (
    "import os, tempfile; cache = tempfile.TemporaryDirectory(prefix='rollmed-numba-cache-'); "
    "os.environ['NUMBA_CACHE_DIR'] = cache.name; "
)
CALLS = {
    "median": f"rollmed.move_median(x, {WINDOW})",
    "MAD": f"rollmed.move_mad(x, {WINDOW})",
    "rank": f"rollmed.move_rank(x, {WINDOW})",
    "three quantiles": f"rollmed.move_quantile(x, {WINDOW}, [0.1, 0.5, 0.9])",
    "Hampel": "s.rollmed.hampel(21)",
}
WARM, COLD = "warm on-disk cache", "empty NUMBA_CACHE_DIR"


@dataclass(frozen=True)
class Results:
    repeat: int
    compile_repeat: int
    times: dict[str, dict[str, float | None]]  # by WARM or COLD, by statistic


def timed(call: str) -> str:
    return f"{SETUP}t0 = time.perf_counter(); {call}; print(time.perf_counter() - t0)"


def run(settings: Settings, peers: Peers) -> Results:
    print("first call of each statistic, in fresh subprocesses ...", flush=True)
    # As the startup section: process starts are cheap and noisy, compiles slow.
    repeat = settings.repeat if settings.quick else max(settings.repeat, 9)
    compile_repeat = 1 if settings.quick else 3
    warm = {name: timed(call) for name, call in CALLS.items()}
    median_of_runs(warm, 1)  # an untimed round fills the on-disk cache and the OS file cache
    times = {
        WARM: median_of_runs(warm, repeat),
        COLD: median_of_runs({name: EMPTY_CACHE + code for name, code in warm.items()}, compile_repeat),
    }
    return Results(repeat, compile_repeat, times)


def report(results: Results) -> str:
    warm, cold = results.times[WARM], results.times[COLD]
    rows = [
        [
            name,
            f"`{call}`",
            format_ms(warm[name]),
            format_ratio(warm[name], warm["median"]),
            format_ms(cold[name]),
            format_ratio(cold[name], cold["median"]),
        ]
        for name, call in CALLS.items()
    ]
    header = ["statistic", "first call", f"{WARM} ms", "/ median", f"{COLD} ms (compile)", "/ median"]
    return (
        f"## First call of each statistic (fresh processes; warm: median of {results.repeat}, "
        f"compile: median of {results.compile_repeat})\n\n"
        f"Each call alone in a fresh process, on {N_VALUES:,} standard normal values, after numba, "
        "pandas and rollmed are imported (not timed): from the on-disk cache an earlier process "
        f"wrote, and with an empty cache directory of its own (the compile). All at k = {WINDOW} "
        "(the Hampel filter at its usual 21). Which kernels compile depends on the window: the "
        "median takes a network per window up to 10 values, a network shared by neighbouring "
        "windows up to 160 and the heaps above, so this median row times a shared network's "
        "compile, where the startup section's (k = 3) times a network per window; the other "
        "statistics' kernels for other windows are not timed here.\n\n" + markdown_table(header, rows)
    )


SECTION = Section(NAME, run, report)
