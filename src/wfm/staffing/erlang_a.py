"""Erlang A (M/M/N+M): the delay system with impatient callers, exactly and in log space.

Model [1]_ [2]_: Poisson arrivals at rate ``λ = calls / interval_seconds``; ``N`` agents with
exponential handle times, rate ``μ = 1/AHT``; an unlimited FIFO queue whose callers each hang up
after an exponential patience, rate ``θ = 1/patience_seconds``, if not answered by then; steady
state. The number in system is a birth–death chain (birth ``λ``, death
``min(k, N)·μ + max(k − N, 0)·θ``), stable for every load.

Notation: ``A = λ/μ``, ``a = λ/θ``, ``s = Nμ/θ`` (so ``s/a = N/A``), and for ``z > 0``

    r_j(z) = Π_{i=1}^{j} z / (s + i),   R(z) = Σ_{j≥1} r_j(z),   M(z) = Σ_{j≥1} j·r_j(z),

so that ``π_{N+j} / π_N = r_j(a)``. With ``1/B = Σ_{k≤N} π_k/π_N`` (Erlang B) the normaliser
is ``Z = 1/B + R(a)``. An arrival that finds ``j`` callers waiting reaches an agent after
``V_j``, a sum of exponentials with rates ``Nμ + iθ``, ``i = 0..j``, unless its own patience
``τ`` runs out first. Integrating over the arrival's state (PASTA) gives, with
``q = e^{−θt}`` and ``D(t) = q^s·e^{a(1−q)}`` [3]_ (M&Z's ``P(V > t)`` is ``D(t)·(1 + R(aq))/Z``):

* ``P(wait) = (1 + R(a)) / Z`` and ``P(no wait) = (1/B − 1) / Z``;
* ``P(abandon) = M(a) / (a·Z)`` (Little's law for the queue: ``θ·E[Q] = λ·P(abandon)``);
* ``P(answered within t) = P(no wait) + (N/A)·(R(a) − D(t)·R(aq)) / Z``;
* ``P(abandoned within t) = (M(a) − D(t)·M(aq)) / (a·Z)``;
* ``E[wait; answered] = (N/A)·θ⁻¹·Σ_{j≥1} r_j(a)·h_j / Z`` with ``h_j = Σ_{i=1}^{j} 1/(s + i)``,
  because ``E[V_j·1{V_j < τ}] = E[V_j·e^{−θV_j}] = s/(s+j+1) · θ⁻¹·h_{j+1}``.

The first four are Mandelbaum & Zeltyn's incomplete-gamma expressions [3]_ written as series,
``γ(s, z) = z^s e^{−z} (1 + R(z)) / s``; the series form is what makes them computable without
overflow for any load and patience (as patience → ∞ they tend to Erlang C). Every sum is taken
in log space over a window around its largest term that leaves out less than ``e^{−60}`` of it:
the terms are log-concave in ``j``, and the window edges are found by bisection on that drop.
Within the window, ``log r_j = j·log(z/s) − Σ_{i≤j} log1p(i/s)`` is accumulated term by term,
which stays exact as ``s → ∞`` (where differences of ``lnΓ`` would cancel); sums run in a fixed
order per interval, so results do not depend on how intervals are batched. Cost per interval is
``O(min(√a, 1/log(N/A)))`` terms. Accuracy is about 1e-12 relative; the ``within t`` parts are
differences of O(1) terms, accurate to about 1e-15 absolute, and to ``1e-16·log r_max`` in an
overloaded queue (``N < A``) whose terms reach ``log r_max`` (1e-10 at ``a = 1e6``; only
absurd patience such as 1e12 s pushes it to 1e-7).

References
----------
.. [1] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient
   customers", *M&SOM* 4(3), 208–227, 2002.
.. [2] G. Koole, *Call Center Optimization*, MG Books, 2013, §5.4.
.. [3] A. Mandelbaum and S. Zeltyn, "The M/M/n+G queue: summary of performance measures",
   Technion, 2009 (the M/M/n+M case, with ``H(x) = (1 − e^{−θx})/θ``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from wfm.staffing.erlang import (
    FloatArray,
    IntArray,
    ServiceLevelDefinition,
    _definition,
    _positive,
)

__all__ = ["QueueMetrics", "erlang_a_metrics", "service_level_by_definition"]

_DROP = 60.0  # window edges: terms below e^-60 of the largest are left out
_CHUNK_CELLS = 1 << 20  # window cells per block (8 MB per float array)
_STIRLING_FROM = 1e3  # lnΓ and ψ differences switch to their asymptotic series above this s


def service_level_by_definition(
    answered_within: npt.ArrayLike,
    abandoned_within: npt.ArrayLike,
    abandoned_short: npt.ArrayLike,
    abandon_probability: npt.ArrayLike,
    definition: ServiceLevelDefinition = "count_against",
) -> FloatArray:
    """Service level under one of the three ACD definitions, from per-call probabilities.

    Parameters
    ----------
    answered_within : array_like
        ``P(answered within T)`` of an offered call.
    abandoned_within : array_like
        ``P(abandoned within T)``.
    abandoned_short : array_like
        ``P(abandoned within S)``, the short abandons (0 when there is no threshold ``S``).
    abandon_probability : array_like
        ``P(abandoned)`` at any time.
    definition : {"count_against", "ignore", "met"}
        How abandoned calls count (DESIGN.md, "Domain conventions"):

        * ``"count_against"`` (default): answered within T / (offered − short abandons),
          ``P(ans ≤ T) / (1 − P(ab ≤ S))``;
        * ``"ignore"``: answered within T / answered, ``P(ans ≤ T) / (1 − P(ab))`` (short
          abandons are abandons, so they drop out as well);
        * ``"met"``: (answered within T + abandoned within T, short abandons excluded) /
          (offered − short abandons), ``(P(ans ≤ T) + (P(ab ≤ T) − P(ab ≤ S))⁺) / (1 − P(ab ≤ S))``.

    Returns
    -------
    ndarray
        The expected ratio of the counts (a ratio of means, as an ACD report over many calls);
        NaN where its denominator is 0 (e.g. ``"ignore"`` with nobody answered).
    """
    definition = _definition(definition)
    ans, ab_t, ab_s, ab = (np.asarray(v, dtype=float) for v in (
        answered_within, abandoned_within, abandoned_short, abandon_probability))
    with np.errstate(divide="ignore", invalid="ignore"):
        if definition == "ignore":
            sl = ans / (1.0 - ab)
        elif definition == "met":
            sl = (ans + np.maximum(ab_t - ab_s, 0.0)) / (1.0 - ab_s)
        else:
            sl = ans / (1.0 - ab_s)
    return np.where(np.isfinite(sl), np.clip(sl, 0.0, 1.0), np.nan)


@dataclass(frozen=True, eq=False)
class QueueMetrics:
    """Steady-state performance of a queue per interval; arrays of the arguments' shape.

    Attributes
    ----------
    p_wait : ndarray
        Probability that an offered call has to wait (finds every agent busy).
    abandon_probability : ndarray
        Probability that an offered call abandons (0 in Erlang C).
    service_level : ndarray
        The service level under ``definition`` (see :func:`service_level_by_definition`).
    asa_seconds : ndarray
        Mean wait of *answered* calls, seconds (``inf`` for an unstable Erlang C queue, NaN
        when nobody is answered).
    occupancy : ndarray
        Handled work / staffed time (NaN with no agents).
    answered_within, abandoned_within, abandoned_short : ndarray
        ``P(answered within T)``, ``P(abandoned within T)``, ``P(abandoned within S)``.
    definition : str
        The service-level definition used for ``service_level``.
    """

    p_wait: FloatArray
    abandon_probability: FloatArray
    service_level: FloatArray
    asa_seconds: FloatArray
    occupancy: FloatArray
    answered_within: FloatArray
    abandoned_within: FloatArray
    abandoned_short: FloatArray
    definition: ServiceLevelDefinition = "count_against"

    def service_level_as(self, definition: ServiceLevelDefinition) -> FloatArray:
        """The service level under another ACD ``definition`` (same ``T`` and ``S``)."""
        return service_level_by_definition(self.answered_within, self.abandoned_within,
                                           self.abandoned_short, self.abandon_probability,
                                           definition)


def _log_rising(s: FloatArray, k: FloatArray) -> FloatArray:
    """``Σ_{i=1}^{k} log1p(i/s)`` for ``s > 0``, ``k >= 0``, without cancellation for large ``s``.

    It is ``lnΓ(s+k+1) − lnΓ(s+1) − k·ln s``; for ``s >= 1000`` Stirling's series turns it into
    ``(s+k+½)·log1p((k+1)/s) − (s+½)·log1p(1/s) − k`` plus the difference of the corrections.
    """
    big = s >= _STIRLING_FROM
    x1 = np.where(big, s + 1.0, 2.0)
    x2 = x1 + k

    def corr(x: FloatArray) -> FloatArray:
        x2_ = x * x
        return (1 / 12 - (1 / 360 - 1 / (1260 * x2_)) / x2_) / x

    sb = x1 - 1.0
    series = ((x2 - 0.5) * np.log1p((k + 1.0) / sb) - (x1 - 0.5) * np.log1p(1.0 / sb) - k
              + corr(x2) - corr(x1))
    small = np.where(big, 1.0, s)
    direct = gammaln(small + k + 1.0) - gammaln(small + 1.0) - k * np.log(small)
    return np.where(big, series, direct)


def _harmonic(s: FloatArray, k: FloatArray) -> FloatArray:
    """``Σ_{i=1}^{k} 1/(s+i) = ψ(s+k+1) − ψ(s+1)``, asymptotically for ``s >= 1000``."""
    big = s >= _STIRLING_FROM
    x1 = np.where(big, s + 1.0, 2.0)
    x2 = x1 + k
    series = (np.log1p(k / x1) + 0.5 * k / (x1 * x2) + k * (x1 + x2) / (12 * x1**2 * x2**2)
              + (1 / x2**4 - 1 / x1**4) / 120)
    small = np.where(big, 1.0, s)
    direct = digamma(small + k + 1.0) - digamma(small + 1.0)
    return np.where(big, series, direct)


def _window(log_z: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """First and last ``j >= 1`` of the window of ``r_j(z)``: within ``e^{-60}`` of the mode."""
    c = log_z - np.log(s)
    mode = np.maximum(1.0, np.floor(np.exp(log_z) - s))

    def drop(sel: IntArray, j: FloatArray) -> FloatArray:
        """``log r_mode − log r_j`` for the rows ``sel``."""
        m = mode[sel]
        return (m - j) * c[sel] - _log_rising(s[sel], m) + _log_rising(s[sel], j)

    def reach(step: float, limit: FloatArray) -> FloatArray:
        """Fewest steps (up to ``limit``) from the mode that drop the log term by ``_DROP``."""
        every = np.arange(mode.size)
        k = np.minimum(1.0, limit)
        grow = every[(drop(every, mode + step * k) < _DROP) & (k < limit)]
        while grow.size:
            k[grow] = np.minimum(2 * k[grow], limit[grow])
            grow = grow[(drop(grow, mode[grow] + step * k[grow]) < _DROP) & (k[grow] < limit[grow])]
        lo, hi = np.floor(k / 2), k
        open_ = every[hi - lo > 1]
        while open_.size:
            mid = np.floor((lo[open_] + hi[open_]) / 2)
            short = drop(open_, mode[open_] + step * mid) < _DROP
            lo[open_[short]] = mid[short]
            hi[open_[~short]] = mid[~short]
            open_ = open_[hi[open_] - lo[open_] > 1]
        return hi

    left = reach(-1.0, mode - 1.0)
    right = reach(1.0, np.full_like(mode, np.inf))
    return mode - left, mode + right


def _down(cells: FloatArray) -> FloatArray:
    """Column sums added strictly top to bottom (``sum`` would go pairwise on one column)."""
    return np.cumsum(cells, axis=0)[-1]


def _queue_sums(log_z: FloatArray, s: FloatArray, harmonic: bool
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``log R(z)``, ``log M(z)`` and (if ``harmonic``) ``log Σ_{j≥1} r_j(z)·h_j``, per row.

    The window's cells are laid out ``(window, rows)`` so that every reduction runs down a
    column in a fixed order: padding a short window with empty cells changes nothing.
    """
    first, last = _window(log_z, s)
    width = (last - first + 1).astype(np.int64)
    c = log_z - np.log(s)
    base = _log_rising(s, first - 1.0)
    h_base = _harmonic(s, first - 1.0) if harmonic else np.zeros_like(s)
    out = np.full((3, s.size), -np.inf)
    order = np.argsort(width, kind="stable")
    start = 0
    while start < order.size:  # blocks of rows whose padded window fits in _CHUNK_CELLS
        cells = width[order[start:]] * np.arange(1, order.size - start + 1)
        stop = start + max(1, int(np.searchsorted(cells, _CHUNK_CELLS, side="right")))
        rows = order[start:stop]
        start = stop
        w = int(width[rows].max())
        steps = np.arange(w, dtype=float)[:, None]
        j = first[rows][None, :] + steps
        sr = s[rows][None, :]
        log_r = j * c[rows][None, :] - (base[rows][None, :] + np.cumsum(np.log1p(j / sr), axis=0))
        log_r[steps >= width[rows][None, :]] = -np.inf
        peak = log_r.max(axis=0)
        terms = np.exp(log_r - peak)
        with np.errstate(divide="ignore"):
            out[0, rows] = peak + np.log(_down(terms))
            out[1, rows] = peak + np.log(_down(terms * j))
            if harmonic:
                h = h_base[rows][None, :] + np.cumsum(1.0 / (sr + j), axis=0)
                out[2, rows] = peak + np.log(_down(terms * h))
    return out[0], out[1], out[2]


def _within(t: FloatArray, log_a: FloatArray, a: FloatArray, s: FloatArray, theta: FloatArray,
            n_mu: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``log D(t)``, ``log R(a·e^{−θt})``, ``log M(a·e^{−θt})`` (``D = 1`` and ``z = a`` at 0)."""
    log_d = -n_mu * t - a * np.expm1(-theta * t)
    log_r, log_m, _ = _queue_sums(log_a - theta * t, s, harmonic=False)
    return log_d, log_r, log_m



@dataclass(frozen=True, eq=False)
class Delay:
    """What callers who reach a busy system experience; arrays of one row per interval.

    ``p_wait``, ``abandon`` (probability), ``asa`` (mean wait of answered calls, seconds),
    ``answered`` (probability), ``answered_within`` / ``abandoned_within`` at ``T``,
    ``short`` (abandoned within ``S``) and ``log_r``, ``log Σ_{j≥1} π_{N+j}/π_N`` (the queue).
    """

    p_wait: FloatArray
    abandon: FloatArray
    asa: FloatArray
    answered: FloatArray
    answered_within: FloatArray
    abandoned_within: FloatArray
    short: FloatArray
    log_r: FloatArray


def delay_metrics(lam: FloatArray, n_mu: FloatArray, theta: FloatArray, log_inv_b: FloatArray,
                  answer: FloatArray, short: FloatArray) -> Delay:
    """Erlang A's metrics from the two halves of its birth–death chain, for rows with calls.

    ``lam`` is the arrival rate, ``n_mu`` the service rate while every server is busy, ``theta``
    the abandonment rate, ``log_inv_b = log Σ_{k≤N} π_k/π_N`` the chain below the busy state.
    Above it the chain is the queue of the module docstring, which depends on ``n_mu`` and
    ``theta`` alone; below it, any chain will do. Erlang A passes Erlang B's ``1/B``; chat
    (:mod:`wfm.staffing.chat`) passes its state-dependent pool of agents.
    """
    log_a = np.log(lam) - np.log(theta)
    a, s = lam / theta, n_mu / theta
    log_r, log_m, log_rh = _queue_sums(log_a, s, harmonic=True)
    log_zn = np.logaddexp(log_inv_b, log_r)
    log_na = np.log(n_mu) - np.log(lam)  # log(s/a) = log(N/A)
    no_wait = np.exp(log_inv_b - log_zn) * -np.expm1(-log_inv_b)
    waited_answered = np.exp(log_na + log_r - log_zn)
    answered = no_wait + waited_answered
    abandon = np.exp(log_m - log_a - log_zn)

    def within(t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``P(answered ≤ t)`` and ``P(abandoned ≤ t)``."""
        ans, ab = no_wait.copy(), np.zeros(lam.size)
        later = np.flatnonzero(t > 0)  # at t = 0: answered at once, nobody abandoned yet
        if later.size:
            log_d, log_rq, log_mq = _within(t[later], log_a[later], a[later], s[later],
                                            theta[later], n_mu[later])
            ans[later] += waited_answered[later] * -np.expm1(
                np.minimum(log_d + log_rq - log_r[later], 0.0))
            ab[later] = abandon[later] * -np.expm1(
                np.minimum(log_d + log_mq - log_m[later], 0.0))
        return ans, ab

    ans_t, ab_t = within(answer)
    return Delay(
        p_wait=np.exp(np.logaddexp(0.0, log_r) - log_zn),
        abandon=abandon,
        asa=np.exp(log_na - np.log(theta) + log_rh - log_zn) / answered,
        answered=answered,
        answered_within=ans_t,
        abandoned_within=ab_t,
        short=within(short)[1],
        log_r=log_r,
    )


def erlang_a_metrics(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    patience_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
    answer_seconds: npt.ArrayLike,
    *,
    definition: ServiceLevelDefinition = "count_against",
    short_abandon_seconds: npt.ArrayLike = 0.0,
) -> QueueMetrics:
    """Exact steady-state metrics of the Erlang A queue M/M/N+M, per interval.

    Parameters
    ----------
    calls : array_like
        Calls offered in the interval, ``>= 0``.
    aht_seconds : array_like
        Mean handle time, seconds, ``> 0``.
    patience_seconds : array_like
        Mean patience of a waiting caller ``1/θ``, seconds, ``> 0`` and finite.
    agents : array_like of int
        Number of agents ``N >= 0``.
    interval_seconds : array_like
        Interval length, seconds, ``> 0``.
    answer_seconds : array_like
        Service-level threshold ``T``, seconds, ``>= 0``.
    definition : {"count_against", "ignore", "met"}
        How abandons enter the service level (:func:`service_level_by_definition`).
    short_abandon_seconds : array_like, default 0
        Threshold ``S``: abandons within ``S`` seconds are excluded from offered calls.

    Returns
    -------
    QueueMetrics
        ``p_wait``, ``abandon_probability``, ``service_level``, ``asa_seconds`` (mean wait of
        answered calls), ``occupancy`` (``A·P(answered)/N``) and the components
        ``answered_within`` (``P(answered ≤ T)``), ``abandoned_within`` (``P(abandoned ≤ T)``)
        and ``abandoned_short`` (``P(abandoned ≤ S)``). Where ``calls = 0``: no wait, no
        abandonment, service level 1, ASA 0, occupancy 0 (NaN without agents). Where
        ``N = 0 < calls`` everyone waits and abandons: ``P(abandoned ≤ t) = 1 − e^{−θt}``,
        ASA and occupancy NaN.

    Notes
    -----
    Formulas, method and references are in the module docstring: exact under the model
    (closed-form series from the stationary distribution and the offered-wait distribution of
    Mandelbaum & Zeltyn, 2009), evaluated in log space with no factorials and no overflow, to
    about 1e-12 relative. As ``patience_seconds → ∞`` every metric tends to its Erlang C value.
    """
    # one mechanism: Erlang A is the chat pool with one contact per agent, whose lower half
    # is Erlang B (wfm.staffing.chat imports this module, hence the late import)
    from wfm.staffing.chat import chat_metrics

    return chat_metrics(calls, aht_seconds, agents, interval_seconds, answer_seconds, 1, None,
                        _positive(patience_seconds, "patience_seconds"), definition=definition,
                        short_abandon_seconds=short_abandon_seconds)


def erlang_a_abandon_probability(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    patience_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
) -> FloatArray:
    """Probability that a call abandons in the Erlang A model M/M/N+M.

    The ``abandon_probability`` of :func:`erlang_a_metrics` (same
    arguments, which states the model and method): ``θ·E[queue length] / λ``, in [0, 1]; 0
    where ``calls = 0``, 1 where ``N = 0 < calls``. ``patience_seconds`` must be finite.
    """
    return erlang_a_metrics(calls, aht_seconds, patience_seconds, agents, interval_seconds,
                            0.0).abandon_probability
