"""The schedule checker: every hard rule caught from agent_intervals alone, and nothing else.

Schedules are painted by hand on a 15-minute Europe/Berlin grid (voice open all day, chat
08:00-20:00; shifts of 4, 6 or 8 h starting every 30 min from 06:00 and ending by 22:00; a 15-min
break 1.5-3 h in, a 30-min lunch 3.5-5 h in and a 15-min break 5.5-7 h in for shifts of 6 h or
more; 60 min of work between breaks). Each rule gets a broken schedule that is caught with the
rule's name and numbers, and its valid neighbour, which passes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfm import frames as F
from wfm.config import Config, RuleSet, config_from_dict
from wfm.errors import DataError
from wfm.hours import parse_hours
from wfm.io.roster import Agent, TimeOff
from wfm.schedule.check import VIOLATION_COLUMNS, check_schedule
from wfm.timegrid import Grid

MON = dt.date(2026, 6, 1)
"""A week without DST change (the site has no holiday calendar)."""
TUE, WED, THU, FRI, SAT, SUN = (MON + dt.timedelta(days=i) for i in range(1, 7))
VOICE = {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20}}
CHAT = {"kind": "chat", "target": {"service_level": 0.8, "answer_seconds": 60}}
BREAK_RULES = (
    {"minutes": 15, "window_hours": [1.5, 3]},
    {"minutes": 30, "window_hours": [3.5, 5], "lunch": True, "min_shift_hours": 6},
    {"minutes": 15, "window_hours": [5.5, 7], "min_shift_hours": 6},
)
Breaks = tuple[tuple[int, int, str], ...]
"""(minutes into the shift, minutes, ``break`` or ``lunch``)."""
AT_WINDOW_START: dict[float, Breaks] = {
    4: ((90, 15, F.BREAK),),
    5: ((90, 15, F.BREAK),),
    6: ((90, 15, F.BREAK), (210, 30, F.LUNCH), (330, 15, F.BREAK)),
    8: ((90, 15, F.BREAK), (210, 30, F.LUNCH), (330, 15, F.BREAK)),
}
"""Each length's breaks at the start of their windows (the 6-h shift's last window is
5.5-5.75 h: clipped to end one interval before the shift does)."""
WINDOWS = {4: ((90, 180),), 6: ((90, 180), (210, 300), (330, 345)),
           8: ((90, 180), (210, 300), (330, 420))}


def make_config(*, open_day: bool = False) -> Config:
    """The test site; ``open_day`` drops the earliest start and latest end (for night shifts)."""
    shifts: dict[str, Any] = {
        "lengths_hours": [4, 6, 8], "start_every_minutes": 30, "breaks": list(BREAK_RULES),
        "min_work_between_breaks_minutes": 60}
    if not open_day:
        shifts |= {"earliest_start": "06:00", "latest_end": "22:00"}
    return config_from_dict({
        "site": {"name": "tiny", "timezone": "Europe/Berlin", "interval_minutes": 15},
        "channels": {"voice": {**VOICE, "hours": {"mon-sun": "00:00-24:00"}},
                     "chat": {**CHAT, "hours": {"mon-sun": "08:00-20:00"}}},
        "shifts": shifts,
        "rules": {"min_rest_hours": 8, "max_days_per_week": 5, "max_consecutive_days": 6},
    })


CONFIG = make_config()
GRID = Grid.from_config(CONFIG)


class Shift(NamedTuple):
    """A shift to paint: local date and start, real length, breaks (default: at window start)."""

    day: dt.date
    start: str
    hours: float
    breaks: Breaks | None = None
    channel: str = "voice"


def paint(agent_id: str, shifts: tuple[Shift, ...] | list[Shift], *, start: dt.date = MON,
          days: int = 7, grid: Grid = GRID) -> pd.DataFrame:
    """The agent's rows as the solver writes them: every horizon interval, plus the intervals
    after the horizon where the agent still works."""
    index = grid.intervals(start, days + 1)
    horizon = len(grid.intervals(start, days))
    step = grid.interval_minutes
    activity = np.full(len(index), F.OFF, dtype=object)
    for s in shifts:
        first = index.get_indexer(pd.DatetimeIndex([f"{s.day} {s.start}"], tz=grid.timezone))[0]
        n = round(s.hours * 60) // step
        assert (activity[first:first + n] == F.OFF).all(), f"{s} overlaps another shift"
        activity[first:first + n] = s.channel
        breaks = AT_WINDOW_START[s.hours] if s.breaks is None else s.breaks
        for offset, minutes, label in breaks:
            activity[first + offset // step:first + (offset + minutes) // step] = label
    keep = (np.arange(len(index)) < horizon) | (activity != F.OFF)
    return pd.DataFrame({F.AGENT_ID: agent_id, F.INTERVAL_START: index[keep],
                         F.ACTIVITY: activity[keep]})


def agent(agent_id: str = "A1", skills: tuple[str, ...] = ("voice", "chat"), **kw: Any) -> Agent:
    return Agent(agent_id, agent_id, skills, tuple(1.0 for _ in skills), **kw)


def check(frame: pd.DataFrame, *agents: Agent, config: Config = CONFIG,
          **kw: Any) -> pd.DataFrame:
    return check_schedule(frame, agents or (agent(),), config, **kw)


def week(*days: dt.date, start: str = "08:00", hours: float = 8) -> list[Shift]:
    return [Shift(d, start, hours) for d in days]


WORK_WEEK = week(MON, TUE, WED, THU, FRI)


# --- a valid week --------------------------------------------------------------------------------


def test_a_valid_week_has_no_violations() -> None:
    found = check(paint("A1", WORK_WEEK))

    assert found.empty
    assert tuple(found.columns) == VIOLATION_COLUMNS


def test_unpaid_lunches_are_not_counted_toward_the_week() -> None:
    # 5 x (8 h - 30 min lunch) = 37.5 paid hours
    assert check(paint("A1", WORK_WEEK), agent(max_week_hours=37.5)).empty


def test_a_roster_of_valid_weeks_has_no_violations() -> None:
    frame = pd.concat([paint("A1", WORK_WEEK), paint("B2", week(WED, THU, FRI, SAT, SUN)),
                       paint("C3", week(MON, TUE, start="14:00"))], ignore_index=True)

    assert check(frame, agent("A1"), agent("B2"), agent("C3")).empty


# --- one broken schedule per rule, and its valid neighbour ---------------------------------------


@dataclass(frozen=True)
class Case:
    rule: str
    broken: list[Shift]
    fixed: list[Shift]
    words: tuple[str, ...]
    agent: dict[str, Any] = field(default_factory=dict)


CASES = [
    pytest.param(Case("shift_length", [Shift(MON, "08:00", 5)], [Shift(MON, "08:00", 4)],
                      ("5 h long", "allowed lengths: 4, 6, 8 h")), id="length"),
    pytest.param(Case("shift_length", [Shift(MON, "08:00", 4)], [Shift(MON, "08:00", 8)],
                      ("4 h long", "allowed lengths: 8 h"), {"shift_lengths_hours": (8,)}),
                 id="contract-length"),
    pytest.param(Case("shift_start", [Shift(MON, "08:15", 4)], [Shift(MON, "08:30", 4)],
                      ("from 08:15", "every 30 min from 06:00")), id="start-off-grid"),
    pytest.param(Case("shift_start", [Shift(MON, "05:30", 4)], [Shift(MON, "06:00", 4)],
                      ("from 05:30", "earliest start 06:00")), id="start-too-early"),
    pytest.param(Case("shift_start", [Shift(MON, "18:30", 4)], [Shift(MON, "18:00", 4)],
                      ("ends at 22:30", "latest end 22:00")), id="end-too-late"),
    pytest.param(Case("breaks", [Shift(MON, "08:00", 8, ((90, 15, F.BREAK), (330, 15, F.BREAK)))],
                      [Shift(MON, "08:00", 8)], ("no 30-min lunch", "between 3.5 h and 5 h")),
                 id="missing-lunch"),
    pytest.param(Case("breaks", [Shift(MON, "08:00", 4, ((90, 15, F.BREAK), (180, 15, F.BREAK)))],
                      [Shift(MON, "08:00", 4)], ("extra 15-min break at 11:00",)),
                 id="extra-break"),
    pytest.param(Case("breaks", [Shift(MON, "08:00", 4, ((90, 30, F.BREAK),))],
                      [Shift(MON, "08:00", 4)], ("is 30 min", "asks for 15 min")),
                 id="break-too-long"),
    pytest.param(Case("breaks", [Shift(MON, "08:00", 4, ((90, 15, F.LUNCH),))],
                      [Shift(MON, "08:00", 4)], ("extra 15-min lunch", "no 15-min break")),
                 id="lunch-for-a-break"),
    pytest.param(Case("break_window", [Shift(MON, "08:00", 4, ((60, 15, F.BREAK),))],
                      [Shift(MON, "08:00", 4)],
                      ("at 09:00 is 1 h into", "between 1.5 h and 3 h")), id="break-too-early"),
    pytest.param(Case("break_window", [Shift(MON, "08:00", 4, ((180, 15, F.BREAK),))],
                      [Shift(MON, "08:00", 4, ((165, 15, F.BREAK),))],
                      ("at 11:00 is 3 h into", "between 1.5 h and 3 h")), id="break-too-late"),
    pytest.param(Case("break_window",
                      [Shift(MON, "08:00", 6, ((90, 15, F.BREAK), (210, 30, F.LUNCH),
                                               (345, 15, F.BREAK)))],
                      [Shift(MON, "08:00", 6)], ("5.75 h into", "between 5.5 h and 5.75 h")),
                 id="window-clipped-by-shift-end"),
    pytest.param(Case("break_spacing",
                      [Shift(MON, "08:00", 8, ((150, 15, F.BREAK), (210, 30, F.LUNCH),
                                               (330, 15, F.BREAK)))],
                      [Shift(MON, "08:00", 8)], ("only 45 min of work", "min 60 min")),
                 id="spacing"),
    pytest.param(Case("skill", [Shift(MON, "08:00", 4, channel="chat")],
                      [Shift(MON, "08:00", 4)], ("chat worked in 15 interval(s)",
                                                 "without the chat skill (skills: voice)"),
                      {"skills": ("voice",)}), id="skill"),
    pytest.param(Case("channel_closed", [Shift(MON, "14:00", 8, channel="chat")],
                      [Shift(MON, "12:00", 8, channel="chat")],
                      ("chat worked in 8 interval(s) from 20:00", "08:00-20:00")),
                 id="channel-closed"),
    pytest.param(Case("week_hours_max", WORK_WEEK, week(MON, TUE, WED, THU),
                      ("paid 37.5 h in the week of 2026-06-01", "contract max 30 h"),
                      {"max_week_hours": 30}), id="week-hours-max"),
    pytest.param(Case("week_hours_max", WORK_WEEK, week(MON, TUE, WED, THU),
                      ("paid 45.5 h", "incl. 8 h paid time off", "contract max 40 h"),
                      {"time_off": (TimeOff(dt.datetime(2026, 6, 6), dt.datetime(2026, 6, 7),
                                            8 * 60),)}), id="week-hours-max-time-off"),
    pytest.param(Case("week_hours_min", week(MON, TUE), week(MON, TUE, WED),
                      ("paid 15 h in the week of 2026-06-01", "contract min 20 h"),
                      {"min_week_hours": 20}), id="week-hours-min"),
    pytest.param(Case("days_max", week(MON, TUE, WED, THU, FRI, SAT, hours=4),
                      week(MON, TUE, WED, THU, FRI, hours=4), ("works 6 days", "max 5")),
                 id="days-max"),
    pytest.param(Case("days_min", week(MON, TUE), week(MON, TUE, WED),
                      ("works 2 days in the week of 2026-06-01", "min 3"),
                      {"rules": RuleSet(min_days_per_week=3)}), id="days-min"),
    pytest.param(Case("consecutive_days", week(MON, TUE, WED, THU, hours=4),
                      week(MON, TUE, WED, FRI, hours=4),
                      ("4 days in a row, 2026-06-01 to 2026-06-04", "max 3"),
                      {"rules": RuleSet(max_consecutive_days=3)}), id="consecutive-days"),
    pytest.param(Case("days_off_in_row", week(MON, TUE, THU, FRI, SUN), WORK_WEEK,
                      ("no two consecutive days off", "works Mon, Tue, Thu, Fri, Sun"),
                      {"rules": RuleSet(consecutive_days_off=True)}), id="days-off-in-row"),
    pytest.param(Case("rest", [Shift(MON, "14:00", 8), Shift(TUE, "06:00", 4)],
                      [Shift(MON, "14:00", 8), Shift(TUE, "09:00", 4)],
                      ("rest of 8 h", "ending 2026-06-01 22:00", "min 11 h"),
                      {"rules": RuleSet(min_rest_hours=11)}), id="rest"),
    pytest.param(Case("start_variation", [Shift(MON, "08:00", 8), Shift(TUE, "10:00", 8)],
                      [Shift(MON, "08:00", 8), Shift(TUE, "09:00", 8)],
                      ("vary by 120 min", "08:00 to 10:00", "max 60 min"),
                      {"rules": RuleSet(max_start_variation_minutes=60)}),
                 id="start-variation"),
    pytest.param(Case("availability", [Shift(MON, "09:00", 8)], [Shift(MON, "08:00", 8)],
                      ("4 interval(s) from 16:00", "mon 08:00-16:00"),
                      {"availability": parse_hours({"mon-fri": "08:00-16:00"})}),
                 id="availability"),
    pytest.param(Case("day_off", [Shift(SAT, "08:00", 8)], [Shift(FRI, "08:00", 8)],
                      ("on Saturday", "fixed day off (sat|sun)"),
                      {"days_off": frozenset({5, 6})}), id="day-off"),
    pytest.param(Case("time_off", [Shift(WED, "08:00", 8)], [Shift(WED, "14:00", 4)],
                      ("8 interval(s) from 12:00",
                       "time off 2026-06-03 12:00 to 2026-06-03 14:00 (doctor)"),
                      {"time_off": (TimeOff(dt.datetime(2026, 6, 3, 12),
                                            dt.datetime(2026, 6, 3, 14), 0, "doctor"),)}),
                 id="time-off"),
    pytest.param(Case("time_off", [Shift(WED, "08:00", 4)], [Shift(WED, "07:30", 4)],
                      ("1 interval(s) from 11:45", "time off 2026-06-03 11:50"),
                      {"time_off": (TimeOff(dt.datetime(2026, 6, 3, 11, 50),
                                            dt.datetime(2026, 6, 3, 13)),)}),
                 id="time-off-inside-an-interval"),
]


@pytest.mark.parametrize("case", CASES)
def test_a_broken_rule_is_reported_with_its_numbers(case: Case) -> None:
    found = check(paint("A1", case.broken), agent(**case.agent))

    assert found["rule"].unique().tolist() == [case.rule]
    details = " | ".join(found["detail"])
    assert all(w in details for w in case.words), details


@pytest.mark.parametrize("case", CASES)
def test_the_valid_neighbour_of_a_broken_schedule_passes(case: Case) -> None:
    assert check(paint("A1", case.fixed), agent(**case.agent)).empty


def test_a_shift_violation_is_dated_by_its_shift_and_names_the_agent() -> None:
    found = check(paint("A1", [*week(MON, TUE), Shift(WED, "08:15", 4)]))

    assert found[["agent_id", "date", "rule"]].values.tolist() == [["A1", WED, "shift_start"]]


def test_a_weekly_violation_is_dated_by_the_first_day_of_its_block() -> None:
    found = check(paint("A1", week(WED, THU, FRI, SAT, SUN, hours=4), start=MON, days=14),
                  agent(rules=RuleSet(min_days_per_week=1, max_days_per_week=4)))

    assert found[["date", "rule"]].values.tolist() == [[MON, "days_max"],
                                                       [MON + dt.timedelta(days=7), "days_min"]]


def test_unknown_agent_is_reported_once_without_a_date() -> None:
    found = check(paint("Z9", week(MON)), agent("A1"))

    assert found[["agent_id", "date", "rule"]].values.tolist() == [["Z9", None, "unknown_agent"]]
    assert "not in the roster" in found["detail"].iloc[0]


def test_known_agent_passes_where_an_unknown_one_is_reported() -> None:
    assert check(paint("A1", week(MON)), agent("A1")).empty


def test_unknown_activity_is_reported_with_a_hint() -> None:
    frame = paint("A1", week(MON))
    frame.loc[frame[F.ACTIVITY] == "voice", F.ACTIVITY] = "vioce"

    found = check(frame)

    assert found["rule"].tolist() == ["unknown_activity"]
    assert "'vioce' in 28 interval(s) from 08:00" in found["detail"].iloc[0]
    assert "did you mean 'voice'" in found["detail"].iloc[0]


def test_violations_are_sorted_by_agent_date_and_rule() -> None:
    frame = pd.concat([paint("B2", [Shift(TUE, "08:15", 5)]),
                       paint("A1", [Shift(WED, "08:00", 4), Shift(MON, "05:30", 4)])])

    found = check(frame, agent("A1", days_off=frozenset({2})), agent("B2"))

    assert found[["agent_id", "date", "rule"]].values.tolist() == [
        ["A1", MON, "shift_start"], ["A1", WED, "day_off"],
        ["B2", TUE, "shift_length"], ["B2", TUE, "shift_start"]]


# --- the horizon ---------------------------------------------------------------------------------


def test_minimum_rules_skip_a_part_week() -> None:
    frame = paint("A1", week(MON), days=3)

    assert check(frame, agent(min_week_hours=30, rules=RuleSet(min_days_per_week=3))).empty


def test_minimum_rules_apply_to_a_whole_week() -> None:
    frame = paint("A1", week(MON), days=7)

    found = check(frame, agent(min_week_hours=30, rules=RuleSet(min_days_per_week=3)))

    assert found["rule"].tolist() == ["days_min", "week_hours_min"]


def test_an_agent_without_any_row_still_owes_the_weekly_minimum() -> None:
    found = check(paint("A1", WORK_WEEK), agent("A1"), agent("B2", min_week_hours=20))

    assert found[["agent_id", "date", "rule"]].values.tolist() == [["B2", MON,
                                                                     "week_hours_min"]]
    assert "paid 0 h" in found["detail"].iloc[0]


def test_explicit_days_override_the_frame() -> None:
    frame = paint("A1", week(MON), days=7)

    assert check(frame, agent(min_week_hours=30), days=6).empty


def test_a_shift_spilling_past_the_horizon_keeps_its_length() -> None:
    config = make_config(open_day=True)
    frame = paint("A1", [Shift(SUN, "20:00", 8)])  # ends Monday 04:00, after the horizon

    found = check(frame, agent(min_week_hours=20), config=config)

    # a complete week (the partial Monday after it is no horizon day), 7.5 h paid in it
    assert found[["date", "rule"]].values.tolist() == [[MON, "week_hours_min"]]
    assert "paid 7.5 h" in found["detail"].iloc[0]


# --- DST: a shift is its real length -------------------------------------------------------------


@pytest.mark.parametrize(("saturday", "wall_hours"), [
    pytest.param(dt.date(2026, 10, 24), 9, id="autumn-25h-day"),
    pytest.param(dt.date(2026, 3, 28), 7, id="spring-23h-day"),
])
def test_a_shift_across_a_dst_change_has_its_real_length(saturday: dt.date,
                                                         wall_hours: int) -> None:
    config = make_config(open_day=True)
    real = paint("A1", [Shift(saturday, "22:00", 8)], start=saturday, days=2)
    index = GRID.intervals(saturday, 2)
    wall = real.assign(**{F.ACTIVITY: np.where(
        (index >= pd.Timestamp(f"{saturday} 22:00", tz=GRID.timezone))
        & (index < pd.Timestamp(f"{saturday + dt.timedelta(days=1)} 06:00", tz=GRID.timezone)),
        "voice", F.OFF)})

    assert check(real, config=config).empty
    found = check(wall, config=config)
    assert found["rule"].tolist().count("shift_length") == 1
    assert f"{wall_hours} h long" in " ".join(found["detail"])


def test_rest_after_a_dst_night_counts_real_hours() -> None:
    config = make_config(open_day=True)
    saturday = dt.date(2026, 10, 24)
    # 22:00 CEST + 8 h = 05:00 CET; 13:00 CET is 8 h later (06:00 + 7 h on the wall clock)
    frame = paint("A1", [Shift(saturday, "22:00", 8), Shift(saturday + dt.timedelta(days=1),
                                                             "13:00", 4)],
                  start=saturday, days=2)

    assert check(frame, agent(rules=RuleSet(min_rest_hours=8)), config=config).empty
    found = check(frame, agent(rules=RuleSet(min_rest_hours=8.5)), config=config)
    assert found["rule"].tolist() == ["rest"]
    assert "rest of 8 h" in found["detail"].iloc[0]


# --- reading the frame ---------------------------------------------------------------------------


def test_iso_strings_read_back_from_csv_check_the_same(tmp_path: Any) -> None:
    path = tmp_path / "agent_intervals.csv"
    paint("A1", [*week(MON, TUE), Shift(WED, "08:15", 4)]).to_csv(path, index=False)
    frame = pd.read_csv(path, dtype=str)

    found = check(frame)

    assert found[["date", "rule"]].values.tolist() == [[WED, "shift_start"]]


def _broken_frame(kind: str) -> pd.DataFrame:
    frame = paint("A1", week(MON)).astype({F.INTERVAL_START: object})
    if kind == "missing":
        return frame.drop(columns=[F.ACTIVITY])
    if kind == "garbage":
        frame.loc[3, F.INTERVAL_START] = "not a time"
    elif kind == "naive":
        frame.loc[3, F.INTERVAL_START] = "2026-06-01 00:45"
    elif kind == "off_grid":
        frame.loc[3, F.INTERVAL_START] = pd.Timestamp("2026-06-01 00:50", tz="Europe/Berlin")
    elif kind == "duplicate":
        frame.loc[3, F.INTERVAL_START] = frame[F.INTERVAL_START].iloc[2]
    elif kind == "empty":
        frame.loc[3, F.ACTIVITY] = None
    return frame


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "missing column(s) activity"),
    ("garbage", "row 5, column 'interval_start': 1 value(s) are not time stamps with a UTC offset"),
    ("naive", "'2026-06-01 00:45'"),
    ("off_grid", "not on the 15-minute interval grid"),
    ("duplicate", "rows 4, 5, column 'interval_start': agent 'A1' has two rows"),
    ("empty", "row 5, column 'activity': empty activity"),
])
def test_a_malformed_frame_raises_a_data_error(kind: str, message: str) -> None:
    with pytest.raises(DataError) as info:
        check(_broken_frame(kind))

    assert message in str(info.value)
    assert info.value.path is None


def test_an_empty_frame_has_no_violations() -> None:
    empty = pd.DataFrame(columns=list(F.AGENT_INTERVAL_COLUMNS))

    assert check(empty).empty


def test_an_empty_frame_with_a_horizon_still_owes_the_weekly_minimum() -> None:
    empty = pd.DataFrame(columns=list(F.AGENT_INTERVAL_COLUMNS))

    found = check(empty, agent(min_week_hours=20), start=MON, days=7)

    assert found[["date", "rule"]].values.tolist() == [[MON, "week_hours_min"]]


# --- properties ----------------------------------------------------------------------------------


@st.composite
def valid_weeks(draw: st.DrawFn) -> list[Shift]:
    """One length, up to five days, starts on the grid from 06:00 with the end by 22:00 (so the
    rest between days is at least 8 h), breaks at their window starts."""
    hours = draw(st.sampled_from([4, 6, 8]))
    days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True))
    starts = range(6 * 60, 22 * 60 - hours * 60 + 1, 30)
    shifts = []
    for d in sorted(days):
        minute = draw(st.sampled_from(starts))
        shifts.append(Shift(MON + dt.timedelta(days=d), f"{minute // 60:02d}:{minute % 60:02d}",
                            hours))
    return shifts


@settings(max_examples=150, deadline=None)
@given(valid_weeks())
def test_a_valid_by_construction_week_has_no_violations(shifts: list[Shift]) -> None:
    assert check(paint("A1", shifts)).empty


@settings(max_examples=150, deadline=None)
@given(valid_weeks(), st.data())
def test_moving_one_break_interval_out_of_its_window_is_caught(shifts: list[Shift],
                                                               data: st.DataObject) -> None:
    shift = data.draw(st.sampled_from(shifts))
    step = GRID.interval_minutes
    breaks = AT_WINDOW_START[shift.hours]
    b = data.draw(st.integers(0, len(breaks) - 1))
    offset, minutes, label = breaks[b]
    moved = data.draw(st.integers(0, minutes // step - 1)) * step + offset
    lo, hi = WINDOWS[int(shift.hours)][b]
    on_break = {o + i for o, m, _ in breaks for i in range(0, m, step)}
    targets = [t for t in range(0, int(shift.hours * 60), step)
               if (t + step <= lo or t >= hi) and t not in on_break]
    target = data.draw(st.sampled_from(targets))
    frame = paint("A1", shifts)
    first = frame.index[frame[F.INTERVAL_START] == pd.Timestamp(
        f"{shift.day} {shift.start}", tz=GRID.timezone)][0]
    frame.loc[first + moved // step, F.ACTIVITY] = shift.channel
    frame.loc[first + target // step, F.ACTIVITY] = label

    assert not check(frame).empty


# --- speed ---------------------------------------------------------------------------------------


def test_three_hundred_agent_weeks_check_in_seconds() -> None:
    one = paint("A000", WORK_WEEK)
    frame = pd.concat([one.assign(**{F.AGENT_ID: f"A{i:03d}"}) for i in range(300)],
                      ignore_index=True)
    agents = tuple(agent(f"A{i:03d}") for i in range(300))
    assert len(frame) == 300 * 7 * 96

    t0 = time.perf_counter()
    found = check(frame, *agents)
    seconds = time.perf_counter() - t0

    assert found.empty
    assert seconds < 5.0
