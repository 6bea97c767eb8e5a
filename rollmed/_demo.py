"""The demo of ``python -m rollmed``: the bundled sample around its largest spike, and a timing."""

from __future__ import annotations

import importlib.resources
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np
import pandas as pd

import rollmed  # registers the .rollmed accessor
from rollmed._files import FAILURE, CLIError

# The demo: the window it uses, the rows it times on, and how many runs it keeps the best of.
DEMO_WINDOW = 21
DEMO_ROWS = 1_000_000
DEMO_REPEATS = 3


def _load_sample() -> pd.DataFrame:
    resource = importlib.resources.files("rollmed") / "data" / "sample.csv"
    try:
        with resource.open("rb") as handle:
            return pd.read_csv(handle)
    except FileNotFoundError:
        raise CLIError("the sample data bundled with rollmed is missing: reinstall rollmed") from None


def _best_time(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _format_duration(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def run_demo(out: TextIO, rows: int | None = None, repeats: int | None = None) -> int:
    """The demo: a before/after table around the largest spike of the sample, then a timing against pandas.

    Parameters
    ----------
    out : text file
        Where the demo writes (standard output on the command line).
    rows, repeats : int, optional
        The rows to time on (at least), and the runs to keep the best of: by default
        ``DEMO_ROWS`` and ``DEMO_REPEATS``.

    Returns
    -------
    int
        0, or 1 if rollmed's and pandas' results differ (a bug to report).

    Examples
    --------
    >>> import io
    >>> from rollmed._demo import run_demo
    >>> out = io.StringIO()
    >>> run_demo(out, rows=10_000, repeats=1), "The two results agree" in out.getvalue()
    (0, True)
    """
    rows = DEMO_ROWS if rows is None else rows
    repeats = DEMO_REPEATS if repeats is None else repeats
    frame = _load_sample()
    signal = frame["signal"]
    window = DEMO_WINDOW
    call = f"s.rollmed.window({window}, center=True, min_periods=1)"
    pandas_call = f"s.rolling({window}, center=True, min_periods=1).median()"

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    missing = signal.isna()
    longest_gap = int(missing.groupby((~missing).cumsum()).sum().max())
    say(f"rollmed {rollmed.__version__} demo")
    say()
    say(
        f"The bundled sample: {len(frame):,} readings one second apart, a slow sine under Gaussian noise,\n"
        f"with large spikes and {int(missing.sum())} missing values (the longest gap is {longest_gap} rows)."
    )
    say(f"Its centred rolling median over {window} readings ignores the spikes and bridges the gaps.")
    say("The first call compiles rollmed's numba kernels, once: they are cached on disk for later runs.")
    say()

    start = time.perf_counter()
    median = signal.rollmed.window(window, center=True, min_periods=1)
    first_call = time.perf_counter() - start

    spike = int(np.nanargmax((signal - median).abs().to_numpy()))
    say(f"{call} took {_format_duration(first_call)} (the first call).")
    say(f"Around the largest spike, row {spike:,}:")
    say()
    around = slice(max(spike - 5, 0), spike + 7)
    table = pd.DataFrame(
        {
            "time": frame["time"].iloc[around],
            "signal": signal.iloc[around],
            "rolling median": median.iloc[around],
            "": np.where(np.arange(len(frame))[around] == spike, "<- spike", ""),
        }
    )
    for line in table.to_string(index=False, float_format=lambda value: f"{value:.3f}").splitlines():
        say("  " + line.rstrip())
    say()

    copies = -(-rows // len(frame))
    big = pd.Series(np.tile(signal.to_numpy(), copies), name="signal")
    say(
        f"Timing on the sample repeated {copies} times ({len(big):,} rows), "
        f"best of {repeats} runs after the first call:"
    )
    say()
    ours = big.rollmed.window(window, center=True, min_periods=1)
    rollmed_time = _best_time(lambda: big.rollmed.window(window, center=True, min_periods=1), repeats)
    theirs = big.rolling(window, center=True, min_periods=1).median()
    pandas_time = _best_time(lambda: big.rolling(window, center=True, min_periods=1).median(), repeats)
    width = max(len(call), len(pandas_call))
    say(f"  rollmed  {call:<{width}}  {_format_duration(rollmed_time):>10}")
    say(f"  pandas   {pandas_call:<{width}}  {_format_duration(pandas_time):>10}")
    say(f"  rollmed is {pandas_time / rollmed_time:.1f}x as fast as pandas here.")
    say()
    agree = np.allclose(ours.to_numpy(), theirs.to_numpy(), equal_nan=True)
    if not agree:
        say("The two results DIFFER (np.allclose with equal_nan=True): this is a bug, please report it.")
        return FAILURE
    say("The two results agree (np.allclose, with NaN equal to NaN).")
    say()
    say("On your own data: python -m rollmed FILE --column NAME --window 21 --center [--output OUT]")
    return 0
