"""The numba kernels of rollmed: every jitted function lives in this module.

Why one file: numba's on-disk cache (``cache=True``) does not notice a change to a
jitted function that lives in another file (numba docs, developer/caching.rst), so a
kernel split across modules could run stale code after an edit.

Kernels never see pandas and never validate: the layers above check every argument.
They consume monotone window bounds ``start[j] <= end[j]`` over global positions
(window ``j`` holds positions ``[start[j], end[j])``), so fixed, centred, expanding,
time and group windows are different bounds, not different kernels. Their state lives
in arrays the caller owns, so a stream, a chunked file or the next dask partition can
carry on where the last call stopped.

Sections, in order:

1. Compilation: how kernels are compiled.
2. Reading a quantile: two order statistics to one result, as pandas reads them.
3. The indexed double heap: the state (:class:`HeapState`), its lifecycle and its moves.
4. Drivers: the heap over a run of windows, and windows of a few values sorted afresh.
5. The order-statistic window (block sort and bitset): MAD, ranks, several quantiles.
6. Networks: the median, MAD and quantiles of narrow windows, many outputs at once.
7. Entry points over fixed offsets and bounds arrays, split into spans for threads.
8. Window bounds: groups and time windows.
9. Streams: a heap state carried between calls.
"""

import functools
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

# =====================================================================================
# 1. Compilation
# =====================================================================================


def _jit_cached(**options):
    """``njit(cache=True, nogil=True, **options)``, compiling in memory where no cache can be written.

    numba caches beside the source, or in the user's cache directory when the package
    is read-only; with neither writable it refuses ``cache=True`` outright.
    """
    options = {"nogil": True, **options}

    def decorate(function):
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError:
            return njit(**options)(function)

    return decorate


_jit = _jit_cached()
# The heap code runs without numba's reference counting (``_nrt=False``) and is
# inlined into the drivers: otherwise every call that passes the state arrays pays
# atomic increments and decrements, which made the engine 3x slower than bottleneck.
# Functions compiled this way cannot allocate; their callers allocate.
_no_refcount = _jit_cached(_nrt=False)
_inline = _jit_cached(_nrt=False, inline="always")
# A stream's value at a time keeps the GIL: releasing and taking it back would cost a
# third of the call (0.1 us of 0.3 us), for work of about as long.
_one_value = _jit_cached(_nrt=False, nogil=False)


# =====================================================================================
# 2. Reading a quantile
# =====================================================================================

# How a quantile between two order statistics is read; the NumPy layer's codes
# (rollmed._checks.INTERPOLATIONS) are these.
LINEAR = 0
LOWER = 1
HIGHER = 2
MIDPOINT = 3
NEAREST = 4
FLOOR = 5  # the floor of the midpoint: shared/seeds/002's median of integers


class Readout(NamedTuple):
    """How a window's values become its result."""

    q: float  # the quantile, from 0 to 1
    interpolation: int  # one of the codes above
    min_count: int  # fewer present values than this give no result


@_inline
def _midpoint(low, high):
    """``(low + high) / 2`` as pandas computes it, but finite where only the sum overflows."""
    mid = (low + high) / 2
    if np.isinf(mid) and np.isfinite(low) and np.isfinite(high):
        mid = low / 2 + high / 2
    return mid


@_inline
def _linear(low, high, fraction):
    """``low + (high - low) * fraction`` as pandas computes it, where that is a number.

    Where it is not, the limit: infinities are values (between -inf and a number the
    quantile is -inf; between -inf and -inf, -inf), only -inf and +inf together have
    none; and two finite values whose difference overflows are interpolated at half
    scale (halving and doubling such large numbers is exact).
    """
    pandas = low + (high - low) * fraction
    if np.isfinite(pandas):
        return pandas
    if low == high:
        return low
    if np.isinf(low):
        return np.nan if np.isinf(high) else low
    if np.isinf(high):
        return high
    return 2 * (low / 2 + (high / 2 - low / 2) * fraction)


@_inline
def _select(low, high, fraction, rank, interpolation):
    """The modes that select one of the two values: lower, higher, nearest (half to even, as pandas)."""
    if fraction == 0 or interpolation == LOWER:
        return low
    if interpolation == HIGHER:
        return high
    if fraction == 0.5:
        return high if rank % 2 == 1 else low
    return high if fraction > 0.5 else low


@_inline
def _read_float(low, high, fraction, rank, interpolation):
    """The quantile between the order statistics ``low`` (at ``rank``) and ``high``, in float64."""
    if fraction == 0:
        return np.float64(low)
    if interpolation == LINEAR:
        return _linear(np.float64(low), np.float64(high), fraction)
    if interpolation == MIDPOINT:
        return _midpoint(np.float64(low), np.float64(high))
    if interpolation == FLOOR:
        return np.floor(_midpoint(np.float64(low), np.float64(high)))
    return np.float64(_select(low, high, fraction, rank, interpolation))


@_inline
def _read_exact(low, high, fraction, rank, interpolation):
    """The quantile of integers, for the modes that never leave them: selections and floor."""
    if interpolation == FLOOR and fraction != 0:
        # floor((low + high) / 2) without the sum, which could overflow.
        return (low >> 1) + (high >> 1) + (low & high & 1)
    return _select(low, high, fraction, rank, interpolation)


def _emit(out, out_valid, j, ok, low, high, fraction, rank, interpolation):  # pragma: no cover
    pass


@overload(_emit)
def _emit_overload(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
    """Write one result: a float (NaN when not ``ok``), or an exact integer and its validity."""
    if isinstance(out.dtype, types.Integer):

        def emit_exact(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
            out_valid[j] = ok
            out[j] = _read_exact(low, high, fraction, rank, interpolation) if ok else 0

        return emit_exact

    def emit_float(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
        out[j] = _read_float(low, high, fraction, rank, interpolation) if ok else np.nan

    return emit_float


@_inline
def quantile_rank(q, held):
    """Where the quantile ``q`` of ``held`` sorted values falls: ``(rank, fraction)``.

    The order statistic ``rank`` (from 0) and the fraction of the way to the next one,
    pandas' and NumPy's rule, ``q * (held - 1)``; every path that reads a quantile asks here.
    """
    fractional_rank = q * max(held - 1, 0)
    rank = int(fractional_rank)
    return rank, fractional_rank - rank


@_inline
def _emit_order_statistics(readout, held, low, high, out, out_valid, j):
    """Write the quantile of ``held`` values whose order statistics at its rank are ``low``, ``high``."""
    rank, fraction = quantile_rank(readout.q, held)
    ok = held > 0 and held >= readout.min_count
    _emit(out, out_valid, j, ok, low, high, fraction, rank, readout.interpolation)


@_inline
def _low_count(q, held):
    """How many of ``held`` values lie at or below the quantile's lower order statistic."""
    return quantile_rank(q, held)[0] + 1


# =====================================================================================
# 3. The indexed double heap
# =====================================================================================
#
# The lower part of the window lives in a max-heap ``lo`` and the upper part in a
# min-heap ``hi``, both stored as min-heaps of *keys*: ``lo`` holds the values flipped
# (``-x`` for floats, ``~x`` for integers; both exact and order-reversing). Each node
# also records the global position of its value, and ``node_of[pos & mask]`` the node
# that holds a position, so that a value leaving the window is found and removed in
# O(log k): the heaps never hold more than the window, unlike lazy deletion.
#
# A state lives in one int64 buffer, laid out by :func:`heap_state` alone, whether it
# serves one call or a stream that pickles it between calls:
#
#   [capacity of lo | capacity of hi | tracked | HeapState.counts (4) | lo_keys | hi_keys
#    | lo_pos | hi_pos | node_of]
#
# Lifecycle: ``heap_buffer`` (new), ``heap_state`` (the named views), ``heap_reset``
# (empty it for the next row), ``heap_grow`` (a larger buffer, the values kept).

# bottleneck's choice: an 8-ary heap is three times shallower than a binary one and
# the children of a node share a cache line (and _least_of_eight finds the least of them).
_ARITY = 8

# Slots of HeapState.counts.
_N_LO = 0  # values held in the low (max-) heap
_N_HI = 1  # values held in the high (min-) heap
_NEXT_IN = 2  # the next position to enter the window
_NEXT_OUT = 3  # the next position to leave the window
_N_COUNTS = 4

# The buffer's header: the capacities and whether positions are tracked, the counts, then
# what a stream fed one value at a time keeps beside its heaps (one array to unbox per
# call: each array argument costs about 0.1 us) and its scratch space.
_CAP_LO = 0
_CAP_HI = 1
_TRACKED = 2
_COUNTS = 3  # HeapState.counts: _N_COUNTS slots
STREAM_WINDOW = _COUNTS + _N_COUNTS  # a window of rows, 0 for everything, or a span of ticks
STREAM_Q = STREAM_WINDOW + 1  # the quantile's float64 bits
STREAM_INTERPOLATION = STREAM_Q + 1
STREAM_MIN_COUNT = STREAM_INTERPOLATION + 1
STREAM_LEFT_CLOSED = STREAM_MIN_COUNT + 1  # a time window includes its left end
STREAM_LAST_START = STREAM_LEFT_CLOSED + 1  # a time window: the start of the last window
# 1 while an update other than a value at a time has the stream, and for good in a buffer
# replaced by a larger one: stream_push and stream_push_in_time then refuse it.
STREAM_BUSY = STREAM_LAST_START + 1
_SCRATCH = STREAM_BUSY + 1  # a value, its window's start and end, and its result
_HEADER = _SCRATCH + 4


class HeapState(NamedTuple):
    """The double heap of one window, as views into its buffer."""

    lo_keys: np.ndarray  # the low values flipped, a min-heap (so a max-heap of the values)
    hi_keys: np.ndarray  # the high values, a min-heap
    lo_pos: np.ndarray  # the global position of each lo node (empty when untracked)
    hi_pos: np.ndarray  # the global position of each hi node (empty when untracked)
    node_of: np.ndarray  # node_of[pos & mask]: +i + 1 for lo[i], -i - 1 for hi[i], 0: not held
    counts: np.ndarray  # _N_LO, _N_HI, _NEXT_IN, _NEXT_OUT


@_inline
def power_of_two_at_least(n):
    """The power of two at or above ``n``: ``pos & (capacity - 1)`` then finds a position's slot."""
    capacity = 1
    while capacity < n:
        capacity *= 2
    return capacity


@_jit
def heap_buffer(cap_lo, cap_hi, tracked):
    """A new, empty state's buffer.

    ``tracked``: values leave the window one by one, found through their positions;
    both heaps then have one capacity, a power of two, and room for every position.
    Untracked, values never leave (an expanding window) or all leave at once, and each
    heap needs room only for its share of the values.
    """
    if tracked:
        cap_hi = cap_lo = power_of_two_at_least(max(cap_lo, cap_hi))
    size = _HEADER + (cap_lo + cap_hi) * (2 if tracked else 1) + (cap_lo if tracked else 0)
    buffer = np.zeros(size, np.int64)
    buffer[_CAP_LO] = cap_lo
    buffer[_CAP_HI] = cap_hi
    buffer[_TRACKED] = tracked
    return buffer


@_inline
def heap_state(buffer, values):
    """The named views of the state in ``buffer``, keys typed like ``values``."""
    cap_lo, cap_hi, tracked = buffer[_CAP_LO], buffer[_CAP_HI], buffer[_TRACKED]
    at = _HEADER
    lo_keys = buffer[at : at + cap_lo].view(values.dtype)  # float64 bits, or int64 itself
    at += cap_lo
    hi_keys = buffer[at : at + cap_hi].view(values.dtype)
    at += cap_hi
    n_pos_lo, n_pos_hi = (cap_lo, cap_hi) if tracked else (0, 0)
    lo_pos = buffer[at : at + n_pos_lo]
    at += n_pos_lo
    hi_pos = buffer[at : at + n_pos_hi]
    at += n_pos_hi
    node_of = buffer[at : at + n_pos_lo]
    return HeapState(lo_keys, hi_keys, lo_pos, hi_pos, node_of, buffer[_COUNTS : _COUNTS + _N_COUNTS])


@_inline
def heap_reset(state):
    """Empty the heaps, to start again at position 0."""
    state.node_of[:] = 0
    state.counts[:] = 0


@_jit
def heap_grow(buffer, cap_lo, cap_hi, values):
    """A buffer with room for ``cap_lo``, ``cap_hi`` values and the state of ``buffer`` in it.

    A tracked state's positions find new slots under the new mask; node indices stay.
    """
    old = heap_state(buffer, values)
    grown = heap_buffer(cap_lo, cap_hi, buffer[_TRACKED])
    grown[STREAM_WINDOW:_SCRATCH] = buffer[STREAM_WINDOW:_SCRATCH]
    new = heap_state(grown, values)
    n_lo, n_hi = old.counts[_N_LO], old.counts[_N_HI]
    new.lo_keys[:n_lo] = old.lo_keys[:n_lo]
    new.hi_keys[:n_hi] = old.hi_keys[:n_hi]
    new.counts[:] = old.counts
    if old.node_of.size:
        new.lo_pos[:n_lo] = old.lo_pos[:n_lo]
        new.hi_pos[:n_hi] = old.hi_pos[:n_hi]
        mask = new.node_of.size - 1
        for i in range(n_lo):
            new.node_of[new.lo_pos[i] & mask] = i + 1
        for i in range(n_hi):
            new.node_of[new.hi_pos[i] & mask] = -i - 1
    return grown


def heap_capacity(buffer):
    """The capacities of a state's heaps, and the positions it has seen (read in Python, not numba)."""
    return int(buffer[_CAP_LO]), int(buffer[_CAP_HI]), int(buffer[_COUNTS + _NEXT_IN])


def _flip(x):  # pragma: no cover - replaced by the overload inside jitted code
    return -x


@overload(_flip)
def _flip_overload(x):
    """An exact, order-reversing involution: ``-x`` overflows at the int64 minimum, ``~x`` never does."""
    if isinstance(x, types.Integer):
        return lambda x: ~x
    return lambda x: -x


@_inline
def _place(keys, positions, node_of, side, i, key, pos):
    """Put a node at index ``i``, and record where its position is when positions are tracked."""
    keys[i] = key
    if node_of.size != 0:
        positions[i] = pos
        node_of[pos & (node_of.size - 1)] = side * (i + 1)


@_inline
def _sift_up(keys, positions, node_of, side, i):
    key = keys[i]
    pos = positions[i] if node_of.size != 0 else 0
    while i > 0:
        parent = (i - 1) // _ARITY
        if keys[parent] <= key:
            break
        _place(keys, positions, node_of, side, i, keys[parent], positions[parent] if node_of.size != 0 else 0)
        i = parent
    _place(keys, positions, node_of, side, i, key, pos)


@_inline
def _least_of_eight(keys, first):
    """The index of the least of ``keys[first:first + 8]``, the first of equal ones.

    A tournament without branches: a loop's compare-and-branch guesses wrong about
    twice per node on random data. Written with ``min`` and arithmetic, not ``x if c
    else y``: each of those is a branch in numba's IR, and sixteen of them in every
    inlined sift doubled the first call's compile (move_median(x, 101): 21 s -> 38 s).
    ``min`` may return either of two equal zeros; it serves only the comparisons here.
    """
    k0, k1, k2, k3 = keys[first], keys[first + 1], keys[first + 2], keys[first + 3]
    k4, k5, k6, k7 = keys[first + 4], keys[first + 5], keys[first + 6], keys[first + 7]
    i01 = first + (k1 < k0)
    i23 = first + 2 + (k3 < k2)
    i45 = first + 4 + (k5 < k4)
    i67 = first + 6 + (k7 < k6)
    k01, k23, k45, k67 = min(k0, k1), min(k2, k3), min(k4, k5), min(k6, k7)
    i03 = i01 + (i23 - i01) * (k23 < k01)
    i47 = i45 + (i67 - i45) * (k67 < k45)
    return i03 + (i47 - i03) * (min(k45, k67) < min(k01, k23))


@_inline
def _sift_down(keys, positions, node_of, side, size, i):
    key = keys[i]
    pos = positions[i] if node_of.size != 0 else 0
    while True:
        first = i * _ARITY + 1
        if first >= size:
            break
        if first + _ARITY <= size:
            best = _least_of_eight(keys, first)
            best_key = keys[best]
        else:  # the last node's children: fewer than eight
            best = first
            best_key = keys[first]
            for child in range(first + 1, size):
                if keys[child] < best_key:
                    best = child
                    best_key = keys[child]
        if key <= best_key:
            break
        _place(keys, positions, node_of, side, i, best_key, positions[best] if node_of.size != 0 else 0)
        i = best
    _place(keys, positions, node_of, side, i, key, pos)


@_inline
def _heap_replace(keys, positions, node_of, side, size, i, key, pos):
    """Overwrite node ``i`` with a new key and position and restore the heap with one sift."""
    old_key = keys[i]
    _place(keys, positions, node_of, side, i, key, pos)
    if key < old_key:
        _sift_up(keys, positions, node_of, side, i)
    else:
        _sift_down(keys, positions, node_of, side, size, i)


@_inline
def _heap(state, low):
    """One heap of the state: its keys, its positions, its sign in ``node_of`` and its count slot.

    The heap code below has one call site of each sift for both heaps: every inlined
    copy lengthens the compile.
    """
    if low:
        return state.lo_keys, state.lo_pos, 1, _N_LO
    return state.hi_keys, state.hi_pos, -1, _N_HI


@_inline
def _insert(state, value, pos):
    counts = state.counts
    low = counts[_N_LO] > 0 and value <= _flip(state.lo_keys[0])
    keys, positions, side, slot = _heap(state, low)
    size = counts[slot]
    _place(keys, positions, state.node_of, side, size, _flip(value) if low else value, pos)
    counts[slot] = size + 1
    _sift_up(keys, positions, state.node_of, side, size)


@_inline
def _remove(state, pos):
    node_of, counts = state.node_of, state.counts
    slot_of_pos = pos & (node_of.size - 1)
    node = node_of[slot_of_pos]
    if node == 0:  # a missing value was never held
        return
    node_of[slot_of_pos] = 0
    keys, positions, side, slot = _heap(state, node > 0)
    last = counts[slot] - 1
    counts[slot] = last
    i = abs(node) - 1
    if i != last:  # the last node fills the hole
        _heap_replace(keys, positions, node_of, side, last, i, keys[last], positions[last])


@_inline
def _replace(state, pos_out, value, pos_in):
    """Let ``value`` at ``pos_in`` take the node of the held position ``pos_out``.

    bottleneck's trick: one sift in place instead of a delete and an insert. If the
    new value belongs in the other heap, it is now the root of its own heap, and one
    swap of the two roots restores the order without changing the counts.
    """
    node_of, counts = state.node_of, state.counts
    mask = node_of.size - 1
    node = node_of[pos_out & mask]
    node_of[pos_out & mask] = 0
    low = node > 0
    keys, positions, side, slot = _heap(state, low)
    key = _flip(value) if low else value
    _heap_replace(keys, positions, node_of, side, counts[slot], abs(node) - 1, key, pos_in)
    lo_keys, hi_keys = state.lo_keys, state.hi_keys
    if counts[_N_LO] > 0 and counts[_N_HI] > 0 and _flip(lo_keys[0]) > hi_keys[0]:
        lo_root, lo_root_pos = lo_keys[0], state.lo_pos[0]
        _place(lo_keys, state.lo_pos, node_of, 1, 0, _flip(hi_keys[0]), state.hi_pos[0])
        _place(hi_keys, state.hi_pos, node_of, -1, 0, _flip(lo_root), lo_root_pos)
        # The root that crossed from the new value's heap is in order in its new heap;
        # the new value, now the other heap's root, sinks.
        keys, positions, side, slot = _heap(state, not low)
        _sift_down(keys, positions, node_of, side, counts[slot], 0)


@_inline
def _move_root(state, from_low):
    """Move the root of one heap to the other: the order statistic at the boundary changes sides."""
    node_of, counts = state.node_of, state.counts
    tracked = node_of.size != 0
    keys, positions, side, slot = _heap(state, from_low)
    key = keys[0]
    pos = positions[0] if tracked else 0
    last = counts[slot] - 1
    counts[slot] = last
    if last > 0:  # the last node takes the root's place and sinks
        _place(keys, positions, node_of, side, 0, keys[last], positions[last] if tracked else 0)
        _sift_down(keys, positions, node_of, side, last, 0)
    keys, positions, side, slot = _heap(state, not from_low)
    size = counts[slot]
    _place(keys, positions, node_of, side, size, _flip(key), pos)
    counts[slot] = size + 1
    _sift_up(keys, positions, node_of, side, size)


# How closely the low heap keeps its count, as a type (a tuple of ``slack`` zeros), so
# that each way compiles apart and the fixed windows' loop stays as lean as it was
# (the choice made at run time cost them 5%). A fixed window, once full, keeps its count
# (a replace moves no root) and balances exactly; a window whose count changes (time,
# expanding, a stream) lets the low heap hold one more or one fewer: a count going up
# and down by one then moves no root (1e6 values: a "1h" time window 14% faster, the
# expanding median 40%).
EXACT_BALANCE = ()
LOOSE_BALANCE = (0,)


@_inline
def _rebalance(state, n_low, slack):
    """Move roots between the heaps until the low heap holds ``n_low`` values, give or take ``slack``.

    A slack of one saves most moves where the count of values changes (time windows,
    expanding ones, a window filling up): a count that goes up and down by one moves
    no root. :func:`_read_order_statistics` finds the values either way.
    """
    counts = state.counts
    while counts[_N_LO] > n_low + slack:
        _move_root(state, True)
    while counts[_N_LO] < n_low - slack:
        _move_root(state, False)


@_inline
def _smallest_child_key(keys, size):
    """The smallest key among the root's children (the heap holds at least two nodes)."""
    smallest = keys[1]
    for child in range(2, min(_ARITY + 1, size)):
        smallest = min(smallest, keys[child])
    return smallest


@_inline
def _read_order_statistics(state, n_low, slack):
    """The order statistics ``n_low`` and ``n_low + 1`` (from 1) of the values held: ``low``, ``high``.

    The low heap holds ``n_low`` values give or take ``slack`` (:func:`_rebalance`): one more,
    and the upper statistic is its root, the lower one the largest of its root's
    children; one fewer, and the lower is the high heap's root, the upper the smallest
    of that root's children. With nothing held, ``low`` is a stale key (not written).
    """
    counts = state.counts
    lo_keys, hi_keys = state.lo_keys, state.hi_keys
    n_lo, n_hi = counts[_N_LO], counts[_N_HI]
    if slack == 0 or n_lo == n_low:  # (slack is known when compiled: no test of the counts)
        low = _flip(lo_keys[0])
        # hi is empty only when the rank is the largest one, and then the fraction is 0.
        return low, (hi_keys[0] if n_hi > 0 else low)
    # The heap that holds both statistics: the root is the one nearer the middle.
    above = n_lo > n_low
    keys = lo_keys if above else hi_keys
    size = n_lo if above else n_hi
    root = keys[0]
    # (a high heap of one value: the rank is the largest one and the fraction is 0)
    child = _smallest_child_key(keys, size) if size > 1 else root
    if above:
        return _flip(child), _flip(root)
    return root, child


# =====================================================================================
# 4. Drivers
# =====================================================================================

# Bounds are computed this many windows at a time, so that a fixed or expanding
# window never materialises bounds arrays as long as the data.
_BOUNDS_BLOCK = 1024


def _is_missing(values, valid, i):  # pragma: no cover - replaced by the overload inside jitted code
    pass


@overload(_is_missing)
def _is_missing_overload(values, valid, i):
    """NaN is missing in floats; integers carry a mask of valid values (empty: all valid)."""
    if isinstance(values.dtype, types.Float):
        return lambda values, valid, i: np.isnan(values[i])
    return lambda values, valid, i: valid.size != 0 and not valid[i]


@_no_refcount
def run_heaps(values, valid, offset, start, end, readout, state, out, out_valid, balance):
    """Run the double heap over the windows ``[start[j], end[j])`` and write ``out[j]``.

    ``values[p - offset]`` is the value at global position ``p`` (``valid`` marks the
    present ones where ``values`` are integers; NaN is missing in floats). ``start`` and
    ``end`` are global and monotone, and no window is wider than the state's capacity.
    An untracked state takes windows that either keep their start and gain at most one
    value, or start at or after the previous window's end (it is emptied then): an
    expanding window, also within each group of rows gathered by group. ``balance`` is
    EXACT_BALANCE or LOOSE_BALANCE.
    """
    slack = len(balance)  # known when compiled
    counts = state.counts
    tracked = state.node_of.size != 0
    next_in = counts[_NEXT_IN]
    next_out = counts[_NEXT_OUT]
    for j in range(start.size):
        window_start = start[j]
        window_end = end[j]
        if not tracked and next_out < window_start:  # the next group: every held value leaves
            counts[_N_LO] = counts[_N_HI] = 0
            next_out = next_in = window_start
        while next_out < window_start or next_in < window_end:
            if next_out == next_in and next_in < window_start:
                # Nothing is held and the window starts further on: skip to it.
                next_out = next_in = window_start
            leaving = next_out < window_start
            entering = window_start <= next_in < window_end
            present = entering and not _is_missing(values, valid, next_in - offset)
            if leaving and present and state.node_of[next_out & (state.node_of.size - 1)] != 0:
                _replace(state, next_out, values[next_in - offset], next_in)
            else:
                if leaving:
                    _remove(state, next_out)
                if present:
                    _insert(state, values[next_in - offset], next_in)
            next_out += leaving
            next_in += entering
        held = counts[_N_LO] + counts[_N_HI]
        n_low = _low_count(readout.q, held)
        if held > 0:
            _rebalance(state, n_low, slack)
        # (Read even when nothing is held, and then not written: one call site of the read-out.)
        low, high = _read_order_statistics(state, n_low, slack)
        _emit_order_statistics(readout, held, low, high, out, out_valid, j)
    counts[_NEXT_IN] = next_in
    counts[_NEXT_OUT] = next_out


# Windows of at most this many values are sorted afresh rather than kept in heaps:
# for 3 values that is three times faster than the heaps, for 7 still 15% faster, and
# the two break even at 8 (measured on 1e6 normal values, one thread).
SORT_AFRESH_MAX = 7


@_inline
def _sort_afresh(values, valid, offset, lo, hi, buffer):
    """The present values of positions ``[lo, hi)``, sorted into ``buffer``; how many.

    Each sinks into place through compare-exchanges that swap their two values on one
    comparison (no branch to mispredict, and a -0.0 and a +0.0 stay two zeros, where
    independent min and max could return one of them twice).
    """
    held = 0
    for pos in range(lo, hi):
        if _is_missing(values, valid, pos - offset):
            continue
        buffer[held] = values[pos - offset]
        for i in range(held, 0, -1):
            below, above = buffer[i - 1], buffer[i]
            swap = above < below
            buffer[i - 1] = above if swap else below
            buffer[i] = below if swap else above
        held += 1
    return held


@_no_refcount
def sort_windows(values, valid, offset, start, end, readout, buffer, out, out_valid):
    """The windows of :func:`run_heaps`, each sorted afresh: for windows of a few values.

    ``buffer`` holds at least the widest window.
    """
    for j in range(start.size):
        held = _sort_afresh(values, valid, offset, start[j], end[j], buffer)
        rank = quantile_rank(readout.q, held)[0]
        low = buffer[rank]
        high = buffer[rank + 1] if rank + 1 < held else low
        _emit_order_statistics(readout, held, low, high, out, out_valid, j)


@_inline
def _run_windows(sort_afresh, values, valid, start, end, readout, buffer, state, out, out_valid, balance):
    """One run of windows, on the driver chosen for their width (one call site of each)."""
    if sort_afresh:
        sort_windows(values, valid, 0, start, end, readout, buffer, out, out_valid)
    else:
        run_heaps(values, valid, 0, start, end, readout, state, out, out_valid, balance)


# =====================================================================================
# 5. The order-statistic window: block sort and bitset
# =====================================================================================
#
# The heaps answer one order statistic. The MAD, ranks and several quantiles need
# select(r) and count-below(v) for any r and v: Suomela's block method ("Median
# filtering is equivalent to sorting", arXiv 1406.1717; his mf2d). Positions are cut
# into blocks of b >= the widest window, so every window lies in two consecutive
# blocks t, t + 1 (its *pair*). Each block's non-NaN values are sorted once; a pair's
# two sorted blocks are merged into ``merged`` (and ``rank_of`` maps a position to its
# index there); a bitset over ``merged`` marks the values inside the window, one bit
# flipped as a value enters or leaves. The r-th smallest value is ``merged`` at the
# r-th set bit, found by a *cursor* (a bit index and the set bits before it) that
# walks from its last answer a word at a time: amortised O(1) in a sliding window
# (and one set bit at most, without a popcount, when a window slides a row on and
# keeps its count: _slide_by_one).
# Counts below a value are popcounts of a prefix of the bitset.
#
# Sorting and merging are the cost (by buckets, or a radix sort of packed keys; numba
# has no SIMD sort): for one order statistic the heaps stay faster in fixed windows of
# up to FIXED_HEAPS_MAX values and for quantiles near either end (HEAPS_TAIL), and
# the sorted array and the block window take the rest of the median's windows given by
# bounds (BOUNDS_SORTED_MAX); several quantiles share one block state (two cost what
# two heap passes cost, three 0.7x three passes, k = 150 to 1001). Narrower windows use
# a sorted array (one quantile of windows given by bounds up to 256 values, several
# quantiles up to 20 values a quantile, the MAD up to 128), and ranks of up to 48 or 256
# count directly, instead. Measured on 1e6 normal values, one thread (see benchmarks/).

# The smallest block: below it, each pair's merge and refill dominate.
_MIN_BLOCK = 256
# Windows up to this width keep a sorted array (quantiles, MAD): the two meet near 256
# values (1e6 values, one thread, best of 5, twice: three quantiles at k = 200, 72-91 ms
# against 109-119 ms; at 256, 94-99 against 83-91; at 320, 81-141 against 90-122; the
# MAD at 256, 95-122 against 114-141). Since its places are found in two levels
# (_SORTED_BLOCK), three quantiles at 256 take 91-94 ms: the switch stands for one
# quantile (of windows given by bounds) ...
SORTED_ARRAY_MAX = 256
# ... but the block window has since become faster (its merge, its cursor steps) and
# the machine changed (wider vectors): on 1e6 normal values, one thread, min of 5,
# twice, sorted array against block window, several quantiles meet where each costs
# about 20 values of width (two quantiles at k = 33, 32.0-32.5 ms against 25.3-25.9;
# at 24, 31.2-31.6 against 29.6-31.5; three at 48, 34.6 against 32.4, at 64, 35.7-36.6
# against 32.1-32.3, at 101, 37.8 against 27.7-28.3, at 256, 59.2 against 31.8; five
# at 64, 40.6-41.5 against 43.2-43.7, at 101, 42.2 against 36.8) ...
SORTED_PER_QUANTILE = 20
# ... and the MAD near 128 (k = 101, 41.9-43.0 against 42.8-45.6; 151, 53.8-53.9
# against 43.3-44.6; 256, 63.4-63.9 against 45.0-46.1).
MAD_SORTED_MAX = 128
# ... and up to this width rank by counting the window directly.
RANK_SCAN_MAX = 48
# ... or, for windows sliding one row at a time, up to this width (section 5, sliding_rank).
RANK_SLIDING_MAX = 256
# (for runs of at least this many such windows)
SLIDING_RUN_MIN = 8
# One quantile in the middle (the median) of fixed windows wider than this comes from
# the block window, not the heaps (the median of 1e6 normal values, one thread, best of
# 7, old and new in turn: k = 257, 58.6 against the heaps' 58.3 ms; 300, 59 against 62;
# 1,001, 56 against 59-61; 3,001, 58 against 68; 10,001, 61 against 68-70; 30,001, 72
# against 76; with a step of 10 at k = 1,001, 37 against 53) ...
FIXED_HEAPS_MAX = 512
# ... and of windows given by bounds (time windows, groups, indexers), from the sorted
# array for windows of 8 up to this width and from the block window above
# SORTED_ARRAY_MAX; the heaps keep the widths between. On bounds the heaps run their
# general loop (median, windows sliding a row at a time, against the heaps: k = 16, 41
# against 60 ms; 64, 54 against 69; 101, 69 against 56; 256, 116 against 66; 300, 68
# against 76; 1,001, 65 against 73; 10,001, 69 against 83. A "1h" time window, 3,597
# rows on average, exponential gaps: 82 against 98; at most 37 rows: 62 against 90;
# 61, 75 against 90; 102, 90 against 89; 170, 117 against 89).
BOUNDS_SORTED_MAX = 64
# Quantiles nearer either end than this stay on the heaps (their large side's root
# seldom changes; q = 0.9, k = 3,600: 50 against 67 ms sliding, 70 against 78 in time;
# at q = 0.25 the two are about even, k = 1,001 to 10,001; 0.3 is like the median).
HEAPS_TAIL = 0.25

# Slots of BlockState.header.
_B_PAIR = 0  # t of the pair of blocks [t * b, (t + 2) * b) loaded, -2 when none
_B_LO = 1  # the window tracked is [_B_LO, _B_HI): its values are the set bits
_B_HI = 2
_B_COUNT = 3  # set bits: the non-NaN values of the window tracked
_B_BLOCK = 4  # b
_B_SLOT = 5  # the row of sorted_values / sorted_offsets that holds block t (the other: t + 1)
_B_N0 = 6  # non-NaN values in block t
_B_N1 = 7  # non-NaN values in block t + 1
_B_RUN = 8  # the MAD's run of closest values: where it started, a hint for the next window
_B_HEADER = 10

# Bit i of ``merged`` is bit i + 64 of ``bits``: a zero word at each end stops every walk.
_GUARD = 64

# Rank methods: pandas' tie rules, and bottleneck's normalisation to [-1, 1].
RANK_AVERAGE = 0
RANK_MIN = 1
RANK_MAX = 2
RANK_NORMALIZED = 3

# The statistics of robust_rows / robust_bounds.
QUANTILES = 0
MAD = 1
MEDIAN_AND_MAD = 2
RANK = 3


class BlockState(NamedTuple):
    """The order-statistic window over one pair of blocks; the caller owns it (see :func:`block_state`)."""

    header: np.ndarray  # the _B_* slots
    sorted_values: np.ndarray  # (2, b): each block's non-NaN values, sorted
    sorted_offsets: np.ndarray  # (2, b): their offsets in their block
    merged: np.ndarray  # (2b,): the pair's values merged in order
    origin: np.ndarray  # (2b,): the pair position of each value in merged
    rank_of: np.ndarray  # (2b,): a pair position's index in merged, -1 for NaN
    bits: np.ndarray  # one bit per merged value, set while it is in the window; guard words
    cursor_bit: np.ndarray  # each cursor's bit index
    cursor_rank: np.ndarray  # each cursor's count of set bits before it
    runs: np.ndarray  # (2, 2b): the first and last index in merged of each value's run of ties
    stack: np.ndarray  # the fallback quicksort's explicit stack
    keys: np.ndarray  # (2, b): the radix sort's keys and buffer
    histogram: np.ndarray  # (8 * 256,): the radix sort's digit counts


class Robust(NamedTuple):
    """What robust_rows / robust_bounds compute for each window."""

    kind: int  # QUANTILES, MAD, MEDIAN_AND_MAD or RANK
    qs: np.ndarray  # QUANTILES: float64 quantiles
    interpolations: np.ndarray  # QUANTILES: each quantile's reading (section 2)
    min_count: int  # fewer present values than this give NaN
    rank_method: int  # RANK: one of the RANK_* rules
    ascending: bool  # RANK: from the smallest value up
    pct: bool  # RANK: divided by the number of values


@_jit
def block_state(width, n_cursors):
    """An empty order-statistic window for windows of at most ``width`` values, with ``n_cursors``."""
    b = max(width, _MIN_BLOCK)
    header = np.zeros(_B_HEADER, np.int64)
    header[_B_PAIR] = -2
    header[_B_BLOCK] = b
    return BlockState(
        header,
        np.empty((2, b), np.float64),
        np.empty((2, b), np.int64),
        np.empty(2 * b, np.float64),
        np.empty(2 * b, np.int64),
        np.full(2 * b, -1, np.int64),
        np.zeros((2 * b + 63) // 64 + 2, np.int64),
        np.zeros(max(n_cursors, 1), np.int64),
        np.zeros(max(n_cursors, 1), np.int64),
        np.zeros((2, 2 * b), np.int64),
        np.empty(128, np.int64),
        np.empty((2, b), np.int64),
        np.empty(8 * 256, np.int64),
    )


@_inline
def block_reset(state):
    """Forget the pair loaded: the next window loads its own (a new row of values)."""
    state.header[_B_PAIR] = -2
    state.header[_B_LO] = state.header[_B_HI] = state.header[_B_COUNT] = 0
    state.header[_B_RUN] = 0


# Bit intrinsics: LLVM's ctpop, cttz and ctlz on int64 words (popcnt, tzcnt, lzcnt).


@intrinsic
def _popcount(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(types.int64), codegen


@intrinsic
def _trailing_zeros(typingctx, x):
    """Trailing zero bits; 64 for 0."""

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.int64(types.int64), codegen


@intrinsic
def _leading_zeros(typingctx, x):
    """Leading zero bits; 64 for 0."""

    def codegen(context, builder, signature, args):
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.int64(types.int64), codegen


@intrinsic
def _bits_of(typingctx, x):
    """The IEEE bits of a float64, as an int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


# Sorting a block and loading a pair run once per b windows: they are compiled as
# functions of their own, not inlined into every driver (inlined, the cold compile
# took minutes).

# Quicksort partitions up to this size are finished by insertion sort.
_INSERTION = 16


@_no_refcount
def _insertion_sort(values, offsets, lo, hi):
    for i in range(lo + 1, hi):
        x = values[i]
        k = offsets[i]
        j = i - 1
        while j >= lo and values[j] > x:
            values[j + 1] = values[j]
            offsets[j + 1] = offsets[j]
            j -= 1
        values[j + 1] = x
        offsets[j + 1] = k


@_inline
def _swap(values, offsets, i, j):
    values[i], values[j] = values[j], values[i]
    offsets[i], offsets[j] = offsets[j], offsets[i]


@_no_refcount
def _quicksort(values, offsets, n, stack):
    """Sort ``values[:n]``, moving ``offsets`` along: the fallback for keys the radix sort cannot tell apart.

    A median of three, Hoare partitions (runs of ties split evenly) and an explicit
    stack (no recursion, no allocation), insertion sort for small partitions.
    """
    stack[0] = 0
    stack[1] = n
    top = 2
    while top > 0:
        top -= 2
        lo = stack[top]
        hi = stack[top + 1]
        while hi - lo > _INSERTION:
            mid = (lo + hi) >> 1
            if values[mid] < values[lo]:
                _swap(values, offsets, mid, lo)
            if values[hi - 1] < values[mid]:
                _swap(values, offsets, hi - 1, mid)
                if values[mid] < values[lo]:
                    _swap(values, offsets, mid, lo)
            pivot = values[mid]
            i = lo
            j = hi - 1
            while True:
                i += 1
                while values[i] < pivot:
                    i += 1
                j -= 1
                while pivot < values[j]:
                    j -= 1
                if i >= j:
                    break
                _swap(values, offsets, i, j)
            # Push the larger part, loop on the smaller: the stack stays within log2 n.
            if j + 1 - lo < hi - (j + 1):
                stack[top] = j + 1
                stack[top + 1] = hi
                hi = j + 1
            else:
                stack[top] = lo
                stack[top + 1] = j + 1
                lo = j + 1
            top += 2
        _insertion_sort(values, offsets, lo, hi)


# Radix keys: a float's bits made order-preserving as unsigned integers (every bit of a
# negative flipped, the sign bit of a positive), the low _KEY_LOW bits replaced by the
# value's offset in its block. Sorting them sorts the values, except values that agree
# in their top bits (a relative difference below 2**-36): one insertion pass on the
# true values puts those few right.
_KEY_LOW = 16
_DIGIT = 8


@_no_refcount
def _radix_sort(keys, buffer, n, low, histogram):
    """An LSD radix sort of ``keys[:n]`` by bits ``[low, 64)`` as unsigned, 8 bits a pass."""
    n_passes = (64 - low + _DIGIT - 1) // _DIGIT
    histogram[: n_passes * 256] = 0
    for i in range(n):
        k = keys[i]
        for d in range(n_passes):
            histogram[d * 256 + ((k >> (low + _DIGIT * d)) & 255)] += 1
    source = keys
    target = buffer
    in_buffer = False
    for d in range(n_passes):
        shift = low + _DIGIT * d
        counts = histogram[d * 256 : d * 256 + 256]
        if counts[(source[0] >> shift) & 255] == n:
            continue  # every key has this digit: the pass would move nothing
        total = 0
        for digit in range(256):
            count = counts[digit]
            counts[digit] = total
            total += count
        for i in range(n):
            k = source[i]
            digit = (k >> shift) & 255
            target[counts[digit]] = k
            counts[digit] += 1
        source, target = target, source
        in_buffer = not in_buffer
    if in_buffer:
        for i in range(n):
            keys[i] = buffer[i]


@_inline
def _before(x, y):
    """Whether ``x`` sorts before ``y``: by value, -0 before +0 (as the radix keys order them)."""
    return x < y or (x == y and _bits_of(x) < _bits_of(y))


@_inline
def _insertion_pass(sorted_values, offsets, count, max_moves):
    """Finish sorting the nearly sorted ``sorted_values[:count]`` (offsets along) in :func:`_before`'s order.

    False, the values left in no particular order, as soon as that takes more than
    ``max_moves`` moves: the caller sorts them another way.
    """
    moves = 0
    for i in range(1, count):
        x = sorted_values[i]
        if _before(x, sorted_values[i - 1]):
            offset = offsets[i]
            j = i - 1
            while j >= 0 and _before(x, sorted_values[j]):
                sorted_values[j + 1] = sorted_values[j]
                offsets[j + 1] = offsets[j]
                j -= 1
            sorted_values[j + 1] = x
            offsets[j + 1] = offset
            moves += i - 1 - j
            if moves > max_moves:
                return False
    return True


# Most blocks are sorted by buckets: one bucket per value, evenly over the range of a
# sample of the block (_SAMPLE values, without the _SAMPLE_TRIM least and greatest,
# widened by half its width each way), values beyond it in the first or last bucket; one
# insertion pass then orders the few values that share a bucket. Twice as fast as the
# radix sort on smooth data (normal, uniform, random walks), outliers and spikes
# included; values crowded into a few buckets (spread over many orders of magnitude)
# make the insertion pass long, and past this many moves per value the radix sort
# takes over.
_BUCKET_MOVES = 4
_SAMPLE = 32
_SAMPLE_TRIM = 3


@_no_refcount
def _sort_by_buckets(values, first, stop, base, sorted_values, offsets, buckets, starts):
    """Sort the non-NaN ``values[first:stop]`` into ``sorted_values``, their offsets from ``base`` along.

    Returns their count: sorted by value, -0 before +0 (as the radix keys order them),
    equal values by offset; or -1, nothing promised, where buckets cannot sort them
    (see _BUCKET_MOVES).
    """
    # One bucket per position, NaN or not: the non-NaN values are counted as they are
    # placed, not in a pass of their own.
    n = stop - first
    if n < 2:
        return -1  # nothing to order (and no sample to read in an empty block)
    # The sample, sorted in the first places of sorted_values (the scatter overwrites them).
    sampled = 0
    for i in range(_SAMPLE):
        x = values[first + i * (stop - first) // _SAMPLE]
        if np.abs(x) < np.inf:
            j = sampled
            while j > 0 and sorted_values[j - 1] > x:
                sorted_values[j] = sorted_values[j - 1]
                j -= 1
            sorted_values[j] = x
            sampled += 1
    if sampled < 2 * _SAMPLE_TRIM + 2:
        return -1  # too few finite values to place the buckets
    low, high = sorted_values[_SAMPLE_TRIM], sorted_values[sampled - 1 - _SAMPLE_TRIM]
    if not high > low:
        return -1  # the sample's values mostly equal
    least = low - (high - low) / 2
    scale = (n - 1) / ((high - low) * 2)
    if not 0 < scale < np.inf:
        return -1  # a range past the largest float, or so small that the scale is
    last = n - 1.0
    starts[:n] = 0
    count = 0
    # A bucket is monotone in the value (a subtraction and a product by a positive
    # number round monotonically, and so does clipping).
    for p in range(first, stop):
        x = values[p]
        if x == x:
            bucket = int(min(max((x - least) * scale, 0.0), last))
            buckets[p - base] = bucket
            starts[bucket] += 1
            count += 1
        else:
            buckets[p - base] = -1
    total = 0
    for bucket in range(n):
        size = starts[bucket]
        starts[bucket] = total
        total += size
    for p in range(first, stop):
        bucket = buckets[p - base]
        if bucket >= 0:
            i = starts[bucket]
            starts[bucket] = i + 1
            sorted_values[i] = values[p]
            offsets[i] = p - base
    return count if _insertion_pass(sorted_values, offsets, count, _BUCKET_MOVES * count) else -1


@_no_refcount
def _sort_block(values, state, t, row):
    """Gather block ``t``'s non-NaN values into row ``row`` of the sorted arrays, sorted; their count.

    By buckets where they sort it (:func:`_sort_by_buckets`), else by a radix sort; if
    the insertion pass after the radix sort has to move too much (many values within
    2**-36 of each other), the block is sorted again by comparisons.
    """
    b = state.header[_B_BLOCK]
    base = t * b
    stop = min(base + b, values.size)
    sorted_values = state.sorted_values[row]
    offsets = state.sorted_offsets[row]
    count = _sort_by_buckets(
        values, max(base, 0), stop, base, sorted_values, offsets, state.keys[0], state.keys[1]
    )
    if count >= 0:
        return count
    low = _KEY_LOW
    while (1 << low) < b:
        low += 1
    low_mask = (np.int64(1) << low) - 1
    keys = state.keys[0]
    count = 0
    for p in range(max(base, 0), stop):
        x = values[p]
        bits = _bits_of(x)
        bits ^= (bits >> 63) | np.int64(-0x8000000000000000)
        keys[count] = (bits & ~low_mask) | (p - base)
        count += x == x  # a NaN is written, then overwritten
    if count == 0:
        return 0
    _radix_sort(keys, state.keys[1], count, low, state.histogram)
    for i in range(count):
        offset = keys[i] & low_mask
        sorted_values[i] = values[base + offset]
        offsets[i] = offset
    if not _insertion_pass(sorted_values, offsets, count, 4 * count + 64):
        _quicksort(sorted_values, offsets, count, state.stack)
    return count


# A merge without jumps: on random data the comparison is a coin toss. Each value's pair
# position goes to ``origin[m]``, in order, and ``rank_of`` is filled after: stores to
# scattered places inside the merge held back its loads (11 -> 7 ns a value). The
# position is one load at a computed place of the one array that holds both blocks
# (from two arrays, LLVM chose a jump). Indices are unsigned: no test for a negative
# index on the chain from one step to the next.


@_inline
def _merge_least(pair_values, pair_offsets, b, i, j, merged, origin, m):
    """A step from the front: the lesser of ``pair_values[i]`` (block t) and ``[j]`` (t + 1) to ``m``.

    Equal values: block t's first. 1 if the value taken was block t + 1's.
    """
    a = pair_values[np.uint64(i)]
    c = pair_values[np.uint64(j)]
    second = np.int64(c < a)
    merged[m] = c if c < a else a
    origin[m] = pair_offsets[np.uint64(i + (j - i) * second)] + b * second
    return second


@_inline
def _merge_greatest(pair_values, pair_offsets, b, i, j, merged, origin, m):
    """A step from the back: the greater of ``pair_values[i]`` (block t) and ``[j]`` (t + 1) to ``m``.

    Equal values: block t + 1's (it goes after). 1 if the value taken was block t's.
    """
    a = pair_values[np.uint64(i)]
    c = pair_values[np.uint64(j)]
    first = np.int64(a > c)
    merged[m] = a if a > c else c
    origin[m] = pair_offsets[np.uint64(j + (i - j) * first)] + b * (1 - first)
    return first


@_no_refcount
def _load_pair(values, state, t, with_runs):
    """Make blocks ``t``, ``t + 1`` the pair: sort what is not sorted yet, merge, empty the bitset."""
    header, merged, rank_of = state.header, state.merged, state.rank_of
    b = header[_B_BLOCK]
    if header[_B_PAIR] == t - 1:  # block t was the last pair's second block: sorted already
        slot = 1 - header[_B_SLOT]
        n0 = header[_B_N1]
    else:
        slot = 0
        n0 = _sort_block(values, state, t, slot)
    n1 = _sort_block(values, state, t + 1, 1 - slot)
    header[_B_SLOT] = slot
    header[_B_N0] = n0
    header[_B_N1] = n1
    header[_B_PAIR] = t
    # Both blocks' rows seen as one array: block t's values at [first0, stop0), block
    # t + 1's at [first1, stop1).
    pair_values = state.sorted_values.reshape(2 * b)
    pair_offsets = state.sorted_offsets.reshape(2 * b)
    origin = state.origin
    first0, first1 = slot * b, (1 - slot) * b
    stop0, stop1 = first0 + n0, first1 + n1
    i, j, m = first0, first1, 0
    i_back, j_back, m_back = stop0 - 1, stop1 - 1, n0 + n1 - 1
    # The merge runs from both ends at once, the least values to the front and the
    # greatest to the back: two chains of steps, neither waiting on the other (1e6
    # values, k = 1,001, one thread: 60 -> 53 ms the whole call).
    while m < m_back and i <= i_back and j <= j_back:
        second = _merge_least(pair_values, pair_offsets, b, i, j, merged, origin, m)
        i += 1 - second
        j += second
        m += 1
        first = _merge_greatest(pair_values, pair_offsets, b, i_back, j_back, merged, origin, m_back)
        i_back -= first
        j_back -= 1 - first
        m_back -= 1
    while i <= i_back and j <= j_back:
        second = _merge_least(pair_values, pair_offsets, b, i, j, merged, origin, m)
        i += 1 - second
        j += second
        m += 1
    for rest in range(i, i_back + 1):
        merged[m] = pair_values[rest]
        origin[m] = pair_offsets[rest]
        m += 1
    for rest in range(j, j_back + 1):
        merged[m] = pair_values[rest]
        origin[m] = b + pair_offsets[rest]
        m += 1
    m = n0 + n1  # the back's steps filled the places after the front's
    rank_of[:] = -1  # NaN positions keep it
    for k in range(m):
        rank_of[origin[k]] = k
    if with_runs:  # runs of equal values (== : +0 and -0 are one run), for ranks with ties
        first = 0
        for k in range(1, m + 1):
            if k == m or merged[k] != merged[first]:
                for x in range(first, k):
                    state.runs[0, x] = first
                    state.runs[1, x] = k - 1
                first = k
    state.bits[:] = 0
    header[_B_COUNT] = 0
    state.cursor_bit[:] = _GUARD
    state.cursor_rank[:] = 0


@_inline
def _enter(state, pair_position):
    """The value at a position of the pair enters the window (a NaN: nothing); 1 if it was a value."""
    m = state.rank_of[pair_position]
    if m < 0:
        return 0
    i = m + _GUARD
    state.bits[i >> 6] |= np.int64(1) << (i & 63)
    for c in range(state.cursor_bit.size):
        state.cursor_rank[c] += i < state.cursor_bit[c]
    return 1


@_inline
def _leave(state, pair_position):
    """The value at a position of the pair leaves the window; 1 if it was a value."""
    m = state.rank_of[pair_position]
    if m < 0:
        return 0
    i = m + _GUARD
    state.bits[i >> 6] &= ~(np.int64(1) << (i & 63))
    for c in range(state.cursor_bit.size):
        state.cursor_rank[c] -= i < state.cursor_bit[c]
    return 1


@_inline
def _seek(state, c, r):
    """Move cursor ``c`` to the ``r``-th set bit (0-based; it exists); its bit index.

    From the cursor's last answer, forward or back a word at a time with popcount, then
    bit by bit in the last word: a step or two in a sliding window.
    """
    bits = state.bits
    p = state.cursor_bit[c]
    rank = state.cursor_rank[c]
    if rank <= r:
        k = r - rank
        w = p >> 6
        word = bits[w] & (np.int64(-1) << (p & 63))
        count = _popcount(word)
        while count <= k:
            k -= count
            w += 1
            word = bits[w]
            count = _popcount(word)
        for _ in range(k):
            word &= word - 1
        p = (w << 6) + _trailing_zeros(word)
    else:
        k = rank - r - 1
        w = p >> 6
        word = bits[w] & ((np.int64(1) << (p & 63)) - 1)
        count = _popcount(word)
        while count <= k:
            k -= count
            w -= 1
            word = bits[w]
            count = _popcount(word)
        for _ in range(k):
            word ^= np.int64(1) << (63 - _leading_zeros(word))
        p = (w << 6) + 63 - _leading_zeros(word)
    state.cursor_bit[c] = p
    state.cursor_rank[c] = r
    return p


# Indices cast to np.uint64 here and in the per-step code below (never negative): numba
# tests a signed index for wrapping around, on the chain from one step to the next.
# Median and three quantiles at k = 1,001: 2-4% faster, the MAD 4-6%.


@_inline
def _next_set(bits, p):
    """The first set bit after bit index ``p`` (one exists)."""
    w = (p + 1) >> 6
    word = bits[np.uint64(w)] & (np.int64(-1) << ((p + 1) & 63))
    while word == 0:
        w += 1
        word = bits[np.uint64(w)]
    return (w << 6) + _trailing_zeros(word)


@_inline
def _previous_set(bits, p):
    """The last set bit before bit index ``p`` (one exists)."""
    w = p >> 6
    word = bits[np.uint64(w)] & ((np.int64(1) << (p & 63)) - 1)
    while word == 0:
        w -= 1
        word = bits[np.uint64(w)]
    return (w << 6) + 63 - _leading_zeros(word)


@_inline
def _count_before(bits, i, total):
    """Set bits at bit indices below ``i``: a popcount from the nearer end of the bitset."""
    w = i >> 6
    if 2 * w < bits.size:
        count = 0
        for k in range(w):
            count += _popcount(bits[k])
        return count + _popcount(bits[w] & ((np.int64(1) << (i & 63)) - 1))
    count = 0
    for k in range(w + 1, bits.size):
        count += _popcount(bits[k])
    return total - count - _popcount(bits[w] & (np.int64(-1) << (i & 63)))


@_inline
def _slide(values, state, s, e, with_runs):
    """Move the window tracked to ``[s, e)`` (``e > s``; bounds never move back); its count."""
    header = state.header
    b = header[_B_BLOCK]
    t = header[_B_PAIR]
    lo, hi, count = header[_B_LO], header[_B_HI], header[_B_COUNT]
    base = t * b
    if t < 0 or s >= base + b:  # into another pair (the division, ~40 cycles, only here)
        t = s // b
        base = t * b
        _load_pair(values, state, t, with_runs)
        lo = hi = s
        count = 0
    for p in range(lo, min(s, hi)):
        count -= _leave(state, p - base)
    for p in range(max(s, hi), e):
        count += _enter(state, p - base)
    header[_B_LO] = s
    header[_B_HI] = e
    header[_B_COUNT] = count
    return count


@_inline
def _value_at(state, bit):
    return state.merged[np.uint64(bit - _GUARD)]


@_inline
def _cursor_after(bits, p, entered, left):
    """A cursor at bit ``p`` after one value entered and one left (bit indices): the bit at its old rank.

    The set bits before the cursor changed by at most one each way, and the cursor's own
    bit may be the one that left: the bit at its rank is then its own, the next set bit
    or the previous one.
    """
    w = p >> 6
    word = bits[np.uint64(w)]
    shift = p & 63
    here = (word >> shift) & 1
    moved = np.int64(entered < p) - np.int64(left < p) + here  # 0: next; 1: stay (or back, if left); 2: back
    forward = moved == 0
    back = (moved == 2) | ((moved == 1) & (here == 0))
    above = word & (np.int64(-2) << shift)
    below = word & ((np.int64(1) << shift) - 1)
    if (forward and above == 0) or (back and below == 0):  # in another word: seldom
        return _next_set(bits, p) if forward else _previous_set(bits, p)
    # Within the word, every candidate computed and one chosen: which one is a coin
    # toss on random data, and a jump to it would be mispredicted half the time.
    after = (w << 6) + _trailing_zeros(above)
    before = (w << 6) + 63 - _leading_zeros(below)
    return after if forward else (before if back else p)


@_inline
def _read_cursor(state, p, rank, fraction, interpolation):
    """The quantile whose lower order statistic (at ``rank``) is at bit ``p``."""
    low = _value_at(state, p)
    high = low
    if fraction != 0:  # then a value follows (rank < n - 1)
        high = _value_at(state, _next_set(state.bits, p))
    return _read_float(low, high, fraction, rank, interpolation)


@_inline
def _swap_one(state, lo, hi, base):
    """Value ``lo`` leaves the window, value ``hi`` enters; their bit indices, or -1 if either is NaN."""
    left = state.rank_of[np.uint64(lo - base)]
    entered = state.rank_of[np.uint64(hi - base)]
    if left < 0 or entered < 0:
        return -1, -1  # the count would change
    left += _GUARD
    entered += _GUARD
    state.bits[np.uint64(left >> 6)] &= ~(np.int64(1) << (left & 63))
    state.bits[np.uint64(entered >> 6)] |= np.int64(1) << (entered & 63)
    return entered, left


@_inline
def _slide_by_one(state, start, end, j, ranks, fractions, interpolations, out):
    """The quantiles of windows ``j, j + 1, ...`` while each slides a row on and keeps its count; the next j.

    The common step in a fixed window, taken without :func:`_slide` and :func:`_seek`:
    the value that leaves and the one that enters are both present, so the count and
    each quantile's rank stay, and every cursor moves at most one set bit, without a
    popcount (holding one cursor in a variable rather than the state's array saved
    0-3%, within noise, so it is not done). 1e6 values, one thread, old and new
    kernels in turn, min of 7, twice: the median of k = 1,001, 66-71 -> 59-63 ms;
    10,001, 72-77 -> 64-69; three quantiles at 1,001, 90-101 -> 76-88; 10,001, 95-100
    -> 82-86; 300, 99-105 -> 91-100.
    """
    header = state.header
    base = header[_B_PAIR] * header[_B_BLOCK]
    limit = base + header[_B_BLOCK]  # a window starting here needs the next pair
    lo, hi = header[_B_LO], header[_B_HI]
    while j < start.size and start[j] == lo + 1 and end[j] == hi + 1 and lo + 1 < limit:
        entered, left = _swap_one(state, lo, hi, base)
        if entered < 0:
            break
        for iq in range(ranks.size):
            p = _cursor_after(state.bits, state.cursor_bit[iq], entered, left)
            state.cursor_bit[iq] = p
            out[j, iq] = _read_cursor(state, p, ranks[iq], fractions[iq], interpolations[iq])
        lo += 1
        hi += 1
        j += 1
    header[_B_LO] = lo
    header[_B_HI] = hi
    return j


@_no_refcount
def block_quantiles(values, start, end, statistic, work, out):
    """:func:`sorted_quantiles` on the order-statistic window (``work.blocks``): one cursor per quantile."""
    qs, state, ranks, fractions = statistic.qs, work.blocks, work.ranks, work.fractions
    ranked = -1  # the count of values ``ranks`` and ``fractions`` are for
    j = 0
    while j < start.size:
        s, e = start[j], end[j]
        n = _slide(values, state, s, e, False) if e > s else 0
        if n == 0 or n < statistic.min_count:
            for iq in range(qs.size):
                out[j, iq] = np.nan
            j += 1
            continue
        if n != ranked:
            _rank_quantiles(qs, n, ranks, fractions)
            ranked = n
        for iq in range(qs.size):
            p = _seek(state, iq, ranks[iq])
            out[j, iq] = _read_cursor(state, p, ranks[iq], fractions[iq], statistic.interpolations[iq])
        j = _slide_by_one(state, start, end, j + 1, ranks, fractions, statistic.interpolations, out)


@_inline
def _mad_of_infinite_median(all_equal, m):
    """The MAD where the median ``m`` is not finite: NaN for no median, or when every value is ``m``."""
    if m != m or all_equal:
        return np.nan
    return np.inf  # the other values are infinitely far; the values at m have no distance


@_inline
def _walk_closest_run(run, n, u, m, first_value, last_value, value_after, value_before):
    """One step of the walk to the run of the ``u`` values closest to ``m``: the new start, or -1 if done."""
    if run + u < n and abs(first_value - m) > abs(value_after - m):
        return run + 1
    if run > 0 and abs(last_value - m) > abs(value_before - m):
        return run - 1
    return -1


@_inline
def _sorted_median_and_mad(buffer, n, run):
    """The median and the MAD of the sorted ``buffer[:n]`` (``n`` > 0), and the run of its closest values.

    ``run`` is where the run of the values closest to the median started in the last
    window: the walk starts there.
    """
    h = (n - 1) >> 1
    m = _midpoint(buffer[h], buffer[h + 1]) if n % 2 == 0 else buffer[h]
    if not np.isfinite(m):
        return m, _mad_of_infinite_median((buffer[0] if m > 0 else buffer[n - 1]) == m, m), run
    u = h + 1
    run = min(max(run, 0), n - u)
    while True:
        after = buffer[run + u] if run + u < n else m
        before = buffer[run - 1] if run > 0 else m
        step = _walk_closest_run(run, n, u, m, buffer[run], buffer[run + u - 1], after, before)
        if step < 0:
            break
        run = step
    distance = max(abs(buffer[run] - m), abs(buffer[run + u - 1] - m))
    if n % 2 == 0:
        following = np.inf
        if run > 0:
            following = abs(buffer[run - 1] - m)
        if run + u < n:
            following = min(following, abs(buffer[run + u] - m))
        distance = _midpoint(distance, following)
    return m, distance, run


@_no_refcount
def block_mad(values, start, end, min_count, state, out, mad_column):
    """The MAD of each window, ``median(|x - median(x)|)`` over its present values; and its median.

    The median and the mean of the two middle distances are rollmed's midpoints
    (section 2), so on finite data the MAD is ``np.nanmedian(np.abs(w - np.nanmedian(w)))``
    bit for bit. Sorted, the ``u = (n + 1) // 2`` values closest to the median form a run
    (``|x - m|`` in float falls towards ``m`` and rises after it); the ``u``-th smallest
    distance is its farther end. The run is walked from the last window's: right while
    its first value is farther than the next value after it, left while its last value
    is farther than the one before it (the two rules never undo each other). Three
    cursors: the median, the run's first and last values. ``out[j, mad_column]`` is the
    MAD; with ``mad_column`` 1, ``out[j, 0]`` is the median.
    """
    bits = state.bits
    for j in range(start.size):
        s, e = start[j], end[j]
        n = _slide(values, state, s, e, False) if e > s else 0
        if n == 0 or n < min_count:
            out[j, 0] = np.nan
            out[j, mad_column] = np.nan
            continue
        h = (n - 1) >> 1
        p = _seek(state, 0, h)
        a = _value_at(state, p)
        m = _midpoint(a, _value_at(state, _next_set(bits, p))) if n % 2 == 0 else a
        out[j, 0] = m
        if not np.isfinite(m):
            extreme = _next_set(bits, _GUARD - 1) if m > 0 else _previous_set(bits, bits.size << 6)
            out[j, mad_column] = _mad_of_infinite_median(_value_at(state, extreme) == m, m)
            continue
        u = h + 1
        run = min(max(state.header[_B_RUN], 0), n - u)
        while True:
            first = _seek(state, 1, run)
            last = _seek(state, 2, run + u - 1)
            after = _value_at(state, _next_set(bits, last)) if run + u < n else m
            before = _value_at(state, _previous_set(bits, first)) if run > 0 else m
            step = _walk_closest_run(
                run, n, u, m, _value_at(state, first), _value_at(state, last), after, before
            )
            if step < 0:
                break
            run = step
        state.header[_B_RUN] = run
        distance = max(abs(_value_at(state, first) - m), abs(_value_at(state, last) - m))
        if n % 2 == 0:  # the next distance: the nearer of the values just outside the run
            following = np.inf
            if run > 0:
                following = abs(before - m)
            if run + u < n:
                following = min(following, abs(after - m))
            distance = _midpoint(distance, following)
        out[j, mad_column] = distance


@_inline
def _rank_value(below, equal, n, method, ascending, pct):
    """The rank of a value with ``below`` values under it and ``equal`` equal to it (itself included)."""
    if method == RANK_NORMALIZED:  # bottleneck.move_rank's formula, operation for operation
        if n == 1:
            return 0.0
        r = 0.5 * (2.0 * below + equal - 1.0)
        return 2.0 * (r / (n - 1.0) - 0.5)
    if not ascending:
        below = n - below - equal  # the values above it
    if method == RANK_MIN:
        rank = below + 1.0
    elif method == RANK_MAX:
        rank = float(below + equal)
    else:
        rank = below + (equal + 1) / 2.0
    return rank / n if pct else rank


@_no_refcount
def block_rank(values, start, end, statistic, state, out):
    """The rank of each window's last value ``values[end[j] - 1]`` among its present values, as pandas.

    NaN where that value is NaN or the window holds fewer than ``max(min_count, 1)``
    values. Ties are counted through the runs of equal values in the merged order; the
    counts are prefix popcounts of the bitset.
    """
    b = state.header[_B_BLOCK]
    for j in range(start.size):
        s, e = start[j], end[j]
        n = _slide(values, state, s, e, True) if e > s else 0
        if n == 0 or n < statistic.min_count or values[e - 1] != values[e - 1]:
            out[j, 0] = np.nan
            continue
        m = state.rank_of[e - 1 - state.header[_B_PAIR] * b]
        first = state.runs[0, m] + _GUARD
        last = state.runs[1, m] + _GUARD
        below = _count_before(state.bits, first, n)
        equal = 1 if first == last else _count_before(state.bits, last + 1, n) - below
        out[j, 0] = _rank_value(below, equal, n, statistic.rank_method, statistic.ascending, statistic.pct)


@_inline
def _sliding_run(start, end, j):
    """Where the run of windows from ``j`` that slide by one row each (``start``, ``end`` + 1) stops."""
    stop = j + 1
    while stop < start.size and start[stop] == start[stop - 1] + 1 and end[stop] == end[stop - 1] + 1:
        stop += 1
    return stop


@_no_refcount
def sliding_rank(values, start, end, statistic, work, out):
    """:func:`block_rank` of windows ``[start[0] + j, end[0] + j)`` (fixed rows), by counting.

    The counts are made a window offset at a time across all the windows, so that the
    vectors run across neighbouring windows, not along one window; the three counts of
    a window share one integer (16 bits each), one load and one store per offset. O(k)
    per window but some 0.4 ns per value: faster than the block structure up to
    RANK_SLIDING_MAX (1e6 values, one thread: 9 ms at k = 11, 44 ms at 101 against the
    structure's 97 ms).
    """
    m = start.size
    packed = work.counts[:m]
    packed[:] = 0
    last_values = values[end[0] - 1 : end[0] - 1 + m]
    for d in range(start[0], end[0]):
        window_values = values[d : d + m]  # slices: indices LLVM knows are not negative
        for j in range(m):
            x = window_values[j]
            v = last_values[j]
            packed[j] += (np.int64(x < v) << 32) + (np.int64(x == v) << 16) + np.int64(x == x)
    for j in range(m):
        below, equal, n = packed[j] >> 32, (packed[j] >> 16) & 0xFFFF, packed[j] & 0xFFFF
        if n == 0 or n < statistic.min_count or last_values[j] != last_values[j]:
            out[j, 0] = np.nan
        else:
            out[j, 0] = _rank_value(
                below, equal, n, statistic.rank_method, statistic.ascending, statistic.pct
            )


@_no_refcount
def scan_rank(values, start, end, statistic, out):
    """:func:`block_rank` by counting each window directly: for windows of a few dozen values.

    Branch-free compares that LLVM vectorises: faster than any structure there.
    """
    for j in range(start.size):
        s, e = start[j], end[j]
        if e <= s or values[e - 1] != values[e - 1]:
            out[j, 0] = np.nan
            continue
        v = values[e - 1]
        below = equal = n = 0
        for p in range(s, e):
            x = values[p]
            below += x < v
            equal += x == v
            n += x == x
        if n < statistic.min_count:
            out[j, 0] = np.nan
            continue
        out[j, 0] = _rank_value(below, equal, n, statistic.rank_method, statistic.ascending, statistic.pct)


# Windows of up to a few hundred values: a sorted array, a value shifted in and one out per step.
# It is kept from one block of windows to the next (RobustWork.sorted_window): refilled
# for each block of 1024 windows, three quantiles took 1-10% longer at k = 32 to 256
# (most at 200 and 256), the MAD 4-5% at 101 and 256.
_S_LO, _S_HI, _S_COUNT, _S_RUN = 0, 1, 2, 3


# The sorted array's shifts move the values between two places by one place, up or down:
# four at a time, as vectors, in a loop whose only unforeseeable branch is its exit. The
# last four (up: the first four) are loaded before the loop and stored after it, which
# covers the rest without a loop of single values. Against LLVM's memmove, a call whose
# branches on the size miss on sizes that vary step by step: three quantiles of 1e6
# values, one thread, the sorted array's loop alone, min of 7, three times: k = 20,
# 53-56 -> 49-51 ms; 101, 59-62 -> 52-55; 256, 74-75 -> 70-71. The whole call, old and
# new in turn, twice: k = 101, 67-68 -> 58-62; the MAD at 101, 79 -> 72-73; at 256 and
# at 20 to 40, within 5%. (An earlier vector loop with a loop of single values after it
# gained nothing; numba's own loop over the values wraps each index as Python wraps a
# negative one: one scalar move at a time, 1.3-1.7x slower than memmove.)
_SHIFT_LANES = 4


def _shift_codegen(up):
    """LLVM IR for ``(array, first, count)``: ``array[first:first + count]`` moved one place up or down.

    Up: to ``array[first + 1:first + count + 1]``; down: from ``array[first + 1:first + count + 1]``.
    """

    def codegen(context, builder, signature, args):
        array, first, count = args
        data = context.make_array(signature.args[0])(context, builder, array).data
        vector = ir.VectorType(data.type.pointee, _SHIFT_LANES).as_pointer()

        def constant(value):
            return ir.Constant(first.type, value)

        def address(place, pointer_type=None):
            pointer = builder.gep(data, [place], inbounds=True)
            return pointer if pointer_type is None else builder.bitcast(pointer, pointer_type)

        def move_four(source, target):
            builder.store(builder.load(address(source, vector), align=8), address(target, vector), align=8)

        lanes, one = constant(_SHIFT_LANES), constant(1)
        with builder.if_else(builder.icmp_signed(">=", count, lanes), likely=True) as (wide, narrow):
            with wide:
                loops = builder.sdiv(builder.sub(count, one), lanes)  # the vectors before the last one
                if up:  # from the top down: each vector is read before the one below it moves up
                    first_four = builder.load(address(first, vector), align=8)
                    top = builder.sub(builder.add(first, count), lanes)
                    with cgutils.for_range(builder, loops) as loop:
                        source = builder.sub(top, builder.mul(loop.index, lanes))
                        move_four(source, builder.add(source, one))
                    builder.store(first_four, address(builder.add(first, one), vector), align=8)
                else:  # from the bottom up
                    last = builder.sub(builder.add(first, count), lanes)
                    last_four = builder.load(address(builder.add(last, one), vector), align=8)
                    with cgutils.for_range(builder, loops) as loop:
                        target = builder.add(first, builder.mul(loop.index, lanes))
                        move_four(builder.add(target, one), target)
                    builder.store(last_four, address(last, vector), align=8)
            with narrow:  # fewer than four: one at a time
                with cgutils.for_range(builder, count) as loop:
                    if up:
                        source = builder.sub(builder.add(first, count), builder.add(loop.index, one))
                        builder.store(builder.load(address(source)), address(builder.add(source, one)))
                    else:
                        target = builder.add(first, loop.index)
                        builder.store(builder.load(address(builder.add(target, one))), address(target))
        return context.get_dummy_value()

    return codegen


def _shift_signature(array):
    if not _contiguous_vector(array):
        return None  # (vectors of four: only a contiguous vector's items lie one after another)
    return types.void(array, types.intp, types.intp)


@intrinsic
def _shift_up(typingctx, array, first, count):
    """``array[first + 1:first + count + 1] = array[first:first + count]``."""
    signature = _shift_signature(array)
    return None if signature is None else (signature, _shift_codegen(up=True))


@intrinsic
def _shift_down(typingctx, array, first, count):
    """``array[first:first + count] = array[first + 1:first + count + 1]``."""
    signature = _shift_signature(array)
    return None if signature is None else (signature, _shift_codegen(up=False))


# The sorted array is searched in two levels: the last value of each block of this many
# first, then the one block where the answer lies. Both are passes without branches,
# which LLVM vectorises; a pass over every value cost more from k = 40 on, a binary
# search twice as much (its steps are coin tosses). Three quantiles of 1e6 values,
# one thread, the kernel's loop alone, min of 7, twice: k = 101, 70-71 -> 56-58 ms;
# 256, 123-132 -> 71-76; 40, the same. (Blocks of 8: 0.82 and 0.62 of the one pass.)
_SORTED_BLOCK = 16


@_inline
def _sorted_places(buffer, count, below, not_above):
    """How many of the sorted ``buffer[:count]`` lie below ``below``; how many at or below ``not_above``."""
    blocks_below = blocks_not_above = 0  # whole blocks: every value in them is below
    for last in range(_SORTED_BLOCK - 1, count, _SORTED_BLOCK):
        blocks_below += buffer[last] < below
        blocks_not_above += buffer[last] <= not_above
    n_below, n_not_above = _SORTED_BLOCK * blocks_below, _SORTED_BLOCK * blocks_not_above
    for i in range(n_below, min(n_below + _SORTED_BLOCK, count)):
        n_below += buffer[i] < below
    for i in range(n_not_above, min(n_not_above + _SORTED_BLOCK, count)):
        n_not_above += buffer[i] <= not_above
    return n_below, n_not_above


@_inline
def _sorted_remove(buffer, count, x):
    """Take one of the values equal to ``x`` out of ``buffer[:count]`` (a NaN: nothing); the new count.

    +0 and -0 are equal: either sign goes, the first in the buffer.
    """
    if x != x:
        return count
    place, _ = _sorted_places(buffer, count, x, x)
    _shift_down(buffer, place, count - 1 - place)
    return count - 1


@_inline
def _sorted_insert(buffer, count, x):
    """Put ``x`` into ``buffer[:count]``, after the values equal to it (a NaN: nothing); the new count."""
    if x != x:
        return count
    _, place = _sorted_places(buffer, count, x, x)
    _shift_up(buffer, place, count - place)
    buffer[place] = x
    return count + 1


@_inline
def _sorted_move(buffer, out_place, in_place, in_value):
    """Replace a value of ``buffer`` with ``in_value``; only the values between them move, one shift.

    The places are :func:`_sorted_places` of the value that leaves and ``in_value``, both
    counted before it leaves.
    """
    if out_place < in_place:  # the values between move down a place
        _shift_down(buffer, out_place, in_place - 1 - out_place)
        buffer[in_place - 1] = in_value
    else:  # ... or up
        _shift_up(buffer, in_place, out_place - in_place)
        buffer[in_place] = in_value


@_inline
def _sorted_slide(values, buffer, s, e, lo, hi, count):
    """Move the sorted values ``buffer[:count]`` of ``[lo, hi)`` to those of ``[s, e)``; their count.

    Each value that leaves is paired with one that enters (one of each per step in a
    sliding window); the rest leave or enter alone.
    """
    if s >= hi:  # nothing in common: start afresh
        lo = hi = s
        count = 0
    while lo < s and hi < e:
        out_value, in_value = values[lo], values[hi]
        if out_value != out_value or in_value != in_value:  # a NaN is not placed
            count = _sorted_insert(buffer, _sorted_remove(buffer, count, out_value), in_value)
        else:
            out_place, in_place = _sorted_places(buffer, count, out_value, in_value)
            _sorted_move(buffer, out_place, in_place, in_value)
        lo += 1
        hi += 1
    for p in range(lo, s):
        count = _sorted_remove(buffer, count, values[p])
    for p in range(max(s, hi), e):
        count = _sorted_insert(buffer, count, values[p])
    return count


@_inline
def _clean_slide_stop(values, start, end, j, lo, hi, count):
    """Where the run of windows from ``j`` stops that each slide the last by one row, with no NaN.

    ``[lo, hi)`` is the window held, its ``count`` values sorted, and the run's first
    window slides it. No window of the run holds a NaN: their count stays ``hi - lo``.
    """
    stop = j
    if count == hi - lo > 0:
        while (
            stop < start.size and start[stop] == lo + 1 and end[stop] == hi + 1 and values[hi] == values[hi]
        ):
            lo += 1
            hi += 1
            stop += 1
    return stop


# In a run of windows that slide by one row with no NaN (_clean_slide_stop), each step's
# places are found one step early, in the array before the last step's shift, and then
# corrected by comparing them with that step's two values: the search need not wait for
# the shift's stores. The run has a loop of its own, with a count that does not change
# and no NaN to test for: inside the general loop, a NaN test alone cost as much as the
# early search saves. 1e6 normal values, one thread, the whole call, min of 7, old and
# new in turn, twice: three quantiles at k = 20, 70 -> 65 ms; 101, 76 -> 69; 256, 92-94
# -> 86-87; the MAD at 40, 85-87 -> 74-76; 101, 93 -> 79-80; 256, 107-109 -> 92-96.
# (Searching two steps early was no faster; nor blocks of 32 in _sorted_places.)


@_inline
def _clean_step(buffer, count, leaving, entering, t, places):
    """Slide a run of windows (_clean_slide_stop) by one row: ``leaving[t]`` goes, ``entering[t]`` comes.

    ``places`` are their :func:`_sorted_places`; returns those of step ``t + 1``.
    """
    out_value, in_value = leaving[t], entering[t]
    following = min(t + 1, leaving.size - 1)
    next_out, next_in = leaving[following], entering[following]
    below, not_above = _sorted_places(buffer, count, next_out, next_in)
    _sorted_move(buffer, places[0], places[1], in_value)
    below += (in_value < next_out) - (out_value < next_out)
    not_above += (in_value <= next_in) - (out_value <= next_in)
    return below, not_above


@_inline
def _read_sorted_quantiles(buffer, n, ranks, fractions, interpolations, out, j):
    """The quantiles of the sorted ``buffer[:n]`` (``ranks``, ``fractions`` among ``n``) into ``out[j]``."""
    for iq in range(ranks.size):
        r = ranks[iq]
        low = buffer[r]
        high = buffer[r + 1] if r + 1 < n else low
        out[j, iq] = _read_float(low, high, fractions[iq], r, interpolations[iq])


@_no_refcount
def _sliding_quantiles(values, lo, hi, buffer, count, ranks, fractions, interpolations, out):
    """Slide the sorted ``buffer[:count]`` of ``[lo, hi)`` one row at a time, ``out.shape[0]`` times.

    ``out[t, :]`` gets the quantiles (``ranks`` and ``fractions`` among ``count``) of
    ``[lo + 1 + t, hi + 1 + t)``. Every value that leaves or enters is a number.
    """
    m = out.shape[0]
    leaving, entering = values[lo : lo + m], values[hi : hi + m]
    places = _sorted_places(buffer, count, leaving[0], entering[0])
    for t in range(m):
        places = _clean_step(buffer, count, leaving, entering, t, places)
        _read_sorted_quantiles(buffer, count, ranks, fractions, interpolations, out, t)


@_no_refcount
def _sliding_mad(values, lo, hi, buffer, count, run, out, mad_column):
    """:func:`_sliding_quantiles` for the MAD (after the median where ``mad_column`` is 1); the last run."""
    m = out.shape[0]
    leaving, entering = values[lo : lo + m], values[hi : hi + m]
    places = _sorted_places(buffer, count, leaving[0], entering[0])
    for t in range(m):
        places = _clean_step(buffer, count, leaving, entering, t, places)
        out[t, 0], out[t, mad_column], run = _sorted_median_and_mad(buffer, count, run)
    return run


@_inline
def _rank_quantiles(qs, n, ranks, fractions):
    """Each quantile's rank and fraction among ``n`` values (:func:`quantile_rank`) into the two arrays.

    Its callers redo this only when ``n`` changes: in a fixed window, almost never.
    """
    for iq in range(qs.size):
        ranks[iq], fractions[iq] = quantile_rank(qs[iq], n)


@_no_refcount
def sorted_quantiles(values, start, end, statistic, work, out):
    """The QUANTILES of each window on a sorted array, read as section 2 reads them into ``out[j, :]``.

    Read in the same pass, not from a block of order statistics afterwards, and each
    quantile's rank worked out again only when the count of values changes: 7-14% of the
    time of three quantiles (1e6 values, one thread, k = 32 to 256; k = 101: 84 -> 75 ms).
    """
    qs, buffer, ranks, fractions = statistic.qs, work.buffer, work.ranks, work.fractions
    window = work.sorted_window  # carried over from the last block of windows
    lo, hi, count = window[_S_LO], window[_S_HI], window[_S_COUNT]
    ranked = -1  # the count of values ``ranks`` and ``fractions`` are for
    j = 0
    while j < start.size:
        stop = _clean_slide_stop(values, start, end, j, lo, hi, count) if count >= statistic.min_count else j
        if stop > j:
            if count != ranked:
                _rank_quantiles(qs, count, ranks, fractions)
                ranked = count
            _sliding_quantiles(
                values, lo, hi, buffer, count, ranks, fractions, statistic.interpolations, out[j:stop]
            )
            lo, hi, j = lo + stop - j, hi + stop - j, stop
            continue
        s, e = start[j], end[j]
        n = 0
        if e > s:
            count = _sorted_slide(values, buffer, s, e, lo, hi, count)
            lo, hi, n = s, e, count
        if n == 0 or n < statistic.min_count:
            out[j, :] = np.nan
        else:
            if n != ranked:
                _rank_quantiles(qs, n, ranks, fractions)
                ranked = n
            _read_sorted_quantiles(buffer, n, ranks, fractions, statistic.interpolations, out, j)
        j += 1
    window[_S_LO], window[_S_HI], window[_S_COUNT] = lo, hi, count


@_no_refcount
def sorted_mad(values, start, end, min_count, work, out, mad_column):
    """:func:`block_mad` on a sorted array."""
    buffer, window = work.buffer, work.sorted_window
    lo, hi, count, run = window[_S_LO], window[_S_HI], window[_S_COUNT], window[_S_RUN]
    j = 0
    while j < start.size:
        stop = _clean_slide_stop(values, start, end, j, lo, hi, count) if count >= min_count else j
        if stop > j:
            run = _sliding_mad(values, lo, hi, buffer, count, run, out[j:stop], mad_column)
            lo, hi, j = lo + stop - j, hi + stop - j, stop
            continue
        s, e = start[j], end[j]
        n = 0
        if e > s:
            count = _sorted_slide(values, buffer, s, e, lo, hi, count)
            lo, hi, n = s, e, count
        if n == 0 or n < min_count:
            out[j, 0] = np.nan
            out[j, mad_column] = np.nan
        else:
            out[j, 0], out[j, mad_column], run = _sorted_median_and_mad(buffer, n, run)
        j += 1
    window[_S_LO], window[_S_HI], window[_S_COUNT], window[_S_RUN] = lo, hi, count, run


class RobustWork(NamedTuple):
    """Everything a robust statistic's windows need over one span: the structure and its scratch."""

    blocks: BlockState  # the order-statistic window (for windows too wide for the sorted array)
    buffer: np.ndarray  # the sorted array (narrow windows)
    counts: np.ndarray  # (_BOUNDS_BLOCK,): sliding_rank's packed counts of a block of windows
    ranks: np.ndarray  # (quantiles,): each quantile's rank among a window's values ...
    fractions: np.ndarray  # ... and its fraction of the way to the next (quantile_rank)
    sorted_window: np.ndarray  # (4,): the sorted array's window [lo, hi), its count and the MAD's run


@_jit
def robust_work(width, statistic):
    """The structure and scratch for windows of at most ``width`` values of ``statistic``."""
    n_q = statistic.qs.size
    n_cursors = 3 if statistic.kind in (MAD, MEDIAN_AND_MAD) else max(n_q, 1)
    narrow = width <= _narrow_max(statistic)
    return RobustWork(
        block_state(1 if narrow else width, n_cursors),
        np.empty(width + 1, np.float64),
        np.empty(_BOUNDS_BLOCK, np.int64),
        np.empty(max(n_q, 1), np.int64),
        np.empty(max(n_q, 1), np.float64),
        np.zeros(4, np.int64),
    )


@_inline
def _narrow_max(statistic):
    """The widest window whose statistic the sorted array (or, for ranks, a scan) takes."""
    if statistic.kind == RANK:
        return RANK_SCAN_MAX
    if statistic.kind == QUANTILES:
        n_q = statistic.qs.size
        return SORTED_ARRAY_MAX if n_q == 1 else min(SORTED_PER_QUANTILE * n_q, SORTED_ARRAY_MAX)
    return MAD_SORTED_MAX


@_inline
def robust_reset(work):
    """Forget the windows held: the next window starts afresh (a new row of values)."""
    block_reset(work.blocks)
    work.sorted_window[:] = 0


@_no_refcount
def rank_windows(values, start, end, statistic, work, width, out):
    """The RANK of windows ``[start[j], end[j])`` (at most ``_BOUNDS_BLOCK``) into ``out[j, 0]``.

    Runs of windows that slide by one row (fixed windows, away from the row's ends) are
    counted across windows; the others, one window at a time, or by the block structure.
    """
    first = 0  # the first window not ranked yet
    j = 0
    while width <= RANK_SLIDING_MAX and j < start.size:
        stop = _sliding_run(start, end, j)
        if stop - j >= SLIDING_RUN_MIN:
            if j > first:
                _rank_one_by_one(values, start[first:j], end[first:j], statistic, work, width, out[first:j])
            sliding_rank(values, start[j:stop], end[j:stop], statistic, work, out[j:stop])
            first = stop
        j = stop
    if first < start.size:
        _rank_one_by_one(values, start[first:], end[first:], statistic, work, width, out[first:])


@_inline
def _rank_one_by_one(values, start, end, statistic, work, width, out):
    if width <= RANK_SCAN_MAX:
        scan_rank(values, start, end, statistic, out)
    else:
        block_rank(values, start, end, statistic, work.blocks, out)


@_no_refcount
def mad_windows(values, start, end, statistic, work, width, out):
    """The MAD (after the median, for MEDIAN_AND_MAD) of windows ``[start[j], end[j])`` into ``out[j]``."""
    mad_column = 1 if statistic.kind == MEDIAN_AND_MAD else 0
    if width <= _narrow_max(statistic):
        sorted_mad(values, start, end, statistic.min_count, work, out, mad_column)
    else:
        block_mad(values, start, end, statistic.min_count, work.blocks, out, mad_column)


@_no_refcount
def quantile_windows(values, start, end, statistic, work, width, out):
    """The QUANTILES of windows ``[start[j], end[j])`` into ``out[j, :]``, each read as section 2 reads it."""
    if width <= _narrow_max(statistic):
        sorted_quantiles(values, start, end, statistic, work, out)
    else:
        block_quantiles(values, start, end, statistic, work, out)


def kind_marker(kind):
    """A statistic's kind as a type: a tuple of ``kind + 1`` zeros.

    The drivers are compiled once per kind (and so only for the statistics a program
    uses), as their type picks the windows function; a first-class function argument
    would do the same but numba does not cache it.
    """
    return (0,) * (kind + 1)


def _robust_windows(marker, values, start, end, statistic, work, width, out):  # pragma: no cover
    pass


@overload(_robust_windows)
def _robust_windows_overload(marker, values, start, end, statistic, work, width, out):
    """The windows function of the kind that ``marker``'s length encodes."""
    windows = {QUANTILES: quantile_windows, RANK: rank_windows}.get(marker.count - 1, mad_windows)
    return lambda marker, values, start, end, statistic, work, width, out: windows(
        values, start, end, statistic, work, width, out
    )


# =====================================================================================
# 6. Networks: the median, MAD and quantiles of many narrow windows at once
# =====================================================================================
#
# The median (or the MAD) of a window of k values by a selection network: Batcher's
# odd-even merge sort pruned to the one or two middle ranks (4 min/max for 3 values,
# 52 for 11, 274 for 31), written out as straight-line code inside a loop over the
# outputs. Consecutive outputs are independent and every load is ``xs[i + constant]``,
# so LLVM vectorises the loop across outputs: four neighbouring windows to a register,
# each compare-exchange one vminpd and one vmaxpd. From k = 11 the median comes from a
# network over the core that neighbouring windows share (below), a quarter of the work
# at k = 31. The compile time grows with k: 1 to 6 s for the median's (k = 160).
#
# Exactness: a compare-exchange is ``lo = min(a, b)``, ``hi = max(b, a)`` (numba's
# builtins: one test, two complementary selects), a permutation of its inputs, so a
# -0.0 and a 0.0 stay two zeros. NaN cannot go through comparisons: the loop counts the
# NaN among the values it loads, and the windows that hold one are left to its caller
# (rollmed._runners: sorted afresh, or the general path).
#
# The code for each k is generated at typing time by an overload, as LLVM IR; k reaches
# it as a *type* (a tuple of k zeros), so each k compiles once, on first use, and is
# cached on disk with this file. (numba.literally would re-type every call: 20 ms each.)
# Only the network and the loop around it are compiled for each k: the rest of the
# driver is compiled once (a new k of the MAD, 1e3 values: 3.8-8.6 s -> 1.8-2.0 s).

# The widest window the networks take for the MAD (wider ones go to the sorted array),
# and for the median, whose networks share a core between neighbouring outputs (see
# below); several quantiles, SORT_NETWORK_MAX. The median's
# kernel alone, 1e6 values, one thread, against the heaps' whole call (62-72 ms): k =
# 101, 29 ms; 160, 41; 180, 45; then a cliff: 190, 110 (the core no longer fits). The
# MAD's kernel alone (mad_group), one thread, on the machine of 2026-12-04: k = 33, 4.7
# ms; 64, 10.1; 101, 12.4-14.0; 116, 16.8; 140, 22.9; 160, 24.3; 200, 29.7; then a cliff:
# 256, 224 (the sorted array's or the block window's whole call: 45-50 ms from 101 to 256).
MAD_NETWORK_MAX = 200
MEDIAN_NETWORK_MAX = 160


def _odd_even_merge(wires_a, wires_b, out):
    """Batcher's odd-even merge of two sorted lists of wires, of any lengths."""
    if not wires_a or not wires_b:
        return
    if len(wires_a) == 1 and len(wires_b) == 1:
        out.append((wires_a[0], wires_b[0]))
        return
    _odd_even_merge(wires_a[0::2], wires_b[0::2], out)
    _odd_even_merge(wires_a[1::2], wires_b[1::2], out)
    wires = wires_a + wires_b
    for i in range(1, len(wires) - 1, 2):
        out.append((wires[i], wires[i + 1]))


def _odd_even_sort(wires, out):
    if len(wires) > 1:
        half = len(wires) // 2
        _odd_even_sort(wires[:half], out)
        _odd_even_sort(wires[half:], out)
        _odd_even_merge(wires[:half], wires[half:], out)


def _padded(network_of, n):
    """The network ``network_of(size)`` over the next power of two wires, cut to ``n``.

    Wires from ``n`` up would hold +inf: their comparators change nothing.
    """
    size = 1
    while size < n:
        size *= 2
    return [(i, j) for i, j in network_of(size) if j < n]


def _batcher_networks(n):
    """Batcher's sort of ``n`` wires split in halves, and of the next power of two cut to ``n``."""

    def sort(size):
        network = []
        _odd_even_sort(list(range(size)), network)
        return network

    return sort(n), _padded(sort, n)


def _prune(network, ranks):
    """The compare-exchanges of ``network`` that reach the wires ``ranks``, in order.

    Each is ``(i, j, need_min, need_max)``: wire ``i`` takes the min and ``j`` the max,
    and a half that is never read again is dropped.
    """
    needed = set(ranks)
    kept = []
    for i, j in reversed(network):
        need_min, need_max = i in needed, j in needed
        if need_min or need_max:
            kept.append((i, j, need_min, need_max))
            needed.update((i, j))
    kept.reverse()
    return kept


def _cheaper_pruned(n, ranks):
    """The cheaper of Batcher's two networks for ``n`` values, pruned to ``ranks``."""
    return min((_prune(network, ranks) for network in _batcher_networks(n)), key=_network_cost)


@functools.cache
def median_network(k):
    """The cheaper of Batcher's two networks for ``k`` values, pruned to their middle ranks."""
    return _cheaper_pruned(k, sorted({(k - 1) // 2, k // 2}))


def _network_cost(pruned):
    """min/max operations per output of a pruned network."""
    return sum(int(need_min) + int(need_max) for _, _, need_min, need_max in pruned)


# What a network computes of each window (the kinds of section 5 it serves).
NETWORK_MEDIAN = 0
NETWORK_MAD = 1
# (2 was the median and the MAD written together: a result row of two values kept the
# loop from vectorising, 6x the two networks run apart at k = 21; rollmed._runners runs
# them apart.)
# Several quantiles: the whole sort, every rank written out (compiled once per k, any q).
NETWORK_SORT = 3
# The widest window whose several quantiles a sorting network takes: a full sort of 16
# values is 63 compare-exchanges; three quantiles of 1e6 values at k = 11 take 14 ms
# one thread, against 44 ms for one quantile on the heaps and 39 ms on the sorted array.
SORT_NETWORK_MAX = 16


@functools.cache
def sorting_network(k):
    """The cheaper of Batcher's two networks for ``k`` values, whole: every rank comes out."""
    return _cheaper_pruned(k, range(k))


# The median of wider windows, a group of neighbouring outputs at a time. The windows of
# outputs o .. o + G - 1 share the k - G + 1 values between them (their core): one network
# over the core finds its G middle ranks (G + 1 for an even k), and each output's median
# is a rank of those few together with the G - 1 values of its own window outside the
# core (a small network: sort those, merge, prune). The median of k values lies among
# the core's middle ranks or these, because G - 1 values can move it at most G - 1 ranks
# from the core's middle. k = 31 with G = 4: 63 + 12 min/max per output, not 274.
# To vectorise across groups, neighbouring groups' loads must sit side by side: a block
# of the row is first dealt into G phases (phase p holds values G * g + p), so that
# value t of group g is ``phases[(t % G) * stride + g + t // G]``, contiguous in g.
# The loop over a block's groups has a constant trip count: with a count known only at
# run time LLVM vectorised it worse (k = 31: 18 against 11 ms for 1e6 values). The
# networks are emitted as LLVM IR (an intrinsic): written as source, typing them took
# most of a compile six times as long.
_GROUPS_PER_BLOCK = 256


def median_group(k):
    """How many neighbouring windows of ``k`` values share one network over their core.

    One, no sharing, up to k = 10: dealing the values into phases and back costs more
    than it saves. Kernels alone on 1e6 normal values, one thread, ms for G = 1, 4, 8, 16:
    k = 5: 1.5 (G = 2: 3.3); k = 10: 5.2, 5.4; k = 11: 4.6, 4.2; k = 13: 5.8, 5.0; k =
    31: 27, 11.6, 11.2; k = 64: -, 26.4, 19.3, 24.8; k = 80: -, 36, 24, 27; k = 101: -,
    48, 29.0, 28.9; k = 128: -, 68, 40, 35; k = 160: -, 90, 48, 41.
    """
    return _group_of(k, ((10, 1), (32, 4), (100, 8)), 16)


def _group_of(k, groups, wider):
    """The group of the first ``(widest window, group)`` in ``groups`` that takes ``k``, else ``wider``."""
    return next((group for widest, group in groups if k <= widest), wider)


@functools.cache
def _core_network(k, group):
    """The network that finds the middle ranks a group's core holds for windows of ``k`` values."""
    low, high = (k - 1) // 2, k // 2
    ranks = range(low - group + 1, high + 1)
    return _cheaper_pruned(k - group + 1, ranks)


@functools.cache
def _merge_network(n_sorted, n_loose, ranks):
    """Sort ``n_loose`` wires that follow ``n_sorted`` sorted ones, merge both, pruned to ``ranks``."""
    network = []
    loose = list(range(n_sorted, n_sorted + n_loose))
    _odd_even_sort(loose, network)
    _odd_even_merge(list(range(n_sorted)), loose, network)
    return _prune(network, ranks)


def _group_reach(k, group):
    """How many groups past a block's last one its windows read."""
    return -(-(k - 1) // group)


def _compare_exchanges(builder, network, wire):
    """Emit the min and max of a pruned ``network`` over the LLVM values ``wire`` (updated).

    As numba's builtins in the networks written as source: ``min(a, b)`` is ``a`` unless
    ``b < a`` and ``max(b, a)`` is ``b`` unless ``a > b``, a permutation of the two.
    """
    for i, j, need_min, need_max in network:
        a, b = wire[i], wire[j]
        if need_min:
            wire[i] = builder.select(builder.fcmp_ordered("<", b, a), b, a)
        if need_max:
            wire[j] = builder.select(builder.fcmp_ordered(">", a, b), a, b)


def _phase_place(t, group, stride):
    """Where value ``t`` of group 0's windows sits in the phases (group g's is g further)."""
    return (t % group) * stride + t // group


def _array_data(context, builder, signature, args, i):
    """The data pointer of the intrinsic's array argument ``i``."""
    return context.make_array(signature.args[i])(context, builder, value=args[i]).data


def _at(builder, data, index, offset):
    """The address of ``data[index + offset]`` (``offset`` a constant or an LLVM value)."""
    if isinstance(offset, int):
        offset = ir.Constant(index.type, offset)
    return builder.gep(data, [builder.add(index, offset, flags=["nsw"])], inbounds=True)


@functools.cache
def _group_middles(k, group):
    """An intrinsic ``(phases, middles, g)``: the middle values of each window of group ``g``.

    Window ``d`` of the group gets its lower middle value in ``middles[g + 2 * d *
    _GROUPS_PER_BLOCK]`` and its upper one (the same for an odd k) a block further.
    Emitted as LLVM IR: numba typed the same min and max written as source for most of
    the compile, 16 s at k = 31 (groups of 8) where this takes 2.6.
    """
    per_block = _GROUPS_PER_BLOCK
    stride = per_block + _group_reach(k, group)
    low, high = (k - 1) // 2, k // 2
    ranks = (group - 1, group - 1 + high - low)  # of the middle values among the core's and its own

    @intrinsic
    def middles_of_group(typingctx, phases, middles, g):
        def codegen(context, builder, signature, args):
            phases_data, middles_data = (_array_data(context, builder, signature, args, i) for i in (0, 1))
            g = args[2]

            def load(t):  # value t of the group's windows
                return builder.load(_at(builder, phases_data, g, _phase_place(t, group, stride)))

            wire = [load(t) for t in range(group - 1, k)]
            _compare_exchanges(builder, _core_network(k, group), wire)
            middle = wire[low - group + 1 : high + 1]
            for d in range(group):  # window d's own values: t = d .. group - 2 and k .. k + d - 1
                own = [*range(d, group - 1), *range(k, k + d)]
                window = middle + [load(t) for t in own]
                _compare_exchanges(builder, _merge_network(len(middle), len(own), ranks), window)
                for side in range(1 if high == low else 2):
                    builder.store(
                        window[ranks[side]], _at(builder, middles_data, g, (2 * d + side) * per_block)
                    )
            return context.get_dummy_value()

        return types.void(phases, middles, g), codegen

    return middles_of_group


@_inline
def _deal_phases(xs, block, group, stride, phases):
    """Deal the values of ``xs`` from ``block`` on into ``group`` phases.

    ``phases[g + p * stride]`` is ``xs[block + group * g + p]``: value t of group g sits
    in phase ``t % group``, contiguous in g.
    """
    for g in range(stride):
        for p in range(group):
            t = block + group * g + p
            # (past the row's end: values whose results are not kept)
            phases[g + p * stride] = xs[t] if t < xs.size else 0.0


def _grouped_median_windows(k, group):
    """:func:`_network_windows` for the median, ``group`` neighbouring windows sharing a core."""
    middles_of_group = _group_middles(k, group)
    per_block = _GROUPS_PER_BLOCK
    stride = per_block + _group_reach(k, group)
    odd = k % 2 == 1

    def windows(values, out, first, stop, offset, marker):
        xs = values[first + offset : stop + offset + k - 1]
        results = out[first:stop]
        phases = np.empty(group * stride)
        middles = np.empty(2 * group * per_block)
        for block in range(0, stop - first, group * per_block):
            _deal_phases(xs, block, group, stride, phases)
            for g in range(per_block):
                middles_of_group(phases, middles, g)
            size = min(group * per_block, stop - first - block)
            for o in range(size):
                g, d = o // group, o % group
                lower = middles[g + 2 * d * per_block]
                results[block + o, 0] = (
                    lower if odd else _midpoint(lower, middles[g + (2 * d + 1) * per_block])
                )
        # Each value is the newest of exactly one window (see _plain_network_windows).
        return _count_nan(xs, k - 1, xs.size)

    return windows


# The MAD of wider windows, a group at a time as the median: the core is sorted once
# for the group. For each window, the median comes from the core's middle ranks and
# the window's own values as above; the core's distances from that median, in the order
# of the core's values, fall and then rise (``m - x`` falls towards ``m``, ``x - m`` rises
# after it, and rounding keeps both monotone): a bitonic sequence, which Batcher's
# bitonic merger sorts. Pruned to the core's distances that can be the MAD (the same
# ranks as the median's), it takes 140 min/max at k = 101 (groups of 8), and the window's
# own distances are merged in as its own values were for the median (46): with the core's
# sort shared (247 a window), about 700 operations a window where two networks over the
# whole window take 3,600. The distances are those of the MAD's definition and the ranks
# the same, so the MAD is the same, bit for bit. The sorted core goes through memory (a
# block of cores at a time): the loop over the windows of a group is then one loop over
# groups for each window, and LLVM vectorises it across groups, with one copy of the
# window's code (written out for each window, it compiled in 20 s instead of 3).
def mad_group(k):
    """How many neighbouring windows of ``k`` values share one sorted core for the MAD (one: none).

    Kernels alone on 1e6 normal values, one thread, ms for G = 1 (two networks over each
    window), 2, 4, 8, 16 (-: not measured): k = 11: 2.1, 2.2, 2.3, -, -; 16: 4.0, 4.1,
    3.8, 4.7, -; 21: 5.3, 3.5, 3.4, 4.3, -; 40: -, 8.0, 6.1, 6.8, -; 48: -, 10.3, 7.3,
    7.4, -; 64: -, -, 10.9, 10.1, 14.2; 80: -, 19.8, 13.0, 10.3, -; 101: -, -, 16.6, 12.4,
    16.8; 108: -, -, -, 14.9, 17.8; 116: -, -, -, 16.8, 20.5; 124: -, -, -, 18.4, 20.9;
    140: -, -, -, 22.9, 107.8; 160: -, -, -, 24.3, 101.6; 180: -, -, 43.8, 27.2, -; 200:
    -, -, 44.9, 29.7, - (from 116, with the core sorted in halves: _CORE_SORT_WHOLE_MAX).
    At 16 the difference is within the noise: one network fewer to compile.
    """
    return _group_of(k, ((16, 1), (48, 4)), 8)


@functools.cache
def _bitonic_selection(n, ranks):
    """Batcher's bitonic merger of ``n`` wires (non-increasing, then non-decreasing), pruned to ``ranks``."""

    def merger(size):
        network = []

        def merge(first, width):
            if width > 1:
                half = width // 2
                network.extend((i, i + half) for i in range(first, first + half))
                merge(first, half)
                merge(first + half, half)

        merge(0, size)
        return network

    return _prune(_padded(merger, n), ranks)


# The MAD's groups are fewer to a block than the median's, so that the sorted cores
# of a block stay in the first-level cache (k = 101: 94 values x 32 groups, 24 KiB;
# 64 groups to a block, 13.4 ms against 12.4; 128, 15.3).
_MAD_GROUPS_PER_BLOCK = 32


# One network over a core of more than about 101 values falls off a cliff (registers
# spill): k = 116 in groups of 8, a core of 109, took 39.4 ms to sort for 1e6 values
# where 101 took 5.2. Wider cores are sorted in two halves, then merged, each step a loop
# over the groups of its own: 6.8 ms at 109; 125 values, 24.0 -> 4.1 ms.
_CORE_SORT_WHOLE_MAX = 101


@functools.cache
def _core_sort(k, group, step):
    """An intrinsic ``(phases, cores, g)``: step 0, 1 or 2 of sorting group ``g``'s core into ``cores``.

    Rank ``r`` goes to ``cores[g + r * _MAD_GROUPS_PER_BLOCK]``. A core of up to
    _CORE_SORT_WHOLE_MAX values is sorted by step 0 alone (steps 1 and 2 do nothing);
    a wider one has its first half sorted by step 0, its second by step 1, and the two
    merged by step 2.
    """
    per_block = _MAD_GROUPS_PER_BLOCK
    stride = per_block + _group_reach(k, group)
    core = k - group + 1
    half = core if core <= _CORE_SORT_WHOLE_MAX else core // 2
    first, stop = ((0, half), (half, core), (0, core))[step]
    if step < 2:
        network = sorting_network(stop - first)
    else:  # the halves sorted: merge them
        network = []
        _odd_even_merge(list(range(half)), list(range(half, core)), network)
        network = _prune(network, range(core))

    @intrinsic
    def core_sort(typingctx, phases, cores, g):
        def codegen(context, builder, signature, args):
            phases_data, cores_data = (_array_data(context, builder, signature, args, i) for i in (0, 1))
            g = args[2]
            if step < 2:  # (the core's value of rank r is value t = group - 1 + r of the windows)
                places = [
                    (phases_data, _phase_place(group - 1 + r, group, stride)) for r in range(first, stop)
                ]
            else:
                places = [(cores_data, r * per_block) for r in range(first, stop)]
            if network:
                wire = [builder.load(_at(builder, data, g, offset)) for data, offset in places]
                _compare_exchanges(builder, network, wire)
                for rank, value in enumerate(wire, first):
                    builder.store(value, _at(builder, cores_data, g, rank * per_block))
            return context.get_dummy_value()

        return types.void(phases, cores, g), codegen

    return core_sort


@functools.cache
def _window_mad(k, group):
    """An intrinsic ``(phases, cores, g, d)``: the median and the MAD of window ``d`` of group ``g``.

    The group's core is sorted in ``cores`` (:func:`_core_sort`); the window's own
    values are in ``phases``. The MAD of a window whose median is not finite is not a
    number (its distances are not): the caller flags it.
    """
    per_block = _MAD_GROUPS_PER_BLOCK
    stride = per_block + _group_reach(k, group)
    low, high = (k - 1) // 2, k // 2
    core = k - group + 1
    ranks = (group - 1, group - 1 + high - low)  # of the middle values among the core's and its own
    near = range(low - group + 1, high + 1)  # the core's ranks that can be the window's middle
    merge = _merge_network(len(near), group - 1, ranks)
    bitonic = _bitonic_selection(core, near)
    pair = types.float64(types.float64, types.float64)

    @intrinsic
    def window_mad(typingctx, phases, cores, g, d):
        def codegen(context, builder, signature, args):
            phases_data, cores_data = (_array_data(context, builder, signature, args, i) for i in (0, 1))
            g, d = args[2], builder.sext(args[3], args[2].type)
            fabs = builder.module.declare_intrinsic("llvm.fabs", [ir.DoubleType()])
            int_type = g.type

            def constant(value):
                return ir.Constant(int_type, value)

            def own_value(i):
                # Window d's own values are t = d .. group - 2 and k .. k + d - 1: its i-th
                # is t = d + i, past the core where d + i >= group - 1 (placed as _phase_place).
                t = builder.add(d, constant(i))
                past = builder.icmp_signed(">=", t, constant(group - 1))
                t = builder.add(t, builder.select(past, constant(core), constant(0)))
                phase = builder.srem(t, constant(group))
                place = builder.add(builder.mul(phase, constant(stride)), builder.sdiv(t, constant(group)))
                return builder.load(_at(builder, phases_data, g, place))

            def middle_of(wire):
                if high == low:
                    return wire[ranks[0]]
                return context.compile_internal(
                    builder, _midpoint.py_func, pair, (wire[ranks[0]], wire[ranks[1]])
                )

            def distances(wire, m):
                return [builder.call(fabs, [builder.fsub(x, m)]) for x in wire]

            own = [own_value(i) for i in range(group - 1)]
            window = [builder.load(_at(builder, cores_data, g, r * per_block)) for r in near] + own
            _compare_exchanges(builder, merge, window)
            m = middle_of(window)
            core_distances = distances(
                [builder.load(_at(builder, cores_data, g, r * per_block)) for r in range(core)], m
            )
            _compare_exchanges(builder, bitonic, core_distances)
            window = [core_distances[r] for r in near] + distances(own, m)
            _compare_exchanges(builder, merge, window)
            return context.make_tuple(builder, signature.return_type, (m, middle_of(window)))

        return types.UniTuple(types.float64, 2)(phases, cores, g, d), codegen

    return window_mad


def _grouped_mad_windows(k, group):
    """:func:`_network_windows` for the MAD, ``group`` neighbouring windows sharing a sorted core."""
    sort_first, sort_second, merge_halves = (_core_sort(k, group, step) for step in range(3))
    window_mad = _window_mad(k, group)
    per_block = _MAD_GROUPS_PER_BLOCK
    stride = per_block + _group_reach(k, group)
    core = k - group + 1

    def windows(values, out, first, stop, offset, marker):
        xs = values[first + offset : stop + offset + k - 1]
        results = out[first:stop]
        phases = np.empty(group * stride)
        cores = np.empty(core * per_block)
        mads = np.empty(group * per_block)
        for block in range(0, stop - first, group * per_block):
            _deal_phases(xs, block, group, stride, phases)
            for g in range(per_block):
                sort_first(phases, cores, g)
            for g in range(per_block):
                sort_second(phases, cores, g)
            for g in range(per_block):
                merge_halves(phases, cores, g)
            for d in range(group):
                for g in range(per_block):
                    m, mad = window_mad(phases, cores, g, d)
                    # (A select, not a branch: the MAD of an infinite median is redone.)
                    mads[g + d * per_block] = mad if abs(m) < np.inf else np.nan
            size = min(group * per_block, stop - first - block)
            for o in range(size):
                results[block + o, 0] = mads[o // group + o % group * per_block]
        return _count_nan(xs, k - 1, xs.size)

    return windows


def _contiguous_vector(xs):
    return isinstance(xs, types.Array) and xs.ndim == 1 and xs.layout == "C"


def _window_wires(context, builder, signature, args, k):
    """LLVM IR: the loads of ``xs[i + t]`` for t < k, with ``xs`` and ``i`` an intrinsic's first arguments."""
    data = _array_data(context, builder, signature, args, 0)
    return [builder.load(_at(builder, data, args[1], t)) for t in range(k)]


@functools.cache
def _middle_values(k, of_distances):
    """An intrinsic ``(xs, i, centre)``: the two middle values of ``xs[i:i + k]`` by the median network.

    The lower and the upper one (the same for an odd ``k``). With ``of_distances``, of
    ``abs(xs[i + t] - centre)`` instead: the MAD's distances.
    """
    low, high = (k - 1) // 2, k // 2

    @intrinsic
    def middle_values(typingctx, xs, i, centre):
        if not _contiguous_vector(xs):
            return None

        def codegen(context, builder, signature, args):
            wire = _window_wires(context, builder, signature, args, k)
            if of_distances:
                fabs = builder.module.declare_intrinsic("llvm.fabs", [ir.DoubleType()])
                wire = [builder.call(fabs, [builder.fsub(x, args[2])]) for x in wire]
            _compare_exchanges(builder, median_network(k), wire)
            return context.make_tuple(builder, signature.return_type, (wire[low], wire[high]))

        return types.UniTuple(types.float64, 2)(xs, i, centre), codegen

    return middle_values


@functools.cache
def _sorted_window(k):
    """An intrinsic ``(xs, i, os)``: the values of ``xs[i:i + k]`` in order, into ``os[i, :k]``."""

    @intrinsic
    def sorted_window(typingctx, xs, i, os):
        if not _contiguous_vector(xs):
            return None

        def codegen(context, builder, signature, args):
            wire = _window_wires(context, builder, signature, args, k)
            _compare_exchanges(builder, sorting_network(k), wire)
            out = context.make_array(signature.args[2])(context, builder, value=args[2])
            shape = cgutils.unpack_tuple(builder, out.shape)
            strides = cgutils.unpack_tuple(builder, out.strides)
            for rank, value in enumerate(wire):
                place = [args[1], ir.Constant(args[1].type, rank)]
                address = cgutils.get_item_pointer2(
                    context, builder, out.data, shape, strides, signature.args[2].layout, place
                )
                builder.store(value, address)
            return context.get_dummy_value()

        return types.void(xs, i, os), codegen

    return sorted_window


@functools.cache
def _plain_network_windows(k, kind):
    """:func:`_network_windows` with a network over each whole window (no core shared).

    It writes ``out[o, :]`` for ``o`` in ``[first, stop)`` from the window ``values[o +
    offset : o + offset + k]`` (all inside ``values``): its median or its MAD; or
    (NETWORK_SORT) its ``k`` values in order.
    The MAD is the median of the distances ``abs(x - median)`` by a second network; where
    the median is not finite (the distances are not numbers) it writes NaN for the caller
    to redo. Returns how many NaN it met among each window's newest value (where not
    zero, some results are wrong: the caller finds the windows that hold a NaN).
    The networks are LLVM IR (intrinsics), as in :func:`_group_middles`: written out as
    source for numba to type, a MAD network of k = 31 took 9 s to compile.
    """
    even = k % 2 == 0
    if kind == NETWORK_SORT:
        sorted_window = _sorted_window(k)

        def results(xs, i, os):
            sorted_window(xs, i, os)

    elif kind == NETWORK_MEDIAN:
        middle_values = _middle_values(k, False)

        def results(xs, i, os):
            low, high = middle_values(xs, i, 0.0)
            os[i, 0] = _midpoint(low, high) if even else low

    else:
        middle_values, distance_middles = _middle_values(k, False), _middle_values(k, True)

        def results(xs, i, os):
            low, high = middle_values(xs, i, 0.0)
            m = _midpoint(low, high) if even else low
            low, high = distance_middles(xs, i, m)
            mad = _midpoint(low, high) if even else low
            # A select, not a branch: the loop stays vectorised.
            os[i, 0] = mad if abs(m) < np.inf else np.nan

    # (Not _inline: a closure is not cached on its own; it is compiled into its caller, which is.)
    results = njit(inline="always", _nrt=False)(results)

    def windows(values, out, first, stop, offset, marker):
        # Slices, so that every load is xs[i + a constant] with i >= 0, and LLVM sees
        # contiguous vector loads across outputs.
        xs = values[first + offset : stop + offset + k - 1]
        os = out[first:stop]
        missing = 0
        for i in range(os.shape[0]):
            results(xs, i, os)
            # Each value is the newest of exactly one window: counting NaN there checks
            # them all (the caller checks the first k - 1) for one vector compare per
            # four outputs.
            missing += xs[i + k - 1] != xs[i + k - 1]
        return missing

    return windows


def network_marker(k, kind):
    """``k`` and the network's kind as a type: tuples of ``k`` and ``kind + 1`` zeros.

    The type selects the code compiled for them: each (k, kind) compiles once, on first use.
    """
    return ((0,) * k, (0,) * (kind + 1))


def _network_windows(values, out, first, stop, offset, marker):  # pragma: no cover
    pass


@overload(_network_windows, jit_options={"nogil": True})
def _network_windows_overload(values, out, first, stop, offset, marker):
    """The network for the ``k`` and kind that ``marker``'s type carries."""
    k, kind = marker.types[0].count, marker.types[1].count - 1
    if kind == NETWORK_MEDIAN and median_group(k) > 1:
        return _grouped_median_windows(k, median_group(k))
    if kind == NETWORK_MAD and mad_group(k) > 1:
        return _grouped_mad_windows(k, mad_group(k))
    return _plain_network_windows(k, kind)


def _window_size(marker):  # pragma: no cover
    pass


@overload(_window_size)
def _window_size_overload(marker):
    k = marker.types[0].count
    return lambda marker: np.int64(k)  # not a literal: callees compile once for every k


def _network_kind_of(marker):  # pragma: no cover
    pass


@overload(_network_kind_of)
def _network_kind_of_overload(marker):
    kind = marker.types[1].count - 1
    return lambda marker: kind


@_no_refcount
def _read_sorted_windows(scratch, m, qs, interpolations, out):
    """The quantiles ``qs`` of the sorted windows ``scratch[:m]`` into ``out[:m]`` (``interpolations``)."""
    k = scratch.shape[1]
    for iq in range(qs.size):
        rank, fraction = quantile_rank(qs[iq], k)
        interpolation = interpolations[iq]
        above = min(rank + 1, k - 1)  # (the largest rank reads itself twice)
        for o in range(m):
            low, high = scratch[o, rank], scratch[o, above]
            out[o, iq] = _read_float(low, high, fraction, rank, interpolation)


@_inline
def _quantiles_by_network(values, out, first, stop, offset, marker, qs, interpolations, scratch):
    """The quantiles ``qs`` of the full windows ``first..stop - 1``, sorted by the network.

    ``scratch`` holds the sorted windows of a block of outputs at a time. Returns the
    NaN count of :func:`_network_windows`.
    """
    missing = 0
    for block in range(first, stop, scratch.shape[0]):
        m = min(scratch.shape[0], stop - block)
        missing += _network_windows(values[block + offset :], scratch, 0, m, 0, marker)
        _read_sorted_windows(scratch, m, qs, interpolations, out[block:])
    return missing


def _network_results(values, out, first, stop, offset, marker, qs, interpolations, scratch):
    pass  # pragma: no cover - replaced by the overload inside jitted code


@overload(_network_results)
def _network_results_overload(values, out, first, stop, offset, marker, qs, interpolations, scratch):
    """:func:`_quantiles_by_network` for NETWORK_SORT, else :func:`_network_windows`: the NaN count.

    Chosen by type, so that a median's driver does not compile the reading of quantiles.
    """
    if marker.types[1].count - 1 == NETWORK_SORT:
        return lambda values, out, first, stop, offset, marker, qs, interpolations, scratch: (
            _quantiles_by_network(values, out, first, stop, offset, marker, qs, interpolations, scratch)
        )
    return lambda values, out, first, stop, offset, marker, qs, interpolations, scratch: _network_windows(
        values, out, first, stop, offset, marker
    )


@_inline
def _count_nan(values, lo, hi):
    """How many of ``values[lo:hi]`` are NaN (a branch-free, vectorised count)."""
    count = 0
    for p in range(lo, hi):
        count += values[p] != values[p]
    return count


@_jit
def network_rows(values, marker, offset, span, qs, interpolations, out, todo):
    """Windows of ``k`` values (``marker``) over rows of a 2-d float64 array by a network, one span.

    ``out[row, o, :]`` gets the median, the MAD, both, or the quantiles ``qs`` (the
    marker's kind; see :func:`_quantiles_by_network`) of the window
    ``values[row, o + offset : o + offset + k]``, where the window lies inside the row,
    holds no NaN and (for the MAD) has a finite median. The other results are flagged
    in ``todo[row - span.row_start, o - span.first]`` (the span's own flags, all False on
    entry: memory follows the span, not the data) for the general path.

    This is compiled for each k and kind (the marker's type): what does not depend on
    them lives in functions compiled once, to keep each new k's compile short.
    """
    k = _window_size(marker)
    first, last = span.first, span.last
    full_start = min(max(first, -offset), last)
    full_stop = max(min(last, values.shape[1] - k - offset + 1), full_start)
    scratch = np.empty((_BOUNDS_BLOCK if _network_kind_of(marker) == NETWORK_SORT else 0, k))
    for row in range(span.row_start, span.row_stop):
        row_values, row_out, row_todo = values[row], out[row], todo[row - span.row_start]
        _flag_cut_windows(row_todo, first, last, full_start, full_stop)
        if full_stop > full_start:
            # One pass over every full window first: it counts the NaN it loads, so data
            # without NaN needs no separate search (which cost more than the k = 3 network).
            missing = _network_results(
                row_values, row_out, full_start, full_stop, offset, marker, qs, interpolations, scratch
            )
            _flag_windows_left(
                row_values, row_out, row_todo, first, full_start, full_stop, offset, k, missing
            )


@_no_refcount
def _flag_cut_windows(row_todo, first, last, full_start, full_stop):
    """Flag the windows of ``first..last - 1`` cut short at the ends of the row (outside the full ones)."""
    row_todo[: full_start - first] = True
    row_todo[full_stop - first : last - first] = True


@_no_refcount
def _flag_windows_left(row_values, row_out, row_todo, first, full_start, full_stop, offset, k, missing):
    """Flag the full windows a network got wrong: those holding a NaN, and each MAD of an infinite median.

    ``missing`` is the network's count of NaN among each window's newest value.
    """
    lo = full_start + offset
    missing += _count_nan(row_values, lo, lo + k - 1)
    if missing:
        marked = full_start  # every window holding a NaN
        for p in range(lo, full_stop - 1 + offset + k):
            if row_values[p] != row_values[p]:
                stop = min(full_stop, p - offset + 1)
                row_todo[max(marked, p - offset - k + 1) - first : stop - first] = True
                marked = max(marked, stop)
    for o in range(full_start, full_stop):
        # (A MAD whose median is not finite comes out NaN: redone by the general path.)
        row_todo[o - first] |= row_out[o, row_out.shape[1] - 1] != row_out[o, row_out.shape[1] - 1]


@_jit
def sorted_afresh_bounds(values, start, end, readout, out):
    """One quantile of each window ``[start[j], end[j])`` of a float row, sorted afresh, into ``out[j]``.

    For the few windows a network leaves (cut short at the ends, holding a NaN): at most
    MEDIAN_NETWORK_MAX values each, so sorting them is cheap, and the heaps need not compile
    for them.
    """
    width = max(np.max(end - start), 1) if start.size else 1
    buffer = np.empty(width, values.dtype)
    no_mask = np.empty(0, np.bool_)
    sort_windows(values, no_mask, 0, start, end, readout, buffer, out, no_mask)


@_jit
def mad_afresh_bounds(values, start, end, min_count, out):
    """The MAD of each window ``[start[j], end[j])`` of a float row, sorted afresh, into ``out[j]``.

    For the few windows a MAD network leaves (cut short at the ends, holding a NaN, of an
    infinite median): at most MAD_NETWORK_MAX values each, so sorting them is cheap, and
    the order-statistic window need not compile for them.
    """
    width = max(np.max(end - start), 1) if start.size else 1
    buffer = np.empty(width)
    no_mask = np.empty(0, np.bool_)
    for j in range(start.size):
        held = _sort_afresh(values, no_mask, 0, start[j], end[j], buffer)
        out[j] = _sorted_median_and_mad(buffer, held, 0)[1] if held and held >= min_count else np.nan


# =====================================================================================
# 7. Entry points: fixed offsets and bounds arrays, a span at a time
# =====================================================================================


class Offsets(NamedTuple):
    """Fixed windows: result ``o`` covers ``[o * step + start, o * step + end)``, clipped to the row."""

    start: int
    end: int
    step: int


class Span(NamedTuple):
    """A task: results ``first..last - 1`` of rows ``row_start..row_stop - 1``."""

    row_start: int
    row_stop: int
    first: int
    last: int


@_jit
def _new_state(width, expanding, n_values, q, values):
    """The smallest state for windows of at most ``width`` values (``expanding``: of ``n_values``)."""
    if expanding:  # each heap holds its share of the values, and no positions
        return heap_buffer(int(q * n_values) + 2, int((1 - q) * n_values) + 2, False)
    return heap_buffer(width, width, True)


@_inline
def _fixed_bounds(offsets, n, block_start, block_size, start, end):
    """The bounds of results ``block_start..`` of a row of ``n`` values: pandas' fixed window indexer."""
    for j in range(block_size):
        origin = (block_start + j) * offsets.step
        start[j] = min(max(origin + offsets.start, 0), n)
        end[j] = min(max(origin + offsets.end, 0), n)


@_jit
def rolling_rows(values, valid, offsets, expanding, balance, readout, out, out_valid, span):
    """Fixed windows over each row of a 2-d array: the results of one :class:`Span`.

    pandas' fixed window indexer, with its centre, ``closed`` and ``step`` (an
    expanding window starts at ``-n``; give it LOOSE_BALANCE, a fixed one
    EXACT_BALANCE). The bounds are made a block at a time, never
    as long as the data. A span that starts inside a row refills its first window, so
    spans can run on separate threads.
    """
    n = values.shape[1]
    width = max(min(offsets.end - offsets.start, n), 1)
    sort_afresh = width <= SORT_AFRESH_MAX
    buffer = np.empty(width, values.dtype)
    state_buffer = _new_state(width, expanding, n, readout.q, values)
    state = heap_state(state_buffer, values)
    start = np.empty(_BOUNDS_BLOCK, np.int64)
    end = np.empty(_BOUNDS_BLOCK, np.int64)
    for row in range(span.row_start, span.row_stop):
        heap_reset(state)
        for block_start in range(span.first, span.last, _BOUNDS_BLOCK):
            block_size = min(_BOUNDS_BLOCK, span.last - block_start)
            _fixed_bounds(offsets, n, block_start, block_size, start, end)
            block = slice(block_start, block_start + block_size)
            _run_windows(
                sort_afresh,
                values[row],
                valid[row],
                start[:block_size],
                end[:block_size],
                readout,
                buffer,
                state,
                out[row, block],
                out_valid[row, block],
                balance,
            )


@_jit
def rolling_bounds(values, valid, start, end, expanding, readout, out, out_valid, span):
    """Windows given by bounds arrays (time, indexer and group windows): results ``span.first..last - 1``."""
    window = slice(span.first, span.last)
    start, end = start[window], end[window]
    width = max(np.max(end - start), 1)
    buffer = np.empty(width, values.dtype)
    state = heap_state(_new_state(width, expanding, end[-1] - start[0], readout.q, values), values)
    _run_windows(
        width <= SORT_AFRESH_MAX,
        values,
        valid,
        start,
        end,
        readout,
        buffer,
        state,
        out[window],
        out_valid[window],
        LOOSE_BALANCE,
    )


@_jit
def robust_rows(values, offsets, statistic, marker, out, span):
    """:class:`Robust` statistics of fixed windows over each row of a 2-d float64 array, one span.

    ``out[row, result, output]``; as :func:`rolling_rows`, a block of bounds at a time.
    ``marker`` is :func:`kind_marker` of ``statistic.kind``.
    """
    n = values.shape[1]
    width = max(min(offsets.end - offsets.start, n), 1)
    work = robust_work(width, statistic)
    start = np.empty(_BOUNDS_BLOCK, np.int64)
    end = np.empty(_BOUNDS_BLOCK, np.int64)
    for row in range(span.row_start, span.row_stop):
        robust_reset(work)
        for block_start in range(span.first, span.last, _BOUNDS_BLOCK):
            block_size = min(_BOUNDS_BLOCK, span.last - block_start)
            _fixed_bounds(offsets, n, block_start, block_size, start, end)
            block = out[row, block_start : block_start + block_size]
            _robust_windows(
                marker, values[row], start[:block_size], end[:block_size], statistic, work, width, block
            )


@_jit
def robust_bounds(values, start, end, statistic, marker, out, span):
    """:class:`Robust` statistics of the windows of bounds arrays: results ``span.first..last - 1``."""
    window = slice(span.first, span.last)
    start, end = start[window], end[window]
    width = max(np.max(end - start), 1)
    work = robust_work(width, statistic)
    for block_start in range(0, start.size, _BOUNDS_BLOCK):
        block = slice(block_start, min(block_start + _BOUNDS_BLOCK, start.size))
        _robust_windows(marker, values, start[block], end[block], statistic, work, width, out[window][block])


# =====================================================================================
# 8. Window bounds
# =====================================================================================


@_jit
def group_order(codes, n_groups):
    """Rows gathered by group, in row order within each, and where each group starts.

    A counting sort, O(n) (a comparison sort was half the time of a grouped median):
    ``order[segments[g]:segments[g + 1]]`` are the rows of group ``g``; rows whose code
    is -1 (no group) are left out.
    """
    segments = np.zeros(n_groups + 1, np.int64)
    for code in codes:
        if code >= 0:
            segments[code + 1] += 1
    segments = np.cumsum(segments)
    next_slot = segments[:-1].copy()
    order = np.empty(segments[-1], np.int64)
    for row in range(codes.size):
        code = codes[row]
        if code >= 0:
            order[next_slot[code]] = row
            next_slot[code] += 1
    return order, segments


@_jit
def fixed_bounds_in_groups(segments, start_offset, end_offset, start, end):
    """The bounds of windows at fixed offsets from each row, clipped to its group.

    Group ``g`` is the rows ``[segments[g], segments[g + 1])``.
    """
    for g in range(segments.size - 1):
        first, stop = segments[g], segments[g + 1]
        for row in range(first, stop):
            start[row] = min(max(row + start_offset, first), stop)
            end[row] = min(max(row + end_offset, first), stop)


@_jit
def widest_window(start, end):
    """The most rows any window ``[start[j], end[j])`` holds (0 for none): one pass, no temporary."""
    widest = 0
    for j in range(start.size):
        widest = max(widest, end[j] - start[j])
    return widest


@_inline
def _monotonic(times, sign, first_row, stop_row):
    """Whether rows ``first_row..stop_row - 1`` (and the one before) go the way ``sign`` says."""
    for i in range(max(first_row, 1), stop_row):
        if (times[i] - times[i - 1]) * sign < 0:
            return False
    return True


@_inline
def _time_window_starts(times, reach, sign, first_row, stop_row, starts):
    """The start of each window of rows ``first_row..stop_row - 1``, reaching back ``reach`` ticks.

    ``starts[i]`` is the first row ``f <= i`` with ``sign * (times[i] - times[f]) < reach``.
    """
    if reach <= 0:  # every row before ``i`` has left its window
        for i in range(first_row, stop_row):
            starts[i] = i
    elif sign == 1:
        _starts_by_merge(times, reach, 1, first_row, stop_row, starts)
    else:
        _starts_by_merge(times, reach, -1, first_row, stop_row, starts)


@_inline
def _starts_by_merge(times, reach, sign, first_row, stop_row, starts):
    """:func:`_time_window_starts` for ``reach >= 1``.

    The times are monotone, ``sign`` says which way (a constant where this is inlined:
    a multiplication in the loop cost a quarter of its time). A merge of the rows with
    themselves shifted by ``reach``, without branches: each step either moves the start
    on or settles row ``i`` (a loop over each window's leaving rows guesses wrong about
    once a row on irregular times: twice as slow).
    """
    # The first row's start by bisection: the rows before it leave in order.
    first, high = 0, first_row
    while first < high:
        middle = (first + high) // 2
        if sign * (times[first_row] - times[middle]) >= reach:
            first = middle + 1
        else:
            high = middle
    i = first_row
    while i < stop_row:
        # (``first`` stays below ``i``: row ``i`` is 0 < reach behind itself)
        leaves = sign * (times[i] - times[first]) >= reach
        starts[i] = first  # (final once ``leaves`` is false)
        first += leaves
        i += 1 - leaves


@_jit
def trailing_time_bounds(times, window_size, left_closed, right_closed, first_row, stop_row, start, end):
    """:func:`time_window_bounds` of trailing windows, for rows ``first_row..stop_row - 1`` of one segment.

    ``times`` are the segment's, ``start`` and ``end`` its bounds; each row's bounds
    depend on the times alone, so that separate calls may take separate rows. False, the
    bounds unfinished, if these rows' times (and the one before) are not monotonic in
    the direction of the whole segment.
    """
    m = times.size
    sign = -1 if times[m - 1] < times[0] else 1
    if not _monotonic(times, sign, first_row, stop_row):
        return False  # pandas needs each segment's times to be monotonic
    # A row leaves the window of row i once it is this far behind (pandas' start bound,
    # one tick further with the left end closed).
    _time_window_starts(times, window_size + left_closed, sign, first_row, stop_row, start)
    # pandas' ends: past the row itself with the right end closed; else before every row
    # at its time (the first of its run of equal times).
    run_start = first_row
    while run_start > 0 and times[run_start - 1] == times[first_row]:
        run_start -= 1
    for i in range(first_row, stop_row):
        if i > first_row and times[i] != times[i - 1]:
            run_start = i
        end[i] = i + 1 if right_closed else run_start
    return True


@_inline
def _centred_time_bounds(times, half, left_closed, right_closed, start, end):
    """:func:`time_window_bounds` of centred windows over one segment (pandas' loop)."""
    m = times.size
    sign = -1 if times[m - 1] < times[0] else 1
    if not _monotonic(times, sign, 0, m):
        return False
    _time_window_starts(times, half + left_closed, sign, 0, m, start)
    end[0] = 1 if right_closed else 0
    end_bound = times[0] + sign * half
    for j in range(m):
        if (times[j] - end_bound) * sign < 0 or ((times[j] - end_bound) == 0 and right_closed):
            end[0] = j + 1
        else:
            end[0] = j
            break
    for i in range(1, m):
        end_bound = times[i] + sign * half
        end[i] = m
        for j in range(end[i - 1], m):
            if (times[j] - end_bound) * sign == 0 and right_closed:
                end[i] = j + 1  # and on, over every row at the end time
                continue
            if (times[j] - end_bound) * sign >= 0:
                end[i] = j
                break
    return True


@_jit
def time_window_bounds(index, window_size, left_closed, right_closed, center, segments, start, end):
    """The bounds of pandas' time windows of ``window_size`` over each segment of ``index``.

    ``index`` holds int64 times, each segment ``[segments[g], segments[g + 1])`` being
    a group, or the whole series; no window crosses a segment. Returns False, the
    bounds unfinished, if a segment's times are not monotonic.
    The rules are those of pandas' ``calculate_variable_window_bounds``, quirks
    included (a repeated time, half an odd centred window), so that the windows are
    pandas' own.
    """
    half = window_size // 2  # pandas halves in C integers: truncated
    if center and window_size % 2 == 1:
        # pandas (GH 43997): half an odd window is a fraction of a tick; both ends are closed.
        left_closed = True
        right_closed = True
    for g in range(segments.size - 1):
        offset = segments[g]
        m = segments[g + 1] - offset
        if m == 0:
            continue
        times = index[offset : offset + m]
        first, stop = start[offset : offset + m], end[offset : offset + m]
        if center:
            done = _centred_time_bounds(times, half, left_closed, right_closed, first, stop)
        else:
            done = trailing_time_bounds(times, window_size, left_closed, right_closed, 0, m, first, stop)
        if not done:
            return False
        if offset:  # (the first segment, or the whole series, is in place: no pass over it)
            first += offset
            stop += offset
    return True


# =====================================================================================
# 9. Streams
# =====================================================================================
#
# A stream is a heap state's buffer (section 3) kept between calls, its positions
# counting every value the stream has seen. The caller grows the buffer before a call
# (``heap_grow``) so that it holds the window's values: memory follows the values held.


@_jit
def stream_update(buffer, values, valid, offset, start, end, readout, out, out_valid):
    """Feed the stream in ``buffer``: the results of the windows ``[start[j], end[j])``.

    Positions count every value the stream has seen; ``values[i]`` is the value at
    position ``offset + i``, from the first one not yet in the heaps (a window open on
    the right may leave the latest values out). Float values give float results (NaN
    missing); int64 values, with ``valid`` marking the present ones (empty: all), give
    exact int64 results and their validity.
    """
    state = heap_state(buffer, values)
    run_heaps(values, valid, offset, start, end, readout, state, out, out_valid, LOOSE_BALANCE)


@_jit
def stream_setup(buffer, window, readout, left_closed):
    """Write a stream's window and read-out into its buffer, for :func:`stream_push`."""
    buffer[STREAM_WINDOW] = window
    buffer[STREAM_Q : STREAM_Q + 1].view(np.float64)[0] = readout.q
    buffer[STREAM_INTERPOLATION] = readout.interpolation
    buffer[STREAM_MIN_COUNT] = readout.min_count
    buffer[STREAM_LEFT_CLOSED] = left_closed


@_inline
def _stream_readout(buffer):
    q = buffer[STREAM_Q : STREAM_Q + 1].view(np.float64)[0]
    return Readout(q, buffer[STREAM_INTERPOLATION], buffer[STREAM_MIN_COUNT])


class PushRefused(Exception):
    """A value-at-a-time kernel changed nothing: the caller must look at the stream first."""


# A time stream's room, the one rule for the kernel below and the stream's Python side
# (which calls the plain functions, ``.py_func``): room for the readings held and the new
# ones twice over; a capacity of more than 8 times that (and more than the first, 8)
# is given back, so that memory follows the readings the window holds.
@_inline
def time_room_needed(held, n_new):
    """The positions a time stream's heaps and ring need for ``n_new`` more readings."""
    return 2 * (held + n_new) + 1


@_inline
def far_more_room(capacity, need):
    """Whether a time stream's ``capacity`` is far more than ``need``: it gives some back."""
    return capacity > 8 * max(need, 8)


@_one_value
def stream_push(buffer, value):
    """Feed one value to the stream in ``buffer`` (a window of rows, or everything); its result.

    The single-value path: one array and one float in, nothing allocated, and no
    reference counting (the views of the buffer would each pay atomic increments).
    Raises PushRefused, having changed nothing, while the buffer is busy (STREAM_BUSY).
    The caller makes room first.
    """
    if buffer[STREAM_BUSY]:
        raise PushRefused()
    state = heap_state(buffer, buffer[:0].view(np.float64))
    position = state.counts[_NEXT_IN]
    window = buffer[STREAM_WINDOW]
    start = max(position + 1 - window, 0) if window else 0
    return _push_window(buffer, state, value, position, start)


@_one_value
def stream_push_in_time(buffer, times, value, tick):
    """Feed one value at time ``tick`` to a stream with a time window closed on the right; its result.

    ``times`` is a ring of the times of the positions from the last window's start on
    (``times[position & (times.size - 1)]``). The window starts at the first of them
    later than ``tick - span`` (at or after it, closed on the left) and ends with the new
    value: pandas' rule for a window closed on the right.

    Raises PushRefused, having changed nothing, while the buffer is busy (STREAM_BUSY),
    where ``tick`` comes before the last time, where the ring and heaps have no room for
    one more value, or where they hold far more room than the window needs (the caller
    gives some back): the checks live here, under one call that holds the GIL, so that a
    reading at a time costs one call from Python and no lock.
    """
    state = heap_state(buffer, buffer[:0].view(np.float64))
    position = state.counts[_NEXT_IN]
    capacity = min(times.size, buffer[_CAP_LO])
    held = position - buffer[STREAM_LAST_START]
    if buffer[STREAM_BUSY] or (position > 0 and tick < times[(position - 1) & (times.size - 1)]):
        raise PushRefused()
    if held + 2 > capacity or far_more_room(capacity, time_room_needed(held, 1)):
        raise PushRefused()
    return _push_in_time(buffer, state, times, value, tick)


@_jit
def stream_update_in_time(buffer, times, values, ticks, out):
    """:func:`stream_push_in_time` for each of ``values`` at ``ticks``, results into ``out``.

    The ring ``times`` has room for every value (the caller grows it first). The
    windows' bounds are found first and the heaps then run once over the piece, as for
    a window of rows: a third of the cost of pushing the values one at a time.
    """
    state = heap_state(buffer, values)
    position = state.counts[_NEXT_IN]
    starts = np.empty(values.size, np.int64)
    ends = np.arange(position + 1, position + 1 + values.size)
    for i in range(values.size):
        starts[i] = _time_window_start(buffer, times, position + i, ticks[i])
    no_mask = starts[:0].view(np.bool_)
    run_heaps(
        values, no_mask, position, starts, ends, _stream_readout(buffer), state, out, no_mask, LOOSE_BALANCE
    )


@_inline
def _time_window_start(buffer, times, position, tick):
    """Ring ``tick`` at ``position``; the first position of its window (pandas' rule, closed right)."""
    mask = times.size - 1
    times[position & mask] = tick
    bound = tick - buffer[STREAM_WINDOW] - (1 if buffer[STREAM_LEFT_CLOSED] else 0)
    start = buffer[STREAM_LAST_START]
    while start < position and times[start & mask] <= bound:
        start += 1
    buffer[STREAM_LAST_START] = start
    return start


@_inline
def _push_in_time(buffer, state, times, value, tick):
    position = state.counts[_NEXT_IN]
    return _push_window(buffer, state, value, position, _time_window_start(buffer, times, position, tick))


@_jit
def ring_resized(times, capacity, first, stop):
    """A ring of ``capacity`` slots (a power of two) holding the times of positions ``[first, stop)``."""
    resized = np.zeros(capacity, np.int64)
    for position in range(first, stop):
        resized[position & (capacity - 1)] = times[position & (times.size - 1)]
    return resized


def stream_held(buffer):
    """A time stream's positions seen and the start of its last window: what its ring holds."""
    return int(buffer[_COUNTS + _NEXT_IN]), int(buffer[STREAM_LAST_START])


@_inline
def _push_window(buffer, state, value, position, start):
    """The result of the window ``[start, position + 1)`` after ``value`` enters at ``position``."""
    scratch = buffer[_SCRATCH : _SCRATCH + 4]
    values = scratch[0:1].view(np.float64)
    values[0] = value
    scratch[1] = start
    scratch[2] = position + 1
    out = scratch[3:4].view(np.float64)
    no_mask = scratch[:0].view(np.bool_)
    run_heaps(
        values,
        no_mask,
        position,
        scratch[1:2],
        scratch[2:3],
        _stream_readout(buffer),
        state,
        out,
        no_mask,
        LOOSE_BALANCE,
    )
    return out[0]
