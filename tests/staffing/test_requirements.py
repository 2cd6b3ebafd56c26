"""requirements(): the forecast -> requirements contract; deferred work's backlog model."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from wfm.config import Config, load_config
from wfm.errors import DataError, WfmWarning
from wfm.frames import FORECAST_COLUMNS, REQUIREMENTS_COLUMNS
from wfm.staffing import agents_for_target, agents_for_targets, requirements
from wfm.staffing.deferred import deferred_staffing, evaluate_deferred
from wfm.timegrid import Grid

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "example.yaml"
MONDAY = dt.date(2026, 12, 7)
# calls per 15-minute interval and AHT (s), around the clock so that closed hours carry volume
LOADS = {"voice": (60.0, 300.0), "chat": (30.0, 480.0), "email": (20.0, 600.0)}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE)


@pytest.fixture(scope="module")
def grid(config: Config) -> Grid:
    return Grid.from_config(config)


def make_forecast(grid: Grid, channels: tuple[str, ...] = ("voice", "chat", "email"),
                  days: int = 2) -> pd.DataFrame:
    index = grid.intervals(MONDAY, days)
    hour = np.asarray(index.hour + index.minute / 60)
    profile = 1.0 + 0.5 * np.sin((hour - 8) / 12 * np.pi)  # 0.5 … 1.5 of the mean
    frames = []
    for name in channels:
        mean, aht = LOADS[name]
        volume = mean * profile
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": index,
                    "channel": name,
                    "volume": volume,
                    "volume_lo80": volume * 0.8,
                    "volume_hi80": volume * 1.2,
                    "volume_lo95": volume * 0.7,
                    "volume_hi95": volume * 1.3,
                    "aht_seconds": aht,
                    "model": "synthetic",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.loc[:, list(FORECAST_COLUMNS)]


@pytest.fixture(scope="module")
def result(config: Config, grid: Grid) -> pd.DataFrame:
    return requirements(make_forecast(grid), config, grid)


def rows(frame: pd.DataFrame, channel: str) -> pd.DataFrame:
    return frame.loc[frame["channel"] == channel].reset_index(drop=True)


# ---------------------------------------------------------------- the contract


def test_columns_and_types_follow_the_contract(result: pd.DataFrame, grid: Grid) -> None:
    assert list(result.columns) == list(REQUIREMENTS_COLUMNS)
    assert len(result) == 3 * len(grid.intervals(MONDAY, 2))
    assert list(pd.unique(result["channel"])) == ["voice", "chat", "email"]
    assert isinstance(result["interval_start"].dtype, pd.DatetimeTZDtype)
    assert result["agents_required"].dtype == np.int64
    assert result["agents_with_shrinkage"].dtype == np.int64


def test_no_agents_outside_opening_hours(result: pd.DataFrame, config: Config,
                                         grid: Grid) -> None:
    for name, channel in config.channels.items():
        part = rows(result, name)
        is_open = grid.open_mask(channel.hours, pd.DatetimeIndex(part["interval_start"]))
        assert not is_open.all()
        assert (part.loc[~is_open, "agents_required"] == 0).all()
        assert (part.loc[is_open, "agents_required"] > 0).all()
        if channel.kind != "deferred":
            assert part.loc[~is_open, "service_level"].isna().all()
            assert part.loc[~is_open, "occupancy"].isna().all()


def test_volume_outside_hours_is_reported_as_is(result: pd.DataFrame, grid: Grid) -> None:
    forecast = make_forecast(grid)
    assert_allclose(result["volume"], forecast["volume"])
    assert_allclose(result["aht_seconds"], forecast["aht_seconds"])


def test_shrinkage_is_applied(result: pd.DataFrame, config: Config) -> None:
    for name, channel in config.channels.items():
        part = rows(result, name)
        keep = Fraction(str(1 - Fraction(str(channel.shrinkage.total))))
        expected = [math.ceil(Fraction(int(n)) / keep) for n in part["agents_required"]]
        assert part["agents_with_shrinkage"].tolist() == expected


def test_voice_meets_target_and_cap(result: pd.DataFrame, config: Config) -> None:
    voice = config.channels["voice"]
    part = rows(result, "voice")
    staffed = part.loc[part["agents_required"] > 0]
    assert (staffed["service_level"] >= 0.80).all()
    assert (staffed["occupancy"] <= voice.max_occupancy).all()
    assert staffed["abandon_rate"].between(0, 1).all()
    assert (staffed["asa_seconds"] > 0).all()
    # voice has patience_seconds, so it is sized with Erlang A against every target at once
    expected = agents_for_targets(
        staffed["volume"].to_numpy(), staffed["aht_seconds"].to_numpy(), 900.0,
        service_level=0.80, answer_seconds=20.0, max_abandon=voice.target.max_abandon,
        max_occupancy=voice.max_occupancy, patience_seconds=voice.patience_seconds)
    assert_array_equal(staffed["agents_required"].to_numpy(), expected)
    if voice.target.max_abandon is not None:
        assert (staffed["abandon_rate"] <= voice.target.max_abandon + 1e-12).all()
    assert (staffed["service_level_definition"] == "count_against").all()


def test_voice_without_patience_is_sized_with_erlang_c(config: Config, grid: Grid) -> None:
    voice = config.channels["voice"]
    voice = voice.model_copy(update={
        "patience_seconds": None, "target": voice.target.model_copy(update={"max_abandon": None})})
    plain = config.model_copy(update={"channels": {**config.channels, "voice": voice}})
    part = rows(requirements(make_forecast(grid), plain, grid), "voice")
    staffed = part.loc[part["agents_required"] > 0]
    traffic = staffed["volume"] * staffed["aht_seconds"] / 900.0
    expected = agents_for_target(traffic.to_numpy(), 300.0, 0.80, 20.0,
                                 plain.channels["voice"].max_occupancy)
    assert_array_equal(staffed["agents_required"].to_numpy(), expected)
    assert staffed["abandon_rate"].isna().all()


def test_chat_without_patience_has_no_abandon_rate(result: pd.DataFrame) -> None:
    part = rows(result, "chat")
    staffed = part.loc[part["agents_required"] > 0]
    assert staffed["abandon_rate"].isna().all()
    assert (staffed["service_level"] >= 0.80).all()
    assert (staffed["occupancy"] <= 0.85).all()


def test_chat_needs_fewer_agents_with_concurrency_two(config: Config, grid: Grid) -> None:
    single = config.channels["chat"].model_copy(update={"concurrency": 1})
    one = config.model_copy(update={"channels": {**config.channels, "chat": single}})
    forecast = make_forecast(grid)
    two_each = rows(requirements(forecast, config, grid), "chat")["agents_required"]
    one_each = rows(requirements(forecast, one, grid), "chat")["agents_required"]
    assert (two_each <= one_each).all()
    assert two_each.sum() < one_each.sum()
    # two slots per agent: at least half the single-slot servers, never more than that + 1
    assert (two_each >= np.ceil(one_each / 2)).all()


def test_deferred_meets_the_share_with_no_more_than_a_constant_level(
        result: pd.DataFrame, config: Config, grid: Grid) -> None:
    part = rows(result, "email")
    is_open = grid.open_mask(config.channels["email"].hours,
                             pd.DatetimeIndex(part["interval_start"]))
    # the items judged (deadline inside the horizon) all have open time before their deadline
    arrivals = part["volume"].to_numpy()
    judged = part["service_level"].notna().to_numpy()
    share = (part.loc[judged, "service_level"] * arrivals[judged]).sum() / arrivals[judged].sum()
    assert share >= 0.90 - 1e-9
    # ... and no more agent-intervals than the least constant level that carries all the work
    # and meets the same share
    aht = part["aht_seconds"].to_numpy()
    floor = math.ceil((arrivals * aht).sum() / (0.85 * 900.0 * is_open.sum()))
    for level in range(floor, int(part["agents_required"].max()) + 1):
        sl, _, _ = evaluate_deferred(arrivals, aht, np.where(is_open, level, 0), 900.0, 24.0,
                                     0.85)
        if np.nansum(sl * arrivals * judged) / arrivals[judged].sum() >= 0.90 - 1e-9:
            break
    assert part["agents_required"].sum() <= level * is_open.sum()
    assert part["abandon_rate"].isna().all()
    assert (part.loc[is_open, "occupancy"] <= config.channels["email"].max_occupancy + 1e-9).all()
    judged = part["service_level"].dropna()
    assert judged.between(0, 1).all()
    # items arriving on the second day have their deadline after the horizon
    day_two = part["interval_start"].dt.date == MONDAY + dt.timedelta(days=1)
    assert part.loc[day_two & (part["interval_start"].dt.hour >= 1), "service_level"].isna().all()


# ---------------------------------------------------------------- bad input


def test_channel_missing_from_config_is_named(config: Config, grid: Grid) -> None:
    forecast = make_forecast(grid)
    forecast.loc[forecast["channel"] == "email", "channel"] = "fax"
    with pytest.raises(DataError, match="'fax' is not in the config"):
        requirements(forecast, config, grid)


def test_channel_missing_from_forecast_is_named(config: Config, grid: Grid) -> None:
    with pytest.raises(DataError, match="'email' of the config has no forecast"):
        requirements(make_forecast(grid, ("voice", "chat")), config, grid)


def test_repeated_interval_is_an_error(config: Config, grid: Grid) -> None:
    forecast = make_forecast(grid)
    doubled = pd.concat([forecast, forecast.iloc[[5]]], ignore_index=True)
    with pytest.raises(DataError, match="more than once"):
        requirements(doubled, config, grid)


def test_positive_volume_needs_a_positive_aht(config: Config, grid: Grid) -> None:
    forecast = make_forecast(grid)
    forecast.loc[40, "aht_seconds"] = np.nan
    with pytest.raises(DataError, match="aht_seconds must be > 0"):
        requirements(forecast, config, grid)


def test_naive_timestamps_are_an_error(config: Config, grid: Grid) -> None:
    forecast = make_forecast(grid)
    forecast["interval_start"] = forecast["interval_start"].dt.tz_localize(None)
    with pytest.raises(DataError, match="tz-aware"):
        requirements(forecast, config, grid)


# ---------------------------------------------------------------- deferred work, by hand

HOUR = 3600.0


@pytest.mark.parametrize(
    ("share", "max_occupancy", "agents", "service"),
    [
        # 30 items x 360 s = 3 agent-hours arrive evenly in hour 0, deadline 1 h. With L
        # productive agents, the item arriving at fraction s of the hour is done on time iff
        # L * (1 + s) >= 3 s, i.e. s <= L / (3 - L): one agent makes exactly half, two make all.
        (0.5, 1.0, 1, 0.5),
        (0.6, 1.0, 2, 1.0),
        (0.5, 0.5, 2, 0.5),  # the cap halves what each agent does
        (0.6, 0.5, 3, 1.0),
    ],
)
def test_deferred_tiny_case_by_hand(share: float, max_occupancy: float, agents: int,
                                    service: float) -> None:
    plan = deferred_staffing([30, 0, 0, 0], 360.0, [True] * 4, HOUR, 1.0, share, max_occupancy)
    # `agents` is the least constant level; the plan may vary but never needs more
    assert plan.agents.sum() <= 4 * agents
    assert_allclose(plan.service_level[0], service, rtol=1e-9)
    assert np.isnan(plan.service_level[1:]).all()
    assert plan.target_met


def test_deferred_tiny_case_waits_and_occupancy_by_hand() -> None:
    # one agent works the 3 hours of work off in hours 0-2: the item arriving at fraction s
    # is done at 3 s hours, so it waits 2 s hours, one hour on average
    sl, asa, occ = evaluate_deferred([30, 0, 0, 0], 360.0, [1, 1, 1, 1], HOUR, 1.0)
    assert_allclose(asa[0], HOUR, rtol=1e-12)
    assert_allclose(occ, [1.0, 1.0, 1.0, 0.0], atol=1e-12)
    assert_allclose(sl[0], 0.5, rtol=1e-9)


def test_deferred_is_unstaffed_while_closed() -> None:
    is_open = np.array([False, True, True, False, True, False])
    plan = deferred_staffing([5, 5, 5, 5, 5, 5], 600.0, is_open, HOUR, 3.0, 0.9)
    assert (plan.agents[~is_open] == 0).all()
    assert plan.target_met
    assert np.isnan(plan.occupancy[~is_open]).all()
    never = deferred_staffing([5, 5], 600.0, [False, False], HOUR, 3.0, 0.9)
    assert never.agents.tolist() == [0, 0]


def test_deadlines_after_the_horizon_do_not_force_staffing() -> None:
    # 3 agent-hours arrive in the last hour; their deadline is outside the horizon, so only
    # the stability floor (3 h of work over 4 open hours -> 1 agent) applies
    plan = deferred_staffing([0, 0, 0, 30], 360.0, [True] * 4, HOUR, 1.0, 0.9)
    assert plan.agents.tolist() == [1, 1, 1, 1]
    assert np.isnan(plan.service_level).all()


def test_an_unreachable_share_warns_and_staffs_best_effort() -> None:
    # items arriving late in hour 0 (closed) are due just after the 2-hour opening: no finite
    # staffing gets every one of them done in time
    with pytest.warns(WfmWarning, match="cannot be reached"):
        plan = deferred_staffing([10, 10, 0], 360.0, [False, False, True], HOUR, 1.5, 1.0)
    assert plan.agents[-1] > 0
    assert not plan.target_met


# ---------------------------------------------------------------- deferred work, checked


def fine_fifo_share(arrivals: np.ndarray, aht: float, agents: np.ndarray, interval: float,
                    within_hours: float, steps: int = 30) -> float:
    """Share of items done in time, by a slot-by-slot FIFO backlog on a finer grid.

    Conservative: a slot's items count as arriving at the slot's start and as done at the end
    of the slot in which the last of them is finished. Only items whose deadline falls inside
    the horizon count.
    """
    items = np.repeat(np.asarray(arrivals, dtype=float) / steps, steps)
    work = items * aht
    capacity = np.repeat(np.asarray(agents, dtype=float) * interval / steps, steps)
    backlog, done = 0.0, np.empty(work.size)
    for k in range(work.size):
        backlog = max(0.0, backlog + work[k] - capacity[k])
        done[k] = work[: k + 1].sum() - backlog
    arrived = np.cumsum(work)
    slot = interval / steps
    finish = np.searchsorted(done, arrived - 1e-9, side="left")  # slot that clears the cohort
    due = np.arange(work.size) + within_hours * 3600 / slot
    judged = (due <= work.size) & (items > 0)
    on_time = (finish + 1) <= due
    return float((items * (on_time & judged)).sum() / (items * judged).sum())


def test_deferred_staffing_meets_its_share_in_a_finer_simulation() -> None:
    grid = Grid("Europe/Berlin", 15)
    index = grid.intervals(MONDAY, 3)
    hour = np.asarray(index.hour + index.minute / 60)
    is_open = (hour >= 8) & (hour < 18)
    rng = np.random.default_rng(3)
    # a morning burst that a constant level can only work off with a backlog
    arrivals = np.where(hour < 10, 30.0, 4.0) * is_open * rng.uniform(0.7, 1.3, hour.size)
    plan = deferred_staffing(arrivals, 420.0, is_open, 900.0, 2.0, 0.8, 1.0)
    assert plan.target_met
    assert fine_fifo_share(arrivals, 420.0, plan.agents, 900.0, 2.0) >= 0.8 - 0.01
    fewer = np.where(is_open, plan.agents - 1, 0)
    sl, _, _ = evaluate_deferred(arrivals, 420.0, fewer, 900.0, 2.0)
    weights = arrivals * np.isfinite(sl)
    assert np.nansum(sl * weights) / weights.sum() < 0.8  # one agent fewer misses the target
