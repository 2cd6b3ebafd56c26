"""The seeded sample generator: contracts, wishes, time off, determinism and the realism a first
plot relies on."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from wfm import frames as F
from wfm.config import Config, config_from_dict, load_config
from wfm.hours import WEEKDAYS, parse_time
from wfm.io.roster import read_roster, read_time_off
from wfm.sample import (
    ROSTER_COLUMNS,
    TIME_OFF_COLUMNS,
    WISHES,
    Sample,
    generate_sample,
    write_sample,
)
from wfm.schedule import build_problem, diagnose
from wfm.timegrid import Grid

EXAMPLE = Path(__file__).parents[1] / "configs/example.yaml"
# every history column but wait_seconds: the sample's abandons do not come from a queue model,
# so it has no waiting times to go with them
SAMPLE_COLUMNS = tuple(c for c in F.HISTORY_COLUMNS if c != F.WAIT_SECONDS)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE)


@pytest.fixture(scope="module")
def autumn(config: Config) -> Sample:
    """Three weeks around the end of DST (Sunday 2025-10-26)."""
    return generate_sample(config, dt.date(2025, 10, 20), 3, seed=11)


@pytest.fixture(scope="module")
def christmas(config: Config) -> Sample:
    """Three weeks with Christmas (2025-12-25/26, public holidays in Berlin)."""
    return generate_sample(config, dt.date(2025, 12, 15), 3, seed=11)


def _channel(sample: Sample, name: str) -> pd.DataFrame:
    return sample.history[sample.history[F.CHANNEL] == name]


def _daily(sample: Sample, name: str) -> pd.Series:
    h = _channel(sample, name)
    return h.groupby(h[F.INTERVAL_START].dt.date)[F.OFFERED].sum()


def test_same_seed_gives_identical_sample(config: Config) -> None:
    a = generate_sample(config, dt.date(2025, 3, 3), 2, seed=3)
    b = generate_sample(config, dt.date(2025, 3, 3), 2, seed=3)
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.roster, b.roster)
    pd.testing.assert_frame_equal(a.time_off, b.time_off)


def test_other_seed_gives_other_sample(config: Config) -> None:
    a = generate_sample(config, dt.date(2025, 3, 3), 2, seed=3)
    b = generate_sample(config, dt.date(2025, 3, 3), 2, seed=4)
    assert not a.history[F.OFFERED].equals(b.history[F.OFFERED])
    assert not a.roster["name"].equals(b.roster["name"])


def test_written_files_are_byte_identical_and_read_back(config: Config, tmp_path: Path) -> None:
    sample = generate_sample(config, dt.date(2025, 3, 3), 1, seed=3)
    first = [p.read_bytes() for p in write_sample(sample, tmp_path / "a")]
    paths = write_sample(sample, tmp_path / "b")
    assert [p.read_bytes() for p in paths] == first
    assert [p.name for p in paths] == ["history.csv.gz", "roster.csv", "time_off.csv"]
    history = pd.read_csv(paths[0])
    assert tuple(history.columns) == SAMPLE_COLUMNS
    assert history[F.INTERVAL_START].iloc[0] == "2025-03-03T00:00:00+01:00"
    np.testing.assert_array_equal(history[F.OFFERED], sample.history[F.OFFERED])
    np.testing.assert_allclose(history[F.AHT_SECONDS], sample.history[F.AHT_SECONDS], atol=0.05)


def test_history_columns_and_dtypes_follow_the_contract(autumn: Sample, config: Config) -> None:
    h = autumn.history
    assert tuple(h.columns) == SAMPLE_COLUMNS
    assert isinstance(h[F.INTERVAL_START].dtype, pd.DatetimeTZDtype)
    assert str(h[F.INTERVAL_START].dt.tz) == config.site.timezone
    assert pd.api.types.is_string_dtype(h[F.CHANNEL])
    assert set(h[F.CHANNEL]) == set(config.channels)
    for col in (F.OFFERED, F.HANDLED, F.ABANDONED):
        assert h[col].dtype == np.int64
    assert h[F.AHT_SECONDS].dtype == np.float64
    assert not h.duplicated([F.INTERVAL_START, F.CHANNEL]).any()


def test_counts_are_never_negative(autumn: Sample) -> None:
    assert (autumn.history[[F.OFFERED, F.HANDLED, F.ABANDONED]] >= 0).all().all()


def test_handled_plus_abandoned_is_offered(autumn: Sample) -> None:
    h = autumn.history
    assert (h[F.HANDLED] + h[F.ABANDONED] == h[F.OFFERED]).all()
    assert (_channel(autumn, "email")[F.ABANDONED] == 0).all()
    assert _channel(autumn, "voice")[F.ABANDONED].sum() > 0


def test_aht_is_missing_exactly_when_nothing_was_handled(autumn: Sample) -> None:
    h = autumn.history
    assert (h[F.AHT_SECONDS].isna() == (h[F.HANDLED] == 0)).all()
    assert (h[F.AHT_SECONDS].dropna() > 0).all()


@pytest.mark.parametrize("name", ["voice", "chat"])
def test_live_channels_are_silent_outside_opening_hours(
    autumn: Sample, config: Config, name: str
) -> None:
    h = _channel(autumn, name)
    grid = Grid.from_config(config)
    is_open = grid.open_mask(config.channels[name].hours, pd.DatetimeIndex(h[F.INTERVAL_START]))
    assert (h[F.OFFERED].to_numpy()[~is_open] == 0).all()
    assert h[F.OFFERED].to_numpy()[is_open].sum() > 0


def test_email_arrives_at_night_and_at_weekends(autumn: Sample) -> None:
    h = _channel(autumn, "email")
    ts = h[F.INTERVAL_START]
    assert h.loc[ts.dt.hour < 6, F.OFFERED].sum() > 0
    assert h.loc[ts.dt.day_of_week >= 5, F.OFFERED].sum() > 0


def test_monday_voice_is_busier_than_saturday(autumn: Sample) -> None:
    daily = _daily(autumn, "voice")
    weekday = pd.to_datetime(pd.Series(daily.index)).dt.day_of_week.to_numpy()
    assert daily[weekday == 0].mean() > daily[weekday == 5].mean()
    assert daily[weekday == 0].mean() > daily[weekday == 4].mean()


def test_daily_volumes_have_the_documented_scale(autumn: Sample) -> None:
    days = pd.to_datetime(pd.Series(_daily(autumn, "voice").index)).dt.day_of_week.to_numpy()
    weekdays = days < 5
    assert 1300 < _daily(autumn, "voice")[weekdays].mean() < 2000
    assert 400 < _daily(autumn, "chat").mean() < 650
    assert 300 < _daily(autumn, "email")[weekdays].mean() < 520
    assert 60 < _daily(autumn, "email")[~weekdays].mean() < 200


def test_voice_is_closed_and_chat_reduced_on_christmas(christmas: Sample) -> None:
    voice, chat = _daily(christmas, "voice"), _daily(christmas, "chat")
    for day in (dt.date(2025, 12, 25), dt.date(2025, 12, 26)):
        assert voice[day] == 0
        assert 0 < chat[day] < 0.7 * chat[day - dt.timedelta(days=7)]


@pytest.mark.parametrize(
    ("start", "dst_day", "expected"),
    [(dt.date(2025, 10, 20), dt.date(2025, 10, 26), 100), (dt.date(2026, 3, 23),
                                                           dt.date(2026, 3, 29), 92)],
)
def test_intervals_are_on_the_grid_and_dst_days_have_their_length(
    config: Config, start: dt.date, dst_day: dt.date, expected: int
) -> None:
    h = generate_sample(config, start, 1, seed=1).history
    grid = Grid.from_config(config)
    ts = pd.DatetimeIndex(h[F.INTERVAL_START].unique())
    assert ts.equals(grid.intervals(start, 7))
    assert ((ts.minute % config.site.interval_minutes == 0) & (ts.second == 0)).all()
    per_day = pd.Series(ts.date).value_counts()
    assert per_day[dst_day] == expected
    assert (per_day.drop(dst_day) == 96).all()
    assert len(h) == len(ts) * len(config.channels)


def test_roster_skills_resolve_and_contracts_are_valid(autumn: Sample, config: Config) -> None:
    r = autumn.roster
    assert tuple(r.columns) == ROSTER_COLUMNS
    assert len(r) == 60
    assert r[F.AGENT_ID].is_unique
    assert r["name"].is_unique
    for skills in r["skills"]:
        assert config.expand_skills(skills.split("|"))
    hours = [(config.contracts[c].min_week_hours, config.contracts[c].max_week_hours)
             for c in r["contract"]]
    assert set(hours) == {(36, 40), (25, 30), (16, 20)}
    assert (r["skills"] == "voice").sum() == 24
    assert (r["contract"] == "full_time").sum() == 36


def test_a_named_contract_leaves_the_hours_blank(autumn: Sample, config: Config) -> None:
    r = autumn.roster
    assert set(r["contract"]) <= set(config.contracts)
    assert r["min_week_hours"].isna().all()
    assert r["max_week_hours"].isna().all()


def test_without_a_matching_contract_the_row_holds_the_hours(config: Config) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del data["contracts"]["part_time_20"]
    r = generate_sample(config_from_dict(_no_files(data)), dt.date(2025, 3, 3), 1, seed=3).roster
    named = r["contract"] != ""
    assert set(r.loc[~named, "min_week_hours"]) == {16}
    assert set(r.loc[~named, "max_week_hours"]) == {20}
    assert r.loc[named, ["min_week_hours", "max_week_hours"]].isna().all().all()
    assert set(r.loc[named, "contract"]) == {"full_time", "part_time_30"}


def test_wishes_leave_names_skills_and_contracts_as_they_were(config: Config) -> None:
    """The wishes come from a generator of their own: other opening hours (so other wishes)
    give the same agents."""
    data = _no_files(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    data["channels"]["voice"]["hours"] = {"mon-fri": "07:00-21:00"}
    a = generate_sample(config, dt.date(2025, 3, 3), 1, seed=3).roster
    b = generate_sample(config_from_dict(data), dt.date(2025, 3, 3), 1, seed=3).roster
    cols = [F.AGENT_ID, "name", "skills", "contract"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_wishes_go_to_a_minority_in_the_stated_shares(autumn: Sample) -> None:
    r = autumn.roster
    for column in ("preferred_start", "preferred_days_off"):
        assert (r[column] != "").mean() == pytest.approx(WISHES[column], abs=0.02)
    assert 1 <= (r["availability"] != "").sum() <= 0.1 * len(r)
    assert 1 <= (r["days_off"] != "").sum() <= 2
    wish = (r["preferred_start"] != "") | (r["preferred_days_off"] != "")
    weight = r["preference_weight"]
    assert set(weight.dropna()) == {2}
    assert 1 <= weight.notna().sum() <= 0.3 * wish.sum()
    assert not (weight.notna() & ~wish).any()


def test_wishes_and_limits_are_well_formed(autumn: Sample, config: Config) -> None:
    r = autumn.roster
    assert config.shifts is not None
    for skills, start in zip(r["skills"], r["preferred_start"], strict=True):
        if not start:
            continue
        minute = parse_time(start, allow_24=False)
        assert minute % config.shifts.start_every_minutes == 0
        hours = [config.channels[c].hours for c in config.expand_skills(skills.split("|"))]
        assert any(a <= minute < b for h in hours for a, b in h.ranges_for(0, False))
    for pair in r.loc[r["preferred_days_off"] != "", "preferred_days_off"]:
        i, j = (WEEKDAYS.index(d) for d in pair.split("|"))
        assert j == (i + 1) % 7
    assert set(r.loc[r["days_off"] != "", "contract"]) <= {"part_time_30", "part_time_20"}
    assert r.loc[r["days_off"] != "", "days_off"].isin(WEEKDAYS[:5]).all()
    assert r.loc[r["availability"] != "", "availability"].str.match(
        r"^mon-fri \d\d:\d\d-\d\d:\d\d$").all()


def _monday_after(start: dt.date, weeks: int) -> dt.date:
    last = start + dt.timedelta(days=7 * weeks - 1)
    return next(last + dt.timedelta(days=k) for k in range(1, 8)
                if (last + dt.timedelta(days=k)).weekday() == 0)


def test_time_off_falls_in_the_week_after_the_history(autumn: Sample) -> None:
    t = autumn.time_off
    assert tuple(t.columns) == TIME_OFF_COLUMNS
    monday = _monday_after(dt.date(2025, 10, 20), 3)
    assert monday == dt.date(2025, 11, 10)
    dates = pd.to_datetime(t[F.DATE]).dt.date
    assert (dates >= monday).all()
    assert (dates < monday + dt.timedelta(days=7)).all()
    assert set(t[F.AGENT_ID]) <= set(autumn.roster[F.AGENT_ID])


def test_time_off_week_starts_on_the_monday_after_a_partial_week(config: Config) -> None:
    t = generate_sample(config, dt.date(2025, 3, 5), 1, seed=2).time_off  # Wed to Tue
    assert pd.to_datetime(t[F.DATE]).dt.date.min() >= dt.date(2025, 3, 17)


def test_time_off_has_a_vacation_a_personal_day_and_an_appointment(autumn: Sample) -> None:
    t = autumn.time_off
    by_reason = dict(list(t.groupby("reason")))
    assert set(by_reason) == {"vacation", "personal", "appointment"}
    assert t.groupby("reason")[F.AGENT_ID].nunique().eq(1).all()
    assert t.drop_duplicates("reason")[F.AGENT_ID].is_unique
    vacation = by_reason["vacation"]
    assert len(vacation) == 3  # Monday to Wednesday
    assert (pd.to_datetime(vacation[F.DATE]).dt.day_of_week == [0, 1, 2]).all()
    assert (vacation["paid_hours"] > 0).all()
    assert (vacation[["start", "end"]] == "").all().all()
    personal = by_reason["personal"].iloc[0]
    assert (personal["start"], personal["end"], personal["paid_hours"]) == ("", "", 0)
    appointment = by_reason["appointment"].iloc[0]
    start, end = (parse_time(appointment[c], allow_24=False) for c in ("start", "end"))
    assert end - start == 120
    assert start >= 12 * 60
    assert appointment["paid_hours"] == 0


def test_a_vacation_goes_to_a_full_timer_when_the_rules_allow_it(config: Config) -> None:
    """Under the example's full_time rules (at least 4 days, 36-40 h, 8/9-h shifts) no full-timer
    can take three paid days; without rule sets one can, at 8 h a day."""
    data = _no_files(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    for contract in data["contracts"].values():
        contract.pop("rule_set")
    del data["rule_sets"]
    sample = generate_sample(config_from_dict(data), dt.date(2025, 3, 3), 1, seed=3)
    vacation = sample.time_off[sample.time_off["reason"] == "vacation"]
    agent = vacation[F.AGENT_ID].iloc[0]
    assert sample.roster.set_index(F.AGENT_ID).loc[agent, "contract"] == "full_time"
    assert vacation["paid_hours"].tolist() == [8, 8, 8]


def test_written_roster_and_time_off_read_back(autumn: Sample, config: Config,
                                               tmp_path: Path) -> None:
    _, roster_path, time_off_path = write_sample(autumn, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agents = read_time_off(time_off_path, read_roster(roster_path, config))
    by_id = {a.agent_id: a for a in agents}
    assert sum(len(a.time_off) for a in agents) == len(autumn.time_off)
    for row in autumn.roster.itertuples():
        agent = by_id[row.agent_id]
        assert agent.contract == row.contract
        assert (agent.availability is not None) == bool(row.availability)
        assert (agent.preferred_start is not None) == bool(row.preferred_start)
        assert len(agent.days_off) == (1 if row.days_off else 0)


def test_every_agent_can_meet_its_contract_in_the_time_off_week(
    autumn: Sample, config: Config, tmp_path: Path
) -> None:
    """The solver's own diagnosis finds no agent whose limits and time off conflict."""
    _, roster_path, time_off_path = write_sample(autumn, tmp_path)
    agents = read_time_off(time_off_path, read_roster(roster_path, config))
    grid = Grid.from_config(config)
    index = grid.intervals(dt.date(2025, 11, 10), 7)
    requirements = pd.DataFrame({
        F.INTERVAL_START: np.repeat(index, len(config.channels)),
        F.CHANNEL: np.tile(list(config.channels), len(index)),
        F.AGENTS_REQUIRED: 0.0,
    })
    assert diagnose(build_problem(requirements, agents, config, grid)) == []


def _no_files(data: dict[str, object]) -> dict[str, object]:
    """A config mapping without its data-file paths (relative to configs/)."""
    return {k: v for k, v in data.items() if k not in ("history", "roster", "time_off")}


def test_any_config_works_by_channel_kind() -> None:
    config = config_from_dict({
        "site": {"timezone": "America/New_York", "interval_minutes": 30},
        "channels": {
            "sales": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 30},
                      "hours": {"mon-sat": "07:00-19:00"}},
            "support": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 30},
                        "hours": {"mon-fri": "09:00-17:00"}},
        },
    })
    sample = generate_sample(config, dt.date(2025, 6, 2), 1, seed=5)
    assert len(sample.history) == 7 * 48 * 2
    assert set(sample.roster["skills"]) == {"sales|support"}
    assert (sample.roster["contract"] == "").all()
    assert sample.roster["min_week_hours"].notna().all()
    assert set(sample.time_off["reason"]) == {"vacation", "personal", "appointment"}
    sunday = sample.history[F.INTERVAL_START].dt.day_of_week == 6
    assert sample.history.loc[sunday, F.OFFERED].sum() == 0


def test_weeks_must_be_positive(config: Config) -> None:
    with pytest.raises(ValueError, match="weeks must be at least 1, got 0"):
        generate_sample(config, dt.date(2025, 3, 3), 0, seed=1)
