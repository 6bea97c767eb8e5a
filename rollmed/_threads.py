"""Run the kernels on several threads: they release the GIL, so plain Python threads suffice.

numba's own ``parallel=True`` would need a threading layer that is safe for calls from
several Python threads at once (its default, workqueue, is not) and would lengthen the
compile; a thread pool over spans of the data needs neither.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor


def _default_num_threads() -> int:
    from_env = os.environ.get("ROLLMED_NUM_THREADS") or os.environ.get("NUMBA_NUM_THREADS")
    if from_env:
        return max(1, int(from_env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_num_threads = _default_num_threads()
_pools: dict[int, ThreadPoolExecutor] = {}  # one per thread count asked for, kept for reuse
_pool_lock = threading.Lock()


def get_num_threads() -> int:
    """The number of threads rollmed's kernels run on.

    Returns
    -------
    int
        By default ``ROLLMED_NUM_THREADS``, else ``NUMBA_NUM_THREADS``, else the number
        of cores this process may use.

    Examples
    --------
    >>> import rollmed
    >>> rollmed.get_num_threads() >= 1
    True
    """
    return _num_threads


def set_num_threads(n: int) -> None:
    """Set the number of threads rollmed's kernels run on.

    Results do not depend on it: the data is split the same way whatever the count.

    Parameters
    ----------
    n : int
        At least 1.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is below 1.

    Examples
    --------
    >>> import rollmed
    >>> previous = rollmed.get_num_threads()
    >>> rollmed.set_num_threads(1)
    >>> rollmed.get_num_threads()
    1
    >>> rollmed.set_num_threads(previous)
    """
    global _num_threads
    from rollmed._api import _check_integer

    n = _check_integer("n", n)
    if n < 1:
        raise ValueError(f"`n` (={n}) must be at least 1")
    _num_threads = n


def _executor() -> ThreadPoolExecutor:
    # A pool per thread count, never shut down: a call on another thread may still be
    # using the one it took, and switching counts back and forth creates no new threads.
    with _pool_lock:
        pool = _pools.get(_num_threads)
        if pool is None:
            pool = _pools[_num_threads] = ThreadPoolExecutor(_num_threads - 1, thread_name_prefix="rollmed")
        return pool


def run(tasks: Iterable[tuple], work: Callable[..., None]) -> None:
    """Call ``work(*task)`` for every task, on up to ``get_num_threads()`` threads.

    The calling thread takes tasks too, from the same list as its helpers: it is
    already running, while a pool thread may take a while to wake, so the call is
    never slower than on one thread.
    """
    tasks = list(tasks)
    n_helpers = min(_num_threads, len(tasks)) - 1
    if n_helpers < 1:
        for task in tasks:
            work(*task)
        return
    taken = itertools.count()  # next() on it is atomic under the GIL: each task goes to one thread

    def take_tasks() -> None:
        while (index := next(taken)) < len(tasks):
            work(*tasks[index])

    pool = _executor()
    helpers = [pool.submit(take_tasks) for _ in range(n_helpers)]
    try:
        take_tasks()
    finally:
        for helper in helpers:  # they write into the caller's arrays: wait for them, even on error
            helper.exception()
    for helper in helpers:
        helper.result()
