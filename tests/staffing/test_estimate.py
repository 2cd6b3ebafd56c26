"""Patience and the other staffing inputs estimated from history (wfm.staffing.estimate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wfm import frames as F
from wfm.staffing.estimate import PARAMETER_COLUMNS, estimate_parameters, estimate_patience


def _log(rng: np.random.Generator, calls: int, patience: float) -> tuple[np.ndarray, np.ndarray]:
    """Calls' waits and abandon flags: half are answered at once, the rest would be answered
    after an exponential 40 s unless their exponential patience runs out first (censoring)."""
    offered_wait = np.where(rng.random(calls) < 0.5, 0.0, rng.exponential(40.0, calls))
    gives_up = rng.exponential(patience, calls)
    abandoned = gives_up < offered_wait
    return np.minimum(offered_wait, gives_up), abandoned


def test_patience_is_recovered_from_censored_waits() -> None:
    wait, abandoned = _log(np.random.default_rng(5), 400_000, 120.0)
    estimate, low, high = estimate_patience(abandoned.sum(), wait.sum())
    assert estimate == pytest.approx(120.0, rel=0.03)
    assert low < 120.0 < high
    # the naive mean time to abandon is biased low: only the impatient abandon
    assert wait[abandoned].mean() < 0.5 * 120.0


def test_confidence_interval_covers_the_true_patience_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    covered = []
    for _ in range(400):
        wait, abandoned = _log(rng, 600, 90.0)
        _, low, high = estimate_patience(abandoned.sum(), wait.sum())
        covered.append(low <= 90.0 <= high)
    assert 0.92 <= np.mean(covered) <= 0.98


def test_no_abandons_no_waits_and_missing_waits() -> None:
    estimate, low, high = estimate_patience([0, 5, 5, 5], [600.0, 0.0, np.nan, -1.0])
    assert estimate[0] == np.inf
    assert high[0] == np.inf
    assert 0 < low[0] < 600.0
    assert np.isnan(estimate[1:]).all()
    assert np.isnan(low[1:]).all()
    assert np.isnan(high[1:]).all()


def test_parameters_per_channel_from_a_history_frame() -> None:
    rng = np.random.default_rng(2)
    index = pd.date_range("2026-12-07 08:00", periods=96, freq="15min", tz="Europe/Berlin")
    frames = []
    for channel, patience in (("voice", 150.0), ("chat", 400.0)):
        offered = rng.poisson(300, index.size).astype(float)
        rows = []
        for n in offered.astype(int):
            wait, abandoned = _log(rng, n, patience)
            rows.append((abandoned.sum(), wait.sum()))
        abandons, waits = np.array(rows, dtype=float).T
        frames.append(pd.DataFrame({
            F.INTERVAL_START: index, F.CHANNEL: channel, F.OFFERED: offered,
            F.HANDLED: offered - abandons, F.ABANDONED: abandons, F.AHT_SECONDS: 240.0,
            F.WAIT_SECONDS: waits}))
    history = pd.concat(frames, ignore_index=True)
    history.loc[3, F.OFFERED] = np.nan  # a gap
    table = estimate_parameters(history).set_index(F.CHANNEL)
    assert list(table.reset_index().columns) == list(PARAMETER_COLUMNS)
    assert table.loc["voice", "intervals"] == 95
    assert table.loc["voice", "patience_seconds"] == pytest.approx(150.0, rel=0.08)
    assert table.loc["chat", "patience_seconds"] == pytest.approx(400.0, rel=0.12)
    assert table.loc["voice", F.AHT_SECONDS] == pytest.approx(240.0)
    rate = table.loc["chat", F.ABANDONED] / table.loc["chat", F.OFFERED]
    assert table.loc["chat", "abandon_rate"] == pytest.approx(rate)


def test_history_without_waits_gives_no_patience() -> None:
    index = pd.date_range("2026-12-07 08:00", periods=4, freq="15min", tz="UTC")
    history = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: "voice",
                            F.OFFERED: 10.0, F.HANDLED: 9.0, F.ABANDONED: 1.0,
                            F.AHT_SECONDS: np.nan, F.WAIT_SECONDS: np.nan})
    row = estimate_parameters(history).iloc[0]
    assert np.isnan(row["patience_seconds"])
    assert np.isnan(row[F.AHT_SECONDS])
    assert row["abandon_rate"] == pytest.approx(0.1)
