"""The numba kernels of rollmed: every jitted function lives in this module.

numba's on-disk cache does not notice a change to a jitted function that lives in
another file, so keeping all of them together keeps the cache honest.

The engine is an *indexed* double heap. The lower part of the window lives in a
max-heap ``lo`` and the upper part in a min-heap ``hi``; both are stored as
min-heaps of *keys*, ``lo`` holding the values flipped (``-x`` for floats,
``~x`` for integers, both order-reversing and exact). Every node also records the
global position of its value, and ``where[pos & mask]`` records the node that
holds a position (``+i + 1`` for ``lo[i]``, ``-i - 1`` for ``hi[i]``, ``0`` for
a position that is not held, such as a NaN). A value that leaves the window is
therefore found and removed in O(log k), and every array is sized by the
largest window, never by the length of the data.

The state lives in arrays that the caller owns (see :func:`new_state`), so a
later call, a streaming object or the next partition of a dask frame can carry
on where the last call stopped.

The engine consumes monotone window bounds ``start[j] <= end[j]``: fixed,
centred and expanding windows are different bounds, not different kernels.
Kernels never validate their input: the NumPy layer does.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

# bottleneck's choice: an 8-ary heap is three times shallower than a binary one
# and the children of a node share a cache line.
_ARITY = 8

# Slots of the ``counts`` state array.
_N_LO = 0  # values held in the low (max-) heap
_N_HI = 1  # values held in the high (min-) heap
_NEXT_IN = 2  # the next position to enter the window
_NEXT_OUT = 3  # the next position to leave the window
_N_COUNTS = 4

# How a quantile between two order statistics is read; the codes are shared
# with the NumPy layer (rollmed._api.INTERPOLATIONS).
LINEAR = 0
LOWER = 1
HIGHER = 2
MIDPOINT = 3
NEAREST = 4
FLOOR = 5  # the floor of the midpoint: shared/seeds/002's median of integers

# Windows of at most this many values are sorted afresh, without branches, rather than
# kept in heaps: for 3 values that is three times faster than the heaps, for 7 still
# 15% faster, and the two break even at 8 (measured on 1e6 normal values, one thread).
_SMALL_WINDOW = 7

# Bounds are computed this many windows at a time, so that a fixed or expanding
# window never materialises bounds arrays as long as the data.
_BOUNDS_BLOCK = 1024


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
# inlined into the engine: otherwise every call that passes the state arrays pays
# atomic increments and decrements, which made the engine 3x slower than bottleneck.
# Functions compiled this way cannot allocate; the callers allocate.
_kernel = _jit_cached(_nrt=False)
_inline = _jit_cached(_nrt=False, inline="always")


def _flip(x):  # pragma: no cover - replaced by the overload inside jitted code
    return -x


@overload(_flip)
def _flip_overload(x):
    """An exact, order-reversing involution: ``-x`` overflows at the int64 minimum, ``~x`` never does."""
    if isinstance(x, types.Integer):
        return lambda x: ~x
    return lambda x: -x


@_inline
def _capacity(window):
    """The power of two at or above ``window``: ``pos & (capacity - 1)`` finds a position's slot."""
    capacity = 1
    while capacity < window:
        capacity *= 2
    return capacity


@_jit
def new_state(window, dtype):
    """An empty engine state for windows of at most ``window`` values.

    The tuple ``(lo_keys, lo_pos, hi_keys, hi_pos, where, counts)``; the capacity is
    a power of two so that ``pos & mask`` finds the slot of a position.
    """
    capacity = _capacity(window)
    return (
        np.empty(capacity, dtype),
        np.empty(capacity, np.int64),
        np.empty(capacity, dtype),
        np.empty(capacity, np.int64),
        np.zeros(capacity, np.int64),
        np.zeros(_N_COUNTS, np.int64),
    )


@_jit
def new_expanding_state(n, q, dtype):
    """An empty state for ``n`` values that are never removed: an expanding window.

    Nothing leaves, so no positions are tracked (``lo_pos``, ``hi_pos`` and ``where``
    are empty) and each heap holds only its share of the ``q`` split: about ``n``
    values in all, where a tracked state would need five arrays of ``n``.
    """
    empty = np.empty(0, np.int64)
    return (
        np.empty(int(q * n) + 2, dtype),
        empty,
        np.empty(int((1 - q) * n) + 2, dtype),
        empty,
        empty,
        np.zeros(_N_COUNTS, np.int64),
    )


@_inline
def _place(keys, positions, where, side, i, key, pos):
    """Put a node at index ``i``, and record where its position is when positions are tracked."""
    keys[i] = key
    if where.size != 0:
        positions[i] = pos
        where[pos & (where.size - 1)] = side * (i + 1)


@_inline
def _sift_up(keys, positions, where, side, i):
    key = keys[i]
    pos = positions[i] if where.size != 0 else 0
    while i > 0:
        parent = (i - 1) // _ARITY
        if keys[parent] <= key:
            break
        _place(keys, positions, where, side, i, keys[parent], positions[parent] if where.size != 0 else 0)
        i = parent
    _place(keys, positions, where, side, i, key, pos)


@_inline
def _sift_down(keys, positions, where, side, size, i):
    key = keys[i]
    pos = positions[i] if where.size != 0 else 0
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
        _place(keys, positions, where, side, i, best_key, positions[best] if where.size != 0 else 0)
        i = best
    _place(keys, positions, where, side, i, key, pos)


@_inline
def _heap_replace(keys, positions, where, side, size, i, key, pos):
    """Overwrite node ``i`` with a new key and position and restore the heap with one sift."""
    old_key = keys[i]
    _place(keys, positions, where, side, i, key, pos)
    if key < old_key:
        _sift_up(keys, positions, where, side, i)
    else:
        _sift_down(keys, positions, where, side, size, i)


@_inline
def _heap(state, low):
    """One heap of the state: its keys, its positions, its sign in ``where`` and its count slot.

    The heap code below has one call site of each sift for both heaps: every inlined
    copy lengthens the compile.
    """
    if low:
        return state[0], state[1], 1, _N_LO
    return state[2], state[3], -1, _N_HI


@_inline
def _insert(state, value, pos):
    where, counts = state[4], state[5]
    low = counts[_N_LO] > 0 and value <= _flip(state[0][0])
    keys, positions, side, slot = _heap(state, low)
    size = counts[slot]
    _place(keys, positions, where, side, size, _flip(value) if low else value, pos)
    counts[slot] = size + 1
    _sift_up(keys, positions, where, side, size)


@_inline
def _remove(state, pos):
    where, counts = state[4], state[5]
    slot_of_pos = pos & (where.size - 1)
    node = where[slot_of_pos]
    if node == 0:  # a missing value was never held
        return
    where[slot_of_pos] = 0
    keys, positions, side, slot = _heap(state, node > 0)
    last = counts[slot] - 1
    counts[slot] = last
    i = abs(node) - 1
    if i != last:  # the last node fills the hole
        _heap_replace(keys, positions, where, side, last, i, keys[last], positions[last])


@_inline
def _replace(state, pos_out, value, pos_in):
    """Let ``value`` at ``pos_in`` take the node of the held position ``pos_out``.

    bottleneck's trick: one sift in place instead of a delete and an insert. If the
    new value belongs in the other heap, it is now the root of its own heap, and one
    swap of the two roots restores the order without changing the counts.
    """
    lo_keys, lo_pos, hi_keys, hi_pos, where, counts = state
    mask = where.size - 1
    node = where[pos_out & mask]
    where[pos_out & mask] = 0
    low = node > 0
    keys, positions, side, slot = _heap(state, low)
    key = _flip(value) if low else value
    _heap_replace(keys, positions, where, side, counts[slot], abs(node) - 1, key, pos_in)
    if counts[_N_LO] > 0 and counts[_N_HI] > 0 and _flip(lo_keys[0]) > hi_keys[0]:
        lo_root, lo_root_pos = lo_keys[0], lo_pos[0]
        _place(lo_keys, lo_pos, where, 1, 0, _flip(hi_keys[0]), hi_pos[0])
        _place(hi_keys, hi_pos, where, -1, 0, _flip(lo_root), lo_root_pos)
        # The root that crossed from the new value's heap is in order in its new heap;
        # the new value, now the other heap's root, sinks.
        keys, positions, side, slot = _heap(state, not low)
        _sift_down(keys, positions, where, side, counts[slot], 0)


@_inline
def _move_root(state, from_low):
    """Move the root of one heap to the other: the order statistic at the boundary changes sides."""
    where, counts = state[4], state[5]
    tracked = where.size != 0
    keys, positions, side, slot = _heap(state, from_low)
    key = keys[0]
    pos = positions[0] if tracked else 0
    last = counts[slot] - 1
    counts[slot] = last
    if last > 0:  # the last node takes the root's place and sinks
        _place(keys, positions, where, side, 0, keys[last], positions[last] if tracked else 0)
        _sift_down(keys, positions, where, side, last, 0)
    keys, positions, side, slot = _heap(state, not from_low)
    size = counts[slot]
    _place(keys, positions, where, side, size, _flip(key), pos)
    counts[slot] = size + 1
    _sift_up(keys, positions, where, side, size)


@_inline
def _rebalance(state, n_low):
    """Move roots between the heaps until the low heap holds exactly ``n_low`` values."""
    counts = state[5]
    while counts[_N_LO] != n_low:
        _move_root(state, counts[_N_LO] > n_low)


@_inline
def _midpoint(low, high):
    """``(low + high) / 2`` as pandas computes it, but finite where only the sum overflows."""
    mid = (low + high) / 2
    if np.isinf(mid) and np.isfinite(low) and np.isfinite(high):
        mid = low / 2 + high / 2
    return mid


@_inline
def _interpolate(low, high, fraction, rank, interpolation):
    """Read the quantile between the order statistics ``low`` (at ``rank``) and ``high``, as pandas."""
    if fraction == 0:
        return np.float64(low)
    if interpolation == MIDPOINT:
        return _midpoint(np.float64(low), np.float64(high))
    if interpolation == LOWER:
        return np.float64(low)
    if interpolation == HIGHER:
        return np.float64(high)
    if interpolation == NEAREST:  # round half to even, as pandas does
        if fraction == 0.5:
            return np.float64(low) if rank % 2 == 0 else np.float64(high)
        return np.float64(low) if fraction < 0.5 else np.float64(high)
    if interpolation == FLOOR:
        return np.floor(_midpoint(np.float64(low), np.float64(high)))
    return low + (high - low) * fraction


@_inline
def _select_exact(low, high, fraction, rank, interpolation):
    """The integer quantile for the modes that never leave the integers: no float round trip."""
    if fraction == 0 or interpolation == LOWER:
        return low
    if interpolation == HIGHER:
        return high
    if interpolation == NEAREST:
        if fraction == 0.5:
            return low if rank % 2 == 0 else high
        return low if fraction < 0.5 else high
    # FLOOR: floor((low + high) / 2) without the sum, which could overflow.
    return (low >> 1) + (high >> 1) + (low & high & 1)


def _emit(out, out_valid, j, ok, low, high, fraction, rank, interpolation):  # pragma: no cover
    pass


@overload(_emit)
def _emit_overload(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
    """Write one result: a float (NaN when not ``ok``), or an exact integer and its validity."""
    if isinstance(out.dtype, types.Integer):

        def emit_exact(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
            out_valid[j] = ok
            out[j] = _select_exact(low, high, fraction, rank, interpolation) if ok else 0

        return emit_exact

    def emit_float(out, out_valid, j, ok, low, high, fraction, rank, interpolation):
        out[j] = _interpolate(low, high, fraction, rank, interpolation) if ok else np.nan

    return emit_float


def _is_missing(values, valid, i):  # pragma: no cover
    pass


@overload(_is_missing)
def _is_missing_overload(values, valid, i):
    """NaN is missing in floats; integers carry a mask of valid values (empty: all valid)."""
    if isinstance(values.dtype, types.Float):
        return lambda values, valid, i: np.isnan(values[i])
    return lambda values, valid, i: valid.size != 0 and not valid[i]


@_inline
def _emit_quantile(state, min_count, q, interpolation, out, out_valid, j):
    """Write the quantile of the held values; the heaps are split at its rank already."""
    lo_keys, hi_keys, counts = state[0], state[2], state[5]
    held = counts[_N_LO] + counts[_N_HI]
    fractional_rank = q * max(held - 1, 0)
    rank = int(fractional_rank)
    low = _flip(lo_keys[0])
    # hi is empty only when the rank is the largest one, and then the fraction is 0.
    high = hi_keys[0] if counts[_N_HI] > 0 else low
    ok = held > 0 and held >= min_count
    _emit(out, out_valid, j, ok, low, high, fractional_rank - rank, rank, interpolation)


@_kernel
def engine(values, valid, offset, start, end, min_count, q, interpolation, state, out, out_valid):
    """Run the double heap over the windows ``[start[j], end[j])`` and write ``out[j]``.

    ``values[p - offset]`` is the value at global position ``p`` (``valid`` marks the
    present ones where ``values`` are integers; NaN is missing in floats). ``start`` and
    ``end`` are global, monotone non-decreasing, and no window is larger than the
    state's capacity. A state from :func:`new_expanding_state` has room for its share
    of each heap only: it takes windows that never drop a value and gain at most one
    at a time (the heaps are split before each result). A window with fewer than ``max(min_count, 1)`` values
    gives NaN, or ``out_valid[j] = False`` for integer output.
    """
    where = state[4]
    counts = state[5]
    mask = where.size - 1
    next_in = counts[_NEXT_IN]
    next_out = counts[_NEXT_OUT]
    for j in range(start.size):
        window_start = start[j]
        window_end = end[j]
        while next_out < window_start or next_in < window_end:
            if next_out == next_in and next_in < window_start:
                # Nothing is held and the window starts further on: skip to it.
                next_out = window_start
                next_in = window_start
            leaving = next_out < window_start
            entering = window_start <= next_in < window_end
            present = entering and not _is_missing(values, valid, next_in - offset)
            if leaving and present and where[next_out & mask] != 0:
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
            _rebalance(state, int(q * (held - 1)) + 1)
        _emit_quantile(state, min_count, q, interpolation, out, out_valid, j)
    counts[_NEXT_IN] = next_in
    counts[_NEXT_OUT] = next_out


@_kernel
def small_windows(values, valid, offset, start, end, min_count, q, interpolation, buffer, out, out_valid):
    """The windows of :func:`engine`, each sorted afresh: for windows of a few values.

    Each present value sinks into place through compare-exchanges (a min and a max,
    no branch to mispredict). ``buffer`` holds at least the largest window.
    """
    for j in range(start.size):
        held = 0
        for pos in range(start[j], end[j]):
            if _is_missing(values, valid, pos - offset):
                continue
            buffer[held] = values[pos - offset]
            for i in range(held, 0, -1):
                lower = min(buffer[i - 1], buffer[i])
                buffer[i] = max(buffer[i - 1], buffer[i])
                buffer[i - 1] = lower
            held += 1
        fractional_rank = q * max(held - 1, 0)
        rank = int(fractional_rank)
        high = buffer[rank + 1] if rank + 1 < held else buffer[rank]
        ok = held > 0 and held >= min_count
        _emit(out, out_valid, j, ok, buffer[rank], high, fractional_rank - rank, rank, interpolation)


@_jit
def _state_for(values, start, end, q):
    """The smallest state for windows ``start``, ``end`` (non-empty) over ``values``."""
    grows_one_at_a_time = end[0] - start[0] <= 1 and (end.size == 1 or np.max(np.diff(end)) <= 1)
    if start[0] == start[-1] and grows_one_at_a_time:  # an expanding window
        return new_expanding_state(end[-1] - start[0], q, values.dtype)
    return new_state(max(1, np.max(end - start)), values.dtype)


@_inline
def _windows_on_path(
    small, values, valid, start, end, min_count, q, interpolation, buffer, state, out, out_valid
):
    """Windows of a few values are sorted afresh; all others go through the heaps' state."""
    if small:
        small_windows(values, valid, 0, start, end, min_count, q, interpolation, buffer, out, out_valid)
    else:
        engine(values, valid, 0, start, end, min_count, q, interpolation, state, out, out_valid)


@_jit
def _run_windows(values, valid, start, end, min_count, q, interpolation, out, out_valid):
    """Every window of one span of one row, on the path that suits its size."""
    width = np.max(end - start) if start.size else 0
    buffer = np.empty(max(width, 1), values.dtype)
    state = _state_for(values, start, end, q)
    small = width <= _SMALL_WINDOW
    _windows_on_path(
        small, values, valid, start, end, min_count, q, interpolation, buffer, state, out, out_valid
    )


@_jit
def rolling_rows(
    values,
    valid,
    start_offset,
    end_offset,
    step,
    min_count,
    q,
    interpolation,
    out,
    out_valid,
    row_start,
    row_stop,
    first,
    last,
):
    """Fixed windows: results ``first..last - 1`` of rows ``row_start..row_stop - 1``.

    Result ``o`` of a row of ``n`` values covers ``[o * step + start_offset, o * step +
    end_offset)`` clipped to ``[0, n)``: pandas' fixed window indexer, with its centre,
    ``closed`` and ``step``; an expanding window starts at ``-n``. The bounds are made
    a block at a time, never as long as the data. A span that starts inside a row
    refills its first window, so spans can run on separate threads.
    """
    n = values.shape[1]
    width = max(min(end_offset - start_offset, n), 1)
    small = width <= _SMALL_WINDOW
    buffer = np.empty(width, values.dtype)
    if first == 0 and step == 1 and end_offset <= 1 and (last - 1) + start_offset <= 0:
        # Every window starts at 0 and gains one value at a time: an expanding window.
        state = new_expanding_state(width, q, values.dtype)
    else:
        state = new_state(width, values.dtype)
    start = np.empty(_BOUNDS_BLOCK, np.int64)
    end = np.empty(_BOUNDS_BLOCK, np.int64)
    for row in range(row_start, row_stop):
        state[4][:] = 0
        state[5][:] = 0
        for block_start in range(first, last, _BOUNDS_BLOCK):
            block_size = min(_BOUNDS_BLOCK, last - block_start)
            for j in range(block_size):
                origin = (block_start + j) * step
                start[j] = min(max(origin + start_offset, 0), n)
                end[j] = min(max(origin + end_offset, 0), n)
            block = slice(block_start, block_start + block_size)
            _windows_on_path(
                small, values[row], valid[row], start[:block_size], end[:block_size], min_count, q,
                interpolation, buffer, state, out[row, block], out_valid[row, block],
            )  # fmt: skip


@_jit
def rolling_bounds(values, valid, start, end, min_count, q, interpolation, out, out_valid, first, last):
    """Windows given by bounds arrays (time, indexer and group windows): results ``first..last - 1``."""
    span = slice(first, last)
    _run_windows(
        values,
        valid,
        start[span],
        end[span],
        min_count,
        q,
        interpolation,
        out[span],
        out_valid[span],
    )


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


# A stream's state is one int64 array, so that feeding it one value passes a single
# array to numba (each array argument costs about 0.1 us to unbox). Its header:
_S_CAP_LO = 0  # room in the low heap
_S_CAP_HI = 1  # room in the high heap
_S_TRACKED = 2  # 1 when positions are tracked (a fixed window), 0 for a running median
_S_WINDOW = 3  # the window, or 0 for the running median
_S_MIN_COUNT = 4
_S_Q = 5  # the quantile's float64 bits
_S_INTERPOLATION = 6
_S_HEADER = 8
_S_SCRATCH = 4  # one value, its start and end, and its result


@_jit
def new_stream(window, min_count, q, interpolation, cap_lo, cap_hi):
    """An empty stream state for a fixed ``window`` (or 0: the running median)."""
    tracked = window > 0
    capacity = _capacity(window)
    if tracked:
        cap_lo = capacity
        cap_hi = capacity
    n_where = capacity if tracked else 0
    size = _S_HEADER + (cap_lo + cap_hi) * (2 if tracked else 1) + n_where + _N_COUNTS + _S_SCRATCH
    buffer = np.zeros(size, np.int64)
    buffer[_S_CAP_LO] = cap_lo
    buffer[_S_CAP_HI] = cap_hi
    buffer[_S_TRACKED] = tracked
    buffer[_S_WINDOW] = window
    buffer[_S_MIN_COUNT] = min_count
    buffer[_S_Q : _S_Q + 1].view(np.float64)[0] = q
    buffer[_S_INTERPOLATION] = interpolation
    return buffer


@_inline
def _stream_state(buffer):
    """The engine state inside a stream's buffer (views, no copies), and its scratch space."""
    cap_lo, cap_hi = buffer[_S_CAP_LO], buffer[_S_CAP_HI]
    n_pos_lo = cap_lo if buffer[_S_TRACKED] else 0
    n_pos_hi = cap_hi if buffer[_S_TRACKED] else 0
    at = _S_HEADER
    lo_keys = buffer[at : at + cap_lo].view(np.float64)
    at += cap_lo
    lo_pos = buffer[at : at + n_pos_lo]
    at += n_pos_lo
    hi_keys = buffer[at : at + cap_hi].view(np.float64)
    at += cap_hi
    hi_pos = buffer[at : at + n_pos_hi]
    at += n_pos_hi
    where = buffer[at : at + n_pos_hi]  # as many slots as the window's capacity
    at += n_pos_hi
    counts = buffer[at : at + _N_COUNTS]
    at += _N_COUNTS
    return (lo_keys, lo_pos, hi_keys, hi_pos, where, counts), buffer[at : at + _S_SCRATCH]


@_jit
def stream_count(buffer):
    """The number of values a stream has seen."""
    state, _ = _stream_state(buffer)
    return state[5][_NEXT_IN]


@_jit
def stream_grow(buffer, cap_lo, cap_hi):
    """A running median's buffer with more room in its heaps, the heaps copied over."""
    state, _ = _stream_state(buffer)
    grown = new_stream(0, buffer[_S_MIN_COUNT], buffer[_S_Q : _S_Q + 1].view(np.float64)[0],
                       buffer[_S_INTERPOLATION], cap_lo, cap_hi)  # fmt: skip
    new_state, _ = _stream_state(grown)
    new_state[0][: state[0].size] = state[0]
    new_state[2][: state[2].size] = state[2]
    new_state[5][:] = state[5]
    return grown


@_jit
def stream_update(buffer, values, out):
    """Feed ``values`` to a stream and write the results at their positions into ``out``."""
    state, scratch = _stream_state(buffer)
    counts = state[5]
    first = counts[_NEXT_IN]
    end = np.arange(first + 1, first + 1 + values.size)
    start = np.maximum(end - buffer[_S_WINDOW], 0) if buffer[_S_WINDOW] else np.zeros_like(end)
    q = buffer[_S_Q : _S_Q + 1].view(np.float64)[0]
    no_mask = scratch[:0].view(np.bool_)
    engine(values, no_mask, first, start, end, buffer[_S_MIN_COUNT], q, buffer[_S_INTERPOLATION],
           state, out, no_mask)  # fmt: skip


@_jit
def stream_push(buffer, value):
    """Feed one value to a stream; its result. The single-value path: no allocation."""
    state, scratch = _stream_state(buffer)
    counts = state[5]
    position = counts[_NEXT_IN]
    values = scratch[0:1].view(np.float64)
    values[0] = value
    bounds = scratch[1:3]
    bounds[1] = position + 1
    window = buffer[_S_WINDOW]
    bounds[0] = max(position + 1 - window, 0) if window else 0
    out = scratch[3:4].view(np.float64)
    no_mask = scratch[:0].view(np.bool_)
    q = buffer[_S_Q : _S_Q + 1].view(np.float64)[0]
    engine(values, no_mask, position, bounds[0:1], bounds[1:2], buffer[_S_MIN_COUNT], q,
           buffer[_S_INTERPOLATION], state, out, no_mask)  # fmt: skip
    return out[0]
