"""Shift templates: which shifts exist, and where their breaks and lunches fall.

A template is a start time (local wall clock), a length and the breaks placed inside it. Breaks
sit at fixed offsets in this first cut: ``after_hours`` into the shift, or the middle of
``window_hours``, rounded down to the interval grid; a break that would overlap an earlier one
moves to just after it, and a break that does not fit with at least one interval of work after
it is dropped for that length.
"""

from __future__ import annotations

from dataclasses import dataclass

from wfm.config import ShiftPolicy
from wfm.hours import MINUTES_PER_DAY, parse_time


@dataclass(frozen=True)
class Break:
    """A break inside a shift: offset from the shift's start, length, label and pay."""

    offset_minutes: int
    minutes: int
    activity: str
    paid: bool


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift shape: local start minute, length and breaks."""

    start_minute: int
    length_minutes: int
    breaks: tuple[Break, ...]

    @property
    def paid_minutes(self) -> int:
        """Length minus unpaid breaks."""
        return self.length_minutes - sum(b.minutes for b in self.breaks if not b.paid)

    @property
    def label(self) -> str:
        """``08:00+8h`` style name used in logs and variable names."""
        h, m = divmod(self.start_minute, 60)
        return f"{h:02d}:{m:02d}+{self.length_minutes / 60:g}h"


def place_breaks(policy: ShiftPolicy, length_minutes: int, step: int) -> tuple[Break, ...]:
    """The breaks of a shift of ``length_minutes`` under ``policy``, on a ``step``-minute grid."""
    placed: list[Break] = []
    for rule in policy.breaks:
        if length_minutes < rule.min_shift_hours * 60:
            continue
        if rule.window_hours is not None:
            target = (rule.window_hours[0] + rule.window_hours[1]) / 2 * 60 - rule.minutes / 2
        else:
            target = (rule.after_hours or 0) * 60
        offset = int(target // step * step)
        for b in sorted(placed, key=lambda b: b.offset_minutes):
            if offset < b.offset_minutes + b.minutes and b.offset_minutes < offset + rule.minutes:
                offset = b.offset_minutes + b.minutes
        if offset <= 0 or offset + rule.minutes + step > length_minutes:
            continue
        placed.append(Break(offset, rule.minutes, rule.activity, rule.is_paid))
    return tuple(sorted(placed, key=lambda b: b.offset_minutes))


def expand_templates(policy: ShiftPolicy, step: int) -> tuple[ShiftTemplate, ...]:
    """Every template the policy allows: each length at each start on the start grid."""
    earliest = parse_time(policy.earliest_start, allow_24=False) if policy.earliest_start else 0
    latest_end = (parse_time(policy.latest_end, allow_24=True) if policy.latest_end
                  else 2 * MINUTES_PER_DAY)
    out = []
    for hours in policy.lengths_hours:
        length = round(hours * 60)
        breaks = place_breaks(policy, length, step)
        start = earliest
        while start < MINUTES_PER_DAY and start + length <= latest_end:
            out.append(ShiftTemplate(start, length, breaks))
            start += policy.start_every_minutes
    return tuple(out)
