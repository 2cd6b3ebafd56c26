"""Stage timings and schedule quality of the weekly pipeline on the bundled example.

Prints a table; with ``--json PATH`` also writes the figures as one flat JSON object
(seconds, ratios). Run with ``make bench`` or ``python benchmarks/bench_pipeline.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from wfm import frames as F
from wfm.config import load_config
from wfm.evaluate import coverage, coverage_summary
from wfm.forecast import forecast
from wfm.io.history import read_history
from wfm.io.roster import read_roster
from wfm.pipeline import default_week
from wfm.schedule import SolveLimits, build_problem, solve
from wfm.staffing import requirements
from wfm.timegrid import Grid

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(ROOT / "configs/example.yaml"))
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    figures: dict[str, float] = {}

    def timed(name: str, fn, *a, **kw):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        result = fn(*a, **kw)
        figures[f"{name}_seconds"] = time.perf_counter() - t0
        return result

    config = load_config(args.config)
    grid = Grid.from_config(config)
    history, _ = timed("read_history", read_history, config.history, config, grid)
    agents = read_roster(config.roster, config)
    week = default_week(history[F.INTERVAL_START].max(), grid)
    fc = timed("forecast", forecast, history, config, grid, start=week, days=7)
    req = timed("requirements", requirements, fc.frame, config, grid)
    problem = timed("build_problem", build_problem, req, agents, config, grid, start=week)
    schedule = timed("solve", solve, problem, SolveLimits(time_seconds=args.time_limit))
    cov = coverage(schedule.agent_intervals, req)
    summary = coverage_summary(cov, grid.interval_minutes)
    required = float(summary["required_hours"].sum())
    figures.update({
        "history_rows": float(len(history)),
        "agents": float(len(agents)),
        "schedule_objective": schedule.objective,
        "schedule_lower_bound": schedule.lower_bound,
        "schedule_gap_ratio": schedule.gap,
        "coverage_short_ratio": float(summary["short_hours"].sum()) / required,
        "coverage_over_ratio": float(summary["over_hours"].sum()) / required,
        "solve_time_limit_seconds": args.time_limit,
    })
    print(f"wfm pipeline benchmark — {config.site.name}, week of {week}, "
          f"{dt.datetime.now():%Y-%m-%d %H:%M}")
    width = max(len(k) for k in figures)
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value:>12,.3f}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
