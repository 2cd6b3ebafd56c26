"""Calibration: does the staffing model predict what the ACD log says happened?

For every channel and interval of a call-level log (:data:`wfm.frames.CALL_COLUMNS`), the
planner's staffing models are asked what the staffing *observed* should have achieved, and their
answers are set beside what the log shows; :func:`calibrate` reports the error per model, so a
planner knows which model to trust for which queue. The idea is Brown et al.'s [1]_: with the
patience estimated from the same log, set Erlang A's predicted service measures beside the
measured ones, and against Erlang C's, which ignores abandonment.

Estimators, per channel and interval (a call belongs to the interval of its ``arrival``, on the
site's grid, as ACD interval reports count calls offered):

* ``offered``, ``answered``, ``abandoned``: counts of the calls that arrived in the interval.
* ``aht_seconds``: mean ``handle_seconds`` of those of them that were answered.
* Patience (one figure per channel, over the whole log): the maximum-likelihood estimate of
  exponential patience of :func:`wfm.staffing.estimate_patience` [1]_. Every call is exposed to
  abandoning for as long as it waits, and its wait ends by abandoning or, censored, by being
  answered, so the mean patience is *total waiting time of all calls* ÷ *abandons*, with an
  exact (Garwood) 95 % interval. The mean time to abandon of the abandoned calls alone would be
  biased low: only the impatient abandon.
* ``agents_observed``: distinct agents who served the channel at any moment of the interval; a
  call is in service from ``arrival + wait_seconds`` for ``handle_seconds``, and an agent counts
  in every interval that span meets. This is a *lower bound* of the agents logged in: an agent
  who was logged in but took no contact all interval leaves no trace in a call log (the bound is
  tight in busy intervals, loose in quiet ones). A multi-skill agent counts in each channel they
  served, so the channels' counts can add up to more than the agents present.
* ``busy_agents``: time-average number of agents busy on the channel over the interval, the
  length of the union of each agent's service spans within the interval ÷ its length (a chat
  agent holding two chats is one agent busy); calls with an unknown agent add their handle time
  as if each were served by an agent of its own.
* Observed service level, under the channel's ``target.definition`` with threshold
  ``T = answer_seconds`` and short abandons (``wait < short_abandon_seconds``) left out of
  offered: ``count_against`` = answered with wait ``<= T`` ÷ (offered − short abandons);
  ``ignore`` = answered with wait ``<= T`` ÷ answered; ``met`` = (answered with wait ``<= T`` +
  abandoned, not short, with wait ``<= T``) ÷ (offered − short abandons). The same three ratios
  :func:`wfm.staffing.erlang_a.service_level_by_definition` predicts.
* ``abandon_observed`` = abandoned ÷ offered (short abandons included, as the models' abandon
  probability); ``asa_observed`` = mean wait of the answered calls (NaN with none answered).

Predictions: :func:`wfm.staffing.staffing_metrics` with ``N = agents_observed``, the interval's
offered calls and AHT (the channel's mean AHT over the log where the interval has no answered
call) and the interval length, under Erlang C (M/M/N) and Erlang A (M/M/N+M [2]_ [3]_, with the
channel's estimated patience; where the channel has no abandon in the log the estimate is
infinite, or undefined if nobody waited either, and Erlang A is taken at its limit, Erlang C).
Chat channels use their pool (``concurrency``, ``aht_by_concurrency``) with the observed handle
time, as the requirements do with the forecast's. Both models are steady-state: each interval
is taken as if it had lasted long enough to settle, which a busy interval after a quieter one
does not, and a lower-bound ``N`` makes both models pessimistic in quiet intervals;
:attr:`Calibration.summary` therefore uses only intervals with at least ``min_offered`` calls
and one agent observed.

Comparison: per channel and model, over those intervals, the mean absolute error and the bias
(mean of predicted − observed) of service level and abandonment, the same errors weighted by
offered calls (busy intervals count more, as they do for customers), and the mean absolute error
of ASA over intervals where both ASAs are finite. Erlang C predicts an infinite ASA (and a
service level of 0) where the load is at least ``N``, which a queue with abandonment survives;
those intervals are counted in ``unstable_intervals``. Erlang C always predicts no abandonment,
so its abandonment bias is minus the observed rate.

References
----------
.. [1] L. Brown, N. Gans, A. Mandelbaum, A. Sakov, H. Shen, S. Zeltyn and L. Zhao,
   "Statistical analysis of a telephone call center: a queueing-science perspective",
   *JASA* 100(469), 36–50, 2005.
.. [2] A. Mandelbaum and S. Zeltyn, "Service engineering in action: the Palm/Erlang-A queue,
   with applications to call centers", in *Advances in Services Innovations*, Springer, 2007,
   17–45.
.. [3] A. Mandelbaum and S. Zeltyn, "The M/M/n+G queue: summary of performance measures",
   Technion, 2009.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wfm import frames as F
from wfm.config import Channel, Config
from wfm.errors import DataError
from wfm.staffing import estimate_patience, staffing_metrics
from wfm.timegrid import Grid

__all__ = [
    "FRAME_COLUMNS",
    "MODELS",
    "PATIENCE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Calibration",
    "calibrate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SOURCE = "calls"
_NS = 1_000_000_000

MODELS = ("erlang_c", "erlang_a")
OBSERVED = "observed"
AGENTS_OBSERVED = "agents_observed"
BUSY_AGENTS = "busy_agents"
_METRICS = ("service_level", "abandon", "asa")


def metric_column(metric: str, source: str) -> str:
    """Column of a metric as observed or predicted, e.g. ``service_level_erlang_a``."""
    return f"{metric}_{source}"


FRAME_COLUMNS = (
    F.INTERVAL_START,
    F.CHANNEL,
    F.OFFERED,
    F.ANSWERED,
    F.ABANDONED,
    F.AHT_SECONDS,
    AGENTS_OBSERVED,
    BUSY_AGENTS,
    *(metric_column(m, source) for source in (OBSERVED, *MODELS) for m in _METRICS),
)
PATIENCE_COLUMNS = (
    F.CHANNEL, F.OFFERED, F.ABANDONED, F.WAIT_SECONDS, "patience_seconds", "patience_lo95",
    "patience_hi95",
)
SUMMARY_COLUMNS = (
    F.CHANNEL, F.MODEL, "intervals", "mae_service_level", "bias_service_level", "mae_abandon",
    "bias_abandon", "mae_asa_seconds", "weighted_mae_service_level", "weighted_mae_abandon",
    "unstable_intervals",
)


@dataclass(frozen=True, eq=False)
class Calibration:
    """What the staffing models predicted for the staffing observed, against what happened.

    Attributes
    ----------
    frame : DataFrame
        :data:`FRAME_COLUMNS`, one row per channel and interval in which the channel had a call
        offered or an agent serving, sorted by channel (config order) and ``interval_start``
        (module docstring for every estimator). Predictions are NaN where nothing was offered.
    patience : DataFrame
        :data:`PATIENCE_COLUMNS`, one row per channel of the log: calls offered, abandoned,
        total waiting time and the patience estimate with its 95 % interval, seconds.
    summary : DataFrame
        :data:`SUMMARY_COLUMNS`, one row per channel and model over the intervals with at least
        ``min_offered`` calls and one agent observed.
    min_offered : int
        The least calls offered for an interval to enter the summary.
    """

    frame: pd.DataFrame
    patience: pd.DataFrame
    summary: pd.DataFrame
    min_offered: int


@dataclass(frozen=True, eq=False)
class _Log:
    """The validated call log as arrays; times in seconds from the first interval's start."""

    channels: tuple[str, ...]  # config order, only those in the log
    channel: IntArray  # index into ``channels``
    arrival: FloatArray
    answered: BoolArray
    wait: FloatArray
    handle: FloatArray  # 0 where abandoned
    agent: IntArray  # -1 where unknown or abandoned
    origin: pd.Timestamp  # start of interval 0


def calibrate(calls: pd.DataFrame, config: Config, grid: Grid | None = None, *,
              min_offered: int = 10) -> Calibration:
    """Compare Erlang C and Erlang A predictions with a call log, per channel and interval.

    Parameters
    ----------
    calls : DataFrame
        Call-level records with the columns of :data:`wfm.frames.CALL_COLUMNS` (others are
        ignored): ``arrival`` tz-aware, ``channel`` a voice or chat channel of ``config``,
        ``outcome`` ``"answered"`` or ``"abandoned"``, ``wait_seconds >= 0``,
        ``handle_seconds >= 0`` for answered calls, ``agent`` a string or NA.
    config : Config
        The site: channels' targets (``answer_seconds``, ``definition``,
        ``short_abandon_seconds``) and chat pools.
    grid : Grid, optional
        The interval grid; by default the config site's.
    min_offered : int, default 10
        The least calls offered for an interval to enter the summary.

    Returns
    -------
    Calibration
        The per-interval frame, the patience per channel and the error summary per channel and
        model (module docstring for estimators and method).

    Raises
    ------
    DataError
        When the log is empty, lacks a column, or has an unknown or deferred channel, an unknown
        outcome, a missing arrival, a missing or negative wait, or an answered call without a
        handle time >= 0.
    """
    if grid is None:
        grid = Grid.from_config(config)
    log = _validated(calls, config, grid)
    d = grid.interval_minutes * 60.0
    spans, busy, agents = _staffing_present(log, d)
    call_interval = (log.arrival // d).astype(np.int64)
    n_int = int(max(call_interval.max(), spans[1].max(initial=0))) + 1
    call_cell = log.channel * n_int + call_interval
    span_cell = spans[0] * n_int + spans[1]
    keys = np.union1d(call_cell, span_cell)  # sorted: by channel, then interval
    row_channel = keys // n_int
    frame = _observed(log, config, keys.size, np.searchsorted(keys, call_cell), row_channel)
    where = np.searchsorted(keys, span_cell)
    frame[AGENTS_OBSERVED] = np.bincount(where, agents, keys.size).astype(np.int64)
    frame[BUSY_AGENTS] = np.bincount(where, busy, keys.size)
    frame[F.CHANNEL] = np.asarray(log.channels, dtype=object)[row_channel]
    starts = log.origin.value + (keys % n_int) * round(d * _NS)
    frame[F.INTERVAL_START] = pd.DatetimeIndex(pd.to_datetime(starts, utc=True)).tz_convert(
        grid.timezone)
    patience = _patience(log)
    predicted = {metric_column(m, model): np.full(keys.size, np.nan)
                 for model in MODELS for m in _METRICS}
    for i, name in enumerate(log.channels):
        rows = row_channel == i
        estimate = float(patience["patience_seconds"].iloc[i])
        if patience[F.ABANDONED].iloc[i] == 0:  # also when nobody waited, and W / K is 0 / 0
            estimate = np.inf
        for model, values in _predicted(frame[rows], config.channels[name], estimate, d).items():
            for metric, v in zip(_METRICS, values, strict=True):
                predicted[metric_column(metric, model)][rows] = v
    frame = frame.assign(**predicted)[list(FRAME_COLUMNS)]
    return Calibration(frame, patience, _summary(frame, log.channels, min_offered),
                       min_offered)


# ---------------------------------------------------------------- validation


def _validated(calls: pd.DataFrame, config: Config, grid: Grid) -> _Log:
    """The log's columns as arrays, or a :class:`DataError` naming what to fix."""
    missing = [c for c in F.CALL_COLUMNS if c not in calls.columns]
    if missing:
        raise DataError(_SOURCE, f"missing column(s) {', '.join(missing)}; a call log needs "
                        f"{', '.join(F.CALL_COLUMNS)}")
    if len(calls) == 0:
        raise DataError(_SOURCE, "the call log is empty; there is nothing to calibrate on")
    arrival = calls[F.ARRIVAL]
    if not isinstance(arrival.dtype, pd.DatetimeTZDtype):
        raise DataError(_SOURCE, f"arrival must be tz-aware timestamps (site time zone "
                        f"{grid.timezone}), found dtype {arrival.dtype}", column=F.ARRIVAL)
    if arrival.isna().any():
        raise DataError(_SOURCE, f"{int(arrival.isna().sum())} call(s) have no arrival time",
                        column=F.ARRIVAL)

    names = list(config.channels)
    channel = pd.Index(names).get_indexer(pd.Index(calls[F.CHANNEL])).astype(np.int64)
    if (channel < 0).any():
        unknown = pd.unique(calls[F.CHANNEL].to_numpy()[channel < 0])
        shown = ", ".join(repr(u) for u in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise DataError(_SOURCE, f"unknown channel(s) {shown} in {int((channel < 0).sum())} "
                        f"call(s); map them to a config channel ({', '.join(names)}) or drop "
                        "them", column=F.CHANNEL)
    deferred = [n for i, n in enumerate(names)
                if config.channels[n].kind == "deferred" and (channel == i).any()]
    if deferred:
        raise DataError(_SOURCE, f"channel(s) {', '.join(deferred)} are deferred work, which "
                        "has no queue to calibrate; drop their calls", column=F.CHANNEL)

    outcomes = [F.ANSWERED, F.ABANDONED_OUTCOME]
    outcome = pd.Index(outcomes).get_indexer(pd.Index(calls[F.OUTCOME]))
    if (outcome < 0).any():
        bad = pd.unique(calls[F.OUTCOME].to_numpy()[outcome < 0])
        shown = ", ".join(repr(b) for b in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise DataError(_SOURCE, f"outcome must be '{F.ANSWERED}' or '{F.ABANDONED_OUTCOME}', "
                        f"found {shown} in {int((outcome < 0).sum())} call(s)",
                        column=F.OUTCOME)
    answered = outcome == 0

    wait = pd.to_numeric(calls[F.WAIT_SECONDS], errors="coerce").to_numpy(dtype=float)
    bad_wait = ~(np.isfinite(wait) & (wait >= 0))
    if bad_wait.any():
        raise DataError(_SOURCE, f"wait_seconds must be a number >= 0; {int(bad_wait.sum())} "
                        f"call(s) have {_example(wait[bad_wait])}", column=F.WAIT_SECONDS)
    handle = pd.to_numeric(calls[F.HANDLE_SECONDS], errors="coerce").to_numpy(dtype=float)
    bad_handle = answered & ~(np.isfinite(handle) & (handle >= 0))
    if bad_handle.any():
        raise DataError(_SOURCE, f"handle_seconds must be a number >= 0 for answered calls; "
                        f"{int(bad_handle.sum())} answered call(s) have "
                        f"{_example(handle[bad_handle])}", column=F.HANDLE_SECONDS)

    agent_codes, _ = pd.factorize(calls[F.AGENT].astype("string"), use_na_sentinel=True)
    agent = np.where(answered, agent_codes, -1).astype(np.int64)

    utc = arrival.dt.tz_convert("UTC").dt.as_unit("ns")
    first = utc.min().tz_convert(grid.timezone)
    origin = grid.midnight(first.date())
    seconds = (utc.to_numpy(dtype="int64") - origin.value) / _NS
    present = np.unique(channel)
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[present] = np.arange(present.size)
    return _Log(
        channels=tuple(names[i] for i in present), channel=remap[channel], arrival=seconds,
        answered=answered, wait=wait, handle=np.where(answered, handle, 0.0), agent=agent,
        origin=origin,
    )


def _example(values: FloatArray) -> str:
    """``NaN`` or ``-3.0``: the first bad value, for a message."""
    return "no value" if np.isnan(values[0]) else repr(float(values[0]))


# ---------------------------------------------------------------- staffing present


def _staffing_present(log: _Log, d: float
                      ) -> tuple[tuple[IntArray, IntArray], FloatArray, IntArray]:
    """Per (channel, interval) met by service: busy agent-seconds ÷ ``d`` and agents seen.

    Returns the cells' channels and intervals, busy agents and distinct agents. Each agent's
    service spans on a channel are first merged into their union (sorted by start, a span opens
    a new block when it starts after every earlier one has ended), then cut at the interval
    boundaries.
    """
    served = log.answered
    start = log.arrival[served] + log.wait[served]
    end = start + log.handle[served]
    channel, agent = log.channel[served], log.agent[served]
    known = agent >= 0
    n_agents = int(agent.max()) + 1 if known.any() else 1

    group = channel[known] * n_agents + agent[known]
    order = np.lexsort((start[known], group))
    g, s, e = group[order], start[known][order], end[known][order]
    reach = pd.Series(e).groupby(g).cummax().to_numpy()  # latest end so far within the group
    new = np.ones(g.size, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] > reach[:-1])
    first = np.flatnonzero(new)
    blocks_g = g[first]
    blocks_s = s[first]
    blocks_e = np.maximum.reduceat(e, first) if first.size else e[:0]

    span_channel = np.concatenate([blocks_g // n_agents, channel[~known]])
    span_agent = np.concatenate([blocks_g % n_agents, np.full((~known).sum(), -1)])
    span_s = np.concatenate([blocks_s, start[~known]])
    span_e = np.concatenate([blocks_e, end[~known]])

    i0 = np.floor(span_s / d).astype(np.int64)
    i1 = np.maximum(np.ceil(span_e / d).astype(np.int64) - 1, i0)  # half-open spans
    counts = i1 - i0 + 1
    which = np.repeat(np.arange(i0.size), counts)
    step = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)
    interval = i0[which] + step
    overlap = np.clip(np.minimum(span_e[which], (interval + 1) * d)
                      - np.maximum(span_s[which], interval * d), 0.0, None)
    n_int = int(interval.max(initial=0)) + 1
    cell = span_channel[which] * n_int + interval

    cells, inverse = np.unique(cell, return_inverse=True)
    busy = np.bincount(inverse, overlap, cells.size) / d
    seen = span_agent[which] >= 0
    pairs = np.unique(inverse[seen] * n_agents + span_agent[which][seen])
    agents = np.bincount(pairs // n_agents, minlength=cells.size).astype(np.int64)
    return (cells // n_int, cells % n_int), busy, agents


# ---------------------------------------------------------------- observed and predicted


def _observed(log: _Log, config: Config, size: int, row: IntArray, row_channel: IntArray
              ) -> pd.DataFrame:
    """Counts, AHT and the observed service measures per frame row (``row`` of each call)."""

    def count(mask: BoolArray | None = None, weights: FloatArray | None = None) -> FloatArray:
        w = np.ones(row.size) if weights is None else weights
        return np.asarray(np.bincount(row, w if mask is None else np.where(mask, w, 0.0), size),
                          dtype=float)

    chans = [config.channels[n] for n in log.channels]
    answer = np.array([c.target.answer_seconds for c in chans], dtype=float)[log.channel]
    short_s = np.array([c.target.short_abandon_seconds for c in chans])[log.channel]
    abandoned = ~log.answered
    offered = count()
    answered = count(log.answered)
    within = count(log.answered & (log.wait <= answer))
    short = count(abandoned & (log.wait < short_s))
    abandoned_within = count(abandoned & (log.wait >= short_s) & (log.wait <= answer))
    with np.errstate(divide="ignore", invalid="ignore"):
        definitions = {
            "count_against": within / (offered - short),
            "ignore": within / answered,
            "met": (within + abandoned_within) / (offered - short),
        }
        aht = count(None, log.handle) / answered
        asa = count(log.answered, log.wait) / answered
        abandon = (offered - answered) / offered
    sl = np.full(size, np.nan)
    for i, c in enumerate(chans):
        rows = row_channel == i
        sl[rows] = definitions[c.target.definition][rows]
    no_calls = offered == 0
    sl[no_calls] = abandon[no_calls] = np.nan  # rows where agents only finished earlier calls
    return pd.DataFrame({
        F.OFFERED: offered.astype(np.int64),
        F.ANSWERED: answered.astype(np.int64),
        F.ABANDONED: (offered - answered).astype(np.int64),
        F.AHT_SECONDS: np.where(answered > 0, aht, np.nan),
        metric_column("service_level", OBSERVED): np.where(np.isfinite(sl), sl, np.nan),
        metric_column("abandon", OBSERVED): abandon,
        metric_column("asa", OBSERVED): np.where(answered > 0, asa, np.nan),
    })


def _predicted(group: pd.DataFrame, channel: Channel, patience: float, d: float
               ) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    """Service level, abandonment and ASA of each model for one channel's rows."""
    offered = group[F.OFFERED].to_numpy(dtype=float)
    aht = group[F.AHT_SECONDS].to_numpy(dtype=float)
    answered = group[F.ANSWERED].to_numpy(dtype=float)
    mean_aht = (np.nansum(aht * answered) / answered.sum()) if answered.sum() > 0 else np.nan
    aht = np.where(np.isnan(aht), mean_aht, aht)
    ok = (offered > 0) & np.isfinite(aht) & (aht > 0)
    agents = group[AGENTS_OBSERVED].to_numpy()
    target = channel.target
    answer = target.answer_seconds
    assert answer is not None  # Config checks it for voice and chat

    def run_nothing() -> tuple[FloatArray, FloatArray, FloatArray]:
        return np.full(offered.size, np.nan), np.full(offered.size, np.nan), np.full(
            offered.size, np.nan)

    def run(patience_seconds: float | None) -> tuple[FloatArray, FloatArray, FloatArray]:
        out = run_nothing()
        if ok.any():
            m = staffing_metrics(
                offered[ok], aht[ok], agents[ok], d, answer,
                patience_seconds, definition=target.definition,
                short_abandon_seconds=target.short_abandon_seconds,
                concurrency=channel.sessions_per_agent,
                aht_by_concurrency=channel.aht_by_concurrency,
            )
            for v, values in zip(out, (m.service_level, m.abandon_probability, m.asa_seconds),
                                 strict=True):
                v[ok] = values
        return out[0], out[1], out[2]

    erlang_c = run(None)
    if np.isinf(patience):  # no abandon seen: Erlang A's limit is Erlang C
        erlang_a = erlang_c
    else:  # NaN when every abandon left at once (no waiting time): no Erlang A to ask
        erlang_a = run(patience) if np.isfinite(patience) else run_nothing()
    return {"erlang_c": erlang_c, "erlang_a": erlang_a}


def _patience(log: _Log) -> pd.DataFrame:
    """Per channel: calls, abandons, total wait and the patience estimate with its interval."""
    n = len(log.channels)
    offered = np.bincount(log.channel, minlength=n)
    abandoned = np.bincount(log.channel, ~log.answered, n)
    wait = np.bincount(log.channel, log.wait, n)
    estimate, low, high = estimate_patience(abandoned, wait)
    return pd.DataFrame({
        F.CHANNEL: list(log.channels), F.OFFERED: offered.astype(np.int64),
        F.ABANDONED: abandoned.astype(np.int64), F.WAIT_SECONDS: wait,
        "patience_seconds": estimate, "patience_lo95": low, "patience_hi95": high,
    }, columns=list(PATIENCE_COLUMNS))


# ---------------------------------------------------------------- summary


def _summary(frame: pd.DataFrame, channels: tuple[str, ...], min_offered: int) -> pd.DataFrame:
    """Errors of each model per channel over the intervals busy enough to compare."""
    rows = []
    for name in channels:
        used = frame[(frame[F.CHANNEL] == name) & (frame[F.OFFERED] >= min_offered)
                     & (frame[AGENTS_OBSERVED] >= 1)]
        weight = used[F.OFFERED].to_numpy(dtype=float)
        for model in MODELS:
            def error(metric: str, data: pd.DataFrame = used, model: str = model) -> FloatArray:
                return (data[metric_column(metric, model)].to_numpy(dtype=float)
                        - data[metric_column(metric, OBSERVED)].to_numpy(dtype=float))

            sl, ab, asa = error("service_level"), error("abandon"), error("asa")
            predicted_asa = used[metric_column("asa", model)].to_numpy(dtype=float)
            rows.append({
                F.CHANNEL: name, F.MODEL: model, "intervals": len(used),
                "mae_service_level": _mean(np.abs(sl)), "bias_service_level": _mean(sl),
                "mae_abandon": _mean(np.abs(ab)), "bias_abandon": _mean(ab),
                "mae_asa_seconds": _mean(np.abs(asa)),
                "weighted_mae_service_level": _mean(np.abs(sl), weight),
                "weighted_mae_abandon": _mean(np.abs(ab), weight),
                "unstable_intervals": int(np.isinf(predicted_asa).sum()),
            })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _mean(values: FloatArray, weights: FloatArray | None = None) -> float:
    """Mean (weighted) over the finite values; NaN when there are none."""
    finite = np.isfinite(values)
    w = np.ones(values.size) if weights is None else weights
    total = w[finite].sum()
    return float((values[finite] * w[finite]).sum() / total) if total > 0 else float("nan")
