"""The command line's files: reading a CSV or Parquet file whole or in chunks, and one writer.

Reading, whole or in chunks, gives the same frame: a meaningful index (a Parquet file's
stored DatetimeIndex, say) becomes columns, and in chunks each column has the type a
one-shot read gives it (:mod:`rollmed._filetypes`). Writing goes through one writer for
standard output, CSV and Parquet, fed the result whole or a chunk at a time; a file is
written to a temporary file beside it and renamed when complete, so that no partial
output is ever left, however the run ends. Every failure to read or write is a
:class:`CLIError` with a one-line message.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import signal
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import pandas as pd

from rollmed import _filetypes

USAGE_ERROR = 2  # argparse's status for a bad command line
FAILURE = 1  # a good command line that could not be carried out

# pandas infers these compressions from a CSV file's name; the output's opened here alike.
_COMPRESSED: dict[str, Any] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zip": None}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_PYARROW_HINT = 'Parquet files need pyarrow: pip install "rollmed[parquet]"'
# The signals that end a run (as Ctrl-C does): held off while a temporary file is made.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class CLIError(Exception):
    """A failure to report as one line ``rollmed: error: MESSAGE``, with an exit status.

    Parameters
    ----------
    message : str
        What went wrong, for a person.
    status : int, optional
        The exit status: 2 for a bad command line, 1 (the default) for anything else.

    Examples
    --------
    >>> from rollmed._files import CLIError
    >>> CLIError("no such file: x.csv").status
    1
    """

    def __init__(self, message: str, status: int = FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def file_format(path: Path, role: str) -> str:
    """``"csv"`` or ``"parquet"``, from the extension of ``path``; a usage error for any other.

    Examples
    --------
    >>> from pathlib import Path
    >>> from rollmed._files import file_format
    >>> file_format(Path("data.csv.gz"), "input"), file_format(Path("out.pq"), "output")
    ('csv', 'parquet')
    """
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    raise CLIError(
        f"cannot tell the format of the {role} file {str(path)!r} from its extension: "
        "use .csv, .parquet or .pq",
        USAGE_ERROR,
    )


def require_pyarrow() -> None:
    """Fail with a hint to install pyarrow, where Parquet files need it and it is missing.

    Examples
    --------
    >>> from rollmed._files import require_pyarrow
    >>> require_pyarrow()  # installed: nothing to say
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise CLIError(_PYARROW_HINT) from None


def _data_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean a file could not be read or written (not a bug of ours)."""
    errors: tuple[type[BaseException], ...] = (
        OSError,
        ValueError,  # includes UnicodeDecodeError and pyarrow's ArrowInvalid
        ImportError,  # an optional dependency pandas needs for this file, such as a codec
        OverflowError,  # pyarrow writing an integer beyond int64
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    )
    with contextlib.suppress(ImportError):
        import pyarrow

        errors += (pyarrow.ArrowException,)
    return errors


@contextlib.contextmanager
def failing_as(action: str, path: Path) -> Iterator[None]:
    """Report a failure to read or write ``path`` as ``cannot ACTION PATH: REASON``: the one mapping.

    Examples
    --------
    >>> from pathlib import Path
    >>> from rollmed._files import CLIError, failing_as
    >>> try:
    ...     with failing_as("read", Path("x.csv")):
    ...         raise OSError(2, "No such file or directory")
    ... except CLIError as exc:
    ...     print(exc.message)
    cannot read x.csv: No such file or directory
    """
    try:
        yield
    except _filetypes.UntypableColumn as exc:
        raise CLIError(f"cannot {action} {path}: {exc}") from exc
    except _data_errors() as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CLIError(f"cannot {action} {path}: {reason}") from exc


def check_input(path: Path) -> str:
    """The input's format; a CLIError if it is missing or a directory.

    Examples
    --------
    >>> from pathlib import Path
    >>> from rollmed._files import CLIError, check_input
    >>> try:
    ...     check_input(Path("no-such-folder") / "in.csv")
    ... except CLIError as exc:
    ...     print(exc.message)
    no such file: no-such-folder/in.csv
    """
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a directory, not a file")
    return file_format(path, "input")


def read_whole(path: Path) -> pd.DataFrame:
    r"""The whole file as a frame, each column typed as pandas types the whole column.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from rollmed._files import read_whole
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "in.csv").write_text("k,x\n1,2.5\nb,3\n")
    ...     read_whole(Path(folder) / "in.csv").dtypes.astype(str).tolist()
    ['str', 'float64']
    """
    fmt = check_input(path)
    with failing_as("read", path):
        if fmt == "csv":
            frame = pd.read_csv(path, low_memory=False)  # typed column by column, not block by block
        else:
            frame = pd.read_parquet(path, engine="pyarrow")
    return _filetypes.rows_as_data(frame, not _filetypes.default_index(frame.index))


def read_chunks(path: Path, chunksize: int) -> tuple[Iterator[pd.DataFrame], dict[Any, pd.Series]]:
    r"""The file ``chunksize`` rows at a time (at least one chunk), as :func:`read_whole` gives them.

    A first pass over the file settles each column's type, so that a file that cannot
    be read fails here, before any chunk. Also returns how finely each column of dates
    is written (:func:`rollmed._filetypes.format_witnesses`), for :func:`write_frames`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from rollmed._files import read_chunks
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "in.csv").write_text("k,x\n1,2.5\nb,3\n")
    ...     chunks, _ = read_chunks(Path(folder) / "in.csv", 1)
    ...     [chunk["k"].tolist() for chunk in chunks]  # "1" as text, as in the whole file
    [['1'], ['b']]
    """
    fmt = check_input(path)
    with failing_as("read", path):
        if fmt == "csv":
            chunks: _filetypes.CsvChunks | _filetypes.ParquetChunks = _filetypes.CsvChunks(path, chunksize)
        else:
            chunks = _filetypes.ParquetChunks(path, chunksize)
    return _reported(iter(chunks), path), chunks.formats


def _reported(chunks: Iterator[pd.DataFrame], path: Path) -> Iterator[pd.DataFrame]:
    while True:
        with failing_as("read", path):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Stop signals held off: how deep the held blocks go, and the signals that arrived in
# them. The mask below is the main thread's own: the kernel may hand the signal to
# another thread (numba's, a reader's), and Python then runs the handler in the main
# thread inside the block; the handler (rollmed._stopping) asks `signals_held_off` and
# leaves the signal here instead, to be raised again once the block is left.
_held_depth = 0
_held_signals: list[int] = []


def signals_held_off(signum: int) -> bool:
    """Whether a stop signal arrived inside a held block: kept, and raised again when it ends."""
    if _held_depth:
        _held_signals.append(signum)
    return _held_depth > 0


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off the stop signals: a signal arrives once the block is left, not inside it."""
    global _held_depth
    masked = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if masked else None
    _held_depth += 1
    try:
        yield
    finally:
        _held_depth -= 1
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if not _held_depth and _held_signals:
            signum = _held_signals[0]
            _held_signals.clear()
            signal.raise_signal(signum)


@contextlib.contextmanager
def _atomic_file(path: Path) -> Iterator[str]:
    """A temporary file beside ``path`` to write; renamed to ``path`` if the block completes, else removed.

    The temporary file keeps the extensions of ``path``. Whatever ends the block (an
    error, Ctrl-C, SIGTERM or SIGHUP raised as KeyboardInterrupt), nothing is left.
    """
    if path.is_dir():
        raise CLIError(f"cannot write {path}: it is a directory")
    directory = path.parent
    if not directory.is_dir():
        raise CLIError(f"cannot write {path}: no such directory {directory}")
    temporary = None
    try:
        with failing_as("write", path), _signals_held():  # made and named in one step
            handle, temporary = tempfile.mkstemp(
                dir=directory, prefix=f".{path.name}.", suffix=".tmp" + "".join(path.suffixes[-2:])
            )
            os.close(handle)
        yield temporary
        with failing_as("write", path):
            # mkstemp makes the file private; give it the mode a new file would have.
            mode = (path.stat().st_mode & 0o777) if path.exists() else (0o666 & ~_umask())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            with _signals_held(), contextlib.suppress(OSError):
                os.unlink(temporary)
        raise


def _open_text(name: str, final: Path, stack: contextlib.ExitStack) -> TextIO:
    """A text file to write CSV to, compressed as the extension of ``final`` says."""
    suffix = final.suffix.lower()
    if suffix == ".zip":
        archive = stack.enter_context(zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED))
        # As pandas names the one file of a zip archive: the archive's name without .zip.
        binary: BinaryIO = stack.enter_context(archive.open(final.stem, "w"))
        return stack.enter_context(io.TextIOWrapper(binary, encoding="utf-8", newline=""))
    opener = _COMPRESSED.get(suffix) or open
    return stack.enter_context(opener(name, "wt", encoding="utf-8", newline=""))


class _ParquetSink:
    """Frames written one after another to one Parquet file.

    The file's schema is the one pyarrow finds for the first frames, as many as it takes
    to see a value in every column (an object column of missing values has no type yet).
    """

    def __init__(self, name: str, stack: contextlib.ExitStack) -> None:
        self._name = name
        self._stack = stack
        self._writer: Any = None
        self._waiting: list[pd.DataFrame] = []
        self._untyped: set[Any] | None = None  # the columns of no type so far

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        if self._writer is not None:
            table = pa.Table.from_pandas(frame, schema=self._writer.schema, preserve_index=False)
            self._writer.write_table(table)
            return
        self._waiting.append(frame)
        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        untyped = {field.name for field in schema if pa.types.is_null(field.type)}
        self._untyped = untyped if self._untyped is None else self._untyped & untyped
        if not self._untyped:
            self.start()

    def start(self) -> None:
        """Write the frames so far, their schema the file's (a column of no values stays untyped)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            frames = [frame for frame in self._waiting if len(frame)] or self._waiting[:1]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self._writer = self._stack.enter_context(pq.ParquetWriter(self._name, table.schema))
            self._writer.write_table(table)
            self._waiting = []


class _CsvSink:
    """Frames written one after another as one CSV text: the header once.

    ``formats`` holds, for each column of dates, a value that makes pandas write each
    frame's dates as finely as the whole column's (to the second, or to the nanosecond).
    """

    def __init__(self, handle: TextIO, formats: dict[Any, pd.Series]) -> None:
        self._handle = handle
        self._header = True
        self._formats = formats

    def write(self, frame: pd.DataFrame) -> None:
        frame = _filetypes.in_whole_column_format(frame, self._formats)
        # A few thousand rows formatted at a time (pandas' default is 100,000 cells): less memory.
        rows = max(1, 20_000 // max(len(frame.columns), 1))
        frame.to_csv(self._handle, index=False, header=self._header, chunksize=rows)
        self._header = False

    def start(self) -> None:
        """Nothing waits: every frame is written as it comes."""


def write_frames(
    output: Path | None, frames: Iterable[pd.DataFrame], formats: dict[Any, pd.Series] | None = None
) -> None:
    """Write ``frames`` one after another: as CSV to stdout, or to ``output``, CSV or Parquet by its name.

    ``output`` is complete or untouched when this returns or raises. To stdout, what
    was written before a failure stays written. ``formats``: how finely the dates of the
    whole columns are written, where the frames are parts of them (:func:`read_chunks`).

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._files import write_frames
    >>> write_frames(None, [pd.DataFrame({"x": [1.5]}), pd.DataFrame({"x": [2.0]})])
    x
    1.5
    2.0
    """
    formats = formats or {}
    if output is None:
        sink = _CsvSink(sys.stdout, formats)
        for frame in frames:
            sink.write(frame)
        sys.stdout.flush()
        return
    fmt = file_format(output, "output")
    with _atomic_file(output) as name, contextlib.ExitStack() as stack:
        with failing_as("write", output):
            if fmt == "parquet":
                sink: _ParquetSink | _CsvSink = _ParquetSink(name, stack)
            else:
                sink = _CsvSink(_open_text(name, output, stack), formats)
        for frame in frames:  # reading errors come here as CLIError already
            with failing_as("write", output):
                sink.write(frame)
        with failing_as("write", output):
            sink.start()
            stack.close()  # the last bytes of a compressed or Parquet file are written on closing


def every(frames: Iterable[pd.DataFrame], step: int | None) -> Iterator[pd.DataFrame]:
    """Every ``step``-th row of the frames (all for None), counted over them all from the first.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._files import every
    >>> frames = [pd.DataFrame({"x": [0, 1, 2]}), pd.DataFrame({"x": [3, 4]})]
    >>> [frame["x"].tolist() for frame in every(frames, 2)]
    [[0, 2], [4]]
    """
    seen = 0
    for frame in frames:
        yield frame if step is None else frame.iloc[(-seen) % step :: step]
        seen += len(frame)
