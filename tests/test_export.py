"""write_frame: formula escaping, time stamps with offset, atomic and deterministic output, and a
write/read round-trip through read_history."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfm import frames as F
from wfm.config import config_from_dict
from wfm.io.export import escape_formula, write_frame
from wfm.io.history import read_history
from wfm.timegrid import Grid

TZ = "Europe/Berlin"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- formula escaping ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+49 30 123456", "-x", "@cmd", "\tx", "\rx"])
def test_text_that_looks_like_a_formula_is_escaped(text: str) -> None:
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["voice", "", "a=b", "x-1", "'=already"])
def test_ordinary_text_is_untouched(text: str) -> None:
    assert escape_formula(text) == text


def test_written_text_cells_are_escaped_and_numbers_are_not(tmp_path: Path) -> None:
    df = pd.DataFrame({
        "agent_id": ["=1+1", "+x", "-y", "@z", "ann"],
        "minutes": [-15, 0, 30, 45, 60],
        "ratio": [-0.5, 0.25, 1.0, 2.0, -3.0],
    })
    path = write_frame(df, tmp_path / "out.csv")
    assert _lines(path) == [
        "agent_id,minutes,ratio",
        "'=1+1,-15,-0.5",
        "'+x,0,0.25",
        "'-y,30,1",
        "'@z,45,2",
        "ann,60,-3",
    ]


def test_string_dtype_cells_are_escaped(tmp_path: Path) -> None:
    df = pd.DataFrame({"name": pd.array(["=evil", None], dtype="string"), "n": [1, 2]})
    path = write_frame(df, tmp_path / "out.csv")
    assert _lines(path) == ["name,n", "'=evil,1", ",2"]


def test_input_frame_is_not_modified(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": ["=x"]})
    write_frame(df, tmp_path / "out.csv")
    assert df["a"].tolist() == ["=x"]


# --- time stamps ---------------------------------------------------------------------------------

def test_tz_aware_time_stamps_are_written_with_their_offset(tmp_path: Path) -> None:
    # the night DST ends: 02:00 happens at +02:00 and again at +01:00
    index = Grid(TZ, 60).intervals(dt.date(2026, 10, 25), 1)[:5]
    df = pd.DataFrame({"interval_start": index, "n": range(5)})
    path = write_frame(df, tmp_path / "out.csv")
    assert _lines(path) == [
        "interval_start,n",
        "2026-10-25T00:00:00+02:00,0",
        "2026-10-25T01:00:00+02:00,1",
        "2026-10-25T02:00:00+02:00,2",
        "2026-10-25T02:00:00+01:00,3",
        "2026-10-25T03:00:00+01:00,4",
    ]


def test_missing_time_stamp_is_an_empty_cell(tmp_path: Path) -> None:
    times = pd.Series([pd.Timestamp("2026-06-01 08:00", tz=TZ), pd.NaT],
                      dtype=f"datetime64[ns, {TZ}]")
    path = write_frame(pd.DataFrame({"t": times, "n": [1, 2]}), tmp_path / "out.csv")
    assert _lines(path) == ["t,n", "2026-06-01T08:00:00+02:00,1", ",2"]


# --- atomic writes -------------------------------------------------------------------------------

class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("boom while formatting")


def test_failed_write_leaves_old_file_and_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old content\n", encoding="utf-8")
    bad = pd.DataFrame({"a": [1, 2], "b": ["fine", _Unprintable()]})
    with pytest.raises(RuntimeError, match="boom"):
        write_frame(bad, target)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert _leftovers(tmp_path) == []


def test_failed_write_creates_no_file(tmp_path: Path) -> None:
    bad = pd.DataFrame({"b": [_Unprintable()]})
    with pytest.raises(RuntimeError, match="boom"):
        write_frame(bad, tmp_path / "out.csv.gz")
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_leaves_old_file_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old content\n", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk went away"):
        write_frame(pd.DataFrame({"a": [1]}), target)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert _leftovers(tmp_path) == []


def test_successful_write_replaces_old_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old content\n", encoding="utf-8")
    write_frame(pd.DataFrame({"a": [1]}), target)
    assert _lines(target) == ["a", "1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    path = write_frame(pd.DataFrame({"a": [1]}), tmp_path / "x" / "y" / "out.csv")
    assert path.exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_frame(pd.DataFrame({"a": [1]}), tmp_path / "out.csv")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


# --- gzip ----------------------------------------------------------------------------------------

def _sample_frame() -> pd.DataFrame:
    index = Grid(TZ, 30).intervals(dt.date(2026, 6, 1), 1)
    return pd.DataFrame({"interval_start": index, "channel": "voice",
                         "offered": np.arange(len(index), dtype=float) / 3})


def test_gzip_output_is_byte_identical_run_to_run(tmp_path: Path) -> None:
    df = _sample_frame()
    first = write_frame(df, tmp_path / "a.csv.gz").read_bytes()
    second = write_frame(df, tmp_path / "b.csv.gz").read_bytes()
    assert first == second
    assert write_frame(df, tmp_path / "a.csv.gz").read_bytes() == first


def test_gzip_output_holds_the_plain_csv(tmp_path: Path) -> None:
    df = _sample_frame()
    plain = write_frame(df, tmp_path / "out.csv").read_bytes()
    packed = write_frame(df, tmp_path / "out.csv.gz").read_bytes()
    assert gzip.decompress(packed) == plain


def test_floats_use_the_float_format(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1 / 3, 2.0]})
    assert _lines(write_frame(df, tmp_path / "a.csv")) == ["x", "0.333333", "2"]
    assert _lines(write_frame(df, tmp_path / "b.csv", float_format="%.1f")) == ["x", "0.3", "2.0"]


# --- round-trip through read_history -------------------------------------------------------------

ROUND_TRIP_CONFIG = config_from_dict({
    "site": {"timezone": TZ, "interval_minutes": 30},
    "channels": {
        "voice": {"kind": "voice", "target": {"service_level": 0.8, "answer_seconds": 20},
                  "hours": {"mon-fri": "08:00-18:00"}},
        "chat": {"kind": "chat", "target": {"service_level": 0.8, "answer_seconds": 60},
                 "hours": {"mon-sun": "22:00-02:00"}},
    },
})
DST_DAYS = [dt.date(2026, 3, 29), dt.date(2026, 10, 25)]


@st.composite
def history_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A complete history (every channel, every interval of 1-2 whole days), DST days likely."""
    start = draw(st.one_of(st.sampled_from(DST_DAYS),
                           st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31))))
    index = Grid(TZ, 30).intervals(start, draw(st.integers(1, 2)))
    rows = []
    for channel in ROUND_TRIP_CONFIG.channels:
        for t in index:
            offered = draw(st.integers(0, 5000))
            handled = draw(st.integers(0, offered))
            abandoned = draw(st.integers(0, offered - handled))
            aht = draw(st.none() | st.integers(10, 36000).map(lambda x: x / 10))
            wait = draw(st.none() | st.integers(0, 999_999).map(float))  # %.6g: six digits
            rows.append((t, channel, offered, handled, abandoned, aht, wait))
    df = pd.DataFrame(rows, columns=list(F.HISTORY_COLUMNS))
    return df.astype(dict.fromkeys(F.HISTORY_COLUMNS[2:], float))


@settings(max_examples=25, deadline=None)
@given(df=history_frames())
def test_history_written_and_read_back_is_unchanged(df: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_frame(df, Path(folder) / "history.csv.gz")
        back, report = read_history(path, ROUND_TRIP_CONFIG)
    assert report.gap_count == 0
    assert back[F.INTERVAL_START].tolist() == df[F.INTERVAL_START].tolist()
    assert back[F.CHANNEL].tolist() == df[F.CHANNEL].tolist()
    for col in F.HISTORY_COLUMNS[2:]:
        np.testing.assert_allclose(back[col], df[col], rtol=1e-12, atol=0, err_msg=col)
