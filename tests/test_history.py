"""history.csv: what is read, what is repaired with a warning, and what is an error naming the
file, row (header = row 1) and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wfm import frames as F
from wfm.config import Config, config_from_dict
from wfm.errors import DataError, WfmWarning
from wfm.io.history import read_history

DATA = Path(__file__).parent / "data"
TZ = "Europe/Berlin"
HEADER = "interval_start,channel,offered,handled,abandoned,aht_seconds"
SHORT_HEADER = "interval_start,channel,offered"


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert(TZ)


def _offered(history: pd.DataFrame, channel: str = "voice") -> pd.Series:
    sub = history[history[F.CHANNEL] == channel]
    return pd.Series(sub[F.OFFERED].to_numpy(), index=sub[F.INTERVAL_START].tolist())


@pytest.fixture
def two_channel_config(tiny_config_dict: dict[str, Any]) -> Config:
    """tiny_config plus a chat channel open 09:00-10:00 every day."""
    tiny_config_dict["channels"]["chat"] = {
        "kind": "chat",
        "concurrency": 2,
        "target": {"service_level": 0.8, "answer_seconds": 60},
        "hours": {"mon-sun": "09:00-10:00"},
    }
    return config_from_dict(tiny_config_dict)


# --- good files ----------------------------------------------------------------------------------

def test_good_file_is_read_with_all_values(tiny_config: Config) -> None:
    history, report = read_history(DATA / "good" / "history_small.csv", tiny_config)
    assert list(history.columns) == list(F.HISTORY_COLUMNS)
    assert history[F.INTERVAL_START].tolist() == [
        _ts(f"2026-06-01T{t}+02:00") for t in ("08:00", "08:30", "09:00", "09:30")
    ]
    assert (history[F.CHANNEL] == "voice").all()
    np.testing.assert_allclose(history[F.OFFERED], [10, 12, 0, 7], rtol=0)
    np.testing.assert_allclose(history[F.HANDLED], [9, 12, 0, 6], rtol=0)
    np.testing.assert_allclose(history[F.ABANDONED], [1, 0, 0, 1], rtol=0)
    np.testing.assert_allclose(history[F.AHT_SECONDS], [200, 210.5, np.nan, 190], rtol=1e-12)
    assert report.rows == 4
    assert report.channels == ("voice",)
    assert report.gap_count == 0
    assert report.first_interval == _ts("2026-06-01T08:00:00+02:00")
    assert report.last_interval == _ts("2026-06-01T09:30:00+02:00")


def test_time_stamps_come_back_in_the_site_time_zone(tiny_config: Config) -> None:
    history, _ = read_history(DATA / "good" / "history_small.csv", tiny_config)
    assert str(history[F.INTERVAL_START].dt.tz) == TZ


def test_optional_columns_may_be_absent(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=["2026-06-01T08:00:00+02:00,voice,5"])
    history, _ = read_history(path, tiny_config)
    assert history[F.OFFERED].tolist() == [5.0]
    assert history[[F.HANDLED, F.ABANDONED, F.AHT_SECONDS]].isna().all().all()


def test_gzip_file_is_read_like_plain_csv(tiny_config: Config, write_csv: Any) -> None:
    text = (DATA / "good" / "history_small.csv").read_text(encoding="utf-8")
    plain, _ = read_history(write_csv("h.csv", text), tiny_config)
    packed, _ = read_history(write_csv("h.csv.gz", text), tiny_config)
    pd.testing.assert_frame_equal(plain, packed)


def test_utc_z_suffix_is_an_offset(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=["2026-06-01T06:00:00Z,voice,5"])
    history, _ = read_history(path, tiny_config)
    assert history[F.INTERVAL_START].tolist() == [_ts("2026-06-01T08:00:00+02:00")]


@pytest.mark.parametrize(
    ("naive", "aware"),
    [
        ("2026-06-01T08:00:00", "2026-06-01T08:00:00+02:00"),  # summer time
        ("2026-12-07 08:00", "2026-12-07T08:00:00+01:00"),  # winter time, space separator
    ],
)
def test_time_stamp_without_offset_is_site_local_time(
    tiny_config: Config, write_csv: Any, naive: str, aware: str
) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[f"{naive},voice,5"])
    history, _ = read_history(path, tiny_config)
    assert history[F.INTERVAL_START].tolist() == [_ts(aware)]


def test_fall_back_hour_with_offsets_is_two_intervals(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-10-25T02:00:00+02:00,voice,1",
        "2026-10-25T02:30:00+02:00,voice,2",
        "2026-10-25T02:00:00+01:00,voice,3",
        "2026-10-25T02:30:00+01:00,voice,4",
    ])
    history, _ = read_history(path, tiny_config)
    offered = _offered(history)
    assert offered.index.is_unique
    assert offered.tolist() == [1.0, 2.0, 3.0, 4.0]
    utc = pd.DatetimeIndex(offered.index).tz_convert("UTC")
    assert ((utc[1:] - utc[:-1]) == pd.Timedelta(minutes=30)).all()


# --- repaired with a warning ---------------------------------------------------------------------

def test_identical_duplicate_rows_are_dropped_with_warning(
    tiny_config: Config, write_csv: Any
) -> None:
    row = "2026-06-01T08:00:00+02:00,voice,10"
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[row, "2026-06-01T08:30:00+02:00,voice,3",
                                                          row])
    with pytest.warns(WfmWarning, match=r"dropped 1 duplicate rows \(rows 4\)"):
        history, report = read_history(path, tiny_config)
    assert report.duplicates_dropped == 1
    assert _offered(history).tolist() == [10.0, 3.0]


def test_gap_inside_opening_hours_is_nan_and_reported(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,10",
        "2026-06-01T09:30:00+02:00,voice,7",
    ])
    with pytest.warns(WfmWarning, match=r"2 intervals missing inside opening hours \(voice: 2\)"):
        history, report = read_history(path, tiny_config)
    offered = _offered(history)
    assert np.isnan(offered[_ts("2026-06-01T08:30:00+02:00")])
    assert np.isnan(offered[_ts("2026-06-01T09:00:00+02:00")])
    assert report.gap_count == 2
    assert report.gaps[F.INTERVAL_START].tolist() == [
        _ts("2026-06-01T08:30:00+02:00"), _ts("2026-06-01T09:00:00+02:00"),
    ]
    assert report.gaps[F.CHANNEL].tolist() == ["voice", "voice"]


def test_missing_interval_outside_opening_hours_is_zero(
    tiny_config: Config, write_csv: Any
) -> None:
    # open 08:00-10:00: 10:00 and 10:30 are closed, so their absence means no contacts
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T09:30:00+02:00,voice,7",
        "2026-06-01T11:00:00+02:00,voice,1",
    ])
    history, report = read_history(path, tiny_config)
    offered = _offered(history)
    assert offered[_ts("2026-06-01T10:00:00+02:00")] == 0.0
    assert offered[_ts("2026-06-01T10:30:00+02:00")] == 0.0
    assert offered[_ts("2026-06-01T11:00:00+02:00")] == 1.0
    assert report.gap_count == 0


def test_every_channel_is_put_on_its_own_hours(
    two_channel_config: Config, write_csv: Any
) -> None:
    # chat opens at 09:00, so its missing 08:30 is closed (zero) while voice's is a gap
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,10",
        "2026-06-01T09:00:00+02:00,voice,8",
        "2026-06-01T08:00:00+02:00,chat,0",
        "2026-06-01T09:00:00+02:00,chat,4",
    ])
    with pytest.warns(WfmWarning, match=r"1 intervals missing inside opening hours \(voice: 1\)"):
        history, _ = read_history(path, two_channel_config)
    half_past = _ts("2026-06-01T08:30:00+02:00")
    assert np.isnan(_offered(history, "voice")[half_past])
    assert _offered(history, "chat")[half_past] == 0.0


def test_unknown_channel_rows_are_dropped_with_warning(
    tiny_config: Config, write_csv: Any
) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,10",
        "2026-06-01T08:00:00+02:00,voize,99",
    ])
    with pytest.warns(WfmWarning, match=r"channels not in the config: 'voize' \(1 rows\)"):
        history, report = read_history(path, tiny_config)
    assert report.unknown_channels == {"voize": 1}
    assert history[F.CHANNEL].unique().tolist() == ["voice"]
    assert history[F.OFFERED].tolist() == [10.0]


def test_extra_column_is_ignored_with_warning(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER + ",queue_id",
                     rows=["2026-06-01T08:00:00+02:00,voice,10,Q7"])
    with pytest.warns(WfmWarning, match="ignored column.*queue_id"):
        history, report = read_history(path, tiny_config)
    assert report.ignored_columns == ("queue_id",)
    assert "queue_id" not in history.columns


def test_more_handled_and_abandoned_than_offered_warns(
    tiny_config: Config, write_csv: Any
) -> None:
    path = write_csv("h.csv", header=HEADER, rows=["2026-06-01T08:00:00+02:00,voice,10,9,3,200"])
    with pytest.warns(WfmWarning, match=r"handled \+ abandoned > offered \(rows 2\)"):
        read_history(path, tiny_config)


# --- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "rows", "column", "fragment"),
    [
        ("history_missing_offered.csv", (), None, "missing column offered"),
        ("history_bad_timestamp.csv", (3,), F.INTERVAL_START, "cannot read time stamp"),
        ("history_negative_count.csv", (4,), F.HANDLED, "found '-2'"),
        ("history_off_grid.csv", (3,), F.INTERVAL_START, "not on the 30-minute grid"),
        ("history_conflicting_duplicates.csv", (2, 4), None, "conflicting duplicate rows"),
        ("history_ambiguous_local_time.csv", (3,), F.INTERVAL_START, "ambiguous"),
    ],
)
def test_bad_file_names_file_rows_and_column(
    tiny_config: Config, name: str, rows: tuple[int, ...], column: str | None, fragment: str
) -> None:
    path = DATA / "bad" / name
    with pytest.raises(DataError) as info:
        read_history(path, tiny_config)
    err = info.value
    assert (err.path, err.rows, err.column) == (path, rows, column)
    message = str(err)
    assert message.startswith(str(path))
    assert fragment in message
    if rows:
        assert f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}" in message
    if column:
        assert f"column '{column}'" in message


@pytest.mark.parametrize("missing", ["interval_start", "channel", "offered"])
def test_missing_required_column_is_named(
    tiny_config: Config, write_csv: Any, missing: str
) -> None:
    columns = [c for c in ("interval_start", "channel", "offered") if c != missing]
    values = {"interval_start": "2026-06-01T08:00:00+02:00", "channel": "voice", "offered": "1"}
    path = write_csv("h.csv", header=",".join(columns), rows=[",".join(values[c] for c in columns)])
    with pytest.raises(DataError, match=f"missing column {missing} "):
        read_history(path, tiny_config)


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ("-1", F.OFFERED),
        ("ten", F.OFFERED),
        ("x", F.AHT_SECONDS),
        ("-0.5", F.AHT_SECONDS),
        ("1.5.0", F.ABANDONED),
    ],
)
def test_bad_number_names_row_and_column(
    tiny_config: Config, write_csv: Any, value: str, column: str
) -> None:
    cells = {F.OFFERED: "10", F.HANDLED: "8", F.ABANDONED: "1", F.AHT_SECONDS: "200"}
    cells[column] = value
    row = "2026-06-01T08:30:00+02:00,voice," + ",".join(cells.values())
    path = write_csv("h.csv", header=HEADER, rows=["2026-06-01T08:00:00+02:00,voice,1,1,0,100",
                                                   row])
    with pytest.raises(DataError, match="expected a non-negative number") as info:
        read_history(path, tiny_config)
    assert (info.value.rows, info.value.column) == ((3,), column)


def test_empty_offered_cell_counts_as_a_gap(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=HEADER, rows=["2026-06-01T08:00:00+02:00,voice,1,1,0,100",
                                                   "2026-06-01T08:30:00+02:00,voice,,,,"])
    with pytest.warns(WfmWarning, match="missing inside opening hours"):
        history, report = read_history(path, tiny_config)
    assert report.gap_count == 1
    assert history[F.OFFERED].isna().sum() == 1


def test_row_with_too_many_fields_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    # a decimal comma splits a value in two
    path = write_csv("h.csv", header=SHORT_HEADER, rows=["2026-06-01T08:00:00+02:00,voice,1",
                                                         "2026-06-01T08:30:00+02:00,voice,1,5"])
    with pytest.raises(DataError, match="not a readable CSV file"):
        read_history(path, tiny_config)


def test_unparseable_time_stamp_names_every_bad_row(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,1",
        "01/06/2026 08:30,voice,1",
        "2026-06-01T09:00:00+02:00,voice,1",
        "tomorrow,voice,1",
    ])
    with pytest.raises(DataError) as info:
        read_history(path, tiny_config)
    assert (info.value.rows, info.value.column) == ((3, 5), F.INTERVAL_START)
    assert "rows 3, 5, column 'interval_start'" in str(info.value)


def test_conflicting_duplicates_name_both_rows(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,10",
        "2026-06-01T08:30:00+02:00,voice,12",
        "2026-06-01T08:00:00+01:00,voice,5",  # a different instant: not a duplicate
        "2026-06-01T08:00:00+02:00,voice,11",
    ])
    with pytest.raises(DataError, match=r"rows 2, 5: conflicting duplicate rows for channel "
                                        r"'voice' at 2026-06-01T08:00:00\+02:00"):
        read_history(path, tiny_config)


def test_off_grid_time_stamp_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=["2026-06-01T08:07:00+02:00,voice,1"])
    with pytest.raises(DataError, match=r"row 2, column 'interval_start': time stamp "
                                        r"2026-06-01T08:07:00\+02:00 is not on the 30-minute"):
        read_history(path, tiny_config)


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param("2026-10-25T02:30:00", id="ambiguous-fall-back"),
        pytest.param("2026-03-29T02:30:00", id="nonexistent-spring-forward"),
    ],
)
def test_naive_time_stamp_on_dst_change_is_an_error(
    tiny_config: Config, write_csv: Any, stamp: str
) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[f"{stamp},voice,1"])
    with pytest.raises(DataError, match="write time stamps with their offset") as info:
        read_history(path, tiny_config)
    assert (info.value.rows, info.value.column) == ((2,), F.INTERVAL_START)


def test_missing_channel_name_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=[
        "2026-06-01T08:00:00+02:00,voice,1",
        "2026-06-01T08:30:00+02:00,,1",
    ])
    with pytest.raises(DataError, match="missing channel name") as info:
        read_history(path, tiny_config)
    assert (info.value.rows, info.value.column) == ((3,), F.CHANNEL)


def test_empty_file_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    with pytest.raises(DataError, match="the file is empty"):
        read_history(write_csv("h.csv", ""), tiny_config)


def test_header_only_file_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    with pytest.raises(DataError, match="no rows for the configured channels"):
        read_history(write_csv("h.csv", HEADER + "\n"), tiny_config)


def test_file_with_only_unknown_channels_is_an_error(tiny_config: Config, write_csv: Any) -> None:
    path = write_csv("h.csv", header=SHORT_HEADER, rows=["2026-06-01T08:00:00+02:00,email,1"])
    with pytest.warns(WfmWarning, match="'email'"), pytest.raises(DataError, match="no rows"):
        read_history(path, tiny_config)


def test_missing_file_is_an_error(tiny_config: Config, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_history(tmp_path / "nope.csv", tiny_config)


def test_corrupt_gzip_is_an_error(tiny_config: Config, tmp_path: Path) -> None:
    path = tmp_path / "h.csv.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a readable CSV file"):
        read_history(path, tiny_config)
