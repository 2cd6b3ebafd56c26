"""The command line: exit 0 on success, 1 with one ``Error:`` line on user error, 2 on a bug."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result
from numpy.testing import assert_allclose

from wfm import frames as F
from wfm.cli import cli
from wfm.config import KNOWN_MODELS

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "configs" / "example.yaml"
SMALL_ROSTER = 16
"""Agents kept from the sample roster for the forecast -> staff -> schedule chain."""


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


# --- help ----------------------------------------------------------------------------------------


def test_group_help_exits_0() -> None:
    result = invoke("--help")

    assert result.exit_code == 0
    assert "wfm run --config" in result.output


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = invoke(command, "--help")

    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"wfm {command}" in result.output


def test_the_pipeline_commands_exist() -> None:
    assert {"sample", "validate", "forecast", "backtest", "staff", "schedule", "run"} <= set(
        cli.commands)


# --- validate and config errors ------------------------------------------------------------------


def test_validate_accepts_the_example() -> None:
    result = invoke("validate", "--config", EXAMPLE)

    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "213,696 rows" in result.output  # the sample history is read and summarised


def test_validate_estimates_patience_from_waits(tmp_path: Path) -> None:
    index = pd.date_range("2026-12-07 08:00", periods=8, freq="15min", tz="Europe/Berlin")
    history = pd.DataFrame({F.INTERVAL_START: [t.isoformat() for t in index], F.CHANNEL: "voice",
                            F.OFFERED: 100, F.HANDLED: 90, F.ABANDONED: 10,
                            F.AHT_SECONDS: 300.0, F.WAIT_SECONDS: 1500.0})
    path = tmp_path / "history.csv"
    history.to_csv(path, index=False)

    result = CliRunner().invoke(cli, ["validate", "--config", str(EXAMPLE), "--history",
                                      str(path)], env={"COLUMNS": "120"})

    assert result.exit_code == 0, result.output
    assert "150 (121–189)" in result.output  # 12,000 s waited / 80 abandons, Garwood 95 %
    assert "10.0%" in result.output


def test_unknown_config_key_is_one_error_line_naming_the_key_path(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["rules"]["max_day_per_week"] = 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")

    result = invoke("validate", "--config", bad)

    assert result.exit_code == 1
    assert len(error_lines(result)) == 1
    assert "rules.max_day_per_week" in error_lines(result)[0]
    assert "max_days_per_week" in error_lines(result)[0].split("rules.max_day_per_week", 1)[1]
    assert_no_traceback(result)


def test_missing_config_file_exits_1(tmp_path: Path) -> None:
    result = invoke("validate", "--config", tmp_path / "nowhere.yaml")

    assert result.exit_code == 1
    assert len(error_lines(result)) == 1
    assert "not found" in error_lines(result)[0]
    assert_no_traceback(result)


BAD_VALUES = [("--days", "0"), ("--days", "many"), ("--start", "not-a-date"),
              ("--start", "2026-02-30")]


def _forecast_with(tmp_path: Path, option: str, value: str) -> Result:
    return invoke("forecast", "--config", EXAMPLE, "--out", tmp_path / "f.csv", option, value)


@pytest.mark.parametrize(("option", "value"), BAD_VALUES)
def test_bad_option_value_exits_1_with_one_error_line(tmp_path: Path, option: str,
                                                      value: str) -> None:
    result = _forecast_with(tmp_path, option, value)

    assert result.exit_code == 1, result.output
    assert len(error_lines(result)) == 1
    assert not (tmp_path / "f.csv").exists()
    assert_no_traceback(result)


@pytest.mark.parametrize(("option", "value"), BAD_VALUES)
def test_bad_option_value_error_names_the_option(tmp_path: Path, option: str, value: str) -> None:
    result = _forecast_with(tmp_path, option, value)

    assert option in error_lines(result)[0]


def test_bad_time_limit_exits_1(tmp_path: Path) -> None:
    result = invoke("schedule", "--config", EXAMPLE, "--requirements", tmp_path / "r.csv",
                    "--out-dir", tmp_path, "--time-limit", "0")

    assert result.exit_code == 1
    assert len(error_lines(result)) == 1


def test_missing_required_option_exits_1() -> None:
    result = invoke("validate")

    assert result.exit_code == 1
    assert len(error_lines(result)) == 1


def test_missing_required_option_error_names_the_option() -> None:
    result = invoke("validate")

    assert "--config" in error_lines(result)[0]


def test_unknown_command_exits_1() -> None:
    result = invoke("frobnicate")

    assert result.exit_code == 1
    assert len(error_lines(result)) == 1


def test_unknown_group_option_exits_1() -> None:
    result = invoke("--frobnicate", "validate", "--config", EXAMPLE)

    assert result.exit_code == 1


def test_internal_error_exits_2_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.delenv("WFM_DEBUG", raising=False)
    monkeypatch.setattr("wfm.cli.data.load_config", broken)

    result = invoke("validate", "--config", EXAMPLE)

    assert result.exit_code == 2
    assert "Internal error" in result.stderr
    assert "disk on fire" in result.stderr
    assert_no_traceback(result)


# --- sample --------------------------------------------------------------------------------------


def test_sample_writes_history_roster_and_time_off(tmp_path: Path) -> None:
    out = tmp_path / "sample"

    result = invoke("sample", "--out-dir", out, "--weeks", "3")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["history.csv.gz", "roster.csv",
                                                     "time_off.csv"]


# --- forecast -> staff -> schedule ---------------------------------------------------------------


@pytest.fixture(scope="module")
def small_site(sample_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site with the first agents of its roster only: a quick schedule."""
    root = tmp_path_factory.mktemp("cli_site")
    data = yaml.safe_load(sample_site.read_text(encoding="utf-8"))
    roster = pd.read_csv(sample_site.parent / data["roster"], dtype=str)
    roster.head(SMALL_ROSTER).to_csv(root / "roster.csv", index=False)
    data["history"] = str(sample_site.parent / data["history"])
    data["roster"] = "roster.csv"
    data["time_off"] = None  # the absent agents may not be among the first ones
    path = root / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def forecast_run(small_site: Path) -> tuple[Result, Path]:
    out = small_site.parent / "forecast.csv"
    return invoke("forecast", "--config", small_site, "--days", "7", "--out", out), out


@pytest.fixture(scope="module")
def staff_run(small_site: Path, forecast_run: tuple[Result, Path]) -> tuple[Result, Path]:
    out = small_site.parent / "requirements.csv"
    return invoke("staff", "--config", small_site, "--forecast", forecast_run[1], "--out",
                  out), out


def test_forecast_writes_the_forecast_file(forecast_run: tuple[Result, Path]) -> None:
    result, path = forecast_run

    assert result.exit_code == 0, result.output
    df = pd.read_csv(path)
    assert tuple(df.columns) == F.FORECAST_COLUMNS
    assert df[F.INTERVAL_START].iloc[0] == "2026-03-23T00:00:00+01:00"
    assert len(df) == 3 * (7 * 96 - 4)


def test_forecast_writes_daily_and_weekly_totals_beside_it(
        forecast_run: tuple[Result, Path]) -> None:
    _, path = forecast_run
    intervals = pd.read_csv(path)
    daily = pd.read_csv(path.parent / "forecast_daily.csv")
    weekly = pd.read_csv(path.parent / "forecast_weekly.csv")

    assert tuple(daily.columns) == F.FORECAST_DAILY_COLUMNS
    assert tuple(weekly.columns) == F.FORECAST_WEEKLY_COLUMNS
    assert len(daily) == 3 * 7
    assert weekly["days"].tolist() == [7, 7, 7]
    by_channel = intervals.groupby(F.CHANNEL)[F.VOLUME].sum()
    for frame in (daily, weekly):
        totals = frame.groupby(F.CHANNEL)[F.VOLUME].sum()
        assert_allclose(totals[by_channel.index], by_channel, rtol=1e-4)


def test_forecast_prints_the_chosen_model_and_its_backtest(
        forecast_run: tuple[Result, Path]) -> None:
    result, _ = forecast_run

    assert "WAPE" in result.output
    assert any(alias in result.output for alias in KNOWN_MODELS)


def test_forecast_as_of_keeps_the_actuals_before_it(small_site: Path) -> None:
    out = small_site.parent / "asof" / "forecast.csv"

    result = invoke("forecast", "--config", small_site, "--as-of", "2026-03-16T11:00",
                    "--days", "1", "--out", out)

    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert df[F.INTERVAL_START].iloc[0] == "2026-03-16T00:00:00+01:00"
    before = df[F.INTERVAL_START] < "2026-03-16T11:00:00+01:00"
    assert set(df.loc[before, F.MODEL]) == {"actual"}
    assert df.loc[~before & (df[F.VOLUME] > 0), F.MODEL].str.endswith("+intraday").any()


def test_forecast_as_of_and_start_together_is_a_usage_error(small_site: Path) -> None:
    result = invoke("forecast", "--config", small_site, "--as-of", "2026-03-16T11:00",
                    "--start", "2026-03-16", "--out", small_site.parent / "x.csv")

    assert result.exit_code == 1
    assert "--as-of" in result.output
    assert_no_traceback(result)


def test_forecast_as_of_in_the_skipped_dst_hour_is_one_clear_error(small_site: Path) -> None:
    out = small_site.parent / "dst" / "forecast.csv"

    result = invoke("forecast", "--config", small_site, "--as-of", "2026-03-29T02:30",
                    "--days", "1", "--out", out)

    assert result.exit_code == 1
    assert_no_traceback(result)
    assert "DST" in result.output
    assert "UTC offset" in result.output
    assert not out.exists()


def test_backtest_writes_scores_and_prints_a_leaderboard(small_site: Path) -> None:
    out = small_site.parent / "backtest.csv"

    result = invoke("backtest", "--config", small_site, "--folds", "2", "--horizon-days", "7",
                    "--out", out)

    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert {"channel", "model", "fold", "wape", "mase", "rmse", "bias", "coverage80",
            "coverage95"} <= set(scores.columns)
    assert set(scores["fold"]) == {1, 2}
    assert set(scores["channel"]) == {"voice", "chat", "email"}
    assert "★" in result.output


def test_staff_reads_the_forecast_and_writes_requirements(staff_run: tuple[Result, Path]) -> None:
    result, path = staff_run

    assert result.exit_code == 0, result.output
    assert tuple(pd.read_csv(path, nrows=0).columns) == F.REQUIREMENTS_COLUMNS


def test_schedule_reads_the_requirements_and_writes_four_files(
    small_site: Path, staff_run: tuple[Result, Path]
) -> None:
    out = small_site.parent / "schedule"

    result = invoke("schedule", "--config", small_site, "--requirements", staff_run[1],
                    "--out-dir", out, "--time-limit", "5")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "agent_intervals.csv", "coverage.csv", "schedule.csv", "segments.csv"]
    shifts = pd.read_csv(out / "schedule.csv")
    assert set(shifts[F.AGENT_ID]) <= {f"A{i:03d}" for i in range(1, SMALL_ROSTER + 1)}
    assert set(shifts[F.DATE]) <= {(dt.date(2026, 3, 23) + dt.timedelta(days=i)).isoformat()
                                   for i in range(7)}


@pytest.fixture(scope="module")
def published(small_site: Path, staff_run: tuple[Result, Path]) -> Path:
    out = small_site.parent / "published"
    result = invoke("schedule", "--config", small_site, "--requirements", staff_run[1],
                    "--out-dir", out, "--time-limit", "5", "--workers", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    return out


def test_schedule_prints_the_agents_week(small_site: Path, published: Path) -> None:
    result = invoke("schedule", "--config", small_site, "--evaluate", published)

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "every hard rule is kept" in text
    assert "wishes met" in text
    assert "paid" in text


def test_evaluate_lists_a_hand_edit_that_breaks_a_rule(tmp_path: Path, small_site: Path,
                                                       published: Path) -> None:
    edited = tmp_path / "edited"
    edited.mkdir()
    for name in ("coverage.csv", "schedule.csv"):
        (edited / name).write_bytes((published / name).read_bytes())
    ai = pd.read_csv(published / "agent_intervals.csv", dtype=str, keep_default_na=False)
    lunch = ai.index[ai[F.ACTIVITY] == F.LUNCH]
    ai.loc[lunch, F.ACTIVITY] = "voice"  # the team lead cancels the lunches
    ai.to_csv(edited / "agent_intervals.csv", index=False)

    result = invoke("schedule", "--config", small_site, "--evaluate", edited)

    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "broken rule" in text
    assert "breaks" in text  # rule name: the lunch is missing
    assert_no_traceback(result)


def test_evaluate_names_the_file_of_a_bad_time_stamp(tmp_path: Path, small_site: Path,
                                                     published: Path) -> None:
    (tmp_path / "agent_intervals.csv").write_text(
        "agent_id,interval_start,activity\nA001,2026-03-23 08:00,voice\n", encoding="utf-8")

    result = invoke("schedule", "--config", small_site, "--evaluate", tmp_path)

    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert "agent_intervals.csv" in line
    assert "row 2" in line
    assert_no_traceback(result)


def test_schedule_without_requirements_or_evaluate_is_a_usage_error(small_site: Path) -> None:
    result = invoke("schedule", "--config", small_site)

    assert result.exit_code == 1  # usage errors exit 1 (DESIGN.md keeps 2 for internal errors)
    assert "--requirements" in result.output


def test_simulate_writes_interval_and_daily_results(small_site: Path, published: Path,
                                                   forecast_run: tuple[Result, Path]) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())

    result = invoke("simulate", "--config", small_site, "--out-dir", published,
                    "--replications", "3", "--seed", "1")

    assert result.exit_code == 0, result.output
    sim = pd.read_csv(published / "simulation.csv")
    daily = pd.read_csv(published / "simulation_summary.csv")
    assert tuple(sim.columns) == F.SIMULATION_COLUMNS
    assert tuple(daily.columns) == F.SIMULATION_SUMMARY_COLUMNS
    assert set(daily[F.CHANNEL]) == {"voice", "chat", "email"}
    # means over replications, written with 6 significant digits
    assert (sim["answered"] + sim["abandoned"] <= sim["offered"] * (1 + 1e-5) + 1e-4).all()


def test_simulate_by_skill_without_a_roster_says_how_to_go_on(
        small_site: Path, published: Path, forecast_run: tuple[Result, Path],
        tmp_path: Path) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())
    data = yaml.safe_load(small_site.read_text(encoding="utf-8"))
    data.pop("roster", None)
    data.pop("time_off", None)
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data), encoding="utf-8")

    by_skill = invoke("simulate", "--config", site, "--out-dir", published)
    by_plan = invoke("simulate", "--config", site, "--out-dir", published, "--routing", "plan",
                     "--replications", "2")

    assert by_skill.exit_code == 1
    assert "--routing plan" in by_skill.output
    assert_no_traceback(by_skill)
    assert by_plan.exit_code == 0, by_plan.output


def test_simulate_without_a_forecast_names_the_file(small_site: Path, tmp_path: Path,
                                                    published: Path) -> None:
    (tmp_path / "agent_intervals.csv").write_bytes(
        (published / "agent_intervals.csv").read_bytes())

    result = invoke("simulate", "--config", small_site, "--out-dir", tmp_path)

    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert "forecast.csv" in line
    assert_no_traceback(result)


def test_whatif_writes_a_row_per_scenario_and_channel(small_site: Path, published: Path,
                                                      forecast_run: tuple[Result, Path]) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())

    result = invoke("whatif", "--config", small_site, "--out-dir", published,
                    "--vary", "volume=-10%,+20%", "--replications", "2")

    assert result.exit_code == 0, result.output
    table = pd.read_csv(published / "whatif.csv")
    assert tuple(table.columns) == F.WHATIF_COLUMNS
    assert list(table["scenario"].unique()) == ["base", "volume -10%", "volume +20%"]
    up = table[table["scenario"] == "volume +20%"]
    assert (up["delta_required_fte"] >= 0).all()
    chart = (published / "whatif.svg").read_text(encoding="utf-8")
    assert chart.startswith("<svg")
    assert "volume +20%" in chart


def test_whatif_combine_runs_every_combination(small_site: Path, published: Path,
                                               forecast_run: tuple[Result, Path]) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())

    result = invoke("whatif", "--config", small_site, "--out-dir", published, "--combine",
                    "--vary", "volume=+10%,+20%", "--vary", "aht=+15s", "--replications", "2")

    assert result.exit_code == 0, result.output
    table = pd.read_csv(published / "whatif.csv")
    assert list(table["scenario"].unique()) == [
        "base", "volume +10% & aht +15s", "volume +20% & aht +15s"]


def test_whatif_combine_with_a_knob_twice_is_a_usage_error(small_site: Path,
                                                           published: Path) -> None:
    result = invoke("whatif", "--config", small_site, "--out-dir", published, "--combine",
                    "--vary", "volume=+10%", "--vary", "volume=+20%")

    assert result.exit_code == 1
    assert "given twice" in result.output
    assert_no_traceback(result)


def test_whatif_runs_the_configs_scenarios_without_vary(small_site: Path, published: Path,
                                                        forecast_run: tuple[Result, Path],
                                                        tmp_path: Path) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())
    data = yaml.safe_load(small_site.read_text(encoding="utf-8"))
    data["scenarios"] = {"aht": "+15s"}
    data["roster"] = str(small_site.parent / data["roster"])
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data), encoding="utf-8")

    result = invoke("whatif", "--config", site, "--out-dir", published, "--replications", "2")

    assert result.exit_code == 0, result.output
    table = pd.read_csv(published / "whatif.csv")
    assert list(table["scenario"].unique()) == ["base", "aht +15s"]


def test_whatif_without_scenarios_is_a_usage_error(small_site: Path, published: Path,
                                                   tmp_path: Path) -> None:
    data = yaml.safe_load(small_site.read_text(encoding="utf-8"))
    data.pop("scenarios", None)
    data["roster"] = str(small_site.parent / data["roster"])
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data), encoding="utf-8")

    result = invoke("whatif", "--config", site, "--out-dir", published)

    assert result.exit_code == 1
    assert "scenarios" in result.output
    assert_no_traceback(result)


def test_whatif_names_a_bad_knob(small_site: Path, published: Path) -> None:
    result = invoke("whatif", "--config", small_site, "--out-dir", published,
                    "--vary", "volme=+10%")

    assert result.exit_code == 1
    assert "did you mean 'volume'" in result.output
    assert_no_traceback(result)


def test_report_writes_one_offline_page(small_site: Path, published: Path,
                                        forecast_run: tuple[Result, Path],
                                        staff_run: tuple[Result, Path]) -> None:
    (published / "forecast.csv").write_bytes(forecast_run[1].read_bytes())
    (published / "requirements.csv").write_bytes(staff_run[1].read_bytes())

    result = invoke("report", "--config", small_site, "--out-dir", published)

    assert result.exit_code == 0, result.output
    page = (published / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 7  # 3 channels x (forecast, coverage) + the Gantt chart
    assert "<script" not in page


def test_report_without_the_run_files_names_one(small_site: Path, tmp_path: Path) -> None:
    result = invoke("report", "--config", small_site, "--out-dir", tmp_path)

    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert "forecast.csv" in line
    assert "wfm run" in line
    assert_no_traceback(result)


def test_staff_names_row_and_column_of_a_negative_volume(
    tmp_path: Path, small_site: Path, forecast_run: tuple[Result, Path]
) -> None:
    edited = pd.read_csv(forecast_run[1], dtype=str, keep_default_na=False)
    edited.loc[9, F.VOLUME] = "-3"  # file row 11: the header is row 1
    path = tmp_path / "forecast.csv"
    edited.to_csv(path, index=False)

    result = invoke("staff", "--config", small_site, "--forecast", path, "--out",
                    tmp_path / "requirements.csv")

    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert "row 11" in line
    assert "column 'volume'" in line
    assert "-3" in line
    assert not (tmp_path / "requirements.csv").exists()
    assert_no_traceback(result)
