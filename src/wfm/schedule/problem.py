"""The scheduling problem as numbers: the one place where requirements become integers.

``build_problem`` places every shift template on every day of the horizon (DST-aware: a shift is
its length in real time), keeps the placements an agent can work — every work interval must have
at least one of the agent's channels open, and the paid time must fit the contract — and turns
``agents_required`` into an integer matrix ``required[channel, interval]`` (already whole agents;
closed intervals are 0).

The schedule covers ``agents_required``, the agents needed *on a channel*: breaks and lunches
are placed explicitly in the schedule, so they are not counted again; ``agents_with_shrinkage``
budgets for the unplanned rest (absence, sickness) in requirements.csv.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config, RuleSet
from wfm.errors import ConfigError, DataError
from wfm.io.roster import Agent
from wfm.schedule.templates import ShiftTemplate, expand_templates
from wfm.timegrid import Grid


@dataclass(frozen=True)
class ShiftOption:
    """A template placed on a day: absolute interval positions of its work and breaks."""

    day: int
    template: ShiftTemplate
    start: pd.Timestamp
    end: pd.Timestamp
    work: tuple[int, ...]
    breaks: tuple[tuple[int, str, bool], ...]
    """(interval position, ``break`` or ``lunch``, paid) for every break interval."""

    @property
    def paid_minutes(self) -> int:
        """Paid minutes of the shift."""
        return self.template.paid_minutes


@dataclass(frozen=True)
class Weights:
    """Objective weights per agent-interval: under-coverage ≫ over-coverage ≫ paid time."""

    under: int = 100
    over: int = 10
    paid: int = 1


@dataclass(frozen=True)
class SchedulingProblem:
    """Everything the solver needs, as plain numbers and frozen records."""

    days: tuple[dt.date, ...]
    index: pd.DatetimeIndex
    """Intervals of the horizon plus one spill-over day for shifts that cross midnight."""
    horizon: int
    """Number of intervals in the horizon proper (coverage is counted on these)."""
    channels: tuple[str, ...]
    priority: tuple[int, ...]
    required: np.ndarray
    open: np.ndarray
    agents: tuple[Agent, ...]
    options: tuple[ShiftOption, ...]
    allowed: tuple[tuple[int, ...], ...]
    """Per agent: the option ids that agent may work."""
    rules: RuleSet
    weights: Weights
    interval_minutes: int

    @property
    def twins(self) -> tuple[tuple[int, ...], ...]:
        """Classes of interchangeable agents (same skills, proficiency, contract and shifts).

        Any schedule stays as good when such agents swap weeks, which the model's symmetry
        breaking, the heuristics and the LP bound all rely on.
        """
        classes: dict[tuple[object, ...], list[int]] = {}
        for a, agent in enumerate(self.agents):
            key = (agent.skills, agent.proficiency, agent.min_week_hours, agent.max_week_hours,
                   self.allowed[a])
            classes.setdefault(key, []).append(a)
        return tuple(tuple(members) for members in classes.values())


def build_problem(
    requirements: pd.DataFrame,
    agents: tuple[Agent, ...],
    config: Config,
    grid: Grid | None = None,
    *,
    start: dt.date | None = None,
    days: int = 7,
) -> SchedulingProblem:
    """Turn a requirements frame, a roster and the config into a :class:`SchedulingProblem`.

    ``start`` defaults to the first day of the requirements; ``days`` to one week.
    """
    grid = grid or Grid.from_config(config)
    if config.shifts is None:
        raise ConfigError("shifts", "required to build a schedule (lengths_hours, breaks, …)")
    if requirements.empty:
        raise DataError(None, "the requirements are empty; nothing to schedule")
    step = grid.interval_minutes
    first_ts = pd.Timestamp(requirements[F.INTERVAL_START].min())
    start = start or grid.local_day(pd.DatetimeIndex([first_ts]))[0]
    day_list = tuple(start + dt.timedelta(days=i) for i in range(days))
    index = grid.intervals(start, days + 1)
    horizon = len(grid.intervals(start, days))
    channels = tuple(config.channels)

    required = np.zeros((len(channels), len(index)), dtype=np.int64)
    is_open = np.zeros((len(channels), len(index)), dtype=bool)
    for c, name in enumerate(channels):
        is_open[c] = grid.open_mask(config.channels[name].hours, index)
        sub = requirements[requirements[F.CHANNEL] == name]
        values = sub.set_index(F.INTERVAL_START)[F.AGENTS_REQUIRED].reindex(index[:horizon])
        required[c, :horizon] = np.where(is_open[c, :horizon],
                                         np.ceil(values.fillna(0).to_numpy()), 0)

    templates = expand_templates(config.shifts, step)
    options: list[ShiftOption] = []
    for d, day in enumerate(day_list):
        for t in templates:
            opt = _place(t, d, day, index, grid)
            if opt is not None:
                options.append(opt)

    workable: dict[tuple[str, ...], list[int]] = {}
    for skills in {a.skills for a in agents}:
        can_work = np.asarray(is_open[[channels.index(c) for c in skills]].any(axis=0))
        workable[skills] = [k for k, o in enumerate(options) if can_work[list(o.work)].all()]
    allowed = tuple(
        tuple(k for k in workable[a.skills] if options[k].paid_minutes <= a.max_week_hours * 60)
        for a in agents
    )
    priority = tuple(max(1, round(config.channels[c].priority)) for c in channels)
    return SchedulingProblem(
        days=day_list, index=index, horizon=horizon, channels=channels, priority=priority,
        required=required, open=is_open, agents=agents, options=tuple(options),
        allowed=tuple(allowed), rules=config.rules, weights=Weights(), interval_minutes=step,
    )


def _place(t: ShiftTemplate, d: int, day: dt.date, index: pd.DatetimeIndex,
           grid: Grid) -> ShiftOption | None:
    """Put template ``t`` on ``day``; None where DST makes the start time not exist."""
    naive = pd.Timestamp(day) + pd.Timedelta(minutes=t.start_minute)
    start = naive.tz_localize(grid.timezone, ambiguous=True, nonexistent="NaT")
    if pd.isna(start):
        return None
    first = int(index.get_indexer(pd.DatetimeIndex([start]))[0])
    n = t.length_minutes // grid.interval_minutes
    if first < 0 or first + n > len(index):
        return None
    slots = list(range(first, first + n))
    breaks = []
    for b in t.breaks:
        k0 = b.offset_minutes // grid.interval_minutes
        for k in range(k0, k0 + b.minutes // grid.interval_minutes):
            breaks.append((slots[k], b.activity, b.paid))
    on_break = {s for s, _, _ in breaks}
    work = tuple(s for s in slots if s not in on_break)
    return ShiftOption(d, t, start, start + pd.Timedelta(minutes=t.length_minutes), work,
                       tuple(breaks))
