"""Rolling medians over a range of windows: rollmed against bottleneck, scipy, polars and pandas.

Twice: in this process on all threads (rollmed's, polars'), and in a fresh process in which
every library is held to one thread, beside Suomela's lower-bound proxy (sorting n/k blocks
of k values). Also the log-log plot of time against window, ``compare.png``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import harness
import numpy as np
import pandas as pd
from harness import (
    Peers,
    Section,
    Settings,
    fastest,
    format_ms,
    format_ratio,
    format_times,
    markdown_table,
    on_one_thread,
)

import rollmed

NAME = "rolling"
WINDOWS = (3, 5, 11, 31, 101, 1001, 10001)

ROLLMED_SERIES = "rollmed (Series)"
ROLLMED_NDARRAY = "rollmed (ndarray)"
ROLLMED_ONE_THREAD = "rollmed (ndarray, 1 thread)"
ROLLMED_VARIANTS = (ROLLMED_SERIES, ROLLMED_NDARRAY, ROLLMED_ONE_THREAD)
PEERS = ("bottleneck", "scipy", "polars", "pandas")
LIBRARIES = (*ROLLMED_VARIANTS, *PEERS)

# The targets (issue 12) hold rollmed to the fastest of these, on one thread and on all.
TARGET_PEERS = ("bottleneck", "scipy", "polars")
ONE_THREAD_TARGET = 0.5  # rollmed on one thread / the fastest peer on one thread: at most this
ALL_THREADS_TARGET = 0.3  # rollmed (Series) on all threads / the fastest peer: at most this
SORTING = "sorting n/k blocks of k values"
ONE_THREAD_LIBRARIES = (ROLLMED_ONE_THREAD, *TARGET_PEERS, SORTING)
# polars sizes its thread pool once, when imported: only a process started with
# POLARS_MAX_THREADS=1 holds it to one thread. The others are held there alike.
ONE_THREAD_ENV = {
    name: "1"
    for name in (
        "POLARS_MAX_THREADS", "ROLLMED_NUM_THREADS", "NUMBA_NUM_THREADS",
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    )
}  # fmt: skip
ONE_THREAD_CODE = (
    "import sys; sys.path.insert(0, {benchmarks!r}); from sections import rolling; "
    "rolling.print_one_thread_times({n}, {windows!r}, {repeat})"
)


@dataclass(frozen=True)
class OneThread:
    times: dict[int, dict[str, float]]  # by window, by library
    threads: dict[str, int]  # each library's thread count, as that process reported it
    rollmed_path: str  # the rollmed that process imported


@dataclass(frozen=True)
class Results:
    n: int
    times: dict[int, dict[str, float]]  # all threads, by window, by library
    agreement: dict[int, dict[str, bool | None]]
    one_thread: OneThread | None  # None if its process failed


def peer_contenders(x: np.ndarray, window: int, peers: Peers) -> dict[str, Callable[[], object]]:
    """bottleneck's, scipy's and polars' rolling medians of ``x``, those installed."""
    contenders: dict[str, Callable[[], object]] = {}
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
    return contenders


def rolling_contenders(
    x: np.ndarray, s: pd.Series, window: int, peers: Peers
) -> dict[str, Callable[[], object] | None]:
    return {
        ROLLMED_SERIES: lambda: s.rollmed.window(window),
        ROLLMED_NDARRAY: lambda: rollmed.move_median(x, window),
        ROLLMED_ONE_THREAD: on_one_thread(lambda: rollmed.move_median(x, window)),
        **peer_contenders(x, window, peers),
        "pandas": lambda: s.rolling(window).median(),
    }


def bench_rolling(
    x: np.ndarray, peers: Peers, repeat: int
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, bool | None]]]:
    s = pd.Series(x)
    small = x[:20_000]
    harness.warm_up(rolling_contenders(small, pd.Series(small), 3, peers))
    timings, agreement = {}, {}
    for window in WINDOWS:
        contenders = harness.warm_up(rolling_contenders(x, s, window, peers))
        # scipy pads the edge (mode="nearest") where the others give NaN.
        agreement[window] = harness.check_agreement(contenders, ROLLMED_NDARRAY, {"scipy": window - 1})
        timings[window] = harness.median_times(contenders, repeat)
        print(f"  k={window}: {format_times(timings[window])}")
    return timings, agreement


# --- one thread each, in a process of its own ---------------------------------------------------


def one_thread_contenders(x: np.ndarray, window: int, peers: Peers) -> dict[str, Callable[[], object]]:
    """rollmed on one thread, its peers and the sorting proxy, for a process held to one thread."""
    # Suomela's lower-bound proxy ("Median filtering is equivalent to sorting", arXiv
    # 1406.1717): a median filter of window k can sort n/k blocks of k values.
    blocks = x[: len(x) // window * window].reshape(-1, window)

    def rollmed_call() -> object:
        return rollmed.move_median(x, window)

    return {
        ROLLMED_ONE_THREAD: on_one_thread(rollmed_call) or rollmed_call,
        **peer_contenders(x, window, peers),
        SORTING: lambda: np.sort(blocks, axis=1),
    }


def print_one_thread_times(n: int, windows: tuple[int, ...], repeat: int) -> None:
    """Time every library on one thread, in a process started with ONE_THREAD_ENV; print JSON.

    Run by :func:`bench_one_thread` in a fresh process; the last line printed holds the times.
    """
    import numba

    peers = harness.load_peers()
    x = harness.standard_normal_input(n)
    times = {}
    for window in windows:
        contenders = harness.warm_up(one_thread_contenders(x, window, peers))
        times[window] = harness.median_times(contenders, repeat)
    threads = {"numba.get_num_threads()": numba.get_num_threads()}
    if hasattr(rollmed, "get_num_threads"):
        threads["rollmed.get_num_threads()"] = rollmed.get_num_threads()
    if peers.polars is not None:
        threads["polars.thread_pool_size()"] = peers.polars.thread_pool_size()
    print(json.dumps({"times": times, "threads": threads, "rollmed": rollmed.__file__}))


def bench_one_thread(n: int, repeat: int) -> OneThread | None:
    code = ONE_THREAD_CODE.format(benchmarks=str(harness.BENCHMARKS_DIR), n=n, windows=WINDOWS, repeat=repeat)
    lines = harness.run_python_output(code, ONE_THREAD_ENV)
    try:
        found = json.loads(lines[-1]) if lines else None
    except ValueError:
        found = None
    if found is None:
        print("warning: the one-thread process printed no times", file=sys.stderr)
        return None
    times = {int(window): by_library for window, by_library in found["times"].items()}
    for window, by_library in times.items():
        print(f"  k={window}, one thread: {format_times(by_library)}")
    if Path(found["rollmed"]).resolve() != Path(rollmed.__file__).resolve():
        print(f"warning: the one-thread process imported rollmed from {found['rollmed']}", file=sys.stderr)
    return OneThread(times, found["threads"], found["rollmed"])


def run(settings: Settings, peers: Peers) -> Results:
    print(f"rolling medians, n = {settings.n:,} ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    timings, agreement = bench_rolling(x, peers, settings.repeat)
    print(f"rolling medians, one thread each, n = {settings.n:,}, in a fresh process ...", flush=True)
    return Results(settings.n, timings, agreement, bench_one_thread(settings.n, settings.repeat))


# --- report -------------------------------------------------------------------------------------


def rolling_table(timings: dict[int, dict[str, float]]) -> str:
    header = ["k", *(f"{name} ms" for name in LIBRARIES), "fastest peer"]
    header += [f"{name} / fastest" for name in ROLLMED_VARIANTS]
    rows = []
    for window, times in timings.items():
        name, best = fastest(times, PEERS)
        row = [str(window), *(format_ms(times.get(library)) for library in LIBRARIES), name or "n/a"]
        row += [format_ratio(times.get(variant), best) for variant in ROLLMED_VARIANTS]
        rows.append(row)
    return markdown_table(header, rows)


def agreement_table(agreement: dict[int, dict[str, bool | None]]) -> str:
    names = [name for name in LIBRARIES if name != ROLLMED_NDARRAY]
    rows = [
        [str(window), *(harness.yes_no(found.get(name)) for name in names)]
        for window, found in agreement.items()
    ]
    return markdown_table(["k", *names], rows)


def one_thread_table(timings: dict[int, dict[str, float]]) -> str:
    header = ["k", *(f"{name} ms" for name in ONE_THREAD_LIBRARIES), "fastest peer"]
    header += [f"{ROLLMED_ONE_THREAD} / fastest", f"{ROLLMED_ONE_THREAD} / {SORTING}"]
    rows = []
    for window, times in timings.items():
        name, best = fastest(times, TARGET_PEERS)
        ours = times.get(ROLLMED_ONE_THREAD)
        row = [str(window), *(format_ms(times.get(library)) for library in ONE_THREAD_LIBRARIES)]
        row += [name or "n/a", format_ratio(ours, best), format_ratio(ours, times.get(SORTING))]
        rows.append(row)
    return markdown_table(header, rows)


def ratio_to_fastest(times: dict[str, float], rollmed_name: str) -> float | None:
    _, best = fastest(times, TARGET_PEERS)
    ours = times.get(rollmed_name)
    return None if ours is None or best is None else ours / best


def pass_or_miss(ratio: float | None, target: float) -> str:
    return "n/a" if ratio is None else "PASS" if ratio <= target else "MISS"


def verdict(ratios: list[float | None], target: float) -> str:
    passed = sum(pass_or_miss(ratio, target) == "PASS" for ratio in ratios)
    return f"PASS at {passed} of {len(ratios)} windows"


def targets_text(results: Results) -> str:
    """The targets, and issue 12's table: a column per window, the ratios the targets bound, PASS or MISS."""
    one_thread = results.one_thread.times if results.one_thread is not None else {}
    all_ratios = [ratio_to_fastest(results.times[window], ROLLMED_SERIES) for window in results.times]
    one_ratios = [
        ratio_to_fastest(one_thread.get(window, {}), ROLLMED_ONE_THREAD) for window in results.times
    ]
    sorting_ratios = [
        format_ratio(one_thread[window].get(ROLLMED_ONE_THREAD), one_thread[window].get(SORTING))
        if window in one_thread
        else "n/a"
        for window in results.times
    ]
    rows = [
        [f"{ROLLMED_SERIES}, all threads / fastest peer", *(format_ratio(r, 1.0) for r in all_ratios)],
        [
            f"all threads: <= {ALL_THREADS_TARGET:g}",
            *(pass_or_miss(r, ALL_THREADS_TARGET) for r in all_ratios),
        ],
        ["rollmed, one thread / fastest one-thread peer", *(format_ratio(r, 1.0) for r in one_ratios)],
        [f"one thread: <= {ONE_THREAD_TARGET:g}", *(pass_or_miss(r, ONE_THREAD_TARGET) for r in one_ratios)],
        [f"rollmed, one thread / {SORTING}", *sorting_ratios],
    ]
    table = markdown_table(["k", *(str(window) for window in results.times)], rows)
    return (
        f"Targets: one thread <= {ONE_THREAD_TARGET:g}x the fastest peer at every k; both cores "
        f"<= {ALL_THREADS_TARGET:g}x the fastest peer at every k (the fastest of bottleneck, scipy "
        f"and polars; all threads: {ROLLMED_SERIES}).\n\n{table}\n\n"
        f"One thread: {verdict(one_ratios, ONE_THREAD_TARGET)}; "
        f"all threads: {verdict(all_ratios, ALL_THREADS_TARGET)}."
    )


def one_thread_text(one_thread: OneThread | None) -> str:
    if one_thread is None:
        return "n/a: the one-thread process failed (its warning is printed on stderr)."
    env = ", ".join(f"{name}=1" for name in ONE_THREAD_ENV)
    threads = ", ".join(f"{call} = {count}" for call, count in one_thread.threads.items())
    if any(count != 1 for count in one_thread.threads.values()):
        threads += " (NOT all on one thread: these times are not a one-thread comparison)"
    return (
        f"In a fresh process started with {env} (polars sizes its thread pool when imported), "
        f"where {threads}: rollmed (`rollmed.set_num_threads(1)`) against bottleneck, scipy and polars, "
        'and Suomela\'s lower-bound proxy ("Median filtering is equivalent to sorting", arXiv 1406.1717), '
        f"`np.sort(x[: n // k * k].reshape(-1, k), axis=1)`, {SORTING}. The same input and "
        "the same timing as above; the calls are those whose agreement is checked above.\n\n"
        + one_thread_table(one_thread.times)
    )


def report(results: Results) -> str:
    return "\n\n".join(
        [
            f"## Rolling median, n = {results.n:,}\n\n{rolling_table(results.times)}",
            "Agreement with `rollmed.move_median` (np.allclose, equal_nan; scipy from index k - 1 on, "
            f"as it pads the edge):\n\n{agreement_table(results.agreement)}",
            f"### Rolling median on one thread each, n = {results.n:,}\n\n"
            + one_thread_text(results.one_thread),
            f"### Rolling median targets, n = {results.n:,}\n\n{targets_text(results)}",
        ]
    )


# --- plot ---------------------------------------------------------------------------------------


def plot(results: Results, output_dir: Path) -> str:
    """The log-log plot of time against window, all threads, as ``compare.png``."""
    matplotlib = harness.optional_import("matplotlib")
    if matplotlib is None:
        return "plot skipped: matplotlib is not installed"
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    for library in LIBRARIES:
        points = [
            (window, times[library] * 1e3) for window, times in results.times.items() if library in times
        ]
        if points:
            windows, ms = zip(*points, strict=True)
            axes.plot(windows, ms, marker="o", label=library)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("window k")
    axes.set_ylabel("time, ms (median of warm runs)")
    axes.set_title(f"Rolling median of {results.n:,} float64 values")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")  # off the curves
    figure.tight_layout()
    path = output_dir / "compare.png"
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
    return f"plot written to {path}"


SECTION = Section(NAME, run, report, plot)
