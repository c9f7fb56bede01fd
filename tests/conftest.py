"""Fixtures shared by the tests; plain helpers live in helpers.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from helpers import Cli, csv_text


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Sequence[dict], name: str = "orders.csv", columns=None) -> Path:
        path = tmp_path / name
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli() -> Cli:
    return Cli()
