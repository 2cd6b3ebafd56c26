"""Forecast contact volume and AHT per channel and interval, with prediction intervals.

Method (top-down, the industry standard):

1. Daily totals per channel from the history; days with gaps, public holidays and the days
   after them are replaced by a same-weekday interpolation so that they do not distort the fit.
2. A daily model (:mod:`wfm.forecast.models`: ETS or seasonal naive), chosen per channel by a
   rolling-origin backtest when ``forecast.models`` is ``auto``, forecasts the daily totals; the
   80/95 % bounds come from the chosen model's relative errors in that backtest (the model's own
   intervals only when no fold could be scored); future special days are scaled by the factor
   learnt from past ones.
3. A recency-weighted intraday profile per weekday spreads each day over its open intervals.
4. Interval bounds combine the daily uncertainty with overdispersed-Poisson noise within the day:
   ``var_i = share_i² · var_day + phi · mean_i``, ``phi`` estimated from the history.
5. AHT per interval is the handled-weighted mean of the same weekday and time over the last
   ``forecast.history_weeks`` weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from wfm import frames as F
from wfm.config import Channel, Config
from wfm.errors import DataError
from wfm.forecast import calendar, profile
from wfm.forecast.backtest import backtest_daily, calibrated_bounds, select_model
from wfm.forecast.models import MODELS
from wfm.timegrid import Grid

FIT_DAYS = 364
"""Daily models are fitted on at most the last 52 weeks."""


@dataclass(frozen=True)
class ForecastResult:
    """A forecast: interval frame (forecast.csv), daily totals, and the backtest behind it."""

    frame: pd.DataFrame
    daily: pd.DataFrame
    backtest: pd.DataFrame
    selected: dict[str, str]


def forecast(
    history: pd.DataFrame,
    config: Config,
    grid: Grid | None = None,
    *,
    start: dt.date | None = None,
    days: int | None = None,
) -> ForecastResult:
    """Forecast every configured channel from ``start`` for ``days`` days.

    Parameters
    ----------
    history
        The frame :func:`wfm.io.history.read_history` returns.
    config
        Channels, hours, holidays and ``forecast`` settings.
    start
        First forecast day (local date); default the day after the history ends. History from
        ``start`` on is ignored, so a past week can be re-forecast and compared.
    days
        Number of days; default ``forecast.horizon_days``.
    """
    grid = grid or Grid.from_config(config)
    settings = config.forecast
    days = days or settings.horizon_days
    last_day = grid.local_day(pd.DatetimeIndex([history[F.INTERVAL_START].max()]))[0]
    start = start or last_day + dt.timedelta(days=1)
    history = history[history[F.INTERVAL_START] < grid.midnight(start)]
    frames, dailies, scores, selected = [], [], [], {}
    for name, channel in config.channels.items():
        hist = history[history[F.CHANNEL] == name]
        if hist.empty:
            raise DataError(None, f"the history has no data for channel '{name}' before {start}")
        result = _forecast_channel(hist, channel, config, grid, start, days)
        frames.append(result.frame)
        dailies.append(result.daily)
        scores.append(result.backtest.assign(channel=name))
        selected[name] = result.selected[name]
    frame = pd.concat(frames, ignore_index=True)[list(F.FORECAST_COLUMNS)]
    backtest = pd.concat(scores, ignore_index=True)
    return ForecastResult(frame, pd.concat(dailies, ignore_index=True), backtest, selected)


def _forecast_channel(hist: pd.DataFrame, channel: Channel, config: Config, grid: Grid,
                      start: dt.date, days: int) -> ForecastResult:
    settings = config.forecast
    name = channel.name
    dates = grid.local_day(pd.DatetimeIndex(hist[F.INTERVAL_START]))
    per_day = hist.groupby(dates)[F.OFFERED]
    present, rows = per_day.count(), per_day.size()
    expected = pd.Series([len(grid.intervals(d, 1)) for d in rows.index], index=rows.index)
    complete = (present == expected) & (rows == expected)  # a day with a gap is not used
    actual = per_day.sum(min_count=1).where(complete)
    actual.index = pd.Index(actual.index)
    kinds = calendar.day_kinds(grid, actual.index)
    normal = actual.where(kinds.to_numpy() == calendar.NORMAL)
    cleaned = _fill_by_weekday(normal)
    if cleaned.isna().any() or len(cleaned) < 14:
        raise DataError(None, f"channel '{name}' has {int(normal.notna().sum())} usable days of "
                        "history; at least 14 complete, ordinary days are needed")
    factors = calendar.special_day_factors(actual, cleaned, kinds)
    y = cleaned.iloc[-FIT_DAYS:]

    candidates = tuple(MODELS) if settings.models == "auto" else tuple(settings.models)
    scores = backtest_daily(y, candidates, settings.backtest_folds, min(days, 14))
    chosen = select_model(scores, candidates)
    gap_days = (start - actual.index[-1]).days - 1
    pred = MODELS[chosen]().fit(y).predict(gap_days + days, F.LEVELS).iloc[gap_days:]
    pred = calibrated_bounds(pred, scores, chosen, F.LEVELS)
    future = pd.Index([start + dt.timedelta(days=i) for i in range(days)])
    pred.index = future
    fkinds = calendar.day_kinds(grid, future)
    pred = pred.mul(fkinds.map(lambda k: factors.get(k, 1.0)).to_numpy(), axis=0)

    index = grid.intervals(start, days)
    good = set(cleaned.index[(kinds.to_numpy() == calendar.NORMAL) & normal.notna().to_numpy()])
    recent = sorted(good)[-7 * settings.history_weeks:]
    prof = profile.volume_profile(hist, set(recent), grid)
    mask = None if channel.kind == "deferred" else grid.open_mask(channel.hours, index)
    sd_day = (pred["hi95"] - pred["lo95"]) / (2 * norm.ppf(0.975))
    daily = pred[["mean"]].assign(var=sd_day**2)
    spread = profile.spread(daily, index, prof, mask, grid)
    phi = _dispersion(hist, prof, set(recent), grid)
    mean = spread["mean"].to_numpy()
    # spread() scaled the day's variance by share once; var_i needs share_i² · var_day
    sd = np.sqrt(spread["share"].to_numpy() * spread["var"].to_numpy() + phi * mean)
    out = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: name, F.VOLUME: mean})
    for lv in F.LEVELS:
        z = norm.ppf(0.5 + lv / 200)
        out[F.lo(F.VOLUME, lv)] = np.maximum(mean - z * sd, 0.0)
        out[F.hi(F.VOLUME, lv)] = np.where(mean > 0, mean + z * sd, 0.0)
    out[F.AHT_SECONDS] = _aht(hist, channel, index, recent, grid)
    out[F.MODEL] = f"{chosen}+profile"

    has_share = spread.groupby("date")["share"].sum().reindex(pred.index).fillna(0) > 0
    pred = pred.mul(has_share.to_numpy(), axis=0)  # a day with no open interval has no volume
    daily_out = pred.rename(columns={"mean": F.VOLUME, **{
        f"{b}{lv}": f"{F.VOLUME}_{b}{lv}" for lv in F.LEVELS for b in ("lo", "hi")}})
    daily_out = daily_out.rename_axis("date").reset_index().assign(channel=name, model=chosen,
                                                                  special_day=fkinds.to_numpy())
    return ForecastResult(out, daily_out, scores, {name: chosen})


def _fill_by_weekday(s: pd.Series) -> pd.Series:
    """Fill missing days by interpolating between the same weekday in neighbouring weeks."""
    out = s.copy()
    weekday = np.array([d.weekday() for d in s.index])
    for wd in range(7):
        sel = weekday == wd
        part = s[sel].reset_index(drop=True).interpolate(limit_direction="both")
        out[sel] = part.to_numpy()
    return out


def _dispersion(hist: pd.DataFrame, prof: pd.DataFrame, days: set[dt.date], grid: Grid) -> float:
    """Overdispersion phi = mean((y - mu)^2 / mu) of interval counts around day total x share."""
    local_days = pd.Index(grid.local_day(pd.DatetimeIndex(hist[F.INTERVAL_START])))
    recent = hist[np.asarray(local_days.isin(list(days)))]
    if recent.empty:
        return 1.0
    idx = pd.DatetimeIndex(recent[F.INTERVAL_START])
    dates = grid.local_day(idx)
    totals = recent.groupby(dates)[F.OFFERED].sum()
    fitted = profile.spread(totals.to_frame("mean"), idx, prof, None, grid)["mean"].to_numpy()
    y = recent[F.OFFERED].to_numpy(dtype=float)
    ok = fitted > 0.5
    if not ok.any():
        return 1.0
    return float(max(np.mean((y[ok] - fitted[ok]) ** 2 / fitted[ok]), 1.0))


def _aht(hist: pd.DataFrame, channel: Channel, index: pd.DatetimeIndex, recent: list[object],
         grid: Grid) -> np.ndarray:
    since = recent[0] if recent else None
    prof = profile.aht_profile(hist, since, grid) if since is not None else None
    values = profile.aht_for(index, prof, grid) if prof is not None and len(prof) else None
    if values is None or np.isnan(values).all():
        if channel.aht_seconds is None:
            raise DataError(None, f"the history has no aht_seconds for channel '{channel.name}'; "
                            f"add it or set channels.{channel.name}.aht_seconds in the config")
        return np.full(len(index), channel.aht_seconds)
    fallback = channel.aht_seconds or float(np.nanmean(values))
    return np.where(np.isnan(values), fallback, values)
