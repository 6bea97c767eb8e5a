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
import inspect
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
from rollmed._factories import HampelStreams, MADStreams, MedianStreams, RankStreams
from rollmed._files import USAGE_ERROR, CLIError
from rollmed._grouped import StreamFactory
from rollmed._stopping import interrupted, quiet_stdout, stop_signals_interrupt
from rollmed.accessor import RollmedSeriesAccessor

PROG = "rollmed"
RESULT_SUFFIX = "_rollmed"  # the median (or quantile) of column C is column C_rollmed
STATISTICS = ("median", "mad", "rank", "hampel")
# The accessor's method for each --stat; the command line takes its defaults from it.
_METHODS = {"median": "window", "mad": "mad", "rank": "rank", "hampel": "hampel"}
# The options of one statistic or two: given with another --stat, they are a usage error.
_OPTIONS_OF = {
    "q": ("median",),
    "interpolation": ("median",),
    "scale": ("mad", "hampel"),
    "n_sigmas": ("hampel",),
    "pct": ("rank",),
}
# What the results of each --stat are, for the messages.
_RESULT_WORDS = {"median": "median", "mad": "MAD", "rank": "rank", "hampel": "Hampel-filtered value"}


def accessor_default(stat: str, name: str) -> Any:
    """The default of the accessor's parameter ``name`` for ``--stat stat``: the command line's too.

    Examples
    --------
    >>> from rollmed._cli import accessor_default
    >>> accessor_default("hampel", "scale"), accessor_default("hampel", "center")
    (1.4826, True)
    """
    method = getattr(RollmedSeriesAccessor, _METHODS[stat])
    return inspect.signature(method).parameters[name].default


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
                return long_option(action)
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


def long_option(action: argparse.Action) -> str:
    """An option's long name: ``--column`` for ``-c/--column``, ``--center`` for ``--center/--no-center``.

    Examples
    --------
    >>> import argparse
    >>> from rollmed._cli import long_option
    >>> long_option(argparse.ArgumentParser().add_argument("-c", "--column"))
    '--column'
    """
    return next(flag for flag in action.option_strings if flag.startswith("--"))


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="python -m rollmed",
        description=(
            "Rolling medians, quantiles, MADs, ranks or the Hampel filter of the columns of a CSV\n"
            "or Parquet file, with rollmed's numba kernels.\n"
            "Without arguments, a demo on the sample data bundled with rollmed."
        ),
        epilog=(
            "examples:\n"
            "  python -m rollmed                      # the demo\n"
            "  python -m rollmed data.csv --column signal --window 21 --center > smooth.csv\n"
            "  python -m rollmed data.parquet -c a -c b -w 60 --min-periods 1 -o out.parquet\n"
            "  python -m rollmed data.csv -c a -w 60 --q 0.1 --q 0.9 > band.csv\n"
            "  python -m rollmed data.csv -c a -w 11 --stat hampel --n-sigmas 4 > despiked.csv\n"
            "  python -m rollmed data.csv -c signal -w 5min --on time --by sensor --chunksize 100000\n"
            "\n"
            "The output holds every input column and, for each --column C, the result of the\n"
            "last W rows (or of W rows centred on the row, with --center), ignoring missing\n"
            "values, as the pandas accessor s.rollmed gives it:\n"
            "  --stat median  C_rollmed, the median, as s.rolling(W).median() (with --q Q, the\n"
            "                 quantile; with several --q, a column C_rollmed_qQ for each)\n"
            "  --stat mad     C_mad, the median absolute deviation, times --scale\n"
            "  --stat rank    C_rank, the rank of the window's last value, as s.rolling(W).rank()\n"
            "  --stat hampel  C_hampel, the column with the values more than --n-sigmas scaled\n"
            "                 MADs from their window's median replaced by it (centred by default)\n"
            "With a time window (-w 5min), the rows of the last 5 minutes up to the row's time\n"
            "(centred: 2.5 minutes either side), as pandas' rolling('5min') gives over the\n"
            "times of --on; with --chunksize a row with a centred time window is written once\n"
            "a row of its group more than half the span later is read (or the file ends):\n"
            "memory holds the rows within the span around the waiting rows.\n"
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
        help="a numeric column to take the rolling statistic of; repeat for several columns",
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
        "--stat",
        choices=STATISTICS,
        default="median",
        help="the statistic (default median); see below for the columns each gives",
    )
    parser.add_file_option(
        "--center",
        action=argparse.BooleanOptionalAction,
        help="centre the window on each row instead of ending it there (default: not centred, "
        "but for hampel)",
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
        help="the least number of non-missing values a window needs for a result "
        "(from 0 to W for a window of rows, default W; default 1 for a time window; "
        f"default {accessor_default('hampel', 'min_periods')} for hampel); "
        "windows with fewer give an empty value",
    )
    parser.add_file_option(
        "--q",
        type=float,
        action="append",
        metavar="Q",
        help="median: the quantile, from 0 to 1 (default 0.5: the median); repeat for several",
    )
    parser.add_file_option(
        "--interpolation",
        choices=sorted(_checks.INTERPOLATIONS),
        help="median: how to read a quantile between two values, as pandas (default linear)",
    )
    parser.add_file_option(
        "--scale",
        type=float,
        metavar="S",
        help=f"mad, hampel: the MAD's factor (default {accessor_default('mad', 'scale')} for mad, "
        f"{accessor_default('hampel', 'scale')} for hampel: a normal standard deviation)",
    )
    parser.add_file_option(
        "--n-sigmas",
        type=float,
        metavar="N",
        help=f"hampel: the threshold, in scaled MADs (default {accessor_default('hampel', 'n_sigmas')})",
    )
    parser.add_file_option(
        "--pct",
        action="store_true",
        help="rank: divide each rank by the number of values in its window",
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
    for name, statistics in _OPTIONS_OF.items():
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


def _settle_defaults(args: argparse.Namespace) -> None:
    """The options not given take the accessor's defaults for the --stat chosen."""
    stat = args.stat
    if args.center is None:
        args.center = accessor_default(stat, "center")
    if args.min_periods is None:
        args.min_periods = accessor_default(stat, "min_periods")
    if stat == "median":
        args.interpolation = args.interpolation or accessor_default(stat, "interpolation")
        # Each quantile once, in the order given.
        args.q = list(dict.fromkeys(args.q or [accessor_default(stat, "q")]))
    if stat in ("mad", "hampel") and args.scale is None:
        args.scale = accessor_default(stat, "scale")
    if stat == "hampel" and args.n_sigmas is None:
        args.n_sigmas = accessor_default(stat, "n_sigmas")


def result_names(column: Any, args: argparse.Namespace) -> list[str]:
    """The output columns of ``column``: ``C_rollmed``, ``C_mad``, ``C_rank`` or ``C_hampel``.

    With several ``--q``, a column ``C_rollmed_qQ`` for each, ``Q`` as Python writes the float.

    Examples
    --------
    >>> import argparse
    >>> from rollmed._cli import result_names
    >>> result_names("x", argparse.Namespace(stat="median", q=[0.1, 0.9]))
    ['x_rollmed_q0.1', 'x_rollmed_q0.9']
    >>> result_names("x", argparse.Namespace(stat="mad", q=None))
    ['x_mad']
    """
    if args.stat != "median":
        return [f"{column}_{args.stat}"]
    if len(args.q) == 1:
        return [f"{column}{RESULT_SUFFIX}"]
    return [f"{column}{RESULT_SUFFIX}_q{float(q)!r}" for q in args.q]


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
                    f"where the {_RESULT_WORDS[args.stat]} of {column!r} would go"
                )
        dtype = _numbers(frame[column], has_rows).dtype
        if not _values.is_supported(dtype):
            raise CLIError(f"column {column!r} is not numeric (dtype {frame[column].dtype})")


def _medians(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    several = len(args.q) > 1
    result = values.rollmed.window(
        args.window,
        args.min_periods,
        args.center,
        q=args.q if several else args.q[0],
        interpolation=args.interpolation,
        closed=args.closed,
        by=keys,
    )
    return [result.iloc[:, i] for i in range(len(args.q))] if several else [result]


def _mads(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"scale": args.scale, "closed": args.closed}
    return [values.rollmed.mad(args.window, args.min_periods, args.center, **options, by=keys)]


def _ranks(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"pct": args.pct, "closed": args.closed}
    return [values.rollmed.rank(args.window, args.min_periods, args.center, **options, by=keys)]


def _hampel(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"center": args.center, "min_periods": args.min_periods, "scale": args.scale}
    return [values.rollmed.hampel(args.window, args.n_sigmas, **options, closed=args.closed, by=keys)]


# Each --stat's results in one shot, in the order of result_names: the pandas accessor's.
_ONE_SHOT = {"median": _medians, "mad": _mads, "rank": _ranks, "hampel": _hampel}


def _one_shot(args: argparse.Namespace, index: int) -> Any:
    """The one-shot form ``compute(values, keys)`` of result column ``index`` (of :func:`result_names`).

    The chunked time windows compute held slices of the file with it, so that they give
    the one-shot results (values on their times, for a time window).
    """
    return lambda values, keys: _ONE_SHOT[args.stat](values, args, keys)[index]


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
            outputs = _ONE_SHOT[args.stat](values if times is None else values.set_axis(times), args, keys)
        except (TypeError, ValueError) as exc:  # the arguments are checked before, so this is a backstop
            raise CLIError(f"column {column!r}: {exc}", USAGE_ERROR) from exc
        for name, output in zip(result_names(column, args), outputs, strict=True):
            result[name] = output.array
    return result


def _stream_factories(dtype: Any, args: argparse.Namespace) -> list[StreamFactory]:
    """The streams of a column of ``dtype`` (in the file), one factory per result column."""
    if args.stat == "median":  # one stream per quantile: each its own column
        return [
            MedianStreams.for_column(dtype, args.window, args.min_periods, q, args.interpolation)
            for q in args.q
        ]
    if args.stat == "mad":
        return [MADStreams(args.window, args.min_periods, scale=args.scale)]
    if args.stat == "rank":
        return [RankStreams(args.window, args.min_periods, pct=args.pct)]
    options = {"n_sigmas": args.n_sigmas, "center": args.center, "scale": args.scale}
    return [HampelStreams(args.window, min_periods=args.min_periods, **options)]


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
            (column, name, _numbers(first[column], has_rows), _one_shot(args, index))
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
                _stream_factories(_numbers(first[column], has_rows).dtype, args),
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
        raise CLIError(f"cannot compute the {_RESULT_WORDS[args.stat]}s of {source}: {exc}") from exc


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
    _settle_defaults(args)
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
    parser = _build_parser()
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
