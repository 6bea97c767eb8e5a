"""The times of a file's rows, for the command line's time windows (``-w 5min --on COLUMN``).

A column of times is read as ``pd.to_datetime`` reads the whole column, whole or a
chunk at a time alike: pandas guesses the format of a column of text from its first
value, so every chunk is read with the format guessed from the file's first row (or
each value on its own, ``format="mixed"``, where pandas guesses none), and every chunk
must keep the first one's time zone (pandas refuses a column of mixed zones). Times are
taken to the nanosecond (years 1677 to 2262), so that a window spans the same ticks
however the column's text is written. Every failure is a :class:`CLIError` naming the
column and the row (counted from 1, the first row after a CSV file's header).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rollmed import _checks, _filetypes, _plans
from rollmed._chunked import ChunkedTimeRolling, TimeColumn
from rollmed._files import USAGE_ERROR, CLIError, check_input, failing_as, file_format
from rollmed._grouped import GroupKeys
from rollmed._timed import DecreasingTimes, TimeStatistic, check_order

_ROWS = re.compile(r"[+-]?\d+")


def parse_window(text: str) -> int | str:
    """``--window``: a number of rows (digits) or a span of time (``5min``), checked.

    Raises
    ------
    rollmed._checks.ArgumentError
        For a number of rows below 1, or text that is not a fixed span of time.

    Examples
    --------
    >>> from rollmed._file_times import parse_window
    >>> parse_window("21"), parse_window("5min")
    (21, '5min')
    """
    if _ROWS.fullmatch(text.strip()):
        return _checks.check_row_window(int(text))
    _plans.time_span_nanos(text)
    return text


def datetime_index_column(path: Path) -> Any:
    """The column that a Parquet file's stored DatetimeIndex becomes when read; None if it has none.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from rollmed._file_times import datetime_index_column
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "in.parquet"
    ...     pd.DataFrame({"x": [1.0]}, index=pd.DatetimeIndex(["2024-01-01"], name="t")).to_parquet(path)
    ...     datetime_index_column(path)
    't'
    """
    if file_format(path, "input") != "parquet":
        return None
    import pyarrow.parquet as pq

    with failing_as("read", path):
        empty = pq.read_schema(path).empty_table().to_pandas()
    if not isinstance(empty.index, pd.DatetimeIndex):
        return None
    return _filetypes.rows_as_data(empty, True).columns[0]


def time_column(window: int | str, on: Any, source: Path) -> Any:
    """The column of times of a time window: ``on``, else a Parquet file's datetime index; None for rows.

    Examples
    --------
    >>> from pathlib import Path
    >>> from rollmed._file_times import time_column
    >>> time_column(21, None, Path("in.csv")), time_column("5min", "t", Path("in.csv"))
    (None, 't')
    """
    if not isinstance(window, str):
        return None
    if on is not None:
        return on
    check_input(source)
    found = datetime_index_column(source)
    if found is None:
        raise CLIError(
            f"a time window needs --on COLUMN, the column of times ({source} has no datetime index)",
            USAGE_ERROR,
        )
    return found


def _guessed_format(first: Any) -> str | None:
    """The format pandas reads a column of times in, from its first value (None: not text)."""
    if not isinstance(first, str):
        return None
    from pandas.tseries.api import guess_datetime_format

    return guess_datetime_format(first) or "mixed"


class TimeReader:
    """The times of a column, a chunk at a time, as ``pd.to_datetime`` reads the whole column.

    Parameters
    ----------
    name : column name
        The column, for messages.
    first : pandas.Series
        The column's first rows (at least the first, where the file has rows): they
        decide the format of text.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._file_times import TimeReader
    >>> reader = TimeReader("t", pd.Series(["2024-01-01 00:00:00"]))
    >>> reader(pd.Series(["2024-01-01 00:00:01", "2024-01-01 00:00:02"]), 1).tolist()
    [Timestamp('2024-01-01 00:00:01'), Timestamp('2024-01-01 00:00:02')]
    """

    def __init__(self, name: Any, first: pd.Series) -> None:
        self.name = name
        self._format = _guessed_format(first.iloc[0]) if len(first) else None
        self.tz: Any = False  # unknown until the first chunk

    def __call__(self, column: pd.Series, first_row: int) -> pd.DatetimeIndex:
        """The times of ``column`` (rows ``first_row``... of the file) in nanoseconds, checked."""
        times = self._parsed(column, first_row)
        if self.tz is False:
            self.tz = times.tz
        elif str(times.tz) != str(self.tz):
            raise CLIError(
                f"cannot read column {self.name!r} as times: its times are in the time zones "
                f"{self.tz} and {times.tz}, from row {first_row + 1} on; pandas refuses mixed time zones"
            )
        missing = np.flatnonzero(np.asarray(times.isna()))
        if len(missing):
            raise CLIError(
                f"column {self.name!r} has no time at row {first_row + int(missing[0]) + 1}: "
                "a time window needs the time of every row"
            )
        try:
            return times.as_unit("ns")
        except (ValueError, OverflowError) as exc:  # OutOfBoundsDatetime is a ValueError
            raise CLIError(
                f"column {self.name!r} holds times beyond what rollmed reads to the nanosecond "
                f"(the years 1677 to 2262), from row {first_row + 1} on: {_first_line(exc)}"
            ) from exc

    def _parsed(self, column: pd.Series, first_row: int) -> pd.DatetimeIndex:
        options = {} if self._format is None or column.dtype.kind in "mM" else {"format": self._format}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas' advice on formats: not for a command line
                return pd.DatetimeIndex(pd.to_datetime(column, **options))
        except (TypeError, ValueError, OverflowError) as exc:
            reason = re.sub(r", at position \d+", "", _first_line(exc))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    coerced = pd.to_datetime(column, errors="coerce", **options)
                    bad = np.flatnonzero(np.asarray(coerced.isna()) & np.asarray(column.notna()))
                except (TypeError, ValueError, OverflowError):
                    bad = np.zeros(0, np.int64)
            where = f" (row {first_row + int(bad[0]) + 1}: {column.iloc[int(bad[0])]!r})" if len(bad) else ""
            raise CLIError(f"cannot read column {self.name!r} as times{where}: {reason}") from exc


def _first_line(exc: BaseException) -> str:
    """The reason pandas gives, without its advice on the following lines."""
    line = str(exc).strip().split("\n")[0]
    return line.split(" You might want to try")[0].rstrip(". ")


def order_error(error: DecreasingTimes, name: Any, by: Any, key: Any, tz: Any) -> CLIError:
    """The one-line error of a time earlier than its group's previous one (the row counted from 1).

    Examples
    --------
    >>> from rollmed._file_times import order_error
    >>> from rollmed._timed import DecreasingTimes
    >>> error = order_error(DecreasingTimes(4, 0, 60 * 10**9), "t", None, None, None)
    >>> for part in error.message.split("; "):
    ...     print(part)
    column 't' goes back in time at row 5: 1970-01-01 00:00:00 after 1970-01-01 00:01:00
    a time window needs times that never decrease (sort the file by time)
    """
    within = "" if by is None else f" within the group {by}={key!r}"
    time, previous = (
        pd.Timestamp(tick, tz="UTC").tz_convert(tz) if tz else pd.Timestamp(tick)
        for tick in (error.time, error.previous)
    )
    advice = "sort the file by time" if by is None else f"sort the file by {by} and time"
    return CLIError(
        f"column {name!r} goes back in time{within} at row {error.row + 1}: {time} after {previous}; "
        f"a time window needs times that never decrease ({advice})"
    )


def times_and_keys(frame: pd.DataFrame, on: Any, by: Any) -> tuple[pd.DatetimeIndex, pd.Series | None]:
    """The times of a whole file's column ``on`` (in order within each group of ``by``); the keys on them.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._file_times import times_and_keys
    >>> frame = pd.DataFrame({"t": ["2024-01-01 00:02", "2024-01-01 00:01"], "k": ["a", "b"]})
    >>> times, keys = times_and_keys(frame, "t", "k")
    >>> keys.index.equals(times)
    True
    """
    times = TimeReader(on, frame[on])(frame[on], 0)
    keys = None if by is None else frame[by]
    try:
        check_order(GroupKeys().codes(keys, len(frame)), times.asi8)
    except DecreasingTimes as exc:
        raise order_error(exc, on, by, None if keys is None else keys.iloc[exc.row], times.tz) from exc
    return times, None if keys is None else keys.set_axis(times)


def time_statistic(compute: Any, column: pd.Series) -> TimeStatistic:
    """``compute(values, keys)`` as a :class:`TimeStatistic` of ``column``'s values (its missing results).

    Examples
    --------
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._file_times import time_statistic
    >>> def lowest(values, keys):
    ...     return values.rollmed.window("5min", interpolation="lower", by=keys)
    >>> time_statistic(lowest, pd.Series([1, 2])).missing(2).tolist()
    [<NA>, <NA>]
    """
    # The results' type: the statistic's of none of the column's values.
    dtype = compute(column.iloc[:0].set_axis(pd.DatetimeIndex([], dtype="M8[ns]")), None).dtype
    if isinstance(dtype, np.dtype):
        return TimeStatistic(compute, lambda n: np.full(n, np.nan, dtype))
    return TimeStatistic(compute, lambda n: pd.Series(index=pd.RangeIndex(n), dtype=dtype).array)


class TimeRolling:
    """A file's statistics over a time window, fed a chunk at a time, over the times of column ``on``.

    ``columns`` holds, for each result, its column's name, its own name, a sample of the
    column (its type) and the statistic's one-shot form, ``compute(values, keys)``.

    A :class:`rollmed._chunked.ChunkedTimeRolling` whose times are read by
    :class:`TimeReader` and whose times out of order are a one-line :class:`CLIError`.

    Examples
    --------
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._file_times import TimeRolling
    >>> def median(values, keys):
    ...     return values.rollmed.window("2min", by=keys)
    >>> first = pd.DataFrame({"t": ["2024-01-01 00:00", "2024-01-01 00:01"], "x": [1.0, 5.0]})
    >>> rolling = TimeRolling(first, [("x", "m", first["x"], median)], "t", "2min", center=False, by=None)
    >>> rolling.feed(first)["m"].tolist()
    [1.0, 3.0]
    """

    def __init__(
        self,
        first: pd.DataFrame,
        columns: Sequence[tuple[Any, Any, pd.Series, Any]],
        on: Any,
        window: str,
        center: bool,
        by: Any,
    ) -> None:
        targets = [
            TimeColumn(source, name, time_statistic(compute, sample))
            for source, name, sample, compute in columns
        ]
        self._on = on
        self._by = by
        self._reader = TimeReader(on, first[on])
        span = _plans.time_span_nanos(window)
        self._rolling = ChunkedTimeRolling(targets, self._times, span, center, by=by)
        self._fed = 0

    def _times(self, chunk: pd.DataFrame, first_row: int) -> np.ndarray:
        return self._reader(chunk[self._on], first_row).asi8

    def feed(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """The rows of the next chunk whose results are now known, as ``ChunkedTimeRolling.feed``."""
        try:
            done = self._rolling.feed(chunk)
        except DecreasingTimes as exc:
            key = None if self._by is None else chunk[self._by].iloc[exc.row - self._fed]
            tz = None if self._reader.tz is False else self._reader.tz
            raise order_error(exc, self._on, self._by, key, tz) from exc
        self._fed += len(chunk)
        return done

    def finish(self) -> pd.DataFrame:
        """The rows still waiting, with their results."""
        return self._rolling.finish()
