"""The command line's statistics: what each ``--stat`` computes, in one shot and in chunks.

Each ``--stat`` is a method of the pandas accessor, whose defaults are the command
line's (:func:`accessor_default`); it gives one or more result columns
(:func:`result_names`), computed in one shot by the accessor (:func:`results`) or, with
``--chunksize``, by the streams of :mod:`rollmed._factories` (:func:`stream_factories`).
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

import pandas as pd

from rollmed._factories import HampelStreams, MADStreams, MedianStreams, RankStreams
from rollmed._grouped import StreamFactory
from rollmed.accessor import RollmedSeriesAccessor

RESULT_SUFFIX = "_rollmed"  # the median (or quantile) of column C is column C_rollmed
STATISTICS = ("median", "mad", "rank", "hampel")
# The accessor's method for each --stat; the command line takes its defaults from it.
_METHODS = {"median": "window", "mad": "mad", "rank": "rank", "hampel": "hampel"}
# The options of one statistic or two: given with another --stat, they are a usage error.
OPTIONS_OF = {
    "q": ("median",),
    "interpolation": ("median",),
    "scale": ("mad", "hampel"),
    "n_sigmas": ("hampel",),
    "pct": ("rank",),
}
# What the results of each --stat are, for the messages.
RESULT_WORDS = {"median": "median", "mad": "MAD", "rank": "rank", "hampel": "Hampel-filtered value"}


def accessor_default(stat: str, name: str) -> Any:
    """The default of the accessor's parameter ``name`` for ``--stat stat``: the command line's too.

    Examples
    --------
    >>> from rollmed._cli_statistics import accessor_default
    >>> accessor_default("hampel", "scale"), accessor_default("hampel", "center")
    (1.4826, True)
    """
    method = getattr(RollmedSeriesAccessor, _METHODS[stat])
    return inspect.signature(method).parameters[name].default


def settle_defaults(args: argparse.Namespace) -> None:
    """The options not given take the accessor's defaults for the --stat chosen."""
    stat = args.stat
    if args.center is None:
        args.center = accessor_default(stat, "center")
    if args.min_periods is None:
        args.min_periods = accessor_default(stat, "min_periods")
    if stat == "median":
        args.interpolation = args.interpolation or accessor_default(stat, "interpolation")
        # Each quantile once, in the order given.
        args.q = list(dict.fromkeys(args.q or [accessor_default(stat, "q")]))
    if stat in ("mad", "hampel") and args.scale is None:
        args.scale = accessor_default(stat, "scale")
    if stat == "hampel" and args.n_sigmas is None:
        args.n_sigmas = accessor_default(stat, "n_sigmas")


def result_names(column: Any, args: argparse.Namespace) -> list[str]:
    """The output columns of ``column``: ``C_rollmed``, ``C_mad``, ``C_rank`` or ``C_hampel``.

    With several ``--q``, a column ``C_rollmed_qQ`` for each, ``Q`` as Python writes the float.

    Examples
    --------
    >>> import argparse
    >>> from rollmed._cli_statistics import result_names
    >>> result_names("x", argparse.Namespace(stat="median", q=[0.1, 0.9]))
    ['x_rollmed_q0.1', 'x_rollmed_q0.9']
    >>> result_names("x", argparse.Namespace(stat="mad", q=None))
    ['x_mad']
    """
    if args.stat != "median":
        return [f"{column}_{args.stat}"]
    if len(args.q) == 1:
        return [f"{column}{RESULT_SUFFIX}"]
    return [f"{column}{RESULT_SUFFIX}_q{float(q)!r}" for q in args.q]


def _medians(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    several = len(args.q) > 1
    result = values.rollmed.window(
        args.window,
        args.min_periods,
        args.center,
        q=args.q if several else args.q[0],
        interpolation=args.interpolation,
        closed=args.closed,
        by=keys,
    )
    return [result.iloc[:, i] for i in range(len(args.q))] if several else [result]


def _mads(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"scale": args.scale, "closed": args.closed}
    return [values.rollmed.mad(args.window, args.min_periods, args.center, **options, by=keys)]


def _ranks(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"pct": args.pct, "closed": args.closed}
    return [values.rollmed.rank(args.window, args.min_periods, args.center, **options, by=keys)]


def _hampel(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    options = {"center": args.center, "min_periods": args.min_periods, "scale": args.scale}
    return [values.rollmed.hampel(args.window, args.n_sigmas, **options, closed=args.closed, by=keys)]


# Each --stat's results in one shot, in the order of result_names: the pandas accessor's.
_ONE_SHOT = {"median": _medians, "mad": _mads, "rank": _ranks, "hampel": _hampel}


def results(values: pd.Series, args: argparse.Namespace, keys: Any) -> list[Any]:
    """The one-shot results of ``values`` (grouped by ``keys``, or None), as :func:`result_names` names them.

    Examples
    --------
    >>> import argparse
    >>> import pandas as pd
    >>> import rollmed
    >>> from rollmed._cli_statistics import results
    >>> args = argparse.Namespace(stat="mad", window=3, min_periods=1, center=False, scale=1.0, closed=None)
    >>> results(pd.Series([1.0, 4.0, 2.0]), args, None)[0].tolist()
    [0.0, 1.5, 1.0]
    """
    return _ONE_SHOT[args.stat](values, args, keys)


def one_shot(args: argparse.Namespace, index: int) -> Any:
    """The one-shot form ``compute(values, keys)`` of result column ``index`` (of :func:`result_names`).

    The chunked time windows compute held slices of the file with it, so that they give
    the one-shot results (values on their times, for a time window). Each of several
    quantiles is its own column: it computes its own quantile, not all of them again.
    """
    if args.stat == "median" and len(args.q) > 1:
        args = argparse.Namespace(**{**vars(args), "q": [args.q[index]]})
        index = 0
    return lambda values, keys: results(values, args, keys)[index]


def stream_factories(dtype: Any, args: argparse.Namespace) -> list[StreamFactory]:
    """The streams of a column of ``dtype`` (in the file), one factory per result column."""
    if args.stat == "median":  # one stream per quantile: each its own column
        return [
            MedianStreams.for_column(dtype, args.window, args.min_periods, q, args.interpolation)
            for q in args.q
        ]
    if args.stat == "mad":
        return [MADStreams(args.window, args.min_periods, scale=args.scale)]
    if args.stat == "rank":
        return [RankStreams(args.window, args.min_periods, pct=args.pct)]
    options = {"n_sigmas": args.n_sigmas, "center": args.center, "scale": args.scale}
    return [HampelStreams(args.window, min_periods=args.min_periods, **options)]
