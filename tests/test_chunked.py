"""Files larger than memory: --chunksize gives the one-shot result, whatever the chunk size."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollmed import _chunked, _cli


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


@settings(max_examples=60)
@given(
    chunksize=st.integers(1, 400),
    window=st.integers(1, 60),
    center=st.booleans(),
    grouped=st.booleans(),
    q=st.sampled_from([0.5, 0.9]),
)
def test_chunks_give_the_one_shot_result(frame, chunksize, window, center, grouped, q):
    by = "k" if grouped else None
    chunks = (frame.iloc[i : i + chunksize] for i in range(0, len(frame), chunksize))
    result = pd.concat(
        _chunked.rolling_chunks(chunks, ["x"], window, 1, center, q, "linear", by), ignore_index=True
    )
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
