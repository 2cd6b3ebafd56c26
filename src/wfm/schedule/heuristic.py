"""A good first schedule that keeps every hard rule, used as CP-SAT's starting point.

CP-SAT proves bounds well but, with two workers and a short time limit, improves a week-long
schedule of dozens of agents slowly. Two heuristics hand it a good start:

* :func:`greedy_start` — agent by agent, the shift template and working days that cover the most
  still-uncovered demand, the same template every working day (so the rest between shifts is
  ``24 h − length``), on a number of days that fits the contract's weekly hours;
* :func:`best_response` — local search: take one agent out, and give it the week of shifts that
  is best against everybody else's coverage, solved exactly under all the agent's own rules with
  a one-agent CP-SAT model; repeat over all agents until nothing improves or time runs out.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse

from wfm.schedule.problem import SchedulingProblem
from wfm.schedule.rules import (
    ModelVars,
    add_max_days_per_week,
    add_min_rest,
    add_one_shift_per_day,
    add_week_hours,
)

SHAKES = 20
"""Shakes in a row without improvement after which the local search stops."""

AGENT_RULES = (add_one_shift_per_day, add_max_days_per_week, add_week_hours, add_min_rest)
"""The hard rules that concern one agent alone."""


def _incidence(p: SchedulingProblem) -> sparse.csr_matrix:
    """Sparse (option x interval) matrix: 1 where the option works in the interval."""
    rows = np.repeat(np.arange(len(p.options)), [len(o.work) for o in p.options])
    cols = np.fromiter((i for o in p.options for i in o.work), dtype=np.int64, count=len(rows))
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(len(p.options), len(p.index)))


def greedy_start(problem: SchedulingProblem) -> dict[int, list[int]]:
    """Agent position -> chosen option ids; agents with no rule-abiding pattern are left out."""
    p = problem
    incidence = _incidence(p)
    residual = p.required.astype(float).copy()
    residual[:, p.horizon:] = 0
    by_template: dict[object, dict[int, int]] = defaultdict(dict)
    for k, o in enumerate(p.options):
        by_template[o.template][o.day] = k
    rest = p.rules.min_rest_hours * 60
    weeks = max(1, -(-len(p.days) // 7))
    max_days = min(p.rules.max_days_per_week * weeks, len(p.days))
    chosen: dict[int, list[int]] = {}
    # Agents with fewer skills first: they have fewer places to go.
    order = sorted(range(len(p.agents)), key=lambda a: (len(p.agents[a].skills), a))
    for a in order:
        agent = p.agents[a]
        skills = [p.channels.index(c) for c in agent.skills]
        demand = (residual[skills] > 0).any(axis=0).astype(float)
        gain = incidence @ demand
        allowed = set(p.allowed[a])
        best: tuple[float, list[int]] | None = None
        for template, days in by_template.items():
            if 1440 - template.length_minutes < rest:  # type: ignore[attr-defined]
                continue
            ks = sorted((k for k in days.values() if k in allowed), key=lambda k: -gain[k])
            paid = template.paid_minutes / 60  # type: ignore[attr-defined]
            for n in range(min(max_days, len(ks)), 0, -1):
                if agent.min_week_hours * weeks <= n * paid <= agent.max_week_hours * weeks:
                    score = float(gain[ks[:n]].sum())
                    if best is None or score > best[0]:
                        best = (score, ks[:n])
                    break
        if best is None:
            continue
        chosen[a] = best[1]
        for k in best[1]:
            for i in p.options[k].work:
                if i >= p.horizon:
                    continue
                c = max(skills, key=lambda c: residual[c, i] if p.open[c, i] else -np.inf)
                residual[c, i] -= 1
    return _order_twins(p, chosen)


def _order_twins(p: SchedulingProblem, chosen: dict[int, list[int]]) -> dict[int, list[int]]:
    """Interchangeable agents get their patterns in order of paid time, as the model demands."""
    out: dict[int, list[int]] = {}
    for members in p.twins:
        patterns = sorted((chosen.get(a, []) for a in members),
                          key=lambda ks: -sum(p.options[k].paid_minutes for k in ks))
        for a, ks in zip(members, patterns, strict=True):
            if ks:
                out[a] = ks
    return out


def best_response(
    problem: SchedulingProblem,
    chosen: dict[int, list[int]],
    *,
    seconds: float,
    seed: int = 0,
) -> dict[int, list[int]]:
    """Improve ``chosen`` agent by agent, with restarts, until ``seconds`` have passed.

    Each agent's value of working interval *i* is what one more agent there is worth against the
    others' coverage: the channel's under-coverage weight if the channel is short, minus the
    over-coverage weight if not, on the agent's best open channel; minus paid time.
    """
    p = problem
    w = p.weights
    deadline = time.perf_counter() + seconds
    incidence = _incidence(p)
    horizon = np.arange(len(p.index)) < p.horizon
    paid = np.array([w.paid * o.paid_minutes // p.interval_minutes for o in p.options])
    prio = np.asarray(p.priority, dtype=float)[:, None]
    skills_of = [[p.channels.index(c) for c in a.skills] for a in p.agents]
    chosen = {a: list(ks) for a, ks in chosen.items()}
    cover = np.zeros((len(p.channels), len(p.index)))
    placed: dict[int, list[tuple[int, int]]] = {}

    def place(a: int, ks: list[int]) -> None:
        marks = []
        skills = skills_of[a]
        for k in ks:
            for i in p.options[k].work:
                if i >= p.horizon:
                    continue
                short = np.where(p.open[skills, i], p.required[skills, i] - cover[skills, i],
                                 -np.inf)
                c = skills[int(np.argmax(short * prio[skills, 0]))]
                cover[c, i] += 1
                marks.append((c, i))
        placed[a] = marks

    def remove(a: int) -> None:
        for c, i in placed.pop(a, []):
            cover[c, i] -= 1

    def objective() -> float:
        gap = (p.required - cover)[:, :p.horizon]
        opened = p.open[:, :p.horizon]
        under = (np.maximum(gap, 0) * opened * prio * w.under).sum()
        over = (np.maximum(-gap, 0) * opened * w.over).sum()
        return float(under + over + sum(paid[ks].sum() for ks in chosen.values()))

    def respond(a: int, noise: float = 0.0) -> bool:
        """Give agent ``a`` its best week against the others; True if it changed."""
        remove(a)
        skills = skills_of[a]
        short = p.required[skills] - cover[skills] > 0
        value = np.where(short, w.under * prio[skills], -w.over)
        value = np.where(p.open[skills], value, -np.inf).max(axis=0)
        value = np.where(horizon & np.isfinite(value), value, 0.0)
        gain = incidence @ value - paid
        if noise:
            gain = gain + rng.normal(0.0, noise, len(gain))
        current = chosen.get(a, [])
        best = _solve_agent(models[a], gain, current)
        better = best is not None and gain[best].sum() > gain[current].sum() + 1e-9
        if better:
            chosen[a] = best  # type: ignore[assignment]
        place(a, chosen.get(a, []))
        return better

    def replace_all(patterns: dict[int, list[int]]) -> None:
        for a in list(placed):
            remove(a)
        chosen.clear()
        chosen.update({a: list(ks) for a, ks in patterns.items()})
        for a, ks in chosen.items():
            place(a, ks)

    replace_all(chosen)
    models = {a: _agent_model(p, a) for a in range(len(p.agents))}
    rng = np.random.default_rng(seed)
    best_value, best_chosen = objective(), dict(chosen)
    # Iterated local search: best-response passes to a local optimum, keep the best, then
    # shake a few agents (noisy best responses) and descend again; stop after SHAKES shakes
    # in a row bring nothing, so small problems end (deterministically) before the deadline.
    stale = 0
    while time.perf_counter() < deadline and stale < SHAKES:
        changed = True
        while changed and time.perf_counter() < deadline:
            changed = False
            for a in rng.permutation(len(p.agents)).tolist():
                if time.perf_counter() >= deadline:
                    break
                changed |= respond(a)
        value = objective()
        if value < best_value - 1e-9:
            best_value, best_chosen, stale = value, dict(chosen), 0
        else:
            replace_all(best_chosen)
            stale += 1
        if time.perf_counter() >= deadline:
            break
        size = min(len(p.agents), max(2, len(p.agents) // 8))
        shaken = rng.choice(len(p.agents), size=size, replace=False)
        for a in shaken.tolist():
            respond(a, noise=float(w.under))
    return _order_twins(p, best_chosen)


def _agent_model(p: SchedulingProblem, a: int) -> ModelVars:
    """A CP-SAT model of one agent's own rules over its allowed shifts (objective set later)."""
    one = dataclasses.replace(p, agents=(p.agents[a],), allowed=(p.allowed[a],))
    m = ModelVars(model=cp_model.CpModel())
    for k in p.allowed[a]:
        m.shift[0, k] = m.model.new_bool_var(f"shift[{k}]")
    for rule in AGENT_RULES:
        rule(m, one)
    return m


def _solve_agent(m: ModelVars, gain: np.ndarray, current: list[int]) -> list[int] | None:
    """The agent's best week of shifts for ``gain`` per option; None if the solver found none."""
    m.model.clear_hints()
    for (_, k), var in m.shift.items():
        m.model.add_hint(var, k in current)
    m.model.maximize(sum(round(gain[k]) * var for (_, k), var in m.shift.items()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 2.0
    status = solver.solve(m.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [k for (_, k), var in m.shift.items() if solver.boolean_value(var)]
