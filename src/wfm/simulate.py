"""Discrete-event simulation of a published schedule against the forecast.

Where :mod:`wfm.staffing` answers "how many agents does the steady-state queue need", this module
replays the week contact by contact: the agents of ``agent_intervals.csv`` serve the contacts the
forecast predicts, and the service level, ASA, abandonment and occupancy that come out show what
the schedule delivers, transients, breaks and shift ends included.

The model, per replication:

- **Arrivals** per channel and interval are Poisson with the forecast ``volume`` (times a day-level
  multiplier, below), uniform within the interval. **Handle times** are exponential, or lognormal
  with coefficient of variation 1, with the interval's forecast ``aht_seconds``.
- **Volume uncertainty** (``level_uncertainty``): each replication scales each channel's day by
  one multiplier ``m = exp(σ·Z)``, ``Z ~ N(0, 1)``, with ``σ = ln(hi80 / volume) / 1.2816`` for
  ``Z > 0`` and ``ln(volume / lo80) / 1.2816`` for ``Z < 0``, from the day totals of the
  interval bounds, so the day's 80 % forecast bounds are the multiplier's 10 % and 90 %
  quantiles. Summed interval bounds are wider than the day total's own bounds and contain some
  Poisson noise that the arrivals draw again, so this errs on the side of more spread.
- **Routing** is skills-based when the agents' skills are given (``skills``, from the roster):
  an agent whose activity is any channel (not a break, lunch or time off) takes contacts of
  every channel it has the skill for. Each channel has one FCFS queue; an arriving contact goes
  to the free agent with the skill who has been idle longest (for chat: with the fewest
  sessions, then idle longest); an agent who becomes free takes the head of the waiting queue
  of its highest-``priority`` skill (ties: config order). Without ``skills`` routing follows the
  plan: an agent takes only contacts of the channel its activity names. A chat agent holds up
  to ``concurrency`` sessions at once, with no slow-down (``aht_by_concurrency`` is not
  modelled), and takes no contact of another channel while it holds one. At the end of its
  block of working intervals an agent stops taking contacts and finishes those it holds; under
  plan routing it takes the next block's channel once it is free of the old one.
- **Abandonment** (voice and chat with ``patience_seconds``): exponential patience; nobody
  abandons otherwise. Deferred work (email) never abandons; its backlog carries over intervals
  and days until an agent is scheduled on it.

Metrics are attributed to the contact's **arrival** interval: service level under the channel's
``target.definition`` (live channels) or the share completed within ``within_hours`` (deferred;
an item open when the simulation ends counts only if its deadline has passed), ASA = mean wait
of answered contacts (deferred: wait until an agent starts the item), and occupancy = busy
agent time / staffed agent time in the interval (chat: sessions / concurrency). Staffed time
is the plan's, with two corrections: under skills-based routing the busy time an agent gives to
a channel other than its planned one counts as staffed time of that channel, not of the planned
one, and time an agent stays past the end of its work to finish a contact is staffed time. It
runs until no
event is left, so callers still waiting after the last shift abandon, and contacts with no
patience stay in the queue (``in_queue_at_end``).

Replications are independent (one child of ``numpy.random.SeedSequence(seed)`` each), so the
results do not depend on how many processes ran them.
"""

from __future__ import annotations

import heapq
import itertools
import math
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from wfm import frames as F
from wfm.config import Config
from wfm.errors import DataError
from wfm.io.roster import Agent
from wfm.timegrid import Grid

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SIMULATION_COLUMNS = F.SIMULATION_COLUMNS
SUMMARY_COLUMNS = F.SIMULATION_SUMMARY_COLUMNS
HandleDistribution = Literal["exponential", "lognormal"]
Z80 = 1.2815515655446004  # standard normal 90 % quantile: an 80 % interval is ±Z80 sd
Z95 = 1.959963984540054
MIN_PARALLEL_CONTACTS = 100_000  # below this many simulated contacts a process pool costs more

# event kinds, in the order they are handled at equal times
_DEPART, _BLOCK_END, _BLOCK_START, _ABANDON = 0, 1, 2, 3


@dataclass(frozen=True)
class SimulationResult:
    """Simulated performance of a schedule, averaged over replications.

    Attributes
    ----------
    intervals : pandas.DataFrame
        :data:`SIMULATION_COLUMNS`, one row per channel and interval of the schedule: means over
        replications, the service level's 95 % confidence interval (mean ± 1.96·sd/√K) and
        ``p_miss_target``, the share of replications in which the interval missed the channel's
        target (NaN for a channel without one).
    daily : pandas.DataFrame
        :data:`SUMMARY_COLUMNS` per channel and local day, from each replication's day totals.
    in_queue_at_end : pandas.DataFrame
        ``date, channel, in_queue_at_end``: mean contacts per arrival day still waiting when the
        simulation ended (``offered = answered + abandoned + in_queue_at_end``).
    replications : int
        Number of replications K.
    seconds : float
        Wall time of the simulation.
    """

    intervals: pd.DataFrame
    daily: pd.DataFrame
    replications: int
    seconds: float
    in_queue_at_end: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class _Model:
    """Everything one replication needs, as plain arrays (shared with forked workers)."""

    channels: tuple[str, ...]
    kinds: tuple[str, ...]
    interval_seconds: float
    volume: FloatArray  # (C, I)
    aht: FloatArray  # (C, I)
    day_of_interval: IntArray  # (I,)
    sigma_hi: FloatArray  # (C, D)
    sigma_lo: FloatArray  # (C, D)
    patience: FloatArray  # (C,), inf without abandonment
    concurrency: tuple[int, ...]
    answer_seconds: FloatArray  # (C,): T for live channels, within_hours·3600 for deferred
    short_abandon: FloatArray  # (C,)
    definition: tuple[str, ...]
    staffed_seconds: FloatArray  # (C, I): scheduled agent time
    blocks: tuple[tuple[float, float, int, int], ...]  # (start, end, channel, agent), by start
    n_agents: int
    work_end: tuple[float, ...]  # per block: end of the agent's run of consecutive blocks
    routes: tuple[tuple[int, ...], ...] | None  # per agent: channels it serves, by priority
    handle: HandleDistribution
    level_uncertainty: bool


@dataclass(frozen=True, eq=False)
class _Counts:
    """One replication's totals per channel and arrival interval, arrays of shape (C, I)."""

    offered: FloatArray
    answered: FloatArray
    abandoned: FloatArray
    in_queue_at_end: FloatArray
    wait_seconds: FloatArray  # summed over answered contacts
    met: FloatArray  # service-level numerator
    eligible: FloatArray  # service-level denominator
    busy_seconds: FloatArray  # by the interval the work was done in (chat: / concurrency)
    extra_staffed_seconds: FloatArray  # staffed time moved to the channel served from the
    # planned one (skills-based routing), and added where agents finish contacts past their work


def simulate(
    agent_intervals: pd.DataFrame,
    forecast: pd.DataFrame,
    config: Config,
    grid: Grid | None = None,
    *,
    replications: int = 20,
    seed: int = 0,
    handle: HandleDistribution = "exponential",
    level_uncertainty: bool = True,
    workers: int | None = None,
    skills: Mapping[str, Collection[str]] | None = None,
) -> SimulationResult:
    """Simulate a published schedule against the forecast, ``replications`` times.

    Parameters
    ----------
    agent_intervals : pandas.DataFrame
        ``agent_id, interval_start, activity`` (agent_intervals.csv); activity is a channel name,
        ``break``, ``lunch`` or ``off``. Its intervals define the simulated span.
    forecast : pandas.DataFrame
        forecast.csv: ``interval_start, channel, volume, volume_lo80, volume_hi80, aht_seconds``
        (the bounds only with ``level_uncertainty``). It must cover every interval of the
        schedule for each channel that is scheduled or forecast.
    config : Config
        The site; its channels give kind, target, patience and concurrency.
    grid : Grid, optional
        The interval grid; ``Grid.from_config(config)`` by default.
    replications : int, default 20
        Number of independent replications K (``>= 1``).
    seed : int, default 0
        Seed of ``numpy.random.SeedSequence``; the same seed gives the same frames.
    handle : {"exponential", "lognormal"}
        Handle-time distribution (lognormal with coefficient of variation 1).
    level_uncertainty : bool, default True
        Draw a day-level volume multiplier per channel, day and replication from the forecast's
        80 % bounds (see the module docstring).
    workers : int, optional
        Processes to run replications in; by default the available CPUs when the work is large
        enough to pay for forking, else 1.
    skills : mapping of agent id to channel names, optional
        Skills-based routing: each working agent serves every channel it has the skill for
        (plus those it is scheduled on), highest channel ``priority`` first. None: each agent
        serves only the channel its activity names (routing by plan).

    Returns
    -------
    SimulationResult
        Per-interval and daily means over replications with confidence intervals.

    Raises
    ------
    DataError
        Unknown channels or activities, a forecast that misses scheduled intervals, or
        ``replications < 1``.
    """
    started = time.perf_counter()
    if replications < 1:
        raise DataError(None, f"replications must be at least 1, got {replications}")
    if handle not in ("exponential", "lognormal"):
        raise DataError(None, f"handle must be 'exponential' or 'lognormal', got {handle!r}")
    grid = grid or Grid.from_config(config)
    model, index = _prepare(agent_intervals, forecast, config, grid, handle=handle,
                            level_uncertainty=level_uncertainty, skills=skills)
    seeds = np.random.SeedSequence(seed).spawn(replications)
    counts = _run_all(model, seeds, workers)
    intervals, daily, queued = _summarise(model, index, grid, config, counts)
    return SimulationResult(intervals=intervals, daily=daily, replications=replications,
                            seconds=time.perf_counter() - started, in_queue_at_end=queued)


def agent_skills(agents: Iterable[Agent]) -> dict[str, tuple[str, ...]]:
    """The ``skills`` argument of :func:`simulate` for skills-based routing, from the roster."""
    return {agent.agent_id: agent.skills for agent in agents}


# -- input ---------------------------------------------------------------------------------------

def _stamps(values: pd.Series, grid: Grid, what: str) -> pd.Series:
    """``interval_start`` as tz-aware stamps in the site time zone."""
    s = values if isinstance(values.dtype, pd.DatetimeTZDtype) else pd.to_datetime(
        values, utc=True, errors="coerce")
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        raise DataError(None, f"{what}: interval_start must be time stamps with an offset",
                        column=F.INTERVAL_START)
    if s.isna().any():
        rows = np.flatnonzero(s.isna().to_numpy())
        raise DataError(None, f"{what}: interval_start is not a time stamp",
                        rows=[int(r) for r in rows], column=F.INTERVAL_START)
    return s.dt.tz_convert(grid.timezone)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(None, f"{what} lacks column(s) {', '.join(missing)} "
                        f"(expected {', '.join(columns)})")


def _prepare(agent_intervals: pd.DataFrame, forecast: pd.DataFrame, config: Config, grid: Grid,
             *, handle: HandleDistribution = "exponential", level_uncertainty: bool = True,
             skills: Mapping[str, Collection[str]] | None = None
             ) -> tuple[_Model, pd.DatetimeIndex]:
    """Check the inputs and turn them into the arrays of a :class:`_Model`."""
    _require(agent_intervals, F.AGENT_INTERVAL_COLUMNS, "agent_intervals")
    bounds = (F.lo(F.VOLUME, 80), F.hi(F.VOLUME, 80)) if level_uncertainty else ()
    _require(forecast, (F.INTERVAL_START, F.CHANNEL, F.VOLUME, F.AHT_SECONDS, *bounds),
             "forecast")
    if agent_intervals.empty:
        raise DataError(None, "agent_intervals is empty: there is no schedule to simulate")
    known = set(config.channels)
    activity = agent_intervals[F.ACTIVITY].astype(str)
    other = {F.OFF, F.BREAK, F.LUNCH}
    unknown = sorted(set(activity) - known - other)
    if unknown:
        raise DataError(None, f"agent_intervals: unknown activity '{unknown[0]}' (expected a "
                        f"channel: {', '.join(config.channels)}, or break, lunch, off)",
                        column=F.ACTIVITY)
    fc_channel = forecast[F.CHANNEL].astype(str)
    unknown = sorted(set(fc_channel) - known)
    if unknown:
        raise DataError(None, f"forecast: unknown channel '{unknown[0]}' (channels: "
                        f"{', '.join(config.channels)})", column=F.CHANNEL)

    step = grid.freq
    a_start = _stamps(agent_intervals[F.INTERVAL_START], grid, "agent_intervals")
    first, last = a_start.min(), a_start.max()
    utc = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq=step)
    index = utc.tz_convert(grid.timezone).rename(F.INTERVAL_START)
    n_int = len(index)
    a_pos = _positions(a_start, first, step, "agent_intervals")

    f_start = _stamps(forecast[F.INTERVAL_START], grid, "forecast")
    in_span = ((f_start >= first) & (f_start <= last)).to_numpy()
    fc = forecast.loc[in_span]
    f_pos = _positions(f_start[in_span], first, step, "forecast")
    scheduled = set(activity) & known
    channels = tuple(c for c in config.channels if c in scheduled or c in set(fc_channel[in_span]))
    n_ch = len(channels)
    ch_pos = {c: i for i, c in enumerate(channels)}

    volume = np.full((n_ch, n_int), np.nan)
    aht = np.full((n_ch, n_int), np.nan)
    hi80 = np.zeros((n_ch, n_int))
    lo80 = np.zeros((n_ch, n_int))
    fci = fc_channel[in_span].map(ch_pos).to_numpy(dtype=np.int64)
    twice = pd.Series(fci * n_int + f_pos).duplicated().to_numpy()
    if twice.any():
        row = int(np.flatnonzero(in_span)[np.argmax(twice)])
        raise DataError(None, f"forecast has two rows for channel '{fc_channel.iloc[row]}' at "
                        f"{f_start.iloc[row].isoformat()}", rows=[row])
    volume[fci, f_pos] = _numbers(fc[F.VOLUME])
    aht[fci, f_pos] = _numbers(fc[F.AHT_SECONDS])
    if level_uncertainty:
        lo80[fci, f_pos] = _numbers(fc[F.lo(F.VOLUME, 80)])
        hi80[fci, f_pos] = _numbers(fc[F.hi(F.VOLUME, 80)])
    for ci, name in enumerate(channels):
        gap = np.flatnonzero(np.isnan(volume[ci]))
        if len(gap):
            shown = ", ".join(index[g].isoformat() for g in gap[:3])
            more = f" (and {len(gap) - 3} more)" if len(gap) > 3 else ""
            raise DataError(None, f"forecast has no volume for channel '{name}' at {shown}"
                            f"{more}, which the schedule covers", column=F.VOLUME)
        bad = (volume[ci] < 0) | ((volume[ci] > 0) & ~(aht[ci] > 0))
        if bad.any():
            raise DataError(None, f"forecast for channel '{name}' at "
                            f"{index[int(np.argmax(bad))].isoformat()}: volume must be >= 0 "
                            "and aht_seconds > 0", column=F.AHT_SECONDS)
    aht = np.where(aht > 0, aht, 1.0)

    days = grid.local_day(index)
    day_values, day_of_interval = np.unique(days, return_inverse=True)
    onehot = np.zeros((n_int, len(day_values)))
    onehot[np.arange(n_int), day_of_interval] = 1.0
    v_day, h_day, l_day = volume @ onehot, hi80 @ onehot, lo80 @ onehot
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma_hi = np.where((v_day > 0) & (h_day > v_day), np.log(h_day / v_day) / Z80, 0.0)
        sigma_lo = np.where((v_day > 0) & (l_day > 0) & (l_day < v_day),
                            np.log(v_day / l_day) / Z80, sigma_hi)  # lo80 = 0: symmetric

    specs = [config.channels[c] for c in channels]
    staffed = np.zeros((n_ch, n_int))
    act_ch = activity.map(ch_pos)
    on = act_ch.notna().to_numpy()
    np.add.at(staffed, (act_ch[on].to_numpy(dtype=np.int64), a_pos[on]),
              grid.interval_minutes * 60.0)
    agent_ids = agent_intervals[F.AGENT_ID].astype(str).to_numpy(dtype=str)
    plan_ch = np.asarray(act_ch.fillna(-1).to_numpy(), dtype=np.int64)
    routes = None if skills is None else _routes(agent_ids, plan_ch, skills, channels, config)
    blocks = _blocks(agent_ids, a_pos, plan_ch, n_int, grid.interval_minutes * 60.0)
    model = _Model(
        channels=channels,
        kinds=tuple(s.kind for s in specs),
        interval_seconds=grid.interval_minutes * 60.0,
        volume=volume,
        aht=aht,
        day_of_interval=day_of_interval.astype(np.int64),
        sigma_hi=sigma_hi,
        sigma_lo=sigma_lo,
        patience=np.array([s.patience_seconds or math.inf for s in specs], dtype=float),
        concurrency=tuple(s.sessions_per_agent for s in specs),
        answer_seconds=np.array([
            (s.target.within_hours or 0.0) * 3600.0 if s.kind == "deferred"
            else s.target.answer_seconds or 0.0 for s in specs], dtype=float),
        short_abandon=np.array([s.target.short_abandon_seconds for s in specs], dtype=float),
        definition=tuple(s.target.definition for s in specs),
        staffed_seconds=staffed,
        blocks=blocks[0],
        n_agents=blocks[1],
        work_end=_work_ends(blocks[0]),
        routes=routes,
        handle=handle,
        level_uncertainty=level_uncertainty,
    )
    return model, index


def _numbers(values: pd.Series) -> FloatArray:
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=float)


def _positions(stamps: pd.Series, first: pd.Timestamp, step: pd.Timedelta, what: str) -> IntArray:
    """Interval number of each stamp from ``first``; every stamp must lie on the grid."""
    offset = (stamps - first).to_numpy()
    pos, rest = np.divmod(offset, step.to_timedelta64())
    if (rest != np.timedelta64(0)).any():
        row = int(np.argmax(rest != np.timedelta64(0)))
        raise DataError(None, f"{what}: interval_start {stamps.iloc[row].isoformat()} is not on "
                        f"the {step} grid", column=F.INTERVAL_START)
    return pos.astype(np.int64)


def _blocks(agents: npt.NDArray[np.str_], pos: IntArray, channel: IntArray, n_int: int,
            interval_seconds: float) -> tuple[tuple[tuple[float, float, int, int], ...], int]:
    """Runs of consecutive intervals on one channel per agent: (start s, end s, channel, agent)."""
    ids, agent = np.unique(agents, return_inverse=True)
    plan = np.full((len(ids), n_int + 2), -1, dtype=np.int64)  # padded: every run ends
    plan[agent, pos + 1] = channel
    change = plan[:, 1:] != plan[:, :-1]
    out: list[tuple[float, float, int, int]] = []
    for a in range(len(ids)):
        edges = np.flatnonzero(change[a])  # edge e: between interval e-1 and e
        for s, e in itertools.pairwise(edges):
            ch = int(plan[a, s + 1])
            if ch >= 0:
                out.append((s * interval_seconds, e * interval_seconds, ch, a))
    out.sort()
    return tuple(out), len(ids)


def _work_ends(blocks: tuple[tuple[float, float, int, int], ...]) -> tuple[float, ...]:
    """Per block, the end of its agent's run of back-to-back blocks (the end of that work)."""
    by_agent: dict[int, list[int]] = {}
    for i, (_, _, _, a) in enumerate(blocks):
        by_agent.setdefault(a, []).append(i)
    ends = [0.0] * len(blocks)
    for mine in by_agent.values():  # in start order
        run_end = blocks[mine[-1]][1]
        for j in reversed(range(len(mine))):
            i = mine[j]
            if j + 1 < len(mine) and blocks[mine[j + 1]][0] != blocks[i][1]:
                run_end = blocks[i][1]
            ends[i] = run_end
    return tuple(ends)


def _routes(agent_ids: npt.NDArray[np.str_], plan_ch: IntArray,
            skills: Mapping[str, Collection[str]], channels: tuple[str, ...],
            config: Config) -> tuple[tuple[int, ...], ...]:
    """Per agent (in :func:`_blocks`' order): the simulated channels it serves, highest
    ``priority`` first (ties: config order): its skills plus the channels it is scheduled on."""
    ids, agent = np.unique(agent_ids, return_inverse=True)
    planned: list[set[int]] = [set() for _ in ids]
    for a, c in zip(agent.tolist(), plan_ch.tolist(), strict=True):
        if c >= 0:
            planned[a].add(c)
    pos = {c: i for i, c in enumerate(channels)}
    rank = {i: (-config.channels[c].priority, i) for i, c in enumerate(channels)}
    out = []
    for a, agent_id in enumerate(ids.tolist()):
        serves = planned[a] | {pos[c] for c in skills.get(agent_id, ()) if c in pos}
        out.append(tuple(sorted(serves, key=rank.__getitem__)))
    return tuple(out)


# -- one replication -----------------------------------------------------------------------------

def _replicate(model: _Model, seed: np.random.SeedSequence) -> _Counts:
    """Draw one replication's contacts and run the event loop over them."""
    rng = np.random.default_rng(seed)
    n_ch, n_int = model.volume.shape
    lam = model.volume
    if model.level_uncertainty:
        z = rng.standard_normal(model.sigma_hi.shape)
        mult = np.exp(z * np.where(z > 0, model.sigma_hi, model.sigma_lo))
        lam = lam * mult[:, model.day_of_interval]
    n = rng.poisson(lam)
    cell = np.repeat(np.arange(n_ch * n_int), n.ravel())
    ch, iv = np.divmod(cell, n_int)
    arrival = (iv + rng.random(len(cell))) * model.interval_seconds
    mean = model.aht[ch, iv]
    if model.handle == "lognormal":  # cv 1: σ² = ln(1 + cv²)
        s2 = math.log(2.0)
        handle = rng.lognormal(np.log(mean) - s2 / 2, math.sqrt(s2))
    else:
        handle = rng.exponential(mean)
    patience = rng.exponential(1.0, len(cell)) * model.patience[ch]
    order = np.argsort(arrival, kind="stable")
    ch, iv = ch[order].astype(np.int64), iv[order].astype(np.int64)
    arrival, handle, patience = arrival[order], handle[order], patience[order]
    start, end, planned, work_end = _event_loop(model, arrival, ch, handle, patience)
    return _count(model, ch, iv, arrival, patience, start, end, planned, work_end)


def _event_loop(model: _Model, arrival_a: FloatArray, ch_a: IntArray, handle_a: FloatArray,
                patience_a: FloatArray
                ) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
    """Run the queues; return each contact's service start and end (NaN if never served; the
    end is ``-inf`` for a contact that abandoned, ``+inf`` for one still waiting), and the
    planned channel and end of work of the agent who served it (-1 and NaN if none)."""
    arrival, chan = arrival_a.tolist(), ch_a.tolist()
    handle, patience = handle_a.tolist(), patience_a.tolist()
    n = len(arrival)
    conc = model.concurrency
    n_ch = len(conc)
    nan, inf = math.nan, math.inf
    start = [nan] * n
    end = [inf] * n  # waiting until served or abandoned
    served_plan = [-1] * n
    served_until = [nan] * n
    routes, work_end = model.routes, model.work_end
    blocks = model.blocks
    heap: list[tuple[float, int, int]] = [(b[0], _BLOCK_START, i) for i, b in enumerate(blocks)]
    heap += [(b[1], _BLOCK_END, i) for i, b in enumerate(blocks)]
    heapq.heapify(heap)
    push, pop = heapq.heappush, heapq.heappop
    n_ag = model.n_agents
    on_ch = [-1] * n_ag  # channel of the agent's current block, -1 when not on one
    block = [-1] * n_ag
    sess = [0] * n_ag
    sess_ch = [-1] * n_ag
    token = [0] * n_ag
    idle_since = [0.0] * n_ag
    queue: list[deque[int]] = [deque() for _ in range(n_ch)]
    free: list[list[tuple[int, float, int, int]]] = [[] for _ in range(n_ch)]

    def serve(k: int, a: int, t: float) -> None:
        c = chan[k]
        start[k] = t
        end[k] = t + handle[k]
        served_plan[k] = on_ch[a]
        served_until[k] = work_end[block[a]]
        sess[a] += 1
        sess_ch[a] = c
        push(heap, (end[k], _DEPART, a))

    def offer(a: int, t: float) -> None:
        """Agent ``a`` changed state: let it take waiting contacts, then list it as free."""
        token[a] += 1
        if on_ch[a] < 0:
            return
        serves = (on_ch[a],) if routes is None else routes[a]
        if sess[a]:  # holding contacts: only more of the same channel
            if sess_ch[a] not in serves:
                return
            serves = (sess_ch[a],)
        for c in serves:  # highest priority first
            q = queue[c]
            while sess[a] < conc[c] and q:
                k = q.popleft()
                if end[k] == inf and start[k] != start[k]:  # still waiting (start is NaN)
                    serve(k, a, t)
            if sess[a]:
                serves = (c,)
                break
        for c in serves:
            if sess[a] < conc[c]:
                push(free[c], (sess[a], idle_since[a], a, token[a]))

    i = 0
    while True:
        if heap and (i >= n or heap[0][0] <= arrival[i]):
            t, kind, x = pop(heap)
            if kind == _DEPART:
                sess[x] -= 1
                idle_since[x] = t
                offer(x, t)
            elif kind == _ABANDON:
                if start[x] != start[x]:  # not served: the caller hangs up
                    end[x] = -inf
            elif kind == _BLOCK_START:
                a = blocks[x][3]
                block[a], on_ch[a] = x, blocks[x][2]
                idle_since[a] = t
                offer(a, t)
            else:  # _BLOCK_END
                a = blocks[x][3]
                if block[a] == x:
                    block[a], on_ch[a] = -1, -1
                    token[a] += 1
        elif i < n:
            t = arrival[i]
            c = chan[i]
            f = free[c]
            while f:
                _, _, a, tok = pop(f)
                if tok == token[a]:
                    serve(i, a, t)
                    offer(a, t)
                    break
            else:
                queue[c].append(i)
                if patience[i] < inf:
                    push(heap, (t + patience[i], _ABANDON, i))
            i += 1
        else:
            break
    return (np.array(start, dtype=float), np.array(end, dtype=float),
            np.array(served_plan, dtype=np.int64), np.array(served_until, dtype=float))


def _count(model: _Model, ch: IntArray, iv: IntArray, arrival: FloatArray, patience: FloatArray,
           start: FloatArray, end: FloatArray, planned: IntArray,
           work_end: FloatArray) -> _Counts:
    """Totals per channel and arrival interval from each contact's fate."""
    n_ch, n_int = model.volume.shape
    size = n_ch * n_int
    cell = ch * n_int + iv
    answered = ~np.isnan(start)
    abandoned = end == -np.inf  # they abandoned at arrival + patience
    waiting = ~answered & ~abandoned
    wait = np.where(answered, start - arrival, 0.0)
    threshold = model.answer_seconds[ch]
    deferred = np.array([k == "deferred" for k in model.kinds], dtype=bool)[ch]
    definition = np.array(model.definition)[ch]
    within = answered & (wait <= threshold)
    short = abandoned & (patience < model.short_abandon[ch])
    abandoned_within = abandoned & (patience <= threshold) & ~short
    met = np.where(definition == "met", within | abandoned_within, within)
    eligible = np.where(definition == "ignore", answered, ~short)
    # deferred: an item still open when the simulation ends counts only if already late
    on_time = answered & (end - arrival <= threshold)
    known = on_time | (arrival + threshold <= n_int * model.interval_seconds)
    met = np.where(deferred, on_time, met)
    eligible = np.where(deferred, known, eligible)

    weight = 1.0 / np.asarray(model.concurrency, dtype=float)[ch]  # a chat session's share
    # staffed time: the part of a contact served within the agent's work moves from its planned
    # channel to the contact's; the part past the end of its work is staffed time it adds
    in_work = np.minimum(end, work_end)
    after = np.maximum(start, work_end)
    lent = answered & (planned >= 0) & (planned != ch)
    late = answered & (end > work_end)

    def total(values: npt.NDArray[np.bool_] | FloatArray) -> FloatArray:
        sums = np.bincount(cell, weights=np.asarray(values, dtype=float), minlength=size)
        return np.asarray(sums, dtype=float).reshape(n_ch, n_int)

    return _Counts(
        offered=total(np.ones(len(ch))),
        answered=total(answered),
        abandoned=total(abandoned),
        in_queue_at_end=total(waiting),
        wait_seconds=total(wait),
        met=total(met),
        eligible=total(eligible),
        busy_seconds=_busy_seconds(model, ch[answered], start[answered], end[answered],
                                   weight[answered]),
        extra_staffed_seconds=(
            _busy_seconds(model, ch[lent], start[lent], in_work[lent], weight[lent])
            - _busy_seconds(model, planned[lent], start[lent], in_work[lent], weight[lent])
            + _busy_seconds(model, ch[late], after[late], end[late], weight[late])),
    )


def _busy_seconds(model: _Model, ch: IntArray, start: FloatArray, end: FloatArray,
                  weight: FloatArray) -> FloatArray:
    """Weighted handle time per channel ``ch`` and interval it was worked in (a chat session
    weighs 1 / concurrency).

    ``busy(t) = Σ w·clip(t − start, 0, end − start)`` is evaluated at every interval edge from
    the sorted starts and ends; its differences are the busy time inside each interval.
    """
    n_ch, n_int = model.volume.shape
    edges = np.arange(n_int + 1) * model.interval_seconds
    out = np.zeros((n_ch, n_int))

    def below(times: FloatArray, w: FloatArray) -> FloatArray:
        """``Σ w·(edge − time)`` over the times up to each edge."""
        order = np.argsort(times, kind="stable")
        t, w = times[order], w[order]
        cum_w = np.concatenate([[0.0], np.cumsum(w)])
        cum_wt = np.concatenate([[0.0], np.cumsum(w * t)])
        k = np.searchsorted(t, edges)
        return np.asarray(cum_w[k] * edges - cum_wt[k], dtype=float)

    for c in range(n_ch):
        mine = ch == c
        busy = below(start[mine], weight[mine]) - below(end[mine], weight[mine])
        out[c] = np.diff(busy)
    return out


# -- replications --------------------------------------------------------------------------------

_SHARED: _Model | None = None  # the model a forked worker inherits


def _worker(seed: np.random.SeedSequence) -> _Counts:
    assert _SHARED is not None
    return _replicate(_SHARED, seed)


def _run_all(model: _Model, seeds: list[np.random.SeedSequence],
             workers: int | None) -> list[_Counts]:
    """Run the replications, in a forked process pool when that pays off."""
    global _SHARED
    if workers is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        big = float(model.volume.sum()) * len(seeds) >= MIN_PARALLEL_CONTACTS
        workers = min(cpus, len(seeds)) if big else 1
    workers = max(1, min(workers, len(seeds)))
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        _SHARED = model
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_worker, seeds, chunksize=1)
        except OSError:  # no processes to be had (sandbox, limits): run them here
            pass
        finally:
            _SHARED = None
    return [_replicate(model, s) for s in seeds]


# -- summaries -----------------------------------------------------------------------------------

def _mean_ci(values: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean over axis 0 ignoring NaN, and mean ± 1.96·sd/√k (NaN with fewer than 2 values)."""
    ok = ~np.isnan(values)
    k = ok.sum(axis=0)
    filled = np.where(ok, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / k
        dev = np.where(ok, values - mean, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (k - 1))
        half = np.where(k > 1, Z95 * sd / np.sqrt(k), np.nan)
    return mean, np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _frame(model: _Model, config: Config, stack: dict[str, FloatArray],
           staffed: FloatArray) -> dict[str, FloatArray]:
    """The metric columns, arrays (C, X), from stacked totals (K, C, X) over X cells."""
    sl = _ratio(stack["met"], stack["eligible"])
    mean, lo, hi = _mean_ci(sl)
    targets = np.array([
        (s.target.share if s.kind == "deferred" else s.target.service_level) or np.nan
        for s in (config.channels[c] for c in model.channels)], dtype=float)
    miss = (sl < targets[None, :, None]).mean(axis=0)
    miss = np.where(np.isnan(targets)[:, None], np.nan, miss)
    asa, _, _ = _mean_ci(_ratio(stack["wait_seconds"], stack["answered"]))
    return {
        "offered": stack["offered"].mean(axis=0),
        "answered": stack["answered"].mean(axis=0),
        "abandoned": stack["abandoned"].mean(axis=0),
        "service_level": mean,
        "service_level_lo95": lo,
        "service_level_hi95": hi,
        "asa_seconds": asa,
        "occupancy": _ratio(stack["busy_seconds"].mean(axis=0), staffed),
        "p_miss_target": miss,
        "in_queue_at_end": stack["in_queue_at_end"].mean(axis=0),
    }


def _long(keys: pd.Index, key_name: str, channels: tuple[str, ...],
          columns: dict[str, FloatArray]) -> pd.DataFrame:
    """One row per channel and key (channel-major), from arrays of shape (C, len(keys))."""
    n = len(keys)
    out = pd.DataFrame({key_name: keys[np.tile(np.arange(n), len(channels))],
                        F.CHANNEL: np.repeat(channels, n)})
    for name, values in columns.items():
        out[name] = values.ravel()
    return out


def _summarise(model: _Model, index: pd.DatetimeIndex, grid: Grid, config: Config,
               counts: list[_Counts]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    names = ("offered", "answered", "abandoned", "in_queue_at_end", "wait_seconds", "met",
             "eligible", "busy_seconds", "extra_staffed_seconds")
    stack = {n: np.stack([getattr(c, n) for c in counts]) for n in names}
    staffed = model.staffed_seconds + stack["extra_staffed_seconds"].mean(axis=0)
    per_interval = _frame(model, config, stack, staffed)
    days = pd.Index(np.unique(grid.local_day(index)))
    onehot = np.zeros((len(index), len(days)))
    onehot[np.arange(len(index)), model.day_of_interval] = 1.0
    per_day = _frame(model, config, {n: v @ onehot for n, v in stack.items()},
                     staffed @ onehot)
    queued = per_day.pop("in_queue_at_end")
    per_interval.pop("in_queue_at_end")
    intervals = _long(index, F.INTERVAL_START, model.channels, per_interval)
    daily = _long(days, F.DATE, model.channels, per_day)
    tail = _long(days, F.DATE, model.channels, {"in_queue_at_end": queued})
    return (intervals.loc[:, list(SIMULATION_COLUMNS)], daily.loc[:, list(SUMMARY_COLUMNS)],
            tail)


def week_summary(daily: pd.DataFrame) -> pd.DataFrame:
    """Per channel over all days of ``daily`` (:data:`SUMMARY_COLUMNS`): offered, answered and
    abandoned contacts, the service level weighted by the offered contacts of the days that have
    one, ASA weighted by answered contacts, mean occupancy, and ``risky_days``: days with a
    ``p_miss_target`` of 0.5 or more (NaN for channels without a service-level target)."""
    rows = []
    for channel, g in daily.groupby(F.CHANNEL, sort=False):
        known = g[F.SERVICE_LEVEL].notna()
        sl_offered = float(g.loc[known, "offered"].sum())
        answered = float(g["answered"].sum())
        risk = g["p_miss_target"].dropna()
        rows.append({
            F.CHANNEL: channel, "offered": float(g["offered"].sum()), "answered": answered,
            "abandoned": float(g["abandoned"].sum()),
            F.SERVICE_LEVEL: float((g.loc[known, F.SERVICE_LEVEL] * g.loc[known, "offered"]).sum())
            / sl_offered if sl_offered else np.nan,
            F.ASA_SECONDS: float((g[F.ASA_SECONDS].fillna(0) * g["answered"]).sum()) / answered
            if answered else np.nan,
            F.OCCUPANCY: float(g[F.OCCUPANCY].mean()),
            "risky_days": float((risk >= 0.5).sum()) if len(risk) else np.nan,
        })
    return pd.DataFrame(rows)
