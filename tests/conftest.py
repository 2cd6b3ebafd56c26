"""Shared fixtures: a tiny valid config and a helper that writes small CSV files."""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wfm.config import Config, config_from_dict

TINY_CONFIG: dict[str, Any] = {
    "site": {"name": "tiny", "timezone": "Europe/Berlin", "interval_minutes": 30},
    "channels": {
        "voice": {
            "kind": "voice",
            "target": {"service_level": 0.8, "answer_seconds": 20},
            "hours": {"mon-sun": "08:00-10:00"},
        },
    },
}


@pytest.fixture
def tiny_config_dict() -> dict[str, Any]:
    """A minimal valid config mapping (one voice channel, 30-min grid, Europe/Berlin, open
    08:00-10:00 every day, no holidays); a fresh copy that a test may modify."""
    return copy.deepcopy(TINY_CONFIG)


@pytest.fixture
def tiny_config(tiny_config_dict: dict[str, Any]) -> Config:
    """The validated :func:`tiny_config_dict`."""
    return config_from_dict(tiny_config_dict)


WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write ``text`` (or header + rows) to ``tmp_path / name``; gzip it if the name ends in .gz.

    ``write_csv("h.csv", "a,b\\n1,2\\n")`` or ``write_csv("h.csv", header="a,b", rows=["1,2"])``.
    """

    def write(name: str, text: str = "", *, header: str | None = None,
              rows: list[str] | tuple[str, ...] = ()) -> Path:
        if header is not None:
            text = "\n".join([header, *rows]) + "\n"
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
        return path

    return write


REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real`` (public call-center data sets); skips when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example config (configs/example.yaml) pointed at a six-week generated sample.

    The history starts on Monday 2026-02-09 and ends on Sunday 2026-03-22 (seed 1, 60 agents),
    so the two weeks forecast next include the start of DST (Sunday 2026-03-29, 92 quarter-hours)
    and Good Friday (2026-04-03, a Berlin holiday on which voice and email are closed). Returns
    the config file's path; ``history``, ``roster`` and ``time_off`` are ``data/history.csv.gz``,
    ``data/roster.csv`` and ``data/time_off.csv`` beside it. Shared by the whole session: read
    it, never write into it.
    """
    import datetime as dt

    import yaml

    from wfm.config import load_config
    from wfm.sample import generate_sample, write_sample

    root = tmp_path_factory.mktemp("sample_site")
    example = Path(__file__).parents[1] / "configs" / "example.yaml"
    sample = generate_sample(load_config(example), dt.date(2026, 2, 9), weeks=6, seed=1)
    write_sample(sample, root / "data")
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data["history"] = "data/history.csv.gz"
    data["roster"] = "data/roster.csv"
    data["time_off"] = "data/time_off.csv"
    path = root / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
