"""``wfm staff`` and ``wfm schedule`` (with ``--evaluate``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from wfm import frames as F
from wfm.cli.base import (
    cli,
    config_option,
    date_option,
    err,
    out,
    print_experience,
    print_summary,
    progress_line,
)
from wfm.config import load_config
from wfm.timegrid import Grid


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
                                        time_limit=time_limit, progress=progress_line(status))
    write_outputs(planned.frames(), out_dir)
    print_summary(planned.summary, planned.schedule, f"Schedule → {out_dir}")
    print_experience(planned.experience)


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
    print_experience(found.experience)
