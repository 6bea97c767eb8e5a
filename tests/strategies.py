"""Hypothesis strategies for awkward data: NaN gaps, infinities, heavy ties and extreme values."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

INT64_MIN, INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max

# Each window of 2 to MEDIAN_NETWORK_MAX (160) rows compiles a selection network of its
# own on first use, seconds apiece for the median and the MAD: compiling all of them
# would take most of the suite's time. Properties draw those widths from these, on both
# sides of each switch between paths (the median: sorting afresh up to 7 values; a
# network per window up to 10, over the core shared by 4 windows up to 32, by 8 up to
# 100 and by 16 up to 160; the MAD: two networks per window up to 16, a sorted core
# shared by 4 windows up to 48, by 8 up to MAD_NETWORK_MAX, 200, the core sorted whole
# up to 108 and in halves beyond) and the widths the notebooks use.
NETWORK_WIDTHS = (
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    11,
    15,
    16,
    17,
    21,
    24,
    25,
    31,
    32,
    33,
    48,
    49,
    64,
    100,
    101,
    108,
    109,
    160,
    200,
    201,
)


def few_networks(window):
    """``window``, or the widest of NETWORK_WIDTHS below it where a network would serve it."""
    if window is None or not NETWORK_WIDTHS[0] <= window <= NETWORK_WIDTHS[-1]:
        return window
    return max(width for width in NETWORK_WIDTHS if width <= window)


def windows(low, high):
    """Windows of ``low`` to ``high`` rows, network widths among NETWORK_WIDTHS (never above ``high``)."""
    return st.integers(low, high).map(few_networks)


# A few values drawn often make ties; extremes make overflow and precision cases.
awkward_floats = st.one_of(
    st.sampled_from([0.0, 1.0, -1.0, 2.0, 1e308, -1e308, 1.7976931348623157e308]),
    st.sampled_from([np.nan, np.inf, -np.inf]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5).map(float),
)


@st.composite
def float_series(draw, max_size=200):
    """A float64 array of 0..max_size values, sometimes with long runs of NaN."""
    values = draw(hnp.arrays(np.float64, st.integers(0, max_size), elements=awkward_floats))
    if values.size and draw(st.booleans()):
        start = draw(st.integers(0, values.size - 1))
        values[start : start + draw(st.integers(1, 30))] = np.nan
    return values


finite_floats = st.one_of(
    st.integers(-5, 5).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def pandas_safe_series(draw, max_size=200):
    """Float64 data on which pandas is right: no infinities, no overflowing midpoints."""
    return draw(
        hnp.arrays(
            np.float64,
            st.integers(0, max_size),
            elements=st.one_of(finite_floats, st.just(np.nan)),
        )
    )


int64_values = st.one_of(
    st.sampled_from([INT64_MIN, INT64_MAX, INT64_MAX - 1, INT64_MIN + 1, 0, 2**53 + 1]),
    st.integers(INT64_MIN, INT64_MAX),
    st.integers(-3, 3),
)


@st.composite
def window_args(draw, n):
    """A window from 1 to n + 3 and a min_count from 0 to the window."""
    window = draw(windows(1, n + 3))
    min_count = draw(st.one_of(st.none(), st.integers(0, window)))
    return window, min_count
