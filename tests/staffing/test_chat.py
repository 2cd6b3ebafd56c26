"""The chat pool (wfm.staffing.chat): reductions to Erlang C/A, the chain against a plain
state-by-state walk, the balanced-pool approximation against a simulation with least-loaded
routing, staffing."""

from __future__ import annotations

import datetime as dt
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wfm.config import config_from_dict
from wfm.errors import ConfigError
from wfm.staffing import agents_for_targets, requirements_for, staffing_metrics
from wfm.staffing.chat import chat_metrics, slowdown_factors
from wfm.timegrid import Grid

FIELDS = ("p_wait", "service_level", "asa_seconds", "occupancy", "abandon_probability")
EXAMPLE = Path(__file__).parents[2] / "configs" / "example.yaml"


def _same(a: object, b: object, rtol: float) -> None:
    for name in FIELDS:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("patience", [None, 150.0])
@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_equal_handle_times_are_erlang_with_n_times_c_servers(patience: float | None,
                                                              concurrency: int) -> None:
    calls = np.array([0.0, 10, 100, 300, 500, 40])
    agents = np.array([3, 0, 20, 40, 90, 1])
    pool = chat_metrics(calls, 300.0, agents, 900.0, 60.0, concurrency, None, patience)
    servers = staffing_metrics(calls, 300.0, agents * concurrency, 900.0, 60.0, patience)
    _same(pool, servers, 1e-12)
    # the same through the general chain, with a slow-down too small to matter
    times = [300.0] * (concurrency - 1) + [300.0 * (1 + 1e-12)]
    chain = chat_metrics(calls, 300.0, agents, 900.0, 60.0, concurrency, times, patience)
    _same(pool, chain, 1e-8)


def _stationary(lam: float, aht: float, n: int, factors: list[float], patience: float | None
                ) -> tuple[float, float, float]:
    """P(wait), occupancy per slot, P(abandon) of the balanced pool, state by state.

    The straightforward way: walk the chain up one state at a time with the balance equations
    ``π_s·μ(s) = π_{s−1}·λ`` in plain floats, truncated far into the queue.
    """
    c = len(factors)
    g = [0.0] + [k / f for k, f in enumerate(factors, start=1)]
    full = n * c
    pi = [1.0]
    for s in range(1, full + 3000):
        if s <= full:
            q, r = divmod(s, n)
            death = (r * g[min(q + 1, c)] + (n - r) * g[q]) / aht
        else:
            death = n * g[c] / aht + (s - full) * (0.0 if patience is None else 1 / patience)
        pi.append(pi[-1] * lam / death)
    total = sum(pi)
    p_wait = sum(pi[full:]) / total
    busy = sum(min(s, full) * p for s, p in enumerate(pi)) / total / full
    queue = sum((s - full) * p for s, p in enumerate(pi) if s > full) / total
    return p_wait, busy, 0.0 if patience is None else queue / patience / lam


@pytest.mark.parametrize(("calls", "agents", "times", "patience"), [
    (100.0, 17, [300, 350, 420], None),
    (60.0, 8, [300, 360, 450], 120.0),
    (50.0, 12, [300, 400], None),
    (200.0, 26, [300, 330, 380], 90.0),
    (5.0, 3, [300, 310, 330, 400], 600.0),
])
def test_chain_matches_a_state_by_state_walk(
        calls: float, agents: int, times: list[float], patience: float | None) -> None:
    factors = [t / times[0] for t in times]
    p_wait, occupancy, abandon = _stationary(calls / 900.0, 300.0, agents, factors, patience)
    m = chat_metrics(calls, 300.0, agents, 900.0, 60.0, len(times), times, patience)
    assert m.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert m.occupancy == pytest.approx(occupancy, rel=1e-10)
    assert m.abandon_probability == pytest.approx(abandon, rel=1e-9, abs=1e-300)


def _simulate(lam: float, aht: float, n: int, factors: list[float], patience: float | None,
              answer: float, arrivals: int, seed: int) -> tuple[float, float, float]:
    """Service level, P(wait), P(abandon) with least-loaded routing, agent by agent.

    Every rate is exponential, so the system is simulated as a Markov chain over each agent's
    load and the FIFO queue; unlike the model, agents are never rebalanced.
    """
    rng = np.random.default_rng(seed)
    c = len(factors)
    rate = np.array([0.0] + [k / f for k, f in enumerate(factors, start=1)]) / aht
    theta = 0.0 if patience is None else 1.0 / patience
    load = np.zeros(n, dtype=np.int64)
    queue: deque[tuple[float, bool]] = deque()
    t, count, warm = 0.0, 0, arrivals // 10
    offered = within = waited = abandoned = 0
    while count < arrivals + warm:
        per_agent = rate[load]
        service = per_agent.sum()
        total = lam + service + len(queue) * theta
        t += rng.exponential(1.0 / total)
        u = rng.random() * total
        if u < lam:
            count += 1
            counted = count > warm
            offered += counted
            i = int(np.argmin(load))
            if load[i] < c:
                load[i] += 1
                within += counted
            else:
                queue.append((t, counted))
                waited += counted
        elif u < lam + service:
            i = min(int(np.searchsorted(np.cumsum(per_agent), u - lam, side="right")), n - 1)
            if queue:
                arrived, counted = queue.popleft()
                within += counted and t - arrived <= answer
            else:
                load[i] -= 1
        else:
            j = int(rng.integers(len(queue)))
            abandoned += queue[j][1]
            del queue[j]
    return within / offered, waited / offered, abandoned / offered


@pytest.mark.parametrize(("calls", "agents", "times", "patience"), [
    (100.0, 17, [300, 350, 420], None),
    (200.0, 26, [300, 330, 380], 90.0),
])
def test_balanced_pool_is_close_to_least_loaded_routing(
        calls: float, agents: int, times: list[float], patience: float | None) -> None:
    factors = [t / times[0] for t in times]
    sl, p_wait, abandon = _simulate(calls / 900.0, 300.0, agents, factors, patience, 60.0,
                                    60_000, seed=3)
    m = chat_metrics(calls, 300.0, agents, 900.0, 60.0, len(times), times, patience)
    # the documented approximation: within 3 points (the slow-down itself moves SL by far more)
    assert m.service_level == pytest.approx(sl, abs=0.03)
    assert m.p_wait == pytest.approx(p_wait, abs=0.03)
    assert m.abandon_probability == pytest.approx(abandon, abs=0.01)
    no_slowdown = chat_metrics(calls, 300.0, agents, 900.0, 60.0, len(times), None, patience)
    assert no_slowdown.service_level - sl > 0.05


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(1.0, 400.0), aht=st.floats(60.0, 900.0),
       steps=st.lists(st.floats(1.0, 1.3), min_size=1, max_size=3),
       patience=st.one_of(st.none(), st.floats(30.0, 900.0)))
def test_staffing_is_minimal_and_slow_down_never_needs_fewer_agents(
        calls: float, aht: float, steps: list[float], patience: float | None) -> None:
    times = list(np.cumprod([1.0, *steps]))
    c = len(times)
    times = [min(t, times[k - 1] * (k + 1) / k) if k else t for k, t in enumerate(times)]
    kwargs = {"service_level": 0.8, "answer_seconds": 60.0, "max_occupancy": 0.9,
              "patience_seconds": patience, "concurrency": c}
    n = int(agents_for_targets(calls, aht, 900.0, aht_by_concurrency=times, **kwargs))
    at = chat_metrics(calls, aht, [n - 1, n, n + 1], 900.0, 60.0, c, times, patience)
    assert at.service_level[1] >= 0.8 - 1e-12
    assert at.occupancy[1] <= 0.9 + 1e-12
    assert at.service_level[0] < 0.8 or at.occupancy[0] > 0.9
    assert at.service_level[2] >= at.service_level[1] - 1e-12
    assert n >= int(agents_for_targets(calls, aht, 900.0, **kwargs))


@pytest.mark.parametrize(("times", "message"), [
    ([300, 350], "one handle time per level 1..3"),
    ([300, -1, 400], "positive"),
    ([300, 280, 400], "must not fall"),
    ([300, 700, 800], "fewer chats per hour than at level 1"),
])
def test_bad_handle_times_per_level_are_named(times: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        slowdown_factors(3, times)


def test_config_takes_handle_times_per_level_for_chat_only() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["channels"]["chat"]["aht_by_concurrency"] = [300, 350]
    config = config_from_dict(data, base_dir=EXAMPLE.parent)
    assert config.channels["chat"].aht_by_concurrency == (300.0, 350.0)
    data["channels"]["chat"]["aht_by_concurrency"] = [300, 350, 420]
    with pytest.raises(ConfigError, match=r"channels\.chat: aht_by_concurrency needs one"):
        config_from_dict(data, base_dir=EXAMPLE.parent)
    data["channels"]["chat"].pop("aht_by_concurrency")
    data["channels"]["voice"]["aht_by_concurrency"] = [300]
    with pytest.raises(ConfigError, match=r"channels\.voice: aht_by_concurrency applies to chat"):
        config_from_dict(data, base_dir=EXAMPLE.parent)


def test_requirements_staff_chat_as_a_pool_with_slow_down() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    plain = config_from_dict(data, base_dir=EXAMPLE.parent)
    data["channels"]["chat"]["aht_by_concurrency"] = [300, 360]
    slowed = config_from_dict(data, base_dir=EXAMPLE.parent)
    grid = Grid.from_config(plain)
    index = grid.intervals(dt.date(2026, 12, 7), 1)
    forecast = pd.DataFrame({"interval_start": index, "channel": "chat",
                             "volume": np.linspace(5.0, 120.0, index.size),
                             "aht_seconds": 300.0})
    before = requirements_for(plain.channels["chat"], forecast, grid)
    after = requirements_for(slowed.channels["chat"], forecast, grid)
    open_ = before["agents_required"].to_numpy() > 0
    assert (after["agents_required"] >= before["agents_required"]).all()
    assert (after["agents_required"] > before["agents_required"]).sum() > open_.sum() // 2
    assert (after.loc[open_, "service_level"] >= 0.8 - 1e-12).all()
    # each row is what chat_metrics says of its staffing
    rows = after.loc[open_]
    check = chat_metrics(rows["volume"], 300.0, rows["agents_required"], 900.0, 60.0, 2,
                         [300, 360])
    np.testing.assert_allclose(rows["service_level"], check.service_level, rtol=1e-12)
    np.testing.assert_allclose(rows["occupancy"], check.occupancy, rtol=1e-12)
