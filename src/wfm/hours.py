"""Opening hours: parse the config notation and answer "is this channel open at this time?".

Notation (DESIGN.md): keys are weekdays (``mon`` … ``sun``), ranges of them (``mon-fri``,
``sat-mon``) or ``holiday``; values are ``"HH:MM-HH:MM"``, a list of such ranges, or ``closed``.
``24:00`` is a valid end, and a range whose end is before its start runs past midnight into the
next day. A weekday that no key names is closed. Public holidays keep their weekday's hours unless
a ``holiday`` key is given.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

Range = tuple[int, int]
"""Open from ``start`` to ``end`` minutes after the day's midnight; ``end`` may exceed 1440."""


@dataclass(frozen=True)
class OpeningHours:
    """Open ranges per weekday (Monday first) and, optionally, for public holidays."""

    week: tuple[tuple[Range, ...], ...]
    holiday: tuple[Range, ...] | None = None

    def ranges_for(self, weekday: int, is_holiday: bool) -> tuple[Range, ...]:
        """The ranges that start on a day with this weekday (0 = Monday)."""
        if is_holiday and self.holiday is not None:
            return self.holiday
        return self.week[weekday]

    @property
    def always_closed(self) -> bool:
        """True when no day has any open range."""
        return not any(self.week) and not self.holiday

    def describe(self) -> str:
        """A compact human form, e.g. ``mon-fri 08:00-20:00; sat 09:00-14:00``."""
        parts = []
        for day, ranges in zip(WEEKDAYS, self.week, strict=True):
            if ranges:
                parts.append(f"{day} " + ",".join(_fmt_range(r) for r in ranges))
        if self.holiday is not None:
            parts.append("holiday " + (",".join(_fmt_range(r) for r in self.holiday) or "closed"))
        return "; ".join(parts) or "closed"


def parse_time(text: str, *, allow_24: bool) -> int:
    """``"08:30"`` -> 510 minutes; raise ``ValueError`` naming the bad text."""
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a time (expected HH:MM)")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi >= 60 or h > 24 or (h == 24 and (mi != 0 or not allow_24)):
        limit = "00:00-24:00" if allow_24 else "00:00-23:59"
        raise ValueError(f"'{text}' is not a valid time ({limit})")
    return h * 60 + mi


def parse_range(text: str) -> Range:
    """``"22:00-06:00"`` -> (1320, 1800): the end runs into the next day."""
    if "-" not in text:
        raise ValueError(f"'{text}' is not a range (expected HH:MM-HH:MM or 'closed')")
    a, b = text.split("-", 1)
    start = parse_time(a, allow_24=False)
    end = parse_time(b, allow_24=True)
    if end == start:
        raise ValueError(f"'{text}' is empty (use 00:00-24:00 for a whole day)")
    if end < start:
        end += MINUTES_PER_DAY
    return start, end


def _parse_days(key: str) -> list[int]:
    key = key.strip().lower()
    if key in WEEKDAYS:
        return [WEEKDAYS.index(key)]
    if "-" in key:
        a, b = key.split("-", 1)
        if a in WEEKDAYS and b in WEEKDAYS:
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            return [(i + k) % 7 for k in range((j - i) % 7 + 1)]
    raise ValueError(
        f"'{key}' is not a day key (expected one of {', '.join(WEEKDAYS)}, a range such as "
        "'mon-fri', or 'holiday')"
    )


def _parse_value(key: str, value: object) -> tuple[Range, ...]:
    items = value if isinstance(value, list) else [value]
    ranges: list[Range] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"'{key}': {item!r} is not a range (expected \"HH:MM-HH:MM\" in "
                             "quotes)")
        if item.strip().lower() == "closed":
            if len(items) > 1:
                raise ValueError(f"'{key}': 'closed' cannot be combined with ranges")
            return ()
        try:
            ranges.append(parse_range(item))
        except ValueError as exc:
            raise ValueError(f"'{key}': {exc}") from None
    return tuple(sorted(ranges))


def parse_hours(raw: object) -> OpeningHours:
    """Parse the config's ``hours`` mapping; raise ``ValueError`` with the offending key."""
    if isinstance(raw, OpeningHours):
        return raw
    if not isinstance(raw, dict) or not raw:
        raise ValueError(
            "expected a mapping of day keys to ranges, e.g. {mon-fri: \"08:00-20:00\"}"
        )
    week: list[tuple[Range, ...]] = [()] * 7
    owner: dict[int, str] = {}
    holiday: tuple[Range, ...] | None = None
    for key, value in raw.items():
        key = str(key)
        ranges = _parse_value(key, value)
        if key.strip().lower() == "holiday":
            holiday = ranges
            _check_overlaps({0: (key, ranges)})
            continue
        for day in _parse_days(key):
            if day in owner:
                raise ValueError(f"'{WEEKDAYS[day]}' is set twice (by '{owner[day]}' and '{key}')")
            owner[day] = key
            week[day] = ranges
    _check_overlaps({d: (owner[d], week[d]) for d in owner})
    return OpeningHours(week=tuple(week), holiday=holiday)


def _check_overlaps(days: dict[int, tuple[str, tuple[Range, ...]]]) -> None:
    """Reject ranges that overlap, including a range that runs past midnight into the next."""
    spans: list[tuple[int, int, str]] = []
    for day, (key, ranges) in days.items():
        for start, end in ranges:
            if end - start > MINUTES_PER_DAY:
                raise ValueError(f"'{key}': {_fmt_range((start, end))} is longer than 24 hours")
            s = day * MINUTES_PER_DAY + start
            spans.append((s, s + end - start, f"'{key}' {_fmt_range((start, end))}"))
    # Unroll the week once so that Sunday night overlapping Monday morning is seen too.
    spans += [(s + MINUTES_PER_WEEK, e + MINUTES_PER_WEEK, n) for s, e, n in spans]
    spans.sort()
    for (_s1, e1, n1), (s2, _e2, n2) in itertools.pairwise(spans):
        if s2 < e1:
            raise ValueError(f"{n1} overlaps {n2}")


def _fmt_range(r: Range) -> str:
    s, e = r
    e_mod = e if e <= MINUTES_PER_DAY else e - MINUTES_PER_DAY
    return f"{s // 60:02d}:{s % 60:02d}-{e_mod // 60:02d}:{e_mod % 60:02d}"
