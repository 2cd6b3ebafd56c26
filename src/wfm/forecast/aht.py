"""Average handle time (AHT) per channel and interval: a trended daily level times a profile.

Model, for interval *i* on local day *d*, weekday *w* and wall-clock minute *m*::

    aht_i = level_d × ratio(w, m)

*Level.* Each usable day's handled-weighted mean AHT is divided by the day's expected profile
ratio (its mix of weekdays and hours), which leaves a weekday-free level series. Its last
``LEVEL_WEEKS`` weeks (gaps interpolated over calendar days) are forecast with additive
damped-trend exponential smoothing, statsmodels' ``ETSModel(error="add", trend="add",
damped_trend=True)``: AHT drifts slowly (new staff, new products), and damping stops a trend
fitted on a few months from running on for the whole horizon (Gardner & McKenzie 1985,
*Forecasting trends in time series*; McKenzie & Gardner 2010, *Damped trend exponential
smoothing: a modelling viewpoint*; Hyndman & Athanasopoulos, *FPP3*, § 8.2). The forecast
stays within ``LEVEL_BOUNDS`` of the last week's level and at least ``MIN_AHT_SECONDS``; with
fewer than ``MIN_TREND_DAYS`` usable days the level is the plain handled-weighted mean.

*Profile.* Each interval's AHT is divided by its week-centred level (a 7-day handled-weighted
mean, so weekday effects stay in the ratio), clipped to ``RATIO_CAP``, and the ratios are
averaged per (weekday, minute) over the last ``history_weeks`` weeks, weighted by contacts
handled. A weekday-minute cell holds a few dozen contacts at best, so its raw mean is noisy
(the old per-cell means were); it is shrunk toward a prior with weight ``n / (n + k)``, ``n``
being the contacts behind it and ``k = SHRINK_CONTACTS`` (empirical Bayes, in the spirit of
James & Stein 1961; Efron & Morris 1975). The prior is the minute's all-weekday ratio times the
weekday's factor (indirectly standardised, so a weekday's hours are not counted twice); both
are shrunk toward 1 the same way. A minute never seen gets the weekday factor alone.

Keys are local weekday and wall-clock minute, which makes the profile DST-proof.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Collection

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from wfm import frames as F
from wfm.errors import DataError
from wfm.timegrid import Grid

SHRINK_CONTACTS = 200.0
"""Prior strength in handled contacts: a cell with this many contacts gets half its own ratio."""
LEVEL_WEEKS = 26
"""The daily level is fitted on at most this many weeks (or ``history_weeks`` if longer)."""
MIN_TREND_DAYS = 14
"""With fewer usable days the level is the handled-weighted mean, without a trend."""
RECENT_DAYS = 7
"""The forecast level is bounded relative to the level of the last this many usable days."""
LEVEL_BOUNDS = (0.5, 2.0)
"""A damped trend may move the level at most to these multiples of the recent level."""
MIN_AHT_SECONDS = 1.0
"""No forecast AHT is below this."""
RATIO_CAP = 10.0
"""An interval's AHT beyond 10× (or under 1/10 of) its week's level is a recording error, such as
a stuck call, not a pattern: its ratio is clipped so one row cannot swamp a thin cell."""


def forecast_aht(history: pd.DataFrame, usable_days: Collection[dt.date], index: pd.DatetimeIndex,
                 grid: Grid, *, history_weeks: int, fallback_seconds: float | None,
                 channel: str) -> np.ndarray:
    """AHT in seconds for each interval of ``index``, from one channel's history.

    Parameters
    ----------
    history
        One channel's history rows (``interval_start``, ``handled``, ``aht_seconds``, …).
    usable_days
        Local dates that are ordinary (no holiday, outlier or gap); only they are used.
    index
        Future interval starts, tz-aware.
    grid
        The site's grid (time zone).
    history_weeks
        Weeks of usable days behind the profile.
    fallback_seconds
        AHT used everywhere when the history has none for the channel.
    channel
        The channel's name, for the error message.

    Returns
    -------
    np.ndarray
        One finite AHT ≥ ``MIN_AHT_SECONDS`` per interval.

    Raises
    ------
    DataError
        If the history has no AHT for the channel and ``fallback_seconds`` is None.
    """
    rows = _rows(history, grid)
    usable = rows[rows["date"].isin(set(usable_days))]
    rows = usable if len(usable) else rows  # AHT only on unusual days still beats none at all
    if rows.empty:
        if fallback_seconds is None:
            raise DataError(None, f"the history has no aht_seconds for channel '{channel}'; "
                            f"add it or set channels.{channel}.aht_seconds in the config")
        return np.full(len(index), float(fallback_seconds))

    days = rows.groupby("date")[["work", "h"]].sum()
    days.index = pd.DatetimeIndex(days.index)
    calendar = days.asfreq("D", fill_value=0.0)
    week = calendar.rolling(7, center=True, min_periods=1).sum()
    week_level = (week["work"] / week["h"]).reindex(pd.DatetimeIndex(rows["date"])).to_numpy()
    rows = rows.assign(q=np.clip(rows["aht"] / week_level, 1 / RATIO_CAP, RATIO_CAP))

    last = days.index[-1]
    since = last - pd.Timedelta(days=7 * max(history_weeks, 1) - 1)
    cells, minutes, weekdays = _profile(rows[pd.DatetimeIndex(rows["date"]) >= since])

    since = last - pd.Timedelta(days=7 * max(LEVEL_WEEKS, history_weeks) - 1)
    rows = rows[pd.DatetimeIndex(rows["date"]) >= since]
    rows = rows.assign(qh=_ratio(rows["weekday"], rows["minute"], cells, minutes, weekdays)
                       * rows["h"])
    days = rows.groupby("date")[["work", "h", "qh"]].sum()
    level = days["work"] / days["qh"]  # the day's AHT over the ratio its handled mix expects
    level.index = pd.DatetimeIndex(level.index)

    local = index.tz_convert(grid.timezone)
    ahead = np.asarray((local.normalize().tz_localize(None) - last).days)
    ahead = np.clip(ahead, 1, None)
    levels = _level(level, days["h"].to_numpy(), int(ahead.max(initial=1)))[ahead - 1]
    ratio = _ratio(np.asarray(local.day_of_week), grid.minute_of_day(index),
                   cells, minutes, weekdays)
    return np.maximum(levels * ratio, MIN_AHT_SECONDS)


def _rows(history: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Rows with AHT and handled contacts, keyed by local date, weekday and minute."""
    aht = history[F.AHT_SECONDS].to_numpy(dtype=float)
    h = history[F.HANDLED].to_numpy(dtype=float)
    ok = np.isfinite(aht) & np.isfinite(h) & (h > 0)
    idx = pd.DatetimeIndex(history[F.INTERVAL_START])[ok]
    return pd.DataFrame({
        "date": grid.local_day(idx),
        "weekday": np.asarray(idx.tz_convert(grid.timezone).day_of_week),
        "minute": grid.minute_of_day(idx),
        "aht": aht[ok], "h": h[ok], "work": aht[ok] * h[ok],
    }).sort_values("date", kind="stable")


def _shrink(ratio: pd.Series, n: pd.Series, prior: pd.Series | float) -> pd.Series:
    """Empirical-Bayes mean: ``(n · ratio + k · prior) / (n + k)``."""
    return (n * ratio + SHRINK_CONTACTS * prior) / (n + SHRINK_CONTACTS)


def _profile(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Shrunk ratios per (weekday, minute) cell and per minute, and the weekday factors."""
    g = rows.assign(qh=rows["q"] * rows["h"])
    cell = g.groupby(["weekday", "minute"])[["qh", "h"]].sum()
    by_min = cell.groupby(level="minute")[["qh", "h"]].sum()
    minutes = _shrink(by_min["qh"] / by_min["h"], by_min["h"], 1.0)
    expected = minutes.reindex(cell.index.get_level_values("minute")).to_numpy() * cell["h"]
    by_wd = cell.assign(e=expected).groupby(level="weekday")[["qh", "e", "h"]].sum()
    weekdays = _shrink(by_wd["qh"] / by_wd["e"], by_wd["h"], 1.0)
    wd_factor = weekdays.reindex(cell.index.get_level_values("weekday")).to_numpy()
    prior = expected / cell["h"] * wd_factor
    cells = _shrink(cell["qh"] / cell["h"], cell["h"], prior)
    return cells, minutes, weekdays


def _ratio(weekday: pd.Series | np.ndarray, minute: pd.Series | np.ndarray, cells: pd.Series,
           minutes: pd.Series, weekdays: pd.Series) -> np.ndarray:
    """Profile ratio per interval; an unseen cell falls back to minute ratio × weekday factor."""
    wd, m = np.asarray(weekday), np.asarray(minute)
    exact = cells.reindex(pd.MultiIndex.from_arrays([wd, m])).to_numpy()
    prior = minutes.reindex(m).fillna(1.0).to_numpy() * weekdays.reindex(wd).fillna(1.0).to_numpy()
    return np.where(np.isnan(exact), prior, exact)


def _level(level: pd.Series, handled: np.ndarray, steps: int) -> np.ndarray:
    """Daily level for 1 … ``steps`` days after the last: damped-trend ETS, bounded."""
    recent = float(np.average(level.to_numpy()[-RECENT_DAYS:], weights=handled[-RECENT_DAYS:]))
    flat = np.full(steps, float(np.average(level.to_numpy(), weights=handled)))
    if len(level) < MIN_TREND_DAYS:
        return np.maximum(flat, MIN_AHT_SECONDS)
    y = level.asfreq("D").interpolate(method="time")
    if float(y.std()) <= 1e-9 * abs(float(y.mean())):
        pred = np.full(steps, float(y.iloc[-1]))
    else:
        series = pd.Series(y.to_numpy(), index=pd.RangeIndex(len(y)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence noise on short or flat series
                fit = ETSModel(series, error="add", trend="add", damped_trend=True,
                               initialization_method="heuristic").fit(disp=False)
                pred = np.asarray(fit.forecast(steps), dtype=float)
        except (ValueError, np.linalg.LinAlgError):  # a degenerate series: no trend to find
            pred = flat
        pred = np.where(np.isfinite(pred), pred, flat)
    lo, hi = LEVEL_BOUNDS
    return np.maximum(np.clip(pred, lo * recent, hi * recent), MIN_AHT_SECONDS)
