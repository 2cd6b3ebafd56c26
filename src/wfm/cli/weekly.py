"""The week as a whole: ``wfm simulate``, ``wfm whatif``, ``wfm report`` and ``wfm run``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

import click
import pandas as pd
from rich.table import Table

from wfm import frames as F
from wfm.cli.base import (
    cli,
    config_option,
    date_option,
    err,
    number,
    out,
    print_experience,
    print_summary,
    progress_line,
)
from wfm.config import load_config
from wfm.timegrid import Grid


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
            number(100 * rec["abandoned"] / offered if offered else None, ".1f"),
            number(rec[F.SERVICE_LEVEL], ".1%"), number(rec[F.ASA_SECONDS], ",.0f"),
            number(rec[F.OCCUPANCY], ".0%"),
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
                      number(rec["required_fte"], ",.1f"),
                      number(rec["delta_required_fte"], "+,.1f"),
                      number(rec["scheduled_fte"], ",.1f"),
                      number(rec[F.SERVICE_LEVEL], ".1%"),
                      number(100 * rec["delta_service_level"], "+.1f"),
                      number(rec[F.ABANDON_RATE], ".1%"))
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


def _print_simulated(daily: pd.DataFrame) -> None:
    """One line: each channel's simulated week service level and abandonment."""
    from wfm.simulate import week_summary

    parts = [f"{rec[F.CHANNEL]} SL {number(rec[F.SERVICE_LEVEL], '.1%')}, abandoned "
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
                              progress=progress_line(status))
    print_summary(result.summary, result.schedule,
                   f"Week of {result.week:%a %d %b %Y} — {config.site.name}")
    print_experience(result.planned.experience)
    _print_simulated(result.simulation.daily)
    _print_accuracy(result.accuracy)
    out.print(f"wrote {len(result.files)} files to {out_dir}/")
