"""Files larger than memory: --chunksize gives the one-shot result, whatever the chunk size."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollmed import _chunked, _cli, _filetypes
from rollmed._factories import MedianStreams
from tests.strategies import windows


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(8)
    n = 3000
    data = pd.DataFrame({"t": np.arange(n), "x": rng.standard_normal(n), "k": rng.integers(0, 5, n)})
    data.loc[::11, "x"] = np.nan
    data.loc[1000:1040, "x"] = np.nan
    data["k"] = data["k"].astype(float)
    data.loc[::17, "k"] = np.nan  # rows of no group get no result
    return data


@settings(max_examples=30)  # each example feeds up to 3,000 chunks: a few seconds
@given(
    chunksize=st.integers(1, 400),
    window=windows(1, 60),
    center=st.booleans(),
    grouped=st.booleans(),
    q=st.sampled_from([0.5, 0.9]),
)
def test_chunks_give_the_one_shot_result(frame, chunksize, window, center, grouped, q):
    by = "k" if grouped else None
    streams = MedianStreams(window, min_periods=1, q=q)
    rolling = _chunked.ChunkedRolling(
        [_chunked.RollingColumn("x", "x_rollmed", streams)], by, streams.centre_lag if center else 0
    )
    pieces = [rolling.feed(frame.iloc[i : i + chunksize]) for i in range(0, len(frame), chunksize)]
    result = pd.concat([*pieces, rolling.finish()], ignore_index=True)
    expected = frame["x"].rollmed.window(
        window, min_periods=1, center=center, q=q, by=frame[by] if by else None
    )
    np.testing.assert_array_equal(result["x_rollmed"].to_numpy(), expected.to_numpy())
    pd.testing.assert_frame_equal(result[frame.columns], frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize(
    "extra",
    [[], ["--center"], ["--by", "k", "--q", "0.25"], ["--by", "k", "--center"], ["--min-periods", "2"]],
)
def test_command_line_chunks_equal_the_whole_file(tmp_path, frame, suffix, extra):
    source = tmp_path / f"in{suffix}"
    frame.to_csv(source, index=False) if suffix == ".csv" else frame.to_parquet(source, index=False)
    whole, chunked = tmp_path / f"whole{suffix}", tmp_path / f"chunked{suffix}"
    common = [str(source), "-c", "x", "-w", "9", *extra]
    assert _cli.main([*common, "-o", str(whole)]) == 0
    assert _cli.main([*common, "--chunksize", "128", "-o", str(chunked)]) == 0
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    pd.testing.assert_frame_equal(read(chunked), read(whole))


@pytest.mark.parametrize(
    "args, words",
    [
        (["-c", "nope"], "no column 'nope'"),
        (["-c", "x", "--by", "nope"], "no column 'nope'"),
        (["-c", "x", "--chunksize", "0"], "--chunksize must be at least 1"),
        (["-c", "x", "--q", "1.5"], "--q must be between 0 and 1"),
    ],
)
def test_chunked_errors_leave_no_output(tmp_path, frame, capsys, args, words):
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    status = _cli.main([str(source), "-w", "5", "--chunksize", "100", *args, "-o", str(out)])
    err = capsys.readouterr().err
    assert status != 0 and words in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def _same_as_one_shot(tmp_path, source, args, chunksize, suffix=".csv"):
    """Run with and without --chunksize; both outputs (read back), which must be equal."""
    whole, chunked = tmp_path / f"whole{suffix}", tmp_path / f"chunked{suffix}"
    assert _cli.main([str(source), *args, "-o", str(whole)]) == 0
    assert _cli.main([str(source), *args, "--chunksize", str(chunksize), "-o", str(chunked)]) == 0
    if suffix == ".csv":
        assert chunked.read_bytes() == whole.read_bytes()
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    pd.testing.assert_frame_equal(read(chunked), read(whole), check_exact=True)
    return read(chunked)


def test_a_stored_index_is_kept_even_over_the_input(tmp_path):
    """Issue 9, item 1: the chunked path keeps a Parquet file's index as a column, as one shot does."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=30, freq="min"),
            "k": rng.integers(0, 3, 30),
            "x": rng.standard_normal(30),
            "y": rng.standard_normal(30),
        }
    ).set_index("time")
    source = tmp_path / "v.parquet"
    frame.to_parquet(source)
    expected = _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", "3"], 7, ".parquet")
    assert list(expected.columns) == ["time", "k", "x", "y", "x_rollmed"]
    assert _cli.main([str(source), "-c", "x", "-w", "3", "--chunksize", "7", "-o", str(source)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(source), expected)


def test_a_key_read_as_a_number_and_as_text_is_one_group(tmp_path):
    """Issue 9, item 2: key 1 for seven rows, then x and 1: one group, whatever the chunks."""
    source = tmp_path / "k.csv"
    source.write_text("k,x\n" + "".join(f"1,{row}\n" for row in range(7)) + "x,7\n1,8\n")
    result = _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", "2", "--min-periods", "1", "--by", "k"], 6)
    assert result["x_rollmed"].tolist() == [0.0, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 7.0, 7.0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_exact_integers_keep_their_digits(tmp_path, suffix):
    """Issue 9, item 2: --interpolation lower on integers above 2**53 gives them exactly, as Int64."""
    source = tmp_path / "big.csv"
    source.write_text("x\n" + "".join(f"{2**62 + odd}\n" for odd in (1, 3, 5, 7)) + "3\n")
    result = _same_as_one_shot(
        tmp_path, source, ["-c", "x", "-w", "2", "--interpolation", "lower"], 2, suffix
    )
    expected = [2**62 + 1, 2**62 + 3, 2**62 + 5, 3]
    if suffix == ".parquet":
        assert result["x_rollmed"].dtype == "Int64"
        assert result["x_rollmed"].tolist()[1:] == expected
    else:  # not 4.611686018427388e+18, nor 3.0
        lines = (tmp_path / "chunked.csv").read_text().splitlines()
        assert [line.split(",")[1] for line in lines[2:]] == [str(value) for value in expected]


def test_a_column_empty_at_first_and_text_later_goes_to_parquet(tmp_path):
    """Issue 9, item 2: the column's type comes from the whole file, not from the first chunk."""
    source = tmp_path / "sd.csv"
    source.write_text("x,s\n" + "1,\n" * 5 + "2,a\n3,b\n")
    result = _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", "2"], 2, ".parquet")
    assert result["s"].tolist()[-2:] == ["a", "b"]


@pytest.mark.parametrize("chunksize", [None, 1, 3])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ""])
def test_a_header_only_csv_writes_the_empty_result(tmp_path, capsys, chunksize, suffix):
    """Issue 9, item 6: the header and the new column, exit 0."""
    source = tmp_path / "empty.csv"
    source.write_text("t,x,k\n")
    args = [str(source), "-c", "x", "-w", "3", "--by", "k"]
    args += ["--chunksize", str(chunksize)] if chunksize else []
    output = tmp_path / f"out{suffix}"
    assert _cli.main([*args, *(["-o", str(output)] if suffix else [])]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    if suffix == ".parquet":
        assert list(pd.read_parquet(output).columns) == ["t", "x", "k", "x_rollmed"]
        assert len(pd.read_parquet(output)) == 0
    else:
        assert (output.read_text() if suffix else captured.out) == "t,x,k,x_rollmed\n"


def test_a_failure_mid_file_to_stdout_exits_non_zero(tmp_path, capsys, monkeypatch):
    """Issue 9, item 5: the rows already on stdout cannot be taken back; the status says it failed."""
    source = tmp_path / "in.csv"
    source.write_text("x\n" + "".join(f"{row}\n" for row in range(10)))
    chunks = _filetypes.CsvChunks.__iter__

    def fail_after_one(self):
        yield next(chunks(self))
        raise pd.errors.ParserError("the disk went away")

    monkeypatch.setattr(_filetypes.CsvChunks, "__iter__", fail_after_one)
    assert _cli.main([str(source), "-c", "x", "-w", "1", "--chunksize", "4"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "x,x_rollmed\n0,0.0\n1,1.0\n2,2.0\n3,3.0\n"
    assert captured.err.count("\n") == 1 and "the disk went away" in captured.err
    assert "the output is incomplete" in captured.err
    output = tmp_path / "out.csv"
    assert _cli.main([str(source), "-c", "x", "-w", "1", "--chunksize", "4", "-o", str(output)]) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv"]  # with --output, nothing


def test_integers_beyond_int64_are_typed_whole_or_refused(tmp_path, capsys):
    """pandas types such a column from all its values at once: chunks agree, or a one-line error."""
    source = tmp_path / "u.csv"
    source.write_text("x,u\n" + "1,5\n2,18446744073709551615\n3,6\n4,7\n")
    _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", "2"], 2)  # u: uint64 and int64 chunks
    source.write_text("x,u\n" + "1,-5\n2,18446744073709551615\n3,6\n4,-7\n")
    _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", "2"], 2)  # u: text, as pandas has it
    source.write_text("x,u\n" + "1,5\n2,18446744073709551615\n3,\n4,7\n")
    assert _cli.main([str(source), "-c", "x", "-w", "2", "--chunksize", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rollmed: error: cannot read") and "beyond the int64 range" in err


def test_a_window_far_longer_than_the_file(tmp_path):
    """Issue 9, item 3: was a MemoryError traceback; memory follows the rows held, not the window."""
    source = tmp_path / "small.csv"
    source.write_text("x\n" + "".join(f"{row % 7}\n" for row in range(20)))
    for window in ("30000000", "100000000000"):
        for extra in ([], ["--center"]):
            _same_as_one_shot(tmp_path, source, ["-c", "x", "-w", window, "--min-periods", "1", *extra], 5)


@pytest.mark.parametrize(
    ("stat", "extra"),
    [
        ("--q=0.2 --q=0.7", ["--by", "k"]),
        ("--q=0.2 --q=0.7", ["--center"]),
        ("--stat=mad --scale=1.4826", ["--by", "k", "--center"]),
        ("--stat=rank --pct", ["--by", "k"]),
        ("--stat=hampel", ["--by", "k"]),  # centred by default
        ("--stat=hampel", ["--no-center"]),
    ],
)
def test_groups_with_streams_of_their_own_give_the_one_shot_output(tmp_path, frame, stat, extra):
    """Issue 11: windows of more than 512 rows give a group a stream of its own, for every --stat."""
    source = tmp_path / "in.csv"
    frame.assign(x=frame["x"].where(frame.index % 50 != 7, 25.0)).to_csv(source, index=False)  # spikes
    _same_as_one_shot(
        tmp_path, source, ["-c", "x", "-w", "701", "--min-periods", "3", *stat.split(), *extra], 256
    )
