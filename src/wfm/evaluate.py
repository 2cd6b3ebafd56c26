"""How well a schedule covers the requirements, and what its week is like for the agents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.hours import parse_time
from wfm.io.roster import Agent


def coverage(agent_intervals: pd.DataFrame, requirements: pd.DataFrame) -> pd.DataFrame:
    """Agents required and scheduled per channel and interval (coverage.csv).

    ``gap`` = scheduled − required: negative where the channel is short of agents.
    """
    on = agent_intervals[~agent_intervals[F.ACTIVITY].isin([F.OFF, F.BREAK, F.LUNCH])]
    scheduled = on.groupby([F.INTERVAL_START, F.ACTIVITY]).size().rename("scheduled")
    scheduled.index = scheduled.index.set_names([F.INTERVAL_START, F.CHANNEL])
    req = requirements[[F.INTERVAL_START, F.CHANNEL, F.AGENTS_REQUIRED]].rename(
        columns={F.AGENTS_REQUIRED: "required"})
    out = req.merge(scheduled.reset_index(), on=[F.INTERVAL_START, F.CHANNEL], how="left")
    out["scheduled"] = out["scheduled"].fillna(0).astype(np.int64)
    out["required"] = out["required"].astype(np.int64)
    out["gap"] = out["scheduled"] - out["required"]
    return out[list(F.COVERAGE_COLUMNS)]


def coverage_summary(cov: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """Per channel: required and scheduled agent-hours, hours short and over, and short %.

    ``short_pct`` is the share of required agent-hours not covered (the coverage gap %).
    """
    h = interval_minutes / 60
    g = cov.assign(short=(-cov["gap"]).clip(lower=0), over=cov["gap"].clip(lower=0)).groupby(
        F.CHANNEL, sort=False)
    out = pd.DataFrame({
        "required_hours": g["required"].sum() * h,
        "scheduled_hours": g["scheduled"].sum() * h,
        "short_hours": g["short"].sum() * h,
        "over_hours": g["over"].sum() * h,
    })
    out["short_pct"] = np.where(out["required_hours"] > 0,
                                100 * out["short_hours"] / out["required_hours"], 0.0)
    return out.reset_index()


AGENT_EXPERIENCE_COLUMNS = (F.AGENT_ID, "shifts", "paid_hours", "weekend_days", "late_shifts",
                            "start_spread_hours", "wishes", "wishes_met")
"""Columns of :func:`agent_experience`."""


def agent_experience(shifts: pd.DataFrame, agents: tuple[Agent, ...], timezone: str,
                     late_shift_end: str = "20:00") -> pd.DataFrame:
    """Per agent: what the week is like to work — the figures beside coverage a team lead reads.

    ``start_spread_hours`` is the latest minus the earliest local start of the agent's shifts;
    ``wishes`` counts the agent's shifts when it has a preferred start plus its preferred days
    off in the schedule's days, ``wishes_met`` the shifts starting at the preferred time and the
    preferred days off left free. A late shift ends after ``late_shift_end`` of its day.
    """
    late = parse_time(late_shift_end, allow_24=True)
    by_agent = dict(tuple(shifts.groupby(F.AGENT_ID))) if len(shifts) else {}
    dates = sorted(set(shifts[F.DATE])) if len(shifts) else []
    out = []
    for agent in agents:
        own = by_agent.get(agent.agent_id, shifts.iloc[:0])
        start = pd.DatetimeIndex(own["shift_start"]).tz_convert(timezone)
        end = pd.DatetimeIndex(own["shift_end"]).tz_convert(timezone)
        minute = np.asarray(start.hour * 60 + start.minute)
        day = pd.DatetimeIndex(pd.to_datetime(own[F.DATE]))
        end_minute = np.asarray((end - start.normalize()).total_seconds() // 60)
        worked = {pd.Timestamp(d).date() for d in own[F.DATE]}
        wishes = met = 0
        if agent.preferred_start is not None:
            wishes += len(own)
            met += int((minute == agent.preferred_start).sum())
        for d in dates:
            if pd.Timestamp(d).weekday() in agent.preferred_days_off:
                wishes += 1
                met += pd.Timestamp(d).date() not in worked
        out.append({
            F.AGENT_ID: agent.agent_id, "shifts": len(own),
            "paid_hours": own["paid_minutes"].sum() / 60,
            "weekend_days": int((np.asarray(day.day_of_week) >= 5).sum()),
            "late_shifts": int((end_minute > late).sum()),
            "start_spread_hours": (minute.max() - minute.min()) / 60 if len(own) else 0.0,
            "wishes": wishes, "wishes_met": met,
        })
    return pd.DataFrame(out, columns=list(AGENT_EXPERIENCE_COLUMNS))


def experience_summary(per_agent: pd.DataFrame) -> dict[str, float]:
    """One line of figures over the agents who work: wishes met %, start spread, weekends and
    the range of paid hours."""
    working = per_agent[per_agent["shifts"] > 0]
    wishes = int(per_agent["wishes"].sum())
    return {
        "wishes": float(wishes),
        "wishes_met_pct": 100 * per_agent["wishes_met"].sum() / wishes if wishes else 100.0,
        "mean_start_spread_hours": float(working["start_spread_hours"].mean())
        if len(working) else 0.0,
        "weekend_days_max": float(working["weekend_days"].max()) if len(working) else 0.0,
        "agents_with_weekend_work_pct": 100 * float((working["weekend_days"] > 0).mean())
        if len(working) else 0.0,
        "paid_hours_min": float(working["paid_hours"].min()) if len(working) else 0.0,
        "paid_hours_max": float(working["paid_hours"].max()) if len(working) else 0.0,
    }


def shifts_from_intervals(agent_intervals: pd.DataFrame, interval_minutes: int,
                          unpaid: frozenset[str] = frozenset({F.LUNCH})) -> pd.DataFrame:
    """schedule.csv's shift rows rebuilt from agent_intervals.csv (e.g. after hand edits).

    A shift is a run of an agent's consecutive intervals that are not ``off``; its paid time
    leaves out the intervals whose activity is in ``unpaid``.
    """
    df = agent_intervals[agent_intervals[F.ACTIVITY] != F.OFF].sort_values(
        [F.AGENT_ID, F.INTERVAL_START])
    step = pd.Timedelta(minutes=interval_minutes)
    starts = pd.DatetimeIndex(df[F.INTERVAL_START])
    agent = df[F.AGENT_ID].to_numpy()
    new = np.ones(len(df), dtype=bool)
    new[1:] = (agent[1:] != agent[:-1]) | (starts[1:] - starts[:-1] != step)
    shift_id = np.cumsum(new)
    g = df.assign(_shift=shift_id, _unpaid=df[F.ACTIVITY].isin(list(unpaid))).groupby("_shift")
    first = g[F.INTERVAL_START].min()
    out = pd.DataFrame({
        F.AGENT_ID: g[F.AGENT_ID].first(),
        F.DATE: pd.DatetimeIndex(first).date,
        "shift_start": first,
        "shift_end": g[F.INTERVAL_START].max() + step,
        "paid_minutes": (g.size() - g["_unpaid"].sum()) * interval_minutes,
        "breaks": "",
    })
    return out[list(F.SCHEDULE_COLUMNS)].reset_index(drop=True)


ACCURACY_COLUMNS = F.ACCURACY_COLUMNS
"""Columns of :func:`forecast_accuracy` (forecast_accuracy.csv)."""


def forecast_accuracy(forecast: pd.DataFrame, history: pd.DataFrame,
                      timezone: str) -> pd.DataFrame:
    """Per local day and channel: contacts offered and forecast, WAPE and bias.

    ``WAPE = Σ|forecast − actual| / Σ actual`` over the day's intervals (NaN without contacts);
    ``bias = (Σ forecast − Σ actual) / Σ actual``. Only intervals present in both are scored.
    """
    both = forecast[[F.INTERVAL_START, F.CHANNEL, F.VOLUME]].merge(
        history[[F.INTERVAL_START, F.CHANNEL, F.OFFERED]], on=[F.INTERVAL_START, F.CHANNEL])
    both[F.DATE] = pd.DatetimeIndex(both[F.INTERVAL_START]).tz_convert(timezone).date
    both["_abs"] = (both[F.VOLUME] - both[F.OFFERED]).abs()
    g = both.groupby([F.DATE, F.CHANNEL], sort=True)
    out = pd.DataFrame({"actual": g[F.OFFERED].sum(), "forecast": g[F.VOLUME].sum(),
                        "_abs": g["_abs"].sum()}).reset_index()
    actual = out["actual"].where(out["actual"] > 0)
    out["wape"] = out["_abs"] / actual
    out["bias"] = (out["forecast"] - out["actual"]) / actual
    return out[list(ACCURACY_COLUMNS)]


def accuracy_summary(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Per channel over all days of :func:`forecast_accuracy`: contacts offered and forecast,
    the week's WAPE (the days' WAPE weighted by their contacts) and bias. Channels without
    contacts are left out."""
    scored = accuracy[accuracy["actual"] > 0]
    g = scored.assign(_abs=scored["wape"] * scored["actual"]).groupby(F.CHANNEL, sort=False)
    out = pd.DataFrame({"actual": g["actual"].sum(), "forecast": g["forecast"].sum(),
                        "_abs": g["_abs"].sum()}).reset_index()
    out["wape"] = out["_abs"] / out["actual"]
    out["bias"] = (out["forecast"] - out["actual"]) / out["actual"]
    return out[[F.CHANNEL, "actual", "forecast", "wape", "bias"]]
