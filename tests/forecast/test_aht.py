"""AHT forecast: planted profiles, trends and outliers in synthetic histories are recovered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from wfm import frames as F
from wfm.errors import DataError
from wfm.forecast.aht import LEVEL_BOUNDS, forecast_aht
from wfm.timegrid import Grid

GRID = Grid(timezone="Europe/Berlin", interval_minutes=15)
FIRST_MONDAY = dt.date(2025, 1, 6)
AhtFn = Callable[[pd.DatetimeIndex, np.ndarray], np.ndarray]
"""Planted AHT of each interval, given the interval starts and their day numbers."""


def history(aht: AhtFn, weeks: int, *, start: dt.date = FIRST_MONDAY, handled: float = 100.0,
            hours: tuple[int, int] = (8, 20), cv: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """One channel's history: ``handled`` contacts per open interval with mean AHT ``aht``.

    Single handle times vary with coefficient of variation ``cv`` (about 1 in real queues), so
    an interval's mean AHT varies by ``cv / sqrt(handled)``.
    """
    index = GRID.intervals(start, 7 * weeks)
    hour = index.tz_convert(GRID.timezone).hour
    index = index[(hour >= hours[0]) & (hour < hours[1])]
    day = np.array([(d - start).days for d in GRID.local_day(index)])
    rng = np.random.default_rng(seed)
    noise = cv / np.sqrt(handled) * rng.standard_normal(len(index))
    values = aht(index, day) * (1 + noise)
    n = np.full(len(index), handled)
    return pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: "voice", F.OFFERED: n,
                         F.HANDLED: n, F.ABANDONED: 0.0, F.AHT_SECONDS: values})


def run(hist: pd.DataFrame, index: pd.DatetimeIndex, *, history_weeks: int = 8,
        fallback: float | None = None) -> np.ndarray:
    days = set(GRID.local_day(pd.DatetimeIndex(hist[F.INTERVAL_START])))
    return forecast_aht(hist, days, index, GRID, history_weeks=history_weeks,
                        fallback_seconds=fallback, channel="voice")


def next_week(hist: pd.DataFrame) -> pd.DatetimeIndex:
    last = GRID.local_day(pd.DatetimeIndex(hist[F.INTERVAL_START]))[-1]
    return GRID.intervals(last + dt.timedelta(days=1), 7)


def planted_profile(index: pd.DatetimeIndex, day: np.ndarray) -> np.ndarray:
    """300 s before 14:00, 360 s after; Mondays 10 % longer."""
    local = index.tz_convert(GRID.timezone)
    base = np.where(local.hour < 14, 300.0, 360.0)
    return base * np.where(local.day_of_week == 0, 1.1, 1.0)


def test_recovers_weekday_and_time_of_day_profile() -> None:
    hist = history(planted_profile, 8, handled=2_500.0, cv=1.0)
    index = next_week(hist)
    index = index[(index.hour >= 8) & (index.hour < 20)]
    assert_allclose(run(hist, index), planted_profile(index, np.zeros(len(index))), rtol=0.03)


def test_extrapolates_a_linear_trend() -> None:
    def trended(index: pd.DatetimeIndex, day: np.ndarray) -> np.ndarray:
        return 300.0 + 0.5 * day

    hist = history(trended, 12, handled=400.0, cv=1.0)
    weeks = run(hist, GRID.intervals(dt.date(2025, 3, 31), 28)).reshape(4, -1).mean(axis=1)
    true = 300.0 + 0.5 * (7 * np.arange(12, 16) + 3)  # mid-week of the next four weeks
    plain = float(np.average(hist[F.AHT_SECONDS], weights=hist[F.HANDLED]))
    last_week = 300.0 + 0.5 * (7 * 11 + 3)
    assert abs(weeks[0] - true[0]) < abs(plain - true[0])
    assert abs(weeks[3] - true[3]) < abs(last_week - true[3])  # the trend goes on, damped


@pytest.mark.parametrize("crazy_seconds", [3_000.0, 30_000.0])
def test_thin_cell_with_an_outlier_is_shrunk(crazy_seconds: float) -> None:
    hist = history(lambda index, day: np.full(len(index), 300.0), 8)
    local = pd.DatetimeIndex(hist[F.INTERVAL_START]).tz_convert(GRID.timezone)
    # Wednesday 19:45 saw a single contact in eight weeks, and it took far too long
    wed_late = (local.day_of_week == 2) & (local.hour == 19) & (local.minute == 45)
    hist.loc[wed_late, F.HANDLED] = 0.0
    hist.loc[np.flatnonzero(wed_late)[-1], [F.HANDLED, F.AHT_SECONDS]] = [1.0, crazy_seconds]
    index = next_week(hist)
    got = run(hist, index)
    assert_allclose(got, 300.0, rtol=0.06)


def test_across_dst_changes() -> None:
    hist = history(planted_profile, 6, start=dt.date(2024, 10, 7), hours=(0, 24),
                   handled=2_500.0, cv=1.0)
    index = GRID.intervals(dt.date(2025, 3, 24), 14)  # DST starts on 30 March
    got = run(hist, index)
    assert len(got) == 14 * 96 - 4
    assert np.isfinite(got).all()
    assert_allclose(got, planted_profile(index, np.zeros(len(index))), rtol=0.05)


def test_steep_falling_trend_stops_at_half_the_recent_level() -> None:
    def falling(index: pd.DatetimeIndex, day: np.ndarray) -> np.ndarray:
        return 300.0 - 3.0 * day  # unbounded, the damped trend would reach about -50 s

    hist = history(falling, 12)
    got = run(hist, GRID.intervals(dt.date(2025, 3, 31), 56))
    last_week = 300.0 - 3.0 * (7 * 12 - 4)
    assert got.min() >= 0.9 * LEVEL_BOUNDS[0] * last_week


def test_few_usable_days_give_the_mean_without_trend() -> None:
    def trended(index: pd.DatetimeIndex, day: np.ndarray) -> np.ndarray:
        return 300.0 + 10.0 * day

    hist = history(trended, 2)
    hist = hist[GRID.local_day(pd.DatetimeIndex(hist[F.INTERVAL_START])) < dt.date(2025, 1, 16)]
    got = run(hist, GRID.intervals(dt.date(2025, 1, 20), 7))
    assert float(np.mean(got)) == pytest.approx(300.0 + 10.0 * 4.5, rel=0.02)


@pytest.mark.parametrize("column", [F.AHT_SECONDS, F.HANDLED])
def test_no_aht_uses_the_fallback(column: str) -> None:
    hist = history(planted_profile, 2).assign(**{column: np.nan})
    index = next_week(hist)
    assert_allclose(run(hist, index, fallback=240.0), 240.0)


def test_no_aht_and_no_fallback_names_channel_and_config_key() -> None:
    hist = history(planted_profile, 2).assign(**{F.AHT_SECONDS: np.nan})
    with pytest.raises(DataError, match=r"channel 'voice'.*channels\.voice\.aht_seconds"):
        run(hist, next_week(hist))
