"""The weekly run: history -> forecast -> requirements -> schedule -> simulation -> report.

Each step is a library function; ``run`` only composes them, so a notebook can call any one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config
from wfm.errors import ConfigError, DataError, WfmError
from wfm.evaluate import (
    ACCURACY_COLUMNS,
    agent_experience,
    coverage,
    coverage_summary,
    forecast_accuracy,
    shifts_from_intervals,
)
from wfm.forecast import ForecastResult, forecast
from wfm.forecast.backtest import pool_members
from wfm.io.history import DataReport, read_history
from wfm.io.outputs import write_outputs
from wfm.io.roster import Agent, load_agents
from wfm.io.stages import read_agent_intervals, read_coverage
from wfm.report import write_report
from wfm.schedule import Schedule, SolveLimits, build_problem, solve
from wfm.schedule.check import check_schedule
from wfm.schedule.solve import Progress
from wfm.simulate import SimulationResult, agent_skills, simulate
from wfm.staffing import requirements as compute_requirements
from wfm.timegrid import Grid

Step = Callable[[str], None]
"""Called with the name of each stage as it starts."""


@dataclass(frozen=True)
class RunResult:
    """Everything a weekly run produced."""

    week: dt.date
    data: DataReport
    forecast: ForecastResult
    requirements: pd.DataFrame
    planned: PlannedWeek
    simulation: SimulationResult
    accuracy: pd.DataFrame
    """Last week's forecast against its actuals (:func:`last_week_accuracy`)."""
    files: tuple[Path, ...]

    @property
    def schedule(self) -> Schedule:
        """The solved schedule."""
        return self.planned.schedule

    @property
    def coverage(self) -> pd.DataFrame:
        """Required vs scheduled agents per channel and interval."""
        return self.planned.coverage

    @property
    def summary(self) -> pd.DataFrame:
        """The per-channel summary."""
        return self.planned.summary


RUN_REPLICATIONS = 20
"""Simulation replications of the weekly run (the example week takes about half a second)."""


def last_week_accuracy(history: pd.DataFrame, config: Config, grid: Grid,
                       selected: dict[str, str]) -> pd.DataFrame:
    """The last 7 days of the history forecast from the history before them, with each
    channel's selected model (chosen among those only), scored per day against the actuals
    (:func:`wfm.evaluate.forecast_accuracy`). Empty when the history is too short."""
    last = grid.local_day(pd.DatetimeIndex([history[F.INTERVAL_START].max()]))[0]
    first = last - dt.timedelta(days=6)
    train = history[history[F.INTERVAL_START] < grid.midnight(first)]
    models = tuple(dict.fromkeys(m for name in selected.values() for m in pool_members(name)))
    settings = config.forecast.model_copy(update={"models": models or "auto"})
    try:
        past = forecast(train, config.model_copy(update={"forecast": settings}), grid,
                        start=first, days=7)
    except WfmError:  # too little history before the week to forecast it
        return pd.DataFrame(columns=list(ACCURACY_COLUMNS))
    return forecast_accuracy(past.frame, history, config.site.timezone)


def default_week(history_end: pd.Timestamp, grid: Grid) -> dt.date:
    """The first Monday after the history's last day."""
    last = grid.local_day(pd.DatetimeIndex([history_end]))[0]
    return last + dt.timedelta(days=7 - last.weekday())


def solve_limits(config: Config, time_limit: float | None = None) -> SolveLimits:
    """The config's solver settings, with an optional time-limit override."""
    s = config.solver
    return SolveLimits(time_seconds=time_limit or s.time_limit_seconds, workers=s.workers,
                       seed=s.seed)


def run(
    config: Config,
    out_dir: str | Path,
    *,
    week: dt.date | None = None,
    time_limit: float | None = None,
    step: Step | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Forecast, staff, schedule and simulate one week, and write the output files and
    ``report.html`` to ``out_dir``."""
    step = step or (lambda _name: None)
    grid = Grid.from_config(config)
    if config.history is None:
        raise ConfigError("history", "required by 'wfm run' (path to history.csv)")
    if config.shifts is None:
        raise ConfigError("shifts", "required by 'wfm run' (lengths_hours, breaks, …)")
    step("read history and roster")
    history, report = read_history(config.history, config, grid)
    agents = load_agents(config)
    history_end = history[F.INTERVAL_START].max()
    week = week or default_week(history_end, grid)
    next_day = grid.local_day(pd.DatetimeIndex([history_end]))[0] + dt.timedelta(days=1)
    start = min(week, next_day)
    days = max(config.forecast.horizon_days, (week - start).days + 7)

    step("forecast")
    fc = forecast(history, config, grid, start=start, days=days)
    step("last week's forecast accuracy")
    accuracy = last_week_accuracy(history, config, grid, fc.selected)
    step("requirements")
    req = compute_requirements(fc.frame, config, grid)
    step("schedule")
    planned = schedule_requirements(req, agents, config, grid, start=week, days=7,
                                    time_limit=time_limit, progress=progress)
    step("simulate")
    sim = simulate(planned.schedule.agent_intervals, fc.frame, config, grid,
                   replications=RUN_REPLICATIONS, seed=config.solver.seed,
                   skills=agent_skills(agents))
    step("write outputs")
    files = write_outputs({**fc.frames(), "requirements": req, **planned.frames(),
                           "simulation": sim.intervals, "simulation_summary": sim.daily,
                           "forecast_accuracy": accuracy}, out_dir)
    step("report")
    files.append(write_report(Path(out_dir), config, grid))
    return RunResult(week, report, fc, req, planned, sim, accuracy, tuple(files))


@dataclass(frozen=True)
class PlannedWeek:
    """A solved schedule with its coverage of the requirements, the per-channel summary and
    the per-agent experience figures (:func:`wfm.evaluate.agent_experience`)."""

    schedule: Schedule
    coverage: pd.DataFrame
    summary: pd.DataFrame
    experience: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """The schedule stage's output files, by name (see :data:`wfm.io.outputs.FILES`)."""
        s = self.schedule
        return {"schedule": s.shifts, "agent_intervals": s.agent_intervals,
                "segments": s.segments, "coverage": self.coverage}


def schedule_requirements(
    requirements: pd.DataFrame,
    agents: tuple[Agent, ...],
    config: Config,
    grid: Grid,
    *,
    start: dt.date | None = None,
    days: int = 7,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> PlannedWeek:
    """Schedule ``agents`` against ``requirements`` for ``days`` days and measure coverage."""
    problem = build_problem(requirements, agents, config, grid, start=start, days=days)
    schedule = solve(problem, solve_limits(config, time_limit), progress)
    horizon = problem.index[:problem.horizon]
    covered = requirements[requirements[F.INTERVAL_START].isin(horizon)]
    cov = coverage(schedule.agent_intervals, covered)
    experience = agent_experience(schedule.shifts, problem.agents, config.site.timezone,
                                  config.objective.late_shift_end)
    return PlannedWeek(schedule, cov, summarize(covered, schedule, cov, grid.interval_minutes),
                       experience)


def summarize(week_req: pd.DataFrame, schedule: Schedule, cov: pd.DataFrame,
              interval_minutes: int) -> pd.DataFrame:
    """Per channel: week volume, peak agents required, agents scheduled, hours and gap %.

    ``gap_pct`` is the share of required agent-hours left uncovered; ``over_pct`` the scheduled
    agent-hours beyond the requirement, as a share of it.
    """
    agents = schedule.agent_intervals.groupby(F.ACTIVITY)[F.AGENT_ID].nunique()
    by = week_req.groupby(F.CHANNEL, sort=False)
    volume = by[F.VOLUME].sum()
    cs = coverage_summary(cov, interval_minutes).set_index(F.CHANNEL).reindex(volume.index)
    required = cs["required_hours"].to_numpy()
    out = pd.DataFrame({
        "volume": volume.round(0),
        "peak_required": by[F.AGENTS_REQUIRED].max(),
        "agents_scheduled": agents.reindex(volume.index).fillna(0).astype(np.int64),
        "required_hours": cs["required_hours"],
        "scheduled_hours": cs["scheduled_hours"],
        "gap_pct": cs["short_pct"].round(1),
        "over_pct": np.where(required > 0, 100 * cs["over_hours"] / np.maximum(required, 1e-9),
                             0.0).round(1),
    })
    return out.rename_axis(F.CHANNEL).reset_index()


@dataclass(frozen=True)
class Evaluation:
    """A published schedule re-read and checked: broken rules, coverage and agents' week."""

    violations: pd.DataFrame
    coverage: pd.DataFrame
    summary: pd.DataFrame
    experience: pd.DataFrame


def evaluate_published(out_dir: str | Path, config: Config, grid: Grid | None = None,
                       requirements: pd.DataFrame | None = None) -> Evaluation:
    """Re-read ``out_dir/agent_intervals.csv`` (hand edits welcome) and check it.

    Every hard rule is checked by :func:`wfm.schedule.check.check_schedule`; coverage is
    counted against ``requirements``, or the ``required`` column of ``out_dir/coverage.csv``.
    """
    grid = grid or Grid.from_config(config)
    out_dir = Path(out_dir)
    path = out_dir / "agent_intervals.csv"
    intervals = read_agent_intervals(path, grid)
    agents = load_agents(config)
    try:
        violations = check_schedule(intervals, agents, config, grid)
    except DataError as exc:
        raise DataError(exc.path or path, exc.message, rows=exc.rows, column=exc.column) from None
    if requirements is None:
        cov = read_coverage(out_dir / "coverage.csv", config, grid)
        requirements = cov.rename(columns={"required": F.AGENTS_REQUIRED})
    cov = coverage(intervals, requirements)
    unpaid = frozenset(b.activity for b in (config.shifts.breaks if config.shifts else ())
                       if not b.is_paid)
    shifts = shifts_from_intervals(intervals, grid.interval_minutes, unpaid)
    experience = agent_experience(shifts, agents, config.site.timezone,
                                  config.objective.late_shift_end)
    return Evaluation(violations, cov, coverage_summary(cov, grid.interval_minutes), experience)
