"""Volume models, prediction intervals and the rolling-origin backtest on synthetic day matrices.

Every series here is built directly as a :class:`~wfm.forecast.series.DayMatrix`: a planted
weekday × hour-of-day intensity, Poisson draws from a seeded generator. The models are judged
against the *true* intensity, not against another noisy draw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from wfm.forecast.backtest import SCORE_COLUMNS, Backtest, backtest, relative_wape
from wfm.forecast.intervals import Noise, count_bounds, coverage, fit_noise
from wfm.forecast.models import CEILING, MODELS, Combination, forecast_rows, make
from wfm.forecast.series import WEEK, DayMatrix

START = dt.date(2025, 1, 6)
"""A Monday."""
HOURS = np.arange(24) + 0.5
OPEN = (HOURS >= 8) & (HOURS < 20)
TIME_OF_DAY = np.where(OPEN, 1 + 0.8 * np.sin((HOURS - 8) / 12 * np.pi), 0.0)
"""A midday peak, closed (zero) before 08:00 and from 20:00."""
WEEKDAY = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])
"""Monday first."""
INTENSITY = 50 * WEEKDAY[:, None] * TIME_OF_DAY[None, :]
"""Expected contacts per weekday (row) and hour (column): 15 to 117 in open hours."""


def dates(first: dt.date, n: int) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=i) for i in range(n))


def planted(seed: int = 0, weeks: int = 12, *, trend: float = 0.0) -> DayMatrix:
    """Poisson counts of :data:`INTENSITY` × ``1 + trend · weeks since START``."""
    rng = np.random.default_rng(seed)
    n = weeks * WEEK
    level = 1 + trend * np.arange(n) / WEEK
    return DayMatrix(dates(START, n), rng.poisson(np.tile(INTENSITY, (weeks, 1)) * level[:, None])
                     .astype(float))


def next_days(train: DayMatrix, n: int = WEEK) -> list[dt.date]:
    return list(dates(train.dates[-1] + dt.timedelta(days=1), n))


def truth(days: list[dt.date]) -> np.ndarray:
    return INTENSITY[[d.weekday() for d in days]]


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.abs(forecast - actual).sum() / actual.sum())


def close_hours(dates: Sequence[dt.date]) -> np.ndarray:
    """Opening hours of a channel open 08:00-20:00, as the orchestrator passes them."""
    return np.tile(OPEN, (len(dates), 1))


def always_open(dates: Sequence[dt.date]) -> np.ndarray:
    return np.ones((len(dates), len(HOURS)))


# --- models --------------------------------------------------------------------------------------

MAX_WAPE = {
    "seasonal_naive": 0.15,  # one week of Poisson noise per slot (≈ 9 % here)
    "median_4w": 0.08,
    "weighted_index": 0.06,
    "topdown_ets": 0.06,
    "topdown_uc": 0.06,
    "mstl": 0.13,  # its seasonal windows follow the last weeks: about as noisy as seasonal naive
    "poisson_glm": 0.06,
    "recent_level": 0.07,  # the weighted index, barely moved by days that are only noise
    "combination": 0.06,
}
"""WAPE against the true intensity; ignoring the weekday pattern would score 0.31."""


@cache
def next_week(alias: str, case: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's forecast of the week after a 12-week training matrix, and the truth.

    ``case``: ``noisy`` (Poisson draws), ``gaps`` (the same with five NaN days: three
    mid-history days, the last Wednesday and the last Sunday) or ``exact`` (the intensity
    itself). Cached: several tests judge the same fit.
    """
    train = DayMatrix(dates(START, 12 * WEEK), np.tile(INTENSITY, (12, 1))) if case == "exact" \
        else planted()
    if case == "gaps":
        values = train.values.copy()
        values[[30, 31, 32, -5, -1]] = np.nan
        train = DayMatrix(train.dates, values)
    days = next_days(train)
    return make(alias).fit(train).predict(days), truth(days)


def test_combination_members_come_before_it_in_the_registry() -> None:
    # the backtest scores a combination from its members' forecasts of the same fold, made
    # in registry order: a member registered after it would be missing from its score
    order = list(MODELS)

    assert all(order.index(m) < order.index(Combination.alias) for m in Combination.members)


def test_every_model_has_a_wape_bound() -> None:
    assert set(MAX_WAPE) == set(MODELS)


def _persistent_levels(seed: int, weeks: int = 12, phi: float = 0.8,
                       sigma: float = 0.1) -> tuple[DayMatrix, float]:
    """Poisson counts of :data:`INTENSITY` × a day level ``exp(x)``, ``x`` an AR(1) with
    coefficient ``phi``; and the expected log level of the day after."""
    rng = np.random.default_rng(seed)
    n = weeks * WEEK
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal(0.0, sigma)
    counts = rng.poisson(np.tile(INTENSITY, (weeks, 1)) * np.exp(x)[:, None]).astype(float)
    return DayMatrix(dates(START, n), counts), phi * x[-1]


def test_recent_level_follows_a_persistent_day_level() -> None:
    errors = {"recent_level": [], "weighted_index": []}
    for seed in range(20):
        train, level = _persistent_levels(seed)
        (day,) = next_days(train, 1)
        expected = INTENSITY[day.weekday()].sum() * np.exp(level)
        for alias, out in errors.items():
            out.append(abs(make(alias).fit(train).predict([day]).sum() - expected) / expected)
    # the day level carries over (lag-one autocorrelation 0.8): following it halves the error
    assert np.mean(errors["recent_level"]) < 0.6 * np.mean(errors["weighted_index"])


def test_topdown_uc_follows_a_lasting_level_shift_and_steps_over_unknown_days() -> None:
    train = planted(weeks=12)
    values = train.values.copy()
    values[-3 * WEEK:] *= 1.3  # the level rose by 30 % three weeks ago and stays there
    values[[-10, -4]] = np.nan  # two unknown days since (special days, say)
    shifted = DayMatrix(train.dates, values)
    days = next_days(shifted)
    actual = truth(days) * 1.3

    uc = wape(make("topdown_uc").fit(shifted).predict(days), actual)
    index = wape(make("weighted_index").fit(shifted).predict(days), actual)

    # the index still averages in the eight weeks before the rise (about 12 % low)
    assert uc < 0.07
    assert uc < index - 0.04


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_recovers_the_planted_weekly_pattern(alias: str) -> None:
    pred, actual = next_week(alias, "noisy")

    assert pred.shape == (WEEK, 24)
    assert wape(pred, actual) < MAX_WAPE[alias]


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_forecasts_each_weekday_total_within_ten_percent(alias: str) -> None:
    pred, actual = next_week(alias, "noisy")

    assert_allclose(pred.sum(axis=1), actual.sum(axis=1), rtol=0.10)


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_skips_nan_rows(alias: str) -> None:
    pred, actual = next_week(alias, "gaps")

    assert np.isfinite(pred).all()
    assert wape(pred, actual) < MAX_WAPE[alias]


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_forecasts_closed_hours_as_zero(alias: str) -> None:
    pred, _ = next_week(alias, "noisy")

    # the history never has a contact outside 08:00-20:00
    assert_allclose(pred[:, ~OPEN], 0, atol=1e-6)


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_forecasts_are_non_negative_on_a_collapsing_series(alias: str) -> None:
    train = planted(seed=1, weeks=8, trend=-0.12)  # falls to 16 % of its start; a trend
    # extrapolated linearly would go negative within the three weeks forecast

    pred = make(alias).fit(train).predict(next_days(train, 3 * WEEK))

    assert np.isfinite(pred).all()
    assert (pred >= 0).all()
    assert pred[:, OPEN].sum() > 0


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_fits_on_exactly_min_days_known_days(alias: str) -> None:
    train = planted().head(MODELS[alias].min_days)
    days = next_days(train)

    pred = make(alias).fit(train).predict(days)

    assert np.isfinite(pred).all()
    assert wape(pred, truth(days)) < 0.15


@pytest.mark.parametrize("alias", ["topdown_ets", "poisson_glm"])
def test_trend_models_follow_a_linear_trend_better_than_the_median(alias: str) -> None:
    train = planted(trend=0.03)  # +3 % of the first week's level per week
    days = next_days(train)
    ahead = 1 + 0.03 * np.arange(len(train.dates), len(train.dates) + WEEK) / WEEK
    actual = truth(days) * ahead[:, None]

    trend_wape = wape(make(alias).fit(train).predict(days), actual)
    median_wape = wape(make("median_4w").fit(train).predict(days), actual)

    assert trend_wape < 0.06
    assert trend_wape < median_wape - 0.015


def test_median_lags_a_rising_trend() -> None:
    train = planted(trend=0.03)
    days = next_days(train)
    ahead = 1 + 0.03 * np.arange(len(train.dates), len(train.dates) + WEEK) / WEEK

    pred = make("median_4w").fit(train).predict(days)

    # the median of the last four weeks sits 2.5 weeks behind the forecast week: about -6 %
    bias = pred.sum() / (truth(days) * ahead[:, None]).sum() - 1
    assert -0.10 < bias < -0.03


def test_seasonal_naive_repeats_the_last_known_same_weekday_exactly() -> None:
    train = planted(weeks=4)
    values = train.values.copy()
    values[-1] = np.nan  # the last Sunday is unknown: the one before is repeated
    days = next_days(train)

    pred = make("seasonal_naive").fit(DayMatrix(train.dates, values)).predict(days)

    assert_allclose(pred[:6], train.values[-7:-1], rtol=0, atol=0)
    assert_allclose(pred[6], train.values[-8], rtol=0, atol=0)


def test_median_4w_is_the_slotwise_median_of_four_weeks() -> None:
    train = planted(weeks=6)
    days = next_days(train)

    pred = make("median_4w").fit(train).predict(days)

    expected = np.median(train.values[-28:].reshape(4, WEEK, 24), axis=0)
    assert_allclose(pred, expected, rtol=0, atol=0)


@pytest.mark.parametrize("alias", list(MODELS))
def test_model_reproduces_a_noise_free_weekly_pattern(alias: str) -> None:
    pred, actual = next_week(alias, "exact")

    # exact for the indices and the GLM; MSTL's decomposition loses a little of the pattern
    assert wape(pred, actual) < (0.05 if alias in ("mstl", "combination") else 1e-6)


# --- intervals -----------------------------------------------------------------------------------


def _simulate(rng: np.random.Generator, days: int, kappa: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means (20 to 200 per interval), counts with a gamma day multiplier of variance ``kappa``
    (negative binomial, ``var = mu + kappa·mu²``; Poisson when 0), and each cell's day."""
    per_day = 24
    mu = rng.uniform(20, 200, days * per_day)
    day = np.repeat(np.arange(days), per_day)
    mult = rng.gamma(1 / kappa, kappa, days)[day] if kappa > 0 else np.ones(len(mu))
    return mu, rng.poisson(mu * mult).astype(float), day


def _fitted(rng: np.random.Generator, days: int, kappa: float) -> Noise:
    mu, actual, day = _simulate(rng, days, kappa)
    day_mu, day_actual = np.bincount(day, mu), np.bincount(day, actual)
    return fit_noise(mu, mu - actual, np.zeros(len(mu), int), day_mu, day_mu - day_actual,
                     np.zeros(len(day_mu), int))


@pytest.mark.parametrize("kappa", [0.0, 0.04], ids=["poisson", "negative_binomial"])
def test_fit_noise_recovers_the_planted_variance(kappa: float) -> None:
    noise = _fitted(np.random.default_rng(11), 1000, kappa)
    mu = np.array([20.0, 50.0, 100.0, 200.0])

    fitted = noise.variance(mu, np.zeros(4, int))

    assert_allclose(fitted, mu + kappa * mu**2, rtol=0.12)
    assert noise.day_kappa[0] == pytest.approx(kappa, abs=0.008)


def test_fit_noise_on_poisson_errors_is_poisson() -> None:
    noise = _fitted(np.random.default_rng(11), 1000, 0.0)

    assert noise.phi == pytest.approx(1.0, abs=0.1)
    assert noise.kappa[0] < 0.002


@pytest.mark.parametrize("kappa", [0.0, 0.04], ids=["poisson", "negative_binomial"])
@pytest.mark.parametrize("level", [80, 95])
def test_interval_bounds_cover_fresh_counts_at_the_nominal_rate(kappa: float, level: int) -> None:
    rng = np.random.default_rng(12)
    noise = _fitted(rng, 1000, kappa)
    mu, actual, _ = _simulate(rng, 1000, kappa)

    lo, hi = noise.bounds(mu, np.zeros(len(mu), int), level)

    assert coverage(actual, lo, hi) == pytest.approx(level / 100, abs=0.05)


@pytest.mark.parametrize("level", [80, 95])
def test_day_total_bounds_cover_overdispersed_days_at_the_nominal_rate(level: int) -> None:
    rng = np.random.default_rng(13)
    noise = _fitted(rng, 1000, 0.04)
    mu, actual, day = _simulate(rng, 1000, 0.04)
    day_mu, day_actual = np.bincount(day, mu), np.bincount(day, actual)

    lo, hi = noise.bounds(day_mu, np.zeros(len(day_mu), int), level, day=True)

    assert coverage(day_actual, lo, hi) == pytest.approx(level / 100, abs=0.05)


def test_poisson_bounds_from_an_unfitted_noise_are_too_narrow_for_overdispersed_counts() -> None:
    # the check above can fail: Poisson bounds miss the day-level spread
    mu, actual, _ = _simulate(np.random.default_rng(14), 1000, 0.04)

    lo, hi = Noise().bounds(mu, np.zeros(len(mu), int), 80)

    assert coverage(actual, lo, hi) < 0.6


def test_kappa_per_lead_week_grows_and_never_narrows() -> None:
    rng = np.random.default_rng(15)
    parts = [_simulate(rng, 500, k) for k in (0.01, 0.05, 0.02)]  # week 3 is calmer than week 2
    mu = np.concatenate([p[0] for p in parts])
    err = np.concatenate([p[0] - p[1] for p in parts])
    week = np.repeat([0, 1, 2], len(parts[0][0]))
    day_mu = np.concatenate([np.bincount(p[2], p[0]) for p in parts])
    day_err = np.concatenate([np.bincount(p[2], p[0] - p[1]) for p in parts])
    day_week = np.repeat([0, 1, 2], 500)

    noise = fit_noise(mu, err, week, day_mu, day_err, day_week)

    assert noise.kappa[0] == pytest.approx(0.01, abs=0.004)
    assert noise.kappa[1] == pytest.approx(0.05, abs=0.01)
    assert noise.kappa[2] == noise.kappa[1]
    # a lead week beyond the backtest reuses the last one
    assert noise.variance(np.array([100.0]), np.array([9]))[0] == pytest.approx(
        noise.phi * 100 + noise.kappa[2] * 100**2)


def test_fit_noise_with_too_few_errors_is_poisson() -> None:
    mu = np.full(5, 50.0)

    noise = fit_noise(mu, np.full(5, 30.0), np.zeros(5, int), mu, mu, np.zeros(5, int))

    assert noise == Noise()


@pytest.mark.parametrize("var_ratio", [1.0, 1.5, 11.0])
@pytest.mark.parametrize("mu", [5.0, 20.0, 80.0, 500.0])
def test_count_bounds_contain_a_moderate_mean(mu: float, var_ratio: float) -> None:
    m = np.array([mu])
    for level in (80, 95):
        lo, hi = count_bounds(m, m * var_ratio, level)
        assert lo[0] <= mu <= hi[0]
        assert lo[0] < hi[0]


def test_count_bounds_of_a_zero_mean_are_zero() -> None:
    for level in (80, 95):
        lo, hi = count_bounds(np.zeros(3), np.array([0.0, 1.0, 10.0]), level)
        assert_allclose(lo, 0, atol=0)
        assert_allclose(hi, 0, atol=0)


def test_count_bounds_of_a_vanishing_mean_are_zero() -> None:
    mu = np.array([1e-200])

    lo, hi = count_bounds(mu, 2 * mu, 95)

    assert (lo[0], hi[0]) == (0.0, 0.0)


def test_count_bounds_of_a_small_mean_hold_it() -> None:
    lo, hi = count_bounds(np.array([0.1]), np.array([0.1]), 80)

    # Poisson(0.1)'s central 80 % interval is [0, 0], which misses the forecast itself
    assert (lo[0], hi[0]) == (0.0, 1.0)


def test_count_bounds_widen_with_the_variance() -> None:
    mu = np.full(3, 100.0)

    lo, hi = count_bounds(mu, np.array([100.0, 400.0, 2500.0]), 95)

    assert (np.diff(hi - lo) > 0).all()
    # Poisson(100): the 2.5 % and 97.5 % quantiles are 81 and 120
    assert (lo[0], hi[0]) == (81.0, 120.0)


@settings(max_examples=200, deadline=None)
@given(mu=st.one_of(st.just(0.0), st.floats(1e-300, 5000)),
       extra=st.floats(0, 50))
def test_count_bounds_are_ordered_non_negative_counts(mu: float, extra: float) -> None:
    m = np.array([mu])
    var = m * (1 + extra)

    lo80, hi80 = count_bounds(m, var, 80)
    lo95, hi95 = count_bounds(m, var, 95)

    bounds = np.concatenate([lo95, lo80, hi80, hi95])
    assert (bounds >= 0).all()
    assert (np.diff(bounds) >= 0).all()
    assert_allclose(bounds, np.round(bounds), atol=0)
    assert lo80[0] <= mu


# --- backtest ------------------------------------------------------------------------------------


Scored = tuple[DayMatrix, Backtest]


@pytest.fixture(scope="module")
def scored() -> Scored:
    train = planted(seed=2)
    return train, backtest(train, tuple(MODELS), folds=4, horizon=WEEK, hours=close_hours)


def test_leaderboard_has_one_row_per_model_sorted_by_relative_wape(scored: Scored) -> None:
    _, bt = scored
    board = bt.leaderboard()

    assert sorted(board["model"]) == sorted(MODELS)
    assert board["relative_wape"].is_monotonic_increasing
    assert (board["folds"] == 4).all()
    assert bt.pool(0.0) == (board["model"].iloc[0],)
    rel = board["relative_wape"].to_numpy()
    assert bt.pool(0.05) == tuple(board["model"][rel <= 1.05 * rel[0]])


def test_relative_wape_against_hand_computed_ratios() -> None:
    # fold 1 is three times as hard as fold 2 for every model: the mean of WAPEs ranks a first,
    # by fold 1's 0.04; the geometric mean of ratios to each fold's median ranks b first
    scores = pd.DataFrame({"model": ["a", "b", "c"] * 2, "fold": [1, 1, 1, 2, 2, 2],
                           "wape": [0.30, 0.34, 0.36, 0.12, 0.09, 0.10]})

    rel = relative_wape(scores)

    assert rel["a"] == pytest.approx(np.sqrt(0.30 / 0.34 * 0.12 / 0.10))
    assert rel["b"] == pytest.approx(np.sqrt(1.0 * 0.09 / 0.10))
    assert rel["c"] == pytest.approx(np.sqrt(0.36 / 0.34 * 1.0))
    assert rel.idxmin() == "b"
    assert scores.groupby("model")["wape"].mean().idxmin() == "a"


def test_a_pool_is_scored_from_its_members_mean_forecast(scored: Scored) -> None:
    _, bt = scored
    members = ("weighted_index", "poisson_glm")

    pooled = bt.with_pool(members)

    name = "weighted_index+poisson_glm"
    e = pooled.errors[name]
    assert_allclose(e.mu, (bt.errors[members[0]].mu + bt.errors[members[1]].mu) / 2)
    fold1 = pooled.scores.set_index(["model", "fold"]).loc[(name, 1)]
    cells = e.fold == 1
    assert fold1["wape"] == pytest.approx(
        np.abs(e.mu[cells] - e.actual[cells]).sum() / e.actual[cells].sum())
    assert 0 < fold1["coverage80"] <= 1
    assert pooled.noise(name) is not None
    assert len(pooled.scores) == len(bt.scores) + 4


def test_scores_have_one_row_per_model_and_fold(scored: Scored) -> None:
    train, bt = scored
    scores = bt.scores

    assert tuple(scores.columns) == SCORE_COLUMNS
    assert len(scores) == 4 * len(MODELS)
    # folds a horizon apart, the last one ending with the history; only open hours are scored
    n = len(train.dates)
    assert sorted(set(scores["cutoff"])) == [train.dates[n - k * WEEK] for k in (4, 3, 2, 1)]
    assert (scores["intervals"] == WEEK * OPEN.sum()).all()


def test_structural_models_beat_seasonal_naive_on_a_stable_pattern(scored: Scored) -> None:
    _, bt = scored
    wapes = bt.leaderboard().set_index("model")["wape"]

    for alias in ("weighted_index", "poisson_glm", "topdown_ets"):
        assert wapes[alias] < wapes["seasonal_naive"] - 0.01
    assert bt.pool(0.0) != ("seasonal_naive",)


def test_backtest_coverage_is_a_share_near_nominal(scored: Scored) -> None:
    _, bt = scored
    scores = bt.scores

    for level in (80, 95):
        col = scores[f"coverage{level}"]
        assert col.between(0, 1).all()
        assert col.mean() == pytest.approx(level / 100, abs=0.08)


def test_backtest_noise_is_fitted_on_the_models_errors(scored: Scored) -> None:
    _, bt = scored

    noise = bt.noise("weighted_index")

    assert noise is not None
    assert noise.phi == pytest.approx(1.0, abs=0.3)  # Poisson data, a good model
    assert bt.noise("not_a_model") is None


def test_a_model_with_too_few_known_days_is_not_scored() -> None:
    train = planted(seed=3, weeks=5)
    values = train.values.copy()
    values[[3, 10]] = np.nan  # 26 known days before the last fold: topdown_ets needs 28

    bt = backtest(DayMatrix(train.dates, values), ("weighted_index", "topdown_ets", "mstl"),
                  folds=2, horizon=WEEK, hours=close_hours)
    board = bt.leaderboard()

    assert list(board["model"]) == ["weighted_index"]
    assert board["folds"].iloc[0] == 2
    assert "topdown_ets" not in set(bt.scores["model"])


def test_backtest_wape_and_bias_against_a_hand_computed_fold() -> None:
    values = np.tile(INTENSITY, (5, 1))
    values[-WEEK:] *= 1.2  # the last week runs 20 % above the one before

    bt = backtest(DayMatrix(dates(START, 5 * WEEK), values), ("seasonal_naive",), folds=1,
                  horizon=WEEK, hours=close_hours)
    row = bt.scores.iloc[0]

    # seasonal naive forecasts the week before: |error| / actual = 0.2 / 1.2 everywhere
    assert row["wape"] == pytest.approx(0.2 / 1.2, rel=1e-12)
    assert row["bias"] == pytest.approx(-0.2 / 1.2, rel=1e-12)


def test_seasonal_naive_mase_is_about_one_when_every_slot_is_open() -> None:
    bt = backtest(planted(seed=4), ("seasonal_naive",), folds=6, horizon=WEEK,
                  hours=always_open)

    # its errors are the week-over-week changes MASE is scaled by
    assert bt.leaderboard()["mase"].iloc[0] == pytest.approx(1.0, abs=0.1)


def test_seasonal_naive_mase_is_about_one_with_closed_hours() -> None:
    bt = backtest(planted(seed=4), ("seasonal_naive",), folds=6, horizon=WEEK,
                  hours=close_hours)

    assert bt.leaderboard()["mase"].iloc[0] == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("alias", sorted(MODELS))
def test_no_model_runs_away_on_a_sparse_queue_that_took_off(alias: str) -> None:
    # A queue with a call every few days that suddenly had a busy last week: a trend fitted on
    # that must not forecast thousands of calls for the weeks after.
    rng = np.random.default_rng(3)
    values = (rng.random((10 * WEEK, len(HOURS))) < 0.01).astype(float)
    values[-WEEK:] = rng.poisson(5.0, (WEEK, len(HOURS)))
    train = DayMatrix(dates(START, 10 * WEEK), values)

    rows = forecast_rows(alias, train, next_days(train, 8 * WEEK))

    assert np.isfinite(rows).all()
    assert rows.max() <= CEILING * values.max() + 1.0


def test_a_fold_without_an_open_scored_interval_is_not_scored() -> None:
    def weekdays_only(days: Sequence[dt.date]) -> np.ndarray:
        return close_hours(days) * np.array([d.weekday() < 5 for d in days])[:, None]

    train = planted(seed=5)
    values = train.values.copy()
    last = weekdays_only(train.dates[-WEEK:]).sum(axis=1) > 0
    values[-WEEK:][last] = np.nan  # the last week's open days are special: weekends are left

    bt = backtest(DayMatrix(train.dates, values), ("seasonal_naive", "weighted_index"), folds=3,
                  horizon=WEEK, hours=weekdays_only)

    assert sorted(set(bt.scores["fold"])) == [2, 3]  # the last week has nothing to score
    assert (bt.scores["wape"] > 0).all()
