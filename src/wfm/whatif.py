"""What-if scenarios: change knobs of the plan and compare the outcome to the base.

A scenario is a tuple of :class:`Change` objects applied to the forecast, the config or the
roster. Forecast and target changes re-run staffing (:func:`wfm.staffing.requirements`) and
simulate the *current* schedule under the changed inputs (:func:`wfm.simulate.simulate`); a
headcount change re-schedules the changed roster
(:func:`wfm.pipeline.schedule_requirements`) and simulates the new schedule. Every scenario is
simulated with the same seed (common random numbers), so differences between scenarios are not
sampling noise of different random streams. Scenarios change one knob at a time, or with
``combine=True`` every combination of one value per knob (``volume +10% & aht +15s``).

Knobs (``--vary KNOB=V1,V2,…``):

* ``volume=-10%``: forecast volume and its bounds × (1 + x/100).
* ``deflection=0.3``: volume and bounds × (1 − 0.3) (self-service takes 30 %).
* ``aht=+15s`` or ``aht=+10%``: forecast handle time shifted or scaled.
* ``service_level=0.9``: the target service level of every voice and chat channel.
* ``shrinkage=0.35``: the shrinkage of every channel.
* ``hours.chat=08:00-24:00``: the channel open every day in that range; forecast contacts
  outside it are dropped (not moved into the open hours).
* ``headcount=-5`` / ``headcount=+3``: the last N agents of the roster removed, or N copies of
  the most common agent profile added, then re-scheduled.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import itertools
import multiprocessing
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Channel, Config
from wfm.hours import WEEKDAYS, parse_hours
from wfm.io.roster import Agent
from wfm.pipeline import schedule_requirements
from wfm.shrinkage import parse_shrinkage
from wfm.simulate import agent_skills, simulate, week_summary
from wfm.staffing import requirements
from wfm.timegrid import Grid

WHATIF_COLUMNS = F.WHATIF_COLUMNS
FTE_HOURS = 40.0
"""Paid hours of one full-time equivalent per week."""
BASE = "base"
KNOBS = ("volume", "aht", "service_level", "shrinkage", "headcount", "hours.<channel>",
         "deflection")
_PLAIN_KNOBS = ("volume", "aht", "service_level", "shrinkage", "headcount", "deflection")
_PERCENT = re.compile(r"^[+-]?\d+(\.\d+)?%$")
_SECONDS = re.compile(r"^[+-]?\d+(\.\d+)?s$")
_SIGNED_INT = re.compile(r"^[+-]\d+$")


@dataclass(frozen=True)
class Change:
    """One knob of a scenario, with its value as the user typed it (``"-10%"``, ``"+15s"``)."""

    knob: str
    value: str

    @property
    def label(self) -> str:
        """The scenario name this change gives when varied alone, e.g. ``volume -10%``."""
        return f"{self.knob} {self.value}"


@dataclass(frozen=True)
class WhatIfResult:
    """The comparison table (:data:`WHATIF_COLUMNS`, one row per scenario and channel) and the
    wall time it took."""

    table: pd.DataFrame
    seconds: float


# -- parsing ---------------------------------------------------------------------------------------

def parse_vary(text: str) -> list[Change]:
    """``"volume=-10%,+10%,+20%"`` -> one :class:`Change` per value.

    Raises
    ------
    ValueError
        Naming the knob and the value when the knob is unknown (with a "did you mean" hint) or
        a value does not fit it.
    """
    if "=" not in text:
        raise ValueError(f"--vary '{text}': expected KNOB=VALUE[,VALUE…], e.g. volume=-10%,+10%")
    knob, _, values = text.partition("=")
    knob = knob.strip()
    if knob.startswith("hours."):
        if not knob.removeprefix("hours."):
            raise ValueError(f"--vary '{text}': name the channel, e.g. hours.chat=08:00-20:00")
    elif knob not in _PLAIN_KNOBS:
        close = difflib.get_close_matches(knob, (*_PLAIN_KNOBS, "hours"), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown knob '{knob}'{hint}; knobs: {', '.join(KNOBS)}")
    items = [v.strip() for v in values.split(",")]
    if not any(items) or not all(items):
        raise ValueError(f"--vary '{text}': knob '{knob}' needs values separated by commas")
    changes = [Change(knob, v) for v in items]
    for change in changes:
        _check(change)
    return changes


def scenarios(varies: list[str], combine: bool = False) -> list[tuple[str, tuple[Change, ...]]]:
    """The base first, then one scenario per value of each ``--vary`` (one knob at a time), or
    with ``combine`` one per combination of one value of every knob.

    >>> [name for name, _ in scenarios(["volume=-10%,+10%", "aht=+15s"])]
    ['base', 'volume -10%', 'volume +10%', 'aht +15s']
    >>> [name for name, _ in scenarios(["volume=-10%,+10%", "aht=+15s"], combine=True)]
    ['base', 'volume -10% & aht +15s', 'volume +10% & aht +15s']

    Raises
    ------
    ValueError
        A bad ``--vary`` text, or with ``combine`` the same knob given twice.
    """
    axes: dict[str, list[Change]] = {}
    for text in varies:
        changes = parse_vary(text)
        knob = changes[0].knob
        if combine and knob in axes:
            raise ValueError(f"--vary: knob '{knob}' is given twice; to combine, give each knob "
                             f"once with all its values, e.g. {knob}=V1,V2")
        values = axes.setdefault(knob, [])
        values += [c for c in dict.fromkeys(changes) if c not in values]
    if combine:
        combos = [tuple(c) for c in itertools.product(*axes.values())]
    else:
        combos = [(c,) for values in axes.values() for c in values]
    return [(BASE, ())] + [(" & ".join(c.label for c in combo), combo) for combo in combos]


def _check(change: Change) -> None:
    """Raise ``ValueError`` when ``change.value`` does not fit its knob."""
    knob, value = change.knob, change.value

    def bad(expected: str) -> ValueError:
        return ValueError(f"{knob}: '{value}' is not {expected}")

    if knob == "volume":
        if not _PERCENT.match(value):
            raise bad("a percent change such as -10% or +20% (the percent sign is needed)")
        if _percent(value) <= -100:
            raise bad("above -100%")
    elif knob == "aht":
        if not (_PERCENT.match(value) or _SECONDS.match(value)):
            raise bad("a change in seconds or percent such as +15s or -10%")
        if _PERCENT.match(value) and _percent(value) <= -100:
            raise bad("above -100%")
    elif knob in ("service_level", "shrinkage", "deflection"):
        number = _number(value, bad("a fraction such as 0.8"))
        if knob == "service_level" and not 0 < number <= 1:
            raise bad("a fraction in (0, 1]")
        if knob != "service_level" and not 0 <= number < 1:
            raise bad("a fraction in [0, 1)")
    elif knob == "headcount":
        if not _SIGNED_INT.match(value) or int(value) == 0:
            raise bad("a signed number of agents such as -5 or +3")
    else:  # hours.<channel>
        try:
            parse_hours({"mon-sun": value})
        except ValueError as exc:
            raise ValueError(f"{knob}: '{value}' is not opening hours ({exc})") from None


def _number(value: str, error: ValueError) -> float:
    try:
        number = float(value)
    except ValueError:
        raise error from None
    if not np.isfinite(number):
        raise error
    return number


def _percent(value: str) -> float:
    return float(value.rstrip("%"))


# -- applying --------------------------------------------------------------------------------------

def apply_to_forecast(forecast: pd.DataFrame, change: Change) -> pd.DataFrame:
    """The forecast with a ``volume``, ``deflection`` or ``aht`` change applied (a copy)."""
    out = forecast.copy()
    if change.knob in ("volume", "deflection"):
        factor = (1 + _percent(change.value) / 100 if change.knob == "volume"
                  else 1 - float(change.value))
        for col in out.columns:
            if col == F.VOLUME or col.startswith(f"{F.VOLUME}_"):
                out[col] = out[col] * factor
    elif change.knob == "aht":
        aht = out[F.AHT_SECONDS].astype(float)
        if change.value.endswith("%"):
            aht = aht * (1 + _percent(change.value) / 100)
        else:
            aht = aht + float(change.value.removesuffix("s"))
        if (aht <= 0).any():
            raise ValueError(f"aht: '{change.value}' leaves a handle time at or below 0 s")
        out[F.AHT_SECONDS] = aht
    return out


def apply_to_config(config: Config, change: Change) -> Config:
    """The config with a ``service_level``, ``shrinkage`` or ``hours.<channel>`` change."""
    channels = dict(config.channels)
    if change.knob == "service_level":
        level = float(change.value)
        for name, ch in channels.items():
            if ch.kind != "deferred":
                target = ch.target.model_copy(update={"service_level": level})
                channels[name] = ch.model_copy(update={"target": target})
    elif change.knob == "shrinkage":
        shrinkage = parse_shrinkage(float(change.value))
        for name, ch in channels.items():
            channels[name] = ch.model_copy(update={"shrinkage": shrinkage})
    elif change.knob.startswith("hours."):
        name = change.knob.removeprefix("hours.")
        if name not in channels:
            close = difflib.get_close_matches(name, list(channels), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"{change.knob}: '{name}' is not a channel{hint} "
                             f"(channels: {', '.join(channels)})")
        hours = parse_hours({f"{WEEKDAYS[0]}-{WEEKDAYS[-1]}": change.value})
        step = config.site.interval_minutes
        if any(m % step for day in hours.week for r in day for m in r):
            raise ValueError(f"{change.knob}: '{change.value}' is not on the {step}-minute grid "
                             "of site.interval_minutes")
        channels[name] = channels[name].model_copy(update={"hours": hours})
    else:
        return config
    return config.model_copy(update={"channels": channels})


def _close_outside_hours(forecast: pd.DataFrame, channel: Channel, grid: Grid) -> pd.DataFrame:
    """No contacts arrive on ``channel`` while it is closed."""
    out = forecast.copy()
    rows = out[F.CHANNEL] == channel.name
    stamps = pd.DatetimeIndex(out.loc[rows, F.INTERVAL_START])
    closed = ~np.asarray(grid.open_mask(channel.hours, stamps), dtype=bool)
    cols = [c for c in out.columns if c == F.VOLUME or c.startswith(f"{F.VOLUME}_")]
    idx = out.index[rows][closed]
    out.loc[idx, cols] = 0.0
    return out


def change_headcount(agents: tuple[Agent, ...], change: int) -> tuple[Agent, ...]:
    """The roster without its last ``-change`` agents, or with ``change`` copies of the most
    common agent profile (skills, proficiency, contract, availability; no personal wishes or
    time off) under new ids ``new-1``, ``new-2``, …"""
    if change < 0:
        if -change >= len(agents):
            raise ValueError(f"headcount: cannot remove {-change} of {len(agents)} agents")
        return agents[:change]
    if not agents:
        raise ValueError("headcount: the roster is empty, there is no profile to copy")
    profiles = collections.Counter(
        dataclasses.replace(a, agent_id="", name="", time_off=(), preferred_start=None,
                            preferred_days_off=frozenset(), preference_weight=1.0)
        for a in agents)
    profile = profiles.most_common(1)[0][0]
    taken = {a.agent_id for a in agents}
    added: list[Agent] = []
    k = 0
    while len(added) < change:
        k += 1
        new_id = f"new-{k}"
        if new_id not in taken:
            added.append(dataclasses.replace(profile, agent_id=new_id, name=new_id))
    return (*agents, *added)


# -- running ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Inputs:
    forecast: pd.DataFrame
    config: Config
    agent_intervals: pd.DataFrame
    shifts: pd.DataFrame
    agents: tuple[Agent, ...]
    grid: Grid
    replications: int
    seed: int
    time_limit: float


_SHARED: _Inputs | None = None
"""The inputs, set before forking so workers inherit them instead of unpickling them."""


def run_whatif(
    forecast: pd.DataFrame,
    config: Config,
    agent_intervals: pd.DataFrame,
    shifts: pd.DataFrame,
    agents: tuple[Agent, ...],
    grid: Grid | None = None,
    *,
    varies: list[str],
    combine: bool = False,
    replications: int = 10,
    seed: int = 0,
    reschedule_time_limit: float = 20.0,
) -> WhatIfResult:
    """Run the base and one scenario per ``--vary`` value; compare them per channel.

    Parameters
    ----------
    forecast, config, agent_intervals, shifts, agents
        The base plan: forecast.csv, the site, the published schedule (agent_intervals.csv and
        schedule.csv with ``paid_minutes``) and the roster it was built from.
    varies : list of str
        ``KNOB=V1,V2,…`` texts (:func:`parse_vary`).
    combine : bool
        Every combination of one value per knob instead of one knob at a time
        (:func:`scenarios`).
    replications, seed
        Simulation replications and seed, the same for every scenario.
    reschedule_time_limit : float
        Solver time limit of each headcount scenario's re-scheduling, in seconds.

    Returns
    -------
    WhatIfResult
        ``table`` with :data:`WHATIF_COLUMNS`, one row per scenario and channel, scenarios in
        the order of :func:`scenarios`: ``required_fte`` (week's ``agents_with_shrinkage``
        agent-hours over the schedule's span ÷ :data:`FTE_HOURS`), ``scheduled_fte`` (agent-hours
        on the channel ÷ :data:`FTE_HOURS`), the simulated week's offered-weighted
        ``service_level``, answered-weighted ``asa_seconds`` and ``abandon_rate``
        (abandoned ÷ offered), ``paid_hours`` of the whole schedule, and differences to the base.

    Raises
    ------
    ValueError
        A bad ``--vary`` text, or ``hours.<channel>`` naming an unknown channel.
    """
    global _SHARED
    started = time.perf_counter()
    grid = grid or Grid.from_config(config)
    plan = scenarios(varies, combine=combine)
    for _, changes in plan:  # fail on config errors before any work
        for change in changes:
            apply_to_config(config, change)
    inputs = _Inputs(forecast, config, agent_intervals, shifts, tuple(agents), grid,
                     replications, seed, reschedule_time_limit)
    cheap = [i for i, (_, ch) in enumerate(plan) if not any(c.knob == "headcount" for c in ch)]
    costly = [i for i in range(len(plan)) if i not in cheap]
    results: dict[int, pd.DataFrame] = {}
    _SHARED = inputs
    try:
        results.update(zip(cheap, _map_forked(plan, cheap), strict=True))
    finally:
        _SHARED = None
    for i in costly:  # CP-SAT runs its own threads: keep it in this process
        results[i] = _run_scenario(inputs, *plan[i])
    table = pd.concat([results[i] for i in range(len(plan))], ignore_index=True)
    base = table[table["scenario"] == BASE].set_index("channel")
    by_channel = table["channel"]
    table["delta_required_fte"] = (table["required_fte"]
                                   - by_channel.map(base["required_fte"]).to_numpy())
    table["delta_service_level"] = (table["service_level"]
                                    - by_channel.map(base["service_level"]).to_numpy())
    return WhatIfResult(table.loc[:, list(WHATIF_COLUMNS)], time.perf_counter() - started)


def _map_forked(plan: list[tuple[str, tuple[Change, ...]]], which: list[int]
                ) -> list[pd.DataFrame]:
    """Run scenarios ``which`` in a forked process pool, or here when forking is unavailable."""
    workers = min(os.cpu_count() or 1, len(which))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_worker, [plan[i] for i in which], chunksize=1)
        except OSError:  # no processes allowed (sandbox, limits): run them here
            pass
    assert _SHARED is not None
    return [_run_scenario(_SHARED, *plan[i]) for i in which]


def _worker(item: tuple[str, tuple[Change, ...]]) -> pd.DataFrame:
    assert _SHARED is not None
    return _run_scenario(_SHARED, *item)


def _run_scenario(inputs: _Inputs, name: str, changes: tuple[Change, ...]) -> pd.DataFrame:
    """One scenario's figures per channel (without the deltas)."""
    forecast, config, grid = inputs.forecast, inputs.config, inputs.grid
    headcount = 0
    for change in changes:
        if change.knob in ("volume", "deflection", "aht"):
            forecast = apply_to_forecast(forecast, change)
        elif change.knob == "headcount":
            headcount += int(change.value)
        else:
            config = apply_to_config(config, change)
            if change.knob.startswith("hours."):
                channel = config.channels[change.knob.removeprefix("hours.")]
                forecast = _close_outside_hours(forecast, channel, grid)
    req = requirements(forecast, config, grid)
    intervals, shifts, agents = inputs.agent_intervals, inputs.shifts, inputs.agents
    span = pd.DatetimeIndex(intervals[F.INTERVAL_START].unique()).sort_values()
    if headcount:
        days = grid.local_day(span)
        agents = change_headcount(agents, headcount)
        planned = schedule_requirements(
            req, agents, config, grid, start=days[0], days=(days[-1] - days[0]).days + 1,
            time_limit=inputs.time_limit)
        intervals, shifts = planned.schedule.agent_intervals, planned.schedule.shifts
    sim = simulate(intervals, forecast, config, grid, replications=inputs.replications,
                   seed=inputs.seed, workers=1, skills=agent_skills(agents))
    return _figures(name, config, req, span, intervals, shifts, sim.daily, grid)


def _figures(name: str, config: Config, req: pd.DataFrame, span: pd.DatetimeIndex,
             intervals: pd.DataFrame, shifts: pd.DataFrame, daily: pd.DataFrame,
             grid: Grid) -> pd.DataFrame:
    hours_per_interval = grid.interval_minutes / 60
    in_span = req[req[F.INTERVAL_START].between(span[0], span[-1])]
    required = in_span.groupby(F.CHANNEL)[F.AGENTS_WITH_SHRINKAGE].sum() * hours_per_interval
    scheduled = intervals[F.ACTIVITY].value_counts() * hours_per_interval
    paid_hours = float(pd.to_numeric(shifts["paid_minutes"]).sum()) / 60
    week = week_summary(daily).set_index(F.CHANNEL)
    rows: list[dict[str, Any]] = []
    for channel in config.channels:
        got = week.reindex([channel]).iloc[0]
        offered = float(got["offered"]) if pd.notna(got["offered"]) else 0.0
        rows.append({
            "scenario": name,
            "channel": channel,
            "required_fte": float(required.get(channel, 0.0)) / FTE_HOURS,
            "scheduled_fte": float(scheduled.get(channel, 0.0)) / FTE_HOURS,
            "service_level": float(got[F.SERVICE_LEVEL]),
            "asa_seconds": float(got[F.ASA_SECONDS]),
            "abandon_rate": float(got["abandoned"]) / offered if offered else np.nan,
            "paid_hours": paid_hours,
        })
    return pd.DataFrame(rows)
