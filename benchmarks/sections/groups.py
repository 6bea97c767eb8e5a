"""Rolling medians within groups (``by=``): rollmed against polars' ``over`` and pandas' groupby."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, on_one_thread, speedup, target_text, yes_no

NAME = "groups"
# (groups, rows per group, window, target speed-up over pandas), full run and --quick
CASES = ((100_000, 10, 5, 10.0), (1_000, 1_000, 101, 3.0))
QUICK_CASES = ((10_000, 10, 5, 10.0), (100, 1_000, 101, 3.0))
LIBRARIES = ("rollmed", "rollmed, 1 thread", "polars", "pandas")


@dataclass(frozen=True)
class CaseResults:
    n_groups: int
    size: int
    window: int
    target: float
    times: dict[str, float]
    agreement: dict[str, bool | None]


def grouped_frame(n_groups: int, size: int, seed: int) -> pd.DataFrame:
    """``n_groups`` groups of ``size`` rows each, their rows interleaved at random."""
    rng = np.random.default_rng(seed)
    keys = rng.permutation(np.repeat(np.arange(n_groups, dtype=np.int64), size))
    return pd.DataFrame({"key": keys, "x": rng.standard_normal(n_groups * size)})


def realign(grouped: pd.Series, index: pd.Index) -> pd.Series:
    """pandas' groupby().rolling() result, on (key, row) labels, back on the original rows."""
    return grouped.droplevel(0).reindex(index)


def bench_case(
    frame: pd.DataFrame, window: int, peers: Peers, repeat: int
) -> tuple[dict[str, float], dict[str, bool | None]]:
    contenders: dict[str, Callable[[], object] | None] = {
        "rollmed": lambda: frame.rollmed.window(window, by="key")["x"],
        "rollmed, 1 thread": on_one_thread(lambda: frame.rollmed.window(window, by="key")["x"]),
    }
    if peers.polars is not None:
        pl = peers.polars
        frame_polars = pl.from_pandas(frame)
        contenders["polars"] = lambda: frame_polars.select(pl.col("x").rolling_median(window).over("key"))[
            "x"
        ]
    contenders["pandas"] = lambda: frame.groupby("key")["x"].rolling(window).median()
    contenders = harness.warm_up(contenders)
    reference = harness.as_float_array(contenders["rollmed"]())
    agreement: dict[str, bool | None] = {}
    for name, func in contenders.items():
        if name == "rollmed":
            continue
        result = func()
        if name == "pandas":
            result = realign(result, frame.index)
        agreement[name] = harness.agrees(result, reference)
    return harness.median_times(contenders, repeat), agreement


def run(settings: Settings, peers: Peers) -> list[CaseResults]:
    print("rolling medians within groups ...", flush=True)
    results = []
    for number, (n_groups, size, window, target) in enumerate(QUICK_CASES if settings.quick else CASES):
        frame = grouped_frame(n_groups, size, harness.SEED + 2 + number)
        times, agreement = bench_case(frame, window, peers, settings.repeat)
        print(f"  {n_groups:,} groups of {size:,}, k={window}: {harness.format_times(times)}")
        results.append(CaseResults(n_groups, size, window, target, times, agreement))
    return results


def report(results: list[CaseResults]) -> str:
    header = ["groups x rows", "k", *(f"{name} ms" for name in LIBRARIES)]
    header += ["pandas / rollmed (times faster)", "target", "polars / rollmed", "agree with rollmed"]
    rows = []
    for case in results:
        times = case.times
        rollmed_time, pandas_time = times.get("rollmed"), times.get("pandas")
        row = [f"{case.n_groups:,} x {case.size:,}", str(case.window)]
        row += [format_ms(times.get(name)) for name in LIBRARIES]
        row += [speedup(pandas_time, rollmed_time), target_text(pandas_time, rollmed_time, case.target)]
        row += [speedup(times.get("polars"), rollmed_time)]
        row += [", ".join(f"{name} {yes_no(same)}" for name, same in case.agreement.items())]
        rows.append(row)
    return (
        '## Groups: `df.rollmed.window(k, by="key")["x"]`\n\n'
        'Against `df.groupby("key")["x"].rolling(k).median()` (pandas, timed without putting '
        "its (key, row) result back on the original rows, as rollmed's is) and "
        '`pl.col("x").rolling_median(k).over("key")` (polars). The rows of the groups are '
        "interleaved at random; float64 standard normal values. Agreement after putting "
        f"pandas' result back on the original rows.\n\n{harness.markdown_table(header, rows)}"
    )


SECTION = Section(NAME, run, report)
