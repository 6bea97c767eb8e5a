"""The expanding median: rollmed against pandas, and against sorting the whole input once."""

from __future__ import annotations

from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, format_ratio, markdown_table

import rollmed

NAME = "expanding"
SORT = "`np.sort(x)`"


@dataclass(frozen=True)
class Results:
    n: int
    times: dict[str, float]
    same: bool  # rollmed and pandas agree


def run(settings: Settings, peers: Peers) -> Results:
    print(f"expanding median, n = {settings.n:,} ...", flush=True)
    x = harness.standard_normal_input(settings.n)
    s = pd.Series(x)
    contenders = {
        "rollmed `s.rollmed.expanding()`": lambda: s.rollmed.expanding(),
        "rollmed `expanding_median(x)` (ndarray)": lambda: rollmed.expanding_median(x),
        "pandas `s.expanding().median()`": lambda: s.expanding().median(),
        SORT: lambda: np.sort(x),
    }
    same = harness.agrees(s.rollmed.expanding(), harness.as_float_array(s.expanding().median()))
    return Results(settings.n, harness.median_times(harness.warm_up(contenders), settings.repeat), same)


def report(results: Results) -> str:
    sort_time = results.times.get(SORT)
    rows = [
        [name, format_ms(seconds), format_ratio(seconds, sort_time)]
        for name, seconds in results.times.items()
    ]
    return (
        f"## Expanding median, n = {results.n:,}\n\n{markdown_table(['what', 'ms', '/ np.sort'], rows)}\n\n"
        f"rollmed and pandas agree: {'yes' if results.same else 'NO'}"
    )


SECTION = Section(NAME, run, report)
