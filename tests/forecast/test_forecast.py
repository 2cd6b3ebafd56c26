"""The forecast orchestrator: special days, outliers, bad histories, intraday re-forecast, the
backtest report, and the forecast.csv contract on the bundled sample.

Synthetic histories are hourly (Europe/Berlin, open 08:00-20:00 every day) with a planted weekday
× hour intensity, a small day-level multiplier and Poisson counts, so every expected value is
known. Forecasts are module-scoped: each one backtests every model.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from wfm import frames as F
from wfm.config import Config, config_from_dict, load_config
from wfm.errors import DataError
from wfm.forecast import ForecastResult, calendar, evaluate, forecast
from wfm.forecast.backtest import pool_members, pooled, relative_wape
from wfm.forecast.models import MODELS
from wfm.io.history import read_history
from wfm.timegrid import Grid

TZ = "Europe/Berlin"
FIRST = dt.date(2025, 3, 3)
"""A Monday; the history runs twelve weeks, over the start of DST (2025-03-30)."""
LAST = dt.date(2025, 5, 25)
"""A Sunday. The forecast starts on Monday 2025-05-26."""
START = LAST + dt.timedelta(days=1)
HOURS = np.arange(24)
TIME_OF_DAY = np.where((HOURS >= 8) & (HOURS < 20),
                       1 + 0.8 * np.sin((HOURS + 0.5 - 8) / 12 * np.pi), 0.0)
WEEKDAY = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.6, 0.4])
"""Monday first."""
SCALE = 60.0
"""Contacts per open hour on an average weekday: a Monday has about 1,400, a holiday 300-400."""

HOLIDAY_FACTOR = 0.3
PAST_HOLIDAYS = (dt.date(2025, 4, 18), dt.date(2025, 4, 21), dt.date(2025, 5, 1))
"""Good Friday, Easter Monday, Labour Day (a Thursday)."""
ASCENSION = dt.date(2025, 5, 29)
"""A Thursday holiday in the forecast."""
PROMO_PAST, PROMO_NEXT = dt.date(2025, 5, 13), dt.date(2025, 5, 27)
"""Two Tuesdays: the past occurrence of the event ran at 2×."""
OUTAGE = dt.date(2025, 5, 14)
"""A Wednesday on which only 20 % of the contacts were recorded."""


def true_day(day: dt.date) -> float:
    """The planted daily total of an ordinary day."""
    return float(SCALE * WEEKDAY[day.weekday()] * TIME_OF_DAY.sum())


def history(first: dt.date = FIRST, last: dt.date = LAST, *, channel: str = "voice",
            factors: dict[dt.date, float] | None = None, seed: int = 0) -> pd.DataFrame:
    """Hourly history rows (closed hours are zero) as :func:`wfm.io.history.read_history` gives."""
    grid = Grid(TZ, 60)
    rng = np.random.default_rng(seed)
    n = (last - first).days + 1
    index = grid.intervals(first, n)
    day = np.array([(d - first).days for d in grid.local_day(index)])
    weekday = np.array([(first + dt.timedelta(days=int(i))).weekday() for i in day])
    multiplier = rng.lognormal(0.0, 0.04, n)
    for date, factor in (factors or {}).items():
        multiplier[(date - first).days] *= factor
    mu = SCALE * WEEKDAY[weekday] * TIME_OF_DAY[grid.minute_of_day(index) // 60] * multiplier[day]
    offered = rng.poisson(mu).astype(float)
    return pd.DataFrame({
        F.INTERVAL_START: index, F.CHANNEL: channel, F.OFFERED: offered, F.HANDLED: offered,
        F.ABANDONED: 0.0, F.AHT_SECONDS: np.where(offered > 0, 300.0, np.nan),
        F.WAIT_SECONDS: 0.0,
    })


def config(channels: tuple[str, ...] = ("voice",), **settings: Any) -> Config:
    channel = {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20},
               "hours": {"mon-sun": "08:00-20:00"}, "aht_seconds": 300}
    return config_from_dict({
        "site": {"timezone": TZ, "interval_minutes": 60, "holidays": {"country": "DE"}},
        "channels": dict.fromkeys(channels, channel),
        "forecast": {"workers": 1, "backtest_folds": 3, **settings},
    })


def promo(multiplier: float | str = "learn") -> list[dict[str, Any]]:
    return [{"name": "promo", "dates": [PROMO_PAST.isoformat(), PROMO_NEXT.isoformat()],
             "multiplier": multiplier}]


def day_volume(result: ForecastResult, day: dt.date, channel: str = "voice") -> float:
    daily = result.daily
    return float(daily.loc[(daily["date"] == day) & (daily[F.CHANNEL] == channel),
                           F.VOLUME].iloc[0])


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """Twelve weeks with holidays at 0.3×, the promo at 2× and the outage at 0.2×."""
    return history(factors={**dict.fromkeys(PAST_HOLIDAYS, HOLIDAY_FACTOR), PROMO_PAST: 2.0,
                            OUTAGE: 0.2})


@pytest.fixture(scope="module")
def result(planted: pd.DataFrame) -> ForecastResult:
    return forecast(planted, config(events=promo()))


@pytest.fixture(scope="module")
def undetected(planted: pd.DataFrame, result: ForecastResult) -> ForecastResult:
    """The same forecast with outlier detection off (and the model ``result`` chose)."""
    return forecast(planted, config(events=promo(), detect_outliers=False,
                                    models=list(pool_members(result.selected["voice"]))))


# --- special days --------------------------------------------------------------------------------


def test_future_holiday_is_forecast_at_the_learnt_holiday_factor(result: ForecastResult) -> None:
    same_weekday = ASCENSION + dt.timedelta(days=7)

    ratio = day_volume(result, ASCENSION) / day_volume(result, same_weekday)

    assert ratio == pytest.approx(HOLIDAY_FACTOR, rel=0.15)
    assert result.daily.set_index("date").loc[ASCENSION, "special_day"] == "holiday"


def test_past_special_days_do_not_drag_down_ordinary_days(result: ForecastResult,
                                                          undetected: ForecastResult) -> None:
    # the first full ordinary week after the horizon's holiday
    week = [dt.date(2025, 6, 2) + dt.timedelta(days=i) for i in range(7)]
    truth = [true_day(d) for d in week]

    # each day within 7 % of the planted one (one week of day-level noise, pooled models); a
    # 0.3x holiday left in the fit would pull its weekday down about 10 %, the promo 12 % up
    assert_allclose([day_volume(result, d) for d in week], truth, rtol=0.07)
    # without outlier detection only the calendar keeps the 0.3x holidays (a Monday, a Thursday
    # and a Friday) and the 2x promo (a Tuesday) out of the fit
    monday_to_friday_but_wednesday = [0, 1, 3, 4]
    assert_allclose([day_volume(undetected, week[i]) for i in monday_to_friday_but_wednesday],
                    [truth[i] for i in monday_to_friday_but_wednesday], rtol=0.05)


def test_learnt_event_multiplier_is_applied_to_the_next_occurrence(
        result: ForecastResult) -> None:
    ratio = day_volume(result, PROMO_NEXT) / day_volume(result, PROMO_NEXT + dt.timedelta(days=7))

    assert ratio == pytest.approx(2.0, rel=0.1)
    assert result.daily.set_index("date").loc[PROMO_NEXT, "special_day"] == "event:promo"


def test_configured_event_multiplier_is_used_as_given(planted: pd.DataFrame) -> None:
    fixed = forecast(planted, config(events=promo(1.5), models=["weighted_index"]))

    ratio = day_volume(fixed, PROMO_NEXT) / day_volume(fixed, PROMO_NEXT + dt.timedelta(days=7))

    assert ratio == pytest.approx(1.5, rel=1e-9)  # an index has no trend: the days match


# --- outliers ------------------------------------------------------------------------------------


def test_outage_day_is_listed_as_an_outlier(result: ForecastResult) -> None:
    found = result.outliers

    assert list(zip(found[F.CHANNEL], found["date"], strict=True)) == [("voice", OUTAGE)]
    assert found["ratio"].iloc[0] == pytest.approx(0.2, abs=0.05)


def test_outage_day_does_not_lower_its_weekdays_forecast(result: ForecastResult,
                                                         undetected: ForecastResult) -> None:
    wednesday = dt.date(2025, 6, 4)

    assert undetected.outliers.empty
    assert day_volume(result, wednesday) == pytest.approx(true_day(wednesday), rel=0.05)
    assert day_volume(undetected, wednesday) < 0.95 * day_volume(result, wednesday)


def test_a_month_start_effect_in_the_history_is_forecast() -> None:
    first = dt.date(2024, 9, 2)  # nine month starts before the forecast
    grid = Grid.from_config(config())
    kinds = calendar.day_kinds(grid, [first + dt.timedelta(days=i)
                                      for i in range((LAST - first).days + 1)],
                               month_kinds=calendar.MONTH_KINDS)
    starts = [d for d, k in kinds.items() if k == calendar.MONTH_START]
    june = dt.date(2025, 6, 2)  # Sunday the 1st: Monday is June's first business day

    with_effect = forecast(history(first, factors=dict.fromkeys(starts, 1.25)), config())
    without = forecast(history(first), config())

    daily = with_effect.daily.set_index("date")
    assert daily.loc[june, "special_day"] == calendar.MONTH_START
    assert day_volume(with_effect, june) / true_day(june) == pytest.approx(1.25, rel=0.08)
    assert (without.daily["special_day"] != calendar.MONTH_START).all()
    assert day_volume(without, june) / true_day(june) == pytest.approx(1.0, rel=0.08)


# --- model choice --------------------------------------------------------------------------------


def test_auto_pools_the_models_within_tolerance_of_the_best(planted: pd.DataFrame) -> None:
    result = forecast(planted, config(events=promo(), combination_margin=0.0))
    scores = result.backtest
    rel = relative_wape(scores[scores["model"].isin(list(MODELS))]).sort_values()
    pooled = rel[rel <= rel.iloc[0] * 1.05]

    assert set(rel.index) == set(MODELS)
    assert result.selected["voice"] == "+".join(pooled.index)
    assert set(result.frame[F.MODEL]) == {result.selected["voice"]}
    if len(pooled) > 1:  # the pool is scored on the folds its members share
        assert result.selected["voice"] in set(scores["model"])


def test_a_pool_forecasts_the_mean_of_its_members(planted: pd.DataFrame) -> None:
    members = ["seasonal_naive", "weighted_index"]
    pooled = forecast(planted, config(models=members, pool_tolerance=1.0), days=7)
    alone = [forecast(planted, config(models=[m]), days=7).frame[F.VOLUME] for m in members]

    assert pooled.selected["voice"] in ("seasonal_naive+weighted_index",
                                        "weighted_index+seasonal_naive")
    assert_allclose(pooled.frame[F.VOLUME], (alone[0] + alone[1]) / 2, rtol=1e-12)
    scores = pooled.backtest.set_index(["model", "fold"])
    for fold in (1, 2, 3):  # WAPE of the mean forecast, never worse than the worse member
        worst = max(scores.loc[(m, fold), "wape"] for m in members)
        assert scores.loc[(pooled.selected["voice"], fold), "wape"] <= worst + 1e-12


@pytest.mark.parametrize(("best", "margin", "expected"), [
    (0.90, 0.15, ("combination",)),  # 10 % better: not enough to leave the combination
    (0.80, 0.15, ("weighted_index", "mstl")),  # 20 % better: the best, pooled
    (0.90, 0.0, ("weighted_index", "mstl")),  # no margin: plain pooling
])
def test_the_combination_is_kept_unless_a_model_beats_it_by_the_margin(
        best: float, margin: float, expected: tuple[str, ...]) -> None:
    board = pd.DataFrame({"model": ["weighted_index", "mstl", "combination", "seasonal_naive"],
                          "relative_wape": [best, best * 1.03, 1.0, 1.3]})

    assert pooled(board, 0.05, margin) == expected


def test_auto_keeps_the_combination_within_the_margin(planted: pd.DataFrame) -> None:
    kept = forecast(planted, config(combination_margin=1.0), days=7)

    assert kept.selected == {"voice": "combination"}
    assert set(kept.frame[F.MODEL]) == {"combination"}


def test_pool_tolerance_zero_uses_the_single_best(planted: pd.DataFrame) -> None:
    single = forecast(planted, config(models=["seasonal_naive", "weighted_index"],
                                      pool_tolerance=0.0), days=7)

    assert single.selected["voice"] in ("seasonal_naive", "weighted_index")


def test_configured_model_is_forced(planted: pd.DataFrame) -> None:
    forced = forecast(planted, config(models=["seasonal_naive"]), days=7)

    assert forced.selected == {"voice": "seasonal_naive"}
    assert set(forced.backtest["model"]) == {"seasonal_naive"}
    assert set(forced.frame[F.MODEL]) == {"seasonal_naive"}


def test_workers_give_the_same_result_as_one_process() -> None:
    two = pd.concat([history(), history(channel="chat", seed=1)], ignore_index=True)
    settings = {"models": ["weighted_index", "poisson_glm"], "horizon_days": 7}

    serial = forecast(two, config(("voice", "chat"), **settings))
    parallel = forecast(two, config(("voice", "chat"), **{**settings, "workers": 2}))

    pd.testing.assert_frame_equal(serial.frame, parallel.frame, check_exact=True)
    pd.testing.assert_frame_equal(serial.daily, parallel.daily, check_exact=True)
    pd.testing.assert_frame_equal(serial.backtest, parallel.backtest, check_exact=True)
    assert serial.selected == parallel.selected
    assert set(serial.frame[F.CHANNEL]) == {"voice", "chat"}


# --- bad histories -------------------------------------------------------------------------------


def test_ten_days_fall_back_to_seasonal_naive_and_say_what_was_not_tried() -> None:
    short = forecast(history(last=FIRST + dt.timedelta(days=9)), config(), days=7)

    assert short.selected == {"voice": "seasonal_naive"}
    assert set(short.frame[F.MODEL]) == {"seasonal_naive"}
    assert short.frame[F.VOLUME].sum() > 0
    notes = " ".join(short.notes)
    for alias in MODELS:
        if alias != "seasonal_naive":
            needs = MODELS[alias].min_days
            assert f"10 usable days; {alias} needs {needs}, not tried" in notes
    assert "no backtest fold could be scored" in notes


def test_a_model_needing_more_history_falls_back_to_a_simpler_one() -> None:
    short = forecast(history(last=FIRST + dt.timedelta(days=19)),
                     config(models=["topdown_ets", "mstl"]), days=7)

    assert short.selected == {"voice": "weighted_index"}
    assert set(short.frame[F.MODEL]) == {"weighted_index"}
    assert any("topdown_ets needs 28, not tried" in n for n in short.notes)
    assert any("falling back to weighted_index" in n for n in short.notes)


def test_three_days_are_too_few_and_the_error_says_how_many_are_needed() -> None:
    with pytest.raises(DataError, match=r"channel 'voice' has 3 usable days.*at least 7"):
        forecast(history(last=FIRST + dt.timedelta(days=2)), config())


def test_a_channel_without_history_is_named() -> None:
    with pytest.raises(DataError, match="no data for channel 'chat'"):
        forecast(history(last=FIRST + dt.timedelta(days=13)), config(("voice", "chat")))


# --- intraday re-forecast ------------------------------------------------------------------------

AS_OF = pd.Timestamp(START.isoformat() + " 12:00", tz=TZ)


@pytest.fixture(scope="module")
def intraday(planted: pd.DataFrame, result: ForecastResult) -> ForecastResult:
    """The morning of the first forecast day ran at 1.5× the plain forecast."""
    plain = result.frame
    morning = plain[plain[F.INTERVAL_START] < AS_OF]
    today = morning[[F.INTERVAL_START, F.CHANNEL]].assign(
        **{F.OFFERED: np.round(1.5 * morning[F.VOLUME].to_numpy())})
    today[F.HANDLED] = today[F.OFFERED]
    today[F.AHT_SECONDS] = 300.0
    return forecast(pd.concat([planted, today], ignore_index=True), config(events=promo()),
                    as_of=AS_OF)


def test_intraday_intervals_before_as_of_carry_the_actuals(result: ForecastResult,
                                                           intraday: ForecastResult) -> None:
    frame = intraday.frame
    past = frame[frame[F.INTERVAL_START] < AS_OF]
    plain = result.frame[result.frame[F.INTERVAL_START] < AS_OF]

    assert len(past) == 12
    assert set(past[F.MODEL]) == {"actual"}
    assert_allclose(past[F.VOLUME], np.round(1.5 * plain[F.VOLUME].to_numpy()), atol=0)


def test_intraday_actuals_have_no_spread(intraday: ForecastResult) -> None:
    past = intraday.frame[intraday.frame[F.INTERVAL_START] < AS_OF]

    for level in (80, 95):
        assert_allclose(past[F.lo(F.VOLUME, level)], past[F.VOLUME], atol=0)
        assert_allclose(past[F.hi(F.VOLUME, level)], past[F.VOLUME], atol=0)


def test_intraday_scales_up_the_rest_of_a_busy_day(result: ForecastResult,
                                                   intraday: ForecastResult) -> None:
    end = AS_OF.normalize() + pd.Timedelta(days=1)
    rest = (intraday.frame[F.INTERVAL_START] >= AS_OF) & (intraday.frame[F.INTERVAL_START] < end)
    now = intraday.frame[rest]
    before = result.frame[rest.to_numpy()]
    open_ = before[F.VOLUME].to_numpy() > 0

    ratio = now[F.VOLUME].to_numpy()[open_] / before[F.VOLUME].to_numpy()[open_]

    assert_allclose(ratio, ratio[0], rtol=1e-9)  # one multiplier for the day
    assert 1.02 < ratio[0] < 1.5
    assert set(now[F.MODEL]) == {f"{result.selected['voice']}+intraday"}


def test_intraday_leaves_later_days_unchanged(result: ForecastResult,
                                              intraday: ForecastResult) -> None:
    tomorrow = AS_OF.normalize() + pd.Timedelta(days=1)

    later = intraday.frame[intraday.frame[F.INTERVAL_START] >= tomorrow].reset_index(drop=True)
    plain = result.frame[result.frame[F.INTERVAL_START] >= tomorrow].reset_index(drop=True)

    assert len(later) == 13 * 24
    pd.testing.assert_frame_equal(later, plain)


# --- evaluate ------------------------------------------------------------------------------------


def test_evaluate_reports_a_leaderboard_and_scores_per_fold(planted: pd.DataFrame,
                                                            result: ForecastResult) -> None:
    report = evaluate(planted, config(events=promo()), folds=3, horizon_days=7)
    board = report.leaderboard

    for column in ("channel", "model", "wape", "mase", "rmse", "bias", "coverage80",
                   "coverage95"):
        assert column in board.columns
    assert list(board.columns[:2]) == ["channel", "model"]
    assert sorted(board["model"]) == sorted(MODELS)
    assert board["relative_wape"].is_monotonic_increasing
    assert board[["coverage80", "coverage95"]].stack().between(0, 1).all()
    folds = report.scores.groupby("model")["fold"].apply(sorted)
    assert all(f == [1, 2, 3] for f in folds)
    assert (report.scores["channel"] == "voice").all()
    # the same folds as the forecast's backtest: the same choice
    settings = config().forecast
    assert pool_members(result.selected["voice"]) == pooled(
        board, settings.pool_tolerance, settings.combination_margin)


# --- forecast.csv contract on the bundled sample -------------------------------------------------

SAMPLE_START = dt.date(2026, 3, 23)
DST_START = dt.date(2026, 3, 29)
GOOD_FRIDAY = dt.date(2026, 4, 3)


@pytest.fixture(scope="module")
def sample(sample_site: Path) -> tuple[Config, Grid, ForecastResult]:
    cfg = load_config(sample_site)
    grid = Grid.from_config(cfg)
    assert cfg.history is not None
    hist, _report = read_history(cfg.history, cfg, grid)
    return cfg, grid, forecast(hist, cfg, grid)


def _local_days(frame: pd.DataFrame, grid: Grid) -> np.ndarray:
    return grid.local_day(pd.DatetimeIndex(frame[F.INTERVAL_START]))


def test_sample_forecast_has_the_contract_columns(sample: tuple) -> None:
    _, _, res = sample

    assert tuple(res.frame.columns) == F.FORECAST_COLUMNS
    assert not res.frame.duplicated([F.INTERVAL_START, F.CHANNEL]).any()


def test_sample_forecast_covers_the_horizon(sample: tuple) -> None:
    cfg, grid, res = sample
    days = sorted(set(_local_days(res.frame, grid)))

    assert days[0] == SAMPLE_START
    assert len(days) == cfg.forecast.horizon_days
    assert (days[-1] - days[0]).days == cfg.forecast.horizon_days - 1
    assert set(res.frame[F.CHANNEL]) == set(cfg.channels)


def test_sample_dst_start_day_has_92_quarter_hours(sample: tuple) -> None:
    _, grid, res = sample
    per_day = res.frame.groupby([res.frame[F.CHANNEL], _local_days(res.frame, grid)]).size()

    for channel in res.selected:
        counts = per_day[channel]
        assert counts[DST_START] == 92
        assert set(counts.drop(DST_START)) == {96}


@pytest.mark.parametrize("channel", ["voice", "chat"])
def test_sample_has_no_volume_outside_opening_hours(sample: tuple, channel: str) -> None:
    cfg, grid, res = sample
    sub = res.frame[res.frame[F.CHANNEL] == channel]
    is_open = grid.open_mask(cfg.channels[channel].hours, pd.DatetimeIndex(sub[F.INTERVAL_START]))

    assert (~is_open).any()
    assert (sub.loc[~is_open, [F.VOLUME, F.hi(F.VOLUME, 95)]] == 0).all().all()
    assert sub.loc[is_open, F.VOLUME].sum() > 0


def test_sample_voice_is_closed_on_good_friday(sample: tuple) -> None:
    _, grid, res = sample
    voice = res.frame[res.frame[F.CHANNEL] == "voice"]
    days = _local_days(voice, grid)

    assert voice.loc[days == GOOD_FRIDAY, F.VOLUME].sum() == 0
    assert voice.loc[days == GOOD_FRIDAY - dt.timedelta(days=1), F.VOLUME].sum() > 0


@pytest.mark.parametrize("table", ["frame", "daily", "weekly"])
def test_sample_bounds_are_ordered_around_the_volume(sample: tuple, table: str) -> None:
    _, _, res = sample
    cols = [F.lo(F.VOLUME, 95), F.lo(F.VOLUME, 80), F.VOLUME, F.hi(F.VOLUME, 80),
            F.hi(F.VOLUME, 95)]
    values = getattr(res, table)[cols].to_numpy(dtype=float)

    assert (values >= 0).all()
    assert (np.diff(values, axis=1) >= -1e-9).all()
    assert (values[:, 4] > values[:, 1]).any()  # not all degenerate


def test_sample_daily_totals_are_the_sum_of_intervals(sample: tuple) -> None:
    _, grid, res = sample
    by_day = res.frame.groupby([res.frame[F.CHANNEL], _local_days(res.frame, grid)])[F.VOLUME]
    daily = res.daily.set_index([F.CHANNEL, "date"])[F.VOLUME]

    assert len(daily) == len(res.selected) * 14
    assert_allclose(by_day.sum().reindex(daily.index).to_numpy(), daily.to_numpy(), rtol=1e-9)


def test_sample_weekly_totals_are_the_sum_of_days(sample: tuple) -> None:
    _, _, res = sample
    daily = res.daily.assign(week=[d - dt.timedelta(days=d.weekday()) for d in res.daily["date"]])
    by_week = daily.groupby([F.CHANNEL, "week"])[F.VOLUME].sum()
    weekly = res.weekly.set_index([F.CHANNEL, "week"])

    assert (weekly["days"] == 7).all()
    assert_allclose(by_week.reindex(weekly.index).to_numpy(), weekly[F.VOLUME].to_numpy(),
                    rtol=1e-9)


def test_sample_model_column_names_the_selected_model(sample: tuple) -> None:
    _, _, res = sample

    for channel, model in res.selected.items():
        assert set(pool_members(model)) <= set(MODELS)
        assert set(res.frame.loc[res.frame[F.CHANNEL] == channel, F.MODEL]) == {model}
        assert set(res.daily.loc[res.daily[F.CHANNEL] == channel, "model"]) == {model}


def test_sample_aht_is_positive_wherever_volume_is(sample: tuple) -> None:
    _, _, res = sample
    busy = res.frame[res.frame[F.VOLUME] > 0]

    assert np.isfinite(busy[F.AHT_SECONDS]).all()
    assert (busy[F.AHT_SECONDS] > 0).all()
