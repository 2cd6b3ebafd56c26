"""Interval exports of common ACDs, read as ``history.csv`` rows (DESIGN.md, issue 7).

A preset (:data:`PRESETS`) says which column names the queue, which give the interval start
and in which time zone, and how each history figure is summed from the report's columns (an
average counts as average x its count). One reader, :func:`read_interval_export`, serves every
preset; ``docs/acd-exports.md`` documents each one.

==============  ==========================================================================
preset          follows
==============  ==========================================================================
``genesys``     Genesys Cloud WFM *historical data import* .csv as its Resource Center
                article "Prepare the historical data import .csv file" describes it
                (2020-2024): interval starts in UTC, 15 minutes
``avaya-cms``   Avaya CMS Supervisor standard historical *Split/Skill Interval* report, with
                the field names of the CMS Supervisor reports guides (R18-R21), exported
                with one row per split/skill, date and interval; local wall time of the site
``cisco-ucce``  Cisco Unified CCE ``Call_Type_Interval`` table (Database Schema Handbook,
                releases 8.0-15, since the Interval tables replaced the Half_Hour ones),
                exported with its column names; local wall time of the central controller,
                taken to be the site's
==============  ==========================================================================

Column names are matched case- and space-insensitively (``Avg ACD Time`` = ``avgacdtime``), a
UTF-8 byte-order mark is ignored, and the delimiter (comma, semicolon or tab) is read from the
header line. Columns a preset does not read are ignored without a warning: exports carry dozens.

Policy for each problem (row numbers count the header as row 1):

==========================================  ==================================================
problem                                     policy
==========================================  ==================================================
file missing, unreadable, not CSV           error
a column the preset needs is missing        error listing the columns found
empty queue name                            error naming the rows
queue not in ``queues``                     rows dropped, one warning with row counts
no queue in ``queues``                      error listing the queues found
unparseable interval start                  error naming the rows
local time that DST makes ambiguous or      error naming the rows
non-existent
start off the export's interval boundaries  error naming the rows
interval not a divisor of the site grid     error: change ``site.interval_minutes``
count or time not a number, or negative     error naming the rows and column
empty cell (or ``NULL``)                    zero, as exports leave idle cells blank
the same queue and interval twice           error naming the rows
handled + abandoned > offered               warning naming the rows
start ``Total``, ``Totals``, ``Summary``     row skipped (a report's totals line)
==========================================  ==================================================
"""

from __future__ import annotations

import gzip
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.errors import ConfigError, DataError, WfmWarning, format_rows
from wfm.timegrid import Grid

__all__ = ["PRESETS", "AcdPreset", "Col", "Term", "read_interval_export"]

GRID_MINUTES = (15, 30, 60)  # the interval lengths site.interval_minutes allows
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
_RANGE = re.compile(r"^(?P<start>.+?)\s*-\s*(?P<end>\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")  # [h:]mm:ss
_TOTAL_LABELS = frozenset({"total", "totals", "summary"})
_DATES = ("%m/%d/%y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d")  # US first, as CMS and UCCE print them
_TIMES = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p")
_NAIVE_FORMATS = ("ISO8601", *(f"{d} {t}" for d in _DATES for t in _TIMES))
_HANDLE = "handle_seconds"  # total handle time of the handled contacts, summed before the AHT


@dataclass(frozen=True)
class Col:
    """One column of an export: its name as the vendor documents it, and other spellings."""

    name: str
    aliases: tuple[str, ...] = ()
    seconds: bool = False  # a duration: seconds, or ``[h:]mm:ss``


@dataclass(frozen=True)
class Term:
    """One addend of a history figure: ``column``, or ``column x times`` for an average."""

    column: Col
    times: Col | None = None
    optional: bool = False  # left out when the file lacks the column


@dataclass(frozen=True)
class AcdPreset:
    """How one vendor's interval export maps onto ``history.csv``.

    Every figure is a sum of :class:`Term` s over the report's columns. ``offered``, ``handled``,
    ``abandoned`` and ``handle_seconds`` need their (non-optional) columns; an empty tuple means
    the format lacks the figure, which then reads as NaN. ``wait_seconds`` (the total time the
    interval's contacts waited, answered or abandoned) is read only when all its columns are
    present. The interval length is ``interval_minutes`` if the format fixes it, else the
    ``length`` column, else the end of a ``start`` time range (``08:00-08:15``), else the
    spacing of the interval starts in the file.
    """

    name: str
    follows: str
    queue: Col
    start: tuple[Col, ...]  # joined by a space, e.g. Date + Time
    timezone: Literal["UTC", "site"]  # "site": local wall time in the site's time zone
    offered: tuple[Term, ...]
    handled: tuple[Term, ...]
    abandoned: tuple[Term, ...] = ()
    handle_seconds: tuple[Term, ...] = ()
    wait_seconds: tuple[Term, ...] = ()
    interval_minutes: int | None = None
    length: Col | None = None  # interval length in minutes, per row
    time_range: bool = False  # the last start column may read ``08:00-08:15``
    qualifier: Col | None = None  # splits a queue, e.g. by media type: key ``"Queue|Voice"``
    distinct: tuple[Col, ...] = ()  # optional columns that tell a queue's rows apart

    def figures(self) -> dict[str, tuple[Term, ...]]:
        """History figure -> its terms."""
        return {F.OFFERED: self.offered, F.HANDLED: self.handled, F.ABANDONED: self.abandoned,
                _HANDLE: self.handle_seconds, F.WAIT_SECONDS: self.wait_seconds}

    def required(self) -> tuple[Col, ...]:
        """Columns without which the export cannot be read."""
        cols = [self.queue, *self.start]
        for name, terms in self.figures().items():
            if name != F.WAIT_SECONDS:
                cols += [c for t in terms if not t.optional for c in (t.column, t.times) if c]
        return tuple(dict.fromkeys(cols))


_G_OFFERED = Col("Offered")
_G_HANDLED = Col("Interactions Handled", ("Handled",))
_G_HANDLE = Col("Total Handle Time (Seconds)", ("Total Handle Time",), seconds=True)
_A_ACD = Col("ACD Calls")
_A_ABAN = Col("Aban Calls", ("Abandoned Calls",))
_C_ABAND_TO_AGENT = Col("RouterCallsAbandToAgent")

PRESETS: dict[str, AcdPreset] = {
    "genesys": AcdPreset(
        name="genesys",
        follows="Genesys Cloud WFM historical data import .csv",
        queue=Col("Queue", ("Queue Name",)),
        start=(Col("Interval Start UTC Date", ("Interval Start UTC", "Interval Start")),),
        timezone="UTC",
        interval_minutes=15,
        qualifier=Col("Media Type"),
        distinct=(Col("Skill Set"), Col("Language")),
        offered=(Term(_G_OFFERED),),
        handled=(Term(_G_HANDLED),),
        handle_seconds=(Term(_G_HANDLE),),
    ),
    "avaya-cms": AcdPreset(
        name="avaya-cms",
        follows="Avaya CMS Supervisor historical Split/Skill Interval report",
        queue=Col("Split/Skill", ("Split/Skill Name", "Skill", "Split")),
        start=(Col("Date", ("Row Date",)), Col("Time", ("Interval", "Start Time"))),
        timezone="site",
        time_range=True,
        offered=(Term(_A_ACD), Term(_A_ABAN)),
        handled=(Term(_A_ACD),),
        abandoned=(Term(_A_ABAN),),
        handle_seconds=(Term(Col("Avg ACD Time", seconds=True), times=_A_ACD),
                        Term(Col("Avg ACW Time", seconds=True), times=_A_ACD)),
        wait_seconds=(Term(Col("Avg Speed Ans", ("ASA",), seconds=True), times=_A_ACD),
                      Term(Col("Avg Aban Time", seconds=True), times=_A_ABAN)),
    ),
    "cisco-ucce": AcdPreset(
        name="cisco-ucce",
        follows="Cisco Unified CCE Call_Type_Interval table",
        queue=Col("CallTypeID", ("EnterpriseName",)),
        start=(Col("DateTime"),),
        timezone="site",
        length=Col("ReportingInterval", ("IntervalLength",)),
        offered=(Term(Col("CallsOffered")),),
        handled=(Term(Col("CallsHandled")),),
        abandoned=(Term(Col("RouterCallsAbandQ")), Term(_C_ABAND_TO_AGENT, optional=True)),
        handle_seconds=(Term(Col("HandleTime", seconds=True)),),
        wait_seconds=(Term(Col("AnswerWaitTime", seconds=True)),
                      Term(Col("DelayQAbandTime", seconds=True)),
                      Term(Col("DelayAgentAbandTime", seconds=True), optional=True)),
    ),
}


def read_interval_export(
    path: str | Path, preset: str | AcdPreset, queues: Mapping[str, str], grid: Grid
) -> pd.DataFrame:
    """Read an ACD interval export (plain or ``.gz`` CSV) as history rows on the site's grid.

    Parameters
    ----------
    path
        The export file.
    preset
        A name in :data:`PRESETS` (``genesys``, ``avaya-cms``, ``cisco-ucce``) or a preset.
    queues
        The export's queue (split/skill, call type) name -> wfm channel. With a qualifier column
        (Genesys ``Media Type``) a key may also be ``"Queue|Voice"``, which wins over ``"Queue"``.
        Several queues may map to one channel: their counts and times are summed.
    grid
        The site's grid; intervals shorter than ``grid.interval_minutes`` are summed up to it.

    Returns
    -------
    DataFrame
        Exactly ``wfm.frames.HISTORY_COLUMNS``, one row per channel and interval in the file,
        sorted by channel and time: ``interval_start`` tz-aware in ``grid.timezone``, ``channel``,
        ``offered``, ``handled``, ``abandoned`` (NaN where the format has no such figure),
        ``aht_seconds`` (total handle time / handled, NaN without handled contacts) and
        ``wait_seconds`` (total seconds waited, NaN where the format has no waiting time).

    Raises
    ------
    DataError
        Naming the file, rows and column, for every problem the module docstring calls an error.
    ConfigError
        For an unknown preset name.

    Warns
    -----
    WfmWarning
        Rows of queues not in ``queues`` (dropped), and rows with handled + abandoned > offered.
    """
    path = Path(path)
    spec = _preset(preset)
    raw = _read_export(path)
    cols = _resolve(raw, spec, path)
    row_no = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    keep = raw.notna().any(axis=1)
    for col in spec.start:
        keep &= ~_text(raw[cols[col]]).str.casefold().isin(_TOTAL_LABELS).to_numpy()
    raw, row_no = raw[keep], row_no[keep]
    if raw.empty:
        raise DataError(path, "no data rows below the header")

    channel, queue = _channels(raw, spec, cols, queues, path, row_no)
    mapped = channel.notna().to_numpy()
    raw, row_no, channel, queue = raw[mapped], row_no[mapped], channel[mapped], queue[mapped]

    start, range_minutes = _parse_starts(raw, spec, cols, grid, path, row_no)
    values = _parse_values(raw, spec, cols, path, row_no)
    rows = pd.DataFrame({F.INTERVAL_START: start, F.CHANNEL: channel.astype(str)})
    for name, terms in spec.figures().items():
        rows[name] = _sum_terms(terms, values, cols, len(raw), optional=name == F.WAIT_SECONDS)
    _check_duplicates(raw, spec, cols, queue, start, path, row_no)
    _warn_over(rows, path, row_no)

    lengths = _lengths(raw, spec, cols, start, range_minutes, grid, path, row_no)
    rows[F.INTERVAL_START] = _floor(start, lengths, grid, path, row_no, _start_label(spec, cols))
    totals = [F.OFFERED, F.HANDLED, F.ABANDONED, _HANDLE, F.WAIT_SECONDS]
    out = (rows.groupby([F.CHANNEL, F.INTERVAL_START], sort=True)[totals]
           .sum(min_count=1).reset_index())
    handled = out[F.HANDLED].where(out[F.HANDLED] > 0)
    out[F.AHT_SECONDS] = out[_HANDLE] / handled
    out[F.CHANNEL] = out[F.CHANNEL].astype(object)
    return out[list(F.HISTORY_COLUMNS)]


# --- reading and columns ------------------------------------------------------------------------

def _preset(preset: str | AcdPreset) -> AcdPreset:
    if isinstance(preset, AcdPreset):
        return preset
    if preset not in PRESETS:
        raise ConfigError("format", f"unknown ACD export format {preset!r}; expected one of "
                          f"{', '.join(PRESETS)}")
    return PRESETS[preset]


def _read_export(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(path, "file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            header = fh.readline()
        sep = max((",", ";", "\t"), key=header.count)
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                          na_values=["", "NULL"], skip_blank_lines=False,
                          skipinitialspace=True, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise DataError(path, "the file is empty (expected a header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(path, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def _find(found: dict[str, str], col: Col) -> str | None:
    for name in (col.name, *col.aliases):
        if _norm(name) in found:
            return found[_norm(name)]
    return None


def _resolve(raw: pd.DataFrame, spec: AcdPreset, path: Path) -> dict[Col, str]:
    """Each preset column that the file has -> its header as the file spells it."""
    found: dict[str, str] = {}
    for header in raw.columns:
        found.setdefault(_norm(header), header)
    every = [*spec.required(), spec.qualifier, *spec.distinct, spec.length,
             *(c for terms in spec.figures().values() for t in terms for c in (t.column, t.times))]
    cols = {c: h for c in every if c is not None and (h := _find(found, c)) is not None}
    missing = [c.name for c in spec.required() if c not in cols]
    if missing:
        raise DataError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for the "
            f"{spec.name} format ({spec.follows}); found: {', '.join(raw.columns)}",
        )
    return cols


def _text(col: pd.Series) -> pd.Series:
    return col.astype("string").str.strip()


# --- queues -> channels -------------------------------------------------------------------------

def _channels(
    raw: pd.DataFrame, spec: AcdPreset, cols: dict[Col, str], queues: Mapping[str, str],
    path: Path, row_no: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """The channel of each row (NA where unmapped) and its queue name."""
    queue = _text(raw[cols[spec.queue]])
    blank = queue.fillna("").eq("").to_numpy()
    if blank.any():
        raise DataError(path, "missing queue name", rows=row_no[blank].tolist(),
                        column=cols[spec.queue])
    plain = {str(k).strip(): str(v) for k, v in queues.items()}
    split: dict[tuple[str, str], str] = {}
    for key, value in plain.items():
        q, sep, qual = key.rpartition("|")
        if sep and spec.qualifier is not None:
            split[q.strip(), qual.strip().casefold()] = value
    qualifier = cols.get(spec.qualifier) if spec.qualifier is not None else None
    qual_col = (_text(raw[qualifier]).fillna("").str.casefold() if qualifier is not None
                else pd.Series("", index=raw.index))
    pairs = list(zip(queue.tolist(), qual_col.tolist(), strict=True))
    by_pair = {p: split.get(p) for p in set(pairs)}
    channel = pd.Series([by_pair[p] or plain.get(p[0]) for p in pairs], index=raw.index,
                        dtype="string")
    if qualifier is not None:
        via_plain = pd.Series([by_pair[p] is None for p in pairs], index=raw.index)
        kinds = qual_col[via_plain & channel.notna()].groupby(queue).nunique()
        mixed = kinds[kinds > 1]
        if len(mixed):
            name = str(mixed.index[0])
            media = sorted(set(raw.loc[(queue == name).to_numpy(), qualifier].dropna()))
            raise DataError(
                path,
                f"queue {name!r} has rows of several kinds ({', '.join(media)}) mapped to one "
                f"channel; map them apart, e.g. '{name}|{media[0]}'",
                rows=row_no[(queue == name).to_numpy()].tolist(), column=cols[spec.queue],
            )
    if not channel.notna().any():
        found = ", ".join(repr(str(q)) for q in queue.unique())
        raise DataError(path, f"no queue in the file is mapped to a channel (acd.queues); found "
                        f"{found}")
    label = queue
    if qualifier is not None:  # a queue partly mapped: name the kind that is not
        partly = queue.isin(set(queue[channel.notna()])) & channel.isna()
        label = label.where(~partly, queue + "|" + _text(raw[qualifier]).fillna(""))
    unmapped = label[channel.isna()].value_counts(sort=False)
    if len(unmapped):
        shown = ", ".join(f"{str(q)!r} ({n} rows)" for q, n in unmapped.items())
        warnings.warn(f"{path}: dropped rows of queues not mapped to a channel (acd.queues): "
                      f"{shown}", WfmWarning, stacklevel=3)
    return channel, queue


# --- time stamps --------------------------------------------------------------------------------

def _start_label(spec: AcdPreset, cols: dict[Col, str]) -> str:
    return " + ".join(cols[c] for c in spec.start)


def _parse_naive(text: pd.Series) -> pd.Series:
    """Wall-clock times in any of the formats ACD exports print; NaT where none fits."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in _NAIVE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out[todo] = parsed.astype("datetime64[ns]")
    return out


def _parse_starts(
    raw: pd.DataFrame, spec: AcdPreset, cols: dict[Col, str], grid: Grid, path: Path,
    row_no: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Interval starts (tz-aware, site zone) and, from ``08:00-08:15`` ranges, the minutes."""
    label = _start_label(spec, cols)
    parts = [_text(raw[cols[c]]) for c in spec.start]
    minutes = pd.Series(np.nan, index=raw.index)
    if spec.time_range:
        match = parts[-1].str.extract(_RANGE)
        ranged = match["start"].notna()
        if ranged.any():
            parts[-1] = parts[-1].where(~ranged, match["start"])
            begin = _parse_naive("2000-01-01 " + match["start"][ranged])
            end = _parse_naive("2000-01-01 " + match["end"][ranged])
            minutes[ranged] = ((end - begin).dt.total_seconds() / 60) % 1440
    text = parts[0]
    for part in parts[1:]:
        text = text + " " + part
    empty = text.isna().to_numpy()
    if empty.any():
        raise DataError(path, "empty interval start", rows=row_no[empty].tolist(), column=label)
    out = pd.Series(pd.NaT, index=raw.index, dtype=f"datetime64[ns, {grid.timezone}]")
    has_offset = text.str.contains(_OFFSET).astype(bool)
    if has_offset.any():
        parsed = pd.to_datetime(text[has_offset], utc=True, errors="coerce", format="ISO8601")
        out[has_offset] = parsed.dt.tz_convert(grid.timezone).astype(out.dtype)
    naive = ~has_offset
    if naive.any():
        wall = _parse_naive(text[naive])
        if spec.timezone == "UTC":
            out[naive] = wall.dt.tz_localize("UTC").dt.tz_convert(grid.timezone)
        else:
            local = wall.dt.tz_localize(grid.timezone, ambiguous="NaT", nonexistent="NaT")
            dst = (wall.notna() & local.isna()).to_numpy()
            if dst.any():
                raise DataError(
                    path,
                    f"local time {text[naive][dst].iloc[0]!r} is ambiguous or does not exist on "
                    f"a DST change day in {grid.timezone}; the {spec.name} export has no UTC "
                    "offset to tell it apart, so correct or remove these rows",
                    rows=row_no[naive][dst].tolist(), column=label,
                )
            out[naive] = local
    bad = out.isna().to_numpy()
    if bad.any():
        raise DataError(
            path,
            f"cannot read interval start {text[bad].iloc[0]!r} (expected e.g. "
            "2026-06-01 08:00, 06/01/2026 8:00 AM or 2026-06-01T06:00:00Z)",
            rows=row_no[bad].tolist(), column=label,
        )
    return out, minutes


# --- numbers ------------------------------------------------------------------------------------

def _number(text: pd.Series, seconds: bool) -> pd.Series:
    values = pd.to_numeric(text, errors="coerce").astype(float)
    if seconds:
        clock = text.str.extract(_CLOCK).astype(float)
        hms = clock[0].fillna(0.0) * 3600 + clock[1] * 60 + clock[2]
        values = values.fillna(hms)
    return values


def _parse_values(
    raw: pd.DataFrame, spec: AcdPreset, cols: dict[Col, str], path: Path, row_no: pd.Series
) -> dict[Col, pd.Series]:
    numeric = {c for terms in spec.figures().values() for t in terms
               for c in (t.column, t.times) if c is not None and c in cols}
    out: dict[Col, pd.Series] = {}
    for col in sorted(numeric, key=lambda c: list(raw.columns).index(cols[c])):
        text = _text(raw[cols[col]])
        values = _number(text, col.seconds)
        bad = ((values.isna() & text.notna()) | (values < 0)).to_numpy()
        if bad.any():
            unit = "a duration (seconds or [h:]mm:ss)" if col.seconds else "a count"
            raise DataError(path, f"expected {unit} that is not negative, found "
                            f"{text[bad].iloc[0]!r}", rows=row_no[bad].tolist(), column=cols[col])
        out[col] = values.fillna(0.0)
    return out


def _sum_terms(
    terms: tuple[Term, ...], values: dict[Col, pd.Series], cols: dict[Col, str], n: int,
    *, optional: bool,
) -> np.ndarray:
    present = [t for t in terms if t.column in cols and (t.times is None or t.times in cols)]
    if not terms or (optional and any(t not in present for t in terms if not t.optional)):
        return np.full(n, np.nan)
    total = np.zeros(n)
    for t in present:
        part = values[t.column].to_numpy()
        total += part * values[t.times].to_numpy() if t.times is not None else part
    return total


def _check_duplicates(
    raw: pd.DataFrame, spec: AcdPreset, cols: dict[Col, str], queue: pd.Series, start: pd.Series,
    path: Path, row_no: pd.Series,
) -> None:
    keys = pd.DataFrame({"queue": queue, "start": start})
    for col in (spec.qualifier, *spec.distinct):
        if col is not None and col in cols:
            keys[cols[col]] = _text(raw[cols[col]]).fillna("")
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        first = keys[dup].iloc[0]
        same = (keys == first).all(axis=1).to_numpy()
        raise DataError(path, f"queue {str(first['queue'])!r} has more than one row for the "
                        f"interval starting {first['start'].isoformat()}; an export has one row "
                        "per queue and interval (were two exports joined?)",
                        rows=row_no[same].tolist())


def _warn_over(rows: pd.DataFrame, path: Path, row_no: pd.Series) -> None:
    done = rows[F.HANDLED] + rows[F.ABANDONED].fillna(0.0)
    over = (done > rows[F.OFFERED] + 1e-9).to_numpy()
    if over.any():
        warnings.warn(
            f"{path}: {int(over.sum())} rows have handled + abandoned > offered "
            f"(rows {format_rows(row_no[over].tolist())})", WfmWarning, stacklevel=3,
        )


# --- interval length and the site grid ----------------------------------------------------------

def _lengths(
    raw: pd.DataFrame, spec: AcdPreset, cols: dict[Col, str], start: pd.Series,
    range_minutes: pd.Series, grid: Grid, path: Path, row_no: pd.Series,
) -> pd.Series:
    """The export's interval length of each row, in minutes, checked against the site grid."""
    column: str | None = None
    if spec.interval_minutes is not None:
        lengths = pd.Series(float(spec.interval_minutes), index=raw.index)
    elif spec.length is not None and spec.length in cols:
        column = cols[spec.length]
        text = _text(raw[column])
        lengths = pd.to_numeric(text, errors="coerce").astype(float)
        bad = ~(lengths > 0).to_numpy()
        if bad.any():
            raise DataError(path, f"expected the interval length in minutes, found "
                            f"{text[bad].iloc[0]!r}", rows=row_no[bad].tolist(), column=column)
    else:
        lengths = range_minutes.copy()
        if lengths.isna().any():
            lengths = lengths.fillna(_spacing(start, path, _start_label(spec, cols)))
    whole = ((lengths == lengths.round()) & (lengths > 0)).to_numpy()
    fits = whole & (grid.interval_minutes % lengths.where(whole, 1) == 0).to_numpy()
    if not fits.all():
        length = float(lengths[~fits].iloc[0])
        allowed = [m for m in GRID_MINUTES if length >= 1 and m % length == 0]
        hint = (f"set site.interval_minutes to {' or '.join(map(str, allowed))}" if allowed
                else "this export cannot be put on any site grid (15, 30 or 60 minutes)")
        raise DataError(
            path,
            f"the export's {length:g}-minute intervals do not add up to the site's "
            f"{grid.interval_minutes}-minute grid (site.interval_minutes); {hint}",
            rows=row_no[~fits].tolist(), column=column,
        )
    return lengths


def _spacing(start: pd.Series, path: Path, label: str) -> float:
    """The export's interval from the spacing of its starts: the largest common divisor."""
    since = (start - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(minutes=1)
    minutes = np.unique(since.to_numpy(dtype="int64"))
    if len(minutes) < 2:
        raise DataError(path, "cannot tell the interval length from a single interval start; "
                        "export at least two intervals", column=label)
    return float(math.gcd(*np.diff(minutes).tolist()))


def _floor(
    start: pd.Series, lengths: pd.Series, grid: Grid, path: Path, row_no: pd.Series, label: str
) -> pd.Series:
    """Each start, checked to lie on its own interval boundary, moved to its grid interval."""
    index = pd.DatetimeIndex(start)
    minute = grid.minute_of_day(index)
    off = (minute % lengths.to_numpy() != 0) | (index.second != 0) | (index.microsecond != 0)
    if off.any():
        first = start[off].iloc[0]
        raise DataError(
            path,
            f"interval start {first.isoformat()} is not on the export's "
            f"{lengths[off].iloc[0]:g}-minute boundaries",
            rows=row_no[off].tolist(), column=label,
        )
    return grid.floor(start)
