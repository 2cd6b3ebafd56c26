"""Call-level ACD logs (wfm.io.calls): mapping, bad rows, chunks, DST, the real bank log."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from wfm import frames as F
from wfm.cli import cli
from wfm.config import Config, config_from_dict, load_config
from wfm.errors import ConfigError, DataError, WfmWarning
from wfm.io import calls as calls_module
from wfm.io.calls import import_calls, read_calls
from wfm.timegrid import Grid

ROOT = Path(__file__).parents[1]
BANK = ROOT / "configs" / "anonymous-bank.yaml"
HEADER = ("vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
          "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server")


def bank_row(kind: str, date: str, entry: str, exit_: str, q_start: str, q_time: int,
             outcome: str, ser_time: int, server: str) -> str:
    return (f"AA0101,1,0,1,{kind},{date},{entry},{exit_},5,{q_start},0:00:00,{q_time},"
            f"{outcome},0:00:00,0:00:00,{ser_time},{server}")


@pytest.fixture(scope="module")
def bank() -> Config:
    return load_config(BANK)


def test_bank_log_by_hand(bank: Config, write_csv: Any) -> None:
    path = write_csv("calls.csv", header=HEADER, rows=[
        # answered after 30 s in the queue, 100 s of service, 08:00-08:30 on Sunday 3 Jan 1999
        bank_row("PS", "990103", "8:00:10", "8:00:20", "8:00:20", 30, "AGENT", 100, "DORIT"),
        # abandoned after 50 s, same interval
        bank_row("PS", "990103", "8:10:00", "8:10:05", "8:10:05", 50, "HANG", 0, "NO_SERVER"),
        # hung up in the VRU: never offered to the queue
        bank_row("PS", "990103", "8:11:00", "8:11:09", "0:00:00", 0, "HANG", 0, "NO_SERVER"),
        # a virtual call, ignored
        bank_row("PS", "990103", "8:12:00", "8:12:09", "8:12:09", 0, "PHANTOM", 0, "NO_SERVER"),
        # answered straight from the VRU with a failed connection (0 s): no AHT
        bank_row("NE", "990103", "8:40:00", "8:40:10", "0:00:00", 0, "AGENT", 0, "NO_SERVER"),
        # entered before midnight, reached the queue after it: the next day's first interval
        bank_row("NW", "990103", "23:59:58", "0:00:04", "0:00:04", 6, "AGENT", 60, "TOVA"),
    ])
    history, report = import_calls(path, bank)
    row = history.set_index([F.CHANNEL, F.INTERVAL_START])
    t = pd.Timestamp("1999-01-03 08:00", tz="Asia/Jerusalem")
    ps = row.loc[("PS", t)]
    assert (ps[F.OFFERED], ps[F.HANDLED], ps[F.ABANDONED]) == (2, 1, 1)
    assert ps[F.AHT_SECONDS] == 100.0
    assert ps[F.WAIT_SECONDS] == 80.0
    ne = row.loc[("NE", t + pd.Timedelta(minutes=30))]
    assert (ne[F.OFFERED], ne[F.HANDLED]) == (1, 1)
    assert np.isnan(ne[F.AHT_SECONDS])
    nw = row.loc[("NW", pd.Timestamp("1999-01-04 00:00", tz="Asia/Jerusalem"))]
    assert nw[F.OFFERED] == 1
    # the observed day is complete (zeros); of the next, only the interval a call arrived in
    assert row.loc[("PS", t + pd.Timedelta(hours=2)), F.OFFERED] == 0
    assert len(history) == 6 * (48 + 1)
    assert (report.rows, report.offered, report.before_queue) == (6, 4, 1)
    assert report.ignored == Counter({"PHANTOM": 1})
    calls, _ = read_calls(path, bank)
    assert list(calls.columns) == list(F.CALL_COLUMNS)
    assert calls[F.AGENT].tolist()[:2] == ["DORIT", pd.NA]
    assert calls[F.OUTCOME].tolist()[:2] == [F.ANSWERED, F.ABANDONED_OUTCOME]


ISO_MAPPING: dict[str, Any] = {
    "queues": {"Sales": "voice", "Support": "voice"},
    "calls": {
        "columns": {"arrival": "offered_at", "channel": "queue", "outcome": "result",
                    "queue_exit": "left_queue_at", "service_start": "talk_start",
                    "service_end": "talk_end", "agent": "agent"},
        "outcomes": {"answered": "answered", "abandoned": "abandoned"},
        "max_bad_share": 0.5,
    },
}
ISO_HEADER = "offered_at,queue,result,left_queue_at,talk_start,talk_end,agent"


@pytest.fixture
def iso(tiny_config_dict: dict[str, Any]) -> Config:
    return config_from_dict({**tiny_config_dict, "acd": ISO_MAPPING})


def test_full_time_stamps_and_durations_from_start_and_end(iso: Config, write_csv: Any) -> None:
    path = write_csv("calls.csv", header=ISO_HEADER, rows=[
        "2026-12-07T08:00:00+01:00,Sales,answered,2026-12-07T08:00:20+01:00,"
        "2026-12-07T08:00:20+01:00,2026-12-07T08:05:20+01:00,a1",
        "2026-12-07T08:10:00,Support,abandoned,2026-12-07T08:11:00,,,",  # local time
    ])
    history, _ = import_calls(path, iso)
    first = history.set_index(F.INTERVAL_START).loc[
        pd.Timestamp("2026-12-07 08:00", tz="Europe/Berlin")]
    assert (first[F.OFFERED], first[F.HANDLED], first[F.ABANDONED]) == (2, 1, 1)
    assert first[F.AHT_SECONDS] == 300.0
    assert first[F.WAIT_SECONDS] == 80.0


def test_bad_rows_are_skipped_and_reported_by_reason(iso: Config, write_csv: Any) -> None:
    good = ("2026-12-07T08:00:00+01:00,Sales,answered,2026-12-07T08:00:20+01:00,"
            "2026-12-07T08:00:20+01:00,2026-12-07T08:05:20+01:00,a1")
    path = write_csv("calls.csv", header=ISO_HEADER, rows=[
        good, good, good,
        "yesterday,Sales,answered,,,,",  # row 5: unparseable time
        "2026-12-07T08:00:00+01:00,Sales,transferred,,,,",  # row 6: unknown outcome
        "2026-12-07T08:00:00+01:00,Sales,answered,2026-12-07T08:00:20+01:00,"
        "2026-12-07T08:09:00+01:00,2026-12-07T08:05:00+01:00,a1",  # row 7: end before start
        "2026-12-07T08:00:00+01:00,Billing,answered,,,,",  # unmapped queue: dropped, not bad
    ])
    with pytest.warns(WfmWarning) as caught:
        history, report = import_calls(path, iso)
    messages = " ".join(str(w.message) for w in caught)
    assert "'Billing' (1 rows)" in messages
    assert report.bad == Counter({"unparseable arrival time": 1, "unknown outcome": 1,
                                  "negative handle time (end before start)": 1})
    assert report.bad_rows["unknown outcome"] == [6]
    assert report.bad_rows["negative handle time (end before start)"] == [7]
    assert history[F.OFFERED].sum() == 3


def test_too_many_bad_rows_mean_a_wrong_mapping(iso: Config, write_csv: Any) -> None:
    path = write_csv("calls.csv", header=ISO_HEADER, rows=["x,Sales,answered,,,,"] * 3)
    with pytest.raises(DataError, match=r"3 of 3 rows are bad.*max_bad_share.*rows 2, 3, 4"):
        import_calls(path, iso)


def test_missing_column_and_missing_mapping(iso: Config, tiny_config: Config,
                                            write_csv: Any) -> None:
    path = write_csv("calls.csv", header="offered_at,queue,result", rows=["x,y,z"])
    with pytest.raises(DataError, match=r"missing column\(s\) left_queue_at, talk_start"):
        import_calls(path, iso)
    with pytest.raises(ConfigError, match=r"acd\.calls"):
        import_calls(path, tiny_config)


def test_dst_gap_is_a_bad_row_and_the_repeated_hour_stays_two_intervals(
        iso: Config, write_csv: Any) -> None:
    rows = [  # 02:30 local does not exist on 2026-03-29 in Berlin
        "2026-03-29T02:30:00,Sales,abandoned,2026-03-29T02:31:00,,,",
        "2026-10-25T02:10:00+02:00,Sales,abandoned,2026-10-25T02:11:00+02:00,,,",
        "2026-10-25T02:10:00+01:00,Sales,abandoned,2026-10-25T02:11:00+01:00,,,",
    ]
    path = write_csv("calls.csv", header=ISO_HEADER, rows=rows)
    with pytest.warns(WfmWarning, match="DST"):
        history, report = import_calls(path, iso)
    assert report.bad["local time skipped or repeated by a DST change"] == 1
    busy = history[history[F.OFFERED] > 0]
    assert busy[F.INTERVAL_START].dt.tz_convert("UTC").tolist() == [
        pd.Timestamp("2026-10-25 00:00", tz="UTC"), pd.Timestamp("2026-10-25 01:00", tz="UTC")]
    assert len(history[history[F.INTERVAL_START].dt.date == pd.Timestamp("2026-10-25").date()]
               ) == 50  # 25 hours of half-hours


def test_chunks_change_nothing(bank: Config, write_csv: Any,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    rows = []
    for k in range(500):
        minute = int(rng.integers(7 * 60, 23 * 60))
        entry = f"{minute // 60}:{minute % 60:02d}:00"
        exit_ = f"{minute // 60}:{minute % 60:02d}:05"
        answered = rng.random() < 0.8
        rows.append(bank_row(str(rng.choice(["PS", "NE", "NW"])), f"99010{k % 7 + 1}", entry,
                             exit_, exit_, int(rng.integers(0, 200)),
                             "AGENT" if answered else "HANG", int(rng.integers(1, 600)),
                             "DORIT" if answered else "NO_SERVER"))
    rows[321] = rows[321].replace(",AGENT,", ",LOST,").replace(",HANG,", ",LOST,")
    path = write_csv("calls.csv.gz", header=HEADER, rows=rows)
    with pytest.warns(WfmWarning, match="unknown outcome: 1 \\(rows 323\\)"):
        whole, _ = import_calls(path, bank)
    monkeypatch.setattr(calls_module, "CHUNK_ROWS", 37)
    with pytest.warns(WfmWarning, match="unknown outcome: 1 \\(rows 323\\)"):
        chunked, _ = import_calls(path, bank)
    pd.testing.assert_frame_equal(whole, chunked)


def test_cli_import_writes_history_and_errors_write_nothing(tmp_path: Path, write_csv: Any,
                                                            iso: Config) -> None:
    good = write_csv("calls.csv", header=HEADER, rows=[
        bank_row("PS", "990103", "8:00:10", "8:00:20", "8:00:20", 30, "AGENT", 100, "DORIT")])
    out = tmp_path / "out" / "history.csv"
    result = CliRunner().invoke(cli, ["import", "--config", str(BANK), "--calls", str(good),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)[F.OFFERED].sum() == 1
    bad = write_csv("bad.csv", "date,time\n1,2\n")
    out2 = tmp_path / "out" / "history2.csv"
    result = CliRunner().invoke(cli, ["import", "--config", str(BANK), "--calls", str(bad),
                                      "--out", str(out2)])
    assert result.exit_code == 1
    assert "missing column(s)" in result.output
    assert not out2.exists()


def test_grid_floor_matches_the_grid_for_half_hour_offsets() -> None:
    grid = Grid("Asia/Kolkata", 60)
    stamps = pd.Series(pd.to_datetime(["2026-12-07 08:59:59", "2026-12-07 09:00:00"])
                       ).dt.tz_localize("Asia/Kolkata")
    floored = grid.floor(stamps)
    assert floored.dt.strftime("%H:%M").tolist() == ["08:00", "09:00"]
    assert set(floored) <= set(grid.intervals(pd.Timestamp("2026-12-07").date(), 1))


def _raw_counts(path: Path) -> dict[str, Counter[str]]:
    """Per type, straight from the raw file: offered (not PHANTOM, not a VRU hang-up),
    handled (AGENT) and abandoned in the queue (HANG with a queue start)."""
    out: dict[str, Counter[str]] = {}
    with gzip.open(path, "rt", newline="") as f:
        for rec in csv.DictReader(f):
            if rec["outcome"] == "PHANTOM":
                continue
            vru_hangup = rec["outcome"] == "HANG" and rec["q_start"] == "0:00:00"
            if vru_hangup:
                continue
            counts = out.setdefault(rec["type"], Counter())
            counts["offered"] += 1
            counts["handled" if rec["outcome"] == "AGENT" else "abandoned"] += 1
    return out


@pytest.mark.parametrize("month", ["01", "02"])
def test_real_bank_monthly_totals_match_the_raw_file(real_data: Path, bank: Config,
                                                     month: str) -> None:
    path = real_data / "technion_anonymous_bank" / f"calls_1999-{month}.csv.gz"
    raw = _raw_counts(path)
    with pytest.warns(WfmWarning) if month == "01" else nullcontext():  # 'AA' in Jan
        history, report = import_calls(path, bank)
    totals = history.groupby(F.CHANNEL)[[F.OFFERED, F.HANDLED, F.ABANDONED]].sum()
    for kind in bank.channels:
        assert totals.loc[kind].tolist() == [raw[kind]["offered"], raw[kind]["handled"],
                                             raw[kind]["abandoned"]], kind
    assert report.bad_total == 0
    assert len(report.days) == (29 if month == "01" else 28)  # 11 and 12 Jan are missing


def test_cli_import_reads_an_interval_export(tmp_path: Path, tiny_config_dict: dict[str, Any]
                                             ) -> None:
    data = {**tiny_config_dict, "site": {**tiny_config_dict["site"], "timezone": "UTC",
                                         "interval_minutes": 15},
            "acd": {"queues": {"5001": "voice", "5002": "voice"}}}
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    export = ROOT / "tests" / "data" / "acd" / "cisco_ucce_call_type_interval.csv"
    out = tmp_path / "history.csv"
    args = ["import", "--config", str(config), "--export", str(export), "--out", str(out)]
    missing_format = CliRunner().invoke(cli, args)
    assert missing_format.exit_code == 1
    assert "--export needs --format" in missing_format.output
    result = CliRunner().invoke(cli, [*args, "--format", "genesys"])
    assert result.exit_code == 1  # a Cisco file is not a Genesys export
    assert "Error:" in result.output
    assert not out.exists()
    result = CliRunner().invoke(cli, [*args, "--format", "cisco-ucce"])
    assert result.exit_code == 0, result.output
    raw = pd.read_csv(export)
    assert pd.read_csv(out)[F.OFFERED].sum() == raw.loc[raw["CallTypeID"] < 5003,
                                                         "CallsOffered"].sum()
    assert "5003" in result.output  # the unmapped call type is named in a warning


def test_empty_log_and_unreadable_date_format_are_named(bank: Config, write_csv: Any) -> None:
    with pytest.raises(DataError, match="the file is empty"):
        import_calls(write_csv("empty.csv", ""), bank)
    data = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    data["acd"]["calls"]["date_format"] = "%Q%y"
    with pytest.raises(ConfigError, match=r"acd\.calls\.date_format: '%Q%y' is not a date"):
        config_from_dict(data, base_dir=BANK.parent)
