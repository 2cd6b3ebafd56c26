"""Forecast contact volume and AHT per channel and interval, with prediction intervals.

Per channel (channels run in parallel processes, ``forecast.workers``):

1. The history becomes a day × slot matrix (:mod:`wfm.forecast.series`). Public holidays, the
   days around them, configured events and the month edges the channel shows
   (:mod:`wfm.forecast.calendar`), days with gaps and detected outliers are left out of
   fitting.
2. Every candidate model (:mod:`wfm.forecast.models`) is scored by a rolling-origin backtest
   at interval level (:mod:`wfm.forecast.backtest`); ``forecast.models: auto`` keeps the
   combination unless the best model beats it by ``forecast.combination_margin``, and takes
   the one with the lowest relative WAPE otherwise, pooled with those within
   ``forecast.pool_tolerance`` of it (their mean, named ``a+b``). A model that needs more
   history than there is is not tried, and the result's ``notes`` say so.
3. The chosen model (or pool) forecasts the horizon; a future special day is scaled by its
   factor (learnt from its past occurrences, or the event's multiplier); closed intervals are
   zero.
4. 80/95 % bounds come from the chosen model's backtest errors (:mod:`wfm.forecast.intervals`).
5. AHT: a trended daily level × a shrunk weekday × time-of-day profile (:mod:`wfm.forecast.aht`).

With ``as_of`` (intraday re-forecast) the day's actuals so far update the rest of the day:
the day's level is a gamma-distributed multiplier of the forecast whose prior spread is the
backtest's day-level error, and Poisson counts update it conjugately,
``m = (α + actual so far) / (α + forecast so far)`` with ``α = 1 / day_kappa``.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from wfm import frames as F
from wfm.config import Channel, Config
from wfm.errors import DataError
from wfm.forecast import calendar
from wfm.forecast.aht import forecast_aht
from wfm.forecast.backtest import Backtest, Hours, backtest, pool_name, pooled
from wfm.forecast.intervals import Noise, count_bounds, fit_noise
from wfm.forecast.models import MODELS, combine, forecast_rows
from wfm.forecast.series import WEEK, DayMatrix, day_matrix, fill_by_weekday, to_intervals
from wfm.hours import MINUTES_PER_DAY
from wfm.timegrid import Grid

FALLBACK_ORDER = ("weighted_index", "median_4w", "seasonal_naive")
"""Without a scored backtest fold, the first of these with enough history is used."""


@dataclass(frozen=True)
class ForecastResult:
    """A forecast: interval frame (forecast.csv), daily and weekly totals, and its evidence."""

    frame: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    backtest: pd.DataFrame
    """Scores per channel, model and fold (:data:`wfm.forecast.backtest.SCORE_COLUMNS`)."""
    selected: dict[str, str]
    outliers: pd.DataFrame
    """Days left out as outliers: channel, date, actual, expected, ratio."""
    notes: tuple[str, ...]
    """Fallbacks and skipped models, one sentence each."""

    def frames(self) -> dict[str, pd.DataFrame]:
        """The forecast stage's output files, by name (see :data:`wfm.io.outputs.FILES`)."""
        return {"forecast": self.frame, "forecast_daily": self.daily,
                "forecast_weekly": self.weekly}


@dataclass(frozen=True)
class _Prepared:
    """One channel's history made ready for models."""

    matrix: DayMatrix
    train: DayMatrix
    factors: dict[str, float]
    outliers: pd.DataFrame
    candidates: tuple[str, ...]
    notes: tuple[str, ...]
    month_kinds: tuple[str, ...]
    """The month edges this channel's history shows (:data:`calendar.MONTH_KINDS`)."""


@dataclass(frozen=True)
class _Channel:
    frame: pd.DataFrame
    daily: pd.DataFrame
    scores: pd.DataFrame
    selected: str
    outliers: pd.DataFrame
    notes: tuple[str, ...]


def forecast(
    history: pd.DataFrame,
    config: Config,
    grid: Grid | None = None,
    *,
    start: dt.date | None = None,
    days: int | None = None,
    as_of: pd.Timestamp | None = None,
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
    as_of
        Intraday re-forecast: a time on the first forecast day (which it then sets); actuals of
        that day before it replace the forecast and update the rest of the day.
    """
    grid = grid or Grid.from_config(config)
    days = days or config.forecast.horizon_days
    if as_of is not None:
        as_of = _local(as_of, grid)
        if start is not None and start != as_of.date():
            raise ValueError(f"as_of {as_of} sets the first forecast day; start {start} differs")
        start = as_of.date()
    if history.empty:
        raise DataError(None, "the history is empty")
    last_day = grid.local_day(pd.DatetimeIndex([history[F.INTERVAL_START].max()]))[0]
    start = start or last_day + dt.timedelta(days=1)
    cut = grid.midnight(start)
    tasks = []
    for name, channel in config.channels.items():
        hist = history[history[F.CHANNEL] == name]
        before = hist[hist[F.INTERVAL_START] < cut]
        if before.empty:
            raise DataError(None, f"the history has no data for channel '{name}' before {start}")
        today = None
        if as_of is not None:
            today = hist[(hist[F.INTERVAL_START] >= cut) & (hist[F.INTERVAL_START] < as_of)]
        tasks.append((before, channel, config, grid, start, days, as_of, today))
    results = _map(_forecast_channel, tasks, config.forecast.workers)
    frame = pd.concat([r.frame for r in results], ignore_index=True)[list(F.FORECAST_COLUMNS)]
    daily = pd.concat([r.daily for r in results], ignore_index=True)
    return ForecastResult(
        frame=frame,
        daily=daily.drop(columns="day_var"),
        weekly=_weekly(daily),
        backtest=_stack([r.scores for r in results]),
        selected={str(c): r.selected for c, r in zip(config.channels, results, strict=True)},
        outliers=_stack([r.outliers for r in results]),
        notes=tuple(n for r in results for n in r.notes),
    )


@dataclass(frozen=True)
class BacktestResult:
    """``wfm backtest``: scores per channel, model and fold, and the leaderboard."""

    scores: pd.DataFrame
    leaderboard: pd.DataFrame
    """Mean over folds per channel and model, best first within a channel."""
    notes: tuple[str, ...]


def evaluate(history: pd.DataFrame, config: Config, grid: Grid | None = None, *,
             folds: int | None = None, horizon_days: int | None = None) -> BacktestResult:
    """Backtest every candidate model of every channel (rolling origin, interval level)."""
    grid = grid or Grid.from_config(config)
    settings = config.forecast
    tasks = [(history[history[F.CHANNEL] == name], channel, config, grid,
              folds or settings.backtest_folds, horizon_days or settings.backtest_horizon_days)
             for name, channel in config.channels.items()]
    results = _map(_evaluate_channel, tasks, settings.workers)
    scores = _stack([r[0].scores.assign(channel=name) for name, r in
                     zip(config.channels, results, strict=True)])
    board = _stack([r[0].leaderboard().assign(channel=name) for name, r in
                    zip(config.channels, results, strict=True)])
    first = ["channel", "model"]
    return BacktestResult(scores[first + [c for c in scores if c not in first]],
                          board[first + [c for c in board if c not in first]],
                          tuple(n for r in results for n in r[1]))


def _evaluate_channel(hist: pd.DataFrame, channel: Channel, config: Config, grid: Grid,
                      folds: int, horizon: int) -> tuple[Backtest, tuple[str, ...]]:
    if hist.empty:
        raise DataError(None, f"the history has no data for channel '{channel.name}'")
    prep = _prepare(hist, channel, config, grid)
    bt = backtest(prep.train, prep.candidates, folds, horizon, _hours(channel, grid),
                  weeks=config.forecast.history_weeks)
    return bt, prep.notes


def _prepare(hist: pd.DataFrame, channel: Channel, config: Config, grid: Grid) -> _Prepared:
    settings = config.forecast
    name = channel.name
    matrix = day_matrix(hist, grid)
    totals = matrix.totals()
    # month edges are special only where this channel's history shows them: a first pass
    # marks them all and keeps those that stand out from the weekly pattern
    month_kinds: tuple[str, ...] = calendar.MONTH_KINDS if settings.month_edges else ()
    while True:
        kinds = calendar.day_kinds(grid, list(matrix.dates), settings.events, name,
                                   month_kinds)
        normal = kinds.to_numpy() == calendar.NORMAL
        outliers = pd.DataFrame(columns=["channel", *calendar.OUTLIER_COLUMNS])
        if settings.detect_outliers:
            found = calendar.detect_outliers(totals, kinds)
            outliers = found.assign(channel=name)[["channel", *calendar.OUTLIER_COLUMNS]]
            normal &= ~pd.Index(matrix.dates).isin(list(found["date"]))
        train = matrix.masked(normal)
        expected = pd.Series(fill_by_weekday(train).sum(axis=1), index=pd.Index(matrix.dates))
        shown = calendar.significant_kinds(totals, expected, kinds, month_kinds)
        if shown == month_kinds:
            break
        month_kinds = shown
    usable = int(train.known.sum())
    if usable < WEEK:
        raise DataError(None, f"channel '{name}' has {usable} usable days of history (complete, "
                        f"ordinary days); at least {WEEK} are needed to forecast it")
    factors = calendar.special_day_factors(totals, expected, kinds, settings.events)
    wanted = tuple(MODELS) if settings.models == "auto" else tuple(settings.models)
    candidates = tuple(m for m in wanted if MODELS[m].min_days <= usable)
    notes = [f"channel '{name}': {usable} usable days; {m} needs {MODELS[m].min_days}, not tried"
             for m in wanted if m not in candidates]
    if not candidates:
        candidates = tuple(m for m in FALLBACK_ORDER if MODELS[m].min_days <= usable)[:1]
        notes.append(f"channel '{name}': falling back to {candidates[0]}")
    return _Prepared(matrix, train, factors, outliers, candidates, tuple(notes), month_kinds)


def _hours(channel: Channel, grid: Grid) -> Hours:
    """The channel's opening hours on any dates (always open for deferred work, which arrives
    around the clock and waits for opening)."""

    def hours(dates: Sequence[dt.date]) -> np.ndarray:
        if channel.kind == "deferred":
            return np.ones((len(dates), MINUTES_PER_DAY // grid.interval_minutes))
        rows = _open_rows(grid, channel, dates[0], (dates[-1] - dates[0]).days + 1)
        return rows[[(d - dates[0]).days for d in dates]]

    return hours


def _open_rows(grid: Grid, channel: Channel, first: dt.date, days: int) -> np.ndarray:
    """Opening hours of ``days`` days from ``first`` as a day × slot 0/1 matrix."""
    index = grid.intervals(first, days)
    mask = grid.open_mask(channel.hours, index)
    out = np.zeros((days, MINUTES_PER_DAY // grid.interval_minutes))
    rows = np.array([(d - first).days for d in grid.local_day(index)])
    out[rows, grid.minute_of_day(index) // grid.interval_minutes] = mask
    return out


def _forecast_channel(hist: pd.DataFrame, channel: Channel, config: Config, grid: Grid,
                      start: dt.date, days: int, as_of: pd.Timestamp | None,
                      today: pd.DataFrame | None) -> _Channel:
    settings = config.forecast
    name = channel.name
    prep = _prepare(hist, channel, config, grid)
    hours = _hours(channel, grid)
    bt = backtest(prep.train, prep.candidates, settings.backtest_folds,
                  settings.backtest_horizon_days, hours, weeks=settings.history_weeks)
    notes = list(prep.notes)
    board = bt.leaderboard()
    ranked = [m for m in board["model"] if m in prep.candidates]
    order = ranked + [m for m in (*prep.candidates, *FALLBACK_ORDER) if m not in ranked]
    pool = pooled(board, settings.pool_tolerance, settings.combination_margin)
    end = prep.train.dates[-1]
    lead_days = (start - end).days - 1 + days
    dates = [end + dt.timedelta(days=i + 1) for i in range(lead_days)]
    usable = int(prep.train.known.sum())
    for members in ([pool] if pool else []) + [(m,) for m in order]:
        if any(MODELS[m].min_days > usable for m in members):
            continue
        try:
            rows = combine([forecast_rows(m, prep.train, dates, settings.history_weeks)
                            for m in members]) * hours(dates)
            break
        except (ValueError, np.linalg.LinAlgError) as exc:
            notes.append(f"channel '{name}': {pool_name(members)} failed to fit ({exc}); "
                         "next best used")
    else:
        raise DataError(None, f"channel '{name}': no volume model could be fitted")
    chosen = pool_name(members)
    if len(members) > 1:
        bt = bt.with_pool(members)
    if not ranked:
        notes.append(f"channel '{name}': no backtest fold could be scored; {chosen} is used "
                     "without selection")
    kinds = calendar.day_kinds(grid, dates, settings.events, name, prep.month_kinds)
    rows = rows * kinds.map(lambda k: prep.factors.get(k, 1.0)).to_numpy()[:, None]
    noise = bt.noise(chosen) or _naive_noise(prep.train)

    index = grid.intervals(start, days)
    mu = to_intervals(dates, rows, index, grid)
    lead_week = np.array([((d - end).days - 1) // WEEK for d in grid.local_day(index)])
    var = noise.variance(mu, lead_week)
    model = np.full(len(index), chosen, dtype=object)
    if as_of is not None and today is not None:
        mu, var, model = _intraday(index, mu, var, model, today, as_of, noise, chosen)
    out = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: name, F.VOLUME: mu})
    for lv in F.LEVELS:
        out[F.lo(F.VOLUME, lv)], out[F.hi(F.VOLUME, lv)] = count_bounds(mu, var, lv)
    out[F.AHT_SECONDS] = forecast_aht(
        hist, set(np.array(prep.train.dates)[prep.train.known]), index, grid,
        history_weeks=settings.history_weeks, fallback_seconds=channel.aht_seconds, channel=name)
    out[F.MODEL] = model
    daily = _daily(out, grid, noise, end, kinds)
    return _Channel(out, daily, bt.scores.assign(channel=name), chosen, prep.outliers,
                    tuple(notes))


def _intraday(index: pd.DatetimeIndex, mu: np.ndarray, var: np.ndarray, model: np.ndarray,
              today: pd.DataFrame, as_of: pd.Timestamp, noise: Noise,
              chosen: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace the day's past intervals by actuals and update the rest of the day."""
    actual = today.set_index(F.INTERVAL_START)[F.OFFERED].reindex(index)
    past = np.asarray(index < as_of) & actual.notna().to_numpy()
    rest = np.asarray(index >= as_of) & (np.asarray(index.date) == as_of.date())
    seen, expected = float(actual[past].sum()), float(mu[past].sum())
    kappa = noise.day_kappa[0]
    alpha = 1.0 / kappa if kappa > 0 else np.inf
    m = 1.0 if not np.isfinite(alpha) else (alpha + seen) / (alpha + expected)
    post = 0.0 if not np.isfinite(alpha) else 1.0 / (alpha + seen)
    mu, var, model = mu.copy(), var.copy(), model.copy()
    mu[rest] *= m
    spread = max(noise.kappa[0] - kappa, 0.0) + post
    var[rest] = noise.phi * mu[rest] + spread * mu[rest] ** 2
    mu[past] = actual[past].to_numpy()
    var[past] = 0.0
    model[past] = "actual"
    model[rest] = f"{chosen}+intraday"
    return mu, var, model


def _naive_noise(train: DayMatrix) -> Noise:
    """Error spread without a backtest: half the squared week-over-week changes."""
    v = train.values
    a, b = v[WEEK:], v[:-WEEK]
    ok = ~(np.isnan(a).any(axis=1) | np.isnan(b).any(axis=1))
    if not ok.any():
        return Noise()
    mu, err = ((a + b) / 2)[ok].ravel(), ((a - b) / np.sqrt(2))[ok].ravel()
    dm, de = ((a + b) / 2)[ok].sum(axis=1), ((a - b) / np.sqrt(2))[ok].sum(axis=1)
    return fit_noise(mu, err, np.zeros(len(mu), int), dm, de, np.zeros(len(dm), int))


def _daily(frame: pd.DataFrame, grid: Grid, noise: Noise, end: dt.date,
           kinds: pd.Series) -> pd.DataFrame:
    """Day totals with bounds from the day-level error."""
    dates = grid.local_day(pd.DatetimeIndex(frame[F.INTERVAL_START]))
    g = frame.assign(date=dates).groupby("date", sort=True)
    day = g[F.VOLUME].sum()
    lead = np.array([((d - end).days - 1) // WEEK for d in day.index])
    out = pd.DataFrame({"date": day.index, "channel": frame[F.CHANNEL].iloc[0],
                        F.VOLUME: day.to_numpy()})
    var = noise.variance(day.to_numpy(), lead, day=True)
    for lv in F.LEVELS:
        out[F.lo(F.VOLUME, lv)], out[F.hi(F.VOLUME, lv)] = count_bounds(day.to_numpy(), var, lv)
    out["model"] = g[F.MODEL].last().to_numpy()  # after --as-of: the day's re-forecast
    out["special_day"] = kinds.reindex(day.index).fillna("").to_numpy()
    out["day_var"] = var
    return out


def _weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Week totals (weeks start on Monday) per channel; a week's day errors move together."""
    d = daily.assign(week=[x - dt.timedelta(days=x.weekday()) for x in daily["date"]],
                     sd=np.sqrt(daily["day_var"]))
    g = d.groupby(["channel", "week"], sort=False)
    out = g.agg(days=("date", "size"), volume=(F.VOLUME, "sum"), sd=("sd", "sum")).reset_index()
    var = out["sd"].to_numpy() ** 2
    for lv in F.LEVELS:
        out[F.lo(F.VOLUME, lv)], out[F.hi(F.VOLUME, lv)] = count_bounds(
            out[F.VOLUME].to_numpy(), np.maximum(var, out[F.VOLUME].to_numpy()), lv)
    return out.drop(columns="sd")


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-channel frames; empty ones only lend their columns."""
    full = [f for f in frames if not f.empty]
    return pd.concat(full, ignore_index=True) if full else frames[0].iloc[:0]


def _local(stamp: pd.Timestamp, grid: Grid) -> pd.Timestamp:
    """``stamp`` in the site's time zone; a naive one is site wall time, which must exist."""
    stamp = pd.Timestamp(stamp)
    if stamp.tzinfo is not None:
        return stamp.tz_convert(grid.timezone)
    local = stamp.tz_localize(grid.timezone, ambiguous="NaT", nonexistent="NaT")
    if pd.isna(local):
        raise DataError(None, f"{stamp:%Y-%m-%d %H:%M} is skipped or repeated by a DST change "
                        f"in {grid.timezone}; give it with its UTC offset, e.g. "
                        f"{stamp:%Y-%m-%dT%H:%M}+01:00")
    return local


def _map(fn, tasks: list[tuple], workers: int) -> list:  # type: ignore[no-untyped-def]
    """Run ``fn(*task)`` for every task, in a process pool when there is more than one.

    The pool forks, so a script or notebook needs no ``if __name__ == "__main__"`` guard and
    the workers start in milliseconds; where fork is unavailable the tasks run one by one.
    """
    count = min(len(tasks), workers or os.cpu_count() or 1)
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        with threadpool_limits(1):
            return [fn(*t) for t in tasks]
    ctx = multiprocessing.get_context("fork")
    with threadpool_limits(1), ProcessPoolExecutor(count, mp_context=ctx) as pool:
        futures = [pool.submit(fn, *t) for t in tasks]
        return [f.result() for f in futures]
