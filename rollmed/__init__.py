"""rollmed: fast, exact rolling and running medians for pandas and NumPy.

``import rollmed`` registers the ``.rollmed`` accessor on pandas Series and offers
the NumPy functions :func:`move_median` and :func:`expanding_median`. The numba
kernels compile on the first call and are cached on disk.
"""

from rollmed import _frame_accessor, accessor  # noqa: F401  (register the .rollmed accessors)
from rollmed._numpy_api import expanding_median, move_median, move_quantile
from rollmed._stream import RollingMedian
from rollmed._threads import get_num_threads, set_num_threads

__all__ = [
    "RollingMedian",
    "expanding_median",
    "get_num_threads",
    "move_median",
    "move_quantile",
    "set_num_threads",
]
__version__ = "0.1.0"
