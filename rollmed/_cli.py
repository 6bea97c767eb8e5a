"""The command line, ``python -m rollmed``: the file mode, its checks, one-line errors.

Every expected failure (a missing file, a bad argument, a column that is not numeric...)
is reported as one line ``rollmed: error: ...`` on stderr with a non-zero exit status;
a traceback means a bug. Arguments are checked by rollmed's own checks
(:mod:`rollmed._checks`), their errors restated with the options' names. Ctrl-C,
SIGTERM and SIGHUP stop a run alike (:mod:`rollmed._stopping`): no output file is left
unless it is complete. Files are read and written by :mod:`rollmed._files`, time windows'
times by :mod:`rollmed._file_times`; the options are :mod:`rollmed._cli_parser`'s, the
statistics :mod:`rollmed._cli_statistics`'; the demo is :mod:`rollmed._demo`.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _demo, _file_times, _files, _filetypes, _values
from rollmed._chunked import ChunkedRolling, RollingColumn
from rollmed._cli_parser import Parser, build_parser, long_option
from rollmed._cli_statistics import (
    OPTIONS_OF,
    RESULT_WORDS,
    one_shot,
    result_names,
    results,
    settle_defaults,
    stream_factories,
)
from rollmed._files import USAGE_ERROR, CLIError
from rollmed._stopping import interrupted, quiet_stdout, stop_signals_interrupt

PROG = "rollmed"


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


@contextlib.contextmanager
def _in_option_words(parser: Parser) -> Iterator[None]:
    """A check's error restated with the option's name: ``--window must be at least 1, got 0``."""
    try:
        yield
    except _checks.ArgumentError as exc:
        raise CLIError(
            f"{parser.option_of(exc.name)} must be {exc.rule}, got {exc.value}", USAGE_ERROR
        ) from exc


def _check_arguments(args: argparse.Namespace, parser: Parser) -> None:
    """Every rule the arguments must follow, before any file is opened."""
    if not args.columns:
        raise CLIError("FILE needs at least one --column", USAGE_ERROR)
    if args.window is None:
        raise CLIError("FILE needs --window", USAGE_ERROR)
    for name, statistics in OPTIONS_OF.items():
        if getattr(args, name) not in (None, False) and args.stat not in statistics:
            raise CLIError(
                f"{parser.option_of(name)} goes with --stat {' or '.join(statistics)}, "
                f"not with --stat {args.stat}",
                USAGE_ERROR,
            )
    with _in_option_words(parser):
        args.window = _file_times.parse_window(args.window)
        timed = isinstance(args.window, str)
        if args.min_periods is not None:
            _checks.check_min_periods(args.min_periods, None if timed else args.window)
        for q in args.q or []:
            _checks.check_quantile(q, args.interpolation or "linear")
        if args.scale is not None:
            _checks.check_scale(args.scale)
        if args.n_sigmas is not None:
            _checks.check_n_sigmas(args.n_sigmas)
        if args.chunksize is not None:
            _checks.check_at_least("chunksize", args.chunksize, 1)
        _checks.check_step(args.step)
    if args.on is not None and not timed:
        raise CLIError(f"--on goes with a time window (-w 5min, say), not {args.window} rows", USAGE_ERROR)
    if not timed and args.closed not in (None, "right") and args.chunksize is not None:
        # The streams of --chunksize end a window of rows at its row.
        raise CLIError(f"--closed {args.closed} with a window of rows needs no --chunksize", USAGE_ERROR)


def _describe_columns(frame: pd.DataFrame, limit: int = 8) -> str:
    names = [repr(str(name)) for name in frame.columns[:limit]]
    more = len(frame.columns) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "") if names else "(none)"


def _numbers(column: pd.Series, has_rows: bool) -> pd.Series:
    """The column to take medians of: in a file without rows, pandas reads a CSV column as objects."""
    return column if has_rows or column.dtype != object else column.astype(np.float64)


def _check_columns(
    frame: pd.DataFrame,
    columns: Sequence[str],
    args: argparse.Namespace,
    source: Path,
    has_rows: bool,
    on: Any = None,
) -> None:
    """Every column named exists and can take the statistic; the results' columns are free.

    ``frame`` has the columns and types of the whole file (its first chunk will do).
    """
    for column in [*columns, *(name for name in (args.by, on) if name is not None)]:
        if column not in frame.columns:
            raise CLIError(f"no column {column!r} in {source}; its columns are {_describe_columns(frame)}")
    for column in columns:
        for target in result_names(column, args):
            if target in frame.columns:
                raise CLIError(
                    f"{source} already has a column {target!r}, "
                    f"where the {RESULT_WORDS[args.stat]} of {column!r} would go"
                )
        dtype = _numbers(frame[column], has_rows).dtype
        if not _values.is_supported(dtype):
            raise CLIError(f"column {column!r} is not numeric (dtype {frame[column].dtype})")


def _add_results(
    frame: pd.DataFrame, args: argparse.Namespace, columns: Sequence[str], on: Any = None
) -> pd.DataFrame:
    """``frame`` with the result columns (:func:`result_names`) of each of ``columns`` after the others.

    A time window rolls over the times of column ``on``: checked (never decreasing in a
    group) before any result.
    """
    result = frame.copy(deep=False)
    keys = None if args.by is None else frame[args.by]
    times = None
    if on is not None:
        times, keys = _file_times.times_and_keys(frame, on, args.by)
    for column in columns:
        values = _numbers(frame[column], len(frame) > 0)
        try:
            outputs = results(values if times is None else values.set_axis(times), args, keys)
        except (TypeError, ValueError) as exc:  # the arguments are checked before, so this is a backstop
            raise CLIError(f"column {column!r}: {exc}", USAGE_ERROR) from exc
        for name, output in zip(result_names(column, args), outputs, strict=True):
            result[name] = output.array
    return result


def _with_progress(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Show rows done on a terminal's stderr, where tqdm is installed."""
    if not sys.stderr.isatty():
        yield from chunks
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield from chunks
        return
    with tqdm(unit=" rows", unit_scale=True, file=sys.stderr, desc=PROG) as bar:
        for chunk in chunks:
            bar.update(len(chunk))
            yield chunk


def _first_rows(chunks: Iterator[pd.DataFrame]) -> tuple[pd.DataFrame, bool, Iterator[pd.DataFrame]]:
    """The first chunk with rows (or the last, if none has), whether the file has rows, and every chunk."""
    seen = [next(chunks)]
    while not len(seen[-1]):
        following = next(chunks, None)
        if following is None:
            break
        seen.append(following)
    return seen[-1], len(seen[-1]) > 0, itertools.chain(seen, chunks)


def _rolled_chunks(
    chunks: Iterator[pd.DataFrame], source: Path, args: argparse.Namespace, columns: list[str], on: Any = None
) -> Iterator[pd.DataFrame]:
    """The file's rows with their results, a chunk at a time (checked before the first)."""
    first, has_rows, chunks = _first_rows(chunks)
    _check_columns(first, columns, args, source, has_rows, on)
    if on is not None:  # a time window: the one-shot statistic of the rows held within reach
        results = [
            (column, name, _numbers(first[column], has_rows), one_shot(args, index))
            for column in columns
            for index, name in enumerate(result_names(column, args))
        ]
        rolling: ChunkedRolling | _file_times.TimeRolling = _file_times.TimeRolling(
            first, results, on, args.window, args.center, args.by
        )
    else:
        targets = [
            RollingColumn(column, name, factory)
            for column in columns
            for name, factory in zip(
                result_names(column, args),
                stream_factories(_numbers(first[column], has_rows).dtype, args),
                strict=True,
            )
        ]
        # Every column has the same window: a centred one's results come its centre lag late.
        lag = targets[0].factory.centre_lag if args.center else 0
        rolling = ChunkedRolling(targets, by=args.by, lag=lag)
    try:
        for chunk in _with_progress(chunks):
            yield rolling.feed(chunk)
        yield rolling.finish()
    except (TypeError, ValueError) as exc:  # the file's types are checked before, so this is a backstop
        raise CLIError(f"cannot compute the {RESULT_WORDS[args.stat]}s of {source}: {exc}") from exc


def _to_stdout(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """``frames``; a failure after the first rows says that they are written already."""
    written = False
    try:
        for frame in frames:
            yield frame
            written = written or len(frame) > 0
    except CLIError as exc:
        if written:
            exc.message += " (the rows before it are on standard output: the output is incomplete)"
        raise


def _run_file(args: argparse.Namespace, parser: Parser) -> int:
    """The file mode: check everything that can be checked before reading, read, compute, write."""
    _check_arguments(args, parser)
    settle_defaults(args)
    source = Path(args.file)
    output = None if args.output is None else Path(args.output)
    kinds = {_files.file_format(source, "input")}
    if output is not None:
        kinds.add(_files.file_format(output, "output"))
    if "parquet" in kinds:
        _files.require_pyarrow()
    columns = list(dict.fromkeys(args.columns))  # a column named twice is computed once
    on = _file_times.time_column(args.window, args.on, source)
    if args.chunksize is not None:
        chunks, date_formats = _files.read_chunks(source, args.chunksize)
        frames = _files.every(_rolled_chunks(chunks, source, args, columns, on), args.step)
        _files.write_frames(output, frames if output is not None else _to_stdout(frames), date_formats)
        return 0
    frame = _files.read_whole(source)
    _check_columns(frame, columns, args, source, len(frame) > 0, on)
    result = _add_results(frame, args, columns, on)
    # Dates written as finely as the whole column, as --chunksize writes the rows it keeps.
    formats = None if args.step is None else _filetypes.format_witnesses(iter([result]))
    _files.write_frames(output, _files.every(iter([result]), args.step), formats)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``python -m rollmed`` command line.

    Without arguments, a demo on the sample data bundled with rollmed: the rolling median
    around the largest spike, then a timing against pandas. With ``FILE --column C
    --window K``, the rolling median of each column ``C`` of a CSV or Parquet file, written
    with all the input columns as ``C_rollmed`` to ``--output`` or as CSV to stdout; with
    ``--stat mad``, ``rank`` or ``hampel``, that statistic as ``C_mad``, ``C_rank`` or ``C_hampel``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name; by default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for a bad command line, 1 for any other failure,
        which is reported as one line ``rollmed: error: ...`` on stderr; 128 plus the
        signal's number when stopped by Ctrl-C (130), SIGTERM or SIGHUP.

    Examples
    --------
    >>> import rollmed._cli
    >>> rollmed._cli.main(["--version"])  # doctest: +ELLIPSIS
    rollmed ...
    0
    """
    parser = build_parser()
    try:
        with stop_signals_interrupt():
            args = parser.parse_args(argv)
            if args.file is not None:
                return _run_file(args, parser)
            given = [long_option(a) for a in parser.file_options if getattr(args, a.dest) != a.default]
            if given:
                raise CLIError(f"{given[0]} needs a FILE (run without arguments for the demo)", USAGE_ERROR)
            return _demo.run_demo(sys.stdout)
    except CLIError as exc:
        print(f"{PROG}: error: {_one_line(exc.message)}", file=sys.stderr)
        return exc.status
    except BrokenPipeError:
        return quiet_stdout()
    except SystemExit as exc:  # --help and --version print and exit
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt as exc:
        return interrupted(exc)
