"""Shrinkage as one figure, as named parts, and with time windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from wfm import frames as F
from wfm.config import config_from_dict
from wfm.errors import ConfigError
from wfm.shrinkage import parse_shrinkage
from wfm.staffing import requirements
from wfm.timegrid import Grid


def test_one_figure_is_the_total() -> None:
    assert parse_shrinkage(0.3).total == pytest.approx(0.3, abs=1e-15)


def test_named_parts_are_summed() -> None:
    shrink = parse_shrinkage({"absence": 0.12, "breaks": 0.10, "training": 0.05})
    assert shrink.total == pytest.approx(0.27, abs=1e-15)
    assert dict(shrink.components) == {"absence": 0.12, "breaks": 0.10, "training": 0.05}


def test_windows_add_during_their_hours(tiny_config_dict: dict[str, Any]) -> None:
    shrink = parse_shrinkage({"components": {"absence": 0.2},
                              "windows": [{"hours": {"tue": "09:00-10:00"}, "add": 0.1}]})
    grid = Grid("Europe/Berlin", 30)
    index = grid.intervals(dt.date(2026, 12, 8), 1)  # a Tuesday
    values = pd.Series(shrink.at(grid, index), index=index)
    assert_allclose(values.between_time("09:00", "09:30"), 0.3, rtol=1e-12)
    assert_allclose(values.between_time("10:00", "23:30"), 0.2, rtol=1e-12)


@pytest.mark.parametrize(("value", "message"), [
    (1.0, r"expected a share in \[0, 1\), found 1\.0"),
    ({"absence": 0.6, "breaks": 0.5}, r"ranges from 1\.1 to 1\.1"),
    ({"absence": "lots"}, r"absence: expected a number, found 'lots'"),
    ({"components": {"a": 0.1}, "extra": 1}, r"unknown key 'extra'"),
    ({"components": {"a": 0.1}, "windows": [{"hours": {"tue": "25:00-26:00"}, "add": 0.1}]},
     r"windows\.0\.hours: 'tue': '25:00' is not a valid time"),
    ({"components": {"a": 0.1}, "windows": [{"hours": {"tue": "09:00-10:00"}, "add": -0.2}]},
     r"ranges from -0\.1 to 0\.1"),
])
def test_bad_shrinkage_names_the_key(tiny_config_dict: dict[str, Any], value: object,
                                     message: str) -> None:
    tiny_config_dict["channels"]["voice"]["shrinkage"] = value
    with pytest.raises(ConfigError, match=r"channels\.voice\.shrinkage: .*" + message):
        config_from_dict(tiny_config_dict)


def test_requirements_apply_the_window(tiny_config_dict: dict[str, Any]) -> None:
    tiny_config_dict["channels"]["voice"]["shrinkage"] = {
        "components": {"absence": 0.2}, "windows": [{"hours": {"mon-sun": "09:00-10:00"},
                                                     "add": 0.3}]}
    config = config_from_dict(tiny_config_dict)
    grid = Grid.from_config(config)
    index = grid.intervals(dt.date(2026, 12, 8), 1)
    forecast = pd.DataFrame({F.INTERVAL_START: index, F.CHANNEL: "voice", F.VOLUME: 100.0,
                             F.AHT_SECONDS: 300.0, F.MODEL: "test"})
    for col in F.FORECAST_COLUMNS:
        if col not in forecast:
            forecast[col] = 100.0
    req = requirements(forecast, config, grid).set_index(F.INTERVAL_START)
    staffed = req[req[F.AGENTS_REQUIRED] > 0]
    shrink = np.where(staffed.index.hour == 9, 0.5, 0.2)
    expected = np.ceil(staffed[F.AGENTS_REQUIRED] / (1 - shrink) - 1e-9)
    assert (staffed[F.AGENTS_WITH_SHRINKAGE].to_numpy() == expected.to_numpy()).all()
    assert (staffed.index.hour == 9).any()
    assert (staffed.index.hour == 8).any()
