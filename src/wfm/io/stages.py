"""Read the files one stage writes for the next (forecast.csv, requirements.csv), so that an
analyst can edit them by hand between stages; every edit is validated on the way back in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config
from wfm.errors import DataError
from wfm.timegrid import Grid


def read_forecast(path: str | Path, config: Config, grid: Grid | None = None) -> pd.DataFrame:
    """Read and check a forecast.csv (DESIGN.md columns)."""
    numeric = [c for c in F.FORECAST_COLUMNS if c not in (F.INTERVAL_START, F.CHANNEL, F.MODEL)]
    return _read_stage(Path(path), config, grid or Grid.from_config(config),
                       F.FORECAST_COLUMNS, numeric)


def read_requirements(path: str | Path, config: Config, grid: Grid | None = None) -> pd.DataFrame:
    """Read and check a requirements.csv (DESIGN.md columns)."""
    numeric = [c for c in F.REQUIREMENTS_COLUMNS
               if c not in (F.INTERVAL_START, F.CHANNEL, F.SERVICE_LEVEL_DEFINITION)]
    df = _read_stage(Path(path), config, grid or Grid.from_config(config),
                     F.REQUIREMENTS_COLUMNS, numeric, nullable=(F.SERVICE_LEVEL, F.ASA_SECONDS,
                                                                F.ABANDON_RATE, F.OCCUPANCY),
                     # descriptive only; files written before it existed still read
                     optional=(F.SERVICE_LEVEL_DEFINITION,))
    for col in (F.AGENTS_REQUIRED, F.AGENTS_WITH_SHRINKAGE):
        frac = df[col] % 1 != 0
        if frac.any():
            raise DataError(path, f"expected whole agents, found {df.loc[frac, col].iloc[0]}",
                            rows=(np.flatnonzero(frac) + 2).tolist(), column=col)
        df[col] = df[col].astype(np.int64)
    return df


def _read_raw(path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = (),
              na_values: list[str] | None = None) -> pd.DataFrame:
    """A stage file as text cells; a missing file, unreadable CSV or missing column is a
    DataError naming the file, and absent ``optional`` columns are added empty."""
    if not path.exists():
        raise DataError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=na_values)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    for col in optional:
        if col not in raw.columns:
            raw[col] = pd.NA
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}")
    return raw


def _read_stage(path: Path, config: Config, grid: Grid, columns: tuple[str, ...],
                numeric: list[str], nullable: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> pd.DataFrame:
    raw = _read_raw(path, columns, optional, na_values=[""])
    if raw.empty:
        raise DataError(path, "no rows")
    rows = np.arange(len(raw)) + 2
    ts = pd.to_datetime(raw[F.INTERVAL_START], utc=True, errors="coerce", format="ISO8601")
    has_offset = raw[F.INTERVAL_START].str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    bad = ts.isna() | ~has_offset.fillna(False).astype(bool)
    if bad.any():
        raise DataError(path, "expected an ISO 8601 time stamp with offset, found "
                        f"{raw.loc[bad, F.INTERVAL_START].iloc[0]!r}", rows=rows[bad].tolist(),
                        column=F.INTERVAL_START)
    df = raw[list(columns)].copy()
    df[F.INTERVAL_START] = ts.dt.tz_convert(grid.timezone)
    unknown = ~df[F.CHANNEL].isin(list(config.channels))
    if unknown.any():
        raise DataError(path, f"channel '{df.loc[unknown, F.CHANNEL].iloc[0]}' is not in the "
                        f"config ({', '.join(config.channels)})", rows=rows[unknown].tolist(),
                        column=F.CHANNEL)
    df[F.CHANNEL] = df[F.CHANNEL].astype(str)
    for col in numeric:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = (values.isna() & (df[col].notna() | (col not in nullable))) | (values < 0)
        if bad.any():
            raise DataError(path, "expected a non-negative number, found "
                            f"{df.loc[bad, col].iloc[0]!r}", rows=rows[bad].tolist(), column=col)
        df[col] = values.astype(float)
    dup = df.duplicated([F.INTERVAL_START, F.CHANNEL], keep=False)
    if dup.any():
        raise DataError(path, "duplicate (interval_start, channel) rows", rows=rows[dup].tolist())
    return df.reset_index(drop=True)


def read_coverage(path: str | Path, config: Config, grid: Grid | None = None) -> pd.DataFrame:
    """Read a coverage.csv written by ``wfm schedule`` (its ``required`` is the requirement)."""
    return _read_stage(Path(path), config, grid or Grid.from_config(config),
                       F.COVERAGE_COLUMNS, ["required", "scheduled"])


def read_agent_intervals(path: str | Path, grid: Grid) -> pd.DataFrame:
    """Read an agent_intervals.csv (``agent_id, interval_start, activity``), e.g. after hand
    edits; the rules it must keep are checked by :func:`wfm.schedule.check.check_schedule`."""
    path = Path(path)
    raw = _read_raw(path, F.AGENT_INTERVAL_COLUMNS)
    ts = pd.to_datetime(raw[F.INTERVAL_START], utc=True, errors="coerce", format="ISO8601")
    has_offset = raw[F.INTERVAL_START].str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
    bad = ts.isna() | ~has_offset
    if bad.any():
        raise DataError(path, "expected an ISO 8601 time stamp with offset, found "
                        f"{raw.loc[bad, F.INTERVAL_START].iloc[0]!r}",
                        rows=(np.flatnonzero(bad) + 2).tolist(), column=F.INTERVAL_START)
    out = raw[list(F.AGENT_INTERVAL_COLUMNS)].copy()
    out[F.INTERVAL_START] = ts.dt.tz_convert(grid.timezone)
    out[F.AGENT_ID] = out[F.AGENT_ID].str.strip()
    out[F.ACTIVITY] = out[F.ACTIVITY].str.strip()
    return out


def read_shifts(path: str | Path) -> pd.DataFrame:
    """Read a schedule.csv written by ``wfm schedule`` (one row per agent and shift)."""
    path = Path(path)
    raw = _read_raw(path, F.SCHEDULE_COLUMNS)
    paid = pd.to_numeric(raw["paid_minutes"], errors="coerce")
    bad = paid.isna() | (paid < 0)
    if bad.any():
        raise DataError(path, f"expected minutes, found {raw.loc[bad, 'paid_minutes'].iloc[0]!r}",
                        rows=(np.flatnonzero(bad) + 2).tolist(), column="paid_minutes")
    out = raw[list(F.SCHEDULE_COLUMNS)].copy()
    out["paid_minutes"] = paid.astype(np.int64)
    return out
