"""A proven lower bound on the schedule's objective: the LP relaxation, solved with GLOP.

The relaxation keeps every linear rule of the CP-SAT model (one shift per day, days and hours
per week, break placement inside windows by count, coverage split by skill group, preference
costs) with shifts allowed to be fractional, weekly hours rounded to what whole shifts can
add up to (:func:`week_totals`) and each agent's days, paid time and time worked between breaks
kept inside the convex hull of the weeks whole shifts make (:func:`week_hull`, a few rows per
class of agents: on the benchmark's 100-agent week they took the bound from 34,628 to 38,680,
on the 30-agent week to the column-generation bound over whole agent weeks, 11,644, which took
75 s to converge); it drops the rest, consecutive-day and start-time rules, the
fairness and proficiency goals (whose costs are never negative) and symmetry breaking.
Dropping constraints or non-negative costs can only lower the optimum, so the LP's value is a
valid bound for the integer model; it is usually far tighter early on than the bound CP-SAT
proves by itself within a short time limit.

Interchangeable agents (:attr:`SchedulingProblem.twins`) are merged into one type whose shift
variables range over ``[0, n]`` and whose per-agent limits are multiplied by ``n``. Every
per-agent constraint becomes the sum of the type's constraints, so the merged LP is still a
relaxation, and for identical agents its optimum is the same as the unmerged LP's (average the
agents' fractional solutions); it is just several times smaller.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from scipy.spatial import ConvexHull, QhullError

from wfm.schedule.problem import SchedulingProblem
from wfm.schedule.rules import preference_costs


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation's optimum (the bound, with each agent's week held to what whole shifts
    can make) and the shifts of its optimum with the contracts' own weekly hours (the search's
    start): per class of interchangeable agents (position in :attr:`SchedulingProblem.twins`) the
    fractional number of them working each shift option."""

    value: float
    shifts: dict[tuple[int, int], float]


def lp_relaxation(problem: SchedulingProblem, time_limit_seconds: float = 30.0,
                  started: Callable[[Relaxation], None] | None = None) -> Relaxation | None:
    """The LP relaxation solved, or None when GLOP does not finish within the limit (if only
    the re-solve with weeks of whole shifts does not, the bound is the first optimum's).

    ``started`` is called with the first optimum (the contracts' own weekly hours) as soon as
    it is there, before the re-solve: its shifts are the search's start."""
    p = problem
    w = p.weights
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:  # pragma: no cover — GLOP ships with every OR-Tools wheel
        return None
    lp.SetTimeLimit(int(time_limit_seconds * 1000))
    inf = lp.infinity()
    groups = p.skill_groups
    objective = lp.Objective()
    step = p.interval_minutes
    # shifts per agent type, and their sum per skill group and option
    count: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    shifts: dict[tuple[int, int], pywraplp.Variable] = {}
    # rows only the bound's re-solve holds: weekly hours rounded to what whole shifts add up
    # to, and the faces of the hull of whole weeks
    rounded: list[tuple[pywraplp.Constraint, float, float]] = []
    for t, members in enumerate(p.twins):
        a, n = members[0], len(members)
        agent, rules = p.agents[a], p.agents[a].rules
        assert rules is not None
        x = {k: lp.NumVar(0, n, "") for k in p.allowed[a]}
        shifts.update({(t, k): var for k, var in x.items()})
        wishes = preference_costs(p, a)
        by_day: dict[int, list[pywraplp.Variable]] = defaultdict(list)
        g = p.group_of[a]
        for k, var in x.items():
            by_day[p.options[k].day].append(var)
            objective.SetCoefficient(var, wishes.get(k, 0))
            count[g, k].append(var)
        for vars_ in by_day.values():
            lp.Add(sum(vars_) <= n)
        for week in p.weeks:
            in_week = [(k, var) for k, var in x.items() if p.options[k].day in week]
            days = sum(var for _, var in in_week)
            lp.Add(days <= rules.max_days_per_week * n)
            paid = sum(p.options[k].paid_minutes * var for k, var in in_week)
            most = round(agent.max_week_hours * 60) - p.time_off_paid(a, week)
            shifts_most = min(rules.max_days_per_week, len(week))
            totals = week_totals({p.options[k].paid_minutes for k, _ in in_week}, shifts_most,
                                 most)
            hours = lp.Add(paid <= most * n)
            rounded.append((hours, -inf, max(totals) * n))
            least = (round(agent.min_week_hours * 60) - p.time_off_paid(a, week)
                     if len(week) == 7 else 0)
            worked = sum(len(p.options[k].work) * var for k, var in in_week)
            kinds = {(p.options[k].paid_minutes, len(p.options[k].work)) for k, _ in in_week}
            for a_days, a_paid, a_worked, rhs in week_hull(kinds, shifts_most, most, least):
                facet = lp.Add(a_days * days + a_paid * paid + a_worked * worked <= inf)
                rounded.append((facet, -inf, rhs * n))
            if len(week) == 7:
                lp.Add(days >= (rules.min_days_per_week - p.days_off_work(a, week)) * n)
                if least > 0:
                    hours = lp.Add(paid >= least * n)
                    up = min((t for t in totals if t >= least), default=least)
                    rounded.append((hours, up * n, inf))
    # coverage: a group's shifts minus its breaks, split over its open channels
    working: dict[tuple[int, int], list[tuple[float, pywraplp.Variable]]] = defaultdict(list)
    for (g, k), vars_ in count.items():
        o = p.options[k]
        total = lp.NumVar(0, inf, "")
        lp.Add(total == sum(vars_))
        objective.SetCoefficient(total, w.paid * o.paid_minutes // step)
        for i in o.slots:
            working[g, i].append((1, total))
        for b in o.breaks:
            placed = [lp.NumVar(0, inf, "") for _ in b.starts]
            lp.Add(sum(placed) == total)
            for s, var in zip(b.starts, placed, strict=True):
                for i in range(s, s + b.length):
                    working[g, i].append((-1, var))
    on: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    for (g, i), terms in working.items():
        if i >= p.horizon:
            continue
        split = []
        for c, name in enumerate(p.channels):
            if name in groups[g][0] and p.open[c, i]:
                z = lp.NumVar(0, inf, "")
                on[c, i].append(z)
                split.append(z)
        lp.Add(sum(split) == sum(coef * var for coef, var in terms))
    for c in range(len(p.channels)):
        for i in range(p.horizon):
            if not p.open[c, i]:
                continue
            req = int(p.required[c, i])
            under = lp.NumVar(0, req, "")
            over = lp.NumVar(0, inf, "")
            lp.Add(sum(on.get((c, i), [])) + under - over == req)
            objective.SetCoefficient(under, w.under * p.priority[c])
            objective.SetCoefficient(over, w.over)
    objective.SetMinimization()
    t0 = time.perf_counter()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    # The contracts' own weekly hours give the search its start: on the 300-agent benchmark
    # week, the rounded hours' shifts made a start 4 % dearer, which the rest of the solve
    # never made up (132,212 and 132,424 against 126,750). The rounded ones give the bound,
    # re-solved from the first optimum, which GLOP keeps.
    fractional = {key: var.solution_value() for key, var in shifts.items()
                  if var.solution_value() > 1e-9}
    value = float(objective.Value())
    if started is not None:
        started(Relaxation(value, fractional))
    left_ms = int((time_limit_seconds - (time.perf_counter() - t0)) * 1000)
    if left_ms <= 0:  # (a limit of 0 would be none at all)
        return Relaxation(value, fractional)
    for constraint, low, high in rounded:
        constraint.SetBounds(low, high)
    lp.SetTimeLimit(left_ms)
    if lp.Solve() == pywraplp.Solver.OPTIMAL:
        value = max(value, float(objective.Value()))
    return Relaxation(value, fractional)


def week_hull(kinds: set[tuple[int, int]], days: int, most: int,
              least: int = 0) -> list[tuple[int, int, int, int]]:
    """The facets ``a_days·d + a_paid·P + a_worked·W <= rhs`` of the convex hull of every
    week an agent can work: ``d`` shifts, at most ``days``, each of one of the ``kinds``
    (paid minutes, intervals worked between its breaks), ``P`` their paid minutes (between
    ``least`` and ``most``; when those weeks are flat, as full-timers' five long shifts are,
    every week up to ``most``) and ``W`` their intervals worked. Integer coefficients, exact;
    empty when even those do not span three dimensions (one kind of shift).

    Summed over a class of n interchangeable agents, a schedule's days, paid minutes and
    intervals worked lie in n times this hull, so the facets are valid rows for the LP; they
    cut off what fractional shifts alone can do. A 30-hour part-timer with shifts of 9, 8, 6
    and 4 hours (8.5, 7.5, 5.5 and 4 paid; two 15-minute breaks in the long shifts, one in the
    others) works at most 113 quarter-hours in a week; fractional 9- and 6-hour shifts on 5
    days make 114.2.
    """
    reach = _whole_weeks(kinds, days, most)
    try:
        points = np.array(sorted(pt for pt in reach if pt[1] >= least), dtype=np.int64)
        hull = ConvexHull(points)
    except (QhullError, ValueError):  # flat or too few: e.g. full-timers' weeks of 5 shifts
        try:  # every week up to the most then, the shorter ones too
            points = np.array(sorted(reach), dtype=np.int64)
            hull = ConvexHull(points)
        except (QhullError, ValueError):  # one kind of shift: the weeks lie on a line
            return []
    facets = set()
    # each facet's plane through three of its (integer) vertices, in integers: the floats
    # qhull works in only tell which side is out
    for simplex, equation in zip(hull.simplices, hull.equations, strict=True):
        v0, v1, v2 = points[simplex]
        normal = np.cross(v1 - v0, v2 - v0)
        if not normal.any():  # pragma: no cover — qhull's triangles are not degenerate
            continue
        if normal @ equation[:3] < 0:
            normal = -normal
        row = (*normal.tolist(), int(normal @ v0))
        divisor = math.gcd(*row)
        facets.add(tuple(x // divisor for x in row))
    rows = list(facets)
    check = np.array(rows, dtype=np.int64)
    assert (points @ check[:, :3].T <= check[:, 3]).all(), "a facet cuts off a week"
    return rows


def week_totals(lengths: set[int], days: int, most: int) -> set[int]:
    """Every paid time up to ``most`` that a week of at most ``days`` shifts, each of one of
    the paid ``lengths`` (minutes), can add up to.

    An agent's paid week can only be one of these, so the LP may round its weekly limits to
    them: a 40-hour contract with shifts of 4, 5.5, 7.5 and 8.5 paid hours on at most 5 days
    can reach 39.5 hours and no more, while fractional shifts make up the 40. The true sums
    (one shift per day, on the days the agent may work) are a subset of these, so the
    rounded limits still bound every integer schedule.
    """
    return {paid for _, paid, _ in _whole_weeks({(length, 0) for length in lengths}, days, most)}


def _whole_weeks(kinds: set[tuple[int, int]], days: int,
                 most: int) -> set[tuple[int, int, int]]:
    """(shifts, paid minutes, intervals worked) of every week of at most ``days`` shifts, each
    of one of the ``kinds`` (paid minutes, intervals worked), paid at most ``most``."""
    weeks = {(0, 0, 0)}
    for _ in range(days):
        weeks |= {(d + 1, paid + p, work + w) for d, paid, work in weeks for p, w in kinds
                  if paid + p <= most}
    return weeks
