"""Loading with the Dask engine: the same answers as loading.py's, computed on a cluster.

Each input file is one part. A worker reads, shapes and normalises it with the very code the
pandas engine runs (reading.read_orders), so presets, mappings, line folding and a file's exact
duplicates behave as they do there: a file's rows never leave its part before they are orders.
Each part is then cut at the as-of and aggregated where it is (core/partials.py), and only the
parts' aggregates are exchanged by customer and merged: counts and cents add, and the latest
reference and details go by (instant, file, row), the tie rule's "later in the input". That is
exact for a customer none of whose orders is in two files; the customers who have such an order
are found first from hashed (customer, reference) keys, and their orders are exchanged whole,
put back in input order (file, then row) and aggregated by metrics.per_customer after loading's
own de-overlap and cut. Only the per-customer aggregate and each file's notices come back to
this process, never the orders.

What the pandas engine says once over all files (skipped rows, folding), this engine says per
file; with one file the notices are the same.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import loading, reading, reports
from segcli.core import metrics, partials
from segcli.engines import dask as dask_engine
from segcli.engines import keys
from segcli.input import contacts as contacts_stage
from segcli.input import overlaps as overlaps_stage
from segcli.input import sources
from segcli.model.engine import Engine
from segcli.model.errors import Hint, InvalidInputError, NoValidOrdersError, UsageError
from segcli.model.notices import Notice, count
from segcli.model.options import DEFAULT_ENCODING, ExportOptions, ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    LAST_ORDER_REFERENCE,
    ORDER_MS,
    ORDER_REFERENCE,
    SOURCE,
    TOTAL_CENTS,
    format_instant,
)

FIRST = "_first"  # an order's place in the input, (file << _ROW_BITS) | row; a customer's first
_ROW_BITS = 40  # a place in the input is (file << 40) | row: files of up to a trillion orders
ONE_INSTANT = (
    "the dask engine brings back the customers at one as-of instant, not the orders that "
    "transitions, histories and predictions need; use the pandas engine"
)
_TEXT = (CONTACT_ID, ORDER_REFERENCE, *DETAIL_COLUMNS)
BUCKET = 1_000_000  # orders per bucket of the exchange, about (at least two buckets per worker)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # mixes a reference's hash into its customer's
_KEY = pa.dictionary(pa.int32(), pa.string())  # contactID, as loading encodes it


@dataclass(frozen=True)
class Part:
    """What a worker says about the file it read."""

    notices: tuple[Notice, ...]
    currency: str | None
    orders: int
    failure: str | None = None  # why no row of the file counts


def load_orders(
    paths: Sequence[str | Path],
    *,
    engine: Engine,
    as_of_ms: int | None,
    keep_orders: bool = False,
    rejects: str | None = None,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    strict: bool = False,
    export_options: ExportOptions | None = None,
    parse_options: ParseOptions | None = None,
    customers_path: str | Path | None = None,
    details: Collection[str] = DETAIL_COLUMNS,
    delimiter: str | None = None,
) -> loading.Loaded:
    """The per-customer aggregate of the orders at `paths` as of `as_of_ms` (None: now, or the
    sample's snapshot), computed on the cluster `engine` names. The result answers at that
    instant only (it holds no orders): `keep_orders` and `rejects` are refused."""
    if keep_orders:
        raise UsageError("engine", ONE_INSTANT)
    if rejects is not None:
        raise UsageError("engine", "the dask engine writes no rejects file; use pandas for that")
    export_options = export_options or ExportOptions()
    parse_options = parse_options or ParseOptions()
    notices: list[Notice] = []
    default_as_of_ms = None
    if not paths:
        found = [sources.sample_source()]
        default_as_of_ms = loading.sample_as_of_ms()
        notices.append(
            Notice(
                f"using the bundled sample data (as of {sources.SAMPLE_AS_OF})",
                hint=Hint.OWN_ORDERS,
            )
        )
    elif sources.STDIN in [str(p) for p in paths]:
        raise InvalidInputError("the dask engine reads files the workers can open, not stdin")
    else:
        found = sources.resolve_sources(
            paths, input_format=input_format, encoding=encoding, delimiter=delimiter
        )
    contacts, contact_notices = None, []
    if customers_path is not None:
        contacts, contact_notices = contacts_stage.read_file(
            customers_path, encoding=encoding, delimiter=delimiter
        )
    cut = as_of_ms if as_of_ms is not None else default_as_of_ms
    cut = cut if cut is not None else loading.now_ms()
    latest = bool(details)
    load = functools.partial(
        _load_part, tuple(found), export_options, parse_options, strict, tuple(details)
    )
    several = len(found) > 1
    with dask_engine.client(engine) as connected:
        conflicted, buckets, parts = np.zeros(0, dtype=np.uint64), 1, []
        if several:
            parts, buckets, conflicted = _conflicts(connected, load, len(found), notices)
        aggregate, sums, said = _aggregate(
            connected, load, len(found), buckets, conflicted, cut, latest
        )
        if not several:
            parts = said
            _said(parts, notices)
    notices.extend(partials.overlap_notices(sums, strict))
    excluded = int(sums["excluded"].sum())
    if excluded:
        notices.append(
            Notice(
                f"excluded {count(excluded, 'order')} dated after the as-of instant "
                f"{format_instant(cut)}"
            )
        )
    notices.extend(contact_notices)
    newest = sums["newest"].dropna()
    aggregate = aggregate.sort_values(FIRST, kind="stable", ignore_index=True)
    return loading.Loaded(
        None,
        tuple(notices),
        default_as_of_ms,
        contacts,
        aggregate=_as_pandas_engine_does(aggregate),
        newest_ms=int(newest.max()) if len(newest) else None,
        latest=latest,
        currency=next((part.currency for part in parts if part.currency), None),
        cut_ms=cut,
    )


def _load_part(
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
        return _empty(), Part((Notice(failure),), None, 0, failure)
    assert read is not None  # (None only for one customer's orders, `only`)
    orders, currency = read.orders, read.currency
    contact = orders[CONTACT_ID]
    if not pa.types.is_dictionary(contact.type):
        contact = pc.dictionary_encode(contact)
    columns = {CONTACT_ID: contact.cast(_KEY), ORDER_REFERENCE: orders[ORDER_REFERENCE]}
    columns.update({name: orders[name] for name in DETAIL_COLUMNS})
    columns = {name: _as_text(column) for name, column in columns.items()}
    columns[ORDER_MS] = orders[ORDER_MS].cast(pa.int64())
    columns[TOTAL_CENTS] = orders[TOTAL_CENTS].cast(pa.int64())
    credit = np.zeros(orders.num_rows, dtype=bool)
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    columns[CREDIT] = pa.array(credit)
    columns[FIRST] = pa.array((k << _ROW_BITS) + np.arange(orders.num_rows, dtype=np.int64))
    return pa.table(columns), Part(tuple(said), currency, orders.num_rows)


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text as `string` (a detail not read: nulls), so that every part has one schema."""
    if pa.types.is_dictionary(column.type):
        return column
    if pa.types.is_null(column.type):
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    return column.cast(pa.string())


def _empty() -> pa.Table:
    columns = {CONTACT_ID: pa.array([], _KEY)}
    columns.update({name: pa.array([], pa.string()) for name in _TEXT[1:]})
    columns.update({name: pa.array([], pa.int64()) for name in (ORDER_MS, TOTAL_CENTS)})
    columns[CREDIT] = pa.array([], pa.bool_())
    columns[FIRST] = pa.array([], pa.int64())
    return pa.table(columns)


def _ready(orders: pa.Table, several: bool) -> tuple[pa.Table, overlaps_stage.Overlaps]:
    """Orders in input order (by FIRST), de-overlapped as loading does when there are several
    files (the first replaced order's row, if any, becomes its place in the input), with a
    detail no order has as a null column, as loading leaves a detail it did not read."""
    if several and orders.num_rows:
        orders = orders.take(pa.array(np.argsort(orders[FIRST].to_numpy(), kind="stable")))
    columns = {}
    for name in orders.column_names:
        column = orders[name]
        empty = name in DETAIL_COLUMNS and column.null_count == len(column)
        columns[name] = pa.nulls(len(column)) if empty else column
    place = orders[FIRST].to_numpy()
    if several:
        columns[SOURCE] = pa.array((place >> _ROW_BITS).astype(np.int32))
    orders, overlaps = overlaps_stage.drop_repeats(pa.table(columns))
    if overlaps.first_row is not None:
        overlaps = dataclasses.replace(overlaps, first_row=int(place[overlaps.first_row]))
    return orders, overlaps


def _said(parts: Sequence[Part], notices: list[Notice]) -> None:
    """The parts' notices into `notices`; an error if no file counts, or for two currencies."""
    if all(part.failure for part in parts):
        raise NoValidOrdersError(parts[0].failure or "no valid orders")
    currencies: dict[str, int] = {}
    for part in parts:
        notices.extend(part.notices)
        if part.currency:
            currencies[part.currency] = currencies.get(part.currency, 0) + part.orders
    if len(currencies) > 1:  # never sum two currencies
        raise InvalidInputError(reports.mixed_currencies(currencies), hint=Hint.CURRENCY)


def _conflicts(
    connected: object, load: Callable[[int], tuple[pa.Table, Part]], parts: int, notices: list
) -> tuple[list[Part], int, np.ndarray]:
    """The first reading of every file: what each says (its notices into `notices`), the
    number of buckets for its orders, and the contact hashes of the customers with an order in
    more than one part (or twice in one), from every part's hash pairs (_keys) exchanged by
    customer. The orders are let go as soon as their hash pairs are made."""
    pairs, said = dask_engine.load(connected, functools.partial(_load_keys, load), parts)
    _said(said, notices)
    orders = sum(part.orders for part in said)
    buckets = max(2 * dask_engine.workers(connected), -(-orders // BUCKET))
    split = dask_engine.each(
        connected, functools.partial(keys.pairs_by_bucket, buckets=buckets), pairs
    )
    del pairs  # each step's futures are let go once the next step's are made (_aggregate)
    found = dask_engine.exchange(connected, split, buckets, keys.repeated)
    del split
    return said, buckets, np.unique(np.concatenate(dask_engine.gather(connected, found)))


def _aggregate(
    connected: object,
    load: Callable[[int], tuple[pa.Table, Part]],
    parts: int,
    buckets: int,
    conflicted: np.ndarray,
    cut_ms: int,
    latest: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Part]]:
    """The customers of the `parts` files, the summaries (partials.summary) of what was cut and
    de-overlapped, and what each file says. Each file is read (again, with several: the
    orders are not kept between the two readings, which would hold every order on the
    cluster, spilled past its memory) and cut into buckets by customer, each bucket's
    customers aggregated but the `conflicted` ones, whose orders go whole (partials.py);
    the buckets are exchanged and merged.

    Each step's futures are let go once the next step's are made: Dask counts the data of each
    future it holds, and a part's pieces held as the part's result, as its list of pieces and
    as each bucket's piece were counted three times against the workers' memory and spilled
    three times. The scheduler keeps what the later steps need, and can compute it again from
    the files should a worker be lost."""
    several = parts > 1
    shared = dask_engine.broadcast(connected, conflicted)
    split = functools.partial(_load_split, load, cut_ms=cut_ms, latest=latest, buckets=buckets)
    done = dask_engine.each(connected, split, list(range(parts)), [shared] * parts)
    pieces = dask_engine.each(connected, operator.itemgetter(0), done)
    said = dask_engine.each(connected, operator.itemgetter(1), done)
    told = dask_engine.each(connected, operator.itemgetter(2), done)
    del done
    combine = functools.partial(_combine, cut_ms=cut_ms, latest=latest, several=several)
    merged = dask_engine.exchange(connected, pieces, buckets, combine)
    del pieces
    results = dask_engine.gather(connected, merged)
    sums = [*dask_engine.gather(connected, said), *(s for _, s in results)]
    told = dask_engine.gather(connected, told)
    return pd.concat([c for c, _ in results], ignore_index=True), pd.concat(sums), told


def _load_keys(load: Callable[[int], tuple[pa.Table, Part]], k: int) -> tuple[np.ndarray, Part]:
    """On a worker: file `k`'s (order, customer) hash pairs and what it says."""
    orders, part = load(k)
    return _keys(orders), part


def _load_split(
    load: Callable[[int], tuple[pa.Table, Part]],
    k: int,
    conflicted: np.ndarray,
    *,
    cut_ms: int,
    latest: bool,
    buckets: int,
) -> tuple[list[tuple[pd.DataFrame, pa.Table]], pd.DataFrame, Part]:
    """On a worker: file `k` read and cut into buckets (_split), and what it says."""
    orders, part = load(k)
    pieces, sums = _split(orders, conflicted, k, cut_ms=cut_ms, latest=latest, buckets=buckets)
    return pieces, sums, part


def _keys(orders: pa.Table) -> np.ndarray:
    """Each order's (order, contact) hash pair: an order is its reference and its customer
    (input/overlaps.py)."""
    contact = keys.text_hashes(orders[CONTACT_ID])
    reference = keys.text_hashes(orders[ORDER_REFERENCE])
    return np.column_stack([contact ^ (reference * _MIX), contact])


def _split(
    orders: pa.Table,
    conflicted: np.ndarray,
    k: int,
    *,
    cut_ms: int,
    latest: bool,
    buckets: int,
) -> tuple[list[tuple[pd.DataFrame, pa.Table]], pd.DataFrame]:
    """On a worker: part `k` cut into buckets by customer, each bucket as (the aggregate of its
    customers with no order elsewhere, the orders of the others), and the part's summary."""
    contact = keys.text_hashes(orders[CONTACT_ID]) if buckets > 1 else None
    bucket = (
        np.zeros(orders.num_rows, np.int64) if contact is None else keys.bucket_of(contact, buckets)
    )
    apart = np.zeros(orders.num_rows, dtype=bool)
    if len(conflicted):
        apart = np.isin(contact, conflicted)
    later = orders[ORDER_MS].to_numpy() > cut_ms
    cut = later & ~apart  # the others are cut after loading's de-overlap
    excluded = int(np.count_nonzero(cut))
    rows = np.flatnonzero(~cut)
    order, bounds = keys.bucketed(bucket[rows] * 2 + apart[rows], 2 * buckets)
    rows = rows[order]
    newest = orders[ORDER_MS].to_numpy()[rows[~apart[rows]]]
    pieces = []
    for b in range(buckets):
        clean, _ = _ready(orders.take(pa.array(rows[bounds[2 * b] : bounds[2 * b + 1]])), False)
        rest = _compact(orders.take(pa.array(rows[bounds[2 * b + 1] : bounds[2 * b + 2]])))
        pieces.append((partials.of_part(clean, k, FIRST, latest=latest), rest))
    return pieces, partials.summary(excluded, int(newest.max()) if len(newest) else None)


def _compact(orders: pa.Table) -> pa.Table:
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


def _combine(
    *pieces: tuple[pd.DataFrame, pa.Table], cut_ms: int, latest: bool, several: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """On a worker: one bucket's customers from every part's pieces, and its summary."""
    customers = partials.merge([p for p, _ in pieces], FIRST, latest=latest)
    rest = pa.concat_tables([r for _, r in pieces])
    if not rest.num_rows:
        return customers, partials.summary(0, None)
    orders, overlaps = _ready(rest, several)
    kept, excluded = metrics.cut_at(orders, cut_ms)
    together = pd.concat([customers, _group(kept, latest=latest)], ignore_index=True)
    return together, partials.summary(excluded, _newest(kept), overlaps)


def _group(orders: pa.Table, *, latest: bool) -> pd.DataFrame:
    """The customers of de-overlapped, cut `orders`, as metrics.per_customer has them, and the
    place of each one's first order in the input."""
    customers = metrics.per_customer(orders.drop_columns([FIRST]), latest=latest)
    # per_customer lists customers by their first counted order (credit notes are not orders):
    # the first place of each code of those rows' keys, in that same order.
    counted = ~orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    kept = orders.filter(pa.array(counted))
    codes, _ = metrics.customer_codes(kept[CONTACT_ID])
    _, first_rows = np.unique(codes, return_index=True)
    customers[FIRST] = kept[FIRST].to_numpy()[first_rows]
    return customers


def _newest(orders: pa.Table) -> int | None:
    return pc.max(orders[ORDER_MS]).as_py() if orders.num_rows else None


def _as_pandas_engine_does(customers: pd.DataFrame) -> pd.DataFrame:
    """The aggregate with metrics.per_customer's index and column types."""
    columns = {}
    for name in CUSTOMER_COLUMNS:
        values = customers[name]
        columns[name] = (
            pd.Series(values.array, dtype="str")  # no Python strings: Arrow's buffers as they are
            if name in (*_TEXT, LAST_ORDER_REFERENCE)
            else pd.Series(values.to_numpy(np.int64))
        )
    return pd.DataFrame(columns)[list(CUSTOMER_COLUMNS)]
