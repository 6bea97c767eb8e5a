"""The command line's parser: its options, their help, and errors reported as one line."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

import rollmed
from rollmed import _checks
from rollmed._cli_statistics import STATISTICS, accessor_default
from rollmed._files import USAGE_ERROR, CLIError


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, reported by :func:`main` like any other.

    The options of the file mode are added by :meth:`add_file_option`, which keeps them:
    given without a FILE, they are an error.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_options: list[argparse.Action] = []

    def add_file_option(self, *flags: str, **kwargs: Any) -> None:
        """An option of the file mode."""
        self.file_options.append(self.add_argument(*flags, **kwargs))

    def option_of(self, name: str) -> str:
        """The long option that sets the parameter ``name`` (``--min-periods`` for ``min_periods``)."""
        for action in self.file_options:
            if action.dest == name:
                return long_option(action)
        return name

    def error(self, message: str) -> NoReturn:
        """Raise a usage error instead of printing the usage and exiting.

        Parameters
        ----------
        message : str
            argparse's description of the problem.

        Raises
        ------
        CLIError
            Always, with status 2.
        """
        raise CLIError(f"{message} (see 'python -m rollmed --help')", USAGE_ERROR)


def long_option(action: argparse.Action) -> str:
    """An option's long name: ``--column`` for ``-c/--column``, ``--center`` for ``--center/--no-center``.

    Examples
    --------
    >>> import argparse
    >>> from rollmed._cli_parser import long_option
    >>> long_option(argparse.ArgumentParser().add_argument("-c", "--column"))
    '--column'
    """
    return next(flag for flag in action.option_strings if flag.startswith("--"))


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m rollmed",
        description=(
            "Rolling medians, quantiles, MADs, ranks or the Hampel filter of the columns of a CSV\n"
            "or Parquet file, with rollmed's numba kernels.\n"
            "Without arguments, a demo on the sample data bundled with rollmed."
        ),
        epilog=(
            "examples:\n"
            "  python -m rollmed                      # the demo\n"
            "  python -m rollmed data.csv --column signal --window 21 --center > smooth.csv\n"
            "  python -m rollmed data.parquet -c a -c b -w 60 --min-periods 1 -o out.parquet\n"
            "  python -m rollmed data.csv -c a -w 60 --q 0.1 --q 0.9 > band.csv\n"
            "  python -m rollmed data.csv -c a -w 11 --stat hampel --n-sigmas 4 > despiked.csv\n"
            "  python -m rollmed data.csv -c signal -w 5min --on time --by sensor --chunksize 100000\n"
            "\n"
            "The output holds every input column and, for each --column C, the result of the\n"
            "last W rows (or of W rows centred on the row, with --center), ignoring missing\n"
            "values, as the pandas accessor s.rollmed gives it:\n"
            "  --stat median  C_rollmed, the median, as s.rolling(W).median() (with --q Q, the\n"
            "                 quantile; with several --q, a column C_rollmed_qQ for each)\n"
            "  --stat mad     C_mad, the median absolute deviation, times --scale\n"
            "  --stat rank    C_rank, the rank of the window's last value, as s.rolling(W).rank()\n"
            "  --stat hampel  C_hampel, the column with the values more than --n-sigmas scaled\n"
            "                 MADs from their window's median replaced by it (centred by default)\n"
            "With a time window (-w 5min), the rows of the last 5 minutes up to the row's time\n"
            "(centred: 2.5 minutes either side), as pandas' rolling('5min') gives over the\n"
            "times of --on; with --chunksize a row with a centred time window is written once\n"
            "a row of its group more than half the span later is read (or the file ends):\n"
            "memory holds the rows within the span around the waiting rows.\n"
            "An output file appears only once complete: a failure, Ctrl-C, SIGTERM or SIGHUP\n"
            "leaves none. Standard output cannot be taken back: with --chunksize, a failure\n"
            "after the first rows leaves them written, and the exit status is not 0."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a .csv (optionally .gz, .bz2, .xz or .zip compressed), .parquet or .pq file",
    )
    parser.add_file_option(
        "-c",
        "--column",
        action="append",
        dest="columns",
        metavar="C",
        help="a numeric column to take the rolling statistic of; repeat for several columns",
    )
    parser.add_file_option(
        "-w",
        "--window",
        metavar="W",
        help="the window: a number of rows (at least 1), or a span of time such as 30s, 5min or 1h "
        "(any fixed pandas offset) over the times of --on",
    )
    parser.add_file_option(
        "--on",
        metavar="T",
        help="the column of times a time window rolls over, read as pandas.to_datetime reads it "
        "(to the nanosecond), never decreasing within a --by group; by default a Parquet file's "
        "datetime index (the column it becomes)",
    )
    parser.add_file_option(
        "--stat",
        choices=STATISTICS,
        default="median",
        help="the statistic (default median); see below for the columns each gives",
    )
    parser.add_file_option(
        "--center",
        action=argparse.BooleanOptionalAction,
        help="centre the window on each row instead of ending it there (default: not centred, "
        "but for hampel)",
    )
    parser.add_file_option(
        "--closed",
        choices=_checks.CLOSED,
        help="which ends of the window it includes, as pandas' closed (default right)",
    )
    parser.add_file_option(
        "--step",
        type=int,
        metavar="S",
        help="write only every S-th row of the file (rows 1, 1+S, 1+2S...) with its result, as "
        "pandas' rolling(step=S) gives; the windows stay those of every row",
    )
    parser.add_file_option(
        "--min-periods",
        type=int,
        metavar="M",
        help="the least number of non-missing values a window needs for a result "
        "(from 0 to W for a window of rows, default W; default 1 for a time window; "
        f"default {accessor_default('hampel', 'min_periods')} for hampel); "
        "windows with fewer give an empty value",
    )
    parser.add_file_option(
        "--q",
        type=float,
        action="append",
        metavar="Q",
        help="median: the quantile, from 0 to 1 (default 0.5: the median); repeat for several",
    )
    parser.add_file_option(
        "--interpolation",
        choices=sorted(_checks.INTERPOLATIONS),
        help="median: how to read a quantile between two values, as pandas (default linear)",
    )
    parser.add_file_option(
        "--scale",
        type=float,
        metavar="S",
        help=f"mad, hampel: the MAD's factor (default {accessor_default('mad', 'scale')} for mad, "
        f"{accessor_default('hampel', 'scale')} for hampel: a normal standard deviation)",
    )
    parser.add_file_option(
        "--n-sigmas",
        type=float,
        metavar="N",
        help=f"hampel: the threshold, in scaled MADs (default {accessor_default('hampel', 'n_sigmas')})",
    )
    parser.add_file_option(
        "--pct",
        action="store_true",
        help="rank: divide each rank by the number of values in its window",
    )
    parser.add_file_option(
        "--by", metavar="B", help="roll within the groups of rows with equal values of column B"
    )
    parser.add_file_option(
        "--chunksize",
        type=int,
        metavar="N",
        help="read, compute and write N rows at a time, so that memory follows N and the rows a "
        "window holds, not the file; the result is the same, byte for byte (a first pass over "
        "the file settles each column's type)",
    )
    parser.add_file_option(
        "-o",
        "--output",
        metavar="OUT",
        help="write to OUT, CSV or Parquet by its extension, instead of CSV to stdout",
    )
    parser.add_argument("--version", action="version", version=f"rollmed {rollmed.__version__}")
    return parser
