"""Daily volume models, the rolling-origin backtest, and the interval forecast on a sample."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from wfm import frames as F
from wfm.config import Config, load_config
from wfm.forecast import ForecastResult, forecast
from wfm.forecast.backtest import MIN_TRAIN_DAYS, backtest_daily, calibrated_bounds, select_model
from wfm.forecast.models import MODELS, Ets, SeasonalNaive
from wfm.io.history import read_history
from wfm.timegrid import Grid

WEEK = np.array([1200.0, 1100.0, 1050.0, 1000.0, 900.0, 300.0, 150.0])
"""A weekly pattern, Monday first."""
FIRST_MONDAY = dt.date(2025, 1, 6)


def daily(values: np.ndarray, start: dt.date = FIRST_MONDAY) -> pd.Series:
    """Daily totals indexed by consecutive local dates, as the orchestrator passes them."""
    return pd.Series(values, index=pd.Index([start + dt.timedelta(days=i)
                                             for i in range(len(values))]))


def weekly(weeks: int, level: float = 0.0) -> pd.Series:
    return daily(np.tile(WEEK, weeks) + level)


# --- models --------------------------------------------------------------------------------------


def test_seasonal_naive_reproduces_a_pure_weekly_series_exactly() -> None:
    pred = SeasonalNaive().fit(weekly(6)).predict(17, (80, 95))

    assert_allclose(pred["mean"], np.resize(WEEK, 17), rtol=0, atol=0)


def test_seasonal_naive_has_zero_width_bounds_on_a_pure_weekly_series() -> None:
    pred = SeasonalNaive().fit(weekly(6)).predict(14, (80, 95))

    for col in ("lo80", "hi80", "lo95", "hi95"):
        assert_allclose(pred[col], pred["mean"], rtol=0, atol=1e-9)


def test_seasonal_naive_continues_from_the_weekday_after_the_last_day() -> None:
    y = weekly(5).iloc[:-3]  # ends on a Thursday: the forecast starts with Friday

    pred = SeasonalNaive().fit(y).predict(3, ())

    assert_allclose(pred["mean"], WEEK[4:7], rtol=0, atol=0)


def test_seasonal_naive_repeats_the_last_week_not_an_average() -> None:
    values = np.tile(WEEK, 4)
    values[-7:] *= 1.1

    pred = SeasonalNaive().fit(daily(values)).predict(7, ())

    assert_allclose(pred["mean"], WEEK * 1.1, rtol=1e-12)


def test_seasonal_naive_interval_widens_each_week_ahead() -> None:
    rng = np.random.default_rng(0)
    y = daily(np.tile(WEEK, 10) + rng.normal(0, 20, 70))

    pred = SeasonalNaive().fit(y).predict(21, (95,))
    width = (pred["hi95"] - pred["lo95"]).to_numpy()

    # sd_h = sd_1 * sqrt(weeks ahead): the widths of weeks 1, 2, 3 grow as 1 : sqrt 2 : sqrt 3
    assert_allclose(width[7:14] / width[:7], np.sqrt(2), rtol=1e-9)
    assert_allclose(width[14:] / width[:7], np.sqrt(3), rtol=1e-9)


def test_seasonal_naive_needs_two_weeks() -> None:
    with pytest.raises(ValueError, match="14 days"):
        SeasonalNaive().fit(weekly(2).iloc[:13])


def test_ets_forecasts_a_constant_plus_weekly_series_within_one_percent() -> None:
    rng = np.random.default_rng(3)
    y = daily(np.tile(WEEK, 12) + 500 + rng.normal(0, 5, 84))

    pred = Ets().fit(y).predict(14, (80, 95))

    assert_allclose(pred["mean"], np.tile(WEEK, 2) + 500, rtol=0.01)


def test_ets_needs_four_weeks() -> None:
    with pytest.raises(ValueError, match="28 days"):
        Ets().fit(weekly(4).iloc[:27])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_prediction_bounds_are_ordered_and_non_negative(name: str) -> None:
    rng = np.random.default_rng(5)
    # a low-volume channel, so the lower bounds are clipped at zero on some days
    y = daily(np.tile(WEEK / 40, 8) + rng.normal(0, 6, 56).clip(-3))

    pred = MODELS[name]().fit(y).predict(21, (80, 95))

    assert (pred["lo95"] <= pred["lo80"] + 1e-9).all()
    assert (pred["lo80"] <= pred["mean"] + 1e-9).all()
    assert (pred["mean"] <= pred["hi80"] + 1e-9).all()
    assert (pred["hi80"] <= pred["hi95"] + 1e-9).all()
    assert (pred[["mean", "lo80", "hi80", "lo95", "hi95"]] >= 0).all().all()
    assert (pred["lo95"] == 0).any()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_alias_matches_its_registry_name(name: str) -> None:
    assert MODELS[name].alias == name


# --- backtest ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy() -> pd.Series:
    rng = np.random.default_rng(1)
    return daily(np.tile(WEEK, 10) + rng.normal(0, 30, 70))


def test_backtest_scores_every_model_on_every_fold(noisy: pd.Series) -> None:
    scores = backtest_daily(noisy, ("seasonal_naive", "ets"), folds=4, horizon=7)

    assert list(scores.columns) == ["model", "cutoff", "horizon_days", "wape", "bias",
                                    "rel_rmse"]
    assert scores.groupby("model").size().to_dict() == {"ets": 4, "seasonal_naive": 4}
    assert (scores["horizon_days"] == 7).all()


def test_backtest_cutoffs_are_a_horizon_apart_and_the_last_fold_ends_with_the_series(
    noisy: pd.Series,
) -> None:
    scores = backtest_daily(noisy, ("seasonal_naive",), folds=4, horizon=7)
    cutoffs = list(scores["cutoff"])

    assert cutoffs == [noisy.index[70 - k * 7] for k in (4, 3, 2, 1)]
    assert all((b - a).days == 7 for a, b in pairwise(cutoffs))
    assert cutoffs[-1] + dt.timedelta(days=7) == noisy.index[-1] + dt.timedelta(days=1)


def test_backtest_skips_folds_with_less_than_28_training_days(noisy: pd.Series) -> None:
    y = noisy.iloc[:49]  # folds of 7 days: cutoffs 42, 35, 28 train long enough; 21, 14 do not

    scores = backtest_daily(y, ("seasonal_naive",), folds=5, horizon=7)

    assert MIN_TRAIN_DAYS == 28
    assert [y.index.get_loc(c) for c in scores["cutoff"]] == [28, 35, 42]


def test_backtest_with_no_room_for_a_fold_is_empty(noisy: pd.Series) -> None:
    scores = backtest_daily(noisy.iloc[:30], ("seasonal_naive",), folds=3, horizon=7)

    assert scores.empty
    assert list(scores.columns) == ["model", "cutoff", "horizon_days", "wape", "bias",
                                    "rel_rmse"]


def test_backtest_wape_and_bias_against_a_hand_computed_fold() -> None:
    values = np.tile(WEEK, 5)
    values[-7:] = WEEK * 1.2  # the last week runs 20 % above the one before

    scores = backtest_daily(daily(values), ("seasonal_naive",), folds=1, horizon=7)

    # seasonal naive predicts WEEK for a week that was 1.2 x WEEK: |err| / actual = 0.2 / 1.2
    assert scores["wape"].iloc[0] == pytest.approx(0.2 / 1.2, rel=1e-12)
    assert scores["bias"].iloc[0] == pytest.approx(-0.2 / 1.2, rel=1e-12)


def test_select_model_picks_the_lower_mean_wape() -> None:
    scores = pd.DataFrame({"model": ["ets", "seasonal_naive"] * 3,
                           "wape": [0.30, 0.10, 0.05, 0.12, 0.04, 0.11]})

    assert select_model(scores, ("seasonal_naive", "ets")) == "seasonal_naive"  # 0.11 vs 0.13


def test_select_model_falls_back_to_the_first_candidate_without_scores() -> None:
    empty = pd.DataFrame(columns=["model", "cutoff", "horizon_days", "wape", "bias",
                                    "rel_rmse"])

    assert select_model(empty, ("ets", "seasonal_naive")) == "ets"


def test_backtest_prefers_seasonal_naive_on_a_pure_weekly_series() -> None:
    y = weekly(8)
    scores = backtest_daily(y, ("ets", "seasonal_naive"), folds=3, horizon=7)

    assert scores.loc[scores["model"] == "seasonal_naive", "wape"].max() == 0
    assert select_model(scores, ("ets", "seasonal_naive")) == "seasonal_naive"


# --- the interval forecast on a generated sample -------------------------------------------------

FORECAST_START = dt.date(2026, 3, 23)
DST_START = dt.date(2026, 3, 29)
GOOD_FRIDAY = dt.date(2026, 4, 3)


@pytest.fixture(scope="module")
def site(sample_site: Path) -> tuple[Config, Grid]:
    config = load_config(sample_site)
    return config, Grid.from_config(config)


@pytest.fixture(scope="module")
def result(site: tuple[Config, Grid]) -> ForecastResult:
    config, grid = site
    assert config.history is not None
    history, _report = read_history(config.history, config, grid)
    return forecast(history, config, grid)


@pytest.fixture(scope="module")
def frame(result: ForecastResult) -> pd.DataFrame:
    return result.frame


def _days(frame: pd.DataFrame, grid: Grid) -> np.ndarray:
    return grid.local_day(pd.DatetimeIndex(frame[F.INTERVAL_START]))


def test_forecast_frame_has_the_contract_columns(frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == F.FORECAST_COLUMNS


def test_forecast_covers_the_horizon_from_the_day_after_the_history(
    frame: pd.DataFrame, site: tuple[Config, Grid]
) -> None:
    config, grid = site
    days = sorted(set(_days(frame, grid)))

    assert days[0] == FORECAST_START
    assert len(days) == config.forecast.horizon_days
    assert set(frame[F.CHANNEL]) == set(config.channels)


def test_dst_start_day_has_92_intervals(frame: pd.DataFrame, site: tuple[Config, Grid]) -> None:
    _, grid = site
    per_day = frame[frame[F.CHANNEL] == "voice"].groupby(_days(frame[frame[F.CHANNEL] == "voice"],
                                                                grid)).size()

    assert per_day[DST_START] == 92
    assert set(per_day.drop(DST_START)) == {96}


def test_one_row_per_channel_and_interval(frame: pd.DataFrame) -> None:
    assert not frame.duplicated([F.INTERVAL_START, F.CHANNEL]).any()


def test_volume_and_bounds_are_non_negative_and_ordered(frame: pd.DataFrame) -> None:
    cols = [F.lo(F.VOLUME, 95), F.lo(F.VOLUME, 80), F.VOLUME, F.hi(F.VOLUME, 80),
            F.hi(F.VOLUME, 95)]
    values = frame[cols].to_numpy()

    assert (values >= 0).all()
    assert (np.diff(values, axis=1) >= -1e-9).all()


@pytest.mark.parametrize("channel", ["voice", "chat"])
def test_no_volume_outside_a_live_channels_hours(frame: pd.DataFrame, site: tuple[Config, Grid],
                                                 channel: str) -> None:
    config, grid = site
    sub = frame[frame[F.CHANNEL] == channel]
    is_open = grid.open_mask(config.channels[channel].hours,
                             pd.DatetimeIndex(sub[F.INTERVAL_START]))

    assert (~is_open).any()
    assert is_open.any()
    assert (sub.loc[~is_open, [F.VOLUME, F.hi(F.VOLUME, 95)]] == 0).all().all()
    assert sub.loc[is_open, F.VOLUME].sum() > 0


def test_voice_is_zero_on_a_closed_holiday(frame: pd.DataFrame, site: tuple[Config, Grid]) -> None:
    _, grid = site
    days = _days(frame, grid)
    good_friday = frame[(days == GOOD_FRIDAY)]
    day_before = frame[(days == GOOD_FRIDAY - dt.timedelta(days=1))]

    assert good_friday.loc[good_friday[F.CHANNEL] == "voice", F.VOLUME].sum() == 0
    assert day_before.loc[day_before[F.CHANNEL] == "voice", F.VOLUME].sum() > 0
    assert good_friday.loc[good_friday[F.CHANNEL] == "chat", F.VOLUME].sum() > 0  # 10:00-18:00


def test_aht_is_positive_wherever_volume_is(frame: pd.DataFrame) -> None:
    busy = frame[frame[F.VOLUME] > 0]

    assert len(busy) > 0
    assert busy[F.AHT_SECONDS].notna().all()
    assert (busy[F.AHT_SECONDS] > 0).all()


def test_model_column_names_the_selected_daily_model(result: ForecastResult) -> None:
    for channel, model in result.selected.items():
        rows = result.frame[result.frame[F.CHANNEL] == channel]
        assert model in MODELS
        assert set(rows[F.MODEL]) == {f"{model}+profile"}


def test_daily_totals_match_the_interval_volumes(result: ForecastResult,
                                                 site: tuple[Config, Grid]) -> None:
    _, grid = site
    frame = result.frame
    by_day = frame.groupby([frame[F.CHANNEL], _days(frame, grid)])[F.VOLUME].sum()
    daily_ = result.daily.set_index([F.CHANNEL, "date"])[F.VOLUME]
    open_days = daily_[by_day.reindex(daily_.index).to_numpy() > 0]

    assert_allclose(by_day.reindex(open_days.index).to_numpy(), open_days.to_numpy(), rtol=1e-9)


def test_calibrated_bounds_follow_the_backtest_errors() -> None:
    pred = pd.DataFrame({"mean": [100.0, 200.0], "lo80": [99.0, 199.0], "hi80": [101.0, 201.0]})
    scores = pd.DataFrame({"model": ["ets", "ets"], "rel_rmse": [0.1, 0.1]})

    out = calibrated_bounds(pred, scores, "ets", (80,))

    z = norm.ppf(0.9)
    assert_allclose(out["hi80"] - out["mean"], z * 0.1 * pred["mean"], rtol=1e-12)
    assert_allclose(out["mean"] - out["lo80"], z * 0.1 * pred["mean"], rtol=1e-12)


def test_calibrated_bounds_keep_the_model_bounds_without_a_scored_fold() -> None:
    pred = pd.DataFrame({"mean": [100.0], "lo80": [90.0], "hi80": [110.0]})
    scores = pd.DataFrame({"model": ["seasonal_naive"], "rel_rmse": [0.2]})

    out = calibrated_bounds(pred, scores, "ets", (80,))

    pd.testing.assert_frame_equal(out, pred)
