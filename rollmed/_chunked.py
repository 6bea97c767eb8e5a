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

from rollmed import _plans
from rollmed._plans import group_order
from rollmed._stream import RollingMedian


class _LaggedGroup:
    """One group's streams (one per column) and its rows still waiting for a result.

    With a centred window a row's result is its group's trailing result ``lag`` rows
    later; the first ``lag`` trailing results of a group belong to no row.
    """

    def __init__(self, make_stream: Any, columns: list[str], lag: int) -> None:
        self.streams = {column: make_stream() for column in columns}
        self.waiting = np.empty(0, np.int64)  # row numbers, in the group's order
        self.skip = lag

    def feed(self, rows: np.ndarray, values_of: dict[str, np.ndarray], results: dict[str, np.ndarray],
             first_row: int) -> np.ndarray:  # fmt: skip
        """Feed the group's next values (of ``rows``); write the results they resolve; those rows."""
        self.waiting = np.concatenate([self.waiting, rows])
        n_fed = len(next(iter(values_of.values())))
        dropped = min(self.skip, n_fed)
        self.skip -= dropped
        resolved, self.waiting = self.waiting[: n_fed - dropped], self.waiting[n_fed - dropped :]
        for column, stream in self.streams.items():
            results[column][resolved - first_row] = stream.update(values_of[column])[dropped:]
        return resolved


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

    Rows go out in the file's order as soon as their results are known: at once for a
    trailing window; for a centred one, once their group has ``(window - 1) // 2``
    more rows (or the file ends, and the windows are cut short as pandas clips them).
    A group that pauses holds back the rows after its own until it goes on.
    """
    lag = _plans.fixed_offsets(window, center, None)[1] - 1  # the rows after each row its window takes

    def make_stream() -> RollingMedian:
        return RollingMedian(window, min_periods=min_periods, q=q, interpolation=interpolation)

    groups: dict[Any, _LaggedGroup] = {}
    pending: list[pd.DataFrame] = []  # rows read but not written, in order
    results = {column: np.empty(0) for column in columns}  # theirs, NaN until resolved
    resolved = np.empty(0, np.bool_)
    first_row = 0  # the row number of the first pending row
    next_row = 0

    def feed_group(key: Any, rows: np.ndarray, values_of: dict[str, np.ndarray]) -> None:
        group = groups.get(key)
        if group is None:
            group = groups[key] = _LaggedGroup(make_stream, columns, lag)
        resolved[group.feed(rows, values_of, results, first_row) - first_row] = True

    def ready() -> pd.DataFrame | None:
        nonlocal pending, resolved, first_row
        n_ready = len(resolved) if resolved.all() else int(np.argmin(resolved))
        if n_ready == 0:
            return None
        rows = (
            pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)
        )
        done = rows.iloc[:n_ready].copy()
        for column in columns:
            done[f"{column}_rollmed"] = results[column][:n_ready]
            results[column] = results[column][n_ready:]
        pending = [rows.iloc[n_ready:]] if n_ready < len(rows) else []
        resolved = resolved[n_ready:]
        first_row += n_ready
        return done

    for chunk in chunks:
        rows = np.arange(next_row, next_row + len(chunk))
        next_row += len(chunk)
        pending.append(chunk)
        for column in columns:
            results[column] = np.concatenate([results[column], np.full(len(chunk), np.nan)])
        resolved = np.concatenate([resolved, np.zeros(len(chunk), np.bool_)])
        values_of = {column: chunk[column].to_numpy(dtype=np.float64, na_value=np.nan) for column in columns}
        if by is None:
            feed_group(None, rows, values_of)
        else:
            codes, keys = pd.factorize(chunk[by], use_na_sentinel=True)
            resolved[rows[codes < 0] - first_row] = True  # no group: no result
            order, segments = group_order(codes)
            for number, key in enumerate(keys):
                members = order[segments[number] : segments[number + 1]]
                feed_group(key, rows[members], {column: v[members] for column, v in values_of.items()})
        done = ready()
        if done is not None:
            yield done
    if lag:
        # Past the end of the file each group's last windows are cut short.
        padding = {column: np.full(lag, np.nan) for column in columns}
        for key in list(groups):
            feed_group(key, np.empty(0, np.int64), padding)
        done = ready()
        if done is not None:
            yield done
