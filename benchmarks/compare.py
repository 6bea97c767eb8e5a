"""rollmed against every peer, side by side in one process.

Run it from anywhere; it benchmarks the rollmed checkout it lives in::

    python benchmarks/compare.py              # the full run, a few minutes
    python benchmarks/compare.py --quick      # a smoke test: smaller n, fewer repeats
    python benchmarks/compare.py --no-memory --no-startup --repeat 3
    python benchmarks/compare.py --only time,groups,quantile,integers
    python benchmarks/compare.py --only streaming,files

It times rolling medians (rollmed, bottleneck, scipy.ndimage, polars, pandas) over a
range of windows, on all threads and on one thread each (beside sorting n/k blocks of k
values), the expanding median, many columns at once, start-up and compile
costs in fresh subprocesses and peak memory, time windows ("1h" over irregular
timestamps), rolling medians within groups (``by=``), a rolling quantile, exact
integer medians, the streaming ``rollmed.RollingMedian`` against river (chunked and one
value at a time) and the peak memory of ``python -m rollmed`` on growing CSV files with
and without ``--chunksize``, and ``rollmed.dask`` against dask's own rolling
median, then prints markdown tables and writes them, with a log-log plot of
time against window, to ``benchmarks/results/`` (``compare.md``; a run with ``--only``
writes ``compare-only-<sections>.md`` instead, so as not to replace the full report).

Every time is the median of several warm runs, each library called in turn within a
round, on a noisy shared machine: read ratios, not single milliseconds. Missing
optional peers (bottleneck, scipy, polars, river, dask, matplotlib) are reported as "n/a".

This file parses the arguments and writes the report; ``harness.py`` holds the timing,
subprocess and table helpers, and ``sections/`` one module per section, registered in
``sections/__init__.py``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

# Run as a script from anywhere: its helpers sit next to it (harness, in turn, puts the
# checkout's rollmed first on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from harness import REPO_ROOT, SEED, Report, Settings, optional_import
from sections import SECTION_NAMES, SECTIONS

import rollmed


def thread_info() -> str:
    import numba

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    text = (
        f"numba.get_num_threads() = {numba.get_num_threads()}, os.cpu_count() = {os.cpu_count()}, "
        f"CPUs this process may use = {affinity}"
    )
    if hasattr(rollmed, "get_num_threads"):
        text += f", rollmed.get_num_threads() = {rollmed.get_num_threads()}"
    polars = optional_import("polars")
    if polars is not None:
        text += f", polars.thread_pool_size() = {polars.thread_pool_size()}"
    return text


def versions() -> str:
    names = ("numpy", "pandas", "numba", "bottleneck", "scipy", "polars")
    found = {name: getattr(optional_import(name), "__version__", "n/a") for name in names}
    return f"Python {platform.python_version()}, rollmed {rollmed.__version__}, " + ", ".join(
        f"{name} {version}" for name, version in found.items()
    )


def rollmed_revision() -> str:
    """The commit of the checkout benchmarked, and whether rollmed/ differs from it."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=False
        )

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changes = git("status", "--porcelain", "--", "rollmed")
    except OSError:
        return "git n/a"
    if commit.returncode != 0:
        return "not a git checkout"
    dirty = " with uncommitted changes to rollmed/" if changes.stdout.strip() else ""
    return f"commit {commit.stdout.strip()}{dirty}"


def parse_settings(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats: a smoke test")
    parser.add_argument("--repeat", type=int, help="warm runs per measurement (default 5, 2 with --quick)")
    parser.add_argument("--no-memory", action="store_true", help="skip the (slow) peak memory section")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and compile section")
    parser.add_argument(
        "--only",
        type=parse_sections,
        metavar="SECTION[,SECTION]",
        help=f"run only these sections, of: {', '.join(SECTION_NAMES)}",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(__file__).resolve().parent / "results",
        help="where compare.md and compare.png go (default: benchmarks/results)",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 5)
    if repeat < 1:
        parser.error("--repeat must be at least 1")
    sections = args.only or SECTION_NAMES
    skipped = {"memory": args.no_memory, "startup": args.no_startup}
    sections = tuple(section for section in sections if not skipped.get(section, False))
    if not sections:
        parser.error("--only and --no-memory/--no-startup leave no section to run")
    return Settings(
        n=100_000 if args.quick else 1_000_000,
        repeat=repeat,
        quick=args.quick,
        output_dir=args.output_dir,
        sections=sections,
        partial=args.only is not None,
    )


def parse_sections(text: str) -> tuple[str, ...]:
    """``--only``'s comma-separated section names, in the order the sections run."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(SECTION_NAMES))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SECTION_NAMES)}"
        )
    return tuple(section for section in SECTION_NAMES if section in names)


def header(settings: Settings) -> str:
    return "\n".join(
        [
            "# rollmed against its peers",
            "",
            f"{datetime.date.today().isoformat()}, {platform.machine()}, {versions()}.",
            f"Threads: {thread_info()}.",
            f"Times are medians of {settings.repeat} warm runs, the libraries taking turns, "
            "on a noisy shared machine. Input: float64 standard normal, seed "
            f"{SEED}. rollmed from {Path(rollmed.__file__).parent}, {rollmed_revision()}.",
            *([f"Sections run (--only): {', '.join(settings.sections)}."] if settings.partial else []),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    settings = parse_settings(argv)
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    report = Report()
    report.add(header(settings))
    done = harness.run_sections(SECTIONS, settings, harness.load_peers(), report)

    name = "compare" if not settings.partial else "compare-only-" + "-".join(settings.sections)
    markdown_path = settings.output_dir / f"{name}.md"
    report.write(markdown_path)
    print(f"tables written to {markdown_path}")
    for section, results in done:
        if section.write_files is not None:
            print(section.write_files(results, settings.output_dir))


if __name__ == "__main__":
    main()
