"""Loading with the Dask engine: the same answers as loading.py's, computed on a cluster.

Each input file is one part. A worker reads, shapes and normalises it with the very code the
pandas engine runs (loading.read_orders), so presets, mappings, line folding and a file's exact
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

import functools
import itertools
import operator
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import loading, reports
from segcli.core import metrics, partials
from segcli.engines import dask as dask_engine
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

ROW = "_row"  # an order's position among its file's orders
FIRST = "_first"  # a customer's first order's place in the input, to list customers in that order
_ROW_BITS = 40  # a place in the input is (file << 40) | row: files of up to a trillion orders
ONE_INSTANT = (
    "the dask engine brings back the customers at one as-of instant, not the orders that "
    "transitions, histories and predictions need; use the pandas engine"
)
_TEXT = (CONTACT_ID, ORDER_REFERENCE, *DETAIL_COLUMNS)
BUCKET = 2_000_000  # orders per bucket of the exchange, at most (or about, with one large part)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # mixes a reference's hash into its customer's


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
        frames, parts = dask_engine.load(connected, load, len(found))
        if all(part.failure for part in parts):
            raise NoValidOrdersError(parts[0].failure or "no valid orders")
        currencies: dict[str, int] = {}
        for part in parts:
            notices.extend(part.notices)
            if part.currency:
                currencies[part.currency] = currencies.get(part.currency, 0) + part.orders
        if len(currencies) > 1:  # never sum two currencies
            raise InvalidInputError(reports.mixed_currencies(currencies), hint=Hint.CURRENCY)
        buckets = 1
        if several:
            orders = sum(part.orders for part in parts)
            buckets = max(len(found), 2 * dask_engine.workers(connected), -(-orders // BUCKET))
        aggregate, sums = _aggregate(connected, frames, buckets, cut, latest, several)
    notices.extend(_overlap_notices(sums, strict))
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
    aggregate = aggregate.sort_values(FIRST, kind="stable").drop(columns=[FIRST])
    return loading.Loaded(
        None,
        tuple(notices),
        default_as_of_ms,
        contacts,
        aggregate=_as_pandas_engine_does(aggregate),
        newest_ms=int(newest.max()) if len(newest) else None,
        latest=latest,
        currency=next(iter(currencies), None),
        cut_ms=cut,
    )


def _load_part(
    found: tuple[sources.Source, ...],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    details: tuple[str, ...],
    k: int,
) -> tuple[pd.DataFrame, Part]:
    """On a worker: file `k`'s orders, as the pandas engine normalises them, as a frame. A
    file none of whose rows counts is an error only when it is the only file (or under strict
    reading); among others it adds no orders, and says so."""
    said: list[Notice] = []
    try:
        orders, currency, _ = loading.read_orders(
            [found[k]], said, export_options, parse_options, strict, details
        )
    except NoValidOrdersError as error:
        if len(found) == 1 or strict:
            raise
        failure = f"{found[k].label}: {error.message}"
        return _frame_meta(), Part((Notice(failure),), None, 0, failure)
    frame = {
        CONTACT_ID: pc.cast(orders[CONTACT_ID], pa.string()),
        ORDER_REFERENCE: orders[ORDER_REFERENCE],
    }
    frame.update({name: orders[name] for name in DETAIL_COLUMNS})
    columns = {name: pd.Series(_text(frame[name]), dtype="str") for name in _TEXT}
    columns[ORDER_MS] = orders[ORDER_MS].to_numpy().astype(np.int64)
    columns[TOTAL_CENTS] = orders[TOTAL_CENTS].to_numpy().astype(np.int64)
    credit = np.zeros(orders.num_rows, dtype=bool)
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    columns[CREDIT] = credit
    columns[SOURCE] = np.full(orders.num_rows, k, dtype=np.int64)
    columns[ROW] = np.arange(orders.num_rows, dtype=np.int64)
    return pd.DataFrame(columns), Part(tuple(said), currency, orders.num_rows)


def _text(column: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_null(column.type):
        column = pa.nulls(len(column), pa.string())
    return column.to_pandas()


def _frame_meta() -> pd.DataFrame:
    columns: dict[str, object] = {name: pd.Series([], dtype="str") for name in _TEXT}
    for name in (ORDER_MS, TOTAL_CENTS, SOURCE, ROW):
        columns[name] = np.zeros(0, dtype=np.int64)
    columns[CREDIT] = np.zeros(0, dtype=bool)
    return pd.DataFrame(columns)


def _orders(frame: pd.DataFrame, several: bool) -> tuple[pa.Table, overlaps_stage.Overlaps]:
    """A partition's orders back in input order, as a table, de-overlapped as loading does.
    The text stays in Arrow's buffers (no Python strings); a detail no order has is null."""
    frame = frame.sort_values([SOURCE, ROW], kind="stable")
    place = (frame[SOURCE].to_numpy() << _ROW_BITS) | frame[ROW].to_numpy()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = {}
    for name in _TEXT:
        column = table[name]
        empty = name in DETAIL_COLUMNS and column.null_count == len(column)
        columns[name] = pa.nulls(len(column)) if empty else column
    for name in (ORDER_MS, TOTAL_CENTS, CREDIT):
        columns[name] = table[name]
    columns[FIRST] = pa.array(place)
    if several:
        columns[SOURCE] = pc.cast(table[SOURCE], pa.int32())
    return overlaps_stage.drop_repeats(pa.table(columns))


def _aggregate(
    connected: object,
    frames: list,
    buckets: int,
    cut_ms: int,
    latest: bool,
    several: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers of the parts `frames` (futures on the workers) and the summaries (_sums)
    of what was cut and de-overlapped. Each part aggregates its own orders and only those
    aggregates are exchanged (partials.py), except for the customers with an order in more
    than one part (or twice in one), found first from hashed (customer, reference) keys: those
    customers' orders are exchanged whole and aggregated after loading's de-overlap."""
    conflicted = np.zeros(0, dtype=np.uint64)
    hashes: list = [None] * len(frames)
    if several:
        keyed = dask_engine.each(connected, functools.partial(_keys, buckets=buckets), frames)
        hashes = dask_engine.each(connected, operator.itemgetter(0), keyed)
        pairs = dask_engine.each(connected, operator.itemgetter(1), keyed)
        del keyed
        found = dask_engine.exchange(connected, pairs, buckets, _conflicted)
        conflicted = np.unique(np.concatenate(dask_engine.gather(connected, found)))
        del pairs, found
    shared = dask_engine.broadcast(connected, conflicted)
    split = functools.partial(
        _split, cut_ms=cut_ms, latest=latest, several=several, buckets=buckets
    )
    done = dask_engine.each(
        connected, split, frames, hashes, [shared] * len(frames), list(range(len(frames)))
    )
    del frames, hashes
    pieces = dask_engine.each(connected, operator.itemgetter(0), done)
    said = dask_engine.each(connected, operator.itemgetter(1), done)
    del done
    combine = functools.partial(_combine, cut_ms=cut_ms, latest=latest, several=several)
    merged = dask_engine.exchange(connected, pieces, buckets, combine)
    del pieces
    results = dask_engine.gather(connected, merged)
    sums = [*dask_engine.gather(connected, said), *(s for _, s in results)]
    return pd.concat([c for c, _ in results], ignore_index=True), pd.concat(sums)


def _contact_hashes(ids: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(ids, index=False).to_numpy()


def _buckets(hashes: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows in bucket order and where each bucket starts (buckets + 1 bounds)."""
    bucket = (hashes % np.uint64(buckets)).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    return order, np.searchsorted(bucket[order], np.arange(buckets + 1))


def _keys(frame: pd.DataFrame, *, buckets: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """On a worker: each order's contact hash, and the (order, contact) hash pairs cut into
    buckets by contact: an order is its reference and its customer (input/overlaps.py)."""
    contact = _contact_hashes(frame[CONTACT_ID])
    reference = pd.util.hash_pandas_object(frame[ORDER_REFERENCE], index=False).to_numpy()
    pairs = np.column_stack([contact ^ (reference * _MIX), contact])
    order, bounds = _buckets(contact, buckets)
    return contact, [pairs[order[a:b]] for a, b in itertools.pairwise(bounds)]


def _conflicted(*pieces: np.ndarray) -> np.ndarray:
    """On a worker: the contact hashes of a bucket's customers with an order whose key is seen
    more than once (a hash collision only sends a customer down the exact path)."""
    pairs = np.concatenate(pieces)
    twice = pd.Series(pairs[:, 0]).duplicated(keep=False).to_numpy()
    return np.unique(pairs[twice, 1])


def _split(
    frame: pd.DataFrame,
    contact: np.ndarray | None,
    conflicted: np.ndarray,
    k: int,
    *,
    cut_ms: int,
    latest: bool,
    several: bool,
    buckets: int,
) -> tuple[list[tuple[pd.DataFrame, pd.DataFrame]], pd.DataFrame]:
    """On a worker: part `k` cut into buckets by customer, each bucket as (the aggregate of its
    customers with no order elsewhere, the orders of the others), and the part's _sums."""
    contact = _contact_hashes(frame[CONTACT_ID]) if contact is None else contact
    apart = np.isin(contact, conflicted)
    orders, _ = _orders(frame[~apart] if apart.any() else frame, several=False)
    orders, excluded = metrics.cut_at(orders, cut_ms)
    newest = _newest(orders)
    aggregate = partials.of_part(orders, k, FIRST, latest=latest)
    del orders
    rest = frame[apart]
    pieces = []
    order, bounds = _buckets(_contact_hashes(aggregate[CONTACT_ID]), buckets)
    rest_order, rest_bounds = _buckets(contact[apart], buckets)
    for b in range(buckets):
        mine = aggregate.take(order[bounds[b] : bounds[b + 1]])
        pieces.append((mine, rest.take(rest_order[rest_bounds[b] : rest_bounds[b + 1]])))
    return pieces, _sums(excluded, newest)


def _combine(
    *pieces: tuple[pd.DataFrame, pd.DataFrame], cut_ms: int, latest: bool, several: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """On a worker: one bucket's customers from every part's pieces, and its _sums."""
    customers = partials.merge([p for p, _ in pieces], FIRST, latest=latest)
    rest = pd.concat([r for _, r in pieces], ignore_index=True)
    if not len(rest):
        return customers, _sums(0, None)
    orders, overlaps = _orders(rest, several)
    kept, excluded = metrics.cut_at(orders, cut_ms)
    together = pd.concat([customers, _group(kept, latest=latest)], ignore_index=True)
    return together, _sums(excluded, _newest(kept), overlaps, orders)


def _group(orders: pa.Table, *, latest: bool) -> pd.DataFrame:
    """The customers of de-overlapped, cut `orders`, as metrics.per_customer has them, and the
    place of each one's first order in the input."""
    customers = metrics.per_customer(orders.drop_columns([FIRST]), latest=latest)
    # per_customer lists customers by their first counted order (credit notes are not orders):
    # the first place of each code of those rows' keys, encoded in that same order.
    counted = ~orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    kept = orders.filter(pa.array(counted))
    codes = pc.dictionary_encode(kept[CONTACT_ID]).combine_chunks().indices
    _, first_rows = np.unique(codes.to_numpy(zero_copy_only=False), return_index=True)
    customers[FIRST] = kept[FIRST].to_numpy()[first_rows]
    return customers


def _newest(orders: pa.Table) -> int | None:
    return pc.max(orders[ORDER_MS]).as_py() if orders.num_rows else None


def _sums(
    excluded: int,
    newest: int | None,
    overlaps: overlaps_stage.Overlaps | None = None,
    orders: pa.Table | None = None,
) -> pd.DataFrame:
    """What a part or a bucket says: the repeats across files (and where the first replaced
    order is in the input), the orders after the cut and the newest order before it."""
    overlaps = overlaps or overlaps_stage.Overlaps(0, 0, None)
    first = None
    if overlaps.first_replaced is not None and orders is not None:
        mine = pc.equal(orders[ORDER_REFERENCE], overlaps.first_replaced)
        first = int(pc.min(pc.filter(orders[FIRST], mine)).as_py())
    return pd.DataFrame(
        {
            "repeats": [overlaps.repeats],
            "replaced": [overlaps.replaced],
            "first_replaced": pd.Series([overlaps.first_replaced], dtype="str"),
            "first_place": pd.Series([first], dtype="Int64"),
            "excluded": [excluded],
            "newest": pd.Series([newest], dtype="Int64"),
        }
    )


def _overlap_notices(sums: pd.DataFrame, strict: bool) -> list[Notice]:
    """loading.read_orders' notices about orders in several files, over every partition."""
    notices = []
    repeats, replaced = int(sums["repeats"].sum()), int(sums["replaced"].sum())
    if repeats:
        notices.append(
            Notice(
                f"counted {count(repeats, 'order')} once that appeared identically "
                "in more than one file"
            )
        )
    if replaced:
        named = sums.dropna(subset=["first_place"]).sort_values("first_place")
        message = (
            f"{count(replaced, 'order')} of the same customer differ between files "
            f"(first: '{named['first_replaced'].iloc[0]}')"
        )
        if strict:
            raise InvalidInputError(message, hint=Hint.STRICT)
        notices.append(Notice(f"{message}; the latest file's copy counts"))
    return notices


def _as_pandas_engine_does(customers: pd.DataFrame) -> pd.DataFrame:
    """The aggregate with metrics.per_customer's index and column types."""
    columns = {}
    for name in CUSTOMER_COLUMNS:
        values = customers[name]
        columns[name] = (
            pd.Series(values.to_numpy(object), dtype="str")
            if name in (*_TEXT, LAST_ORDER_REFERENCE)
            else pd.Series(values.to_numpy(np.int64))
        )
    return pd.DataFrame(columns)[list(CUSTOMER_COLUMNS)]
