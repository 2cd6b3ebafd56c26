"""A proven lower bound on the schedule's objective: the LP relaxation, solved with GLOP.

The relaxation keeps every linear rule of the CP-SAT model (one shift per day, days and hours
per week, coverage split by skill group) with shifts allowed to be fractional, and drops the rest
rule and symmetry breaking. Dropping constraints can only lower the optimum, so the LP's value
is a valid bound for the integer model; it is usually far tighter early on than the bound CP-SAT
proves by itself within a short time limit.

Interchangeable agents (same skills, contract and allowed shifts) are merged into one type whose
shift variables range over ``[0, n]`` and whose per-agent limits are multiplied by ``n``. Every
per-agent constraint becomes the sum of the type's constraints, so the merged LP is still a
relaxation, and for identical agents its optimum is the same as the unmerged LP's (average the
agents' fractional solutions); it is just several times smaller.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.linear_solver import pywraplp

from wfm.schedule.problem import SchedulingProblem


def lp_lower_bound(problem: SchedulingProblem, time_limit_seconds: float = 30.0) -> float | None:
    """The LP relaxation's optimum, or None when GLOP does not finish within the limit."""
    p = problem
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:  # pragma: no cover — GLOP ships with every OR-Tools wheel
        return None
    lp.SetTimeLimit(int(time_limit_seconds * 1000))
    inf = lp.infinity()
    groups = sorted({a.skills for a in p.agents})
    reps = {members[0]: len(members) for members in p.twins}
    x = {(a, k): lp.NumVar(0, n, "") for a, n in reps.items() for k in p.allowed[a]}
    objective = lp.Objective()
    step = p.interval_minutes
    by_agent_day: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    working: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    for (a, k), var in x.items():
        o = p.options[k]
        by_agent_day[a, o.day].append(var)
        objective.SetCoefficient(var, p.weights.paid * o.paid_minutes // step)
        g = groups.index(p.agents[a].skills)
        for i in o.work:
            if i < p.horizon:
                working[g, i].append(var)
    for (a, _d), vars_ in by_agent_day.items():
        lp.Add(sum(vars_) <= reps[a])
    for a, n in reps.items():
        agent = p.agents[a]
        for w0 in range(0, len(p.days), 7):
            days = set(range(w0, min(w0 + 7, len(p.days))))
            in_week = [(k, x[a, k]) for k in p.allowed[a] if p.options[k].day in days]
            lp.Add(sum(v for _, v in in_week) <= p.rules.max_days_per_week * n)
            paid = sum(p.options[k].paid_minutes * v for k, v in in_week)
            lp.Add(paid <= round(agent.max_week_hours * 60) * n)
            if len(days) == 7 and agent.min_week_hours > 0:
                lp.Add(paid >= round(agent.min_week_hours * 60) * n)
    on: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    for (g, i), terms in working.items():
        split = []
        for c, name in enumerate(p.channels):
            if name in groups[g] and p.open[c, i]:
                z = lp.NumVar(0, inf, "")
                on[c, i].append(z)
                split.append(z)
        lp.Add(sum(split) == sum(terms))
    for c in range(len(p.channels)):
        for i in range(p.horizon):
            if not p.open[c, i]:
                continue
            req = int(p.required[c, i])
            under = lp.NumVar(0, req, "")
            over = lp.NumVar(0, inf, "")
            lp.Add(sum(on.get((c, i), [])) + under - over == req)
            objective.SetCoefficient(under, p.weights.under * p.priority[c])
            objective.SetCoefficient(over, p.weights.over)
    objective.SetMinimization()
    status = lp.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return None
    return float(objective.Value())
