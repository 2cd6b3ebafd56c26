"""ACD interval exports (wfm.io.acd): each preset's mapping to history.csv, checked against
numbers worked out by hand from the example files in tests/data/acd, and every error path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from wfm import frames as F
from wfm.config import config_from_dict
from wfm.errors import ConfigError, DataError, WfmWarning
from wfm.io.acd import PRESETS, read_interval_export
from wfm.io.export import write_frame
from wfm.io.history import read_history
from wfm.timegrid import Grid

DATA = Path(__file__).parent / "data" / "acd"
GENESYS = DATA / "genesys_interval.csv"
AVAYA = DATA / "avaya_cms_split_interval.csv"
CISCO = DATA / "cisco_ucce_call_type_interval.csv"
TZ = "Europe/Berlin"
GRID30 = Grid(TZ, 30)
GRID15 = Grid(TZ, 15)
GENESYS_QUEUES = {"Billing": "voice", "Tech Support": "voice", "Web Help": "chat"}
AVAYA_QUEUES = {"Sales": "sales", "Sales Overflow": "sales", "Service": "service"}
CISCO_QUEUES = {"5001": "billing", "5002": "billing", "5003": "tech"}
GENESYS_HEADER = ("Interval Start UTC Date,Queue,Media Type,Offered,Interactions Handled,"
                  "Total Handle Time (Seconds)")
AVAYA_HEADER = ("Date,Split/Skill,Time,Avg Speed Ans,Avg Aban Time,ACD Calls,Avg ACD Time,"
                "Avg ACW Time,Aban Calls")
CISCO_HEADER = ("DateTime,CallTypeID,ReportingInterval,CallsOffered,CallsHandled,"
                "RouterCallsAbandQ,HandleTime,AnswerWaitTime,DelayQAbandTime")


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert(TZ)


def _row(history: pd.DataFrame, channel: str, start: str) -> pd.Series:
    hit = history[(history[F.CHANNEL] == channel) & (history[F.INTERVAL_START] == _ts(start))]
    assert len(hit) == 1, f"{channel} {start}: {len(hit)} rows"
    return hit.iloc[0]


def _figures(row: pd.Series) -> list[float]:
    return [row[c] for c in (F.OFFERED, F.HANDLED, F.ABANDONED, F.AHT_SECONDS, F.WAIT_SECONDS)]


def _error(path: Path, preset: str, queues: dict[str, str], grid: Grid = GRID30) -> DataError:
    with pytest.raises(DataError) as info:
        read_interval_export(path, preset, queues, grid)
    return info.value


# --- the example files, by hand -----------------------------------------------------------------

def test_every_preset_returns_the_history_contract() -> None:
    for path, preset, queues in ((GENESYS, "genesys", GENESYS_QUEUES),
                                 (AVAYA, "avaya-cms", AVAYA_QUEUES),
                                 (CISCO, "cisco-ucce", CISCO_QUEUES)):
        history = read_interval_export(path, preset, queues, GRID30)
        assert list(history.columns) == list(F.HISTORY_COLUMNS)
        assert str(history[F.INTERVAL_START].dt.tz) == TZ
        assert not history.duplicated([F.CHANNEL, F.INTERVAL_START]).any()
        assert set(history[F.CHANNEL]) == set(queues.values())
    assert set(PRESETS) == {"genesys", "avaya-cms", "cisco-ucce"}


def test_genesys_utc_15_minute_rows_summed_to_a_30_minute_local_grid() -> None:
    history = read_interval_export(GENESYS, "genesys", GENESYS_QUEUES, GRID30)
    # 06:00Z and 06:15Z are 08:00 and 08:15 in Berlin summer time; voice = Billing + Tech Support
    # offered 10 + 12 + 5 + 4, handled 9 + 12 + 5 + 3, handle time 2700 + 3240 + 2000 + 1320
    voice = _row(history, "voice", "2026-06-01T08:00:00+02:00")
    np.testing.assert_allclose(_figures(voice), [31, 29, np.nan, 9260 / 29, np.nan], rtol=1e-12)
    # 07:30Z + 07:45Z: offered 7 + 6 + 4 + 2, handled 7 + 5 + 4 + 2, time 1960 + 1500 + 1600 + 760
    last = _row(history, "voice", "2026-06-01T09:30:00+02:00")
    np.testing.assert_allclose(_figures(last), [19, 18, np.nan, 5820 / 18, np.nan], rtol=1e-12)
    # chat = Web Help alone; 06:30Z + 06:45Z: offered 4 + 0, handled 3 + 0, time 1500 + 0
    chat = _row(history, "chat", "2026-06-01T08:30:00+02:00")
    np.testing.assert_allclose(_figures(chat), [4, 3, np.nan, 500, np.nan], rtol=1e-12)
    assert history.groupby(F.CHANNEL)[F.OFFERED].sum().to_dict() == {"chat": 20.0, "voice": 113.0}
    assert len(history) == 8


def test_genesys_on_a_15_minute_grid_keeps_every_interval() -> None:
    history = read_interval_export(GENESYS, "genesys", GENESYS_QUEUES, GRID15)
    assert len(history) == 16
    voice = _row(history, "voice", "2026-06-01T08:15:00+02:00")
    np.testing.assert_allclose(_figures(voice), [16, 15, np.nan, 4560 / 15, np.nan], rtol=1e-12)


def test_avaya_aht_is_acd_plus_acw_and_wait_is_asa_and_abandon_delay() -> None:
    history = read_interval_export(AVAYA, "avaya-cms", AVAYA_QUEUES, GRID30)
    # sales 8:00 = Sales + Sales Overflow: offered = ACD + Aban = (20 + 2) + (4 + 1);
    # handle time = 20 x (3:00 + 0:30) + 4 x (4:00 + 1:00) = 4200 + 1200 = 5400 over 24 calls;
    # wait = 20 x 0:12 + 2 x 0:40 + 4 x 0:30 + 1 x 0:50 = 240 + 80 + 120 + 50
    sales = _row(history, "sales", "2026-06-01T08:00:00+02:00")
    np.testing.assert_allclose(_figures(sales), [27, 24, 3, 225, 490], rtol=1e-12)
    # 9:30: Sales Overflow's row is empty but for zeros, so Sales alone:
    # 22 x (3:10 + 0:35) = 4950 over 22; wait 22 x 15 + 2 x 45
    late = _row(history, "sales", "2026-06-01T09:30:00+02:00")
    np.testing.assert_allclose(_figures(late), [24, 22, 2, 225, 420], rtol=1e-12)
    # service 9:00: 10 x (5:20 + 0:50) = 3700 over 10; wait 10 x 7 + 0
    service = _row(history, "service", "2026-06-01T09:00:00+02:00")
    np.testing.assert_allclose(_figures(service), [10, 10, 0, 370, 70], rtol=1e-12)


def test_cisco_call_types_summed_and_15_minutes_aggregated() -> None:
    history = read_interval_export(CISCO, "cisco-ucce", CISCO_QUEUES, GRID30)
    # billing 08:00 = call types 5001 + 5002 at 08:00 and 08:15:
    # offered 20 + 6 + 22 + 5; handled 17 + 5 + 20 + 5; abandoned = RouterCallsAbandQ +
    # RouterCallsAbandToAgent = 2 + 1 + (1 + 1) + 0; handle 4250 + 1500 + 5200 + 1400;
    # wait = AnswerWaitTime + DelayQAbandTime + DelayAgentAbandTime
    #      = (340 + 90) + (150 + 40) + (400 + 60 + 15) + 100
    billing = _row(history, "billing", "2026-06-01T08:00:00+02:00")
    np.testing.assert_allclose(_figures(billing), [53, 47, 5, 12350 / 47, 1195], rtol=1e-12)
    tech = _row(history, "tech", "2026-06-01T08:30:00+02:00")
    np.testing.assert_allclose(_figures(tech), [20, 19, 1, 5610 / 19, 295], rtol=1e-12)
    assert len(history) == 4
    assert len(read_interval_export(CISCO, "cisco-ucce", CISCO_QUEUES, GRID15)) == 8


def test_result_reads_back_as_history_csv(tmp_path: Path) -> None:
    history = read_interval_export(CISCO, "cisco-ucce", CISCO_QUEUES, GRID30)
    hours = {"mon-sun": "08:00-09:00"}
    target = {"service_level": 0.8, "answer_seconds": 20}
    config = config_from_dict({
        "site": {"name": "t", "timezone": TZ, "interval_minutes": 30},
        "channels": {ch: {"kind": "voice", "target": target, "hours": hours}
                     for ch in ("billing", "tech")},
    })
    back, report = read_history(write_frame(history, tmp_path / "history.csv"), config)
    assert report.gap_count == 0
    merged = back.merge(history, on=[F.CHANNEL, F.INTERVAL_START], suffixes=("", "_acd"))
    assert len(merged) == len(history)
    for col in (F.OFFERED, F.HANDLED, F.ABANDONED, F.AHT_SECONDS, F.WAIT_SECONDS):
        np.testing.assert_allclose(merged[col], merged[f"{col}_acd"], rtol=1e-5)


def test_gzip_export_reads_like_plain(write_csv: Any) -> None:
    text = AVAYA.read_text(encoding="utf-8")
    plain = read_interval_export(write_csv("a.csv", text), "avaya-cms", AVAYA_QUEUES, GRID30)
    packed = read_interval_export(write_csv("a.csv.gz", text), "avaya-cms", AVAYA_QUEUES, GRID30)
    pd.testing.assert_frame_equal(plain, packed)


# --- time zones and DST -------------------------------------------------------------------------

def test_genesys_utc_across_the_fall_back_day_keeps_both_2_am_hours(write_csv: Any) -> None:
    # 2026-10-25: 00:00Z is 02:00 CEST (+02:00), 01:00Z is 02:00 CET (+01:00)
    rows = [f"2026-10-25T{h:02d}:{m:02d}:00Z,Billing,Voice,{1 + h},{1 + h},{60 * (1 + h)}"
            for h in (0, 1) for m in (0, 15, 30, 45)]
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=rows)
    history = read_interval_export(path, "genesys", {"Billing": "voice"}, GRID30)
    assert history[F.INTERVAL_START].tolist() == [
        _ts(t) for t in ("2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
                         "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00")
    ]
    assert history[F.OFFERED].tolist() == [2.0, 2.0, 4.0, 4.0]
    assert history[F.AHT_SECONDS].tolist() == [60.0, 60.0, 60.0, 60.0]


def test_genesys_utc_across_the_spring_forward_day_skips_2_am(write_csv: Any) -> None:
    # 2026-03-29: 00:45Z is 01:45 CET, 01:00Z is 03:00 CEST
    rows = [f"2026-03-29T{t}:00Z,Billing,Voice,{n},{n},60"
            for t, n in (("00:30", 1), ("00:45", 2), ("01:00", 4), ("01:15", 8))]
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=rows)
    history = read_interval_export(path, "genesys", {"Billing": "voice"}, GRID30)
    assert history[F.INTERVAL_START].tolist() == [_ts("2026-03-29T01:30:00+01:00"),
                                                  _ts("2026-03-29T03:00:00+02:00")]
    assert history[F.OFFERED].tolist() == [3.0, 12.0]


@pytest.mark.parametrize(("date", "time"), [("10/25/2026", "2:00 AM-2:30 AM"),  # twice
                                            ("03/29/2026", "2:00 AM-2:30 AM")])  # never
def test_avaya_local_time_on_a_dst_change_is_an_error(
    write_csv: Any, date: str, time: str
) -> None:
    path = write_csv("a.csv", header=AVAYA_HEADER, rows=[
        f"{date},Sales,1:30 AM-2:00 AM,0:10,0:20,5,3:00,0:30,1",
        f"{date},Sales,{time},0:10,0:20,5,3:00,0:30,1",
    ])
    err = _error(path, "avaya-cms", {"Sales": "sales"})
    assert err.rows == (3,)
    assert err.column == "Date + Time"
    assert "DST" in str(err)


def test_cisco_local_time_on_the_fall_back_day_is_an_error(write_csv: Any) -> None:
    path = write_csv("c.csv", header=CISCO_HEADER,
                     rows=["2026-10-25 02:15:00,5001,15,1,1,0,100,5,0"])
    err = _error(path, "cisco-ucce", {"5001": "billing"}, GRID15)
    assert (err.rows, err.column) == ((2,), "DateTime")


# --- interval lengths ---------------------------------------------------------------------------

def test_export_coarser_than_the_grid_is_an_error() -> None:
    err = _error(AVAYA, "avaya-cms", AVAYA_QUEUES, GRID15)
    assert "30-minute intervals" in str(err)
    assert "set site.interval_minutes to 30 or 60" in str(err)


def test_export_interval_not_dividing_the_grid_is_an_error(write_csv: Any) -> None:
    path = write_csv("c.csv", header=CISCO_HEADER, rows=[
        "2026-06-01 08:00:00,5001,20,1,1,0,100,5,0",
        "2026-06-01 08:20:00,5001,20,1,1,0,100,5,0",
    ])
    err = _error(path, "cisco-ucce", {"5001": "billing"})
    assert err.column == "ReportingInterval"
    assert err.rows == (2, 3)
    assert "set site.interval_minutes to 60" in str(err)


def test_avaya_interval_from_spacing_and_totals_row_skipped(write_csv: Any) -> None:
    # 24-hour start times without an end: the 15-minute spacing gives the interval
    path = write_csv("a.csv", header=AVAYA_HEADER, rows=[
        "2026-06-01,Sales,08:00,0:10,0:20,4,100,20,0",
        "2026-06-01,Sales,08:15,0:10,0:20,6,100,20,1",
        "2026-06-01,Sales,Totals,0:10,0:20,10,100,20,1",
    ])
    history = read_interval_export(path, "avaya-cms", {"Sales": "sales"}, GRID30)
    np.testing.assert_allclose(_figures(history.iloc[0]), [11, 10, 1, 120, 120], rtol=1e-12)


def test_start_off_the_interval_boundary_is_an_error(write_csv: Any) -> None:
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=[
        "2026-06-01T06:00:00Z,Billing,Voice,1,1,60", "2026-06-01T06:10:00Z,Billing,Voice,1,1,60"])
    err = _error(path, "genesys", {"Billing": "voice"})
    assert (err.rows, err.column) == ((3,), "Interval Start UTC Date")
    assert "15-minute boundaries" in str(err)


# --- queues -------------------------------------------------------------------------------------

def test_unmapped_queues_are_dropped_with_one_warning() -> None:
    with pytest.warns(WfmWarning, match=r"'Web Help' \(8 rows\)") as record:
        history = read_interval_export(GENESYS, "genesys", {"Billing": "voice"}, GRID30)
    assert len(record) == 1
    assert "'Tech Support' (8 rows)" in str(record[0].message)
    assert set(history[F.CHANNEL]) == {"voice"}
    assert history[F.OFFERED].sum() == 77.0  # Billing alone


def test_nothing_mapped_is_an_error_listing_the_queues() -> None:
    err = _error(CISCO, "cisco-ucce", {"9999": "billing"})
    assert "'5001', '5002', '5003'" in str(err)


def test_media_type_splits_a_genesys_queue(write_csv: Any) -> None:
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=[
        "2026-06-01T06:00:00Z,Support,Voice,5,5,1000",
        "2026-06-01T06:00:00Z,Support,Chat,3,3,900",
    ])
    err = _error(path, "genesys", {"Support": "voice"})
    assert "'Support|Chat'" in str(err) or "'Support|Voice'" in str(err)
    history = read_interval_export(path, "genesys", {"Support|voice": "voice",
                                                     "Support|Chat": "chat"}, GRID30)
    assert history[[F.CHANNEL, F.OFFERED]].values.tolist() == [["chat", 3.0], ["voice", 5.0]]


def test_empty_queue_name_is_an_error(write_csv: Any) -> None:
    path = write_csv("c.csv", header=CISCO_HEADER, rows=[
        "2026-06-01 08:00:00,5001,15,1,1,0,100,5,0", "2026-06-01 08:00:00,,15,1,1,0,100,5,0"])
    err = _error(path, "cisco-ucce", CISCO_QUEUES)
    assert (err.rows, err.column) == ((3,), "CallTypeID")


def test_same_queue_and_interval_twice_is_an_error(write_csv: Any) -> None:
    row = "2026-06-01 08:00:00,5001,15,1,1,0,100,5,0"
    path = write_csv("c.csv", header=CISCO_HEADER, rows=[row, row.replace("5001", "5002"), row])
    err = _error(path, "cisco-ucce", CISCO_QUEUES)
    assert err.rows == (2, 4)


# --- columns and cells --------------------------------------------------------------------------

def test_column_names_match_case_and_space_insensitively(write_csv: Any) -> None:
    header = "\t".join(h.lower().replace("calls", "Calls ") for h in CISCO_HEADER.split(","))
    path = write_csv("c.tsv", header=header, rows=[
        "2026-06-01 08:00:00\t5001\t15\t3\t2\t1\t100\t5\t7",
        "2026-06-01 08:15:00\t5001\t15\t1\t1\t0\t80\t5\t0",
    ])
    history = read_interval_export(path, "cisco-ucce", {"5001": "billing"}, GRID30)
    # without RouterCallsAbandToAgent or DelayAgentAbandTime the optional terms are left out
    np.testing.assert_allclose(_figures(history.iloc[0]), [4, 3, 1, 60, 17], rtol=1e-12)


def test_missing_columns_are_an_error_listing_those_found(write_csv: Any) -> None:
    path = write_csv("c.csv", header="DateTime,CallTypeID,CallsOffered",
                     rows=["2026-06-01 08:00:00,5001,3"])
    err = _error(path, "cisco-ucce", CISCO_QUEUES)
    assert "missing columns CallsHandled, RouterCallsAbandQ, HandleTime" in str(err)
    assert "found: DateTime, CallTypeID, CallsOffered" in str(err)


def test_format_without_wait_columns_leaves_wait_nan(write_csv: Any) -> None:
    header = "Date,Split/Skill,Time,ACD Calls,Avg ACD Time,Avg ACW Time,Aban Calls"
    path = write_csv("a.csv", header=header, rows=["2026-06-01,Sales,08:00-08:30,4,100,20,0"])
    history = read_interval_export(path, "avaya-cms", {"Sales": "sales"}, GRID30)
    np.testing.assert_allclose(_figures(history.iloc[0]), [4, 4, 0, 120, np.nan], rtol=1e-12)


@pytest.mark.parametrize(("cell", "column"), [("abc", "CallsOffered"), ("-2", "CallsOffered"),
                                              ("1:xx", "HandleTime")])
def test_bad_number_is_an_error_naming_row_and_column(
    write_csv: Any, cell: str, column: str
) -> None:
    good = "2026-06-01 08:00:00,5001,15,1,1,0,100,5,0"
    fields = good.replace("08:00", "08:15").split(",")
    fields[CISCO_HEADER.split(",").index(column)] = cell
    path = write_csv("c.csv", header=CISCO_HEADER, rows=[good, ",".join(fields)])
    err = _error(path, "cisco-ucce", CISCO_QUEUES)
    assert (err.rows, err.column) == ((3,), column)


def test_unparseable_time_is_an_error(write_csv: Any) -> None:
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=[
        "2026-06-01T06:00:00Z,Billing,Voice,1,1,60", "yesterday,Billing,Voice,1,1,60"])
    err = _error(path, "genesys", {"Billing": "voice"})
    assert (err.rows, err.column) == ((3,), "Interval Start UTC Date")
    assert "'yesterday'" in str(err)


def test_handled_plus_abandoned_above_offered_is_a_warning(write_csv: Any) -> None:
    path = write_csv("c.csv", header=CISCO_HEADER, rows=[
        "2026-06-01 08:00:00,5001,15,3,3,1,100,5,0", "2026-06-01 08:15:00,5001,15,3,3,0,100,5,0"])
    with pytest.warns(WfmWarning, match=r"1 rows have handled \+ abandoned > offered \(rows 2\)"):
        read_interval_export(path, "cisco-ucce", CISCO_QUEUES, GRID30)


@pytest.mark.parametrize(("text", "message"), [(None, "file not found"), ("", "empty"),
                                               (b"\xff\xfe\x00a,b\n", "not a readable CSV")])
def test_unreadable_file_is_an_error(
    tmp_path: Path, text: str | bytes | None, message: str
) -> None:
    path = tmp_path / "x.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    assert message in str(_error(path, "genesys", GENESYS_QUEUES))


def test_unknown_preset_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="genesys, avaya-cms, cisco-ucce"):
        read_interval_export(GENESYS, "nice", GENESYS_QUEUES, GRID30)


def test_genesys_rows_per_skill_set_are_summed_not_duplicates(write_csv: Any) -> None:
    header = GENESYS_HEADER.replace("Media Type,", "Media Type,Skill Set,Language,")
    path = write_csv("g.csv", "\ufeff" + header + "\n"  # a byte-order mark, as Excel writes
                     "2026-06-01T06:00:00Z,Billing,Voice,cards,English,4,4,400\n"
                     "2026-06-01T06:00:00Z,Billing,Voice,cards,German,2,2,300\n")
    history = read_interval_export(path, "genesys", {"Billing": "voice"}, GRID15)
    np.testing.assert_allclose(_figures(history.iloc[0]), [6, 6, np.nan, 700 / 6, np.nan])


def test_partly_mapped_queue_is_named_with_its_media_type(write_csv: Any) -> None:
    path = write_csv("g.csv", header=GENESYS_HEADER, rows=[
        "2026-06-01T06:00:00Z,Support,Voice,5,5,1000", "2026-06-01T06:00:00Z,Support,Chat,3,3,900"])
    with pytest.warns(WfmWarning, match=r"'Support\|Chat' \(1 rows\)"):
        history = read_interval_export(path, "genesys", {"Support|Voice": "voice"}, GRID30)
    assert history[F.OFFERED].tolist() == [5.0]


def test_header_without_rows_is_an_error(write_csv: Any) -> None:
    path = write_csv("c.csv", header=CISCO_HEADER)
    assert "no data rows" in str(_error(path, "cisco-ucce", CISCO_QUEUES))


# --- docs/acd-exports.md is executed, not hand-synced -------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "acd-exports.md"


def test_doc_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                        flags=re.M | re.S)
    assert blocks
    monkeypatch.chdir(DOC.parents[1])
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(blocks), str(DOC), "exec"), namespace)
    assert list(namespace["history"].columns) == list(F.HISTORY_COLUMNS)


def test_doc_yaml_snippets_map_every_queue_of_their_example() -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                        flags=re.M | re.S)
    assert len(blocks) == len(PRESETS)
    seen = set()
    for block in blocks:
        command = re.search(r"--format (\S+) --export (\S+)", block)
        assert command, block
        preset, file = command.groups()
        queues = yaml.safe_load(block)["acd"]["queues"]
        history = read_interval_export(DOC.parents[1] / file, preset, queues, GRID30)  # no warning
        assert set(history[F.CHANNEL]) == set(queues.values())
        seen.add(preset)
    assert seen == set(PRESETS)
