"""Rolling-origin backtest of daily volume models, and selection by it.

Folds are non-overlapping: fold *k* of *K* fits on everything before its ``cutoff`` and is
scored on the ``horizon`` days after it; the last fold ends with the series (Tashman 2000,
"Out-of-sample tests of forecasting accuracy", IJF 16).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from wfm.forecast.models import MODELS

MIN_TRAIN_DAYS = 28


def backtest_daily(
    y: pd.Series, models: tuple[str, ...], folds: int, horizon: int
) -> pd.DataFrame:
    """Score each model on ``folds`` rolling origins of ``horizon`` days each.

    Returns one row per model and fold: ``model, cutoff, horizon_days, wape, bias, rel_rmse``
    where WAPE = sum |error| / sum actual, bias = sum error / sum actual (positive =
    over-forecast) and rel_rmse = sqrt(mean((error / actual)²)) over the days with volume (the
    spread that calibrates prediction intervals). Folds that would leave fewer than 28 training
    days are skipped.
    """
    rows = []
    n = len(y)
    for k in range(folds, 0, -1):
        cutoff = n - k * horizon
        if cutoff < MIN_TRAIN_DAYS:
            continue
        actual = y.iloc[cutoff:cutoff + horizon].to_numpy(dtype=float)
        denom = max(float(actual.sum()), 1e-9)
        for name in models:
            try:
                pred = MODELS[name]().fit(y.iloc[:cutoff]).predict(horizon, ())["mean"].to_numpy()
            except ValueError:
                continue  # not enough data for this model at this origin
            err = pred - actual
            busy = actual > 0
            rel = err[busy] / actual[busy]
            rows.append({"model": name, "cutoff": y.index[cutoff], "horizon_days": horizon,
                         "wape": float(np.abs(err).sum() / denom),
                         "bias": float(err.sum() / denom),
                         "rel_rmse": float(np.sqrt(np.mean(rel**2))) if busy.any() else np.nan})
    return pd.DataFrame(rows, columns=["model", "cutoff", "horizon_days", "wape", "bias",
                                       "rel_rmse"])


def calibrated_bounds(pred: pd.DataFrame, scores: pd.DataFrame, model: str,
                      levels: tuple[int, ...]) -> pd.DataFrame:
    """Replace a model's own bounds by ones from its backtest errors (empirical calibration).

    ``sd = rel_rmse × mean`` with ``rel_rmse`` pooled over the model's folds; normal quantiles.
    Returns ``pred`` unchanged when the backtest scored no fold for ``model``.
    """
    rel = scores.loc[scores["model"] == model, "rel_rmse"].dropna()
    if rel.empty:
        return pred
    sd = float(np.sqrt(np.mean(rel**2))) * pred["mean"].to_numpy()
    out = pred.copy()
    for lv in levels:
        z = norm.ppf(0.5 + lv / 200)
        out[f"lo{lv}"] = np.maximum(out["mean"] - z * sd, 0.0)
        out[f"hi{lv}"] = out["mean"] + z * sd
    return out


def select_model(scores: pd.DataFrame, candidates: tuple[str, ...]) -> str:
    """The candidate with the lowest mean WAPE; the first candidate if nothing was scored."""
    if scores.empty:
        return candidates[0]
    mean = scores.groupby("model")["wape"].mean()
    return str(mean.idxmin())
