"""rollmed: fast, exact rolling and running medians for pandas and NumPy.

``import rollmed`` registers the ``.rollmed`` accessors on pandas Series and
DataFrames and offers bottleneck-style NumPy functions (:func:`move_median`,
:func:`move_quantile`, :func:`move_mad`, :func:`move_rank`, :func:`expanding_median`)
and a streaming state (:class:`RollingMedian`). The numba kernels compile on the
first call of each statistic and are cached on disk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rollmed import _frame_accessor, accessor  # noqa: F401  (register the .rollmed accessors)
from rollmed._numpy_api import expanding_median, move_mad, move_median, move_quantile, move_rank
from rollmed._threads import get_num_threads, set_num_threads

if TYPE_CHECKING:
    from rollmed._robust_stream import RollingHampel, RollingMAD, RollingRank
    from rollmed._stream import RollingMedian

# The streams load on first use: most sessions only roll pandas objects, and the stream
# modules were a third of ``import rollmed``.
_STREAMS = {
    "RollingMedian": "rollmed._stream",
    "RollingMAD": "rollmed._robust_stream",
    "RollingRank": "rollmed._robust_stream",
    "RollingHampel": "rollmed._robust_stream",
}

__all__ = [
    "RollingHampel",
    "RollingMAD",
    "RollingMedian",
    "RollingRank",
    "expanding_median",
    "get_num_threads",
    "move_mad",
    "move_median",
    "move_quantile",
    "move_rank",
    "set_num_threads",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _STREAMS.get(name)
    if module is None:
        raise AttributeError(f"module 'rollmed' has no attribute {name!r}")
    stream_class = getattr(importlib.import_module(module), name)
    globals()[name] = stream_class  # found directly from now on
    return stream_class


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
