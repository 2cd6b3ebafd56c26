"""roster.csv: agents, skills with proficiency, weekly hours; errors name row and column."""

from __future__ import annotations

from typing import Any

import pytest

from wfm.config import Config, config_from_dict
from wfm.errors import DataError, WfmWarning
from wfm.io.roster import DEFAULT_MAX_WEEK_HOURS, Agent, read_roster

HEADER = "agent_id,name,skills,min_week_hours,max_week_hours"


@pytest.fixture
def config(tiny_config_dict: dict[str, Any]) -> Config:
    """Voice and chat channels with the skill groups ``generalist`` and ``chat_only``."""
    tiny_config_dict["channels"]["chat"] = {
        "kind": "chat",
        "target": {"service_level": 0.8, "answer_seconds": 60},
        "hours": {"mon-sun": "08:00-10:00"},
    }
    tiny_config_dict["skills"] = {"generalist": ["voice", "chat"], "chat_only": ["chat"]}
    return config_from_dict(tiny_config_dict)


def _error(path: Any, config: Config) -> DataError:
    with pytest.raises(DataError) as info:
        read_roster(path, config)
    return info.value


def test_good_roster_is_read(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header=HEADER, rows=[
        "a1,Ann,voice:1.0|chat:0.8,20,40",
        "a2,Bob,generalist,,",
        "a3,,chat_only,0,25.5",
    ])
    agents = read_roster(path, config)
    assert agents == (
        Agent("a1", "Ann", ("voice", "chat"), (1.0, 0.8), 20.0, 40.0),
        Agent("a2", "Bob", ("voice", "chat"), (1.0, 1.0), 0.0, DEFAULT_MAX_WEEK_HOURS),
        Agent("a3", "a3", ("chat",), (1.0,), 0.0, 25.5),
    )


def test_skills_come_in_config_channel_order(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,chat:0.5|voice:0.9"])
    (agent,) = read_roster(path, config)
    assert agent.skills == ("voice", "chat")
    assert agent.proficiency == pytest.approx((0.9, 0.5), abs=1e-12)


def test_overlapping_skills_keep_the_highest_proficiency(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,generalist:0.6|chat:0.9"])
    (agent,) = read_roster(path, config)
    assert dict(zip(agent.skills, agent.proficiency, strict=True)) == pytest.approx(
        {"voice": 0.6, "chat": 0.9}, abs=1e-12
    )


def test_agent_ids_are_kept_as_text(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["007,voice"])
    assert read_roster(path, config)[0].agent_id == "007"


def test_can_work_follows_skills(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,chat_only"])
    (agent,) = read_roster(path, config)
    assert agent.can_work("chat")
    assert not agent.can_work("voice")


def test_unknown_skill_names_row_column_and_suggests_nearest(
    config: Config, write_csv: Any
) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,voice", "a2,voise|chat"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((3,), "skills")
    assert "row 3, column 'skills'" in str(err)
    assert "unknown skill 'voise' (did you mean 'voice'?)" in str(err)


def test_unknown_skill_suggests_a_group(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,generalst"])
    assert "did you mean 'generalist'?" in str(_error(path, config))


@pytest.mark.parametrize("skills", ["voice:1.5", "voice:0", "voice:high", "|"])
def test_bad_proficiency_or_no_skills_is_an_error(
    config: Config, write_csv: Any, skills: str
) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=[f"a1,{skills}"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((2,), "skills")


def test_duplicate_agent_id_names_both_rows(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,voice", "a2,chat",
                                                                   "a1,chat"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((4,), "agent_id")
    assert "agent 'a1' appears twice (also row 2)" in str(err)


def test_empty_agent_id_is_an_error(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills", rows=["a1,voice", ",chat"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((3,), "agent_id")


def test_min_hours_above_max_hours_is_an_error(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header=HEADER, rows=["a1,Ann,voice,40,20"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((2,), "min_week_hours")
    assert "min_week_hours 40 exceeds max_week_hours 20" in str(err)


@pytest.mark.parametrize(
    ("min_hours", "max_hours", "column", "found"),
    [
        ("lots", "40", "min_week_hours", "'lots'"),
        ("10", "forty", "max_week_hours", "'forty'"),
        ("-5", "40", "min_week_hours", "'-5'"),
        ("0", "200", "max_week_hours", "'200'"),
    ],
)
def test_bad_hours_name_row_column_and_value(
    config: Config, write_csv: Any, min_hours: str, max_hours: str, column: str, found: str
) -> None:
    path = write_csv("roster.csv", header=HEADER, rows=[f"a1,Ann,voice,{min_hours},{max_hours}"])
    err = _error(path, config)
    assert (err.rows, err.column) == ((2,), column)
    assert found in str(err)


@pytest.mark.parametrize("missing", ["agent_id", "skills"])
def test_missing_required_column_is_named(config: Config, write_csv: Any, missing: str) -> None:
    header = ",".join(c for c in ("agent_id", "name", "skills") if c != missing)
    path = write_csv("roster.csv", header=header, rows=["x,y"])
    assert f"missing column(s) {missing}" in str(_error(path, config))


def test_extra_column_is_ignored_with_warning(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills,team", rows=["a1,voice,blue"])
    with pytest.warns(WfmWarning, match="ignored column.*team"):
        agents = read_roster(path, config)
    assert len(agents) == 1


def test_roster_without_agents_is_an_error(config: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills")
    assert "no agents" in str(_error(path, config))


def test_missing_roster_file_is_an_error(config: Config, tmp_path: Any) -> None:
    assert "roster file not found" in str(_error(tmp_path / "roster.csv", config))
