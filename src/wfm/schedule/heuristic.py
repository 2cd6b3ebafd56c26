"""A good first schedule that keeps every hard rule, used as CP-SAT's starting point.

CP-SAT proves bounds well but, with two workers and a short time limit, improves a week-long
schedule of dozens of agents slowly. :func:`local_search` hands it a good start: agent by agent,
the week of shifts that is best against everybody else's coverage, solved exactly under all the
agent's own rules (:data:`~wfm.schedule.rules.AGENT_RULES`) with a one-agent CP-SAT model. The
first pass starts from nobody working (agents with fewer skills first: they have fewer places to
go), later passes repeat over all agents until nothing improves, with shakes to leave local
optima (fill shakes, then ruin and recreate), until time runs out. Each break goes where the
agent is missed least and the working agents are split over the channels at least cost
(:class:`Coverage`), so the search scores whole agents on exactly the objective CP-SAT
minimises (less fairness and proficiency).
After each descent every break is placed again, all together (:func:`place_breaks`): one at a
time they stop in each other's way. CP-SAT then re-places breaks and channels once more, and
re-solves the week one day window at a time (:func:`wfm.schedule.windows.improve_windows`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from wfm.schedule.bound import Relaxation
from wfm.schedule.problem import SchedulingProblem, ShiftOption
from wfm.schedule.rules import AGENT_RULES, ModelVars, Rule, preference_costs

_LP_SCALE = 1000.0
"""Fractional LP shifts are scaled to the integer objective of the one-agent model."""
SHAKES = 20
"""Shakes in a row without improvement after which the local search stops."""
BREAK_SECONDS = 5.0
"""Longest the local search gives CP-SAT to place every break together (:func:`place_breaks`)."""


@dataclass(frozen=True)
class Shapes:
    """Every option's span and break windows as flat arrays, to value all options at once.

    An option worked by one agent is worth, against a per-interval value ``v`` of that agent's
    work, ``v`` summed over its slots less, per break, the cheapest run of ``v`` the break may
    cover: the break goes where the agent is missed least. The template's windows never
    overlap (:mod:`wfm.schedule.templates`), so each break is placed on its own.
    """

    first: np.ndarray
    """Per option: its first interval."""
    end: np.ndarray
    """Per option: one past its last interval (an option's slots are consecutive)."""
    break_option: np.ndarray
    """Per break of any option: the option it belongs to."""
    break_first: np.ndarray
    """Per break: its first entry in ``starts``."""
    starts: np.ndarray
    """Per (break, start) entry: the start."""
    lengths: np.ndarray
    """Per entry: the break's length in intervals."""

    @classmethod
    def of(cls, p: SchedulingProblem) -> Shapes:
        """The shapes of ``p``'s options."""
        break_option: list[int] = []
        break_first: list[int] = []
        starts: list[int] = []
        lengths: list[int] = []
        for k, o in enumerate(p.options):
            for b in o.breaks:
                break_option.append(k)
                break_first.append(len(starts))
                starts.extend(b.starts)
                lengths.extend([b.length] * len(b.starts))
        return cls(np.array([o.slots[0] for o in p.options], dtype=np.int64),
                   np.array([o.slots[-1] + 1 for o in p.options], dtype=np.int64),
                   np.array(break_option, dtype=np.int64),
                   np.array(break_first, dtype=np.int64),
                   np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64))

    def worth(self, v: np.ndarray) -> np.ndarray:
        """Per option: what one agent working it gives, each break where it costs least."""
        total = np.concatenate(([0.0], np.cumsum(v)))
        value = total[self.end] - total[self.first]
        if len(self.break_first):
            window = total[self.starts + self.lengths] - total[self.starts]
            cheapest = np.minimum.reduceat(window, self.break_first)
            value -= np.bincount(self.break_option, weights=cheapest, minlength=len(value))
        return value


class Coverage:
    """Working agents per skill group, channel and interval, split over the channels at least
    cost.

    Agents with the same skills are interchangeable for coverage, so only counts are kept:
    ``x[g, c, i]`` agents of group ``g`` work channel ``c`` in interval ``i``. After every
    change the split of the changed intervals is made optimal again: while some chain of moves
    (an agent on channel ``d`` who has skill ``e`` moves there, and so on) carries a unit of
    coverage from where it is worth less to where it is worth more, it is made. With a
    per-channel worth that only falls as coverage rises (:func:`marginal_value`), a split with
    no such chain is a least-cost one (convex-cost flow), and then one more agent of group
    ``g`` is worth what the best chain from its skills reaches (:meth:`worth`): exactly what
    the objective gains, whoever ends up moving.
    """

    def __init__(self, required: np.ndarray, is_open: np.ndarray, skill: np.ndarray,
                 under: np.ndarray, over: float) -> None:
        """``required`` and ``is_open`` per channel and interval, ``skill[g, c]`` whether group
        ``g`` works channel ``c``, ``under`` the weight of a missing agent per channel and
        ``over`` that of one too many."""
        self.required = required
        self.open = is_open
        self.skill = skill
        self.under = np.asarray(under, dtype=float)[:, None]
        self.over = float(over)
        self.x = np.zeros((len(skill), *required.shape), dtype=np.int64)
        self.skills = [np.flatnonzero(row).tolist() for row in skill]
        """Per group: its channels."""

    @classmethod
    def of(cls, p: SchedulingProblem, groups: list[tuple[int, ...]]) -> Coverage:
        """Nobody working yet on ``p``'s horizon, for ``groups`` of channel positions."""
        skill = np.zeros((len(groups), len(p.channels)), dtype=bool)
        for g, channels in enumerate(groups):
            skill[g, list(channels)] = True
        return cls(p.required[:, :p.horizon], p.open[:, :p.horizon], skill,
                   p.weights.under * np.asarray(p.priority, dtype=float), p.weights.over)

    def short(self, at: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(channel x interval) agents missing (negative: over) at intervals ``at``."""
        return np.asarray(self.required[:, at] - self.x[:, :, at].sum(axis=0))

    def cost(self) -> float:
        """Weighted under- and over-coverage over the horizon."""
        short = self.short()
        return float((np.maximum(short, 0) * self.open * self.under).sum()
                     + (np.maximum(-short, 0) * self.open * self.over).sum())

    def _unit(self, short: np.ndarray, at: np.ndarray | slice) -> np.ndarray:
        """(channel x interval) worth of one more agent on each channel at intervals ``at``
        where ``short`` are missing; -inf where the channel is closed."""
        return np.where(self.open[:, at], marginal_value(short, self.under, self.over), -np.inf)

    def _chains(self, at: np.ndarray | slice) -> np.ndarray:
        """(channel x channel x interval): whether a unit of coverage can be carried from the
        first channel to the second at intervals ``at`` by a chain of agents each moving to
        another open channel of their skills."""
        move = (np.einsum("gci,gd->cdi", self.x[:, :, at], self.skill.astype(np.int64)) > 0) \
            & self.open[None, :, at]
        chains = move
        for _ in range(self.x.shape[1] - 2):  # a chain visits each channel at most once
            chains = chains | (chains[:, :, None, :] & move[None, :, :, :]).any(axis=1)
        return chains

    def worth(self, g: int) -> np.ndarray:
        """Per interval of the horizon: what one more agent of group ``g`` is worth (0 where
        none of its channels is open)."""
        every = slice(None)
        start = self.skill[g][:, None] & self.open
        reach = start | (start[:, None, :] & self._chains(every)).any(axis=0)
        value = np.where(reach, self._unit(self.short(), every), -np.inf)
        best = value.max(axis=0)
        return np.where(np.isfinite(best), best, 0.0)

    def add(self, g: int, at: np.ndarray) -> None:
        """One agent of group ``g`` starts working at intervals ``at``."""
        value = np.where(self.skill[g][:, None], self._unit(self.short(at), at), -np.inf)
        self.x[g, np.argmax(value, axis=0), at] += 1  # ``at`` holds no interval twice
        self._rebalance(at)

    def remove(self, g: int, at: np.ndarray) -> None:
        """One agent of group ``g`` stops working at intervals ``at`` (it worked there)."""
        # the unit of least worth where the group has someone
        value = np.where(self.x[g][:, at] > 0, self._unit(self.short(at) + 1, at), np.inf)
        self.x[g, np.argmin(value, axis=0), at] -= 1
        self._rebalance(at)

    def _rebalance(self, at: np.ndarray) -> None:
        """Make every chain of moves at ``at`` that lowers the cost, best first."""
        at = np.unique(at)
        channels = range(self.x.shape[1])
        while len(at):
            short = self.short(at)
            unit = self._unit(short, at)
            keep = self._unit(short + 1, at)  # what the unit a move takes from d is worth there
            chains = self._chains(at)
            chains[np.arange(len(channels)), np.arange(len(channels))] = False
            value = np.where(chains, unit[None, :, :], -np.inf)  # (from, to, interval)
            target = np.argmax(value, axis=1)
            with np.errstate(invalid="ignore"):  # -inf - -inf where a channel is closed
                gain = np.where(np.isfinite(keep), value.max(axis=1) - keep, -np.inf)
            best = np.argmax(gain, axis=0)
            better = gain[best, np.arange(len(at))] > 1e-9
            for j in np.flatnonzero(better):
                self._move(int(at[j]), int(best[j]), int(target[best[j], j]))
            at = at[better]

    def _move(self, i: int, d: int, e: int) -> None:
        """Carry a unit of coverage from channel ``d`` to ``e`` at interval ``i`` along the
        shortest chain of agents who can move."""
        on = self.x[:, :, i].tolist()
        is_open = self.open[:, i].tolist()
        parent: dict[int, tuple[int, int]] = {d: (d, -1)}
        frontier = [d]
        while e not in parent:
            nxt: list[int] = []
            for c in frontier:
                for g, skills in enumerate(self.skills):
                    if on[g][c] > 0:
                        for f in skills:
                            if is_open[f] and f not in parent:
                                parent[f] = (c, g)
                                nxt.append(f)
            frontier = nxt
        to = e
        while to != d:
            c, g = parent[to]
            self.x[g, c, i] -= 1
            self.x[g, to, i] += 1
            to = c


def break_starts(option: ShiftOption, v: np.ndarray) -> list[int]:
    """Per break of ``option``, the start where the agent is missed least (``v`` summed over
    the break), the earliest of equals."""
    total = np.concatenate(([0.0], np.cumsum(v)))
    out = []
    for b in option.breaks:
        starts = np.asarray(b.starts)
        out.append(int(starts[np.argmin(total[starts + b.length] - total[starts])]))
    return out


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


def place_breaks(p: SchedulingProblem, weeks: dict[int, list[int]],
                 groups: list[tuple[int, ...]], group_of: list[int], seconds: float,
                 current: dict[int, np.ndarray] | None = None,
                 workers: int = 1) -> dict[int, np.ndarray] | None:
    """Per agent of ``weeks``: the intervals of the horizon it works, every break of every
    agent placed together at least coverage cost; None if CP-SAT finds nothing in ``seconds``.

    Placing breaks one agent at a time, each where it is missed least against the others,
    stops where no single break can move for the better, yet a chain of moves (a break into
    a gap another break leaves) often still could; on a week whose requirements are the
    coverage of a known schedule, that left its shifts 60 % dearer than they are. With the
    shifts fixed the rest is small: agents of one skill group (``groups``, ``group_of``) on one
    option are interchangeable, so the model counts how many of them start each break where,
    and splits each group's working agents over its open channels. ``current`` (per agent its
    working intervals now) is the hint; ``workers`` CP-SAT's.
    """
    horizon = p.horizon
    w = p.weights
    on: dict[tuple[int, int], list[int]] = {}
    for a, ks in sorted(weeks.items()):
        for k in ks:
            on.setdefault((group_of[a], k), []).append(a)
    m = cp_model.CpModel()
    fixed = np.zeros((len(groups), horizon), dtype=np.int64)
    off: dict[int, list[cp_model.IntVar]] = {}  # g * horizon + i -> counts on break there
    counts: dict[tuple[int, int, int], list[tuple[int, cp_model.IntVar]]] = {}
    for (g, k), agents in on.items():
        o = p.options[k]
        slots = [i for i in o.slots if i < horizon]
        fixed[g, slots] += len(agents)
        for j, b in enumerate(o.breaks):
            starts = []
            for s in b.starts:
                y = m.new_int_var(0, len(agents), "")
                starts.append((s, y))
                for i in range(s, min(s + b.length, horizon)):
                    off.setdefault(g * horizon + i, []).append(y)
            m.add(sum(y for _, y in starts) == len(agents))
            counts[g, k, j] = starts
    n = len(weeks)
    terms = []
    channel_terms: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    for g, channels in enumerate(groups):
        for i in np.flatnonzero(fixed[g]).tolist():
            open_ = [c for c in channels if p.open[c, i]]
            if not open_:
                continue
            split = [m.new_int_var(0, n, "") for _ in open_]
            m.add(sum(split) == int(fixed[g, i]) - sum(off.get(g * horizon + i, [])))
            for c, z in zip(open_, split, strict=True):
                channel_terms.setdefault((c, i), []).append(z)
    for (c, i), zs in channel_terms.items():
        req = int(p.required[c, i])
        u, v = m.new_int_var(0, req, ""), m.new_int_var(0, n, "")
        m.add(sum(zs) + u - v == req)
        terms.append(w.under * p.priority[c] * u + w.over * v)
    m.minimize(sum(terms))
    if current is not None:  # hint each break's count per start as the breaks are now
        working = {a: set(at.tolist()) for a, at in current.items()}
        for (g, k, _), starts in counts.items():
            at = [next((s for s, _ in starts if s not in working[a]), None)
                  for a in on[g, k] if a in working]
            for s, y in starts:
                m.add_hint(y, at.count(s))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = workers
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out: dict[int, set[int]] = {a: set() for a in weeks}
    for (g, k), agents in on.items():
        o = p.options[k]
        gone: dict[int, set[int]] = {a: set() for a in agents}
        for j, b in enumerate(o.breaks):
            given = [s for s, y in counts[g, k, j] for _ in range(solver.value(y))]
            for a, s in zip(agents, given, strict=True):
                gone[a].update(range(s, s + b.length))
        for a in agents:
            out[a].update(i for i in o.slots if i < horizon and i not in gone[a])
    return {a: np.array(sorted(at), dtype=np.int64) for a, at in out.items()}


def local_search(problem: SchedulingProblem, *, seconds: float, seed: int = 0,
                 workers: int = 1, report: Callable[[float], None] | None = None,
                 restart: Callable[[], dict[int, list[int]] | None] | None = None
                 ) -> dict[int, list[int]]:
    """Agent position -> option ids of a rule-abiding week, improved until ``seconds`` pass.

    Each agent's value of working interval *i* is what one more agent of its skills is worth
    there against the others, whose channels are split at least cost (:class:`Coverage`); a
    shift is worth that summed over its slots less its breaks where they cost least
    (:class:`Shapes`), minus paid time and unmet wishes. That is exactly what the objective
    gains, so a best response never makes the schedule worse and passes cannot cycle. Agents
    whose own rules admit no week are left out (the diagnosis names them); agents the first
    pass has not reached when ``seconds`` pass are left out too, for CP-SAT to place.
    Each descent ends with every break placed anew, all together (:func:`place_breaks`), and
    is judged by the objective after that. From each new best, the first shake holds every
    agent paid, or working, less than its rules allow to a week paid, and at that worked, all
    they allow (:func:`full_weeks`).
    ``restart`` is asked after each agent's move in the first pass, and after each descent,
    for a week per agent to descend from instead (e.g. :func:`round_relaxation` of an LP that
    finished meanwhile); None means no new start. A descent under way is not cut short for it:
    one that follows a fill shake is where the search gains most.
    ``report`` is called with each better objective found. The search itself is sequential;
    placing all breaks together uses ``workers`` CP-SAT workers.
    """
    p = problem
    w = p.weights
    deadline = time.perf_counter() + seconds
    shapes = Shapes.of(p)
    paid = np.array([w.paid * o.paid_minutes // p.interval_minutes for o in p.options], float)
    wishes = [preference_costs(p, a) for a in range(len(p.agents))]
    skills_of = [[p.channels.index(c) for c in a.skills] for a in p.agents]
    chosen: dict[int, list[int]] = {}
    groups = sorted({tuple(ch) for ch in skills_of})
    group_of = [groups.index(tuple(ch)) for ch in skills_of]
    cover = Coverage.of(p, groups)
    placed: dict[int, np.ndarray] = {}
    """Per agent: the intervals of the horizon it works."""
    models = {a: agent_model(p, a) for a in range(len(p.agents))}
    rng = np.random.default_rng(seed)
    horizon_worth = np.zeros(len(p.index))  # past the horizon coverage does not count

    def worth(a: int) -> np.ndarray:
        """Per interval: what agent ``a`` working there is worth against the others."""
        horizon_worth[:p.horizon] = cover.worth(group_of[a])
        return horizon_worth

    def place(a: int, ks: list[int], value: np.ndarray | None = None) -> None:
        """Put agent ``a`` on ``ks``, each break where it is missed least (``value``: its
        :func:`worth` against the coverage now, when the caller has it)."""
        value = worth(a) if value is None else value
        off = {s + j for k in ks
               for s, b in zip(break_starts(p.options[k], value), p.options[k].breaks,
                               strict=True)
               for j in range(b.length)}
        at = np.array([i for k in ks for i in p.options[k].slots
                       if i not in off and i < p.horizon], dtype=np.int64)
        cover.add(group_of[a], at)
        placed[a] = at

    def remove(a: int) -> None:
        if a in placed:
            cover.remove(group_of[a], placed.pop(a))

    def objective() -> float:
        costs = sum(paid[ks].sum() + sum(wishes[a].get(k, 0) for k in ks)
                    for a, ks in chosen.items())
        return cover.cost() + float(costs)

    def respond(a: int, held: ModelVars | None = None) -> bool:
        """Give agent ``a`` its best week against the others; True if it changed. With
        ``held`` (a :func:`full_weeks` model of the agent), its best week among those, taken
        even when worse than the agent's week now."""
        remove(a)
        value = worth(a)
        gain = shapes.worth(value) - paid
        for k, cost in wishes[a].items():
            gain[k] -= cost
        current = chosen.get(a)
        best = _solve_agent(models[a] if held is None else held, gain, current or [])
        better = best is not None and (
            current is None or held is not None
            or gain[best].sum() > gain[current].sum() + 1e-9)
        if better:
            chosen[a] = best  # type: ignore[assignment]
        place(a, chosen.get(a, []), value)  # the coverage has not changed since ``value``
        return better

    def replace_all(patterns: dict[int, list[int]],
                    working: dict[int, np.ndarray] | None = None) -> None:
        """Put every agent on ``patterns``, working ``working`` where given (else each break
        where it is missed least, agent by agent)."""
        for a in list(placed):
            remove(a)
        chosen.clear()
        chosen.update({a: list(ks) for a, ks in patterns.items()})
        for a, ks in chosen.items():
            if working is not None and a in working:
                cover.add(group_of[a], working[a])
                placed[a] = working[a]
            else:
                place(a, ks)

    def rebreak() -> None:
        """Place every break again, all together (:func:`place_breaks`), if that is better."""
        before = cover.cost()
        was = dict(placed)
        joint = place_breaks(p, chosen, groups, group_of,
                             min(BREAK_SECONDS, deadline - time.perf_counter()), placed, workers)
        if joint is None:
            return
        replace_all(dict(chosen), joint)
        if cover.cost() > before + 1e-9:  # the solver's time ran out before the hint's worth
            replace_all(dict(chosen), was)

    def restarted() -> bool:
        """Take up a new start if ``restart`` has one."""
        fresh = restart() if restart is not None else None
        if fresh is not None:
            replace_all(fresh)
        return fresh is not None

    class_of = {a: t for t, members in enumerate(p.twins) for a in members}
    measures = week_measures(p)
    held: dict[int, tuple[ModelVars, list[tuple[np.ndarray, np.ndarray]]] | None] = {}
    """Per class of interchangeable agents: :func:`full_weeks`, worked out when first asked."""

    def lacking() -> list[int]:
        """Agents paid, or working, less than their rules allow in some whole 7-day block."""
        out = []
        for a, ks in chosen.items():
            t = class_of[a]
            if t not in held:
                held[t] = full_weeks(p, a, measures)
            full = held[t]
            if full is not None and any(
                    (measures[:, [k for k in ks if in_block[k]]].sum(axis=1) < most).any()
                    for in_block, most in full[1]):
                out.append(a)
        return out

    for a in sorted(range(len(p.agents)), key=lambda a: (len(p.agents[a].skills), a)):
        if time.perf_counter() >= deadline:  # the rest are left to CP-SAT
            break
        respond(a)
        if restarted():
            break
    rebreak()
    best_value, best_chosen, best_placed = objective(), dict(chosen), dict(placed)
    report = report or (lambda _value: None)
    report(best_value)
    # Iterated local search: best-response passes to a local optimum, keep the best, then
    # shake and descend again. From each new best, the first shake fills: every agent paid,
    # or working, less than its rules allow takes its best week among those that are paid, and
    # at that worked, all they allow (:func:`full_weeks`), and the next descent moves
    # everybody else around them. Alone, no such agent gains from working more, the others
    # being where they are; all together, on the 100-agent benchmark week, they took the
    # search from 46,016 to 42,896 in one shake (the same descent without the fill: 45,818),
    # as the LP bound has every agent at its most. Otherwise, ruin and recreate: take an
    # eighth of the agents off and put them back one by one, each at its best response
    # against the rest (Schrimpf et al. 2000). Noisy best responses shook too little once the
    # search scored the exact objective: every agent covering a fully met interval looked
    # indispensable. Stop after SHAKES shakes in a row bring nothing, so small problems end
    # (deterministically) before the deadline.
    stale = 0
    frozen: set[int] = set()
    """Agents the next descent leaves where a fill shake put them."""
    filled_from = None
    """The best objective the last fill shake started from."""
    while time.perf_counter() < deadline and stale < SHAKES:
        changed = True
        while changed and time.perf_counter() < deadline:
            changed = False
            for a in rng.permutation(len(p.agents)).tolist():
                if time.perf_counter() >= deadline:
                    break
                if a not in frozen:
                    changed |= respond(a)
        frozen.clear()
        rebreak()
        value = objective()
        if value < best_value - 1e-9:
            best_value, best_chosen, best_placed, stale = value, dict(chosen), dict(placed), 0
            report(best_value)
        else:
            replace_all(best_chosen, best_placed)
            stale += 1
        if time.perf_counter() >= deadline:
            break
        if restarted():  # descend from it next, instead of a shake
            stale = 0
            continue
        short = lacking() if filled_from != best_value else []
        if short:  # fill: every agent short of its contract works all it may, the rest adapt
            filled_from = best_value
            for a in short:
                full = held[class_of[a]]
                assert full is not None
                respond(a, full[0])
            frozen.update(short)
            continue
        size = min(len(p.agents), max(2, len(p.agents) // 8))
        shaken = rng.choice(len(p.agents), size=size, replace=False).tolist()
        for a in shaken:  # ruin ...
            remove(a)
            chosen.pop(a, None)
        for a in shaken:  # ... and recreate
            respond(a)
    return _order_twins(p, best_chosen)


def marginal_value(short: np.ndarray, under: np.ndarray | float, over: float) -> np.ndarray:
    """What one more agent is worth where ``short`` agents are missing (negative: over).

    It fills what is short, up to one agent, at the under-coverage weight; the rest of it is
    over-coverage. Valuing any shortfall as a whole agent would send agents where a fraction of
    one is missing (requirements are whole agents, but a fraction costs nothing to allow for).
    """
    filled = np.clip(short, 0.0, 1.0)
    return np.asarray(filled * under - (1.0 - filled) * over)


def full_weeks(p: SchedulingProblem, a: int, measures: np.ndarray | None = None
               ) -> tuple[ModelVars, list[tuple[np.ndarray, np.ndarray]]] | None:
    """Agent ``a``'s own model (:func:`agent_model`) held, in each whole 7-day block, to the
    most paid time its rules allow and, at that, the most intervals worked (its shifts less
    their breaks: of two 39.5-hour weeks, 4 x 9 h + 6 h works one interval more than
    2 x 9 h + 3 x 8 h); with each block as (per option: whether it is in the block, the
    (paid minutes, intervals worked) it is held to). None if the solver finds no week.
    ``measures``: :func:`week_measures` of ``p``, when the caller has them.
    """
    model = agent_model(p, a)
    measures = week_measures(p) if measures is None else measures
    scale = 1 + int(measures[1].max(initial=0)) * len(p.days)  # more than any week works
    most = _solve_agent(model, measures[0] * scale + measures[1], [])
    if most is None:
        return None
    day = np.array([o.day for o in p.options])
    blocks = []
    for days in p.weeks:
        if len(days) < 7:
            continue
        in_block = np.isin(day, days)
        sums = measures[:, [k for k in most if in_block[k]]].sum(axis=1)
        for row, least in zip(measures.tolist(), sums.tolist(), strict=True):
            model.model.add(sum(row[k] * var for (_, k), var in model.shift.items()
                                if in_block[k]) >= least)
        blocks.append((in_block, sums))
    return model, blocks


def week_measures(p: SchedulingProblem) -> np.ndarray:
    """(2 x options): each option's paid minutes and the intervals it works (its slots less its
    breaks), the two sums :func:`full_weeks` holds a week to."""
    return np.array([[o.paid_minutes for o in p.options], [len(o.work) for o in p.options]],
                    dtype=np.int64)


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
    # it), and so does probing (a quarter of the time, same optima on 60 agents of the
    # 300-agent benchmark); when the quick attempt finds nothing in its second, presolve gets
    # its turn.
    for presolve, seconds in ((False, 1.0), (True, 5.0)):
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.cp_model_presolve = presolve
        solver.parameters.cp_model_probing_level = 0
        status = solver.solve(m.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
            break
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    solution = solver.response_proto.solution
    return [int(k) for k, i in zip(options, index, strict=True) if solution[i]]
