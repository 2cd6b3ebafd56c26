"""Shift templates: which shifts exist, and where their breaks and lunches fall."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfm.config import ShiftPolicy, config_from_dict
from wfm.errors import ConfigError
from wfm.schedule import Break, ShiftTemplate, expand_templates
from wfm.schedule.templates import place_breaks

BREAK_15 = {"after_hours": 2, "minutes": 15}
LUNCH_30 = {"lunch": True, "minutes": 30, "window_hours": [3.5, 5.5], "min_shift_hours": 6}


@pytest.fixture
def policy(tiny_config_dict: dict[str, Any]):
    """Build a validated :class:`ShiftPolicy` on the tiny site's grid (15 min unless told)."""

    def make(step: int = 15, **shifts: Any) -> ShiftPolicy:
        data = {**tiny_config_dict, "shifts": shifts}
        data["site"] = {**data["site"], "interval_minutes": step}
        config = config_from_dict(data)
        assert config.shifts is not None
        return config.shifts

    return make


def _starts(templates: tuple[ShiftTemplate, ...], length_minutes: int) -> list[int]:
    return [t.start_minute for t in templates if t.length_minutes == length_minutes]


# --- lengths x start grid ------------------------------------------------------------------------


def test_every_length_starts_at_every_grid_point_of_the_day(policy) -> None:
    templates = expand_templates(policy(lengths_hours=[4, 8], start_every_minutes=60), 15)

    assert _starts(templates, 240) == list(range(0, 1440, 60))
    assert _starts(templates, 480) == list(range(0, 1440, 60))
    assert len(templates) == 2 * 24


def test_start_grid_finer_than_an_hour(policy) -> None:
    templates = expand_templates(policy(lengths_hours=[6], start_every_minutes=30), 15)

    assert _starts(templates, 360) == list(range(0, 1440, 30))


def test_duplicate_lengths_give_one_set_of_templates(policy) -> None:
    templates = expand_templates(policy(lengths_hours=[4, 4], start_every_minutes=60), 60)

    assert len(templates) == 24


def test_earliest_start_and_latest_end_bound_the_shift(policy) -> None:
    p = policy(lengths_hours=[4, 8], start_every_minutes=60, earliest_start="08:00",
               latest_end="20:00")
    templates = expand_templates(p, 15)

    assert _starts(templates, 240) == list(range(8 * 60, 16 * 60 + 1, 60))
    assert _starts(templates, 480) == list(range(8 * 60, 12 * 60 + 1, 60))
    assert all(t.start_minute >= 8 * 60 and t.start_minute + t.length_minutes <= 20 * 60
               for t in templates)


def test_start_grid_counts_from_earliest_start(policy) -> None:
    p = policy(lengths_hours=[4], start_every_minutes=30, earliest_start="08:15",
               latest_end="14:00")
    templates = expand_templates(p, 15)

    assert _starts(templates, 240) == [495, 525, 555, 585]


def test_latest_end_of_midnight_allows_shifts_up_to_24_00(policy) -> None:
    p = policy(lengths_hours=[4], start_every_minutes=60, earliest_start="18:00",
               latest_end="24:00")

    assert _starts(expand_templates(p, 60), 240) == [18 * 60, 19 * 60, 20 * 60]


def test_without_latest_end_late_starts_run_past_midnight(policy) -> None:
    templates = expand_templates(policy(lengths_hours=[8], start_every_minutes=60,
                                        earliest_start="22:00"), 60)

    assert [(t.start_minute, t.start_minute + t.length_minutes) for t in templates] == [
        (22 * 60, 30 * 60), (23 * 60, 31 * 60)]


def test_no_template_when_no_length_fits_between_earliest_start_and_latest_end(policy) -> None:
    p = policy(lengths_hours=[8], start_every_minutes=60, earliest_start="10:00",
               latest_end="16:00")

    assert expand_templates(p, 60) == ()


def test_label_names_start_and_length(policy) -> None:
    p = policy(lengths_hours=[7.5], start_every_minutes=30, earliest_start="08:30",
               latest_end="16:00")

    assert [t.label for t in expand_templates(p, 30)] == ["08:30+7.5h"]


def test_earliest_start_off_the_interval_grid_is_a_config_error(policy) -> None:
    with pytest.raises(ConfigError) as info:
        policy(lengths_hours=[4], start_every_minutes=60, earliest_start="08:10")

    assert info.value.key_path == "shifts.earliest_start"


# --- break placement -----------------------------------------------------------------------------


def test_after_hours_fixes_the_break_start(policy) -> None:
    p = policy(lengths_hours=[4], breaks=[BREAK_15])

    assert place_breaks(p, 240, 15) == (Break(120, 120, 15, "break", True, 120),)


def test_break_start_off_the_grid_is_a_config_error(policy) -> None:
    with pytest.raises(ConfigError, match=r"shifts\.breaks\.0\.after_hours"):
        policy(lengths_hours=[4], breaks=[{"after_hours": 2.2, "minutes": 15}])


def test_window_break_may_start_anywhere_it_still_ends_inside_the_window(policy) -> None:
    p = policy(lengths_hours=[8], breaks=[LUNCH_30])
    (lunch,) = place_breaks(p, 480, 15)

    # window 3.5-5.5 h: starts 210 ... 300 min (a 30-min lunch ends by 330); nominal mid 255
    assert (lunch.earliest_minutes, lunch.latest_minutes) == (210, 300)
    assert (lunch.offset_minutes, lunch.minutes, lunch.activity) == (255, 30, "lunch")


def test_window_nominal_start_is_on_a_coarse_grid(policy) -> None:
    p = policy(step=30, lengths_hours=[8], breaks=[LUNCH_30])

    assert place_breaks(p, 480, 30)[0].offset_minutes == 240  # 210 + 45 -> 240 on 30 min


def test_window_is_clipped_to_leave_work_before_and_after(policy) -> None:
    p = policy(lengths_hours=[3], breaks=[{"window_hours": [0, 3], "minutes": 30}])
    (b,) = place_breaks(p, 180, 15)

    assert (b.earliest_minutes, b.latest_minutes) == (15, 135)  # ends by 165 = 180 - 15


@pytest.mark.parametrize(("length_hours", "has_lunch"), [(4, False), (5.75, False), (6, True),
                                                         (8, True)])
def test_min_shift_hours_keeps_a_break_out_of_shorter_shifts(policy, length_hours: float,
                                                            has_lunch: bool) -> None:
    p = policy(lengths_hours=[length_hours], breaks=[LUNCH_30])
    breaks = place_breaks(p, round(length_hours * 60), 15)

    assert any(b.activity == "lunch" for b in breaks) == has_lunch


@pytest.mark.parametrize(("length_minutes", "kept"), [(120, False), (135, False), (150, True)])
def test_break_without_a_work_interval_after_it_is_dropped(policy, length_minutes: int,
                                                          kept: bool) -> None:
    p = policy(lengths_hours=[length_minutes / 60], breaks=[BREAK_15])

    assert (place_breaks(p, length_minutes, 15) != ()) == kept


def test_a_dropped_break_only_drops_for_the_lengths_it_does_not_fit(policy) -> None:
    p = policy(lengths_hours=[2, 4], start_every_minutes=60, breaks=[BREAK_15])
    by_length = {t.length_minutes: t.breaks for t in expand_templates(p, 15)}

    assert by_length == {120: (), 240: (Break(120, 120, 15, "break", True, 120),)}


def test_overlapping_windows_are_narrowed_to_keep_the_work_between_breaks(policy) -> None:
    p = policy(lengths_hours=[8], min_work_between_breaks_minutes=60,
               breaks=[{"window_hours": [1.5, 3], "minutes": 15}, LUNCH_30])
    first, lunch = place_breaks(p, 480, 15)

    # unnarrowed: break starts 90-165, lunch 210-300; 165 + 15 + 60 > 210 by 30 minutes,
    # split evenly: the break starts by 150, the lunch from 225
    assert (first.earliest_minutes, first.latest_minutes) == (90, 150)
    assert (lunch.earliest_minutes, lunch.latest_minutes) == (225, 300)
    assert first.latest_minutes + first.minutes + 60 <= lunch.earliest_minutes


def test_fixed_breaks_too_close_together_are_a_config_error(policy) -> None:
    p = policy(lengths_hours=[8], min_work_between_breaks_minutes=60,
               breaks=[BREAK_15, {"after_hours": 2.5, "minutes": 15}])

    with pytest.raises(ConfigError, match="min_work_between_breaks_minutes"):
        place_breaks(p, 480, 15)


def test_breaks_of_the_example_site(policy) -> None:
    p = policy(lengths_hours=[4, 6, 8, 9], breaks=[
        {"window_hours": [1.5, 3], "minutes": 15}, LUNCH_30,
        {"window_hours": [6, 7.5], "minutes": 15, "min_shift_hours": 8}])
    by_length = {t.length_minutes: [(b.earliest_minutes, b.latest_minutes, b.activity)
                                    for b in t.breaks] for t in expand_templates(p, 15)}

    assert by_length == {
        240: [(90, 165, "break")],
        360: [(90, 150, "break"), (225, 300, "lunch")],
        480: [(90, 150, "break"), (225, 285, "lunch"), (375, 435, "break")],
        540: [(90, 150, "break"), (225, 285, "lunch"), (375, 435, "break")],
    }

# --- paid time -----------------------------------------------------------------------------------


def test_paid_minutes_exclude_the_unpaid_lunch_only(policy) -> None:
    p = policy(lengths_hours=[8], breaks=[BREAK_15, LUNCH_30])
    (template,) = {t.length_minutes: t for t in expand_templates(p, 15)}.values()

    assert template.paid_minutes == 480 - 30


def test_paid_lunch_and_unpaid_break_follow_their_paid_flag(policy) -> None:
    p = policy(lengths_hours=[8], breaks=[{**BREAK_15, "paid": False},
                                         {**LUNCH_30, "paid": True}])
    template = expand_templates(p, 15)[0]

    assert [(b.activity, b.paid) for b in template.breaks] == [("break", False), ("lunch", True)]
    assert template.paid_minutes == 480 - 15


def test_shift_without_breaks_is_paid_in_full(policy) -> None:
    assert all(t.paid_minutes == t.length_minutes
               for t in expand_templates(policy(lengths_hours=[4, 6]), 15))


# --- properties ----------------------------------------------------------------------------------

_steps = st.sampled_from([15, 30, 60])


@st.composite
def _policies(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    step = draw(_steps)
    n_units = st.integers(min_value=1, max_value=16 * 60 // step)
    lengths = draw(st.lists(n_units.map(lambda n: n * step / 60), min_size=1, max_size=4))
    every = draw(st.sampled_from([m for m in (15, 30, 60, 90, 120) if m % step == 0]))
    breaks = draw(st.lists(st.one_of(
        st.builds(lambda h, n: {"after_hours": h * step / 60, "minutes": n * step},
                  st.integers(1, 6 * 60 // step), st.integers(1, 2)),
        st.builds(lambda a, w, n, m: {"lunch": True, "window_hours": [a, a + w],
                                      "minutes": min(n * step, w * 60), "min_shift_hours": m},
                  st.sampled_from([2, 3, 4]), st.sampled_from([1, 2]), st.integers(1, 2),
                  st.sampled_from([0, 4, 6])),
    ), max_size=3))
    gap = draw(st.sampled_from([0, step, 60]))
    return step, {"lengths_hours": lengths, "start_every_minutes": every, "breaks": breaks,
                  "min_work_between_breaks_minutes": gap}


# the fixture is only read, never modified, so sharing it across examples is safe
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_policies())
def test_templates_cover_the_grid_and_breaks_fit_inside_the_shift(
    tiny_config_dict: dict[str, Any], case: tuple[int, dict[str, Any]]
) -> None:
    step, shifts = case
    data = {**tiny_config_dict, "shifts": shifts,
            "site": {**tiny_config_dict["site"], "interval_minutes": step}}
    p = config_from_dict(data).shifts
    assert p is not None
    try:
        templates = expand_templates(p, step)
    except ConfigError as exc:  # fixed breaks too close together: said, not built
        message = str(exc)
        templates = ()
    else:
        message = "min_work_between_breaks_minutes"
    assert "min_work_between_breaks_minutes" in message
    if not templates:
        return

    starts_per_day = len(range(0, 1440, p.start_every_minutes))
    assert len(templates) == len(p.lengths_hours) * starts_per_day
    for t in templates:
        assert t.start_minute % p.start_every_minutes == 0
        end_of_previous = -p.min_work_between_breaks_minutes
        for b in t.breaks:
            assert b.earliest_minutes % step == 0
            assert b.latest_minutes % step == 0
            assert b.earliest_minutes <= b.offset_minutes <= b.latest_minutes
            assert b.earliest_minutes >= step  # work before it
            # any start in the window keeps the work between breaks
            assert b.earliest_minutes >= end_of_previous + p.min_work_between_breaks_minutes
            assert b.latest_minutes + b.minutes + step <= t.length_minutes  # work after it
            end_of_previous = b.latest_minutes + b.minutes
        assert t.paid_minutes == t.length_minutes - sum(b.minutes for b in t.breaks
                                                        if not b.paid)
