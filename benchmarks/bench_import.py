"""Call-log import: a year of calls in the Anonymous Bank format, time and memory.

The year is built by resampling the real January and February 1999 logs
(``../shared/data/real/technion_anonymous_bank``) day by day onto every day of 1999 — real rows,
real quirks (PHANTOM calls, VRU hang-ups, ``NO_SERVER``) — or, without ``../shared``, from
seeded synthetic rows of the same format. The file is gzipped, as an ACD export would be.

Timed: ``wfm.io.calls.import_calls`` on that file, the median of ``--repeats`` runs; memory is
the growth of the process's peak resident set during the first run (``ru_maxrss``), so it
includes pandas' own buffers. The chunked reader keeps only per-interval sums, so the growth
should not depend on the file's length: ``--rows`` lets you check that.

Run with ``make bench`` or ``python benchmarks/bench_import.py [--rows N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import load_config
from wfm.io.calls import import_calls

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "anonymous-bank.yaml"
REAL = ROOT.parent / "shared" / "data" / "real" / "technion_anonymous_bank"
HEADER = ("vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,"
          "q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server")


def _real_days() -> list[pd.DataFrame] | None:
    files = sorted(REAL.glob("calls_1999-0[12].csv.gz"))
    if not files:
        return None
    raw = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    return [day for _, day in raw.groupby("date")]


def _synthetic_day(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    seconds = np.sort(rng.integers(7 * 3600, 24 * 3600 - 600, rows))
    wait = rng.exponential(60, rows).astype(int)
    answered = rng.random(rows) < 0.85
    kind = rng.choice(["PS", "NW", "NE", "TT", "IN", "PE"], rows, p=[.68, .2, .07, .03, .01, .01])

    def clock(s: np.ndarray) -> list[str]:
        return [f"{v // 3600}:{v // 60 % 60:02d}:{v % 60:02d}" for v in s]

    return pd.DataFrame({
        "vru+line": "AA0101", "call_id": "1", "customer_id": "0", "priority": "1", "type": kind,
        "date": "990101", "vru_entry": clock(seconds), "vru_exit": clock(seconds + 5),
        "vru_time": "5", "q_start": clock(seconds + 5), "q_exit": clock(seconds + 5 + wait),
        "q_time": wait.astype(str), "outcome": np.where(answered, "AGENT", "HANG"),
        "ser_start": "0:00:00", "ser_exit": "0:00:00",
        "ser_time": np.where(answered, rng.exponential(180, rows).astype(int), 0).astype(str),
        "server": np.where(answered, "DORIT", "NO_SERVER"),
    })


def build_year(path: Path, rows: int, seed: int = 1) -> tuple[int, str]:
    """Write about ``rows`` records over the days of 1999 to ``path`` (gzip); (rows, source)."""
    rng = np.random.default_rng(seed)
    days = _real_days()
    source = "real Jan+Feb 1999 days, resampled" if days else "synthetic (no ../shared)"
    dates = pd.date_range("1999-01-01", "1999-12-31", freq="D")
    if days:  # a real day of the same weekday for each date, scaled to `rows` in all
        by_weekday = {w: [d for d in days if pd.Timestamp("19" + d["date"].iloc[0]).weekday() == w]
                      for w in range(7)}
        chosen = [by_weekday[d.weekday()][int(rng.integers(len(by_weekday[d.weekday()])))]
                  for d in dates]
        scale = rows / sum(len(d) for d in chosen)
    written = 0
    with gzip.open(path, "wt", newline="") as f:
        f.write(HEADER + "\n")
        for k, date in enumerate(dates):
            if days:
                day = chosen[k].sample(frac=scale, replace=True,
                                       random_state=int(rng.integers(2**31)))
                day = day.sort_values("vru_entry", key=lambda s: pd.to_timedelta(s))
            else:
                day = _synthetic_day(rng, max(rows // len(dates), 1))
            day["date"] = date.strftime("%y%m%d")
            day.to_csv(f, header=False, index=False)
            written += len(day)
    return written, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=450_000, help="records in the year")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args()
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls_1999.csv.gz"
        rows, source = build_year(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            history, report = import_calls(path, config)
            times.append(time.perf_counter() - start)
            if len(times) == 1:
                grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    figures = {
        "rows": rows, "source": source, "file_mb": round(size_mb, 1),
        "import_seconds": round(statistics.median(times), 2),
        "rows_per_second": round(rows / statistics.median(times)),
        "peak_rss_growth_mb": round(grown / 1024, 1),
        "offered": report.offered, "history_rows": len(history),
    }
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    sys.exit(0)


if __name__ == "__main__":
    main()
