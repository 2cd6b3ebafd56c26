"""wfm on real call-center data: the fpp3 ``bank_calls`` series (North-American bank, 2003).

The file is 5-minute counts on weekdays 07:00-21:05, with local wall-clock times marked ``Z``
(its README). Aggregated to 15 minutes and written as history.csv, it exercises the reader
(naive local times, missing days, holidays) and the forecaster on data nobody here generated.
Skips when ``../shared`` is absent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wfm import frames as F
from wfm.config import config_from_dict
from wfm.errors import WfmWarning
from wfm.forecast import evaluate, forecast
from wfm.io.history import read_history

BANK = {
    "site": {"name": "bank", "timezone": "America/New_York", "interval_minutes": 15,
             "holidays": {"country": "US"}},
    "channels": {"voice": {"kind": "voice", "aht_seconds": 240,
                           "target": {"service_level": 0.8, "answer_seconds": 20},
                           "hours": {"mon-fri": "07:00-21:15", "holiday": "closed"}}},
}


@pytest.fixture(scope="module")
def bank(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = pd.read_csv(next((real_data / "fpp3_bank_calls").glob("*.csv.gz")))
    local = pd.to_datetime(raw["DateTime"].str.rstrip("Z"))  # local wall-clock time
    counts = raw.groupby(local.dt.floor("15min"))["Calls"].sum()
    path = tmp_path_factory.mktemp("bank") / "history.csv"
    pd.DataFrame({F.INTERVAL_START: counts.index.strftime("%Y-%m-%dT%H:%M:%S"),
                  F.CHANNEL: "voice", F.OFFERED: counts.to_numpy()}).to_csv(path, index=False)
    config = config_from_dict(BANK)
    with pytest.warns(WfmWarning, match="missing inside opening hours"):
        history, report = read_history(path, config)
    return {"config": config, "history": history, "report": report, "raw": raw}


def test_bank_history_keeps_every_call(bank: dict[str, Any]) -> None:
    assert bank["history"][F.OFFERED].sum() == bank["raw"]["Calls"].sum()


def test_bank_gaps_are_the_two_missing_weekdays_not_the_holidays(bank: dict[str, Any]) -> None:
    # README: 2003-04-04 and 2003-04-07 are missing; Memorial Day and July 4 are holidays.
    gap_days = set(bank["report"].gaps[F.INTERVAL_START].dt.date)
    assert gap_days == {dt.date(2003, 4, 4), dt.date(2003, 4, 7)}


def test_bank_forecast_of_the_last_two_weeks_is_accurate(bank: dict[str, Any]) -> None:
    history = bank["history"]
    start = dt.date(2003, 8, 18)
    result = forecast(history, bank["config"], start=start, days=12)
    actual = history[history[F.INTERVAL_START] >= pd.Timestamp(start, tz="America/New_York")]
    merged = result.frame.merge(actual, on=[F.INTERVAL_START, F.CHANNEL])
    merged = merged[merged[F.VOLUME] > 0]  # open intervals only
    daily = merged.groupby(merged[F.INTERVAL_START].dt.date)[[F.VOLUME, F.OFFERED]].sum()
    daily_wape = np.abs(daily[F.VOLUME] - daily[F.OFFERED]).sum() / daily[F.OFFERED].sum()
    inside80 = ((merged[F.OFFERED] >= merged[F.lo(F.VOLUME, 80)])
                & (merged[F.OFFERED] <= merged[F.hi(F.VOLUME, 80)])).mean()
    # Measured: daily WAPE 0.043; the 80 % bounds hold 91 % of these 12 days' intervals (84 % over
    # six weekly backtest folds, below). Guards against gross regressions.
    assert daily_wape < 0.10
    assert 0.7 < inside80 < 0.97


def test_bank_backtest_ranks_structure_above_the_naive_baselines(bank: dict[str, Any]) -> None:
    result = evaluate(bank["history"], bank["config"], folds=6, horizon_days=7)
    board = result.leaderboard.set_index("model")

    # Measured: the best model (the combination) has WAPE 0.051 against 0.062 for seasonal naive
    # and 0.052 for the 4-week median; its 80 % bounds hold 0.85 of intervals out of sample.
    # (Before month edges became special days: 0.061, 0.076 and 0.064; the hard days at the
    # month's edges are no longer scored, and every model gained.)
    best = board.index[0]
    assert best not in ("seasonal_naive", "median_4w")
    assert board.loc[best, "wape"] < board.loc["median_4w", "wape"]
    assert board.loc[best, "wape"] < 0.85 * board.loc["seasonal_naive", "wape"]
    assert 0.75 < board.loc[best, "coverage80"] < 0.92
    assert 0.90 < board.loc[best, "coverage95"] <= 1.0
