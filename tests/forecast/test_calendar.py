"""Special days: day kinds, learnt special-day factors, and history outlier detection."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from wfm.config import Event
from wfm.forecast.calendar import (
    AFTER_HOLIDAY,
    BEFORE_HOLIDAY,
    HOLIDAY,
    MONTH_END,
    MONTH_KINDS,
    MONTH_START,
    NORMAL,
    OUTLIER_COLUMNS,
    day_kinds,
    detect_outliers,
    event_kind,
    significant_kinds,
    special_day_factors,
)
from wfm.timegrid import Grid

DE = Grid("Europe/Berlin", holiday_country="DE")
START = dt.date(2024, 1, 1)
"""A Monday."""
WEEK = np.array([1200.0, 1100.0, 1050.0, 1000.0, 900.0, 300.0, 0.0])
"""A weekly pattern, Monday first; closed on Sundays."""


def dates(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def daily(values: np.ndarray, start: dt.date = START) -> pd.Series:
    return pd.Series(values, index=pd.Index(dates(start, len(values))))


def ordinary(series: pd.Series) -> pd.Series:
    return pd.Series(NORMAL, index=series.index)


def noisy_weeks(seed: int, weeks: int = 104, week: np.ndarray = WEEK, sd: float = 0.05
                ) -> pd.Series:
    """Poisson counts around a weekly pattern with ``sd`` day-level log-normal noise."""
    rng = np.random.default_rng(seed)
    mean = np.tile(week, weeks) * rng.lognormal(0.0, sd, 7 * weeks)
    return daily(rng.poisson(mean).astype(float))


# --- day_kinds -----------------------------------------------------------------------------------


def test_german_christmas_is_holiday_with_the_day_before_and_after_marked() -> None:
    kinds = day_kinds(DE, dates(dt.date(2025, 12, 22), 7))

    assert kinds.to_dict() == {
        dt.date(2025, 12, 22): NORMAL,
        dt.date(2025, 12, 23): NORMAL,
        dt.date(2025, 12, 24): BEFORE_HOLIDAY,
        dt.date(2025, 12, 25): HOLIDAY,
        dt.date(2025, 12, 26): HOLIDAY,
        dt.date(2025, 12, 27): AFTER_HOLIDAY,
        dt.date(2025, 12, 28): NORMAL,
    }


def test_a_day_between_two_holidays_is_after_holiday() -> None:
    # Norway 2025: Good Friday 18 April, Easter Sunday 20 April; the Saturday is both.
    kinds = day_kinds(Grid("Europe/Oslo", holiday_country="NO"), [dt.date(2025, 4, 19)])

    assert kinds.iloc[0] == AFTER_HOLIDAY


def test_day_kinds_accepts_a_datetime_index() -> None:
    kinds = day_kinds(DE, pd.date_range("2025-12-24", periods=2, freq="D"))

    assert list(kinds.index) == [dt.date(2025, 12, 24), dt.date(2025, 12, 25)]
    assert list(kinds) == [BEFORE_HOLIDAY, HOLIDAY]


def test_an_event_overrides_the_holiday_kinds() -> None:
    party = Event(name="xmas_campaign", dates=("2025-12-24", "2025-12-25"))

    kinds = day_kinds(DE, dates(dt.date(2025, 12, 24), 3), [party], channel="voice")

    assert list(kinds) == [event_kind("xmas_campaign")] * 2 + [HOLIDAY]


def test_the_first_listed_event_wins_where_two_overlap() -> None:
    first = Event(name="first", dates=("2025-03-03..2025-03-04",))
    second = Event(name="second", dates=("2025-03-04..2025-03-05",))

    kinds = day_kinds(DE, dates(dt.date(2025, 3, 3), 3), [first, second])

    assert list(kinds) == [event_kind("first"), event_kind("first"), event_kind("second")]


def test_an_event_for_chat_does_not_mark_voice_days() -> None:
    promo = Event(name="promo", dates=("2025-03-04",), channels=("chat",))
    day = [dt.date(2025, 3, 4)]

    assert day_kinds(DE, day, [promo], channel="voice").iloc[0] == NORMAL
    assert day_kinds(DE, day, [promo], channel="chat").iloc[0] == event_kind("promo")


def test_an_event_range_marks_every_day_of_it_and_no_other() -> None:
    black_week = Event(name="black_week", dates=("2025-11-24..2025-11-28",))

    kinds = day_kinds(DE, dates(dt.date(2025, 11, 23), 7), [black_week])

    assert list(kinds) == [NORMAL] + [event_kind("black_week")] * 5 + [NORMAL]


# --- special_day_factors -------------------------------------------------------------------------


def test_a_planted_holiday_effect_is_recovered_as_the_median_ratio() -> None:
    expected = daily(np.full(60, 1000.0))
    actual = expected * np.random.default_rng(0).lognormal(0.0, 0.05, 60)
    kinds = ordinary(actual)
    for day, ratio in [(5, 0.25), (20, 0.3), (40, 0.4)]:
        kinds.iloc[day] = HOLIDAY
        actual.iloc[day] = ratio * expected.iloc[day]
    kinds.iloc[41] = AFTER_HOLIDAY
    actual.iloc[41] = 1.2 * expected.iloc[41]

    factors = special_day_factors(actual, expected, kinds)

    assert_allclose(factors[HOLIDAY], 0.3, rtol=1e-12)
    assert_allclose(factors[AFTER_HOLIDAY], 1.2, rtol=1e-12)
    assert factors[BEFORE_HOLIDAY] == 1.0


def test_an_event_with_a_numeric_multiplier_uses_it_as_given() -> None:
    launch = Event(name="launch", dates=("2024-01-10",), multiplier=1.7)
    expected = daily(np.full(20, 500.0))
    actual = expected.copy()
    actual.iloc[9] = 3 * 500.0  # the past occurrence says 3.0: ignored
    kinds = day_kinds(DE, actual.index, [launch])

    assert special_day_factors(actual, expected, kinds, [launch])[event_kind("launch")] == 1.7


def test_a_learnt_event_without_past_days_gets_one() -> None:
    future = Event(name="future_sale", dates=("2030-01-01",))
    expected = daily(np.full(20, 500.0))
    actual = 2 * expected
    kinds = day_kinds(DE, actual.index, [future])

    assert special_day_factors(actual, expected, kinds, [future])[event_kind("future_sale")] == 1.0


def test_a_learnt_event_range_gives_one_ratio_per_day() -> None:
    sale = Event(name="sale", dates=("2024-01-08..2024-01-12", "2024-02-05"))
    expected = daily(np.full(60, 100.0))
    actual = expected.copy()
    actual.iloc[7:12] = [150.0, 160.0, 170.0, 180.0, 190.0]
    actual.iloc[35] = 110.0  # the second occurrence: median per occurrence would be 1.4
    kinds = day_kinds(DE, actual.index, [sale])

    assert_allclose(special_day_factors(actual, expected, kinds, [sale])[event_kind("sale")],
                    1.65, rtol=1e-12)


def test_days_without_data_or_with_tiny_expected_volume_are_not_learnt_from() -> None:
    expected = daily(np.array([100.0, 100.0, 0.5, 100.0]))
    actual = daily(np.array([50.0, np.nan, 40.0, 100.0]))
    kinds = pd.Series([HOLIDAY, HOLIDAY, HOLIDAY, NORMAL], index=actual.index)

    assert special_day_factors(actual, expected, kinds)[HOLIDAY] == 0.5


# --- detect_outliers -----------------------------------------------------------------------------

DATA_LOSS, OUTAGE, FLOOD = dt.date(2024, 5, 14), dt.date(2025, 2, 19), dt.date(2025, 2, 20)
"""A Tuesday at 0.3×, a Wednesday with no calls, and the Thursday after it at 2.5×."""


def planted(seed: int = 7) -> pd.Series:
    y = noisy_weeks(seed)
    y[DATA_LOSS] = round(0.3 * y[DATA_LOSS])
    y[OUTAGE] = 0.0
    y[FLOOD] = round(2.5 * y[FLOOD])
    return y


def test_the_three_planted_outliers_and_only_they_are_found() -> None:
    y = planted()

    found = detect_outliers(y, ordinary(y))

    assert list(found.columns) == list(OUTLIER_COLUMNS)
    assert list(found["date"]) == [DATA_LOSS, OUTAGE, FLOOD]
    assert_allclose(found["actual"].to_numpy(), y[[DATA_LOSS, OUTAGE, FLOOD]].to_numpy(), rtol=0)
    assert_allclose(found["ratio"], found["actual"] / found["expected"], rtol=1e-12)
    assert found["ratio"].iloc[0] < 0.5
    assert found["ratio"].iloc[1] == 0.0
    assert found["ratio"].iloc[2] > 2.0


def test_holidays_far_below_the_pattern_are_not_outliers() -> None:
    y = noisy_weeks(11)
    kinds = ordinary(y)
    for i in range(3, 700, 71):
        y.iloc[i] = round(0.2 * y.iloc[i])
        kinds.iloc[i] = HOLIDAY

    assert detect_outliers(y, kinds).empty


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_clean_noisy_series_has_no_outliers(seed: int) -> None:
    y = noisy_weeks(seed)

    assert detect_outliers(y, ordinary(y)).empty


def test_stray_calls_on_a_closed_sunday_are_not_outliers() -> None:
    y = noisy_weeks(4)
    sunday = dt.date(2024, 6, 9)
    y[sunday] = 40.0

    assert detect_outliers(y, ordinary(y)).empty


def test_the_small_days_of_a_channel_are_not_flagged_for_counting_noise() -> None:
    # Pure Poisson counts: the log-scale spread is set by the 1,000-call weekdays, so a 20-call
    # Saturday often moves by more than 25 % without being unusual for 20 calls.
    y = noisy_weeks(5, week=np.array([1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 20.0, 0.0]), sd=0.0)

    assert detect_outliers(y, ordinary(y)).empty


def test_an_outage_on_a_small_day_is_still_found() -> None:
    y = noisy_weeks(5, week=np.array([1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 60.0, 0.0]), sd=0.0)
    saturday = dt.date(2024, 8, 10)
    y[saturday] = 0.0

    assert list(detect_outliers(y, ordinary(y))["date"]) == [saturday]


def test_missing_dates_and_nan_days_are_skipped_not_flagged() -> None:
    y = planted().drop([dt.date(2024, 3, 5), dt.date(2024, 3, 12)])
    y[dt.date(2024, 3, 19)] = np.nan

    assert list(detect_outliers(y, ordinary(y))["date"]) == [DATA_LOSS, OUTAGE, FLOOD]


def test_no_values_give_an_empty_frame_with_the_columns() -> None:
    y = daily(np.full(10, np.nan))

    found = detect_outliers(y, ordinary(y))

    assert found.empty
    assert list(found.columns) == list(OUTLIER_COLUMNS)


def test_a_dip_in_a_perfectly_steady_series_is_found() -> None:
    # No spread at all: the day-level noise is 0 and counting noise alone sets the scale.
    y = daily(np.tile(WEEK, 12))
    dip = dt.date(2024, 2, 7)
    y[dip] = 0.7 * y[dip]

    assert list(detect_outliers(y, ordinary(y))["date"]) == [dip]


def test_a_change_below_min_change_is_not_an_outlier() -> None:
    # 10 % on a 100,000-call day is far beyond counting noise, but too small to be a data fault.
    y = daily(np.tile(WEEK * 100, 12))
    dip = dt.date(2024, 2, 7)
    y[dip] = 0.9 * y[dip]

    assert detect_outliers(y, ordinary(y)).empty
    assert list(detect_outliers(y, ordinary(y), min_change=0.05)["date"]) == [dip]


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.integers(0, 3000), min_size=28, max_size=150),
    special=st.lists(st.booleans(), min_size=150, max_size=150),
    other=st.lists(st.integers(0, 30000), min_size=150, max_size=150),
)
def test_the_values_of_special_days_never_change_the_outliers(
    values: list[int], special: list[bool], other: list[int]
) -> None:
    y = daily(np.array(values, dtype=float))
    kinds = pd.Series(np.where(special[: len(y)], HOLIDAY, NORMAL), index=y.index)
    changed = y.where(kinds == NORMAL, np.array(other[: len(y)], dtype=float))

    first = detect_outliers(y, kinds)

    pd.testing.assert_frame_equal(first, detect_outliers(changed, kinds))
    assert set(first["date"]).isdisjoint(kinds.index[kinds != NORMAL])


def test_a_change_that_recurs_a_week_later_is_not_an_outlier() -> None:
    # The last three Wednesdays run at 3x: a new weekly pattern the models must follow, not a
    # fault. A one-off outage on a Tuesday in between is still found.
    y = planted()
    last = max(y.index)
    wednesdays = [d for d in y.index if d.weekday() == 2 and (last - d).days < 21]
    for d in wednesdays:
        y[d] = 3 * y[d]
    outage = next(d for d in y.index if d.weekday() == 1 and (last - d).days < 14)
    y[outage] = 0.0

    found = set(detect_outliers(y, day_kinds(DE, y.index))["date"])

    assert len(wednesdays) == 3
    assert not found & set(wednesdays)
    assert outage in found


# --- month edges ---------------------------------------------------------------------------------


def test_month_edges_are_the_first_three_and_the_last_business_days() -> None:
    days = dates(dt.date(2024, 3, 1), 61)  # March and April 2024, Easter on 29 March-1 April

    kinds = day_kinds(DE, days, month_kinds=MONTH_KINDS)

    # March: Friday the 1st, Monday the 4th and Tuesday the 5th start it; Good Friday (the 29th)
    # is a holiday, so Thursday the 28th is the last business day, and that is also the day
    # before the holiday, which wins
    starts = [dt.date(2024, 3, 1), dt.date(2024, 3, 4), dt.date(2024, 3, 5)]
    assert kinds[dt.date(2024, 3, 28)] == BEFORE_HOLIDAY
    # April: Easter Monday the 1st is a holiday, so Tuesday the 2nd (also the day after it),
    # Wednesday the 3rd and Thursday the 4th start it; Tuesday the 30th ends it, before 1 May
    starts += [dt.date(2024, 4, 3), dt.date(2024, 4, 4)]
    assert kinds[dt.date(2024, 4, 2)] == AFTER_HOLIDAY
    assert kinds[dt.date(2024, 4, 30)] == BEFORE_HOLIDAY
    assert list(kinds[kinds == MONTH_START].index) == starts
    assert (kinds == MONTH_END).sum() == 0
    assert (day_kinds(DE, days) == NORMAL).sum() == (kinds == NORMAL).sum() + len(starts)


def test_a_month_starting_on_a_weekend_starts_on_monday() -> None:
    days = dates(dt.date(2024, 6, 1), 30)  # June 2024: Saturday the 1st, Sunday the 30th

    kinds = day_kinds(DE, days, month_kinds=MONTH_KINDS)

    assert list(kinds[kinds == MONTH_START].index) == [dt.date(2024, 6, d) for d in (3, 4, 5)]
    assert list(kinds[kinds == MONTH_END].index) == [dt.date(2024, 6, 28)]
    assert list(day_kinds(DE, days, month_kinds=(MONTH_END,)).value_counts().index) == [
        NORMAL, MONTH_END]


def _month_history(effect: float, seed: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Eight months of days with 5 % day noise; month-start days ``effect`` times higher."""
    days = dates(dt.date(2023, 9, 4), 8 * 30)
    kinds = day_kinds(DE, days, month_kinds=MONTH_KINDS)
    expected = np.tile(WEEK, len(days) // 7 + 1)[:len(days)]
    rng = np.random.default_rng(seed)
    actual = expected * rng.lognormal(0.0, 0.05, len(days))
    actual[(kinds == MONTH_START).to_numpy()] *= effect
    return daily(actual, days[0]), daily(expected, days[0]), kinds


def test_a_planted_month_start_effect_is_significant_and_only_it() -> None:
    actual, expected, kinds = _month_history(1.12, seed=0)

    assert significant_kinds(actual, expected, kinds, MONTH_KINDS) == (MONTH_START,)
    factor = special_day_factors(actual, expected, kinds)[MONTH_START]
    assert factor == pytest.approx(1.12, rel=0.05)


def test_month_edges_without_an_effect_are_rarely_significant() -> None:
    found = [significant_kinds(*_month_history(1.0, seed), MONTH_KINDS) for seed in range(200)]

    # measured: 3.0 % of 1,000 such channels mark a kind, none both
    assert sum(len(f) > 0 for f in found) / len(found) < 0.12
    assert all(len(f) < 2 for f in found)


def test_a_six_percent_month_start_is_found_in_most_channels() -> None:
    found = [significant_kinds(*_month_history(1.06, seed), MONTH_KINDS) for seed in range(100)]

    # measured over these seeds (eight months, 5 % day noise): 6 % found in 98 % of channels,
    # 4 % in 71 %, 8 % and more in all
    assert sum(MONTH_START in f for f in found) / len(found) > 0.9


def test_fewer_than_four_past_days_are_not_judged() -> None:
    actual, expected, kinds = _month_history(1.3, seed=1)
    short = kinds.index < dt.date(2023, 10, 3)  # 4-5 September and 2 October: three days

    assert significant_kinds(actual[short], expected[short], kinds[short], MONTH_KINDS) == ()
