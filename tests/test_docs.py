"""The documentation is executed or generated, never hand-synced (STYLE.md, principle 12).

Every command has help with an example and a generated page; the generated pages are current;
the README's Python example runs; the README's config reference documents every config key with
the default the code has; its package layout lists every module; its output columns are
``wfm.frames``'.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from wfm import config as config_module
from wfm.cli import cli
from wfm.io.outputs import FILES

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CLI_DOCS = ROOT / "docs" / "cli"

# Every model of the config schema; the walk from Config below must reach each of them.
CONFIG_MODELS: tuple[type[BaseModel], ...] = (
    config_module.Config, config_module.Site, config_module.HolidaySettings,
    config_module.Channel, config_module.Target, config_module.ShiftPolicy,
    config_module.BreakRule, config_module.RuleSet, config_module.Contract,
    config_module.ObjectiveWeights, config_module.ForecastSettings,
    config_module.SolverSettings,
)
INTERNAL_KEYS = {(config_module.Config, "source"), (config_module.Channel, "name")}


def _section(title: str) -> str:
    """The README text under ``## title`` up to the next heading of the same level."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


# --- (a) the CLI: help with an example, and a page per command ---------------------------------

@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_help_has_an_example(name: str) -> None:
    assert re.search(r"^\s*Examples?:$", cli.commands[name].help or "", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_a_docs_page(name: str) -> None:
    assert (CLI_DOCS / f"{name}.md").is_file()


def test_readme_links_every_command_page() -> None:
    section = _section("The command line")
    missing = [n for n in cli.commands if f"(docs/cli/{n}.md)" not in section]
    assert not missing


# --- (b) the generated pages are current --------------------------------------------------------

def test_cli_pages_are_current() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "gen_cli.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr + "\nrun: python docs/gen_cli.py"


# --- (c) the README's Python example runs -------------------------------------------------------

def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"),
                        flags=re.M | re.S)
    assert blocks, "README.md has no ```python block"
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    assert namespace["schedule"].status in ("OPTIMAL", "FEASIBLE")


# --- (d) the config reference: every key, with the code's default -------------------------------



def _schema_keys() -> set[tuple[type[BaseModel], str]]:
    """Every (model, field) reachable from Config, internal ones left out."""
    keys: set[tuple[type[BaseModel], str]] = set()
    todo: list[type[BaseModel]] = [config_module.Config]
    seen: set[type[BaseModel]] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if (model, name) not in INTERNAL_KEYS:
                keys.add((model, name))
            inner = config_module._model_in(field.annotation)
            if inner is not None:
                todo.append(inner)
    return keys


def _resolve(path: str) -> tuple[type[BaseModel], str]:
    """``channels.<name>.target.share`` -> (Target, "share")."""
    model: type[BaseModel] | None = config_module.Config
    *parents, last = path.split(".")
    for part in parents:
        if part.startswith("<"):
            continue  # a mapping key the user chooses, e.g. <name>
        assert model is not None, path
        assert part.removesuffix("[]") in model.model_fields, path
        model = config_module._model_in(model.model_fields[part.removesuffix("[]")].annotation)
    assert model is not None, path
    return model, last.removesuffix("[]")


def _reference_rows() -> dict[str, list[str]]:
    """Config reference table: key path -> cells (key, type, default, meaning)."""
    rows: dict[str, list[str]] = {}
    for line in _section("Config reference").splitlines():
        match = re.match(r"^\| `([^`]+)` \|", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is documented twice"
            rows[match.group(1)] = [c.strip() for c in line.strip().strip("|").split(" | ")]
    return rows


def _plain(value: Any) -> Any:
    """A default as YAML would spell it (tuples as lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_config_walk_reaches_every_model() -> None:
    reached = {model for model, _ in _schema_keys()}
    assert set(CONFIG_MODELS) <= reached


def test_every_config_key_is_in_the_reference() -> None:
    documented = {_resolve(path) for path in _reference_rows()}
    missing = sorted(f"{m.__name__}.{k}" for m, k in _schema_keys() - documented)
    assert not missing, f"README.md config reference lacks: {', '.join(missing)}"


def test_every_reference_key_exists() -> None:
    unknown = sorted(p for p in _reference_rows() if _resolve(p) not in _schema_keys())
    assert not unknown


@pytest.mark.parametrize("path", sorted(_reference_rows()))
def test_reference_default_is_the_codes(path: str) -> None:
    model, key = _resolve(path)
    field = model.model_fields[key]
    cell = _reference_rows()[path][2]
    if field.is_required():
        assert cell == "**required**"
    elif field.default is None:
        assert cell == "none"
    elif isinstance(field.default, BaseModel):
        assert cell == "all defaults"
    else:
        literal = re.fullmatch(r"`([^`]*)`", cell)
        assert literal, f"{path}: default cell {cell!r} is not a `literal`"
        assert yaml.safe_load(literal.group(1)) == _plain(field.default)
        assert type(yaml.safe_load(literal.group(1))) is type(_plain(field.default))


# --- the package layout and the output columns --------------------------------------------------

def test_layout_lists_every_module() -> None:
    listed = set(re.findall(r"^\| `(wfm/[\w/]+\.py)` \|", _section("Development"), flags=re.M))
    actual = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "wfm").rglob("*.py")}
    assert listed == actual, (f"not listed: {sorted(actual - listed)}; "
                              f"no such module: {sorted(listed - actual)}")


@pytest.mark.parametrize("name", sorted(FILES))
def test_readme_output_columns_are_the_contract(name: str) -> None:
    file, columns = FILES[name]
    assert f"`{file}` (`{', '.join(columns)}`)" in _section("Quickstart")
