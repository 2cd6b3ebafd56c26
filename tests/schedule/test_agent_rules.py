"""One tiny instance per contract rule, wish and fairness goal; then every solved schedule
passes the independent checker (:mod:`wfm.schedule.check`), including random small instances.

Same conventions as ``test_rules.py``: a 60-minute grid, voice open 08:00-20:00 every day,
objective weights under 100, over 10, paid 1 per agent-interval (fairness off unless a test
turns it on).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rules import LIMITS, MONDAY, agent, between, make_site, requirements, run, shifts_of

from wfm import frames as F
from wfm.config import Config, RuleSet, config_from_dict
from wfm.errors import InfeasibleError
from wfm.hours import parse_hours
from wfm.io.roster import Agent, TimeOff
from wfm.schedule import SolveLimits, build_problem, diagnose, solve
from wfm.schedule.check import check_schedule
from wfm.timegrid import Grid


@pytest.fixture
def site(tiny_config_dict: dict[str, Any]) -> Callable[..., Config]:
    return lambda **kw: make_site(tiny_config_dict, **kw)


def with_rules(a: Agent, **rules: Any) -> Agent:
    return dataclasses.replace(a, rules=RuleSet(**rules))


def days_worked(s: Any, agent_id: str) -> list[dt.date]:
    return sorted(shifts_of(s, agent_id)[F.DATE])


def checked(s: Any, config: Config, agents: tuple[Agent, ...], days: int) -> pd.DataFrame:
    return check_schedule(s.agent_intervals, agents, config, start=MONDAY, days=days)


# --- days and weeks ------------------------------------------------------------------------------

def test_min_days_per_week_makes_an_agent_work_without_demand(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7)
    a = with_rules(agent("A1", "voice"), min_days_per_week=3)

    s = run(config, req, (a,), days=7)

    assert len(days_worked(s, "A1")) == 3


def test_max_consecutive_days_breaks_a_run(site) -> None:
    config = site(max_days=7)
    req = requirements(config, MONDAY, 7, voice=between(9, 13))
    a = with_rules(agent("A1", "voice"), max_days_per_week=7, max_consecutive_days=3)

    s = run(config, req, (a,), days=7)

    worked = {d.weekday() for d in days_worked(s, "A1")}
    assert len(worked) == 6  # 3 on, 1 off, 3 on
    assert not any({d, d + 1, d + 2, d + 3} <= worked for d in range(4))


def test_consecutive_days_off_leaves_two_free_days_in_a_row(site) -> None:
    config = site()
    # demand on alternate days would tempt an agent to spread its five days
    req = requirements(config, MONDAY, 7, voice=lambda t: int(9 <= t.hour < 13))
    a = with_rules(agent("A1", "voice"), max_days_per_week=5, consecutive_days_off=True)
    b = with_rules(agent("A1", "voice"), max_days_per_week=5)

    free = {d.weekday() for d in days_worked(run(config, req, (a,), days=7), "A1")}
    assert any(d not in free and d + 1 not in free for d in range(6))
    assert len(days_worked(run(config, req, (b,), days=7), "A1")) == 5


def test_start_variation_zero_means_the_same_start_all_week(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7, voice=lambda t: int(
        (9 if t.day_of_week % 2 else 14) <= t.hour < (13 if t.day_of_week % 2 else 18)))
    free = agent("A1", "voice", min_h=16)
    fixed = with_rules(free, max_start_variation_minutes=0)

    starts_free = {t.hour for t in shifts_of(run(config, req, (free,), days=7), "A1")
                   ["shift_start"]}
    starts_fixed = {t.hour for t in shifts_of(run(config, req, (fixed,), days=7), "A1")
                    ["shift_start"]}
    assert len(starts_free) == 2
    assert len(starts_fixed) == 1


# --- availability, days off, time off, contract lengths ------------------------------------------

def test_availability_keeps_shifts_inside_the_agents_hours(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 1, voice=between(14, 18))
    a = dataclasses.replace(agent("A1", "voice"),
                            availability=parse_hours({"mon-fri": "08:00-16:00"}))

    s = run(config, req, (a,), days=1)

    (shift,) = shifts_of(s, "A1").itertuples()
    assert shift.shift_end <= pd.Timestamp("2026-06-01 16:00", tz="Europe/Berlin")


def test_fixed_day_off_is_never_worked(site) -> None:
    config = site(max_days=7, max_consecutive_days=7)
    req = requirements(config, MONDAY, 7, voice=between(9, 13))
    a = dataclasses.replace(agent("A1", "voice"), days_off=frozenset({2}))

    s = run(config, req, (a,), days=7)

    assert [d.weekday() for d in days_worked(s, "A1")] == [0, 1, 3, 4, 5, 6]


def test_time_off_blocks_its_hours_and_paid_time_off_counts_toward_the_week(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7)
    monday = dt.datetime(2026, 6, 1)
    a = dataclasses.replace(agent("A1", "voice", min_h=20), time_off=(
        TimeOff(monday, monday + dt.timedelta(days=1), paid_minutes=8 * 60),))

    s = run(config, req, (a,), days=7)

    assert MONDAY not in days_worked(s, "A1")
    assert shifts_of(s, "A1")["paid_minutes"].sum() == 12 * 60  # 20 h minus 8 h paid leave


def test_contract_shift_lengths_limit_the_templates(site) -> None:
    config = site(lengths=(4, 8))
    req = requirements(config, MONDAY, 1, voice=between(9, 13))
    a = dataclasses.replace(agent("A1", "voice"), shift_lengths_hours=(8.0,))

    s = run(config, req, (a,), days=1)

    assert shifts_of(s, "A1")["paid_minutes"].tolist() == [480]


# --- breaks placed by the optimiser --------------------------------------------------------------

def test_lunch_lands_where_demand_dips(site) -> None:
    config = site(lengths=(8,), breaks=({"lunch": True, "minutes": 60, "window_hours": [2, 6]},))
    req = requirements(config, MONDAY, 1, voice=lambda t: int(8 <= t.hour < 16 and t.hour != 13))

    s = run(config, req, (agent("A1", "voice"),), days=1)

    lunch = s.agent_intervals[s.agent_intervals[F.ACTIVITY] == F.LUNCH]
    assert [t.hour for t in lunch[F.INTERVAL_START]] == [13]
    assert s.penalties.empty


def test_breaks_of_twins_are_staggered_to_keep_coverage(site) -> None:
    config = site(lengths=(6,), breaks=({"minutes": 60, "window_hours": [1, 5]},))
    req = requirements(config, MONDAY, 1, voice=between(8, 14, agents=1))
    twins = (agent("A1", "voice"), agent("A2", "voice"))

    s = run(config, req, twins, days=1)

    on_break = s.agent_intervals[s.agent_intervals[F.ACTIVITY] == F.BREAK]
    assert on_break[F.INTERVAL_START].is_unique  # never both on break at once


# --- wishes and fairness -------------------------------------------------------------------------

def test_preferred_start_decides_between_equal_shifts(site) -> None:
    config = site(lengths=(4,))
    req = requirements(config, MONDAY, 1)  # no demand: any start is as good for coverage
    a = dataclasses.replace(agent("A1", "voice", min_h=4), preferred_start=15 * 60)

    s = run(config, req, (a,), days=7)

    assert {t.hour for t in shifts_of(s, "A1")["shift_start"]} == {15}


def test_preferred_day_off_is_kept_free_when_coverage_allows(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7)
    a = dataclasses.replace(agent("A1", "voice", min_h=20), preferred_days_off=frozenset({0, 1}))

    s = run(config, req, (a,), days=7)

    assert {d.weekday() for d in days_worked(s, "A1")} == {2, 3, 4, 5, 6}


def test_weekend_work_is_spread_over_agents(tiny_config_dict: dict[str, Any]) -> None:
    data = {**tiny_config_dict}
    config = make_site(data)
    config = config.model_copy(update={"objective": config.objective.model_copy(
        update={"fairness": 2})})
    req = requirements(config, MONDAY, 7, voice=lambda t: int(t.day_of_week >= 5
                                                              and 9 <= t.hour < 13))
    pair = (agent("A1", "voice", min_h=8, max_h=8), agent("A2", "voice", min_h=8, max_h=8))

    s = run(config, req, pair, days=7)

    weekend = s.shifts[[d.weekday() >= 5 for d in s.shifts[F.DATE]]]
    assert sorted(weekend[F.AGENT_ID]) == ["A1", "A2"]


def test_the_proficient_agent_takes_the_channel(site) -> None:
    config = site(channels={
        "voice": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20},
                  "hours": {"mon-sun": "08:00-20:00"}},
        "chat": {"kind": "chat", "target": {"service_level": 0.8, "answer_seconds": 60},
                 "hours": {"mon-sun": "08:00-20:00"}}})
    req = requirements(config, MONDAY, 1, voice=between(9, 13), chat=between(9, 13))
    expert = Agent("E", "E", ("voice", "chat"), (1.0, 1.0))
    novice = Agent("N", "N", ("voice", "chat"), (0.5, 1.0))  # new on the phones

    s = run(config, req, (expert, novice), days=1)

    on = s.agent_intervals[s.agent_intervals[F.ACTIVITY].isin(["voice", "chat"])]
    assert set(on.loc[on[F.AGENT_ID] == "N", F.ACTIVITY]) == {"chat"}
    assert set(on.loc[on[F.AGENT_ID] == "E", F.ACTIVITY]) == {"voice"}


# --- diagnosis -----------------------------------------------------------------------------------

def test_availability_too_narrow_for_the_contract_is_diagnosed(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7)
    a = dataclasses.replace(agent("A17", "voice", min_h=38),
                            availability=parse_hours({"mon-thu": "08:00-16:00"}))
    problem = build_problem(req, (a, agent("B1", "voice")), config, start=MONDAY, days=7)

    (conflict,) = diagnose(problem)

    assert conflict.startswith("agent A17: min_week_hours 38")
    assert "availability mon 08:00-16:00" in conflict
    assert "at most 16 paid h" in conflict  # four days x one 4-h shift
    with pytest.raises(InfeasibleError, match="A17"):
        solve(problem, LIMITS)


def test_twins_in_conflict_are_named_together(site) -> None:
    config = site()
    req = requirements(config, MONDAY, 7)
    agents = tuple(with_rules(agent(f"A{i}", "voice"), min_days_per_week=5,
                              max_consecutive_days=1) for i in (1, 2))

    (conflict,) = diagnose(build_problem(req, agents, config, start=MONDAY, days=7))

    assert conflict.startswith("agents A1, A2: ")
    assert "min_days_per_week 5" in conflict
    assert "max_consecutive_days 1" in conflict


# --- every solved schedule keeps every rule (independent checker) --------------------------------

RICH = {
    "voice": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20},
              "hours": {"mon-fri": "08:00-20:00", "sat": "09:00-14:00"}, "priority": 2},
    "chat": {"kind": "chat", "target": {"service_level": 0.8, "answer_seconds": 60},
             "hours": {"mon-sun": "08:00-22:00"}},
}


def _rich_site(base: dict[str, Any], step: int, gap: int) -> Config:
    data = {**base, "site": {**base["site"], "interval_minutes": step}, "channels": RICH,
            "shifts": {"lengths_hours": [4, 6, 8], "start_every_minutes": step,
                       "min_work_between_breaks_minutes": gap,
                       "breaks": [{"window_hours": [1, 3], "minutes": step},
                                  {"lunch": True, "minutes": 2 * step if step < 60 else 60,
                                   "window_hours": [3, 6], "min_shift_hours": 6}]},
            "rules": {"min_rest_hours": 11, "max_days_per_week": 5}}
    return config_from_dict(data)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), step=st.sampled_from([30, 60]),
       gap=st.sampled_from([0, 60]), n=st.integers(2, 6))
def test_random_small_instances_keep_every_rule(tiny_config_dict: dict[str, Any], seed: int,
                                                step: int, gap: int, n: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    config = _rich_site(tiny_config_dict, step, gap)
    grid = Grid.from_config(config)
    index = grid.intervals(MONDAY, 7)
    frames = []
    for channel in config.channels:
        need = rng.integers(0, 3, len(index)).astype(float)
        frames.append(pd.DataFrame({
            F.INTERVAL_START: index, F.CHANNEL: channel, F.VOLUME: need * 10,
            F.AHT_SECONDS: 300.0, F.AGENTS_REQUIRED: need, F.AGENTS_WITH_SHRINKAGE: need}))
    req = pd.concat(frames, ignore_index=True)
    skills = [("voice",), ("chat",), ("voice", "chat")]
    agents = []
    for i in range(n):
        a = agent(f"A{i}", *skills[int(rng.integers(3))], min_h=float(rng.choice([0, 8, 16])),
                  max_h=float(rng.choice([24, 40])))
        rules = RuleSet(max_days_per_week=int(rng.integers(3, 6)),
                        max_consecutive_days=int(rng.integers(2, 6)),
                        consecutive_days_off=bool(rng.integers(2)),
                        max_start_variation_minutes=[None, 0, 120][int(rng.integers(3))])
        a = dataclasses.replace(a, rules=rules, days_off=frozenset({int(rng.integers(7))}),
                                preferred_start=int(rng.choice([8, 10, 14])) * 60)
        agents.append(a)
    problem = build_problem(req, tuple(agents), config, start=MONDAY, days=7)
    if diagnose(problem):
        return  # random rules may contradict; the diagnosis tests cover that path
    s = solve(problem, SolveLimits(time_seconds=2, workers=1, seed=0))

    broken = check_schedule(s.agent_intervals, problem.agents, config, grid, start=MONDAY,
                            days=7)
    assert broken.empty, broken.to_string()
