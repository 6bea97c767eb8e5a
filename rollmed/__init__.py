"""rollmed: fast, exact rolling and running medians for pandas and NumPy.

``import rollmed`` registers the ``.rollmed`` accessors on pandas Series and
DataFrames and offers bottleneck-style NumPy functions (:func:`move_median`,
:func:`move_quantile`, :func:`move_mad`, :func:`move_rank`, :func:`expanding_median`)
and a streaming state (:class:`RollingMedian`). The numba kernels compile on the
first call of each statistic and are cached on disk.
"""

from rollmed import _frame_accessor, accessor  # noqa: F401  (register the .rollmed accessors)
from rollmed._numpy_api import expanding_median, move_mad, move_median, move_quantile, move_rank
from rollmed._robust_stream import RollingHampel, RollingMAD, RollingRank
from rollmed._stream import RollingMedian
from rollmed._threads import get_num_threads, set_num_threads

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
