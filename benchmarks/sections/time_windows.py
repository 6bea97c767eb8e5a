"""A time window ("1h") over irregular timestamps: rollmed against polars and pandas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, Versus, on_one_thread

NAME = "time"
TIME_WINDOW = "1h"
GAP_SECONDS = 1.0  # the mean gap between irregular timestamps (exponential gaps)
TIMESTAMPS_SEED = harness.SEED + 1
TARGET = 10.0  # the target: rollmed at least this many times faster than pandas


@dataclass(frozen=True)
class Results(Versus):
    rows_per_window: float


def irregular_times(n: int) -> pd.DatetimeIndex:
    """``n`` increasing timestamps with exponential gaps of mean GAP_SECONDS, in ns."""
    rng = np.random.default_rng(TIMESTAMPS_SEED)
    gaps_ns = rng.exponential(GAP_SECONDS * 1e9, n)
    ticks = np.int64(pd.Timestamp("2024-01-01").value) + np.cumsum(gaps_ns).astype(np.int64)
    return pd.DatetimeIndex(ticks.view("datetime64[ns]"))


def run(settings: Settings, peers: Peers) -> Results:
    print(f"time window {TIME_WINDOW!r}, n = {settings.n:,} irregular timestamps ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    index = irregular_times(len(x))
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
    contenders = harness.warm_up(contenders)
    agreement = harness.check_agreement(contenders, "rollmed")
    # Rows in the window (t - 1h, t] of each row t, as pandas counts them.
    first_rows = index.searchsorted(index - pd.Timedelta(window), side="right")
    rows_per_window = float(np.mean(np.arange(len(x)) - first_rows + 1))
    times = harness.median_times(contenders, settings.repeat)
    return Results(settings.n, calls, times, agreement, rows_per_window)


def report(results: Results) -> str:
    return (
        f'## Time window `"{TIME_WINDOW}"`, n = {results.n:,} irregular timestamps\n\n'
        f"Exponential gaps of mean {GAP_SECONDS:g} s (seed {TIMESTAMPS_SEED}), so a window holds "
        f"{results.rows_per_window:,.0f} rows on average; the values are the float64 input above.\n\n"
        f"{harness.versus_table(results, 'pandas')}\n\n"
        f"{harness.versus_summary(results.times, 'rollmed', 'pandas', TARGET, ('polars', 'pandas'))}"
    )


SECTION = Section(NAME, run, report)
