"""Many columns at once: ``move_median(X, k, axis=0)``, rollmed against bottleneck."""

from __future__ import annotations

from dataclasses import dataclass

import harness
import numpy as np
from harness import Peers, Section, Settings, format_ms, format_ratio, markdown_table, on_one_thread

import rollmed

NAME = "columns"
WINDOW = 101
N_COLUMNS = 8
LIBRARIES = ("rollmed", "rollmed, 1 thread", "bottleneck")


@dataclass(frozen=True)
class Results:
    shape: tuple[int, ...]
    times: dict[str, float]
    same: bool | None  # rollmed and bottleneck agree; None without bottleneck


def columns_input(n: int, rows: int) -> np.ndarray:
    """``rows`` x N_COLUMNS float64 standard normal values, drawn after the 1-D input.

    The seeded stream gives the shared 1-D input of ``n`` values first, and then these, so
    that X is the same whichever sections run.
    """
    rng = np.random.default_rng(harness.SEED)
    rng.standard_normal(n)
    return rng.standard_normal((rows, N_COLUMNS))


def run(settings: Settings, peers: Peers) -> Results:
    x2d = columns_input(settings.n, 100_000 if settings.quick else 1_000_000)
    print(f"many columns, shape {x2d.shape} ...", flush=True)
    contenders = {
        "rollmed": lambda: rollmed.move_median(x2d, WINDOW, axis=0),
        "rollmed, 1 thread": on_one_thread(lambda: rollmed.move_median(x2d, WINDOW, axis=0)),
    }
    if peers.bottleneck is not None:
        contenders["bottleneck"] = lambda: peers.bottleneck.move_median(x2d, WINDOW, axis=0)
    contenders = harness.warm_up(contenders)
    same = None
    if "bottleneck" in contenders:
        same = harness.agrees(contenders["rollmed"](), harness.as_float_array(contenders["bottleneck"]()))
    return Results(x2d.shape, harness.median_times(contenders, settings.repeat), same)


def report(results: Results) -> str:
    times = results.times
    rows = [
        [
            name,
            str(results.shape),
            format_ms(times.get(name)),
            format_ratio(times.get(name), times.get("bottleneck")),
        ]
        for name in LIBRARIES
    ]
    table = markdown_table(["what", "X.shape", "ms", "/ bottleneck"], rows)
    return (
        f"## Many columns: `move_median(X, {WINDOW}, axis=0)`\n\n{table}\n\n"
        f"rollmed and bottleneck agree: {harness.yes_no(results.same)}"
    )


SECTION = Section(NAME, run, report)
