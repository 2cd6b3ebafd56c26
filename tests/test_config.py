"""Config validation: every mistake becomes a ConfigError naming the key path and the value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from wfm.config import config_from_dict, example_config, load_config
from wfm.errors import ConfigError

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "configs" / "example.yaml"
PACKAGED_EXAMPLE = ROOT / "src" / "wfm" / "example.yaml"

DELETE = object()
"""Sentinel for :func:`_modified`: remove the key instead of setting it."""


def _modified(base: dict[str, Any], key_path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with the dotted ``key_path`` set to ``value`` (or deleted)."""
    data = copy.deepcopy(base)
    *parents, last = key_path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def _config_error(data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    return info.value


def _assert_names(err: ConfigError, key_path: str, *fragments: str) -> None:
    assert err.key_path == key_path
    message = str(err)
    assert message.startswith(f"{key_path}: "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture
def minimal() -> dict[str, Any]:
    """The smallest valid config: a site with a time zone and one voice channel."""
    return {
        "site": {"timezone": "Europe/Berlin", "interval_minutes": 15},
        "channels": {
            "voice": {
                "kind": "voice",
                "target": {"service_level": 0.8, "answer_seconds": 20},
                "hours": {"mon-fri": "08:00-20:00"},
            },
        },
    }


def test_minimal_config_is_valid(minimal: dict[str, Any]) -> None:
    config = config_from_dict(minimal)
    assert list(config.channels) == ["voice"]


# --- unknown keys --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key_path", "typo", "suggestion"),
    [
        pytest.param("chanels", "chanels", "channels", id="top-level"),
        pytest.param("channels.voice.shrinkge", "shrinkge", "shrinkage", id="in-channel"),
        pytest.param("channels.voice.target.servce_level", "servce_level", "service_level",
                     id="in-target"),
        pytest.param("site.timezon", "timezon", "timezone", id="in-site"),
        pytest.param("site.holidays.contry", "contry", "country", id="in-site-holidays"),
    ],
)
def test_unknown_key_suggests_nearest(
    minimal: dict[str, Any], key_path: str, typo: str, suggestion: str
) -> None:
    if key_path == "site.holidays.contry":
        minimal["site"]["holidays"] = {"country": "DE"}
    err = _config_error(_modified(minimal, key_path, 1))
    _assert_names(err, key_path, f"unknown key '{typo}'", f"did you mean '{suggestion}'?")


def test_unknown_key_in_list_item_suggests_nearest(minimal: dict[str, Any]) -> None:
    minimal["shifts"] = {"lengths_hours": [8],
                         "breaks": [{"after_hours": 2, "minutes": 15, "minuts": 15}]}
    err = _config_error(minimal)
    _assert_names(err, "shifts.breaks.0.minuts", "did you mean 'minutes'?")


def test_hint_only_suggests_keys_valid_at_that_place(minimal: dict[str, Any]) -> None:
    # 'interval_minutes' is a key of site, not of the top level: suggesting it back would be
    # nonsense
    err = _config_error(_modified(minimal, "interval_minutes", 15))
    _assert_names(err, "interval_minutes", "unknown key 'interval_minutes'")
    assert "did you mean" not in str(err)


# --- wrong types and values ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key_path", "value", "found"),
    [
        pytest.param("site.interval_minutes", "abc", "'abc'", id="interval-not-a-number"),
        pytest.param("site.interval_minutes", 20, "found 20", id="interval-not-15-30-60"),
        pytest.param("channels.voice.kind", "vocie", "'vocie'", id="unknown-kind"),
        pytest.param("channels.voice.target.service_level", 1.5, "1.5", id="service-level-above-1"),
        pytest.param("channels.voice.shrinkage", "lots", "'lots'", id="shrinkage-not-a-number"),
    ],
)
def test_wrong_value_names_key_and_value(
    minimal: dict[str, Any], key_path: str, value: Any, found: str
) -> None:
    err = _config_error(_modified(minimal, key_path, value))
    _assert_names(err, key_path, found)


def test_interval_minutes_error_lists_allowed_values(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "site.interval_minutes", 20))
    _assert_names(err, "site.interval_minutes", "15, 30 or 60")


# --- opening hours -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("hours", "fragments"),
    [
        pytest.param({"mon": "25:00-26:00"}, ["'mon'", "'25:00' is not a valid time"],
                     id="hour-25"),
        pytest.param({"mon": "08:00-08:60"}, ["'08:60' is not a valid time"], id="minute-60"),
        pytest.param({"mon": "8am-5pm"}, ["'8am' is not a time"], id="not-hh-mm"),
        pytest.param({"mon": "08:00-08:00"}, ["'08:00-08:00' is empty"], id="empty-range"),
        pytest.param({"mon": "08:00"}, ["'08:00' is not a range"], id="not-a-range"),
        pytest.param({"mon": ["08:00-12:00", "11:00-14:00"]},
                     ["'mon' 08:00-12:00 overlaps 'mon' 11:00-14:00"], id="overlap-same-day"),
        pytest.param({"mon": "22:00-06:00", "tue": "05:00-10:00"},
                     ["'mon' 22:00-06:00 overlaps 'tue' 05:00-10:00"],
                     id="overlap-past-midnight"),
        pytest.param({"sun": "22:00-06:00", "mon": "05:00-10:00"},
                     ["'sun' 22:00-06:00 overlaps 'mon' 05:00-10:00"],
                     id="overlap-sunday-into-monday"),
        pytest.param({"mon-fri": "08:00-20:00", "mon": "09:00-12:00"},
                     ["'mon' is set twice", "'mon-fri'"], id="day-set-twice"),
        pytest.param({"mondays": "08:00-20:00"}, ["'mondays' is not a day key"], id="bad-day-key"),
        pytest.param({"mon": "closed"}, ["never open"], id="never-open"),
        pytest.param({"mon": ["closed", "08:00-10:00"]}, ["'closed' cannot be combined"],
                     id="closed-with-ranges"),
    ],
)
def test_bad_hours_name_the_key_and_the_range(
    minimal: dict[str, Any], hours: dict[str, Any], fragments: list[str]
) -> None:
    err = _config_error(_modified(minimal, "channels.voice.hours", hours))
    key = "channels.voice" if fragments == ["never open"] else "channels.voice.hours"
    _assert_names(err, key, *fragments)


@pytest.mark.parametrize(
    ("interval", "hours"),
    [
        pytest.param(15, "08:10-20:00", id="start-off-15-min-grid"),
        pytest.param(30, "08:00-20:15", id="end-off-30-min-grid"),
        pytest.param(60, "08:30-20:00", id="start-off-60-min-grid"),
    ],
)
def test_hours_off_the_interval_grid_are_rejected(
    minimal: dict[str, Any], interval: int, hours: str
) -> None:
    minimal["site"]["interval_minutes"] = interval
    err = _config_error(_modified(minimal, "channels.voice.hours", {"mon": hours}))
    _assert_names(err, "channels.voice.hours", hours, f"{interval}-minute grid")


# --- site ----------------------------------------------------------------------------------------

def test_unknown_time_zone_suggests_nearest(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "site.timezone", "Europe/Berln"))
    _assert_names(err, "site.timezone", "'Europe/Berln'", "did you mean 'Europe/Berlin'?")


def test_unknown_holiday_country_is_rejected(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "site.holidays", {"country": "XX"}))
    _assert_names(err, "site.holidays", "unknown country code 'XX'")


def test_unknown_holiday_subdivision_is_rejected(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "site.holidays", {"country": "DE", "subdiv": "BX"}))
    _assert_names(err, "site.holidays", "'BX' is not a subdivision of DE")


# --- channels and skills -------------------------------------------------------------------------

def test_skill_group_with_unknown_channel_suggests_nearest(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "skills", {"generalist": ["voce"]}))
    _assert_names(err, "skills.generalist", "'voce' is not a channel",
                  "did you mean 'voice'?")


def test_concurrency_on_voice_channel_is_rejected(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "channels.voice.concurrency", 2))
    _assert_names(err, "channels.voice", "concurrency applies to chat channels only, not voice")


def test_deferred_channel_with_service_level_is_rejected(minimal: dict[str, Any]) -> None:
    email = {
        "kind": "deferred",
        "target": {"within_hours": 24, "share": 0.9, "service_level": 0.8},
        "hours": {"mon-fri": "07:00-19:00"},
    }
    err = _config_error(_modified(minimal, "channels.email", email))
    _assert_names(err, "channels.email", "target.service_level", "deferred")


def test_voice_channel_without_target_level_is_rejected(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "channels.voice.target.service_level", DELETE))
    _assert_names(err, "channels.voice", "needs target.service_level")


# --- missing keys --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "key_path",
    ["site.timezone", "channels", "site", "channels.voice.kind", "channels.voice.hours"],
)
def test_missing_required_key_is_named(minimal: dict[str, Any], key_path: str) -> None:
    err = _config_error(_modified(minimal, key_path, DELETE))
    _assert_names(err, key_path, "required key is missing")


def test_empty_channels_are_rejected(minimal: dict[str, Any]) -> None:
    err = _config_error(_modified(minimal, "channels", {}))
    _assert_names(err, "channels", "at least 1")


def test_several_problems_are_reported_together(minimal: dict[str, Any]) -> None:
    data = _modified(minimal, "site.timezone", DELETE)
    data = _modified(data, "chanels", 1)
    err = _config_error(data)
    assert "2 problems" in str(err)
    assert "site.timezone: required key is missing" in str(err)
    assert "chanels: unknown key" in str(err)


# --- files ---------------------------------------------------------------------------------------

def _write_yaml(tmp_path: Path, data: Any, name: str = "wfm.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_file_error_names_the_file_and_key(tmp_path: Path, minimal: dict[str, Any]) -> None:
    path = _write_yaml(tmp_path, _modified(minimal, "site.interval_minutes", 20))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key_path == "site.interval_minutes"
    assert str(info.value).startswith(f"{path}: site.interval_minutes: ")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("site:\n  timezone: Europe/Berlin\nchannels: {voice: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 4: not valid YAML") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_invalid_yaml_in_the_middle_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("site: {timezone: Europe/Berlin\nchannels: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: not valid YAML"):
        load_config(path)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_config(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("text", ["- site\n- channels\n", "", "just a string\n"],
                         ids=["list", "empty", "scalar"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "wfm.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mapping at the top level"):
        load_config(path)


# --- valid configs -------------------------------------------------------------------------------

def test_bundled_example_loads() -> None:
    config = load_config(EXAMPLE)
    assert list(config.channels) == ["voice", "chat", "email"]
    assert config.site.interval_minutes == 15
    assert config.source == EXAMPLE


def test_packaged_example_is_identical_to_configs_example() -> None:
    assert PACKAGED_EXAMPLE.read_bytes() == EXAMPLE.read_bytes()


def test_example_config_loads_from_the_package() -> None:
    packaged, example = example_config(), load_config(EXAMPLE)
    paths = {"history", "roster", "time_off"}
    assert packaged.model_dump(exclude=paths) == example.model_dump(exclude=paths)


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, minimal: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    minimal |= {"history": "data/history.csv", "roster": "../roster.csv"}
    path = _write_yaml(folder, minimal)
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    config = load_config(path)
    assert config.history == (folder / "data" / "history.csv").resolve()
    assert config.roster == (tmp_path / "roster.csv").resolve()


def test_absolute_paths_are_kept(tmp_path: Path, minimal: dict[str, Any]) -> None:
    history = (tmp_path / "elsewhere" / "history.csv").resolve()
    path = _write_yaml(tmp_path, minimal | {"history": str(history)})
    assert load_config(path).history == history


def test_end_24_00_is_valid(minimal: dict[str, Any]) -> None:
    config = config_from_dict(_modified(minimal, "channels.voice.hours", {"mon": "00:00-24:00"}))
    assert config.channels["voice"].hours.week[0] == ((0, 1440),)


def test_range_ending_before_its_start_runs_past_midnight(minimal: dict[str, Any]) -> None:
    hours = {"mon-sun": "22:00-06:00"}
    config = config_from_dict(_modified(minimal, "channels.voice.hours", hours))
    assert config.channels["voice"].hours.week[4] == ((22 * 60, 30 * 60),)


def test_holiday_key_sets_holiday_hours(minimal: dict[str, Any]) -> None:
    hours = {"mon-fri": "08:00-20:00", "holiday": "10:00-14:00"}
    minimal["site"]["holidays"] = {"country": "DE", "subdiv": "BE"}
    config = config_from_dict(_modified(minimal, "channels.voice.hours", hours))
    assert config.channels["voice"].hours.holiday == ((600, 840),)


def test_holiday_closed_is_valid(minimal: dict[str, Any]) -> None:
    hours = {"mon-fri": "08:00-20:00", "holiday": "closed"}
    config = config_from_dict(_modified(minimal, "channels.voice.hours", hours))
    assert config.channels["voice"].hours.holiday == ()


def test_config_is_frozen(minimal: dict[str, Any]) -> None:
    config = config_from_dict(minimal)
    with pytest.raises(ValueError, match="frozen"):
        config.site.interval_minutes = 30  # type: ignore[misc]


def test_max_abandon_needs_patience(tiny_config_dict: dict[str, Any]) -> None:
    tiny_config_dict["channels"]["voice"]["target"]["max_abandon"] = 0.05
    with pytest.raises(ConfigError, match=r"channels\.voice: target\.max_abandon needs "
                                          r"patience_seconds"):
        config_from_dict(tiny_config_dict)


def test_live_target_keys_are_rejected_on_a_deferred_channel(
    tiny_config_dict: dict[str, Any],
) -> None:
    tiny_config_dict["channels"]["voice"].update(
        kind="deferred", target={"within_hours": 24, "share": 0.9, "max_asa_seconds": 30})
    with pytest.raises(ConfigError, match=r"target\.max_asa_seconds is for voice and chat"):
        config_from_dict(tiny_config_dict)


def test_unknown_service_level_definition_is_an_error(tiny_config_dict: dict[str, Any]) -> None:
    tiny_config_dict["channels"]["voice"]["target"]["definition"] = "abandons_ignored"
    with pytest.raises(ConfigError, match=r"channels\.voice\.target\.definition"):
        config_from_dict(tiny_config_dict)


# --- contracts and rule sets ---------------------------------------------------------------------

def test_contract_naming_an_unknown_rule_set_is_an_error(minimal: dict[str, Any]) -> None:
    minimal["rule_sets"] = {"strict": {}}
    minimal["contracts"] = {"full": {"rule_set": "strikt"}}
    err = _config_error(minimal)
    _assert_names(err, "contracts.full.rule_set", "did you mean 'strict'?")


def test_contract_shift_length_outside_the_shifts_is_an_error(minimal: dict[str, Any]) -> None:
    minimal["shifts"] = {"lengths_hours": [4, 8]}
    minimal["contracts"] = {"full": {"shift_lengths_hours": [8, 10]}}
    err = _config_error(minimal)
    _assert_names(err, "contracts.full.shift_lengths_hours", "[10.0] not in shifts.lengths_hours")


def test_min_days_above_max_days_is_an_error(minimal: dict[str, Any]) -> None:
    minimal["rules"] = {"min_days_per_week": 6, "max_days_per_week": 5}
    err = _config_error(minimal)
    _assert_names(err, "rules", "min_days_per_week 6 exceeds max_days_per_week 5")


def test_break_window_without_room_is_an_error(minimal: dict[str, Any]) -> None:
    minimal["shifts"] = {"lengths_hours": [8],
                         "breaks": [{"window_hours": [2, 2.25], "minutes": 30}]}
    err = _config_error(minimal)
    _assert_names(err, "shifts.breaks.0", "with room for 30 minutes")
