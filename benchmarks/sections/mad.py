"""The rolling MAD: rollmed's ``move_mad`` against its own ``move_median``, and pandas' rolling apply.

No other library has a rolling MAD: issue 11's target holds the MAD to rollmed's own median
at the same window, on all threads and on one. pandas' ``rolling(k).apply`` of a MAD, the
usual hand-written way, calls Python for every window: it is timed on a small input only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, format_ratio, markdown_table, on_one_thread, yes_no

import rollmed
from sections.rolling import pass_or_miss

NAME = "mad"
WINDOWS = (11, 101, 1001)
TARGET = 3.0  # move_mad's time / move_median's at the same k and threads: at most this (issue 11)
APPLY_N, QUICK_APPLY_N = 10_000, 2_000  # for pandas' rolling apply, a Python call per window
REFERENCE_N = 3_000  # values checked against the slow nanmedian reference, past the first window

ALL_THREADS = "all threads"
ONE_THREAD = "1 thread"
# The calls timed, by name, each on all threads and on one (rollmed.set_num_threads(1)).
CALLS = {
    "move_mad": "rollmed.move_mad(x, k)",
    "move_median": "rollmed.move_median(x, k)",
    "s.rollmed.mad": "s.rollmed.mad(k)",
}


@dataclass(frozen=True)
class Results:
    n: int
    times: dict[int, dict[str, float]]  # by window, by label(call, threads)
    exact: dict[int, dict[str, bool]]  # by window: does each rollmed call match the reference
    apply_n: int
    apply_times: dict[int, dict[str, float]]  # by window: pandas' apply against s.rollmed.mad
    apply_agrees: dict[int, bool]


def window_mad(values: np.ndarray) -> float:
    """The MAD of one window, the median distance from its median: what pandas' apply is given."""
    return float(np.median(np.abs(values - np.median(values))))


def reference_mad(x: np.ndarray, window: int) -> np.ndarray:
    """The slow reference: ``np.nanmedian(np.abs(w - np.nanmedian(w)))`` of every trailing window.

    NaN for the first window - 1 values, as rollmed gives them (their windows are not full).
    """
    windows = np.lib.stride_tricks.sliding_window_view(x, window)
    medians = np.nanmedian(windows, axis=1, keepdims=True)
    return np.concatenate([np.full(window - 1, np.nan), np.nanmedian(np.abs(windows - medians), axis=1)])


def label(name: str, threads: str) -> str:
    """The name a call is timed under: "move_mad, 1 thread"."""
    return f"{name}, {threads}"


def mad_contenders(x: np.ndarray, window: int) -> dict[str, Callable[[], object] | None]:
    """Every call of CALLS, on all threads and on one, to take turns in one median_times."""
    s = pd.Series(x)
    calls = {
        "move_mad": lambda: rollmed.move_mad(x, window),
        "move_median": lambda: rollmed.move_median(x, window),
        "s.rollmed.mad": lambda: s.rollmed.mad(window),
    }
    return {
        **{label(name, ALL_THREADS): call for name, call in calls.items()},
        **{label(name, ONE_THREAD): on_one_thread(call) for name, call in calls.items()},
    }


def exactness(x: np.ndarray, window: int) -> dict[str, bool]:
    """Whether move_mad and s.rollmed.mad give the reference bit for bit, on the first values."""
    part = x[: REFERENCE_N + window - 1]
    reference = reference_mad(part, window)
    return {
        "move_mad": bool(np.array_equal(rollmed.move_mad(part, window), reference, equal_nan=True)),
        "s.rollmed.mad": bool(
            np.array_equal(pd.Series(part).rollmed.mad(window).to_numpy(), reference, equal_nan=True)
        ),
    }


def apply_contenders(s: pd.Series, window: int) -> dict[str, Callable[[], object] | None]:
    return {
        "pandas": lambda: s.rolling(window).apply(window_mad, raw=True),
        "s.rollmed.mad": lambda: s.rollmed.mad(window),
    }


def time_pandas_apply(x: np.ndarray, repeat: int) -> tuple[dict[int, dict[str, float]], dict[int, bool]]:
    s = pd.Series(x)
    contenders = {window: harness.warm_up(apply_contenders(s, window)) for window in WINDOWS}
    agreement = {
        window: harness.check_agreement(found, "s.rollmed.mad").get("pandas")
        for window, found in contenders.items()
    }
    # pandas' apply takes seconds a call: at most three of them.
    times = {window: harness.median_times(found, min(repeat, 3)) for window, found in contenders.items()}
    return times, agreement


def run(settings: Settings, peers: Peers) -> Results:
    print(f"rolling MAD, n = {settings.n:,} ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    times = {
        window: harness.median_times(harness.warm_up(mad_contenders(x, window)), settings.repeat)
        for window in WINDOWS
    }
    exact = {window: exactness(x, window) for window in WINDOWS}
    apply_n = QUICK_APPLY_N if settings.quick else APPLY_N
    print(f"rolling MAD by pandas' rolling apply, n = {apply_n:,} ...", flush=True)
    apply_times, apply_agrees = time_pandas_apply(x[:apply_n], settings.repeat)
    return Results(settings.n, times, exact, apply_n, apply_times, apply_agrees)


# --- report -------------------------------------------------------------------------------------


def mad_table(results: Results) -> str:
    header = ["k", "threads", *(f"{name} ms" for name in CALLS), f"move_mad / move_median (<= {TARGET:g})"]
    header += ["s.rollmed.mad / move_median", "bit for bit as the reference"]
    rows = []
    for window, all_times in results.times.items():
        exact = results.exact[window]
        for threads in (ALL_THREADS, ONE_THREAD):
            times = {name: all_times.get(label(name, threads)) for name in CALLS}
            mad, median = times["move_mad"], times["move_median"]
            ratio = None if mad is None or median is None else mad / median
            row = [str(window), threads, *(format_ms(seconds) for seconds in times.values())]
            row += [f"{format_ratio(mad, median)} {pass_or_miss(ratio, TARGET)}"]
            row += [format_ratio(times["s.rollmed.mad"], median)]
            row += [", ".join(f"{name} {yes_no(same)}" for name, same in exact.items())]
            rows.append(row)
    return markdown_table(header, rows)


def apply_table(results: Results) -> str:
    rows = [
        [
            str(window),
            format_ms(times.get("pandas")),
            format_ms(times.get("s.rollmed.mad")),
            harness.speedup(times.get("pandas"), times.get("s.rollmed.mad")),
            yes_no(results.apply_agrees.get(window)),
        ]
        for window, times in results.apply_times.items()
    ]
    header = ["k", "pandas apply ms", "s.rollmed.mad ms", "pandas / rollmed", "agrees"]
    return markdown_table(header, rows)


def report(results: Results) -> str:
    return "\n\n".join(
        [
            f"## Rolling MAD, k = {', '.join(map(str, WINDOWS))}, n = {results.n:,}\n\n"
            "The median absolute deviation of each trailing window, the median of "
            "`|x - median(window)|`, against rollmed's own rolling median at the same k: no other "
            "library has a rolling MAD. The calls: "
            + ", ".join(f"`{call}`" for call in CALLS.values())
            + f"; {ALL_THREADS} ({rollmed.get_num_threads()} for rollmed) and {ONE_THREAD} "
            "(`rollmed.set_num_threads(1)`), all taking turns in one process. Target (issue 11): "
            f"move_mad <= {TARGET:g}x move_median. Bit for bit: the first {REFERENCE_N:,} full windows "
            "against `np.nanmedian(np.abs(w - np.nanmedian(w)))` of each window `w` (np.array_equal).",
            mad_table(results),
            f"### Rolling MAD by pandas' rolling apply, n = {results.apply_n:,}\n\n"
            f"`s.rolling(k).apply(mad, raw=True)`, with `mad(w) = np.median(np.abs(w - np.median(w)))` "
            "(raw=True hands it ndarrays, pandas' faster way), against `s.rollmed.mad(k)` on the "
            f"first {results.apply_n:,} values only: pandas calls Python for every window. "
            f"Agreement: np.allclose, equal_nan.\n\n{apply_table(results)}",
        ]
    )


SECTION = Section(NAME, run, report)
