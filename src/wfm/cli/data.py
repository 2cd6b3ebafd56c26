"""Commands that bring data in and check it: ``sample``, ``validate``, ``import``, ``calibrate``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd
from rich.table import Table

from wfm import frames as F
from wfm.cli.base import (
    cli,
    config_option,
    date_option,
    err,
    number,
    out,
)
from wfm.config import load_config
from wfm.io.acd import PRESETS as ACD_PRESETS
from wfm.timegrid import Grid


@cli.command()
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for history.csv.gz, roster.csv and time_off.csv.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0),
              help="Random seed (same seed, same data).")
@date_option("--start", "First day of the history.", default="2024-11-25", show_default=True)
@click.option("--weeks", default=106, show_default=True, type=click.IntRange(2, 520),
              help="Weeks of history to generate.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Site config whose channels, hours and holidays shape the data "
                   "[default: the bundled example site].")
def sample(out_dir: Path, seed: int, start: dt.date, weeks: int, config_path: Path | None) -> None:
    """Generate a realistic, seeded multi-channel history, roster and time off.

    The roster names the config's contracts where their hours match, and gives a few agents
    availability windows, fixed days off and wishes; the time off falls in the week after the
    history.

    \b
    Example:
      wfm sample --out-dir data/sample --seed 7
    """
    from wfm.config import example_config
    from wfm.sample import generate_sample, write_sample

    config = load_config(config_path) if config_path else example_config()
    with err.status("generating sample data…"):
        data = generate_sample(config, start, weeks, seed)
        paths = write_sample(data, out_dir)
    for p in paths:
        out.print(f"wrote {p}")


@cli.command()
@config_option
@click.option("--history", "history_path", type=click.Path(dir_okay=False, path_type=Path),
              help="history.csv to check [default: the config's 'history', if any].")
def validate(config_path: Path, history_path: Path | None) -> None:
    """Check a config, its roster and its history, and show what the history says.

    Reads the history (the config's 'history' or --history) as every other command does, so
    its problems are reported here first, and prints per channel the intervals, gaps, volume,
    abandon rate, AHT and the patience the abandons imply (abandons ÷ total waiting time,
    with its 95 % interval; needs a 'wait_seconds' column) beside the configured
    patience_seconds.

    \b
    Example:
      wfm validate --config configs/example.yaml
    """
    from wfm.io.history import read_history
    from wfm.io.roster import load_agents
    from wfm.staffing.estimate import estimate_parameters

    config = load_config(config_path)
    agents = load_agents(config) if config.roster else ()
    out.print(f"{config_path}: OK — {len(config.channels)} channels "
              f"({', '.join(config.channels)}), {len(agents)} agents, "
              f"{config.site.interval_minutes}-minute intervals, {config.site.timezone}")
    path = history_path or config.history
    if path is None:
        return
    with err.status("reading history…"):
        history, report = read_history(path, config)
    first, last = report.first_interval, report.last_interval
    span = f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first is not None and last is not None else ""
    table = Table(title=f"{path}: {report.rows:,} rows, {span}")
    for col in ("channel", "intervals", "gaps", "offered", "aband.", "AHT s",
                "patience s (95 %)", "config"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    gaps = report.gaps.groupby(F.CHANNEL).size() if report.gap_count else pd.Series(dtype=int)
    for row in estimate_parameters(history).to_dict("records"):
        name = str(row["channel"])
        estimated = number(row["patience_seconds"], ",.0f")
        if estimated != "–":
            estimated += (f" ({number(row['patience_lo95'], ',.0f')}–"
                          f"{number(row['patience_hi95'], ',.0f')})")
        table.add_row(name, f"{row['intervals']:,}", f"{int(gaps.get(name, 0)):,}",
                      number(row["offered"], ",.0f"), number(row["abandon_rate"], ".1%"),
                      number(row["aht_seconds"], ",.0f"), estimated,
                      number(config.channels[name].patience_seconds, ",.0f"))
    out.print(table)


@cli.command(name="import")
@config_option
@click.option("--calls", "calls_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Call-level ACD log (CSV, plain or .gz), mapped by the config's acd.calls.")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path),
              help="An ACD's interval report (CSV, plain or .gz); needs --format.")
@click.option("--format", "preset", type=click.Choice(sorted(ACD_PRESETS)),
              help="Which ACD wrote --export (docs/acd-exports.md).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="history.csv to write.")
def import_(config_path: Path, calls_path: Path | None, export_path: Path | None,
            preset: str | None, out_path: Path) -> None:
    """Turn an ACD's call log or interval report into history.csv on the site's grid.

    A call log (--calls) is mapped by the config's acd.calls (columns, date format, outcome
    values) and acd.queues (queue -> channel). Contacts offered to a mapped queue are counted
    in the interval they arrived in: offered, handled, abandoned, AHT and total waiting time
    (which gives wfm validate its patience estimate). Hang-ups before the queue, ignored
    outcomes and unmapped queues are counted and reported; bad rows are skipped and reported
    by reason with row numbers, unless there are more than acd.calls.max_bad_share of them.
    The file is read in chunks, so a year of calls needs little memory.

    An interval report (--export with --format genesys, avaya-cms or cisco-ucce) is mapped by
    acd.queues and summed up to the site's interval.

    \b
    Example:
      wfm import --config configs/anonymous-bank.yaml --calls calls_1999-01.csv.gz \\
        --out out/history.csv
      wfm import --config site.yaml --export cms_interval.csv --format avaya-cms \\
        --out out/history.csv
    """
    from wfm.io.acd import read_interval_export
    from wfm.io.calls import import_calls
    from wfm.io.export import write_frame
    from wfm.staffing.estimate import estimate_parameters

    config = load_config(config_path)
    if (calls_path is None) == (export_path is None):
        raise click.UsageError("give either --calls FILE or --export FILE --format NAME")
    report = None
    if export_path is not None:
        if preset is None:
            raise click.UsageError("--export needs --format (genesys, avaya-cms, cisco-ucce)")
        queues = dict(config.acd.queues) or {name: name for name in config.channels}
        history = read_interval_export(export_path, preset, queues, Grid.from_config(config))
    else:
        assert calls_path is not None
        with err.status("reading calls…"):
            history, report = import_calls(calls_path, config)
    source = calls_path or export_path
    write_frame(history, out_path)
    table = Table(title=f"{source} → {out_path}")
    for col in ("channel", "offered", "handled", "abandoned", "AHT s", "wait h"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for row in estimate_parameters(history).to_dict("records"):
        table.add_row(str(row["channel"]), number(row["offered"], ",.0f"),
                      number(row["handled"], ",.0f"), number(row["abandoned"], ",.0f"),
                      number(row["aht_seconds"], ",.0f"),
                      number(row["wait_seconds"] / 3600, ",.1f"))
    out.print(table)
    if report is None:
        return
    out.print(f"{report.rows:,} records: {report.offered:,} offered to a queue, "
              f"{report.before_queue:,} hung up before the queue, "
              f"{sum(report.ignored.values()):,} ignored "
              f"({', '.join(f'{k} {v:,}' for k, v in report.ignored.items()) or 'none'}), "
              f"{sum(report.unmapped_queues.values()):,} in unmapped queues, "
              f"{report.bad_total:,} bad; {len(report.days)} days")


@cli.command()
@config_option
@click.option("--calls", "calls_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Call-level ACD log (CSV, plain or .gz), mapped by the config's acd.calls.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="calibration.csv to write (one row per channel and interval).")
@click.option("--min-offered", default=10, show_default=True, type=click.IntRange(min=1),
              help="Least calls offered for an interval to count in the error table.")
def calibrate(config_path: Path, calls_path: Path, out_path: Path, min_offered: int) -> None:
    """Check the staffing models against what a call log shows happened.

    For each channel and interval of the log: the agents observed (distinct agents serving,
    a lower bound of those logged in), offered calls, AHT, and the service level, abandonment
    and ASA that the log shows beside those Erlang C and Erlang A (with the patience estimated
    from the log: abandons ÷ total waiting time) predict for that staffing. Prints the
    patience per channel and the mean absolute error and bias per channel and model, so you
    know which model to trust for which queue.

    \b
    Example:
      wfm calibrate --config configs/anonymous-bank.yaml --calls calls_1999-02.csv.gz \\
        --out out/calibration.csv
    """
    from wfm.calibrate import calibrate as run_calibration
    from wfm.io.calls import read_calls
    from wfm.io.export import write_frame

    config = load_config(config_path)
    with err.status("reading calls…"):
        calls, _report = read_calls(calls_path, config)
    with err.status("calibrating…"):
        result = run_calibration(calls, config, min_offered=min_offered)
    write_frame(result.frame, out_path)
    patience = result.patience.set_index(F.CHANNEL)
    table = Table(title=f"Model against the log ({min_offered}+ calls per interval) → {out_path}")
    for col in ("channel", "model", "intervals", "SL error", "SL bias", "aband. error",
                "aband. bias"):
        table.add_column(col, justify="left" if col in ("channel", "model") else "right",
                         no_wrap=col == "model")
    names = {"erlang_c": "Erlang C", "erlang_a": "Erlang A"}
    for row in result.summary.to_dict("records"):
        table.add_row(str(row["channel"]), names.get(str(row["model"]), str(row["model"])),
                      f"{row['intervals']:,}", number(row["mae_service_level"], ".3f"),
                      number(row["bias_service_level"], "+.3f"),
                      number(row["mae_abandon"], ".3f"), number(row["bias_abandon"], "+.3f"))
    out.print(table)
    out.print("patience (abandons ÷ total waiting time): " + ", ".join(
        f"{name} {number(value, ',.0f')} s"
        for name, value in patience["patience_seconds"].items()))
