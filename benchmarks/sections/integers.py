"""Exact integer medians: rollmed's int64 lower median against pandas' float64 one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, Versus, on_one_thread

NAME = "integers"
WINDOW = 101
BASE = 2**62  # int64 values from here up: float64 keeps only multiples of 2**10 of them
SPREAD = 1_000_000
VALUES_SEED = harness.SEED + 10


@dataclass(frozen=True)
class Results(Versus):
    found: dict[str, object]  # the exactness counts, by what


def exact_lower_median(values: np.ndarray, window: int, chunk: int = 50_000) -> np.ndarray:
    """The lower median of every full trailing window, computed in int64 by np.partition.

    The reference for rollmed's exact result: entry i is the window ending at row
    ``i + window - 1``.
    """
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    rank = (window - 1) // 2
    out = np.empty(len(windows), np.int64)
    for first in range(0, len(windows), chunk):
        block = np.partition(windows[first : first + chunk], rank, axis=1)
        out[first : first + chunk] = block[:, rank]
    return out


def exactness(contenders: dict[str, Callable[[], object]], values: np.ndarray) -> dict[str, object]:
    """How many of rollmed's and pandas' results differ from the exact lower median."""
    exact = exact_lower_median(values, WINDOW)
    full = slice(WINDOW - 1, None)  # the rows whose window is full: the others are missing
    found: dict[str, object] = {"rows": len(exact)}
    if "rollmed, exact" in contenders:
        result = contenders["rollmed, exact"]()
        found["rollmed dtype"] = str(result.dtype)
        found["rollmed missing"] = int(result.isna().sum())
        found["rollmed wrong"] = int(np.count_nonzero(result.iloc[full].to_numpy(np.int64) != exact))
    if "pandas" in contenders:
        result = contenders["pandas"]()
        found["pandas dtype"] = str(result.dtype)
        # Every float64 this large is a whole number below 2**63: back to int64 exactly, to
        # compare integers with integers (an int64 == float64 comparison would round again).
        as_integers = result.iloc[full].to_numpy().astype(np.int64)
        errors = np.abs(as_integers - exact)
        found["pandas wrong"] = int(np.count_nonzero(errors))
        found["pandas max error"] = int(errors.max(initial=0))
    return found


def run(settings: Settings, peers: Peers) -> Results:
    print(f"exact integer medians, k={WINDOW}, n = {settings.n:,} ...", flush=True)
    rng = np.random.default_rng(VALUES_SEED)
    values = np.int64(BASE) + rng.integers(0, SPREAD, settings.n, dtype=np.int64)
    s = pd.Series(values)
    window = WINDOW
    calls = {
        "rollmed, exact": f's.rollmed.window({window}, interpolation="lower")',
        "rollmed, exact, 1 thread": f's.rollmed.window({window}, interpolation="lower")',
        "rollmed, float64": f"s.rollmed.window({window})",
        "pandas": f's.rolling({window}).quantile(0.5, interpolation="lower")',
    }
    contenders = harness.warm_up(
        {
            "rollmed, exact": lambda: s.rollmed.window(window, interpolation="lower"),
            "rollmed, exact, 1 thread": on_one_thread(
                lambda: s.rollmed.window(window, interpolation="lower")
            ),
            "rollmed, float64": lambda: s.rollmed.window(window),
            "pandas": lambda: s.rolling(window).quantile(0.5, interpolation="lower"),
        }
    )
    times = harness.median_times(contenders, settings.repeat)
    # No agreement column: the exactness counts below say more.
    return Results(settings.n, calls, times, None, exactness(contenders, values))


def exactness_text(found: dict[str, object]) -> str:
    rows = found["rows"]
    lines = [f"Exactness over the {rows:,} full windows, against an int64 `np.partition` reference:", ""]
    if "rollmed wrong" in found:
        lines.append(
            f"- rollmed: dtype {found['rollmed dtype']}, {found['rollmed wrong']:,} of {rows:,} values "
            f"differ from the exact lower median ({found['rollmed missing']:,} leading <NA>, as the "
            "windows are not yet full)."
        )
    if "pandas wrong" in found:
        lines.append(
            f"- pandas: dtype {found['pandas dtype']}, {found['pandas wrong']:,} of {rows:,} values differ "
            f"from the exact lower median, by up to {found['pandas max error']:,} (float64 keeps 53 bits)."
        )
    return "\n".join(lines)


def report(results: Results) -> str:
    return (
        f"## Exact integers: lower median, k = {WINDOW}, n = {results.n:,} int64\n\n"
        f"Values 2**62 + uniform integers in [0, {SPREAD:,}) (seed {VALUES_SEED}). "
        '"rollmed, float64" is the default (linear) median of the same Series, '
        "in float64 as pandas.\n\n"
        f"{harness.versus_table(results, 'pandas')}\n\n"
        f"{exactness_text(results.found)}"
    )


SECTION = Section(NAME, run, report)
