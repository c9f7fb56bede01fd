"""Fixtures shared by the tests; plain helpers live in helpers.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from helpers import Cli, csv_text
from hypothesis import settings

# Hypothesis profiles: `dev` (the default) keeps a developer's run short; `ci` (.ci/run sets
# HYPOTHESIS_PROFILE=ci) runs the full number of examples.
settings.register_profile("dev", max_examples=15, deadline=None)
settings.register_profile("ci", max_examples=150, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Sequence[dict], name: str = "orders.csv", columns=None) -> Path:
        path = tmp_path / name
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch) -> Path:
    """Each test has an empty cache of its own, never the user's."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    return root / "segcli"


@pytest.fixture
def cli() -> Cli:
    return Cli()
