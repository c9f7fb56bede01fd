"""The warm path: `list`, `breakdown` and `show` answered from a cache entry alone, without
pandas (whose import is most of a warm run's time), byte for byte as the full path answers them.

The entry is read as Arrow (cache.read_table: only the columns and batches the question needs, each
verified first), classified with rules.py's tables, filtered and sorted with pick.py, tallied with
tally.py, and written with records.py: the code the full path applies to frames. An answer is given
only where the full path would serve the same entry: the inputs are regular files (or the sample)
whose entry holds what the question shows and serves its as-of, with no contacts file and no
rejects file (either engine, from its own entries); any format: other than JSON and JSON lines,
the result is built with pandas (a breakdown's from the tallies, a list's or a show's from its
rows alone) and rendered by the front end; no RFM, predictions, history or cross table; a list
not sorted by a text field that sorts ignoring case.
Every other question gets None: the full path answers it, and says whatever there is to say about
the cache (a damaged entry is its to remove and report).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import stat
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from segcli import cache, cache_file
from segcli.analytics import tally
from segcli.core import rules
from segcli.core.extent import extent_meta, stale
from segcli.engines.buffers import buffer_numpy
from segcli.input import sources
from segcli.input.forms import lookup_forms
from segcli.model.engine import PANDAS
from segcli.model.errors import Hint, SegcliError
from segcli.model.notices import Notice
from segcli.model.options import ExportOptions, ParseOptions
from segcli.model.schema import (
    COMPANY,
    CONTACT_ID,
    DETAIL_COLUMNS,
    EMAIL,
    FIRST_ORDER_MS,
    FREQUENCIES,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    NAME,
    ORDER_COUNT,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SEGMENTS,
    SORT_FIELDS,
    SPEND_CENTS,
)
from segcli.model.settings import Settings
from segcli.model.timings import NO_TIMINGS, Timings
from segcli.output import documents
from segcli.output.fields import BREAKDOWN_KEYS, LAST_ORDER_DATE, LIST_KEYS, SHOW_KEYS, TOTAL_SPEND

if TYPE_CHECKING:
    from segcli.core.pick import Filters

JSON, NDJSON = "json", "ndjson"  # the formats answered here
CASELESS_SORTS = {NAME, EMAIL, COMPANY}  # sorted by Python's casefold: the full path's
BREAKDOWNS = {"segment": SEGMENTS, "frequency": FREQUENCIES}


@dataclass(frozen=True)
class Where:
    """Where the orders are and how they are read: what an entry's key covers."""

    paths: tuple[str, ...]
    input_format: str | None
    encoding: str
    delimiter: str | None
    strict: bool
    export: ExportOptions
    parse: ParseOptions
    cache_dir: str | None = None
    engine: str = PANDAS  # whose entries (the key covers it; not the cluster's options)


@dataclass(frozen=True)
class Answer:
    """What the full path would print: loading's notices, the answer's own, and stdout (or the
    result the front end renders, for a format whose renderer works on frames)."""

    loading: tuple[Notice, ...]
    notices: tuple[Notice, ...]
    parts: list[pa.Buffer | bytes]
    result: Any = None  # a results.Breakdown, for a breakdown not printed as JSON


@dataclass(frozen=True)
class _Served:
    """An entry's customers as of an instant, classified."""

    entry: cache_file.Opened  # their details are read from it as they are needed
    rows: np.ndarray | None  # their rows in the entry (None: every row, in order)
    readable: frozenset[str]  # the entry's columns this question reads (the others: missing)
    m: rules.Measures
    last_ms: np.ndarray  # each customer's last order
    segment: np.ndarray  # codes into SEGMENTS
    frequency: np.ndarray  # codes into FREQUENCIES
    as_of_ms: int
    loading: tuple[Notice, ...]
    notices: tuple[Notice, ...]
    extent: dict[str, object]  # ordersFrom, ordersTo, currency

    def values(self, name: str, at: np.ndarray) -> pa.Array:
        """Column `name` of the served customers at positions `at` (missing where unread)."""
        if name not in self.readable:  # not held or not asked for: missing, as in a frame
            return pa.nulls(len(at), pa.large_string())
        return self.entry.take(name, at if self.rows is None else self.rows[at])


def _answering(
    answer: Callable[..., Answer | None],
) -> Callable[..., Answer | None]:
    """`answer`, but None (the full path answers, and says so) when a batch of the entry it
    reads is damaged; the entry is closed when it is done."""

    @functools.wraps(answer)
    def answered(*args: object, **kwargs: object) -> Answer | None:
        with contextlib.ExitStack() as opened:
            try:
                return answer(*args, opened=opened, **kwargs)
            except cache_file.Refused:
                return None

    return answered


def _served(
    where: Where,
    as_of_ms: int | None,
    shown: Collection[str],
    settings: Settings,
    timings: Timings,
    opened: contextlib.ExitStack,
    *,
    only: Sequence[str] = (),
) -> _Served | None:
    """The entry for these inputs, classified, when it serves this question; else None (the
    entry, if open, closes with `opened`). With `only` (the forms of an id, in order), the
    customers of the first form found alone (the orders' extent is still every customer's), or
    None when there is none."""
    with timings.stage("read cache"):
        try:  # a pipe or standard input is read once, by the full path: never here
            named = sources.file_states(where.paths, where.input_format) if where.paths else ()
            if sources.STDIN in where.paths or not all(
                stat.S_ISREG(os.stat(path).st_mode) for path, *_ in named
            ):
                return None
            found = (
                sources.resolve_sources(where.paths, input_format=where.input_format,
                                        encoding=where.encoding, delimiter=where.delimiter)
                if where.paths else [sources.sample_source()]
            )  # fmt: skip
        except (SegcliError, OSError):  # the full path reports it
            return None
        options = cache.options_of(
            where.input_format, where.encoding, where.delimiter, where.strict, where.export,
            where.parse, where.engine,
        )  # fmt: skip
        key = cache.key_for(found, options)
        root = Path(where.cache_dir) if where.cache_dir else cache.directory()
        entry = key and cache.read_table(key.name, root=root)
        if not entry:
            return None
        opened.enter_context(entry)
        meta = entry.meta
        if not cache.holds(meta["held"], shown):
            return None  # the full path reads the orders for what the entry lacks
        default = meta["default_as_of_ms"]
        at = as_of_ms if as_of_ms is not None else default if default is not None else _now_ms()
        if meta["newest_ms"] is not None and at < meta["newest_ms"]:
            return None  # an earlier as-of: the orders themselves
        count, spend, first, last = (
            buffer_numpy(entry.column(c)).astype(np.int64, copy=False)
            for c in (ORDER_COUNT, SPEND_CENTS, FIRST_ORDER_MS, LAST_ORDER_MS)
        )
    if len(count) and count.min() < 1:
        return None  # a customer without orders: only a contacts file has them
    extent, newest = extent_meta(first, last, meta.get("currency"))
    rows = None
    if only:
        rows = _first_found(entry, only)
        if rows is None:
            return None  # an unknown id: the full path says so
        count, spend, first, last = (a[rows] for a in (count, spend, first, last))
    notices = []
    if as_of_ms is None and default is None and newest is not None:
        notices = stale(newest, at, settings.dormant_days)
    with timings.stage("classify"):
        m = rules.measures_of(count, spend, first, last, at)
        segment, frequency = rules.segment_codes(m, settings), rules.frequency_codes(m, settings)
    loading = tuple(Notice(text, Hint(hint) if hint else None) for text, hint in meta["notices"])
    readable = frozenset({CONTACT_ID, *(c for c in shown if c in meta["held"])})
    return _Served(
        entry, rows, readable, m, last, segment, frequency, at, loading, tuple(notices), extent
    )


def _first_found(entry: cache_file.Opened, forms: Sequence[str]) -> np.ndarray | None:
    """The rows whose id is the first of `forms` that any row has (select.find's rule): found by
    the ids' hashes, then checked against the ids of those rows alone (one batch)."""
    import pyarrow.compute as pc

    from segcli.engines.keys import text_hashes
    from segcli.output import records

    hashes = buffer_numpy(entry.column(cache.ID_HASH))
    for form, wanted in zip(forms, text_hashes(records.texts(forms)), strict=True):
        rows = np.flatnonzero(hashes == wanted)  # (a collision is a row too many, never fewer)
        ids = entry.take(CONTACT_ID, rows)
        found = rows[buffer_numpy(pc.equal(ids, records.texts([form], ids.type)[0]))]
        if len(found):
            return found
    return None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@_answering
def customers(
    where: Where,
    as_of_ms: int | None,
    settings: Settings,
    filters: Filters,
    *,
    details: Sequence[str],
    sort: str,
    descending: bool,
    limit: int | None,
    offset: int,
    rfm: bool,
    fmt: str,
    pretty: bool,
    timings: Timings = NO_TIMINGS,
    opened: contextlib.ExitStack,
) -> Answer | None:
    """`list`, or None (see the module's docstring); in a format other than JSON and JSON lines,
    the full path's CustomerList of the page, which the command renders."""
    from segcli.core import pick  # (pyarrow.compute: a breakdown does without)
    from segcli.output import records

    column = SORT_FIELDS.get(sort)
    if rfm or filters.rfm_segments or filters.predicted():
        return None
    if column is None or column in CASELESS_SORTS:
        return None
    shown = (LAST_ORDER_REFERENCE, *details) if details else ()
    served = _served(where, as_of_ms, shown, settings, timings, opened)
    if served is None:
        return None
    m = served.m
    with timings.stage("select"):
        keep = np.ones(len(m.order_count), dtype=bool)
        if filters.segments:
            keep &= np.isin(served.segment, [SEGMENTS.index(s) for s in filters.segments])
        if filters.frequencies:
            keep &= np.isin(served.frequency, [FREQUENCIES.index(f) for f in filters.frequencies])
        keep = pick.within(keep, m.last_days_ago, filters.min_days, filters.max_days)
        keep = pick.within(keep, m.spend_cents, filters.min_spend_cents, filters.max_spend_cents)
        matched = np.flatnonzero(keep)
        ids = pick.ranks(served.values(CONTACT_ID, matched))
        key, missing = _sort_key(served, column, matched)
        order = pick.sorted_positions(ids, key, missing, descending=descending)
        stop = None if limit is None else offset + limit
        page = matched[order][offset:stop]
    if fmt not in (JSON, NDJSON):
        from segcli.results import CustomerList

        table = _classified(served, page, settings)
        listed = CustomerList(table, len(matched), served.as_of_ms, settings, offset, (),
                              served.extent)  # fmt: skip
        return Answer(served.loading, served.notices, [], listed)
    with timings.stage("render"):
        texts = _records(served, page, LIST_KEYS, end="," if fmt == JSON else "\n")
        if fmt == NDJSON:
            parts = records.joined(texts, lines=True)
        else:
            meta = documents.meta_of({}, served.as_of_ms, settings, served.extent)
            parts = records.list_document(texts, len(page), len(matched), meta)
            if pretty:
                document = json.loads(b"".join(bytes(p) for p in parts))
                parts = [documents.dumps(document, pretty=True).encode()]
    return Answer(served.loading, served.notices, parts)


def _sort_key(
    served: _Served, column: str, matched: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The sort key of the matched customers by `column`, and which of them miss a value."""
    from segcli.core import pick

    integers = {
        SPEND_CENTS: served.m.spend_cents,
        ORDER_COUNT: served.m.order_count,
        LAST_ORDER_MS: served.last_ms,
        LAST_ORDER_DAYS_AGO: served.m.last_days_ago,
        SEGMENT: served.segment,
        PURCHASE_FREQUENCY: served.frequency,
    }
    if column == CONTACT_ID:
        return None, None
    if column in integers:
        return integers[column][matched].astype(np.int64), None
    text = served.values(column, matched)  # lastOrderReference: as stored
    missing = buffer_numpy(text.is_null())
    return np.where(missing, 0, pick.ranks(text)), missing


def _classified(served: _Served, at: np.ndarray, settings: Settings) -> Any:
    """The served customers at positions `at`, as a frame classified as the full path's is:
    what its renderers print (a list's page, a show's customer)."""
    from segcli.core import segments

    rows = at if served.rows is None else served.rows[at]
    frame = cache.page_frame(served.entry, rows, served.readable)
    return segments.classify(frame, served.as_of_ms, settings)


def _records(served: _Served, rows: np.ndarray, keys: Sequence[str], *, end: str) -> pa.Array:
    """The API records of the customers at `rows`, each followed by `end`."""
    from segcli.output import records

    m, reference = served.m, served.values(LAST_ORDER_REFERENCE, rows)
    metrics = {
        ORDER_COUNT: records.json_ints(records.ints(m.order_count[rows])),
        TOTAL_SPEND: records.json_strings(records.cents_texts(m.spend_cents[rows])),
        LAST_ORDER_DATE: records.json_strings(records.instant_texts(served.last_ms[rows])),
        LAST_ORDER_REFERENCE: records.json_strings(reference),
        SEGMENT: records.json_labels(served.segment[rows], SEGMENTS),
        LAST_ORDER_DAYS_AGO: records.json_ints(records.ints(m.last_days_ago[rows])),
        PURCHASE_FREQUENCY: records.json_labels(served.frequency[rows], FREQUENCIES),
    }
    pieces = records.record_pieces({k: served.values(k, rows) for k in keys}, keys, metrics)
    return records.assembled([*pieces, "}}" + end], len(rows))


@_answering
def breakdown(
    where: Where,
    as_of_ms: int | None,
    settings: Settings,
    *,
    by: Sequence[str],
    cross: bool,
    fmt: str,
    pretty: bool,
    timings: Timings = NO_TIMINGS,
    opened: contextlib.ExitStack,
) -> Answer | None:
    """`breakdown` as JSON, or None (see the module's docstring); in another format, the
    result (`results.Breakdown`, with pandas: its renderers work on frames) for the front end to
    render, from the counts alone as well."""
    if cross or any(b not in BREAKDOWNS for b in by):
        return None
    served = _served(where, as_of_ms, (), settings, timings, opened)  # counts alone
    if served is None:
        return None
    if fmt != JSON:
        return Answer(served.loading, served.notices, [], _breakdown_result(served, by, settings))
    with timings.stage("render"):
        data = {}
        for name, (categories, t) in _tallies(served, by).items():
            data[BREAKDOWN_KEYS[name]] = {
                label: documents.category_values(
                    int(t.count[i]),
                    float(t.share[i]),
                    int(t.spend_cents[i]),
                    None if t.empty[i] else int(t.avg_cents[i]),
                )
                for i, label in enumerate(categories)
            }
        total = len(served.m.order_count)
        meta = documents.meta_of({"total": total}, served.as_of_ms, settings, served.extent)
        document = {"success": True, "data": data, "meta": meta}
        parts = [documents.dumps(document, pretty).encode()]
    return Answer(served.loading, served.notices, parts)


def _tallies(served: _Served, by: Sequence[str]) -> dict[str, tuple[tuple[str, ...], tally.Tally]]:
    """Each breakdown in `by` (in BREAKDOWNS' order): its categories and the customers' tally."""
    codes = {"segment": served.segment, "frequency": served.frequency}
    return {
        name: (categories, tally.tally(codes[name], served.m.spend_cents, len(categories)))
        for name, categories in BREAKDOWNS.items()
        if name in by
    }


def _breakdown_result(served: _Served, by: Sequence[str], settings: Settings) -> Any:
    """The full path's Breakdown of the served customers (by `by`), from their tallies."""
    from segcli.analytics import summary
    from segcli.results import Breakdown

    tables = {n: summary.tallied_table(t, c, n) for n, (c, t) in _tallies(served, by).items()}
    total = len(served.m.order_count)
    return Breakdown(tables, total, served.as_of_ms, settings, meta=served.extent)


@_answering
def customer(
    where: Where,
    as_of_ms: int | None,
    settings: Settings,
    *,
    contact_id: str,
    fmt: str,
    pretty: bool,
    timings: Timings = NO_TIMINGS,
    opened: contextlib.ExitStack,
) -> Answer | None:
    """`show ID`, or None (see the module's docstring; an unknown id too: the full path says
    so); in a format other than JSON, the full path's Customer, which the command renders."""

    from segcli.output import records

    shown = (LAST_ORDER_REFERENCE, *DETAIL_COLUMNS)
    served = _served(
        where, as_of_ms, shown, settings, timings, opened, only=lookup_forms(contact_id)
    )
    if served is None:
        return None
    found = np.arange(len(served.m.order_count))  # that customer's rows alone were classified
    if fmt != JSON:
        from segcli.results import Customer

        frame = _classified(served, found, settings)
        one = Customer(frame, served.as_of_ms, settings, meta=served.extent)
        return Answer(served.loading, served.notices, [], one)
    with timings.stage("render"):
        data = bytes(records.joined(_records(served, found, SHOW_KEYS, end="\n"), lines=True)[0])
        meta = documents.meta_of({}, served.as_of_ms, settings, served.extent)
        said = documents.dumps(meta, False).strip()
        text = f'{{"success":true,"data":{data.decode().strip()},"meta":{said}}}'
        text = documents.dumps(json.loads(text), pretty=True) if pretty else text + "\n"
    return Answer(served.loading, served.notices, [text.encode()])
