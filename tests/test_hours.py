"""Opening hours: the notation, which intervals are open, holidays and DST days."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wfm.hours import MINUTES_PER_DAY, WEEKDAYS, OpeningHours, parse_hours
from wfm.timegrid import Grid

TZ = "Europe/Berlin"
SPRING_FORWARD = dt.date(2026, 3, 29)  # Sunday: 02:00 -> 03:00, a 23-hour day
FALL_BACK = dt.date(2026, 10, 25)  # Sunday: 03:00 -> 02:00, a 25-hour day
PLAIN_MONDAY = dt.date(2026, 6, 1)  # a week without DST change or German public holiday


@pytest.fixture
def grid() -> Grid:
    return Grid(TZ, 15)


@pytest.fixture
def grid_de() -> Grid:
    return Grid(TZ, 15, holiday_country="DE", holiday_subdiv="BE")


def _at(day: dt.date, hhmm: str) -> pd.Timestamp:
    h, m = map(int, hhmm.split(":"))
    return pd.Timestamp(dt.datetime.combine(day, dt.time(h, m))).tz_localize(TZ)


def _is_open(grid: Grid, hours: OpeningHours, day: dt.date, hhmm: str) -> bool:
    return bool(grid.open_mask(hours, pd.DatetimeIndex([_at(day, hhmm)]))[0])


def _open_count(grid: Grid, hours: OpeningHours, day: dt.date, days: int = 1) -> int:
    return int(grid.open_mask(hours, grid.intervals(day, days)).sum())


# --- parse_hours ---------------------------------------------------------------------------------

def test_single_range_is_parsed_to_minutes() -> None:
    hours = parse_hours({"mon": "08:00-20:00"})
    assert hours.week[0] == ((480, 1200),)
    assert hours.week[1:] == ((),) * 6


def test_list_of_ranges_is_sorted() -> None:
    hours = parse_hours({"tue": ["13:00-17:00", "08:00-12:00"]})
    assert hours.week[1] == ((480, 720), (780, 1020))


@pytest.mark.parametrize(
    ("key", "days"),
    [
        ("mon-fri", ["mon", "tue", "wed", "thu", "fri"]),
        ("sat-mon", ["mon", "sat", "sun"]),
        ("fri-fri", ["fri"]),
        ("mon-sun", list(WEEKDAYS)),
        ("SAT", ["sat"]),
    ],
)
def test_weekday_key_opens_exactly_its_days(key: str, days: list[str]) -> None:
    hours = parse_hours({key: "09:00-17:00"})
    open_days = [d for d, ranges in zip(WEEKDAYS, hours.week, strict=True) if ranges]
    assert open_days == days


def test_end_24_00_is_end_of_day() -> None:
    assert parse_hours({"sun": "18:00-24:00"}).week[6] == ((1080, MINUTES_PER_DAY),)


def test_past_midnight_range_ends_on_the_next_day() -> None:
    assert parse_hours({"fri": "22:00-02:00"}).week[4] == ((1320, 1560),)


def test_unnamed_days_are_closed_and_holidays_keep_weekday_hours() -> None:
    hours = parse_hours({"mon": "08:00-12:00"})
    assert hours.holiday is None
    assert hours.ranges_for(0, is_holiday=True) == ((480, 720),)
    assert hours.ranges_for(2, is_holiday=False) == ()


def test_holiday_key_replaces_weekday_hours_on_holidays() -> None:
    hours = parse_hours({"mon": "08:00-12:00", "holiday": "closed"})
    assert hours.ranges_for(0, is_holiday=True) == ()
    assert hours.ranges_for(0, is_holiday=False) == ((480, 720),)


def test_describe_is_compact() -> None:
    hours = parse_hours({"mon-fri": "08:00-20:00", "sat": "22:00-02:00", "holiday": "closed"})
    assert hours.describe() == (
        "mon 08:00-20:00; tue 08:00-20:00; wed 08:00-20:00; thu 08:00-20:00; fri 08:00-20:00; "
        "sat 22:00-02:00; holiday closed"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"mon": "22:00-06:00", "tue": "05:30-08:00"}, "overlaps"),
        ({"mon": "00:00-24:00", "sun": "23:00-00:30"}, "overlaps"),
        ({"mon-fri": "08:00-20:00", "fri": "09:00-10:00"}, "set twice"),
        ({"holiday": ["08:00-12:00", "11:00-13:00"]}, "overlaps"),
        ({}, "expected a mapping"),
        ("08:00-20:00", "expected a mapping"),
        ({"mon": 800}, "is not a range"),
    ],
)
def test_invalid_hours_raise_value_error(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(raw)


# --- open_mask -----------------------------------------------------------------------------------

def test_range_is_open_from_its_start_until_before_its_end(grid: Grid) -> None:
    hours = parse_hours({"mon-sun": "08:00-20:00"})
    assert not _is_open(grid, hours, PLAIN_MONDAY, "07:45")
    assert _is_open(grid, hours, PLAIN_MONDAY, "08:00")
    assert _is_open(grid, hours, PLAIN_MONDAY, "19:45")
    assert not _is_open(grid, hours, PLAIN_MONDAY, "20:00")


def test_weekday_range_wraps_over_the_weekend(grid: Grid) -> None:
    hours = parse_hours({"sat-mon": "10:00-12:00"})
    opened = [
        _is_open(grid, hours, PLAIN_MONDAY + dt.timedelta(days=d), "10:00") for d in range(7)
    ]
    assert opened == [True, False, False, False, False, True, True]


def test_past_midnight_range_belongs_to_the_day_it_starts(grid: Grid) -> None:
    hours = parse_hours({"fri": "22:00-02:00"})
    friday, saturday = dt.date(2026, 6, 5), dt.date(2026, 6, 6)
    assert _is_open(grid, hours, friday, "23:00")
    assert _is_open(grid, hours, saturday, "01:00")
    assert _is_open(grid, hours, saturday, "01:45")
    assert not _is_open(grid, hours, saturday, "02:00")
    assert not _is_open(grid, hours, saturday, "23:00")
    assert not _is_open(grid, hours, friday, "01:00")


def test_sunday_night_range_runs_into_monday(grid: Grid) -> None:
    hours = parse_hours({"sun": "20:00-04:00"})
    assert _is_open(grid, hours, PLAIN_MONDAY, "03:00")
    assert not _is_open(grid, hours, PLAIN_MONDAY, "20:00")


def test_holiday_closed_closes_christmas(grid_de: Grid) -> None:
    hours = parse_hours({"mon-sun": "08:00-20:00", "holiday": "closed"})
    christmas = dt.date(2026, 12, 25)
    assert _open_count(grid_de, hours, christmas) == 0
    assert _open_count(grid_de, hours, christmas - dt.timedelta(days=1)) == 48


def test_holiday_without_holiday_key_keeps_weekday_hours(grid_de: Grid) -> None:
    hours = parse_hours({"mon-sun": "08:00-20:00"})
    assert _open_count(grid_de, hours, dt.date(2026, 12, 25)) == 48


def test_holiday_hours_replace_weekday_hours(grid_de: Grid) -> None:
    hours = parse_hours({"mon-sun": "08:00-20:00", "holiday": "10:00-14:00"})
    christmas = dt.date(2026, 12, 25)
    assert _open_count(grid_de, hours, christmas) == 16
    assert _is_open(grid_de, hours, christmas, "10:00")
    assert not _is_open(grid_de, hours, christmas, "09:00")


def test_night_range_starting_on_holiday_uses_holiday_hours(grid_de: Grid) -> None:
    hours = parse_hours({"mon-sun": "22:00-02:00", "holiday": "closed"})
    # 2026-12-25 is a holiday: its night shift is closed, so early 12-26 is closed too, but the
    # night starting on 12-24 (no holiday) still runs into the first hours of 12-25
    assert _is_open(grid_de, hours, dt.date(2026, 12, 25), "01:00")
    assert not _is_open(grid_de, hours, dt.date(2026, 12, 25), "23:00")
    assert not _is_open(grid_de, hours, dt.date(2026, 12, 26), "01:00")


def test_grid_without_holiday_calendar_has_no_holidays(grid: Grid) -> None:
    hours = parse_hours({"mon-sun": "08:00-20:00", "holiday": "closed"})
    assert _open_count(grid, hours, dt.date(2026, 12, 25)) == 48


# --- DST -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "count"), [(SPRING_FORWARD, 92), (FALL_BACK, 100),
                                            (PLAIN_MONDAY, 96)])
def test_day_has_one_interval_per_real_quarter_hour(grid: Grid, day: dt.date, count: int) -> None:
    index = grid.intervals(day, 1)
    assert len(index) == count
    assert index.is_unique
    assert ((index[1:] - index[:-1]) == pd.Timedelta(minutes=15)).all()


@pytest.mark.parametrize(
    ("day", "hours", "count"),
    [
        (SPRING_FORWARD, "00:00-24:00", 92),
        (FALL_BACK, "00:00-24:00", 100),
        (SPRING_FORWARD, "08:00-20:00", 48),
        (FALL_BACK, "08:00-20:00", 48),
        (SPRING_FORWARD, "01:00-04:00", 8),  # 02:00-03:00 does not exist
        (FALL_BACK, "01:00-04:00", 16),  # 02:00-03:00 happens twice
    ],
)
def test_open_intervals_on_dst_days(grid: Grid, day: dt.date, hours: str, count: int) -> None:
    assert _open_count(grid, parse_hours({"mon-sun": hours}), day) == count


# --- property ------------------------------------------------------------------------------------

STEP = 30  # minutes; the grid below uses the same step


def _hhmm(minute: int) -> str:
    """Minutes after midnight (up to 48 h) as the HH:MM of the notation; 1440 is 24:00."""
    if minute == MINUTES_PER_DAY:
        return "24:00"
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


@st.composite
def week_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    """Random hours: per day up to two ranges on the grid; the last one may run past midnight."""
    points = st.integers(0, MINUTES_PER_DAY // STEP).map(lambda k: k * STEP)
    out: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        cuts = sorted(draw(st.sets(points, max_size=4)))
        cuts = cuts[: len(cuts) // 2 * 2]
        ranges = list(zip(cuts[::2], cuts[1::2], strict=True))
        if ranges and draw(st.booleans()):
            start, _ = ranges[-1]
            ranges[-1] = (start, MINUTES_PER_DAY + draw(points.filter(lambda m: m < 720)))
        if ranges:
            out[day] = [f"{_hhmm(s)}-{_hhmm(e)}" for s, e in ranges]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(raw=week_hours())
def test_open_intervals_per_week_equal_open_minutes_over_step(raw: dict[str, list[str]]) -> None:
    try:
        hours = parse_hours(raw)
    except ValueError:
        assume(False)
        raise  # unreachable: assume(False) stops the example
    assume(not hours.always_closed)
    open_minutes = sum(e - s for day in hours.week for s, e in day)
    grid = Grid(TZ, STEP)
    assert _open_count(grid, hours, PLAIN_MONDAY, days=7) == open_minutes // STEP
