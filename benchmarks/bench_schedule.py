"""Scheduling: wfm's CP-SAT schedule on growing instances, and pyworkforce side by side.

**Instances.** One week (Monday 2026-06-01, Europe/Berlin, no DST change, no holidays) of
15-minute intervals; 30 agents × 2 channels, 100 × 3 and 300 × 4 (voice, chat, email,
backoffice, in that order). Shifts of 4, 6, 8 and 9 h start every 30 min between 07:00 and
22:00; a 15-minute break in the window 1.5–3 h, a 30-minute unpaid lunch in 3.5–5.5 h (shifts of
6 h and more) and a second break in 6–7.5 h (8 h and more); at least 11 h rest, at most 5 days.
The roster mixes single-skill agents with skill groups (``live`` voice+chat, ``digital``
chat+email, ``generalist`` voice+chat+email, ``back`` email+backoffice) and full-time (36–40 h)
with part-time (25–30 h, 16–20 h) contracts. Requirements are seeded intraday curves (a double
peak for voice, an evening-heavy curve for chat, flat-ish deferred work) times weekday factors
times log-normal noise, in whole agents (at least one while a channel is open), scaled so that
the roster's contracted hours (the sum of ``max_week_hours``) are ``--contract-ratio`` (1.05)
times the required agent-hours, each channel's share of them being the hours its agents can give
it (a multi-skill agent's hours split evenly over its skills). At that ratio the week cannot be
covered in full: paid breaks take about 6 % of paid time, and block-shaped shifts that cover the
peaks spill over into the troughs, so some under-coverage is forced; the lower bound shows how
much, and a larger ``--contract-ratio`` gives looser instances.

**Planted weeks.** The bound says how far a schedule *may* be from the optimum; a planted week
says how far it *is*, at least. Each agent of the 30- and 100-agent rosters (``--planted``)
gets a random week that keeps its rules, breaks at random starts and a random open channel of
its skills per interval; the requirements are exactly that coverage, and fairness costs
nothing, so the optimum costs at most the planted schedule's paid time. Reported: that cost,
the objective, the excess over it, and the bound and gap as above.

**wfm.** ``build_problem`` + ``solve(SolveLimits(limit, workers=2, seed=0))`` with a time limit
of 30, 60 and 180 s (times ``--time-scale``); reported: agent-hours short and over as a share of
the required agent-hours (from ``wfm.evaluate.coverage``), objective, proven bound and gap.

**Peer.** pyworkforce's ``MinAbsDifference`` and ``MinRequiredResources`` on the voice channel of
the 100-agent instance, one call per open day with that day's shift templates (every length ×
start whose work intervals all lie inside the day's opening hours, as ``build_problem`` keeps
them) and the breaks at their nominal positions (a window's middle, rounded down to the grid),
since pyworkforce cannot move them. Same time limit as the 100-agent instance (split evenly over
the open days), same 2 workers and seed. Then wfm on the same week with enough voice-only agents
on a lenient contract (0–40 h). Both are scored from their shifts in agent-intervals:
``sum |scheduled − required|`` over the week, and the under-covered part alone. pyworkforce
counts shifts per day without named agents, weekly hours or rest rules, so apart from the
movable breaks its problem is a relaxation of ours.

pyworkforce is optional (the ``bench`` extra); without it the script says so and reports wfm's
own figures, with ``null`` for the peer. Prints a table; with ``--json PATH`` also writes the
figures as one flat JSON object. Run with ``make bench`` or
``python benchmarks/bench_schedule.py [--sizes 30,100] [--planted 30] [--time-scale 0.25]
[--json PATH]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from ortools.sat.python import cp_model

from wfm import frames as F
from wfm.config import Config, config_from_dict
from wfm.errors import WfmError
from wfm.evaluate import coverage
from wfm.io.roster import Agent
from wfm.schedule import SolveLimits, build_problem, solve
from wfm.schedule.heuristic import agent_model
from wfm.timegrid import Grid

try:  # the peer is optional; an import failure is reported, not raised
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    PYWORKFORCE: str | None = metadata.version("pyworkforce")
    PYWORKFORCE_MISSING = ""
except Exception as exc:  # ImportError, or an incompatibility with numpy / pandas / ortools
    MinAbsDifference = MinRequiredResources = None
    PYWORKFORCE = None
    PYWORKFORCE_MISSING = f"{type(exc).__name__}: {exc}"

MONDAY = dt.date(2026, 6, 1)
"""A week without DST change; the site has no holiday calendar."""
DAYS = 7
STEP = 15
PERIODS = 24 * 60 // STEP
SEED = 0
WORKERS = 2
CONTRACT_RATIO = 1.05
"""Sum of the roster's ``max_week_hours`` / required agent-hours."""
SIZES = (30, 100, 300)
PEER_SIZE = 100
"""The instance whose voice channel the peer comparison uses."""

CHANNELS: dict[str, dict[str, Any]] = {
    "voice": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20},
              "shrinkage": 0.32, "priority": 2,
              "hours": {"mon-fri": "08:00-20:00", "sat": "09:00-14:00"}},
    "chat": {"kind": "chat", "concurrency": 2, "shrinkage": 0.30,
             "target": {"service_level": 0.8, "answer_seconds": 60},
             "hours": {"mon-sun": "08:00-22:00"}},
    "email": {"kind": "deferred", "target": {"within_hours": 24, "share": 0.9},
              "shrinkage": 0.30, "hours": {"mon-fri": "07:00-19:00"}},
    "backoffice": {"kind": "deferred", "target": {"within_hours": 48, "share": 0.95},
                   "shrinkage": 0.25, "hours": {"mon-fri": "08:00-17:00"}},
}
AHT_SECONDS = {"voice": 300.0, "chat": 480.0, "email": 420.0, "backoffice": 900.0}
SKILL_GROUPS = {"live": ["voice", "chat"], "digital": ["chat", "email"],
                "generalist": ["voice", "chat", "email"], "back": ["email", "backoffice"]}
SKILL_MIX: dict[int, dict[str, float]] = {
    2: {"voice": 0.45, "chat": 0.25, "live": 0.30},
    3: {"voice": 0.35, "chat": 0.15, "email": 0.10, "live": 0.15, "digital": 0.15,
        "generalist": 0.10},
    4: {"voice": 0.30, "chat": 0.12, "email": 0.08, "backoffice": 0.08, "live": 0.14,
        "digital": 0.10, "generalist": 0.08, "back": 0.10},
}
"""Share of the roster per skill (a channel or a group), by number of channels."""
CONTRACTS = (("full-time", 36.0, 40.0, 0.6), ("part-time 30", 25.0, 30.0, 0.2),
             ("part-time 20", 16.0, 20.0, 0.2))
"""(name, min_week_hours, max_week_hours, share of the roster)."""
LENGTHS_HOURS = (4, 6, 8, 9)
START_EVERY_MINUTES = 30
EARLIEST_START, LATEST_END = "07:00", "22:00"
BREAKS: tuple[dict[str, Any], ...] = (
    {"window_hours": [1.5, 3.0], "minutes": 15},
    {"lunch": True, "minutes": 30, "window_hours": [3.5, 5.5], "min_shift_hours": 6},
    {"window_hours": [6.0, 7.5], "minutes": 15, "min_shift_hours": 8},
)
RULES = {"min_rest_hours": 11, "max_days_per_week": 5}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# --- the instances ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Instance:
    """A generated scheduling instance: config, roster, requirements and the solver's limit."""

    size: int
    config: Config
    grid: Grid
    agents: tuple[Agent, ...]
    requirements: pd.DataFrame
    time_limit: float

    @property
    def required_hours(self) -> float:
        """Required agent-hours of the week, all channels."""
        return float(self.requirements[F.AGENTS_REQUIRED].sum()) * STEP / 60

    @property
    def contract_hours(self) -> float:
        """The roster's contracted hours (sum of ``max_week_hours``)."""
        return sum(a.max_week_hours for a in self.agents)


def channels_for(size: int) -> tuple[str, ...]:
    """2, 3 or 4 channels for up to 30, 100 and more agents."""
    n = 2 if size <= 30 else 3 if size <= 100 else 4
    return tuple(CHANNELS)[:n]


def time_limit_for(size: int) -> float:
    """Solver seconds: 30 up to 30 agents, 60 up to 100, 180 beyond."""
    return 30.0 if size <= 30 else 60.0 if size <= 100 else 180.0


def site_config(channels: tuple[str, ...], **objective: int) -> Config:
    """The benchmark site with ``channels`` and the skill groups made of them (``objective``:
    weights that differ from the defaults)."""
    return config_from_dict({
        "site": {"name": f"bench {len(channels)} channels", "timezone": "Europe/Berlin",
                 "interval_minutes": STEP},
        "channels": {c: CHANNELS[c] for c in channels},
        "skills": {g: cs for g, cs in SKILL_GROUPS.items() if set(cs) <= set(channels)},
        "shifts": {"lengths_hours": list(LENGTHS_HOURS),
                   "start_every_minutes": START_EVERY_MINUTES,
                   "earliest_start": EARLIEST_START, "latest_end": LATEST_END,
                   "breaks": [dict(b) for b in BREAKS]},
        "rules": RULES,
        **({"objective": objective} if objective else {}),
    })


def counts(shares: list[float], n: int) -> list[int]:
    """Split ``n`` in proportion to ``shares`` (largest remainder)."""
    raw = np.asarray(shares) * n / sum(shares)
    out = np.floor(raw).astype(np.int64)
    for i in np.argsort(-(raw - out), kind="stable")[: n - int(out.sum())]:
        out[i] += 1
    return [int(x) for x in out]


def make_roster(size: int, config: Config, rng: np.random.Generator) -> tuple[Agent, ...]:
    """``size`` agents: skills by ``SKILL_MIX``, contracts by ``CONTRACTS`` in seeded order."""
    mix = SKILL_MIX[len(config.channels)]
    skills = [s for s, k in zip(mix, counts(list(mix.values()), size), strict=True)
              for _ in range(k)]
    contracts = [c for c, k in zip(CONTRACTS, counts([c[3] for c in CONTRACTS], size),
                                   strict=True) for _ in range(k)]
    order = rng.permutation(size)
    agents = []
    for i, skill in enumerate(skills):
        name, lo, hi, _ = contracts[order[i]]
        chans = config.expand_skills([skill])
        agents.append(Agent(f"A{i + 1:03d}", f"{skill} {name}", chans, (1.0,) * len(chans),
                            lo, hi, contract=name, rules=config.rules))
    return tuple(agents)


def shape(channel: str, hour: FloatArray, weekday: IntArray) -> FloatArray:
    """Relative workload of ``channel`` at local ``hour`` (interval middle) on ``weekday``."""

    def bump(centre: float, width: float) -> FloatArray:
        return np.exp(-0.5 * ((hour - centre) / width) ** 2)

    if channel == "voice":  # morning and afternoon peaks; a short Saturday morning
        week = 0.3 + bump(10.5, 1.5) + 0.8 * bump(15.0, 1.8)
        saturday = 0.4 + bump(11.0, 1.5)
        factor = np.array([1.2, 1.05, 1.0, 0.95, 0.9, 0.55, 0.0])[weekday]
        return factor * np.where(weekday == 5, saturday, week)
    if channel == "chat":  # smooth, busy into the evening, weekends a little lighter
        factor = np.array([1.1, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75])[weekday]
        return factor * (0.45 + 0.6 * bump(13.0, 3.0) + 0.5 * bump(19.5, 2.0))
    if channel == "email":  # backlog worked off from the morning on
        factor = np.array([1.25, 1.05, 1.0, 0.95, 0.9, 0.0, 0.0])[weekday]
        return factor * (0.8 + 0.3 * bump(9.5, 2.0))
    factor = np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.0, 0.0])[weekday]  # backoffice: flat
    return factor * (1.0 - 0.15 * bump(12.5, 0.7))


def whole_agents(profile: FloatArray, is_open: BoolArray, target: float) -> IntArray:
    """Round ``k × profile`` to whole agents (at least 1 while open), ``k`` set by bisection so
    that the total is as close to ``target`` agent-intervals as rounding allows."""

    def at(k: float) -> IntArray:
        return np.where(is_open, np.maximum(1, np.round(k * profile)), 0).astype(np.int64)

    lo, hi = 0.0, 4 * target / profile.sum() + 1
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if at(mid).sum() < target else (lo, mid)
    return min((at(lo), at(hi)), key=lambda a: abs(float(a.sum()) - target))


def make_requirements(config: Config, grid: Grid, hours: dict[str, float],
                      rng: np.random.Generator) -> pd.DataFrame:
    """A requirements frame with ``hours[channel]`` required agent-hours per channel."""
    index = grid.intervals(MONDAY, DAYS)
    local = index.tz_convert(grid.timezone)
    hour = np.asarray(local.hour + local.minute / 60, dtype=float) + STEP / 120
    weekday = np.asarray(local.day_of_week, dtype=np.int64)
    frames = []
    for name, channel in config.channels.items():
        is_open = grid.open_mask(channel.hours, index)
        sigma = 0.08 if channel.kind != "deferred" else 0.04
        profile = shape(name, hour, weekday) * rng.lognormal(0.0, sigma, len(index))
        required = whole_agents(profile, is_open, hours[name] * 60 / STEP)
        frames.append(channel_requirements(config, name, index, required))
    return pd.concat(frames, ignore_index=True)


def channel_requirements(config: Config, name: str, index: pd.DatetimeIndex,
                         required: IntArray) -> pd.DataFrame:
    """Channel ``name``'s rows of a requirements frame: ``required`` agents per interval of
    ``index``, with the volume that keeps them 85 % busy at the channel's AHT."""
    channel = config.channels[name]
    agents = required.astype(float)
    load = agents * STEP * 60 * 0.85 * channel.sessions_per_agent
    return pd.DataFrame({
        F.INTERVAL_START: index, F.CHANNEL: name,
        F.VOLUME: load / AHT_SECONDS[name], F.AHT_SECONDS: AHT_SECONDS[name],
        F.AGENTS_REQUIRED: agents,
        F.AGENTS_WITH_SHRINKAGE: agents / (1 - channel.shrinkage.total)})


def make_instance(size: int, seed: int = SEED, ratio: float = CONTRACT_RATIO) -> Instance:
    """The seeded instance of ``size`` agents, contracted hours ``ratio`` × required."""
    rng = np.random.default_rng([seed, size])
    config = site_config(channels_for(size))
    grid = Grid.from_config(config)
    agents = make_roster(size, config, rng)
    capacity = dict.fromkeys(config.channels, 0.0)  # hours the agents can give each channel
    for a in agents:
        for c in a.skills:
            capacity[c] += a.max_week_hours / len(a.skills)
    hours = {c: h / ratio for c, h in capacity.items()}
    req = make_requirements(config, grid, hours, rng)
    return Instance(size, config, grid, agents, req, time_limit_for(size))


def make_planted(size: int, seed: int = SEED) -> tuple[Instance, float]:
    """An instance whose optimum is known to be at most its planted schedule's cost.

    Each agent of ``size``'s roster gets a random week that keeps all its rules (a one-agent
    CP-SAT model with random shift values), its breaks at random starts in their windows, and
    each working interval on a random open channel of its skills; the requirements are exactly
    that coverage. Fairness costs nothing here, so the planted schedule's objective is its paid
    time alone, and no schedule needs to be short or over anywhere.
    """
    base = make_instance(size, seed)
    config = site_config(tuple(base.config.channels), fairness=0)
    problem = build_problem(base.requirements, base.agents, config, base.grid,
                            start=MONDAY, days=DAYS)
    rng = np.random.default_rng([seed, size, 1])
    required = np.zeros((len(problem.channels), problem.horizon), dtype=np.int64)
    paid = 0
    for a, agent in enumerate(problem.agents):
        skills = [problem.channels.index(c) for c in agent.skills]
        m = agent_model(problem, a)
        m.model.maximize(sum(int(rng.integers(0, 100)) * var for var in m.shift.values()))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        if solver.solve(m.model) != cp_model.OPTIMAL:
            raise RuntimeError(f"agent {agent.agent_id}: no week keeps its rules")
        for (_, k), var in m.shift.items():
            if not solver.value(var):
                continue
            o = problem.options[k]
            paid += o.paid_minutes // STEP * config.objective.paid
            off = {s + j for b in o.breaks for s in (int(rng.choice(b.starts)),)
                   for j in range(b.length)}
            for i in o.slots:
                open_ = [c for c in skills if i < problem.horizon and problem.open[c, i]]
                if i not in off and open_:
                    required[rng.choice(open_), i] += 1
    req = pd.concat([channel_requirements(config, name, problem.index[:problem.horizon],
                                          required[c])
                     for c, name in enumerate(problem.channels)], ignore_index=True)
    return Instance(size, config, base.grid, base.agents, req, base.time_limit), float(paid)


# --- wfm -------------------------------------------------------------------------------------

def coverage_error(agent_intervals: pd.DataFrame, req: pd.DataFrame) -> tuple[int, int, int]:
    """(|scheduled − required|, under, over) in agent-intervals over the week."""
    gap = coverage(agent_intervals, req)["gap"].to_numpy()
    return int(np.abs(gap).sum()), int((-gap).clip(0).sum()), int(gap.clip(0).sum())


def run_wfm(inst: Instance, limit: float) -> dict[str, Any]:
    """Build and solve ``inst``; coverage and quality figures, or ``error`` on a WfmError."""
    t0 = time.perf_counter()
    problem = build_problem(inst.requirements, inst.agents, inst.config, inst.grid,
                            start=MONDAY, days=DAYS)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        schedule = solve(problem, SolveLimits(time_seconds=limit, workers=WORKERS, seed=SEED),
                         progress=None)
    except WfmError as exc:
        return {"build": build, "seconds": time.perf_counter() - t0,
                "error": f"{type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - t0
    abs_error, under, over = coverage_error(schedule.agent_intervals, inst.requirements)
    return {"build": build, "seconds": seconds, "status": schedule.status,
            "objective": float(schedule.objective), "bound": float(schedule.lower_bound),
            "gap": float(schedule.gap), "abs_error": abs_error, "under": under, "over": over}


def run_planted(sizes: list[int], scale: float, seed: int) -> dict[str, float | None]:
    """Solve each planted instance (:func:`make_planted`); print one row per instance."""
    figures: dict[str, float | None] = {}
    print(f"\nPlanted weeks (requirements = a known schedule's coverage; the optimum costs at "
          f"most that schedule)\n  {'agents':>6} {'limit s':>7} {'solve s':>7} "
          f"{'planted':>9} {'objective':>10} {'excess %':>8} {'bound':>9} {'gap %':>6}  status")
    for size in sizes:
        inst, planted = make_planted(size, seed)
        limit = inst.time_limit * scale
        r = run_wfm(inst, limit)
        ok = "error" not in r
        excess = 100 * (r["objective"] - planted) / planted if ok else None
        gap = 100 * r["gap"] if ok else None
        print(f"  {size:>6} {limit:>7.1f} {r['seconds']:>7.1f} {planted:>9,.0f} "
              f"{_fmt(r.get('objective'), '10,.0f')} {_fmt(excess, '8.1f')} "
              f"{_fmt(r.get('bound'), '9,.0f')} {_fmt(gap, '6.1f')}  "
              f"{r.get('status') or r['error']}")
        key = f"planted{size}"
        figures.update({f"{key}_planted_cost": planted, f"{key}_objective": r.get("objective"),
                        f"{key}_excess_pct": excess, f"{key}_lower_bound": r.get("bound"),
                        f"{key}_gap_pct": gap, f"{key}_solve_seconds": r["seconds"]})
    print("  excess % = (objective − planted) ÷ planted; the optimum costs at most the planted "
          "schedule,\n  so the objective is at least this far above it")
    return figures


# --- the peer: pyworkforce on the single-skill voice week ------------------------------------

def nominal_breaks(length_minutes: int) -> list[tuple[int, int, bool]]:
    """(offset, minutes, unpaid) of each break of a shift: a window's middle, floored to the
    grid."""
    out = []
    for b in BREAKS:
        if length_minutes < b.get("min_shift_hours", 0) * 60:
            continue
        if "window_hours" in b:
            a, z = b["window_hours"]
            offset = int(((a + z) / 2 * 60 - b["minutes"] / 2) // STEP * STEP)
        else:
            offset = round(b["after_hours"] * 60)
        out.append((offset, b["minutes"], bool(b.get("lunch"))))
    return out


def day_templates(is_open: BoolArray) -> tuple[dict[str, list[int]], dict[str, int]]:
    """pyworkforce's ``shifts_coverage`` for one day (1 = working, 0 = off or on a break) and
    each shift's paid intervals; only shifts whose work intervals are all open."""
    earliest = int(EARLIEST_START[:2]) * 60 + int(EARLIEST_START[3:])
    latest = int(LATEST_END[:2]) * 60 + int(LATEST_END[3:])
    shifts: dict[str, list[int]] = {}
    paid: dict[str, int] = {}
    for hours in LENGTHS_HOURS:
        length = hours * 60
        breaks = nominal_breaks(length)
        unpaid = sum(minutes for _, minutes, is_lunch in breaks if is_lunch)
        for start in range(earliest, latest - length + 1, START_EVERY_MINUTES):
            row = np.zeros(PERIODS, dtype=np.int64)
            row[start // STEP:(start + length) // STEP] = 1
            for offset, minutes, _ in breaks:
                row[(start + offset) // STEP:(start + offset + minutes) // STEP] = 0
            if is_open[row == 1].all():
                name = f"{start // 60:02d}:{start % 60:02d}+{hours}h"
                shifts[name] = [int(x) for x in row]
                paid[name] = (length - unpaid) // STEP
    return shifts, paid


def run_pyworkforce(model: str, required: IntArray, is_open: BoolArray, limit: float,
                    ceiling: int) -> dict[str, Any]:
    """One pyworkforce call per open day; coverage counted from the returned shift counts."""
    assert MinAbsDifference is not None
    assert MinRequiredResources is not None
    days = [d for d in range(DAYS) if is_open[d].any()]
    scheduled = np.zeros_like(required)
    statuses = set()
    t0 = time.perf_counter()
    for d in days:
        shifts, paid = day_templates(is_open[d])
        kwargs: dict[str, Any] = {
            "num_days": 1, "periods": PERIODS, "shifts_coverage": shifts,
            "required_resources": [[int(x) for x in required[d]]],
            "max_period_concurrency": ceiling, "max_shift_concurrency": ceiling,
            "max_search_time": float(limit / len(days)), "num_search_workers": WORKERS}
        if model == "minreq":
            scheduler = MinRequiredResources(cost_dict=paid, **kwargs)
        else:
            scheduler = MinAbsDifference(**kwargs)
        # pyworkforce stores num_search_workers on the solver object, not on its parameters,
        # where CP-SAT would read it; set workers and seed where they take effect.
        scheduler.solver.parameters.num_workers = WORKERS
        scheduler.solver.parameters.random_seed = SEED
        solution = scheduler.solve()
        statuses.add(solution["status"])
        if solution["status"] not in ("OPTIMAL", "FEASIBLE"):
            continue  # pyworkforce's sentinel row (day -1, resources -1): nothing scheduled
        for row in solution["resources_shifts"]:
            scheduled[d] += row["resources"] * np.asarray(shifts[row["shift"]])
    seconds = time.perf_counter() - t0
    diff = scheduled - required
    status = "OPTIMAL" if statuses == {"OPTIMAL"} else "/".join(sorted(statuses))
    return {"seconds": seconds, "status": status, "abs_error": int(np.abs(diff).sum()),
            "under": int((-diff).clip(0).sum()), "over": int(diff.clip(0).sum())}


def single_skill(inst: Instance) -> tuple[Instance, IntArray, BoolArray]:
    """The voice week of ``inst`` with enough voice-only agents on a 0–40 h contract, and its
    requirement and opening hours as (day, period) matrices."""
    config = site_config(("voice",))
    grid = Grid.from_config(config)
    req = inst.requirements[inst.requirements[F.CHANNEL] == "voice"].reset_index(drop=True)
    required = req[F.AGENTS_REQUIRED].to_numpy().astype(np.int64)
    assert len(required) == DAYS * PERIODS, "the benchmark week must have no DST change"
    is_open = grid.open_mask(config.channels["voice"].hours, grid.intervals(MONDAY, DAYS))
    hours = required.sum() * STEP / 60
    # Short shifts fitted around the peaks need up to about two shifts a day per agent of peak;
    # with fewer agents the roster, not the shift choice, would limit coverage.
    n = max(math.ceil(2 * required.max()), math.ceil(1.5 * hours / 37.5))
    agents = tuple(Agent(f"V{i + 1:03d}", f"voice {i + 1}", ("voice",), (1.0,), 0.0, 40.0,
                         rules=config.rules) for i in range(n))
    voice = Instance(n, config, grid, agents, req, inst.time_limit)
    return voice, required.reshape(DAYS, PERIODS), is_open.reshape(DAYS, PERIODS)


# --- the run ---------------------------------------------------------------------------------

def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def run_instances(sizes: list[int], scale: float, seed: int,
                  ratio: float) -> dict[str, float | None]:
    """Solve each instance; print one row per instance; return its figures."""
    figures: dict[str, float | None] = {}
    print(f"\n  {'agents':>6} {'chan':>4} {'limit s':>7} {'solve s':>7} {'req agent-h':>11} "
          f"{'under %':>7} {'over %':>7} {'objective':>10} {'bound':>10} {'gap %':>6}  status")
    for size in sizes:
        inst = make_instance(size, seed, ratio)
        limit = inst.time_limit * scale
        r = run_wfm(inst, limit)
        req_h = inst.required_hours
        ok = "error" not in r
        under = 100 * r["under"] * STEP / 60 / req_h if ok else None
        over = 100 * r["over"] * STEP / 60 / req_h if ok else None
        gap = 100 * r["gap"] if ok else None
        print(f"  {size:>6} {len(inst.config.channels):>4} {limit:>7.1f} {r['seconds']:>7.1f} "
              f"{req_h:>11,.0f} {_fmt(under, '7.2f')} {_fmt(over, '7.2f')} "
              f"{_fmt(r.get('objective'), '10,.0f')} {_fmt(r.get('bound'), '10,.0f')} "
              f"{_fmt(gap, '6.1f')}  {r.get('status') or r['error']}")
        key = f"{size}agents"
        figures.update({
            f"{key}_gap_pct": gap, f"{key}_solve_seconds": r["seconds"],
            f"{key}_under_pct": under, f"{key}_over_pct": over,
            f"{key}_objective": r.get("objective"), f"{key}_lower_bound": r.get("bound"),
            f"{key}_build_seconds": r["build"], f"{key}_time_limit_seconds": limit,
            f"{key}_required_agent_hours": req_h,
            f"{key}_contract_ratio": inst.contract_hours / req_h,
        })
    print("  under/over %: agent-hours short/beyond the requirement ÷ required agent-hours; "
          "gap % = (objective − bound) ÷ objective")
    return figures


PEER_FIGURES = (
    *(f"{tool}_{x}" for tool in ("pyworkforce_minabs", "pyworkforce_minreq", "wfm_single_skill")
      for x in ("abs_error", "under", "over", "seconds")),
    "single_skill_abs_error_ratio_wfm_to_minabs", "single_skill_abs_error_ratio_wfm_to_minreq",
    "single_skill_required_agent_intervals", "single_skill_agents",
    "single_skill_time_limit_seconds",
)
"""Names of the peer comparison's figures (null when it does not run)."""
LABELS = {"pyworkforce_minabs": "pyworkforce MinAbsDifference",
          "pyworkforce_minreq": "pyworkforce MinRequiredResources"}


def run_peer(scale: float, seed: int, ratio: float) -> dict[str, float | None]:
    """pyworkforce's two models and wfm on the single-skill voice week, side by side."""
    figures: dict[str, float | None] = dict.fromkeys(PEER_FIGURES)
    voice, required, is_open = single_skill(make_instance(PEER_SIZE, seed, ratio))
    limit = voice.time_limit * scale
    print(f"\nSingle-skill voice week of the {PEER_SIZE}-agent instance: "
          f"{int(required.sum()):,} required agent-intervals, {int(is_open.any(1).sum())} "
          f"open days, time limit {limit:.1f} s per tool (pyworkforce: split over the days), "
          f"{WORKERS} workers")
    results: dict[str, dict[str, Any]] = {}
    if MinAbsDifference is None:
        print(f"  pyworkforce: skipped, not importable ({PYWORKFORCE_MISSING})")
    else:
        for model in ("minabs", "minreq"):
            t0 = time.perf_counter()
            try:
                results[f"pyworkforce_{model}"] = run_pyworkforce(
                    model, required, is_open, limit, ceiling=voice.size)
            except Exception as exc:  # a broken peer must not hide our own figures
                results[f"pyworkforce_{model}"] = {
                    "seconds": time.perf_counter() - t0, "error": f"{type(exc).__name__}: {exc}"}
    results["wfm_single_skill"] = run_wfm(voice, limit)
    labels = {**LABELS, "wfm_single_skill": f"wfm, {voice.size} agents 0–40 h"}
    print(f"  {'':<34} {'|sched − req|':>13} {'under':>7} {'over':>7} {'seconds':>8}  status")
    for k, r in results.items():
        if "error" in r:
            print(f"  {labels[k]:<34} {'—':>13} {'—':>7} {'—':>7} {r['seconds']:>8.1f}  "
                  f"{r['error']}")
            continue
        print(f"  {labels[k]:<34} {r['abs_error']:>13,} {r['under']:>7,} {r['over']:>7,} "
              f"{r['seconds']:>8.1f}  {r['status']}")
        figures.update({f"{k}_abs_error": float(r["abs_error"]), f"{k}_under": float(r["under"]),
                        f"{k}_over": float(r["over"]), f"{k}_seconds": r["seconds"]})
    print("  agent-intervals of 15 min. pyworkforce counts shifts per day without named agents, "
          "weekly hours\n  or rest rules (a relaxation of ours), but its breaks sit at fixed "
          "nominal positions;\n  wfm schedules named agents under every rule and places breaks "
          "inside their windows.")
    wfm_err = figures["wfm_single_skill_abs_error"]
    for k in ("minabs", "minreq"):
        peer_err = figures[f"pyworkforce_{k}_abs_error"]
        figures[f"single_skill_abs_error_ratio_wfm_to_{k}"] = (
            wfm_err / peer_err if wfm_err is not None and peer_err else None)
    figures.update({"single_skill_required_agent_intervals": float(required.sum()),
                    "single_skill_agents": float(voice.size),
                    "single_skill_time_limit_seconds": limit})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated roster sizes (default 30,100,300)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply every time limit (e.g. 0.25 for a quick look)")
    parser.add_argument("--contract-ratio", type=float, default=CONTRACT_RATIO,
                        help="contracted hours / required agent-hours (default 1.05)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the requirements")
    parser.add_argument("--planted", default="30,100",
                        help="comma-separated roster sizes of planted instances, whose optimum "
                             "is known to be at most a planted schedule's cost (default 30,100; "
                             "empty to skip)")
    parser.add_argument("--no-peer", action="store_true", help="skip the pyworkforce comparison")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        planted = [int(s) for s in args.planted.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes and --planted: expected comma-separated whole numbers, found "
                     f"{args.sizes!r} and {args.planted!r}")
    if any(n < 1 for n in sizes + planted) or args.time_scale <= 0 or args.contract_ratio <= 0:
        parser.error("--sizes, --time-scale and --contract-ratio must be positive")
    started = time.perf_counter()
    peer = (f"pyworkforce {PYWORKFORCE}" if PYWORKFORCE
            else f"pyworkforce MISSING ({PYWORKFORCE_MISSING}); wfm figures only")
    print(f"wfm schedule benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}, {peer}")
    print(f"  week of {MONDAY}, {STEP}-minute intervals, {WORKERS} workers, seed {SEED}, "
          f"time limits × {args.time_scale:g}, contracted hours = {args.contract_ratio:g} × "
          "required agent-hours")

    figures = run_instances(sizes, args.time_scale, args.seed, args.contract_ratio)
    figures.update(run_planted(planted, args.time_scale, args.seed))
    if args.no_peer:
        figures.update(dict.fromkeys(PEER_FIGURES))
    else:
        figures.update(run_peer(args.time_scale, args.seed, args.contract_ratio))
    figures["run_seconds"] = time.perf_counter() - started
    print(f"\n  whole run: {figures['run_seconds']:.1f} s")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
