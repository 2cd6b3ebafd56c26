"""Discrete-event simulation: checked against Erlang C and A, and on exactly known cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wfm.config import Config, config_from_dict
from wfm.errors import DataError
from wfm.simulate import (
    SIMULATION_COLUMNS,
    SUMMARY_COLUMNS,
    _Counts,
    _prepare,
    _replicate,
    simulate,
)
from wfm.staffing.erlang import asa_seconds, service_level
from wfm.staffing.erlang_a import erlang_a_metrics
from wfm.timegrid import Grid

DAY = dt.date(2026, 3, 2)  # a Monday, far from DST changes
GRID = Grid("Europe/Berlin", 15)
AHT = 300.0
INTERVAL = 900.0


def _config(**channels: dict[str, Any]) -> Config:
    for spec in channels.values():
        spec.setdefault("hours", {"mon-sun": "00:00-24:00"})
    return config_from_dict({"site": {"timezone": "Europe/Berlin", "interval_minutes": 15},
                             "channels": channels})


def _voice(patience: float | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"kind": "voice",
                            "target": {"service_level": 0.8, "answer_seconds": 20}}
    if patience is not None:
        spec["patience_seconds"] = patience
    return spec


def _chat(concurrency: int) -> dict[str, Any]:
    return {"kind": "chat", "concurrency": concurrency,
            "target": {"service_level": 0.8, "answer_seconds": 20}}


def _email(within_hours: float = 24) -> dict[str, Any]:
    return {"kind": "deferred", "target": {"within_hours": within_hours, "share": 0.9}}


def _index(days: int = 1) -> pd.DatetimeIndex:
    return GRID.intervals(DAY, days)


def _schedule(index: pd.DatetimeIndex, staff: dict[str, np.ndarray]) -> pd.DataFrame:
    """agent_intervals where ``staff[channel][i]`` agents serve the channel in interval ``i``."""
    rows = []
    for channel, counts in staff.items():
        for j in range(int(max(counts.max(), 1))):
            act = np.where(j < counts, channel, "off")
            rows.append(pd.DataFrame({"agent_id": f"{channel}{j:02d}", "interval_start": index,
                                      "activity": act}))
    return pd.concat(rows, ignore_index=True)


def _forecast(index: pd.DatetimeIndex, volumes: dict[str, np.ndarray],
              spread: float = 0.0) -> pd.DataFrame:
    """forecast.csv rows; the 80 % bounds are ``volume·(1 ∓ spread)``."""
    rows = [pd.DataFrame({"interval_start": index, "channel": c, "volume": v,
                          "volume_lo80": v * (1 - spread), "volume_hi80": v * (1 + spread),
                          "aht_seconds": AHT}) for c, v in volumes.items()]
    return pd.concat(rows, ignore_index=True)


def _window(index: pd.DatetimeIndex, start: int, end: int, value: float) -> np.ndarray:
    """``value`` in the intervals from hour ``start`` to hour ``end`` of each day, else 0."""
    hours = index.hour + index.minute / 60
    return np.where((hours >= start) & (hours < end), value, 0.0)


def _runs(agents: pd.DataFrame, forecast: pd.DataFrame, config: Config, k: int, seed: int = 1,
          **kw: Any) -> list[_Counts]:
    model, _ = _prepare(agents, forecast, config, GRID, level_uncertainty=False, **kw)
    return [_replicate(model, s) for s in np.random.SeedSequence(seed).spawn(k)]


def _pooled(runs: list[_Counts], num: str, den: str, cells: slice) -> tuple[float, float]:
    """Mean over replications of each one's pooled ratio over ``cells``, and its standard error."""
    ratios = np.array([getattr(r, num)[0, cells].sum() / getattr(r, den)[0, cells].sum()
                       for r in runs])
    return float(ratios.mean()), float(ratios.std(ddof=1) / np.sqrt(len(ratios)))


# Steady-state checks: N agents serve a constant load from 06:00 to 18:00. The system starts
# empty, so the first two hours (≈ 20 relaxation times of these queues, which are a few AHTs)
# are left out as warm-up, and the last half hour because callers still waiting when the agents
# leave are never answered. Each replication pools the 38 intervals in between (~900 calls);
# replications are independent, so their mean has standard error sd/√K, and we ask the
# simulation to hit the analytic value within 3 standard errors (plus nothing: the models are
# the same M/M/N and M/M/N+M, only the finite horizon differs).
STEADY = slice(32, 70)  # 08:00-17:30


def _steady(config: Config, load_erlangs: float, agents: int, channel: str = "voice",
            k: int = 120) -> list[_Counts]:
    index = _index()
    volume = _window(index, 6, 18, load_erlangs * INTERVAL / AHT)
    staff = _window(index, 6, 18, agents).astype(int)
    return _runs(_schedule(index, {channel: staff}), _forecast(index, {channel: volume}),
                 config, k)


def test_service_level_and_asa_agree_with_erlang_c() -> None:
    runs = _steady(_config(voice=_voice()), 8.0, 10)
    sl, sl_se = _pooled(runs, "met", "eligible", STEADY)
    asa, asa_se = _pooled(runs, "wait_seconds", "answered", STEADY)
    expected_sl = float(service_level(8.0, 10, AHT, 20))  # 0.642
    expected_asa = float(asa_seconds(8.0, 10, AHT))  # 61.4 s
    assert abs(sl - expected_sl) < 3 * sl_se
    assert abs(asa - expected_asa) < 3 * asa_se
    assert sl_se < 0.01  # the check is tight enough to catch a wrong queue discipline


def test_abandonment_agrees_with_erlang_a() -> None:
    runs = _steady(_config(voice=_voice(patience=180)), 10.0, 10)
    rate, rate_se = _pooled(runs, "abandoned", "offered", STEADY)
    sl, sl_se = _pooled(runs, "met", "eligible", STEADY)
    m = erlang_a_metrics(30.0, AHT, 180.0, 10, INTERVAL, 20)
    assert abs(rate - float(m.abandon_probability)) < 3 * rate_se
    assert abs(sl - float(m.service_level)) < 3 * sl_se
    assert 0.02 < rate < 0.3  # a load where abandonment matters


def test_concurrency_two_serves_twice_the_load() -> None:
    single = _steady(_config(chat=_chat(1)), 4.0, 5, "chat", k=80)
    double = _steady(_config(chat=_chat(2)), 8.0, 5, "chat", k=80)
    sl1, _ = _pooled(single, "met", "eligible", STEADY)
    sl2, se2 = _pooled(double, "met", "eligible", STEADY)
    # 5 agents with 2 sessions each are 10 servers without slow-down: Erlang C with N = 10, A = 8,
    # which pools better than 5 servers at A = 4, so twice the load is served at least as well
    assert abs(sl2 - float(service_level(8.0, 10, AHT, 20))) < 3 * se2
    assert sl2 >= sl1


def test_offered_is_answered_abandoned_or_still_waiting() -> None:
    index = _index()
    config = _config(voice=_voice(patience=120), chat=_chat(2))
    volume = _window(index, 8, 20, 40.0)
    staff = _window(index, 8, 16, 6).astype(int)  # agents leave four hours early
    runs = _runs(_schedule(index, {"voice": staff, "chat": staff}),
                 _forecast(index, {"voice": volume, "chat": volume}), config, 5)
    for r in runs:
        np.testing.assert_array_equal(r.offered, r.answered + r.abandoned + r.in_queue_at_end)
        assert r.in_queue_at_end[1].sum() > 0  # chat has no patience: its backlog stays
        assert r.in_queue_at_end[0].sum() == 0  # voice callers hang up


def test_daily_frame_conserves_contacts() -> None:
    index = _index()
    volume = _window(index, 8, 20, 20.0)
    staff = _window(index, 8, 16, 4).astype(int)
    result = simulate(_schedule(index, {"voice": staff}), _forecast(index, {"voice": volume}),
                      _config(voice=_voice()), GRID, replications=3, level_uncertainty=False)
    assert tuple(result.daily.columns) == SUMMARY_COLUMNS
    assert tuple(result.intervals.columns) == SIMULATION_COLUMNS
    assert result.in_queue_at_end is not None
    d = result.daily.iloc[0]
    assert d.offered == pytest.approx(d.answered + d.abandoned
                                      + result.in_queue_at_end.in_queue_at_end.iloc[0])
    assert result.intervals.offered.sum() == pytest.approx(d.offered)


def _small_case(seed: int, workers: int | None = 1) -> pd.DataFrame:
    index = _index()
    volume = _window(index, 8, 18, 30.0)
    agents = _schedule(index, {"voice": _window(index, 8, 18, 10).astype(int)})
    result = simulate(agents, _forecast(index, {"voice": volume}, spread=0.2),
                      _config(voice=_voice(patience=180)), GRID, replications=4, seed=seed,
                      workers=workers)
    return result.intervals


def test_same_seed_same_frames_other_seed_other_frames() -> None:
    first = _small_case(7)
    pd.testing.assert_frame_equal(first, _small_case(7))
    pd.testing.assert_frame_equal(first, _small_case(7, workers=2))  # pool or not, the same
    assert not first.equals(_small_case(8))


def test_nobody_scheduled_answers_nothing() -> None:
    index = _index()
    volume = _window(index, 8, 12, 10.0)
    agents = _schedule(index, {"voice": np.zeros(len(index), dtype=int)})
    result = simulate(agents, _forecast(index, {"voice": volume}), _config(voice=_voice()), GRID,
                      replications=3, level_uncertainty=False)
    busy = result.intervals[result.intervals.offered > 0]
    assert len(busy) > 0
    assert (busy.service_level == 0).all()
    assert (busy.p_miss_target == 1).all()
    assert result.daily.answered.sum() == 0
    assert result.in_queue_at_end is not None
    assert result.in_queue_at_end.in_queue_at_end.sum() == pytest.approx(busy.offered.sum())


def test_deferred_backlog_carries_over_to_later_agents() -> None:
    index = _index(2)
    day = index.normalize() == index[0].normalize()
    volume = np.where(day, _window(index, 8, 12, 5.0) + _window(index, 17, 19, 5.0), 0.0)
    staff = np.where(day, _window(index, 13, 17, 4), _window(index, 8, 10, 4)).astype(int)
    agents = _schedule(index, {"email": staff})
    fc = _forecast(index, {"email": volume})
    runs = _runs(agents, fc, _config(email=_email(24)), 10)
    for r in runs:  # morning mail in the afternoon, evening mail the next morning: all done
        assert r.answered.sum() == r.offered.sum() > 0
        assert r.met.sum() == r.eligible.sum() == r.offered.sum()
    result = simulate(agents, fc, _config(email=_email(2)), GRID, replications=5,
                      level_uncertainty=False)
    first = result.daily.iloc[0]
    assert first.answered == first.offered
    assert first.service_level < 0.5  # most of it waited longer than two hours


def test_level_uncertainty_reproduces_the_80_percent_bounds() -> None:
    index = _index()
    volume = _window(index, 8, 18, 25.0)  # 1000 a day
    fc = _forecast(index, {"voice": volume})
    fc["volume_lo80"], fc["volume_hi80"] = fc.volume * 0.8, fc.volume * 1.3
    agents = _schedule(index, {"voice": _window(index, 8, 18, 1).astype(int)})
    model, _ = _prepare(agents, fc, _config(voice=_voice(patience=60)), GRID)
    totals = np.array([_replicate(model, s).offered.sum()
                       for s in np.random.SeedSequence(3).spawn(300)])
    # the day multiplier puts 10 % of days above hi80 and 10 % below lo80; Poisson noise
    # (sd ≈ 32 on 1000) widens that a little, 300 draws give a standard error of ≈ 0.017
    assert np.mean(totals > 1300) == pytest.approx(0.1, abs=0.06)
    assert np.mean(totals < 800) == pytest.approx(0.1, abs=0.06)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("activity", "unknown activity 'phone'"),
        ("channel", "unknown channel 'sms'"),
        ("gap", "no volume for channel 'voice'"),
        ("replications", "replications must be at least 1"),
    ],
)
def test_bad_input_is_a_data_error(change: str, message: str) -> None:
    index = _index()
    agents = _schedule(index, {"voice": _window(index, 8, 10, 2).astype(int)})
    fc = _forecast(index, {"voice": _window(index, 8, 10, 5.0)})
    replications = 2
    if change == "activity":
        agents.loc[40, "activity"] = "phone"
    elif change == "channel":
        fc.loc[3, "channel"] = "sms"
    elif change == "gap":
        fc = fc.drop(index=50)
    else:
        replications = 0
    with pytest.raises(DataError, match=message):
        simulate(agents, fc, _config(voice=_voice()), GRID, replications=replications)


def test_week_summary_weights_known_service_levels_by_offered() -> None:
    from wfm.simulate import week_summary

    daily = pd.DataFrame({
        "date": ["2026-06-01", "2026-06-02", "2026-06-03"], "channel": "email",
        "offered": [100.0, 300.0, 50.0], "answered": [100.0, 300.0, 0.0],
        "abandoned": [0.0, 0.0, 0.0], "service_level": [0.5, 0.9, float("nan")],
        "service_level_lo95": 0.0, "service_level_hi95": 1.0,
        "asa_seconds": [10.0, 30.0, float("nan")], "occupancy": [0.5, 0.7, 0.0],
        "p_miss_target": [1.0, 0.0, float("nan")]})

    (row,) = week_summary(daily).to_dict("records")

    assert row["offered"] == 450
    assert row["service_level"] == pytest.approx((0.5 * 100 + 0.9 * 300) / 400)  # day 3 unknown
    assert row["asa_seconds"] == pytest.approx((10 * 100 + 30 * 300) / 400)
    assert row["risky_days"] == 1


# -- skills-based routing --------------------------------------------------------------------------

def _two_queues(priority_b: float = 1.0) -> Config:
    """Two voice-like queues a and b with the same handle time; b's priority is given."""
    return _config(a=_voice(), b={**_voice(), "priority": priority_b})


def _split_staff(index: pd.DatetimeIndex, agents: int) -> pd.DataFrame:
    """Half the agents planned on queue a, half on b, 06:00-18:00."""
    half = _window(index, 6, 18, agents // 2).astype(int)
    return _schedule(index, {"a": half, "b": half})


def test_cross_skilled_agents_pool_into_one_erlang_c_queue() -> None:
    index = _index()
    load = 8.0  # Erlangs in all, 4 on each queue; 10 agents, 5 planned on each
    volume = _window(index, 6, 18, load / 2 * INTERVAL / AHT)
    agents = _split_staff(index, 10)
    skills = dict.fromkeys(agents["agent_id"].unique(), ("a", "b"))
    runs = _runs(agents, _forecast(index, {"a": volume, "b": volume}), _two_queues(), 120,
                 skills=skills)
    # every agent serves both queues: the pool is work-conserving, so the mean wait over both
    # queues is M/M/10's at 8 Erlangs whatever the order the queues are served in
    waits = np.array([r.wait_seconds[:, STEADY].sum() / r.answered[:, STEADY].sum() for r in runs])
    mean, se = waits.mean(), waits.std(ddof=1) / np.sqrt(len(waits))
    assert abs(mean - float(asa_seconds(load, 10, AHT))) < 3 * se
    split = _runs(agents, _forecast(index, {"a": volume, "b": volume}), _two_queues(), 40)
    split_wait = np.mean([r.wait_seconds[:, STEADY].sum() / r.answered[:, STEADY].sum()
                          for r in split])
    assert split_wait > 2 * mean  # two separate M/M/5 queues at 4 Erlangs wait far longer


def test_a_free_agent_takes_the_higher_priority_queue_first() -> None:
    index = _index()
    volume = _window(index, 6, 18, 2 * 6 * INTERVAL / AHT)  # each queue alone overloads them
    agents = _split_staff(index, 6)
    skills = dict.fromkeys(agents["agent_id"].unique(), ("a", "b"))
    runs = _runs(agents, _forecast(index, {"a": volume, "b": volume}), _two_queues(2.0), 10,
                 skills=skills)
    answered = np.sum([r.answered[:, STEADY].sum(axis=1) for r in runs], axis=0)
    assert answered[1] > 10 * answered[0]  # b (priority 2) is served, a starves


def test_agents_serve_only_their_skills_and_never_on_a_break() -> None:
    index = _index()
    config = _config(voice=_voice(), chat=_chat(2))
    staff = _window(index, 8, 16, 2).astype(int)
    agents = _schedule(index, {"voice": staff})
    volume = _window(index, 8, 16, 10.0)
    fc = _forecast(index, {"voice": volume, "chat": volume})
    by_plan = _runs(agents, fc, config, 3)
    chat_skill = _runs(agents, fc, config, 3, skills={"voice00": ("voice", "chat")})
    on_break = _runs(agents.assign(activity=agents["activity"].replace("voice", "break")), fc,
                     config, 3, skills={"voice00": ("voice", "chat")})
    assert all(r.answered[1].sum() == 0 for r in by_plan)  # nobody is planned on chat
    assert all(r.answered[1].sum() > 0 for r in chat_skill)  # voice00 has the chat skill
    assert all(r.answered.sum() == 0 for r in on_break)


def test_occupancy_stays_a_share_under_skills_routing() -> None:
    index = _index()
    config = _config(voice=_voice(), chat=_chat(2))
    agents = _schedule(index, {"voice": _window(index, 8, 16, 3).astype(int),
                               "chat": _window(index, 8, 16, 1).astype(int)})
    fc = _forecast(index, {"voice": _window(index, 8, 16, 4.0),
                           "chat": _window(index, 8, 16, 30.0)})
    skills = dict.fromkeys(agents["agent_id"].unique(), ("voice", "chat"))
    result = simulate(agents, fc, config, GRID, replications=5, seed=3, skills=skills,
                      level_uncertainty=False, workers=1)
    occupancy = result.intervals["occupancy"].dropna()
    assert ((occupancy >= 0) & (occupancy <= 1 + 1e-9)).all()
    chat = result.intervals[result.intervals["channel"] == "chat"]
    one_agent = 2 * 8 * 3600 / AHT  # two sessions for 8 hours: the planned chat agent's most
    assert chat["answered"].sum() > 1.2 * one_agent  # the voice agents take chats when free
