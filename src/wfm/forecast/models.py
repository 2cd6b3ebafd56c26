"""Volume models: each fits one channel's :class:`~wfm.forecast.series.DayMatrix` and forecasts
whole future days, slot by slot.

Every model offers ``fit(train) -> self`` and ``predict(dates) -> rows`` (one row of
non-negative counts per date, ``slots`` columns); it learns only from known rows (special days,
outliers and gaps are NaN) and says how many known days it needs (``min_days``). Special-day
factors, opening hours, prediction intervals and selection are the orchestrator's
(:mod:`wfm.forecast`), the same for every model.

The zoo, from baseline to structure:

- ``seasonal_naive``: the same slot on the last known same weekday.
- ``median_4w``: the median of the same slot over the last four known same weekdays.
- ``weighted_index``: the recency-weighted mean of the same slot over the last ``weeks`` known
  same weekdays — what WFM suites call a weighted historical index.
- ``topdown_ets``: daily totals by ETS (damped trend, weekly seasonality) × each weekday's
  recency-weighted intraday shares — the industry's top-down method.
- ``topdown_uc``: daily totals by a basic structural model (local level and a stochastic weekly
  seasonal on log totals, Kalman-filtered) × the same intraday shares.
- ``mstl``: MSTL (daily and weekly seasonality) of the root-transformed interval series, the
  seasonally adjusted daily level forecast by damped-trend ETS.
- ``poisson_glm``: a Poisson GLM of the interval counts with weekday × Fourier time-of-day terms
  and a trend.
- ``recent_level``: the weighted index with the last days' level carried forward (an AR(1) on
  the day totals' log deviation from the index).
- ``combination``: the mean of the structural models' forecasts (simple averages are hard to
  beat: Clemen 1989; Makridakis et al., M4, 2020).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar, Protocol, Self, cast

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.seasonal import MSTL

from wfm.forecast.series import WEEK, DayMatrix, fill_by_weekday

RECENT_WEIGHT = 0.85
"""Weight of a week relative to the week after it in indices and profiles."""
DAILY_FIT_DAYS = 364
"""The top-down model fits its daily totals on at most the last 52 weeks."""
CEILING = 3.0
"""A forecast above three times a slot's largest count so far is a model running away."""
INTERVAL_FIT_WEEKS = 10
"""Interval-level models (MSTL, GLM) fit on at most the last 10 weeks: enough for the weekly
cycle and a trend, short enough to follow a changing level and to stay fast."""


class VolumeModel(Protocol):
    """The interface every volume model offers."""

    alias: ClassVar[str]
    min_days: ClassVar[int]

    def __init__(self, weeks: int = 8) -> None: ...

    def fit(self, train: DayMatrix) -> Self:
        """Learn from the known rows of ``train``."""
        ...

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        """One row of forecast counts per date (dates after the training days)."""
        ...


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the optimisers' convergence chatter: the backtest judges the fit, not them."""
    with warnings.catch_warnings():
        for category in (ConvergenceWarning, RuntimeWarning, PerfectSeparationWarning,
                         UserWarning):
            warnings.simplefilter("ignore", category)
        yield


class _Model:
    """What every model is built with: ``weeks``, the recent history an index or a profile
    averages over (models without one ignore it)."""

    def __init__(self, weeks: int = 8) -> None:
        self.weeks = weeks


class _ByWeekday(_Model):
    """A model that keeps one row per weekday and repeats it."""

    rows: np.ndarray

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        return np.maximum(self.rows[[d.weekday() for d in dates]], 0.0)


class SeasonalNaive(_ByWeekday):
    """The same slot on the last known same weekday (a seasonal random walk)."""

    alias = "seasonal_naive"
    min_days = WEEK

    def fit(self, train: DayMatrix) -> Self:
        self.rows = np.stack([_last(train, wd, 1)[-1] for wd in range(WEEK)])
        return self


class Median4w(_ByWeekday):
    """The median of the same slot over the last four known same weekdays."""

    alias = "median_4w"
    min_days = 2 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        self.rows = np.stack([np.median(_last(train, wd, 4), axis=0) for wd in range(WEEK)])
        return self


class WeightedIndex(_ByWeekday):
    """Recency-weighted mean of the same slot over the last ``weeks`` known same weekdays."""

    alias = "weighted_index"
    min_days = 2 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        self.rows = np.stack([_weighted(_last(train, wd, self.weeks)) for wd in range(WEEK)])
        return self


class TopDownEts(_Model):
    """Daily totals by ETS × intraday shares per weekday.

    The totals (unknown days interpolated from the same weekday) are fitted with statsmodels'
    ``ETSModel`` (additive error, damped additive trend, additive weekly seasonality) by maximum
    likelihood (Hyndman et al., *Forecasting with Exponential Smoothing*, 2008); each weekday's
    shares are the recency-weighted mean shares of its last ``weeks`` known days.
    """

    alias = "topdown_ets"
    min_days = 4 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        totals = fill_by_weekday(train).sum(axis=1)[-DAILY_FIT_DAYS:]
        self._end = train.dates[-1]
        model = ETSModel(totals, error="add", trend="add", damped_trend=True, seasonal="add",
                         seasonal_periods=WEEK)
        with _quiet():
            self._result = model.fit(disp=False, maxiter=200)
        self._shares = _weekday_shares(train, self.weeks)
        return self

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        ahead = [(d - self._end).days for d in dates]
        path = np.asarray(self._result.forecast(max(ahead)), dtype=float)
        totals = np.maximum(path[np.array(ahead) - 1], 0.0)
        return totals[:, None] * self._shares[[d.weekday() for d in dates]]


class TopDownUc(_Model):
    """Daily totals by a basic structural model × intraday shares per weekday.

    ``log(1 + total)`` is a local level plus a weekly seasonal that may drift (Harvey,
    *Forecasting, Structural Time Series Models and the Kalman Filter*, 1989), fitted by
    maximum likelihood with statsmodels' ``UnobservedComponents``. The Kalman filter steps over
    unknown days (gaps, special days, outliers) instead of fitting made-up values, the log
    makes the weekly pattern a multiple of the level, and the level follows a lasting change
    as fast as the data say it should. Each day's total is the forecast's mean back on the
    count scale (``exp(mean + variance / 2) - 1``); shares as ``topdown_ets``.
    """

    alias = "topdown_uc"
    min_days = 4 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        totals = train.values.sum(axis=1)[-DAILY_FIT_DAYS:]  # unknown days stay NaN
        self._end = train.dates[-1]
        model = sm.tsa.UnobservedComponents(np.log1p(totals), level="local level",
                                            seasonal=WEEK, stochastic_seasonal=True)
        with _quiet():
            self._result = model.fit(disp=False, maxiter=100)
        self._shares = _weekday_shares(train, self.weeks)
        return self

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        ahead = np.array([(d - self._end).days for d in dates]) - 1
        path = self._result.get_forecast(int(ahead.max()) + 1)
        mean = np.asarray(path.predicted_mean, dtype=float)[ahead]
        var = np.asarray(path.var_pred_mean, dtype=float)[ahead]
        totals = np.expm1(np.minimum(mean + var / 2, _LOG_CAP)).clip(min=0.0)
        return totals[:, None] * self._shares[[d.weekday() for d in dates]]


_LOG_CAP = 30.0
"""exp(30) contacts a day: beyond it a runaway fit, which the ceiling then cuts."""


class Mstl(_Model):
    """MSTL of the root-transformed interval counts; the adjusted level by damped-trend ETS.

    The last ``INTERVAL_FIT_WEEKS`` weeks are square-rooted (the variance-stabilising transform
    of Poisson counts used for call-center arrivals by Brown et al., *JASA* 2005), decomposed by
    MSTL (Bandara, Hyndman & Bergmeir 2021) with daily and weekly periods, and the seasonally
    adjusted series' daily means forecast by ETS with a damped trend. A future slot is that
    level plus the last daily and weekly seasonal values, squared back (+¼, the mean of a
    root-Poisson's variance).
    """

    alias = "mstl"
    min_days = 4 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        values = fill_by_weekday(train)[-INTERVAL_FIT_WEEKS * WEEK:]
        days, slots = values.shape
        self._end = train.dates[-1]
        self._slots = slots
        root = np.sqrt(np.maximum(values, 0.0)).ravel()
        with _quiet():
            res = MSTL(root, periods=(slots, WEEK * slots), windows=_SEASONAL_WINDOWS, iterate=2,
                       stl_kwargs=_STL_FAST).fit()
            seasonal = np.asarray(res.seasonal, dtype=float)
            adjusted = root - seasonal.sum(axis=1)
            level = adjusted.reshape(days, slots).mean(axis=1)
            self._level = ETSModel(level, error="add", trend="add", damped_trend=True).fit(
                disp=False, maxiter=200)
        self._daily = seasonal[-slots:, 0]
        weekly = seasonal[-WEEK * slots:, 1].reshape(WEEK, slots)
        last_wd = [(self._end - dt.timedelta(days=WEEK - 1 - i)).weekday() for i in range(WEEK)]
        self._weekly = weekly[np.argsort(last_wd)]  # row = weekday
        self._zero = (values[-4 * WEEK:] == 0).reshape(-1, WEEK, slots).all(axis=0)
        self._zero = self._zero[np.argsort(last_wd)]
        return self

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        ahead = np.array([(d - self._end).days for d in dates])
        level = np.asarray(self._level.forecast(int(ahead.max())), dtype=float)[ahead - 1]
        wd = [d.weekday() for d in dates]
        root = level[:, None] + self._daily[None, :] + self._weekly[wd]
        out = np.maximum(root, 0.0) ** 2 + 0.25
        out[self._zero[wd]] = 0.0  # a slot with no contact in four weeks stays empty
        return out


_SEASONAL_WINDOWS = (101, 101)
"""Seasonal smoothers longer than the fit window has cycles: the daily and weekly shapes are
held (nearly) fixed over the ten weeks, which cut MSTL's backtest WAPE on the sample by 6–13 %
against statsmodels' default (7, 11)."""
_STL_FAST = {"inner_iter": 2, "outer_iter": 0, "trend_jump": 50, "low_pass_jump": 10}
"""STL evaluating its trend and low-pass smoothers every few points and interpolating (the
"jump" of Cleveland et al. 1990, who suggest about a tenth of the window): ten times faster and
the same backtest error on the sample; no robustness loop, as special days and outliers are
already out of the series."""


class PoissonGlm(_Model):
    """Poisson GLM per weekday: log mean = Fourier(time of day) + trend.

    Each weekday gets an intercept, ``K`` sine/cosine pairs of the slot (Fourier terms give a
    smooth daily curve with few parameters, Hyndman & Athanasopoulos, *FPP3* §7.4) and a linear
    trend in weeks — the weekday × time-of-day interaction, fitted as seven small GLMs (the
    weekday blocks share no parameter, so this is the same model as one big design, far
    faster). Fitted by IRLS (statsmodels ``GLM``) on the last ``INTERVAL_FIT_WEEKS`` weeks of
    known days; slots with no contact in that window are left out and forecast as zero.
    """

    alias = "poisson_glm"
    min_days = 2 * WEEK
    harmonics = 12

    def fit(self, train: DayMatrix) -> Self:
        keep = train.known.copy()
        keep[: max(0, len(keep) - INTERVAL_FIT_WEEKS * WEEK)] = False
        self._end = train.dates[-1]
        slots = train.slots
        self._k = min(self.harmonics, slots // 2 - 1)
        self._fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        weekdays = train.weekdays
        for wd in range(WEEK):
            rows = np.flatnonzero(keep & (weekdays == wd))
            values = train.values[rows]
            active = np.flatnonzero(values.sum(axis=0) > 0)
            if len(rows) == 0 or len(active) == 0:
                continue
            t = np.array([(train.dates[r] - self._end).days for r in rows], dtype=float)
            x = self._design(np.tile(active, len(rows)), np.repeat(t, len(active)), slots,
                             trend=len(rows) > 1)
            y = values[:, active].ravel()
            with _quiet():
                params = sm.GLM(y, x, family=sm.families.Poisson()).fit(maxiter=25).params
            self._fits[wd] = (active, np.asarray(params))
        self._slots = slots
        return self

    def _design(self, slot: np.ndarray, t: np.ndarray, slots: int, *,
                trend: bool) -> np.ndarray:
        angle = 2 * np.pi * slot[:, None] * np.arange(1, self._k + 1)[None, :] / slots
        cols = [np.ones((len(slot), 1)), np.cos(angle), np.sin(angle)]
        if trend:
            cols.append((t / WEEK)[:, None])
        return np.hstack(cols)

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        out = np.zeros((len(dates), self._slots))
        for i, d in enumerate(dates):
            if d.weekday() not in self._fits:
                continue
            active, params = self._fits[d.weekday()]
            t = np.full(len(active), float((d - self._end).days))
            x = self._design(active, t, self._slots, trend=len(params) > 1 + 2 * self._k)
            out[i, active] = np.exp(np.clip(x @ params, -50, 50))
        return out


class RecentLevel(_Model):
    """The weighted index with the level of the last known days carried forward.

    Each of the last :attr:`scored_days` known days is compared with the weighted index fitted
    on the days before it: ``e = log(day total / index total)``. Day-level deviations persist
    (on the fpp3 bank the lag-one autocorrelation is about 0.6), so they are forecast as an
    AR(1) around their mean, ``e(h) = mean + phi^h (e_last − mean)`` for the h-th open day
    ahead, with ``phi`` the lag-one autocorrelation (clipped to [0, 0.95]); each forecast day is
    the index × ``exp(e(h))``. This is the day-level part of Weinberg, Brown & Stroud, "Bayesian
    forecasting of an inhomogeneous Poisson process with applications to call center data",
    JASA 2007, with the intraday profile left to the index.
    """

    alias = "recent_level"
    min_days = 6 * WEEK
    scored_days: ClassVar[int] = 30
    """Days whose deviation from the index is measured (at least 10 are needed)."""

    def fit(self, train: DayMatrix) -> Self:
        self._index = WeightedIndex(self.weeks).fit(train)
        devs = []
        for i in np.flatnonzero(train.known)[-self.scored_days:].tolist():
            before = WeightedIndex(self.weeks).fit(train.head(i))
            expected = float(before.rows[train.dates[i].weekday()].sum())
            actual = float(train.values[i].sum())
            if expected > 0 and actual > 0:
                devs.append(math.log(actual / expected))
        self._phi = self._mean = self._last = 0.0
        if len(devs) >= 10:
            d = np.asarray(devs)
            x, y = d[:-1] - d.mean(), d[1:] - d.mean()
            self._phi = float(np.clip((x * y).sum() / max(float((x * x).sum()), 1e-12), 0, 0.95))
            self._mean, self._last = float(d.mean()), float(d[-1])
        return self

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        base = self._index.predict(dates)
        ahead = np.cumsum(base.sum(axis=1) > 0)  # open days ahead; closed days keep zeros
        level = self._mean + self._phi ** ahead * (self._last - self._mean)
        return base * np.exp(level)[:, None] if self._phi > 0 else base


class Combination(_Model):
    """The mean of the structural models' forecasts (those with enough history)."""

    alias = "combination"
    members: ClassVar[tuple[str, ...]] = ("weighted_index", "topdown_ets", "topdown_uc", "mstl",
                                          "poisson_glm", "recent_level")
    min_days = 2 * WEEK

    def fit(self, train: DayMatrix) -> Self:
        usable = int(train.known.sum())
        self._fitted = [make(m, self.weeks).fit(train) for m in self.members
                        if MODELS[m].min_days <= usable]
        self._ceiling = _ceiling(train)
        return self

    def predict(self, dates: Sequence[dt.date]) -> np.ndarray:
        return combine([np.minimum(m.predict(dates), self._ceiling) for m in self._fitted])


def combine(forecasts: Sequence[np.ndarray]) -> np.ndarray:
    """The combination of members' forecasts: their mean."""
    return np.mean(np.stack(forecasts), axis=0)


MODELS: dict[str, type[VolumeModel]] = {m.alias: m for m in cast(
    "tuple[type[VolumeModel], ...]",
    (SeasonalNaive, Median4w, WeightedIndex, TopDownEts, TopDownUc, Mstl, PoissonGlm,
     RecentLevel, Combination))}
"""Every volume model by alias, simplest first; ``forecast.models: auto`` tries them all."""


def forecast_rows(alias: str, train: DayMatrix, dates: Sequence[dt.date],
                  weeks: int = 8) -> np.ndarray:
    """Fit model ``alias`` on ``train`` and forecast ``dates``, within a sanity ceiling.

    No slot is forecast above ``CEILING`` times the most it has ever had (plus one): a trend
    extrapolated from a sparse queue must not forecast millions of contacts.
    """
    return np.minimum(make(alias, weeks).fit(train).predict(dates), _ceiling(train))


def _ceiling(train: DayMatrix) -> np.ndarray:
    known = train.values[train.known]
    most = known.max(axis=0) if len(known) else np.zeros(train.slots)
    return CEILING * most + 1.0


def make(alias: str, weeks: int = 8) -> VolumeModel:
    """A fresh model; ``weeks`` is the recent history an index or profile averages over."""
    return MODELS[alias](weeks)


def _last(train: DayMatrix, weekday: int, count: int) -> np.ndarray:
    """The last ``count`` known rows of a weekday; one zero row when it has none."""
    rows = train.last_rows(weekday, count)
    return rows if len(rows) else np.zeros((1, train.slots))


def _weighted(rows: np.ndarray) -> np.ndarray:
    w = RECENT_WEIGHT ** np.arange(len(rows))[::-1]
    return np.asarray((rows * w[:, None]).sum(axis=0) / w.sum())


def _weekday_shares(train: DayMatrix, weeks: int) -> np.ndarray:
    """(weekday x slot) intraday shares: the recency-weighted mean shares of each weekday's last
    ``weeks`` known days."""
    return np.stack([_shares(_last(train, wd, weeks)) for wd in range(WEEK)])


def _shares(rows: np.ndarray) -> np.ndarray:
    totals = rows.sum(axis=1)
    ok = totals > 0
    if not ok.any():
        return np.zeros(rows.shape[1])
    shares = _weighted(rows[ok] / totals[ok, None])
    return shares / shares.sum()
