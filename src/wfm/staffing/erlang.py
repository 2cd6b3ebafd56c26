"""Erlang B and C for live channels: the M/M/N building blocks.

Every function is pure and vectorised: arguments broadcast against each other (one element per
interval, typically), and the result has the broadcast shape. Offered load is in Erlangs,
``traffic_erlangs = calls × aht_seconds / interval_seconds``; agent counts are whole numbers.
Bad arguments raise :class:`ValueError` naming the argument, the expected range and the value
found (see :func:`validate_staffing_inputs`); callers that read files turn them into
:class:`wfm.errors.DataError` with the row.

Nothing here uses factorials or walks ``N`` up from 1. Erlang B is computed directly at any
``N`` as ``B = p(N) / Q(N+1, A)``, the Poisson probability ``p(N) = A^N e^{-A} / N!`` in
Loader's saddle-point form and ``Q`` the regularised upper incomplete gamma function
(:func:`scipy.special.gammaincc`); where ``Q`` would underflow (``N`` far below ``A``) the sum
``1/B = Σ_{i=0}^{N} N!/((N−i)! A^i)`` is added up instead, which converges geometrically there.
Relative accuracy is about 1e-13 up to 10^6 Erlangs. The Erlang A model (M/M/N+M) lives in
:mod:`wfm.staffing.erlang_a`; staffing searches and the reverse calculation, for either model,
in :mod:`wfm.staffing.targets`.

References: Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory* (4th ed.,
Wiley, 2008); Koole, *Call Center Optimization* (MG Books, 2013); C. Loader, "Fast and accurate
computation of binomial probabilities" (2000).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
from scipy.special import gammaincc, gammaln

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ServiceLevelDefinition = Literal["count_against", "ignore", "met"]
DEFINITIONS: tuple[str, ...] = get_args(ServiceLevelDefinition)

_LOG_2PI = math.log(2.0 * math.pi)
_Q_FLOOR = 1e-250  # below this Q(N+1, A) loses precision; 1/B is summed directly instead
_TOL = 1e-12  # slack when comparing a metric with its target (documented per function)


def _checked(value: npt.ArrayLike | None, name: str, *, low: float, strict: bool,
             high: float = np.inf) -> FloatArray:
    """``value`` as floats, each finite and in ``(low, high]`` (``strict``) or ``[low, high]``."""
    arr = np.asarray(value, dtype=float)
    above = arr > low if strict else arr >= low
    bad = ~(np.isfinite(arr) & above & (arr <= high))
    if bad.any():
        span = f"({low:g}, {high:g}]" if strict else f"[{low:g}, {high:g}]"
        where = f" at index {np.argwhere(bad)[0].tolist()}" if arr.ndim else ""
        found = arr[bad].flat[0].item()
        raise ValueError(f"{name} must be finite and in {span}, got {found!r}{where}")
    return arr


_nonneg = partial(_checked, low=0.0, strict=False)
_positive = partial(_checked, low=0.0, strict=True)
_fraction = partial(_checked, low=0.0, strict=True, high=1.0)


def _agents(value: npt.ArrayLike) -> IntArray:
    arr = np.asarray(value)
    as_float = arr.astype(float)
    bad = ~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float))
    if bad.any():
        raise ValueError(f"agents must be whole numbers >= 0, got {arr[bad].flat[0].item()!r}")
    return as_float.astype(np.int64)


def _definition(value: str) -> ServiceLevelDefinition:
    if value not in DEFINITIONS:
        raise ValueError(f"definition must be one of {', '.join(DEFINITIONS)}, got {value!r}")
    return value  # type: ignore[return-value]  # checked against the Literal's members


# ---------------------------------------------------------------- Erlang B, directly


def _stirling_error(n: FloatArray) -> FloatArray:
    """``lnΓ(n+1) − (n+½)·ln n + n − ½·ln 2π`` for ``n >= 1``, without cancellation."""
    big = n > 15
    m = np.where(big, n, 16.0)
    m2 = m * m
    series = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * m2)) / m2) / m2) / m2) / m
    k = np.where(big, 1.0, n)
    direct = gammaln(k + 1) - (k + 0.5) * np.log(k) + k - 0.5 * _LOG_2PI
    return np.where(big, series, direct)


def _log_poisson_pmf(n: FloatArray, a: FloatArray) -> FloatArray:
    """``log(A^N e^{-A} / N!)`` for ``N >= 1``, ``A > 0`` in Loader's form (no big cancellation).

    ``−½·log(2πN) − stirling_error(N) − bd0(N, A)`` with the deviance
    ``bd0 = N·log(N/A) + A − N``, as ``A·((1+u)·log1p(u) − u)``, ``u = (N − A)/A``, near ``A``.
    """
    near = np.abs(n - a) < 0.5 * a
    u = np.where(near, n - a, 0.0) / np.where(near, a, 1.0)
    with np.errstate(divide="ignore"):
        far = n * (np.log(n) - np.log(a)) + a - n
    bd0 = np.where(near, a * ((1.0 + u) * np.log1p(u) - u), far)
    return -0.5 * (_LOG_2PI + np.log(n)) - _stirling_error(n) - bd0


def _log_inv_b_series(a: FloatArray, n: FloatArray) -> FloatArray:
    """``log(1/B) = log Σ_{i=0}^{N} Π_{m<i} (N−m)/A``, summed term by term (for ``N`` ≪ ``A``)."""
    total = np.ones_like(a)
    term = np.ones_like(a)
    active = np.arange(a.size)
    i = 0
    while active.size:
        i += 1
        term[active] *= np.maximum(n[active] - (i - 1), 0.0) / a[active]
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
    return np.log(total)


def log_erlang_b(traffic_erlangs: FloatArray, agents: IntArray) -> FloatArray:
    """``log B(N, A)`` for validated arrays of equal shape (``-inf`` where ``A = 0 < N``).

    Shared with :mod:`wfm.staffing.erlang_a`; see :func:`erlang_b` for the method.
    """
    a = np.asarray(traffic_erlangs, dtype=float).ravel()
    n = np.asarray(agents).ravel().astype(float)
    out = np.zeros(a.shape)  # B(0, A) = 1
    out[(n > 0) & (a == 0)] = -np.inf
    idx = np.flatnonzero((n > 0) & (a > 0))
    aa, nn = a[idx], n[idx]
    q = gammaincc(nn + 1.0, aa)
    ok = q > _Q_FLOOR
    out[idx[ok]] = _log_poisson_pmf(nn[ok], aa[ok]) - np.log(q[ok])
    out[idx[~ok]] = -_log_inv_b_series(aa[~ok], nn[~ok])
    return out.reshape(np.shape(traffic_erlangs))


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
    insensitivity the result holds for any service-time distribution with mean ``1/μ`` [1]_.
    Computed as ``B = p(N) / Q(N+1, A)``: dividing the defining sum by ``e^A`` turns it into
    the Poisson distribution function, ``Σ_{k<=N} e^{-A} A^k/k! = Q(N+1, A)``. ``p(N)`` is
    evaluated in Loader's saddle-point form [2]_ and ``Q`` by :func:`scipy.special.gammaincc`;
    where ``Q < 1e-250`` the sum is added up directly. No overflow for any load.

    References
    ----------
    .. [1] Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed., §2.6.
    .. [2] C. Loader, "Fast and accurate computation of binomial probabilities", 2000.
    """
    a, n = np.broadcast_arrays(_nonneg(traffic_erlangs, "traffic_erlangs"), _agents(agents))
    return np.exp(log_erlang_b(a, n))


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
    return _c_from_b(a, n, np.exp(log_erlang_b(a, n)))


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
    abandons in this model, so the three ACD service-level definitions coincide.
    """
    a, n, aht, answer = np.broadcast_arrays(
        _nonneg(traffic_erlangs, "traffic_erlangs"),
        _agents(agents),
        _positive(aht_seconds, "aht_seconds"),
        _nonneg(answer_seconds, "answer_seconds"),
    )
    return _sl_from_c(a, n, _c_from_b(a, n, np.exp(log_erlang_b(a, n))), aht, answer)


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
    return _asa_from_c(a, n, _c_from_b(a, n, np.exp(log_erlang_b(a, n))), aht)


def _asa_from_c(a: FloatArray, n: IntArray, c: FloatArray, aht: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        asa = np.where(n > a, c * aht / (n - a), np.inf)
    return np.where(a == 0, 0.0, asa)


def occupancy(traffic_erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatArray:
    """Share of staffed time that agents spend handling calls, in M/M/N.

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
