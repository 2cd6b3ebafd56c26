"""Calibration of the staffing models against a call-level log (wfm.calibrate)."""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from wfm import frames as F
from wfm.calibrate import FRAME_COLUMNS, PATIENCE_COLUMNS, SUMMARY_COLUMNS, calibrate
from wfm.cli import cli
from wfm.config import Config, config_from_dict, load_config
from wfm.errors import DataError
from wfm.io.calls import read_calls
from wfm.timegrid import Grid

TZ = "Europe/Berlin"
MONDAY = pd.Timestamp("2026-03-02 08:00", tz=TZ)


def _config(base: dict[str, Any], **target: Any) -> Config:
    """The tiny config on a 15-minute grid, open all day, with extra voice target keys and a
    chat channel (two chats per agent)."""
    base["site"]["interval_minutes"] = 15
    voice = base["channels"]["voice"]
    voice["hours"] = {"mon-sun": "00:00-24:00"}
    voice["target"].update(target)
    base["channels"]["chat"] = {
        "kind": "chat", "concurrency": 2, "hours": {"mon-sun": "00:00-24:00"},
        "target": {"service_level": 0.8, "answer_seconds": 60},
    }
    return config_from_dict(base)


def _log(rows: list[tuple[float, str, str, float, float, str | None]]) -> pd.DataFrame:
    """Calls as (seconds after Monday 08:00, channel, outcome, wait, handle, agent)."""
    at, channel, outcome, wait, handle, agent = zip(*rows, strict=True)
    return pd.DataFrame({
        F.ARRIVAL: MONDAY + pd.to_timedelta(at, unit="s"),
        F.CHANNEL: channel,
        F.OUTCOME: outcome,
        F.WAIT_SECONDS: np.asarray(wait, dtype=float),
        F.HANDLE_SECONDS: np.asarray(handle, dtype=float),
        F.AGENT: pd.array(agent, dtype="string"),
    })


ANS, ABN, NAN = F.ANSWERED, F.ABANDONED_OUTCOME, float("nan")
TINY = [
    # 08:00-08:15 on voice: three answered, three abandoned (one short: 3 s < 5 s)
    (0, "voice", ANS, 10, 100, "ann"),  # served 08:00:10-08:01:50
    (60, "voice", ANS, 30, 60, "bob"),  # 08:01:30-08:02:30, answered after T = 20 s
    (120, "voice", ABN, 3, NAN, None),
    (180, "voice", ABN, 15, NAN, None),
    (240, "voice", ABN, 40, NAN, None),
    (600, "voice", ANS, 0, 600, "ann"),  # 08:10-08:20: into the next interval
    # 08:30-08:45: answered at exactly T by an unknown agent
    (1800, "voice", ANS, 20, 90, None),
    # chat: ann holds two chats at once, 08:00:00-08:01:40 and 08:00:50-08:03:20
    (0, "chat", ANS, 0, 100, "ann"),
    (45, "chat", ANS, 5, 150, "ann"),
]


def _row(frame: pd.DataFrame, channel: str, minutes: int) -> pd.Series:
    at = MONDAY + pd.Timedelta(minutes=minutes)
    hit = frame[(frame[F.CHANNEL] == channel) & (frame[F.INTERVAL_START] == at)]
    assert len(hit) == 1
    return hit.iloc[0]


@pytest.mark.parametrize(("definition", "short", "expected"), [
    ("count_against", 0, 2 / 6),  # answered within 20 s / offered
    ("count_against", 5, 2 / 5),  # ... with the 3 s abandon left out of offered
    ("ignore", 5, 2 / 3),  # answered within 20 s / answered
    ("met", 5, 3 / 5),  # + the 15 s abandon, the short one still out
    ("met", 0, 4 / 6),  # + the 3 s and the 15 s abandons
])
def test_observed_service_level_follows_the_channel_definition(
        tiny_config_dict: dict[str, Any], definition: str, short: float, expected: float) -> None:
    config = _config(tiny_config_dict, definition=definition, short_abandon_seconds=short)
    frame = calibrate(_log(TINY), config).frame
    first = _row(frame, "voice", 0)
    assert first["service_level_observed"] == pytest.approx(expected)
    assert _row(frame, "voice", 30)["service_level_observed"] == 1.0  # a wait of exactly T


def test_counts_agents_and_busy_time_per_interval(tiny_config_dict: dict[str, Any]) -> None:
    result = calibrate(_log(TINY), _config(tiny_config_dict))
    frame = result.frame
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame[[F.CHANNEL, F.INTERVAL_START]].to_numpy().tolist() == [
        ["voice", MONDAY], ["voice", MONDAY + pd.Timedelta(minutes=15)],
        ["voice", MONDAY + pd.Timedelta(minutes=30)], ["chat", MONDAY],
    ]
    first = _row(frame, "voice", 0)
    assert (first[F.OFFERED], first[F.ANSWERED], first[F.ABANDONED]) == (6, 3, 3)
    assert first[F.AHT_SECONDS] == pytest.approx((100 + 60 + 600) / 3)
    assert first["asa_observed"] == pytest.approx((10 + 30 + 0) / 3)
    assert first["abandon_observed"] == pytest.approx(0.5)
    assert first["agents_observed"] == 2  # ann and bob
    assert first["busy_agents"] == pytest.approx((100 + 60 + 300) / 900)

    # no call arrives 08:15-08:30, but ann is still serving: there, and nothing to predict
    carry = _row(frame, "voice", 15)
    assert (carry[F.OFFERED], carry["agents_observed"]) == (0, 1)
    assert carry["busy_agents"] == pytest.approx(300 / 900)
    assert np.isnan(carry["service_level_observed"])
    assert np.isnan(carry["service_level_erlang_a"])

    # a call served by an unknown agent is busy time, but no agent observed
    unknown = _row(frame, "voice", 30)
    assert unknown["agents_observed"] == 0
    assert unknown["busy_agents"] == pytest.approx(90 / 900)

    # two overlapping chats of one agent: one agent, busy for the union of the two
    chat = _row(frame, "chat", 0)
    assert chat["agents_observed"] == 1
    assert chat["busy_agents"] == pytest.approx(200 / 900)


def test_patience_and_predictions_of_the_tiny_log(tiny_config_dict: dict[str, Any]) -> None:
    result = calibrate(_log(TINY), _config(tiny_config_dict), min_offered=1)
    patience = result.patience.set_index(F.CHANNEL)
    assert tuple(result.patience.columns) == PATIENCE_COLUMNS
    assert patience.loc["voice", F.ABANDONED] == 3
    assert patience.loc["voice", F.WAIT_SECONDS] == pytest.approx(118.0)
    assert patience.loc["voice", "patience_seconds"] == pytest.approx(118.0 / 3)
    assert patience.loc["chat", "patience_seconds"] == np.inf  # nobody abandoned a chat

    frame = result.frame
    chat = frame[frame[F.CHANNEL] == "chat"]
    for metric in ("service_level", "abandon", "asa"):  # infinite patience: Erlang A is C
        assert chat[f"{metric}_erlang_a"].tolist() == chat[f"{metric}_erlang_c"].tolist()
    first = _row(frame, "voice", 0)
    assert first["abandon_erlang_c"] == 0.0
    assert 0 < first["abandon_erlang_a"] < 1
    # the interval with no agent observed predicts, but does not enter the summary
    assert _row(frame, "voice", 30)["service_level_erlang_c"] == 0.0

    summary = result.summary
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    voice = summary[summary[F.CHANNEL] == "voice"].set_index(F.MODEL)
    assert voice["intervals"].tolist() == [1, 1]  # 08:00 only: 08:15 offered none, 08:30 no agent
    assert voice.loc["erlang_c", "bias_abandon"] == pytest.approx(-0.5)
    assert voice.loc["erlang_c", "weighted_mae_abandon"] == pytest.approx(0.5)
    assert voice.loc["erlang_a", "bias_abandon"] == pytest.approx(first["abandon_erlang_a"] - 0.5)
    assert voice.loc["erlang_a", "mae_service_level"] == pytest.approx(
        abs(first["service_level_erlang_a"] - first["service_level_observed"]))

    quiet = calibrate(_log(TINY), _config(tiny_config_dict)).summary  # min_offered 10
    assert (quiet["intervals"] == 0).all()
    assert quiet["mae_service_level"].isna().all()


def test_intervals_follow_the_local_grid_across_the_start_of_dst(
        tiny_config_dict: dict[str, Any]) -> None:
    config = _config(tiny_config_dict)
    saturday = pd.Timestamp("2026-03-28 23:50", tz=TZ)
    calls = _log([(0, "voice", ANS, 0, 30, "ann"), (0, "voice", ANS, 0, 30, "bob")])
    calls[F.ARRIVAL] = [saturday, pd.Timestamp("2026-03-29 03:05", tz=TZ)]  # clocks skip 2-3
    starts = calibrate(calls, config).frame[F.INTERVAL_START]
    assert starts.tolist() == [pd.Timestamp("2026-03-28 23:45", tz=TZ),
                               pd.Timestamp("2026-03-29 03:00", tz=TZ)]
    assert starts.isin(Grid.from_config(config).intervals(saturday.date(), 2)).all()


# ---------------------------------------------------------------- a simulated call center


def _simulate(rng: np.random.Generator, *, agents: int, calls_per_second: float,
              aht_seconds: float, patience_seconds: float, start: pd.Timestamp, seconds: float,
              warmup_seconds: float = 1800.0) -> pd.DataFrame:
    """An M/M/N+M queue, FIFO, ``agents`` named agents on all the time; the log of the calls
    arriving in ``[start, start + seconds)`` after a warm-up from an empty system.

    Under FIFO a call never affects an earlier one, so calls can be settled in arrival order: a
    call is offered the wait until the earliest agent frees up (after every earlier call has
    taken its agent), is served by that agent if its patience lasts that long, else abandons.
    """
    n = rng.poisson(calls_per_second * (seconds + warmup_seconds))
    at = np.sort(rng.uniform(-warmup_seconds, seconds, n))
    handle = rng.exponential(aht_seconds, n)
    patience = rng.exponential(patience_seconds, n)
    free = [(-warmup_seconds, k) for k in range(agents)]  # (free from, agent), a heap
    wait = np.empty(n)
    answered = np.zeros(n, dtype=bool)
    agent = np.full(n, None, dtype=object)
    for i in range(n):
        free_from, k = free[0]
        offered_wait = max(0.0, free_from - at[i])
        if offered_wait <= patience[i]:
            heapq.heapreplace(free, (at[i] + offered_wait + handle[i], k))
            wait[i], answered[i], agent[i] = offered_wait, True, f"agent{k:03d}"
        else:
            wait[i] = patience[i]
    keep = at >= 0
    return pd.DataFrame({
        F.ARRIVAL: start + pd.to_timedelta(at[keep], unit="s"),
        F.CHANNEL: "voice",
        F.OUTCOME: np.where(answered[keep], F.ANSWERED, F.ABANDONED_OUTCOME),
        F.WAIT_SECONDS: wait[keep],
        F.HANDLE_SECONDS: np.where(answered[keep], handle[keep], np.nan),
        F.AGENT: pd.array(agent[keep], dtype="string"),
    })


def test_erlang_a_predicts_a_simulated_erlang_a_call_center(
        tiny_config_dict: dict[str, Any]) -> None:
    # 50 agents and 50 Erlangs offered (critically loaded: Erlang C's queue would not settle),
    # 60 s handle and patience, six hours of 15-minute intervals, about 18,000 calls
    agents, aht, patience = 50, 60.0, 60.0
    calls = _simulate(np.random.default_rng(0), agents=agents, calls_per_second=agents / aht,
                      aht_seconds=aht, patience_seconds=patience, start=MONDAY,
                      seconds=6 * 3600)
    result = calibrate(calls, _config(tiny_config_dict))

    estimate = result.patience.iloc[0]
    assert estimate["patience_lo95"] <= patience <= estimate["patience_hi95"]
    frame = result.frame
    busy = frame[frame[F.OFFERED] >= 10]
    assert len(busy) == 24
    assert (busy["agents_observed"] == agents).all()
    # busy time is the answered calls' handle time, less what spills into the next interval
    load = busy[F.ANSWERED] * busy[F.AHT_SECONDS] / 900
    assert busy["busy_agents"].sum() == pytest.approx(load.sum(), rel=0.02)

    summary = result.summary.set_index(F.MODEL)
    assert (summary["intervals"] == 24).all()
    a, c = summary.loc["erlang_a"], summary.loc["erlang_c"]
    # measured with seed 0: Erlang A 0.019 (service level) and 0.011 (abandonment); Erlang C
    # misses abandonment by 0.056, its whole rate; seeds 0-29 range 0.017-0.027, 0.008-0.012,
    # 0.042-0.066
    assert a["mae_service_level"] < 0.04
    assert a["mae_abandon"] < 0.02
    assert c["mae_abandon"] > 3 * a["mae_abandon"]
    assert c["bias_abandon"] == pytest.approx(-busy["abandon_observed"].mean())
    assert a["weighted_mae_service_level"] < 0.04
    assert a["mae_asa_seconds"] < 2.0
    assert c["unstable_intervals"] > 0  # at 50 Erlangs on 50 agents Erlang C has no steady state


# ---------------------------------------------------------------- bad input


def _broken(change: str) -> pd.DataFrame:
    calls = _log(TINY)
    if change == "missing":
        return calls.drop(columns=[F.AGENT])
    if change == "empty":
        return calls.iloc[:0]
    if change == "naive":
        calls[F.ARRIVAL] = calls[F.ARRIVAL].dt.tz_localize(None)
    elif change == "channel":
        calls.loc[2, F.CHANNEL] = "fax"
    elif change == "outcome":
        calls.loc[2, F.OUTCOME] = "transferred"
    elif change == "wait":
        calls.loc[2, F.WAIT_SECONDS] = -1.0
    elif change == "handle":
        calls.loc[0, F.HANDLE_SECONDS] = np.nan
    return calls


@pytest.mark.parametrize(("change", "message"), [
    ("missing", "missing column.*agent"),
    ("empty", "empty"),
    ("naive", "column 'arrival': arrival must be tz-aware"),
    ("channel", "column 'channel': unknown channel.*'fax'.*voice, chat"),
    ("outcome", "column 'outcome'.*'answered' or 'abandoned', found 'transferred'"),
    ("wait", "column 'wait_seconds'.*>= 0; 1 call.* -1.0"),
    ("handle", "column 'handle_seconds'.*answered calls; 1 answered call.*no value"),
])
def test_bad_logs_are_data_errors_naming_the_fix(
        tiny_config_dict: dict[str, Any], change: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        calibrate(_broken(change), _config(tiny_config_dict))


def test_deferred_channels_have_no_queue_to_calibrate(tiny_config_dict: dict[str, Any]) -> None:
    tiny_config_dict["channels"]["email"] = {
        "kind": "deferred", "target": {"within_hours": 24, "share": 0.9},
        "hours": {"mon-fri": "08:00-18:00"},
    }
    calls = _log(TINY)
    calls.loc[0, F.CHANNEL] = "email"
    with pytest.raises(DataError, match="email are deferred work"):
        calibrate(calls, _config(tiny_config_dict))


def test_real_bank_calibration_runs_and_erlang_a_explains_abandonment_better(
        real_data: Path) -> None:
    bank = load_config(Path(__file__).parents[1] / "configs" / "anonymous-bank.yaml")
    calls, _ = read_calls(real_data / "technion_anonymous_bank" / "calls_1999-02.csv.gz", bank)
    result = calibrate(calls, bank)
    ps = result.summary[result.summary[F.CHANNEL] == "PS"].set_index(F.MODEL)
    assert ps.loc["erlang_a", "intervals"] > 500
    assert ps.loc["erlang_a", "mae_abandon"] < ps.loc["erlang_c", "mae_abandon"]
    patience = result.patience.set_index(F.CHANNEL).loc["PS"]
    assert patience["patience_lo95"] < patience["patience_seconds"] < patience["patience_hi95"]


def test_cli_prints_the_error_table_once_and_writes_the_frame(real_data: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "calibration.csv"
    result = CliRunner().invoke(cli, [
        "calibrate", "--config", str(Path(__file__).parents[1] / "configs" / "anonymous-bank.yaml"),
        "--calls", str(real_data / "technion_anonymous_bank" / "calls_1999-02.csv.gz"),
        "--out", str(out)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert result.output.count("Erlang A") == 6  # one row per channel, once
    assert list(pd.read_csv(out).columns) == list(FRAME_COLUMNS)
