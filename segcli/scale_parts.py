"""One input file as a part of the Dask engine (scaling.py): read on a worker with the very
code the pandas engine runs, its orders in one schema whatever the file held, and a piece of it
sent with the customers it holds only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli import reading
from segcli.input import sources
from segcli.model.errors import NoValidOrdersError
from segcli.model.notices import Notice
from segcli.model.options import ExportOptions, ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    DETAIL_COLUMNS,
    ORDER_MS,
    ORDER_REFERENCE,
    TOTAL_CENTS,
)

FIRST = "_first"  # an order's place in the input, (file << ROW_BITS) | row; a customer's first
ROW_BITS = 40  # a place in the input is (file << 40) | row: files of up to a trillion orders
TEXT = (CONTACT_ID, ORDER_REFERENCE, *DETAIL_COLUMNS)
_KEY = pa.dictionary(pa.int32(), pa.string())  # contactID, as loading encodes it


@dataclass(frozen=True)
class Part:
    """What a worker says about the file it read."""

    notices: tuple[Notice, ...]
    currency: str | None
    orders: int
    failure: str | None = None  # why no row of the file counts


def load_part(
    found: tuple[sources.Source, ...],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    details: tuple[str, ...],
    k: int,
) -> tuple[pa.Table, Part]:
    """On a worker: file `k`'s orders, as the pandas engine normalises them, with each one's
    place in the input (FIRST). A file none of whose rows counts is an error only when it is
    the only file (or under strict reading); among others it adds no orders, and says so."""
    said: list[Notice] = []
    try:
        read = reading.read_orders([found[k]], said, export_options, parse_options, strict, details)
    except NoValidOrdersError as error:
        if len(found) == 1 or strict:
            raise
        failure = f"{found[k].label}: {error.message}"
        return empty(), Part((Notice(failure),), None, 0, failure)
    assert read is not None  # (None only for one customer's orders, `only`)
    orders, currency = read.orders, read.currency
    contact = orders[CONTACT_ID]
    if not pa.types.is_dictionary(contact.type):
        contact = pc.dictionary_encode(contact)
    columns = {CONTACT_ID: contact.cast(_KEY), ORDER_REFERENCE: orders[ORDER_REFERENCE]}
    columns.update({name: orders[name] for name in DETAIL_COLUMNS})
    columns = {name: as_text(column) for name, column in columns.items()}
    columns[ORDER_MS] = orders[ORDER_MS].cast(pa.int64())
    columns[TOTAL_CENTS] = orders[TOTAL_CENTS].cast(pa.int64())
    credit = np.zeros(orders.num_rows, dtype=bool)
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    columns[CREDIT] = pa.array(credit)
    columns[FIRST] = pa.array((k << ROW_BITS) + np.arange(orders.num_rows, dtype=np.int64))
    return pa.table(columns), Part(tuple(said), currency, orders.num_rows)


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text as `string` (a detail not read: nulls), so that every part has one schema."""
    if pa.types.is_dictionary(column.type):
        return column
    if pa.types.is_null(column.type):
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    return column.cast(pa.string())


def empty() -> pa.Table:
    columns = {CONTACT_ID: pa.array([], _KEY)}
    columns.update({name: pa.array([], pa.string()) for name in TEXT[1:]})
    columns.update({name: pa.array([], pa.int64()) for name in (ORDER_MS, TOTAL_CENTS)})
    columns[CREDIT] = pa.array([], pa.bool_())
    columns[FIRST] = pa.array([], pa.int64())
    return pa.table(columns)


def compact(orders: pa.Table) -> pa.Table:
    """`orders` with a dictionary of the keys it uses only. A part's rows taken for a bucket keep
    the part's whole dictionary of customers (Arrow's take does not trim it), and a piece is sent
    as its buffers: with one dictionary per piece, a part of 120k customers cut into 30 buckets
    sent 30 copies of them, 4.9 MB each even for an empty piece, 16 GB at 30M orders in 108 files
    (the workers spilled, paused and timed out)."""
    if not orders.num_rows:
        return orders.schema.empty_table()
    columns = []
    for column in orders.combine_chunks().columns:
        if pa.types.is_dictionary(column.type):
            used = column.cast(column.type.value_type)
            column = pc.dictionary_encode(used).cast(column.type)
        columns.append(column)
    return pa.table(columns, schema=orders.schema)
