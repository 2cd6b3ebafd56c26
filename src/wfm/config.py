"""The validated, frozen configuration: one YAML file describes a site.

``load_config(path)`` reads and checks everything before any work starts. Every problem becomes a
:class:`~wfm.errors.ConfigError` that names the key path (``channels.voice.target.service_level``),
the value found and what was expected; unknown keys get a "did you mean" hint.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.resources
import typing
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import holidays as holidays_lib
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from wfm.errors import ConfigError
from wfm.hours import OpeningHours, parse_hours, parse_time
from wfm.shrinkage import Shrinkage, parse_shrinkage

ChannelKind = Literal["voice", "chat", "deferred"]
KNOWN_MODELS = ("seasonal_naive", "median_4w", "weighted_index", "topdown_ets", "topdown_uc",
                "mstl", "poisson_glm", "recent_level", "combination")
"""Volume model aliases (:mod:`wfm.forecast.models`); kept here so the schema needs no import."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class HolidaySettings(_Model):
    """Public-holiday calendar from the ``holidays`` package."""

    country: str
    subdiv: str | None = None

    @model_validator(mode="after")
    def _known(self) -> HolidaySettings:
        supported = holidays_lib.list_supported_countries()
        if self.country not in supported:
            raise ValueError(
                f"unknown country code '{self.country}'{_hint(self.country, supported)}"
            )
        subdivs = supported[self.country]
        if self.subdiv is not None and self.subdiv not in subdivs:
            raise ValueError(
                f"'{self.subdiv}' is not a subdivision of {self.country}"
                f"{_hint(self.subdiv, subdivs)}"
            )
        return self


class Site(_Model):
    """Where and on what time grid the contact center works."""

    name: str = "site"
    timezone: str
    interval_minutes: Literal[15, 30, 60] = 15
    holidays: HolidaySettings | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{value}'{_hint(value, _timezones())} (an IANA name such as "
                "Europe/Berlin)"
            ) from None
        return value


ServiceLevelDefinition = Literal["count_against", "ignore", "met"]
LIVE_TARGET_KEYS = ("service_level", "answer_seconds", "definition", "short_abandon_seconds",
                    "max_asa_seconds", "max_abandon")


class Target(_Model):
    """Service target: ``service_level`` within ``answer_seconds`` (live channels), or ``share``
    answered ``within_hours`` (deferred work).

    Live channels may add ``max_asa_seconds`` and ``max_abandon`` (needs the channel's
    ``patience_seconds``); staffing meets every target given at once. ``definition`` is how the
    ACD counts abandons in the service level: ``count_against`` (answered within T / offered),
    ``ignore`` (answered within T / answered) or ``met`` ((answered + abandoned within T) /
    offered); abandons before ``short_abandon_seconds`` are left out of offered.
    """

    service_level: float | None = Field(default=None, gt=0, le=1)
    answer_seconds: float | None = Field(default=None, ge=0)
    definition: ServiceLevelDefinition = "count_against"
    short_abandon_seconds: float = Field(default=0.0, ge=0)
    max_asa_seconds: float | None = Field(default=None, gt=0)
    max_abandon: float | None = Field(default=None, gt=0, le=1)
    within_hours: float | None = Field(default=None, gt=0)
    share: float | None = Field(default=None, gt=0, le=1)


Hours = Annotated[OpeningHours, BeforeValidator(parse_hours)]
ShrinkageSpec = Annotated[Shrinkage, BeforeValidator(parse_shrinkage)]


class Channel(_Model):
    """One contact channel (queue) with its service target, hours and staffing parameters."""

    name: str = ""
    kind: ChannelKind
    target: Target
    hours: Hours
    patience_seconds: float | None = Field(default=None, gt=0)
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    shrinkage: ShrinkageSpec = Field(default=0.0, validate_default=True)
    concurrency: int | None = Field(default=None, ge=1, le=10)
    aht_by_concurrency: tuple[float, ...] | None = None
    aht_seconds: float | None = Field(default=None, gt=0)
    priority: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _fits_kind(self) -> Channel:
        t = self.target
        if self.kind == "deferred":
            if t.within_hours is None or t.share is None:
                raise ValueError("a deferred channel needs target.within_hours and target.share")
            given = [k for k in LIVE_TARGET_KEYS if k in t.model_fields_set]
            if given:
                raise ValueError(
                    f"target.{given[0]} is for voice and chat; a deferred channel uses "
                    "target.within_hours and target.share"
                )
        else:
            if t.service_level is None or t.answer_seconds is None:
                raise ValueError(
                    f"a {self.kind} channel needs target.service_level and target.answer_seconds"
                )
            if t.within_hours is not None or t.share is not None:
                raise ValueError(
                    f"target.within_hours/share are for deferred channels; a {self.kind} channel "
                    "uses target.service_level and target.answer_seconds"
                )
        if t.max_abandon is not None and self.patience_seconds is None:
            raise ValueError("target.max_abandon needs patience_seconds (the Erlang A model)")
        if self.concurrency is not None and self.kind != "chat":
            raise ValueError(f"concurrency applies to chat channels only, not {self.kind}")
        if self.aht_by_concurrency is not None:
            if self.kind != "chat":
                raise ValueError(f"aht_by_concurrency applies to chat channels only, not "
                                 f"{self.kind}")
            from wfm.staffing.chat import slowdown_factors  # staffing imports config

            slowdown_factors(self.sessions_per_agent, self.aht_by_concurrency)
        if self.patience_seconds is not None and self.kind == "deferred":
            raise ValueError("patience_seconds applies to voice and chat channels only")
        if self.hours.always_closed:
            raise ValueError("hours: the channel is never open")
        return self

    @property
    def sessions_per_agent(self) -> int:
        """Contacts one agent handles at once (chat concurrency; 1 otherwise)."""
        return self.concurrency or 1


class BreakRule(_Model):
    """A break or lunch inside a shift, placed by the optimiser.

    ``window_hours: [a, b]``: the break lies anywhere from ``a`` to ``b`` hours into the shift,
    wherever coverage can best spare the agent; ``after_hours: h`` fixes its start at ``h``
    hours. It applies to shifts of at least ``min_shift_hours`` in which it fits with work after
    it. Lunches are unpaid unless ``paid: true``; other breaks are paid unless ``paid: false``.
    """

    minutes: int = Field(gt=0, le=240)
    after_hours: float | None = Field(default=None, gt=0)
    window_hours: tuple[float, float] | None = None
    lunch: bool = False
    paid: bool | None = None
    min_shift_hours: float = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _placed(self) -> BreakRule:
        if (self.after_hours is None) == (self.window_hours is None):
            raise ValueError("give exactly one of after_hours or window_hours")
        if self.window_hours is not None:
            a, b = self.window_hours
            if not 0 <= a < b or (b - a) * 60 < self.minutes:
                raise ValueError(f"window_hours {list(self.window_hours)} must be [earliest "
                                 f"start, latest end] with room for {self.minutes} minutes")
        return self

    @property
    def window_minutes(self) -> tuple[int, int]:
        """Earliest start and latest end of the break, in minutes into the shift."""
        if self.window_hours is None:
            start = round((self.after_hours or 0) * 60)
            return start, start + self.minutes
        return round(self.window_hours[0] * 60), round(self.window_hours[1] * 60)

    @property
    def is_paid(self) -> bool:
        """Whether the break counts as paid time."""
        return (not self.lunch) if self.paid is None else self.paid

    @property
    def activity(self) -> str:
        """The activity label in agent_intervals.csv."""
        return "lunch" if self.lunch else "break"


class ShiftPolicy(_Model):
    """Which shifts may be built: lengths, start grid and the breaks inside them."""

    lengths_hours: tuple[float, ...] = Field(min_length=1)
    start_every_minutes: int = Field(default=30, gt=0)
    earliest_start: str | None = None
    latest_end: str | None = None
    breaks: tuple[BreakRule, ...] = ()
    min_work_between_breaks_minutes: int = Field(default=60, ge=0)

    @field_validator("lengths_hours")
    @classmethod
    def _positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        bad = [x for x in v if not 0 < x <= 16]
        if bad:
            raise ValueError(f"shift lengths must be between 0 and 16 hours, got {bad}")
        return tuple(sorted(set(v)))

    @field_validator("earliest_start", "latest_end", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if isinstance(v, int):
            raise ValueError(f"{v} is not a time; write times in quotes, e.g. \"20:00\" "
                             "(YAML reads an unquoted 20:00 as a number)")
        return v

    @field_validator("earliest_start", "latest_end")
    @classmethod
    def _time(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None:
            parse_time(v, allow_24=info.field_name == "latest_end")
        return v


class RuleSet(_Model):
    """Work rules every schedule keeps for the agents they apply to (a contract names its set).

    Days are counted per 7-day block of the schedule; ``consecutive_days_off`` asks for two days
    off in a row inside each block; ``max_start_variation_minutes`` bounds the spread of an
    agent's shift starts over the block (0 = the same start every working day).
    """

    min_rest_hours: float = Field(default=11, ge=0, le=48)
    min_days_per_week: int = Field(default=0, ge=0, le=7)
    max_days_per_week: int = Field(default=5, ge=1, le=7)
    max_consecutive_days: int = Field(default=6, ge=1, le=7)
    consecutive_days_off: bool = False
    max_start_variation_minutes: int | None = Field(default=None, ge=0, le=1440)

    @model_validator(mode="after")
    def _days(self) -> RuleSet:
        if self.min_days_per_week > self.max_days_per_week:
            raise ValueError(f"min_days_per_week {self.min_days_per_week} exceeds "
                             f"max_days_per_week {self.max_days_per_week}")
        if self.consecutive_days_off and self.max_days_per_week > 5:
            raise ValueError("consecutive_days_off needs max_days_per_week of 5 or less")
        return self


class Contract(_Model):
    """A contract: weekly paid hours, the rule set that applies and the shift lengths allowed.

    A roster row names its contract; its own ``min_week_hours``/``max_week_hours`` cells, when
    filled, override the contract's.
    """

    min_week_hours: float = Field(default=0, ge=0, le=168)
    max_week_hours: float = Field(default=40, gt=0, le=168)
    rule_set: str | None = None
    shift_lengths_hours: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _hours(self) -> Contract:
        if self.min_week_hours > self.max_week_hours:
            raise ValueError(f"min_week_hours {self.min_week_hours:g} exceeds max_week_hours "
                             f"{self.max_week_hours:g}")
        return self


class ObjectiveWeights(_Model):
    """Weights of the schedule's objective: under-coverage ≫ over-coverage ≫ paid time ≫ wishes.

    ``under`` and ``over`` cost per agent-interval short or beyond the requirement (``under`` is
    multiplied by the channel's ``priority``); ``paid`` per paid interval; ``preference`` per
    unmet wish (a worked preferred day off, or an hour of start away from the preferred start),
    times the agent's ``preference_weight``; ``fairness`` per extra weekend day or late shift an
    agent works beyond the others (the k-th costs ``(k - 1) × fairness``); ``proficiency`` per
    agent-interval on a channel at proficiency 0 (``(1 - proficiency) ×`` it in general). A late
    shift ends after ``late_shift_end``.
    """

    under: int = Field(default=100, ge=0)
    over: int = Field(default=10, ge=0)
    paid: int = Field(default=1, ge=0)
    preference: int = Field(default=5, ge=0)
    fairness: int = Field(default=2, ge=0)
    proficiency: int = Field(default=4, ge=0)
    late_shift_end: str = "20:00"

    @field_validator("late_shift_end", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if isinstance(v, int):
            raise ValueError(f"{v} is not a time; write times in quotes, e.g. \"20:00\"")
        return v

    @field_validator("late_shift_end")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_time(v, allow_24=True)
        return v


class Event(_Model):
    """A custom special day or period: a campaign, a billing run, Black Friday.

    Its days are left out of model fitting for its channels; on a future occurrence the forecast
    is multiplied by ``multiplier``, or by the median ratio actual ÷ expected of its past
    occurrences in the history when ``multiplier`` is ``learn``.
    """

    name: str = Field(min_length=1)
    dates: tuple[str, ...] = Field(min_length=1)
    channels: tuple[str, ...] | None = None
    multiplier: float | Literal["learn"] = "learn"

    @field_validator("dates")
    @classmethod
    def _dates(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            parts = str(text).split("..")
            try:
                days = [dt.date.fromisoformat(p.strip()) for p in parts]
            except ValueError:
                raise ValueError(f"'{text}' is not a date (YYYY-MM-DD) or a range "
                                 "(YYYY-MM-DD..YYYY-MM-DD)") from None
            if len(days) > 2 or (len(days) == 2 and days[1] < days[0]):
                raise ValueError(f"'{text}' is not a range: write FIRST..LAST, FIRST ≤ LAST")
        return v

    @field_validator("multiplier")
    @classmethod
    def _positive(cls, v: Any) -> Any:
        if v != "learn" and not v > 0:
            raise ValueError(f"multiplier must be positive or 'learn', got {v}")
        return v

    def days(self) -> list[dt.date]:
        """Every date the event covers, ranges expanded."""
        out: list[dt.date] = []
        for text in self.dates:
            parts = [dt.date.fromisoformat(p.strip()) for p in str(text).split("..")]
            first, last = parts[0], parts[-1]
            out.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        return out


class ForecastSettings(_Model):
    """How far ahead to forecast, with which volume models, and which days are special."""

    horizon_days: int = Field(default=14, ge=1, le=56)
    models: Literal["auto"] | tuple[str, ...] = "auto"
    backtest_folds: int = Field(default=6, ge=1, le=52)
    backtest_horizon_days: int = Field(default=7, ge=1, le=56)
    history_weeks: int = Field(default=8, ge=1, le=104)
    pool_tolerance: float = Field(default=0.05, ge=0, le=1)
    combination_margin: float = Field(default=0.10, ge=0, le=1)
    events: tuple[Event, ...] = ()
    month_edges: bool = True
    detect_outliers: bool = True
    workers: int = Field(default=0, ge=0, le=64)

    @field_validator("models")
    @classmethod
    def _known(cls, v: Any) -> Any:
        if v == "auto":
            return v
        for name in v:
            if name not in KNOWN_MODELS:
                raise ValueError(
                    f"unknown model '{name}'{_hint(name, KNOWN_MODELS)} (known: auto, "
                    f"{', '.join(KNOWN_MODELS)})"
                )
        return v


class SolverSettings(_Model):
    """CP-SAT limits: wall time, worker threads and random seed."""

    time_limit_seconds: float = Field(default=30, gt=0)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0)


class CallColumns(_Model):
    """Which column of a call log holds each field of a call (:mod:`wfm.io.calls`).

    ``arrival`` is when the contact was offered to the queue (or straight to an agent): a full
    time stamp, or a time of day when ``date`` names the date column. ``entered`` is an
    earlier time of day of the same record (e.g. IVR entry) that anchors ``date``: times of day
    before it are on the next day. A duration is a column of seconds, or the difference of a
    start and an end column (``queue_exit`` for the wait, ``service_start`` and
    ``service_end`` for the handle time). ``queue_start``, when given, tells abandons in the
    queue from hang-ups before it: an abandoned contact with an empty ``queue_start`` never
    reached the queue and is not offered.
    """

    arrival: str
    channel: str
    outcome: str
    date: str | None = None
    entered: str | None = None
    queue_start: str | None = None
    queue_exit: str | None = None
    wait_seconds: str | None = None
    service_start: str | None = None
    service_end: str | None = None
    handle_seconds: str | None = None
    agent: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> CallColumns:
        if self.entered is not None and self.date is None:
            raise ValueError("entered needs date (it anchors times of day on a date column)")
        if self.handle_seconds is None and (self.service_start is None) != (
                self.service_end is None):
            raise ValueError("give handle_seconds, or both service_start and service_end")
        return self


class CallLog(_Model):
    """How to read a call-level ACD log (``wfm import --calls``, ``wfm calibrate``)."""

    columns: CallColumns
    outcomes: dict[str, Literal["answered", "abandoned", "ignore"]] = Field(min_length=1)
    date_format: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    empty_values: tuple[str, ...] = ()
    max_bad_share: float = Field(default=0.01, ge=0, le=1)

    @field_validator("date_format")
    @classmethod
    def _readable(cls, v: str | None) -> str | None:
        if v is not None:
            try:  # a format that cannot read back what it writes is no date format
                dt.datetime.strptime(dt.date(1999, 2, 1).strftime(v), v)
            except ValueError as exc:
                raise ValueError(f"{v!r} is not a date format ({exc}); e.g. \"%y%m%d\" "
                                 "for 990201") from None
        return v


class Acd(_Model):
    """What the site's ACD calls its queues, and how its call log is laid out."""

    queues: dict[str, str] = {}
    calls: CallLog | None = None


class Config(_Model):
    """A whole site: everything ``wfm`` needs besides the data files."""

    site: Site
    channels: dict[str, Channel] = Field(min_length=1)
    skills: dict[str, tuple[str, ...]] = {}
    history: Path | None = None
    roster: Path | None = None
    time_off: Path | None = None
    shifts: ShiftPolicy | None = None
    rules: RuleSet = RuleSet()
    rule_sets: dict[str, RuleSet] = {}
    contracts: dict[str, Contract] = {}
    objective: ObjectiveWeights = ObjectiveWeights()
    scenarios: dict[str, tuple[str, ...]] = {}
    forecast: ForecastSettings = ForecastSettings()
    solver: SolverSettings = SolverSettings()
    acd: Acd = Acd()
    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The YAML file this config was read from, if any."""
        return self._source

    @field_validator("channels", mode="before")
    @classmethod
    def _named(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for k, c in v.items():
                if isinstance(c, dict) and "name" in c:
                    raise _KeyedError(f"channels.{k}.name",
                                      "unknown key 'name' (a channel is named by its key)")
            return {k: ({**c, "name": k} if isinstance(c, dict) else c) for k, c in v.items()}
        return v

    @field_validator("scenarios", mode="before")
    @classmethod
    def _values(cls, v: Any) -> Any:
        """``volume: [-10%, +10%]`` or ``aht: +15s``: a knob and one value or a list of them,
        each value written as the command line's ``--vary`` takes it."""
        if isinstance(v, dict):
            return {k: (tuple(str(x) for x in vals) if isinstance(vals, list) else (str(vals),))
                    for k, vals in v.items()}
        return v

    @field_validator("history", "roster", "time_off", mode="after")
    @classmethod
    def _resolve(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        if v is not None and base is not None and not v.is_absolute():
            return (Path(base) / v).resolve()
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        for group, members in self.skills.items():
            for member in members:
                if member not in self.channels:
                    raise _KeyedError(
                        f"skills.{group}",
                        f"'{member}' is not a channel{_hint(member, self.channels)} "
                        f"(channels: {', '.join(self.channels)})",
                    )
            if group in self.channels and tuple(members) != (group,):
                raise _KeyedError(f"skills.{group}", f"'{group}' is already a channel name")
        for queue, channel in self.acd.queues.items():
            if channel not in self.channels:
                raise _KeyedError(
                    f"acd.queues.{queue}",
                    f"'{channel}' is not a channel{_hint(channel, self.channels)} "
                    f"(channels: {', '.join(self.channels)})",
                )
        for i, event in enumerate(self.forecast.events):
            for channel in event.channels or ():
                if channel not in self.channels:
                    raise _KeyedError(
                        f"forecast.events.{i}.channels",
                        f"'{channel}' is not a channel{_hint(channel, self.channels)} "
                        f"(channels: {', '.join(self.channels)})",
                    )
        step = self.site.interval_minutes
        for name, ch in self.channels.items():
            for day_ranges in (*ch.hours.week, ch.hours.holiday or ()):
                for start, end in day_ranges:
                    if start % step or end % step:
                        raise _KeyedError(
                            f"channels.{name}.hours",
                            f"{ch.hours.describe()} is not on the {step}-minute grid of "
                            "site.interval_minutes",
                        )
        if self.shifts is not None:
            s = self.shifts
            for key in ("earliest_start", "latest_end"):
                value = getattr(s, key)
                if value is not None and parse_time(value, allow_24=True) % step:
                    raise _KeyedError(f"shifts.{key}", f"'{value}' is not on the {step}-minute "
                                      "grid of site.interval_minutes")
            if s.start_every_minutes % step:
                raise _KeyedError(
                    "shifts.start_every_minutes",
                    f"{s.start_every_minutes} is not a multiple of site.interval_minutes ({step})",
                )
            for length in s.lengths_hours:
                if round(length * 60) % step:
                    raise _KeyedError(
                        "shifts.lengths_hours",
                        f"{length} h is not a whole number of {step}-minute intervals",
                    )
            for i, b in enumerate(s.breaks):
                if b.minutes % step:
                    raise _KeyedError(
                        f"shifts.breaks.{i}.minutes",
                        f"{b.minutes} is not a multiple of site.interval_minutes ({step})",
                    )
                key = "window_hours" if b.window_hours is not None else "after_hours"
                if any(m % step for m in b.window_minutes):
                    raise _KeyedError(f"shifts.breaks.{i}.{key}",
                                      f"not on the {step}-minute grid of site.interval_minutes")
        for name, contract in self.contracts.items():
            if contract.rule_set is not None and contract.rule_set not in self.rule_sets:
                hint = _hint(contract.rule_set, self.rule_sets)
                raise _KeyedError(
                    f"contracts.{name}.rule_set",
                    f"'{contract.rule_set}' is not a rule set{hint} "
                    f"(rule_sets: {', '.join(self.rule_sets) or 'none defined'})")
            lengths = contract.shift_lengths_hours
            allowed = self.shifts.lengths_hours if self.shifts else ()
            if lengths is not None and not set(lengths) <= set(allowed):
                raise _KeyedError(
                    f"contracts.{name}.shift_lengths_hours",
                    f"{sorted(set(lengths) - set(allowed))} not in shifts.lengths_hours "
                    f"{list(allowed)}")
        return self

    @property
    def skill_groups(self) -> dict[str, tuple[str, ...]]:
        """Skill names usable in the roster: every channel, plus the config's named groups."""
        return {**{c: (c,) for c in self.channels}, **self.skills}

    def expand_skills(self, names: list[str]) -> tuple[str, ...]:
        """Turn roster skill names (channels or named groups) into channel names, in config order.

        Raises ``KeyError`` with the first unknown name.
        """
        groups = self.skill_groups
        out: set[str] = set()
        for name in names:
            if name not in groups:
                raise KeyError(name)
            out.update(groups[name])
        return tuple(c for c in self.channels if c in out)


class _KeyedError(ValueError):
    """A cross-field problem that knows its own key path."""

    def __init__(self, key_path: str, message: str) -> None:
        self.key_path = key_path
        super().__init__(message)


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that rejects a key given twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path) -> Config:
    """Read a YAML config, resolve its relative paths against its folder, and validate it.

    Raises
    ------
    ConfigError
        Naming the file, the key path and the problem, for any invalid or unknown key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", "config file not found", source=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read the config file ({exc})", source=path) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError("", f"{where}not valid YAML ({problem})", source=path) from None
    if not isinstance(data, dict):
        raise ConfigError(
            "", "expected a mapping at the top level (site:, channels:, …)", source=path
        )
    return config_from_dict(data, base_dir=path.parent, source=path)


def example_config() -> Config:
    """The bundled example site (a copy of ``configs/example.yaml`` shipped inside the package).

    Only its site, channels, skills, shifts and contracts are meant to be used (``wfm sample``
    does): its relative ``history``, ``roster`` and ``time_off`` paths resolve beside the
    installed package, where no data lives.
    """
    with importlib.resources.as_file(importlib.resources.files("wfm") / "example.yaml") as p:
        return load_config(p)


def config_from_dict(
    data: dict[str, Any], *, base_dir: Path | None = None, source: Path | None = None
) -> Config:
    """Validate an already-parsed config mapping (handy in notebooks and tests)."""
    try:
        config = Config.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        described = [_describe(err) for err in exc.errors()]
        if len(described) == 1:
            raise ConfigError(*described[0], source=source) from None
        messages = [f"{key}: {msg}" if key else msg for key, msg in described]
        raise ConfigError("", _join(messages), source=source) from None
    except _KeyedError as exc:
        raise ConfigError(exc.key_path, str(exc), source=source) from None
    config._source = source
    return config


def _join(messages: list[str]) -> str:
    if len(messages) == 1:
        return messages[0]
    return f"{len(messages)} problems:\n  " + "\n  ".join(messages)


def _describe(err: Any) -> tuple[str, str]:
    """One pydantic error -> (``key.path``, ``message (found: value)``)."""
    loc = [str(p) for p in err["loc"]]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        return ctx_error.key_path, str(ctx_error)
    key = ".".join(loc)
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        parent = ".".join(loc[:-1])
        where = f" in {parent}" if parent else ""
        return key, f"unknown key '{name}'{where}{_hint(name, _allowed_keys(err['loc'][:-1]))}"
    if kind == "missing":
        return key, "required key is missing"
    msg = err["msg"]
    if kind in ("value_error", "assertion_error"):
        return key, msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return key, f"{msg[0].lower() + msg[1:]} (found {shown})"


def _allowed_keys(parent: Any) -> tuple[str, ...]:
    """The keys accepted at the location ``parent`` (a pydantic ``loc``), for the hint."""
    tp: Any = Config
    skip = False  # the next part is a mapping key or list index, not a field
    for part in parent:
        if skip:
            skip = False
            continue
        model = _model_in(tp)
        if model is None or part not in model.model_fields:
            return _ALL_KEYS
        tp = model.model_fields[part].annotation
        skip = typing.get_origin(tp) in (dict, tuple, list)
    model = _model_in(tp)
    return tuple(model.model_fields) if model is not None else _ALL_KEYS


def _model_in(tp: Any) -> type[BaseModel] | None:
    """The config model ``tp`` is, or holds (``X | None``, ``dict[str, X]``, ``tuple[X, ...]``)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        model = _model_in(arg)
        if model is not None:
            return model
    return None


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _all_keys() -> tuple[str, ...]:
    models: list[type[BaseModel]] = [
        Config, Site, HolidaySettings, Channel, Target, ShiftPolicy, BreakRule, RuleSet,
        Contract, ObjectiveWeights, ForecastSettings, SolverSettings,
    ]
    return tuple(sorted({k for m in models for k in m.model_fields}))


_ALL_KEYS = _all_keys()
