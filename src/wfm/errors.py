"""One error hierarchy for everything a user can get wrong.

The CLI turns any :class:`WfmError` into one ``Error: …`` line and exit code 1; anything else is
an internal error (exit code 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class WfmError(Exception):
    """A problem the user can fix: bad config, bad data, or contradictory rules."""


class ConfigError(WfmError):
    """A config value is missing, unknown, of the wrong type or contradicts another one."""

    def __init__(self, key_path: str, message: str, *, source: Path | str | None = None) -> None:
        self.key_path = key_path
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key_path}: {message}" if key_path else f"{where}{message}")


class DataError(WfmError):
    """An input file is unreadable or breaks its data contract."""

    def __init__(
        self,
        path: Path | str | None,
        message: str,
        *,
        rows: Sequence[int] = (),
        column: str | None = None,
    ) -> None:
        self.path = path
        self.message = message
        self.rows = tuple(rows)
        self.column = column
        parts = [str(path) if path else "data"]
        if self.rows:
            parts.append(f"row{'s' if len(self.rows) > 1 else ''} {format_rows(self.rows)}")
        if column:
            parts.append(f"column '{column}'")
        super().__init__(f"{', '.join(parts)}: {message}")


class InfeasibleError(WfmError):
    """The hard scheduling rules contradict each other; ``conflicts`` says where."""

    def __init__(self, conflicts: Sequence[str]) -> None:
        self.conflicts = tuple(conflicts)
        shown = "; ".join(self.conflicts[:5])
        more = f" (and {len(self.conflicts) - 5} more)" if len(self.conflicts) > 5 else ""
        super().__init__(f"the scheduling rules cannot all be met: {shown}{more}")


class SolveTimeoutError(WfmError):
    """The solver hit its time limit before it found any schedule."""

    def __init__(self, limit_seconds: float) -> None:
        self.limit_seconds = limit_seconds
        super().__init__(
            f"no schedule found within the time limit of {limit_seconds:g} s; "
            "raise --time-limit or relax the rules"
        )


class WfmWarning(UserWarning):
    """A soft data issue that wfm repaired; the message carries the numbers."""


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """Render row numbers as ``2, 5, 9 (and 12 more)``."""
    head = ", ".join(str(r) for r in rows[:limit])
    return head + (f" (and {len(rows) - limit} more)" if len(rows) > limit else "")
