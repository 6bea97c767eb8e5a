"""``--chunksize`` gives the one-shot output, for any file and any chunk size (issue 9, "Files").

The property: for random CSV and Parquet files (columns whose type looks different in
different chunks, keys that read as numbers in some chunks and text in others, integers
above 2**53, NaN, bools with gaps, a stored index, header-only files) and random chunk
sizes, ``main([... "--chunksize", N])`` writes what ``main([...])`` writes: CSV byte for
byte, Parquet frame for frame (columns, order, values, dtypes); or both fail with the
same one-line error.
"""

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollmed import _cli

# CSV spellings per column, drawn row by row: whether a column reads as numbers, bools or
# text depends on the rows a chunk happens to hold.
KEYS = ["0", "1", "2", "1", "x", "", "-0.0"]
VALUES = ["1.5", "-2", "", "nan", "inf", "3", "0", "9007199254740993", "-7e3"]
BIG = ["4611686018427387905", "4611686018427387907", "4611686018427387909", "3", "-5", ""]
BOOLS = ["True", "False", "", "true"]
TEXT = ["", "", "", "a", "b,c", '"q"', "1"]
# Beyond int64 pandas types a column by rules that need it whole: the chunked run may refuse.
HUGE = ["18446744073709551615", "9223372036854775808", "5", "-5", "", "99999999999999999999999", "1.0"]
REFUSED = "beyond the int64 range"


def run(argv):
    """``main(argv)``: its status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = _cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@st.composite
def csv_texts(draw):
    n = draw(st.integers(0, 30))
    columns = {"k": KEYS, "x": VALUES, "i": BIG, "b": BOOLS, "s": TEXT}
    if draw(st.booleans()):
        columns["u"] = HUGE
    lines = [",".join(columns)]
    # A column's spellings change along the file: the first rows may differ from the rest.
    turns = {name: draw(st.integers(0, n)) for name in columns}
    pools = {name: (draw(st.sets(st.sampled_from(pool), min_size=1)), pool) for name, pool in columns.items()}
    for row in range(n):
        cells = []
        for name in columns:
            early, late = pools[name]
            cells.append(draw(st.sampled_from(sorted(early) if row < turns[name] else late)))
        lines.append(",".join(f'"{cell}"' if "," in cell else cell for cell in cells))
    if draw(st.booleans()):  # text in the numbers: both runs must fail alike
        lines[1:] = [line.replace("1.5", "abc") for line in lines[1:]]
    return "\n".join(lines) + "\n"


@st.composite
def options(draw, n):
    argv = ["-w", str(draw(st.integers(1, n + 3)))]
    if draw(st.booleans()):
        argv.append("--center")
    window = int(argv[1])
    if draw(st.booleans()):
        argv += ["--min-periods", str(draw(st.integers(0, window)))]
    if draw(st.booleans()):
        argv += ["--by", "k"]
    q, interpolation = draw(
        st.sampled_from([(0.5, "linear"), (0.25, "lower"), (0.9, "nearest"), (0.5, "floor"), (0.3, "linear")])
    )
    return [*argv, "--q", str(q), "--interpolation", interpolation]


def assert_same_runs(source, argv, suffix, chunksize, folder):
    """The one-shot run and the chunked run write the same, or fail alike."""
    whole, chunked = folder / f"whole{suffix}", folder / f"chunked{suffix}"
    to_file = suffix != ".stdout"
    one = run([str(source), *argv, *(["-o", str(whole)] if to_file else [])])
    two = run([str(source), *argv, "--chunksize", str(chunksize), *(["-o", str(chunked)] if to_file else [])])
    assert "Traceback" not in one[2] + two[2]
    if REFUSED in two[2]:  # refused, before anything is written
        assert two[0] == 1 and two[1] == "" and not chunked.exists()
        return
    assert (two[0], two[2]) == (one[0], one[2])
    if one[0] != 0:
        assert one[2].startswith("rollmed: error: ") and one[2].count("\n") == 1
        assert not chunked.exists() and not whole.exists()
        return
    if suffix == ".stdout":
        assert two[1] == one[1]
    elif suffix == ".csv":
        assert chunked.read_bytes() == whole.read_bytes()
    else:
        expected = pd.read_parquet(whole)
        pd.testing.assert_frame_equal(pd.read_parquet(chunked), expected, check_exact=True)
    for path in (whole, chunked):
        path.unlink(missing_ok=True)


@settings(max_examples=150)
@given(csv_texts(), st.data(), st.sampled_from([".csv", ".parquet", ".stdout"]))
def test_csv_chunks_write_the_one_shot_output(text, data, suffix):
    n = text.count("\n") - 1
    argv = ["-c", "x", "-c", "i", *data.draw(options(n))]
    chunksize = data.draw(st.integers(1, n + 2))
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        source = folder / "in.csv"
        source.write_text(text)
        assert_same_runs(source, argv, suffix, chunksize, folder)
        assert source.read_text() == text  # the input is never touched


@st.composite
def parquet_tables(draw):
    """A Parquet file's table: ints and bools missing in some row groups only, a dictionary column,
    and perhaps pandas' metadata with a stored index."""
    n = draw(st.integers(0, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gaps = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.5]))
    late = np.arange(n) >= draw(st.integers(0, n))  # missing values in the later rows only
    table = pa.table(
        {
            "k": pa.array(rng.choice(["u", "v", "w"], n), mask=gaps & ~late),
            "x": pa.array(rng.integers(-9, 9, n).astype(float), mask=gaps),
            "i": pa.array(rng.integers(-(2**62), 2**62, n), mask=gaps & late),
            "b": pa.array(rng.random(n) < 0.5, mask=gaps & late),
            "d": pa.array(rng.choice(["p", "q", "r"], n)).dictionary_encode(),
        }
    )
    index = draw(st.sampled_from(["none", "range", "offset", "stored"]))
    if index != "none":
        frame = table.to_pandas()
        if index == "offset":
            frame.index = pd.RangeIndex(7, 7 + 3 * n, 3, name=None)
        elif index == "stored":
            frame.index = pd.date_range("2024-01-01", periods=n, freq="s", name="time")
        table = pa.Table.from_pandas(frame, preserve_index=index != "range")
    return table, draw(st.integers(1, max(n, 1)))


@settings(max_examples=100)
@given(parquet_tables(), st.data(), st.sampled_from([".csv", ".parquet"]))
def test_parquet_chunks_write_the_one_shot_output(table_and_groups, data, suffix):
    table, row_group_size = table_and_groups
    argv = ["-c", "x", "-c", "i", *data.draw(options(table.num_rows))]
    chunksize = data.draw(st.integers(1, table.num_rows + 2))
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        source = folder / "in.parquet"
        pq.write_table(table, source, row_group_size=row_group_size)
        assert_same_runs(source, argv, suffix, chunksize, folder)


@st.composite
def stat_options(draw, n, stat):
    """The options of ``--stat stat``: its own (several --q for the median), a window centred,
    trailing or by the statistic's default, a --min-periods, groups or not."""
    window = draw(st.integers(1, n + 3))
    argv = ["-w", str(window), "--stat", stat, *draw(st.sampled_from([[], ["--center"], ["--no-center"]]))]
    if draw(st.booleans()):
        argv += ["--min-periods", str(draw(st.integers(0, window)))]
    if draw(st.booleans()):
        argv += ["--by", "k"]
    if stat == "median":  # several quantiles, perhaps one twice
        for q in draw(st.lists(st.sampled_from(["0.1", "0.5", "0.9", "1", "0.25"]), min_size=2, max_size=4)):
            argv += ["--q", q]
        argv += ["--interpolation", draw(st.sampled_from(["linear", "lower", "nearest", "floor"]))]
    if stat in ("mad", "hampel") and draw(st.booleans()):
        argv += ["--scale", draw(st.sampled_from(["0", "1", "1.4826", "2.5"]))]
    if stat == "hampel" and draw(st.booleans()):
        argv += ["--n-sigmas", draw(st.sampled_from(["0", "1", "3"]))]
    if stat == "rank" and draw(st.booleans()):
        argv.append("--pct")
    return argv


STATS = ["median", "mad", "rank", "hampel"]


@pytest.mark.parametrize("stat", STATS)
@settings(max_examples=25)
@given(csv_texts(), st.data(), st.sampled_from([".csv", ".parquet", ".stdout"]))
def test_every_stat_of_csv_chunks_writes_the_one_shot_output(stat, text, data, suffix):
    """Issue 11: each --stat (several --q for the median), chunked and in one shot alike."""
    n = text.count("\n") - 1
    argv = ["-c", "x", "-c", "i", *data.draw(stat_options(n, stat))]
    chunksize = data.draw(st.integers(1, n + 2))
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        source = folder / "in.csv"
        source.write_text(text)
        assert_same_runs(source, argv, suffix, chunksize, folder)


@pytest.mark.parametrize("stat", STATS)
@settings(max_examples=25)
@given(parquet_tables(), st.data(), st.sampled_from([".csv", ".parquet"]))
def test_every_stat_of_parquet_chunks_writes_the_one_shot_output(stat, table_and_groups, data, suffix):
    table, row_group_size = table_and_groups
    argv = ["-c", "x", "-c", "i", "-c", "b", *data.draw(stat_options(table.num_rows, stat))]
    chunksize = data.draw(st.integers(1, table.num_rows + 2))
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        source = folder / "in.parquet"
        pq.write_table(table, source, row_group_size=row_group_size)
        assert_same_runs(source, argv, suffix, chunksize, folder)


def test_the_property_test_sees_a_difference(monkeypatch, tmp_path):
    """A chunked path that typed each chunk on its own would fail the property (issue 9, item 2)."""
    source = tmp_path / "in.csv"
    source.write_text("k,x\n" + "".join(f"1,{row}\n" for row in range(7)) + "x,7\n1,8\n")
    argv = ["-c", "x", "-w", "2", "--min-periods", "1", "--by", "k"]
    assert_same_runs(source, argv, ".csv", 6, tmp_path)
    monkeypatch.setattr(pd, "read_csv", _typed_by_chunk(pd.read_csv))
    with pytest.raises(AssertionError):
        assert_same_runs(source, argv, ".csv", 6, tmp_path)


def _typed_by_chunk(read_csv):
    def read(*args, **kwargs):
        kwargs.pop("dtype", None)
        return read_csv(*args, **kwargs)

    return read
