"""Build the CP-SAT model in named sections, solve it, and read the schedule back.

data (:class:`SchedulingProblem`) → variables → hard rules → soft rules → objective → solve →
:class:`Schedule`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import cast

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from wfm import frames as F
from wfm.config import RuleSet
from wfm.errors import InfeasibleError, SolveTimeoutError
from wfm.hours import WEEKDAYS
from wfm.io.roster import Agent
from wfm.schedule import rules as R
from wfm.schedule.bound import Relaxation, lp_relaxation
from wfm.schedule.heuristic import agent_model, local_search, round_relaxation
from wfm.schedule.problem import SchedulingProblem
from wfm.schedule.rules import HARD_RULES, SOFT_RULES, ModelVars, Penalty
from wfm.schedule.windows import Solution, hint, improve_windows, pinned, solution_values

LOCAL_SEARCH_SHARE = 0.5
"""Share of the time limit the local search may use before CP-SAT takes over (less the LP's
time when the LP cannot run beside it)."""
WHOLE_MODEL_SHARE = 0.02
"""Share of the time limit left for CP-SAT on the whole model at the end (after the windows).
With 10 % it never improved on the windows' schedule in 12 solves of the 30- and 100-agent
benchmark weeks (generated and planted, three seeds each), while the windows still gained when
they stopped; its proof matters on small problems, where the windows run out of patience early
and leave it the rest of the time anyway."""
LP_SHARE = 0.25
"""Share of the time limit the LP bound may use."""

PENALTY_COLUMNS = ("rule", "channel", F.AGENT_ID, F.INTERVAL_START, "amount", "cost")
"""Columns of ``Schedule.penalties``: ``amount`` in agent-intervals, ``cost`` in objective units."""

Progress = Callable[[float, float, float], None]
"""Called as ``progress(seconds, objective, bound)`` for each improving solution."""


@dataclass(frozen=True)
class SolveLimits:
    """Solver settings, mapped onto CP-SAT's parameters in one place."""

    time_seconds: float = 30.0
    workers: int = 2
    seed: int = 0

    def apply(self, solver: cp_model.CpSolver) -> None:
        """Set the limits on ``solver.parameters``."""
        solver.parameters.max_time_in_seconds = self.time_seconds
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = self.seed


@dataclass(frozen=True)
class Schedule:
    """A solved schedule, with its quality and the proof of how good it is."""

    status: str
    objective: float
    lower_bound: float
    shifts: pd.DataFrame
    agent_intervals: pd.DataFrame
    segments: pd.DataFrame
    penalties: pd.DataFrame
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative distance to the proven lower bound (0 = optimal)."""
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)


@dataclass
class BuiltModel:
    """A CP-SAT model with its variables and the penalties of its objective."""

    vars: ModelVars
    penalties: list[Penalty]


def build_model(problem: SchedulingProblem) -> BuiltModel:
    """Variables, hard rules, soft rules and the objective of ``problem``."""
    model = cp_model.CpModel()
    m = ModelVars(model=model, groups=problem.skill_groups, group_of=problem.group_of)
    # --- variables: one boolean per agent and allowed shift
    for a, agent in enumerate(problem.agents):
        for k in problem.allowed[a]:
            o = problem.options[k]
            m.shift[a, k] = model.new_bool_var(
                f"shift[{agent.agent_id},{problem.days[o.day]},{o.template.label}]")
    # --- hard rules
    for rule in HARD_RULES:
        rule(m, problem)
    # --- soft rules and objective
    penalties = [p for rule in SOFT_RULES for p in rule(m, problem)]
    model.minimize(sum(p.weight * p.var for p in penalties))
    return BuiltModel(m, penalties)


def solve(
    problem: SchedulingProblem,
    limits: SolveLimits | None = None,
    progress: Progress | None = None,
) -> Schedule:
    """Solve ``problem`` within ``limits``.

    Raises
    ------
    InfeasibleError
        When the hard rules contradict each other, naming agents and rules.
    SolveTimeoutError
        When the time limit passes before any schedule is found.
    """
    limits = limits or SolveLimits()
    t0 = time.perf_counter()
    deadline = t0 + limits.time_seconds
    conflicts = diagnose(problem)
    if conflicts:
        raise InfeasibleError(conflicts)
    built = build_model(problem)
    build_seconds = time.perf_counter() - t0
    report = progress or (lambda _t, _o, _b: None)
    lp_bound, chosen = _bound_and_start(
        problem, limits, t0, lambda value: report(time.perf_counter() - t0, value, 0.0))
    start = _complete(built, chosen, limits)
    if start is not None:
        report(time.perf_counter() - t0, start.objective, lp_bound or 0.0)
        start = improve_windows(
            problem, built.vars, start, seed=limits.seed, lanes=min(2, limits.workers),
            until=deadline - WHOLE_MODEL_SHARE * limits.time_seconds,
            report=lambda value: report(time.perf_counter() - t0, value, lp_bound or 0.0))
    # The whole model, hinted with the windows' schedule, for the time left: small problems
    # are proved optimal here; on large ones CP-SAT rarely improves on the hint.
    model = built.vars.model
    if start is not None:
        hint(model, start.values)
    solver = cp_model.CpSolver()
    limits.apply(solver)
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
    status = solver.solve(model)
    # Objective coefficients are integers; CP-SAT reports them as floats with rounding noise.
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
            start is None or round(solver.objective_value) <= start.objective):
        best = Solution(solution_values(solver), round(solver.objective_value),
                        solver.status_name(status))
        report(time.perf_counter() - t0, best.objective, solver.best_objective_bound)
    elif start is not None:
        best = start  # CP-SAT found nothing better in the time left: keep the heuristic's
    elif status == cp_model.INFEASIBLE:  # pragma: no cover — diagnose() checks every agent
        raise InfeasibleError(["the agents' rules cannot all be met together"])
    else:
        raise SolveTimeoutError(limits.time_seconds)
    bound = max(0.0, math.ceil(solver.best_objective_bound - 1e-6),
                math.ceil(lp_bound - 1e-6) if lp_bound else 0)
    stats = {"build_seconds": build_seconds,  # the diagnosis included
             "solve_seconds": time.perf_counter() - t0,
             "cp_sat_bound": solver.best_objective_bound,
             "lp_bound": float("nan") if lp_bound is None else lp_bound,
             "heuristic_objective": float("nan") if start is None else start.objective,
             "variables": float(len(model.proto.variables)),
             "constraints": float(len(model.proto.constraints)),
             "branches": float(solver.num_branches), "conflicts": float(solver.num_conflicts)}
    if best.status == "OPTIMAL" or bound >= best.objective:
        bound = best.objective
        best = dataclasses.replace(best, status="OPTIMAL")
    return _extract(problem, built, best, min(bound, best.objective), stats)


def _complete(built: BuiltModel, chosen: dict[int, list[int]],
              limits: SolveLimits) -> Solution | None:
    """The whole model's solution with the heuristic's shifts ``chosen`` fixed.

    CP-SAT does not reliably complete a partial hint, so the chosen shifts are pinned
    (:func:`~wfm.schedule.windows.pinned`) and the model is solved with only breaks and the
    channel split left, for at most 10 s or a quarter of the limit (at 100 agents on the
    benchmark week it used to prove its optimum in 2.4 s; the full weeks of the fill shakes
    keep it busy the 10 s); its full solution becomes the hint and the fallback. None if it
    finds nothing (a heuristic pattern broke a rule).
    """
    model = built.vars.model
    shifts = [(a, k, var) for (a, k), var in built.vars.shift.items() if a in chosen]
    indices = np.array([var.index for _a, _k, var in shifts], dtype=np.int64)
    values = np.array([int(k in chosen[a]) for a, k, _var in shifts], dtype=np.int64)
    solver = cp_model.CpSolver()
    SolveLimits(min(10.0, limits.time_seconds / 4), limits.workers, limits.seed).apply(solver)
    with pinned(model, indices, values):
        status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return Solution(solution_values(solver), round(solver.objective_value), "FEASIBLE")


def _bound_and_start(problem: SchedulingProblem, limits: SolveLimits, start: float,
                     report: Callable[[float], None]) -> tuple[float | None, dict[int, list[int]]]:
    """The LP bound and the local search's schedule: side by side when the limits allow two
    workers (the search is single-threaded), else one after the other. The search ends
    ``LOCAL_SEARCH_SHARE`` of the time limit after ``start`` (a ``time.perf_counter()`` reading).

    The LP runs in a forked child that inherits the problem (nothing is pickled: the search
    fills the problem's caches meanwhile) and sends back two relaxations through a pipe: the
    first optimum, whose shifts, rounded to a week per agent (:func:`round_relaxation`), are
    one more start for the search, taken up once the descent under way ends; then the bound,
    with each agent's week held to what whole shifts can make. Side by side, the LP may take
    until the search ends.
    """
    search = limits.time_seconds * LOCAL_SEARCH_SHARE - (time.perf_counter() - start)
    lp_seconds = limits.time_seconds * LP_SHARE
    if limits.workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        t0 = time.perf_counter()
        relaxation = lp_relaxation(problem, lp_seconds)
        lp_start = None if relaxation is None else round_relaxation(problem, relaxation)
        chosen = local_search(problem, seconds=search - (time.perf_counter() - t0),
                              seed=limits.seed, workers=limits.workers, report=report,
                              restart=_once(lambda: lp_start))
        return (None if relaxation is None else relaxation.value), chosen
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    lp_seconds = max(lp_seconds, search)
    child = context.Process(target=_send_relaxation, args=(problem, lp_seconds, send),
                            daemon=True)
    child.start()
    send.close()
    got: list[Relaxation | None] = []

    def arrived() -> dict[int, list[int]] | None:
        """The LP's rounded shifts the first time they are there, else None."""
        if got or not receive.poll():
            return None
        got.append(_receive(receive))
        return round_relaxation(problem, got[0]) if got[0] is not None else None

    chosen = local_search(problem, seconds=search, seed=limits.seed, workers=limits.workers,
                          report=report, restart=arrived)
    if not got:
        got.append(_receive(receive) if receive.poll(lp_seconds + 10) else None)
    bound = _receive(receive) if receive.poll(lp_seconds + 10) else got[0]
    child.join(timeout=1)
    if child.is_alive():  # pragma: no cover
        child.kill()
    return (bound.value if bound is not None else None), chosen


def _once(make: Callable[[], dict[int, list[int]] | None]
          ) -> Callable[[], dict[int, list[int]] | None]:
    """``make()`` the first time it is called, None after."""
    calls: list[bool] = []

    def call() -> dict[int, list[int]] | None:
        if calls:
            return None
        calls.append(True)
        return make()
    return call


def _receive(receive: Connection) -> Relaxation | None:
    try:
        return cast(Relaxation | None, receive.recv())
    except EOFError:  # pragma: no cover — the child died (out of memory); no LP bound then
        return None


def _send_relaxation(problem: SchedulingProblem, seconds: float, send: Connection) -> None:
    """Send the LP's first optimum (or None), then its bound (or None)."""
    sent: list[Relaxation] = []

    def started(relaxation: Relaxation) -> None:
        send.send(relaxation)
        sent.append(relaxation)

    bound = lp_relaxation(problem, seconds, started=started)
    if not sent:
        send.send(None)
    send.send(bound)
    send.close()


RULE_TEXT: dict[R.Rule, Callable[[Agent, RuleSet], str]] = {
    R.add_days_per_week: lambda _a, r: (f"min_days_per_week {r.min_days_per_week} and "
                                        f"max_days_per_week {r.max_days_per_week}"),
    R.add_week_hours: lambda a, _r: (f"min_week_hours {a.min_week_hours:g} and "
                                     f"max_week_hours {a.max_week_hours:g}"),
    R.add_min_rest: lambda _a, r: f"min_rest_hours {r.min_rest_hours:g}",
    R.add_max_consecutive_days: lambda _a, r: f"max_consecutive_days {r.max_consecutive_days}",
    R.add_consecutive_days_off: lambda _a, _r: "consecutive_days_off",
    R.add_start_variation: lambda _a, r: (f"max_start_variation_minutes "
                                          f"{r.max_start_variation_minutes}"),
}
"""How a diagnosis names each agent rule, with the agent's own figures."""


def diagnose(problem: SchedulingProblem) -> list[str]:
    """Agents whose own hard rules contradict each other, naming the agents, days and rules.

    Coverage is soft, so the model is infeasible exactly when some agent's own rules admit no
    week of shifts. Each class of interchangeable agents is checked with a one-agent model; for
    one that fails, a deletion filter keeps the smallest set of rules that still conflict.
    """
    p = problem
    conflicts = []
    for members in p.twins:
        a = members[0]
        if _feasible(p, a, R.AGENT_RULES):
            continue
        rules = list(R.AGENT_RULES[1:])
        for rule in list(rules):
            trial = [r for r in rules if r is not rule]
            if not _feasible(p, a, (R.add_one_shift_per_day, *trial)):
                rules = trial
        agent = p.agents[a]
        names = ", ".join(p.agents[b].agent_id for b in members)
        who = f"agent {names}" if len(members) == 1 else f"agents {names}"
        assert agent.rules is not None
        texts = " + ".join(RULE_TEXT[r](agent, agent.rules) for r in rules)
        conflicts.append(f"{who}: {texts} cannot all hold {_reach(p, a)}")
    return conflicts


def _feasible(p: SchedulingProblem, a: int, rules: tuple[R.Rule, ...]) -> bool:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    status = solver.solve(agent_model(p, a, rules).model)
    return status != cp_model.INFEASIBLE


def _reach(p: SchedulingProblem, a: int) -> str:
    """What the agent may work: its days with a shift, the longest, and what limits them."""
    agent = p.agents[a]
    by_day: dict[int, int] = defaultdict(int)
    for k in p.allowed[a]:
        o = p.options[k]
        by_day[o.day] = max(by_day[o.day], o.paid_minutes)
    rules = agent.rules
    assert rules is not None
    best = sorted(by_day.values(), reverse=True)[:rules.max_days_per_week]
    limits = []
    if agent.availability is not None:
        limits.append(f"availability {agent.availability.describe()}")
    if agent.days_off:
        limits.append("days off " + "|".join(WEEKDAYS[d] for d in sorted(agent.days_off)))
    for t in agent.time_off:
        whole = t.start.time() == t.end.time() == dt.time()
        limits.append(f"time off {t.start:%a %d %b}" + (
            "" if whole and t.end - t.start == dt.timedelta(days=1) else
            f" to {t.end - dt.timedelta(minutes=1):%a %d %b}" if whole else
            f" {t.start:%H:%M}-{t.end:%H:%M}"))
    paid_off = sum(t.paid_minutes for t in agent.time_off) / 60
    if agent.shift_lengths_hours is not None:
        limits.append("shift lengths " + "/".join(f"{h:g}" for h in agent.shift_lengths_hours)
                      + " h")
    days = ", ".join(f"{p.days[d]:%a %d %b}" for d in sorted(by_day)) or "none"
    text = (f"with the shifts it may work (days with a shift: {days}; at most "
            f"{sum(best) / 60:g} paid h in {len(best)} days"
            + (f" plus {paid_off:g} h paid time off" if paid_off else ""))
    return text + (f"; limited by {'; '.join(limits)})" if limits else ")")


def _extract(problem: SchedulingProblem, built: BuiltModel, solution: Solution, bound: float,
             stats: dict[str, float]) -> Schedule:
    """Read the solver's values back into frames: shifts, breaks and channels per agent."""
    p, m = problem, built.vars
    index = p.index
    activity = np.full((len(p.agents), len(index)), F.OFF, dtype=object)
    worked = [(a, k) for (a, k), var in m.shift.items() if solution.value(var)]
    # Breaks were placed by count per skill group, option and start; hand them to the group's
    # agents on that option (the windows never overlap, so any hand-out keeps the rules).
    on_option: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a, k in worked:
        on_option[m.group_of[a], k].append(a)
    placed: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for (g, k), members in on_option.items():
        for j, b in enumerate(p.options[k].breaks):
            starts = [s for s in b.starts for _ in range(solution.value(m.breaks[g, k, j, s]))]
            for a, s in zip(members, starts, strict=True):
                placed[a, k].append((j, s))
                activity[a, s:s + b.length] = b.activity
    # Agents with the same skills are interchangeable: hand out each group's channel counts,
    # keeping an agent on the channel it had in the previous interval where possible.
    working: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a, k in worked:
        for i in p.options[k].slots:
            if activity[a, i] == F.OFF:
                working[m.group_of[a], i].append(a)
    for (g, i), members in sorted(working.items(), key=lambda kv: kv[0][1]):
        if i >= p.horizon:
            for a in members:  # past the horizon: stay on the previous channel while it is open
                prev = activity[a, i - 1] if i else F.OFF
                open_here = [c for c in m.groups[g][0] if p.open[p.channels.index(c), i]]
                activity[a, i] = prev if prev in open_here else open_here[0]
            continue
        left = {c: solution.value(m.assigned[g, i, c]) for c in range(len(p.channels))
                if (g, i, c) in m.assigned}
        pending = []
        for a in members:
            prev = activity[a, i - 1] if i else F.OFF
            c = p.channels.index(prev) if prev in p.channels else -1
            if left.get(c, 0) > 0:
                activity[a, i] = prev
                left[c] -= 1
            else:
                pending.append(a)
        for a in pending:
            c = next(c for c, n in left.items() if n > 0)
            activity[a, i] = p.channels[c]
            left[c] -= 1

    shifts = pd.DataFrame(
        [{F.AGENT_ID: p.agents[a].agent_id, F.DATE: p.days[p.options[k].day],
          "shift_start": p.options[k].start, "shift_end": p.options[k].end,
          "paid_minutes": p.options[k].paid_minutes,
          "breaks": _describe_breaks(p, k, placed[a, k])} for a, k in worked],
        columns=list(F.SCHEDULE_COLUMNS),
    ).sort_values([F.AGENT_ID, "shift_start"], ignore_index=True)
    spill = [i for i in range(p.horizon, len(index)) if (activity[:, i] != F.OFF).any()]
    keep = list(range(p.horizon)) + spill
    agent_intervals = pd.DataFrame({
        F.AGENT_ID: np.repeat([a.agent_id for a in p.agents], len(keep)),
        F.INTERVAL_START: np.tile(index[keep], len(p.agents)),
        F.ACTIVITY: activity[:, keep].ravel(),
    })
    penalties = pd.DataFrame(
        [{"rule": q.name, "channel": q.channel,
          F.AGENT_ID: None if q.agent is None else p.agents[q.agent].agent_id,
          F.INTERVAL_START: None if q.interval is None else index[q.interval],
          "amount": solution.value(q.var), "cost": solution.value(q.var) * q.weight}
         for q in built.penalties if q.name != "paid_time" and solution.value(q.var) > 0],
        columns=list(PENALTY_COLUMNS))
    return Schedule(
        status=solution.status, objective=solution.objective,
        lower_bound=bound, shifts=shifts, agent_intervals=agent_intervals,
        segments=_segments(p, worked, placed, activity), penalties=penalties, stats=stats,
    )


def _describe_breaks(p: SchedulingProblem, k: int, placed: list[tuple[int, int]]) -> str:
    """``10:00-10:15 break; 12:00-12:30 lunch`` in the site's local time."""
    step = pd.Timedelta(minutes=p.interval_minutes)
    tz = p.options[k].start.tz
    parts = []
    for j, s in sorted(placed, key=lambda js: js[1]):
        b = p.options[k].breaks[j]
        first = p.index[s].tz_convert(tz)
        last = p.index[s + b.length - 1].tz_convert(tz) + step
        parts.append(f"{first:%H:%M}-{last:%H:%M} {b.activity}")
    return "; ".join(parts)


def _segments(p: SchedulingProblem, worked: list[tuple[int, int]],
              placed: dict[tuple[int, int], list[tuple[int, int]]],
              activity: np.ndarray) -> pd.DataFrame:
    """One row per agent and run of one activity inside a shift (the ACD/HR import layout)."""
    step = pd.Timedelta(minutes=p.interval_minutes)
    out = []
    for a, k in worked:
        o = p.options[k]
        paid_at = {s + i: o.breaks[j].paid for j, s in placed[a, k]
                   for i in range(o.breaks[j].length)}
        slots = o.slots
        run_start = slots[0]
        for j, i in enumerate(slots):
            nxt = slots[j + 1] if j + 1 < len(slots) else None
            if nxt is not None and activity[a, nxt] == activity[a, i]:
                continue
            start = p.index[run_start]
            end = p.index[i] + step
            out.append({F.AGENT_ID: p.agents[a].agent_id, F.DATE: p.days[o.day],
                        F.ACTIVITY: str(activity[a, i]), "start": start, "end": end,
                        "minutes": int((end - start).total_seconds() // 60),
                        "paid": paid_at.get(i, True)})
            if nxt is not None:
                run_start = nxt
    return pd.DataFrame(out, columns=list(F.SEGMENT_COLUMNS))
