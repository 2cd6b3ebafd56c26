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

from wfm.staffing.erlang import asa_seconds, erlang_b, erlang_c, occupancy, service_level
from wfm.staffing.erlang_a import erlang_a_abandon_probability
from wfm.staffing.targets import (
    agents_for_target,
    agents_for_targets,
    fractional_agents_for_targets,
    staffing_metrics,
    validate_staffing_inputs,
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


# ---------------------------------------------------------------- Erlang B/C at any size


def recursion_b(traffic: float, agents: int) -> float:
    """Erlang B by the textbook recursion from B(0) = 1, one agent at a time."""
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [(50_000.0, 50_200), (50_000.0, 55_000), (50_000.0, 49_000), (50_000.0, 45_000),
     (5_000.0, 2_000), (4_321.5, 4_400), (0.001, 1), (0.5, 40), (59_000.3, 60_000)],
)
def test_erlang_b_equals_the_recursion_at_any_size(traffic: float, agents: int) -> None:
    # far below the load (45,000 of 50,000 Erlangs) the sum 1/B is added up directly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = erlang_b(traffic, agents)
    assert_allclose(got, recursion_b(traffic, agents), rtol=1e-12)


@given(st.floats(min_value=0.05, max_value=60.0), st.integers(min_value=0, max_value=30))
@settings(max_examples=40, deadline=None)
def test_erlang_c_equals_exact_rational_arithmetic(traffic: float, extra: int) -> None:
    agents = math.floor(traffic) + 1 + extra
    assert_allclose(erlang_c(traffic, agents), float(exact_c(traffic, agents)), rtol=1e-12)
    assert_allclose(erlang_b(traffic, agents), float(exact_b(traffic, agents)), rtol=1e-12)


def test_agents_for_target_matches_an_exact_linear_search() -> None:
    rng = np.random.default_rng(4)
    for traffic in rng.uniform(0.2, 40.0, 15):
        n = math.floor(traffic) + 1
        while 1 - float(exact_c(traffic, n)) * math.exp(-(n - traffic) * 20 / 240) < 0.85:
            n += 1
        assert agents_for_target(traffic, 240.0, 0.85, 20.0) == n


def test_fifty_thousand_erlangs_staff_sensibly_and_silently() -> None:
    traffic = 50_000.0
    calls = traffic * 900.0 / 300.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n_c = int(agents_for_target(traffic, 300.0, 0.8, 20.0))
        n_multi = int(agents_for_targets(calls, 300.0, 900.0, service_level=0.95,
                                         answer_seconds=20.0, max_asa_seconds=5.0))
        n_a = int(agents_for_targets(calls, 300.0, 900.0, service_level=0.8, answer_seconds=20.0,
                                     patience_seconds=180.0))
        n_ab = int(agents_for_targets(calls, 300.0, 900.0, patience_seconds=180.0,
                                      max_abandon=0.05))
        metrics = [staffing_metrics(calls, 300.0, n, 900.0, 20.0, p)
                   for n, p in ((n_c, None), (n_a, 180.0), (60_000, 180.0), (60_000, None))]
        b_top = erlang_b(traffic, 60_000)
    root = math.sqrt(traffic)
    assert traffic < n_c < traffic + root  # square-root staffing: β ≈ 0.1 for 80/20 here
    assert traffic < n_multi < traffic + 3 * root
    # With impatient callers a large queue runs efficiency-driven (Whitt's fluid model): with
    # N < A agents, a share 1 - N/A abandons and the others all wait about ln(A/N) * patience.
    # 80 % within 20 s (abandons count against) is met once that wait is under 20 s, i.e. at
    # N = A * exp(-20 / 180), and 5 % abandonment at N = 0.95 A; both up to O(sqrt A).
    assert abs(n_a - traffic * math.exp(-20 / 180)) < 3 * root
    assert abs(n_ab - 0.95 * traffic) < 3 * root
    assert 0.0 <= float(b_top) < 1e-300
    for m in metrics:
        for name in ("p_wait", "abandon_probability", "service_level", "asa_seconds"):
            assert np.all(np.isfinite(getattr(m, name))), name


# ---------------------------------------------------------------- the reverse calculation


def test_staffing_metrics_under_erlang_c_agree_with_the_formulas() -> None:
    calls = np.array([0.0, 30.0, 300.0, 3000.0])
    agents = np.array([2, 12, 105, 1010])
    traffic = calls * 300.0 / 900.0
    m = staffing_metrics(calls, np.array([0.0, 300.0, 300.0, 300.0]), agents, 900.0, 20.0)
    assert_allclose(m.p_wait, erlang_c(traffic, agents))
    assert_allclose(m.service_level, service_level(traffic, agents, 300.0, 20.0))
    assert_allclose(m.asa_seconds, asa_seconds(traffic, agents, 300.0))
    assert_allclose(m.occupancy, occupancy(traffic, agents))
    assert_allclose(m.abandon_probability, 0.0)
    m_a = staffing_metrics(calls[1:], 300.0, agents[1:], 900.0, 20.0, 120.0)
    assert_allclose(m_a.abandon_probability,
                    erlang_a_abandon_probability(calls[1:], 300.0, 120.0, agents[1:], 900.0))


# ---------------------------------------------------------------- multi-target search


def test_each_target_can_bind() -> None:
    base = {"calls": 300.0, "aht_seconds": 300.0, "interval_seconds": 900.0}
    sl = int(agents_for_targets(**base, service_level=0.8, answer_seconds=20.0))
    assert sl == agents_for_target(100.0, 300.0, 0.8, 20.0)
    asa = int(agents_for_targets(**base, max_asa_seconds=2.0))
    occ = int(agents_for_targets(**base, max_occupancy=0.8))
    assert occ == 125
    both = int(agents_for_targets(**base, service_level=0.8, answer_seconds=20.0,
                                  max_asa_seconds=2.0, max_occupancy=0.8))
    assert both == max(sl, asa, occ)
    assert int(agents_for_targets(**base, max_abandon=0.01)) == 101  # nobody abandons in C
    patient = int(agents_for_targets(**base, service_level=0.8, answer_seconds=20.0,
                                     patience_seconds=1e9))
    assert patient == sl
    impatient = int(agents_for_targets(**base, service_level=0.8, answer_seconds=20.0,
                                       patience_seconds=60.0))
    assert impatient <= sl  # callers who give up shorten the queue for the others


targets_st = st.fixed_dictionaries(
    {},
    optional={
        "service_level": st.floats(min_value=0.05, max_value=0.99),
        "max_asa_seconds": st.floats(min_value=1.0, max_value=120.0),
        "max_abandon": st.floats(min_value=0.005, max_value=0.3),
        "max_occupancy": st.floats(min_value=0.5, max_value=1.0),
    },
).filter(bool)


@given(
    st.floats(min_value=0.5, max_value=2000.0),
    st.floats(min_value=30.0, max_value=900.0),
    targets_st,
    st.one_of(st.none(), st.floats(min_value=10.0, max_value=1800.0)),
    st.sampled_from(["count_against", "ignore", "met"]),
    st.floats(min_value=0.0, max_value=15.0),
)
@settings(max_examples=60, deadline=None)
def test_agents_for_targets_is_the_least_staffing_meeting_every_target(
    calls: float, aht: float, targets: dict[str, float], patience: float | None,
    definition: str, short: float
) -> None:
    args = {"answer_seconds": 20.0, "patience_seconds": patience, "definition": definition,
            "short_abandon_seconds": short, **targets}
    n = int(agents_for_targets(calls, aht, 900.0, **args))  # type: ignore[arg-type]
    frac = float(fractional_agents_for_targets(calls, aht, 900.0, **args))  # type: ignore[arg-type]
    traffic = calls * aht / 900.0
    assert n >= 1
    if patience is None:
        assert n > traffic
    assert n - 1 <= frac <= n

    def meets(agents: int) -> bool:
        if patience is None and agents <= traffic:
            return False
        if agents == 0:
            return False
        m = staffing_metrics(calls, aht, agents, 900.0, 20.0, patience,
                             definition=definition,  # type: ignore[arg-type]
                             short_abandon_seconds=short)
        ok = True
        if "service_level" in targets:
            ok &= bool(m.service_level >= targets["service_level"] - 1e-12)
        if "max_asa_seconds" in targets:
            ok &= bool(m.asa_seconds <= targets["max_asa_seconds"] * (1 + 1e-12))
        if "max_abandon" in targets:
            ok &= bool(m.abandon_probability <= targets["max_abandon"] + 1e-12)
        if "max_occupancy" in targets:
            ok &= bool(m.occupancy <= targets["max_occupancy"] * (1 + 1e-12))
        return ok

    assert meets(n)
    assert not meets(n - 1)


def test_fractional_requirement_interpolates_the_binding_target() -> None:
    calls, aht = 400.0, 300.0
    n = int(agents_for_targets(calls, aht, 900.0, service_level=0.8, answer_seconds=20.0))
    frac = float(fractional_agents_for_targets(calls, aht, 900.0, service_level=0.8,
                                               answer_seconds=20.0))
    below, at = service_level(calls * aht / 900.0, [n - 1, n], aht, 20.0)
    assert_allclose(frac, n - 1 + (0.8 - below) / (at - below))
    # occupancy binding: A / N linearly between N - 1 and N
    frac_occ = float(fractional_agents_for_targets(300.0, 300.0, 900.0, max_occupancy=0.85))
    n_occ = math.ceil(100 / 0.85)
    assert_allclose(frac_occ, n_occ - 1 + (0.85 - 100 / (n_occ - 1))
                    / (100 / n_occ - 100 / (n_occ - 1)))
    assert fractional_agents_for_targets(0.0, 0.0, 900.0, max_occupancy=0.85) == 0.0


@given(
    st.lists(st.floats(min_value=0.0, max_value=3000.0), min_size=1, max_size=15),
    st.one_of(st.none(), st.floats(min_value=20.0, max_value=600.0)),
    st.data(),
)
@settings(max_examples=40, deadline=None)
def test_staffing_does_not_depend_on_how_intervals_are_batched(
    volumes: list[float], patience: float | None, data: st.DataObject
) -> None:
    calls = np.array(volumes)
    cut = data.draw(st.integers(0, calls.size))
    kwargs = {"service_level": 0.8, "answer_seconds": 20.0, "max_abandon": 0.1,
              "patience_seconds": patience, "short_abandon_seconds": 3.0}
    for fn in (agents_for_targets, fractional_agents_for_targets):
        whole = fn(calls, 300.0, 900.0, **kwargs)  # type: ignore[operator]
        parts = [fn(calls[s], 300.0, 900.0, **kwargs)  # type: ignore[operator]
                 for s in (slice(0, cut), slice(cut, None))]
        np.testing.assert_array_equal(np.concatenate(parts), whole)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calls": [10.0, -1.0]}, r"calls must be .* \[0, inf\], got -1.0 at index \[1\]"),
        ({"calls": [np.nan]}, "calls must be finite"),
        ({"aht_seconds": [300.0, np.nan]}, "aht_seconds must be finite"),
        ({"aht_seconds": -5.0}, "aht_seconds"),
        ({"aht_seconds": [300.0, 0.0]}, r"aht_seconds must be > 0 where calls > 0, got 0.0 at"),
        ({"service_level": 0.0}, r"service_level must be finite and in \(0, 1\]"),
        ({"service_level": 1.5}, "service_level"),
        ({"max_abandon": 0.0}, "max_abandon"),
        ({"max_occupancy": 1.01}, "max_occupancy"),
        ({"max_asa_seconds": 0.0}, "max_asa_seconds"),
        ({"patience_seconds": -1.0}, "patience_seconds"),
        ({"interval_seconds": 0.0}, "interval_seconds"),
        ({"short_abandon_seconds": -1.0}, "short_abandon_seconds"),
        ({"answer_seconds": None}, "answer_seconds is required"),
    ],
)
def test_invalid_staffing_inputs_are_named(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"calls": [10.0, 20.0], "aht_seconds": 300.0,
                               "interval_seconds": 900.0, "service_level": 0.8,
                               "answer_seconds": 20.0} | kwargs
    with pytest.raises(ValueError, match=message):
        validate_staffing_inputs(**args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        agents_for_targets(**args)  # type: ignore[arg-type]


def test_zero_handle_time_is_fine_where_nothing_is_offered() -> None:
    got = agents_for_targets([0.0, 30.0], [0.0, 300.0], 900.0, service_level=0.8,
                             answer_seconds=20.0)
    assert got.tolist() == [0, int(agents_for_target(10.0, 300.0, 0.8, 20.0))]


def test_a_target_and_a_known_definition_are_required() -> None:
    with pytest.raises(ValueError, match="at least one target"):
        agents_for_targets(10.0, 300.0, 900.0)
    with pytest.raises(ValueError, match="definition must be one of"):
        agents_for_targets(10.0, 300.0, 900.0, max_occupancy=0.9,
                           definition="strict")  # type: ignore[arg-type]
