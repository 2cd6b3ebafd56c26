"""Write a run's outputs, each atomically, in the DESIGN.md formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wfm import frames as F
from wfm.io.export import write_frame

FILES = {
    "forecast": ("forecast.csv", F.FORECAST_COLUMNS),
    "forecast_daily": ("forecast_daily.csv", F.FORECAST_DAILY_COLUMNS),
    "forecast_weekly": ("forecast_weekly.csv", F.FORECAST_WEEKLY_COLUMNS),
    "requirements": ("requirements.csv", F.REQUIREMENTS_COLUMNS),
    "schedule": ("schedule.csv", F.SCHEDULE_COLUMNS),
    "agent_intervals": ("agent_intervals.csv", F.AGENT_INTERVAL_COLUMNS),
    "segments": ("segments.csv", F.SEGMENT_COLUMNS),
    "coverage": ("coverage.csv", F.COVERAGE_COLUMNS),
    "simulation": ("simulation.csv", F.SIMULATION_COLUMNS),
    "simulation_summary": ("simulation_summary.csv", F.SIMULATION_SUMMARY_COLUMNS),
    "whatif": ("whatif.csv", F.WHATIF_COLUMNS),
    "forecast_accuracy": ("forecast_accuracy.csv", F.ACCURACY_COLUMNS),
}
"""Output name -> (file name, columns in order)."""


def write_outputs(frames: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write each named frame to its file in ``out_dir``; return the paths written."""
    out_dir = Path(out_dir)
    written = []
    for name, df in frames.items():
        file, columns = FILES[name]
        written.append(write_frame(df[list(columns)], out_dir / file))
    return written
