"""Several rolling quantiles in one pass: ``move_quantile(x, k, [0.1, 0.5, 0.9])`` against one quantile.

Beside three separate calls of rollmed, pandas and polars (no peer takes several quantiles
in one call). Twice, as the rolling medians: in this process on all threads, and in a fresh
process in which every library is held to one thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, format_ratio, markdown_table, yes_no

import rollmed
from sections.rolling import ONE_THREAD_ENV, pass_or_miss

NAME = "several_quantiles"
WINDOWS = (11, 101, 1001)
QS = (0.1, 0.5, 0.9)
ONE_Q = 0.9
TARGET = 1.5  # three quantiles in one call / one quantile, at every k and thread count: at most this

ONE_CALL = "3 q, one call"
ONE_QUANTILE = "1 q"
SEPARATE = "3 q, 3 calls"
SERIES = "Series, 3 q"
PANDAS = "pandas, 3 calls"
POLARS = "polars, 3 calls"
CALLS = {
    ONE_CALL: f"rollmed.move_quantile(x, k, {list(QS)})",
    ONE_QUANTILE: f"rollmed.move_quantile(x, k, {ONE_Q})",
    SEPARATE: f"[rollmed.move_quantile(x, k, q) for q in {QS}]",
    SERIES: f"s.rollmed.window(k, q={list(QS)})",
    PANDAS: f"[s.rolling(k).quantile(q) for q in {QS}]",
    POLARS: f'[pl.Series(x).rolling_quantile(q, interpolation="linear", window_size=k) for q in {QS}]',
}


@dataclass(frozen=True)
class Results:
    n: int
    all_threads: dict[int, dict[str, float]]  # by window, by call
    agreement: dict[int, dict[str, bool | None]]  # by window: does each other call match ONE_CALL
    one_thread: dict[int, dict[str, float]] | None  # None if its process failed
    one_thread_counts: dict[str, int]


def quantile_contenders(x: np.ndarray, window: int, peers: Peers) -> dict[str, Callable[[], object]]:
    s = pd.Series(x)
    found: dict[str, Callable[[], object]] = {
        ONE_CALL: lambda: rollmed.move_quantile(x, window, list(QS)),
        ONE_QUANTILE: lambda: rollmed.move_quantile(x, window, ONE_Q),
        SEPARATE: lambda: [rollmed.move_quantile(x, window, q) for q in QS],
        SERIES: lambda: s.rollmed.window(window, q=list(QS)),
        PANDAS: lambda: [s.rolling(window).quantile(q) for q in QS],
    }
    if peers.polars is not None:
        x_polars = peers.polars.Series(x)  # made once: the conversion is not the quantiles' cost
        found[POLARS] = lambda: [
            x_polars.rolling_quantile(q, interpolation="linear", window_size=window) for q in QS
        ]
    return found


def measure(n: int, repeat: int) -> dict[int, dict[str, float]]:
    """Every call's time at every window on ``n`` values, in this process's thread setting.

    Run here on all threads, and by :func:`run` in a fresh process held to one thread.
    """
    peers = harness.load_peers()
    x = harness.standard_normal_input(n)
    return {
        window: harness.median_times(harness.warm_up(quantile_contenders(x, window, peers)), repeat)
        for window in WINDOWS
    }


def as_columns(result: object) -> np.ndarray:
    """A call's result as an (n, len(QS)) float64 array: one column per quantile."""
    if isinstance(result, list):  # three calls, a Series or ndarray each
        return np.column_stack([harness.as_float_array(part) for part in result])
    return harness.as_float_array(result)


def quantile_agreement(x: np.ndarray, window: int, peers: Peers) -> dict[str, bool | None]:
    """Every call against the one-call result: rollmed's own bit for bit, pandas' and polars' allclose."""
    contenders = quantile_contenders(x, window, peers)
    reference = contenders.pop(ONE_CALL)()
    found: dict[str, bool | None] = {}
    for name, call in contenders.items():
        result = as_columns(call())
        expected = reference[:, QS.index(ONE_Q)] if name == ONE_QUANTILE else reference
        same = np.array_equal if name in (ONE_QUANTILE, SEPARATE, SERIES) else np.allclose
        found[name] = bool(same(result, expected, equal_nan=True))
    return found


def run(settings: Settings, peers: Peers) -> Results:
    print(f"several rolling quantiles, n = {settings.n:,} ...", flush=True)
    all_threads = measure(settings.n, settings.repeat)
    x = harness.standard_normal_input(settings.n)
    agreement = {window: quantile_agreement(x, window, peers) for window in WINDOWS}
    print(
        f"several rolling quantiles, one thread each, n = {settings.n:,}, in a fresh process ...", flush=True
    )
    found = harness.run_in_fresh_process(NAME, "measure", (settings.n, settings.repeat), ONE_THREAD_ENV)
    one_thread, counts = None, {}
    if found is not None:
        one_thread = {int(window): times for window, times in found[0].items()}  # JSON made them strings
        counts = found[1]
    return Results(settings.n, all_threads, agreement, one_thread, counts)


# --- report -------------------------------------------------------------------------------------


def times_table(timings: dict[int, dict[str, float]]) -> str:
    header = ["k", *(f"{name} ms" for name in CALLS)]
    header += [f"{ONE_CALL} / {ONE_QUANTILE} (<= {TARGET:g})", f"{ONE_CALL} / {SEPARATE}"]
    header += [f"{ONE_CALL} / {name}" for name in (PANDAS, POLARS)]
    rows = []
    for window, times in timings.items():
        ours, one = times.get(ONE_CALL), times.get(ONE_QUANTILE)
        ratio = None if ours is None or one is None else ours / one
        row = [str(window), *(format_ms(times.get(name)) for name in CALLS)]
        row += [f"{format_ratio(ours, one)} {pass_or_miss(ratio, TARGET)}"]
        row += [format_ratio(ours, times.get(name)) for name in (SEPARATE, PANDAS, POLARS)]
        rows.append(row)
    return markdown_table(header, rows)


def agreement_table(agreement: dict[int, dict[str, bool | None]]) -> str:
    names = [name for name in CALLS if name != ONE_CALL]
    rows = [
        [str(window), *(yes_no(found.get(name)) for name in names)] for window, found in agreement.items()
    ]
    return markdown_table(["k", *names], rows)


def report(results: Results) -> str:
    calls = "\n".join(f"- {name}: `{call}`" for name, call in CALLS.items())
    return "\n\n".join(
        [
            f"## Several rolling quantiles, q = {', '.join(map(str, QS))}, "
            f"k = {', '.join(map(str, WINDOWS))}, n = {results.n:,}\n\n"
            "A 10%-50%-90% band in one pass, against one quantile, and against three passes of "
            "rollmed, pandas and polars (no peer takes several quantiles in one call; bottleneck "
            "has no moving quantile). Target (issue 11): the three quantiles in one call <= "
            f"{TARGET:g}x one quantile, at every k, on all threads and on one. The calls:\n\n{calls}\n\n"
            "The polars Series is made once, outside the timed call.",
            harness.thread_tables(
                times_table(results.all_threads),
                ONE_THREAD_ENV,
                results.one_thread_counts,
                None if results.one_thread is None else times_table(results.one_thread),
            ),
            f"Agreement with `{CALLS[ONE_CALL]}`, column by column: rollmed's other calls bit for bit "
            f"(np.array_equal; {ONE_QUANTILE} against the q = {ONE_Q} column), pandas and polars "
            f"np.allclose (all with equal_nan):\n\n{agreement_table(results.agreement)}",
        ]
    )


SECTION = Section(NAME, run, report)
