"""Daily volume models: each offers ``fit(y) -> self`` and ``predict(horizon, levels) -> frame``.

A model sees one channel's daily totals (a float Series indexed by local date, no missing values:
the orchestrator has already replaced special days and gaps) and forecasts the next ``horizon``
days with prediction intervals. The intraday profile turns daily totals into intervals later
(:mod:`wfm.forecast.profile`); selection and backtesting live in :mod:`wfm.forecast.backtest`.
"""

from __future__ import annotations

import warnings
from typing import Protocol, Self

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

WEEK = 7


class VolumeModel(Protocol):
    """The interface every daily volume model offers."""

    alias: str

    def fit(self, y: pd.Series) -> Self:
        """Fit to daily totals ``y`` (index: consecutive dates)."""
        ...

    def predict(self, horizon: int, levels: tuple[int, ...]) -> pd.DataFrame:
        """Columns ``mean`` and ``lo{L}``/``hi{L}`` per level, one row per day ahead."""
        ...


def _bounds(mean: np.ndarray, sd: np.ndarray, levels: tuple[int, ...]) -> pd.DataFrame:
    out = {"mean": np.maximum(mean, 0.0)}
    for lv in levels:
        z = norm.ppf(0.5 + lv / 200)
        out[f"lo{lv}"] = np.maximum(mean - z * sd, 0.0)
        out[f"hi{lv}"] = np.maximum(mean + z * sd, 0.0)
    return pd.DataFrame(out)


class SeasonalNaive:
    """Same weekday last week; intervals from the spread of past week-over-week errors.

    The h-step error of a seasonal random walk grows with the number of seasons ahead,
    ``sd_h = sd_1 * sqrt(ceil(h / 7))`` (Hyndman & Athanasopoulos, *Forecasting: Principles and
    Practice*, 3rd ed., §5.5).
    """

    alias = "seasonal_naive"

    def fit(self, y: pd.Series) -> Self:
        values = np.asarray(y, dtype=float)
        if len(values) < 2 * WEEK:
            raise ValueError(f"seasonal naive needs at least {2 * WEEK} days, got {len(values)}")
        self._last_week = values[-WEEK:]
        errors = values[WEEK:] - values[:-WEEK]
        self._sd = float(np.std(errors[-8 * WEEK:], ddof=1))
        return self

    def predict(self, horizon: int, levels: tuple[int, ...]) -> pd.DataFrame:
        h = np.arange(horizon)
        mean = self._last_week[h % WEEK]
        sd = self._sd * np.sqrt(h // WEEK + 1)
        return _bounds(mean, sd, levels)


class Ets:
    """Exponential smoothing (Holt-Winters) with damped additive trend and weekly seasonality.

    statsmodels' ``ETSModel`` (error=add, trend=add damped, seasonal=add, period 7) fitted by
    maximum likelihood; prediction intervals are the model's analytic ones (Hyndman et al.,
    *Forecasting with Exponential Smoothing*, 2008, ch. 6).
    """

    alias = "ets"

    def fit(self, y: pd.Series) -> Self:
        values = np.asarray(y, dtype=float)
        if len(values) < 4 * WEEK:
            raise ValueError(f"ETS needs at least {4 * WEEK} days, got {len(values)}")
        series = pd.Series(values, index=pd.RangeIndex(len(values)))
        model = ETSModel(series, error="add", trend="add", damped_trend=True, seasonal="add",
                         seasonal_periods=WEEK)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            self._result = model.fit(disp=False, maxiter=200)
        return self

    def predict(self, horizon: int, levels: tuple[int, ...]) -> pd.DataFrame:
        n = self._result.nobs
        pred = self._result.get_prediction(start=n, end=n + horizon - 1)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        sd = np.sqrt(np.asarray(pred.var_pred_mean, dtype=float))
        return _bounds(mean, sd, levels)


MODELS: dict[str, type[SeasonalNaive] | type[Ets]] = {"seasonal_naive": SeasonalNaive, "ets": Ets}
"""Every daily model by alias; ``forecast.models: auto`` chooses among all of them."""
