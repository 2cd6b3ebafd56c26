"""report.html on a tiny hand-made output directory: two channels (voice, chat), two days,
a 60-minute grid, open 08:00-10:00, two agents."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from wfm.config import Config, config_from_dict
from wfm.errors import DataError
from wfm.report import REQUIRED_FILES, activity_bars, build_report, write_report

DAYS = ("2026-06-01", "2026-06-02")  # Monday, Tuesday; Berlin is UTC+2
HOURS = ("08:00", "09:00")
CHANNELS = ("voice", "chat")
SVG_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")
REQUIRED = {"voice": (3, 4), "chat": (2, 1)}  # per hour, both days
SCHEDULED = {"voice": (3, 2), "chat": (2, 1)}


def _t(day: str, hour: str) -> str:
    return f"{day}T{hour}:00+02:00"


@pytest.fixture
def config(tiny_config_dict: dict[str, Any]) -> Config:
    tiny_config_dict["site"]["interval_minutes"] = 60
    tiny_config_dict["channels"]["chat"] = {
        "kind": "chat", "target": {"service_level": 0.7, "answer_seconds": 60},
        "hours": {"mon-sun": "08:00-10:00"}}
    return config_from_dict(tiny_config_dict)


def _write(out: Path, name: str, rows: list[dict[str, Any]]) -> None:
    pd.DataFrame(rows).to_csv(out / name, index=False)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """All required and optional files of a planned, simulated and what-if'd week."""
    out = tmp_path / "out"
    out.mkdir()
    slots = [(d, h, i, c) for d in DAYS for i, h in enumerate(HOURS) for c in CHANNELS]
    _write(out, "forecast.csv", [
        {"interval_start": _t(d, h), "channel": c, "volume": 10.0 + i, "volume_lo80": 8.0,
         "volume_hi80": 13.0, "volume_lo95": 6.0, "volume_hi95": 15.0, "aht_seconds": 300.0,
         "model": "seasonal_naive"} for d, h, i, c in slots])
    _write(out, "requirements.csv", [
        {"interval_start": _t(d, h), "channel": c, "volume": 10.0 + i, "aht_seconds": 300.0,
         "agents_required": REQUIRED[c][i]} for d, h, i, c in slots])
    _write(out, "coverage.csv", [
        {"interval_start": _t(d, h), "channel": c, "required": REQUIRED[c][i],
         "scheduled": SCHEDULED[c][i], "gap": SCHEDULED[c][i] - REQUIRED[c][i]}
        for d, h, i, c in slots])
    _write(out, "schedule.csv", [
        {"agent_id": a, "date": d, "shift_start": _t(d, "08:00"), "shift_end": _t(d, "10:00"),
         "paid_minutes": 120, "breaks": ""} for a in ("A1", "A2") for d in DAYS])
    _write(out, "agent_intervals.csv", [
        {"agent_id": a, "interval_start": _t(d, h), "activity": act}
        for a, acts in (("A1", ("voice", "voice")), ("A2", ("chat", "break")))
        for d in DAYS for h, act in zip(HOURS, acts, strict=True)])
    _write(out, "simulation.csv", [
        {"interval_start": _t(d, h), "channel": c, "offered": 10.0, "answered": 9.0,
         "abandoned": 1.0, "service_level": 0.8 if i == 0 else 0.6, "service_level_lo95": 0.5,
         "service_level_hi95": 0.9, "asa_seconds": 12.0, "occupancy": 0.8,
         "p_miss_target": 0.2} for d, h, i, c in slots])
    _write(out, "simulation_summary.csv", [
        {"date": d, "channel": c, "offered": 20.0, "answered": 18.0, "abandoned": 2.0,
         "service_level": 0.7, "service_level_lo95": 0.5, "service_level_hi95": 0.9,
         "asa_seconds": 12.0, "occupancy": 0.8, "p_miss_target": 0.6 if d == DAYS[0] else 0.1}
        for d in DAYS for c in CHANNELS])
    _write(out, "whatif.csv", [
        {"scenario": s, "channel": c, "required_fte": 1.0, "scheduled_fte": 1.0,
         "service_level": 0.8, "asa_seconds": 10.0, "abandon_rate": 0.05, "paid_hours": 8.0,
         "delta_required_fte": 0.0, "delta_service_level": 0.0}
        for s in ("base", "volume +10% <b>") for c in CHANNELS])
    _write(out, "forecast_accuracy.csv", [
        {"date": d, "channel": c, "actual": 100.0, "forecast": 90.0 if c == "voice" else 130.0,
         "wape": 0.1 if c == "voice" else 0.3, "bias": -0.1 if c == "voice" else 0.3}
        for d in DAYS for c in CHANNELS])
    return out


class _Tags(HTMLParser):
    """Start tags with their attributes, and the text of each ``<dd data-kpi>``."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.kpis: dict[tuple[str, str], str] = {}
        self._channel = ""
        self._kpi: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "div" and "data-channel" in a:
            self._channel = a["data-channel"] or ""
        self._kpi = a.get("data-kpi") if tag == "dd" else None

    def handle_data(self, data: str) -> None:
        if self._kpi:
            self.kpis[(self._channel, self._kpi)] = data
            self._kpi = None


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def _charts(text: str) -> dict[str, str]:
    """Chart key → the SVG text inside its wrapper."""
    out = {}
    for part in text.split('<div class="chart" data-chart="')[1:]:
        key, rest = part.split('">', 1)
        out[key] = rest[: rest.index("</svg>") + len("</svg>")]
    return out


def test_page_parses_and_has_one_svg_per_chart(out_dir: Path, config: Config) -> None:
    text = build_report(out_dir, config)
    tags = _parse(text).tags
    charts = _charts(text)
    expected = {f"{kind}-{c}" for kind in ("forecast", "coverage", "service-level")
                for c in CHANNELS} | {"gantt", "whatif", "accuracy"}
    assert set(charts) == expected
    assert sum(tag == "svg" for tag, _ in tags) == len(expected)
    assert sum(tag == "figure" for tag, _ in tags) == len(expected)
    assert sum(tag == "figcaption" for tag, _ in tags) == len(expected)
    for key, svg in charts.items():
        assert svg.startswith("<svg"), key
        paths = [a.get("d") for tag, a in _parse(svg).tags if tag == "path"]
        assert any(paths), key


def test_page_needs_no_network(out_dir: Path, config: Config) -> None:
    text = build_report(out_dir, config)
    stripped = text
    for ns in SVG_NAMESPACES:
        stripped = stripped.replace(ns, "")
    assert "http://" not in stripped
    assert "https://" not in stripped
    assert "<script" not in text
    assert "<link" not in text
    assert "url(http" not in text
    assert "<?xml" not in text
    assert "<!DOCTYPE svg" not in text


def test_kpis_match_the_csvs(out_dir: Path, config: Config) -> None:
    kpis = _parse(build_report(out_dir, config)).kpis
    # voice: required 3+4 per day over 2 days = 14 agent-hours, scheduled 10, short 2 per day
    assert kpis[("voice", "required-agent-hours")] == "14.0"
    assert kpis[("voice", "scheduled-agent-hours")] == "10.0"
    assert kpis[("voice", "coverage-short")] == f"{100 * 4 / 14:.1f} %"
    assert kpis[("chat", "required-agent-hours")] == "6.0"
    assert kpis[("chat", "coverage-short")] == "0.0 %"
    assert kpis[("voice", "forecast-volume")] == "42"  # (10 + 11) x 2 days
    assert kpis[("voice", "simulated-service-level")] == "70.0 %"  # (0.8 + 0.6) / 2, equal offered
    assert kpis[("voice", "simulated-abandonment")] == "10.0 %"
    assert kpis[("chat", "days-with-p-miss-target-0-5")] == "1"


def test_optional_sections_are_left_out_with_a_note(out_dir: Path, config: Config) -> None:
    for name in ("simulation.csv", "simulation_summary.csv", "whatif.csv",
                 "forecast_accuracy.csv"):
        (out_dir / name).unlink()
    text = build_report(out_dir, config)
    assert not any(k.startswith("service-level") for k in _charts(text))
    assert "accuracy" not in _charts(text)
    assert "No forecast_accuracy.csv" in text
    assert "<table" not in text
    assert "Simulated service level" not in text
    assert "No simulation.csv" in text
    assert "No whatif.csv" in text


def test_last_weeks_accuracy_is_charted_with_its_week_figures(out_dir: Path,
                                                               config: Config) -> None:
    text = build_report(out_dir, config)
    assert "accuracy" in _charts(text)
    section = text[text.index("Forecast accuracy, last week"):]
    cells = '<td class="n">'
    # voice over both days: 200 actual, 180 forecast, WAPE 0.1 and bias -0.1; chat 0.3 and +0.3
    assert (f"<tr><td>voice</td>{cells}200.0</td>{cells}180.0</td>{cells}0.100</td>"
            f"{cells}-0.100</td></tr>") in section
    assert f"<tr><td>chat</td>{cells}200.0</td>{cells}260.0</td>{cells}0.300</td>" in section


def test_text_is_escaped(out_dir: Path, config: Config) -> None:
    text = build_report(out_dir, config)
    assert "volume +10% &lt;b&gt;" in text
    assert "<b>" not in text


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_missing_required_file_names_it(out_dir: Path, config: Config, name: str) -> None:
    (out_dir / name).unlink()
    with pytest.raises(DataError, match=rf"{name}: file not found; run wfm run first"):
        build_report(out_dir, config)


def test_write_report_is_atomic(out_dir: Path, config: Config) -> None:
    (out_dir / "report.html").write_text("old", encoding="utf-8")
    path = write_report(out_dir, config)
    assert path == out_dir / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]


def test_failed_write_keeps_the_old_report(out_dir: Path, config: Config) -> None:
    (out_dir / "report.html").write_text("old", encoding="utf-8")
    (out_dir / "coverage.csv").unlink()
    with pytest.raises(DataError):
        write_report(out_dir, config)
    assert (out_dir / "report.html").read_text(encoding="utf-8") == "old"
    assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]


def test_activity_bars_collapse_runs() -> None:
    t = pd.to_datetime([_t(DAYS[0], h) for h in ("08:00", "09:00", "10:00", "11:00")])
    df = pd.DataFrame({"agent_id": "A1", "interval_start": t,
                       "activity": ["voice", "voice", "break", "off"]})
    bars = activity_bars(df, 60)
    assert bars["activity"].tolist() == ["voice", "break"]
    assert (bars["end"] - bars["start"]).tolist() == [pd.Timedelta(hours=2),
                                                      pd.Timedelta(hours=1)]


# --- in a real browser ---------------------------------------------------------------------------

def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium when apt "
                    "can; here it could not)")
    return found


def test_report_renders_its_charts_in_headless_chromium(out_dir: Path, config: Config,
                                                        tmp_path: Path) -> None:
    import matplotlib.image

    browser = _chromium()
    page = write_report(out_dir, config)
    shot = tmp_path / "report.png"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--enable-logging=stderr", "--v=0", "--window-size=1400,2400"]
    run = subprocess.run([*common, f"--screenshot={shot}", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)

    assert run.returncode == 0, run.stderr[-2000:]
    assert "CONSOLE" not in run.stderr + dom.stderr  # no console messages, errors or otherwise
    charts = re.findall(r'<div class="chart" data-chart="([^"]+)">\s*<svg', dom.stdout)
    assert len(charts) == dom.stdout.count("<svg")
    assert {"gantt"} <= set(charts)
    assert len(charts) >= 5
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1400)
    assert float(pixels[..., :3].std()) > 0.05  # not a blank page: charts and text drawn
