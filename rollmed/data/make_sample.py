"""Regenerate ``sample.csv``, the noisy signal that the demo and the quickstart notebook use.

Run ``python rollmed/data/make_sample.py`` from the repository root; a fixed seed makes
the file the same on every run. It is not part of the installed package: only the CSV is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 2_000
SEED = 20_240_601
SPIKE_FRACTION = 0.02
GAP_START, GAP_LENGTH = 1_230, 20  # one long run of missing rows
SCATTERED_GAPS = 6  # and a few single missing rows


def make_sample(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    """The sample: a sine on a slow trend, Gaussian noise, large spikes and missing values.

    Parameters
    ----------
    rows : int, optional
        The number of rows, one second apart.
    seed : int, optional
        The seed of the random generator.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (ISO 8601 timestamps) and ``signal`` (float, NaN where missing).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    signal = 20.0 + 0.003 * t + 4.0 * np.sin(2 * np.pi * t / 600.0) + rng.normal(0.0, 0.6, rows)
    spikes = rng.choice(rows, size=round(SPIKE_FRACTION * rows), replace=False)
    signal[spikes] += rng.choice([-1.0, 1.0], spikes.size) * rng.uniform(10.0, 40.0, spikes.size)
    signal[GAP_START : GAP_START + GAP_LENGTH] = np.nan
    signal[rng.choice(rows, size=SCATTERED_GAPS, replace=False)] = np.nan
    time = pd.date_range("2024-06-01 08:00:00", periods=rows, freq="s")
    return pd.DataFrame({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "signal": signal.round(3)})


if __name__ == "__main__":
    path = Path(__file__).with_name("sample.csv")
    make_sample().to_csv(path, index=False, lineterminator="\n")
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")
