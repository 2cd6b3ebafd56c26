"""Intraday profiles: how a day's volume spreads over its intervals, and AHT per interval.

Both are keyed by local weekday and wall-clock minute, which makes them DST-proof: on the day
DST starts the missing hour simply has no share, and on the day it ends both 02:xx intervals
take the 02:xx share before the day is renormalised.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.timegrid import Grid

RECENT_WEIGHT = 0.85
"""Weight of a week relative to the week after it: recent weeks count more."""


def _keyed(frame: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    idx = pd.DatetimeIndex(frame[F.INTERVAL_START])
    out = frame.copy()
    out["date"] = grid.local_day(idx)
    out["weekday"] = np.asarray(idx.tz_convert(grid.timezone).day_of_week)
    out["minute"] = grid.minute_of_day(idx)
    return out


def _week_weights(dates: pd.Series, last: object) -> np.ndarray:
    age_weeks = (pd.Timestamp(str(last)) - pd.to_datetime(dates.astype(str))).dt.days // 7
    return np.power(RECENT_WEIGHT, np.asarray(age_weeks, dtype=float))


def volume_profile(history: pd.DataFrame, good_days: set[dt.date], grid: Grid) -> pd.DataFrame:
    """Recency-weighted share of the day's volume per (weekday, minute), from ``good_days`` only.

    Returns a frame indexed by (weekday, minute) with column ``share``; shares of each weekday
    sum to 1 where that weekday has any volume.
    """
    h = _keyed(history, grid)
    h = h[h["date"].isin(good_days)]
    totals = h.groupby("date")[F.OFFERED].transform("sum")
    h = h[totals > 0]
    h = h.assign(day_share=h[F.OFFERED] / totals[totals > 0],
                 w=_week_weights(h["date"], max(good_days) if good_days else None))
    g = h.assign(ws=h["day_share"] * h["w"]).groupby(["weekday", "minute"])
    prof = (g["ws"].sum() / g["w"].sum()).rename("share").to_frame()
    sums = prof.groupby(level="weekday")["share"].transform("sum")
    prof["share"] = prof["share"] / sums.where(sums > 0, 1.0)
    return prof


def spread(daily: pd.DataFrame, index: pd.DatetimeIndex, profile: pd.DataFrame,
           open_mask: np.ndarray | None, grid: Grid) -> pd.DataFrame:
    """Spread daily totals (and their bounds) over the intervals of ``index``.

    ``daily`` is indexed by local date; every interval gets its day's value times its share,
    with shares renormalised per day over the open intervals (``open_mask``; None = all).
    Returns the per-interval ``share`` and the day's ``date`` beside each column of ``daily``.
    """
    keys = pd.MultiIndex.from_arrays(
        [np.asarray(index.tz_convert(grid.timezone).day_of_week), grid.minute_of_day(index)],
        names=["weekday", "minute"],
    )
    share = profile["share"].reindex(keys).fillna(0.0).to_numpy()
    if open_mask is not None:
        share = np.where(open_mask, share, 0.0)
    dates = grid.local_day(index)
    day_sum = pd.Series(share).groupby(dates).transform("sum").to_numpy()
    share = np.divide(share, day_sum, out=np.zeros_like(share), where=day_sum > 0)
    out = pd.DataFrame({"date": dates, "share": share}, index=index)
    values = daily.reindex(pd.Index(dates)).to_numpy()
    for j, col in enumerate(daily.columns):
        out[col] = values[:, j] * share
    return out


def aht_profile(history: pd.DataFrame, since: object, grid: Grid) -> pd.DataFrame:
    """Handled-weighted mean AHT per (weekday, minute) over history from ``since``.

    Returns a frame indexed by (weekday, minute) with ``aht_seconds``; also the all-weekday
    mean per minute (weekday = -1) and the overall mean (weekday = -1, minute = -1) as fallbacks.
    """
    h = _keyed(history, grid)
    h = h[(h["date"] >= since) & h[F.AHT_SECONDS].notna() & (h[F.HANDLED].fillna(0) > 0)]
    if h.empty:
        return pd.DataFrame({"aht_seconds": []},
                            index=pd.MultiIndex.from_arrays([[], []], names=["weekday", "minute"]))
    h = h.assign(work=h[F.AHT_SECONDS] * h[F.HANDLED])
    by_day = h.groupby(["weekday", "minute"])[["work", F.HANDLED]].sum()
    by_min = h.groupby("minute")[["work", F.HANDLED]].sum()
    by_min.index = pd.MultiIndex.from_arrays([np.full(len(by_min), -1), by_min.index],
                                             names=["weekday", "minute"])
    total = h[["work", F.HANDLED]].sum().to_frame().T
    total.index = pd.MultiIndex.from_tuples([(-1, -1)], names=["weekday", "minute"])
    allp = pd.concat([by_day, by_min, total])
    return (allp["work"] / allp[F.HANDLED]).rename("aht_seconds").to_frame()


def aht_for(index: pd.DatetimeIndex, profile: pd.DataFrame, grid: Grid) -> np.ndarray:
    """AHT for each interval: weekday-and-minute value, else minute value, else overall mean."""
    wd = np.asarray(index.tz_convert(grid.timezone).day_of_week)
    minute = grid.minute_of_day(index)
    s = profile["aht_seconds"]
    exact = s.reindex(pd.MultiIndex.from_arrays([wd, minute])).to_numpy()
    by_min = s.reindex(pd.MultiIndex.from_arrays([np.full(len(wd), -1), minute])).to_numpy()
    overall = s.get((-1, -1), np.nan)
    return np.where(np.isnan(exact), np.where(np.isnan(by_min), overall, by_min), exact)
