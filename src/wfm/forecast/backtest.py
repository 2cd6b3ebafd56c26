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

Selection ranks models by **relative WAPE**: the geometric mean over folds of the model's WAPE
divided by the fold's median WAPE over all models. Fold difficulty varies far more than models
differ (on the fpp3 bank one week's WAPE is 3 %, another's 14 %, for every model alike), so a
plain mean of WAPEs is decided by the hardest weeks; a geometric mean of ratios to a per-fold
benchmark is not (Davydenko & Fildes 2013, "Measuring forecasting accuracy: the case of
judgmental adjustments to SKU-level demand forecasts", *IJF* 29, their AvgRelMAE). The models
within a tolerance of the best are then **pooled**, their forecasts averaged: when the backtest
cannot tell models apart, their mean is safer than either (Kourentzes, Barrow & Petropoulos
2019, "Another look at forecast selection and combination: evidence from forecast pooling",
*IJPE* 209).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm.forecast.intervals import Noise, coverage, fit_noise
from wfm.forecast.models import MODELS, Combination, combine, forecast_rows
from wfm.forecast.series import WEEK, DayMatrix

SCORE_COLUMNS = ("model", "fold", "cutoff", "horizon_days", "wape", "mase", "rmse", "bias",
                 "coverage80", "coverage95", "intervals")
POOL_SEPARATOR = "+"
"""Joins the members' names in a pooled forecast's name: ``recent_level+weighted_index``."""
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

    @classmethod
    def mean(cls, members: Sequence[_Errors]) -> _Errors:
        """The errors of the members' mean forecast, over the folds every member has.

        Within a fold every model is scored on the same cells in the same order, so the
        members' arrays align once cut to the shared folds."""
        shared = set.intersection(*(set(np.unique(e.fold).tolist()) for e in members))
        cells = [np.isin(e.fold, list(shared)) for e in members]
        days = [np.isin(e.day_fold, list(shared)) for e in members]
        first, keep, dkeep = members[0], cells[0], days[0]
        return cls(fold=first.fold[keep],
                   mu=np.mean([e.mu[c] for e, c in zip(members, cells, strict=True)], axis=0),
                   actual=first.actual[keep], lead_week=first.lead_week[keep],
                   day_fold=first.day_fold[dkeep],
                   day_mu=np.mean([e.day_mu[d] for e, d in zip(members, days, strict=True)],
                                  axis=0),
                   day_actual=first.day_actual[dkeep], day_lead_week=first.day_lead_week[dkeep])

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
    scales: dict[int, float]
    """Each fold's MASE scale (mean |y − y a week earlier| in its training days)."""

    def leaderboard(self) -> pd.DataFrame:
        """Mean scores over folds per model and the relative WAPE, best (lowest) first."""
        if self.scores.empty:
            return pd.DataFrame(columns=["model", "relative_wape", *SCORE_COLUMNS[4:], "folds"])
        g = self.scores.groupby("model")
        board = g[list(SCORE_COLUMNS[4:-1])].mean()
        board["intervals"] = g["intervals"].sum()
        board["folds"] = g.size()
        board.insert(0, "relative_wape", relative_wape(self.scores))
        return board.sort_values(["relative_wape", "wape"]).reset_index()

    def pool(self, tolerance: float) -> tuple[str, ...]:
        """The models whose relative WAPE is within ``tolerance`` of the best's (:func:`pooled`)."""
        return pooled(self.leaderboard(), tolerance)

    def with_pool(self, members: Sequence[str]) -> Backtest:
        """This backtest with the members' mean forecast scored as one more model, named
        :func:`pool_name`, on the folds every member has."""
        name = pool_name(members)
        if name in self.errors:
            return self
        e = _Errors.mean([self.errors[m] for m in members])
        first = self.scores[self.scores["model"] == members[0]].set_index("fold")
        rows = [_score_row(name, k, first.loc[k, "cutoff"], int(first.loc[k, "horizon_days"]),
                           e.mu[e.fold == k], e.actual[e.fold == k], self.scales[k])
                for k in sorted(np.unique(e.fold).tolist(), reverse=True)]
        pooled = _with_coverage(pd.DataFrame(rows, columns=list(SCORE_COLUMNS)), {name: e})
        return Backtest(pd.concat([self.scores, pooled], ignore_index=True),
                        {**self.errors, name: e}, self.scales)

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
    scales: dict[int, float] = {}
    for k in range(folds, 0, -1):
        cutoff = n - k * horizon
        if cutoff < WEEK:
            continue
        history = train.head(cutoff)
        actual = train.values[cutoff:cutoff + horizon]
        scored = ~np.isnan(actual).any(axis=1)
        open_ = is_open[cutoff:cutoff + horizon]
        cells = open_ & scored[:, None]
        if not cells.any():  # e.g. a week whose open days are all holidays or month edges
            continue
        dates = train.dates[cutoff:cutoff + horizon]
        scale = _naive_scale(history, is_open[:cutoff])
        forecasts = _fold_forecasts(history, dates, models, open_, weeks)
        lead = (np.arange(len(dates)) // WEEK)[:, None] * np.ones_like(actual, dtype=int)
        scales[k] = scale
        for alias in models:
            pred = forecasts.get(alias)
            if pred is None:
                continue
            y, mu = actual[cells], pred[cells]
            rows.append(_score_row(alias, k, train.dates[cutoff], horizon, mu, y, scale))
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
    return Backtest(_with_coverage(scores, errors), errors, scales)


def pool_name(members: Sequence[str]) -> str:
    """The name of the members' mean forecast (a single model keeps its own name)."""
    return POOL_SEPARATOR.join(members)


def pooled(board: pd.DataFrame, tolerance: float,
           combination_margin: float = 0.0) -> tuple[str, ...]:
    """The models of a leaderboard (best first) whose relative WAPE is within ``tolerance`` (a
    fraction) of the best's, best first; empty for an empty board.

    The combination, when it is on the board, is kept alone unless the best model's relative
    WAPE is more than ``combination_margin`` (a fraction) below its own: a short backtest
    picks the model that fitted the last weeks best more often than the one that will forecast
    the next best, and a combination of models rarely loses by much (the "forecast combination
    puzzle", Claeskens, Magnus, Vasnev & Wang 2016, *IJF* 32).
    """
    if board.empty:
        return ()
    rel = board["relative_wape"].to_numpy()
    models = board["model"].to_numpy()
    own = rel[models == Combination.alias]
    if combination_margin > 0 and len(own) and rel[0] >= own[0] * (1 - combination_margin):
        return (Combination.alias,)
    return tuple(models[rel <= rel[0] * (1 + tolerance)])


def pool_members(name: str) -> tuple[str, ...]:
    """The models a (pooled) forecast's name is made of."""
    return tuple(name.split(POOL_SEPARATOR))


def relative_wape(scores: pd.DataFrame) -> pd.Series:
    """Per model, the geometric mean over its folds of WAPE ÷ the fold's median WAPE over all
    models scored on it: below 1 beats the typical model on the typical fold."""
    wape = scores["wape"].clip(lower=1e-9)
    ratio = (wape / wape.groupby(scores["fold"]).transform("median")).map(math.log)
    return ratio.groupby(scores["model"]).mean().map(math.exp)


def _score_row(alias: str, fold: int, cutoff: dt.date, horizon: int, mu: np.ndarray,
               y: np.ndarray, scale: float) -> dict[str, object]:
    """One model's scores on one fold (coverage is filled in later)."""
    err = mu - y
    denom = max(float(y.sum()), 1e-9)
    return {"model": alias, "fold": fold, "cutoff": cutoff, "horizon_days": horizon,
            "wape": float(np.abs(err).sum() / denom),
            "mase": float(np.abs(err).mean() / scale) if scale > 0 else np.nan,
            "rmse": float(np.sqrt(np.mean(err**2))), "bias": float(err.sum() / denom),
            "intervals": len(y)}


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
