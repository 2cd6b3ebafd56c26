"""The seeded sample generator: contracts, determinism and the realism a first plot relies on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wfm import frames as F
from wfm.config import Config, config_from_dict, load_config
from wfm.sample import ROSTER_COLUMNS, Sample, generate_sample, write_sample
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
    assert [p.name for p in paths] == ["history.csv.gz", "roster.csv"]
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
    assert (r["min_week_hours"] <= r["max_week_hours"]).all()
    assert set(zip(r["min_week_hours"], r["max_week_hours"], strict=True)) <= {
        (36, 40), (25, 30), (16, 20)
    }
    assert (r["skills"] == "voice").sum() == 24


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
    sunday = sample.history[F.INTERVAL_START].dt.day_of_week == 6
    assert sample.history.loc[sunday, F.OFFERED].sum() == 0


def test_weeks_must_be_positive(config: Config) -> None:
    with pytest.raises(ValueError, match="weeks must be at least 1, got 0"):
        generate_sample(config, dt.date(2025, 3, 3), 0, seed=1)
