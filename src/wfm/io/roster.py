"""Read ``roster.csv``: the agents, their skills and contracts.

Columns: ``agent_id, skills`` (required), ``name, min_week_hours, max_week_hours`` (optional).
``skills`` lists channel names or the config's named skill groups separated by ``|``, each with an
optional proficiency: ``voice:1.0|chat:0.8`` or ``generalist``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config, _hint
from wfm.errors import DataError, WfmWarning

DEFAULT_MAX_WEEK_HOURS = 40.0


@dataclass(frozen=True)
class Agent:
    """One agent: who, which channels at what proficiency, and the contract's weekly hours."""

    agent_id: str
    name: str
    skills: tuple[str, ...]
    proficiency: tuple[float, ...]
    min_week_hours: float = 0.0
    max_week_hours: float = DEFAULT_MAX_WEEK_HOURS

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
    if not path.exists():
        raise DataError(path, "roster file not found (config key 'roster')")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in F.ROSTER_REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)} (found: "
                        f"{', '.join(raw.columns)})")
    extra = [c for c in raw.columns if c not in (*F.ROSTER_REQUIRED, *F.ROSTER_OPTIONAL)]
    if extra:
        warnings.warn(f"{path}: ignored column(s) {', '.join(extra)}", WfmWarning, stacklevel=2)
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
        lo = _hours(rec.get("min_week_hours"), 0.0, path, row, "min_week_hours")
        hi = _hours(rec.get("max_week_hours"), DEFAULT_MAX_WEEK_HOURS, path, row, "max_week_hours")
        if lo > hi:
            raise DataError(path, f"min_week_hours {lo:g} exceeds max_week_hours {hi:g}",
                            rows=[row], column="min_week_hours")
        agents.append(Agent(agent_id, str(rec.get("name") or agent_id).strip(), skills,
                            proficiency, lo, hi))
    return tuple(agents)


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
