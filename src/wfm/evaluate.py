"""How well a schedule covers the requirements."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm import frames as F


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
