"""Day windows: CP-SAT re-solves one day of the week for some agents at a time, with the rest
of the schedule fixed, two windows side by side when there are two workers.

The local search (:mod:`wfm.schedule.heuristic`) moves one agent's week at a time; packing a
day's shifts exactly against its requirements takes many agents moving together. On a week
whose requirements are a known schedule's coverage, 30 agents' search ended 43 % above that
schedule's cost, and fourteen one-day windows brought it to 4 % (benchmarks/README.md). Fixing
the rest of the week (shift, break and channel variables alike) leaves CP-SAT a small model
that it mostly solves to optimality in about a second.

Here too are the pieces :mod:`wfm.schedule.solve` shares with the windows: a solution of the
whole model as an array of values by proto index (:class:`Solution`), hints, and variables fixed
by narrowing their domains (:func:`pinned`).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh
from scipy import sparse

from wfm.schedule.problem import SchedulingProblem
from wfm.schedule.rules import ModelVars

WINDOW_AGENTS = 20
"""Most agents whose shifts one window frees."""
WINDOW_SECONDS = 5.0
"""Longest CP-SAT may take over one window, in its deterministic time (about seconds)."""


@dataclass(frozen=True)
class Solution:
    """Values of every model variable (by proto index), the objective and the status."""

    values: np.ndarray
    objective: float
    status: str

    def value(self, var: cp_model.IntVar) -> int:
        """The value of ``var`` in this solution."""
        return int(self.values[var.index])


def solution_values(solver: cp_model.CpSolver) -> np.ndarray:
    """Every variable's value in the solver's last solution, by proto index."""
    return np.array(solver.response_proto.solution, dtype=np.int64)


def hint(model: cp_model.CpModel, values: np.ndarray) -> None:
    """Hint every variable of ``model`` with ``values`` (by proto index)."""
    model.clear_hints()
    proto_hint = model.proto.solution_hint
    proto_hint.vars.extend(range(len(values)))
    proto_hint.values.extend(values.tolist())


class Pins:
    """Variables of a model fixed at values, each of which can be freed and fixed again; see
    :func:`pinned`."""

    def __init__(self, model: cp_model.CpModel, indices: np.ndarray,
                 domains: dict[int, list[int]] | None = None) -> None:
        self.variables = model.proto.variables
        self.domains = domains if domains is not None else {
            i: list(self.variables[i].domain) for i in indices.tolist()}
        """The model's own domain of each variable that may be pinned, by proto index (a
        clone's are its original's)."""

    def fix(self, indices: np.ndarray, values: np.ndarray) -> None:
        """Fix each variable of ``indices`` (proto indices) at its value in ``values``."""
        for i, value in zip(indices.tolist(), values.tolist(), strict=True):
            domain = self.variables[i].domain
            domain.clear()
            domain.extend((value, value))

    def free(self, indices: np.ndarray) -> None:
        """Give each variable of ``indices`` its own domain back."""
        for i in indices.tolist():
            domain = self.variables[i].domain
            domain.clear()
            domain.extend(self.domains[i])


@contextlib.contextmanager
def pinned(model: cp_model.CpModel, indices: np.ndarray, values: np.ndarray,
           domains: dict[int, list[int]] | None = None) -> Iterator[Pins]:
    """``model`` with each variable of ``indices`` (proto indices) fixed at its value in
    ``values``, restored afterwards (to ``domains`` if given); the :class:`Pins` yielded free
    and fix them again.

    Narrowing the domains in the model's proto costs nothing next to cloning it (hundreds of
    thousands of variables at 300 agents), and CP-SAT's presolve drops what is fixed.
    """
    pins = Pins(model, indices, domains)
    try:
        pins.fix(indices, values)
        yield pins
    finally:
        pins.free(indices)


class LinearModel:
    """A CP-SAT model's constraints as linear rows of a sparse matrix, with their enforcement
    literals, and its objective: the objective and the feasibility of a whole solution in a
    few milliseconds, without CP-SAT. A window's changes carried over to a schedule that
    another window has changed meanwhile are checked with it. Made by :meth:`of`."""

    def __init__(self, matrix: sparse.csr_matrix, low: np.ndarray, high: np.ndarray,
                 enforced_by: list[tuple[int, int]], model: cp_model.CpModel) -> None:
        self.matrix = matrix
        self.low = low
        self.high = high
        self.enforced_by = enforced_by
        """(row, literal) for each enforcement literal of a row."""
        objective = model.proto.objective
        self.objective_vars = np.array(list(objective.vars), dtype=np.int64)
        self.objective_coeffs = np.array(list(objective.coeffs), dtype=np.int64)
        self.objective_offset = objective.offset
        self.objective_scale = objective.scaling_factor or 1.0

    @classmethod
    def of(cls, model: cp_model.CpModel) -> LinearModel | None:
        """``model`` as linear rows, or None if it has a constraint that is not linear (with a
        single interval as domain) or a clause (``bool_or``, ``bool_and``, ``at_most_one``,
        ``exactly_one``: a sum of literals, each ``x`` or ``1 - x``, in bounds)."""
        proto = model.proto
        rows: list[int] = []
        cols: list[int] = []
        coeffs: list[int] = []
        lows: list[int] = []
        highs: list[int] = []
        literals: list[tuple[int, int]] = []
        for r, ct in enumerate(proto.constraints):
            if ct.has_linear() and len(ct.linear.domain) == 2:
                terms = list(zip(ct.linear.vars, ct.linear.coeffs, strict=True))
                low, high = ct.linear.domain
            else:
                clause = _clause(ct)
                if clause is None:
                    return None
                lits, low, high = clause
                # a negated literal -x-1 counts as 1 - x: its 1 moves into the bounds
                terms = [(lit, 1) if lit >= 0 else (-lit - 1, -1) for lit in lits]
                negated = sum(lit < 0 for lit in lits)
                low, high = low - negated, high - negated
            rows.extend([r] * len(terms))
            cols.extend(var for var, _ in terms)
            coeffs.extend(coeff for _, coeff in terms)
            lows.append(low)
            highs.append(high)
            literals.extend((r, lit) for lit in ct.enforcement_literal)
        shape = (len(proto.constraints), len(proto.variables))
        matrix = sparse.csr_matrix((coeffs, (rows, cols)), shape=shape, dtype=np.int64)
        return cls(matrix, np.array(lows, dtype=np.int64), np.array(highs, dtype=np.int64),
                   literals, model)

    def objective(self, values: np.ndarray) -> float:
        """The objective of ``values``, as CP-SAT reports it."""
        raw = int(self.objective_coeffs @ values[self.objective_vars])
        return self.objective_scale * (raw + self.objective_offset)

    def feasible(self, values: np.ndarray) -> bool:
        """Whether ``values`` keep every constraint (the variables' own domains are not
        checked: the values come from CP-SAT's solutions of the model)."""
        activity = self.matrix @ values
        ok = (activity >= self.low) & (activity <= self.high)
        for r, lit in self.enforced_by:  # a row holds only while its literals are true
            if (values[lit] == 0) if lit >= 0 else (values[-lit - 1] == 1):
                ok[r] = True
        return bool(ok.all())


def _clause(ct: cmh.ConstraintProto) -> tuple[list[int], int, int] | None:
    """A clause constraint's literals and the bounds on how many of them are true, else
    None."""
    if ct.has_bool_or():
        lits = list(ct.bool_or.literals)
        return lits, 1, len(lits)
    if ct.has_bool_and():
        lits = list(ct.bool_and.literals)
        return lits, len(lits), len(lits)
    if ct.has_at_most_one():
        return list(ct.at_most_one.literals), 0, 1
    if ct.has_exactly_one():
        return list(ct.exactly_one.literals), 1, 1
    return None


@dataclass(frozen=True)
class _Layout:
    """Where each variable a window may free sits: by proto index, its agent and day (shift
    variables), its day (group counts and breaks) or its interval (channel splits)."""

    shifts: np.ndarray
    """(proto index, agent, day) per shift variable."""
    daily: np.ndarray
    """(proto index, day) per count and break variable."""
    splits: np.ndarray
    """(proto index, interval) per channel split variable."""
    touched: np.ndarray
    """touched[day, interval]: whether a shift of that day may cover the interval."""
    twins: tuple[tuple[int, ...], ...]
    """The classes of interchangeable agents (:attr:`SchedulingProblem.twins`, worked out
    anew at each call there)."""
    class_of: np.ndarray
    """Per agent: its class in ``twins``."""

    @classmethod
    def of(cls, p: SchedulingProblem, m: ModelVars) -> _Layout:
        days_of = np.array([o.day for o in p.options], dtype=np.int64)
        shifts = np.array([(v.index, a, days_of[k]) for (a, k), v in m.shift.items()],
                          dtype=np.int64).reshape(-1, 3)
        daily = np.array([(v.index, days_of[k]) for (_g, k), v in m.count.items()]
                         + [(v.index, days_of[k]) for (_g, k, _j, _s), v in m.breaks.items()],
                         dtype=np.int64).reshape(-1, 2)
        splits = np.array([(v.index, i) for (_g, i, _c), v in m.assigned.items()],
                          dtype=np.int64).reshape(-1, 2)
        touched = np.zeros((len(p.days), int(splits[:, 1].max(initial=0)) + 1), dtype=bool)
        for o in p.options:
            touched[o.day, [i for i in o.slots if i < touched.shape[1]]] = True
        twins = p.twins
        class_of = np.zeros(len(p.agents), dtype=np.int64)
        for t, members in enumerate(twins):
            class_of[list(members)] = t
        return cls(shifts, daily, splits, touched, twins, class_of)

    @property
    def pinnable(self) -> np.ndarray:
        """Every variable a window may free."""
        return np.concatenate([self.shifts[:, 0], self.daily[:, 0], self.splits[:, 0]])

    def window(self, day: int, free: np.ndarray) -> np.ndarray:
        """The variables of a window over ``day`` whose agents ``free`` (a mask) move: their
        shifts on that day, the day's counts and breaks, and the splits of the intervals the
        day's shifts may cover."""
        s, d, c = self.shifts, self.daily, self.splits
        return np.concatenate([s[(s[:, 2] == day) & free[s[:, 1]], 0], d[d[:, 1] == day, 0],
                               c[self.touched[day, c[:, 1]], 0]])


@dataclass(frozen=True)
class _Window:
    """A window: its day, the classes of interchangeable agents whose members it frees, its
    variables (proto indices) and the solution it starts from."""

    day: int
    classes: frozenset[int]
    variables: np.ndarray
    base: Solution


def _draw(p: SchedulingProblem, layout: _Layout, rng: np.random.Generator, base: Solution,
          busy: list[_Window], share: float) -> _Window | None:
    """A window that can be merged with each of the ``busy`` ones, or None if there is none:
    a day two or more days away from theirs (a shift may run past midnight into the next day)
    and agents of other classes of interchangeable agents (symmetry breaking orders twins by
    paid time, linking their shifts), drawn among about ``share`` of the roster so that
    another window finds agents too."""
    days = [d for d in range(len(p.days)) if all(abs(d - w.day) >= 2 for w in busy)]
    if not days:
        return None
    taken = frozenset().union(*(w.classes for w in busy))
    pool: list[int] = []
    for t in rng.permutation(len(layout.twins)).tolist():
        if t not in taken and len(pool) < share * len(p.agents):
            pool.extend(layout.twins[t])
    agents = np.zeros(len(p.agents), dtype=bool)
    agents[pool if len(pool) <= WINDOW_AGENTS
           else rng.choice(pool, WINDOW_AGENTS, replace=False)] = True
    day = int(rng.choice(days))
    classes = frozenset(layout.class_of[agents].tolist())
    return _Window(day, classes, layout.window(day, agents), base)


def improve_windows(problem: SchedulingProblem, m: ModelVars, start: Solution, *, seed: int,
                    lanes: int, until: float, report: Callable[[float], None]) -> Solution:
    """``start`` improved one window at a time until ``until`` (a ``time.perf_counter()``
    reading): CP-SAT re-solves one day's shifts of up to ``WINDOW_AGENTS`` agents, their
    breaks and every channel split they touch, with the rest of the week fixed.

    Days are visited in random order (seeded), agents drawn at random when there are more than
    ``WINDOW_AGENTS``. With ``lanes`` = 2 (and at least twice ``WINDOW_AGENTS`` agents), two
    windows that touch neither the same agents (nor their twins) nor the same intervals run
    side by side, each on its own copy of the model (CP-SAT frees the interpreter while it
    solves); as each ends, its changes are carried over to the schedule, which the other
    window may have improved meanwhile: the objective is linear, so the gains add up, and the
    result is checked against every constraint before it is kept (:class:`LinearModel`).

    The windows stop early once twice as many in a row as it takes to free every agent on
    every day bring nothing: on a small roster every day has then been solved, and the whole
    model's proof gets the time.

    Every shift, count, break and channel variable stays fixed at the incumbent while the
    windows run, and a window frees only its own (and fixes them again before the next): at
    100 agents that is a tenth of the model's, and fixing the whole model anew each time took
    as long as CP-SAT's solve of the window.
    """
    p = problem
    # two lanes only when the roster fills two windows: at 30 agents, windows of 15 agents
    # did worse than one window of 20 at a time (benchmarks/README.md)
    lanes = max(1, min(lanes, len(p.agents) // WINDOW_AGENTS))
    rng = np.random.default_rng(seed)
    layout = _Layout.of(p, m)
    pinnable = layout.pinnable
    check = LinearModel.of(m.model) if lanes > 1 else None
    if check is None:  # one lane, or a model whose carried-over changes cannot be checked
        lanes = 1
    models = [m.model] + [m.model.clone() for _ in range(lanes - 1)]
    # windows in a row that bring nothing before the windows stop: twice as many as it takes
    # to free every agent on every day
    size = min(WINDOW_AGENTS, math.ceil(len(p.agents) / lanes))
    patience = 2 * len(p.days) * math.ceil(len(p.agents) / max(1, size))
    best = start
    fails = 0
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(lanes) as pool:
        pins = [stack.enter_context(pinned(m.model, pinnable, start.values[pinnable]))]
        pins += [stack.enter_context(pinned(clone, pinnable, start.values[pinnable],
                                            pins[0].domains)) for clone in models[1:]]
        stale: list[list[np.ndarray]] = [[] for _ in models]
        """Per lane: variables fixed in its model at values the schedule no longer has."""
        running: dict[Future[Solution | None], tuple[int, _Window]] = {}

        def submit(lane: int) -> None:
            """The next window on ``lane``'s model (its last one is over), if any fits."""
            window = _draw(p, layout, rng, best, [w for _, w in running.values()], 1 / lanes)
            if window is None:
                return
            model = models[lane]
            if stale[lane]:
                changed = np.concatenate(stale[lane])
                pins[lane].fix(changed, best.values[changed])
                stale[lane].clear()
            hint(model, best.values)
            pins[lane].free(window.variables)
            stale[lane].append(window.variables)
            running[pool.submit(_solve_window, model, seed, until)] = lane, window

        for lane in range(lanes):
            submit(lane)
        while running:  # a lane that finds no window waits for the next round
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                lane, window = running.pop(future)
                found = future.result()
                merged = None if found is None else _carry(window.base, found, best, check)
                if merged is not None and merged.objective < best.objective:
                    for other in range(lanes):
                        if other != lane:
                            stale[other].append(window.variables)
                    best = merged
                    report(best.objective)
                    fails = 0
                else:
                    fails += 1
            if time.perf_counter() < until - 0.5 and fails < patience:
                # every idle lane: one whose window found no day apart from the other's too
                for lane in range(lanes):
                    if all(busy != lane for busy, _ in running.values()):
                        submit(lane)
    return best


def _solve_window(model: cp_model.CpModel, seed: int, until: float) -> Solution | None:
    """The window set up in ``model`` solved, or None if CP-SAT found no solution."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    # deterministic time, so the windows are the same on a busy machine too
    solver.parameters.max_deterministic_time = WINDOW_SECONDS
    solver.parameters.max_time_in_seconds = max(0.1, until - time.perf_counter())
    # CP-SAT's search with its strongest LP (linearization level 2), alone: on windows of the
    # 30- and 100-agent benchmark weeks it proves more of them optimal in the time and gains
    # 2-3 % more in 30 s than the default portfolio of two workers
    solver.parameters.linearization_level = 2
    solver.parameters.subsolvers.append("max_lp")
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return Solution(solution_values(solver), round(solver.objective_value), "FEASIBLE")


def _carry(base: Solution, found: Solution, best: Solution,
           check: LinearModel | None) -> Solution | None:
    """``found``, a window's solution from ``base``, carried over to ``best`` (``base``
    improved meanwhile by other windows): every variable the window changed takes its new
    value, when no other window changed it too and together they keep every constraint; else
    None."""
    if best is base:
        return found
    if check is None:  # pragma: no cover — one lane never leaves its base behind
        raise ValueError("windows run side by side need the model's constraints to merge")
    changed = found.values != base.values
    if (changed & (best.values != base.values)).any():
        return None
    values = best.values.copy()
    values[changed] = found.values[changed]
    if not check.feasible(values):
        return None
    return Solution(values, round(check.objective(values)), "FEASIBLE")
