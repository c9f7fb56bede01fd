"""One customer's rows of a Parquet export, found before the rest of the file is read (`show ID`).

The full path reads every column of every row and aggregates every customer, to answer for one.
Here the customer's rows are found first, from the required columns alone, and only those rows'
other columns are read; the normal pipeline (shape, normalise, aggregate) then runs on them, so
the customer's document is the one the full path gives. What `show` says about the *whole* file
must not change either: JSON's `ordersFrom`/`ordersTo`, the orders excluded after the as-of, the
skipped rows, folded lines and identical copies that the notices count. So this path answers only
for a file whose required columns prove, cheaply, that every row is one counted order:

- one Parquet file, no preset and keys that are the contactID column itself (a preset may key
  customers by email or phone fallbacks, fold line items, set statuses aside or read credit
  notes: each of those needs every row);
- statistics in every row group with no null in the required columns, and text bounds that rule
  out blank keys and references;
- order references strictly increasing through the file (no two rows share one: no lines to
  fold, no copies, no line that disagrees with its order's customer) — an export in order-number
  order, as most are; a shuffled export is read in full;
- dates and totals that all parse (they are parsed here, as normalise parses them).

Then every row's instant is what the file-wide facts need, and `Pinpointed.instants` carries them.
Anything else (`None`): the caller reads the file in full. One difference remains, by design: a
value that is not UTF-8 in *another* customer's detail column (name, email, ...) is not seen, as
those columns are read only for this customer's rows; the full path refuses such a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from segcli.core.amounts import CENT_DIGITS, MAX_WHOLE_DIGITS, parse_amounts
from segcli.core.instants import parse_instants
from segcli.engines.arrow import as_numpy, text_column
from segcli.input import parquet
from segcli.input.plan import Plan
from segcli.input.raw import RawOrders
from segcli.input.sources import Source
from segcli.model.options import PARQUET, ParseOptions
from segcli.model.schema import CONTACT_ID, DETAIL_COLUMNS, ORDER_DATE, ORDER_REFERENCE, TOTAL

REQUIRED = (ORDER_REFERENCE, CONTACT_ID, ORDER_DATE, TOTAL)
READ_THREADS = 2  # threads reading row groups at once
# Text whose first character lies in [LOWEST, HIGHEST) is neither empty nor white space: the
# bounds of a row group's statistics in that range rule out blank keys without reading them.
LOWEST, HIGHEST = "!", "\x7f"


@dataclass(frozen=True)
class Pinpointed:
    """The customer's rows as the reader gives a file's rows (readers.read_orders), each
    numbered by its place in the file; and the instant of every order of the file (epoch ms)."""

    raw: RawOrders
    instants: np.ndarray


def pinpoint(
    found: Sequence[Source], plans: Sequence[Plan], forms: Sequence[str], options: ParseOptions
) -> Pinpointed | None:
    """The rows whose contactID (trimmed) is one of `forms`, or None when the inputs are not
    ones this path answers for exactly (see the module's docstring)."""
    if len(found) != 1:
        return None  # orders repeated across files are counted once: every file's are needed
    source, p = found[0], plans[0]
    if source.format != PARQUET or p.preset is not None or p.key_by_email:
        return None
    if set(p.roles) - {*REQUIRED, *DETAIL_COLUMNS}:
        return None  # statuses, currencies, line amounts, names in two parts: the full path
    names = {role: p.roles[role] for role in REQUIRED}

    def open_input() -> pa.NativeFile:
        if source.data is not None:
            return pa.BufferReader(source.data)
        return pa.OSFile(str(source.path))

    file = pq.ParquetFile(open_input(), pre_buffer=False)
    if not _clean(file, names):
        return None
    date_type = file.schema_arrow.field(names[ORDER_DATE]).type
    if not (pa.types.is_timestamp(date_type) or pa.types.is_date(date_type)):
        return None  # text dates may need the file's day/month order: the full path decides
    groups = list(range(file.metadata.num_row_groups))
    # a total column as costly to read as the keys: skipped where its statistics prove it
    scanned_roles = [r for r in REQUIRED if r != TOTAL or not _proven_totals(file, names[TOTAL])]

    def scan(group: int) -> tuple[np.ndarray, np.ndarray, pa.Array] | None:
        own = pq.ParquetFile(open_input(), pre_buffer=False)
        columns = list(dict.fromkeys(names[r] for r in scanned_roles))
        part = own.read_row_group(group, columns, use_threads=False)
        references = text_column(part[names[ORDER_REFERENCE]])
        if references.null_count or not _increasing(references):
            return None
        instants, empty, bad = parse_instants(part[names[ORDER_DATE]], options=options)
        if TOTAL in scanned_roles:
            _, no_total, bad_total, rounded = parse_amounts(
                part[names[TOTAL]], decimal=options.decimal
            )
            bad |= no_total | bad_total | rounded
        if (empty | bad).any():
            return None
        keys = text_column(part[names[CONTACT_ID]])
        if keys.null_count:
            return None
        hit = np.zeros(part.num_rows, dtype=bool)
        for form in forms:
            hit |= as_numpy(pc.equal(keys, form))
        parquet.check_utf8(pa.table({CONTACT_ID: keys, ORDER_REFERENCE: references}), source)
        return instants, np.flatnonzero(hit), _ends(references)

    with ThreadPoolExecutor(READ_THREADS) as pool:
        scanned = list(pool.map(scan, groups))
    if any(s is None for s in scanned):
        return None
    ends = [s[2] for s in scanned if s[2] is not None]
    if not all(a[1] < b[0] for a, b in zip(ends, ends[1:], strict=False)):
        return None  # references that do not increase from one row group to the next
    starts = np.cumsum([0] + [file.metadata.row_group(g).num_rows for g in groups])
    hits = [(g, s[1]) for g, s in zip(groups, scanned, strict=True) if len(s[1])]
    columns = list(p.mapping)

    def rows_of(group: int, rows: np.ndarray) -> pa.Table:
        own = pq.ParquetFile(open_input(), pre_buffer=False)
        return own.read_row_group(group, columns, use_threads=False).take(pa.array(rows))

    with ThreadPoolExecutor(READ_THREADS) as pool:
        parts = list(pool.map(lambda hit: rows_of(*hit), hits))
    schema = file.schema_arrow
    table = pa.concat_tables(parts) if parts else schema.empty_table().select(columns)
    parquet.check_utf8(table, source)
    raw = RawOrders(
        tables=(table.rename_columns([p.mapping[c] for c in columns]),),
        labels=(source.label,),
        formats=(source.format,),
        offsets=starts[[0, -1]],
        malformed=(np.zeros(0, np.int64),),
        kept=np.concatenate([starts[g] + rows for g, rows in hits] or [np.zeros(0, np.int64)]),
        line_maps=(None,),
    )
    return Pinpointed(raw, np.concatenate([s[0] for s in scanned] or [np.zeros(0, np.int64)]))


def _clean(file: pq.ParquetFile, names: dict[str, str]) -> bool:
    """Whether every row group's statistics show no null in the required columns, and bounds
    of the key and reference text that leave no room for a blank value."""
    metadata, schema = file.metadata, file.schema_arrow
    index = {schema.names[i]: i for i in range(len(schema.names))}
    if any(name not in index for name in names.values()):
        return False
    if len(schema.names) != metadata.num_columns:  # nested columns: leave them to the full path
        return False
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for role, name in names.items():
            stats = row_group.column(index[name]).statistics
            if stats is None or not stats.has_null_count or stats.null_count:
                return False
            if role in (CONTACT_ID, ORDER_REFERENCE):
                if not pa.types.is_string(schema.field(name).type) or not stats.has_min_max:
                    return False
                try:
                    low, high = stats.min, stats.max
                except UnicodeDecodeError:  # text that is not UTF-8: the full path says where
                    return False
                if not (isinstance(low, str) and isinstance(high, str)):
                    return False
                if not (LOWEST <= low[:1] and high[:1] < HIGHEST):
                    return False
    return True


def _proven_totals(file: pq.ParquetFile, name: str) -> bool:
    """Whether a total column's type and statistics prove that every total is an exact amount
    within MAX_WHOLE_DIGITS (as parse_amounts reads them: none empty, bad or rounded)."""
    kind = file.schema_arrow.field(name).type
    exact = pa.types.is_decimal128(kind) and kind.scale <= CENT_DIGITS
    if not (exact or pa.types.is_integer(kind)):
        return False
    index = file.schema_arrow.names.index(name)
    limit = 10**MAX_WHOLE_DIGITS
    for group in range(file.metadata.num_row_groups):
        stats = file.metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or stats.null_count:
            return False
        if not (-limit < stats.min and stats.max < limit):
            return False
    return True


def _increasing(values: pa.ChunkedArray | pa.Array) -> bool:
    """Whether each value is greater than the one before (so none repeats)."""
    if len(values) < 2:
        return True
    return bool(pc.all(pc.less(values[:-1], values[1:])).as_py())


def _ends(values: pa.ChunkedArray | pa.Array) -> tuple[str, str] | None:
    """The first and last value (code point order is UTF-8's byte order, as Arrow compares)."""
    return (values[0].as_py(), values[-1].as_py()) if len(values) else None
