"""A greedy first schedule that keeps every hard rule, used as CP-SAT's starting point.

CP-SAT proves bounds well but, with two workers, can take long to find a first schedule that
meets every contract's minimum hours. This heuristic hands it one: agent by agent, it picks the
shift template and the working days that cover the most still-uncovered demand, using the same
template every working day (so rest between shifts is ``24 h − length`` and the rest rule holds
whenever that is enough), with a number of days that fits the contract's weekly hours.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import sparse

from wfm.schedule.problem import SchedulingProblem


def greedy_start(problem: SchedulingProblem) -> dict[int, list[int]]:
    """Agent position -> chosen option ids; agents with no rule-abiding pattern are left out."""
    p = problem
    n_opt, n_int = len(p.options), len(p.index)
    rows = np.repeat(np.arange(n_opt), [len(o.work) for o in p.options])
    cols = np.fromiter((i for o in p.options for i in o.work), dtype=np.int64, count=len(rows))
    incidence = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_opt, n_int))
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
    twins: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for a, agent in enumerate(p.agents):
        twins[agent.skills, agent.proficiency, agent.min_week_hours, agent.max_week_hours,
              p.allowed[a]].append(a)
    out: dict[int, list[int]] = {}
    for members in twins.values():
        patterns = sorted((chosen.get(a, []) for a in members),
                          key=lambda ks: -sum(p.options[k].paid_minutes for k in ks))
        for a, ks in zip(members, patterns, strict=True):
            if ks:
                out[a] = ks
    return out
