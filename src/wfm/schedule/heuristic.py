"""A good first schedule that keeps every hard rule, used as CP-SAT's starting point.

CP-SAT proves bounds well but, with two workers and a short time limit, improves a week-long
schedule of dozens of agents slowly. :func:`local_search` hands it a good start: agent by agent,
the week of shifts that is best against everybody else's coverage, solved exactly under all the
agent's own rules (:data:`~wfm.schedule.rules.AGENT_RULES`) with a one-agent CP-SAT model. The
first pass starts from nobody working (agents with fewer skills first: they have fewer places to
go), later passes repeat over all agents until nothing improves, with random shakes to leave
local optima, until time runs out. Breaks are spread over their windows here; CP-SAT places
them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse

from wfm.schedule.bound import Relaxation
from wfm.schedule.problem import SchedulingProblem
from wfm.schedule.rules import AGENT_RULES, ModelVars, Rule, preference_costs

_LP_SCALE = 1000.0
"""Fractional LP shifts are scaled to the integer objective of the one-agent model."""
SHAKES = 20
"""Shakes in a row without improvement after which the local search stops."""


def _incidence(p: SchedulingProblem) -> sparse.csr_matrix:
    """Sparse (option x interval) matrix: the share of an agent the option works there.

    Each break is spread evenly over the starts its window allows (an interval it may cover
    loses ``starts covering it / starts`` of an agent), as the LP bound spreads it: the search
    then values a shift by the coverage it gives once breaks are placed, not by breaks at one
    fixed start that CP-SAT moves afterwards.
    """
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for k, o in enumerate(p.options):
        share = dict.fromkeys(o.slots, 1.0)
        for b in o.breaks:
            for s in b.starts:
                for i in range(s, s + b.length):
                    if i in share:
                        share[i] -= 1.0 / len(b.starts)
        for i, v in share.items():
            if v > 1e-9:
                rows.append(k)
                cols.append(i)
                vals.append(v)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(p.options), len(p.index)))


def round_relaxation(problem: SchedulingProblem,
                     relaxation: Relaxation) -> dict[int, list[int]]:
    """A rule-abiding week per agent that follows the LP relaxation's shifts.

    Class by class of interchangeable agents, each member takes the week (under all its own
    rules, with a one-agent CP-SAT model) that holds the most of the class's fractional shifts
    still unclaimed; the shifts it takes are claimed once each.
    """
    p = problem
    out: dict[int, list[int]] = {}
    for t, members in enumerate(p.twins):
        left = np.zeros(len(p.options))
        for (cls, k), value in relaxation.shifts.items():
            if cls == t:
                left[k] = value
        model = agent_model(p, members[0])
        for a in members:
            if left.sum() < 0.5:
                break
            # a shift the LP barely uses is worth little; a small cost per shift keeps out
            # shifts no fraction asks for
            week = _solve_agent(model, _LP_SCALE * (np.minimum(left, 1.0) - 0.05), [])
            if not week:
                continue
            out[a] = week
            left[week] = np.maximum(left[week] - 1.0, 0.0)
    return out


def local_search(problem: SchedulingProblem, *, seconds: float, seed: int = 0,
                 report: Callable[[float], None] | None = None,
                 restart: Callable[[], dict[int, list[int]] | None] | None = None
                 ) -> dict[int, list[int]]:
    """Agent position -> option ids of a rule-abiding week, improved until ``seconds`` pass.

    Each agent's value of working interval *i* is what its share of an agent there (breaks
    spread) is worth against the others' coverage (:func:`marginal_value`) on the channel where
    it is worth most, minus paid time and unmet wishes: exactly what the objective gains, so a
    best response never makes the schedule worse and passes cannot cycle. Agents whose own
    rules admit no week are left out (the diagnosis names them); agents the first pass has not
    reached when ``seconds`` pass are left out too, for CP-SAT to place.
    ``restart`` is asked after each agent's move for a week per agent to descend from instead
    (e.g. :func:`round_relaxation` of an LP that finished meanwhile); None means no new start.
    ``report`` is called with each better objective found (breaks spread over their windows).
    """
    p = problem
    w = p.weights
    deadline = time.perf_counter() + seconds
    incidence = _incidence(p)
    # the incidence's cells: option, interval and share of an agent
    cell_option = np.repeat(np.arange(len(p.options)), np.diff(incidence.indptr))
    cell_at = incidence.indices.astype(np.int64)
    cell_share = incidence.data
    cell_inside = cell_at < p.horizon
    paid = np.array([w.paid * o.paid_minutes // p.interval_minutes for o in p.options], float)
    wishes = [preference_costs(p, a) for a in range(len(p.agents))]
    prio = np.asarray(p.priority, dtype=float)[:, None]
    skills_of = [[p.channels.index(c) for c in a.skills] for a in p.agents]
    chosen: dict[int, list[int]] = {}
    cover = np.zeros((len(p.channels), len(p.index)))
    placed: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    """Per agent: the (channel, interval, share of an agent) it covers."""
    models = {a: agent_model(p, a) for a in range(len(p.agents))}
    rng = np.random.default_rng(seed)

    def values(skills: list[int], at: np.ndarray, share: np.ndarray) -> np.ndarray:
        """(skill x cell) worth of working ``share`` of an agent at interval ``at`` on each
        of ``skills`` against the coverage so far; -inf where the channel is closed."""
        short = p.required[skills][:, at] - cover[skills][:, at]
        worth = marginal_value(short, w.under * prio[skills], w.over, share)
        return np.where(p.open[skills][:, at], worth, -np.inf)

    def place(a: int, ks: list[int]) -> None:
        """Put agent ``a`` where it is worth most in each interval it works."""
        skills = skills_of[a]
        rows = incidence[ks] if ks else sparse.csr_matrix((0, len(p.index)))
        inside = rows.indices < p.horizon
        at, share = rows.indices[inside].astype(np.int64), rows.data[inside]
        chosen_channel = np.asarray(skills)[np.argmax(values(skills, at, share), axis=0)]
        np.add.at(cover, (chosen_channel, at), share)
        placed[a] = (chosen_channel, at, share)

    def remove(a: int) -> None:
        if a in placed:
            channel, at, share = placed.pop(a)
            np.subtract.at(cover, (channel, at), share)

    def objective() -> float:
        gap = (p.required - cover)[:, :p.horizon]
        opened = p.open[:, :p.horizon]
        under = (np.maximum(gap, 0) * opened * prio * w.under).sum()
        over = (np.maximum(-gap, 0) * opened * w.over).sum()
        costs = sum(paid[ks].sum() + sum(wishes[a].get(k, 0) for k in ks)
                    for a, ks in chosen.items())
        return float(under + over + costs)

    def respond(a: int, noise: float = 0.0) -> bool:
        """Give agent ``a`` its best week against the others; True if it changed."""
        remove(a)
        worth = values(skills_of[a], cell_at, cell_share).max(axis=0)
        worth = np.where(cell_inside & np.isfinite(worth), worth, 0.0)
        gain = np.bincount(cell_option, weights=worth, minlength=len(p.options)) - paid
        for k, cost in wishes[a].items():
            gain[k] -= cost
        if noise:
            gain = gain + rng.normal(0.0, noise, len(gain))
        current = chosen.get(a)
        best = _solve_agent(models[a], gain, current or [])
        better = best is not None and (
            current is None or gain[best].sum() > gain[current].sum() + 1e-9)
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

    def restarted() -> bool:
        """Take up a new start if ``restart`` has one."""
        fresh = restart() if restart is not None else None
        if fresh is not None:
            replace_all(fresh)
        return fresh is not None

    for a in sorted(range(len(p.agents)), key=lambda a: (len(p.agents[a].skills), a)):
        if time.perf_counter() >= deadline:  # the rest are left to CP-SAT
            break
        respond(a)
        if restarted():
            break
    best_value, best_chosen = objective(), dict(chosen)
    report = report or (lambda _value: None)
    report(best_value)
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
                if restarted():
                    changed = True
                    break
        value = objective()
        if value < best_value - 1e-9:
            best_value, best_chosen, stale = value, dict(chosen), 0
            report(best_value)
        else:
            replace_all(best_chosen)
            stale += 1
        if time.perf_counter() >= deadline:
            break
        if restarted():  # descend from it next, instead of a shake
            stale = 0
            continue
        size = min(len(p.agents), max(2, len(p.agents) // 8))
        shaken = rng.choice(len(p.agents), size=size, replace=False)
        for a in shaken.tolist():
            respond(a, noise=float(w.under))
    return _order_twins(p, best_chosen)


def marginal_value(short: np.ndarray, under: np.ndarray | float, over: float,
                   share: np.ndarray | float = 1.0) -> np.ndarray:
    """What ``share`` of one more agent is worth where ``short`` agents are missing (negative:
    over).

    It fills what is short up to ``share``, at the under-coverage weight, and the rest of it is
    over-coverage. Breaks spread over their windows leave fractions of an agent short, and give
    fractions of one: valuing any shortfall as a whole agent sent agents where half of one was
    missing, and valuing a fraction as a share of a whole agent's worth predicted gains the
    objective did not make, so best responses could cycle.
    """
    filled = np.clip(short, 0.0, share)
    return np.asarray(filled * under - (share - filled) * over)


def _order_twins(p: SchedulingProblem, chosen: dict[int, list[int]]) -> dict[int, list[int]]:
    """Interchangeable agents get their weeks in order of paid time, as the model demands."""
    out: dict[int, list[int]] = {}
    for members in p.twins:
        weeks = sorted((chosen.get(a) for a in members),
                       key=lambda ks: -1 if ks is None else -sum(
                           p.options[k].paid_minutes for k in ks))
        for a, ks in zip(members, weeks, strict=True):
            if ks is not None:
                out[a] = ks
    return out


def agent_model(p: SchedulingProblem, a: int,
                rules: tuple[Rule, ...] = AGENT_RULES) -> ModelVars:
    """A CP-SAT model of agent ``a``'s own ``rules`` over its allowed shifts (no objective)."""
    one = dataclasses.replace(p, agents=(p.agents[a],), allowed=(p.allowed[a],))
    m = ModelVars(model=cp_model.CpModel())
    for k in p.allowed[a]:
        m.shift[0, k] = m.model.new_bool_var(f"shift[{k}]")
    for rule in rules:
        rule(m, one)
    return m



def _solve_agent(m: ModelVars, gain: np.ndarray, current: list[int]) -> list[int] | None:
    """The agent's best week of shifts for ``gain`` per option; None if the solver found none.

    The objective and hint are written into the model's proto directly: rebuilding them as
    Python expressions took a third of the local search's time.
    """
    options = np.fromiter((k for _, k in m.shift), dtype=np.int64, count=len(m.shift))
    index = [var.index for var in m.shift.values()]
    proto = m.model.proto
    proto.clear_objective()
    proto.objective.vars.extend(index)
    proto.objective.coeffs.extend((-np.round(gain[options])).astype(np.int64).tolist())
    proto.clear_solution_hint()
    proto.solution_hint.vars.extend(index)
    proto.solution_hint.values.extend(np.isin(options, current).astype(np.int64).tolist())
    # One agent's week is small: presolve usually costs more than it saves (2.5x slower with
    # it); when the quick attempt finds nothing in its second, presolve gets its turn.
    for presolve, seconds in ((False, 1.0), (True, 5.0)):
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.cp_model_presolve = presolve
        status = solver.solve(m.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
            break
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    solution = solver.response_proto.solution
    return [int(k) for k, i in zip(options, index, strict=True) if solution[i]]
