"""Staffing searches and the reverse calculation, under Erlang C or Erlang A.

* :func:`agents_for_targets` — the least ``N`` per interval meeting every given target at once
  (service level within T under an ACD definition, ASA, abandonment, occupancy);
  :func:`fractional_agents_for_targets` its fractional sibling; :func:`agents_for_target` the
  single service-level target under Erlang C.
* :func:`staffing_metrics` — the reverse: SL, ASA, abandonment and occupancy for given ``N``.

Searches bisect on ``N`` from a square-root-staffing bracket, ``O(log √A)`` vector evaluations;
every metric is monotone in ``N``, which makes bisection exact. Erlang C when no patience is
given (:mod:`wfm.staffing.erlang`), Erlang A otherwise (:mod:`wfm.staffing.erlang_a`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from wfm.staffing.chat import chat_metrics, slowdown_factors
from wfm.staffing.erlang import (
    _TOL,
    BoolArray,
    FloatArray,
    IntArray,
    ServiceLevelDefinition,
    _agents,
    _asa_from_c,
    _c_from_b,
    _definition,
    _fraction,
    _nonneg,
    _positive,
    _sl_from_c,
    log_erlang_b,
)
from wfm.staffing.erlang_a import QueueMetrics, erlang_a_metrics


def _erlang_c_metrics(a: FloatArray, n: IntArray, aht: FloatArray, answer: FloatArray,
                      definition: ServiceLevelDefinition) -> QueueMetrics:
    """The :class:`~wfm.staffing.erlang_a.QueueMetrics` of M/M/N (nobody abandons)."""

    c = _c_from_b(a, n, np.exp(log_erlang_b(a, n)))
    sl = _sl_from_c(a, n, c, aht, answer)
    zero = np.zeros(a.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a / n, 1.0), np.nan)
    return QueueMetrics(c, zero, sl, _asa_from_c(a, n, c, aht), occ, sl, zero, zero, definition)


def validate_staffing_inputs(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    interval_seconds: npt.ArrayLike = 1.0,
    *,
    service_level: npt.ArrayLike | None = None,
    answer_seconds: npt.ArrayLike | None = None,
    max_asa_seconds: npt.ArrayLike | None = None,
    max_abandon: npt.ArrayLike | None = None,
    max_occupancy: npt.ArrayLike | None = None,
    patience_seconds: npt.ArrayLike | None = None,
    short_abandon_seconds: npt.ArrayLike = 0.0,
) -> None:
    """Check workload and targets; raise :class:`ValueError` naming the first bad value.

    ``calls`` finite and ``>= 0``; ``aht_seconds`` finite and ``>= 0``, and ``> 0`` wherever
    ``calls > 0`` (NaN is rejected even where nothing is offered: fill it with 0);
    ``interval_seconds``, ``patience_seconds`` and ``max_asa_seconds`` finite and ``> 0``;
    ``service_level``, ``max_abandon`` and ``max_occupancy`` in ``(0, 1]``; ``answer_seconds``
    and ``short_abandon_seconds`` finite and ``>= 0``, ``answer_seconds`` required with a
    ``service_level``. The message gives the argument, the expected range, the value and its
    index. Pure numerics raise ``ValueError``; :func:`wfm.staffing.requirements` reports bad
    forecast rows as :class:`wfm.errors.DataError` before calling them.
    """
    vol, aht = np.broadcast_arrays(_nonneg(calls, "calls"), _nonneg(aht_seconds, "aht_seconds"))
    no_aht = (vol > 0) & (aht <= 0)
    if no_aht.any():
        found = aht[no_aht].flat[0].item()
        raise ValueError(f"aht_seconds must be > 0 where calls > 0, got {found!r} at index "
                         f"{np.argwhere(no_aht)[0].tolist()}")
    _positive(interval_seconds, "interval_seconds")
    _nonneg(short_abandon_seconds, "short_abandon_seconds")
    for name, value, check in (
        ("service_level", service_level, _fraction), ("max_abandon", max_abandon, _fraction),
        ("max_occupancy", max_occupancy, _fraction), ("answer_seconds", answer_seconds, _nonneg),
        ("max_asa_seconds", max_asa_seconds, _positive),
        ("patience_seconds", patience_seconds, _positive),
    ):
        if value is not None:
            check(value, name)
    if service_level is not None and answer_seconds is None:
        raise ValueError("answer_seconds is required with a service_level target, got None")


def staffing_metrics(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
    answer_seconds: npt.ArrayLike,
    patience_seconds: npt.ArrayLike | None = None,
    *,
    definition: ServiceLevelDefinition = "count_against",
    short_abandon_seconds: npt.ArrayLike = 0.0,
    concurrency: int = 1,
    aht_by_concurrency: Sequence[float] | None = None,
) -> QueueMetrics:
    """Service level, ASA, abandonment and occupancy achieved by a given staffing.

    Parameters
    ----------
    calls : array_like
        Calls offered per interval, ``>= 0``.
    aht_seconds : array_like
        Mean handle time, seconds; ``> 0`` where ``calls > 0`` (any ``>= 0`` value elsewhere).
    agents : array_like of int
        Agents ``N`` per interval.
    interval_seconds : array_like
        Interval length, seconds.
    answer_seconds : array_like
        Service-level threshold ``T``, seconds.
    patience_seconds : array_like, optional
        Mean patience ``1/θ``; ``None`` (default) uses Erlang C (M/M/N, nobody abandons),
        otherwise Erlang A (M/M/N+M, :func:`~wfm.staffing.erlang_a.erlang_a_metrics`).
    definition : {"count_against", "ignore", "met"}
        Service-level definition (:func:`~wfm.staffing.erlang_a.service_level_by_definition`).
    short_abandon_seconds : array_like, default 0
        Abandons within this many seconds are excluded from offered calls.
    concurrency : int, default 1
        Contacts an agent holds at once (chat); above 1, or with ``aht_by_concurrency``, the
        chat pool of :func:`~wfm.staffing.chat.chat_metrics` (``aht_seconds`` is then the
        handle time of a chat handled alone, and occupancy is per slot).
    aht_by_concurrency : sequence of float, optional
        Chat handle time per level ``1..concurrency`` (only ratios count).

    Returns
    -------
    QueueMetrics
        Steady-state metrics per interval; where ``calls = 0``: no wait, no abandonment,
        service level 1, ASA 0, occupancy 0 (NaN with no agents).
    """

    validate_staffing_inputs(calls, aht_seconds, interval_seconds, answer_seconds=answer_seconds,
                             patience_seconds=patience_seconds,
                             short_abandon_seconds=short_abandon_seconds)
    definition = _definition(definition)
    vol, aht, n, interval, answer = np.broadcast_arrays(
        np.asarray(calls, dtype=float), np.asarray(aht_seconds, dtype=float), _agents(agents),
        np.asarray(interval_seconds, dtype=float), np.asarray(answer_seconds, dtype=float))
    aht = np.where(vol > 0, aht, 1.0)  # any handle time will do where nothing is offered
    if concurrency != 1 or aht_by_concurrency is not None:
        return chat_metrics(vol, aht, n, interval, answer, concurrency, aht_by_concurrency,
                            patience_seconds, definition=definition,
                            short_abandon_seconds=short_abandon_seconds)
    if patience_seconds is not None:
        return erlang_a_metrics(vol, aht, patience_seconds, n, interval, answer,
                                definition=definition, short_abandon_seconds=short_abandon_seconds)
    return _erlang_c_metrics(vol * aht / interval, n, aht, answer, definition)


# ---------------------------------------------------------------- staffing searches


def _checks(m: QueueMetrics, goals: dict[str, FloatArray]
            ) -> list[tuple[FloatArray, FloatArray, BoolArray]]:
    """``(value, target, met)`` per given target, within the slack ``_TOL``; NaN never meets."""
    tests = {
        "service_level": (m.service_level, lambda v, g: v >= g - _TOL),
        "max_asa_seconds": (m.asa_seconds, lambda v, g: v <= g * (1 + _TOL)),
        "max_abandon": (m.abandon_probability, lambda v, g: v <= g + _TOL),
        "max_occupancy": (m.occupancy, lambda v, g: v <= g * (1 + _TOL)),
    }
    return [(tests[k][0], g, tests[k][1](tests[k][0], g)) for k, g in goals.items()]


def _bisect(feasible: Callable[[IntArray, IntArray], BoolArray], lo: IntArray, hi: IntArray,
            ceiling: IntArray) -> IntArray:
    """Least ``n > lo`` with ``feasible`` (``lo`` infeasible); the bracket ``(lo, hi]`` doubles
    until its top is feasible. Each row follows its own path, independent of the others."""
    lo, hi = lo.copy(), hi.copy()
    rows = np.arange(lo.size)
    while rows.size:
        rows = rows[~feasible(rows, hi[rows])]
        stuck = hi[rows] >= ceiling[rows]
        if stuck.any():
            at = int(rows[stuck][0])
            raise ValueError(f"no staffing up to {int(ceiling[at])} agents meets the targets "
                             f"at index {at}; check that they are attainable")
        gap = hi[rows] - lo[rows]
        lo[rows] = hi[rows]
        hi[rows] = np.minimum(hi[rows] + 2 * gap, ceiling[rows])
    rows = np.flatnonzero(hi - lo > 1)
    while rows.size:
        mid = (lo[rows] + hi[rows]) // 2
        ok = feasible(rows, mid)
        hi[rows[ok]], lo[rows[~ok]] = mid[ok], mid[~ok]
        rows = rows[hi[rows] - lo[rows] > 1]
    return hi


def _staff(calls: npt.ArrayLike, aht_seconds: npt.ArrayLike, interval_seconds: npt.ArrayLike,
           traffic: npt.ArrayLike | None, *, answer_seconds: npt.ArrayLike | None,
           patience_seconds: npt.ArrayLike | None, definition: ServiceLevelDefinition,
           short_abandon_seconds: npt.ArrayLike, concurrency: int = 1,
           aht_by_concurrency: Sequence[float] | None = None, **targets: npt.ArrayLike | None
           ) -> tuple[IntArray, FloatArray]:
    """Integer and fractional requirements; ``traffic`` overrides ``calls·AHT/interval``."""

    validate_staffing_inputs(calls, aht_seconds, interval_seconds, answer_seconds=answer_seconds,
                             patience_seconds=patience_seconds,
                             short_abandon_seconds=short_abandon_seconds, **targets)
    definition = _definition(definition)
    given = {k: v for k, v in targets.items() if v is not None}
    if not given:
        raise ValueError("at least one target is required (service_level, max_asa_seconds, "
                         "max_abandon or max_occupancy), got none")
    values = (calls, aht_seconds, interval_seconds, traffic, answer_seconds, patience_seconds,
              short_abandon_seconds, *given.values())
    arrays = np.broadcast_arrays(*(np.asarray(np.nan if v is None else v, dtype=float)
                                   for v in values))
    busy = np.flatnonzero(arrays[0].ravel() > 0)
    vol, aht, interval, a, answer, patience, short, *goal_rows = (v.ravel()[busy] for v in arrays)
    if traffic is None:
        a = vol * aht / interval
    answer = np.nan_to_num(answer)  # unused without a service-level target
    goals = dict(zip(given, goal_rows, strict=True))

    pooled = concurrency != 1 or aht_by_concurrency is not None
    # agents' throughput at full concurrency, in units of one chat handled alone (1 for voice)
    full_rate = concurrency / slowdown_factors(concurrency, aht_by_concurrency)[-1]

    def metrics(rows: IntArray, n: IntArray) -> QueueMetrics:
        if pooled:
            return chat_metrics(vol[rows], aht[rows], n, interval[rows], answer[rows],
                                concurrency, aht_by_concurrency,
                                None if patience_seconds is None else patience[rows],
                                definition=definition, short_abandon_seconds=short[rows])
        if patience_seconds is None:
            return _erlang_c_metrics(a[rows], n, aht[rows], answer[rows], definition)
        return erlang_a_metrics(vol[rows], aht[rows], patience[rows], n, interval[rows],
                                answer[rows], definition=definition,
                                short_abandon_seconds=short[rows])

    def feasible(rows: IntArray, n: IntArray) -> BoolArray:
        met = [ok for _, _, ok in _checks(metrics(rows, n), {k: g[rows] for k, g in goals.items()})]
        return np.logical_and.reduce(met)

    cap = goals.get("max_occupancy", np.ones_like(a))
    full = a / full_rate  # agents whose full-concurrency throughput equals the load
    if patience_seconds is None:  # Erlang C needs N > full, and N >= A / (c·cap)
        lo = np.maximum(np.floor(full),
                        np.ceil(a / (concurrency * cap) * (1 - _TOL)) - 1).astype(np.int64)
    else:  # no agent at all never counts as meeting a target
        lo = np.zeros(busy.size, dtype=np.int64)
    root = np.sqrt(full)
    hi = np.maximum(lo + 1, np.ceil(full + 2 * root) + 1).astype(np.int64)
    ceiling = np.maximum(hi, np.ceil(full / cap + 100 * root) + 1000).astype(np.int64)
    n = _bisect(feasible, lo, hi, ceiling)

    # fractional: interpolate each target that N - 1 misses between N - 1 and N
    every = np.arange(busy.size)
    frac = np.full(busy.size, -np.inf)
    below = _checks(metrics(every, n - 1), goals)
    for (v1, goal, _), (v0, _, met0) in zip(_checks(metrics(every, n), goals), below, strict=True):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            share = np.clip((goal - v0) / (v1 - v0), 0.0, 1.0)  # non-finite: handled next line
        share = np.where(np.isfinite(v0) & np.isfinite(share), share, 1.0)
        frac = np.where(met0, frac, np.maximum(frac, n - 1 + share))
    if patience_seconds is None:  # N - 1 may fail on stability alone: the need is then `full`
        frac = np.maximum(frac, full)
    frac = np.where(np.isfinite(frac), frac, n)
    agents, fractional = np.zeros(arrays[0].size, dtype=np.int64), np.zeros(arrays[0].size)
    agents[busy], fractional[busy] = n, frac
    return agents.reshape(arrays[0].shape), fractional.reshape(arrays[0].shape)


def agents_for_targets(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
    *,
    service_level: npt.ArrayLike | None = None,
    answer_seconds: npt.ArrayLike | None = None,
    max_asa_seconds: npt.ArrayLike | None = None,
    max_abandon: npt.ArrayLike | None = None,
    max_occupancy: npt.ArrayLike | None = None,
    patience_seconds: npt.ArrayLike | None = None,
    definition: ServiceLevelDefinition = "count_against",
    short_abandon_seconds: npt.ArrayLike = 0.0,
    concurrency: int = 1,
    aht_by_concurrency: Sequence[float] | None = None,
) -> IntArray:
    """Fewest agents per interval that meet every given target at once.

    Parameters
    ----------
    calls, aht_seconds, interval_seconds : array_like
        Offered calls, mean handle time (s; ``> 0`` where calls are offered) and interval length
        (s); the load is ``A = calls × AHT / interval``.
    service_level, answer_seconds : array_like, optional
        Share to answer within ``answer_seconds`` under ``definition``, in (0, 1].
    max_asa_seconds : array_like, optional
        Cap on the mean wait of answered calls, seconds.
    max_abandon : array_like, optional
        Cap on the abandonment probability, in (0, 1] (always met by Erlang C).
    max_occupancy : array_like, optional
        Cap on occupancy (handled work / staffed time), in (0, 1].
    patience_seconds : array_like, optional
        Mean caller patience; ``None`` uses Erlang C (M/M/N), otherwise Erlang A (M/M/N+M).
    definition : {"count_against", "ignore", "met"}
        Service-level definition (:func:`~wfm.staffing.erlang_a.service_level_by_definition`).
    short_abandon_seconds : array_like, default 0
        Abandons within this many seconds are excluded from offered calls.
    concurrency : int, default 1
        Chats an agent holds at once; with it (or ``aht_by_concurrency``) ``N`` counts agents
        of the chat pool of :func:`~wfm.staffing.chat.chat_metrics`, ``aht_seconds`` is the
        handle time of a chat handled alone and occupancy is per slot.
    aht_by_concurrency : sequence of float, optional
        Chat handle time per level ``1..concurrency`` (only ratios count).

    Returns
    -------
    ndarray of int64
        The least ``N`` meeting all targets; 0 where ``calls = 0``. Erlang C also needs
        ``N > A`` (for chat, the full pool's throughput above the load), Erlang A at least one
        agent.

    Raises
    ------
    ValueError
        Invalid inputs (:func:`validate_staffing_inputs`, :func:`~wfm.staffing.chat.
        slowdown_factors`), no target, or no ``N`` up to ``A / max_occupancy + 100·√A + 1000``
        meets the targets.

    Notes
    -----
    Each metric is monotone in ``N`` (service level under all three definitions rises; ASA,
    abandonment and occupancy fall; checked by property tests), so ``N`` is found by bisection
    on the bracket ``(lower bound, A + 2√A + 1]`` from square-root staffing, doubled until its
    top is feasible: ``O(log √A)`` evaluations. A target counts as met within a slack of 1e-12
    (absolute for service level and abandonment, relative for ASA and occupancy), so a service
    level target of exactly 1 is met once the service level rounds to 1.
    """
    return _staff(calls, aht_seconds, interval_seconds, None, service_level=service_level,
                  answer_seconds=answer_seconds, max_asa_seconds=max_asa_seconds,
                  max_abandon=max_abandon, max_occupancy=max_occupancy,
                  patience_seconds=patience_seconds, definition=definition,
                  short_abandon_seconds=short_abandon_seconds, concurrency=concurrency,
                  aht_by_concurrency=aht_by_concurrency)[0]


def fractional_agents_for_targets(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
    *,
    service_level: npt.ArrayLike | None = None,
    answer_seconds: npt.ArrayLike | None = None,
    max_asa_seconds: npt.ArrayLike | None = None,
    max_abandon: npt.ArrayLike | None = None,
    max_occupancy: npt.ArrayLike | None = None,
    patience_seconds: npt.ArrayLike | None = None,
    definition: ServiceLevelDefinition = "count_against",
    short_abandon_seconds: npt.ArrayLike = 0.0,
    concurrency: int = 1,
    aht_by_concurrency: Sequence[float] | None = None,
) -> FloatArray:
    """The requirement of :func:`agents_for_targets` before rounding up (same parameters).

    With ``N = agents_for_targets(...)``, each target that ``N − 1`` agents miss is
    interpolated linearly between ``N − 1`` and ``N``; the largest crossing point is the
    requirement, in ``[N − 1, N]``. Where the metric is not finite at ``N − 1`` (ASA of an
    unstable Erlang C queue) the whole step counts; under Erlang C the requirement is at least
    the load ``A`` (for chat, the agents whose full-concurrency throughput equals the load).
    0 where ``calls = 0``. Planners sum fractional needs across queues before rounding: ten
    queues needing 3.1 agents each need 31, not 40.
    """
    return _staff(calls, aht_seconds, interval_seconds, None, service_level=service_level,
                  answer_seconds=answer_seconds, max_asa_seconds=max_asa_seconds,
                  max_abandon=max_abandon, max_occupancy=max_occupancy,
                  patience_seconds=patience_seconds, definition=definition,
                  short_abandon_seconds=short_abandon_seconds, concurrency=concurrency,
                  aht_by_concurrency=aht_by_concurrency)[1]


def agents_for_target(
    traffic_erlangs: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    service_level: npt.ArrayLike,
    answer_seconds: npt.ArrayLike,
    max_occupancy: npt.ArrayLike = 1.0,
) -> IntArray:
    """Fewest agents that meet a service-level target under Erlang C and an occupancy cap.

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    aht_seconds : array_like
        Mean handle time, seconds.
    service_level : array_like
        Target share answered within ``answer_seconds``, in (0, 1].
    answer_seconds : array_like
        Service-level threshold, seconds.
    max_occupancy : array_like, default 1.0
        Cap on ``A / N``, in (0, 1].

    Returns
    -------
    ndarray of int64
        The least ``N > A`` with ``service_level(A, N, AHT, T) >= target − 1e-12`` and
        ``A / N <= max_occupancy``; 0 where ``A = 0``.

    Notes
    -----
    Same M/M/N assumptions as :func:`erlang_c`, and the search of :func:`agents_for_targets`.

    References
    ----------
    .. [1] G. Koole, *Call Center Optimization*, 2013, §5.3 (staffing with Erlang C).
    """
    a = _nonneg(traffic_erlangs, "traffic_erlangs")
    _positive(aht_seconds, "aht_seconds")
    return _staff(a, aht_seconds, 1.0, a, service_level=service_level,
                  answer_seconds=answer_seconds, max_occupancy=max_occupancy,
                  patience_seconds=None, definition="count_against",
                  short_abandon_seconds=0.0)[0]
