"""``report.html``: the week's plan on one self-contained page that opens offline.

:func:`build_report` reads the files ``wfm run`` (and optionally ``wfm simulate`` and
``wfm whatif``) wrote into an output directory and renders KPI cards, charts and tables as one
HTML text: inline CSS, charts as inline SVG drawn by matplotlib, no scripts, fonts or links, so the
file can be mailed or archived and still opens years later without a network.

Charts use :class:`matplotlib.figure.Figure` directly, never ``pyplot``: no global figure
registry, no GUI backend, and so no backend switch is needed and reports can be built from
several threads. Time on every chart's x axis is elapsed hours from the local midnight the week
starts, ticked at each local midnight, which stays correct across a DST change.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from wfm import frames as F
from wfm.config import Config
from wfm.errors import DataError
from wfm.evaluate import accuracy_summary, coverage_summary
from wfm.io.export import atomic_path
from wfm.simulate import week_summary
from wfm.timegrid import Grid

REPORT_NAME = "report.html"
REQUIRED_FILES = ("forecast.csv", "requirements.csv", "coverage.csv", "schedule.csv",
                  "agent_intervals.csv")
"""Files ``wfm run`` writes; the report cannot be built without them."""
GANTT_MAX_AGENTS = 60
"""Agents shown in the Gantt chart (the first ones by id), so rows stay readable."""
P_MISS_RISK = 0.5
"""A day counts as at risk when at least this share of replications missed the target."""

_RATIO_WORDS = ("service_level", "rate", "wape", "bias")
"""Table columns whose name holds one of these are ratios, shown with three decimals."""
_TIME_COLUMNS = (F.INTERVAL_START, "shift_start", "shift_end")
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_BREAK_COLOURS = {F.BREAK: "#bdbdbd", F.LUNCH: "#636363"}
_SVG_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


@dataclass(frozen=True)
class _Week:
    """The schedule's week: first and last local date and the local midnight it starts at."""

    first: dt.date
    last: dt.date
    start: pd.Timestamp
    end: pd.Timestamp

    def hours(self, times: pd.Series) -> np.ndarray:
        """Elapsed hours from the week's start."""
        return np.asarray((times - self.start).dt.total_seconds() / 3600.0, dtype=float)

    def within(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``df`` whose ``interval_start`` lies in the week."""
        t = df[F.INTERVAL_START]
        return df[(t >= self.start) & (t < self.end)]


def build_report(out_dir: Path, config: Config, grid: Grid | None = None) -> str:
    """The HTML text of the weekly report from the files in ``out_dir``.

    Parameters
    ----------
    out_dir
        Directory holding ``forecast.csv``, ``requirements.csv``, ``coverage.csv``,
        ``schedule.csv`` and ``agent_intervals.csv`` (from ``wfm run``), and optionally
        ``simulation.csv``, ``simulation_summary.csv`` (``wfm simulate``) and ``whatif.csv``
        (``wfm whatif``) and ``forecast_accuracy.csv`` (``wfm run``: last week's forecast
        against its actuals). Missing optional files leave their sections out with a note.
    config
        The site's config (name, time zone, channel targets).
    grid
        The site's grid; built from ``config`` when not given.

    Raises
    ------
    DataError
        A required file is missing.
    """
    out_dir = Path(out_dir)
    grid = grid or Grid.from_config(config)
    tz = grid.timezone
    for name in REQUIRED_FILES:
        if not (out_dir / name).is_file():
            raise DataError(out_dir / name, "file not found; run wfm run first")
    forecast = _read(out_dir / "forecast.csv", tz)
    coverage = _read(out_dir / "coverage.csv", tz)
    schedule = _read(out_dir / "schedule.csv", tz)
    intervals = _read(out_dir / "agent_intervals.csv", tz)
    simulation = _read_optional(out_dir / "simulation.csv", tz)
    sim_days = _read_optional(out_dir / "simulation_summary.csv", tz)
    whatif = _read_optional(out_dir / "whatif.csv", tz)
    accuracy = _read_optional(out_dir / "forecast_accuracy.csv", tz)

    week = _week(schedule, coverage, grid)
    channels = [c for c in config.channels if c in set(coverage[F.CHANNEL])] or sorted(
        set(coverage[F.CHANNEL]))
    colours = _colours(config)
    forecast = week.within(forecast)
    coverage = week.within(coverage)
    if simulation is not None:
        simulation = week.within(simulation)

    notes = []
    body = [_kpi_section(channels, forecast, coverage, simulation, sim_days, grid)]
    body.append(_section("Forecast", [
        _forecast_chart(c, forecast[forecast[F.CHANNEL] == c], week, colours[c])
        for c in channels]))
    body.append(_section("Requirement vs scheduled", [
        _coverage_chart(c, coverage[coverage[F.CHANNEL] == c], week, colours[c])
        for c in channels]))
    if simulation is None:
        notes.append("No simulation.csv: run wfm simulate for simulated service levels.")
    else:
        body.append(_section("Simulated service level", [
            _service_level_chart(c, simulation[simulation[F.CHANNEL] == c], week, colours[c],
                                 _target(config, c))
            for c in channels]))
    body.append(_section("Agent schedule", [_gantt_chart(intervals, week, colours,
                                                            grid.interval_minutes)]))
    if whatif is None:
        notes.append("No whatif.csv: run wfm whatif for scenario comparisons.")
    else:
        body.append(_section("What-if scenarios", [_whatif_chart(whatif, colours),
                                                   _table(whatif)]))
    if accuracy is None or not (accuracy["actual"] > 0).any():
        notes.append("No forecast_accuracy.csv with actuals: wfm run scores last week's forecast "
                     "when the history holds that week.")
    else:
        body.append(_section("Forecast accuracy, last week", [
            _accuracy_chart(accuracy, colours), _table(accuracy_summary(accuracy))]))
    generated = dt.datetime.now(zoneinfo.ZoneInfo(tz))
    return _page(config.site.name, week, generated, notes, body)


def write_report(out_dir: Path, config: Config, grid: Grid | None = None) -> Path:
    """Write ``out_dir/report.html`` atomically (temp file + ``os.replace``) and return its path."""
    text = build_report(out_dir, config, grid)
    path = Path(out_dir) / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# --- reading -------------------------------------------------------------------------------


def _read(path: Path, tz: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={F.AGENT_ID: str, F.CHANNEL: str})
    for col in _TIME_COLUMNS:
        if col in df.columns:
            df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(tz)
    return df


def _read_optional(path: Path, tz: str) -> pd.DataFrame | None:
    return _read(path, tz) if path.is_file() else None


def _week(schedule: pd.DataFrame, coverage: pd.DataFrame, grid: Grid) -> _Week:
    if len(schedule):
        dates = pd.to_datetime(schedule[F.DATE]).dt.date
        first, last = min(dates), max(dates)
    else:  # nobody scheduled: the coverage frame still spans the planned days
        local = coverage[F.INTERVAL_START].dt.date
        first, last = min(local), max(local)
    return _Week(first, last, grid.midnight(first),
                 grid.midnight(last + dt.timedelta(days=1)))


def _target(config: Config, channel: str) -> float | None:
    ch = config.channels.get(channel)
    if ch is None:
        return None
    return ch.target.share if ch.kind == "deferred" else ch.target.service_level


# --- KPI cards -----------------------------------------------------------------------------


def channel_kpis(forecast: pd.DataFrame, coverage: pd.DataFrame,
                 simulation: pd.DataFrame | None, sim_days: pd.DataFrame | None,
                 interval_minutes: int) -> pd.DataFrame:
    """Per channel: the week's forecast volume, required and scheduled agent-hours, short %,
    and when simulated the service level (offered-weighted, from the daily summary when there
    is one, as :func:`wfm.simulate.week_summary`), abandon rate and days at risk
    (``p_miss_target`` ≥ :data:`P_MISS_RISK` in ``simulation_summary.csv``)."""
    out = coverage_summary(coverage, interval_minutes).set_index(F.CHANNEL)
    out["volume"] = forecast.groupby(F.CHANNEL)[F.VOLUME].sum()
    if sim_days is not None:  # the week's figures as wfm simulate and wfm run print them
        week = week_summary(sim_days).set_index(F.CHANNEL)
        out["service_level"] = week[F.SERVICE_LEVEL]
        out["abandon_rate"] = week["abandoned"] / week["offered"].replace(0, np.nan)
    elif simulation is not None:
        sim = simulation.assign(
            weighted=simulation["service_level"] * simulation["offered"],
            sl_offered=simulation["offered"].where(simulation["service_level"].notna(), 0.0))
        g = sim.groupby(F.CHANNEL)
        offered = g["offered"].sum()
        out["service_level"] = g["weighted"].sum() / g["sl_offered"].sum().replace(0, np.nan)
        out["abandon_rate"] = g["abandoned"].sum() / offered.replace(0, np.nan)
    if sim_days is not None:
        risky = sim_days[sim_days["p_miss_target"] >= P_MISS_RISK]
        out["days_at_risk"] = risky.groupby(F.CHANNEL).size()
        out["days_at_risk"] = out["days_at_risk"].fillna(0).astype(int)
    return out


def _kpi_section(channels: list[str], forecast: pd.DataFrame, coverage: pd.DataFrame,
                 simulation: pd.DataFrame | None, sim_days: pd.DataFrame | None,
                 grid: Grid) -> str:
    kpis = channel_kpis(forecast, coverage, simulation, sim_days, grid.interval_minutes)
    cards = []
    for c in channels:
        k = kpis.loc[c] if c in kpis.index else pd.Series(dtype=float)
        rows = [
            ("Forecast volume", _num(k.get("volume"), 0)),
            ("Required agent-hours", _num(k.get("required_hours"), 1)),
            ("Scheduled agent-hours", _num(k.get("scheduled_hours"), 1)),
            ("Coverage short", _pct(k.get("short_pct"), scale=1)),
        ]
        if "service_level" in k:
            rows += [("Simulated service level", _pct(k.get("service_level"))),
                     ("Simulated abandonment", _pct(k.get("abandon_rate")))]
        if "days_at_risk" in k:
            rows.append((f"Days with P(miss target) ≥ {P_MISS_RISK:g}",
                         _num(k.get("days_at_risk"), 0)))
        items = "".join(f"<dt>{_e(label)}</dt><dd data-kpi=\"{_e(_slug(label))}\">{_e(value)}"
                        "</dd>" for label, value in rows)
        cards.append(f'<div class="card" data-channel="{_e(c)}"><h3>{_e(c)}</h3>'
                     f"<dl>{items}</dl></div>")
    return _section("Key figures", [f'<div class="cards">{"".join(cards)}</div>'])


# --- charts --------------------------------------------------------------------------------


def _figure(width: float = 10.0, height: float = 2.8) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _day_axis(ax: Axes, week: _Week) -> None:
    days = (week.last - week.first).days + 1
    ticks = [(week.start.tz_localize(None) + pd.Timedelta(days=i)) for i in range(days + 1)]
    local = [pd.Timestamp(t).tz_localize(week.start.tz) for t in ticks]  # DST-correct midnights
    hours = [(t - week.start).total_seconds() / 3600 for t in local]
    ax.set_xticks(hours[:-1], [t.strftime("%a %d %b") for t in local[:-1]])
    ax.set_xlim(0, hours[-1])
    ax.grid(True, axis="both", alpha=0.3)
    ax.tick_params(axis="x", labelsize=8)


def _svg(fig: Figure, key: str) -> str:
    buf = io.StringIO()
    # the salt makes the SVG's internal ids (clip paths) unique per chart within the page
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": key}):
        fig.savefig(buf, format="svg",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _SVG_PROLOG.sub("", buf.getvalue(), count=1).strip()


def _chart(key: str, caption: str, fig: Figure) -> str:
    return (f'<figure><div class="chart" data-chart="{_e(key)}">{_svg(fig, key)}</div>'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _forecast_chart(channel: str, df: pd.DataFrame, week: _Week, colour: str) -> str:
    df = df.sort_values(F.INTERVAL_START)
    x = week.hours(df[F.INTERVAL_START])
    fig = _figure()
    ax = fig.add_subplot()
    for level, alpha in ((95, 0.15), (80, 0.3)):
        ax.fill_between(x, df[F.lo(F.VOLUME, level)], df[F.hi(F.VOLUME, level)], step="post",
                        color=colour, alpha=alpha, linewidth=0, label=f"{level} % interval")
    ax.step(x, df[F.VOLUME], where="post", color=colour, linewidth=1, label="forecast")
    ax.set_ylabel("contacts per interval")
    ax.legend(loc="upper right", fontsize=8)
    _day_axis(ax, week)
    return _chart(f"forecast-{channel}",
                  f"{channel}: forecast volume per interval with 80 % and 95 % intervals", fig)


WHATIF_CHART_NAME = "whatif.svg"
_WHATIF_CAPTION = ("What-if scenarios against the base: change in required FTE (40 h) and in "
                   "simulated service level, per channel")


def write_whatif_chart(whatif: pd.DataFrame, config: Config, out_dir: Path) -> Path:
    """Write ``out_dir/whatif.svg``, the what-if chart of the report, as a file of its own
    (atomically); ``whatif`` has :data:`wfm.frames.WHATIF_COLUMNS`."""
    fig = _whatif_figure(whatif, _colours(config))
    fig.suptitle(_WHATIF_CAPTION, fontsize=9)
    path = Path(out_dir) / WHATIF_CHART_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(_svg(fig, "whatif") + "\n", encoding="utf-8")
    return path


def _colours(config: Config) -> dict[str, str]:
    return {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(config.channels)}


def _whatif_chart(whatif: pd.DataFrame, colours: dict[str, str]) -> str:
    return _chart("whatif", _WHATIF_CAPTION, _whatif_figure(whatif, colours))


def _whatif_figure(whatif: pd.DataFrame, colours: dict[str, str]) -> Figure:
    """Per scenario: the change in required FTE and in simulated service level, per channel."""
    scenarios = list(dict.fromkeys(whatif["scenario"]))
    channels = list(dict.fromkeys(whatif[F.CHANNEL]))
    fig = _figure(height=1.0 + 0.35 * len(scenarios) * max(1, len(channels)) / 2)
    panels = fig.subplots(1, 2, sharey=True)
    width = 0.8 / max(1, len(channels))
    for j, channel in enumerate(channels):
        rows = whatif[whatif[F.CHANNEL] == channel].set_index("scenario").reindex(scenarios)
        y = [i + j * width for i in range(len(scenarios))]
        colour = colours.get(channel, "grey")
        panels[0].barh(y, rows["delta_required_fte"].fillna(0), height=width, color=colour,
                       label=channel)
        panels[1].barh(y, 100 * rows["delta_service_level"].fillna(0), height=width,
                       color=colour)
    centre = [i + (len(channels) - 1) * width / 2 for i in range(len(scenarios))]
    panels[0].set_yticks(centre, scenarios)
    panels[0].invert_yaxis()
    panels[0].set_xlabel("Δ required FTE")
    panels[1].set_xlabel("Δ simulated service level (points)")
    for ax in panels:
        ax.axvline(0, color="black", linewidth=0.8)
        ax.grid(True, axis="x", alpha=0.3)
    panels[0].legend(loc="lower right", fontsize=8)
    return fig


def _accuracy_chart(accuracy: pd.DataFrame, colours: dict[str, str]) -> str:
    """Per day and channel: last week's forecast against the contacts offered, and its WAPE."""
    days = sorted(set(accuracy[F.DATE]))
    channels = list(dict.fromkeys(accuracy[F.CHANNEL]))
    fig = _figure()
    panels = fig.subplots(1, 2)
    width = 0.8 / max(1, len(channels))
    for j, channel in enumerate(channels):
        rows = accuracy[accuracy[F.CHANNEL] == channel].set_index(F.DATE).reindex(days)
        x = np.arange(len(days)) + j * width
        colour = colours.get(channel, "grey")
        panels[0].bar(x, rows["actual"].fillna(0), width=width, color=colour, alpha=0.45,
                      label=f"{channel} actual")
        panels[0].scatter(x, rows["forecast"], color=colour, marker="_", s=120, zorder=3,
                          label=f"{channel} forecast")
        panels[1].bar(x, 100 * rows["wape"].fillna(0), width=width, color=colour,
                      label=channel)
    centre = np.arange(len(days)) + (len(channels) - 1) * width / 2
    labels = [pd.Timestamp(d).strftime("%a %d") for d in days]
    for ax in panels:
        ax.set_xticks(centre, labels)
        ax.grid(True, axis="y", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    panels[0].set_ylabel("contacts per day")
    panels[1].set_ylabel("WAPE (%)")
    panels[0].legend(fontsize=7, ncols=2)
    return _chart("accuracy", "Last week's forecast (made before the week, with each channel's "
                  "selected model) against the contacts offered, and its WAPE over each day's "
                  "intervals", fig)


def _coverage_chart(channel: str, df: pd.DataFrame, week: _Week, colour: str) -> str:
    df = df.sort_values(F.INTERVAL_START)
    x = week.hours(df[F.INTERVAL_START])
    fig = _figure()
    ax = fig.add_subplot()
    short = (df["scheduled"] < df["required"]).to_numpy()
    ax.fill_between(x, df["scheduled"], df["required"], where=short, step="post", color="#d62728",
                    alpha=0.35, linewidth=0, label="short")
    ax.step(x, df["required"], where="post", color="black", linewidth=1, label="required")
    ax.step(x, df["scheduled"], where="post", color=colour, linewidth=1, label="scheduled")
    ax.set_ylabel("agents")
    ax.legend(loc="upper right", fontsize=8)
    _day_axis(ax, week)
    return _chart(f"coverage-{channel}",
                  f"{channel}: agents required and scheduled per interval; red where short", fig)


def _service_level_chart(channel: str, df: pd.DataFrame, week: _Week, colour: str,
                         target: float | None) -> str:
    df = df.sort_values(F.INTERVAL_START)
    x = week.hours(df[F.INTERVAL_START])
    fig = _figure()
    ax = fig.add_subplot()
    ax.fill_between(x, df["service_level_lo95"], df["service_level_hi95"], color=colour,
                    alpha=0.2, linewidth=0, label="95 % interval")
    ax.plot(x, df["service_level"], color=colour, linewidth=1, marker=".", markersize=2,
            label="service level")
    if target is not None:
        ax.axhline(target, color="#d62728", linestyle="--", linewidth=1,
                   label=f"target {target:.0%}")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("service level")
    ax.legend(loc="lower right", fontsize=8)
    _day_axis(ax, week)
    shown = f" (target {target:.0%})" if target is not None else ""
    return _chart(f"service-level-{channel}",
                  f"{channel}: simulated service level per open interval{shown}", fig)


def activity_bars(intervals: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """Runs of equal activity per agent as bars: agent_id, activity, start, end (tz-aware).

    ``off`` runs are dropped; a run ends where the activity changes or intervals are missing.
    """
    df = intervals.sort_values([F.AGENT_ID, F.INTERVAL_START])
    step = pd.Timedelta(minutes=interval_minutes)
    t = df[F.INTERVAL_START]
    new = ((df[F.AGENT_ID] != df[F.AGENT_ID].shift()) | (df[F.ACTIVITY] != df[F.ACTIVITY].shift())
           | (t - t.shift() != step))
    runs = df.assign(run=new.cumsum()).groupby("run", sort=True).agg(
        agent_id=(F.AGENT_ID, "first"), activity=(F.ACTIVITY, "first"),
        start=(F.INTERVAL_START, "first"), last=(F.INTERVAL_START, "last"))
    runs["end"] = runs["last"] + step
    runs = runs[runs["activity"] != F.OFF]
    return runs[[F.AGENT_ID, F.ACTIVITY, "start", "end"]].reset_index(drop=True)


def _rectangles(left: np.ndarray, width: np.ndarray, rows: list[int]) -> MplPath:
    """One compound path of bars 0.8 high centred on ``rows``: a single SVG element per
    activity instead of one per bar keeps the Gantt chart a few hundred kB smaller."""
    n = len(rows)
    y = np.asarray(rows, dtype=float)
    xs = np.stack([left, left + width, left + width, left, left], axis=1)
    ys = np.stack([y - 0.4, y - 0.4, y + 0.4, y + 0.4, y - 0.4], axis=1)
    codes = np.tile([MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO,
                     MplPath.CLOSEPOLY], n)
    return MplPath(np.column_stack([xs.ravel(), ys.ravel()]), codes)


def _gantt_chart(intervals: pd.DataFrame, week: _Week, colours: dict[str, str],
                 interval_minutes: int) -> str:
    agents = sorted(set(intervals[F.AGENT_ID]))
    shown = agents[:GANTT_MAX_AGENTS]
    df = intervals[intervals[F.AGENT_ID].isin(shown)]
    df = df[(df[F.INTERVAL_START] >= week.start) & (df[F.INTERVAL_START] < week.end)]
    bars = activity_bars(df, interval_minutes)
    row = {a: i for i, a in enumerate(shown)}
    fig = _figure(height=1.0 + 0.14 * max(len(shown), 1))
    ax = fig.add_subplot()
    for activity, g in bars.groupby(F.ACTIVITY, sort=True):
        start = week.hours(g["start"])
        width = week.hours(g["end"]) - start
        colour = _BREAK_COLOURS.get(str(activity), colours.get(str(activity), "#7f7f7f"))
        ax.add_patch(PathPatch(_rectangles(start, width, [row[a] for a in g[F.AGENT_ID]]),
                               facecolor=colour, linewidth=0, label=str(activity)))
    ax.set_yticks(range(len(shown)), shown, fontsize=6)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    _day_axis(ax, week)
    more = (f"; the first {len(shown)} of {len(agents)} agents by id are shown"
            if len(agents) > len(shown) else "")
    return _chart("gantt", f"Agent schedule: work by channel, breaks and lunches{more}", fig)


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1rem 1.5rem;color:#222;line-height:1.4}
header{border-bottom:2px solid #444;margin-bottom:1rem}
h1{margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #ccc}
.meta{color:#555;margin:.2rem 0 .6rem}.note{color:#8a6d3b;background:#fcf8e3;padding:.3rem .6rem}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;min-width:15rem}
.card h3{margin:.2rem 0 .4rem;text-transform:capitalize}
dl{display:grid;grid-template-columns:auto auto;gap:.15rem 1rem;margin:0}
dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
.chart svg{max-width:100%;height:auto}
.table{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.2rem .5rem}td.n{text-align:right;
font-variant-numeric:tabular-nums}th{background:#f0f0f0}
"""


def _page(site: str, week: _Week, generated: dt.datetime, notes: list[str],
          body: list[str]) -> str:
    title = f"{site}: week {week.first:%Y-%m-%d} to {week.last:%Y-%m-%d}"
    note_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_e(site)}</h1><p class=\"meta\">Week {week.first:%a %d %b %Y} to "
        f"{week.last:%a %d %b %Y} · generated {_e(generated.strftime('%Y-%m-%d %H:%M %Z'))}"
        f"</p>{note_html}</header>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _section(title: str, parts: list[str]) -> str:
    return f"<section><h2>{_e(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, value in zip(df.columns, rec, strict=True):
            if isinstance(value, (int, float, np.number)):
                digits = 3 if any(r in col for r in _RATIO_WORDS) else 1
                cells.append(f'<td class="n">{_e(_num(value, digits))}</td>')
            else:
                cells.append(f"<td>{_e(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _num(value: object, digits: int) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def _pct(value: object, scale: float = 100.0) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "–"
    return f"{float(value) * scale:.1f} %"  # type: ignore[arg-type]
