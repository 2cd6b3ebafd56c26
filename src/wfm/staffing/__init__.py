"""Staffing: how many agents each channel needs in each interval to meet its target.

:func:`requirements` turns a forecast frame into the requirements frame of DESIGN.md, one
vectorised call per channel; :func:`requirements_for` does one channel. The queueing numerics are
pure functions in :mod:`wfm.staffing.erlang` and :mod:`wfm.staffing.erlang_a` (voice),
:mod:`wfm.staffing.chat` (chat) and :mod:`wfm.staffing.deferred` (email, back office).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from wfm.config import Channel, Config
from wfm.errors import DataError
from wfm.frames import (
    ABANDON_RATE,
    AGENTS_REQUIRED,
    AGENTS_WITH_SHRINKAGE,
    AHT_SECONDS,
    ASA_SECONDS,
    CHANNEL,
    INTERVAL_START,
    OCCUPANCY,
    REQUIREMENTS_COLUMNS,
    SERVICE_LEVEL,
    SERVICE_LEVEL_DEFINITION,
    VOLUME,
)
from wfm.staffing.chat import chat_metrics
from wfm.staffing.deferred import DeferredStaffing, deferred_staffing, evaluate_deferred
from wfm.staffing.erlang import asa_seconds, erlang_b, erlang_c, occupancy, service_level
from wfm.staffing.erlang_a import QueueMetrics, erlang_a_abandon_probability, erlang_a_metrics
from wfm.staffing.estimate import estimate_parameters, estimate_patience
from wfm.staffing.targets import (
    agents_for_target,
    agents_for_targets,
    fractional_agents_for_targets,
    staffing_metrics,
)
from wfm.timegrid import Grid

__all__ = [
    "DeferredStaffing",
    "QueueMetrics",
    "agents_for_target",
    "agents_for_targets",
    "asa_seconds",
    "chat_metrics",
    "deferred_staffing",
    "erlang_a_abandon_probability",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "estimate_parameters",
    "estimate_patience",
    "evaluate_deferred",
    "fractional_agents_for_targets",
    "occupancy",
    "requirements",
    "requirements_for",
    "service_level",
    "staffing_metrics",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_SOURCE = "forecast"
_NEEDED = (INTERVAL_START, CHANNEL, VOLUME, AHT_SECONDS)


def requirements(forecast: pd.DataFrame, config: Config, grid: Grid | None = None
                 ) -> pd.DataFrame:
    """Agents required per channel and interval to meet each channel's service target.

    Parameters
    ----------
    forecast : DataFrame
        The forecast contract (``wfm.frames.FORECAST_COLUMNS``); ``interval_start``,
        ``channel``, ``volume`` and ``aht_seconds`` are used. One row per channel and interval;
        for deferred channels the intervals must be consecutive.
    config : Config
        The site; every channel in it must appear in the forecast and vice versa.
    grid : Grid, optional
        The site's interval grid (interval length, time zone, holidays for opening hours);
        default ``Grid.from_config(config)``.

    Returns
    -------
    DataFrame
        Exactly ``wfm.frames.REQUIREMENTS_COLUMNS``, one row per channel and interval, channels
        in config order and intervals in time order:

        * ``agents_required`` (int): productive agents. Voice and chat: the least ``N`` that
          meets every target of the channel at once (``service_level`` within
          ``answer_seconds`` under ``target.definition``, ``max_asa_seconds``, ``max_abandon``)
          and ``max_occupancy``, under Erlang C, or Erlang A when the channel has
          ``patience_seconds``; chat as the pool of :func:`requirements_for`. Deferred: the
          staffing of :func:`~wfm.staffing.deferred.deferred_staffing` (fluid backlog model).
          Zero outside opening hours (the forecast volume there is reported as is) and where no
          contact is forecast.
        * ``agents_with_shrinkage`` (int): ``⌈agents_required / (1 − shrinkage)⌉`` with the
          interval's shrinkage (:meth:`wfm.shrinkage.Shrinkage.at`).
        * ``service_level``: the level achieved with ``agents_required`` under the definition
          named in ``service_level_definition``. For deferred work it is the share of the
          interval's items completed within ``within_hours`` (``share_within_hours``).
        * ``asa_seconds``: mean wait of answered contacts (live channels), mean time to
          completion (deferred).
        * ``abandon_rate``: the abandonment probability at ``agents_required`` when the channel
          has ``patience_seconds``; NaN otherwise and for deferred work.
        * ``occupancy``: handle time / staffed time (chat: per slot).

        For voice and chat, ``service_level``, ``asa_seconds``, ``abandon_rate`` and
        ``occupancy`` are NaN where no agent is required (closed, or no volume). For deferred
        work, ``service_level`` and ``asa_seconds`` describe the items *arriving* in the
        interval, open or not (they are worked later from the backlog); they are NaN where
        nothing arrives, and ``service_level`` also where the deadline falls after the
        horizon; ``occupancy`` is NaN where the channel is closed.

    Raises
    ------
    DataError
        A needed column is missing, ``interval_start`` is not tz-aware, a channel of the
        forecast is not in the config or one of the config has no forecast, an interval is
        repeated, a volume is negative or missing, or a positive volume has no positive AHT.
    """
    grid = grid or Grid.from_config(config)
    missing = [c for c in _NEEDED if c not in forecast.columns]
    if missing:
        raise DataError(_SOURCE, f"missing column(s) {', '.join(missing)}", column=missing[0])
    names = pd.unique(forecast[CHANNEL].astype(str))
    unknown = [str(n) for n in names if n not in config.channels]
    if unknown:
        raise DataError(
            _SOURCE,
            f"channel '{unknown[0]}' is not in the config (config channels: "
            f"{', '.join(config.channels)})",
            column=CHANNEL,
        )
    absent = [n for n in config.channels if n not in set(names)]
    if absent:
        raise DataError(
            _SOURCE, f"channel '{absent[0]}' of the config has no forecast rows", column=CHANNEL
        )
    channel_col = forecast[CHANNEL].astype(str)
    parts = [
        requirements_for(channel, forecast.loc[channel_col == name], grid)
        for name, channel in config.channels.items()
    ]
    return pd.concat(parts, ignore_index=True)


def requirements_for(channel: Channel, forecast: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Requirements of one channel over all its forecast intervals, in one vectorised call.

    Parameters
    ----------
    channel : Channel
        The channel's config (kind, target, hours, occupancy cap, shrinkage, concurrency).
    forecast : DataFrame
        The forecast rows of this channel only.
    grid : Grid
        The site's interval grid.

    Returns
    -------
    DataFrame
        ``REQUIREMENTS_COLUMNS``, intervals in time order; see :func:`requirements`.

    Notes
    -----
    Chat is the pool of :mod:`wfm.staffing.chat`: each agent holds up to ``concurrency`` chats
    and, with ``aht_by_concurrency``, handles each more slowly the more it holds; the forecast's
    AHT is then the time of a chat handled alone. Without ``aht_by_concurrency`` every chat
    takes the forecast AHT (the per-session figure an ACD measures, slow-down included on
    average), which makes the pool ``N·c`` identical servers. Occupancy is per slot.
    """
    frame = _checked(forecast, channel.name)
    index = pd.DatetimeIndex(frame[INTERVAL_START]).tz_convert(grid.timezone)
    volume = frame[VOLUME].to_numpy(dtype=float)
    aht = frame[AHT_SECONDS].to_numpy(dtype=float)
    is_open = grid.open_mask(channel.hours, index)
    interval_seconds = grid.interval_minutes * 60.0
    if channel.kind == "deferred":
        columns = _deferred(channel, index, volume, aht, is_open, interval_seconds)
    else:
        columns = _live(channel, volume, aht, is_open, interval_seconds)
    agents = columns.pop(AGENTS_REQUIRED).astype(np.int64)
    shrinkage = channel.shrinkage.at(grid, index)
    with_shrinkage = np.ceil(agents / (1.0 - shrinkage) * (1 - 1e-12)).astype(np.int64)
    out = pd.DataFrame(
        {
            INTERVAL_START: index,
            CHANNEL: frame[CHANNEL].astype(str).to_numpy(),
            VOLUME: volume,
            AHT_SECONDS: aht,
            AGENTS_REQUIRED: agents.astype(np.int64),
            AGENTS_WITH_SHRINKAGE: with_shrinkage,
            **columns,
        }
    )
    return out.loc[:, list(REQUIREMENTS_COLUMNS)]


def _checked(forecast: pd.DataFrame, name: str) -> pd.DataFrame:
    """The channel's rows sorted by time, after the per-row checks."""
    starts = forecast[INTERVAL_START]
    if not isinstance(starts.dtype, pd.DatetimeTZDtype):
        raise DataError(
            _SOURCE,
            f"interval_start must be tz-aware timestamps, found dtype {starts.dtype}",
            column=INTERVAL_START,
        )
    frame = forecast.sort_values(INTERVAL_START, kind="stable")
    repeated = frame[INTERVAL_START].duplicated()
    if repeated.any():
        at = frame.loc[repeated, INTERVAL_START].iloc[0]
        raise DataError(
            _SOURCE, f"channel '{name}' has interval {at.isoformat()} more than once",
            column=INTERVAL_START,
        )
    volume = frame[VOLUME].to_numpy(dtype=float)
    aht = frame[AHT_SECONDS].to_numpy(dtype=float)
    bad_volume = ~np.isfinite(volume) | (volume < 0)
    if bad_volume.any():
        _row_error(frame, bad_volume, name, VOLUME, "volume must be a number >= 0")
    bad_aht = (volume > 0) & ~(np.isfinite(aht) & (aht > 0))
    if bad_aht.any():
        _row_error(frame, bad_aht, name, AHT_SECONDS, "aht_seconds must be > 0 where volume > 0")
    return frame


def _row_error(frame: pd.DataFrame, bad: npt.NDArray[np.bool_], name: str, column: str,
               message: str) -> None:
    first = np.flatnonzero(bad)[0]
    at = frame[INTERVAL_START].iloc[first].isoformat()
    value = frame[column].iloc[first]
    raise DataError(
        _SOURCE,
        f"{message}; channel '{name}' at {at} has {value!r} ({int(bad.sum())} interval(s))",
        column=column,
    )


def _nan(n: int) -> FloatArray:
    return np.full(n, np.nan)


def _live(
    channel: Channel,
    volume: FloatArray,
    aht: FloatArray,
    is_open: npt.NDArray[np.bool_],
    interval_seconds: float,
) -> dict[str, npt.NDArray[np.generic]]:
    """Voice and chat: every target at once, Erlang C or A (with patience), chat as a pool."""
    n = volume.size
    target = channel.target
    assert target.service_level is not None  # Config checks both for live channels
    assert target.answer_seconds is not None
    active = is_open & (volume > 0)
    calls, handle = volume[active], aht[active]
    patience, definition = channel.patience_seconds, target.definition
    short = target.short_abandon_seconds
    per_agent, slowdown = channel.sessions_per_agent, channel.aht_by_concurrency
    agents = np.zeros(n, dtype=np.int64)
    agents[active] = agents_for_targets(
        calls, handle, interval_seconds, service_level=target.service_level,
        answer_seconds=target.answer_seconds, max_asa_seconds=target.max_asa_seconds,
        max_abandon=target.max_abandon, max_occupancy=channel.max_occupancy,
        patience_seconds=patience, definition=definition, short_abandon_seconds=short,
        concurrency=per_agent, aht_by_concurrency=slowdown,
    )
    metrics = staffing_metrics(calls, handle, agents[active], interval_seconds,
                               target.answer_seconds, patience_seconds=patience,
                               definition=definition, short_abandon_seconds=short,
                               concurrency=per_agent, aht_by_concurrency=slowdown)
    sl, asa, abandon, occ = _nan(n), _nan(n), _nan(n), _nan(n)
    sl[active] = metrics.service_level
    asa[active] = metrics.asa_seconds
    occ[active] = metrics.occupancy
    if channel.patience_seconds is not None:
        abandon[active] = metrics.abandon_probability
    return {
        AGENTS_REQUIRED: agents,
        SERVICE_LEVEL: sl,
        ASA_SECONDS: asa,
        ABANDON_RATE: abandon,
        OCCUPANCY: occ,
        SERVICE_LEVEL_DEFINITION: np.full(n, target.definition, dtype=object),
    }


def _deferred(
    channel: Channel,
    index: pd.DatetimeIndex,
    volume: FloatArray,
    aht: FloatArray,
    is_open: npt.NDArray[np.bool_],
    interval_seconds: float,
) -> dict[str, npt.NDArray[np.generic]]:
    """Email and back office: the smooth plan of the fluid backlog model, staffed while open."""
    target = channel.target
    assert target.within_hours is not None  # Config checks both for deferred channels
    assert target.share is not None
    steps = np.diff(index.as_unit("s").asi8)  # the unit of timestamps varies in pandas 3
    if (steps != interval_seconds).any():
        gap = index[1:][steps != interval_seconds][0]
        raise DataError(
            _SOURCE,
            f"deferred channel '{channel.name}' needs consecutive intervals; the one before "
            f"{gap.isoformat()} is missing",
            column=INTERVAL_START,
        )
    plan = deferred_staffing(
        volume,
        aht,
        is_open,
        interval_seconds,
        target.within_hours,
        target.share,
        channel.max_occupancy,
    )
    return {
        AGENTS_REQUIRED: plan.agents,
        SERVICE_LEVEL: plan.service_level,
        ASA_SECONDS: plan.asa_seconds,
        ABANDON_RATE: _nan(volume.size),
        OCCUPANCY: plan.occupancy,
        SERVICE_LEVEL_DEFINITION: np.full(volume.size, "share_within_hours", dtype=object),
    }
