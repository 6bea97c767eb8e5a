"""``rollmed.dask`` against dask's own rolling median, on dask's threads in this process."""

from __future__ import annotations

from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, speedup, yes_no

from sections.time_windows import TIME_WINDOW, irregular_times

NAME = "dask"
PARTITIONS = 16
WINDOW = 101
GROUP_WINDOW = 11
GROUPS = 1_000
KEYS_SEED = harness.SEED + 20


@dataclass(frozen=True)
class CaseResults:
    name: str
    calls: dict[str, str]  # the call's text, by library
    times: dict[str, float]
    same: bool  # rollmed.dask agrees with the pandas accessor on the whole frame


@dataclass(frozen=True)
class Results:
    n: int
    cases: list[CaseResults] | None  # None without dask


def run(settings: Settings, peers: Peers) -> Results:
    print(f"dask, {PARTITIONS} partitions, n = {settings.n:,} ...", flush=True)
    dd, dask = harness.optional_import("dask.dataframe"), harness.optional_import("dask")
    if dd is None or dask is None:
        return Results(settings.n, None)
    import rollmed.dask  # noqa: F401  (registers the dask accessor)

    x = harness.standard_normal_input(settings.n)
    keys = np.random.default_rng(KEYS_SEED).integers(0, GROUPS, len(x))
    frame = pd.DataFrame({"key": keys, "x": x}, index=irregular_times(len(x)))
    ddf = dd.from_pandas(frame, npartitions=PARTITIONS)
    k, kg, span = WINDOW, GROUP_WINDOW, TIME_WINDOW
    # (case, rollmed's call, dask's call): each call a function of the frame, dask's or
    # pandas' alike (the accessors take the same arguments), and its text for the table.
    cases = [
        (f"k = {k}", lambda f: f["x"].rollmed.window(k), lambda f: f["x"].rolling(k).median(),
         f'ddf["x"].rollmed.window({k})', f'ddf["x"].rolling({k}).median()'),
        (f'"{span}"', lambda f: f["x"].rollmed.window(span), lambda f: f["x"].rolling(span).median(),
         f'ddf["x"].rollmed.window("{span}")', f'ddf["x"].rolling("{span}").median()'),
        (f"k = {kg} within {GROUPS:,} groups", lambda f: f.rollmed.window(kg, by="key")["x"],
         lambda f: f.groupby("key")["x"].rolling(kg).median(),
         f'ddf.rollmed.window({kg}, by="key")["x"]', f'ddf.groupby("key")["x"].rolling({kg}).median()'),
        ("expanding", lambda f: f["x"].rollmed.expanding(), None, 'ddf["x"].rollmed.expanding()', "(none)"),
    ]  # fmt: skip
    results = []
    with dask.config.set(scheduler="threads"):
        for name, ours, theirs, ours_text, theirs_text in cases:
            contenders = {"rollmed.dask": lambda ours=ours: ours(ddf).compute()}
            if theirs is not None:
                contenders["dask"] = lambda theirs=theirs: theirs(ddf).compute()
            contenders = harness.warm_up(contenders)
            same = harness.agrees(contenders["rollmed.dask"](), harness.as_float_array(ours(frame)))
            times = harness.median_times(contenders, settings.repeat)
            print(f"  {name}: {harness.format_times(times)}")
            results.append(CaseResults(name, {"rollmed.dask": ours_text, "dask": theirs_text}, times, same))
    return Results(settings.n, results)


def dask_table(cases: list[CaseResults]) -> str:
    header = ["window", "rollmed.dask", "dask", "rollmed.dask ms", "dask ms", "dask / rollmed.dask"]
    header.append("rollmed.dask agrees with the pandas accessor")
    rows = [
        [
            case.name,
            f"`{case.calls['rollmed.dask']}`",
            f"`{case.calls['dask']}`",
            format_ms(case.times.get("rollmed.dask")),
            format_ms(case.times.get("dask")),
            speedup(case.times.get("dask"), case.times.get("rollmed.dask")),
            yes_no(case.same),
        ]
        for case in cases
    ]
    return harness.markdown_table(header, rows)


def report(results: Results) -> str:
    return (
        f"## Dask: `import rollmed.dask`, n = {results.n:,} rows in {PARTITIONS} partitions\n\n"
        "A dask DataFrame made by `dd.from_pandas` of the float64 input above on the irregular "
        f"timestamps of the time-window section, with an int column `key` ({GROUPS:,} keys, at "
        "random); `.compute()` on dask's threaded scheduler in this process (both cores). dask has no "
        "expanding median. Agreement: rollmed.dask's result against the pandas accessor on the whole "
        "frame, np.allclose with equal_nan.\n\n"
        + (dask_table(results.cases) if results.cases is not None else "dask is not installed: n/a.")
    )


SECTION = Section(NAME, run, report)
