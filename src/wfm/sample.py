"""Seeded, realistic sample data: interval history, a roster and time off for any config.

:func:`generate_sample` builds ``weeks`` weeks of ACD interval history (the history.csv contract)
for every channel of a config, a roster of :data:`ROSTER_SIZE` agents (roster.csv) and time off
in the week after the history (time_off.csv); :func:`write_sample` writes all three. All
randomness comes from ``np.random.default_rng(seed)``, so a seed always gives the same frames and
byte-identical files. Channels are modelled by *kind* (``voice``, ``chat``, ``deferred``) from
the parameters in :data:`MODELS`, so any config works.

The volume model
----------------
For a channel of kind *k*, local day *d* and interval *i* of that day::

    offered[i] ~ Poisson(lambda[i] * G[i])                    G ~ Gamma(mean 1, shape kappa)
    lambda[i]  = daily[weekday(d)] * S(d) * T(d) * H(d) * D(d) * p[profile(d), slot(i)] * open[i]

``daily`` (expected demand per day, Monday first)
    Sets the scale and the weekly pattern: Monday highest, falling through the week. For the
    example config: voice ~1,850 offered on Mondays, ~1,600 mid-week, ~1,400 on Fridays, ~300 on
    Saturdays (09:00-14:00); chat ~530 every day; email ~400 per weekday and ~100 per weekend day.
    Sized so that the sample roster of 60 agents can just cover one week's net requirement.
``p`` (intraday curve, ``curves`` + ``floor``)
    One curve per weekday, a flat ``floor`` plus Gaussian bumps ``(centre hour, width, height)``,
    normalised to sum to 1 over the interval slots of a 24-hour day. Voice peaks at 10-11h with a
    smaller peak at 14-15h (Friday afternoons lighter, Saturday low and flat); chat starts later
    and is heavy in the evening; email arrives around the clock, mostly in business hours, also
    at weekends. Public holidays use Sunday's curve. Slots are local wall-clock time, so the day
    DST ends repeats 02:00-03:00 and the day it starts skips it.
``S`` (yearly seasonality, :data:`SEASON`)
    ``1 + sum(a * exp(-0.5 * (dist(doy, c) / w) ** 2))`` over circular day-of-year bumps: higher
    in January (+10 %) and in autumn (+7 %), a summer-holiday dip (-13 %) and a dip between
    Christmas and New Year (-30 %).
``T`` (trend, ``trend``)
    ``(1 + trend) ** (years from the sample's last day)``: voice -3 %/year, chat +15 %/year,
    email +2 %/year. It is anchored at the *end*, so ``daily`` describes the final weeks (the ones
    a forecast continues from) and earlier weeks are scaled back.
``H`` (public holidays of the config's country, ``holiday`` and ``catch_up``)
    Demand on a holiday is scaled by ``holiday`` (voice 0.3, chat 0.6, email 0.3); a live channel
    whose hours say ``holiday: closed`` has no volume at all then. The first non-holiday day after
    a holiday gets a catch-up bump (``catch_up``: +15 to +25 %).
``D`` (day-level noise, ``day_cv``)
    A gamma factor with mean 1 shared by all channels (cv :data:`COMMON_DAY_CV`) times one per
    channel (cv ``day_cv``), so whole days run high or low, not only single intervals.
``G`` (interval-level noise, ``shape``)
    Gamma-Poisson, i.e. negative-binomial counts with variance ``lambda + lambda**2 / kappa``:
    overdispersed, as real arrival counts are.
``open`` (opening hours)
    Voice and chat get volume only inside the channel's hours (``Grid.open_mask``), zero outside.
    A deferred channel's hours are when agents work it, not when mail arrives, so it has no mask.

Outcomes
--------
Abandonment (voice and chat) grows with load: ``rate = lo + (hi - lo) * min(offered / peak,
1.25) ** 2`` with ``abandon = (lo, hi)`` (voice 2 % to 12 %, chat 1.5 % to 8 %) and ``peak`` the
busiest expected interval of the week at the ``daily`` levels; ``abandoned ~ Binomial(offered,
rate)`` and ``handled = offered - abandoned``. Deferred work is never abandoned.

AHT depends on kind and hour of day: ``aht`` seconds plus ``aht_bumps`` (voice ~285-330 s,
longest mid-morning; chat ~410-460 s per session; email ~460-530 s), times a day-level gamma
factor (cv :data:`AHT_DAY_CV`). Handle times of single contacts are gamma with cv ``handle_cv``,
so the interval mean of ``n`` handled contacts is gamma with ``shape = n / cv**2`` and
``scale = aht * cv**2 / n``, at least :data:`MIN_AHT_SECONDS`, rounded to 0.1 s; ``aht_seconds``
is NaN when nothing was handled.

The roster
----------
:data:`ROSTER_SIZE` agents ``A001``, ``A002``, … with names drawn from small built-in lists.
Skill mixes (:data:`SKILL_MIX`, by channel kind): voice only 40 %, voice and chat 20 %, all
channels 20 %, chat and email 15 %, email only 5 %. Each mix is written as the config's skill
group with exactly those channels (``live``, ``generalist``, ``digital`` in the example), else
as one channel name or channel names joined with ``|``. Contracts (:data:`CONTRACTS`): full time
36-40 h/week (60 %), 25-30 h (25 %), 16-20 h (15 %). Shares become exact counts by the largest
remainder, which are then shuffled over the agents. ``contract`` names the config's contract
with exactly those weekly hours (``full_time``, ``part_time_30``, ``part_time_20`` in the
example), and then ``min_week_hours``/``max_week_hours`` stay blank: the contract supplies them.
Without such a contract the cells hold the hours and ``contract`` is blank.

A minority of agents have wishes and limits (:data:`WISHES`), drawn from a generator of their
own so that names, skills and contracts do not depend on them:

* ``availability`` (5 %, at least one agent): ``mon-fri`` from the earliest start on the shift
  grid at which the agent's channels are open, for the contract's shortest shift plus two hours
  (``mon-fri 07:00-17:00`` for a full-timer who also answers email, which opens at 07:00,
  ``mon-fri 08:00-14:00`` for a 16-20 h part-timer on voice);
* ``days_off`` (3 %, part-timers only): one fixed weekday off, Monday to Friday;
* ``preferred_start`` (20 %): a whole hour at which one of the agent's shifts can start inside
  its channels' hours; ``preferred_days_off`` (15 %): two days in a row, most often ``sat|sun``
  (:data:`DAYS_OFF_PAIRS`); ``preference_weight`` 2 for a fifth of the agents with a wish.

Availability and fixed days off forbid shifts, so they go only to agents who can still meet
their contract's hours and day rules with them (:func:`_week_fits`, a check that ignores only
rest times and start variation); a wish forbids nothing.

Time off
--------
``time_off`` falls in the week after the history, the first Monday after its last day (the week
``wfm run`` schedules), with agents that have neither availability nor fixed days off: a
vacation on Monday to Wednesday paid a fifth of the contract's maximum hours per day (to the
half hour), a whole unpaid day off (``personal``) and a two-hour unpaid ``appointment`` in a
weekday afternoon that moves that day's shift rather than cancelling it. Each goes to a randomly
drawn agent whose week still fits (:func:`_week_fits`); the vacation goes to the agents with the
most hours who can take all three days, else two, else one. Under the
example's ``full_time`` rules (at least 4 days of 7.5 or 8.5 paid hours, at most 40 h) a
full-timer can take at most one 8-hour day (8 + 4 x 7.5 = 38 h; two days make 46 h), so the
three days go to a part-timer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Channel, ChannelKind, Config, RuleSet
from wfm.hours import MINUTES_PER_DAY, WEEKDAYS
from wfm.io.export import write_frame
from wfm.schedule.templates import expand_templates
from wfm.timegrid import Grid

Bump = tuple[float, float, float]
"""One Gaussian bump of a curve: (centre, width, height); hours for curves, days for seasons."""


@dataclass(frozen=True)
class ChannelModel:
    """Parameters of the sample model for one channel kind (the module docstring explains each)."""

    daily: tuple[float, ...]
    curves: tuple[tuple[Bump, ...], ...]
    floor: float
    trend: float
    holiday: float
    catch_up: float
    day_cv: float
    shape: float
    aht: float
    aht_bumps: tuple[Bump, ...]
    handle_cv: float
    abandon: tuple[float, float] = (0.0, 0.0)


_VOICE_WEEKDAY = ((10.5, 1.5, 1.0), (14.8, 1.3, 0.7), (18.2, 1.2, 0.22))
_CHAT_WEEKDAY = ((11.5, 1.8, 0.75), (15.0, 2.0, 0.7), (20.0, 1.5, 0.95))
_CHAT_WEEKEND = ((12.5, 2.4, 0.8), (19.8, 1.7, 0.9))
_EMAIL_WEEKDAY = ((10.0, 2.2, 1.0), (14.8, 2.4, 0.7), (21.0, 1.8, 0.25))
_EMAIL_WEEKEND = ((12.0, 4.0, 0.6), (20.5, 2.0, 0.3))

MODELS: dict[ChannelKind, ChannelModel] = {
    "voice": ChannelModel(
        daily=(1945, 1700, 1650, 1615, 1470, 445, 150),
        curves=(
            ((10.3, 1.5, 1.12), *_VOICE_WEEKDAY[1:]),  # Monday: a heavier morning
            *(_VOICE_WEEKDAY,) * 3,
            ((10.5, 1.5, 1.0), (14.4, 1.3, 0.48), (17.5, 1.0, 0.08)),  # Friday: light afternoon
            ((11.5, 2.4, 1.0),),  # Saturday: low and flat
            ((12.5, 2.6, 1.0),),
        ),
        floor=0.004, trend=-0.03, holiday=0.3, catch_up=1.2, day_cv=0.06, shape=40.0,
        aht=285.0, aht_bumps=((10.5, 2.0, 45.0), (19.5, 1.5, -8.0)), handle_cv=0.8,
        abandon=(0.02, 0.12),
    ),
    "chat": ChannelModel(
        daily=(590, 570, 555, 550, 540, 535, 555),
        curves=(*(_CHAT_WEEKDAY,) * 5, _CHAT_WEEKEND, _CHAT_WEEKEND),
        floor=0.01, trend=0.15, holiday=0.6, catch_up=1.15, day_cv=0.07, shape=25.0,
        aht=410.0, aht_bumps=((14.0, 3.5, 50.0), (21.0, 1.5, 20.0)), handle_cv=0.6,
        abandon=(0.015, 0.08),
    ),
    "deferred": ChannelModel(
        daily=(480, 410, 390, 375, 350, 105, 105),
        curves=(*(_EMAIL_WEEKDAY,) * 5, _EMAIL_WEEKEND, _EMAIL_WEEKEND),
        floor=0.09, trend=0.02, holiday=0.3, catch_up=1.25, day_cv=0.10, shape=10.0,
        aht=460.0, aht_bumps=((11.0, 3.0, 70.0),), handle_cv=0.9,
    ),
}
"""Model parameters by channel kind, calibrated so the example config looks like DESIGN.md's."""

SEASON: tuple[Bump, ...] = (
    (15.0, 22.0, 0.10),  # January: bills, renewals, New-Year changes
    (285.0, 32.0, 0.07),  # autumn
    (212.0, 24.0, -0.13),  # summer holidays
    (362.0, 5.0, -0.30),  # between Christmas and New Year
)
"""Yearly seasonality as (day of year, width in days, relative amplitude) bumps."""

COMMON_DAY_CV = 0.04
"""Coefficient of variation of the day factor shared by all channels."""
AHT_DAY_CV = 0.03
"""Coefficient of variation of the day-level AHT factor."""
MIN_AHT_SECONDS = 10.0
"""Floor of an interval's AHT (a lone very short contact would otherwise show as ~0 s)."""
ABANDON_CAP = 1.25
"""Load ratio (offered / typical peak) above which the abandon rate stops rising."""
ROSTER_SIZE = 60
"""Agents in the sample roster; enough to staff one week of the example config."""
SKILL_MIX: tuple[tuple[float, frozenset[ChannelKind]], ...] = (
    (0.40, frozenset({"voice"})),
    (0.20, frozenset({"voice", "chat"})),
    (0.20, frozenset({"voice", "chat", "deferred"})),
    (0.15, frozenset({"chat", "deferred"})),
    (0.05, frozenset({"deferred"})),
)
"""Share of agents per skill mix, as sets of channel kinds."""
CONTRACTS: tuple[tuple[float, int, int], ...] = ((0.60, 36, 40), (0.25, 25, 30), (0.15, 16, 20))
"""Share of agents per contract: (share, min_week_hours, max_week_hours)."""

_FIRST = (
    "Anna", "Lukas", "Mia", "Jonas", "Lea", "Felix", "Sophie", "Leon", "Marie", "Paul", "Hannah",
    "Finn", "Emma", "Elias", "Lena", "Ben", "Laura", "Tim", "Julia", "Max", "Aylin", "Mehmet",
    "Olga", "Dmitri", "Fatima", "Ahmed", "Chiara", "Marco", "Zofia", "Piotr", "Ana", "João",
    "Priya", "Kenji", "Amara", "Nikos",
)
_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann",
    "Krüger", "Hartmann", "Yılmaz", "Kaya", "Nowak", "Kowalski", "Rossi", "Ferreira", "Popescu",
    "Ivanova", "Nguyen", "Okafor", "García", "Jensen",
)
WISHES = {"availability": 0.05, "days_off": 0.03, "preferred_start": 0.20,
          "preferred_days_off": 0.15, "preference_weight": 0.20}
"""Share of agents with each roster column filled (``preference_weight``: of those with a wish)."""
DAYS_OFF_PAIRS: tuple[tuple[float, str], ...] = (
    (0.5, "sat|sun"), (0.2, "fri|sat"), (0.2, "sun|mon"), (0.1, "wed|thu"),
)
"""Preferred days off: (share, days)."""
ROSTER_COLUMNS = (F.AGENT_ID, "name", "skills", "contract", "min_week_hours", "max_week_hours",
                  "availability", "days_off", "preferred_start", "preferred_days_off",
                  "preference_weight")
TIME_OFF_COLUMNS = (*F.TIME_OFF_REQUIRED, *F.TIME_OFF_OPTIONAL)


@dataclass(frozen=True)
class Sample:
    """Generated sample data: interval history, roster and time off, in their CSV layouts."""

    history: pd.DataFrame
    roster: pd.DataFrame
    time_off: pd.DataFrame


@dataclass(frozen=True)
class _Days:
    """Per local day of the sample: the calendar facts the volume model needs."""

    weekday: np.ndarray  # 0 = Monday
    holiday: np.ndarray
    after_holiday: np.ndarray
    season: np.ndarray
    years_to_end: np.ndarray  # <= 0


def generate_sample(config: Config, start: dt.date, weeks: int, seed: int) -> Sample:
    """Generate seeded, realistic interval history and a roster for every channel of ``config``.

    Parameters
    ----------
    config : Config
        The site: time zone, interval length, holiday calendar, channels and skill groups.
    start : datetime.date
        First local day of the history (a Monday gives whole weeks).
    weeks : int
        Number of weeks of history, at least 1.
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives identical frames.

    Returns
    -------
    Sample
        ``history`` with one row per interval and channel (time-major, channels in config order):
        ``interval_start`` (tz-aware, site time zone), ``channel``, ``offered``, ``handled``,
        ``abandoned`` (int64) and ``aht_seconds`` (float, NaN when nothing was handled);
        ``roster`` with :data:`ROSTER_COLUMNS` (blank cells: ``""`` or ``<NA>``); and
        ``time_off`` with :data:`TIME_OFF_COLUMNS`, in the week after the history.

    Raises
    ------
    ValueError
        If ``weeks`` is less than 1.

    Examples
    --------
    >>> from wfm.config import load_config
    >>> s = generate_sample(load_config("configs/example.yaml"), dt.date(2025, 1, 6), 1, seed=7)
    >>> len(s.history) == 7 * 96 * 3, len(s.roster)
    (True, 60)
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    grid = Grid.from_config(config)
    index = grid.intervals(start, 7 * weeks)
    local = index.tz_convert(grid.timezone).tz_localize(None)
    day_of = np.asarray((local.normalize() - pd.Timestamp(start)).days)
    slot = grid.minute_of_day(index) // grid.interval_minutes
    days = _calendar(grid, start, 7 * weeks)

    # the wish and time-off generators come after the first two, which stay what they were
    history_rng, roster_rng, wish_rng, off_rng = np.random.default_rng(seed).spawn(4)
    common = _gamma_factor(history_rng, COMMON_DAY_CV, len(days.weekday))
    columns = [
        _channel_history(ch, grid, index, day_of, slot, days, common, rng)
        for ch, rng in zip(config.channels.values(), history_rng.spawn(len(config.channels)),
                           strict=True)
    ]
    history = pd.DataFrame({
        F.INTERVAL_START: index.repeat(len(columns)),
        F.CHANNEL: np.tile(np.array(list(config.channels), dtype=object), len(index)),
        **{
            name: np.column_stack([c[name] for c in columns]).ravel()
            for name in (F.OFFERED, F.HANDLED, F.ABANDONED, F.AHT_SECONDS)
        },
    })
    history[F.CHANNEL] = history[F.CHANNEL].astype("str")
    roster = _roster(config, roster_rng, wish_rng)
    last = start + dt.timedelta(days=7 * weeks - 1)
    monday = last + dt.timedelta(days=7 - last.weekday())
    return Sample(history=history, roster=roster,
                  time_off=_time_off(config, grid, roster, monday, off_rng))


def write_sample(sample: Sample, out_dir: Path) -> list[Path]:
    """Write ``history.csv.gz``, ``roster.csv`` and ``time_off.csv`` into ``out_dir``, atomically
    and reproducibly.

    Parameters
    ----------
    sample : Sample
        As returned by :func:`generate_sample`.
    out_dir : Path
        Folder to write into; created if missing.

    Returns
    -------
    list of Path
        The history, roster and time-off paths, in that order.
    """
    out_dir = Path(out_dir)
    return [
        write_frame(sample.history, out_dir / "history.csv.gz", float_format="%.1f"),
        write_frame(sample.roster, out_dir / "roster.csv"),
        write_frame(sample.time_off, out_dir / "time_off.csv"),
    ]


def _calendar(grid: Grid, start: dt.date, n_days: int) -> _Days:
    """Weekday, holiday flags, seasonality and trend time of ``n_days`` days from ``start``."""
    dates = [start + dt.timedelta(days=i) for i in range(-1, n_days)]
    cal = grid.holidays(range(dates[0].year, dates[-1].year + 1))
    holiday = np.array([d in cal for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates[1:]], dtype=float)
    season = np.ones(n_days)
    for centre, width, amplitude in SEASON:
        dist = (doy - centre + 365.25 / 2) % 365.25 - 365.25 / 2
        season += amplitude * np.exp(-0.5 * (dist / width) ** 2)
    return _Days(
        weekday=np.array([d.weekday() for d in dates[1:]]),
        holiday=holiday[1:],
        after_holiday=holiday[:-1] & ~holiday[1:],
        season=season,
        years_to_end=(np.arange(n_days) - (n_days - 1)) / 365.25,
    )


def _bumps(x: np.ndarray, bumps: tuple[Bump, ...]) -> np.ndarray:
    """Sum of Gaussian bumps ``height * exp(-0.5 * ((x - centre) / width) ** 2)``."""
    return sum((h * np.exp(-0.5 * ((x - c) / w) ** 2) for c, w, h in bumps), np.zeros_like(x))


def intraday_shares(model: ChannelModel, interval_minutes: int) -> np.ndarray:
    """Share of a day's demand per interval slot: shape (7 weekdays, slots per 24 h), rows sum to 1.

    Parameters
    ----------
    model : ChannelModel
        The kind's curves and floor.
    interval_minutes : int
        Interval length; slot ``j`` covers minutes ``[j * len, (j + 1) * len)`` after midnight.
    """
    hours = (np.arange(1440 // interval_minutes) + 0.5) * interval_minutes / 60
    curves = np.array([model.floor + _bumps(hours, bumps) for bumps in model.curves])
    return curves / curves.sum(axis=1, keepdims=True)


def _gamma_factor(rng: np.random.Generator, cv: float, size: int) -> np.ndarray:
    """Gamma variates with mean 1 and coefficient of variation ``cv``."""
    shape = 1 / cv**2
    return rng.gamma(shape, 1 / shape, size)


def _channel_history(
    channel: Channel,
    grid: Grid,
    index: pd.DatetimeIndex,
    day_of: np.ndarray,
    slot: np.ndarray,
    days: _Days,
    common: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Offered, handled, abandoned and AHT of one channel for every interval of ``index``."""
    m = MODELS[channel.kind]
    shares = intraday_shares(m, grid.interval_minutes)
    profile = np.where(days.holiday, 6, days.weekday)  # holidays follow Sunday's curve
    level = (
        np.asarray(m.daily)[days.weekday]
        * days.season
        * (1 + m.trend) ** days.years_to_end
        * np.where(days.holiday, m.holiday, 1.0)
        * np.where(days.after_holiday, m.catch_up, 1.0)
        * common
        * _gamma_factor(rng, m.day_cv, len(common))
    )
    lam = level[day_of] * shares[profile[day_of], slot]
    if channel.kind != "deferred":
        lam = lam * grid.open_mask(channel.hours, index)
    offered = rng.poisson(lam * rng.gamma(m.shape, 1 / m.shape, len(lam))).astype(np.int64)

    lo, hi = m.abandon
    peak = max(d * s.max() for d, s in zip(m.daily, shares, strict=True))
    rate = lo + (hi - lo) * np.minimum(offered / peak, ABANDON_CAP) ** 2
    abandoned = rng.binomial(offered, rate).astype(np.int64)
    handled = offered - abandoned

    hour = (slot + 0.5) * grid.interval_minutes / 60
    aht_day = _gamma_factor(rng, AHT_DAY_CV, len(common))
    mean_aht = (m.aht + _bumps(hour, m.aht_bumps)) * aht_day[day_of]
    n = np.maximum(handled, 1)
    aht = rng.gamma(n / m.handle_cv**2, mean_aht * m.handle_cv**2 / n)
    aht = np.where(handled > 0, np.round(np.maximum(aht, MIN_AHT_SECONDS), 1), np.nan)
    return {F.OFFERED: offered, F.HANDLED: handled, F.ABANDONED: abandoned, F.AHT_SECONDS: aht}


def _largest_remainder(shares: list[float], total: int) -> np.ndarray:
    """Whole counts in proportion to ``shares`` that add up to ``total``."""
    raw = np.asarray(shares) / sum(shares) * total
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _skill_token(config: Config, kinds: frozenset[ChannelKind]) -> str | None:
    """The roster ``skills`` text for all channels of ``kinds``: a group name if one fits."""
    names = [n for n, ch in config.channels.items() if ch.kind in kinds]
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    for group, members in config.skills.items():
        if set(members) == set(names):
            return group
    return "|".join(names)


def _roster(config: Config, rng: np.random.Generator,
            wish_rng: np.random.Generator) -> pd.DataFrame:
    """:data:`ROSTER_SIZE` agents: names, skill mixes, contracts and wishes (module docstring)."""
    mix = [(share, tok) for share, kinds in SKILL_MIX
           if (tok := _skill_token(config, kinds)) is not None]
    skills = np.repeat([t for _, t in mix], _largest_remainder([s for s, _ in mix], ROSTER_SIZE))
    contract = np.repeat(np.arange(len(CONTRACTS)),
                         _largest_remainder([c[0] for c in CONTRACTS], ROSTER_SIZE))
    contract = rng.permutation(contract)
    pairs = rng.choice(len(_FIRST) * len(_LAST), size=ROSTER_SIZE, replace=False)
    agent_skills = rng.permutation(skills).tolist()
    by_hours: dict[tuple[float, float], str] = {}
    for name, c in config.contracts.items():
        by_hours.setdefault((c.min_week_hours, c.max_week_hours), name)
    names = [by_hours.get(CONTRACTS[c][1:], "") for c in contract]
    shapes = _shapes(config)
    terms = [_terms(config, shapes, s, n, *CONTRACTS[c][1:])
             for s, n, c in zip(agent_skills, names, contract, strict=True)]
    return pd.DataFrame({
        F.AGENT_ID: [f"A{i + 1:03d}" for i in range(ROSTER_SIZE)],
        "name": [f"{_FIRST[p // len(_LAST)]} {_LAST[p % len(_LAST)]}" for p in pairs],
        "skills": agent_skills,
        "contract": names,
        **{col: pd.array([None if n else CONTRACTS[c][k] for n, c in zip(names, contract,
                                                                      strict=True)],
                         dtype="Int64")
           for k, col in ((1, "min_week_hours"), (2, "max_week_hours"))},
        **_wishes(terms, contract != 0, wish_rng),  # CONTRACTS[0] is full time
    }, columns=list(ROSTER_COLUMNS))


# --- wishes, availability and time off: only what each agent's contract still allows ----------

Shape = tuple[int, int, int]
"""A shift the config allows: (local start minute, length minutes, paid minutes)."""


@dataclass(frozen=True)
class _Terms:
    """What a week's schedule must give one agent, and the open minutes of its channels.

    ``open`` holds one boolean row per weekday (Monday first) over two days of minutes, so a
    shift may run past midnight; availability, days off and time off clear minutes of it.
    """

    min_minutes: int
    max_minutes: int
    rules: RuleSet
    shapes: tuple[Shape, ...]
    open: np.ndarray

    def limited(self, days: range | list[int], start: int = 0,
                end: int = 2 * MINUTES_PER_DAY) -> _Terms:
        """These terms with ``[start, end)`` of ``days`` closed (the whole day by default)."""
        closed = self.open.copy()
        closed[list(days), start:end] = False
        return dataclasses.replace(self, open=closed)

    def window(self, start: int, end: int) -> _Terms:
        """These terms limited to ``mon-fri`` from ``start`` to ``end``."""
        return self.limited([5, 6]).limited(range(5), 0, start).limited(range(5), end)

    def pays(self, day: int) -> set[int]:
        """Paid minutes of the shifts that fit on ``day``."""
        return {p for s, n, p in self.shapes if self.open[day, s:s + n].all()}


def _shapes(config: Config) -> tuple[Shape, ...]:
    """Every shift of the config's policy (whole-hour 4, 6 and 8-h shifts when it has none)."""
    if config.shifts is None:
        return tuple((h * 60, n * 60, n * 60) for n in (4, 6, 8) for h in range(24))
    return tuple((t.start_minute, t.length_minutes, t.paid_minutes)
                 for t in expand_templates(config.shifts, config.site.interval_minutes))


def _terms(config: Config, shapes: tuple[Shape, ...], skills: str, contract: str, lo: float,
           hi: float, holidays: tuple[bool, ...] = (False,) * 7) -> _Terms:
    """The terms :func:`wfm.io.roster.read_roster` and the scheduler give a roster row."""
    c = config.contracts.get(contract)
    rules = (config.rule_sets[c.rule_set] if c is not None and c.rule_set else config.rules)
    lengths = (None if c is None or c.shift_lengths_hours is None
               else {round(h * 60) for h in c.shift_lengths_hours})
    shapes = tuple(sh for sh in shapes
                   if (lengths is None or sh[1] in lengths) and sh[2] <= hi * 60)
    is_open = np.zeros((7, 2 * MINUTES_PER_DAY), dtype=bool)
    for ch in config.expand_skills(skills.split("|")):
        for day in range(7):
            for a, b in config.channels[ch].hours.ranges_for(day, holidays[day]):
                is_open[day, a:b] = True
    return _Terms(round(lo * 60), round(hi * 60), rules, shapes, is_open)


def _week_fits(t: _Terms, paid_off_minutes: int = 0) -> bool:
    """Whether some week of shifts in ``t.open`` meets the agent's hours and day rules.

    Dynamic programming over the days with states (days worked, paid minutes, working days in a
    row, previous day off, two days off in a row seen); rest times and start variation are left
    to the scheduler's own diagnosis.
    """
    r = t.rules
    states = {(0, paid_off_minutes, 0, False, False)}
    for day in range(7):
        pays = t.pays(day)
        after = set()
        for worked, paid, run, off, pair in states:
            after.add((worked, paid, 0, True, pair or off))
            if run < r.max_consecutive_days and worked < r.max_days_per_week:
                after.update((worked + 1, paid + p, run + 1, False, pair) for p in pays
                             if paid + p <= t.max_minutes)
        states = after
    return any(worked >= r.min_days_per_week and paid >= t.min_minutes
               and (pair or not r.consecutive_days_off)
               for worked, paid, _, _, pair in states)


def _hhmm(minute: int) -> str:
    h, m = divmod(minute % MINUTES_PER_DAY, 60)
    return f"{h:02d}:{m:02d}"


def _count(share: float, n: int, at_least: int = 0) -> int:
    return max(at_least, round(share * n))


def _wishes(terms: list[_Terms], part_time: np.ndarray,
            rng: np.random.Generator) -> dict[str, object]:
    """The availability, fixed days off and soft wishes of each agent (module docstring)."""
    n = len(terms)
    out = {c: [""] * n
           for c in ("availability", "days_off", "preferred_start", "preferred_days_off")}
    weight: list[int | None] = [None] * n
    weekdays = range(5)

    windows: dict[int, tuple[int, int]] = {}
    for a, t in enumerate(terms):
        if not t.shapes:
            continue
        span = min(sh[1] for sh in t.shapes) + 120
        start = next((s for s in sorted({sh[0] for sh in t.shapes})
                      if all(t.open[d, s:s + span].all() for d in weekdays)), None)
        if start is not None and _week_fits(t.window(start, start + span)):
            windows[a] = (start, start + span)
    for a in _pick(rng, sorted(windows), _count(WISHES["availability"], n, 1)):
        start, end = windows[a]
        out["availability"][a] = f"mon-fri {_hhmm(start)}-{_hhmm(end)}"
        terms[a] = terms[a].window(start, end)

    free = [a for a in range(n) if part_time[a] and not out["availability"][a]]
    for a in _pick(rng, [a for a in free if any(_week_fits(terms[a].limited([d]))
                                                  for d in weekdays)],
                   _count(WISHES["days_off"], n, 1)):
        day = int(rng.choice([d for d in weekdays if _week_fits(terms[a].limited([d]))]))
        out["days_off"][a] = WEEKDAYS[day]
        terms[a] = terms[a].limited([day])

    # the five earliest whole hours at which one of the agent's shifts fits every weekday
    starts = {a: sorted({s for s, length, _ in t.shapes if s % 60 == 0
                         and all(t.open[d, s:s + length].all() for d in weekdays)})[:5]
              for a, t in enumerate(terms)}
    for a in _pick(rng, [a for a in range(n) if starts[a]], _count(WISHES["preferred_start"], n)):
        out["preferred_start"][a] = _hhmm(int(rng.choice(starts[a])))
    shares, pairs = zip(*DAYS_OFF_PAIRS, strict=True)
    for a in _pick(rng, [a for a in range(n) if not out["days_off"][a]],
                   _count(WISHES["preferred_days_off"], n)):
        out["preferred_days_off"][a] = str(rng.choice(pairs, p=shares))
    wishers = [a for a in range(n) if out["preferred_start"][a] or out["preferred_days_off"][a]]
    for a in _pick(rng, wishers, _count(WISHES["preference_weight"], len(wishers))):
        weight[a] = 2
    return {**out, "preference_weight": pd.array(weight, dtype="Int64")}


def _pick(rng: np.random.Generator, candidates: list[int], k: int) -> list[int]:
    """``k`` of ``candidates`` (all when fewer), drawn without replacement, in ascending order."""
    k = min(k, len(candidates))
    return sorted(int(a) for a in rng.choice(candidates, size=k, replace=False)) if k else []


def _time_off(config: Config, grid: Grid, roster: pd.DataFrame, monday: dt.date,
              rng: np.random.Generator) -> pd.DataFrame:
    """A vacation, a personal day and an appointment in the week from ``monday`` (docstring)."""
    dates = [monday + dt.timedelta(days=d) for d in range(7)]
    cal = grid.holidays(sorted({d.year for d in dates}))
    holidays = tuple(d in cal for d in dates)
    hours = roster[["min_week_hours", "max_week_hours"]].astype("Float64").to_numpy(
        dtype=float, na_value=np.nan)
    shapes = _shapes(config)
    terms: dict[int, _Terms] = {}
    for a, (skills, name, avail, off) in enumerate(zip(
            roster["skills"], roster["contract"], roster["availability"], roster["days_off"],
            strict=True)):
        if avail or off:
            continue
        c = config.contracts.get(name)
        lo, hi = hours[a]
        if c is not None:  # blank cells take the contract's hours, as read_roster does
            lo = c.min_week_hours if np.isnan(lo) else lo
            hi = c.max_week_hours if np.isnan(hi) else hi
        terms[a] = _terms(config, shapes, skills, name, lo, hi, holidays)
    rows: list[tuple[int, int, str, str, int, str]] = []

    def take(fits: dict[int, bool]) -> int | None:
        taken = {r[0] for r in rows}
        picked = _pick(rng, [a for a, ok in fits.items() if ok and a not in taken], 1)
        return picked[0] if picked else None

    paid = {a: round(t.max_minutes / 5 / 30) * 30 for a, t in terms.items()}
    tiers = sorted({t.max_minutes for t in terms.values()}, reverse=True)
    for n_days, tier in ((n, tier) for n in (3, 2, 1) for tier in tiers):
        who = take({a: t.max_minutes == tier
                    and _week_fits(t.limited(range(n_days)), n_days * paid[a])
                    for a, t in terms.items()})
        if who is not None:
            rows += [(who, d, "", "", paid[who], "vacation") for d in range(n_days)]
            break
    day = int(rng.integers(5))
    who = take({a: _week_fits(t.limited([day])) for a, t in terms.items()})
    if who is not None:
        rows.append((who, day, "", "", 0, "personal"))
    # an afternoon appointment that moves the agent's shift that day rather than cancelling it
    day, start = int(rng.integers(5)), int(rng.integers(14, 17)) * 60
    who = take({a: bool(t.limited([day], start, start + 120).pays(day))
                and _week_fits(t.limited([day], start, start + 120)) for a, t in terms.items()})
    if who is not None:
        rows.append((who, day, _hhmm(start), _hhmm(start + 120), 0, "appointment"))
    rows.sort(key=lambda r: (r[1], r[0]))
    return pd.DataFrame({
        F.AGENT_ID: [roster[F.AGENT_ID].iloc[r[0]] for r in rows],
        F.DATE: [dates[r[1]].isoformat() for r in rows],
        "start": [r[2] for r in rows],
        "end": [r[3] for r in rows],
        "paid_hours": np.array([r[4] / 60 for r in rows], dtype=float),
        "reason": [r[5] for r in rows],
    }, columns=list(TIME_OFF_COLUMNS))
