"""roster.csv: agents, skills with proficiency, weekly hours; errors name row and column."""

from __future__ import annotations

from typing import Any

import pytest

from wfm.config import Config, config_from_dict
from wfm.errors import DataError, WfmWarning
from wfm.io.roster import DEFAULT_MAX_WEEK_HOURS, Agent, read_roster, read_time_off

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
    assert "file not found (config key 'roster')" in str(_error(tmp_path / "roster.csv", config))


# --- contracts, availability, days off, wishes, time off -----------------------------------------

@pytest.fixture
def contracted(tiny_config_dict: dict[str, Any]) -> Config:
    """The tiny site with a rule set and two contracts."""
    tiny_config_dict["shifts"] = {"lengths_hours": [4, 8]}
    tiny_config_dict["rule_sets"] = {"strict": {"max_consecutive_days": 4}}
    tiny_config_dict["contracts"] = {
        "full": {"min_week_hours": 36, "max_week_hours": 40, "rule_set": "strict",
                 "shift_lengths_hours": [8]},
        "part": {"min_week_hours": 10, "max_week_hours": 20},
    }
    return config_from_dict(tiny_config_dict)


def test_a_contract_supplies_hours_rules_and_lengths(contracted: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills,contract,max_week_hours",
                     rows=["a1,voice,full,", "a2,voice,part,18", "a3,voice,,"])
    a1, a2, a3 = read_roster(path, contracted)

    assert (a1.min_week_hours, a1.max_week_hours, a1.shift_lengths_hours) == (36, 40, (8.0,))
    assert a1.rules is not None
    assert a1.rules.max_consecutive_days == 4
    assert (a2.min_week_hours, a2.max_week_hours, a2.rules) == (10, 18, None)
    assert (a3.contract, a3.max_week_hours) == ("", DEFAULT_MAX_WEEK_HOURS)


def test_unknown_contract_names_row_and_suggests(contracted: Config, write_csv: Any) -> None:
    path = write_csv("roster.csv", header="agent_id,skills,contract", rows=["a1,voice,ful"])
    err = _error(path, contracted)

    assert err.rows == (2,)
    assert err.column == "contract"
    assert "did you mean 'full'" in str(err)


def test_availability_days_off_and_wishes_are_read(config: Config, write_csv: Any) -> None:
    path = write_csv(
        "roster.csv",
        header="agent_id,skills,availability,days_off,preferred_start,preferred_days_off,"
               "preference_weight",
        rows=['a1,voice,"mon-fri 08:00-18:00; sat 09:00-13:00",sun,09:30,fri|sat,2'])
    (a,) = read_roster(path, config)

    assert a.availability is not None
    assert a.availability.describe() == "mon 08:00-18:00; tue 08:00-18:00; wed 08:00-18:00; " \
        "thu 08:00-18:00; fri 08:00-18:00; sat 09:00-13:00"
    assert a.days_off == frozenset({6})
    assert a.preferred_start == 9 * 60 + 30
    assert a.preferred_days_off == frozenset({4, 5})
    assert a.preference_weight == 2


@pytest.mark.parametrize(("column", "value", "words"), [
    ("availability", "mon-fri 8-18", "not a"),
    ("days_off", "sunday", "'sunday' is not a weekday"),
    ("preferred_start", "25:00", "not a valid time"),
    ("preference_weight", "-1", "between 0 and 100"),
])
def test_bad_wish_or_availability_names_row_and_column(config: Config, write_csv: Any,
                                                       column: str, value: str,
                                                       words: str) -> None:
    path = write_csv("roster.csv", header=f"agent_id,skills,{column}", rows=[f"a1,voice,{value}"])
    err = _error(path, config)

    assert err.rows == (2,)
    assert err.column == column
    assert words in str(err)


def test_time_off_is_attached_to_its_agent(config: Config, write_csv: Any) -> None:
    roster = write_csv("roster.csv", header="agent_id,skills", rows=["a1,voice", "a2,voice"])
    off = write_csv("time_off.csv", header="agent_id,date,start,end,paid_hours,reason",
                    rows=["a1,2026-06-01,,,8,vacation", "a1,2026-06-03,14:00,16:00,,doctor"])
    a1, a2 = read_time_off(off, read_roster(roster, config))

    assert [(t.start.isoformat(), t.end.isoformat(), t.paid_minutes) for t in a1.time_off] == [
        ("2026-06-01T00:00:00", "2026-06-02T00:00:00", 480),
        ("2026-06-03T14:00:00", "2026-06-03T16:00:00", 0)]
    assert a2.time_off == ()


@pytest.mark.parametrize(("row", "column", "words"), [
    ("zz,2026-06-01,,,,", "agent_id", "not in the roster"),
    ("a1,01.06.2026,,,,", "date", "not a date"),
    ("a1,2026-06-01,14:00,,,", "end", "both start and end"),
    ("a1,2026-06-01,,,x,", "paid_hours", "expected hours"),
])
def test_bad_time_off_names_row_and_column(config: Config, write_csv: Any, row: str,
                                           column: str, words: str) -> None:
    roster = write_csv("roster.csv", header="agent_id,skills", rows=["a1,voice"])
    off = write_csv("time_off.csv", header="agent_id,date,start,end,paid_hours,reason", rows=[row])
    with pytest.raises(DataError) as info:
        read_time_off(off, read_roster(roster, config))

    assert info.value.rows == (2,)
    assert info.value.column == column
    assert words in str(info.value)
