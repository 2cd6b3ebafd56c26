"""What every command shares: the group that maps errors to exit codes, common options,
the consoles and the tables several commands print."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from wfm import __version__
from wfm.errors import WfmError

out = Console()
err = Console(stderr=True)
FC = TypeVar("FC", bound=Callable[..., Any])


class WfmGroup(click.Group):
    """Maps library errors to exit 1 with one line, and unexpected errors to exit 2.

    Click exits 2 on a usage error (bad option, missing argument); DESIGN.md keeps 2 for
    internal errors, so :meth:`main` shows click's message as usual but exits 1.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except WfmError as exc:
                raise click.ClickException(str(exc)) from None
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as exc:
                if os.environ.get("WFM_DEBUG"):
                    traceback.print_exc()
                click.echo(f"Internal error: {type(exc).__name__}: {exc} (this is a bug in wfm; "
                           "set WFM_DEBUG=1 for the traceback and please report it)", err=True)
                ctx.exit(2)


def _show_warning(message: Warning | str, category: type[Warning], *_: object,
                  **__: object) -> None:
    click.echo(f"Warning: {message}", err=True)


def config_option(f: FC) -> FC:
    """``--config FILE``, loaded and validated."""
    return click.option("--config", "config_path", required=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="Site config (YAML), e.g. configs/example.yaml.")(f)


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (expected YYYY-MM-DD)") from None


def date_option(name: str, help_text: str, **kwargs: Any) -> Callable[[FC], FC]:
    """A ``YYYY-MM-DD`` option parsed into a ``datetime.date``."""
    return click.option(name, callback=_date, metavar="YYYY-MM-DD", help=help_text, **kwargs)


@click.group(cls=WfmGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.version_option(__version__, prog_name="wfm")
def cli() -> None:
    """wfm — forecast, staff and schedule a contact center.

    \b
    The weekly pipeline in one command:
      wfm run --config configs/example.yaml --out-dir out/
    """


def print_experience(per_agent: pd.DataFrame) -> None:
    from wfm.evaluate import experience_summary

    e = experience_summary(per_agent)
    out.print(f"agents: wishes met {e['wishes_met_pct']:.0f}% of {e['wishes']:.0f}, "
              f"start spread {e['mean_start_spread_hours']:.1f} h on average, weekend days "
              f"≤ {e['weekend_days_max']:.0f} per agent ({e['agents_with_weekend_work_pct']:.0f}% "
              f"work one), paid {e['paid_hours_min']:.1f}–{e['paid_hours_max']:.1f} h")


def progress_line(status: Any) -> Callable[[float, float, float], None]:
    """Show the solver's objective and bound in a rich status line."""
    def show(seconds: float, objective: float, bound: float) -> None:
        proved = f"bound {bound:,.0f}" if bound > 0 else "bound pending"
        status.update(f"solving… {seconds:5.1f} s  objective {objective:,.0f}  {proved}")
    return show


def print_summary(summary: pd.DataFrame, schedule: Any, title: str) -> None:
    table = Table(title=title)
    cols = {"channel": "channel", "volume": "volume", "peak_required": "peak req.",
            "agents_scheduled": "agents", "required_hours": "req. h",
            "scheduled_hours": "sched. h", "gap_pct": "gap %", "over_pct": "over %"}
    for key, label in cols.items():
        table.add_column(label, justify="left" if key == "channel" else "right")
    for rec in summary.to_dict("records"):
        table.add_row(str(rec["channel"]), f"{rec['volume']:,.0f}", str(rec["peak_required"]),
                      str(rec["agents_scheduled"]), f"{rec['required_hours']:,.0f}",
                      f"{rec['scheduled_hours']:,.0f}", f"{rec['gap_pct']:.1f}",
                      f"{rec['over_pct']:.1f}")
    out.print(table)
    out.print("gap % = required agent-hours left uncovered; over % = agent-hours beyond them")
    out.print(f"schedule: {schedule.status.lower()}, objective {schedule.objective:,.0f}, "
              f"lower bound {schedule.lower_bound:,.0f} ({schedule.gap:.1%} from the bound)")


def number(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or a dash when it is missing."""
    return "–" if value is None or pd.isna(value) else format(value, spec)


def required_path(value: Path | None, key: str, option: str | None) -> Path:
    """``value``, a path the config's ``key`` (or the command's ``option``) must give."""
    if value is None:
        from wfm.errors import ConfigError
        alt = f" or pass {option}" if option else ""
        raise ConfigError(key, f"not set; add '{key}:' to the config{alt}")
    return value


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="wfm")
