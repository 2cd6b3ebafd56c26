"""Shift templates: which shifts exist, and the windows their breaks and lunches move in.

A template is a start time (local wall clock), a length and the breaks inside it. Each break has
a window of start offsets; the solver places it inside the window where coverage can best spare
the agent. A break applies to a shift of length ``L`` when ``L >= min_shift_hours`` and its
window, clipped to leave at least one interval of work before and after it, still holds it.

Windows are narrowed, when they overlap, so that *any* choice of starts inside them keeps the
breaks in order with ``min_work_between_breaks_minutes`` of work between them: the solver can then
count breaks per shift template without tracking which agent takes which (implicit break
placement, Aykin 1996), and every such count is realisable by named agents.
"""

from __future__ import annotations

from dataclasses import dataclass

from wfm.config import ShiftPolicy
from wfm.errors import ConfigError
from wfm.hours import MINUTES_PER_DAY, parse_time


@dataclass(frozen=True)
class Break:
    """A break inside a shift: its start window (minutes into the shift), length, label, pay."""

    earliest_minutes: int
    latest_minutes: int
    """Latest start; the break ends by ``latest_minutes + minutes``."""
    minutes: int
    activity: str
    paid: bool
    offset_minutes: int
    """The nominal start (middle of the window, on the grid) used by first-cut heuristics."""


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
    """The breaks of a shift of ``length_minutes`` under ``policy``, on a ``step``-minute grid.

    Raises
    ------
    ConfigError
        When the windows of the breaks that apply cannot hold them all with the minimum work
        between breaks.
    """
    rules = sorted(policy.breaks, key=lambda r: r.window_minutes)
    windows: list[list[int]] = []
    kept = []
    for rule in rules:
        earliest, latest_end = rule.window_minutes
        lo = _up(max(earliest, step), step)
        hi = (min(latest_end, length_minutes - step) - rule.minutes) // step * step
        if length_minutes < rule.min_shift_hours * 60 or hi < lo:
            continue
        windows.append([lo, hi])
        kept.append(rule)
    gap = policy.min_work_between_breaks_minutes
    for j in range(len(kept) - 1):
        (lo1, hi1), (lo2, hi2) = windows[j], windows[j + 1]
        overlap = hi1 + kept[j].minutes + gap - lo2
        if overlap <= 0:
            continue
        # Split the conflict between the two windows, then push what one cannot take onto the
        # other; a window reduced to nothing means the shift cannot hold both breaks.
        take = min(hi1 - lo1, _up(overlap // 2, step))
        hi1 -= take
        lo2 += _up(max(0, overlap - take), step)
        if lo2 > hi2:
            hi1 -= lo2 - hi2
            lo2 = hi2
        if hi1 < lo1:
            raise ConfigError(
                "shifts.breaks",
                f"a {length_minutes / 60:g} h shift cannot hold its {kept[j].activity} and "
                f"{kept[j + 1].activity} windows with shifts.min_work_between_breaks_minutes "
                f"{gap}; widen the windows, lower the gap or raise min_shift_hours")
        windows[j], windows[j + 1] = [lo1, hi1], [lo2, hi2]
    return tuple(
        Break(lo, hi, rule.minutes, rule.activity, rule.is_paid,
              lo + (hi - lo) // 2 // step * step)
        for rule, (lo, hi) in zip(kept, windows, strict=True))


def _up(minutes: int, step: int) -> int:
    """``minutes`` rounded up to the grid."""
    return -(-minutes // step) * step


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
