"""Run the kernels on several threads: they release the GIL, so plain Python threads suffice.

numba's own ``parallel=True`` would need a threading layer that is safe for calls from
several Python threads at once (its default, workqueue, is not) and would lengthen the
compile; a thread pool over spans of the data needs neither.
"""

from __future__ import annotations

import itertools
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from rollmed import _checks

# Where the default thread count comes from, in order.
_ENVIRONMENT_VARIABLES = ("ROLLMED_NUM_THREADS", "NUMBA_NUM_THREADS")


def _default_num_threads() -> int:
    """The first thread count the environment sets, checked as :func:`set_num_threads` checks one."""
    for variable in _ENVIRONMENT_VARIABLES:
        text = os.environ.get(variable, "").strip()
        if not text:
            continue
        try:
            return _checks.check_num_threads(int(text), variable)
        except ValueError:  # not an integer, or below 1: say so, and fall back on the cores
            warnings.warn(
                f"{variable}={text!r} is not a number of threads (an integer, at least 1); "
                "rollmed ignores it",
                RuntimeWarning,
                stacklevel=2,
            )
            break
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_num_threads = _default_num_threads()
# One pool at a time, for the current thread count; replaced (and the old one shut
# down) when the count changes. It is taken and given work under the lock, so a pool
# is never shut down between being taken and being given its tasks.
_pool: ThreadPoolExecutor | None = None
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

    Results do not depend on it: every split of the data gives the same results, bit for bit.

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
    global _num_threads, _pool
    n = _checks.check_num_threads(n)
    with _pool_lock:
        if n != _num_threads and _pool is not None:
            # Work already given to the old pool finishes; its threads then exit.
            _pool.shutdown(wait=False)
            _pool = None
        _num_threads = n


def _submit(work: Callable[[], None], copies: int) -> list[Future]:
    """Give ``copies`` calls of ``work`` to the pool of the current thread count."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(_num_threads - 1, 1), thread_name_prefix="rollmed")
        return [_pool.submit(work) for _ in range(copies)]


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

    helpers = _submit(take_tasks, n_helpers)
    try:
        take_tasks()
    finally:
        for helper in helpers:  # they write into the caller's arrays: wait for them, even on error
            helper.exception()
    for helper in helpers:
        helper.result()
