"""Erlang B/C/A against published values, exact rational arithmetic, properties and simulation."""

from __future__ import annotations

import heapq
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from wfm.staffing.erlang import (
    agents_for_target,
    asa_seconds,
    erlang_a_abandon_probability,
    erlang_b,
    erlang_c,
    occupancy,
    service_level,
)

# ---------------------------------------------------------------- independent references


def exact_b(traffic: float, agents: int) -> Fraction:
    """Erlang B from its defining sum, in exact rational arithmetic (big integers)."""
    a = Fraction(traffic)
    terms = [a**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def exact_c(traffic: float, agents: int) -> Fraction:
    """Erlang C = N·B / (N − A·(1 − B)), exactly."""
    a = Fraction(traffic)
    b = exact_b(traffic, agents)
    return agents * b / (agents - a * (1 - b))


def direct_chain_abandon(calls: float, aht: float, patience: float, agents: int,
                         interval: float, states: int = 4000) -> float:
    """Erlang A abandonment from the birth–death chain, summed state by state in floats."""
    lam, mu, theta = calls / interval, 1 / aht, 1 / patience
    log_p = [0.0]
    for k in range(1, states):
        death = min(k, agents) * mu + max(k - agents, 0) * theta
        log_p.append(log_p[-1] + math.log(lam / death))
    top = max(log_p)
    weights = [math.exp(v - top) for v in log_p]
    queue = sum(max(k - agents, 0) * w for k, w in enumerate(weights)) / sum(weights)
    return theta * queue / lam


# ---------------------------------------------------------------- published values


def test_erlang_b_matches_the_erlang_b_table() -> None:
    # Erlang B tables (e.g. Gross et al., Fundamentals of Queueing Theory): B(N=10, A=10) = 0.2146
    assert_allclose(erlang_b(10.0, 10), 0.2146, rtol=5e-4)


def test_erlang_c_matches_the_call_centre_helper_worked_example() -> None:
    # Call Centre Helper, "Erlang C formula - made simple with an easy worked example":
    # 100 calls in 30 min, AHT 180 s -> A = 10 Erlangs; probability of waiting for 11..14 agents.
    # The same figures are printed in pyworkforce's README (waiting_probability 0.1741... at 14).
    assert_allclose(erlang_c(10.0, [11, 12, 13, 14]), [0.6821, 0.4494, 0.2853, 0.1741], rtol=5e-4)


def test_service_level_and_staffing_match_pyworkforce_readme() -> None:
    # pyworkforce README: ErlangC(transactions=100, aht=3 min, asa=20 s, interval=30 min),
    # required_positions(service_level=0.8, max_occupancy=0.85) -> raw_positions 14,
    # service_level 0.8883500191794669, occupancy 0.7142857142857143.
    assert agents_for_target(10.0, 180.0, 0.8, 20.0, 0.85) == 14
    assert_allclose(service_level(10.0, 14, 180.0, 20.0), 0.8883500191794669, rtol=1e-12)
    assert_allclose(occupancy(10.0, 14), 0.7142857142857143, rtol=1e-15)


def test_360_calls_per_half_hour_example_against_exact_arithmetic() -> None:
    # The classic worked example (e.g. Westbay's "The Erlang-C formula" page): 360 calls per
    # half hour, 4-minute calls -> A = 360 * 240 / 1800 = 48 Erlangs, 55 agents, 15 s target.
    traffic = 360 * 240 / 1800
    assert traffic == 48.0
    c = float(exact_c(traffic, 55))
    assert_allclose(erlang_c(traffic, 55), c, rtol=1e-12)
    assert_allclose(asa_seconds(traffic, 55, 240.0), c * 240 / 7, rtol=1e-12)
    assert_allclose(service_level(traffic, 55, 240.0, 15.0), 1 - c * math.exp(-7 * 15 / 240),
                    rtol=1e-12)
    # 54 agents answer 79.3 % within 15 s, 55 agents 84.6 %: 55 is the least for 80/15
    assert agents_for_target(traffic, 240.0, 0.80, 15.0) == 55


@pytest.mark.parametrize("traffic", [0.5, 3.7, 25.0, 80.25])
def test_erlang_b_and_c_equal_exact_rational_values(traffic: float) -> None:
    agents = list(range(math.floor(traffic) + 1, math.floor(traffic) + 25))
    expected_b = np.array([float(exact_b(traffic, n)) for n in agents])
    expected_c = np.array([float(exact_c(traffic, n)) for n in agents])
    assert_allclose(erlang_b(traffic, agents), expected_b, rtol=1e-12)
    assert_allclose(erlang_c(traffic, agents), expected_c, rtol=1e-12)


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "agents"),
    [(100, 180, 60, 11), (100, 180, 600, 9), (400, 300, 120, 50), (100, 180, 180, 14)],
)
def test_erlang_a_equals_the_directly_summed_chain(calls: float, aht: float, patience: float,
                                                   agents: int) -> None:
    expected = direct_chain_abandon(calls, aht, patience, agents, 1800.0)
    got = erlang_a_abandon_probability(calls, aht, patience, agents, 1800.0)
    assert_allclose(got, expected, rtol=1e-9)


def test_edge_cases_follow_the_documented_conventions() -> None:
    assert_allclose(erlang_b([0.0, 0.0, 5.0], [0, 3, 0]), [1.0, 0.0, 1.0])
    assert_allclose(erlang_c([0.0, 5.0, 5.0], [0, 5, 4]), [0.0, 1.0, 1.0])
    assert_allclose(service_level([0.0, 5.0], [0, 5], 300.0, 20.0), [1.0, 0.0])
    assert_allclose(asa_seconds([0.0, 5.0], [0, 5], 300.0), [0.0, np.inf])
    assert_allclose(occupancy([5.0, 5.0, 0.0], [10, 2, 0]), [0.5, 1.0, np.nan])
    assert_allclose(erlang_a_abandon_probability([0.0, 40.0], 300.0, 60.0, [0, 0], 900.0),
                    [0.0, 1.0])
    assert_allclose(agents_for_target([0.0, 0.0], 300.0, 0.8, 20.0), [0, 0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(-1.0, 3), "traffic_erlangs"),
        (lambda: erlang_c(1.0, 2.5), "agents"),
        (lambda: service_level(1.0, 3, 0.0, 20.0), "aht_seconds"),
        (lambda: agents_for_target(1.0, 300.0, 1.2, 20.0), "service_level"),
        (lambda: agents_for_target(1.0, 300.0, 0.8, 20.0, 0.0), "max_occupancy"),
        (lambda: erlang_a_abandon_probability(1.0, 300.0, np.inf, 3, 900.0), "patience"),
    ],
)
def test_bad_arguments_are_named(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# ---------------------------------------------------------------- properties

traffic_st = st.floats(min_value=0.01, max_value=300.0, allow_nan=False)
aht_st = st.floats(min_value=10.0, max_value=1200.0)
answer_st = st.floats(min_value=0.0, max_value=120.0)


@given(traffic_st, aht_st, answer_st)
def test_service_level_is_a_probability_rising_with_agents(traffic: float, aht: float,
                                                           answer: float) -> None:
    agents = np.arange(0, math.ceil(traffic) + 60)
    sl = service_level(traffic, agents, aht, answer)
    assert np.all((sl >= 0) & (sl <= 1))
    assert np.all(np.diff(sl) >= -1e-12)


@given(traffic_st, aht_st, st.floats(min_value=0.05, max_value=0.99), answer_st,
       st.floats(min_value=0.5, max_value=1.0))
def test_agents_for_target_is_the_least_feasible_staffing(
    traffic: float, aht: float, target: float, answer: float, cap: float
) -> None:
    n = int(agents_for_target(traffic, aht, target, answer, cap))
    assert n > traffic
    assert traffic / n <= cap * (1 + 1e-12)
    assert service_level(traffic, n, aht, answer) >= target - 1e-12
    smaller = n - 1
    if smaller > traffic and traffic / smaller <= cap:
        assert service_level(traffic, smaller, aht, answer) < target


@given(
    st.lists(st.floats(min_value=0.0, max_value=400.0), min_size=1, max_size=20),
    st.floats(min_value=0.5, max_value=0.95),
)
def test_agents_for_target_is_vectorised_like_one_by_one(loads: list[float], cap: float) -> None:
    together = agents_for_target(loads, 240.0, 0.8, 20.0, cap)
    alone = [int(agents_for_target(a, 240.0, 0.8, 20.0, cap)) for a in loads]
    assert together.tolist() == alone


@given(
    st.floats(min_value=0.1, max_value=500.0),  # calls per interval
    aht_st,
    st.floats(min_value=5.0, max_value=3600.0),  # patience
)
@settings(deadline=None)
def test_erlang_a_abandonment_is_a_probability_falling_with_agents(calls: float, aht: float,
                                                                   patience: float) -> None:
    traffic = calls * aht / 900.0
    agents = np.arange(0, math.ceil(traffic) + 30)
    p = erlang_a_abandon_probability(calls, aht, patience, agents, 900.0)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) <= 1e-12)


@given(st.floats(min_value=0.5, max_value=60.0), st.floats(min_value=1.1, max_value=2.0))
@settings(deadline=None)
def test_erlang_a_abandonment_vanishes_as_patience_grows(traffic: float, headroom: float) -> None:
    agents = math.ceil(traffic * headroom)
    calls = traffic * 900.0 / 300.0
    p = erlang_a_abandon_probability(calls, 300.0, [300.0, 3e4, 3e7], agents, 900.0)
    assert np.all(np.diff(p) < 0)
    # for large patience, P(abandon) ≈ θ·E[wait] = ASA / patience (Erlang C)
    assert_allclose(p[-1], asa_seconds(traffic, agents, 300.0) / 3e7, rtol=0.01)


# ---------------------------------------------------------------- stability and speed


def test_five_thousand_erlangs_is_finite_and_silent() -> None:
    traffic = np.array([4000.0, 5000.0, 5000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n = agents_for_target(traffic, 300.0, [0.8, 0.8, 0.95], 20.0, 0.98)
        results = [
            erlang_b(traffic, n),
            erlang_c(traffic, n),
            service_level(traffic, n, 300.0, 20.0),
            asa_seconds(traffic, n, 300.0),
            occupancy(traffic, n),
            erlang_a_abandon_probability(traffic * 3, 300.0, 180.0, n, 900.0),
        ]
    assert np.all(n > traffic)
    assert np.all(n < traffic + 150)  # square-root staffing: a few sqrt(A) above the load
    for values in results:
        assert np.all(np.isfinite(values))


# ---------------------------------------------------------------- simulation cross-checks


def simulate_fifo(rng: np.random.Generator, calls: int, rate: float, agents: int,
                  mean_patience: float | None) -> tuple[np.ndarray, np.ndarray]:
    """FIFO M/M/N(+M) with unit mean service: each call's wait and whether it abandoned.

    Calls are served in arrival order; a call that would wait longer than its patience leaves
    and never occupies an agent, so the earliest free agent among those committed so far is
    exactly when the call would start.
    """
    arrivals = np.cumsum(rng.exponential(1 / rate, calls))
    service = rng.exponential(1.0, calls)
    patience = (np.full(calls, np.inf) if mean_patience is None
                else rng.exponential(mean_patience, calls))
    free = [0.0] * agents
    waits = np.empty(calls)
    abandoned = np.zeros(calls, dtype=bool)
    for k in range(calls):
        wait = max(free[0] - arrivals[k], 0.0)
        if wait > patience[k]:
            abandoned[k] = True
            waits[k] = patience[k]
            continue
        heapq.heapreplace(free, arrivals[k] + wait + service[k])
        waits[k] = wait
    return waits, abandoned


def test_erlang_c_agrees_with_an_mm_n_simulation() -> None:
    waits, _ = simulate_fifo(np.random.default_rng(20261207), 60_000, 8.0, 10, None)
    waited = np.mean(waits[5_000:] > 0)
    assert abs(waited - float(erlang_c(8.0, 10))) <= 0.03
    within = np.mean(waits[5_000:] <= 0.1)  # T = 0.1 mean handle times
    assert abs(within - float(service_level(8.0, 10, 1.0, 0.1))) <= 0.03


def test_erlang_a_agrees_with_an_mm_n_m_simulation() -> None:
    _, abandoned = simulate_fifo(np.random.default_rng(7), 60_000, 10.0, 10, 1.0)
    expected = float(erlang_a_abandon_probability(10.0, 1.0, 1.0, 10, 1.0))
    assert abs(np.mean(abandoned[5_000:]) - expected) <= 0.02
