"""Read a call-level ACD log: one record per contact, mapped by ``acd.calls`` in the config.

:func:`read_calls` gives the contacts offered to a queue as call records
(``wfm.frames.CALL_COLUMNS``); :func:`import_calls` turns a log into ``history.csv``. The file
(plain or ``.gz``) is read in chunks, so a year of calls (a few hundred thousand rows) needs
little memory; :func:`import_calls` keeps only per-interval sums.

Policy for each problem (row numbers count the header as row 1):

==========================================  ==================================================
problem                                     policy
==========================================  ==================================================
file missing, unreadable, not CSV           error
a mapped column missing                     error naming the column and those found
outcome not in ``acd.calls.outcomes``       bad row ("unknown outcome")
outcome mapped to ``ignore``                dropped, counted per value (e.g. PHANTOM)
queue not in ``acd.queues``                 dropped, counted per queue, with a warning
abandoned before the queue (empty           not offered: counted, not a bad row
``queue_start``)
unparseable date, time or duration          bad row
local time skipped or repeated by a DST     bad row (write time stamps with their UTC offset)
change
negative duration, end before start         bad row
answered with no or zero handle time        answered, but left out of AHT (failed connects)
==========================================  ==================================================

Bad rows are skipped and reported by reason with the first row numbers; if they are more than
``acd.calls.max_bad_share`` of the rows (default 1 %), the mapping is probably wrong and
reading fails with that report instead.

Times of day: with ``columns.date`` the arrival (and ``entered``) are times of day ``H:MM:SS``
on that date; an arrival earlier than ``entered`` is past midnight, on the next day. Durations
from a start and an end time of day that run past midnight get a day added. In
:func:`import_calls`, every interval of a day that has at least one record in the log (any
queue, any outcome) is complete: intervals without calls are zeros. Days without any record are
missing, and ``read_history`` reports them as gaps.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import CallLog, Config
from wfm.errors import ConfigError, DataError, WfmWarning, format_rows
from wfm.timegrid import Grid

__all__ = ["CallReport", "import_calls", "iter_calls", "read_calls"]

CHUNK_ROWS = 100_000
_SAMPLE_ROWS = 5  # row numbers kept per bad-row reason
_DAY_SECONDS = 86_400.0


@dataclass
class CallReport:
    """What reading a call log found: counts per reason, with sample row numbers."""

    path: Path
    rows: int = 0
    offered: int = 0
    before_queue: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    unmapped_queues: Counter[str] = field(default_factory=Counter)
    bad: Counter[str] = field(default_factory=Counter)
    bad_rows: dict[str, list[int]] = field(default_factory=dict)
    days: set[dt.date] = field(default_factory=set)

    @property
    def bad_total(self) -> int:
        """Rows skipped as bad, all reasons."""
        return sum(self.bad.values())

    def describe_bad(self) -> str:
        """``reason: count (rows …)`` per reason, most frequent first."""
        return "; ".join(f"{reason}: {count} (rows {format_rows(self.bad_rows[reason])})"
                         for reason, count in self.bad.most_common())

    def _flag(self, reason: str, rows: np.ndarray) -> None:
        if rows.size:
            self.bad[reason] += int(rows.size)
            kept = self.bad_rows.setdefault(reason, [])
            kept.extend(int(r) for r in rows[: max(_SAMPLE_ROWS - len(kept), 0)])


def _mapping(config: Config) -> CallLog:
    if config.acd.calls is None:
        raise ConfigError("acd.calls", "not set; add the call log's column mapping to the "
                          "config (see configs/anonymous-bank.yaml)")
    return config.acd.calls


def _queues(config: Config) -> dict[str, str]:
    """Queue name -> channel; without ``acd.queues`` every channel is its own queue."""
    return dict(config.acd.queues) or {name: name for name in config.channels}


def _chunks(path: Path, log: CallLog) -> Iterator[pd.DataFrame]:
    wanted = [c for c in log.columns.model_dump().values() if c is not None]
    try:
        reader = pd.read_csv(path, sep=log.delimiter, dtype=str, keep_default_na=False,
                             chunksize=CHUNK_ROWS, skipinitialspace=True)
        for chunk in reader:
            missing = [c for c in wanted if c not in chunk.columns]
            if missing:
                raise DataError(path, f"missing column(s) {', '.join(missing)} named in "
                                f"acd.calls.columns (found: {', '.join(chunk.columns)})")
            yield chunk
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except pd.errors.EmptyDataError:
        raise DataError(path, "the file is empty (expected a header row)") from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, EOFError) as exc:
        raise DataError(path, f"cannot read as CSV ({exc})") from None


def _text(chunk: pd.DataFrame, column: str | None, log: CallLog) -> pd.Series:
    """The column stripped, with empty and ``empty_values`` cells as NA."""
    if column is None:
        return pd.Series(pd.NA, index=chunk.index, dtype="string")
    text = chunk[column].astype("string").str.strip()
    return text.mask(text.eq("") | text.isin(log.empty_values))


def _seconds(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce").astype(float)


def _time_of_day(text: pd.Series) -> pd.Series:
    """``H:MM:SS`` as seconds after midnight (NaN when unreadable or empty)."""
    return pd.to_timedelta(text, errors="coerce").dt.total_seconds()


class _Parsed:
    """One chunk's fields, every row kept (bad rows are masked, not dropped, until the end)."""

    def __init__(self, chunk: pd.DataFrame, log: CallLog, grid: Grid, report: CallReport,
                 first_row: int) -> None:
        cols = log.columns
        self.rows = np.arange(len(chunk)) + first_row
        self.bad = np.zeros(len(chunk), dtype=bool)
        self.report = report
        self.timezone = grid.timezone
        self.day: pd.Series | None = None
        self.arrival_text = _text(chunk, cols.arrival, log)
        if cols.date is not None:
            self.day = pd.to_datetime(_text(chunk, cols.date, log), format=log.date_format,
                                      errors="coerce")
            self._flag("unparseable date", self.day.isna().to_numpy())
            arrival_tod = _time_of_day(self.arrival_text)
            if cols.entered is not None:
                entered_text = _text(chunk, cols.entered, log)
                entered = _time_of_day(entered_text)
                arrival_tod = arrival_tod + np.where(arrival_tod < entered, _DAY_SECONDS, 0.0)
                self._flag("unparseable time", (entered_text.notna() & entered.isna()).to_numpy())
            self.arrival = self._localise(self.day + pd.to_timedelta(arrival_tod, unit="s"))
        else:
            self.arrival = self._stamps(self.arrival_text)

    def _flag(self, reason: str, bad: np.ndarray) -> None:
        new = bad & ~self.bad
        self.report._flag(reason, self.rows[new])
        self.bad |= bad

    def _localise(self, naive: pd.Series) -> pd.Series:
        local = naive.dt.tz_localize(self.timezone, ambiguous="NaT", nonexistent="NaT")
        self._flag("local time skipped or repeated by a DST change",
                   (naive.notna() & local.isna()).to_numpy())
        return local

    def _stamps(self, text: pd.Series) -> pd.Series:
        """Full time stamps: with a UTC offset, or site-local wall time without one."""
        has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True).fillna(False)
        with_offset = pd.to_datetime(text.where(has_offset), utc=True, errors="coerce",
                                     format="ISO8601").dt.tz_convert(self.timezone)
        without = self._localise(pd.to_datetime(text.where(~has_offset), errors="coerce",
                                                format="ISO8601"))
        return with_offset.where(has_offset.astype(bool), without)

    def duration(self, chunk: pd.DataFrame, log: CallLog, seconds: str | None,
                 start: str | None, end: str | None, name: str) -> pd.Series:
        """A duration column, or ``end − start`` (past midnight adds a day for times of day)."""
        if seconds is not None:
            text = _text(chunk, seconds, log)
            value = _seconds(text)
            self._flag(f"unparseable {name}", (text.notna() & value.isna()).to_numpy())
        elif start is not None and end is not None:
            a, b = _text(chunk, start, log), _text(chunk, end, log)
            if self.day is not None:
                t0, t1 = _time_of_day(a), _time_of_day(b)
                value = (t1 - t0) % _DAY_SECONDS
            else:
                t0, t1 = self._stamps(a), self._stamps(b)
                value = (t1 - t0).dt.total_seconds()
            self._flag(f"unparseable {name}",
                       ((a.notna() & t0.isna()) | (b.notna() & t1.isna())).to_numpy())
        else:
            return pd.Series(np.nan, index=chunk.index)
        self._flag(f"negative {name} (end before start)", (value < 0).to_numpy())
        return value


def _calls_of(chunk: pd.DataFrame, log: CallLog, queues: dict[str, str], grid: Grid,
              report: CallReport, first_row: int) -> pd.DataFrame:
    """The chunk's offered contacts as call records; everything else counted in ``report``."""
    cols = log.columns
    report.rows += len(chunk)
    parsed = _Parsed(chunk, log, grid, report, first_row)
    # days with any record count as observed, whatever the record turns out to be: by the
    # date column when there is one (an arrival just after midnight does not make the next
    # day observed), else by the arrival's local day
    arrival = parsed.arrival
    days = parsed.day if parsed.day is not None else arrival.dt.tz_localize(None)
    report.days.update(d.date() for d in pd.DatetimeIndex(days.dropna().dt.normalize().unique()))

    outcome_text = _text(chunk, cols.outcome, log).fillna("")
    outcome = outcome_text.map(dict(log.outcomes)).astype("object")
    parsed._flag("unknown outcome", outcome.isna().to_numpy())
    ignored = (outcome == "ignore").to_numpy() & ~parsed.bad
    report.ignored.update(outcome_text[ignored].tolist())

    queue = _text(chunk, cols.channel, log).fillna("")
    channel = queue.map(queues)
    unmapped = channel.isna().to_numpy() & ~parsed.bad & ~ignored
    report.unmapped_queues.update(queue[unmapped].tolist())

    keep = ~parsed.bad & ~ignored & ~unmapped
    abandoned = (outcome == "abandoned").to_numpy()
    if cols.queue_start is not None:
        never_queued = abandoned & _text(chunk, cols.queue_start, log).isna().to_numpy()
        report.before_queue += int((never_queued & keep).sum())
        keep &= ~never_queued
    no_arrival = parsed.arrival_text.isna().to_numpy() & keep
    parsed._flag("no arrival time", no_arrival)
    parsed._flag("unparseable arrival time", (arrival.isna().to_numpy() & keep))
    wait = parsed.duration(chunk, log, cols.wait_seconds, cols.arrival if cols.queue_exit else
                           None, cols.queue_exit, "wait")
    handle = parsed.duration(chunk, log, cols.handle_seconds, cols.service_start,
                             cols.service_end, "handle time")
    keep &= ~parsed.bad
    calls = pd.DataFrame({
        F.ARRIVAL: arrival[keep],
        F.CHANNEL: channel[keep].astype(str),
        F.OUTCOME: np.where(abandoned[keep], F.ABANDONED_OUTCOME, F.ANSWERED),
        F.WAIT_SECONDS: wait[keep].astype(float),
        F.HANDLE_SECONDS: np.where(abandoned[keep], np.nan, handle[keep].astype(float)),
        F.AGENT: _text(chunk, cols.agent, log)[keep].astype("string"),
    })
    calls.loc[calls[F.OUTCOME] == F.ABANDONED_OUTCOME, F.AGENT] = pd.NA
    report.offered += len(calls)
    return calls.reset_index(drop=True)


def iter_calls(path: str | Path, config: Config, grid: Grid | None = None,
               report: CallReport | None = None) -> Iterator[pd.DataFrame]:
    """Call records chunk by chunk (``CALL_COLUMNS``), filling ``report`` as it goes.

    The bad-row threshold is checked once the whole file is read (see the module docstring).
    """
    path = Path(path)
    log = _mapping(config)
    grid = grid or Grid.from_config(config)
    report = report if report is not None else CallReport(path)
    queues = _queues(config)
    first_row = 2
    for chunk in _chunks(path, log):
        yield _calls_of(chunk, log, queues, grid, report, first_row)
        first_row += len(chunk)
    _check(report, log)


def _check(report: CallReport, log: CallLog) -> None:
    if report.rows == 0:
        raise DataError(report.path, "no call records")
    if report.bad_total > log.max_bad_share * report.rows:
        raise DataError(
            report.path,
            f"{report.bad_total} of {report.rows} rows are bad, more than "
            f"acd.calls.max_bad_share = {log.max_bad_share:g}; check the mapping in "
            f"acd.calls ({report.describe_bad()})",
        )
    if report.offered == 0:
        raise DataError(report.path, "no call was offered to a mapped queue (acd.queues)")
    if report.unmapped_queues:
        shown = ", ".join(f"'{q}' ({n} rows)" for q, n in report.unmapped_queues.most_common())
        warnings.warn(f"{report.path}: dropped calls of queues not in acd.queues: {shown}",
                      WfmWarning, stacklevel=3)
    if report.bad_total:
        warnings.warn(f"{report.path}: skipped {report.bad_total} bad rows: "
                      f"{report.describe_bad()}", WfmWarning, stacklevel=3)


def read_calls(path: str | Path, config: Config, grid: Grid | None = None
               ) -> tuple[pd.DataFrame, CallReport]:
    """All the contacts of a call log offered to a mapped queue, as call records.

    Returns
    -------
    calls : DataFrame
        ``wfm.frames.CALL_COLUMNS``, in file order.
    report : CallReport
        Rows read, offered, abandoned before the queue, ignored outcomes, unmapped queues and
        bad rows per reason.

    Raises
    ------
    ConfigError
        The config has no ``acd.calls``.
    DataError
        The file cannot be read, a mapped column is missing, or too many rows are bad.
    """
    report = CallReport(Path(path))
    parts = list(iter_calls(path, config, grid, report))
    return pd.concat(parts, ignore_index=True), report


_SUMS = (F.OFFERED, F.HANDLED, F.ABANDONED, "handle_sum", "handle_n", F.WAIT_SECONDS)


def _interval_sums(calls: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Per channel and interval: counts, handle-time sum and count, wait sum."""
    answered = calls[F.OUTCOME].eq(F.ANSWERED)
    timed = answered & calls[F.HANDLE_SECONDS].gt(0)
    frame = pd.DataFrame({
        F.CHANNEL: calls[F.CHANNEL],
        F.INTERVAL_START: grid.floor(calls[F.ARRIVAL]),
        F.OFFERED: 1.0,
        F.HANDLED: answered.astype(float),
        F.ABANDONED: (~answered).astype(float),
        "handle_sum": calls[F.HANDLE_SECONDS].where(timed, 0.0),
        "handle_n": timed.astype(float),
        F.WAIT_SECONDS: calls[F.WAIT_SECONDS],
    })
    return frame.groupby([F.CHANNEL, F.INTERVAL_START], sort=False).sum(min_count=1)


def import_calls(path: str | Path, config: Config, grid: Grid | None = None
                 ) -> tuple[pd.DataFrame, CallReport]:
    """A call log as ``history.csv``: per channel and interval of the site grid.

    Returns
    -------
    history : DataFrame
        ``wfm.frames.HISTORY_COLUMNS`` for every configured channel and every interval of the
        days the log covers: ``offered`` (contacts offered to the queue), ``handled``,
        ``abandoned``, ``aht_seconds`` (mean over answered contacts with a handle time) and
        ``wait_seconds`` (total queue time, answered and abandoned alike). Intervals of days
        without any record are left out (``read_history`` reports them as gaps), except those
        a call arrived in (a call just past midnight).
    report : CallReport

    Notes
    -----
    The file is read in chunks of ``CHUNK_ROWS`` rows and only per-interval sums are kept, so
    memory does not grow with the file. The interval is that of the arrival to the queue.
    """
    grid = grid or Grid.from_config(config)
    report = CallReport(Path(path))
    sums = [_interval_sums(chunk, grid) for chunk in iter_calls(path, config, grid, report)]
    total = pd.concat(sums).groupby(level=[0, 1], sort=False).sum(min_count=1)
    observed = [grid.intervals(day, 1) for day in sorted(report.days)]
    called = total.index.get_level_values(F.INTERVAL_START)
    index = pd.DatetimeIndex(called).append(observed).unique().sort_values()
    full = pd.MultiIndex.from_product([list(config.channels), index],
                                      names=[F.CHANNEL, F.INTERVAL_START])
    table = total.reindex(full)
    table[[F.OFFERED, F.HANDLED, F.ABANDONED, "handle_n", "handle_sum"]] = table[
        [F.OFFERED, F.HANDLED, F.ABANDONED, "handle_n", "handle_sum"]].fillna(0.0)
    table[F.WAIT_SECONDS] = table[F.WAIT_SECONDS].where(table[F.OFFERED] > 0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        table[F.AHT_SECONDS] = np.where(table["handle_n"] > 0,
                                        table["handle_sum"] / table["handle_n"], np.nan)
    history = table.reset_index()[list(F.HISTORY_COLUMNS)]
    history[F.CHANNEL] = history[F.CHANNEL].astype(str)
    return history, report
