"""The pipeline: load -> normalise -> cut at as-of -> per customer -> classify.

`customers()` is the whole core in one call; the CLI and Python users both start here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from segcli import load, metrics, normalise, segments
from segcli.errors import InvalidInputError
from segcli.schema import DAY_MS, format_instant
from segcli.settings import Settings

INPUT_FORMATS = load.INPUT_FORMATS
DEFAULT_ENCODING = load.DEFAULT_ENCODING
parse_amount = normalise.parse_amount  # exact cents, by the same rules as the `total` column
END_OF_DAY_MS = DAY_MS - 1  # a bare --as-of date means the last millisecond of that day


@dataclass(frozen=True)
class Result:
    """Classified customers (one row each), the as-of instant, and notices for stderr."""

    customers: pd.DataFrame
    as_of_ms: int
    notices: tuple[str, ...]


def parse_as_of(text: str) -> int:
    """An ISO date (end of that day, UTC) or datetime (offset honoured, else UTC), in epoch ms."""
    ms = normalise.parse_instant(text, date_end_ms=END_OF_DAY_MS)
    if ms is None:
        raise ValueError(
            f"'{text}' is not an ISO date or datetime (e.g. 2025-10-23 or 2025-10-23T18:00:00Z)"
        )
    return ms


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def customers(
    paths: Sequence[str | Path] = (),
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    strict: bool = False,
    stdin: BinaryIO | None = None,
) -> Result:
    """Every customer in the orders at `paths` (or the bundled sample when there are none)."""
    settings = settings or Settings()
    notices = []
    if paths:
        sources = load.resolve_sources(
            paths, input_format=input_format, encoding=encoding, stdin=stdin
        )
    else:
        sources = [load.sample_source()]
        if as_of_ms is None:
            as_of_ms = parse_as_of(load.SAMPLE_AS_OF)
        notices.append(
            f"using the bundled sample data (as of {load.SAMPLE_AS_OF}); "
            "pass --orders FILE or set SEGCLI_ORDERS to read your own"
        )
    if as_of_ms is None:
        as_of_ms = now_ms()

    mappings = [normalise.match_columns(load.read_header(s), s.label) for s in sources]
    raw = load.read_orders(sources, mappings)
    orders, report = normalise.normalise(raw)
    summary = report.skipped_summary()
    if summary and strict:
        raise InvalidInputError(f"{summary} (--strict allows none)")
    if summary:
        notices.append(summary)
    if report.rounded_amounts:
        notices.append(
            f"rounded {_count(report.rounded_amounts, 'total')} with fractions of a cent "
            "to the cent (half away from zero)"
        )

    orders, excluded = metrics.cut_at(orders, as_of_ms)
    if excluded:
        notices.append(
            f"excluded {_count(excluded, 'order')} dated after the as-of instant "
            f"{format_instant(as_of_ms)}"
        )
    table = segments.classify(metrics.per_customer(orders), as_of_ms, settings)
    return Result(customers=table, as_of_ms=as_of_ms, notices=tuple(notices))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
