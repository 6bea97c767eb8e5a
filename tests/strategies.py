"""Hypothesis strategies for awkward data: NaN gaps, infinities, heavy ties and extreme values."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

INT64_MIN, INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max

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
    window = draw(st.integers(1, n + 3))
    min_count = draw(st.one_of(st.none(), st.integers(0, window)))
    return window, min_count
