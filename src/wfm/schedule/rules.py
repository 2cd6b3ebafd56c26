"""One function per business rule of the schedule; hard rules constrain, soft ones return penalties.

Every rule takes the :class:`ModelVars` (the CP-SAT model and its variables keyed by domain
tuples) and the :class:`~wfm.schedule.problem.SchedulingProblem`. ``AGENT_RULES`` concern one
agent alone (the local search solves them agent by agent, and the diagnosis of an infeasible
roster drops them one at a time); ``HARD_RULES`` and ``SOFT_RULES`` list everything in the order
:func:`wfm.schedule.solve.build_model` applies them.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from wfm.config import RuleSet
from wfm.schedule.problem import SchedulingProblem

WEEKEND = (5, 6)


@dataclass(frozen=True)
class Penalty:
    """A soft-rule cost in the objective: ``weight`` × ``var``.

    ``channel`` and ``interval`` name a coverage penalty's place; ``agent`` an agent's.
    """

    name: str
    var: cp_model.IntVar
    weight: int
    channel: str | None = None
    interval: int | None = None
    agent: int | None = None


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
    breaks: dict[tuple[int, int, int, int], cp_model.IntVar] = field(default_factory=dict)
    """(skill group, option, break, start interval) -> breaks of the group starting there."""
    assigned: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    """(skill group, interval, channel) -> agents of the group on that channel."""
    groups: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = ()
    """(skills, proficiency) of each group (:attr:`SchedulingProblem.skill_groups`)."""
    group_of: tuple[int, ...] = ()


def _rules(p: SchedulingProblem, a: int) -> RuleSet:
    rules = p.agents[a].rules
    assert rules is not None  # build_problem resolves every agent's rules
    return rules


# --- rules of one agent ------------------------------------------------------------------------

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


def add_days_per_week(m: ModelVars, p: SchedulingProblem) -> None:
    """Working days per 7-day block within the rule set's min (whole blocks; a whole day of
    time off counts as a day) and max."""
    for a in range(len(p.agents)):
        rules = _rules(p, a)
        for week in p.weeks:
            days = sum(m.works[a, d] for d in week)
            m.model.add(days <= rules.max_days_per_week)
            least = rules.min_days_per_week - p.days_off_work(a, week)
            if len(week) == 7 and least > 0:
                m.model.add(days >= least)


def add_week_hours(m: ModelVars, p: SchedulingProblem) -> None:
    """Paid hours per 7-day block, paid time off included, within the contract's min and max
    (min only for whole blocks)."""
    for a, agent in enumerate(p.agents):
        for week in p.weeks:
            paid = sum(p.options[k].paid_minutes * m.shift[a, k] for k in p.allowed[a]
                       if p.options[k].day in week) + p.time_off_paid(a, week)
            m.model.add(paid <= round(agent.max_week_hours * 60))
            if len(week) == 7 and agent.min_week_hours > 0:
                m.model.add(paid >= round(agent.min_week_hours * 60))


def add_min_rest(m: ModelVars, p: SchedulingProblem) -> None:
    """At least ``min_rest_hours`` between the end of one shift and the start of the next.

    Every pair of days whose shifts could come closer than the rest is linked, so a rest longer
    than a day also holds across a day off.
    """
    for a in range(len(p.agents)):
        rest = p.rest_minutes(a)
        ends: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        starts: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for k in p.allowed[a]:
            o, var = p.options[k], m.shift[a, k]
            first, last = p.option_minutes(k)
            starts[o.day].append((first, var))
            ends[o.day].append((last, var))
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


def add_max_consecutive_days(m: ModelVars, p: SchedulingProblem) -> None:
    """No more than ``max_consecutive_days`` working days in a row within the horizon."""
    for a in range(len(p.agents)):
        n = _rules(p, a).max_consecutive_days
        for d in range(len(p.days) - n):
            m.model.add(sum(m.works[a, e] for e in range(d, d + n + 1)) <= n)


def add_consecutive_days_off(m: ModelVars, p: SchedulingProblem) -> None:
    """Where the rule set asks, two days off in a row inside every whole 7-day block."""
    for a in range(len(p.agents)):
        if not _rules(p, a).consecutive_days_off:
            continue
        for week in p.weeks:
            if len(week) < 7:
                continue
            pairs = []
            for d, e in itertools.pairwise(week):
                both_off = m.model.new_bool_var(f"off2[{p.agents[a].agent_id},{p.days[d]}]")
                m.model.add_implication(both_off, m.works[a, d].Not())
                m.model.add_implication(both_off, m.works[a, e].Not())
                pairs.append(both_off)
            m.model.add_bool_or(pairs)


def add_start_variation(m: ModelVars, p: SchedulingProblem) -> None:
    """Shift starts within ``max_start_variation_minutes`` of each other in each 7-day block."""
    for a in range(len(p.agents)):
        spread = _rules(p, a).max_start_variation_minutes
        if spread is None:
            continue
        for w, week in enumerate(p.weeks):
            ks = [k for k in p.allowed[a] if p.options[k].day in week]
            if not ks:
                continue
            lo = m.model.new_int_var(0, 1440, f"first_start[{p.agents[a].agent_id},{w}]")
            for k in ks:
                minute = p.options[k].template.start_minute
                m.model.add(lo <= minute).only_enforce_if(m.shift[a, k])
                m.model.add(lo >= minute - spread).only_enforce_if(m.shift[a, k])


# --- coverage: skill groups, breaks and channels -----------------------------------------------

def add_skill_coverage(m: ModelVars, p: SchedulingProblem) -> None:
    """Each working agent is on exactly one open channel it has the skill for, every interval.

    Agents with the same skills and proficiency are interchangeable for coverage, so the model
    counts them per
    skill group and option (``count``), places the group's breaks of each option by count per
    start (``breaks``: their windows never overlap, see :mod:`wfm.schedule.templates`), and
    splits the group's working agents over its channels per interval (``assigned``); who takes
    which break and channel is decided after solving.
    """
    working: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for g in range(len(m.groups)):
        members = [a for a, gg in enumerate(m.group_of) if gg == g]
        for k in sorted({k for a in members for k in p.allowed[a]}):
            o = p.options[k]
            n = m.model.new_int_var(0, len(members), f"count[g{g},{k}]")
            m.model.add(sum(m.shift[a, k] for a in members if (a, k) in m.shift) == n)
            m.count[g, k] = n
            for i in o.slots:
                working[g, i].append((1, n))
            for j, b in enumerate(o.breaks):
                placed = []
                for s in b.starts:
                    v = n if len(b.starts) == 1 else m.model.new_int_var(
                        0, len(members), f"break[g{g},{k},{j},{s}]")
                    m.breaks[g, k, j, s] = v
                    placed.append(v)
                    for i in range(s, s + b.length):
                        working[g, i].append((-1, v))
                if len(placed) > 1:
                    m.model.add(sum(placed) == n)
    for (g, i), terms in working.items():
        if i >= p.horizon:
            continue
        size = sum(1 for gg in m.group_of if gg == g)
        split = []
        for c, name in enumerate(p.channels):
            if name in m.groups[g][0] and p.open[c, i]:
                v = m.model.new_int_var(0, size, f"assigned[g{g},{i},{name}]")
                m.assigned[g, i, c] = v
                split.append(v)
        m.model.add(sum(split) == sum(coef * v for coef, v in terms))


def add_symmetry_breaking(m: ModelVars, p: SchedulingProblem) -> None:
    """Agents with the same skills, contract and wishes are interchangeable: order them by paid
    time."""
    for members in p.twins:
        for a, b in itertools.pairwise(members):
            paid_a = sum(p.options[k].paid_minutes * m.shift[a, k] for k in p.allowed[a])
            paid_b = sum(p.options[k].paid_minutes * m.shift[b, k] for k in p.allowed[b])
            m.model.add(paid_a >= paid_b)


# --- soft rules --------------------------------------------------------------------------------

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
            penalties.append(Penalty("under_coverage", under, p.weights.under * p.priority[c],
                                     channel=name, interval=i))
            penalties.append(Penalty("over_coverage", over, p.weights.over,
                                     channel=name, interval=i))
    return penalties


def add_paid_time(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """Paid time costs a little, so equal coverage prefers fewer paid hours."""
    step = p.interval_minutes
    return [Penalty("paid_time", n, p.weights.paid * p.options[k].paid_minutes // step)
            for (_g, k), n in m.count.items()]


def preference_costs(p: SchedulingProblem, a: int) -> dict[int, int]:
    """Option -> cost of agent ``a``'s unmet wishes if it works it (start away from the
    preferred start, per hour; a preferred day off, per day)."""
    agent = p.agents[a]
    unit = p.weights.preference * agent.preference_weight
    out = {}
    for k in p.allowed[a]:
        o = p.options[k]
        wishes = 0.0
        if agent.preferred_start is not None:
            off = abs(o.template.start_minute - agent.preferred_start)
            wishes += min(off, 1440 - off) / 60
        if p.days[o.day].weekday() in agent.preferred_days_off:
            wishes += 1
        cost = round(unit * wishes)
        if cost > 0:
            out[k] = cost
    return out


def add_preferences(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """Agents' wishes: preferred start times and days off, weighted per agent."""
    return [Penalty("preference", m.shift[a, k], cost, agent=a)
            for a in range(len(p.agents)) for k, cost in preference_costs(p, a).items()]


def is_late(p: SchedulingProblem, k: int) -> bool:
    """Whether option ``k`` ends after ``late_shift_end`` of its day."""
    t = p.options[k].template
    return t.start_minute + t.length_minutes > p.late_end_minute


def add_fairness(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """Weekend days and late shifts spread evenly: an agent's k-th one costs (k − 1) × weight.

    The convex cost makes two agents with one weekend day each cheaper than one agent with two.
    """
    if p.weights.fairness <= 0:
        return []
    weekend = [d for d, day in enumerate(p.days) if day.weekday() in WEEKEND]
    penalties = []
    for a in range(len(p.agents)):
        late = [m.shift[a, k] for k in p.allowed[a] if is_late(p, k)]
        counts = {"weekend_days": [m.works[a, d] for d in weekend], "late_shifts": late}
        for name, terms in counts.items():
            most = min(len(terms), len(weekend) if name == "weekend_days" else len(p.days))
            total = sum(terms)
            for extra in range(1, most):
                e = m.model.new_int_var(0, most, f"{name}[{p.agents[a].agent_id},{extra}]")
                m.model.add(e >= total - extra)
                penalties.append(Penalty(name, e, p.weights.fairness, agent=a))
    return penalties


def add_proficiency(m: ModelVars, p: SchedulingProblem) -> list[Penalty]:
    """A channel worked below full proficiency costs ``(1 − proficiency) × weight`` per
    agent-interval, so the most proficient agents take each channel where coverage allows."""
    penalties = []
    for (g, i, c), var in m.assigned.items():
        skills, proficiency = m.groups[g]
        cost = round(p.weights.proficiency * (1 - proficiency[skills.index(p.channels[c])]))
        if cost > 0:
            penalties.append(Penalty("proficiency", var, cost, channel=p.channels[c],
                                     interval=i))
    return penalties


Rule = Callable[[ModelVars, SchedulingProblem], None]
SoftRule = Callable[[ModelVars, SchedulingProblem], list[Penalty]]

AGENT_RULES: tuple[Rule, ...] = (
    add_one_shift_per_day,
    add_days_per_week,
    add_week_hours,
    add_min_rest,
    add_max_consecutive_days,
    add_consecutive_days_off,
    add_start_variation,
)
"""The hard rules that concern one agent alone; ``add_one_shift_per_day`` comes first (the
others use its ``works``)."""
HARD_RULES: tuple[Rule, ...] = (*AGENT_RULES, add_skill_coverage, add_symmetry_breaking)
SOFT_RULES: tuple[SoftRule, ...] = (add_coverage_penalties, add_paid_time, add_preferences,
                                    add_fairness, add_proficiency)
