"""Test helpers: writing order files, running the CLI, reading customers back as API objects."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hypothesis import settings
from reference import format_instant
from typer.testing import CliRunner

from segcli import api
from segcli.cli import app
from segcli.model.schema import DETAIL_COLUMNS, REQUIRED_COLUMNS

CANONICAL = REQUIRED_COLUMNS + DETAIL_COLUMNS
# Tables rendered at a fixed width, without colour, for stable asserts.
# No user config file either: XDG_CONFIG_HOME points nowhere.
NO_USER_CONFIG = "/nonexistent/segcli-tests"
CLI_ENV = {
    "NO_COLOR": "1",
    "TERM": "dumb",
    "COLUMNS": "120",
    "SEGCLI_ORDERS": None,
    "XDG_CONFIG_HOME": NO_USER_CONFIG,
}
AS_OF = "2025-10-23"
AS_OF_MS = api.parse_as_of(AS_OF)  # 2025-10-23T23:59:59.999Z
DAY = 86_400_000


def csv_text(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    columns = list(columns or (rows[0].keys() if rows else CANONICAL))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def order(contact: str, ms: int, total: str, ref: str | None = None, **details: str) -> dict:
    """One canonical CSV row; the date is written as the API writes instants."""
    return {
        "orderReference": ref or f"ORD-{contact}-{ms}",
        "contactID": contact,
        "orderDate": format_instant(ms),
        "total": total,
        **details,
    }


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | bytes | None = None, env: dict | None = None):
        return self.runner.invoke(
            app, [str(a) for a in args], input=input, env={**CLI_ENV, **(env or {})}
        )

    def json(self, *args: str, **kwargs) -> dict:
        result = self(*args, "--format", "json", **kwargs)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


def classified(
    paths: Sequence[Path | str] = (), as_of_ms: int | None = AS_OF_MS, settings=None, **inputs
) -> api.CustomerList:
    """Every customer of the orders at `paths` as of `as_of_ms`, through the library API, with
    the notices of loading and of classifying."""
    loaded = api.load(api.Inputs(paths=tuple(str(p) for p in paths), **inputs))
    result = api.customers(loaded, settings, as_of_ms)
    return replace(result, notices=loaded.notices + result.notices)  # loading's notices too


def api_customers(paths: Sequence[Path], as_of_ms: int = AS_OF_MS, **inputs) -> dict[str, dict]:
    """Every customer as the API object (show's keys), by contactID."""
    records = classified(paths, as_of_ms, **inputs).records(full=True)
    return {record["contactID"]: record for record in records}


def said(result) -> str:
    """stderr as one line of words: a usage error's box wraps long messages across lines."""
    return " ".join(result.stderr.replace("│", " ").split())


DEV_EXAMPLES = 15  # the dev profile's examples (conftest.py)


def examples_at_most(ci_cap: int) -> int:
    """The examples for a Hypothesis test whose every example costs much (a sequence of
    classifications, a cluster round trip): the profile's number, at most `ci_cap` — so the
    `ci` profile runs fewer than its default, never fewer than `dev` does."""
    return max(min(settings.default.max_examples, ci_cap), DEV_EXAMPLES)
