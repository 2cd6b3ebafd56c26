"""The ``wfm`` command line: a thin click shell over the library.

Every command parses its options, calls one library function, and renders the result. Errors a
user can fix print one ``Error: …`` line and exit 1; anything unexpected exits 2.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from wfm import __version__
from wfm import frames as F
from wfm.config import load_config
from wfm.errors import WfmError
from wfm.io.acd import PRESETS as ACD_PRESETS
from wfm.timegrid import Grid

out = Console()
err = Console(stderr=True)
FC = TypeVar("FC", bound=Callable[..., Any])


class WfmGroup(click.Group):
    """Maps library errors to exit 1 with one line, and unexpected errors to exit 2.

    Click exits 2 on a usage error (bad option, missing argument); DESIGN.md keeps 2 for
    internal errors, so :meth:`main` shows click's message as usual but exits 1.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except WfmError as exc:
                raise click.ClickException(str(exc)) from None
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as exc:
                if os.environ.get("WFM_DEBUG"):
                    traceback.print_exc()
                click.echo(f"Internal error: {type(exc).__name__}: {exc} (this is a bug in wfm; "
                           "set WFM_DEBUG=1 for the traceback and please report it)", err=True)
                ctx.exit(2)


def _show_warning(message: Warning | str, category: type[Warning], *_: object,
                  **__: object) -> None:
    click.echo(f"Warning: {message}", err=True)


def config_option(f: FC) -> FC:
    """``--config FILE``, loaded and validated."""
    return click.option("--config", "config_path", required=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="Site config (YAML), e.g. configs/example.yaml.")(f)


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (expected YYYY-MM-DD)") from None


def date_option(name: str, help_text: str, **kwargs: Any) -> Callable[[FC], FC]:
    """A ``YYYY-MM-DD`` option parsed into a ``datetime.date``."""
    return click.option(name, callback=_date, metavar="YYYY-MM-DD", help=help_text, **kwargs)


@click.group(cls=WfmGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(__version__, prog_name="wfm")
def cli() -> None:
    """wfm — forecast, staff and schedule a contact center.

    \b
    The weekly pipeline in one command:
      wfm run --config configs/example.yaml --out-dir out/
    """


@cli.command()
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for history.csv.gz, roster.csv and time_off.csv.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0),
              help="Random seed (same seed, same data).")
@date_option("--start", "First day of the history.", default="2024-11-25", show_default=True)
@click.option("--weeks", default=106, show_default=True, type=click.IntRange(2, 520),
              help="Weeks of history to generate.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Site config whose channels, hours and holidays shape the data "
                   "[default: the bundled example site].")
def sample(out_dir: Path, seed: int, start: dt.date, weeks: int, config_path: Path | None) -> None:
    """Generate a realistic, seeded multi-channel history, roster and time off.

    The roster names the config's contracts where their hours match, and gives a few agents
    availability windows, fixed days off and wishes; the time off falls in the week after the
    history.

    \b
    Example:
      wfm sample --out-dir data/sample --seed 7
    """
    from wfm.config import example_config
    from wfm.sample import generate_sample, write_sample

    config = load_config(config_path) if config_path else example_config()
    with err.status("generating sample data…"):
        data = generate_sample(config, start, weeks, seed)
        paths = write_sample(data, out_dir)
    for p in paths:
        out.print(f"wrote {p}")


@cli.command()
@config_option
@click.option("--history", "history_path", type=click.Path(dir_okay=False, path_type=Path),
              help="history.csv to check [default: the config's 'history', if any].")
def validate(config_path: Path, history_path: Path | None) -> None:
    """Check a config, its roster and its history, and show what the history says.

    Reads the history (the config's 'history' or --history) as every other command does, so
    its problems are reported here first, and prints per channel the intervals, gaps, volume,
    abandon rate, AHT and the patience the abandons imply (abandons ÷ total waiting time,
    with its 95 % interval; needs a 'wait_seconds' column) beside the configured
    patience_seconds.

    \b
    Example:
      wfm validate --config configs/example.yaml
    """
    from wfm.io.history import read_history
    from wfm.io.roster import load_agents
    from wfm.staffing.estimate import estimate_parameters

    config = load_config(config_path)
    agents = load_agents(config) if config.roster else ()
    out.print(f"{config_path}: OK — {len(config.channels)} channels "
              f"({', '.join(config.channels)}), {len(agents)} agents, "
              f"{config.site.interval_minutes}-minute intervals, {config.site.timezone}")
    path = history_path or config.history
    if path is None:
        return
    with err.status("reading history…"):
        history, report = read_history(path, config)
    first, last = report.first_interval, report.last_interval
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first is not None and last is not None else ""
    table = Table(title=f"{path}: {report.rows:,} rows, {span}")
    for col in ("channel", "intervals", "gaps", "offered", "aband.", "AHT s",
                "patience s (95 %)", "config"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    gaps = report.gaps.groupby(F.CHANNEL).size() if report.gap_count else pd.Series(dtype=int)
    for row in estimate_parameters(history).to_dict("records"):
        name = str(row["channel"])
        estimated = _number(row["patience_seconds"], ",.0f")
        if estimated != "–":
            estimated += (f" ({_number(row['patience_lo95'], ',.0f')}–"
                          f"{_number(row['patience_hi95'], ',.0f')})")
        table.add_row(name, f"{row['intervals']:,}", f"{int(gaps.get(name, 0)):,}",
                      _number(row["offered"], ",.0f"), _number(row["abandon_rate"], ".1%"),
                      _number(row["aht_seconds"], ",.0f"), estimated,
                      _number(config.channels[name].patience_seconds, ",.0f"))
    out.print(table)


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

    Each channel's model is chosen by a rolling-origin backtest (forecast.models: auto), public
    holidays and configured events are scaled by their learnt factors, and outlier days in the
    history are listed and left out of fitting.

    \b
    Example:
      wfm forecast --config configs/example.yaml --out out/forecast.csv
      wfm forecast --config configs/example.yaml --as-of 2026-12-07T11:00 \\
                   --days 1 --out out/today.csv
    """
    from wfm.forecast import forecast as run_forecast
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
        table.add_column(col, justify="left" if col in ("channel", "model") else "right",
                         no_wrap=col == "model")
    scores = result.backtest.groupby(["channel", "model"])[["wape", "coverage80"]].mean()
    for ch, g in result.daily.groupby("channel", sort=False):
        model = result.selected[str(ch)]
        key = (str(ch), model)
        row = scores.loc[[key]].iloc[0] if key in scores.index else None
        table.add_row(str(ch), model, str(len(g)), f"{g[F.VOLUME].sum():,.0f}",
                      _number(None if row is None else row["wape"], ".1%"),
                      _number(None if row is None else row["coverage80"], ".0%"))
    out.print(table)
    out.print("WAPE and cover: the chosen model's rolling-origin backtest (wfm backtest)")
    _print_outliers(result.outliers)
    for note in result.notes:
        out.print(f"note: {note}")


def _history(config: Any, history_path: Path | None) -> pd.DataFrame:
    from wfm.io.history import read_history

    path = history_path or _required(config.history, "history", "--history")
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
    the 80/95 % intervals (each fold's bounds calibrated on the other folds).

    \b
    Example:
      wfm backtest --config configs/example.yaml --folds 6 --horizon-days 7 \\
                   --out out/backtest.csv
    """
    from wfm.forecast import evaluate
    from wfm.io.export import write_frame

    config = load_config(config_path)
    history = _history(config, history_path)
    with err.status("backtesting…"):
        result = evaluate(history, config, folds=folds, horizon_days=horizon_days)
    write_frame(result.scores, out_path)
    table = Table(title=f"Backtest → {out_path}")
    for col in ("channel", "model", "WAPE", "MASE", "RMSE", "bias", "80 %", "95 %", "folds"):
        table.add_column(col, justify="left" if col in ("channel", "model") else "right",
                         no_wrap=col == "model")
    for ch, g in result.leaderboard.groupby("channel", sort=False):
        for i, rec in enumerate(g.to_dict("records")):
            table.add_row(str(ch) if i == 0 else "", f"{rec['model']}{' ★' if i == 0 else ''}",
                          _number(rec["wape"], ".1%"), _number(rec["mase"], ".2f"),
                          _number(rec["rmse"], ".2f"), _number(rec["bias"], "+.1%"),
                          _number(rec["coverage80"], ".0%"), _number(rec["coverage95"], ".0%"),
                          str(rec["folds"]), end_section=i == len(g) - 1)
    out.print(table)
    out.print("★ = lowest WAPE: what forecast.models: auto picks; 80 %/95 % = interval coverage")
    for note in result.notes:
        out.print(f"note: {note}")


@cli.command(name="import")
@config_option
@click.option("--calls", "calls_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Call-level ACD log (CSV, plain or .gz), mapped by the config's acd.calls.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="An ACD's interval report (CSV, plain or .gz); needs --format.")
@click.option("--format", "preset", type=click.Choice(sorted(ACD_PRESETS)),
              help="Which ACD wrote --export (docs/acd-exports.md).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="history.csv to write.")
def import_(config_path: Path, calls_path: Path | None, export_path: Path | None,
            preset: str | None, out_path: Path) -> None:
    """Turn an ACD's call log or interval report into history.csv on the site's grid.

    A call log (--calls) is mapped by the config's acd.calls (columns, date format, outcome
    values) and acd.queues (queue -> channel). Contacts offered to a mapped queue are counted
    in the interval they arrived in: offered, handled, abandoned, AHT and total waiting time
    (which gives wfm validate its patience estimate). Hang-ups before the queue, ignored
    outcomes and unmapped queues are counted and reported; bad rows are skipped and reported
    by reason with row numbers, unless there are more than acd.calls.max_bad_share of them.
    The file is read in chunks, so a year of calls needs little memory.

    An interval report (--export with --format genesys, avaya-cms or cisco-ucce) is mapped by
    acd.queues and summed up to the site's interval.

    \b
    Example:
      wfm import --config configs/anonymous-bank.yaml --calls calls_1999-01.csv.gz \\
        --out out/history.csv
      wfm import --config site.yaml --export cms_interval.csv --format avaya-cms \\
        --out out/history.csv
    """
    from wfm.io.acd import read_interval_export
    from wfm.io.calls import import_calls
    from wfm.io.export import write_frame
    from wfm.staffing.estimate import estimate_parameters

    config = load_config(config_path)
    if (calls_path is None) == (export_path is None):
        raise click.UsageError("give either --calls FILE or --export FILE --format NAME")
    report = None
    if export_path is not None:
        if preset is None:
            raise click.UsageError("--export needs --format (genesys, avaya-cms, cisco-ucce)")
        queues = dict(config.acd.queues) or {name: name for name in config.channels}
        history = read_interval_export(export_path, preset, queues, Grid.from_config(config))
    else:
        assert calls_path is not None
        with err.status("reading calls…"):
            history, report = import_calls(calls_path, config)
    source = calls_path or export_path
    write_frame(history, out_path)
    table = Table(title=f"{source} → {out_path}")
    for col in ("channel", "offered", "handled", "abandoned", "AHT s", "wait h"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for row in estimate_parameters(history).to_dict("records"):
        table.add_row(str(row["channel"]), _number(row["offered"], ",.0f"),
                      _number(row["handled"], ",.0f"), _number(row["abandoned"], ",.0f"),
                      _number(row["aht_seconds"], ",.0f"),
                      _number(row["wait_seconds"] / 3600, ",.1f"))
    out.print(table)
    if report is None:
        return
    out.print(f"{report.rows:,} records: {report.offered:,} offered to a queue, "
              f"{report.before_queue:,} hung up before the queue, "
              f"{sum(report.ignored.values()):,} ignored "
              f"({', '.join(f'{k} {v:,}' for k, v in report.ignored.items()) or 'none'}), "
              f"{sum(report.unmapped_queues.values()):,} in unmapped queues, "
              f"{report.bad_total:,} bad; {len(report.days)} days")


@cli.command()
@config_option
@click.option("--calls", "calls_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Call-level ACD log (CSV, plain or .gz), mapped by the config's acd.calls.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="calibration.csv to write (one row per channel and interval).")
@click.option("--min-offered", default=10, show_default=True, type=click.IntRange(min=1),
              help="Least calls offered for an interval to count in the error table.")
def calibrate(config_path: Path, calls_path: Path, out_path: Path, min_offered: int) -> None:
    """Check the staffing models against what a call log shows happened.

    For each channel and interval of the log: the agents observed (distinct agents serving,
    a lower bound of those logged in), offered calls, AHT, and the service level, abandonment
    and ASA that the log shows beside those Erlang C and Erlang A (with the patience estimated
    from the log: abandons ÷ total waiting time) predict for that staffing. Prints the
    patience per channel and the mean absolute error and bias per channel and model, so you
    know which model to trust for which queue.

    \b
    Example:
      wfm calibrate --config configs/anonymous-bank.yaml --calls calls_1999-02.csv.gz \\
        --out out/calibration.csv
    """
    from wfm.calibrate import calibrate as run_calibration
    from wfm.io.calls import read_calls
    from wfm.io.export import write_frame

    config = load_config(config_path)
    with err.status("reading calls…"):
        calls, _report = read_calls(calls_path, config)
    with err.status("calibrating…"):
        result = run_calibration(calls, config, min_offered=min_offered)
    write_frame(result.frame, out_path)
    patience = result.patience.set_index(F.CHANNEL)
    table = Table(title=f"Model against the log ({min_offered}+ calls per interval) → {out_path}")
    for col in ("channel", "model", "intervals", "SL error", "SL bias", "aband. error",
                "aband. bias"):
        table.add_column(col, justify="left" if col in ("channel", "model") else "right",
                         no_wrap=col == "model")
    names = {"erlang_c": "Erlang C", "erlang_a": "Erlang A"}
    for row in result.summary.to_dict("records"):
        table.add_row(str(row["channel"]), names.get(str(row["model"]), str(row["model"])),
                      f"{row['intervals']:,}", _number(row["mae_service_level"], ".3f"),
                      _number(row["bias_service_level"], "+.3f"),
                      _number(row["mae_abandon"], ".3f"), _number(row["bias_abandon"], "+.3f"))
    out.print(table)
    out.print("patience (abandons ÷ total waiting time): " + ", ".join(
        f"{name} {_number(value, ',.0f')} s"
        for name, value in patience["patience_seconds"].items()))


@cli.command()
@config_option
@click.option("--forecast", "forecast_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="forecast.csv to staff.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="requirements.csv to write.")
def staff(config_path: Path, forecast_path: Path, out_path: Path) -> None:
    """Turn a forecast into required agents per channel and interval.

    \b
    Example:
      wfm staff --config configs/example.yaml --forecast out/forecast.csv \\
                --out out/requirements.csv
    """
    from wfm.io.export import write_frame
    from wfm.io.stages import read_forecast
    from wfm.staffing import requirements

    config = load_config(config_path)
    grid = Grid.from_config(config)
    req = requirements(read_forecast(forecast_path, config, grid), config, grid)
    write_frame(req, out_path)
    table = Table(title=f"Requirements → {out_path}")
    for col in ("channel", "volume", "peak agents", "agent-hours", "with shrinkage"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    h = config.site.interval_minutes / 60
    for ch, g in req.groupby(F.CHANNEL, sort=False):
        table.add_row(str(ch), f"{g[F.VOLUME].sum():,.0f}", str(g[F.AGENTS_REQUIRED].max()),
                      f"{g[F.AGENTS_REQUIRED].sum() * h:,.0f}",
                      f"{g[F.AGENTS_WITH_SHRINKAGE].sum() * h:,.0f}")
    out.print(table)


@cli.command()
@config_option
@click.option("--requirements", "req_path", type=click.Path(dir_okay=False, path_type=Path),
              help="requirements.csv to cover (with --evaluate: to count coverage against "
              "[default: the required column of DIR/coverage.csv]).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for schedule.csv, agent_intervals.csv, segments.csv, coverage.csv.")
@date_option("--start", "First day to schedule [default: the first day of the requirements].")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 28),
              help="Days to schedule.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in "
              "seconds [default: the config's solver.time_limit_seconds].")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Solver threads [default: the config's solver.workers].")
@click.option("--seed", type=click.IntRange(min=0),
              help="Solver random seed [default: the config's solver.seed]; with --workers 1 "
              "the same seed gives the same schedule when the search ends before the limit.")
@click.option("--evaluate", "evaluate_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Instead of solving, re-read DIR/agent_intervals.csv (e.g. after hand "
              "edits) and list every broken rule, the coverage and the agents' week; exit "
              "code 1 when a rule is broken.")
def schedule(config_path: Path, req_path: Path | None, out_dir: Path | None,
             start: dt.date | None, days: int, time_limit: float | None, workers: int | None,
             seed: int | None, evaluate_dir: Path | None) -> None:
    """Build agents' shifts, breaks and channels that cover the requirements (OR-Tools CP-SAT).

    Shifts come from the config's shift templates, breaks are placed inside their windows
    where coverage can spare the agent, and each agent works one of its skills per interval.
    Every hard rule (contracts, rule sets, availability, days off, time off, rest) holds;
    coverage is soft, so a schedule always comes back with its unmet demand. Prints per
    channel required vs scheduled hours, the distance to a proven lower bound and the agents'
    week (wishes met, start-time spread, weekends, paid hours). Contradictory rules stop with
    a diagnosis naming the agents and rules.

    \b
    Example:
      wfm schedule --config configs/example.yaml --requirements out/requirements.csv \\
                   --out-dir out/ --time-limit 60
      wfm schedule --config configs/example.yaml --evaluate out/
    """
    from wfm.io.outputs import write_outputs
    from wfm.io.roster import load_agents
    from wfm.io.stages import read_requirements
    from wfm.pipeline import evaluate_published, schedule_requirements

    config = load_config(config_path)
    grid = Grid.from_config(config)
    req = read_requirements(req_path, config, grid) if req_path else None
    if evaluate_dir is not None:
        with err.status("checking…"):
            found = evaluate_published(evaluate_dir, config, grid, req)
        _print_evaluation(found, evaluate_dir)
        if len(found.violations):
            raise click.exceptions.Exit(1)
        return
    if req is None or out_dir is None:
        raise click.UsageError("give --requirements and --out-dir (or --evaluate DIR)")
    solver = config.solver
    config = config.model_copy(update={"solver": solver.model_copy(update={
        "workers": workers or solver.workers, "seed": solver.seed if seed is None else seed})})
    agents = load_agents(config)
    with err.status("solving…") as status:
        planned = schedule_requirements(req, agents, config, grid, start=start, days=days,
                                        time_limit=time_limit, progress=_progress(status))
    write_outputs(planned.frames(), out_dir)
    _print_summary(planned.summary, planned.schedule, f"Schedule → {out_dir}")
    _print_experience(planned.experience)


@cli.command()
@config_option
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding agent_intervals.csv and forecast.csv (as wfm run writes "
              "them); simulation.csv and simulation_summary.csv are written there.")
@click.option("--replications", default=20, show_default=True, type=click.IntRange(1, 10_000),
              help="Independent runs of the week; confidence intervals and the probability of "
              "missing the target come from their spread.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed (same seed, same results).")
@click.option("--handle-times", type=click.Choice(["exponential", "lognormal"]),
              default="exponential", show_default=True,
              help="Distribution of handle times around the forecast AHT (lognormal: cv 1).")
@click.option("--routing", type=click.Choice(["skills", "plan"]), default="skills",
              show_default=True,
              help="skills: a working agent takes contacts of every channel in its roster skills "
              "(highest channel priority first); plan: only of the channel its activity names.")
def simulate(config_path: Path, out_dir: Path, replications: int, seed: int,
             handle_times: str, routing: str) -> None:
    """Simulate a published schedule against the forecast, contact by contact.

    A discrete-event simulation of the week in agent_intervals.csv: Poisson arrivals at the
    forecast volume, handle times around the forecast AHT, patience and abandonment (voice and
    chat with patience_seconds), chat concurrency, and the deferred backlog carried over
    intervals and days. Routing is skills-based: a contact goes to the longest-idle free agent
    with its skill, and a free agent takes the waiting contact of its highest-priority channel
    (--routing plan: only the channel its activity names); breaks and lunches are honoured.
    Each replication also draws each day's volume level from the forecast's 80 % bounds, so the
    outputs give, per interval and per day, the probability of missing the channel's
    service-level target beside the mean and its 95 % interval.

    \b
    Example:
      wfm simulate --config configs/example.yaml --out-dir out/ --replications 20
    """
    from wfm.io.outputs import write_outputs
    from wfm.io.roster import load_agents
    from wfm.io.stages import read_agent_intervals, read_forecast
    from wfm.simulate import HandleDistribution, agent_skills, week_summary
    from wfm.simulate import simulate as run_simulation

    config = load_config(config_path)
    grid = Grid.from_config(config)
    intervals = read_agent_intervals(out_dir / "agent_intervals.csv", grid)
    fc = read_forecast(out_dir / "forecast.csv", config, grid)
    if routing == "skills" and config.roster is None:
        raise click.UsageError("skills-based routing reads the agents' skills from the roster: "
                               "add 'roster:' to the config, or give --routing plan")
    skills = agent_skills(load_agents(config)) if routing == "skills" else None
    with err.status(f"simulating {replications} replications…"):
        result = run_simulation(intervals, fc, config, grid, replications=replications,
                                seed=seed, handle=cast(HandleDistribution, handle_times),
                                skills=skills)
    write_outputs({"simulation": result.intervals, "simulation_summary": result.daily}, out_dir)
    table = Table(title=f"Simulated week: {replications} replications, "
                        f"{result.seconds:.1f} s")
    for col in ("channel", "offered", "answered", "aband. %", "SL", "ASA s", "occ.",
                "risky days"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    days = result.daily.groupby(F.CHANNEL, sort=False).size()
    for rec in week_summary(result.daily).to_dict("records"):
        offered = rec["offered"]
        table.add_row(
            str(rec[F.CHANNEL]), f"{offered:,.0f}", f"{rec['answered']:,.0f}",
            _number(100 * rec["abandoned"] / offered if offered else None, ".1f"),
            _number(rec[F.SERVICE_LEVEL], ".1%"), _number(rec[F.ASA_SECONDS], ",.0f"),
            _number(rec[F.OCCUPANCY], ".0%"),
            "–" if pd.isna(rec["risky_days"]) else
            f"{rec['risky_days']:.0f} of {days[rec[F.CHANNEL]]}")
    out.print(table)
    out.print("SL = service level of the week (95 % intervals per interval and day in the "
              "files); risky days = days with a 50 % or higher chance of missing the target")
    out.print(f"wrote simulation.csv and simulation_summary.csv to {out_dir}/")


@cli.command()
@config_option
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding forecast.csv, agent_intervals.csv and schedule.csv (as wfm "
              "run writes them); whatif.csv and whatif.svg are written there, and report.html "
              "is refreshed when it is there.")
@click.option("--vary", "varies", multiple=True, metavar="KNOB=V1,V2,…",
              help="A knob and its values, one scenario per value (repeatable): "
              "volume=-10%,+10%  aht=+15s or aht=+5%  service_level=0.8,0.9  "
              "shrinkage=0.3,0.35  headcount=-5  hours.chat=08:00-24:00  deflection=0.3 "
              "[default: the config's 'scenarios' block].")
@click.option("--combine", is_flag=True,
              help="One scenario per combination of one value of every knob (volume +10% & aht "
              "+15s, …) instead of one knob at a time.")
@click.option("--replications", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Simulation replications per scenario.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed, the same for every scenario so that they differ by their "
              "change only.")
@click.option("--time-limit", default=20.0, show_default=True, type=click.FloatRange(min=1),
              help="Solver time limit of each headcount scenario's re-schedule, in seconds.")
def whatif(config_path: Path, out_dir: Path, varies: tuple[str, ...], combine: bool,
           replications: int, seed: int, time_limit: float) -> None:
    """Compare scenarios against the published week: required and scheduled FTE, simulated
    service.

    Each --vary value (or each value of the config's 'scenarios:' block, e.g. {volume: [-10%,
    +10%], headcount: -5}) is one scenario, changed one knob at a time from the base; with
    --combine, each combination of one value per knob is one scenario. Volume, AHT,
    deflection, service-level, shrinkage and opening-hours scenarios recompute the requirements
    and simulate the current schedule under them (seconds); headcount scenarios re-schedule the
    changed roster first (the time limit each). Per scenario and channel the table gives the
    required FTE (agents with shrinkage, 40 h each), scheduled FTE, simulated service level, ASA
    and abandonment, paid hours, and the deltas to the base. whatif.svg charts the deltas.

    \b
    Examples:
      wfm whatif --config configs/example.yaml --out-dir out/ \\
                 --vary volume=-10%,+10%,+20% --vary aht=+15s --vary headcount=-5
      wfm whatif --config configs/example.yaml --out-dir out/ --combine \\
                 --vary volume=+10%,+20% --vary service_level=0.8,0.9
    """
    from wfm.io.outputs import write_outputs
    from wfm.io.roster import load_agents
    from wfm.io.stages import read_agent_intervals, read_forecast, read_shifts
    from wfm.report import REPORT_NAME, write_report, write_whatif_chart
    from wfm.whatif import run_whatif, scenarios

    config = load_config(config_path)
    grid = Grid.from_config(config)
    varies = varies or tuple(f"{knob}={','.join(values)}"
                             for knob, values in config.scenarios.items())
    if not varies:
        raise click.UsageError("give --vary KNOB=V1,V2 or a 'scenarios:' block in the config")
    try:
        plan = scenarios(list(varies), combine=combine)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vary") from None
    fc = read_forecast(out_dir / "forecast.csv", config, grid)
    intervals = read_agent_intervals(out_dir / "agent_intervals.csv", grid)
    shifts = read_shifts(out_dir / "schedule.csv")
    agents = load_agents(config)
    with err.status(f"running {len(plan)} scenarios…"):
        result = run_whatif(fc, config, intervals, shifts, agents, grid, varies=list(varies),
                            combine=combine, replications=replications, seed=seed,
                            reschedule_time_limit=time_limit)
    write_outputs({"whatif": result.table}, out_dir)
    written = ["whatif.csv", write_whatif_chart(result.table, config, out_dir).name]
    if (out_dir / REPORT_NAME).is_file():
        written.append(write_report(out_dir, config, grid).name)
    table = Table(title=f"What-if: {len(plan)} scenarios, {result.seconds:.1f} s")
    for col in ("scenario", "channel", "req. FTE", "Δ", "sched. FTE", "SL", "Δ SL", "aband."):
        table.add_column(col, justify="left" if col in ("scenario", "channel") else "right")
    for rec in result.table.to_dict("records"):
        table.add_row(str(rec["scenario"]), str(rec[F.CHANNEL]),
                      _number(rec["required_fte"], ",.1f"),
                      _number(rec["delta_required_fte"], "+,.1f"),
                      _number(rec["scheduled_fte"], ",.1f"),
                      _number(rec[F.SERVICE_LEVEL], ".1%"),
                      _number(100 * rec["delta_service_level"], "+.1f"),
                      _number(rec[F.ABANDON_RATE], ".1%"))
    out.print(table)
    out.print(f"Δ = change against the base; FTE = 40 paid hours; wrote {', '.join(written)} "
              f"to {out_dir}/")


@cli.command()
@config_option
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the files of wfm run (and, if present, wfm simulate and wfm "
              "whatif); report.html is written there.")
def report(config_path: Path, out_dir: Path) -> None:
    """Write report.html: the week on one self-contained page that opens without internet.

    KPI cards per channel (volume, required vs scheduled hours, short %, simulated service level,
    abandonment, days at risk of missing the target); per channel the forecast with its 80/95 %
    bands, required vs scheduled agents and the simulated service level against the target; a
    Gantt chart of the agents' shifts, breaks and lunches; last week's forecast against its actuals
    when forecast_accuracy.csv (from wfm run) is there; the what-if chart and table when
    whatif.csv is there. Charts are inline SVG; no scripts, fonts or links are loaded.

    \b
    Example:
      wfm report --config configs/example.yaml --out-dir out/
    """
    from wfm.report import write_report

    config = load_config(config_path)
    with err.status("writing the report…"):
        path = write_report(out_dir, config)
    out.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _print_evaluation(found: Any, folder: Path) -> None:
    """Broken rules, coverage per channel and the agents' week of a re-read schedule."""
    v = found.violations
    if len(v):
        table = Table(title=f"{folder}/agent_intervals.csv: {len(v)} broken rule(s)")
        for col in ("agent", "date", "rule", "detail"):
            table.add_column(col)
        for rec in v.to_dict("records"):
            table.add_row(str(rec["agent_id"]), "" if rec["date"] is None else str(rec["date"]),
                          str(rec["rule"]), str(rec["detail"]))
        out.print(table)
    else:
        out.print(f"{folder}/agent_intervals.csv: every hard rule is kept")
    table = Table(title="Coverage")
    for col in ("channel", "req. h", "sched. h", "short h", "over h", "short %"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for rec in found.summary.to_dict("records"):
        table.add_row(str(rec["channel"]), f"{rec['required_hours']:,.0f}",
                      f"{rec['scheduled_hours']:,.0f}", f"{rec['short_hours']:,.1f}",
                      f"{rec['over_hours']:,.1f}", f"{rec['short_pct']:.1f}")
    out.print(table)
    _print_experience(found.experience)


def _print_simulated(daily: pd.DataFrame) -> None:
    """One line: each channel's simulated week service level and abandonment."""
    from wfm.simulate import week_summary

    parts = [f"{rec[F.CHANNEL]} SL {_number(rec[F.SERVICE_LEVEL], '.1%')}, abandoned "
             f"{rec['abandoned'] / rec['offered']:.1%}"
             for rec in week_summary(daily).to_dict("records") if rec["offered"]]
    out.print("simulated: " + "; ".join(parts))


def _print_accuracy(accuracy: pd.DataFrame) -> None:
    """One line: last week's forecast WAPE and bias per channel (forecast_accuracy.csv)."""
    from wfm.evaluate import accuracy_summary

    parts = [f"{r.channel} WAPE {r.wape:.1%}, bias {r.bias:+.1%}"
             for r in accuracy_summary(accuracy).itertuples()]
    if parts:
        out.print("last week's forecast: " + "; ".join(parts))


def _print_experience(per_agent: pd.DataFrame) -> None:
    from wfm.evaluate import experience_summary

    e = experience_summary(per_agent)
    out.print(f"agents: wishes met {e['wishes_met_pct']:.0f}% of {e['wishes']:.0f}, "
              f"start spread {e['mean_start_spread_hours']:.1f} h on average, weekend days "
              f"≤ {e['weekend_days_max']:.0f} per agent ({e['agents_with_weekend_work_pct']:.0f}% "
              f"work one), paid {e['paid_hours_min']:.1f}–{e['paid_hours_max']:.1f} h")


@cli.command()
@config_option
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the output files.")
@date_option("--week", "First day of the week to schedule [default: the first Monday after "
             "the history ends].")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit in "
              "seconds [default: the config's solver.time_limit_seconds].")
def run(config_path: Path, out_dir: Path, week: dt.date | None, time_limit: float | None) -> None:
    """Run the weekly pipeline: history → forecast → requirements → schedule → simulation.

    Writes forecast.csv (with forecast_daily.csv and forecast_weekly.csv), requirements.csv,
    schedule.csv, agent_intervals.csv, segments.csv, coverage.csv, simulation.csv and
    simulation_summary.csv (20 replications, see wfm simulate), forecast_accuracy.csv (the
    history's last 7 days forecast from the history before them, WAPE and bias per channel and
    day) and report.html (see wfm report) to --out-dir, and prints a summary per channel, the
    agents' week, the simulated service and last week's forecast accuracy.

    \b
    Example:
      wfm run --config configs/example.yaml --out-dir out/ --week 2026-12-07
    """
    from wfm.pipeline import run as run_pipeline

    config = load_config(config_path)
    with err.status("starting…") as status:
        result = run_pipeline(config, out_dir, week=week, time_limit=time_limit,
                              step=lambda name: status.update(f"{name}…"),
                              progress=_progress(status))
    _print_summary(result.summary, result.schedule,
                   f"Week of {result.week:%a %d %b %Y} — {config.site.name}")
    _print_experience(result.planned.experience)
    _print_simulated(result.simulation.daily)
    _print_accuracy(result.accuracy)
    out.print(f"wrote {len(result.files)} files to {out_dir}/")


def _progress(status: Any) -> Callable[[float, float, float], None]:
    """Show the solver's objective and bound in a rich status line."""
    def show(seconds: float, objective: float, bound: float) -> None:
        proved = f"bound {bound:,.0f}" if bound > 0 else "bound pending"
        status.update(f"solving… {seconds:5.1f} s  objective {objective:,.0f}  {proved}")
    return show


def _print_summary(summary: pd.DataFrame, schedule: Any, title: str) -> None:
    table = Table(title=title)
    cols = {"channel": "channel", "volume": "volume", "peak_required": "peak req.",
            "agents_scheduled": "agents", "required_hours": "req. h",
            "scheduled_hours": "sched. h", "gap_pct": "gap %", "over_pct": "over %"}
    for key, label in cols.items():
        table.add_column(label, justify="left" if key == "channel" else "right")
    for rec in summary.to_dict("records"):
        table.add_row(str(rec["channel"]), f"{rec['volume']:,.0f}", str(rec["peak_required"]),
                      str(rec["agents_scheduled"]), f"{rec['required_hours']:,.0f}",
                      f"{rec['scheduled_hours']:,.0f}", f"{rec['gap_pct']:.1f}",
                      f"{rec['over_pct']:.1f}")
    out.print(table)
    out.print("gap % = required agent-hours left uncovered; over % = agent-hours beyond them")
    out.print(f"schedule: {schedule.status.lower()}, objective {schedule.objective:,.0f}, "
              f"lower bound {schedule.lower_bound:,.0f} ({schedule.gap:.1%} from the bound)")


def _number(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or a dash when it is missing."""
    return "–" if value is None or pd.isna(value) else format(value, spec)


def _required(value: Path | None, key: str, option: str | None) -> Path:
    if value is None:
        from wfm.errors import ConfigError
        alt = f" or pass {option}" if option else ""
        raise ConfigError(key, f"not set; add '{key}:' to the config{alt}")
    return value


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="wfm")


if __name__ == "__main__":  # pragma: no cover
    main()
