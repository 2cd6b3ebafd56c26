"""Prediction intervals calibrated on backtest errors.

A count forecast ``mu`` is wrong for two reasons: the count is random even when ``mu`` is right
(Poisson noise, inflated by ``phi`` when arrivals are overdispersed), and ``mu`` itself is off —
mostly because the whole day's level is (Weinberg, Brown & Stroud 2007: a day-level multiplier
times a Poisson process). The variance of an interval's error is therefore modelled as

    var = phi · mu + kappa · mu²

and fitted to the backtest's squared errors (grouped by ``mu``, so that many small intervals
and a few large ones all count). Day totals get their own ``day_kappa`` from the day totals'
errors, because the intraday part of ``kappa`` averages out over a day. The spread grows with
the lead time: ``kappa`` is fitted per lead week of the backtest, and lead weeks beyond it
reuse the last one.

Bounds are quantiles of the negative binomial with that mean and variance (Poisson when
``var <= mu``): counts are never negative, small counts are skewed, and a bound is a count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.stats import nbinom, norm, poisson

LARGE_COUNT = 1e5
"""Above this mean, bounds use the normal approximation: the exact quantile search slows down
there, and a count this large (a week's total) is a sum whose error is close to normal."""
BINS = 20
"""Groups of forecasts (by size) whose mean squared error the variance model is fitted to."""


@dataclass(frozen=True)
class Noise:
    """Error variance of an interval (``phi·mu + kappa·mu²``) and of a day total."""

    phi: float = 1.0
    kappa: tuple[float, ...] = (0.0,)
    """Per lead week, first week first."""
    day_kappa: tuple[float, ...] = (0.0,)

    def variance(self, mu: np.ndarray, lead_week: np.ndarray, *, day: bool = False) -> np.ndarray:
        """Variance of an interval's (``day=False``) or a day total's error."""
        table = np.asarray(self.day_kappa if day else self.kappa)
        k = table[np.minimum(np.asarray(lead_week, dtype=int), len(table) - 1)]
        return self.phi * mu + k * mu**2

    def bounds(self, mu: np.ndarray, lead_week: np.ndarray, level: int, *,
               day: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` % prediction interval for counts with mean ``mu``."""
        return count_bounds(mu, self.variance(mu, lead_week, day=day), level)


def count_bounds(mu: np.ndarray, var: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles ``(1 ∓ level/100) / 2`` of a count with mean ``mu`` and variance ``var``,
    widened where needed to whole counts that hold ``mu``: the central interval of a count with
    a small mean can miss it (Poisson(0.1)'s 80 % interval is [0, 0]), and a forecast outside
    its own bounds reads as an error."""
    mu = np.asarray(mu, dtype=float)
    var = np.asarray(var, dtype=float)
    tails = ((1 - level / 100) / 2, (1 + level / 100) / 2)
    lo, hi = np.zeros_like(mu), np.zeros_like(mu)
    exact = var <= 0  # a count already known (an actual)
    lo[exact] = hi[exact] = mu[exact]
    pos = (mu > 1e-9) & ~exact  # a vanishing mean is a zero count
    over = pos & (var > mu * (1 + 1e-9))
    under = pos & ~over
    big = pos & (mu > LARGE_COUNT)  # the normal limit, where the exact search gets slow
    over &= ~big
    under &= ~big
    if over.any():
        n = mu[over] ** 2 / (var[over] - mu[over])
        p = mu[over] / var[over]
        lo[over], hi[over] = (nbinom.ppf(q, n, p) for q in tails)
    if under.any():
        lo[under], hi[under] = (poisson.ppf(q, mu[under]) for q in tails)
    if big.any():
        sd = np.sqrt(np.maximum(var[big], mu[big]))
        lo[big], hi[big] = (np.round(mu[big] + norm.ppf(q) * sd) for q in tails)
        lo[big] = np.maximum(lo[big], 0.0)
    return (np.where(pos, np.minimum(lo, np.floor(mu)), lo),
            np.where(pos, np.maximum(hi, np.ceil(mu)), hi))


def fit_noise(mu: np.ndarray, err: np.ndarray, lead_week: np.ndarray, day_mu: np.ndarray,
              day_err: np.ndarray, day_lead_week: np.ndarray) -> Noise:
    """Fit ``phi`` and ``kappa`` per lead week to forecast errors (forecast − actual).

    ``phi`` and an overall ``kappa`` come from non-negative least squares of ``e²/mu`` on
    ``(1, mu)`` over groups of similar ``mu``; each lead week's ``kappa`` (interval and day)
    is then the least-squares fit of its own errors with ``phi`` held.
    """
    ok = mu > 0
    mu, err, lead_week = mu[ok], err[ok], np.asarray(lead_week)[ok]
    if len(mu) < BINS:
        return Noise()
    order = np.argsort(mu)
    groups = np.array_split(order, BINS)
    m = np.array([mu[g].mean() for g in groups])
    e2 = np.array([np.mean(err[g] ** 2) for g in groups])
    (phi, _k), _ = nnls(np.column_stack([np.ones(BINS), m]), e2 / m)
    weeks = int(max(lead_week.max(), np.max(day_lead_week, initial=0))) + 1
    kappa = _kappa_by_week(mu, err, lead_week, phi, weeks)
    dpos = day_mu > 0
    day_kappa = _kappa_by_week(day_mu[dpos], day_err[dpos], np.asarray(day_lead_week)[dpos],
                               phi, weeks)
    return Noise(float(phi), kappa, day_kappa)


def _kappa_by_week(mu: np.ndarray, err: np.ndarray, lead_week: np.ndarray, phi: float,
                   weeks: int) -> tuple[float, ...]:
    out: list[float] = []
    for w in range(weeks):
        sel = lead_week == w
        if not sel.any():
            out.append(out[-1] if out else 0.0)
            continue
        m, e = mu[sel], err[sel]
        k = float(np.sum((e**2 - phi * m) * m**2) / np.sum(m**4))
        out.append(max(k, out[-1] if out else 0.0, 0.0))  # never narrower further ahead
    return tuple(out)


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actuals inside their bounds (inclusive); NaN when there are none."""
    if len(actual) == 0:
        return float("nan")
    return float(np.mean((actual >= lo) & (actual <= hi)))
