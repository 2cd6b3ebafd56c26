"""The scheduling problem as numbers: the one place where requirements become integers.

``build_problem`` places every shift template on every day of the horizon (DST-aware: a shift is
its length in real time), keeps, per agent, the placements that agent may work — the contract's
shift lengths, the agent's availability, fixed days off and time off, an open channel of its
skills whenever it may be working, paid time within the contract — and turns ``agents_required``
into an integer matrix ``required[channel, interval]`` (already whole agents; closed intervals
are 0).

The schedule covers ``agents_required``, the agents needed *on a channel*: breaks and lunches
are placed explicitly in the schedule, so they are not counted again; ``agents_with_shrinkage``
budgets for the unplanned rest (absence, sickness) in requirements.csv.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config, ObjectiveWeights
from wfm.errors import ConfigError, DataError
from wfm.hours import parse_time
from wfm.io.roster import Agent
from wfm.schedule.templates import ShiftTemplate, expand_templates
from wfm.timegrid import Grid


@dataclass(frozen=True)
class BreakSlot:
    """A break of a placed shift: the interval positions it may start at, and its length."""

    starts: tuple[int, ...]
    length: int
    """Intervals."""
    activity: str
    paid: bool
    nominal: int
    """The start the first-cut heuristics use (the middle of the window)."""

    def covering(self, i: int) -> list[int]:
        """The starts at which the break would cover interval ``i``."""
        return [s for s in self.starts if s <= i < s + self.length]


@dataclass(frozen=True)
class ShiftOption:
    """A template placed on a day: absolute interval positions of its time and breaks."""

    day: int
    template: ShiftTemplate
    start: pd.Timestamp
    end: pd.Timestamp
    slots: tuple[int, ...]
    """Every interval of the shift, breaks included."""
    breaks: tuple[BreakSlot, ...]

    @property
    def paid_minutes(self) -> int:
        """Paid minutes of the shift."""
        return self.template.paid_minutes

    @cached_property
    def work(self) -> tuple[int, ...]:
        """The intervals worked with every break at its nominal start."""
        off = {s + j for b in self.breaks for s in (b.nominal,) for j in range(b.length)}
        return tuple(i for i in self.slots if i not in off)

    @cached_property
    def fixed(self) -> tuple[int, ...]:
        """The intervals worked wherever the breaks go (outside every break window)."""
        windows = {s + j for b in self.breaks for s in b.starts for j in range(b.length)}
        return tuple(i for i in self.slots if i not in windows)

    @cached_property
    def may_work(self) -> tuple[int, ...]:
        """The intervals the agent may be working (all but those on break at every start)."""
        always = {i for b in self.breaks
                  for i in set.intersection(*({s + j for j in range(b.length)} for s in b.starts))}
        return tuple(i for i in self.slots if i not in always)


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
    """The roster, every agent's ``rules`` resolved (the config's ``rules`` where None)."""
    options: tuple[ShiftOption, ...]
    allowed: tuple[tuple[int, ...], ...]
    """Per agent: the option ids that agent may work."""
    weights: ObjectiveWeights
    interval_minutes: int

    @property
    def twins(self) -> tuple[tuple[int, ...], ...]:
        """Classes of interchangeable agents (same skills, contract, rules, wishes and shifts).

        Any schedule stays as good when such agents swap weeks, which the model's symmetry
        breaking, the heuristics and the LP bound all rely on.
        """
        classes: dict[tuple[object, ...], list[int]] = {}
        for a, agent in enumerate(self.agents):
            key = (dataclasses.replace(agent, agent_id="", name=""), self.allowed[a])
            classes.setdefault(key, []).append(a)
        return tuple(tuple(members) for members in classes.values())

    @cached_property
    def skill_groups(self) -> tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]:
        """Distinct (skills, proficiency) pairs: agents alike in both count together for
        coverage."""
        return tuple(sorted({(a.skills, a.proficiency) for a in self.agents}))

    @cached_property
    def group_of(self) -> tuple[int, ...]:
        """Each agent's position in :attr:`skill_groups`."""
        return tuple(self.skill_groups.index((a.skills, a.proficiency)) for a in self.agents)

    @cached_property
    def weeks(self) -> tuple[tuple[int, ...], ...]:
        """The days of each 7-day block of the horizon."""
        return tuple(tuple(range(w, min(w + 7, len(self.days))))
                     for w in range(0, len(self.days), 7))

    @cached_property
    def late_end_minute(self) -> int:
        """Shifts ending after this many minutes past their day's midnight are late shifts."""
        return parse_time(self.weights.late_shift_end, allow_24=True)

    def rest_minutes(self, a: int) -> int:
        """Agent ``a``'s minimum rest between shifts, in minutes."""
        return round(self.agents[a].rules.min_rest_hours * 60)  # type: ignore[union-attr]

    def time_off_paid(self, a: int, week: tuple[int, ...]) -> int:
        """Paid minutes of agent ``a``'s time off starting on the days of ``week``."""
        dates = {self.days[d] for d in week}
        return sum(t.paid_minutes for t in self.agents[a].time_off if t.start.date() in dates)

    def days_off_work(self, a: int, week: tuple[int, ...]) -> int:
        """Days of ``week`` that agent ``a`` has wholly off (time off from midnight to midnight),
        which count toward its ``min_days_per_week`` as days of work would."""
        return sum(
            any(t.start <= dt.datetime.combine(self.days[d], dt.time()) and
                t.end >= dt.datetime.combine(self.days[d] + dt.timedelta(days=1), dt.time())
                for t in self.agents[a].time_off)
            for d in week)

    def option_minutes(self, k: int) -> tuple[int, int]:
        """Option ``k``'s start and end in minutes from the horizon's first interval (real
        time: the intervals are equally spaced in UTC, so a DST night is shorter or longer)."""
        o = self.options[k]
        start = o.slots[0] * self.interval_minutes
        return start, start + o.template.length_minutes


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

    agents = tuple(a if a.rules is not None else dataclasses.replace(a, rules=config.rules)
                   for a in agents)
    allowed = _allowed(agents, options, is_open, channels, day_list, index, grid)
    priority = tuple(max(1, round(config.channels[c].priority)) for c in channels)
    return SchedulingProblem(
        days=day_list, index=index, horizon=horizon, channels=channels, priority=priority,
        required=required, open=is_open, agents=agents, options=tuple(options),
        allowed=allowed, weights=config.objective, interval_minutes=step,
    )


def _allowed(agents: tuple[Agent, ...], options: list[ShiftOption], is_open: np.ndarray,
             channels: tuple[str, ...], days: tuple[dt.date, ...], index: pd.DatetimeIndex,
             grid: Grid) -> tuple[tuple[int, ...], ...]:
    """Per agent, the options it may work: skills, lengths, availability, days and time off."""
    workable: dict[tuple[str, ...], np.ndarray] = {}
    for skills in {a.skills for a in agents}:
        can_work = np.asarray(is_open[[channels.index(c) for c in skills]].any(axis=0))
        workable[skills] = np.array([bool(can_work[list(o.may_work)].all()) for o in options])
    available: dict[object, np.ndarray] = {}
    for hours in {a.availability for a in agents if a.availability is not None}:
        mask = grid.open_mask(hours, index)
        available[hours] = np.array([bool(mask[list(o.slots)].all()) for o in options])
    local_start = [o.start.tz_localize(None).to_pydatetime() for o in options]
    local_end = [o.end.tz_convert(grid.timezone).tz_localize(None).to_pydatetime()
                 for o in options]
    out = []
    for agent in agents:
        ok = workable[agent.skills].copy()
        if agent.availability is not None:
            ok &= available[agent.availability]
        lengths = (None if agent.shift_lengths_hours is None
                   else {round(h * 60) for h in agent.shift_lengths_hours})
        out.append(tuple(
            k for k, o in enumerate(options)
            if ok[k]
            and o.paid_minutes <= agent.max_week_hours * 60
            and (lengths is None or o.template.length_minutes in lengths)
            and days[o.day].weekday() not in agent.days_off
            and not any(t.start < local_end[k] and local_start[k] < t.end
                        for t in agent.time_off)))
    return tuple(out)


def _place(t: ShiftTemplate, d: int, day: dt.date, index: pd.DatetimeIndex,
           grid: Grid) -> ShiftOption | None:
    """Put template ``t`` on ``day``; None where DST makes the start time not exist."""
    naive = pd.Timestamp(day) + pd.Timedelta(minutes=t.start_minute)
    start = naive.tz_localize(grid.timezone, ambiguous=True, nonexistent="NaT")
    if pd.isna(start):
        return None
    first = int(index.get_indexer(pd.DatetimeIndex([start]))[0])
    step = grid.interval_minutes
    n = t.length_minutes // step
    if first < 0 or first + n > len(index):
        return None
    breaks = tuple(
        BreakSlot(tuple(range(first + b.earliest_minutes // step,
                              first + b.latest_minutes // step + 1)),
                  b.minutes // step, b.activity, b.paid, first + b.offset_minutes // step)
        for b in t.breaks)
    return ShiftOption(d, t, start, start + pd.Timedelta(minutes=t.length_minutes),
                       tuple(range(first, first + n)), breaks)
