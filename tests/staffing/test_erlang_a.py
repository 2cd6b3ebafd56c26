"""Erlang A (M/M/N+M) against simulation, an independent Markov-chain method and Erlang C."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.linalg import expm
from scipy.stats import norm, t

from wfm.staffing.erlang_a import QueueMetrics, erlang_a_metrics, service_level_by_definition
from wfm.staffing.targets import staffing_metrics

AHT = 300.0
INTERVAL = 900.0

# ---------------------------------------------------------------- independent references


def simulate(rng: np.random.Generator, calls: int, traffic: float, agents: int,
             patience: float) -> tuple[np.ndarray, np.ndarray]:
    """FIFO M/M/N+M event simulation: each caller's offered wait and patience, in seconds.

    A caller is served in arrival order once an agent is free, unless their patience runs out
    first; abandoning callers never hold an agent. So the offered wait (the wait of an
    infinitely patient caller) is the time until the earliest agent frees up among those
    committed to the callers served before, kept in a heap of agent free times.
    """
    arrivals = np.cumsum(rng.exponential(AHT / traffic, calls))
    handle = rng.exponential(AHT, calls)
    patience_draws = rng.exponential(patience, calls)
    free = [0.0] * agents
    offered = np.empty(calls)
    for k in range(calls):
        wait = max(free[0] - arrivals[k], 0.0)
        offered[k] = wait
        if wait < patience_draws[k]:
            heapq.heapreplace(free, arrivals[k] + wait + handle[k])
    return offered, patience_draws


def chain_reference(calls: float, aht: float, patience: float, agents: int, answer: float,
                    short: float, states: int = 300) -> dict[str, float]:
    """The same metrics by a different method: state by state, with matrix exponentials.

    The stationary distribution is summed state by state. A caller who finds ``j`` waiting is
    followed as a small Markov chain (callers ahead of them: ``m → m − 1`` at rate
    ``Nμ + mθ``; served from ``m = 0`` at rate ``Nμ``; abandons at rate ``θ`` throughout);
    ``expm(Q t)`` gives the probabilities of being served or having abandoned by ``t``, and
    the expected time spent in each state, weighted by the chance of being served from there,
    gives the mean wait of answered callers.
    """
    lam, mu, theta = calls / INTERVAL, 1 / aht, 1 / patience
    log_p = np.zeros(states)
    for k in range(1, states):
        log_p[k] = log_p[k - 1] + math.log(lam / (min(k, agents) * mu + max(k - agents, 0) * theta))
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queue = states - agents
    served, gone = queue, queue + 1
    q = np.zeros((queue + 2, queue + 2))
    for m in range(queue):
        q[m, m - 1 if m else served] = agents * mu + m * theta
        q[m, gone] = theta
        q[m, m] = -q[m].sum()
    arrive = p[agents:]

    def by(time: float) -> tuple[float, float]:
        moved = arrive @ expm(q * time)[:queue]
        return float(moved[served]), float(moved[gone])

    no_wait = float(p[:agents].sum())
    served_t, gone_t = by(answer)
    served_all, gone_all = by(200 * max(aht, patience))
    time_in = -np.linalg.solve(q[:queue, :queue].T, arrive)
    to_service = agents * mu / (agents * mu + (np.arange(queue) + 1) * theta)
    return {
        "p_wait": 1 - no_wait,
        "abandon_probability": gone_all,
        "answered_within": no_wait + served_t,
        "abandoned_within": gone_t,
        "abandoned_short": by(short)[1],
        "asa_seconds": float(time_in @ to_service) / (no_wait + served_all),
    }


# ---------------------------------------------------------------- exactness


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "agents", "answer", "short"),
    [
        (100, 180, 60, 11, 20, 5),  # moderate load
        (100, 180, 600, 9, 20, 10),  # overloaded: N < A
        (40, 300, 120, 12, 30, 3),
        (10, 600, 30, 3, 60, 20),  # patience far below the handle time
        (30, 240, 90, 6, 15, 40),  # short-abandon threshold beyond T
    ],
)
def test_metrics_equal_an_independent_markov_chain_computation(
    calls: float, aht: float, patience: float, agents: int, answer: float, short: float
) -> None:
    expected = chain_reference(calls, aht, patience, agents, answer, short)
    got = erlang_a_metrics(calls, aht, patience, agents, INTERVAL, answer,
                           short_abandon_seconds=short)
    for name, value in expected.items():
        # probabilities come from differences of O(1) terms: absolute accuracy ~1e-15
        assert_allclose(getattr(got, name), value, rtol=1e-10, atol=1e-13, err_msg=name)


def test_answered_and_abandoned_add_up_and_occupancy_is_carried_load() -> None:
    calls = np.array([10.0, 100.0, 400.0, 3000.0])
    agents = np.array([3, 30, 120, 900])
    m = erlang_a_metrics(calls, AHT, 120.0, agents, INTERVAL, 1e7)  # T beyond any wait
    assert_allclose(m.answered_within + m.abandoned_within, 1.0, rtol=1e-12)
    traffic = calls * AHT / INTERVAL
    assert_allclose(m.occupancy, traffic * (1 - m.abandon_probability) / agents, rtol=1e-12)


# ---------------------------------------------------------------- simulation


SIM_CASES = [(a, n, p) for a in (5, 20) for n in (a, a + 3) for p in (60.0, 300.0)]
SIM_CALLS = 500_000
SIM_WARMUP = 5_000
BATCHES = 25
# 99 % simultaneous (Bonferroni) intervals over the 8 cases x 4 metrics checked here
Z_SIMULTANEOUS = float(t.ppf(1 - 0.01 / (2 * len(SIM_CASES) * 4), BATCHES - 1))


@pytest.mark.parametrize(("traffic", "agents", "patience"), SIM_CASES)
def test_metrics_lie_in_the_confidence_intervals_of_a_simulation(
    traffic: float, agents: int, patience: float
) -> None:
    seed = int(1000 * traffic + 10 * agents + patience)
    offered, patience_draws = simulate(np.random.default_rng(seed), SIM_CALLS, traffic, agents,
                                       patience)
    offered, patience_draws = offered[SIM_WARMUP:], patience_draws[SIM_WARMUP:]
    answered = offered < patience_draws
    per_call = {
        "p_wait": offered > 0,
        "abandon_probability": ~answered,
        "service_level": answered & (offered <= 20.0),
    }
    model = erlang_a_metrics(traffic * INTERVAL / AHT, AHT, patience, agents, INTERVAL, 20.0)
    for name, outcome in per_call.items():
        batch = outcome.reshape(BATCHES, -1).mean(axis=1)
        half = Z_SIMULTANEOUS * batch.std(ddof=1) / math.sqrt(BATCHES)
        assert abs(float(getattr(model, name)) - batch.mean()) <= half, name
    # ASA is a ratio (total wait of answered / answered): the mean of the batch ratios, whose
    # bias (of order 1 / batch size) is far inside the interval
    waits = np.where(answered, offered, 0.0).reshape(BATCHES, -1).sum(axis=1)
    asa = waits / answered.reshape(BATCHES, -1).sum(axis=1)
    half = Z_SIMULTANEOUS * asa.std(ddof=1) / math.sqrt(BATCHES)
    assert abs(float(model.asa_seconds) - asa.mean()) <= half


def test_simulation_intervals_are_tight_enough_to_mean_something() -> None:
    offered, patience_draws = simulate(np.random.default_rng(1), SIM_CALLS, 20.0, 20, 60.0)
    abandoned = (offered >= patience_draws)[SIM_WARMUP:].reshape(BATCHES, -1).mean(axis=1)
    assert Z_SIMULTANEOUS * abandoned.std(ddof=1) / math.sqrt(BATCHES) < 0.005
    assert norm.ppf(0.995) < Z_SIMULTANEOUS


# ---------------------------------------------------------------- Erlang C as the limit


@pytest.mark.parametrize(("traffic", "agents"), [(2.0, 5), (10.0, 15), (50.0, 60), (300.0, 320),
                                                  (1000.0, 1040)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(traffic: float, agents: int) -> None:
    calls = traffic * INTERVAL / AHT
    c = staffing_metrics(calls, AHT, agents, INTERVAL, 20.0)
    a = erlang_a_metrics(calls, AHT, 1e9, agents, INTERVAL, 20.0)
    for name in ("p_wait", "service_level", "asa_seconds", "occupancy", "answered_within"):
        assert_allclose(getattr(a, name), getattr(c, name), rtol=1e-6, err_msg=name)
    # and abandonment ≈ θ·E[wait] = ASA / patience
    assert_allclose(a.abandon_probability, c.asa_seconds / 1e9, rtol=1e-5)


@pytest.mark.parametrize(("traffic", "agents"), [(0.5, 1), (10.0, 11), (50.0, 53)])
def test_the_gap_to_erlang_c_shrinks_like_one_over_patience(traffic: float, agents: int) -> None:
    calls = traffic * INTERVAL / AHT
    c = staffing_metrics(calls, AHT, agents, INTERVAL, 20.0)
    gaps = [abs(erlang_a_metrics(calls, AHT, p, agents, INTERVAL, 20.0).asa_seconds
                / c.asa_seconds - 1) for p in (1e8, 1e10, 1e12)]
    assert_allclose([gaps[0] / gaps[1], gaps[1] / gaps[2]], 100.0, rtol=0.01)
    assert gaps[2] < 1e-8


# ---------------------------------------------------------------- definitions and conventions


def test_service_level_definitions_by_hand() -> None:
    # 70 % answered within T, 10 % abandoned within T of which 4 % within S, 20 % abandoned
    args = (0.7, 0.1, 0.04, 0.2)
    assert_allclose(service_level_by_definition(*args), 0.7 / 0.96)
    assert_allclose(service_level_by_definition(*args, "ignore"), 0.7 / 0.8)
    assert_allclose(service_level_by_definition(*args, "met"), (0.7 + 0.06) / 0.96)
    assert_allclose(service_level_by_definition(0.0, 0.5, 0.5, 1.0, "ignore"), np.nan)
    with pytest.raises(ValueError, match="definition must be one of"):
        service_level_by_definition(*args, "strict")  # type: ignore[arg-type]


def test_definitions_order_and_erlang_c_has_just_one() -> None:
    m = erlang_a_metrics(100.0, AHT, 60.0, np.arange(20, 40), INTERVAL, 20.0,
                         short_abandon_seconds=5.0)
    against, ignore, met = (m.service_level_as(d) for d in ("count_against", "ignore", "met"))
    assert np.all(against <= ignore)
    assert np.all(against <= met)
    assert_allclose(m.service_level, against)
    c = staffing_metrics(100.0, AHT, 40, INTERVAL, 20.0, definition="ignore")
    assert c.service_level_as("met") == c.service_level == c.service_level_as("count_against")


def test_no_calls_and_no_agents_follow_the_documented_conventions() -> None:
    m = erlang_a_metrics([0.0, 0.0, 30.0], AHT, 60.0, [0, 4, 0], INTERVAL, 20.0,
                         short_abandon_seconds=5.0, definition="met")
    assert_allclose(m.p_wait, [0, 0, 1])
    assert_allclose(m.abandon_probability, [0, 0, 1])
    assert_allclose(m.service_level[:2], [1, 1])
    assert_allclose(m.abandoned_within[2], 1 - math.exp(-20 / 60))
    assert_allclose(m.service_level[2], (math.exp(-5 / 60) - math.exp(-20 / 60))
                    / math.exp(-5 / 60))
    assert_allclose(m.asa_seconds, [0, 0, np.nan])
    assert_allclose(m.occupancy, [np.nan, 0, np.nan])
    assert isinstance(m, QueueMetrics)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience_seconds": np.inf}, "patience_seconds"),
        ({"patience_seconds": 0.0}, "patience_seconds"),
        ({"calls": -1.0}, "calls"),
        ({"aht_seconds": 0.0}, "aht_seconds"),
        ({"agents": 2.5}, "agents"),
        ({"answer_seconds": np.nan}, "answer_seconds"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, float], message: str) -> None:
    args = {"calls": 10.0, "aht_seconds": AHT, "patience_seconds": 60.0, "agents": 3,
            "interval_seconds": INTERVAL, "answer_seconds": 20.0} | kwargs
    with pytest.raises(ValueError, match=message):
        erlang_a_metrics(**args)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties

calls_st = st.floats(min_value=0.5, max_value=3000.0)
patience_st = st.floats(min_value=5.0, max_value=3600.0)
seconds_st = st.floats(min_value=0.0, max_value=120.0)


@given(calls_st, st.floats(min_value=30.0, max_value=1200.0), patience_st, seconds_st, seconds_st)
@settings(deadline=None, max_examples=60)
def test_more_agents_never_hurt(calls: float, aht: float, patience: float, answer: float,
                                short: float) -> None:
    traffic = calls * aht / INTERVAL
    agents = np.arange(1, math.ceil(traffic + 4 * math.sqrt(traffic)) + 10)
    m = erlang_a_metrics(calls, aht, patience, agents, INTERVAL, answer,
                         short_abandon_seconds=short)
    slack = 1e-9
    for definition in ("count_against", "ignore", "met"):
        sl = m.service_level_as(definition)  # type: ignore[arg-type]
        assert np.all((sl >= 0) & (sl <= 1))
        assert np.all(np.diff(sl) >= -slack), definition
    assert np.all(np.diff(m.asa_seconds) <= slack * m.asa_seconds[:-1] + 1e-12)
    assert np.all(np.diff(m.abandon_probability) <= slack)
    assert np.all(np.diff(m.p_wait) <= slack)
    assert np.all(np.diff(m.occupancy) <= slack)
    assert np.all(m.abandoned_short <= m.abandon_probability + 1e-15)


@given(st.lists(st.tuples(calls_st, patience_st, st.integers(0, 400)), min_size=1, max_size=12),
       st.data())
@settings(deadline=None, max_examples=40)
def test_results_do_not_depend_on_how_intervals_are_batched(
    rows: list[tuple[float, float, int]], data: st.DataObject
) -> None:
    calls, patience, agents = (np.array(v) for v in zip(*rows, strict=True))
    whole = erlang_a_metrics(calls, AHT, patience, agents, INTERVAL, 20.0,
                             short_abandon_seconds=5.0)
    cut = data.draw(st.integers(0, len(rows)))
    parts = [erlang_a_metrics(calls[s], AHT, patience[s], agents[s], INTERVAL, 20.0,
                              short_abandon_seconds=5.0) for s in (slice(0, cut), slice(cut, None))]
    for name in ("p_wait", "abandon_probability", "service_level", "asa_seconds", "occupancy"):
        joined = np.concatenate([getattr(p, name) for p in parts])
        np.testing.assert_array_equal(joined, getattr(whole, name), err_msg=name)
