"""Erlang B, C and A: the queueing formulas behind live-channel staffing.

Every function is pure and vectorised: arguments broadcast against each other (one element per
interval, typically), and the result has the broadcast shape. Offered load is in Erlangs,
``traffic_erlangs = calls × aht_seconds / interval_seconds``; agent counts are whole numbers.

Nothing here uses factorials: Erlang B comes from the stable recursion
``B(n) = A·B(n−1) / (n + A·B(n−1))``, iterated over ``n`` for all elements at once, and the
Erlang A chain is summed in log space. Loads of several thousand Erlangs are fine. The main
references are Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory* (4th ed.,
Wiley, 2008), Koole, *Call Center Optimization* (MG Books, 2013) and, for Erlang A, Garnett,
Mandelbaum & Reiman (M&SOM, 2002); each function names its own.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, logsumexp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Erlang A tail window: states beyond the mode farther than this many standard deviations
# (plus a constant for small loads) carry less than exp(-70) of the mass.
_TAIL_SD = 12.0
_TAIL_PAD = 50
_CHUNK_CELLS = 1 << 21  # rows x window cells per block: ~16 MB per array


def _checked(value: npt.ArrayLike, name: str, *, low: float, strict: bool,
             high: float = np.inf) -> FloatArray:
    """``value`` as floats, each finite and in ``(low, high]`` (``strict``) or ``[low, high]``."""
    arr = np.asarray(value, dtype=float)
    above = arr > low if strict else arr >= low
    bad = ~(np.isfinite(arr) & above & (arr <= high))
    if bad.any():
        span = f"({low:g}, {high:g}]" if strict else f"[{low:g}, {high:g}]"
        raise ValueError(f"{name} must be finite and in {span}, got {arr[bad].flat[0]!r}")
    return arr


_nonneg = partial(_checked, low=0.0, strict=False)
_positive = partial(_checked, low=0.0, strict=True)
_fraction = partial(_checked, low=0.0, strict=True, high=1.0)


def _agents(value: npt.ArrayLike) -> IntArray:
    arr = np.asarray(value)
    as_float = arr.astype(float)
    bad = ~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float))
    if bad.any():
        raise ValueError(f"agents must be whole numbers >= 0, got {arr[bad].flat[0]!r}")
    return as_float.astype(np.int64)


def _erlang_b_walk(traffic: FloatArray, agents: IntArray) -> FloatArray:
    """Erlang B by the recursion on 1-D arrays; each element leaves the walk at its ``agents``."""
    order = np.argsort(agents, kind="stable")
    a = traffic[order]
    n = agents[order]
    b = np.ones_like(a)  # B(0) = 1
    n_max = int(n[-1]) if n.size else 0
    first = np.searchsorted(n, np.arange(n_max + 1), side="left")  # first index with n >= k
    for k in range(1, n_max + 1):
        s = first[k]
        ab = a[s:] * b[s:]
        b[s:] = ab / (k + ab)
    out = np.empty_like(b)
    out[order] = b
    return out


def erlang_b(traffic_erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Blocking probability of the Erlang loss system M/M/N/N.

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A = λ / μ`` in Erlangs, ``>= 0``.
    agents : array_like of int
        Number of servers ``N >= 0``.

    Returns
    -------
    ndarray
        ``B(N, A) = (A^N / N!) / Σ_{k=0}^{N} A^k / k!``, in [0, 1].

    Notes
    -----
    Model: Poisson arrivals, ``N`` servers, no waiting room (blocked calls are lost); by
    insensitivity the result holds for any service-time distribution with mean ``1/μ``.
    Computed with ``B(0) = 1``, ``B(n) = A·B(n−1) / (n + A·B(n−1))``, which stays in [0, 1]
    and never overflows [1]_.

    References
    ----------
    .. [1] Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., §2.6.
    """
    a, n = np.broadcast_arrays(_nonneg(traffic_erlangs, "traffic_erlangs"), _agents(agents))
    return _erlang_b_walk(a.ravel(), n.ravel()).reshape(a.shape)


def _c_from_b(a: FloatArray, n: IntArray, b: FloatArray) -> FloatArray:
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, n * b / (n - a * (1.0 - b)), 1.0)
    return np.where(a == 0, 0.0, c)


def erlang_c(traffic_erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Probability that an arriving call waits, in the Erlang delay system M/M/N.

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    agents : array_like of int
        Number of agents ``N >= 0``.

    Returns
    -------
    ndarray
        ``C(N, A) = N·B / (N − A·(1 − B))`` with ``B = erlang_b(A, N)``, in [0, 1]. When
        ``N <= A`` (and ``A > 0``) the queue is unstable and every call waits: ``C = 1``. With no
        traffic nobody waits: ``C = 0``.

    Notes
    -----
    Model M/M/N: Poisson arrivals, exponential handle times, ``N`` identical agents, an
    unlimited FIFO queue and infinitely patient callers, in steady state [1]_ [2]_.

    References
    ----------
    .. [1] Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., §2.3.
    .. [2] G. Koole, *Call Center Optimization*, 2013, §5.2.
    """
    a, n = np.broadcast_arrays(_nonneg(traffic_erlangs, "traffic_erlangs"), _agents(agents))
    b = _erlang_b_walk(a.ravel(), n.ravel()).reshape(a.shape)
    return _c_from_b(a, n, b)


def _sl_from_c(
    a: FloatArray, n: IntArray, c: FloatArray, aht: FloatArray, answer: FloatArray
) -> FloatArray:
    with np.errstate(over="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * answer / aht)
    sl = np.where(n > a, sl, 0.0)
    return np.clip(np.where(a == 0, 1.0, sl), 0.0, 1.0)


def service_level(
    traffic_erlangs: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    answer_seconds: npt.ArrayLike,
) -> FloatArray:
    """Share of calls answered within ``answer_seconds`` in M/M/N (Erlang C).

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A`` in Erlangs.
    agents : array_like of int
        Number of agents ``N``.
    aht_seconds : array_like
        Mean handle time, seconds (``> 0``).
    answer_seconds : array_like
        Service-level threshold ``T``, seconds (``>= 0``).

    Returns
    -------
    ndarray
        ``SL = 1 − C(N, A)·exp(−(N − A)·T / AHT)`` for ``N > A``; 0 when ``N <= A`` (unstable);
        1 when ``A = 0``.

    Notes
    -----
    The FIFO waiting time in M/M/N is 0 with probability ``1 − C`` and otherwise exponential
    with rate ``(N − A)/AHT`` (Gross et al., *Fundamentals of Queueing Theory*, §2.3). Nobody
    abandons in this model, so "answered within T / offered" and "… / answered" coincide.
    """
    a, n, aht, answer = np.broadcast_arrays(
        _nonneg(traffic_erlangs, "traffic_erlangs"),
        _agents(agents),
        _positive(aht_seconds, "aht_seconds"),
        _nonneg(answer_seconds, "answer_seconds"),
    )
    b = _erlang_b_walk(a.ravel(), n.ravel()).reshape(a.shape)
    return _sl_from_c(a, n, _c_from_b(a, n, b), aht, answer)


def asa_seconds(
    traffic_erlangs: npt.ArrayLike, agents: npt.ArrayLike, aht_seconds: npt.ArrayLike
) -> FloatArray:
    """Average speed of answer (mean wait over all calls) in M/M/N, seconds.

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A`` in Erlangs.
    agents : array_like of int
        Number of agents ``N``.
    aht_seconds : array_like
        Mean handle time, seconds.

    Returns
    -------
    ndarray
        ``ASA = C(N, A)·AHT / (N − A)`` for ``N > A``; ``inf`` when ``N <= A`` and ``A > 0``;
        0 when ``A = 0``.

    Notes
    -----
    In M/M/N every call is eventually answered, so the mean wait of answered calls equals the
    mean wait of all calls (Gross et al., *Fundamentals of Queueing Theory*, §2.3).
    """
    a, n, aht = np.broadcast_arrays(
        _nonneg(traffic_erlangs, "traffic_erlangs"),
        _agents(agents),
        _positive(aht_seconds, "aht_seconds"),
    )
    c = _c_from_b(a, n, _erlang_b_walk(a.ravel(), n.ravel()).reshape(a.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(n > a, c * aht / (n - a), np.inf)
    return np.where(a == 0, 0.0, asa)


def occupancy(traffic_erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Share of staffed time that agents spend handling calls.

    Parameters
    ----------
    traffic_erlangs : array_like
        Offered load ``A`` in Erlangs.
    agents : array_like of int
        Number of agents ``N``.

    Returns
    -------
    ndarray
        ``A / N``, capped at 1 (when ``N <= A`` the queue grows and every agent is busy all the
        time); NaN where ``N = 0``.

    Notes
    -----
    Without abandonment every offered call is handled, so the busy servers average ``A``
    (Little's law; Koole, *Call Center Optimization*, §5.2).
    """
    a, n = np.broadcast_arrays(_nonneg(traffic_erlangs, "traffic_erlangs"), _agents(agents))
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a / n, 1.0), np.nan)
    return occ


def _tail_sums(x: FloatArray, srv: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``log Σ_{j≥1} r_j`` and ``log Σ_{j≥1} j·r_j`` with ``r_j = Π_{i≤j} x / (srv + i)``.

    ``x = λ/θ`` and ``srv = Nμ/θ``: ``r_j = π_{N+j} / π_N`` is the queue part of the Erlang A
    chain. ``log r_j = j·log x − lnΓ(srv + 1 + j) + lnΓ(srv + 1)`` is summed over a window
    around the mode ``j* = max(x − srv, 0)``; outside it the terms are below ``e^-70`` of the
    largest one.
    """
    mode = np.floor(np.maximum(x - srv, 0.0))
    half = np.ceil(_TAIL_SD * np.sqrt(x) + _TAIL_PAD)
    lo = np.maximum(1.0, mode - half)
    width = (mode + half - lo + 1).astype(np.int64)
    log_sum = np.empty_like(x)
    log_moment = np.empty_like(x)
    w_max = int(width.max()) if width.size else 0
    step = max(1, _CHUNK_CELLS // max(w_max, 1))
    offsets = np.arange(w_max, dtype=float)
    for start in range(0, x.size, step):
        sl = slice(start, start + step)
        j = lo[sl, None] + offsets[None, :]
        inside = offsets[None, :] < width[sl, None]
        log_r = (
            j * np.log(x[sl, None])
            - gammaln(srv[sl, None] + 1.0 + j)
            + gammaln(srv[sl, None] + 1.0)
        )
        log_r = np.where(inside, log_r, -np.inf)
        log_sum[sl] = logsumexp(log_r, axis=1)
        log_moment[sl] = logsumexp(log_r + np.log(j), axis=1)
    return log_sum, log_moment


def erlang_a_abandon_probability(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    patience_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
) -> FloatArray:
    """Probability that a call abandons in the Erlang A model M/M/N+M.

    Parameters
    ----------
    calls : array_like
        Calls offered in the interval (``>= 0``).
    aht_seconds : array_like
        Mean handle time, seconds (``> 0``).
    patience_seconds : array_like
        Mean patience of a waiting caller, seconds (``> 0``, finite).
    agents : array_like of int
        Number of agents ``N``.
    interval_seconds : array_like
        Interval length, seconds (``> 0``).

    Returns
    -------
    ndarray
        ``P(abandon) = θ·E[queue length] / λ``, in [0, 1]; 0 where ``calls = 0``.

    Notes
    -----
    Model M/M/N+M [1]_ [2]_: Poisson arrivals at rate ``λ = calls / interval_seconds``,
    exponential handle times (rate ``μ = 1/AHT``) and exponential patience (rate
    ``θ = 1/patience``); a caller still waiting when their patience runs out hangs up. The number
    in system is a birth–death chain with birth rate ``λ`` and death rate
    ``min(k, N)·μ + max(k − N, 0)·θ``; it is stable for any load. Its stationary distribution is
    computed in log space: states up to ``N`` sum to ``π_N / B(N, A)`` (Erlang B, by the
    recursion), and the queue states ``N + j`` are summed over a window around their mode that
    leaves out less than ``e^-70`` of the tail mass. By Little's law for the abandoning callers,
    the abandonment rate ``θ·E[Q]`` divided by ``λ`` is the abandonment probability.

    References
    ----------
    .. [1] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient
       customers", *M&SOM* 4(3), 208–227, 2002.
    .. [2] G. Koole, *Call Center Optimization*, 2013, §5.4.
    """
    vol, aht, patience, n, interval = np.broadcast_arrays(
        _nonneg(calls, "calls"),
        _positive(aht_seconds, "aht_seconds"),
        _positive(patience_seconds, "patience_seconds"),
        _agents(agents),
        _positive(interval_seconds, "interval_seconds"),
    )
    shape = vol.shape
    vol, aht, patience, n, interval = (v.ravel() for v in (vol, aht, patience, n, interval))
    out = np.zeros(vol.shape)
    busy = vol > 0
    if not busy.any():
        return out.reshape(shape)
    vol, aht, patience, n, interval = (v[busy] for v in (vol, aht, patience, n, interval))
    traffic = vol * aht / interval
    x = vol * patience / interval  # λ / θ
    srv = n * patience / aht  # N·μ / θ
    with np.errstate(divide="ignore"):
        log_inv_b = -np.log(_erlang_b_walk(traffic, n))  # log Σ_{k<=N} π_k / π_N
    log_tail, log_moment = _tail_sums(x, srv)
    log_pi_n = -np.logaddexp(log_inv_b, log_tail)
    out[busy] = np.clip(np.exp(log_moment + log_pi_n - np.log(x)), 0.0, 1.0)
    return out.reshape(shape)


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
        The least ``N > A`` with ``service_level(A, N, AHT, T) >= target`` and
        ``A / N <= max_occupancy``; 0 where ``A = 0``.

    Notes
    -----
    Same M/M/N assumptions as :func:`erlang_c`. The service level rises with ``N``, so ``N`` is
    walked upward from ``max(⌊A⌋ + 1, ⌈A / max_occupancy⌉)`` for all elements at once, carrying
    the Erlang B recursion along; the walk is ``O(max N)`` vector steps. A target of exactly 1 is
    met once the service level rounds to 1 in double precision.

    References
    ----------
    .. [1] G. Koole, *Call Center Optimization*, 2013, §5.3 (staffing with Erlang C).
    """
    a, aht, target, answer, cap = np.broadcast_arrays(
        _nonneg(traffic_erlangs, "traffic_erlangs"),
        _positive(aht_seconds, "aht_seconds"),
        _fraction(service_level, "service_level"),
        _nonneg(answer_seconds, "answer_seconds"),
        _fraction(max_occupancy, "max_occupancy"),
    )
    shape = a.shape
    a, aht, target, answer, cap = (v.ravel() for v in (a, aht, target, answer, cap))
    result = np.zeros(a.shape, dtype=np.int64)
    idx = np.flatnonzero(a > 0)
    a, aht, target, answer = a[idx], aht[idx], target[idx], answer[idx]
    # the 1e-12 keeps A / cap = 10.000000000000002 from asking for an 11th agent
    lower = np.maximum(np.floor(a) + 1, np.ceil(a / cap[idx] * (1 - 1e-12))).astype(np.int64)
    limit = int(np.max(lower + 60 * np.sqrt(a) + 200)) if idx.size else 0
    b = np.ones_like(a)
    k = 0
    while idx.size:
        k += 1
        if k > limit:  # pragma: no cover - the service level reaches 1.0 long before
            raise RuntimeError(f"no staffing up to {limit} agents meets the target")
        ab = a * b
        b = ab / (k + ab)
        if k < lower.min():
            continue
        c = _c_from_b(a, np.full(a.shape, k), b)
        sl = _sl_from_c(a, np.full(a.shape, k), c, aht, answer)
        done = (k >= lower) & (sl >= target - 1e-12)
        if done.any():
            result[idx[done]] = k
            keep = ~done
            idx, a, aht, target, answer, lower, b = (
                v[keep] for v in (idx, a, aht, target, answer, lower, b)
            )
    return result.reshape(shape)
