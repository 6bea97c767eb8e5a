"""The command line, ``python -m rollmed``: a demo on the bundled sample, or rolling medians of a file.

Every expected failure (a missing file, a bad argument, a column that is not numeric...)
is reported as one line ``rollmed: error: ...`` on stderr with a non-zero exit status;
a traceback means a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.resources
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np
import pandas as pd

import rollmed  # registers the .rollmed accessor
from rollmed import _chunked

PROG = "rollmed"
USAGE_ERROR = 2  # argparse's status for a bad command line
FAILURE = 1  # a good command line that could not be carried out

_CSV_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip")  # pandas infers these from the name
_PARQUET_SUFFIXES = (".parquet", ".pq")
_PYARROW_HINT = 'Parquet files need pyarrow: pip install "rollmed[parquet]"'

# The demo: the window it uses, the rows it times on, and how many runs it keeps the best of.
DEMO_WINDOW = 21
DEMO_ROWS = 1_000_000
DEMO_REPEATS = 3


class CLIError(Exception):
    """A failure to report as one line ``rollmed: error: MESSAGE``, with an exit status.

    Parameters
    ----------
    message : str
        What went wrong, for a person.
    status : int, optional
        The exit status: 2 for a bad command line, 1 (the default) for anything else.
    """

    def __init__(self, message: str, status: int = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, reported by :func:`main` like any other."""

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


def _build_parser() -> argparse.ArgumentParser:
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
            "\n"
            "The output holds every input column and, for each --column C, a column C_rollmed:\n"
            "the median of the last WINDOW rows (or of WINDOW rows centred on the row, with\n"
            "--center), ignoring missing values, as pandas' s.rolling(WINDOW).median() gives."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a .csv (optionally .gz, .bz2, .xz or .zip compressed), .parquet or .pq file",
    )
    parser.add_argument(
        "-c",
        "--column",
        action="append",
        dest="columns",
        metavar="C",
        help="a numeric column to take the rolling median of; repeat for several columns",
    )
    parser.add_argument("-w", "--window", type=int, metavar="K", help="the window, in rows (at least 1)")
    parser.add_argument(
        "--center",
        action="store_true",
        default=None,
        help="centre the window on each row instead of ending it there",
    )
    parser.add_argument(
        "--min-periods",
        type=int,
        metavar="M",
        help="the least number of non-missing values a window needs for a median "
        "(from 0 to K; default K); windows with fewer give an empty value",
    )
    parser.add_argument(
        "--q",
        type=float,
        default=0.5,
        metavar="Q",
        help="the quantile, from 0 to 1 (default 0.5: the median)",
    )
    parser.add_argument(
        "--interpolation",
        default="linear",
        choices=sorted(rollmed._checks.INTERPOLATIONS),
        help="how to read a quantile between two values, as pandas (default linear)",
    )
    parser.add_argument(
        "--by", metavar="B", help="roll within the groups of rows with equal values of column B"
    )
    parser.add_argument(
        "--chunksize",
        type=int,
        metavar="N",
        help="read, compute and write N rows at a time, so that memory follows N, not the file; "
        "the result is the same",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write to OUT, CSV or Parquet by its extension, instead of CSV to stdout",
    )
    parser.add_argument("--version", action="version", version=f"rollmed {rollmed.__version__}")
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _file_format(path: Path, role: str) -> str:
    """``"csv"`` or ``"parquet"``, from the extension of ``path``; a usage error for any other."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in _CSV_COMPRESSIONS:
        suffixes.pop()
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    raise CLIError(
        f"cannot tell the format of the {role} file {str(path)!r} from its extension: "
        "use .csv, .parquet or .pq",
        USAGE_ERROR,
    )


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise CLIError(_PYARROW_HINT) from None


def _data_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean a file could not be read or written (not a bug of ours)."""
    errors: tuple[type[BaseException], ...] = (
        OSError,
        ValueError,  # includes UnicodeDecodeError and pyarrow's ArrowInvalid
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    )
    with contextlib.suppress(ImportError):
        import pyarrow

        errors += (pyarrow.ArrowException,)
    return errors


def _check_input(path: Path) -> None:
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a directory, not a file")


def _reason(exc: BaseException) -> object:
    """What went wrong, in a line: an OS error's own words, else the exception's."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else exc


def _read(path: Path) -> pd.DataFrame:
    _check_input(path)
    try:
        if _file_format(path, "input") == "csv":
            return pd.read_csv(path)
        frame = pd.read_parquet(path, engine="pyarrow")
    except ImportError as exc:  # an optional dependency pandas needs for this file, such as a codec
        raise CLIError(f"cannot read {path}: {exc}") from exc
    except _data_errors() as exc:
        raise CLIError(f"cannot read {path}: {_reason(exc)}") from exc
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None):
        frame = frame.reset_index()  # a meaningful index (a DatetimeIndex, say) is data: keep it as columns
    return frame


def _describe_columns(frame: pd.DataFrame, limit: int = 8) -> str:
    names = [repr(str(name)) for name in frame.columns[:limit]]
    more = len(frame.columns) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "") if names else "(none)"


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], by: str | None, source: Path) -> None:
    """Every column named exists and can take a median; the results' columns are free."""
    for column in [*columns, *([by] if by is not None else [])]:
        if column not in frame.columns:
            raise CLIError(f"no column {column!r} in {source}; its columns are {_describe_columns(frame)}")
    for column in columns:
        target = f"{column}_rollmed"
        if target in frame.columns:
            raise CLIError(
                f"{source} already has a column {target!r}, where the median of {column!r} would go"
            )
        try:
            frame[column].rollmed  # noqa: B018  (the accessor rejects a Series that is not numeric)
        except AttributeError as exc:
            raise CLIError(f"column {column!r} is not numeric (dtype {frame[column].dtype})") from exc


def _add_medians(
    frame: pd.DataFrame, args: argparse.Namespace, columns: Sequence[str], source: Path
) -> pd.DataFrame:
    """``frame`` with a column ``C_rollmed`` after the others for each of ``columns``."""
    _check_columns(frame, columns, args.by, source)
    result = frame.copy(deep=False)
    keys = None if args.by is None else frame[args.by]
    for column in columns:
        try:
            result[f"{column}_rollmed"] = frame[column].rollmed.window(
                args.window, min_periods=args.min_periods, center=bool(args.center),
                q=args.q, interpolation=args.interpolation, by=keys,
            )  # fmt: skip
        except (TypeError, ValueError) as exc:  # the arguments are checked before, so this is a backstop
            raise CLIError(f"column {column!r}: {exc}", USAGE_ERROR) from exc
    return result


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Write with ``write(temporary_path)`` next to ``path``, then rename: no partial file is ever left.

    The temporary file keeps the extensions of ``path``, so that pandas infers the same compression.
    """
    if path.is_dir():
        raise CLIError(f"cannot write {path}: it is a directory")
    directory = path.parent
    if not directory.is_dir():
        raise CLIError(f"cannot write {path}: no such directory {directory}")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{path.name}.", suffix=".tmp" + "".join(path.suffixes[-2:])
        )
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {_reason(exc)}") from exc
    os.close(handle)
    try:
        write(temporary)
        # mkstemp makes the file private; give it the mode a new file would have.
        mode = (path.stat().st_mode & 0o777) if path.exists() else (0o666 & ~_umask())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, (ImportError, *_data_errors())):
            raise CLIError(f"cannot write {path}: {_reason(exc)}") from exc
        raise


def _write(frame: pd.DataFrame, output: Path | None) -> None:
    if output is None:
        frame.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
    elif _file_format(output, "output") == "parquet":
        _write_atomically(output, lambda name: frame.to_parquet(name, engine="pyarrow", index=False))
    else:
        _write_atomically(output, lambda name: frame.to_csv(name, index=False))


def _read_chunks(path: Path, chunksize: int) -> Iterator[pd.DataFrame]:
    """The file ``chunksize`` rows at a time; read errors become one-line errors."""
    _check_input(path)
    try:
        if _file_format(path, "input") == "csv":
            with pd.read_csv(path, chunksize=chunksize) as reader:
                yield from reader
        else:
            import pyarrow.parquet

            for batch in pyarrow.parquet.ParquetFile(path).iter_batches(batch_size=chunksize):
                yield batch.to_pandas()
    except ImportError as exc:
        raise CLIError(f"cannot read {path}: {exc}") from exc
    except _data_errors() as exc:
        raise CLIError(f"cannot read {path}: {_reason(exc)}") from exc


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


def _run_chunked(source: Path, output: Path | None, args: argparse.Namespace, columns: list[str]) -> None:
    """Read, compute and write ``--chunksize`` rows at a time through streaming states."""
    chunks = _read_chunks(source, args.chunksize)

    def checked(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        # Every chunk: each is typed on its own, so a later one can hold text in a numeric column.
        for chunk in chunks:
            _check_columns(chunk, columns, args.by, source)
            yield chunk

    results = _chunked.rolling_chunks(
        _with_progress(checked(chunks)), columns, args.window, args.min_periods, bool(args.center),
        args.q, args.interpolation, args.by,
    )  # fmt: skip
    if output is None:
        for number, result in enumerate(results):
            result.to_csv(sys.stdout, index=False, header=number == 0)
        sys.stdout.flush()
    elif _file_format(output, "output") == "parquet":
        _write_atomically(output, lambda name: _write_parquet_chunks(results, name))
    else:
        _write_atomically(output, lambda name: _write_csv_chunks(results, name))


def _write_csv_chunks(results: Iterator[pd.DataFrame], name: str) -> None:
    for number, result in enumerate(results):
        result.to_csv(name, index=False, header=number == 0, mode="w" if number == 0 else "a")


def _write_parquet_chunks(results: Iterator[pd.DataFrame], name: str) -> None:
    import pyarrow
    import pyarrow.parquet

    writer = None
    try:
        for result in results:
            schema = None if writer is None else writer.schema
            table = pyarrow.Table.from_pandas(result, schema=schema, preserve_index=False)
            if writer is None:
                writer = pyarrow.parquet.ParquetWriter(name, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def _run_file(args: argparse.Namespace) -> int:
    """The file mode: check everything that can be checked before reading, read, compute, write."""
    if not args.columns:
        raise CLIError("FILE needs at least one --column", USAGE_ERROR)
    if args.window is None:
        raise CLIError("FILE needs --window", USAGE_ERROR)
    if args.window < 1:
        raise CLIError(f"--window must be at least 1, got {args.window}", USAGE_ERROR)
    if args.min_periods is not None and not 0 <= args.min_periods <= args.window:
        raise CLIError(
            f"--min-periods must be between 0 and the window ({args.window}), got {args.min_periods}",
            USAGE_ERROR,
        )
    if not 0 <= args.q <= 1:
        raise CLIError(f"--q must be between 0 and 1, got {args.q}", USAGE_ERROR)
    if args.chunksize is not None and args.chunksize < 1:
        raise CLIError(f"--chunksize must be at least 1, got {args.chunksize}", USAGE_ERROR)
    source = Path(args.file)
    output = None if args.output is None else Path(args.output)
    formats = {_file_format(source, "input")}
    if output is not None:
        formats.add(_file_format(output, "output"))
    if "parquet" in formats:
        _require_pyarrow()
    columns = list(dict.fromkeys(args.columns))  # a column named twice is computed once
    try:
        if args.chunksize is not None:
            _run_chunked(source, output, args, columns)
            return 0
        frame = _read(source)
        result = _add_medians(frame, args, columns, source)
        _write(result, output)
    except BrokenPipeError:
        # The reader of stdout went away (`... | head`): stop quietly, and point stdout at
        # /dev/null so that Python's own flush at exit does not complain again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILURE
    return 0


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


def _demo(out: TextIO) -> int:
    """The demo: a before/after table around the largest spike of the sample, then a timing against pandas."""
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
    rows = slice(max(spike - 5, 0), spike + 7)
    table = pd.DataFrame(
        {
            "time": frame["time"].iloc[rows],
            "signal": signal.iloc[rows],
            "rolling median": median.iloc[rows],
            "": np.where(np.arange(len(frame))[rows] == spike, "<- spike", ""),
        }
    )
    for line in table.to_string(index=False, float_format=lambda value: f"{value:.3f}").splitlines():
        say("  " + line.rstrip())
    say()

    repeats = -(-DEMO_ROWS // len(frame))
    big = pd.Series(np.tile(signal.to_numpy(), repeats), name="signal")
    say(
        f"Timing on the sample repeated {repeats} times ({len(big):,} rows), "
        f"best of {DEMO_REPEATS} runs after the first call:"
    )
    say()
    ours = big.rollmed.window(window, center=True, min_periods=1)
    rollmed_time = _best_time(lambda: big.rollmed.window(window, center=True, min_periods=1), DEMO_REPEATS)
    theirs = big.rolling(window, center=True, min_periods=1).median()
    pandas_time = _best_time(lambda: big.rolling(window, center=True, min_periods=1).median(), DEMO_REPEATS)
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
        which is reported as one line ``rollmed: error: ...`` on stderr.

    Examples
    --------
    >>> import rollmed._cli
    >>> rollmed._cli.main(["--version"])  # doctest: +ELLIPSIS
    rollmed ...
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.file is not None:
            return _run_file(args)
        given = [
            option
            for option, value in (
                ("--column", args.columns),
                ("--window", args.window),
                ("--center", args.center),
                ("--min-periods", args.min_periods),
                ("--by", args.by),
                ("--chunksize", args.chunksize),
                ("--output", args.output),
            )
            if value is not None
        ]
        if given:
            raise CLIError(f"{given[0]} needs a FILE (run without arguments for the demo)", USAGE_ERROR)
        return _demo(sys.stdout)
    except CLIError as exc:
        print(f"{PROG}: error: {_one_line(exc.message)}", file=sys.stderr)
        return exc.status
    except SystemExit as exc:  # --help and --version print and exit
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
