"""Build the CP-SAT model in named sections, solve it, and read the schedule back.

data (:class:`SchedulingProblem`) → variables → hard rules → soft rules → objective → solve →
:class:`Schedule`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from wfm import frames as F
from wfm.errors import InfeasibleError, SolveTimeoutError
from wfm.schedule.bound import lp_lower_bound
from wfm.schedule.heuristic import best_response, greedy_start
from wfm.schedule.problem import SchedulingProblem, ShiftOption
from wfm.schedule.rules import HARD_RULES, SOFT_RULES, ModelVars, Penalty

LOCAL_SEARCH_SHARE = 0.5
"""Share of the time limit the local search may use before CP-SAT takes over."""
LP_SHARE = 0.3
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
    groups = tuple(sorted({a.skills for a in problem.agents}))
    m = ModelVars(model=model, groups=groups,
                  group_of=tuple(groups.index(a.skills) for a in problem.agents))
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


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress
        self._t0 = time.perf_counter()

    def on_solution_callback(self) -> None:
        self._progress(time.perf_counter() - self._t0, self.objective_value,
                       self.best_objective_bound)


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
    conflicts = diagnose(problem)
    if conflicts:
        raise InfeasibleError(conflicts)
    t0 = time.perf_counter()
    built = build_model(problem)
    build_seconds = time.perf_counter() - t0
    lp_bound = lp_lower_bound(problem, time_limit_seconds=limits.time_seconds * LP_SHARE)
    chosen = best_response(problem, greedy_start(problem),
                           seconds=limits.time_seconds * LOCAL_SEARCH_SHARE, seed=limits.seed)
    start = _complete(built, chosen, limits)
    model = built.vars.model
    if start is not None:
        for i, v in enumerate(start.values):
            model.add_hint(model.get_int_var_from_proto_index(i), int(v))
    solver = cp_model.CpSolver()
    limits.apply(solver)
    solver.parameters.max_time_in_seconds = max(
        0.1, limits.time_seconds - (time.perf_counter() - t0))
    callback = _ProgressCallback(progress) if progress else None
    status = solver.solve(model, callback)
    # Objective coefficients are integers; CP-SAT reports them as floats with rounding noise.
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
            start is None or round(solver.objective_value) <= start.objective):
        n = len(model.proto.variables)
        values = np.array([solver.value(model.get_int_var_from_proto_index(i)) for i in range(n)])
        best = _Solution(values, round(solver.objective_value), solver.status_name(status))
    elif start is not None:
        best = start  # CP-SAT found nothing better in the time left: keep the heuristic's
    elif status == cp_model.INFEASIBLE:
        raise InfeasibleError(["the contracts' weekly hours, days and rest rules cannot all be "
                               "met with the shifts the config allows; check min_week_hours, "
                               "rules.max_days_per_week and rules.min_rest_hours"])
    else:
        raise SolveTimeoutError(limits.time_seconds)
    stats = {"build_seconds": build_seconds, "solve_seconds": time.perf_counter() - t0,
             "cp_sat_bound": solver.best_objective_bound,
             "lp_bound": float("nan") if lp_bound is None else lp_bound,
             "heuristic_objective": float("nan") if start is None else start.objective,
             "variables": float(len(model.proto.variables)),
             "constraints": float(len(model.proto.constraints)),
             "branches": float(solver.num_branches), "conflicts": float(solver.num_conflicts)}
    bound = max(0.0, math.ceil(solver.best_objective_bound - 1e-6),
                math.ceil(lp_bound - 1e-6) if lp_bound else 0)
    if best.status == "OPTIMAL" or bound >= best.objective:
        bound = best.objective
        best = dataclasses.replace(best, status="OPTIMAL")
    return _extract(problem, built, best, min(bound, best.objective), stats)


@dataclass(frozen=True)
class _Solution:
    """Values of every model variable (by proto index), the objective and the status."""

    values: np.ndarray
    objective: float
    status: str

    def value(self, var: cp_model.IntVar) -> int:
        """The value of ``var`` in this solution."""
        return int(self.values[var.index])


def _complete(built: BuiltModel, chosen: dict[int, list[int]],
              limits: SolveLimits) -> _Solution | None:
    """The whole model's solution with the heuristic's shifts ``chosen`` fixed.

    CP-SAT does not reliably complete a partial hint, so the chosen shifts are fixed in a copy of
    the model, which then solves in a fraction of a second (only the channel split is left), and
    that copy's full solution becomes the hint and the fallback. None if the copy finds nothing
    (a heuristic pattern broke a rule).
    """
    copy = built.vars.model.clone()
    for (a, k), var in built.vars.shift.items():
        if a in chosen:
            fixed = copy.get_bool_var_from_proto_index(var.index)
            copy.add(fixed == int(k in chosen[a]))
    solver = cp_model.CpSolver()
    SolveLimits(min(10.0, limits.time_seconds / 4), limits.workers, limits.seed).apply(solver)
    if solver.solve(copy) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    n = len(copy.proto.variables)
    values = np.array([solver.value(copy.get_int_var_from_proto_index(i)) for i in range(n)])
    return _Solution(values, round(solver.objective_value), "FEASIBLE")


def diagnose(problem: SchedulingProblem) -> list[str]:
    """Contradictions visible before solving: contracts no allowed shift pattern can meet."""
    conflicts = []
    max_days = min(problem.rules.max_days_per_week, len(problem.days))
    for a, agent in enumerate(problem.agents):
        if len(problem.days) < 7 or agent.min_week_hours <= 0:
            continue
        best_per_day: dict[int, int] = defaultdict(int)
        for k in problem.allowed[a]:
            o = problem.options[k]
            best_per_day[o.day] = max(best_per_day[o.day], o.paid_minutes)
        best = sorted(best_per_day.values(), reverse=True)[:max_days]
        possible = sum(best) / 60
        if possible < agent.min_week_hours:
            conflicts.append(
                f"agent {agent.agent_id}: min_week_hours {agent.min_week_hours:g} but at most "
                f"{possible:g} h fit in {max_days} days (rules.max_days_per_week) with the "
                "allowed shifts and the channels' hours")
    return conflicts


def _extract(problem: SchedulingProblem, built: BuiltModel, solution: _Solution, bound: float,
             stats: dict[str, float]) -> Schedule:
    """Read the solver's values back into frames."""
    m = built.vars
    index = problem.index
    n_agents, n_int = len(problem.agents), len(index)
    activity = np.full((n_agents, n_int), F.OFF, dtype=object)
    worked = [(a, problem.options[k]) for (a, k), var in m.shift.items()
              if solution.value(var)]
    for a, o in worked:
        for i, label, _paid in o.breaks:
            activity[a, i] = label
    # Agents with the same skills are interchangeable: hand out each group's channel counts,
    # keeping an agent on the channel it had in the previous interval where possible.
    working: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a, o in worked:
        for i in o.work:
            working[m.group_of[a], i].append(a)
    for (g, i), members in sorted(working.items(), key=lambda kv: kv[0][1]):
        if i >= problem.horizon:
            for a in members:  # past the horizon: stay on the previous channel while it is open
                prev = activity[a, i - 1] if i else F.OFF
                open_here = [c for c in m.groups[g] if problem.open[problem.channels.index(c), i]]
                activity[a, i] = prev if prev in open_here else open_here[0]
            continue
        left = {c: solution.value(m.assigned[g, i, c]) for c in range(len(problem.channels))
                if (g, i, c) in m.assigned}
        pending = []
        for a in members:
            prev = activity[a, i - 1] if i else F.OFF
            c = problem.channels.index(prev) if prev in problem.channels else -1
            if left.get(c, 0) > 0:
                activity[a, i] = prev
                left[c] -= 1
            else:
                pending.append(a)
        for a in pending:
            c = next(c for c, n in left.items() if n > 0)
            activity[a, i] = problem.channels[c]
            left[c] -= 1

    shifts = pd.DataFrame(
        [{F.AGENT_ID: problem.agents[a].agent_id, F.DATE: problem.days[o.day],
          "shift_start": o.start, "shift_end": o.end, "paid_minutes": o.paid_minutes,
          "breaks": _describe_breaks(o)} for a, o in worked],
        columns=list(F.SCHEDULE_COLUMNS),
    ).sort_values([F.AGENT_ID, "shift_start"], ignore_index=True)
    spill = [i for i in range(problem.horizon, n_int) if (activity[:, i] != F.OFF).any()]
    keep = list(range(problem.horizon)) + spill
    agent_intervals = pd.DataFrame({
        F.AGENT_ID: np.repeat([a.agent_id for a in problem.agents], len(keep)),
        F.INTERVAL_START: np.tile(index[keep], n_agents),
        F.ACTIVITY: activity[:, keep].ravel(),
    })
    penalties = pd.DataFrame(
        [{"rule": p.name, "channel": p.key[0], F.AGENT_ID: None,
          F.INTERVAL_START: index[int(str(p.key[1]))], "amount": solution.value(p.var),
          "cost": solution.value(p.var) * p.weight}
         for p in built.penalties if p.name != "paid_time" and solution.value(p.var) > 0],
        columns=list(PENALTY_COLUMNS))
    return Schedule(
        status=solution.status, objective=solution.objective,
        lower_bound=bound, shifts=shifts, agent_intervals=agent_intervals,
        segments=_segments(problem, worked, activity), penalties=penalties, stats=stats,
    )


def _describe_breaks(o: ShiftOption) -> str:
    """``10:00-10:15 break; 12:00-12:30 lunch`` in the site's local time."""
    return "; ".join(
        f"{o.start + pd.Timedelta(minutes=b.offset_minutes):%H:%M}-"
        f"{o.start + pd.Timedelta(minutes=b.offset_minutes + b.minutes):%H:%M} {b.activity}"
        for b in o.template.breaks)


def _segments(problem: SchedulingProblem, worked: list[tuple[int, ShiftOption]],
              activity: np.ndarray) -> pd.DataFrame:
    """One row per agent and run of one activity inside a shift (the ACD/HR import layout)."""
    step = pd.Timedelta(minutes=problem.interval_minutes)
    out = []
    for a, o in worked:
        paid_at = {i: paid for i, _, paid in o.breaks}
        slots = sorted([*o.work, *paid_at])
        run_start = slots[0]
        for j, i in enumerate(slots):
            nxt = slots[j + 1] if j + 1 < len(slots) else None
            if nxt is not None and nxt == i + 1 and activity[a, nxt] == activity[a, i]:
                continue
            start = problem.index[run_start]
            end = problem.index[i] + step
            out.append({F.AGENT_ID: problem.agents[a].agent_id, F.DATE: problem.days[o.day],
                        F.ACTIVITY: str(activity[a, i]), "start": start, "end": end,
                        "minutes": int((end - start).total_seconds() // 60),
                        "paid": paid_at.get(i, True)})
            if nxt is not None:
                run_start = nxt
    return pd.DataFrame(out, columns=list(F.SEGMENT_COLUMNS))
