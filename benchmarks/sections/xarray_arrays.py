"""rollmed's xarray accessor against xarray's own rolling median and quantile (issue 13).

In memory (NumPy-backed) and on dask (the threaded scheduler, both cores), on a (time,
station) table and a (time, lat, lon) cube of a year of hourly values; and the peak
memory of dask-backed calls in fresh subprocesses, for windows of several sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import harness
import numpy as np
from harness import RESIDENT_KIB_SOURCE, Peers, Section, Settings, format_mib, format_ms, speedup, yes_no

NAME = "xarray"
WINDOW = 101
Q = 0.9
TARGET = 100.0  # rollmed at least this many times faster than xarray's rolling median in memory
SLOW_SECONDS = 2.0  # calls slower than this are timed once: a ratio of seconds needs no median
TABLE, CUBE = (20_000, 50), (8_760, 100, 100)  # a year of hourly values on a 100 x 100 grid
QUICK_TABLE, QUICK_CUBE = (4_000, 20), (876, 20, 20)
SUBGRID = 10  # xarray's median of the cube is timed on a SUBGRID x SUBGRID corner, then scaled
MEMORY_CUBE = (8_760, 50, 50)  # a quarter of the cube: each run a few seconds


@dataclass(frozen=True)
class Case:
    name: str
    calls: dict[str, str]  # the call's text, by contender
    times: dict[str, float]  # seconds
    agrees: dict[str, bool]  # the contender's values against rollmed's, where compared
    reference: str  # the contender the others are compared with


@dataclass(frozen=True)
class Peak:
    what: str
    shape: tuple[int, ...]
    rows: int  # per chunk
    chunk_mib: float
    k: int
    mib: float | None


@dataclass(frozen=True)
class Results:
    numbagg: bool
    cases: list[Case] | None  # None without xarray
    peaks: list[Peak]


def _array(shape: tuple[int, ...], dtype=np.float64):
    import xarray as xr

    values = np.random.default_rng(harness.SEED).standard_normal(shape).astype(dtype)
    return xr.DataArray(values, dims=("time", "station") if len(shape) == 2 else ("time", "lat", "lon"))


def _close(result, reference, skip: int = WINDOW - 1) -> bool:
    """Whether two results hold the same values along time from ``skip`` on (where xarray pads)."""
    ours, theirs = (
        np.asarray(array.transpose("time", ...).values, np.float64) for array in (result, reference)
    )
    return bool(np.allclose(ours[skip:], theirs[skip:], equal_nan=True, rtol=1e-6))


def _timed(contenders: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, float], dict]:
    """Each contender's median time and first result; those slower than SLOW_SECONDS are timed once."""
    times, results = {}, {}
    for name, call in contenders.items():
        start = time.perf_counter()
        results[name] = call()
        times[name] = time.perf_counter() - start
    quick = {name: call for name, call in contenders.items() if times[name] < SLOW_SECONDS}
    return {**times, **harness.median_times(quick, repeat)}, results


def _case(name: str, contenders: dict, repeat: int, pairs: dict[str, str], reference: str):
    """Time ``contenders`` (what: (call text, call)); ``pairs``: a contender, the rollmed one it matches.

    Returns the case and each contender's result.
    """
    times, results = _timed({what: call for what, (_, call) in contenders.items()}, repeat)
    agrees = {what: _close(results[ours], results[what]) for what, ours in pairs.items()}
    print(f"  {name}: {harness.format_times(times)}", flush=True)
    calls = {what: text for what, (text, _) in contenders.items()}
    return Case(name, calls, times, agrees, reference), results


def _in_memory(table, cube, repeat: int) -> tuple[list[Case], object]:
    """The cases in memory, and rollmed's result on the cube (the dask cases' reference)."""
    k, q = WINDOW, Q
    small = table.isel(time=slice(0, 3 * k), station=slice(0, 2))
    small.rolling(time=k).median(), small.rolling(time=k).construct("window").quantile(q, dim="window")
    contenders = {
        "rollmed median": (f"da.rollmed.window(time={k})", lambda: table.rollmed.window(time=k)),
        "rollmed quantile": (
            f"da.rollmed.window(time={k}, q={q})",
            lambda: table.rollmed.window(time=k, q=q),
        ),
        "xarray median": (f"da.rolling(time={k}).median()", lambda: table.rolling(time=k).median()),
        "xarray quantile": (
            f'da.rolling(time={k}).construct("window").quantile({q}, dim="window")',
            lambda: table.rolling(time=k).construct("window").quantile(q, dim="window").drop_vars("quantile"),
        ),
    }
    pairs = {"xarray median": "rollmed median", "xarray quantile": "rollmed quantile"}
    table_case, _ = _case(f"{table.shape} float64", contenders, repeat, pairs, "xarray median")

    corner = cube[:, :SUBGRID, :SUBGRID]
    scale = cube.size / corner.size
    contenders = {
        "rollmed median": (f"cube.rollmed.window(time={k})", lambda: cube.rollmed.window(time=k)),
        "xarray median": (
            f"cube.rolling(time={k}).median(), timed on a {SUBGRID} x {SUBGRID} corner, x {scale:g}",
            lambda: corner.rolling(time=k).median(),
        ),
    }
    cube_case, results = _case(f"{cube.shape} float32", contenders, min(repeat, 3), {}, "xarray median")
    # Linear in the number of columns: the corner's time scaled to the whole grid (an estimate).
    cube_case.times["xarray median"] *= scale
    ours = results["rollmed median"]
    cube_case.agrees["xarray median"] = _close(ours[:, :SUBGRID, :SUBGRID], results["xarray median"])
    return [table_case, cube_case], ours


def _on_dask(table, cube, repeat: int, in_memory: tuple[float, object]) -> list[Case]:
    """The cases on dask; ``in_memory``: rollmed's time and result on the cube in memory."""
    import dask

    k = WINDOW
    table_chunks, cube_chunks = {"time": table.sizes["time"] // 10}, {"time": cube.sizes["time"] // 12}
    lazy_table, lazy_cube = table.chunk(table_chunks), cube.chunk(cube_chunks)
    table_contenders = {
        "rollmed median": (
            f"da.chunk({table_chunks}).rollmed.window(time={k}).compute()",
            lambda: lazy_table.rollmed.window(time=k).compute(),
        ),
        "xarray median": (
            f"da.chunk({table_chunks}).rolling(time={k}).median().compute()",
            lambda: lazy_table.rolling(time=k).median().compute(),
        ),
    }
    cube_contenders = {
        "rollmed median": (
            f"cube.chunk({cube_chunks}).rollmed.window(time={k}).compute()",
            lambda: lazy_cube.rollmed.window(time=k).compute(),
        )
    }
    with dask.config.set(scheduler="threads"):
        # numbagg compiles again for the blocks of a dask array: not on the clock
        lazy_table.isel(time=slice(0, 3 * k), station=slice(0, 2)).rolling(time=k).median().compute()
        name = f"{table.shape} float64 on dask, chunks of {table_chunks['time']} rows"
        pairs = {"xarray median": "rollmed median"}
        table_case, _ = _case(name, table_contenders, repeat, pairs, "xarray median")
        name = f"{cube.shape} float32 on dask, chunks of {cube_chunks['time']} rows"
        cube_case, results = _case(name, cube_contenders, min(repeat, 3), {}, "rollmed median in memory")
    # The in-memory call, timed above, as the reference.
    seconds, result = in_memory
    cube_case.calls["rollmed median in memory"] = f"cube.rollmed.window(time={k})"
    cube_case.times["rollmed median in memory"] = seconds
    cube_case.agrees["rollmed median in memory"] = _close(results["rollmed median"], result, skip=0)
    return [table_case, cube_case]


# A fresh process measures its own peak resident set (see harness.RESIDENT_KIB_SOURCE) over
# a dask-backed call reduced to one number, so that no result is ever whole in memory; the
# input is drawn chunk by chunk too. The peak is reset after a warm-up on a small input. One
# process a run: memory freed by an earlier run would be reused unseen by the next.
MEMORY_SNIPPET = """
import dask
import dask.array as dsa
import numpy as np
import xarray as xr
import rollmed.xarray
{resident_kib}
dask.config.set(scheduler="threads", num_workers=2)

def lazy(shape, rows):
    values = dsa.random.default_rng(1).standard_normal(shape, chunks=(rows, *shape[1:]), dtype=np.float32)
    return xr.DataArray(values, dims=("time", "lat", "lon"))

def run(array, k):
    return float({expression}.mean().compute())

run(lazy((300, 3, 3), 50), 11)  # imports, compiles
array = lazy({shape}, {rows})
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the peak starts again from what is resident now
before = resident_kib("VmRSS")
run(array, {k})
print((resident_kib("VmHWM") - before) / 1024)
"""


def _peaks(what: str, expression: str, shape: tuple[int, ...], runs: list[tuple[int, int]]) -> list[Peak]:
    """The peak memory of ``expression`` over ``shape`` for each (chunk rows, window) of ``runs``."""
    peaks = []
    for rows, k in runs:
        code = MEMORY_SNIPPET.format(
            resident_kib=RESIDENT_KIB_SOURCE, expression=expression, shape=shape, rows=rows, k=k
        )
        mib = harness.run_python(code)
        peaks.append(Peak(what, shape, rows, rows * int(np.prod(shape[1:])) * 4 / harness.MIB, k, mib))
        print(f"  peak memory, {what} {shape}, chunks of {rows} rows, k = {k}: {format_mib(mib)} MiB")
    return peaks


def run(settings: Settings, peers: Peers) -> Results:
    xr = harness.optional_import("xarray")
    numbagg = harness.optional_import("numbagg") is not None
    if xr is None or harness.optional_import("dask") is None:
        return Results(numbagg, None, [])
    import rollmed.xarray  # noqa: F401  (registers the xarray accessor)

    table_shape, cube_shape = (QUICK_TABLE, QUICK_CUBE) if settings.quick else (TABLE, CUBE)
    print(f"xarray, k = {WINDOW}: {table_shape} and {cube_shape} ...", flush=True)
    table, cube = _array(table_shape), _array(cube_shape, np.float32)
    cases, ours = _in_memory(table, cube, settings.repeat)
    cases += _on_dask(table, cube, settings.repeat, (cases[1].times["rollmed median"], ours))
    del table, cube, ours
    memory_shape = QUICK_CUBE if settings.quick else MEMORY_CUBE
    rows = memory_shape[0] // 12
    # Windows shorter and longer than a chunk; chunks of half and twice the rows.
    runs = [(rows, 11), (rows, WINDOW), (rows, 1001), (rows // 2, WINDOW), (rows * 2, WINDOW)]
    peaks = _peaks(
        "rollmed", "array.rollmed.window(time=k)", memory_shape, runs[: 2 if settings.quick else 5]
    )
    if not settings.quick:  # (xarray compiles numbagg anew in each process: half a minute)
        shape = (cube_shape[0], SUBGRID, SUBGRID)
        peaks += _peaks("xarray", "array.rolling(time=k).median()", shape, [(rows, WINDOW)])
    return Results(numbagg, cases, peaks)


def _case_table(case: Case) -> str:
    header = ["what", "call", "ms", f"{case.reference} / this (times faster)", "agrees with rollmed"]
    rows = [
        [
            what,
            f"`{call}`",
            format_ms(case.times.get(what)),
            speedup(case.times.get(case.reference), case.times.get(what)),
            yes_no(case.agrees[what]) if what in case.agrees else "",
        ]
        for what, call in case.calls.items()
    ]
    return f"### {case.name}\n\n" + harness.markdown_table(header, rows)


def _peak_table(peaks: list[Peak]) -> str:
    header = ["what", "shape", "chunk rows", "chunk, MiB", "k", "peak increase, MiB", "peak / chunk"]
    rows = [
        [
            peak.what,
            str(peak.shape),
            f"{peak.rows:,}",
            format_mib(peak.chunk_mib),
            f"{peak.k:,}",
            format_mib(peak.mib),
            "n/a" if peak.mib is None else f"{peak.mib / peak.chunk_mib:.1f}",
        ]
        for peak in peaks
    ]
    return harness.markdown_table(header, rows)


def report(results: Results) -> str:
    title = f"## xarray: `import rollmed.xarray`, k = {WINDOW}"
    if results.cases is None:
        return f"{title}\n\nxarray or dask is not installed: n/a."
    table = results.cases[0]
    numbagg = "numbagg installed: xarray uses it" if results.numbagg else "numbagg absent: NumPy's nanmedian"
    summary = (
        f"rollmed against xarray's rolling median in memory: "
        f"{harness.faster_or_slower(table.times['xarray median'], table.times['rollmed median'])}; target "
        f"{harness.target_text(table.times['xarray median'], table.times['rollmed median'], TARGET)}. "
        "rollmed's quantile against xarray's `construct().quantile()`: "
        f"{harness.faster_or_slower(table.times['xarray quantile'], table.times['rollmed quantile'])}."
    )
    return (
        f"{title}\n\n"
        f"xarray's own rolling reductions ({numbagg}); "
        f"calls slower than {SLOW_SECONDS:g} s are timed once. The cube's xarray median is timed on a "
        f"{SUBGRID} x {SUBGRID} corner of the grid and scaled to the whole grid (an estimate: the cost is "
        "linear in the columns). xarray pads the first k - 1 rows where rollmed gives NaN (min_periods = k): "
        "agreement is np.allclose from row k - 1 on. dask: the threaded scheduler, both cores.\n\n"
        + "\n\n".join(_case_table(case) for case in results.cases)
        + f"\n\n{summary}\n\n"
        "### Peak memory on dask\n\n"
        "The increase of the peak resident set of a fresh process over "
        "`array.rollmed.window(time=k).mean().compute()` (and xarray's `rolling(time=k).median()`), the "
        "input drawn chunk by chunk by `dask.array.random`, float32; the result float64. A window of "
        "1,001 rows reaches across two chunks of 730.\n\n" + _peak_table(results.peaks)
    )


SECTION = Section(NAME, run, report)
