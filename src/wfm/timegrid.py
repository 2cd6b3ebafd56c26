"""The interval grid of a site: the one module that knows about time zones and DST.

Intervals are labelled by their start in the site's time zone. A day is a *local* calendar day, so
the day DST starts has 23 hours (92 quarter-hours) and the day it ends has 25 (100 quarter-hours);
every real interval appears exactly once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import holidays as holidays_lib
import numpy as np
import pandas as pd

from wfm.config import Config
from wfm.hours import MINUTES_PER_DAY, OpeningHours


@dataclass(frozen=True)
class Grid:
    """Time zone, interval length and public-holiday calendar of a site."""

    timezone: str
    interval_minutes: int = 15
    holiday_country: str | None = None
    holiday_subdiv: str | None = None
    _holiday_cache: dict[int, dict[dt.date, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_config(cls, config: Config) -> Grid:
        """The grid of a config's site."""
        h = config.site.holidays
        return cls(
            timezone=config.site.timezone,
            interval_minutes=config.site.interval_minutes,
            holiday_country=h.country if h else None,
            holiday_subdiv=h.subdiv if h else None,
        )

    @cached_property
    def freq(self) -> pd.Timedelta:
        """The interval length as a Timedelta."""
        return pd.Timedelta(minutes=self.interval_minutes)

    def midnight(self, day: dt.date) -> pd.Timestamp:
        """Local midnight at the start of ``day`` (tz-aware)."""
        return pd.Timestamp(day).tz_localize(self.timezone)

    def intervals(self, start: dt.date, days: int) -> pd.DatetimeIndex:
        """All interval starts of ``days`` local days from ``start``, tz-aware, DST-correct."""
        first = self.midnight(start)
        end = self.midnight(start + dt.timedelta(days=days))
        idx = pd.date_range(first.tz_convert("UTC"), end.tz_convert("UTC"), freq=self.freq,
                            inclusive="left")
        return idx.tz_convert(self.timezone).rename("interval_start")

    def intervals_between(self, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
        """The grid from the local day of ``first`` to the local day of ``last``, inclusive."""
        d0 = first.tz_convert(self.timezone).date()
        d1 = last.tz_convert(self.timezone).date()
        return self.intervals(d0, (d1 - d0).days + 1)

    def floor(self, stamps: pd.Series) -> pd.Series:
        """The start of the interval each time stamp falls in (tz-aware, site time zone).

        Intervals are cut on local wall time, so they line up with :meth:`intervals` for any
        UTC offset, half-hour ones included; across a DST change each stamp keeps its own
        offset, so the repeated hour's intervals stay apart.
        """
        local = stamps.dt.tz_convert(self.timezone)
        wall = local.dt.tz_localize(None)
        offset = wall - local.dt.tz_convert("UTC").dt.tz_localize(None)
        start = (wall.dt.floor(self.freq) - offset).dt.tz_localize("UTC")
        return start.dt.tz_convert(self.timezone)

    def holidays(self, years: list[int] | range) -> dict[dt.date, str]:
        """Public holidays (date -> name) of the configured country in ``years``."""
        out: dict[dt.date, str] = {}
        if self.holiday_country is None:
            return out
        for year in years:
            if year not in self._holiday_cache:
                cal = holidays_lib.country_holidays(
                    self.holiday_country, subdiv=self.holiday_subdiv, years=year
                )
                self._holiday_cache[year] = dict(cal.items())
            out.update(self._holiday_cache[year])
        return out

    def is_holiday(self, dates: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
        """Boolean array: is each local date a public holiday?"""
        d = pd.Index(pd.to_datetime(pd.Series(dates)).dt.date)
        if len(d) == 0:
            return np.zeros(0, dtype=bool)
        years = range(min(d).year - 1, max(d).year + 2)
        cal = self.holidays(years)
        return np.asarray(d.isin(list(cal)), dtype=bool)

    def open_mask(self, hours: OpeningHours, index: pd.DatetimeIndex) -> np.ndarray:
        """Is each interval (labelled by its start) inside the opening hours?

        A range that runs past midnight belongs to the day it starts, so its weekday (and holiday
        status) is the previous day's.
        """
        local = index.tz_convert(self.timezone)
        minute = np.asarray(local.hour * 60 + local.minute)
        day = local.normalize().tz_localize(None)
        weekday = np.asarray(day.day_of_week)
        holiday = self.is_holiday(day)
        prev_day = day - pd.Timedelta(days=1)
        prev_holiday = self.is_holiday(prev_day)
        prev_weekday = np.asarray(prev_day.day_of_week)
        mask = np.zeros(len(local), dtype=bool)
        for wd in range(7):
            for is_hol in (False, True):
                today = (weekday == wd) & (holiday == is_hol)
                yesterday = (prev_weekday == wd) & (prev_holiday == is_hol)
                for start, end in hours.ranges_for(wd, is_hol):
                    mask |= today & (minute >= start) & (minute < min(end, MINUTES_PER_DAY))
                    if end > MINUTES_PER_DAY:
                        mask |= yesterday & (minute < end - MINUTES_PER_DAY)
        return mask

    def local_day(self, index: pd.DatetimeIndex) -> np.ndarray:
        """The local calendar date of each interval start."""
        return np.asarray(index.tz_convert(self.timezone).date)

    def minute_of_day(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Local wall-clock minute of each interval start (0 … 1439)."""
        local = index.tz_convert(self.timezone)
        return np.asarray(local.hour * 60 + local.minute)
