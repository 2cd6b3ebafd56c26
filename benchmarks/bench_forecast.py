"""Forecast accuracy and prediction-interval coverage, rolling origin, at interval level.

For each of the last ``--origins`` weeks of a history, forecasts the week from the history
before it and compares with what happened: WAPE per channel over open intervals, and the share
of intervals inside the 80 % and 95 % bounds (well calibrated: 0.80 and 0.95). Runs on the
bundled sample (3 channels, two years of 15-minute history): each weekly forecast includes
the backtest that selects the model, so its time is the "forecast with selection" figure.
Real data sets are in ``forecast_real.py``. ``--json PATH`` writes the figures as one flat JSON
object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm import frames as F
from wfm.config import Config, load_config
from wfm.forecast import forecast
from wfm.io.history import read_history

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
def rolling(name: str, history: pd.DataFrame, config: Config, origins: int) -> dict[str, float]:
    """Score ``origins`` consecutive weekly forecasts ending with the history's last full week."""
    last = history[F.INTERVAL_START].max().tz_convert(config.site.timezone).date()
    last_monday = last - dt.timedelta(days=(last.weekday() + 1) % 7 + 6)
    rows = []
    t0 = time.perf_counter()
    for k in range(origins, 0, -1):
        start = last_monday - dt.timedelta(weeks=k - 1)
        frame = forecast(history, config, start=start, days=7).frame
        merged = frame.merge(history, on=[F.INTERVAL_START, F.CHANNEL])
        merged = merged[(merged[F.VOLUME] > 0) & merged[F.OFFERED].notna()]
        for channel, g in merged.groupby(F.CHANNEL):
            y = g[F.OFFERED].to_numpy()
            row = {"channel": channel, "wape": np.abs(g[F.VOLUME] - y).sum() / y.sum()}
            for lv in F.LEVELS:
                inside = (y >= g[F.lo(F.VOLUME, lv)]) & (y <= g[F.hi(F.VOLUME, lv)])
                row[f"coverage{lv}"] = float(inside.mean())
            rows.append(row)
    seconds = (time.perf_counter() - t0) / origins
    table = pd.DataFrame(rows).groupby("channel").mean()
    print(f"\n{name}: {origins} weekly origins, 15-minute intervals "
          f"({seconds:.1f} s per weekly forecast)")
    print(table.round(3).to_string())
    figures = {f"{name}_forecast_week_seconds": seconds}
    for channel, rec in table.iterrows():
        for col, value in rec.items():
            figures[f"{name}_{channel}_{col}"] = float(value)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--origins", type=int, default=6, help="weekly origins per data set")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    sample = load_config(ROOT / "configs/example.yaml")
    history, _ = read_history(sample.history, sample)
    figures.update(rolling("sample", history, sample, args.origins))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
