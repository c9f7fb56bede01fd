"""The pipeline: load -> normalise -> cut at as-of -> per customer -> classify.

`customers()` is the whole core in one call; the CLI and Python users both start here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Loaded:
    """Normalised orders (every instant, before any as-of cut) and the notices of loading them."""

    orders: pd.DataFrame
    notices: tuple[str, ...]
    default_as_of_ms: int | None  # the bundled sample's snapshot; None means now

    def as_of(self, as_of_ms: int | None) -> int:
        """The as-of instant to use when the user gave `as_of_ms` (or None)."""
        if as_of_ms is not None:
            return as_of_ms
        return self.default_as_of_ms if self.default_as_of_ms is not None else now_ms()


def load_orders(
    paths: Sequence[str | Path] = (),
    *,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    strict: bool = False,
    stdin: BinaryIO | None = None,
) -> Loaded:
    """Read and normalise the orders at `paths` (or the bundled sample when there are none)."""
    notices = []
    default_as_of_ms = None
    if paths:
        sources = load.resolve_sources(
            paths, input_format=input_format, encoding=encoding, stdin=stdin
        )
    else:
        sources = [load.sample_source()]
        default_as_of_ms = parse_as_of(load.SAMPLE_AS_OF)
        notices.append(
            f"using the bundled sample data (as of {load.SAMPLE_AS_OF}); "
            "pass --orders FILE or set SEGCLI_ORDERS to read your own"
        )

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
    return Loaded(orders=orders, notices=tuple(notices), default_as_of_ms=default_as_of_ms)


def classify_at(
    loaded: Loaded, as_of_ms: int | None = None, settings: Settings | None = None
) -> Result:
    """Every customer as of `as_of_ms`: orders after it do not exist yet. The notices are this
    step's own (orders excluded by the cut); loading's are in `loaded.notices`."""
    as_of_ms = loaded.as_of(as_of_ms)
    orders, excluded = metrics.cut_at(loaded.orders, as_of_ms)
    notices = []
    if excluded:
        notices.append(
            f"excluded {_count(excluded, 'order')} dated after the as-of instant "
            f"{format_instant(as_of_ms)}"
        )
    table = segments.classify(metrics.per_customer(orders), as_of_ms, settings or Settings())
    return Result(customers=table, as_of_ms=as_of_ms, notices=tuple(notices))


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
    loaded = load_orders(
        paths, input_format=input_format, encoding=encoding, strict=strict, stdin=stdin
    )
    result = classify_at(loaded, as_of_ms, settings)
    return replace(result, notices=loaded.notices + result.notices)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
