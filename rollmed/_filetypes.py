"""Each column's type decided once for the whole file, so that a file read in chunks reads as one.

pandas types the columns of each chunk on its own: a key read as ``1`` in one chunk is
``"1"`` in another, integers with a missing value in one chunk only are float64 there.
Here a first pass over the file settles each column's type as a one-shot read does
(``pd.read_csv(low_memory=False)``, ``pd.read_parquet``); the second pass reads each
chunk with those types.

- CSV: pandas tries int64, uint64, bool, float64, then text on a whole column, and each
  try succeeds on the column when it succeeds on every value. The values of each chunk
  are summed up by a few that decide the same tries (the least and greatest integers, a
  missing value, a float, a bool, a text); pandas types those few as the whole column.
  Integers beyond int64 break that rule (pandas then looks at how each is spelt): a
  column of them with anything but integers is refused (:class:`UntypableColumn`).
- Parquet: the schema holds for the whole file, but pyarrow converts integers and bools
  with a missing value anywhere in a column to float64 and object, and a dictionary
  column to categories of its values; the first pass finds both, and every chunk is
  converted as part of the whole table.

Writing has one such rule too: pandas writes a column of dates to CSV as finely as its
finest value needs (dates alone, seconds, milliseconds...). The first pass of a file with
dates keeps a value of each column that needs the finest (:func:`format_witnesses`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_INT64_MAX = np.iinfo(np.int64).max
# Numbers that decide the same tries as any float, bool or text do.
_FLOAT, _BOOL, _TEXT = "0.5", "True", "x"


class UntypableColumn(ValueError):
    """A column whose type cannot be settled a chunk at a time."""


def default_index(index: pd.Index) -> bool:
    """Whether ``index`` is a plain row count (0, 1, 2...), not data to keep as a column.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._filetypes import default_index
    >>> default_index(pd.RangeIndex(3)), default_index(pd.RangeIndex(5, 8)), default_index(pd.Index([0, 1]))
    (True, False, False)
    """
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None


def rows_as_data(frame: pd.DataFrame, index_is_data: bool) -> pd.DataFrame:
    """A meaningful index (a DatetimeIndex, say) is data: kept as columns before the others.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._filetypes import rows_as_data
    >>> frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index([7, 9], name="t"))
    >>> list(rows_as_data(frame, True).columns), list(rows_as_data(frame, False).index)
    (['t', 'x'], [0, 1])
    """
    return frame.reset_index() if index_is_data else frame.reset_index(drop=True)


def _fineness(column: pd.Series) -> np.ndarray:
    """How finely each date or duration is written: 0 at midnight, 1 in seconds, 2, 3, 4 in ms, us, ns.

    pandas writes a column of them (to CSV) at the finest of the column: dates alone
    where all are at midnight, seconds, or down to the finest fraction found; -1 for NaT.
    """
    ticks = np.asarray(column.array.asi8)
    per_second = 10 ** {"s": 0, "ms": 3, "us": 6, "ns": 9}[column.array.unit]
    nanos = (ticks % per_second) * (10**9 // per_second)
    finer = [nanos % 1000 != 0, nanos % 10**6 != 0, nanos != 0, ticks % (86400 * per_second) != 0]
    score = np.select(finer, [4, 3, 2, 1], 0)
    return np.where(column.isna().to_numpy(), -1, score)


def format_witnesses(frames: Iterator[pd.DataFrame]) -> dict[Any, pd.Series]:
    """For each date or duration column, a value written as finely as the finest of the column.

    Written beside any part of the column, it makes pandas write that part as it writes
    the whole column (see :func:`in_whole_column_format`).

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._filetypes import format_witnesses
    >>> times = pd.to_datetime(["2024-01-01", "2024-01-02 00:00:01.5", "2024-01-03"], format="ISO8601")
    >>> format_witnesses(iter([pd.DataFrame({"t": times})]))["t"].tolist()
    [Timestamp('2024-01-02 00:00:01.500000')]
    """
    found: dict[Any, tuple[int, pd.Series]] = {}
    for frame in frames:
        for name, column in frame.items():
            if column.dtype.kind in "mM" and len(column):
                fineness = _fineness(column)
                best = int(np.argmax(fineness))
                if fineness[best] > found.get(name, (-1, None))[0]:
                    found[name] = (int(fineness[best]), column.iloc[best : best + 1])
    return {name: witness for name, (_, witness) in found.items()}


def in_whole_column_format(frame: pd.DataFrame, witnesses: dict[Any, pd.Series]) -> pd.DataFrame:
    """``frame`` with its dates and durations written out as text, as pandas writes the whole columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from rollmed._filetypes import in_whole_column_format
    >>> times = pd.to_datetime(["2024-01-01", "2024-01-02 00:00:01.5"], format="ISO8601")
    >>> part = pd.DataFrame({"t": times[:1]})
    >>> part.to_csv(index=False).split()
    ['t', '2024-01-01']
    >>> in_whole_column_format(part, {"t": pd.Series(times[1:])}).to_csv(index=False).splitlines()
    ['t', '2024-01-01 00:00:00.000']
    """
    if not witnesses:
        return frame
    frame = frame.copy(deep=False)
    for name, witness in witnesses.items():
        column = frame[name]
        text = pd.concat([column, witness], ignore_index=True).to_frame().to_csv(index=False, header=False)
        written = pd.Series(text.split("\n")[: len(column)], index=column.index, dtype=object)
        frame[name] = written.where(column.notna().to_numpy())
    return frame


def _is_text(dtype: Any) -> bool:
    return isinstance(dtype, pd.StringDtype)


def _integers(column: pd.Series) -> tuple[bool, bool]:
    """Whether the chunk holds integers beyond int64; whether it holds integers only (no gap).

    With integers beyond int64 pandas' type for a whole column depends on how each value
    is spelt (``1`` or ``1.0``) and may keep missing values as text, unless the column
    holds integers only: then their least and greatest decide it.
    """
    if column.dtype.kind in "iu":
        return column.dtype == np.uint64 and column.max() > _INT64_MAX, True
    if column.dtype == object:
        values = list(column.dropna())
        ints = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
        return any(abs(value) > _INT64_MAX for value in ints), False
    if _is_text(column.dtype):
        spelt = column.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(dtype=bool)
        huge = any(abs(int(value)) > _INT64_MAX for value in column[spelt])
        return huge, bool(spelt.all())
    return False, False


def _deciding_values(column: pd.Series) -> set[str]:
    """A few spellings that pandas types as it types the whole chunk column, with other chunks too."""
    missing = column.isna()
    spellings = {""} if missing.any() else set()
    present = column[~missing]
    if not len(present):
        return spellings
    kind = column.dtype.kind
    if _is_text(column.dtype):
        return spellings | {_TEXT}
    if kind == "b":
        return spellings | {_BOOL}
    if kind in "iu":
        return spellings | {str(present.min()), str(present.max())}
    if kind == "f":
        return spellings | {_FLOAT}
    # object: bools with missing values, or integers beyond int64
    for value in present:
        if isinstance(value, (bool, np.bool_)):
            spellings.add(_BOOL)
        elif isinstance(value, (int, np.integer)):
            spellings.add(str(value))
        elif isinstance(value, float):
            spellings.add(_FLOAT)
        else:
            spellings.add(_TEXT)
    return spellings


def _type_of(spellings: set[str]) -> Any:
    """The dtype pandas gives a whole column of these values (and a column of zeros beside it)."""
    text = "value,zero\n" + "".join(f"{spelling},0\n" for spelling in sorted(spellings))
    return pd.read_csv(io.StringIO(text), low_memory=False)["value"].dtype


class CsvChunks:
    """A CSV file's rows a chunk at a time, each column of the type a one-shot read gives it.

    The first pass reads the file a chunk at a time, as pandas types each chunk, and
    settles each column's type; iterating reads it again with those types.

    Raises
    ------
    UntypableColumn
        For a column of integers beyond int64 whose chunks differ in type.
    """

    def __init__(self, path: Path, chunksize: int) -> None:
        self._path = path
        self._chunksize = chunksize
        seen: dict[Any, set[Any]] = {}
        spellings: dict[Any, set[str]] = {}
        huge: set[Any] = set()  # columns with integers beyond int64
        mixed: set[Any] = set()  # columns with more than integers
        with pd.read_csv(path, chunksize=chunksize, low_memory=False) as reader:
            for chunk in reader:
                # A CSV file has an index only where its header is a field short: then every chunk has it.
                self.index_is_data = not isinstance(chunk.index, pd.RangeIndex)
                for name, column in chunk.items():
                    seen.setdefault(name, set()).add(column.dtype)
                    spellings.setdefault(name, set()).update(_deciding_values(column))
                    has_huge, integers_only = _integers(column)
                    if has_huge:
                        huge.add(name)
                    if not integers_only:
                        mixed.add(name)
        self._dtypes, self._as_objects = {}, []  # dtypes pandas reads, and object columns it cannot
        for name, dtypes_seen in seen.items():
            if name in huge and name in mixed:
                raise UntypableColumn(
                    f"column {name!r} holds integers beyond the int64 range, which pandas types by "
                    "looking at the whole column: read the file without --chunksize"
                )
            dtype = next(iter(dtypes_seen)) if len(dtypes_seen) == 1 else _type_of(spellings[name])
            if dtype == np.dtype(object):  # bools with gaps: each chunk as it reads, as objects
                self._as_objects.append(name)
            else:
                self._dtypes[name] = dtype
        self.formats: dict[Any, pd.Series] = {}  # CSV columns are never dates: pandas reads them as text

    def __iter__(self) -> Iterator[pd.DataFrame]:
        options = {"chunksize": self._chunksize, "dtype": self._dtypes, "low_memory": False}
        with pd.read_csv(self._path, **options) as reader:
            for chunk in reader:
                yield rows_as_data(chunk.astype(dict.fromkeys(self._as_objects, object)), self.index_is_data)


def _is_nullable_in_pandas(data_type: Any) -> bool:
    """Whether pyarrow converts a column of this type differently once it has a missing value."""
    import pyarrow as pa

    return pa.types.is_integer(data_type) or pa.types.is_boolean(data_type)


class ParquetChunks:
    """A Parquet file's rows a chunk at a time, each chunk as part of the whole table converts.

    Parameters
    ----------
    path : Path
        The file.
    chunksize : int
        The rows of each chunk (pyarrow's batches: the last of a row group may be shorter).
    """

    def __init__(self, path: Path, chunksize: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._file = pq.ParquetFile(path)
        self._chunksize = chunksize
        self.schema = self._file.schema_arrow
        self.rows = self._file.metadata.num_rows
        self._dictionaries, missing = self._scan()
        self._range = self._stored_range()
        # The file's index is data (a column) if a one-shot read finds a meaningful one.
        stored = self.schema.pandas_metadata.get("index_columns", []) if self.schema.pandas_metadata else []
        self.index_is_data = any(isinstance(name, str) for name in stored) or (
            self._range is not None and not default_index(self._range)
        )
        self._last_row = self._filler(missing)
        # A second pass, where there are dates: how finely each column of them is written.
        temporal = any(pa.types.is_temporal(field.type) for field in self.schema)
        self.formats = format_witnesses(iter(self)) if temporal else {}

    def _scan(self) -> tuple[dict[str, Any], set[str]]:
        """The first pass: the dictionary of each dictionary column, and which columns miss values."""
        import pyarrow as pa
        import pyarrow.compute as pc

        dictionaries = {f.name: [] for f in self.schema if pa.types.is_dictionary(f.type)}
        nullable = [f.name for f in self.schema if _is_nullable_in_pandas(f.type)]
        missing: set[str] = set()
        names = [*dictionaries, *nullable]
        if names:
            for batch in self._file.iter_batches(batch_size=self._chunksize, columns=names):
                for name in nullable:
                    if batch.column(name).null_count:
                        missing.add(name)
                for name, pieces in dictionaries.items():
                    pieces.append(batch.column(name).dictionary)
        # pyarrow joins the dictionaries of a table's chunks in order of first appearance.
        unified = {
            name: pc.unique(pa.chunked_array(pieces, self.schema.field(name).type.value_type))
            for name, pieces in dictionaries.items()
        }
        return unified, missing

    def _stored_range(self) -> pd.RangeIndex | None:
        """A RangeIndex the file stores as numbers in its metadata (not as a column), if any."""
        metadata = self.schema.pandas_metadata or {}
        stored = metadata.get("index_columns", [])
        if len(stored) != 1 or not isinstance(stored[0], dict) or stored[0].get("kind") != "range":
            return None
        found = stored[0]
        index = pd.RangeIndex(found["start"], found["stop"], found["step"], name=found["name"])
        return index if len(index) == self.rows else None  # as pyarrow, which drops a range that does not fit

    def _filler(self, missing: set[str]) -> Any:
        """A row to convert with each chunk, so that pyarrow converts its columns as the whole table's.

        Missing where the whole file misses a value, present (0, False) elsewhere.
        """
        import pyarrow as pa

        def cell(field: Any) -> Any:
            if _is_nullable_in_pandas(field.type) and field.name not in missing:
                return pa.array([False if pa.types.is_boolean(field.type) else 0], field.type)
            return pa.nulls(1, field.type)

        return pa.Table.from_arrays([cell(field) for field in self.schema], schema=self.schema)

    def _convert(self, table: Any, first_row: int) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.compute as pc

        for name, dictionary in self._dictionaries.items():
            position = table.schema.get_field_index(name)
            column = table.column(position).combine_chunks()
            indices = pc.index_in(column.dictionary_decode(), value_set=dictionary)
            recoded = pa.DictionaryArray.from_arrays(indices.cast(column.type.index_type), dictionary)
            table = table.set_column(position, self.schema.field(name), recoded)
        frame = pa.concat_tables([table, self._last_row]).to_pandas().iloc[:-1]
        if self._range is not None:
            frame.index = self._range[first_row : first_row + len(frame)]
        return rows_as_data(frame, self.index_is_data)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        import pyarrow as pa

        first_row = 0
        for batch in self._file.iter_batches(batch_size=self._chunksize):
            table = pa.Table.from_batches([batch]).replace_schema_metadata(self.schema.metadata)
            yield self._convert(table, first_row)
            first_row += batch.num_rows
        if first_row == 0:
            yield self._convert(self.schema.empty_table(), 0)
