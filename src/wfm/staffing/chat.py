"""Chat: agents who hold several conversations at once, and handle each more slowly the more
they hold.

Model. An agent holds up to ``c`` chats. While it holds ``k`` of them each chat takes
``f_k × AHT`` on average (``f_1 = 1 <= f_2 <= … <= f_c``, the ratios of the config's
``aht_by_concurrency``), so the agent finishes chats at rate ``g_k / AHT`` with ``g_k = k / f_k``,
its *effective concurrency* at ``k`` (300/350/420 s at one, two, three chats gives ``g`` = 1,
1.71, 2.14). A new chat goes to the least-loaded agent, as chat routers do, and the pool is
taken as balanced: with ``s`` chats among ``N`` agents, ``r = s mod N`` agents hold
``q + 1 = ⌊s/N⌋ + 1`` and the others ``q``. The number of chats is then a birth–death chain,
births ``λ`` and deaths

    μ(s) = (r·g_{q+1} + (N − r)·g_q) / AHT   for s <= N·c,

and above ``N·c`` a FIFO queue served at the full pool's rate ``N·g_c / AHT`` whose customers
leave at rate ``θ = 1/patience`` each (Erlang A), or never (Erlang C). That queue depends only
on the full-pool rate, so the waiting-time results of Erlang A
(:func:`wfm.staffing.erlang_a.delay_metrics`) and of Erlang C hold unchanged; only the
normaliser of the chain below the full pool, ``Σ_{s<=N·c} π_s/π_{N·c}``, is the chat pool's.
With every ``f_k = 1`` the pool is ``N·c`` identical servers (Erlang C or A with ``N·c``
servers, computed by Erlang B directly); with ``c = 1`` it is voice.

Why this model: it is the smallest one that has the two effects a chat planner sees — a chat
waits only when every slot is taken, and a busier agent is slower per chat — and it stays a
one-dimensional chain, exact to evaluate in milliseconds for every interval at once. Balance is
an approximation (a departure can leave agents two apart until the next arrival), exact when
``c = 1`` or every ``f_k`` is equal. Tezcan & Zhang [1]_ study the same state-dependent service
in the many-server limit; commercial calculators (ErlangC-math's chat model) sell it behind a
remote API.

Occupancy is per slot: mean chats in service / ``(N·c)``.

References
----------
.. [1] T. Tezcan and J. Zhang, "Routing and staffing in customer service chat systems with
   impatient customers", *Operations Research* 62(4), 943–956, 2014.
.. [2] G. Koole, *Call Center Optimization*, MG Books, 2013, §5 (birth–death chains).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from wfm.staffing.erlang import (
    FloatArray,
    IntArray,
    ServiceLevelDefinition,
    _agents,
    _definition,
    _nonneg,
    _positive,
    log_erlang_b,
)
from wfm.staffing.erlang_a import Delay, QueueMetrics, delay_metrics, service_level_by_definition

__all__ = ["chat_metrics", "slowdown_factors"]

_CHUNK_CELLS = 1 << 21  # chain states per block (16 MB per float array)


def slowdown_factors(concurrency: int, aht_by_concurrency: Sequence[float] | None = None
                     ) -> FloatArray:
    """The factors ``f_k = t_k / t_1`` of ``k = 1..c`` from handle times per level.

    Parameters
    ----------
    concurrency : int
        Chats an agent holds at most, ``c >= 1``.
    aht_by_concurrency : sequence of float, optional
        Handle time of a chat while its agent holds ``1, 2, …, c`` chats, in seconds or in any
        unit (only ratios count); ``None`` means no slow-down (all factors 1).

    Raises
    ------
    ValueError
        Wrong length, a value that is not positive, a handle time that falls as the agent holds
        more, or an extra chat that lowers the agent's throughput ``k / f_k``.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency!r}")
    if aht_by_concurrency is None:
        return np.ones(concurrency)
    t = np.asarray(aht_by_concurrency, dtype=float)
    if t.shape != (concurrency,):
        raise ValueError(f"aht_by_concurrency needs one handle time per level 1..{concurrency}, "
                         f"got {t.size}")
    if not (np.isfinite(t) & (t > 0)).all():
        raise ValueError(f"aht_by_concurrency must be positive numbers, got {t.tolist()}")
    if (np.diff(t) < 0).any():
        raise ValueError(f"aht_by_concurrency must not fall as an agent holds more chats, got "
                         f"{t.tolist()}")
    throughput = np.arange(1, concurrency + 1) / t
    if (np.diff(throughput) < -1e-12 * throughput[1:]).any():
        k = int(np.flatnonzero(np.diff(throughput) < 0)[0]) + 2
        raise ValueError(
            f"aht_by_concurrency {t.tolist()}: a chat at level {k} takes so long that the agent "
            f"finishes fewer chats per hour than at level {k - 1} (needs t_k/t_(k-1) <= "
            f"k/(k-1)); lower the concurrency instead"
        )
    return t / t[0]


def _pool_sums(lam: FloatArray, aht: FloatArray, n: IntArray, g: FloatArray
               ) -> tuple[FloatArray, FloatArray]:
    """``log Σ_{s<=S} π_s/π_S`` and ``log Σ_{s<=S} s·π_s/π_S`` of the pool, ``S = N·c``.

    ``g`` holds ``g_0 = 0, g_1, …, g_c``. ``log π_s/π_S = Σ_{k=s+1}^{S} log(μ(k)/λ)`` is summed
    from the top down per row (a fixed order per row, whatever the batch), rows in blocks of at
    most ``_CHUNK_CELLS`` states.
    """
    c = g.size - 1
    states = n * c
    g_up = np.append(g[1:], 0.0)  # g_{q+1}; unused at q = c, where r = 0
    out = np.empty((2, lam.size))
    order = np.argsort(states, kind="stable")
    start = 0
    while start < order.size:
        cells = (states[order[start:]] + 1) * np.arange(1, order.size - start + 1)
        stop = start + max(1, int(np.searchsorted(cells, _CHUNK_CELLS, side="right")))
        rows = order[start:stop]
        start = stop
        top = int(states[rows].max())
        k = np.arange(1, top + 1)[None, :]
        agents = n[rows][:, None]
        q, r = np.minimum(k // agents, c), k % agents
        mu = (r * g_up[q] + (agents - r) * g[q]) / aht[rows][:, None]
        inside = k <= states[rows][:, None]
        step = np.where(inside, np.log(np.where(inside, mu, 1.0)) - np.log(lam[rows])[:, None],
                        0.0)
        above = np.cumsum(step[:, ::-1], axis=1)[:, ::-1]  # column s: Σ_{k=s+1}^{top} step_k
        log_p = np.concatenate([above, np.zeros((rows.size, 1))], axis=1)
        log_p[:, 1:][~inside] = -np.inf  # states beyond the row's own S
        peak = log_p.max(axis=1, keepdims=True)
        weights = np.exp(log_p - peak)
        out[0, rows] = peak[:, 0] + np.log(weights.sum(axis=1))
        out[1, rows] = peak[:, 0] + np.log((weights * np.arange(top + 1)).sum(axis=1))
    return out[0], out[1]


def _erlang_c_delay(lam: FloatArray, n_mu: FloatArray, log_inv_b: FloatArray,
                    answer: FloatArray) -> Delay:
    """Erlang C's metrics from its chain halves (nobody abandons), for rows with calls.

    Above the full pool the chain is geometric, ``π_{S+j}/π_S = ρ^j`` with ``ρ = λ/n_mu``:
    ``P(wait) = (1 + R) / (1/B + R)`` with ``R = ρ/(1−ρ)``, and a waiting call waits an
    exponential time of rate ``n_mu − λ``. Unstable (``ρ >= 1``): everybody waits for ever.
    """
    stable = lam < n_mu
    rho = np.where(stable, lam / n_mu, 0.5)
    log_r = np.where(stable, np.log(rho) - np.log1p(-rho), np.inf)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p_wait = np.where(stable, np.exp(np.logaddexp(0.0, log_r) - np.logaddexp(log_inv_b,
                                                                                  log_r)), 1.0)
        ans_t = np.where(stable, 1.0 - p_wait * np.exp(-(n_mu - lam) * answer), 0.0)
        asa = np.where(stable, p_wait / (n_mu - lam), np.inf)
    zero = np.zeros(lam.size)
    return Delay(p_wait, zero, asa, np.ones(lam.size), ans_t, zero, zero, log_r)


def chat_metrics(
    calls: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: npt.ArrayLike,
    answer_seconds: npt.ArrayLike,
    concurrency: int = 1,
    aht_by_concurrency: Sequence[float] | None = None,
    patience_seconds: npt.ArrayLike | None = None,
    *,
    definition: ServiceLevelDefinition = "count_against",
    short_abandon_seconds: npt.ArrayLike = 0.0,
) -> QueueMetrics:
    """Steady-state service of a chat pool per interval (model in the module docstring).

    Parameters
    ----------
    calls : array_like
        Chats offered in the interval, ``>= 0``.
    aht_seconds : array_like
        Handle time of a chat while its agent holds no other (level 1), seconds, ``> 0``.
    agents : array_like of int
        Agents ``N`` in the pool.
    interval_seconds, answer_seconds : array_like
        Interval length and service-level threshold ``T``, seconds.
    concurrency : int, default 1
        Chats an agent holds at most, ``c >= 1``.
    aht_by_concurrency : sequence of float, optional
        Handle time at levels ``1..c`` (only ratios count, :func:`slowdown_factors`); ``None``
        means every chat takes ``aht_seconds`` however many its agent holds.
    patience_seconds : array_like, optional
        Mean patience of a waiting customer; ``None`` means nobody abandons (Erlang C).
    definition, short_abandon_seconds
        As in :func:`~wfm.staffing.erlang_a.erlang_a_metrics`.

    Returns
    -------
    QueueMetrics
        With ``c = 1`` or all factors equal, Erlang C or A with ``N·c`` servers of handle time
        ``f_c·AHT``; occupancy per slot. Where ``calls = 0``: no wait, service level 1,
        ASA 0, occupancy 0 (NaN without agents); where ``N = 0 < calls``: everybody waits (and
        with patience abandons), ASA NaN with patience and ``inf`` without, occupancy NaN.
    """
    definition = _definition(definition)
    factors = slowdown_factors(concurrency, aht_by_concurrency)
    arrays = np.broadcast_arrays(
        _nonneg(calls, "calls"), _positive(aht_seconds, "aht_seconds"), _agents(agents),
        _positive(interval_seconds, "interval_seconds"), _nonneg(answer_seconds, "answer_seconds"),
        _nonneg(short_abandon_seconds, "short_abandon_seconds"),
        np.asarray(1.0 if patience_seconds is None
                   else _positive(patience_seconds, "patience_seconds"), dtype=float))
    shape = arrays[0].shape
    vol, aht, n, interval, answer, short, patience = (v.ravel() for v in arrays)
    size = vol.size
    slots = n * concurrency
    lam = vol / interval
    offered = (lam > 0) & (lam * aht > 0)  # an underflowing load counts as no chats
    p_wait, abandon, ab_t, ab_s = (np.zeros(size) for _ in range(4))
    asa, ans_t = np.zeros(size), np.ones(size)
    occ = np.where(n > 0, 0.0, np.nan)

    idle = np.flatnonzero(offered & (n == 0))  # nobody to answer
    p_wait[idle], ans_t[idle] = 1.0, 0.0
    if patience_seconds is None:
        asa[idle] = np.inf
    else:
        abandon[idle] = 1.0
        ab_t[idle] = -np.expm1(-answer[idle] / patience[idle])
        ab_s[idle] = -np.expm1(-short[idle] / patience[idle])
        asa[idle] = np.nan

    k = np.flatnonzero(offered & (n > 0))
    if k.size:
        g = np.concatenate([[0.0], np.arange(1, concurrency + 1) / factors])
        lam_k, aht_k, full = lam[k], aht[k], slots[k].astype(float)
        n_mu = n[k] * g[-1] / aht_k  # the full pool's rate
        if (factors == 1.0).all():  # N·c identical servers: Erlang B gives the lower half
            log_inv_b = -log_erlang_b(lam_k * aht_k, slots[k])
            log_busy = np.full(k.size, np.nan)  # Little's law below
        else:
            log_inv_b, log_busy = _pool_sums(lam_k, aht_k, n[k], g)
        if patience_seconds is None:
            delay = _erlang_c_delay(lam_k, n_mu, log_inv_b, answer[k])
        else:
            delay = delay_metrics(lam_k, n_mu, 1.0 / patience[k], log_inv_b, answer[k], short[k])
        p_wait[k], abandon[k], asa[k] = delay.p_wait, delay.abandon, delay.asa
        ans_t[k], ab_t[k], ab_s[k] = delay.answered_within, delay.abandoned_within, delay.short
        if (factors == 1.0).all():  # chats in service = λ·P(answered)·AHT
            busy_slots = lam_k * delay.answered * aht_k
        else:  # chats in service: Σ_{s<=S} s·π_s + S·Σ_{s>S} π_s, over Σ π
            with np.errstate(invalid="ignore"):
                log_z = np.logaddexp(log_inv_b, delay.log_r)
                busy_slots = np.exp(np.logaddexp(log_busy, np.log(full) + delay.log_r) - log_z)
        occ[k] = np.where(np.isfinite(busy_slots), np.minimum(busy_slots / full, 1.0), 1.0)

    def out(v: FloatArray) -> FloatArray:
        return np.clip(v, 0.0, 1.0).reshape(shape) + 0.0

    components = out(ans_t), out(ab_t), out(ab_s), out(abandon)
    sl = service_level_by_definition(*components, definition)
    return QueueMetrics(out(p_wait), components[3], sl, asa.reshape(shape), out(occ),
                        *components[:3], definition=definition)
