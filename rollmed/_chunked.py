"""Files larger than memory: read in chunks, fed through streaming states, written as they come.

Peak memory follows the chunk size, not the file size, and the result equals the
one-shot result: a trailing window is a :class:`rollmed.RollingMedian` per column (per
group with ``by``); a centred window is the same trailing window read ``(window - 1) //
2`` rows later, with missing values fed past the end of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from rollmed._stream import RollingMedian
from rollmed._windows import group_order


class _ColumnStream:
    """The streaming state of one column: one stream, or one per group of ``by`` keys."""

    def __init__(self, window: int, min_periods: int | None, q: float, interpolation: str, grouped: bool):
        # Plain attributes, no closure: a dask worker process receives this pickled.
        self._options = {"window": window, "min_periods": min_periods, "q": q, "interpolation": interpolation}
        self._single = None if grouped else self._make()
        self._groups: dict[Any, RollingMedian] = {}

    def _make(self) -> RollingMedian:
        options = dict(self._options)
        return RollingMedian(options.pop("window"), **options)

    def update(self, values: np.ndarray, keys: pd.Series | None) -> np.ndarray:
        if keys is None:
            return self._single.update(values)
        out = np.full(len(values), np.nan)
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        order, segments = group_order(codes)
        for number, key in enumerate(uniques):
            rows = order[segments[number] : segments[number + 1]]
            stream = self._groups.get(key)
            if stream is None:
                stream = self._groups[key] = self._make()
            out[rows] = stream.update(values[rows])
        return out


def rolling_chunks(
    chunks: Iterator[pd.DataFrame],
    columns: list[str],
    window: int,
    min_periods: int | None,
    center: bool,
    q: float,
    interpolation: str,
    by: str | None,
) -> Iterator[pd.DataFrame]:
    """Each chunk with a column ``C_rollmed`` per column ``C``, as the whole file would give.

    With ``center``, each chunk's last ``(window - 1) // 2`` rows wait for the next
    chunk, whose rows their windows reach into.
    """
    lag = (window - 1) // 2 if center else 0
    streams = {
        column: _ColumnStream(window, min_periods, q, interpolation, by is not None) for column in columns
    }
    pending: list[pd.DataFrame] = []  # rows read but not written yet, in order
    trailing = {column: [] for column in columns}  # their results so far, in order
    skip = lag  # the first `lag` trailing results belong to rows before the first

    def feed(values_of: dict[str, np.ndarray], keys: pd.Series | None) -> None:
        nonlocal skip
        for column in columns:
            fresh = streams[column].update(values_of[column], keys)
            trailing[column].append(fresh[skip:])
        skip = max(skip - len(next(iter(values_of.values()))), 0)

    def ready_rows() -> pd.DataFrame | None:
        # The trailing result at row p is the centred result of row p - lag.
        n_ready = sum(len(part) for part in trailing[columns[0]])
        if not n_ready:
            return None
        rows = (
            pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)
        )
        done = rows.iloc[:n_ready].copy()
        for column in columns:
            done[f"{column}_rollmed"] = np.concatenate(trailing[column])
            trailing[column] = []
        pending[:] = [rows.iloc[n_ready:]] if n_ready < len(rows) else []
        return done

    for chunk in chunks:
        pending.append(chunk)
        keys = None if by is None else chunk[by]
        feed({column: chunk[column].to_numpy(dtype=np.float64, na_value=np.nan) for column in columns}, keys)
        done = ready_rows()
        if done is not None:
            yield done
    if lag and pending:
        # Past the end of the file the centred windows are cut short, as pandas clips them.
        feed({column: np.full(lag, np.nan) for column in columns}, None)
        done = ready_rows()
        if done is not None:
            yield done
