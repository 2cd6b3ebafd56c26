"""Rolling-origin backtest of the volume models at interval level, and selection by it.

Fold *k* of *K* fits every model on the days before its origin (``cutoff``) and forecasts the
``horizon`` days after it; folds do not overlap and the last one ends with the history
(Tashman 2000, "Out-of-sample tests of forecasting accuracy", *IJF* 16). Scores cover the open
intervals of ordinary days with data:

- WAPE = Σ|error| ÷ Σ actual; bias = Σ error ÷ Σ actual (positive = over-forecast);
- MASE = mean |error| ÷ the mean |y − y one week earlier| in the fold's training days
  (Hyndman & Koehler 2006, with the weekly seasonal naive as scale);
- RMSE in contacts per interval;
- coverage of the 80/95 % intervals, each fold's calibrated on the *other* folds' errors so
  that the figure is out of sample.

A combination is scored from its members' forecasts of the same fold, not refitted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm.forecast.intervals import Noise, coverage, fit_noise
from wfm.forecast.models import MODELS, Combination, combine, forecast_rows
from wfm.forecast.series import WEEK, DayMatrix

SCORE_COLUMNS = ("model", "fold", "cutoff", "horizon_days", "wape", "mase", "rmse", "bias",
                 "coverage80", "coverage95", "intervals")
LEVELS = (80, 95)

Hours = Callable[[Sequence[dt.date]], np.ndarray]
"""A channel's opening hours: for given dates, a day × slot matrix of 1 (open) and 0."""


@dataclass(frozen=True)
class _Errors:
    """One model's forecasts and actuals over the scored cells of every fold."""

    fold: np.ndarray
    mu: np.ndarray
    actual: np.ndarray
    lead_week: np.ndarray
    day_fold: np.ndarray
    day_mu: np.ndarray
    day_actual: np.ndarray
    day_lead_week: np.ndarray

    def noise(self, exclude: int | None = None) -> Noise:
        keep = self.fold != exclude
        dkeep = self.day_fold != exclude
        return fit_noise(self.mu[keep], self.mu[keep] - self.actual[keep], self.lead_week[keep],
                         self.day_mu[dkeep], self.day_mu[dkeep] - self.day_actual[dkeep],
                         self.day_lead_week[dkeep])


@dataclass(frozen=True)
class Backtest:
    """Scores per model and fold, and the errors behind them."""

    scores: pd.DataFrame
    errors: dict[str, _Errors]

    def leaderboard(self) -> pd.DataFrame:
        """Mean scores over folds per model, best (lowest WAPE) first."""
        if self.scores.empty:
            return pd.DataFrame(columns=["model", *SCORE_COLUMNS[4:], "folds"])
        g = self.scores.groupby("model")
        board = g[list(SCORE_COLUMNS[4:-1])].mean()
        board["intervals"] = g["intervals"].sum()
        board["folds"] = g.size()
        return board.sort_values("wape").reset_index()

    def best(self) -> str | None:
        """The model with the lowest mean WAPE, None when no fold was scored."""
        board = self.leaderboard()
        return None if board.empty else str(board["model"].iloc[0])

    def noise(self, model: str) -> Noise | None:
        """The model's error variance, fitted on all folds; None without errors."""
        errors = self.errors.get(model)
        return errors.noise() if errors is not None and len(errors.mu) else None


def backtest(train: DayMatrix, models: tuple[str, ...], folds: int, horizon: int,
             hours: Hours, *, weeks: int = 8) -> Backtest:
    """Score ``models`` on ``folds`` rolling origins of ``horizon`` days each.

    ``train`` has NaN rows for the days no model may learn from or be scored on; a model that
    needs more known days than a fold's history has skips that fold. Forecasts are zero and
    nothing is scored outside ``hours``.
    """
    n = len(train.dates)
    is_open = hours(train.dates) > 0  # once: every fold's history and test days are in train
    raw: dict[str, dict[str, list[np.ndarray]]] = {m: {} for m in models}
    rows = []
    for k in range(folds, 0, -1):
        cutoff = n - k * horizon
        if cutoff < WEEK:
            continue
        history = train.head(cutoff)
        actual = train.values[cutoff:cutoff + horizon]
        scored = ~np.isnan(actual).any(axis=1)
        if not scored.any():
            continue
        dates = train.dates[cutoff:cutoff + horizon]
        scale = _naive_scale(history, is_open[:cutoff])
        open_ = is_open[cutoff:cutoff + horizon]
        forecasts = _fold_forecasts(history, dates, models, open_, weeks)
        cells = open_ & scored[:, None]
        lead = (np.arange(len(dates)) // WEEK)[:, None] * np.ones_like(actual, dtype=int)
        for alias in models:
            pred = forecasts.get(alias)
            if pred is None:
                continue
            y, mu = actual[cells], pred[cells]
            err = mu - y
            denom = max(float(y.sum()), 1e-9)
            rows.append({"model": alias, "fold": k, "cutoff": train.dates[cutoff],
                         "horizon_days": horizon, "wape": float(np.abs(err).sum() / denom),
                         "mase": float(np.abs(err).mean() / scale) if scale > 0 else np.nan,
                         "rmse": float(np.sqrt(np.mean(err**2))), "bias": float(err.sum() / denom),
                         "intervals": int(cells.sum())})
            day_mu = np.where(open_, pred, 0.0).sum(axis=1)[scored]
            day_y = np.where(open_, actual, 0.0).sum(axis=1)[scored]
            store = raw[alias]
            for key, value in (("fold", np.full(len(y), k)), ("mu", mu), ("actual", y),
                               ("lead_week", lead[cells]), ("day_fold", np.full(len(day_mu), k)),
                               ("day_mu", day_mu), ("day_actual", day_y),
                               ("day_lead_week", lead[scored, 0])):
                store.setdefault(key, []).append(value)
    errors = {m: _Errors(**{k: np.concatenate(v) for k, v in parts.items()})
              for m, parts in raw.items() if parts}
    scores = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    return Backtest(_with_coverage(scores, errors), errors)


def _fold_forecasts(history: DayMatrix, dates: tuple[dt.date, ...], models: tuple[str, ...],
                    open_: np.ndarray, weeks: int) -> dict[str, np.ndarray]:
    """Each model's forecast of ``dates`` from ``history``; absent where it cannot be fitted."""
    usable = int(history.known.sum())
    wanted = set(models)
    if Combination.alias in wanted:
        wanted |= set(Combination.members)
    out: dict[str, np.ndarray] = {}
    for alias, cls in MODELS.items():  # registry order: members before their combination
        if alias not in wanted or cls.min_days > usable:
            continue
        if alias == Combination.alias:
            parts = [out[m] for m in Combination.members if m in out]
            if parts:
                out[alias] = combine(parts)
            continue
        try:
            out[alias] = forecast_rows(alias, history, dates, weeks) * open_
        except (ValueError, np.linalg.LinAlgError):
            continue  # a fit that fails on this fold's data is not scored on it
    return out


def _naive_scale(history: DayMatrix, open_: np.ndarray) -> float:
    """Mean |y − y a week earlier| over the open slots of training days where both are known:
    the same cells as the forecast errors it scales."""
    v = history.values
    if len(v) <= WEEK:
        return float("nan")
    diff = np.abs(v[WEEK:] - v[:-WEEK])
    cells = ~np.isnan(diff).any(axis=1)[:, None] & open_[WEEK:]
    return float(diff[cells].mean()) if cells.any() else float("nan")


def _with_coverage(scores: pd.DataFrame, errors: dict[str, _Errors]) -> pd.DataFrame:
    """Fill the coverage columns, calibrating each fold on the other folds of its model."""
    scores = scores.copy()
    for i, row in scores.iterrows():
        e = errors[row["model"]]
        folds = np.unique(e.fold)
        noise = e.noise(exclude=row["fold"] if len(folds) > 1 else None)
        sel = e.fold == row["fold"]
        for lv in LEVELS:
            lo, hi = noise.bounds(e.mu[sel], e.lead_week[sel], lv)
            scores.loc[i, f"coverage{lv}"] = coverage(e.actual[sel], lo, hi)
    return scores
