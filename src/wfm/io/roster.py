"""Read ``roster.csv`` (the agents, their skills, contracts and wishes) and ``time_off.csv``.

Roster columns: ``agent_id, skills`` (required) and optionally

* ``name``;
* ``contract`` (a key of the config's ``contracts``) and ``min_week_hours, max_week_hours``
  (filled cells override the contract's);
* ``skills``: channel names or the config's named skill groups separated by ``|``, each with an
  optional proficiency: ``voice:1.0|chat:0.8`` or ``generalist``;
* ``availability``: when the agent can work, in the opening-hours notation with ``;`` between
  days, e.g. ``mon-fri 08:00-18:00; sat 09:00-13:00`` (days not named: unavailable; blank: any
  time);
* ``days_off``: fixed weekdays off, ``sat|sun``;
* ``preferred_start`` (``08:00``), ``preferred_days_off`` (``fri|sat``) and
  ``preference_weight`` (default 1): soft wishes.

Time-off columns: ``agent_id, date`` and optionally ``start, end`` (local ``HH:MM``; blank = the
whole day), ``paid_hours`` (counted toward the week's contract hours) and ``reason``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config, RuleSet, _hint
from wfm.errors import ConfigError, DataError, WfmWarning
from wfm.hours import WEEKDAYS, OpeningHours, parse_hours, parse_time

DEFAULT_MAX_WEEK_HOURS = 40.0


@dataclass(frozen=True)
class TimeOff:
    """Time an agent cannot be scheduled: local wall-clock start and end, and paid hours."""

    start: dt.datetime
    end: dt.datetime
    paid_minutes: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Agent:
    """One agent: skills with proficiency, contract (hours, rules, shift lengths) and wishes."""

    agent_id: str
    name: str
    skills: tuple[str, ...]
    proficiency: tuple[float, ...]
    min_week_hours: float = 0.0
    max_week_hours: float = DEFAULT_MAX_WEEK_HOURS
    contract: str = ""
    rules: RuleSet | None = None
    """The contract's rule set (None: the config's default ``rules``)."""
    shift_lengths_hours: tuple[float, ...] | None = None
    """Shift lengths the contract allows (None: every length of ``shifts.lengths_hours``)."""
    availability: OpeningHours | None = None
    """When the agent can work (None: any time)."""
    days_off: frozenset[int] = frozenset()
    """Fixed weekdays off (0 = Monday)."""
    preferred_start: int | None = None
    """Preferred shift start, minutes after local midnight."""
    preferred_days_off: frozenset[int] = frozenset()
    preference_weight: float = 1.0
    time_off: tuple[TimeOff, ...] = ()

    def can_work(self, channel: str) -> bool:
        """Whether the agent has the skill for ``channel``."""
        return channel in self.skills


def read_roster(path: str | Path, config: Config) -> tuple[Agent, ...]:
    """Read and validate a roster file against the config's channels and skill groups.

    Raises
    ------
    DataError
        Naming the file, row and column of a missing column, duplicate agent, unknown skill or
        bad number.
    """
    path = Path(path)
    raw = _read_table(path, "roster", F.ROSTER_REQUIRED, F.ROSTER_OPTIONAL)
    if raw.empty:
        raise DataError(path, "the roster has no agents")

    agents: list[Agent] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2
        agent_id = str(rec[F.AGENT_ID]).strip()
        if not agent_id:
            raise DataError(path, "empty agent_id", rows=[row], column=F.AGENT_ID)
        if agent_id in seen:
            raise DataError(path, f"agent '{agent_id}' appears twice (also row {seen[agent_id]})",
                            rows=[row], column=F.AGENT_ID)
        seen[agent_id] = row
        skills, proficiency = _parse_skills(str(rec["skills"]), config, path, row)
        contract_name = str(rec.get("contract") or "").strip()
        if contract_name and contract_name not in config.contracts:
            raise DataError(
                path, f"unknown contract '{contract_name}'{_hint(contract_name, config.contracts)}"
                f" (config 'contracts': {', '.join(config.contracts) or 'none defined'})",
                rows=[row], column="contract")
        contract = config.contracts.get(contract_name)
        lo = _hours(rec.get("min_week_hours"),
                    contract.min_week_hours if contract else 0.0, path, row, "min_week_hours")
        hi = _hours(rec.get("max_week_hours"),
                    contract.max_week_hours if contract else DEFAULT_MAX_WEEK_HOURS,
                    path, row, "max_week_hours")
        if lo > hi:
            raise DataError(path, f"min_week_hours {lo:g} exceeds max_week_hours {hi:g}",
                            rows=[row], column="min_week_hours")
        cell = _Cell(path, row, rec)
        agents.append(Agent(
            agent_id, str(rec.get("name") or agent_id).strip(), skills, proficiency, lo, hi,
            contract=contract_name,
            rules=config.rule_sets[contract.rule_set] if contract and contract.rule_set else None,
            shift_lengths_hours=contract.shift_lengths_hours if contract else None,
            availability=cell.availability("availability"),
            days_off=cell.weekdays("days_off"),
            preferred_start=cell.time("preferred_start"),
            preferred_days_off=cell.weekdays("preferred_days_off"),
            preference_weight=cell.weight("preference_weight"),
        ))
    return tuple(agents)


def _read_table(path: Path, key: str, required: tuple[str, ...],
                optional: tuple[str, ...]) -> pd.DataFrame:
    """A CSV file as text cells with stripped headers; missing columns are an error, extra ones
    a warning. ``key`` is the config key that names the file."""
    if not path.exists():
        raise DataError(path, f"file not found (config key '{key}')")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)} (found: "
                        f"{', '.join(raw.columns)})")
    extra = [c for c in raw.columns if c not in (*required, *optional)]
    if extra:
        warnings.warn(f"{path}: ignored column(s) {', '.join(extra)}", WfmWarning, stacklevel=3)
    return raw


def _parse_skills(text: str, config: Config, path: Path, row: int) -> tuple[
    tuple[str, ...], tuple[float, ...]
]:
    groups = config.skill_groups
    weights: dict[str, float] = {}
    for item in (p.strip() for p in text.split("|")):
        if not item:
            continue
        name, _, prof = item.partition(":")
        name = name.strip()
        if name not in groups:
            raise DataError(
                path,
                f"unknown skill '{name}'{_hint(name, groups)}; a skill is a channel "
                f"({', '.join(config.channels)}) or a group from the config's 'skills' "
                f"({', '.join(config.skills) or 'none defined'})",
                rows=[row], column="skills",
            )
        try:
            weight = float(prof) if prof else 1.0
        except ValueError:
            weight = float("nan")
        if not 0 < weight <= 1:
            raise DataError(path, f"proficiency '{prof}' of '{name}' must be in (0, 1]",
                            rows=[row], column="skills")
        for ch in groups[name]:
            weights[ch] = max(weights.get(ch, 0.0), weight)
    if not weights:
        raise DataError(path, "the agent has no skills", rows=[row], column="skills")
    ordered = tuple(c for c in config.channels if c in weights)
    return ordered, tuple(weights[c] for c in ordered)


def _hours(value: object, default: float, path: Path, row: int, column: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        hours = float(str(value))
    except ValueError:
        hours = float("nan")
    if not np.isfinite(hours) or not 0 <= hours <= 168:
        raise DataError(path, f"expected hours between 0 and 168, found {value!r}",
                        rows=[row], column=column)
    return hours


@dataclass(frozen=True)
class _Cell:
    """Parses one roster row's optional cells, naming file, row and column on error."""

    path: Path
    row: int
    rec: Mapping[Hashable, object]

    def _text(self, column: str) -> str:
        return str(self.rec.get(column) or "").strip()

    def _error(self, column: str, message: str) -> DataError:
        return DataError(self.path, message, rows=[self.row], column=column)

    def availability(self, column: str) -> OpeningHours | None:
        text = self._text(column)
        if not text:
            return None
        mapping: dict[str, object] = {}
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            days, _, ranges = part.partition(" ")
            values = [r.strip() for r in ranges.replace("off", "closed").split(",") if r.strip()]
            mapping[days] = values or ["closed"]
        try:
            return parse_hours(mapping)
        except ValueError as exc:
            raise self._error(column, f"{exc} (expected e.g. 'mon-fri 08:00-18:00; sat "
                              "09:00-13:00')") from None

    def weekdays(self, column: str) -> frozenset[int]:
        days = set()
        for item in (p.strip().lower() for p in self._text(column).split("|")):
            if not item:
                continue
            if item not in WEEKDAYS:
                raise self._error(column, f"'{item}' is not a weekday (expected "
                                  f"{'|'.join(WEEKDAYS)})")
            days.add(WEEKDAYS.index(item))
        return frozenset(days)

    def time(self, column: str) -> int | None:
        text = self._text(column)
        if not text:
            return None
        try:
            return parse_time(text, allow_24=False)
        except ValueError as exc:
            raise self._error(column, str(exc)) from None

    def weight(self, column: str) -> float:
        text = self._text(column)
        try:
            value = float(text) if text else 1.0
        except ValueError:
            value = float("nan")
        if not 0 <= value <= 100:
            raise self._error(column, f"expected a weight between 0 and 100, found {text!r}")
        return value


def read_time_off(path: str | Path, agents: tuple[Agent, ...]) -> tuple[Agent, ...]:
    """The agents with their time off from ``path`` (``agent_id, date[, start, end,
    paid_hours, reason]``); a blank start and end is the whole day.

    Raises
    ------
    DataError
        Naming the file, row and column of an unknown agent, a bad date, time or hours.
    """
    path = Path(path)
    raw = _read_table(path, "time_off", F.TIME_OFF_REQUIRED, F.TIME_OFF_OPTIONAL)
    ids = {a.agent_id for a in agents}
    found: dict[str, list[TimeOff]] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2
        agent_id = str(rec[F.AGENT_ID]).strip()
        if agent_id not in ids:
            raise DataError(path, f"agent '{agent_id}' is not in the roster{_hint(agent_id, ids)}",
                            rows=[row], column=F.AGENT_ID)
        try:
            day = dt.date.fromisoformat(str(rec[F.DATE]).strip())
        except ValueError:
            raise DataError(path, f"'{rec[F.DATE]}' is not a date (expected YYYY-MM-DD)",
                            rows=[row], column=F.DATE) from None
        cell = _Cell(path, row, rec)
        start, end = cell.time("start"), cell.time("end")
        if (start is None) != (end is None):
            raise DataError(path, "give both start and end, or neither for the whole day",
                            rows=[row], column="start" if start is None else "end")
        start, end = (0, 1440) if start is None or end is None else (start, end)
        if end <= start:
            end += 1440
        paid = _hours(rec.get("paid_hours"), 0.0, path, row, "paid_hours")
        midnight = dt.datetime.combine(day, dt.time())
        found.setdefault(agent_id, []).append(TimeOff(
            midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=end),
            round(paid * 60), str(rec.get("reason") or "").strip()))
    return tuple(replace(a, time_off=(*a.time_off, *found.get(a.agent_id, ())))
                 for a in agents)


def load_agents(config: Config, roster: str | Path | None = None) -> tuple[Agent, ...]:
    """The config's roster (or ``roster``) with the config's time off, if any.

    Raises
    ------
    ConfigError
        When neither the config nor ``roster`` names a roster file.
    """
    path = roster or config.roster
    if path is None:
        raise ConfigError("roster", "not set; add 'roster:' to the config (path to roster.csv)")
    agents = read_roster(path, config)
    return read_time_off(config.time_off, agents) if config.time_off else agents
