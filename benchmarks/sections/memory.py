"""Peak memory of a call, each in a fresh subprocess that measures its own peak resident set."""

from __future__ import annotations

from dataclasses import dataclass

from harness import (
    MIB,
    RESIDENT_KIB_SOURCE,
    Peers,
    Section,
    Settings,
    format_mib,
    markdown_table,
    optional_import,
    run_python,
)

NAME = "memory"

# The child resets its peak (VmHWM) to its resident set just before the call, after a
# warm-up on a small input: the peak's increase is the call's (see RESIDENT_KIB_SOURCE).
MEMORY_SNIPPET = """
import numpy as np
import pandas as pd
import rollmed
{extra_import}

def run(x, s):
    return {expression}
{resident_kib}
small = np.arange(2_000, dtype=np.float64)
run(small, pd.Series(small))  # compile and warm up on a small input, outside the measurement
x = np.arange({n}, dtype=np.float64)  # arange writes every page: the input is resident
s = pd.Series(x)
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the peak starts again from what is resident now
before = resident_kib("VmRSS")
result = run(x, s)
print((resident_kib("VmHWM") - before) / 1024)
"""

# (what, expression on x (ndarray) or s (Series), module it needs beyond numpy, pandas and rollmed)
MEMORY_CASES = (
    ("rollmed `s.rollmed.window(3)`", "s.rollmed.window(3)", None),
    ("rollmed `s.rollmed.window(1001)`", "s.rollmed.window(1001)", None),
    ("rollmed `s.rollmed.expanding()`", "s.rollmed.expanding()", None),
    ("rollmed `move_median(x, 3)` (ndarray)", "rollmed.move_median(x, 3)", None),
    ("bottleneck `move_median(x, 3)`", "bottleneck.move_median(x, 3)", "bottleneck"),
    ("pandas `s.rolling(3).median()`", "s.rolling(3).median()", None),
    ("pandas `s.expanding().median()`", "s.expanding().median()", None),
)


@dataclass(frozen=True)
class Results:
    n: int
    peaks: dict[str, float | None]  # MiB, by case


def peak_memory_increase(expression: str, module: str | None, n: int) -> float | None:
    """The increase of the peak resident set, in MiB, that ``expression`` causes in a fresh process."""
    if module is not None and optional_import(module) is None:
        return None
    extra_import = f"import {module}" if module else ""
    code = MEMORY_SNIPPET.format(
        extra_import=extra_import, expression=expression, n=n, resident_kib=RESIDENT_KIB_SOURCE
    )
    return run_python(code)


def run(settings: Settings, peers: Peers) -> Results:
    n = 1_000_000 if settings.quick else 10_000_000
    print(f"peak memory, n = {n:,} (np.arange), in fresh subprocesses ...", flush=True)
    peaks = {}
    for what, expression, module in MEMORY_CASES:
        peaks[what] = peak_memory_increase(expression, module, n)
        print(f"  {what}: {format_mib(peaks[what])} MiB")
    return Results(n, peaks)


def report(results: Results) -> str:
    output_mib = results.n * 8 / MIB
    rows = [
        [what, format_mib(mib), format_mib(None if mib is None else mib - output_mib)]
        for what, mib in results.peaks.items()
    ]
    header = ["what", "peak increase, MiB", f"beyond the {output_mib:.1f} MiB result, MiB"]
    return (
        f"## Peak memory, n = {results.n:,} monotone increasing float64\n\n"
        "The increase of the peak resident set (VmHWM, reset just before the call) of a fresh "
        "process holding the input array and Series, after a warm-up call on a small input.\n\n"
        f"{markdown_table(header, rows)}"
    )


SECTION = Section(NAME, run, report)
