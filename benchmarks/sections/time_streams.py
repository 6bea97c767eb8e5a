"""A stream over a time window ("1h"): in chunks against one shot, one reading at a time against river."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, markdown_table, on_one_thread

import rollmed
from sections.streaming import format_us, same_values
from sections.time_windows import irregular_times

NAME = "time_streams"
TIME_WINDOW = "1h"
CHUNK = 10_000
SINGLE_N = 100_000  # the per-value loops are slow: fewer values, compared per value
QUICK_SINGLE_N = SINGLE_N // 10
CHUNKED_TARGET = 1.5  # the stream in chunks / the one-shot call on one thread: at most this
SINGLE_TARGET = 2.0  # rollmed's time stream / river's count window, per value: at most this
ONE_SHOT = "one shot, 1 thread"
CHUNKED = "time stream, chunks"
SINGLE = "time stream, one reading at a time"
RIVER = "river, one value at a time"


@dataclass(frozen=True)
class Results:
    n: int
    single_n: int
    rows_per_window: int
    times: dict[str, float]
    counts: dict[str, int]  # values fed, by contender
    agreement: dict[str, str]
    river_version: str | None


def stream_in_chunks(x: np.ndarray, index: pd.DatetimeIndex, chunk: int) -> list[np.ndarray]:
    """``RollingMedian("1h").update(values, times)`` over ``x`` in chunks of ``chunk`` readings."""
    stream = rollmed.RollingMedian(TIME_WINDOW)
    return [stream.update(x[i : i + chunk], index[i : i + chunk]) for i in range(0, len(x), chunk)]


def stream_readings(xs: list[float], stamps: list[pd.Timestamp]) -> list[float]:
    """``RollingMedian("1h").update(value, time)`` a Python float and a Timestamp at a time."""
    stream = rollmed.RollingMedian(TIME_WINDOW)
    return [stream.update(value, time) for value, time in zip(xs, stamps, strict=True)]


def river_values(river_stats: ModuleType, xs: list[float], window: int) -> list[float | None]:
    """river's per-value loop over a window of ``window`` values: an update, then a get."""
    rolling = river_stats.RollingQuantile(q=0.5, window_size=window)
    out = []
    for value in xs:
        rolling.update(value)
        out.append(rolling.get())
    return out


def run(settings: Settings, peers: Peers) -> Results:
    """Per-value costs of the time stream in chunks and one reading at a time, the one-shot call and river."""
    x = harness.standard_normal_input(settings.n)
    index = irregular_times(len(x))
    single_n = min(QUICK_SINGLE_N if settings.quick else SINGLE_N, settings.n)
    print(f"time streams, window {TIME_WINDOW!r}, n = {settings.n:,} (one at a time: {single_n:,}) ...")
    first_rows = index.searchsorted(index - pd.Timedelta(TIME_WINDOW), side="right")
    rows_per_window = round(float(np.mean(np.arange(len(x)) - first_rows + 1)))
    s = pd.Series(x, index=index)
    xs, stamps = x[:single_n].tolist(), list(index[:single_n])  # as a per-value consumer has them
    river_stats = harness.optional_import("river.stats")
    river = harness.optional_import("river")
    contenders: dict[str, Callable[[], object] | None] = {
        ONE_SHOT: on_one_thread(lambda: s.rollmed.window(TIME_WINDOW)),
        CHUNKED: lambda: stream_in_chunks(x, index, CHUNK),
        SINGLE: lambda: stream_readings(xs, stamps),
    }
    if river_stats is not None:
        # river counts values: the same number of values per window as the time window holds on average.
        contenders[RIVER] = lambda: river_values(river_stats, xs, rows_per_window)
    working = harness.warm_up(contenders)
    times = harness.median_times(working, settings.repeat)

    one_shot = s.rollmed.window(TIME_WINDOW).to_numpy()
    agreement = {ONE_SHOT: "(reference)"}
    if CHUNKED in working:
        agreement[CHUNKED] = same_values(np.concatenate(stream_in_chunks(x, index, CHUNK)), one_shot)
    if SINGLE in working:
        agreement[SINGLE] = same_values(np.array(stream_readings(xs, stamps)), one_shot[:single_n])
    if RIVER in working:
        agreement[RIVER] = "no: a count window, not a time window"
    counts = {ONE_SHOT: len(x), CHUNKED: len(x), SINGLE: single_n, RIVER: single_n}
    river_version = getattr(river, "__version__", None)
    return Results(settings.n, single_n, rows_per_window, times, counts, agreement, river_version)


def per_value(results: Results, name: str) -> float | None:
    seconds = results.times.get(name)
    return None if seconds is None else seconds / results.counts[name]


def report(results: Results) -> str:
    window = TIME_WINDOW
    calls = {
        ONE_SHOT: f's.rollmed.window("{window}")',
        CHUNKED: f'stream = RollingMedian("{window}"); stream.update(x[i : i + {CHUNK}], t[i : i + {CHUNK}])',
        SINGLE: f'stream = RollingMedian("{window}"); for x, t in readings: stream.update(x, t)',
        RIVER: f"r = RollingQuantile(q=0.5, window_size={results.rows_per_window}); "
        "for x in xs: r.update(x); r.get()",
    }
    rows = [
        [
            name,
            f"`{call}`",
            f"{results.counts[name]:,}",
            format_ms(results.times.get(name)),
            format_us(per_value(results, name)),
            results.agreement.get(name, "n/a"),
        ]
        for name, call in calls.items()
        if name in results.times
    ]
    table = markdown_table(
        ["what", "call", "values", "ms", "us per value", f'agrees with `s.rollmed.window("{window}")`'], rows
    )
    lines = []
    chunked, one_shot = per_value(results, CHUNKED), per_value(results, ONE_SHOT)
    if chunked is not None and one_shot is not None:
        ratio = chunked / one_shot
        verdict = "met" if ratio <= CHUNKED_TARGET else "NOT met"
        lines.append(
            f"- In chunks of {CHUNK:,} / one shot on one thread = {ratio:.2f}; "
            f"target <= {CHUNKED_TARGET:g}: {verdict}."
        )
    single, river_value = per_value(results, SINGLE), per_value(results, RIVER)
    if single is not None and river_value is not None:
        ratio = single / river_value
        verdict = "met" if ratio <= SINGLE_TARGET else "NOT met"
        lines.append(
            f"- One reading at a time / river per value = {ratio:.2f} ({format_us(single)} us against "
            f"{format_us(river_value)} us); target <= {SINGLE_TARGET:g}: {verdict}."
        )
    elif river_value is None:
        lines.append("- river is not installed: no per-value comparison (pip install river).")
    return (
        f'## Streams in time: `rollmed.RollingMedian("{window}")`, n = {results.n:,} irregular readings\n\n'
        f"The readings and timestamps of the time-window section (a window holds "
        f"{results.rows_per_window:,} readings on average), fed to a time stream in chunks of "
        f"{CHUNK:,}, and the first {results.single_n:,} one Python float and one `pd.Timestamp` at a time. "
        f"river {results.river_version or ''} has no time window (its `RollingQuantile` counts values): it "
        f"is timed over a window of the same number of values, {results.rows_per_window:,}, fed one "
        "Python float at a time. The comparison is of the cost per value, not of the same answers.\n\n"
        f"{table}\n\n" + "\n".join(lines)
    )


SECTION = Section(NAME, run, report)
