"""What every section of ``compare.py`` shares: settings, peers, timing, subprocesses, tables.

A section (one module of ``sections/``) builds its contenders, times them with
:func:`median_times` (or in fresh processes with :func:`run_python`) and formats its
results with the table helpers here; :func:`run_sections` runs the registered sections
in order and collects their markdown in a :class:`Report`.
"""

from __future__ import annotations

import functools
import gc
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
# Benchmark the checkout next to this script, even where another rollmed is installed
# or named earlier on PYTHONPATH.
sys.path.insert(0, str(REPO_ROOT))

import rollmed  # noqa: E402

SEED = 20240601
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    n: int
    repeat: int
    quick: bool  # a smoke test: each section picks its own smaller cases
    output_dir: Path
    sections: tuple[str, ...]  # the names of the sections to run
    partial: bool = False  # --only: some sections alone, reported in a file of their own


@dataclass(frozen=True)
class Peers:
    """The optional peers' modules; None where the import failed."""

    bottleneck: ModuleType | None
    ndimage: ModuleType | None
    polars: ModuleType | None


@dataclass(frozen=True)
class Section:
    """One section of the report: ``run`` measures, ``report`` turns its results into markdown.

    ``write_files``, where given, writes further files (a plot) from the results into the
    output directory once the report is written, and returns a line to print.
    """

    name: str
    run: Callable[[Settings, Peers], Any]  # each section its own results type
    report: Callable[[Any], str]
    write_files: Callable[[Any, Path], str] | None = None


def optional_import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def load_peers() -> Peers:
    return Peers(
        bottleneck=optional_import("bottleneck"),
        ndimage=optional_import("scipy.ndimage"),
        polars=optional_import("polars"),
    )


@functools.cache
def standard_normal_input(n: int) -> np.ndarray:
    """The float64 input most sections share: ``n`` standard normal values drawn with SEED.

    Drawn once a run, and the same whichever sections run.
    """
    return np.random.default_rng(SEED).standard_normal(n)


# --- timing -------------------------------------------------------------------------------------


# A pause before each timed call: long enough for the previous library's thread pool to
# stop spinning (polars' workers spin on the second core for a while after a call,
# slowing whatever runs next by a quarter on this 2-core machine).
SETTLE_SECONDS = 0.05


def time_once(func: Callable[[], object]) -> float:
    time.sleep(SETTLE_SECONDS)
    gc.collect()
    # As timeit does: a collection in the middle of a run is noise, not the library's cost.
    gc.disable()
    try:
        start = time.perf_counter()
        result = func()  # held until the clock stops: freeing it is not part of the call
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    del result
    return elapsed


def median_times(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The median time of each function, in seconds.

    The functions take turns within each round, so that a noisy moment of the shared
    machine lands on every library alike rather than on whichever ran then; and each
    round runs them in a new order (seeded: the same every run), so that none always
    runs right after the same neighbour: the call after pandas' rolling median, which
    churns through memory, is a few ms slower whoever makes it.
    """
    times: dict[str, list[float]] = {name: [] for name in funcs}
    order = list(funcs)
    shuffler = random.Random(SEED)
    for _ in range(repeat):
        shuffler.shuffle(order)
        for name in order:
            times[name].append(time_once(funcs[name]))
    return {name: statistics.median(values) for name, values in times.items()}


def warm_up(funcs: dict[str, Callable[[], object] | None]) -> dict[str, Callable[[], object]]:
    """Call every function once (compiling, lazy imports); drop, with a warning, those that fail.

    None stands for a contender that cannot run here (see :func:`on_one_thread`): left out.
    """
    working = {}
    for name, func in funcs.items():
        if func is None:
            continue
        try:
            func()
        except Exception as error:  # a broken optional peer must not end the benchmark
            print(f"warning: {name} failed its warm-up call and is left out: {error!r}", file=sys.stderr)
        else:
            working[name] = func
    return working


def on_one_thread(func: Callable[[], object]) -> Callable[[], object] | None:
    """``func`` with rollmed's kernels on a single thread, as bottleneck's, scipy's and pandas' run.

    None for a rollmed without ``set_num_threads``, whose kernels are single-threaded anyway.
    """
    if not hasattr(rollmed, "set_num_threads"):
        return None

    def call() -> object:
        previous = rollmed.get_num_threads()
        rollmed.set_num_threads(1)
        try:
            return func()
        finally:
            rollmed.set_num_threads(previous)

    return call


# --- results ------------------------------------------------------------------------------------


def as_float_array(result: object) -> np.ndarray:
    """A pandas or polars Series or an ndarray as a float64 ndarray, nulls as NaN."""
    values = result.to_numpy() if hasattr(result, "to_numpy") else result
    return np.asarray(values, dtype=np.float64)


def agrees(result: object, reference: np.ndarray, start: int = 0) -> bool:
    return bool(np.allclose(as_float_array(result)[start:], reference[start:], equal_nan=True))


def check_agreement(
    contenders: dict[str, Callable[[], object]], reference_name: str, starts: dict[str, int] | None = None
) -> dict[str, bool | None]:
    """Whether each other contender's result matches the reference contender's (np.allclose, equal_nan).

    ``starts`` gives, by name, the first index compared (past an edge a library pads).
    """
    reference = as_float_array(contenders[reference_name]())
    starts = starts or {}
    return {
        name: agrees(func(), reference, starts.get(name, 0))
        for name, func in contenders.items()
        if name != reference_name
    }


def fastest(times: dict[str, float], names: tuple[str, ...]) -> tuple[str, float] | tuple[None, None]:
    """The fastest of ``names`` that have a time, and its time; (None, None) if none has."""
    available = [(times[name], name) for name in names if name in times]
    if not available:
        return None, None
    seconds, name = min(available)
    return name, seconds


# --- fresh subprocesses -------------------------------------------------------------------------

# Python source defining resident_kib(field): a field of /proc/self/status in KiB, for
# snippets that measure their own resident set. ru_maxrss would not do: a child started by
# exec inherits the peak of the process that started it, this benchmark's own hundreds of
# MiB, which hides the child's peak; Linux lets a process read (and reset) its own VmHWM.
RESIDENT_KIB_SOURCE = """
def resident_kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
"""


def run_python_output(code: str, extra_env: dict[str, str] | None = None) -> list[str] | None:
    """Run ``code`` in a fresh interpreter on this checkout's rollmed; its stdout lines, or None on failure.

    The checkout goes first on PYTHONPATH: an installed rollmed (even an editable install of
    another checkout) comes after it.
    """
    python_path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path, **(extra_env or {})}
    # Imports as an installed package has them: from bytecode that the untimed round writes.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False
    )
    if process.returncode != 0:
        print(
            f"warning: a subprocess failed:\n{textwrap.indent(process.stderr[-2000:], '    ')}",
            file=sys.stderr,
        )
        return None
    return process.stdout.splitlines()


def run_python_numbers(code: str, extra_env: dict[str, str] | None = None) -> list[float] | None:
    """Run ``code`` in a fresh interpreter; the numbers it prints on its last line, or None if it failed."""
    lines = run_python_output(code, extra_env)
    return None if lines is None else [float(word) for word in lines[-1].split()]


def run_python(code: str, extra_env: dict[str, str] | None = None) -> float | None:
    """Run ``code`` in a fresh interpreter; the number it prints last, or None if it failed."""
    numbers = run_python_numbers(code, extra_env)
    return None if numbers is None else numbers[-1]


# --- a section's function in a fresh process (polars sizes its thread pool once, when imported) -

FRESH_PROCESS_CODE = (
    "import json, sys; sys.path.insert(0, {path!r}); import harness; from sections import {module}; "
    "print(json.dumps([{module}.{function}(*{args!r}), harness.thread_counts(), harness.rollmed.__file__]))"
)


def thread_counts() -> dict[str, int]:
    import numba

    threads = {"numba.get_num_threads()": numba.get_num_threads()}
    threads["rollmed.get_num_threads()"] = rollmed.get_num_threads()
    if "polars" in sys.modules:
        threads["polars.thread_pool_size()"] = sys.modules["polars"].thread_pool_size()
    return threads


def run_in_fresh_process(
    module: str, function: str, args: tuple, env: dict[str, str]
) -> tuple[Any, dict] | None:
    """``sections.<module>.<function>(*args)`` in a fresh process started with ``env`` (through JSON,
    which makes dict keys strings), and that process's thread counts; None if it failed."""
    code = FRESH_PROCESS_CODE.format(path=str(BENCHMARKS_DIR), module=module, function=function, args=args)
    try:
        result, threads, rollmed_path = json.loads(run_python_output(code, env)[-1])
    except (TypeError, IndexError, ValueError):  # the process failed, or printed no result last
        print(f"warning: the fresh process for {module}.{function} printed no result", file=sys.stderr)
        return None
    if Path(rollmed_path).resolve() != Path(rollmed.__file__).resolve():
        print(f"warning: the fresh process imported rollmed from {rollmed_path}", file=sys.stderr)
    return result, threads


def thread_tables(all_threads: str, env: dict[str, str], threads: dict, one_thread: str | None) -> str:
    """A section's table on all threads (this process) and on one (a fresh process, None if it failed)."""
    counts = ", ".join(f"{call} = {count}" for call, count in threads.items())
    if any(count != 1 for count in threads.values()):
        counts += " (NOT all on one thread: these times are not a one-thread comparison)"
    started = ", ".join(f"{name}={value}" for name, value in env.items())
    one_thread_text = "n/a: the fresh process failed (its warning is printed on stderr)."
    if one_thread is not None:
        one_thread_text = f"In a fresh process started with {started}, where {counts}:\n\n{one_thread}"
    return (
        f"### All threads ({rollmed.get_num_threads()} for rollmed), this process\n\n{all_threads}\n\n"
        f"### One thread each\n\n{one_thread_text}"
    )


# --- formatting ---------------------------------------------------------------------------------


def format_ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def format_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator / denominator:.2f}"


def format_mib(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib:.1f}"


def format_times(times: dict[str, float]) -> str:
    """Times for a progress line: "rollmed 4.91 ms, pandas 56.3 ms"."""
    return ", ".join(f"{name} {format_ms(seconds)} ms" for name, seconds in times.items())


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def speedup(reference: float | None, seconds: float | None) -> str:
    """How many times faster than ``reference`` ``seconds`` is, as "5.9x"."""
    if reference is None or seconds is None:
        return "n/a"
    return f"{reference / seconds:.1f}x"


def faster_or_slower(reference: float | None, seconds: float | None) -> str:
    """``seconds`` against ``reference`` in words: "5.9x faster" or "1.4x slower"."""
    if reference is None or seconds is None:
        return "n/a"
    if seconds <= reference:
        return f"{reference / seconds:.1f}x faster"
    return f"{seconds / reference:.1f}x slower"


def target_text(reference: float | None, seconds: float | None, target: float) -> str:
    if reference is None or seconds is None:
        return "n/a"
    return f"{'met' if reference / seconds >= target else 'NOT met'} (>= {target:g}x)"


def yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "NO"


@dataclass(frozen=True)
class Versus:
    """The results a :func:`versus_table` shows: each contender's call and time, and agreement.

    ``agreement`` holds, by contender, whether its result matches rollmed's (the reference,
    left out); None where the section checks its results otherwise.
    """

    n: int
    calls: dict[str, str]
    times: dict[str, float]
    agreement: dict[str, bool | None] | None


def versus_table(results: Versus, reference: str) -> str:
    """One row per contender: the call, its time, how many times faster than ``reference``, agreement.

    The agreement column is left out where ``results.agreement`` is None.
    """
    times, agreement = results.times, results.agreement
    header = ["what", "call", "ms", f"{reference} / this (times faster)"]
    rows = [
        [name, f"`{call}`", format_ms(times.get(name)), speedup(times.get(reference), times.get(name))]
        for name, call in results.calls.items()
        if name in times
    ]
    if agreement is not None:
        header.append("agrees with rollmed")
        for row in rows:
            row.append("(reference)" if row[0] not in agreement else yes_no(agreement[row[0]]))
    return markdown_table(header, rows)


def versus_summary(
    times: dict[str, float], rollmed_name: str, reference: str, target: float, peers: tuple[str, ...]
) -> str:
    """The target line under a table: rollmed against ``reference``, and against the fastest peer."""
    text = (
        f"{rollmed_name} against {reference}: "
        f"{faster_or_slower(times.get(reference), times.get(rollmed_name))}; "
        f"target {target_text(times.get(reference), times.get(rollmed_name), target)}."
    )
    name, seconds = fastest(times, peers)
    if name is not None:
        text += f" Against the fastest peer ({name}): {faster_or_slower(seconds, times.get(rollmed_name))}."
    return text


# --- running the sections -----------------------------------------------------------------------


class Report:
    """Prints each part as it is done and keeps it for the markdown file."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        print(text + "\n", flush=True)
        self.parts.append(text)

    def write(self, path: Path) -> None:
        path.write_text("\n\n".join(self.parts) + "\n")


def run_sections(
    sections: tuple[Section, ...], settings: Settings, peers: Peers, report: Report
) -> list[tuple[Section, object]]:
    """Run the sections ``settings`` names, in the order given, adding each one's markdown to ``report``.

    Returns each section run with its results, for the files written after the report.
    """
    done = []
    for section in sections:
        if section.name in settings.sections:
            results = section.run(settings, peers)
            report.add(section.report(results))
            done.append((section, results))
    return done
