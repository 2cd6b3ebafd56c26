"""How near the Poisson floor can a 15-minute day-ahead forecast of the fpp3 bank get at all?

Issue #3 asks for a day-ahead RMSE within 1.5 x the Poisson floor (sqrt of the mean count) at
15 minutes. ``forecast_real.py`` measures wfm's forecast against it; this script measures what no
forecast can beat, with hindsight no forecaster has, on the same days (the weekdays of the last
8 weeks, and their Mondays: the day-ahead days of ``forecast_real.py``'s weekly origins):

* **the shape with the day's total known**: each day's actual total spread over the day by
  (a) the weekday's mean shares over the 8 weeks before it (what a forecaster can know),
  (b) the weekday's mean shares over every week of the series, the scored day's included
  (hindsight);
* **the day's total, issued the evening before** (a daily origin, kinder than the weekly one):
  the relative RMS error of the same weekday's 4-week median, and of the last day's level times
  the weekday factor of the 8 weeks before;
* **both together**: hindsight shape (b) times the better day total.

The ratios combine as variances: an RMSE ratio r with the total known and a relative day error e
give about sqrt(r^2 + e^2 * mean), with ``mean`` the mean count per interval.

Run: ``python benchmarks/forecast_floor.py [--json PATH]`` (needs ``../shared/data/real``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from forecast_real import COUNT, REAL, load_bank, resample  # the script's folder is on the path

from wfm import frames as F

TZ = "America/New_York"
SCORED_WEEKS = 8  # as forecast_real.py's origins
SHAPE_WEEKS = 8  # the weekday shares a forecaster uses (wfm's intraday profile window)


def days_by_interval() -> pd.DataFrame:
    """One row per complete local day, one column per 15-minute interval."""
    frame = resample(load_bank(REAL / "fpp3_bank_calls"), TZ, 15, full_days=False)
    wall = frame[F.INTERVAL_START].dt.tz_convert(TZ)
    table = pd.DataFrame({"day": wall.dt.normalize().dt.tz_localize(None),
                          "slot": wall.dt.time, COUNT: frame[COUNT]})
    return table.pivot(index="day", columns="slot", values=COUNT).dropna()


def ratio(pred: np.ndarray, actual: np.ndarray) -> float:
    """RMSE over the Poisson floor of the same intervals."""
    return float(np.sqrt(np.mean((pred - actual) ** 2)) / np.sqrt(actual.mean()))


def measure(days: pd.DataFrame) -> dict[str, float]:
    """The figures, pooled over the scored weekdays and over their Mondays."""
    shares = days.div(days.sum(axis=1), axis=0)
    weekday = days.index.day_of_week
    hindsight = shares.groupby(weekday).mean()
    totals = days.sum(axis=1)
    last = days.index[-1]
    first = last - pd.Timedelta(days=last.day_of_week + 7 * (SCORED_WEEKS - 1))  # a Monday
    scored = days.index[days.index >= first]
    rows = []
    for d in scored:
        actual = days.loc[d].to_numpy()
        total = actual.sum()
        before = shares[(shares.index < d) & (weekday == d.day_of_week)].iloc[-SHAPE_WEEKS:]
        past = totals[totals.index < d]
        window = past.iloc[-5 * SHAPE_WEEKS:]
        factor = window.groupby(window.index.day_of_week).mean() / window.mean()
        last_level = past.iloc[-1] / factor[past.index[-1].day_of_week]
        day_totals = {
            "median4w": past[past.index.day_of_week == d.day_of_week].iloc[-4:].median(),
            "last_level": last_level * factor[d.day_of_week],
        }
        row = {"monday": d.day_of_week == 0,
               "shape_before": ratio(before.mean().to_numpy() * total, actual),
               "shape_hindsight": ratio(hindsight.loc[d.day_of_week].to_numpy() * total, actual)}
        for name, value in day_totals.items():
            row[f"day_error_{name}"] = value / total - 1
            row[f"hindsight_shape_{name}"] = ratio(
                hindsight.loc[d.day_of_week].to_numpy() * value, actual)
        rows.append(row)
    per_day = pd.DataFrame(rows)
    out: dict[str, float] = {}
    for subset, part in (("all", per_day), ("mondays", per_day[per_day["monday"]])):
        for col in part.columns.drop("monday"):
            # ratios pool as mean squares; relative errors as RMS too
            out[f"{subset}_{col}"] = float(np.sqrt(np.mean(part[col] ** 2)))
        out[f"{subset}_days"] = float(len(part))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not (REAL / "fpp3_bank_calls").is_dir():
        print(f"skipped: {REAL / 'fpp3_bank_calls'} is not there")
        return
    figures = measure(days_by_interval())
    print("fpp3 bank, 15 minutes: RMSE / Poisson floor of day-ahead forecasts (target <= 1.5)")
    print(f"{'':46s}{'weekdays':>10s}{'Mondays':>10s}")
    lines = [("day's total known, shares of the 8 weeks before", "shape_before"),
             ("day's total known, hindsight weekday shares", "shape_hindsight"),
             ("hindsight shares x 4-week median total", "hindsight_shape_median4w"),
             ("hindsight shares x last day's level total", "hindsight_shape_last_level")]
    for label, key in lines:
        print(f"  {label:44s}{figures['all_' + key]:10.2f}{figures['mondays_' + key]:10.2f}")
    print("relative RMS error of the day's total, issued the evening before")
    for label, key in (("same weekday, 4-week median", "day_error_median4w"),
                       ("last day's level x weekday factor", "day_error_last_level")):
        print(f"  {label:44s}{figures['all_' + key]:10.3f}{figures['mondays_' + key]:10.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
