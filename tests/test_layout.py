"""The layout holds: imports point downwards only (front ends -> api -> stages -> model), the
command line touches no stage past the api, no module grows past about 450 lines, and every
library hint has the CLI's wording."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from segcli.cli.boundary import HINTS
from segcli.model.errors import Hint

PACKAGE = Path(__file__).resolve().parent.parent / "segcli"
MAX_LINES = 450

# What each part of segcli may import (besides itself and segcli.__version__).
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "engines": {"model"},
    "input": {"model", "engines"},
    "core": {"model", "engines", "input"},
    "analytics": {"model"},
    "output": {"model"},
    "cache_folder": {"model"},
    "cache_file": {"cache_folder"},
    "cache": {"model", "input", "engines", "cache_folder", "cache_file"},
    "config": {"model", "core"},
    "reports": {"model", "input", "core"},
    "pinpoint": {"model", "engines", "input", "core"},
    "accounts": {"model", "input", "core", "reports"},
    "reading": {"model", "engines", "input", "core", "reports", "pinpoint", "accounts"},
    "incremental": {"model", "engines", "input", "core", "cache", "accounts", "reading"},
    "loading": {"model", "engines", "input", "core", "cache", "reports", "incremental", "reading"},
    "results": {"model", "output"},
    "scaling": {
        "model",
        "engines",
        "input",
        "core",
        "reports",
        "loading",
        "reading",
        "scale_parts",
    },
    "scale_parts": {"model", "input", "reading"},
    "streaming": {"model", "engines", "core", "output", "reports", "scaling"},
    "predictions": {"model", "core", "analytics", "loading", "results"},
    "histories": {"model", "core", "analytics", "loading", "results"},
    "showing": {"model", "core", "input", "output", "loading"},
    "warm": {
        "model",
        "engines",
        "input",
        "core",
        "analytics",
        "output",
        "cache",
        "cache_file",
        "results",
    },
    "api": {
        "model",
        "engines",
        "input",
        "core",
        "analytics",
        "cache",
        "config",
        "loading",
        "results",
        "scaling",
        "streaming",
        "predictions",
        "histories",
        "showing",
        "upkeep",
        "warm",
    },  # fmt: skip
    "upkeep": {"model", "cache", "engines"},
    "cli": {"model", "output", "api", "serve"},
    "serve": {"model", "output", "api"},
    "__main__": {"cli"},
    "__init__": {"api"},
}
HEAVY = {"pandas", "pyarrow", "numpy"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(path: Path) -> list[tuple[str, int]]:
    """Every module name an import statement in `path` names (at any depth), with its line."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append((node.module, node.lineno))
            if node.module == "segcli":  # from segcli import api, cache
                names += [(f"segcli.{alias.name}", node.lineno) for alias in node.names]
    return names


def segcli_part(name: str) -> str | None:
    pieces = name.split(".")
    if pieces[0] != "segcli" or len(pieces) == 1:
        return None
    return pieces[1]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downwards(path: Path):
    own = part(path)
    for name, line in imported(path):
        target = segcli_part(name)
        if target is None or target == own or target == "__version__":
            continue
        assert target in ALLOWED[own], f"{path.name}:{line} imports {name} ({own} -> {target})"


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_the_command_line_leaves_dataframes_to_the_library(path: Path):
    for name, line in imported(path):
        assert name.split(".")[0] not in HEAVY, f"{path.name}:{line} imports {name}"


def test_the_rules_cover_every_part():
    assert {part(p) for p in modules()} <= set(ALLOWED)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_too_long(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines"


def test_every_hint_has_the_cli_wording():
    assert set(HINTS) == set(Hint)
    assert all(text.startswith((" (", "; ")) for text in HINTS.values())


def test_a_rule_that_points_upwards_is_caught(tmp_path: Path):
    """The check itself can fail: a core module importing the CLI is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from segcli.cli import app\n", encoding="utf-8")
    ((target, _),) = imported(bad)
    assert segcli_part(target) == "cli" and "cli" not in ALLOWED["core"]
