"""Erlang C staffing: wfm against pyworkforce, speed and correctness, side by side.

Two measurements on the same problem (AHT 300 s, target 80 % answered within 20 s, 15-minute
intervals, offered load ``A = calls × AHT / 900 s``):

* **Week.** Required agents for one week of 672 intervals (seeded intraday shape, 5–5,000 calls
  per interval), timed as the median of several repeats: wfm with one vectorised
  ``agents_for_target`` call, pyworkforce with one ``ErlangC(...).required_positions(...)`` per
  interval, as a user would loop. Every answer is checked against an independent reference.
* **Largest load.** Single intervals of increasing load (10 … 1,000,000 Erlangs), each call run
  in a child process with a timeout so that a hang or an overflow cannot stall the run; reported
  per tool is the largest load up to which every answer is correct.

The reference is Erlang C in 50-significant-digit decimal arithmetic (stdlib ``decimal``,
nothing shared with either tool): the least ``N > A`` with ``SL(N) >= 0.8``. Answers whose
service level lies within 1e-9 of the target on the wrong side count as ties, not errors.

pyworkforce is optional (the ``bench`` extra); without it the script says so and reports wfm's
own figures, with ``null`` for the comparison. Prints a table; with ``--json PATH`` also writes
the figures as one flat JSON object (seconds, ratios, Erlangs). Run with ``make bench`` or
``python benchmarks/bench_staffing.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from decimal import Decimal, localcontext
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from wfm.staffing.targets import agents_for_target

try:  # the peer is optional; an import failure is reported, not raised
    from pyworkforce.queuing import ErlangC

    PYWORKFORCE: str | None = metadata.version("pyworkforce")
    PYWORKFORCE_MISSING = ""
except Exception as exc:  # ImportError, or an incompatibility with numpy / pandas
    ErlangC = None
    PYWORKFORCE = None
    PYWORKFORCE_MISSING = f"{type(exc).__name__}: {exc}"

INTERVAL_SECONDS = 900.0
AHT_SECONDS = 300.0
ANSWER_SECONDS = 20.0
TARGET = 0.8
WEEK_INTERVALS = 7 * 96
VOLUME_MIN, VOLUME_MAX = 5.0, 5000.0
SEED = 20240601
TIE_TOLERANCE = 1e-9  # service levels this close to the target may fall either way in floats
PROBES_FULL = (10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000)
PROBES_QUICK = (10, 100, 1_000, 5_000, 10_000, 50_000)
DIGITS = 50
MARKS = {"ok": "✓", "tie": "≈", "wrong": "✗"}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --- the problem -----------------------------------------------------------------------------

def week_volumes(seed: int = SEED) -> FloatArray:
    """Calls per 15-minute interval for Monday–Sunday, scaled to exactly [5, 5000].

    A weekday double peak (10:30 and 15:00), a lighter Friday, Saturday and Sunday, near-empty
    nights and 8 % seeded log-normal noise.
    """
    rng = np.random.default_rng(seed)
    hours = np.arange(96) / 4 + 0.125
    day = (np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2)
           + 0.8 * np.exp(-0.5 * ((hours - 15.0) / 2.2) ** 2))
    weekly = np.array([1.0, 0.97, 0.95, 0.93, 0.85, 0.5, 0.3])
    shape = (weekly[:, None] * day[None, :]).ravel()
    shape = shape * rng.lognormal(0.0, 0.08, shape.size)
    shape = (shape - shape.min()) / (shape.max() - shape.min())
    return VOLUME_MIN + (VOLUME_MAX - VOLUME_MIN) * shape


def traffic(calls: FloatArray) -> FloatArray:
    """Offered load in Erlangs, ``calls × AHT / interval``."""
    return calls * AHT_SECONDS / INTERVAL_SECONDS


# --- the two tools ---------------------------------------------------------------------------

def wfm_agents(calls: FloatArray) -> IntArray:
    """wfm: one vectorised call for all intervals."""
    return agents_for_target(traffic(calls), AHT_SECONDS, TARGET, ANSWER_SECONDS, 1.0)


def pyworkforce_agents(calls: FloatArray) -> IntArray:
    """pyworkforce: one ``ErlangC`` per interval.

    ``aht``, ``asa`` and ``interval`` may be in any one unit (its docstring says minutes): only
    ``transactions / interval × aht`` and ``asa / aht`` enter the formulas, so seconds are
    passed. ``asa`` is used as the service-level threshold ``T``, not as an average speed of
    answer. With ``shrinkage=0``, ``positions == raw_positions``.
    """
    assert ErlangC is not None
    out = []
    for c in calls.tolist():
        erlang = ErlangC(transactions=c, aht=AHT_SECONDS, asa=ANSWER_SECONDS,
                         interval=INTERVAL_SECONDS, shrinkage=0.0)
        out.append(erlang.required_positions(service_level=TARGET, max_occupancy=1.0)
                   ["raw_positions"])
    return np.array(out, dtype=np.int64)


TOOLS: dict[str, Callable[[FloatArray], IntArray]] = {"wfm": wfm_agents}
if ErlangC is not None:
    TOOLS["pyworkforce"] = pyworkforce_agents


# --- the independent reference ---------------------------------------------------------------

def _load(calls: float) -> Decimal:
    return Decimal(calls) * Decimal(AHT_SECONDS) / Decimal(INTERVAL_SECONDS)


def _sl(a: Decimal, n: int, inv_b: Decimal) -> Decimal:
    """Erlang C service level at ``n`` agents given ``1 / B(n, a)``; 0 when unstable."""
    if n <= a:
        return Decimal(0)
    b = 1 / inv_b
    c = n * b / (n - a * (1 - b))
    return 1 - c * (-(n - a) * Decimal(ANSWER_SECONDS) / Decimal(AHT_SECONDS)).exp()


def reference_sl(calls: float, n: int) -> float:
    """Service level at ``n`` agents, to ``DIGITS`` significant digits."""
    with localcontext() as ctx:
        ctx.prec = DIGITS
        a = _load(calls)
        inv_b = Decimal(1)
        for k in range(1, n + 1):  # 1/B(k) = 1 + (k / a)·1/B(k-1): no overflow, no factorials
            inv_b = 1 + inv_b * k / a
        return float(_sl(a, n, inv_b))


def reference_agents(calls: float) -> tuple[int, float, float]:
    """Least ``N`` meeting the target, with the service levels at ``N − 1`` and ``N``."""
    with localcontext() as ctx:
        ctx.prec = DIGITS
        a = _load(calls)
        target = Decimal(str(TARGET))
        inv_b, previous, n = Decimal(1), Decimal(0), 0
        while True:
            n += 1
            inv_b = 1 + inv_b * n / a
            sl = _sl(a, n, inv_b)
            if sl >= target:
                return n, float(previous), float(sl)
            previous = sl


def verdict(answer: int, ref: tuple[int, float, float]) -> str:
    """``ok``, ``tie`` (off by one where the SL is within TIE_TOLERANCE of target) or ``wrong``."""
    n_star, sl_below, sl_at = ref
    if answer == n_star:
        return "ok"
    if answer == n_star - 1 and sl_below >= TARGET - TIE_TOLERANCE:
        return "tie"
    if answer == n_star + 1 and sl_at < TARGET + TIE_TOLERANCE:
        return "tie"
    return "wrong"


# --- timing ----------------------------------------------------------------------------------

def median_seconds(fn: Callable[[], Any], repeats: int, budget: float) -> tuple[float, int]:
    """Median wall time of ``fn`` over ``repeats`` runs after one warm-up (fewer past budget)."""
    fn()
    times: list[float] = []
    spent = 0.0
    while len(times) < repeats and (not times or spent < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        spent += times[-1]
    return statistics.median(times), len(times)


def _probe_worker(tool: str, calls: float, conn: Any) -> None:
    try:
        t0 = time.perf_counter()
        n = int(TOOLS[tool](np.array([calls]))[0])
        conn.send(("ok", n, time.perf_counter() - t0))
    except BaseException as exc:  # report whatever it is: OverflowError, RecursionError, …
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:60], 0.0))
    finally:
        conn.close()


def probe(tool: str, calls: float, timeout: float) -> tuple[str, int | str, float]:
    """Run one single-interval call in a child process; ``("timeout", ...)`` past ``timeout``."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_probe_worker, args=(tool, calls, child), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(timeout):
            status, value, seconds = parent.recv()
            return status, value, seconds
        return "timeout", f"> {timeout:g} s", timeout
    except EOFError:
        return "error", f"child died (exit {proc.exitcode})", 0.0
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


# --- the run ---------------------------------------------------------------------------------

def _label(i: int) -> str:
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[i // 96]
    minutes = (i % 96) * 15
    return f"{day} {minutes // 60:02d}:{minutes % 60:02d}"


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else num / den


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats, probes up to 50,000 Erlangs, 10 s timeout")
    parser.add_argument("--repeats", type=int, help="timed repeats per tool (default 7; quick 3)")
    parser.add_argument("--timeout", type=float,
                        help="seconds per single-interval probe call (default 30; quick 10)")
    parser.add_argument("--probes", help="comma-separated loads in Erlangs, ascending "
                        "(default 10,…,1000000; quick up to 50000)")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 7)
    timeout = args.timeout or (10.0 if args.quick else 30.0)
    probes = (tuple(int(float(x)) for x in args.probes.split(",")) if args.probes
              else PROBES_QUICK if args.quick else PROBES_FULL)
    started = time.perf_counter()

    calls = week_volumes()
    loads = traffic(calls)
    peer = (f"pyworkforce {PYWORKFORCE}" if PYWORKFORCE
            else f"pyworkforce MISSING ({PYWORKFORCE_MISSING}); wfm figures only")
    print(f"wfm staffing benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}, {peer}")
    print(f"  problem: {WEEK_INTERVALS} intervals of 15 min, {calls.min():,.0f}–{calls.max():,.0f} "
          f"calls ({loads.min():.2f}–{loads.max():,.1f} Erlangs), AHT {AHT_SECONDS:g} s, "
          f"target {TARGET:.0%} within {ANSWER_SECONDS:g} s")
    if ErlangC is not None:
        intensity = np.array([ErlangC(transactions=c, aht=AHT_SECONDS, asa=ANSWER_SECONDS,
                                      interval=INTERVAL_SECONDS).intensity for c in calls.tolist()])
        print(f"  same load for both: max |A_pyworkforce − A_wfm| / A = "
              f"{np.max(np.abs(intensity - loads) / loads):.1e}")

    # week: timing
    seconds: dict[str, float | None] = dict.fromkeys(("wfm", "pyworkforce"))
    answers: dict[str, IntArray] = {}
    for name, fn in TOOLS.items():
        try:
            answers[name] = fn(calls)
            seconds[name], _ = median_seconds(lambda fn=fn: fn(calls), repeats, budget=30.0)
        except Exception as exc:  # a broken peer must not hide our own figures
            if name == "wfm":
                raise
            print(f"  pyworkforce failed on the week: {type(exc).__name__}: {exc}")

    # week: correctness
    refs = [reference_agents(c) for c in calls.tolist()]
    verdicts = {name: [verdict(int(n), r) for n, r in zip(ans, refs, strict=True)]
                for name, ans in answers.items()}
    correct = {name: sum(v != "wrong" for v in vs) for name, vs in verdicts.items()}
    ties = {name: sum(v == "tie" for v in vs) for name, vs in verdicts.items()}

    print(f"\nOne week ({WEEK_INTERVALS} intervals), median of {repeats} repeats")
    print(f"  {'tool':<12} {'seconds':>9} {'µs/interval':>12} {'agent-intervals':>16} "
          f"{'correct':>9} {'ties':>5}")
    for name in ("wfm", "pyworkforce"):
        if name not in answers:
            print(f"  {name:<12} {'—':>9}  not run ({PYWORKFORCE_MISSING or 'failed'})")
            continue
        s = seconds[name] or 0.0
        print(f"  {name:<12} {s:>9.4f} {s / WEEK_INTERVALS * 1e6:>12.1f} "
              f"{int(answers[name].sum()):>16,} {correct[name]:>5}/{WEEK_INTERVALS} "
              f"{ties[name]:>5}")
    speedup = _ratio(seconds["pyworkforce"], seconds["wfm"])
    agree: int | None = None
    if "pyworkforce" in answers:
        agree = int(np.sum(answers["wfm"] == answers["pyworkforce"]))
        print(f"  speed-up of wfm over pyworkforce: {speedup:.1f}×")
        print(f"  intervals where the two agree: {agree}/{WEEK_INTERVALS}")
    suspects = [i for i in range(WEEK_INTERVALS)
                if any(verdicts[name][i] != "ok" for name in answers)
                or ("pyworkforce" in answers and answers["wfm"][i] != answers["pyworkforce"][i])]
    if suspects:
        print("  disagreements or errors, checked against the 50-digit reference:")
        print(f"    {'interval':<10} {'Erlangs':>9} {'ref N':>6} "
              + " ".join(f"{name + ' N':>14} {'SL there':>9}" for name in answers))
        for i in suspects[:12]:
            row = f"    {_label(i):<10} {loads[i]:>9.3f} {refs[i][0]:>6}"
            for name in answers:
                n = int(answers[name][i])
                row += f" {n:>12} {MARKS[verdicts[name][i]]} "
                row += f"{reference_sl(float(calls[i]), n):>9.6f}"
            print(row)
        if len(suspects) > 12:
            print(f"    … and {len(suspects) - 12} more")
    else:
        print("  every answer of every tool equals the 50-digit reference")

    # largest load handled correctly
    print(f"\nLargest single-interval load handled correctly (child process, {timeout:g} s "
          "timeout per call)")
    print(f"  {'Erlangs':>10} {'ref N':>10} " + " ".join(
        f"{name + ' N':>16} {'seconds':>8}" for name in TOOLS))
    max_ok: dict[str, float | None] = dict.fromkeys(("wfm", "pyworkforce"))
    for name in TOOLS:
        max_ok[name] = 0.0
    failed: set[str] = set()
    for erlangs in probes:
        probe_calls = erlangs * INTERVAL_SECONDS / AHT_SECONDS
        ref = reference_agents(probe_calls)
        row = f"  {erlangs:>10,} {ref[0]:>10,}"
        for name in TOOLS:
            if name in failed:
                row += f" {'skipped':>16} {'':>8}"
                continue
            status, value, secs = probe(name, probe_calls, timeout)
            if status == "ok" and isinstance(value, int):
                v = verdict(value, ref)
                row += f" {value:>14,} {MARKS[v]} {secs:>8.3f}"
                if v != "wrong":
                    max_ok[name] = float(erlangs)
                    continue
            else:  # a timeout, an exception or a dead child: shown in the row
                row += f" {str(value)[:16]:>16} {status:>8}"
            failed.add(name)  # the largest load is the last one before the first failure
        print(row)
    for name in ("wfm", "pyworkforce"):
        if max_ok[name] is None:
            print(f"  {name}: not run")
        else:
            ceiling = " (the largest probed)" if max_ok[name] == probes[-1] else ""
            print(f"  {name}: correct up to {max_ok[name]:,.0f} Erlangs{ceiling}")

    figures: dict[str, float | None] = {
        "wfm_week_seconds": seconds["wfm"],
        "pyworkforce_week_seconds": seconds["pyworkforce"],
        "speedup_vs_pyworkforce": speedup,
        "agreeing_intervals_ratio": None if agree is None else agree / WEEK_INTERVALS,
        "wfm_correct_intervals_ratio": correct["wfm"] / WEEK_INTERVALS,
        "pyworkforce_correct_intervals_ratio": (correct["pyworkforce"] / WEEK_INTERVALS
                                                if "pyworkforce" in correct else None),
        "max_correct_erlangs_wfm": max_ok["wfm"],
        "max_correct_erlangs_pyworkforce": max_ok["pyworkforce"],
        "probe_max_erlangs": float(probes[-1]),
        "probe_timeout_seconds": timeout,
        "week_intervals": float(WEEK_INTERVALS),
        "week_peak_erlangs": float(loads.max()),
        "repeats": float(repeats),
        "run_seconds": time.perf_counter() - started,
    }
    print(f"\n  whole run: {figures['run_seconds']:.1f} s")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
