"""A rolling quantile: rollmed against scipy's percentile filter, polars and pandas."""

from __future__ import annotations

from collections.abc import Callable

import harness
import pandas as pd
from harness import Peers, Section, Settings, Versus, on_one_thread

import rollmed

NAME = "quantile"
Q = 0.9
WINDOW = 101
TARGET = 5.0  # the target: rollmed at least this many times faster than pandas


def run(settings: Settings, peers: Peers) -> Versus:
    print(f"rolling quantile q={Q}, k={WINDOW}, n = {settings.n:,} ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    s = pd.Series(x)
    window, q = WINDOW, Q
    calls = {
        "rollmed (Series)": f"s.rollmed.window({window}, q={q})",
        "rollmed (ndarray)": f"rollmed.move_quantile(x, {window}, {q})",
        "rollmed (ndarray, 1 thread)": f"rollmed.move_quantile(x, {window}, {q})",
        "scipy": f"ndimage.percentile_filter(x, {q * 100:g}, size={window}, mode='nearest', origin=...)",
        "polars": f'pl.Series(x).rolling_quantile({q}, interpolation="linear", window_size={window})',
        "pandas": f"s.rolling({window}).quantile({q})",
    }
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed (Series)": lambda: s.rollmed.window(window, q=q),
        "rollmed (ndarray)": lambda: rollmed.move_quantile(x, window, q),
        "rollmed (ndarray, 1 thread)": on_one_thread(lambda: rollmed.move_quantile(x, window, q)),
    }
    if peers.ndimage is not None:
        # scipy takes the value of rank int(q * k) with no interpolation: the same number here,
        # as q * (k - 1) = 90 is a whole rank; origin makes the window trailing (see rolling).
        contenders["scipy"] = lambda: peers.ndimage.percentile_filter(
            x, q * 100, size=window, mode="nearest", origin=(window - 1) // 2
        )
    if peers.polars is not None:
        x_polars = peers.polars.Series(x)
        contenders["polars"] = lambda: x_polars.rolling_quantile(
            q, interpolation="linear", window_size=window
        )
    contenders["pandas"] = lambda: s.rolling(window).quantile(q)
    contenders = harness.warm_up(contenders)
    agreement = harness.check_agreement(contenders, "rollmed (Series)", {"scipy": window - 1})
    return Versus(settings.n, calls, harness.median_times(contenders, settings.repeat), agreement)


def report(results: Versus) -> str:
    return (
        f"## Rolling quantile q = {Q}, k = {WINDOW}, n = {results.n:,}\n\n"
        "bottleneck has no moving quantile. scipy's `percentile_filter` takes rank int(q k) "
        f"without interpolation, the same value here only because q (k - 1) = "
        f"{Q * (WINDOW - 1):g} is a whole rank (compared from index k - 1 on).\n\n"
        f"{harness.versus_table(results, 'pandas')}\n\n"
        + harness.versus_summary(
            results.times, "rollmed (Series)", "pandas", TARGET, ("scipy", "polars", "pandas")
        )
    )


SECTION = Section(NAME, run, report)
