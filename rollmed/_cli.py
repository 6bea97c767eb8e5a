"""The command line, ``python -m rollmed``: the parser, the file mode, one-line errors.

Every expected failure (a missing file, a bad argument, a column that is not numeric...)
is reported as one line ``rollmed: error: ...`` on stderr with a non-zero exit status;
a traceback means a bug. Arguments are checked by rollmed's own checks
(:mod:`rollmed._checks`), their errors restated with the options' names. Ctrl-C,
SIGTERM and SIGHUP stop a run alike (:mod:`rollmed._stopping`): no output file is left
unless it is complete. Files are read and written by :mod:`rollmed._files`, time windows'
times by :mod:`rollmed._file_times`; the demo is :mod:`rollmed._demo`.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

import rollmed  # registers the .rollmed accessor
from rollmed import _checks, _demo, _file_times, _files, _filetypes, _values
from rollmed._chunked import ChunkedRolling, RollingColumn
from rollmed._factories import MedianStreams
from rollmed._files import USAGE_ERROR, CLIError
from rollmed._stopping import interrupted, quiet_stdout, stop_signals_interrupt

PROG = "rollmed"
RESULT_SUFFIX = "_rollmed"  # the result of column C is column C_rollmed


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, reported by :func:`main` like any other.

    The options of the file mode are added by :meth:`add_file_option`, which keeps them:
    given without a FILE, they are an error.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_options: list[argparse.Action] = []

    def add_file_option(self, *flags: str, **kwargs: Any) -> None:
        """An option of the file mode."""
        self.file_options.append(self.add_argument(*flags, **kwargs))

    def option_of(self, name: str) -> str:
        """The long option that sets the parameter ``name`` (``--min-periods`` for ``min_periods``)."""
        for action in self.file_options:
            if action.dest == name:
                return action.option_strings[-1]
        return name

    def error(self, message: str) -> NoReturn:
        """Raise a usage error instead of printing the usage and exiting.

        Parameters
        ----------
        message : str
            argparse's description of the problem.

        Raises
        ------
        CLIError
            Always, with status 2.
        """
        raise CLIError(f"{message} (see 'python -m rollmed --help')", USAGE_ERROR)


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="python -m rollmed",
        description=(
            "Rolling medians of the columns of a CSV or Parquet file, with rollmed's numba kernels.\n"
            "Without arguments, a demo on the sample data bundled with rollmed."
        ),
        epilog=(
            "examples:\n"
            "  python -m rollmed                      # the demo\n"
            "  python -m rollmed data.csv --column signal --window 21 --center > smooth.csv\n"
            "  python -m rollmed data.parquet -c a -c b -w 60 --min-periods 1 -o out.parquet\n"
            "  python -m rollmed data.csv -c signal -w 5min --on time --by sensor --chunksize 100000\n"
            "\n"
            "The output holds every input column and, for each --column C, a column C_rollmed:\n"
            "the median of the last WINDOW rows (or of WINDOW rows centred on the row, with\n"
            "--center), ignoring missing values, as pandas' s.rolling(WINDOW).median() gives.\n"
            "With a time window (-w 5min), the median of the rows of the last 5 minutes up to\n"
            "the row's time (centred: 2.5 minutes either side), as pandas' rolling('5min')\n"
            "gives over the times of --on; with --chunksize a row with a centred time window\n"
            "is written once a row of its group more than half the span later is read (or\n"
            "the file ends): memory holds the rows within the span around the waiting rows.\n"
            "An output file appears only once complete: a failure, Ctrl-C, SIGTERM or SIGHUP\n"
            "leaves none. Standard output cannot be taken back: with --chunksize, a failure\n"
            "after the first rows leaves them written, and the exit status is not 0."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a .csv (optionally .gz, .bz2, .xz or .zip compressed), .parquet or .pq file",
    )
    parser.add_file_option(
        "-c",
        "--column",
        action="append",
        dest="columns",
        metavar="C",
        help="a numeric column to take the rolling median of; repeat for several columns",
    )
    parser.add_file_option(
        "-w",
        "--window",
        metavar="W",
        help="the window: a number of rows (at least 1), or a span of time such as 30s, 5min or 1h "
        "(any fixed pandas offset) over the times of --on",
    )
    parser.add_file_option(
        "--on",
        metavar="T",
        help="the column of times a time window rolls over, read as pandas.to_datetime reads it "
        "(to the nanosecond), never decreasing within a --by group; by default a Parquet file's "
        "datetime index (the column it becomes)",
    )
    parser.add_file_option(
        "--center", action="store_true", help="centre the window on each row instead of ending it there"
    )
    parser.add_file_option(
        "--closed",
        choices=_checks.CLOSED,
        help="which ends of the window it includes, as pandas' closed (default right)",
    )
    parser.add_file_option(
        "--step",
        type=int,
        metavar="S",
        help="write only every S-th row of the file (rows 1, 1+S, 1+2S...) with its result, as "
        "pandas' rolling(step=S) gives; the windows stay those of every row",
    )
    parser.add_file_option(
        "--min-periods",
        type=int,
        metavar="M",
        help="the least number of non-missing values a window needs for a median "
        "(from 0 to W for a window of rows, default W; default 1 for a time window); "
        "windows with fewer give an empty value",
    )
    parser.add_file_option(
        "--q",
        type=float,
        default=0.5,
        metavar="Q",
        help="the quantile, from 0 to 1 (default 0.5: the median)",
    )
    parser.add_file_option(
        "--interpolation",
        default="linear",
        choices=sorted(_checks.INTERPOLATIONS),
        help="how to read a quantile between two values, as pandas (default linear)",
    )
    parser.add_file_option(
        "--by", metavar="B", help="roll within the groups of rows with equal values of column B"
    )
    parser.add_file_option(
        "--chunksize",
        type=int,
        metavar="N",
        help="read, compute and write N rows at a time, so that memory follows N and the rows a "
        "window holds, not the file; the result is the same, byte for byte (a first pass over "
        "the file settles each column's type)",
    )
    parser.add_file_option(
        "-o",
        "--output",
        metavar="OUT",
        help="write to OUT, CSV or Parquet by its extension, instead of CSV to stdout",
    )
    parser.add_argument("--version", action="version", version=f"rollmed {rollmed.__version__}")
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


@contextlib.contextmanager
def _in_option_words(parser: _Parser) -> Iterator[None]:
    """A check's error restated with the option's name: ``--window must be at least 1, got 0``."""
    try:
        yield
    except _checks.ArgumentError as exc:
        raise CLIError(
            f"{parser.option_of(exc.name)} must be {exc.rule}, got {exc.value}", USAGE_ERROR
        ) from exc


def _check_arguments(args: argparse.Namespace, parser: _Parser) -> None:
    """Every rule the arguments must follow, before any file is opened."""
    if not args.columns:
        raise CLIError("FILE needs at least one --column", USAGE_ERROR)
    if args.window is None:
        raise CLIError("FILE needs --window", USAGE_ERROR)
    with _in_option_words(parser):
        args.window = _file_times.parse_window(args.window)
        timed = isinstance(args.window, str)
        if args.min_periods is not None:
            _checks.check_min_periods(args.min_periods, None if timed else args.window)
        _checks.check_quantile(args.q, args.interpolation)
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
    frame: pd.DataFrame, columns: Sequence[str], by: str | None, source: Path, has_rows: bool, on: Any = None
) -> None:
    """Every column named exists and can take a median; the results' columns are free.

    ``frame`` has the columns and types of the whole file (its first chunk will do).
    """
    for column in [*columns, *(name for name in (by, on) if name is not None)]:
        if column not in frame.columns:
            raise CLIError(f"no column {column!r} in {source}; its columns are {_describe_columns(frame)}")
    for column in columns:
        target = f"{column}{RESULT_SUFFIX}"
        if target in frame.columns:
            raise CLIError(
                f"{source} already has a column {target!r}, where the median of {column!r} would go"
            )
        dtype = _numbers(frame[column], has_rows).dtype
        if not _values.is_supported(dtype):
            raise CLIError(f"column {column!r} is not numeric (dtype {frame[column].dtype})")


def _one_shot(args: argparse.Namespace) -> Any:
    """The statistic of the options: ``compute(values, keys)``, the one-shot results of a column.

    ``values`` is on the times where the window is one of time; the chunked time windows
    compute held slices of the file with it too, so that they give its results.
    """
    options = {"q": args.q, "interpolation": args.interpolation, "closed": args.closed}
    return lambda values, keys: values.rollmed.window(
        args.window, args.min_periods, args.center, **options, by=keys
    )


def _add_medians(
    frame: pd.DataFrame, args: argparse.Namespace, columns: Sequence[str], on: Any = None
) -> pd.DataFrame:
    """``frame`` with a column ``C_rollmed`` after the others for each of ``columns``.

    A time window rolls over the times of column ``on``: checked (never decreasing in a
    group) before any result.
    """
    result = frame.copy(deep=False)
    keys = None if args.by is None else frame[args.by]
    times = None
    if on is not None:
        times, keys = _file_times.times_and_keys(frame, on, args.by)
    compute = _one_shot(args)
    for column in columns:
        values = _numbers(frame[column], len(frame) > 0)
        try:
            results = compute(values if times is None else values.set_axis(times), keys)
        except (TypeError, ValueError) as exc:  # the arguments are checked before, so this is a backstop
            raise CLIError(f"column {column!r}: {exc}", USAGE_ERROR) from exc
        result[f"{column}{RESULT_SUFFIX}"] = results.array
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
    _check_columns(first, columns, args.by, source, has_rows, on)
    rolling: ChunkedRolling | _file_times.TimeRolling
    if on is not None:  # a time window: the one-shot statistic of the rows held within reach
        samples = {
            column: (f"{column}{RESULT_SUFFIX}", _numbers(first[column], has_rows)) for column in columns
        }
        rolling = _file_times.TimeRolling(
            first, samples, _one_shot(args), on, args.window, args.center, args.by
        )
    else:
        streams = {
            column: MedianStreams.for_column(
                _numbers(first[column], has_rows).dtype,
                args.window,
                args.min_periods,
                args.q,
                args.interpolation,
            )
            for column in columns
        }
        targets = [RollingColumn(column, f"{column}{RESULT_SUFFIX}", streams[column]) for column in columns]
        lag = streams[columns[0]].centre_lag if args.center else 0
        rolling = ChunkedRolling(targets, by=args.by, lag=lag)
    try:
        for chunk in _with_progress(chunks):
            yield rolling.feed(chunk)
        yield rolling.finish()
    except (TypeError, ValueError) as exc:  # the file's types are checked before, so this is a backstop
        raise CLIError(f"cannot compute the medians of {source}: {exc}") from exc


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


def _run_file(args: argparse.Namespace, parser: _Parser) -> int:
    """The file mode: check everything that can be checked before reading, read, compute, write."""
    _check_arguments(args, parser)
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
    _check_columns(frame, columns, args.by, source, len(frame) > 0, on)
    result = _add_medians(frame, args, columns, on)
    # Dates written as finely as the whole column, as --chunksize writes the rows it keeps.
    formats = None if args.step is None else _filetypes.format_witnesses(iter([result]))
    _files.write_frames(output, _files.every(iter([result]), args.step), formats)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``python -m rollmed`` command line.

    Without arguments, a demo on the sample data bundled with rollmed: the rolling median
    around the largest spike, then a timing against pandas. With ``FILE --column C
    --window K``, the rolling median of each column ``C`` of a CSV or Parquet file, written
    with all the input columns as ``C_rollmed`` to ``--output`` or as CSV to stdout.

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
    parser = _build_parser()
    try:
        with stop_signals_interrupt():
            args = parser.parse_args(argv)
            if args.file is not None:
                return _run_file(args, parser)
            given = [a.option_strings[-1] for a in parser.file_options if getattr(args, a.dest) != a.default]
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
