"""Raw columns -> canonical orders: each column parsed to its type (instants.py, amounts.py),
customer keys encoded once, and every row that cannot count skipped and counted by reason.

Everything here is vectorised with pyarrow compute and numpy; no Python loop touches a row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.core import lines
from segcli.core.amounts import parse_amounts, parse_line_totals
from segcli.core.instants import DEFAULT_PARSE, parse_instants
from segcli.engines import keys
from segcli.engines.arrow import as_numpy, as_text, is_null, text_column
from segcli.input.raw import RawOrders
from segcli.model.errors import InvalidInputError
from segcli.model.options import ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    DETAIL_COLUMNS,
    LINE_ORDER,
    ORDER_DATE,
    ORDER_MS,
    ORDER_REFERENCE,
    QUANTITY,
    SOURCE,
    TOTAL,
    TOTAL_CENTS,
    UNIT_PRICE,
)

# Why a row is skipped, in the order the checks apply: a row counts under its first reason.
EMPTY_REFERENCE = f"empty {ORDER_REFERENCE}"

EMPTY_CONTACT = f"empty {CONTACT_ID}"

EMPTY_DATE = f"empty {ORDER_DATE}"

BAD_DATE = f"unparseable {ORDER_DATE}"

EMPTY_TOTAL = f"empty {TOTAL}"

BAD_TOTAL = f"unparseable {TOTAL}"

MALFORMED = "with the wrong number of fields"

CONFLICTING_CONTACT = f"conflicting {CONTACT_ID}"  # lines of one order naming several customers

SKIPPED_LINE = "rows of an order with a skipped row"  # "line" is a physical line only

SKIP_REASONS: tuple[str, ...] = (
    MALFORMED,
    EMPTY_REFERENCE,
    EMPTY_CONTACT,
    EMPTY_DATE,
    BAD_DATE,
    EMPTY_TOTAL,
    BAD_TOTAL,
    CONFLICTING_CONTACT,
    SKIPPED_LINE,
)


@dataclass(frozen=True)
class Skip:
    reason: str
    count: int
    first: str  # where the first such row is, e.g. 'line 17'


@dataclass(frozen=True)
class NormaliseReport:
    rows_read: int
    skips: tuple[Skip, ...]
    rounded_amounts: int  # totals with non-zero digits below the cent, rounded half away from zero
    rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # rows
    rejected_reasons: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    folding: tuple[lines.Decision, ...] = ()  # how each file of line rows was folded
    skipped_orders: int | None = None  # where rows are lines: the orders the skipped rows make
    first_conflict: str | None = None  # an order whose lines name several customers

    @property
    def skipped(self) -> int:
        return sum(s.count for s in self.skips)

    def skipped_summary(self, headers: Mapping[str, str] | None = None) -> str | None:
        """`skipped 3 of 27,270 rows: 2 unparseable orderDate (first: line 17), 1 ...`, or None.

        `headers` ({canonical column: the file's header}) names the file's own column too:
        `1 unparseable orderDate ('Created at') (line 9)`."""
        if not self.skips:
            return None
        what = f"{self.skipped:,}"
        if self.skipped_orders is not None:
            orders = "order" if self.skipped_orders == 1 else "orders"
            rows = "row" if self.skipped == 1 else "rows"
            what = f"{self.skipped_orders:,} {orders} ({self.skipped:,} {rows})"
        return f"skipped {what} of {self.rows_read:,} rows: " + self.reasons(headers)

    def reasons(self, headers: Mapping[str, str] | None = None) -> str:
        """`2 unparseable orderDate (first: line 17), 1 empty contactID (line 40)`."""
        headers = headers or {}
        parts = []
        for s in self.skips:
            column = s.reason.rsplit(" ", 1)[-1]
            header = headers.get(column)
            reason = f"{s.reason} ('{header}')" if header and header != column else s.reason
            parts.append(f"{s.count:,} {reason} ({'first: ' if s.count > 1 else ''}{s.first})")
        return ", ".join(parts)

    kept: int = 0  # orders counted

    @property
    def nothing_kept(self) -> bool:
        """Whether rows were skipped and no order is left to count."""
        return self.skipped > 0 and self.kept == 0


def normalise(
    raw: RawOrders,
    options: ParseOptions | Sequence[ParseOptions] | None = None,
    line_totals: Sequence[str | None] | None = None,
) -> tuple[pa.Table, NormaliseReport]:
    """Parse and check the canonical columns; return the counted orders, in input order, as an
    Arrow table (the text stays in Arrow's buffers; aggregation reads it from there).

    Columns: contactID, orderReference (str), orderMs (int64 ms since the epoch, UTC),
    totalCents (int64), and every detail column (str, missing where empty). Each source is parsed
    with its own column types (a Parquet timestamp, a CSV string), then the parsed columns, which
    all have one type, are joined in input order. `options` may be one per source. With several
    sources, a `_source` column (int32) says which each order came from.
    """
    if options is None or isinstance(options, ParseOptions):
        options = [options or DEFAULT_PARSE] * len(raw.tables)
    with ThreadPoolExecutor(1) as pool:  # the keys are merged while the rest is parsed
        customer_keys = pool.submit(key_column, [table[CONTACT_ID] for table in raw.tables])
        parts = [
            _parse(table, label, opts)
            for table, label, opts in zip(raw.tables, raw.labels, options, strict=True)
        ]
        columns = {name: _join([p.columns[name] for p in parts]) for name in _TEXT_AND_NUMBERS}
        if any(CREDIT in p.columns for p in parts):  # credit notes: spend, but not orders
            credit = [p.columns.get(CREDIT, np.zeros(len(p.masks[ROUNDED]), bool)) for p in parts]
            columns[CREDIT] = pa.array(np.concatenate(credit))
        masks = {name: np.concatenate([p.masks[name] for p in parts]) for name in _MASKS}
        columns[CONTACT_ID] = customer_keys.result()

    checks = [
        (EMPTY_REFERENCE, is_null(columns[ORDER_REFERENCE])),
        (EMPTY_CONTACT, is_null(columns[CONTACT_ID])),
        (EMPTY_DATE, masks[EMPTY_DATE]),
        (BAD_DATE, masks[BAD_DATE]),
        (EMPTY_TOTAL, masks[EMPTY_TOTAL]),
        (BAD_TOTAL, masks[BAD_TOTAL]),
    ]
    keep = ~np.logical_or.reduce([mask for _, mask in checks])
    numbers = _order_numbers(raw)
    if numbers is not None:
        contacts = as_numpy(pc.fill_null(columns[CONTACT_ID].chunks[0].indices, -1))
        conflicting, partial = lines.whole_orders(numbers, keep, contacts.astype(np.int64))
        checks += [(CONFLICTING_CONTACT, conflicting), (SKIPPED_LINE, partial)]
        keep &= ~(conflicting | partial)
    skips = [_malformed_skip(raw)] if any(len(m) for m in raw.malformed) else []
    rejected = np.flatnonzero(~keep)
    rejected_reasons = np.zeros(0, dtype=np.int64)
    if not keep.all():
        # The first failing check names the row's reason; -1 means the row is kept.
        reason = np.select([mask for _, mask in checks], list(range(len(checks))), default=-1)
        rejected_reasons = reason[~keep]
        counts = np.bincount(rejected_reasons, minlength=len(checks))
        for code, (label, _) in enumerate(checks):
            if counts[code]:
                first = int(np.argmax(reason == code))
                skips.append(Skip(label, int(counts[code]), raw.locate(first)))
    skips.sort(key=lambda s: (-s.count, SKIP_REASONS.index(s.reason)))

    sizes = [t.num_rows for t in raw.tables]
    source = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    if len(raw.tables) > 1:
        columns[SOURCE] = pa.array(source)
    orders = pa.table(columns)
    if not keep.all():
        orders = orders.filter(pa.array(keep))
    decisions: tuple[lines.Decision, ...] = ()
    skipped_orders = first_conflict = None
    if numbers is not None:
        modes = list(line_totals) if line_totals is not None else [None] * len(raw.tables)
        orders, decisions = lines.fold(orders, numbers[keep], source[keep], raw.labels, modes)
        if not keep.all():
            skipped_orders = len(np.unique(numbers[~keep]))
        conflicted = np.flatnonzero(checks[-2][1])
        if len(conflicted):
            first_conflict = str(columns[ORDER_REFERENCE][int(conflicted[0])])
    report = NormaliseReport(
        rows_read=raw.rows_read,
        skips=tuple(skips),
        rounded_amounts=int(np.count_nonzero(masks[ROUNDED] & keep)),
        rejected=rejected,
        rejected_reasons=np.asarray([label for label, _ in checks], dtype=object)[rejected_reasons],
        folding=decisions,
        kept=orders.num_rows,
        skipped_orders=skipped_orders,
        first_conflict=first_conflict,
    )
    return orders, report


def _order_numbers(raw: RawOrders) -> np.ndarray | None:
    """Every row's order number across the sources (LINE_ORDER, where shaping found lines; a
    row of its own elsewhere), or None when no source has lines."""
    if not any(LINE_ORDER in table.column_names for table in raw.tables):
        return None
    parts, base = [], 0
    for table in raw.tables:
        if LINE_ORDER in table.column_names:
            own = table[LINE_ORDER].to_numpy().astype(np.int64)
        else:
            own = np.arange(table.num_rows, dtype=np.int64)
        parts.append(own + base)
        base += int(own.max()) + 1 if len(own) else 0
    return np.concatenate(parts)


ROUNDED = "rounded"

_TEXT_AND_NUMBERS = (ORDER_REFERENCE, ORDER_MS, TOTAL_CENTS, *DETAIL_COLUMNS)

_MASKS = (EMPTY_DATE, BAD_DATE, EMPTY_TOTAL, BAD_TOTAL, ROUNDED)


@dataclass(frozen=True)
class _Parsed:
    """One source's columns parsed to their canonical types, and its per-row masks."""

    columns: dict[str, pa.ChunkedArray | pa.Array]
    masks: dict[str, np.ndarray]


def _parse(table: pa.Table, label: str, options: ParseOptions) -> _Parsed:
    for column in table.schema:
        if pa.types.is_nested(column.type):
            raise InvalidInputError(
                f"{label}: column '{column.name}' holds {column.type} values, which are not text, "
                "numbers or instants"
            )
    date_ms, date_empty, date_bad = parse_instants(table[ORDER_DATE], options=options)
    if TOTAL in table.column_names:
        cents, total_empty, total_bad, rounded = parse_amounts(
            table[TOTAL], decimal=options.decimal
        )
    else:  # a line's total is its quantity times its unit price
        cents, total_empty, total_bad, rounded = parse_line_totals(
            table[QUANTITY], table[UNIT_PRICE], decimal=options.decimal
        )
    credit = None
    if CREDIT in table.column_names:  # a credit note reduces spend, whatever its sign
        credit = as_numpy(pc.fill_null(table[CREDIT], False))
        cents = np.where(credit, -np.abs(cents), cents)
    columns = {
        ORDER_REFERENCE: text_column(table[ORDER_REFERENCE]),
        ORDER_MS: pa.array(date_ms),
        TOTAL_CENTS: pa.array(cents),
    }
    for name in DETAIL_COLUMNS:
        present = name in table.column_names
        columns[name] = (
            text_column(table[name]) if present else pa.nulls(table.num_rows)  # no buffers
        )
    if credit is not None:
        columns[CREDIT] = credit
    masks = {
        EMPTY_DATE: date_empty,
        BAD_DATE: date_bad,
        EMPTY_TOTAL: total_empty,
        BAD_TOTAL: total_bad,
        ROUNDED: rounded,
    }
    return _Parsed(columns, masks)


def _join(parts: list[pa.ChunkedArray | pa.Array]) -> pa.ChunkedArray:
    """One column from the sources' parts. A detail column a source lacks is all-null of the
    null type (no memory); where another source has it, those parts become null text."""
    types = {p.type for p in parts} - {pa.null()}
    kind = types.pop() if len(types) == 1 else parts[0].type
    if types:
        raise InvalidInputError(f"sources disagree on a column's type: {kind} and {types.pop()}")
    parts = [pc.cast(p, kind) if p.type != kind else p for p in parts]
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pa.chunked_array(chunks, type=kind)


def key_column(parts: Sequence[pa.ChunkedArray | pa.Array]) -> pa.ChunkedArray:
    """The customer keys of every source (`parts`, in order), dictionary-encoded once for every
    later stage: the dictionary holds each key once, trimmed; a blank key is null. Trimming and
    the blank check look at the dictionary (one value per customer), not at every row.

    A part may come dictionary-encoded already (by the reader, or as a Parquet dictionary
    column), in runs of chunks that each have their own dictionary; text is encoded here.
    Dictionary order is first appearance except where an input's own dictionary was not."""
    runs = [run for part in parts for run in keys.runs_of(_text_or_text_dictionary(part))]
    codes, dictionary = keys.merge(runs)
    clean = text_column(dictionary)
    if clean.null_count or not clean.equals(dictionary):
        # keys that differ only by surrounding white space are one customer; blank keys none
        position, dictionary = keys.encode(clean)
        codes = keys.relabel(codes, position)
    return keys.as_column((codes, dictionary))


def _text_or_text_dictionary(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A dictionary column of text as it is; any other column as text."""
    kind = column.type
    if pa.types.is_dictionary(kind) and kind.value_type in (pa.string(), pa.large_string()):
        return column
    return as_text(column)


def _malformed_skip(raw: RawOrders) -> Skip:
    count = sum(len(m) for m in raw.malformed)
    k = next(i for i, m in enumerate(raw.malformed) if len(m))
    return Skip(MALFORMED, count, raw.locate_malformed(k, int(raw.malformed[k][0])))
