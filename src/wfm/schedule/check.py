"""Check a published schedule against every hard rule, from ``agent_intervals.csv`` alone.

The checker is independent of the solver: it imports nothing from ``wfm.schedule`` and works
from the config, the roster and the ``agent_id, interval_start, activity`` frame. Each broken
rule gives one row ``agent_id, date, rule, detail``; an empty frame means every rule is kept.

Definitions (the solver uses exactly these):

* A **shift** is a maximal run of an agent's consecutive grid intervals whose activity is not
  ``off`` (a missing row is ``off``). Its date is the local date of its first interval, its
  start the local wall-clock minute of that interval, and its length L the number of intervals
  × ``interval_minutes`` (real minutes, whatever DST does); it ends at its first interval's
  start + L.
* The **horizon** starts on ``start`` (default: the local date of the earliest row) and lasts
  ``days`` (default: the consecutive local dates from ``start`` of which some agent has every
  grid interval). Weekly rules count 7-day **blocks** from ``start``; the minimum rules (hours,
  days, two days off in a row) apply only to complete blocks inside the horizon, the maximum
  rules to every block.
* The **break rules** of a shift of length L are those with ``L >= min_shift_hours × 60`` whose
  window, clipped to the shift, has room: with ``(e, l) = window_minutes`` and the interval
  length ``step``, ``s_min = max(e, step)`` and ``l_max = min(l, L - step)``; a rule applies
  iff ``s_min + minutes <= l_max``. A **break run** is a maximal run of consecutive ``break``
  (or of ``lunch``) intervals. Runs (by start) and applicable rules (by ``(e, l)``) must match
  one to one in order, with the same label and minutes. Where they do not, the order-keeping
  matching with the most such pairs (then the most runs inside their windows) decides: a rule
  left over is a missing break, a run left over an extra one, and a run and a rule of one label
  left over between the same matches a break of the wrong length.
* An agent whose ``rules`` is None keeps the config's ``rules``. A rule about one shift is
  dated by that shift, ``rest`` by the later of the two shifts, ``consecutive_days`` by the
  first date of each run that is too long, weekly rules by the first day of their block.

Rules, by the name they are reported under:

===================  ===========================================================================
``unknown_agent``    the agent is not in the roster (only the config's rules are checked for it)
``unknown_activity`` an activity that is no channel, ``break``, ``lunch`` or ``off``
``shift_length``     L is one of the agent's contract lengths, else ``shifts.lengths_hours``
``shift_start``      ``earliest_start <= start``, ``(start - earliest) % start_every_minutes
                     == 0`` and ``start + L <= latest_end`` (minutes; 2880 when not given)
``breaks``           a missing, extra or wrong-length break or lunch
``break_window``     a matched run starting s minutes into the shift has ``s_min <= s`` and
                     ``s + minutes <= l_max``
``break_spacing``    at least ``min_work_between_breaks_minutes`` of work between two runs
``skill``            a channel the agent has no skill for
``channel_closed``   a channel worked while its opening hours say closed
``week_hours_max``   paid minutes of the block's shifts (L minus matched unpaid breaks;
``week_hours_min``   an unmatched lunch counts unpaid, an unmatched break paid) + paid time off
                     starting in the block, within the agent's min and max week hours
``days_max``         distinct shift dates per block within the rule set's min and max days
``days_min``         (a whole day of time off counts toward the min)
``consecutive_days`` no run of consecutive shift dates longer than ``max_consecutive_days``
``days_off_in_row``  with ``consecutive_days_off``, two consecutive shift-free dates per block
``rest``             at least ``min_rest_hours`` from a shift's end to the next one's start
``start_variation``  per block, latest minus earliest start ≤ ``max_start_variation_minutes``
``availability``     every interval of a shift inside the agent's availability
``day_off``          no shift dated on one of the agent's fixed weekdays off
``time_off``         no interval [t, t + step) (local wall clock) overlaps the agent's time off
===================  ===========================================================================
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import BreakRule, Config, RuleSet, ShiftPolicy, _hint
from wfm.errors import ConfigError, DataError
from wfm.hours import WEEKDAYS, parse_time
from wfm.io.roster import Agent
from wfm.timegrid import Grid

VIOLATION_COLUMNS = ("agent_id", "date", "rule", "detail")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NS_PER_MINUTE = 60_000_000_000

Violation = tuple[str, dt.date | None, str, str]


def check_schedule(agent_intervals: pd.DataFrame, agents: tuple[Agent, ...], config: Config,
                   grid: Grid | None = None, *, start: dt.date | None = None,
                   days: int | None = None) -> pd.DataFrame:
    """Every broken hard rule, one row each (empty frame = the schedule keeps every rule).

    Parameters
    ----------
    agent_intervals
        ``agent_id, interval_start, activity``: tz-aware time stamps (or ISO strings with a UTC
        offset) on the config's interval grid; an agent's missing intervals are ``off``.
    agents
        The roster, with time off.
    config, grid
        The site; ``grid`` defaults to the config's.
    start, days
        The horizon (see the module docstring for the defaults).

    Returns
    -------
    pd.DataFrame
        :data:`VIOLATION_COLUMNS`, sorted by agent, date and rule. ``date`` is the shift's local
        date, the first day of the block for weekly rules, or None.

    Raises
    ------
    DataError
        A missing column, an empty cell, a time stamp that cannot be read, has no UTC offset or
        is off the grid, or two rows for one agent and interval (rows count the header as 1).
    ConfigError
        The config has no ``shifts`` policy.
    """
    grid = grid or Grid.from_config(config)
    if config.shifts is None:
        raise ConfigError("shifts", "required to check a schedule (lengths_hours, breaks, …)")
    rows = _Rows.read(agent_intervals, grid)
    if rows.n == 0 and start is None:
        return _frame([])
    horizon_start = start or rows.first_date()
    horizon_days = rows.complete_days(horizon_start, grid) if days is None else days
    shifts = _Shifts.find(rows, grid.interval_minutes)
    check = _Checker(rows, shifts, agents, config, config.shifts, grid, horizon_start,
                     horizon_days)
    return _frame(check.run())


def _frame(found: list[Violation]) -> pd.DataFrame:
    found = sorted(found, key=lambda v: (v[0], v[1] or dt.date.min, v[2]))
    return pd.DataFrame(found, columns=list(VIOLATION_COLUMNS))


# --- reading the frame -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """The frame as arrays sorted by agent and time; per-row ``u`` indexes the unique stamps."""

    agent: np.ndarray
    activity: np.ndarray
    ns: np.ndarray
    u: np.ndarray
    stamps: pd.DatetimeIndex
    """Unique interval starts, sorted, in the site's time zone."""

    @property
    def n(self) -> int:
        return len(self.ns)

    @classmethod
    def read(cls, df: pd.DataFrame, grid: Grid) -> _Rows:
        missing = [c for c in F.AGENT_INTERVAL_COLUMNS if c not in df.columns]
        if missing:
            raise DataError(None, f"missing column(s) {', '.join(missing)} (found: "
                            f"{', '.join(map(str, df.columns))})")
        for column in F.AGENT_INTERVAL_COLUMNS:
            empty = np.flatnonzero(df[column].isna().to_numpy())
            if len(empty):
                raise DataError(None, f"empty {column}", rows=list(empty + 2), column=column)
        agent = df[F.AGENT_ID].astype(str).to_numpy(dtype=object)
        activity = df[F.ACTIVITY].astype(str).to_numpy(dtype=object)
        ns = _utc_ns(df[F.INTERVAL_START])
        unique_ns, u = np.unique(ns, return_inverse=True)
        u = u.ravel()
        stamps = pd.DatetimeIndex(unique_ns, tz="UTC").tz_convert(grid.timezone)
        wall = stamps.tz_localize(None)
        off_grid = np.asarray(wall.floor(grid.freq) != wall)[u]
        if off_grid.any():
            rows = np.flatnonzero(off_grid)
            raise DataError(None, f"{stamps[u[rows[0]]]} is not on the "
                            f"{grid.interval_minutes}-minute interval grid",
                            rows=list(rows + 2), column=F.INTERVAL_START)
        codes = pd.factorize(agent, sort=True)[0]
        order = np.lexsort((ns, codes))
        agent, activity, ns, u = agent[order], activity[order], ns[order], u[order]
        dup = np.flatnonzero((agent[1:] == agent[:-1]) & (ns[1:] == ns[:-1]))
        if len(dup):
            where = sorted(int(r) + 2 for r in order[[dup[0], dup[0] + 1]])
            raise DataError(None, f"agent '{agent[dup[0]]}' has two rows for "
                            f"{stamps[u[dup[0]]]} ({len(dup)} such pair(s))",
                            rows=where, column=F.INTERVAL_START)
        return cls(agent, activity, ns, u, stamps)

    def first_date(self) -> dt.date:
        first: dt.date = self.stamps[0].date()
        return first

    def complete_days(self, start: dt.date, grid: Grid) -> int:
        """Consecutive local dates from ``start`` of which some agent has every interval."""
        dates = np.asarray(self.stamps.date)[self.u]
        counts = pd.DataFrame({"agent": self.agent, "date": dates}).value_counts()
        best = counts.groupby(level="date").max()
        n = 0
        while best.get(start + dt.timedelta(days=n), 0) == len(
                grid.intervals(start + dt.timedelta(days=n), 1)):
            n += 1
        return n


def _utc_ns(column: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of tz-aware stamps or ISO strings with an offset."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return np.asarray(pd.DatetimeIndex(column).as_unit("ns").asi8)
    codes, uniques = pd.factorize(column)
    values = np.zeros(len(uniques), dtype=np.int64)
    bad = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            bad[i] = True
            continue
        if pd.isna(ts) or ts.tzinfo is None:
            bad[i] = True
        else:
            values[i] = ts.as_unit("ns").value
    rows = np.flatnonzero(bad[codes])
    if len(rows):
        shown = column.iloc[rows[0]]
        raise DataError(None, f"{len(rows)} value(s) are not time stamps with a UTC offset, "
                        f"e.g. {shown!r} (expected e.g. 2026-06-01T08:00:00+02:00)",
                        rows=list(rows + 2), column=F.INTERVAL_START)
    return values[codes]


@dataclass(frozen=True)
class _Shifts:
    """Every shift (maximal run of non-off intervals) and the work rows that make it up."""

    rows: np.ndarray
    """Positions (in :class:`_Rows`) of the non-off rows, in order."""
    shift_of: np.ndarray
    """The shift of each of those rows."""
    first: np.ndarray
    """Index into ``rows`` of each shift's first interval."""
    length: np.ndarray
    """Minutes of each shift."""

    @classmethod
    def find(cls, r: _Rows, step: int) -> _Shifts:
        rows = np.flatnonzero(r.activity != F.OFF)
        agent, ns = r.agent[rows], r.ns[rows]
        new = np.ones(len(rows), dtype=bool)
        new[1:] = (agent[1:] != agent[:-1]) | (np.diff(ns) != step * _NS_PER_MINUTE)
        shift_of = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        length = np.diff(np.append(first, len(rows))) * step
        return cls(rows, shift_of, first, length)


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """A run of ``break`` or ``lunch`` intervals: label, minutes into the shift, minutes."""

    label: str
    offset: int
    minutes: int


@dataclass(frozen=True)
class _Window:
    """An applicable break rule with its window clipped to the shift."""

    rule: BreakRule
    earliest: int
    latest_end: int


class _Checker:
    """Walks the shifts once per rule family and collects the violations."""

    def __init__(self, rows: _Rows, shifts: _Shifts, agents: tuple[Agent, ...], config: Config,
                 policy: ShiftPolicy, grid: Grid, start: dt.date, days: int) -> None:
        self.r, self.s, self.config, self.policy, self.grid = rows, shifts, config, policy, grid
        self.start, self.days = start, days
        self.step = grid.interval_minutes
        self.by_id = {a.agent_id: a for a in agents}
        first_rows = shifts.rows[shifts.first]
        self.agent = rows.agent[first_rows]
        begin = rows.stamps[rows.u[first_rows]]
        self.begin = begin
        self.date = np.asarray(begin.date)
        self.minute = np.asarray(begin.hour * 60 + begin.minute)
        self.paid = shifts.length.copy()
        self.found: list[Violation] = []

    def run(self) -> list[Violation]:
        self._unknown()
        self._shapes()
        self._channels()
        self._agent_intervals()
        self._sequences()
        return self.found

    def add(self, agent_id: str, day: dt.date | None, rule: str, detail: str) -> None:
        self.found.append((agent_id, day, rule, detail))

    def shift_name(self, k: int) -> str:
        return f"the {_h(int(self.s.length[k]))} shift from {_clock(self.begin[k])}"

    def _violating(self, where: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """(shift, its work rows among ``where``) for each shift holding any of ``where``
        (indices into the work rows, sorted)."""
        for k, idx in _split(self.s.shift_of[where], where):
            yield int(k), idx

    def _unknown(self) -> None:
        r = self.r
        for agent_id in sorted(set(pd.unique(r.agent)) - set(self.by_id)):
            n = int((r.agent == agent_id).sum())
            self.add(agent_id, None, "unknown_agent",
                     f"agent '{agent_id}' ({n} rows) is not in the roster"
                     f"{_hint(agent_id, self.by_id)}")
        labels = {*self.config.channels, F.BREAK, F.LUNCH, F.OFF}
        activity = r.activity[self.s.rows]
        unknown = ~pd.Series(activity).isin(labels).to_numpy()
        for k, idx in self._violating(np.flatnonzero(unknown)):
            for name in dict.fromkeys(activity[idx]):
                hits = idx[activity[idx] == name]
                self.add(self.agent[k], self.date[k], "unknown_activity",
                         f"'{name}' in {len(hits)} interval(s) from {self.clock(hits[0])} of "
                         f"{self.shift_name(k)} is not a channel "
                         f"({', '.join(self.config.channels)}), break, lunch or off"
                         f"{_hint(name, self.config.channels)}")

    def clock(self, work_row: int) -> str:
        return _clock(self.r.stamps[self.r.u[self.s.rows[work_row]]])

    # shift length, start and breaks ------------------------------------------------------------

    def _shapes(self) -> None:
        p = self.policy
        earliest = parse_time(p.earliest_start, allow_24=False) if p.earliest_start else 0
        latest = parse_time(p.latest_end, allow_24=True) if p.latest_end else 2880
        runs = self._runs()
        windows: dict[int, list[_Window]] = {}
        for k in range(len(self.s.first)):
            agent_id, day, minute = self.agent[k], self.date[k], int(self.minute[k])
            length = int(self.s.length[k])
            agent = self.by_id.get(agent_id)
            allowed = (agent.shift_lengths_hours if agent and agent.shift_lengths_hours
                       else p.lengths_hours)
            if length not in {round(h * 60) for h in allowed}:
                self.add(agent_id, day, "shift_length",
                         f"the shift from {_clock(self.begin[k])} is {_h(length)} long; "
                         "allowed lengths: "
                         f"{', '.join(f'{h:g}' for h in allowed)} h")
            if minute < earliest:
                self.add(agent_id, day, "shift_start", f"{self.shift_name(k)} starts before "
                         f"the earliest start {_clock_minutes(earliest)}")
            elif (minute - earliest) % p.start_every_minutes:
                self.add(agent_id, day, "shift_start", f"{self.shift_name(k)} starts off the "
                         f"start grid (every {p.start_every_minutes} min from "
                         f"{_clock_minutes(earliest)})")
            if minute + length > latest:
                self.add(agent_id, day, "shift_start", f"{self.shift_name(k)} ends at "
                         f"{_clock_minutes(minute + length)}, after the latest end "
                         f"{_clock_minutes(latest)}")
            if length not in windows:
                windows[length] = self._windows(length)
            self._breaks(k, runs.get(k, []), windows[length])

    def _windows(self, length: int) -> list[_Window]:
        out = []
        for rule in sorted(self.policy.breaks, key=lambda b: b.window_minutes):
            e, l = rule.window_minutes  # noqa: E741 - the spec's names
            s_min, l_max = max(e, self.step), min(l, length - self.step)
            if length >= rule.min_shift_hours * 60 and s_min + rule.minutes <= l_max:
                out.append(_Window(rule, s_min, l_max))
        return out

    def _runs(self) -> dict[int, list[_Run]]:
        """The break runs of each shift, by start."""
        s = self.s
        activity = self.r.activity[s.rows]
        on_break = (activity == F.BREAK) | (activity == F.LUNCH)
        new = on_break.copy()
        new[1:] &= ~on_break[:-1] | (activity[1:] != activity[:-1]) | (np.diff(s.shift_of) != 0)
        starts = np.flatnonzero(new)
        run_of = np.cumsum(new) - 1
        sizes = np.bincount(run_of[on_break], minlength=len(starts))
        out: dict[int, list[_Run]] = defaultdict(list)
        for i, n in zip(starts, sizes, strict=True):
            k = int(s.shift_of[i])
            out[k].append(_Run(str(activity[i]), int(i - s.first[k]) * self.step,
                               int(n) * self.step))
        return out

    def _breaks(self, k: int, runs: list[_Run], windows: list[_Window]) -> None:
        agent_id, day = self.agent[k], self.date[k]
        matched, missing, extra, wrong = _align(runs, windows)
        for run, w in matched:
            if not w.rule.is_paid:
                self.paid[k] -= run.minutes
            if not w.earliest <= run.offset <= w.latest_end - run.minutes:
                self.add(agent_id, day, "break_window",
                         f"{run.minutes}-min {run.label} at {self.at(k, run.offset)} is "
                         f"{_h(run.offset)} into {self.shift_name(k)}; it must lie between "
                         f"{_h(w.earliest)} and {_h(w.latest_end)} into the shift")
        for w in missing:
            self.add(agent_id, day, "breaks",
                     f"no {w.rule.minutes}-min {w.rule.activity} in {self.shift_name(k)} (its "
                     f"rule asks for one between {_h(w.earliest)} and {_h(w.latest_end)} into "
                     "the shift)")
        for run in extra:
            self.add(agent_id, day, "breaks",
                     f"extra {run.minutes}-min {run.label} at {self.at(k, run.offset)} in "
                     f"{self.shift_name(k)} (no {run.label} rule left for it)")
        for run, w in wrong:
            self.add(agent_id, day, "breaks",
                     f"{run.label} at {self.at(k, run.offset)} in {self.shift_name(k)} is "
                     f"{run.minutes} min, its rule asks for {w.rule.minutes} min")
        for run in (*extra, *(run for run, _ in wrong)):
            if run.label == F.LUNCH:
                self.paid[k] -= run.minutes
        gap = self.policy.min_work_between_breaks_minutes
        for a, b in itertools.pairwise(runs):
            work = b.offset - a.offset - a.minutes
            if work < gap:
                self.add(agent_id, day, "break_spacing",
                         f"only {work} min of work between the {a.label} ending "
                         f"{self.at(k, a.offset + a.minutes)} and the {b.label} at "
                         f"{self.at(k, b.offset)} in {self.shift_name(k)}, min {gap} min")

    def at(self, k: int, offset: int) -> str:
        return _clock(self.begin[k] + pd.Timedelta(minutes=offset))

    # per-interval rules ------------------------------------------------------------------------

    def _channels(self) -> None:
        r, s = self.r, self.s
        activity = r.activity[s.rows]
        agents = r.agent[s.rows]
        u = r.u[s.rows]
        for name, channel in self.config.channels.items():
            on = activity == name
            if not on.any():
                continue
            closed = on & ~self.grid.open_mask(channel.hours, r.stamps)[u]
            for k, idx in self._violating(np.flatnonzero(closed)):
                self.add(self.agent[k], self.date[k], "channel_closed",
                         f"{name} worked in {len(idx)} interval(s) from {self.clock(idx[0])} "
                         f"of {self.shift_name(k)} while closed (hours "
                         f"{channel.hours.describe()})")
            lacking = [a for a in np.unique(agents[on])
                       if a in self.by_id and name not in self.by_id[a].skills]
            unskilled = on & pd.Series(agents).isin(lacking).to_numpy()
            for k, idx in self._violating(np.flatnonzero(unskilled)):
                skills = ", ".join(self.by_id[self.agent[k]].skills)
                self.add(self.agent[k], self.date[k], "skill",
                         f"{name} worked in {len(idx)} interval(s) from {self.clock(idx[0])} "
                         f"of {self.shift_name(k)} without the {name} skill (skills: "
                         f"{skills})")

    def _agent_intervals(self) -> None:
        """Availability and time off, on each agent's own work rows."""
        r, s = self.r, self.s
        u = r.u[s.rows]
        available: dict[object, np.ndarray] = {}
        wall = np.asarray(r.stamps.tz_localize(None))
        step = np.timedelta64(self.step, "m")
        for agent_id, mine in _split(r.agent[s.rows], np.arange(len(s.rows))):
            agent = self.by_id.get(agent_id)
            if agent is None:
                continue
            hours = agent.availability
            if hours is not None:
                if hours not in available:
                    available[hours] = self.grid.open_mask(hours, r.stamps)
                for k, idx in self._violating(mine[~available[hours][u[mine]]]):
                    self.add(agent_id, self.date[k], "availability",
                             f"{len(idx)} interval(s) from {self.clock(idx[0])} of "
                             f"{self.shift_name(k)} fall outside the availability "
                             f"{hours.describe()}")
            t = wall[u[mine]]
            for off in agent.time_off:
                hit = (t < np.datetime64(off.end)) & (t + step > np.datetime64(off.start))
                reason = f" ({off.reason})" if off.reason else ""
                for k, idx in self._violating(mine[hit]):
                    self.add(agent_id, self.date[k], "time_off",
                             f"{len(idx)} interval(s) from {self.clock(idx[0])} of "
                             f"{self.shift_name(k)} overlap time off {off.start:%Y-%m-%d %H:%M}"
                             f" to {off.end:%Y-%m-%d %H:%M}{reason}")

    # day and week rules ------------------------------------------------------------------------

    def rules(self, agent: Agent) -> RuleSet:
        """The agent's rule set; the config's ``rules`` when the agent names none."""
        rules: RuleSet | None = agent.rules
        return rules if rules is not None else self.config.rules

    def _sequences(self) -> None:
        """Day, rest and week rules for every agent of the roster, with shifts or without."""
        ends = self.begin + pd.to_timedelta(self.s.length, unit="min")
        shifts_of = dict(_split(self.agent, np.arange(len(self.agent))))
        for agent_id, agent in self.by_id.items():
            ks = shifts_of.get(agent_id, np.zeros(0, dtype=int))
            rules = self.rules(agent)
            for k in ks:
                weekday = self.date[k].weekday()
                if weekday in agent.days_off:
                    self.add(agent_id, self.date[k], "day_off",
                             f"{self.shift_name(k)} is on {_DAY_NAMES[weekday]}, a fixed day "
                             f"off ({'|'.join(WEEKDAYS[d] for d in sorted(agent.days_off))})")
            rest = rules.min_rest_hours * 60
            for a, b in itertools.pairwise(ks):
                gap = (self.begin[b] - ends[a]).total_seconds() / 60
                if gap < rest - 1e-9:
                    self.add(agent_id, self.date[b], "rest",
                             f"rest of {_h(gap)} between the shift ending "
                             f"{ends[a]:%Y-%m-%d %H:%M} and {self.shift_name(b)}, min "
                             f"{rules.min_rest_hours:g} h")
            self._consecutive(agent, sorted(set(self.date[ks])))
            self._weeks(agent, ks)

    def _consecutive(self, agent: Agent, dates: list[dt.date]) -> None:
        limit = self.rules(agent).max_consecutive_days
        run = dates[:1]
        for day in [*dates[1:], None]:
            if day is not None and (day - run[-1]).days == 1:
                run.append(day)
                continue
            if len(run) > limit:
                self.add(agent.agent_id, run[0], "consecutive_days",
                         f"works {len(run)} days in a row, {run[0]} to {run[-1]}, max {limit}")
            if day is not None:
                run = [day]

    def _weeks(self, agent: Agent, ks: np.ndarray) -> None:
        rules = self.rules(agent)
        block_of = np.array([(d - self.start).days // 7 for d in self.date[ks]])
        complete = range(self.days // 7)
        blocks = sorted({*block_of.tolist(), *range(-(-self.days // 7))})
        for b in blocks:
            first = self.start + dt.timedelta(days=7 * b)
            week = f"the week of {first}"
            mine = ks[block_of == b]
            off_paid = sum(o.paid_minutes for o in agent.time_off
                           if 0 <= (o.start.date() - first).days < 7)
            paid = int(self.paid[mine].sum()) + off_paid
            with_off = f" (incl. {_h(off_paid)} paid time off)" if off_paid else ""
            if paid > agent.max_week_hours * 60 + 1e-6:
                self.add(agent.agent_id, first, "week_hours_max",
                         f"paid {_h(paid)} in {week}{with_off}, contract max "
                         f"{agent.max_week_hours:g} h")
            if b in complete and paid < agent.min_week_hours * 60 - 1e-6:
                self.add(agent.agent_id, first, "week_hours_min",
                         f"paid {_h(paid)} in {week}{with_off}, contract min "
                         f"{agent.min_week_hours:g} h")
            worked = set(self.date[mine])
            if len(worked) > rules.max_days_per_week:
                self.add(agent.agent_id, first, "days_max", f"works {len(worked)} days in "
                         f"{week}, max {rules.max_days_per_week}")
            dates = [first + dt.timedelta(days=i) for i in range(7)]
            leave = sum(any(o.start <= dt.datetime.combine(d, dt.time()) and
                            o.end >= dt.datetime.combine(d + dt.timedelta(days=1), dt.time())
                            for o in agent.time_off) for d in dates)
            if b in complete and len(worked) + leave < rules.min_days_per_week:
                also = f" and has {leave} whole day(s) off" if leave else ""
                self.add(agent.agent_id, first, "days_min", f"works {len(worked)} days in "
                         f"{week}{also}, min {rules.min_days_per_week}")
            if b in complete and rules.consecutive_days_off and not any(
                    a not in worked and c not in worked for a, c in itertools.pairwise(dates)):
                shown = ", ".join(f"{d:%a}" for d in sorted(worked))
                self.add(agent.agent_id, first, "days_off_in_row",
                         f"no two consecutive days off in {week} (works {shown})")
            limit = rules.max_start_variation_minutes
            if limit is not None and len(mine):
                starts = self.minute[mine]
                spread = int(starts.max() - starts.min())
                if spread > limit:
                    self.add(agent.agent_id, first, "start_variation",
                             f"shift starts vary by {spread} min in {week} "
                             f"({_clock_minutes(int(starts.min()))} to "
                             f"{_clock_minutes(int(starts.max()))}), max {limit} min")


def _align(runs: list[_Run], windows: list[_Window]) -> tuple[
    list[tuple[_Run, _Window]], list[_Window], list[_Run], list[tuple[_Run, _Window]]
]:
    """Match runs to rules in order: (matched, missing rules, extra runs, wrong-length pairs).

    Both lists keep their order; as many runs as possible are matched to a rule with their
    label and minutes (ties: as many as possible inside their windows). Between two matches,
    an unmatched run and rule of one label pair up as a wrong length; the rest are missing or
    extra. Runs that match the rules one to one in order are all matched.
    """
    n, m = len(runs), len(windows)
    if n == m and all(r.label == w.rule.activity and r.minutes == w.rule.minutes
                      for r, w in zip(runs, windows, strict=True)):
        return list(zip(runs, windows, strict=True)), [], [], []

    def gain(i: int, j: int) -> tuple[int, int] | None:
        r, w = runs[i], windows[j]
        if r.label != w.rule.activity or r.minutes != w.rule.minutes:
            return None
        return 1, int(w.earliest <= r.offset <= w.latest_end - r.minutes)

    best = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1])
            g = gain(i, j)
            if g is not None:
                tail = best[i + 1][j + 1]
                best[i][j] = max(best[i][j], (tail[0] + g[0], tail[1] + g[1]))
    matched: list[tuple[_Run, _Window]] = []
    missing: list[_Window] = []
    extra: list[_Run] = []
    wrong: list[tuple[_Run, _Window]] = []
    left_runs: list[_Run] = []
    left_rules: list[_Window] = []
    i = j = 0
    while i < n and j < m:
        g, tail = gain(i, j), best[i + 1][j + 1]
        if g is not None and best[i][j] == (tail[0] + g[0], tail[1] + g[1]):
            _pair_leftovers(left_runs, left_rules, missing, extra, wrong)
            matched.append((runs[i], windows[j]))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i][j + 1]:
            left_rules.append(windows[j])
            j += 1
        else:
            left_runs.append(runs[i])
            i += 1
    left_runs.extend(runs[i:])
    left_rules.extend(windows[j:])
    _pair_leftovers(left_runs, left_rules, missing, extra, wrong)
    return matched, missing, extra, wrong


def _pair_leftovers(runs: list[_Run], rules: list[_Window], missing: list[_Window],
                    extra: list[_Run], wrong: list[tuple[_Run, _Window]]) -> None:
    """Pair unmatched runs and rules of one label in order; empty both lists."""
    for label in (F.BREAK, F.LUNCH):
        rs = [r for r in runs if r.label == label]
        ws = [w for w in rules if w.rule.activity == label]
        wrong.extend(zip(rs, ws, strict=False))
        extra.extend(rs[len(ws):])
        missing.extend(ws[len(rs):])
    runs.clear()
    rules.clear()


def _split(keys: np.ndarray, values: np.ndarray) -> Iterator[tuple[Any, np.ndarray]]:
    """(key, values) for each run of equal ``keys`` (already grouped)."""
    if len(keys) == 0:
        return
    cut = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(keys)], strict=True):
        yield keys[lo], values[lo:hi]


def _h(minutes: float) -> str:
    return f"{minutes / 60:g} h"


def _clock(ts: pd.Timestamp) -> str:
    return f"{ts:%H:%M}"


def _clock_minutes(minutes: int) -> str:
    day, rest = divmod(minutes, 1440)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text if day == 0 else f"{text} (+{day} day)"

