"""The streaming ``rollmed.RollingMedian``, in chunks and one value at a time, against river."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, markdown_table

import rollmed

NAME = "streaming"
WINDOW = 101
CHUNK = 10_000
RIVER_N = 200_000  # river's per-value loop is slow: fewer values, compared per value
QUICK_RIVER_N = RIVER_N // 10
CHUNKED_TARGET = 50.0  # river per value / rollmed chunked per value: at least this
SINGLE_TARGET = 2.0  # rollmed / river, one value at a time: at most this
CHUNKED = "rollmed, chunks"
SINGLE = "rollmed, one value at a time"
RIVER = "river, one value at a time"


@dataclass(frozen=True)
class Results:
    n: int
    river_n: int
    times: dict[str, float]
    per_value: dict[str, float]
    counts: dict[str, int]  # values fed, by contender
    agreement: dict[str, str]
    river_version: str | None


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
    return "close" if harness.agrees(result, reference) else "NO"


def run(settings: Settings, peers: Peers) -> Results:
    """Per-value costs of rollmed's streaming median (in chunks, one value at a time) and river's."""
    x = harness.standard_normal_input(settings.n)
    river_n = min(QUICK_RIVER_N if settings.quick else RIVER_N, settings.n)
    print(f"streaming, k={WINDOW}, n = {settings.n:,} (river: {river_n:,}) ...", flush=True)
    river_stats = harness.optional_import("river.stats")
    river = harness.optional_import("river")
    xs = x[:river_n].tolist()  # Python floats, as a per-value consumer has them
    contenders: dict[str, Callable[[], object]] = {
        CHUNKED: lambda: stream_in_chunks(x, WINDOW, CHUNK),
        SINGLE: lambda: stream_values(xs, WINDOW),
    }
    if river_stats is not None:
        contenders[RIVER] = lambda: river_values(river_stats, xs, WINDOW)
    contenders = harness.warm_up(contenders)
    times = harness.median_times(contenders, settings.repeat)

    one_shot = pd.Series(x).rollmed.window(WINDOW).to_numpy()
    agreement: dict[str, str] = {}
    if CHUNKED in contenders:
        agreement[CHUNKED] = same_values(np.concatenate(stream_in_chunks(x, WINDOW, CHUNK)), one_shot)
    if SINGLE in contenders:
        agreement[SINGLE] = same_values(stream_values_collected(xs, WINDOW), one_shot[:river_n])
    if RIVER in contenders:
        # river gives the median of the values so far until its window is full; rollmed (and
        # pandas) give NaN there: compare the full windows.
        theirs = river_values_collected(river_stats, xs, WINDOW)
        full = slice(WINDOW - 1, None)
        same = harness.agrees(theirs[full], one_shot[:river_n][full])
        agreement[RIVER] = "yes, from k - 1 on" if same else "NO"
    counts = {CHUNKED: len(x), SINGLE: river_n, RIVER: river_n}
    per_value = {name: seconds / counts[name] for name, seconds in times.items()}
    river_version = getattr(river, "__version__", None)
    return Results(settings.n, river_n, times, per_value, counts, agreement, river_version)


def format_us(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    us = seconds * 1e6
    return f"{us:.3f}" if us < 1 else f"{us:.2f}"


def streaming_table(results: Results) -> str:
    calls = {
        CHUNKED: f"stream = RollingMedian({WINDOW}); stream.update(x[i : i + {CHUNK}])",
        SINGLE: f"stream = RollingMedian({WINDOW}); for x in xs: stream.update(x)",
        RIVER: f"r = RollingQuantile(q=0.5, window_size={WINDOW}); for x in xs: r.update(x); r.get()",
    }
    rows = [
        [
            name,
            f"`{call}`",
            f"{results.counts[name]:,}",
            format_ms(results.times.get(name)),
            format_us(results.per_value.get(name)),
            results.agreement.get(name, "n/a"),
        ]
        for name, call in calls.items()
    ]
    if RIVER not in results.times:
        rows[-1][3:5] = ["n/a", "n/a"]
    header = ["what", "call", "values", "ms", "us per value"]
    header.append(f"agrees with `s.rollmed.window({WINDOW})`")
    return markdown_table(header, rows)


def streaming_summary(results: Results) -> str:
    per_value = results.per_value
    river = per_value.get(RIVER)
    chunked, single = per_value.get(CHUNKED), per_value.get(SINGLE)
    if river is None:
        return "river is not installed: no comparison (pip install river)."
    speed_up = river / chunked
    note = (
        f"river {results.river_version}'s `RollingQuantile` keeps its window in compiled (Rust) code, "
        "so its per-value cost is mostly the Python calls."
    )
    ratio = single / river
    return "\n".join(
        [
            f"- Chunked throughput: river's per-value loop / rollmed's chunked update = {speed_up:.1f}x "
            f"per value; target >= {CHUNKED_TARGET:g}x: "
            + ("met." if speed_up >= CHUNKED_TARGET else "NOT met."),
            f"- Single-value updates: rollmed / river per update = {ratio:.2f} "
            f"({format_us(single)} us against {format_us(river)} us); target <= {SINGLE_TARGET:g}: "
            + ("met." if ratio <= SINGLE_TARGET else "NOT met."),
            "",
            note,
        ]
    )


def report(results: Results) -> str:
    return (
        f"## Streaming: `rollmed.RollingMedian({WINDOW})` against river, k = {WINDOW}\n\n"
        f"rollmed fed all {results.n:,} values of the input above in chunks of {CHUNK:,}, and "
        f"the first {results.river_n:,} of them one Python float at a time; river's "
        f"`stats.RollingQuantile(q=0.5, window_size={WINDOW})` fed the same {results.river_n:,} one at a "
        "time (it has no chunked update). Compare the time per value. Agreement with the one-shot "
        'result: exact equality ("identical") or np.allclose with equal_nan ("close").\n\n'
        f"{streaming_table(results)}\n\n{streaming_summary(results)}"
    )


SECTION = Section(NAME, run, report)
