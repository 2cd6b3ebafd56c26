"""``wfm forecast`` and ``wfm backtest``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich import box
from rich.table import Table

from wfm import frames as F
from wfm.cli.base import (
    FC,
    cli,
    config_option,
    date_option,
    err,
    number,
    out,
    required_path,
)
from wfm.config import load_config


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return pd.Timestamp(dt.datetime.fromisoformat(value))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date and time (expected "
                                 "YYYY-MM-DDTHH:MM, site time unless an offset is given)") from None


def history_option(f: FC) -> FC:
    """``--history FILE``, defaulting to the config's ``history``."""
    return click.option("--history", "history_path",
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="history.csv [default: the config's 'history'].")(f)


@cli.command()
@config_option
@history_option
@date_option("--start", "First forecast day [default: the day after the history ends].")
@click.option("--days", type=click.IntRange(1, 56), help="Days to forecast, 1–56 [default: the "
              "config's forecast.horizon_days].")
@click.option("--as-of", "as_of", callback=_as_of, metavar="YYYY-MM-DDTHH:MM",
              help="Intraday re-forecast: the day's actuals before this time (in the history) "
              "replace the forecast and update the rest of the day; the forecast starts that "
              "day.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="forecast.csv to write; daily and weekly totals go beside it as "
              "NAME_daily.csv and NAME_weekly.csv.")
def forecast(config_path: Path, history_path: Path | None, start: dt.date | None,
             days: int | None, as_of: pd.Timestamp | None, out_path: Path) -> None:
    """Forecast volume and AHT per channel and interval, with 80/95 % intervals.

    Each channel's model is chosen by a rolling-origin backtest (forecast.models: auto; models
    the backtest cannot tell apart are averaged, shown as a+b), public
    holidays and configured events are scaled by their learnt factors, and outlier days in the
    history are listed and left out of fitting.

    \b
    Example:
      wfm forecast --config configs/example.yaml --out out/forecast.csv
      wfm forecast --config configs/example.yaml --as-of 2026-12-07T11:00 \\
                   --days 1 --out out/today.csv
    """
    from wfm.forecast import forecast as run_forecast
    from wfm.forecast.backtest import pool_members
    from wfm.io.export import write_frame

    config = load_config(config_path)
    history = _history(config, history_path)
    if as_of is not None and start is not None:
        raise click.UsageError("--as-of sets the first forecast day; leave out --start")
    with err.status("forecasting…"):
        result = run_forecast(history, config, start=start, days=days, as_of=as_of)
    stem = out_path.with_suffix("")
    write_frame(result.frame, out_path)
    write_frame(result.daily[list(F.FORECAST_DAILY_COLUMNS)], Path(f"{stem}_daily.csv"))
    write_frame(result.weekly[list(F.FORECAST_WEEKLY_COLUMNS)], Path(f"{stem}_weekly.csv"))
    table = Table(title=f"Forecast → {out_path}")
    for col in ("channel", "model", "days", "volume", "WAPE", "80 % cover"):
        table.add_column(col, justify="left" if col in ("channel", "model") else "right")
    scores = result.backtest.groupby(["channel", "model"])[["wape", "coverage80"]].mean()
    for ch, g in result.daily.groupby("channel", sort=False):
        model = result.selected[str(ch)]
        key = (str(ch), model)
        row = scores.loc[[key]].iloc[0] if key in scores.index else None
        table.add_row(str(ch), " + ".join(pool_members(model)), str(len(g)),
                      f"{g[F.VOLUME].sum():,.0f}",
                      number(None if row is None else row["wape"], ".1%"),
                      number(None if row is None else row["coverage80"], ".0%"))
    out.print(table)
    out.print("WAPE and cover: the chosen model's rolling-origin backtest (wfm backtest); "
              "a + b: the mean of models the backtest could not tell apart")
    _print_outliers(result.outliers)
    for note in result.notes:
        out.print(f"note: {note}")


def _history(config: Any, history_path: Path | None) -> pd.DataFrame:
    from wfm.io.history import read_history

    path = history_path or required_path(config.history, "history", "--history")
    with err.status("reading history…"):
        history, _report = read_history(path, config)
    return history


def _print_outliers(outliers: pd.DataFrame) -> None:
    if outliers.empty:
        return
    table = Table(title="Outlier days left out of fitting")
    for col in ("channel", "date", "actual", "expected", "ratio"):
        table.add_column(col, justify="left" if col in ("channel", "date") else "right")
    for rec in outliers.to_dict("records"):
        table.add_row(str(rec["channel"]), str(rec["date"]), f"{rec['actual']:,.0f}",
                      f"{rec['expected']:,.0f}", f"{rec['ratio']:.2f}")
    out.print(table)


@cli.command()
@config_option
@history_option
@click.option("--folds", type=click.IntRange(1, 52), help="Rolling origins [default: the "
              "config's forecast.backtest_folds].")
@click.option("--horizon-days", type=click.IntRange(1, 56), help="Days forecast from each "
              "origin [default: the config's forecast.backtest_horizon_days].")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="backtest.csv to write: one row per channel, model and fold.")
def backtest(config_path: Path, history_path: Path | None, folds: int | None,
             horizon_days: int | None, out_path: Path) -> None:
    """Score every volume model by a rolling-origin backtest and print a leaderboard.

    Each fold fits on the history before its origin and forecasts the next --horizon-days
    days; folds do not overlap and the last ends with the history. Scores cover open
    intervals of ordinary days: WAPE, MASE (scaled by the weekly seasonal naive), RMSE
    (contacts per interval), bias (positive = over-forecast) and the share of actuals inside
    the 80/95 % intervals (each fold's bounds calibrated on the other folds). Models are ranked
    by relative WAPE (each fold's WAPE over that fold's median, geometric mean over folds), the
    measure forecast.models: auto selects by.

    \b
    Example:
      wfm backtest --config configs/example.yaml --folds 6 --horizon-days 7 \\
                   --out out/backtest.csv
    """
    from wfm.forecast import evaluate
    from wfm.forecast.backtest import pooled
    from wfm.io.export import write_frame

    config = load_config(config_path)
    history = _history(config, history_path)
    with err.status("backtesting…"):
        result = evaluate(history, config, folds=folds, horizon_days=horizon_days)
    write_frame(result.scores, out_path)
    table = Table(title=f"Backtest → {out_path}", box=box.SIMPLE_HEAD, collapse_padding=True)
    for col in ("channel", "model", "rel. WAPE", "WAPE", "MASE", "RMSE", "bias", "80 %", "95 %",
                "folds"):
        table.add_column(col, justify="left" if col in ("channel", "model") else "right",
                         no_wrap=col == "model")
    for ch, g in result.leaderboard.groupby("channel", sort=False):
        pool = pooled(g.reset_index(drop=True), config.forecast.pool_tolerance,
                      config.forecast.combination_margin)
        for i, rec in enumerate(g.to_dict("records")):
            star = " ★" if rec["model"] in pool else ""
            table.add_row(str(ch) if i == 0 else "", f"{rec['model']}{star}",
                          number(rec["relative_wape"], ".3f"),
                          number(rec["wape"], ".1%"), number(rec["mase"], ".2f"),
                          number(rec["rmse"], ".2f"), number(rec["bias"], "+.1%"),
                          number(rec["coverage80"], ".0%"), number(rec["coverage95"], ".0%"),
                          str(rec["folds"]), end_section=i == len(g) - 1)
    out.print(table)
    out.print("rel. WAPE = geometric mean over folds of WAPE ÷ the fold's median WAPE; ★ = what "
              "forecast.models: auto uses (the combination unless the best beats it by "
              "forecast.combination_margin, else the best averaged with those within "
              "forecast.pool_tolerance of it); 80 %/95 % = interval coverage")
    for note in result.notes:
        out.print(f"note: {note}")
