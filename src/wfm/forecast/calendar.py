"""Special days: public holidays, the days around them, configured events, and history outliers.

A *special day* is a local date whose volume the weekly pattern does not predict: a public
holiday, the ordinary day before or after one (people call on the last or first open day instead),
or a configured :class:`~wfm.config.Event` such as a campaign or Black Friday. The forecaster
leaves special days out of the series it fits, and multiplies the forecast of a future special
day by a factor learnt from the past days of the same *kind*.

Month edges are special days too where a channel shows them: the first three business days of
a month and its last one (business days: Monday to Friday, not a public holiday), when bills,
statements and salaries tend to bring calls in. On the fpp3 bank the first and the last
business day run 3–18 % above their weekday in every month of the data. A channel marks them
only when its own history shows the effect (:func:`significant_kinds`); elsewhere they stay
ordinary days.

Each date gets exactly one kind (:func:`day_kinds`). When several apply, the most specific wins:

    event  >  ``holiday``  >  ``after_holiday``  >  ``before_holiday``  >  ``month_start``  >
    ``month_end``  >  ordinary (``""``)

An event only marks the days of the channels it names (all channels when it names none); when two
events cover the same day, the one listed first in the configuration wins. A day between two
holidays is ``after_holiday``.

Factors (:func:`special_day_factors`) are the median ratio actual ÷ expected over the past days of
a kind, one ratio per *day* (a five-day event range gives up to five ratios); ``expected`` is what
the weekly pattern predicts for that day. The median is used because a kind has few days and one
of them may be odd. An event with a numeric multiplier uses it as given; a kind never seen gets
1.0.

Outliers (:func:`detect_outliers`) are ordinary days whose value a broken feed or an outage
distorted: a day with lost data, a day with no calls, the flood after an outage. A day's expected
value ``e`` is the median of the same weekday in the four weeks before and after it (special days
and days without data left out, at least three needed): a Hampel filter with a weekly lag
(Hampel 1974). Its deviation is measured as a robust z-score

    z = (2√a − 2√e) / √(1 + σ² e),

the variance-stabilised residual (Anscombe 1948) of a count ``a`` that has Poisson noise plus a
day-level multiplicative noise of standard deviation ``σ`` (variance ``e + σ² e²``). ``σ`` is the
smallest value ≥ 0 for which ``1.4826 × median |z|`` over all judged days is at most 1: the MAD
scale of the residuals (Leys et al. 2013), which never drops below pure counting noise. For large
counts ``z ≈ log(a ÷ e) / σ``, a robust z-score of the log ratio; for a small channel (20 calls on
Saturdays next to 1,000 on weekdays) the Poisson term keeps the quiet days from being flagged for
the spread of the busy ones. A day is an outlier when

    |z| > threshold   and   |a ÷ e − 1| > min_change,

the second rule keeping a very steady series from flagging a 10 % dip. A day with no calls has a
finite ``z`` (ratio 0) and is flagged when its expected volume is large enough to make that
unlikely. Days whose expected value is below ``min_expected`` (closed weekdays) are never
outliers. Nor is a deviation that recurs: when the nearest same weekday with data before or
after it moved the same way by more than ``min_change`` too, the day shows a change of level
or weekly pattern (a new campaign, a re-routed queue) that the models must follow, not a
one-off fault.

References
----------
F. R. Hampel (1974), "The influence curve and its role in robust estimation", *Journal of the
American Statistical Association* 69(346), 383–393.

C. Leys, C. Ley, O. Klein, P. Bernard and L. Licata (2013), "Detecting outliers: Do not use
standard deviation around the mean, use absolute deviation around the median", *Journal of
Experimental Social Psychology* 49(4), 764–766.

F. J. Anscombe (1948), "The transformation of Poisson, binomial and negative-binomial data",
*Biometrika* 35(3/4), 246–254.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from wfm.config import Event
from wfm.timegrid import Grid

HOLIDAY = "holiday"
BEFORE_HOLIDAY = "before_holiday"
AFTER_HOLIDAY = "after_holiday"
NORMAL = ""
HOLIDAY_KINDS = (HOLIDAY, AFTER_HOLIDAY, BEFORE_HOLIDAY)
"""The kinds the public-holiday calendar gives, most specific first."""
MONTH_START = "month_start"
MONTH_END = "month_end"
MONTH_KINDS = (MONTH_START, MONTH_END)
"""The first :data:`MONTH_START_DAYS` business days of a month, and its last one."""
MONTH_START_DAYS = 3
"""On the fpp3 bank the first three business days run 5–8 % above their weekday, the last one
8 %, the one before it 2 %."""
MIN_OCCURRENCES = 4
"""A candidate kind needs this many past days with data to be judged."""
MIN_T = 3.0
"""... a mean log ratio this many standard errors from zero ..."""
MIN_EFFECT = 0.03
"""... and a mean effect of at least 3 %."""

OUTLIER_WEEKS = 4
"""The expected value of a day is the median of its weekday this many weeks either side."""
MIN_NEIGHBOURS = 3
"""Fewer usable same-weekday neighbours than this and a day is not judged."""
MAD_TO_SD = 1.4826
"""``1 / Φ⁻¹(3/4)``: makes the MAD a consistent estimate of a normal standard deviation."""
OUTLIER_COLUMNS = ("date", "actual", "expected", "ratio")


def event_kind(name: str) -> str:
    """The day kind of the event called ``name``: ``event:<name>``."""
    return f"event:{name}"


def _as_dates(index: Sequence[dt.date] | pd.Index) -> pd.Index:
    """Local dates as an Index of ``datetime.date``, whatever form they came in."""
    if len(index) == 0:
        return pd.Index([], dtype=object)
    return pd.Index(pd.DatetimeIndex(pd.to_datetime(list(index))).date)


def day_kinds(
    grid: Grid,
    dates: Sequence[dt.date] | pd.Index,
    events: Sequence[Event] = (),
    channel: str | None = None,
    month_kinds: Sequence[str] = (),
) -> pd.Series:
    """The kind of each local date: an event, a holiday kind, a month edge, or :data:`NORMAL`.

    Parameters
    ----------
    grid
        The site grid; its holiday calendar decides the holiday kinds.
    dates
        Local dates (``datetime.date``, or anything :func:`pandas.to_datetime` reads).
    events
        Configured events. The first listed wins where two cover the same day.
    channel
        Only events for this channel (and events naming no channel) mark days. ``None`` applies
        every event.
    month_kinds
        The month edges (:data:`MONTH_KINDS`) to mark; none by default.

    Returns
    -------
    pandas.Series
        Kind strings, indexed by the dates as ``datetime.date``.
    """
    days = _as_dates(dates)
    stamps = pd.DatetimeIndex(pd.to_datetime(list(days))) if len(days) else pd.DatetimeIndex([])
    one = pd.Timedelta(days=1)
    holiday = grid.is_holiday(stamps)
    after = grid.is_holiday(stamps - one) & ~holiday
    before = grid.is_holiday(stamps + one) & ~holiday & ~after
    kinds = np.full(len(days), NORMAL, dtype=object)
    if month_kinds and len(days):
        first, last = _month_edges(grid, stamps)
        for kind, mark in ((MONTH_END, last), (MONTH_START, first)):  # the start wins
            if kind in month_kinds:
                kinds[mark] = kind
    kinds[before] = BEFORE_HOLIDAY
    kinds[after] = AFTER_HOLIDAY
    kinds[holiday] = HOLIDAY
    # Walk the events last to first, so that the first listed is written last and wins.
    for event in reversed(events):
        if channel is None or event.channels is None or channel in event.channels:
            kinds[np.asarray(days.isin(event.days()), dtype=bool)] = event_kind(event.name)
    return pd.Series(kinds, index=days, name="kind", dtype=object)


def _month_edges(grid: Grid, stamps: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Is each date one of the first :data:`MONTH_START_DAYS` / the last business day (Monday to
    Friday, not a public holiday) of its month?"""
    months = pd.date_range(stamps.min().to_period("M").to_timestamp(),
                           stamps.max().to_period("M").to_timestamp("D", "end"), freq="D")
    business = months[(months.day_of_week < 5) & ~grid.is_holiday(months)]
    by_month = business.to_series().groupby(business.to_period("M"))
    firsts = set(by_month.nsmallest(MONTH_START_DAYS).droplevel(0))
    lasts = set(by_month.max())
    return np.asarray(stamps.isin(list(firsts))), np.asarray(stamps.isin(list(lasts)))


def significant_kinds(
    actual: pd.Series,
    expected: pd.Series,
    kinds: pd.Series,
    candidates: Sequence[str],
    *,
    min_expected: float = 1.0,
) -> tuple[str, ...]:
    """The candidate kinds whose past days differ from what the weekly pattern expected.

    Per kind, the log ratios ``log(actual ÷ expected)`` of its past days with data: a kind is
    kept when it has at least :data:`MIN_OCCURRENCES` of them, their mean is more than
    :data:`MIN_T` standard errors from zero (a one-sample t statistic: with 4–6 days chance alone
    exceeds it in 3–6 % of channels without the effect) and the mean effect is at
    least :data:`MIN_EFFECT`.
    """
    y, exp, kind, usable = _aligned(actual, expected, kinds, min_expected)
    usable &= y > 0
    kept = []
    for k in candidates:
        sel = usable & (kind == k)
        if sel.sum() < MIN_OCCURRENCES:
            continue
        logs = np.log(y[sel] / exp[sel])
        mean, se = float(logs.mean()), float(logs.std(ddof=1)) / np.sqrt(sel.sum())
        if abs(mean) >= np.log1p(MIN_EFFECT) and abs(mean) > MIN_T * se:
            kept.append(k)
    return tuple(kept)


def special_day_factors(
    actual: pd.Series,
    expected: pd.Series,
    kinds: pd.Series,
    events: Sequence[Event] = (),
    *,
    min_expected: float = 1.0,
) -> dict[str, float]:
    """Volume multiplier per special-day kind.

    Parameters
    ----------
    actual
        Observed daily volume by local date; NaN for a day without (complete) data.
    expected
        What the weekly pattern predicts for the same dates.
    kinds
        :func:`day_kinds` of (at least) the dates of ``actual``.
    events
        Configured events: a numeric multiplier is returned as given, ``learn`` is learnt.
    min_expected
        Days expected below this volume carry no information about a ratio and are skipped.

    Returns
    -------
    dict[str, float]
        One factor for each holiday kind, each special kind in ``kinds`` and each event: the
        median of actual ÷ expected over the past days of that kind, or 1.0 when there are none.
    """
    y, exp, kind_arr, usable = _aligned(actual, expected, kinds, min_expected)
    with np.errstate(divide="ignore", invalid="ignore"):  # days not usable are never read
        ratio = y / exp

    wanted = [*HOLIDAY_KINDS, *(k for k in pd.unique(kinds.to_numpy()) if k != NORMAL)]
    given: dict[str, float] = {}
    for event in events:
        k = event_kind(event.name)
        wanted.append(k)
        if event.multiplier != "learn" and k not in given:
            given[k] = float(event.multiplier)

    factors: dict[str, float] = {}
    for k in dict.fromkeys(wanted):  # unique, in order
        if k in given:
            factors[k] = given[k]
            continue
        ratios = ratio[usable & (kind_arr == k)]
        factors[k] = float(np.median(ratios)) if len(ratios) else 1.0
    return factors


def _aligned(actual: pd.Series, expected: pd.Series, kinds: pd.Series,
             min_expected: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``actual``, ``expected`` and ``kinds`` as arrays on ``actual``'s dates, and which of
    those days can be judged (data, and an expected volume of at least ``min_expected``)."""
    days = _as_dates(actual.index)
    y = actual.to_numpy(dtype=float)
    exp = pd.Series(expected.to_numpy(dtype=float),
                    index=_as_dates(expected.index)).reindex(days).to_numpy()
    kind = pd.Series(kinds.to_numpy(), index=_as_dates(kinds.index)).reindex(days).to_numpy()
    with np.errstate(invalid="ignore"):
        usable = ~np.isnan(y) & (exp >= min_expected)
    return y, exp, kind, usable


def detect_outliers(
    actual: pd.Series,
    kinds: pd.Series,
    *,
    threshold: float = 5.0,
    min_change: float = 0.25,
    min_expected: float = 1.0,
) -> pd.DataFrame:
    """Ordinary history days whose volume a data loss, an outage or its aftermath distorted.

    The rule is in the module docstring: a robust z-score ``|z| > threshold`` of the day against
    the median of its weekday over ±4 weeks, and a change of more than ``min_change``.

    Parameters
    ----------
    actual
        Daily volume by local date; NaN for a day without (complete) data. Missing dates are
        allowed.
    kinds
        :func:`day_kinds` of the dates; only :data:`NORMAL` days are judged or used as
        neighbours. A date missing from ``kinds`` counts as ordinary.
    threshold
        Robust z-score (in MAD-based standard deviations) a day must exceed.
    min_change
        Relative change ``|actual ÷ expected − 1|`` a day must exceed.
    min_expected
        Days expected below this volume (closed weekdays) are never outliers.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (``datetime.date``), ``actual``, ``expected`` and ``ratio``; one row per
        outlier, sorted by date.
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object if c == "date" else float)
                          for c in OUTLIER_COLUMNS})
    if len(actual) == 0:
        return empty
    days = _as_dates(actual.index)
    if days.has_duplicates:
        raise ValueError(f"detect_outliers needs one value per date; "
                         f"{days[days.duplicated()][0]} appears more than once")
    kind = pd.Series(kinds.to_numpy(), index=_as_dates(kinds.index)).reindex(days)
    stamps = pd.DatetimeIndex(pd.to_datetime(list(days)))
    full = pd.date_range(stamps.min(), stamps.max(), freq="D")
    y = pd.Series(actual.to_numpy(dtype=float), index=stamps).reindex(full).to_numpy()
    normal = pd.Series((kind.fillna(NORMAL) == NORMAL).to_numpy(), index=stamps)
    ordinary = normal.reindex(full, fill_value=False).to_numpy(dtype=bool) & ~np.isnan(y)
    expected = _weekday_median(np.where(ordinary, y, np.nan))

    judged = ordinary & (expected >= min_expected)  # NaN expected (too few neighbours) fails
    if not judged.any():
        return empty
    a, e = np.maximum(y[judged], 0.0), expected[judged]
    jump = 2 * np.sqrt(a) - 2 * np.sqrt(e)
    sigma = _overdispersion(jump, e)
    z = jump / np.sqrt(1 + sigma**2 * e)
    ratio = a / e
    flagged = (np.abs(z) > threshold) & (np.abs(ratio - 1) > min_change)
    flagged &= ~_recurs(judged, ratio, min_change)[judged]
    return pd.DataFrame({
        "date": pd.Index(full[judged][flagged].date, dtype=object),
        "actual": a[flagged],
        "expected": e[flagged],
        "ratio": ratio[flagged],
    })


def _recurs(judged: np.ndarray, ratio: np.ndarray, min_change: float) -> np.ndarray:
    """For each day: did the nearest judged same weekday before or after (skipping days without
    data, at most OUTLIER_WEEKS weeks away) move the same way?"""
    full = np.full(len(judged), np.nan)
    full[judged] = ratio
    out = np.zeros(len(judged), dtype=bool)
    for moved in (full > 1 + min_change, full < 1 - min_change):
        for start in range(7):
            days = np.flatnonzero(judged[start::7]) * 7 + start  # judged days of one weekday
            if len(days) < 2:
                continue
            near = np.diff(days) <= 7 * OUTLIER_WEEKS
            pair = moved[days[:-1]] & moved[days[1:]] & near
            out[days[:-1][pair]] = True
            out[days[1:][pair]] = True
    return out


def _weekday_median(y: np.ndarray) -> np.ndarray:
    """Median of the same weekday 1 … OUTLIER_WEEKS weeks either side of each day of a daily
    array (NaN = not usable); NaN where fewer than MIN_NEIGHBOURS are usable."""
    pad = 7 * OUTLIER_WEEKS
    padded = np.concatenate([np.full(pad, np.nan), y, np.full(pad, np.nan)])
    n = len(y)
    shifts = [s * 7 * w for w in range(1, OUTLIER_WEEKS + 1) for s in (-1, 1)]
    neighbours = np.stack([padded[pad + s: pad + s + n] for s in shifts], axis=1)
    enough = (~np.isnan(neighbours)).sum(axis=1) >= MIN_NEIGHBOURS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows, masked just below
        median = np.nanmedian(neighbours, axis=1)
    return np.where(enough, median, np.nan)


def _overdispersion(jump: np.ndarray, expected: np.ndarray) -> float:
    """The smallest σ ≥ 0 giving ``jump / √(1 + σ² expected)`` a MAD scale of at most 1."""

    def excess(sigma: float) -> float:
        z = jump / np.sqrt(1 + sigma**2 * expected)
        return MAD_TO_SD * float(np.median(np.abs(z))) - 1.0

    if excess(0.0) <= 0:
        return 0.0
    hi = 1.0
    while excess(hi) > 0:  # the scale falls to 0 as sigma grows, so this ends
        hi *= 2
    return float(brentq(excess, 0.0, hi, xtol=1e-9))
