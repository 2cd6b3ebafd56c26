"""Special days: public holidays and the day after them.

A special day's volume is not what the weekly pattern predicts. The forecaster removes special
days from the series it fits, and multiplies the forecast of a future special day by the median
ratio actual / expected observed on past special days of the same kind.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wfm.timegrid import Grid

HOLIDAY = "holiday"
AFTER_HOLIDAY = "after_holiday"
NORMAL = ""
KINDS = (HOLIDAY, AFTER_HOLIDAY)


def day_kinds(grid: Grid, dates: pd.Index) -> pd.Series:
    """``holiday``, ``after_holiday`` or ``""`` for each local date."""
    dates = pd.Index([pd.Timestamp(d).date() for d in dates])
    is_hol = grid.is_holiday(dates)
    prev = pd.Index([d - dt.timedelta(days=1) for d in dates])
    after = grid.is_holiday(prev) & ~is_hol
    kinds = np.where(is_hol, HOLIDAY, np.where(after, AFTER_HOLIDAY, NORMAL))
    return pd.Series(kinds, index=dates)


def special_day_factors(
    actual: pd.Series, expected: pd.Series, kinds: pd.Series, *, min_expected: float = 1.0
) -> dict[str, float]:
    """Median ratio actual / expected per special-day kind seen in the history.

    Days whose expected volume is below ``min_expected`` carry no information and are skipped.
    A kind never seen gets factor 1.0.
    """
    factors: dict[str, float] = {}
    for kind in KINDS:
        sel = (kinds == kind) & (expected >= min_expected) & actual.notna()
        ratios = (actual[sel] / expected[sel]).to_numpy()
        factors[kind] = float(np.median(ratios)) if len(ratios) else 1.0
    return factors
