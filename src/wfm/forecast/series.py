"""One channel's history as a day × slot matrix: the shape every volume model works on.

Call-center volume is a sequence of days, each a curve over the day's intervals (Weinberg, Brown
& Stroud 2007; Shen & Huang 2008), so a model sees row *d*, column *s*: the count of local day
*d* in wall-clock slot *s* (slot = minute of the day ÷ interval length). Keying by wall clock
makes the matrix DST-proof: the hour that does not exist on the day DST starts is filled in
from its neighbouring slots (so every row is a full day), and the two intervals of the repeated
hour on the day it ends share one slot (their mean; both get the slot's forecast back).

A row is NaN when the day is unknown or not ordinary: a gap in the history, a special day, an
outlier. Models skip such rows; :func:`fill_by_weekday` interpolates them where a model needs a
contiguous series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.hours import MINUTES_PER_DAY
from wfm.timegrid import Grid

WEEK = 7


@dataclass(frozen=True)
class DayMatrix:
    """Counts per local day (rows, consecutive dates) and wall-clock slot (columns)."""

    dates: tuple[dt.date, ...]
    values: np.ndarray
    """``len(dates) × slots`` floats; a NaN row is a day the models must not learn from."""

    @property
    def slots(self) -> int:
        """Number of slots in a day."""
        return int(self.values.shape[1])

    @property
    def weekdays(self) -> np.ndarray:
        """Weekday of each row, Monday = 0."""
        return np.array([d.weekday() for d in self.dates], dtype=int)

    @property
    def known(self) -> np.ndarray:
        """Rows with data."""
        return ~np.isnan(self.values).any(axis=1)

    def totals(self) -> pd.Series:
        """Day totals indexed by date (NaN for unknown days)."""
        return pd.Series(self.values.sum(axis=1), index=pd.Index(self.dates))

    def head(self, days: int) -> DayMatrix:
        """The first ``days`` rows: the history before a backtest origin."""
        return replace(self, dates=self.dates[:days], values=self.values[:days])

    def masked(self, keep: np.ndarray) -> DayMatrix:
        """The same matrix with the rows not in ``keep`` set to NaN."""
        values = self.values.copy()
        values[~keep] = np.nan
        return replace(self, values=values)

    def last_rows(self, weekday: int, count: int) -> np.ndarray:
        """The last ``count`` known rows of ``weekday``, most recent last (may be fewer)."""
        rows = np.flatnonzero((self.weekdays == weekday) & self.known)
        return self.values[rows[-count:]]


def day_matrix(history: pd.DataFrame, grid: Grid) -> DayMatrix:
    """Build the matrix from one channel's rows of :func:`wfm.io.history.read_history`.

    A day with any missing interval (a gap inside opening hours; closed intervals without data
    are already zero) is a NaN row.
    """
    idx = pd.DatetimeIndex(history[F.INTERVAL_START])
    step = grid.interval_minutes
    slots = MINUTES_PER_DAY // step
    dates = grid.local_day(idx)
    first, last = min(dates), max(dates)
    n_days = (last - first).days + 1
    row = np.array([(d - first).days for d in dates], dtype=int)
    col = grid.minute_of_day(idx) // step
    y = history[F.OFFERED].to_numpy(dtype=float)
    total = np.zeros((n_days, slots))
    count = np.zeros((n_days, slots))
    missing = np.zeros(n_days, dtype=bool)
    np.add.at(missing, row, np.isnan(y))
    np.add.at(total, (row, col), np.nan_to_num(y))
    np.add.at(count, (row, col), 1.0)
    with np.errstate(invalid="ignore"):
        values = total / count  # the repeated hour: mean of its two intervals
    values = _fill_nonexistent(values, count > 0)
    present = (count > 0).any(axis=1)
    values[missing | ~present] = np.nan
    all_dates = tuple(first + dt.timedelta(days=i) for i in range(n_days))
    return DayMatrix(all_dates, values)


def _fill_nonexistent(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Interpolate slots a day does not have (the hour skipped when DST starts) along the day."""
    out = values.copy()
    for r in np.flatnonzero(~seen.all(axis=1) & seen.any(axis=1)):
        cols = np.flatnonzero(seen[r])
        out[r] = np.interp(np.arange(values.shape[1]), cols, values[r, cols])
    return out


def fill_by_weekday(matrix: DayMatrix) -> np.ndarray:
    """The values with each NaN row replaced by interpolating the same weekday's known rows.

    Before the first (after the last) known row of a weekday the nearest known row is used;
    a weekday never known is all zeros.
    """
    out = matrix.values.copy()
    weekdays = matrix.weekdays
    known = matrix.known
    for wd in range(WEEK):
        rows = np.flatnonzero(weekdays == wd)
        good = rows[known[rows]]
        if len(good) == 0:
            out[rows] = 0.0
            continue
        bad = rows[~known[rows]]
        for r in bad:
            after = good[good > r]
            before = good[good < r]
            if len(before) and len(after):
                a, b = before[-1], after[0]
                w = (r - a) / (b - a)
                out[r] = (1 - w) * matrix.values[a] + w * matrix.values[b]
            else:
                out[r] = matrix.values[before[-1] if len(before) else after[0]]
    return out


def to_intervals(dates: Sequence[dt.date], rows: np.ndarray, index: pd.DatetimeIndex,
                 grid: Grid) -> np.ndarray:
    """Read the value of each interval of ``index`` from ``rows`` (one row per date)."""
    pos = {d: i for i, d in enumerate(dates)}
    r = np.array([pos[d] for d in grid.local_day(index)], dtype=int)
    c = grid.minute_of_day(index) // grid.interval_minutes
    return np.asarray(rows[r, c], dtype=float)
