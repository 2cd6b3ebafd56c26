"""Read and validate ``history.csv``: one row per channel and interval (DESIGN.md).

Policy for each problem (row numbers count the header as row 1, as a spreadsheet shows them):

==========================================  ==================================================
problem                                     policy
==========================================  ==================================================
file missing, unreadable, not CSV           error
a required column missing                   error (``interval_start, channel, offered``)
extra columns                               ignored, with a warning
unparseable or missing time stamp           error naming the rows
missing channel name                        error naming the rows
time stamp without UTC offset               read as site-local wall time; a time that DST
                                            makes ambiguous or non-existent is an error
time stamp not on the interval grid         error naming the rows
count, AHT or wait not a number, or         error naming the rows and column
negative
channel not in the config                   rows dropped, with a warning
identical duplicate rows                    one kept, with a warning
conflicting duplicates (same interval and   error naming the rows
channel, different numbers)
empty ``offered`` cell                      the interval counts as missing (see below)
interval missing inside opening hours       a gap: kept as missing (NaN), listed in the
                                            report, with a warning; forecasting skips it
interval missing outside opening hours      zero contacts
handled + abandoned > offered               warning
==========================================  ==================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config
from wfm.errors import DataError, WfmWarning, format_rows
from wfm.timegrid import Grid

_TOTALS = (F.OFFERED, F.HANDLED, F.ABANDONED, F.WAIT_SECONDS)  # zero where closed and missing
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"


@dataclass(frozen=True)
class DataReport:
    """What reading a history file found and repaired."""

    path: Path
    rows: int
    first_interval: pd.Timestamp | None
    last_interval: pd.Timestamp | None
    channels: tuple[str, ...]
    duplicates_dropped: int = 0
    unknown_channels: dict[str, int] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def gap_count(self) -> int:
        """Number of (channel, interval) gaps inside opening hours."""
        return len(self.gaps)


def read_history(path: str | Path, config: Config, grid: Grid | None = None) -> tuple[
    pd.DataFrame, DataReport
]:
    """Read ``history.csv`` (plain or ``.gz``), validate it and put it on the site's grid.

    Returns
    -------
    history : DataFrame
        Columns ``interval_start, channel, offered, handled, abandoned, aht_seconds,
        wait_seconds`` (the optional ones NaN when the file lacks them; ``wait_seconds`` is the
        total time the interval's contacts waited, answered or abandoned); one row per
        configured channel and grid interval from the first to the last day in the file. Gaps
        inside opening hours are NaN; closed intervals without rows are zero.
    report : DataReport
        Counts of what was dropped, repaired or missing.

    Raises
    ------
    DataError
        Naming the file, rows and column, for every problem the module docstring calls an error.
    """
    path = Path(path)
    grid = grid or Grid.from_config(config)
    raw = _read_csv(path)
    missing = [c for c in F.HISTORY_REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(raw.columns)}); expected {', '.join(F.HISTORY_COLUMNS)}",
        )
    extra = tuple(c for c in raw.columns if c not in F.HISTORY_COLUMNS)
    if extra:
        warnings.warn(f"{path}: ignored column(s) {', '.join(extra)}", WfmWarning, stacklevel=2)
    row_no = pd.Series(np.arange(len(raw)) + 2, index=raw.index)

    df = pd.DataFrame({F.CHANNEL: raw[F.CHANNEL].astype("string").str.strip()})
    blank = df[F.CHANNEL].fillna("").eq("").to_numpy()
    if blank.any():
        raise DataError(path, "missing channel name", rows=row_no[blank].tolist(),
                        column=F.CHANNEL)
    df[F.INTERVAL_START] = _parse_times(raw[F.INTERVAL_START], grid, path, row_no)
    for col in (*_TOTALS, F.AHT_SECONDS):
        if col in raw.columns:
            df[col] = _parse_numbers(raw[col], col, path, row_no)
        else:
            df[col] = np.nan

    unknown = df.loc[~df[F.CHANNEL].isin(list(config.channels)), F.CHANNEL]
    unknown_counts = {str(k): int(v) for k, v in unknown.value_counts().items()}
    if unknown_counts:
        shown = ", ".join(f"'{k}' ({v} rows)" for k, v in unknown_counts.items())
        warnings.warn(
            f"{path}: dropped rows of channels not in the config: {shown}", WfmWarning,
            stacklevel=2,
        )
        keep = df[F.CHANNEL].isin(list(config.channels))
        df, row_no = df[keep], row_no[keep]
    if df.empty:
        raise DataError(path, f"no rows for the configured channels ({', '.join(config.channels)})")

    first, last = df[F.INTERVAL_START].min(), df[F.INTERVAL_START].max()
    missing_offered = df[F.OFFERED].isna()
    if missing_offered.all():
        raise DataError(path, "every 'offered' cell is empty", column=F.OFFERED)
    grid_index = grid.intervals_between(first, last)
    off_grid = ~df[F.INTERVAL_START].isin(grid_index)
    if off_grid.any():
        example = df.loc[off_grid, F.INTERVAL_START].iloc[0].isoformat()
        raise DataError(
            path,
            f"time stamp {example} is not on the {grid.interval_minutes}-minute grid "
            f"(site.interval_minutes); aggregate the data to the grid first",
            rows=row_no[off_grid].tolist(), column=F.INTERVAL_START,
        )

    grid_index = grid_index[(grid_index >= first) & (grid_index <= last)]
    df, row_no = df[~missing_offered], row_no[~missing_offered]
    df, dropped = _drop_duplicates(df, row_no, path)
    over = (df[F.HANDLED].fillna(0) + df[F.ABANDONED].fillna(0)) > df[F.OFFERED] + 1e-9
    if over.any():
        warnings.warn(
            f"{path}: {int(over.sum())} rows have handled + abandoned > offered "
            f"(rows {format_rows(row_no[over.index[over]].tolist())})", WfmWarning, stacklevel=2,
        )

    history, gaps = _on_grid(df, grid_index, config, grid)
    if len(gaps):
        by_channel = gaps.groupby(F.CHANNEL).size()
        shown = ", ".join(f"{ch}: {n}" for ch, n in by_channel.items())
        warnings.warn(
            f"{path}: {len(gaps)} intervals missing inside opening hours ({shown}); "
            "treated as gaps, not zeros", WfmWarning, stacklevel=2,
        )
    report = DataReport(
        path=path,
        rows=len(raw),
        first_interval=history[F.INTERVAL_START].min(),
        last_interval=history[F.INTERVAL_START].max(),
        channels=tuple(c for c in config.channels if c in set(df[F.CHANNEL])),
        duplicates_dropped=dropped,
        unknown_channels=unknown_counts,
        ignored_columns=extra,
        gaps=gaps,
    )
    return history, report


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(path, "file not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                          skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(path, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    except pd.errors.EmptyDataError:
        raise DataError(path, "the file is empty (expected a header row)") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _parse_times(col: pd.Series, grid: Grid, path: Path, row_no: pd.Series) -> pd.Series:
    text = col.astype("string").str.strip()
    has_offset = text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=col.index, dtype=f"datetime64[ns, {grid.timezone}]")
    if has_offset.any():
        parsed = pd.to_datetime(text[has_offset], utc=True, errors="coerce", format="ISO8601")
        out[has_offset] = parsed.dt.tz_convert(grid.timezone)
    naive = ~has_offset & text.notna()
    if naive.any():
        parsed = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        local = parsed.dt.tz_localize(grid.timezone, ambiguous="NaT", nonexistent="NaT")
        dst = parsed.notna() & local.isna()
        if dst.any():
            raise DataError(
                path,
                "local time without UTC offset is ambiguous or does not exist on a DST change "
                f"day ({text[dst].iloc[0]}); write time stamps with their offset",
                rows=row_no[dst[dst].index].tolist(), column=F.INTERVAL_START,
            )
        out[naive] = local
    empty = text.isna() | text.eq("")
    if empty.any():
        raise DataError(path, "empty time stamp", rows=row_no[empty.to_numpy()].tolist(),
                        column=F.INTERVAL_START)
    bad = out.isna()
    if bad.any():
        first = text[bad].iloc[0]
        raise DataError(
            path,
            f"cannot read time stamp {first!r} (expected ISO 8601 with offset, e.g. "
            "2026-12-07T08:00:00+01:00)",
            rows=row_no[bad].tolist(), column=F.INTERVAL_START,
        )
    return out


def _parse_numbers(col: pd.Series, name: str, path: Path, row_no: pd.Series) -> pd.Series:
    values = pd.to_numeric(col, errors="coerce")
    bad = (values.isna() & col.notna()) | (values < 0)
    if bad.any():
        raise DataError(
            path,
            f"expected a non-negative number, found {col[bad].iloc[0]!r}",
            rows=row_no[bad].tolist(), column=name,
        )
    return values.astype(float)


def _drop_duplicates(df: pd.DataFrame, row_no: pd.Series, path: Path) -> tuple[
    pd.DataFrame, int
]:
    key = [F.INTERVAL_START, F.CHANNEL]
    dup = df.duplicated(key, keep=False)
    if not dup.any():
        return df, 0
    same = df.duplicated(keep="first")
    dups = df[dup]
    distinct = dups.drop_duplicates()
    conflict = distinct.duplicated(key, keep=False)
    if conflict.any():
        first = distinct[conflict].iloc[0]
        clash = dups[(dups[F.INTERVAL_START] == first[F.INTERVAL_START])
                     & (dups[F.CHANNEL] == first[F.CHANNEL])]
        raise DataError(
            path,
            f"conflicting duplicate rows for channel '{first[F.CHANNEL]}' at "
            f"{first[F.INTERVAL_START].isoformat()}; keep one row per channel and interval",
            rows=row_no[clash.index].tolist(),
        )
    n = int(same.sum())
    warnings.warn(
        f"{path}: dropped {n} duplicate rows (rows {format_rows(row_no[same].tolist())})",
        WfmWarning, stacklevel=3,
    )
    return df[~same], n


def _on_grid(
    df: pd.DataFrame, grid_index: pd.DatetimeIndex, config: Config, grid: Grid
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reindex every channel onto the full grid: closed -> 0, open and missing -> NaN (gap)."""
    parts, gaps = [], []
    for name in config.channels:
        sub = df[df[F.CHANNEL] == name].set_index(F.INTERVAL_START)
        if sub.empty:
            continue
        full = sub.reindex(grid_index)
        missing = full[F.OFFERED].isna().to_numpy()
        is_open = grid.open_mask(config.channels[name].hours, grid_index)
        closed_missing = missing & ~is_open
        for col in _TOTALS:
            full.loc[closed_missing, col] = 0.0
        full[F.CHANNEL] = name
        gap_idx = grid_index[missing & is_open]
        if len(gap_idx):
            gaps.append(pd.DataFrame({F.CHANNEL: name, F.INTERVAL_START: gap_idx}))
        parts.append(full.reset_index())
    history = pd.concat(parts, ignore_index=True)[list(F.HISTORY_COLUMNS)]
    history[F.CHANNEL] = history[F.CHANNEL].astype(str)
    empty_times = pd.Series(dtype=f"datetime64[ns, {grid.timezone}]")
    gap_frame = (pd.concat(gaps, ignore_index=True) if gaps
                 else pd.DataFrame({F.CHANNEL: pd.Series(dtype=str),
                                    F.INTERVAL_START: empty_times}))
    return history, gap_frame
