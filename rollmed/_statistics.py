"""Statistics: what each window gives, checked once and named for the runners.

A plan (rollmed._plans) says which rows each window covers; a statistic says what the
window's values become. The runners pick the kernel that answers it: the double heap
for one order statistic, the order-statistic window for several, for the MAD and for
ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rollmed import _checks


# Named tuples rather than dataclasses: made at import, and a dataclass costs a millisecond
# to make (the import of rollmed should stay within a few milliseconds of pandas').
class Quantiles(NamedTuple):
    """The ``qs`` quantiles of each window, each read with its interpolation code (rollmed._checks).

    The codes differ only where ``q = 0.5`` with linear interpolation reads as pandas'
    median, ``(a + b) / 2``, as it does alone.
    """

    qs: tuple[float, ...]
    interpolations: tuple[int, ...]

    @property
    def n_outputs(self) -> int:
        """Results per window."""
        return len(self.qs)


MEDIAN = Quantiles((_checks.MEDIAN_QUANTILE[0],), (_checks.MEDIAN_QUANTILE[1],))


def quantiles(q: Any, interpolation: Any) -> tuple[Quantiles, bool]:
    """``q`` (a number or a sequence of numbers) and ``interpolation``, checked.

    Returns the statistic and whether ``q`` was a sequence (results then gain an axis).
    """
    is_sequence = not isinstance(q, (str, bytes)) and isinstance(q, (Sequence, np.ndarray))
    if (is_sequence and np.ndim(q) != 1) or (is_sequence and len(q) == 0):
        raise _checks.ArgumentError("q", q, "a number or a non-empty, one-dimensional sequence of numbers")
    checked = [_checks.check_quantile(value, interpolation) for value in (q if is_sequence else [q])]
    qs, codes = zip(*checked, strict=True)
    return Quantiles(tuple(qs), tuple(codes)), is_sequence


class MedianAbsoluteDeviation(NamedTuple):
    """The median of ``|x - median(window)|`` over each window, times ``scale``; with the median first."""

    scale: float = 1.0
    with_median: bool = False

    @property
    def n_outputs(self) -> int:
        """Results per window: the MAD, or the median and the MAD."""
        return 2 if self.with_median else 1


# What the Hampel filter needs of each window: its median and its (unscaled) MAD.
MEDIAN_AND_MAD = MedianAbsoluteDeviation(1.0, with_median=True)


RANK_METHODS = ("average", "min", "max")


class Rank(NamedTuple):
    """Where the last value of each window stands among the window's values.

    ``method`` is pandas' for ties (``average``, ``min``, ``max``), or ``"normalized"``:
    bottleneck's ``move_rank``, the average rank scaled to [-1, 1].
    """

    method: str = "average"
    ascending: bool = True
    pct: bool = False

    @property
    def n_outputs(self) -> int:
        """Results per window."""
        return 1


def rank(method: Any, ascending: Any, pct: Any) -> Rank:
    """Pandas' ``Rolling.rank`` arguments, checked."""
    if method not in RANK_METHODS:
        raise _checks.ArgumentError("method", method, f"one of {', '.join(map(repr, RANK_METHODS))}")
    return Rank(method, _checks.check_flag("ascending", ascending), _checks.check_flag("pct", pct))


Statistic = Quantiles | MedianAbsoluteDeviation | Rank
