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
5. Entry points over fixed offsets and bounds arrays, split into spans for threads.
6. Window bounds: groups and time windows.
7. Streams: a heap state carried between calls.
"""

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

# =====================================================================================
# 1. Compilation
# =====================================================================================


def _jit_cached(**options):
    """``njit(cache=True, nogil=True, **options)``, compiling in memory where no cache can be written.

    numba caches beside the source, or in the user's cache directory when the package
    is read-only; with neither writable it refuses ``cache=True`` outright.
    """

    def decorate(function):
        try:
            return njit(cache=True, nogil=True, **options)(function)
        except RuntimeError:
            return njit(nogil=True, **options)(function)

    return decorate


_jit = _jit_cached()
# The heap code runs without numba's reference counting (``_nrt=False``) and is
# inlined into the drivers: otherwise every call that passes the state arrays pays
# atomic increments and decrements, which made the engine 3x slower than bottleneck.
# Functions compiled this way cannot allocate; their callers allocate.
_no_refcount = _jit_cached(_nrt=False)
_inline = _jit_cached(_nrt=False, inline="always")


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
def _emit_order_statistics(readout, held, low, high, out, out_valid, j):
    """Write the quantile of ``held`` values whose order statistics at its rank are ``low``, ``high``."""
    fractional_rank = readout.q * max(held - 1, 0)
    rank = int(fractional_rank)
    ok = held > 0 and held >= readout.min_count
    _emit(out, out_valid, j, ok, low, high, fractional_rank - rank, rank, readout.interpolation)


@_inline
def _low_count(q, held):
    """How many of ``held`` values lie at or below the quantile's lower order statistic."""
    return int(q * (held - 1)) + 1


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
# the children of a node share a cache line.
_ARITY = 8

# Slots of HeapState.counts.
_N_LO = 0  # values held in the low (max-) heap
_N_HI = 1  # values held in the high (min-) heap
_NEXT_IN = 2  # the next position to enter the window
_NEXT_OUT = 3  # the next position to leave the window
_N_COUNTS = 4

# The buffer's header: the capacities and whether positions are tracked, then the counts.
_HEADER = 3 + _N_COUNTS


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
    buffer[0] = cap_lo
    buffer[1] = cap_hi
    buffer[2] = tracked
    return buffer


def _key_view(block, values):  # pragma: no cover - replaced by the overload inside jitted code
    pass


@overload(_key_view)
def _key_view_overload(block, values):
    """A block of an int64 buffer as keys of the values' type: float64 bits or int64 itself."""
    if isinstance(values.dtype, types.Float):
        return lambda block, values: block.view(np.float64)
    return lambda block, values: block


@_inline
def heap_state(buffer, values):
    """The named views of the state in ``buffer``, keys typed like ``values``."""
    cap_lo, cap_hi, tracked = buffer[0], buffer[1], buffer[2]
    at = _HEADER
    lo_keys = _key_view(buffer[at : at + cap_lo], values)
    at += cap_lo
    hi_keys = _key_view(buffer[at : at + cap_hi], values)
    at += cap_hi
    n_pos_lo, n_pos_hi = (cap_lo, cap_hi) if tracked else (0, 0)
    lo_pos = buffer[at : at + n_pos_lo]
    at += n_pos_lo
    hi_pos = buffer[at : at + n_pos_hi]
    at += n_pos_hi
    node_of = buffer[at : at + n_pos_lo]
    return HeapState(lo_keys, hi_keys, lo_pos, hi_pos, node_of, buffer[3:_HEADER])


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
    grown = heap_buffer(cap_lo, cap_hi, buffer[2])
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


@_jit
def heap_capacity(buffer):
    """The capacities of a state's heaps, and the values it has seen."""
    return buffer[0], buffer[1], buffer[3 + _NEXT_IN]


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
def _sift_down(keys, positions, node_of, side, size, i):
    key = keys[i]
    pos = positions[i] if node_of.size != 0 else 0
    while True:
        first = i * _ARITY + 1
        if first >= size:
            break
        best = first
        best_key = keys[first]
        for child in range(first + 1, min(first + _ARITY, size)):
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


@_inline
def _rebalance(state, n_low):
    """Move roots between the heaps until the low heap holds exactly ``n_low`` values."""
    counts = state.counts
    while counts[_N_LO] != n_low:
        _move_root(state, counts[_N_LO] > n_low)


# =====================================================================================
# 4. Drivers
# =====================================================================================


def _is_missing(values, valid, i):  # pragma: no cover - replaced by the overload inside jitted code
    pass


@overload(_is_missing)
def _is_missing_overload(values, valid, i):
    """NaN is missing in floats; integers carry a mask of valid values (empty: all valid)."""
    if isinstance(values.dtype, types.Float):
        return lambda values, valid, i: np.isnan(values[i])
    return lambda values, valid, i: valid.size != 0 and not valid[i]


@_no_refcount
def run_heaps(values, valid, offset, start, end, readout, state, out, out_valid):
    """Run the double heap over the windows ``[start[j], end[j])`` and write ``out[j]``.

    ``values[p - offset]`` is the value at global position ``p`` (``valid`` marks the
    present ones where ``values`` are integers; NaN is missing in floats). ``start`` and
    ``end`` are global and monotone, and no window is wider than the state's capacity.
    An untracked state takes windows that either keep their start and gain at most one
    value, or start at or after the previous window's end (it is emptied then): an
    expanding window, also within each group of rows gathered by group.
    """
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
        if held > 0:
            _rebalance(state, _low_count(readout.q, held))
        # (Read even when nothing is held, and then not written: one call site of the read-out.)
        low = _flip(state.lo_keys[0])
        # hi is empty only when the rank is the largest one, and then the fraction is 0.
        high = state.hi_keys[0] if counts[_N_HI] > 0 else low
        _emit_order_statistics(readout, held, low, high, out, out_valid, j)
    counts[_NEXT_IN] = next_in
    counts[_NEXT_OUT] = next_out


# Windows of at most this many values are sorted afresh rather than kept in heaps:
# for 3 values that is three times faster than the heaps, for 7 still 15% faster, and
# the two break even at 8 (measured on 1e6 normal values, one thread).
SORT_AFRESH_MAX = 7


@_no_refcount
def sort_windows(values, valid, offset, start, end, readout, buffer, out, out_valid):
    """The windows of :func:`run_heaps`, each sorted afresh: for windows of a few values.

    Each present value sinks into place through compare-exchanges that swap their two
    values on one comparison (no branch to mispredict, and a -0.0 and a +0.0 stay two
    zeros, where independent min and max could return one of them twice). ``buffer``
    holds at least the widest window.
    """
    for j in range(start.size):
        held = 0
        for pos in range(start[j], end[j]):
            if _is_missing(values, valid, pos - offset):
                continue
            buffer[held] = values[pos - offset]
            for i in range(held, 0, -1):
                below, above = buffer[i - 1], buffer[i]
                swap = above < below
                buffer[i - 1] = above if swap else below
                buffer[i] = below if swap else above
            held += 1
        rank = int(readout.q * max(held - 1, 0))
        low = buffer[rank]
        high = buffer[rank + 1] if rank + 1 < held else low
        _emit_order_statistics(readout, held, low, high, out, out_valid, j)


@_inline
def _run_windows(sort_afresh, values, valid, start, end, readout, buffer, state, out, out_valid):
    """One run of windows, on the driver chosen for their width (one call site of each)."""
    if sort_afresh:
        sort_windows(values, valid, 0, start, end, readout, buffer, out, out_valid)
    else:
        run_heaps(values, valid, 0, start, end, readout, state, out, out_valid)


# =====================================================================================
# 5. Entry points: fixed offsets and bounds arrays, a span at a time
# =====================================================================================

# Bounds are computed this many windows at a time, so that a fixed or expanding
# window never materialises bounds arrays as long as the data.
_BOUNDS_BLOCK = 1024


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


@_jit
def rolling_rows(values, valid, offsets, expanding, readout, out, out_valid, span):
    """Fixed windows over each row of a 2-d array: the results of one :class:`Span`.

    pandas' fixed window indexer, with its centre, ``closed`` and ``step`` (an
    expanding window starts at ``-n``). The bounds are made a block at a time, never
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
            for j in range(block_size):
                origin = (block_start + j) * offsets.step
                start[j] = min(max(origin + offsets.start, 0), n)
                end[j] = min(max(origin + offsets.end, 0), n)
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
    )


# =====================================================================================
# 6. Window bounds
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
        seg_start = start[offset : offset + m]
        seg_end = end[offset : offset + m]
        sign = -1 if times[m - 1] < times[0] else 1
        for i in range(1, m):
            if (times[i] - times[i - 1]) * sign < 0:
                return False  # pandas needs each segment's times to be monotonic
        seg_start[0] = 0
        seg_end[0] = 1 if right_closed else 0
        if center:
            end_bound = times[0] + sign * half
            for j in range(m):
                if (times[j] - end_bound) * sign < 0 or ((times[j] - end_bound) == 0 and right_closed):
                    seg_end[0] = j + 1
                else:
                    seg_end[0] = j
                    break
        for i in range(1, m):
            if center:
                end_bound = times[i] + sign * half
                start_bound = times[i] - sign * half
            else:
                end_bound = times[i]
                start_bound = times[i] - sign * window_size
            if left_closed:
                start_bound -= sign
            # The first time inside the window, at or after the previous start.
            seg_start[i] = i
            for j in range(seg_start[i - 1], i):
                if (times[j] - start_bound) * sign > 0:
                    seg_start[i] = j
                    break
            if center:
                seg_end[i] = m
                for j in range(seg_end[i - 1], m):
                    if (times[j] - end_bound) * sign == 0 and right_closed:
                        seg_end[i] = j + 1  # and on, over every row at the end time
                        continue
                    if (times[j] - end_bound) * sign >= 0:
                        seg_end[i] = j
                        break
            elif times[seg_end[i - 1]] == end_bound and not right_closed:
                # A time repeated with the right end open: the window ends where the last one did.
                seg_end[i] = seg_end[i - 1] + 1
            elif (times[seg_end[i - 1]] - end_bound) * sign <= 0:
                seg_end[i] = i + 1
            else:
                seg_end[i] = seg_end[i - 1]
            if not right_closed and not center:
                seg_end[i] -= 1
        seg_start += offset
        seg_end += offset
    return True


# =====================================================================================
# 7. Streams
# =====================================================================================
#
# A stream is a heap state's buffer (section 3) kept between calls, its positions
# counting every value the stream has seen. The caller grows the buffer before a call
# (``heap_grow``) so that it holds the window's values: memory follows the values held.


@_jit
def stream_update(buffer, values, valid, window, readout, out, out_valid):
    """Feed ``values`` to the stream in ``buffer``: the results at their positions go to ``out``.

    ``window`` is the number of most recent positions each result covers, or 0 for
    everything seen (the running median). Float values give float results (NaN
    missing); int64 values, with ``valid`` marking the present ones (empty: all), give
    exact int64 results and their validity.
    """
    state = heap_state(buffer, values)
    first = state.counts[_NEXT_IN]
    end = np.arange(first + 1, first + 1 + values.size)
    start = np.maximum(end - window, 0) if window else np.zeros_like(end)
    run_heaps(values, valid, first, start, end, readout, state, out, out_valid)


@_jit
def stream_push(buffer, value, window, readout):
    """Feed one value to the stream in ``buffer``; its result. The single-value path: no allocation."""
    state = heap_state(buffer, buffer[:0].view(np.float64))
    position = state.counts[_NEXT_IN]
    bounds = np.empty(2, np.int64)  # (the stack: numba does not allocate this on the heap)
    return _push_one(state, value, position, window, readout, bounds)


@_inline
def _push_one(state, value, position, window, readout, bounds):
    values = np.empty(1, np.float64)
    values[0] = value
    out = np.empty(1, np.float64)
    bounds[0] = max(position + 1 - window, 0) if window else 0
    bounds[1] = position + 1
    no_mask = np.empty(0, np.bool_)
    run_heaps(values, no_mask, position, bounds[0:1], bounds[1:2], readout, state, out, no_mask)
    return out[0]
