"""One function per business rule of the schedule; hard rules constrain, soft ones return penalties.

Every rule takes the :class:`ModelVars` (the CP-SAT model and its variables keyed by domain
tuples) and the :class:`~wfm.schedule.problem.SchedulingProblem`. ``HARD_RULES`` and
``SOFT_RULES`` list them in the order :func:`wfm.schedule.solve.build_model` applies them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from wfm.schedule.problem import SchedulingProblem

MINUTES_PER_WEEK = 7 * 1440


@dataclass(frozen=True)
class Penalty:
    """A soft-rule cost: ``weight`` × ``var`` (agent-intervals short or over) in the objective."""

    name: str
    key: tuple[object, ...]
    var: cp_model.IntVar
    weight: int


@dataclass
class ModelVars:
    """The CP-SAT model and its decision variables, keyed by domain tuples."""

    model: cp_model.CpModel
    shift: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """(agent, option) -> 1 if the agent works that shift."""
    works: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """(agent, day) -> 1 if the agent works on that day."""
    count: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """(skill group, option) -> agents of the group working that shift."""
    assigned: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    """(skill group, interval, channel) -> agents of the group on that channel."""
    groups: tuple[tuple[str, ...], ...] = ()
    group_of: tuple[int, ...] = ()


def add_one_shift_per_day(m: ModelVars, p: SchedulingProblem) -> None:
    """An agent works at most one shift per day; ``works[a, d]`` says whether it works at all."""
    by_day: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (a, k), var in m.shift.items():
        by_day[a, p.options[k].day].append(var)
    for a in range(len(p.agents)):
        for d in range(len(p.days)):
            w = m.model.new_bool_var(f"works[{p.agents[a].agent_id},{p.days[d]}]")
            m.model.add(sum(by_day.get((a, d), [])) == w)
            m.works[a, d] = w


def add_max_days_per_week(m: ModelVars, p: SchedulingProblem) -> None:
    """At most ``rules.max_days_per_week`` working days in each 7-day block of the horizon."""
    for a in range(len(p.agents)):
        for w0 in range(0, len(p.days), 7):
            days = range(w0, min(w0 + 7, len(p.days)))
            m.model.add(sum(m.works[a, d] for d in days) <= p.rules.max_days_per_week)


def add_week_hours(m: ModelVars, p: SchedulingProblem) -> None:
    """Paid hours per 7-day block within the contract's min and max (min only for whole weeks)."""
    for a, agent in enumerate(p.agents):
        for w0 in range(0, len(p.days), 7):
            days = set(range(w0, min(w0 + 7, len(p.days))))
            paid = sum(p.options[k].paid_minutes * m.shift[a, k] for k in p.allowed[a]
                       if p.options[k].day in days)
            m.model.add(paid <= round(agent.max_week_hours * 60))
            if len(days) == 7 and agent.min_week_hours > 0:
                m.model.add(paid >= round(agent.min_week_hours * 60))


def add_min_rest(m: ModelVars, p: SchedulingProblem) -> None:
    """At least ``rules.min_rest_hours`` between the end of one shift and the start of the next.

    Every pair of days whose shifts could come closer than the rest is linked, so a rest longer
    than a day also holds across a day off.
    """
    rest = round(p.rules.min_rest_hours * 60)
    t0 = p.index[0]
    for a in range(len(p.agents)):
        ends: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        starts: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for k in p.allowed[a]:
            o, var = p.options[k], m.shift[a, k]
            starts[o.day].append((int((o.start - t0).total_seconds() // 60), var))
            ends[o.day].append((int((o.end - t0).total_seconds() // 60), var))
        for d in range(len(p.days)):
            for d2 in range(d + 1, len(p.days)):
                if not ends[d] or not starts[d2]:
                    continue
                latest_end = max(e for e, _ in ends[d])
                earliest_start = min(s for s, _ in starts[d2])
                if earliest_start - latest_end >= rest:
                    if d2 > d + 1:
                        break  # later days start later still
                    continue  # no pair of shifts on these days can break the rule
                end = sum(e * v for e, v in ends[d])
                start = sum(s * v for s, v in starts[d2])
                m.model.add(start - end >= rest).only_enforce_if(
                    [m.works[a, d], m.works[a, d2]])


def add_skill_coverage(m: ModelVars, p: SchedulingProblem) -> None:
    """Each working agent is on exactly one open channel it has the skill for, every interval.

    Agents with the same skills are interchangeable for coverage, so the model counts them per
    skill group and option (``count``) and splits each group's working agents over its channels
    per interval (``assigned``); who takes which channel is decided after solving.
    """
    for g in range(len(m.groups)):
        members = [a for a, gg in enumerate(m.group_of) if gg == g]
        options = sorted({k for a in members for k in p.allowed[a]})
        for k in options:
            n = m.model.new_int_var(0, len(members), f"count[g{g},{k}]")
            m.model.add(sum(m.shift[a, k] for a in members if (a, k) in m.shift) == n)
            m.count[g, k] = n
    working: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (g, k), n in m.count.items():
        for i in p.options[k].work:
            if i < p.horizon:
                working[g, i].append(n)
    for (g, i), terms in working.items():
        size = sum(1 for gg in m.group_of if gg == g)
        chans = [c for c, name in enumerate(p.channels) if name in m.groups[g] and p.open[c, i]]
        split = []
        for c in chans:
            v = m.model.new_int_var(0, size, f"assigned[g{g},{i},{p.channels[c]}]")
            m.assigned[g, i, c] = v
            split.append(v)
        m.model.add(sum(split) == sum(terms))


def add_symmetry_breaking(m: ModelVars, p: SchedulingProblem) -> None:
    """Agents with the same skills and contract are interchangeable: order them by paid time."""
    for members in p.twins:
        for a, b in itertools.pairwise(members):
            paid_a = sum(p.options[k].paid_minutes * m.shift[a, k] for k in p.allowed[a])
            paid_b = sum(p.options[k].paid_minutes * m.shift[b, k] for k in p.allowed[b])
            m.model.add(paid_a >= paid_b)


def add_coverage_penalties(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """Under- and over-coverage per channel and interval, in agent-intervals."""
    on: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (_g, i, c), v in m.assigned.items():
        on[c, i].append(v)
    penalties = []
    big = len(p.agents)
    for c, name in enumerate(p.channels):
        for i in range(p.horizon):
            req = int(p.required[c, i])
            if not p.open[c, i]:
                continue
            cov = sum(on.get((c, i), []))
            under = m.model.new_int_var(0, req, f"under[{name},{i}]")
            over = m.model.new_int_var(0, big, f"over[{name},{i}]")
            m.model.add(cov + under - over == req)
            penalties.append(Penalty("under_coverage", (name, i), under,
                                     p.weights.under * p.priority[c]))
            penalties.append(Penalty("over_coverage", (name, i), over, p.weights.over))
    return penalties


def add_paid_time(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """Paid time costs a little, so equal coverage prefers fewer paid hours."""
    step = p.interval_minutes
    return [Penalty("paid_time", (g, k), n, p.weights.paid * p.options[k].paid_minutes // step)
            for (g, k), n in m.count.items()]


Rule = Callable[[ModelVars, SchedulingProblem], None]
SoftRule = Callable[[ModelVars, SchedulingProblem], list[Penalty]]

HARD_RULES: tuple[Rule, ...] = (
    add_one_shift_per_day,
    add_max_days_per_week,
    add_week_hours,
    add_min_rest,
    add_skill_coverage,
    add_symmetry_breaking,
)
SOFT_RULES: tuple[SoftRule, ...] = (add_coverage_penalties, add_paid_time)
