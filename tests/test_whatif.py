"""What-if scenarios: parsing of --vary, each knob's effect, and agreement with the stages run by
hand on a tiny two-day site (60-minute grid, voice and chat open 08:00-12:00)."""

from __future__ import annotations

import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest

from wfm import frames as F
from wfm.config import Config, config_from_dict
from wfm.io.roster import Agent
from wfm.pipeline import PlannedWeek, schedule_requirements
from wfm.simulate import agent_skills, simulate
from wfm.staffing import requirements
from wfm.timegrid import Grid
from wfm.whatif import (
    FTE_HOURS,
    WHATIF_COLUMNS,
    Change,
    apply_to_config,
    apply_to_forecast,
    change_headcount,
    parse_vary,
    run_whatif,
    scenarios,
)

MONDAY = dt.date(2026, 6, 1)  # no DST change; the tiny site has no holiday calendar
DAYS = 2
REPLICATIONS = 3
SEED = 7
TARGET = {"service_level": 0.8, "answer_seconds": 20}


@pytest.fixture(scope="module")
def config() -> Config:
    open_hours = {"mon-sun": "08:00-12:00"}
    return config_from_dict({
        "site": {"timezone": "Europe/Berlin", "interval_minutes": 60},
        "channels": {
            "voice": {"kind": "voice", "target": TARGET, "hours": open_hours,
                      "shrinkage": 0.2},
            "chat": {"kind": "chat", "target": TARGET, "hours": open_hours},
        },
        "shifts": {"lengths_hours": [4], "start_every_minutes": 60},
        "rules": {"max_days_per_week": 5},
        "objective": {"fairness": 0},
        "solver": {"workers": 1},
    })


@pytest.fixture(scope="module")
def grid(config: Config) -> Grid:
    return Grid.from_config(config)


@pytest.fixture(scope="module")
def forecast(config: Config, grid: Grid) -> pd.DataFrame:
    """30 voice and 12 chat contacts per open hour, bounds ±10 %."""
    index = grid.intervals(MONDAY, DAYS)
    is_open = (index.hour >= 8) & (index.hour < 12)
    frames = []
    for channel, per_hour in (("voice", 30.0), ("chat", 12.0)):
        v = np.where(is_open, per_hour, 0.0)
        frames.append(pd.DataFrame({
            F.INTERVAL_START: index, F.CHANNEL: channel, F.VOLUME: v,
            "volume_lo80": 0.9 * v, "volume_hi80": 1.1 * v,
            "volume_lo95": 0.85 * v, "volume_hi95": 1.15 * v,
            F.AHT_SECONDS: 300.0, F.MODEL: "test"}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def agents() -> tuple[Agent, ...]:
    return tuple(Agent(f"A{i}", f"A{i}", ("voice", "chat"), (1.0, 1.0)) for i in range(8))


@pytest.fixture(scope="module")
def planned(forecast: pd.DataFrame, config: Config, grid: Grid,
            agents: tuple[Agent, ...]) -> PlannedWeek:
    req = requirements(forecast, config, grid)
    return schedule_requirements(req, agents, config, grid, start=MONDAY, days=DAYS,
                                 time_limit=5)


def whatif(forecast: pd.DataFrame, config: Config, planned: PlannedWeek,
           agents: tuple[Agent, ...], varies: list[str], combine: bool = False) -> pd.DataFrame:
    s = planned.schedule
    result = run_whatif(forecast, config, s.agent_intervals, s.shifts, agents, varies=varies,
                        combine=combine, replications=REPLICATIONS, seed=SEED,
                        reschedule_time_limit=5)
    return result.table.set_index(["scenario", "channel"])


# -- parse_vary and scenarios ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "values"), [
    ("volume=-10%,+10%,+20%", ["-10%", "+10%", "+20%"]),
    ("aht=+15s,-10%", ["+15s", "-10%"]),
    ("service_level=0.8, 0.9", ["0.8", "0.9"]),
    ("shrinkage=0.35", ["0.35"]),
    ("headcount=-5,+3", ["-5", "+3"]),
    ("hours.chat=08:00-24:00", ["08:00-24:00"]),
    ("deflection=0.3", ["0.3"]),
])
def test_parse_vary_gives_one_change_per_value(text: str, values: list[str]) -> None:
    knob = text.split("=")[0]
    assert parse_vary(text) == [Change(knob, v) for v in values]


@pytest.mark.parametrize(("text", "message"), [
    ("volme=+10%", "did you mean 'volume'"),
    ("volume=+10", "percent sign"),
    ("volume=ten%", "volume: 'ten%'"),
    ("aht=+15", "aht: '+15'"),
    ("service_level=high", "service_level: 'high'"),
    ("service_level=1.5", "service_level: '1.5'"),
    ("shrinkage=1", "shrinkage: '1'"),
    ("headcount=5", "headcount: '5'"),
    ("hours.chat=8-20", "hours.chat: '8-20'"),
    ("volume", "KNOB=VALUE"),
    ("volume=+10%,", "needs values"),
])
def test_parse_vary_rejects_bad_input_naming_knob_and_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_vary(text)


def test_scenarios_are_one_at_a_time_with_the_base_first() -> None:
    plan = scenarios(["volume=-10%,+10%", "aht=+15s"])
    assert [name for name, _ in plan] == ["base", "volume -10%", "volume +10%", "aht +15s"]
    assert plan[0][1] == ()
    assert plan[2][1] == (Change("volume", "+10%"),)


def test_combine_gives_one_scenario_per_combination_of_values() -> None:
    plan = scenarios(["volume=-10%,+10%", "aht=+15s,+30s"], combine=True)
    assert [name for name, _ in plan] == [
        "base", "volume -10% & aht +15s", "volume -10% & aht +30s", "volume +10% & aht +15s",
        "volume +10% & aht +30s"]
    assert plan[4][1] == (Change("volume", "+10%"), Change("aht", "+30s"))


def test_combine_rejects_a_knob_given_twice() -> None:
    with pytest.raises(ValueError, match="knob 'volume' is given twice"):
        scenarios(["volume=+10%", "volume=+20%"], combine=True)


def test_repeated_values_are_one_scenario() -> None:
    plan = scenarios(["volume=+10%,+10%", "volume=+10%,+20%"])
    assert [name for name, _ in plan] == ["base", "volume +10%", "volume +20%"]


def test_hours_of_an_unknown_channel_is_a_value_error_naming_it(config: Config) -> None:
    with pytest.raises(ValueError, match="'phone' is not a channel"):
        apply_to_config(config, Change("hours.phone", "08:00-20:00"))


# -- knobs -----------------------------------------------------------------------------------------

def test_more_volume_never_needs_fewer_agents_in_any_interval(
        forecast: pd.DataFrame, config: Config, grid: Grid) -> None:
    base = requirements(forecast, config, grid)
    more = requirements(apply_to_forecast(forecast, Change("volume", "+10%")), config, grid)
    assert (more[F.AGENTS_WITH_SHRINKAGE].to_numpy()
            >= base[F.AGENTS_WITH_SHRINKAGE].to_numpy()).all()
    much_more = requirements(apply_to_forecast(forecast, Change("volume", "+30%")), config, grid)
    assert much_more[F.AGENTS_WITH_SHRINKAGE].sum() > base[F.AGENTS_WITH_SHRINKAGE].sum()


def test_deflection_scales_volume_and_bounds(forecast: pd.DataFrame) -> None:
    out = apply_to_forecast(forecast, Change("deflection", "0.3"))
    for col in (F.VOLUME, "volume_lo80", "volume_hi95"):
        np.testing.assert_allclose(out[col], 0.7 * forecast[col], rtol=1e-12)


def test_a_higher_service_level_needs_at_least_as_many_agents(
        forecast: pd.DataFrame, config: Config, grid: Grid) -> None:
    low = requirements(forecast, apply_to_config(config, Change("service_level", "0.8")), grid)
    high = requirements(forecast, apply_to_config(config, Change("service_level", "0.9")), grid)
    assert (high[F.AGENTS_REQUIRED].to_numpy() >= low[F.AGENTS_REQUIRED].to_numpy()).all()


def test_shrinkage_applies_to_every_channel(config: Config) -> None:
    changed = apply_to_config(config, Change("shrinkage", "0.35"))
    assert {c.shrinkage for c in changed.channels.values()} == {
        changed.channels["chat"].shrinkage}
    assert changed.channels["voice"].shrinkage != config.channels["voice"].shrinkage


def test_adding_headcount_copies_the_common_profile_under_new_ids(
        agents: tuple[Agent, ...]) -> None:
    more = change_headcount(agents, 2)
    assert [a.agent_id for a in more[-2:]] == ["new-1", "new-2"]
    assert more[-1].skills == agents[0].skills
    assert change_headcount(agents, -3) == agents[:-3]


# -- run_whatif ------------------------------------------------------------------------------------

def test_table_has_one_row_per_scenario_and_channel_with_zero_base_deltas(
        forecast: pd.DataFrame, config: Config, planned: PlannedWeek,
        agents: tuple[Agent, ...]) -> None:
    s = planned.schedule
    result = run_whatif(forecast, config, s.agent_intervals, s.shifts, agents,
                        varies=["volume=+30%", "service_level=0.8,0.9"],
                        replications=REPLICATIONS, seed=SEED)
    table = result.table
    assert tuple(table.columns) == WHATIF_COLUMNS
    assert list(table["scenario"].unique()) == ["base", "volume +30%", "service_level 0.8",
                                                "service_level 0.9"]
    assert len(table) == 4 * len(config.channels)
    base = table[table["scenario"] == "base"]
    assert (base["delta_required_fte"] == 0).all()
    assert (base["delta_service_level"] == 0).all()
    by = table.set_index(["scenario", "channel"])
    assert (by.loc["volume +30%", "delta_required_fte"] >= 0).all()
    assert by.loc["volume +30%", "delta_required_fte"].sum() > 0
    for channel in config.channels:
        assert (by.loc[("service_level 0.9", channel), "required_fte"]
                >= by.loc[("service_level 0.8", channel), "required_fte"])
    assert result.seconds > 0


@pytest.mark.parametrize(("varies", "combine", "scenario", "volume_factor"), [
    (["aht=+15s"], False, "aht +15s", 1.0),
    (["volume=+10%", "aht=+15s"], True, "volume +10% & aht +15s", 1.1),
])
def test_a_scenario_matches_the_stages_run_by_hand(
        forecast: pd.DataFrame, config: Config, grid: Grid, planned: PlannedWeek,
        agents: tuple[Agent, ...], varies: list[str], combine: bool, scenario: str,
        volume_factor: float) -> None:
    table = whatif(forecast, config, planned, agents, varies, combine)
    volumes = [F.VOLUME, *(f(F.VOLUME, level) for level in (80, 95) for f in (F.lo, F.hi))]
    changed = forecast.assign(**{F.AHT_SECONDS: forecast[F.AHT_SECONDS] + 15},
                              **{col: forecast[col] * volume_factor for col in volumes})
    intervals = planned.schedule.agent_intervals
    req = requirements(changed, config, grid)
    daily = simulate(intervals, changed, config, grid, replications=REPLICATIONS, seed=SEED,
                     workers=1, skills=agent_skills(agents)).daily
    for channel in config.channels:
        row = table.loc[(scenario, channel)]
        ch_req = req[req[F.CHANNEL] == channel]
        required_fte = ch_req[F.AGENTS_WITH_SHRINKAGE].sum() * 1.0 / FTE_HOURS  # 1-hour grid
        day = daily[daily[F.CHANNEL] == channel]
        level = (day[F.SERVICE_LEVEL] * day["offered"]).sum() / day["offered"].sum()
        abandon = day["abandoned"].sum() / day["offered"].sum()
        scheduled = (intervals[F.ACTIVITY] == channel).sum() / FTE_HOURS
        np.testing.assert_allclose(
            row[["required_fte", "service_level", "abandon_rate", "scheduled_fte"]]
            .to_numpy(dtype=float), [required_fte, level, abandon, scheduled], rtol=1e-12)


def test_fewer_agents_are_rescheduled_into_fewer_agent_hours(
        forecast: pd.DataFrame, config: Config, planned: PlannedWeek,
        agents: tuple[Agent, ...]) -> None:
    started = time.perf_counter()
    table = whatif(forecast, config, planned, agents, ["headcount=-5"])
    assert time.perf_counter() - started < 30
    base, fewer = table.loc["base"], table.loc["headcount -5"]
    assert fewer["scheduled_fte"].sum() < base["scheduled_fte"].sum()
    assert fewer["paid_hours"].iloc[0] < base["paid_hours"].iloc[0]
    np.testing.assert_allclose(fewer["required_fte"], base["required_fte"], rtol=1e-12)


def test_closing_hours_removes_contacts_outside_them(
        forecast: pd.DataFrame, config: Config, planned: PlannedWeek,
        agents: tuple[Agent, ...]) -> None:
    table = whatif(forecast, config, planned, agents, ["hours.chat=08:00-10:00"])
    base, short = table.loc[("base", "chat")], table.loc[("hours.chat 08:00-10:00", "chat")]
    assert short["required_fte"] < base["required_fte"]

