"""The sections of the report, in the order they run; ``--only`` picks some of them by name.

A section is a module of this package that ends with ``SECTION = Section(NAME, run, report)``:
``run(settings, peers)`` measures and returns its results, ``report(results)`` returns its
markdown. To add one, write the module and add its ``SECTION`` to SECTIONS below.
"""

from harness import Section

from sections import (
    columns,
    dask_frames,
    expanding,
    files,
    first_calls,
    groups,
    hampel,
    integers,
    mad,
    memory,
    quantile,
    rank,
    rolling,
    several_quantiles,
    startup,
    streaming,
    time_streams,
    time_windows,
    xarray_arrays,
)

SECTIONS: tuple[Section, ...] = (
    rolling.SECTION,
    expanding.SECTION,
    columns.SECTION,
    startup.SECTION,
    memory.SECTION,
    time_windows.SECTION,
    groups.SECTION,
    quantile.SECTION,
    integers.SECTION,
    streaming.SECTION,
    time_streams.SECTION,
    files.SECTION,
    dask_frames.SECTION,
    mad.SECTION,
    rank.SECTION,
    several_quantiles.SECTION,
    hampel.SECTION,
    first_calls.SECTION,
    xarray_arrays.SECTION,
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)
