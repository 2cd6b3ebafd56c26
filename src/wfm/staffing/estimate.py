"""What a history says about the staffing model's inputs: AHT, abandonment and patience.

Patience is estimated the way Brown et al. [1]_ do it for exponential patience: every waiting
contact is exposed to abandoning for as long as it waits, and its wait ends either by abandoning
or (censored) by being answered. With ``K`` abandons over a total waiting time ``W`` (answered
and abandoned contacts alike) the likelihood is ``θ^K e^{−θW}``, so the maximum-likelihood
abandonment rate is ``θ̂ = K / W`` and the mean patience ``W / K``. ``K`` is then a Poisson count
with mean ``θW``, which gives an exact (Garwood) confidence interval for ``θ``, and so for the
patience. It needs the history's ``wait_seconds`` (the ACD's total queue time of the interval's
contacts); abandons alone cannot tell patience from waiting.

References
----------
.. [1] L. Brown, N. Gans, A. Mandelbaum, A. Sakov, H. Shen, S. Zeltyn and L. Zhao,
   "Statistical analysis of a telephone call center: a queueing-science perspective",
   *JASA* 100(469), 36–50, 2005, §6.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2

from wfm import frames as F

__all__ = ["PARAMETER_COLUMNS", "estimate_parameters", "estimate_patience"]

FloatArray = npt.NDArray[np.float64]
PARAMETER_COLUMNS = (
    F.CHANNEL, "intervals", F.OFFERED, F.HANDLED, F.ABANDONED, "abandon_rate", F.AHT_SECONDS,
    F.WAIT_SECONDS, "patience_seconds", "patience_lo95", "patience_hi95",
)


def estimate_patience(abandoned: npt.ArrayLike, wait_seconds: npt.ArrayLike, level: float = 0.95
                      ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean patience ``W / K`` with its exact confidence interval (module docstring).

    Parameters
    ----------
    abandoned : array_like
        Abandons ``K`` (summed over whatever the estimate is for: an interval, a day, a channel).
    wait_seconds : array_like
        Total waiting time ``W`` of all contacts over the same span, seconds.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    estimate, low, high : ndarray
        Seconds: ``W / K``, ``2W / χ²_{1−α/2}(2K + 2)`` and ``2W / χ²_{α/2}(2K)`` with
        ``α = 1 − level``. NaN where ``W`` is missing or not positive; where nobody abandoned
        the estimate and the upper bound are ``inf`` (patience longer than the waits seen can
        tell).
    """
    k = np.asarray(abandoned, dtype=float)
    w = np.asarray(wait_seconds, dtype=float)
    k, w = np.broadcast_arrays(k, w)
    alpha = 1.0 - level
    usable = np.isfinite(w) & (w > 0) & np.isfinite(k) & (k >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(usable, w / k, np.nan)
        low = np.where(usable, 2 * w / chi2.ppf(1 - alpha / 2, 2 * k + 2), np.nan)
        high = np.where(usable & (k > 0), 2 * w / chi2.ppf(alpha / 2, np.maximum(2 * k, 1e-300)),
                        np.where(usable, np.inf, np.nan))
    return estimate, low, high


def estimate_parameters(history: pd.DataFrame) -> pd.DataFrame:
    """Per channel: volumes, abandon rate, AHT and the patience estimate, from a history frame.

    Parameters
    ----------
    history : DataFrame
        As :func:`wfm.io.history.read_history` returns it (gaps NaN; the optional columns NaN
        when the file lacks them).

    Returns
    -------
    DataFrame
        ``PARAMETER_COLUMNS``, one row per channel in order of appearance: ``intervals`` with
        data, totals of ``offered``, ``handled``, ``abandoned`` and ``wait_seconds`` (NaN where
        the history has none), ``abandon_rate`` (abandoned / offered), ``aht_seconds`` (mean
        over handled contacts) and the patience of :func:`estimate_patience` with its 95 %
        interval, from the intervals that report both abandons and waits.
    """
    rows = []
    for name, group in history.groupby(F.CHANNEL, sort=False):
        seen = group[group[F.OFFERED].notna()]
        handled = seen[F.HANDLED]
        timed = seen[handled.notna() & (handled > 0) & seen[F.AHT_SECONDS].notna()]
        aht = ((timed[F.AHT_SECONDS] * timed[F.HANDLED]).sum() / timed[F.HANDLED].sum()
               if len(timed) else np.nan)
        both = seen[seen[F.ABANDONED].notna() & seen[F.WAIT_SECONDS].notna()]
        wait = float(both[F.WAIT_SECONDS].sum()) if len(both) else np.nan
        patience, low, high = estimate_patience(float(both[F.ABANDONED].sum()), wait)
        offered = float(seen[F.OFFERED].sum())
        abandoned = float(seen[F.ABANDONED].sum(min_count=1))
        rows.append({
            F.CHANNEL: str(name), "intervals": len(seen), F.OFFERED: offered,
            F.HANDLED: float(handled.sum(min_count=1)), F.ABANDONED: abandoned,
            "abandon_rate": abandoned / offered if offered > 0 else np.nan,
            F.AHT_SECONDS: aht, F.WAIT_SECONDS: wait, "patience_seconds": float(patience),
            "patience_lo95": float(low), "patience_hi95": float(high),
        })
    return pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
