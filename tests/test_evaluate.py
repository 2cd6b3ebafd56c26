"""What the week is like for agents, and shifts rebuilt from agent_intervals.csv."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from wfm import frames as F
from wfm.evaluate import agent_experience, experience_summary, shifts_from_intervals
from wfm.io.roster import Agent

TZ = "Europe/Berlin"


def _shift(agent_id: str, start: str, hours: float, paid_minutes: int) -> dict[str, object]:
    begin = pd.Timestamp(start, tz=TZ)
    return {F.AGENT_ID: agent_id, F.DATE: begin.date(), "shift_start": begin,
            "shift_end": begin + pd.Timedelta(hours=hours), "paid_minutes": paid_minutes,
            "breaks": ""}


def test_wishes_weekends_late_shifts_and_spread_per_agent() -> None:
    early = dataclasses.replace(Agent("A1", "A1", ("voice",), (1.0,)), preferred_start=8 * 60,
                                preferred_days_off=frozenset({5, 6}))
    other = Agent("B2", "B2", ("voice",), (1.0,))
    shifts = pd.DataFrame([
        _shift("A1", "2026-06-01 08:00", 8, 450),   # Monday, as wished
        _shift("A1", "2026-06-02 10:00", 8, 450),   # Tuesday, two hours late
        _shift("A1", "2026-06-06 08:00", 8, 450),   # Saturday: a wished day off worked
        _shift("B2", "2026-06-07 13:00", 8, 480),   # Sunday, ends 21:00: a late shift
    ])

    per_agent = agent_experience(shifts, (early, other), TZ, late_shift_end="20:00")
    a1, b2 = per_agent.set_index(F.AGENT_ID).loc[["A1", "B2"]].to_dict("records")

    assert (a1["shifts"], a1["paid_hours"], a1["weekend_days"]) == (3, 22.5, 1)
    assert a1["start_spread_hours"] == 2.0
    # 3 shifts with a preferred start (2 met) + Sat and Sun preferred off (Sun kept free)
    assert (a1["wishes"], a1["wishes_met"]) == (5, 3)
    assert (b2["late_shifts"], b2["weekend_days"], b2["wishes"]) == (1, 1, 0)
    summary = experience_summary(per_agent)
    assert summary["wishes_met_pct"] == pytest.approx(60.0)
    assert (summary["paid_hours_min"], summary["paid_hours_max"]) == (8.0, 22.5)


def test_shifts_are_rebuilt_from_runs_of_intervals() -> None:
    index = pd.date_range("2026-06-01 08:00", periods=8, freq="h", tz=TZ)
    activity = ["voice", "voice", "lunch", "voice", "off", "off", "chat", "break"]
    intervals = pd.DataFrame({F.AGENT_ID: "A1", F.INTERVAL_START: index, F.ACTIVITY: activity})

    shifts = shifts_from_intervals(intervals, 60)

    assert shifts["shift_start"].tolist() == [index[0], index[6]]
    assert shifts["shift_end"].tolist() == [index[4], index[7] + pd.Timedelta(hours=1)]
    assert shifts["paid_minutes"].tolist() == [180, 120]  # the lunch is unpaid, the break paid


def test_forecast_accuracy_is_wape_and_bias_per_day() -> None:
    from wfm.evaluate import forecast_accuracy

    index = pd.date_range("2026-06-01 09:00", periods=3, freq="h", tz=TZ)
    fc = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: "voice", F.VOLUME: [10.0, 20.0, 30.0]})
    history = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: "voice",
                            F.OFFERED: [12, 18, 20]})

    (row,) = forecast_accuracy(fc, history, TZ).to_dict("records")

    assert (row["actual"], row["forecast"]) == (50, 60)
    assert row["wape"] == pytest.approx((2 + 2 + 10) / 50)
    assert row["bias"] == pytest.approx(10 / 50)


def test_week_accuracy_weights_days_by_their_contacts() -> None:
    from wfm.evaluate import accuracy_summary

    days = pd.DataFrame({F.DATE: ["2026-06-01", "2026-06-02", "2026-06-03"], F.CHANNEL: "voice",
                         "actual": [100.0, 300.0, 0.0], "forecast": [110.0, 240.0, 5.0],
                         "wape": [0.2, 0.1, float("nan")], "bias": [0.1, -0.2, float("nan")]})

    (row,) = accuracy_summary(days).to_dict("records")

    assert row["wape"] == pytest.approx((20 + 30) / 400)  # the empty day carries no weight
    assert row["bias"] == pytest.approx((350 - 400) / 400)
