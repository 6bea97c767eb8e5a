"""Rolling medians over a range of windows: rollmed against bottleneck, scipy, polars and pandas.

Also the log-log plot of time against window, ``compare.png``.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Results:
    n: int
    times: dict[int, dict[str, float]]  # all threads, by window, by library
    agreement: dict[int, dict[str, bool | None]]


def rolling_contenders(
    x: np.ndarray, s: pd.Series, window: int, peers: Peers
) -> dict[str, Callable[[], object] | None]:
    contenders: dict[str, Callable[[], object] | None] = {
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
    return contenders


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


def run(settings: Settings, peers: Peers) -> Results:
    print(f"rolling medians, n = {settings.n:,} ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    timings, agreement = bench_rolling(x, peers, settings.repeat)
    return Results(settings.n, timings, agreement)


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


def report(results: Results) -> str:
    return (
        f"## Rolling median, n = {results.n:,}\n\n{rolling_table(results.times)}\n\n"
        "Agreement with `rollmed.move_median` (np.allclose, equal_nan; scipy from index k - 1 on, "
        f"as it pads the edge):\n\n{agreement_table(results.agreement)}"
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
