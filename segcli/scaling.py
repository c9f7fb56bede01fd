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
this process, never the orders; `aggregated` leaves even the aggregate on the cluster, a bucket
a future, for a list written as it comes (streaming.py).

What the pandas engine says once over all files (skipped rows, folding), this engine says per
file; with one file the notices are the same.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import loading, reports
from segcli.core import metrics, partials
from segcli.engines import dask as dask_engine
from segcli.engines import keys
from segcli.input import contacts as contacts_stage
from segcli.input import overlaps as overlaps_stage
from segcli.input import sources
from segcli.model.engine import DASK, Engine
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
    format_instant,
)
from segcli.scale_parts import FIRST, ROW_BITS, TEXT, Part, compact, load_part

ONE_INSTANT = (
    "the dask engine brings back the customers at one as-of instant, not the orders that "
    "transitions, histories and predictions need; use the pandas engine"
)
BUCKET = 1_000_000  # orders per bucket of the exchange, about (at least two buckets per worker)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # mixes a reference's hash into its customer's


@dataclass(frozen=True)
class OnCluster:
    """The per-customer aggregate left on the cluster (`aggregated`): each bucket's customers
    as a future, with what loading says and knows of all of them."""

    connected: Any  # the distributed Client
    buckets: list  # futures: each bucket's customers, as merged (FIRST and all)
    notices: tuple[Notice, ...]
    default_as_of_ms: int | None
    contacts: contacts_stage.Contacts | None
    newest_ms: int | None
    latest: bool
    currency: str | None
    cut_ms: int
    # What a cache entry of the aggregate says (loading's notices, not the contacts'), when no
    # order was cut: the aggregate is every order's. None: it is not (an entry never holds it).
    stored: tuple[Notice, ...] | None = None


def load_orders(
    inputs: Any,
    *,
    as_of_ms: int | None,
    details: Collection[str] = DETAIL_COLUMNS,
    keep_orders: bool = False,
) -> loading.Loaded:
    """The per-customer aggregate of `inputs` (an api.Inputs with the dask engine) as of
    `as_of_ms`, in this process. From the cache, as the pandas engine's, when an entry of these
    inputs (written by this engine) serves it: no cluster is started or reached. Else computed
    on the cluster, and stored in the cache when no order was cut at the as-of (the aggregate is
    then every order's, as an entry holds). The result answers at that instant only (it holds
    no orders): `keep_orders` and a rejects file are refused."""
    if keep_orders:
        raise UsageError("engine", ONE_INSTANT)
    if inputs.rejects is not None:
        raise UsageError("engine", "the dask engine writes no rejects file; use pandas for that")
    root, found, probed = loading.cache_root(inputs), [], loading.Probed(None, tuple(details))
    if root is not None:  # (`aggregated` resolves the paths again, as `cached` does)
        found = _sources(inputs.paths, inputs.input_format, inputs.encoding, inputs.delimiter)[0]
        probed = loading.probe(found, root, details, as_of_ms, options=options_of(inputs),
                               engine=DASK)  # fmt: skip
    if probed.cached is not None:
        contacts, said = None, ()
        if inputs.contacts is not None:
            contacts, said = contacts_stage.read_file(
                inputs.contacts, encoding=inputs.encoding, delimiter=inputs.delimiter
            )
        notices = (*probed.cached.notices, *said)
        return dataclasses.replace(probed.cached, contacts=contacts, notices=notices)
    with aggregated(inputs.paths, **reading_of(inputs), as_of_ms=as_of_ms,
                    details=probed.details) as on:  # fmt: skip
        gathered = dask_engine.gather(on.connected, on.buckets)
    aggregate = pd.concat(gathered, ignore_index=True)
    aggregate = aggregate.sort_values(FIRST, kind="stable", ignore_index=True)
    loaded = loading.Loaded(
        None,
        (*probed.notices, *on.notices),
        on.default_as_of_ms,
        on.contacts,
        aggregate=as_pandas_engine_does(aggregate),
        newest_ms=on.newest_ms,
        latest=on.latest,
        currency=on.currency,
        cut_ms=on.cut_ms,
    )
    if probed.key is not None and on.stored is not None:
        held = (LAST_ORDER_REFERENCE, *probed.details) if probed.details else ()
        loading.store(probed.key, found, loaded, on.stored, held, root=root,
                      limits=inputs.cache_limits)  # fmt: skip
    return loaded


def options_of(inputs: Any) -> tuple:
    """The reading options of `inputs` (an api.Inputs) that a cache entry's key covers."""
    return (inputs.input_format, inputs.encoding, inputs.delimiter, inputs.strict, inputs.export,
            inputs.parse)  # fmt: skip


def reading_of(inputs: Any) -> dict[str, Any]:
    """`aggregated`'s keywords for `inputs` (an api.Inputs), but the as-of and the details."""
    return {"engine": inputs.engine, "input_format": inputs.input_format,
            "encoding": inputs.encoding, "strict": inputs.strict, "export_options": inputs.export,
            "parse_options": inputs.parse, "customers_path": inputs.contacts,
            "delimiter": inputs.delimiter}  # fmt: skip


def cached(inputs: Any, as_of_ms: int | None, details: Collection[str]) -> bool:
    """Whether `load_orders` would answer from a cache entry (seen from its meta alone)."""
    root = loading.cache_root(inputs)
    if root is None:
        return False
    found = _sources(inputs.paths, inputs.input_format, inputs.encoding, inputs.delimiter)[0]
    return loading.entry_serves(found, root, details, as_of_ms, options=options_of(inputs),
                                engine=DASK)  # fmt: skip


def _sources(
    paths: Sequence[str | Path], input_format: str | None, encoding: str, delimiter: str | None
) -> tuple[list[sources.Source], list[Notice], int | None]:
    """The files at `paths` (the bundled sample when there are none), what is said of them, and
    the sample's snapshot instant (None for the user's files)."""
    if not paths:
        notice = Notice(
            f"using the bundled sample data (as of {sources.SAMPLE_AS_OF})", hint=Hint.OWN_ORDERS
        )
        return [sources.sample_source()], [notice], loading.sample_as_of_ms()
    if sources.STDIN in [str(p) for p in paths]:
        raise InvalidInputError("the dask engine reads files the workers can open, not stdin")
    found = sources.resolve_sources(
        paths, input_format=input_format, encoding=encoding, delimiter=delimiter
    )
    return found, [], None


@contextmanager
def aggregated(
    paths: Sequence[str | Path],
    *,
    engine: Engine,
    as_of_ms: int | None,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    strict: bool = False,
    export_options: ExportOptions | None = None,
    parse_options: ParseOptions | None = None,
    customers_path: str | Path | None = None,
    details: Collection[str] = DETAIL_COLUMNS,
    delimiter: str | None = None,
) -> Iterator[OnCluster]:
    """The per-customer aggregate of the orders at `paths` as of `as_of_ms` (None: now, or the
    sample's snapshot), computed on the cluster `engine` names and left there while the
    context lasts: only the buckets' summaries and each file's notices come back."""
    export_options = export_options or ExportOptions()
    parse_options = parse_options or ParseOptions()
    found, notices, default_as_of_ms = _sources(paths, input_format, encoding, delimiter)
    contacts, contact_notices = None, []
    if customers_path is not None:
        contacts, contact_notices = contacts_stage.read_file(
            customers_path, encoding=encoding, delimiter=delimiter
        )
    cut = as_of_ms if as_of_ms is not None else default_as_of_ms
    cut = cut if cut is not None else loading.now_ms()
    latest = bool(details)
    load = functools.partial(
        load_part, tuple(found), export_options, parse_options, strict, tuple(details)
    )
    several = len(found) > 1
    with dask_engine.client(engine) as connected:
        conflicted, buckets, parts = np.zeros(0, dtype=np.uint64), 1, []
        if several:
            parts, buckets, conflicted = _conflicts(connected, load, len(found), notices)
        customers, sums, said = _aggregate(
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
        stored = None if excluded else tuple(notices)
        notices.extend(contact_notices)
        newest = sums["newest"].dropna()
        yield OnCluster(
            connected,
            customers,
            tuple(notices),
            default_as_of_ms,
            contacts,
            newest_ms=int(newest.max()) if len(newest) else None,
            latest=latest,
            currency=next((part.currency for part in parts if part.currency), None),
            cut_ms=cut,
            stored=stored,
        )


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
        columns[SOURCE] = pa.array((place >> ROW_BITS).astype(np.int32))
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
) -> tuple[list, pd.DataFrame, list[Part]]:
    """The customers of the `parts` files (futures, a bucket each, left on the cluster), the
    summaries (partials.summary) of what was cut and de-overlapped, and what each file says.
    Each file is read (again, with several: the orders are not kept between the two readings,
    which would hold every order on the cluster, spilled past its memory) and cut into buckets
    by customer, each bucket's customers aggregated but the `conflicted` ones, whose orders go
    whole (partials.py); the buckets are exchanged and merged.

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
    customers = dask_engine.each(connected, operator.itemgetter(0), merged)
    merged_sums = dask_engine.each(connected, operator.itemgetter(1), merged)
    del merged
    sums = [*dask_engine.gather(connected, said), *dask_engine.gather(connected, merged_sums)]
    told = dask_engine.gather(connected, told)
    return customers, pd.concat(sums), told


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
        rest = compact(orders.take(pa.array(rows[bounds[2 * b + 1] : bounds[2 * b + 2]])))
        pieces.append((partials.of_part(clean, k, FIRST, latest=latest), rest))
    return pieces, partials.summary(excluded, int(newest.max()) if len(newest) else None)


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


def as_pandas_engine_does(customers: pd.DataFrame) -> pd.DataFrame:
    """The aggregate with metrics.per_customer's index and column types."""
    columns = {}
    for name in CUSTOMER_COLUMNS:
        values = customers[name]
        columns[name] = (
            pd.Series(values.array, dtype="str")  # no Python strings: Arrow's buffers as they are
            if name in (*TEXT, LAST_ORDER_REFERENCE)
            else pd.Series(values.to_numpy(np.int64))
        )
    return pd.DataFrame(columns)[list(CUSTOMER_COLUMNS)]
