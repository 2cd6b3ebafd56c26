"""Shrinkage: the share of paid time in which agents cannot take contacts.

Config forms (per channel, key ``shrinkage``)::

    shrinkage: 0.30                                   # one figure
    shrinkage: {absence: 0.12, breaks: 0.10, training: 0.05}      # named parts, summed
    shrinkage:                                        # parts, plus extra at certain times
      components: {absence: 0.12, breaks: 0.10}
      windows:
        - {hours: {tue: "14:00-15:00"}, add: 0.10}    # weekly team meeting
        - {hours: {sat-sun: "00:00-24:00"}, add: -0.05}

A window's ``hours`` use the opening-hours notation; where windows overlap their ``add``s sum.
``agents_with_shrinkage = ⌈agents_required / (1 − shrinkage)⌉`` with the interval's shrinkage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wfm.hours import OpeningHours, parse_hours

if TYPE_CHECKING:  # timegrid imports config, which imports this module
    from wfm.timegrid import Grid


@dataclass(frozen=True)
class ShrinkageWindow:
    """Extra shrinkage (``add``, may be negative) during ``hours``."""

    hours: OpeningHours
    add: float


@dataclass(frozen=True)
class Shrinkage:
    """Named shrinkage components, summed, and time windows that add to the sum."""

    components: tuple[tuple[str, float], ...] = ()
    windows: tuple[ShrinkageWindow, ...] = ()

    @property
    def total(self) -> float:
        """The sum of the components: shrinkage outside every window."""
        return float(sum(v for _, v in self.components))

    def at(self, grid: Grid, index: pd.DatetimeIndex) -> np.ndarray:
        """Shrinkage of each interval of ``index``."""
        out = np.full(len(index), self.total)
        for w in self.windows:
            out += w.add * grid.open_mask(w.hours, index)
        return out


def _fraction(name: str, value: object, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: expected a number, found {value!r}")
    if not low <= float(value) < 1:
        raise ValueError(f"{name}: expected a share in [{low:g}, 1), found {value!r}")
    return float(value)


def parse_shrinkage(raw: object) -> Shrinkage:
    """Parse the config's ``shrinkage`` value; raise ``ValueError`` naming the bad part."""
    if isinstance(raw, Shrinkage):
        return raw
    if not isinstance(raw, dict):
        return Shrinkage(components=(("shrinkage", _fraction("shrinkage", raw)),))
    if "components" in raw or "windows" in raw:
        unknown = set(raw) - {"components", "windows"}
        if unknown:
            raise ValueError(f"unknown key '{sorted(unknown)[0]}' (expected components, windows)")
        parts = raw.get("components", {})
        windows_raw = raw.get("windows", [])
    else:
        parts, windows_raw = raw, []
    if not isinstance(parts, dict):
        raise ValueError("components: expected a mapping of names to shares")
    components = tuple((str(k), _fraction(str(k), v)) for k, v in parts.items())
    if not isinstance(windows_raw, list):
        raise ValueError("windows: expected a list of {hours: …, add: …}")
    windows = []
    for i, w in enumerate(windows_raw):
        if not isinstance(w, dict) or set(w) != {"hours", "add"}:
            raise ValueError(f"windows.{i}: expected {{hours: …, add: …}}, found {w!r}")
        try:
            hours = parse_hours(w["hours"])
        except ValueError as exc:
            raise ValueError(f"windows.{i}.hours: {exc}") from None
        windows.append(ShrinkageWindow(hours, _fraction(f"windows.{i}.add", w["add"], low=-1.0)))
    shrink = Shrinkage(components, tuple(windows))
    highest = shrink.total + sum(max(w.add, 0.0) for w in windows)
    lowest = shrink.total + sum(min(w.add, 0.0) for w in windows)
    if highest >= 1 or lowest < 0:
        raise ValueError(f"the shrinkage must stay in [0, 1) at every time; it ranges from "
                         f"{lowest:g} to {highest:g}")
    return shrink
