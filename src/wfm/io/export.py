"""Write frames as CSV the safe way: atomically, formula-escaped, times with their offset."""

from __future__ import annotations

import contextlib
import gzip
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with a single quote (OWASP)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _format(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.map(lambda t: t.isoformat() if pd.notna(t) else "")
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(lambda v: escape_formula(v) if isinstance(v, str) else v)
    return out


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # not mkstemp: its private 0600 mode would survive the rename; this gets open()'s umask mode
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_frame(df: pd.DataFrame, path: str | Path, *, float_format: str = "%.6g") -> Path:
    """Write ``df`` to ``path`` as UTF-8 CSV (gzip if the name ends in ``.gz``), atomically.

    Time stamps are written as ISO 8601 with their UTC offset, and text cells that start like a
    spreadsheet formula (``= + - @``) are prefixed with ``'``.
    """
    path = Path(path)
    formatted = _format(df)
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            # mtime=0 keeps the compressed bytes identical run to run
            with open(tmp, "wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0
            ) as gz:
                gz.write(formatted.to_csv(index=False, float_format=float_format).encode("utf-8"))
        else:
            formatted.to_csv(tmp, index=False, float_format=float_format, encoding="utf-8")
    return path
