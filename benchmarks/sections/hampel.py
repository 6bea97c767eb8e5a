"""The Hampel filter: ``s.rollmed.hampel`` against the PyPI ``hampel`` package and a pandas one.

The pandas filter is the one people write by hand: a centred rolling median, and the MAD
by a rolling ``apply``. Both peers call NumPy (and pandas Python) for every window, so
this section runs on 100,000 values (10,000 with --quick), not the shared million.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
import pandas as pd
from harness import Peers, Section, Settings, format_ms, markdown_table, on_one_thread, speedup, yes_no

from sections.mad import window_mad

NAME = "hampel"
WINDOW = 21
N_SIGMAS = 3.0
SCALE = 1.4826  # the hampel package's fixed factor, and rollmed's default
HAMPEL_N, QUICK_HAMPEL_N = 100_000, 10_000
TARGET = 100.0  # s.rollmed.hampel at least this many times faster than each peer (issue 11)
PEER_REPEAT = 3  # the peers take seconds a call: at most this many timed runs of them
SPIKES_SEED = harness.SEED + 11
EDGE = WINDOW // 2  # the rows at either end that the hampel package leaves alone

HAMPEL = "rollmed hampel"
HAMPEL_ONE_THREAD = "rollmed hampel, 1 thread"
DETAILS = "rollmed hampel_details"
PACKAGE = "hampel package"
PANDAS = "pandas, by hand"
CALLS = {
    HAMPEL: f"s.rollmed.hampel({WINDOW}, n_sigmas={N_SIGMAS}, scale={SCALE})",
    HAMPEL_ONE_THREAD: f"s.rollmed.hampel({WINDOW}, n_sigmas={N_SIGMAS}, scale={SCALE})",
    DETAILS: f"s.rollmed.hampel_details({WINDOW}, n_sigmas={N_SIGMAS}, scale={SCALE})",
    PACKAGE: f"hampel.hampel(x, window_size={WINDOW}, n_sigma={N_SIGMAS})",
    PANDAS: f"pandas_hampel(s, {WINDOW}, {N_SIGMAS}, {SCALE})",
}
NOTES = {PACKAGE: " (rows past the edges, in float32: below)"}  # in the agreement column
ROLLMED_CALLS = (HAMPEL, HAMPEL_ONE_THREAD)
PEERS = (PACKAGE, PANDAS)


@dataclass(frozen=True)
class Results:
    n: int
    times: dict[str, float]
    agreement: dict[str, bool | None]  # does each other call give s.rollmed.hampel's values
    package_check: dict[str, int] | None  # the hampel package against rollmed, counts; None if missing


def spiky_input(n: int) -> np.ndarray:
    """The shared standard normal values, 1% of them pushed by 5 to 15 either way: spikes to remove."""
    x = harness.standard_normal_input(n).copy()
    rng = np.random.default_rng(SPIKES_SEED)
    where = rng.choice(n, n // 100, replace=False)
    x[where] += rng.choice([-1.0, 1.0], len(where)) * rng.uniform(5.0, 15.0, len(where))
    return x


def pandas_hampel(s: pd.Series, window: int, n_sigmas: float, scale: float) -> pd.Series:
    """The Hampel filter by hand: the centred rolling median, and the MAD by a rolling apply.

    min_periods=1 judges the edge rows on their shorter windows, as rollmed's default does.
    """
    rolling = s.rolling(window, center=True, min_periods=1)
    median = rolling.median()
    threshold = n_sigmas * scale * rolling.apply(window_mad, raw=True)
    return s.mask((s - median).abs() > threshold, median)


def hampel_contenders(x: np.ndarray, package: object) -> dict[str, Callable[[], object] | None]:
    s = pd.Series(x)

    def hampel() -> pd.Series:
        return s.rollmed.hampel(WINDOW, N_SIGMAS, scale=SCALE)

    found: dict[str, Callable[[], object] | None] = {
        HAMPEL: hampel,
        HAMPEL_ONE_THREAD: on_one_thread(hampel),
        DETAILS: lambda: s.rollmed.hampel_details(WINDOW, N_SIGMAS, scale=SCALE),
    }
    if package is not None:
        found[PACKAGE] = lambda: package.hampel(x, window_size=WINDOW, n_sigma=N_SIGMAS)
    found[PANDAS] = lambda: pandas_hampel(s, WINDOW, N_SIGMAS, SCALE)
    return found


def package_check(x: np.ndarray, package: object) -> dict[str, int]:
    """Where the hampel package and rollmed part: flags and values, away from the edges it skips.

    The package rounds the input to float32 and works there: rollmed is given the same
    rounded values too, to tell that rounding from the arithmetic.
    """
    inner = slice(EDGE, len(x) - EDGE)
    found = package.hampel(x, window_size=WINDOW, n_sigma=N_SIGMAS)
    flags = np.zeros(len(x), dtype=bool)
    flags[found.outlier_indices] = True
    counts = {"package outliers": int(flags.sum())}
    for label, values in (("float64", x), ("float32", x.astype(np.float32).astype(np.float64))):
        details = pd.Series(values).rollmed.hampel_details(WINDOW, N_SIGMAS, scale=SCALE)
        ours = details["outlier"].to_numpy()
        theirs, filtered = found.filtered_data[inner], details["filtered"].to_numpy()[inner]
        counts[f"{label} flags differ"] = int(np.count_nonzero(ours[inner] != flags[inner]))
        counts[f"{label} values differ"] = int(np.count_nonzero(filtered != theirs))
        # float32 keeps 24 bits: a relative 2**-23 is one rounding of the package's.
        counts[f"{label} values differ beyond float32"] = int(
            np.count_nonzero(~np.isclose(filtered, theirs, rtol=2.0**-23, atol=0.0))
        )
        if label == "float64":
            counts["rollmed outliers at the edges"] = int(ours.sum() - ours[inner].sum())
    return counts


def run(settings: Settings, peers: Peers) -> Results:
    n = QUICK_HAMPEL_N if settings.quick else HAMPEL_N
    print(f"Hampel filter, window {WINDOW}, n = {n:,} ...", flush=True)
    x = spiky_input(n)
    package = harness.optional_import("hampel")
    contenders = harness.warm_up(hampel_contenders(x, package))
    reference = harness.as_float_array(contenders[HAMPEL]())
    agreement: dict[str, bool | None] = {
        HAMPEL_ONE_THREAD: harness.agrees(contenders[HAMPEL_ONE_THREAD](), reference),
        DETAILS: harness.agrees(contenders[DETAILS]()["filtered"], reference),
        PANDAS: harness.agrees(contenders[PANDAS](), reference),
    }
    ours = {name: call for name, call in contenders.items() if name not in PEERS}
    theirs = {name: call for name, call in contenders.items() if name in PEERS}
    times = harness.median_times(ours, settings.repeat)
    times |= harness.median_times(theirs, min(settings.repeat, PEER_REPEAT))
    check = package_check(x, package) if PACKAGE in contenders else None
    if check is not None:  # away from the edges, and within the package's float32 rounding
        agreement[PACKAGE] = (
            check["float64 flags differ"] == 0 == check["float64 values differ beyond float32"]
        )
    return Results(n, times, agreement, check)


# --- report -------------------------------------------------------------------------------------


def targets_table(times: dict[str, float]) -> str:
    header = ["peer", "peer ms"]
    header += [f"peer / {name} (>= {TARGET:g}x)" for name in ROLLMED_CALLS]
    rows = []
    for peer in PEERS:
        row = [peer, format_ms(times.get(peer))]
        for ours in ROLLMED_CALLS:
            theirs, mine = times.get(peer), times.get(ours)
            verdict = (
                "n/a" if theirs is None or mine is None else "PASS" if theirs >= TARGET * mine else "MISS"
            )
            row.append(f"{speedup(theirs, mine)} {verdict}")
        rows.append(row)
    return markdown_table(header, rows)


def package_text(n: int, check: dict[str, int] | None) -> str:
    if check is None:
        return "The hampel package is not installed: n/a."
    inner = n - 2 * EDGE
    return (
        f"The hampel package against `s.rollmed.hampel_details` on rows {EDGE} to {n - EDGE - 1} "
        f"({inner:,} rows; the package leaves the {EDGE} rows at either end alone, their medians "
        f"and MADs unset, where rollmed judges them on their shorter centred windows and flags "
        f"{check['rollmed outliers at the edges']} of them). The package flags "
        f"{check['package outliers']:,} outliers. It rounds the input to float32 and computes there:\n\n"
        f"- on the float64 input: {check['float64 flags differ']} outlier flags differ; "
        f"{check['float64 values differ']:,} filtered values differ, "
        f"{check['float64 values differ beyond float32']} by more than float32's rounding (2**-23);\n"
        f"- with rollmed given the same float32-rounded values: {check['float32 flags differ']} flags "
        f"and {check['float32 values differ']} filtered values differ."
    )


def report(results: Results) -> str:
    rows = [
        [
            name,
            f"`{call}`",
            format_ms(results.times.get(name)),
            "(reference)" if name == HAMPEL else yes_no(results.agreement.get(name)) + NOTES.get(name, ""),
        ]
        for name, call in CALLS.items()
        if name in results.times
    ]
    return "\n\n".join(
        [
            f"## Hampel filter, window {WINDOW}, n_sigmas {N_SIGMAS}, n = {results.n:,}\n\n"
            f"Standard normal values with 1% of them spikes of 5 to 15 either way (seed {SPIKES_SEED}). "
            f"A value more than {N_SIGMAS:g} x {SCALE} x MAD from the median of its centred "
            f"{WINDOW}-value window is replaced by that median, by all three: the same window and "
            "threshold. `pandas_hampel` is the filter by hand: `r = s.rolling(21, center=True, "
            "min_periods=1)`, `r.median()`, and the MAD by `r.apply(mad, raw=True)`. "
            "`hampel_details` also returns the median, MAD and threshold of every row, as the "
            f"package does. The peers: median of {PEER_REPEAT} runs at most (seconds a call).",
            markdown_table(["what", "call", "ms", f"agrees with {HAMPEL}"], rows),
            f"Target (issue 11): `s.rollmed.hampel` >= {TARGET:g}x each peer.\n\n"
            + targets_table(results.times),
            package_text(results.n, results.package_check),
        ]
    )


SECTION = Section(NAME, run, report)
