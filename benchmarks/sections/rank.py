"""The rolling rank: rollmed against pandas' ``Rolling.rank``, ``bottleneck.move_rank`` and polars.

Twice, as the rolling medians: in this process on all threads, and in a fresh process in
which every library is held to one thread (polars sizes its thread pool when imported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, fastest, format_ms, format_ratio, markdown_table, yes_no

import rollmed
from sections.rolling import ONE_THREAD_ENV, pass_or_miss

NAME = "rank"
WINDOWS = (11, 101, 1001)
TARGET = 0.5  # rollmed's time / the fastest peer's, at every k and thread count: at most this (issue 11)
# bottleneck's move_rank is O(n k): a peer whose call would take longer than this, as timed
# on a slice of the input, is left out at that window rather than hold up the whole run.
SLOW_LIMIT_SECONDS = 20.0
ESTIMATE_SLICE = 20  # the estimate times a call on 1/20 of the input (and scales up)

MOVE_RANK = "rollmed.move_rank"
SERIES_RANK = "s.rollmed.rank"
ROLLMED_CALLS = (MOVE_RANK, SERIES_RANK)
PEERS = ("bottleneck", "polars", "pandas")
CALLS = {
    MOVE_RANK: "rollmed.move_rank(x, k)",
    SERIES_RANK: "s.rollmed.rank(k)",
    "bottleneck": "bottleneck.move_rank(x, k)",
    "polars": "pl.Series(x).rolling_rank(k)",
    "pandas": "s.rolling(k).rank()",
}


@dataclass(frozen=True)
class Timings:
    """One process's times, by window and call, and the peers it left out as too slow."""

    times: dict[int, dict[str, float]]
    skipped: dict[int, dict[str, float]]  # by window, each left-out peer's estimated seconds a call


@dataclass(frozen=True)
class Results:
    n: int
    all_threads: Timings
    agreement: dict[int, dict[str, bool | None]]  # by window: does each peer match rollmed's call
    one_thread: Timings | None  # None if its process failed
    one_thread_counts: dict[str, int]


def rank_contenders(
    x: np.ndarray, window: int, peers: Peers, skip: tuple[str, ...] = ()
) -> dict[str, Callable[[], object]]:
    """rollmed's two rank calls and each installed peer's, but those in ``skip``."""
    s = pd.Series(x)
    found: dict[str, Callable[[], object]] = {
        MOVE_RANK: lambda: rollmed.move_rank(x, window),
        SERIES_RANK: lambda: s.rollmed.rank(window),
    }
    if peers.bottleneck is not None:
        found["bottleneck"] = lambda: peers.bottleneck.move_rank(x, window)
    if peers.polars is not None:
        x_polars = peers.polars.Series(x)  # made once: the conversion is not the rank's cost
        found["polars"] = lambda: x_polars.rolling_rank(window)
    found["pandas"] = lambda: s.rolling(window).rank()
    return {name: func for name, func in found.items() if name not in skip}


def too_slow_peers(x: np.ndarray, window: int, peers: Peers) -> dict[str, float]:
    """The peers whose call on ``x`` would take over SLOW_LIMIT_SECONDS, with their estimated seconds."""
    part = x[: max(len(x) // ESTIMATE_SLICE, 10 * window)]
    on_part = harness.warm_up(rank_contenders(part, window, peers, skip=ROLLMED_CALLS))
    estimates = harness.median_times(on_part, 1)
    scale = len(x) / len(part)
    return {
        name: seconds * scale for name, seconds in estimates.items() if seconds * scale > SLOW_LIMIT_SECONDS
    }


def measure(n: int, repeat: int) -> dict[str, dict]:
    """Every call's time at every window on ``n`` values, in this process's thread setting.

    Run here on all threads, and by :func:`run` in a fresh process held to one thread.
    """
    peers = harness.load_peers()
    x = harness.standard_normal_input(n)
    skipped = {window: too_slow_peers(x, window, peers) for window in WINDOWS}
    times = {
        window: harness.median_times(
            harness.warm_up(rank_contenders(x, window, peers, skip=tuple(skipped[window]))), repeat
        )
        for window in WINDOWS
    }
    return {"times": times, "skipped": skipped}


def timings(found: dict[str, dict]) -> Timings:
    """:func:`measure`'s result as Timings, its windows back to numbers where JSON made them strings."""
    return Timings(
        {int(window): times for window, times in found["times"].items()},
        {int(window): slow for window, slow in found["skipped"].items()},
    )


def rank_agreement(x: np.ndarray, window: int, peers: Peers, skip: tuple[str, ...]) -> dict[str, bool | None]:
    """bottleneck against ``move_rank`` (both normalised to [-1, 1]); pandas and polars
    against ``s.rollmed.rank`` (ranks from 1). The input has no ties, NaN or inf, where
    each peer is right."""
    contenders = rank_contenders(x, window, peers, skip)
    found: dict[str, bool | None] = {}
    for peer, reference in (("bottleneck", MOVE_RANK), ("polars", SERIES_RANK), ("pandas", SERIES_RANK)):
        if peer in contenders:
            found[peer] = harness.agrees(contenders[peer](), harness.as_float_array(contenders[reference]()))
    return found


def run(settings: Settings, peers: Peers) -> Results:
    print(f"rolling rank, n = {settings.n:,} ...", flush=True)
    all_threads = timings(measure(settings.n, settings.repeat))
    x = harness.standard_normal_input(settings.n)
    agreement = {
        window: rank_agreement(x, window, peers, tuple(all_threads.skipped[window])) for window in WINDOWS
    }
    print(f"rolling rank, one thread each, n = {settings.n:,}, in a fresh process ...", flush=True)
    found = harness.run_in_fresh_process(NAME, "measure", (settings.n, settings.repeat), ONE_THREAD_ENV)
    one_thread, counts = (timings(found[0]), found[1]) if found is not None else (None, {})
    return Results(settings.n, all_threads, agreement, one_thread, counts)


# --- report -------------------------------------------------------------------------------------


def time_cell(timed: Timings, window: int, name: str) -> str:
    if name in timed.skipped[window]:
        return f"skipped (est. {timed.skipped[window][name]:.0f} s)"
    return format_ms(timed.times[window].get(name))


def target_cell(ours: float | None, best: float | None) -> str:
    """rollmed's time over the fastest peer's, and whether it meets TARGET."""
    ratio = None if ours is None or best is None else ours / best
    return f"{format_ratio(ours, best)} {pass_or_miss(ratio, TARGET)}"


def times_table(timed: Timings) -> str:
    header = ["k", *(f"{name} ms" for name in CALLS), "fastest peer"]
    header += [f"{name} / fastest (<= {TARGET:g})" for name in ROLLMED_CALLS]
    rows = []
    for window, times in timed.times.items():
        name, best = fastest(times, PEERS)
        row = [str(window), *(time_cell(timed, window, call) for call in CALLS), name or "n/a"]
        rows.append(row + [target_cell(times.get(ours), best) for ours in ROLLMED_CALLS])
    return markdown_table(header, rows)


def agreement_table(agreement: dict[int, dict[str, bool | None]]) -> str:
    columns = {"bottleneck": MOVE_RANK, "polars": SERIES_RANK, "pandas": SERIES_RANK}
    header = ["k", *(f"{peer} = {reference}" for peer, reference in columns.items())]
    rows = [
        [str(window), *(yes_no(found.get(peer)) for peer in columns)] for window, found in agreement.items()
    ]
    return markdown_table(header, rows)


def report(results: Results) -> str:
    return "\n\n".join(
        [
            f"## Rolling rank, k = {', '.join(map(str, WINDOWS))}, n = {results.n:,}\n\n"
            "The rank of each value among the k values of the window that ends at it, ties averaged. "
            "`rollmed.move_rank` is a drop-in for `bottleneck.move_rank` (normalised to [-1, 1]); "
            "`s.rollmed.rank` gives what `s.rolling(k).rank()` and polars' `rolling_rank` give "
            "(ranks from 1). The calls: "
            + ", ".join(f"`{call}`" for call in CALLS.values())
            + "; the polars Series is made once, outside the timed call. "
            f"Target (issue 11): each rollmed call <= {TARGET:g}x the fastest peer, at every k, on "
            "all threads and on one. A peer whose call would take over "
            f"{SLOW_LIMIT_SECONDS:g} s (timed on 1/{ESTIMATE_SLICE} of the input) is skipped at that k.",
            harness.thread_tables(
                times_table(results.all_threads),
                ONE_THREAD_ENV,
                results.one_thread_counts,
                None if results.one_thread is None else times_table(results.one_thread),
            ),
            "Agreement (np.allclose, equal_nan) on the same input, which has no ties, NaN or inf "
            f"(where each peer is right):\n\n{agreement_table(results.agreement)}",
        ]
    )


SECTION = Section(NAME, run, report)
