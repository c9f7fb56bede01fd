"""The loading half of the pipeline: sources -> read -> shape -> normalise -> de-overlap, or the
per-customer aggregate from the cache; then the cut at an as-of instant and classification.

`api.py` is the public face of this module; front ends call that, not this.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import cache, incremental, reading, reports
from segcli.core import metrics, segments, select
from segcli.core.as_of import END_OF_DAY_MS
from segcli.core.instants import parse_instant
from segcli.engines import memory
from segcli.input import contacts as contacts_stage
from segcli.input import sources
from segcli.model.cache_limits import CacheLimits
from segcli.model.engine import PANDAS
from segcli.model.errors import Hint, SegcliError
from segcli.model.notices import Notice
from segcli.model.options import (
    DEFAULT_ENCODING,
    ExportOptions,
    ParseOptions,
)
from segcli.model.schema import (
    DETAIL_COLUMNS,
    LAST_ORDER_REFERENCE,
    ORDER_MS,
)
from segcli.model.settings import Settings
from segcli.model.timings import NO_TIMINGS, Timings

MEMO_SETTINGS = 8  # classifications a memo keeps (one per settings asked for)
EXTENT = "extent"  # a long-lived Loaded's memo: its aggregate's reports.extent
REBUILT = "the cache entry for these inputs was {problem}; rebuilt"  # cache.lookup's problem

Progress = Callable[[str, int, int], None]  # (what is being done, steps done, steps in all)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sample_as_of_ms() -> int:
    """The bundled sample's snapshot instant: the end of its as-of day."""
    ms = parse_instant(sources.SAMPLE_AS_OF, date_end_ms=END_OF_DAY_MS)
    assert ms is not None
    return ms


@dataclass(frozen=True)
class Loaded:
    """Normalised orders (every instant, before any as-of cut) and/or the per-customer aggregate
    over all of them (from the cache, or computed to fill it), the contacts file if one was
    given, and the notices of loading them."""

    orders: pa.Table | None  # None when the aggregate came from the cache
    notices: tuple[Notice, ...]
    default_as_of_ms: int | None  # the bundled sample's snapshot; None means now
    contacts: contacts_stage.Contacts | None = None
    aggregate: pd.DataFrame | None = None  # metrics.per_customer over every order
    newest_ms: int | None = None  # the newest order's instant, when the aggregate is known
    latest: bool = True  # whether customers need their latest reference and details
    currency: str | None = None  # the orders' currency code, where known
    timings: Timings = field(default=NO_TIMINGS, compare=False, repr=False)  # stages to time
    # For a long-lived front end (api.snapshot): the last classification per settings, reused
    # while it holds (classify_at). None: nothing is kept.
    memo: dict | None = field(default=None, compare=False, repr=False)
    # Where the aggregate was cut at an as-of instant when it was computed (the dask engine):
    # it answers at that instant, and stands for "now" when no as-of is given.
    cut_ms: int | None = None
    # With one customer's orders (load_orders' `only`, answered by pinpoint): the instant of
    # every order of the file, for what is said about all of them (extent, orders excluded).
    instants: np.ndarray | None = field(default=None, compare=False, repr=False)

    def serves(self, as_of_ms: int) -> bool:
        """Whether the aggregate answers for this as-of (no order after it to leave out)."""
        if self.cut_ms is not None and as_of_ms > self.cut_ms:
            return False
        return self.aggregate is not None and (self.newest_ms is None or as_of_ms >= self.newest_ms)

    @property
    def order_count(self) -> int | None:
        """How many orders were loaded (None when only the cached aggregate was)."""
        return None if self.orders is None else self.orders.num_rows

    @property
    def customer_count(self) -> int | None:
        """How many customers the orders hold (None when the aggregate was not built)."""
        return None if self.aggregate is None else len(self.aggregate)

    def as_of(self, as_of_ms: int | None) -> int:
        """The as-of instant to use when the user gave `as_of_ms` (or None)."""
        if as_of_ms is not None:
            return as_of_ms
        if self.default_as_of_ms is None and self.cut_ms is not None:
            return self.cut_ms
        return self.default_as_of_ms if self.default_as_of_ms is not None else now_ms()


def load_orders(
    paths: Sequence[str | Path] = (),
    *,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    strict: bool = False,
    stdin: BinaryIO | None = None,
    export_options: ExportOptions | None = None,
    parse_options: ParseOptions | None = None,
    customers_path: str | Path | None = None,
    progress: Progress | None = None,
    details: Collection[str] = DETAIL_COLUMNS,
    cache_root: Path | None = None,
    cache_limits: CacheLimits | None = None,
    as_of_ms: int | None = None,
    rejects_path: str | Path | None = None,
    delimiter: str | None = None,
    timings: Timings = NO_TIMINGS,
    keep_orders: bool = False,
    only: str | None = None,
) -> Loaded:
    """Read, map and normalise the orders at `paths` (or the bundled sample when there are none),
    and the contacts file at `customers_path`. Only the `details` wanted are read (the others
    are missing in the result); with none, customers' latest references are not picked either.

    With `cache_root`, the per-customer aggregate is taken from the cache when an entry for these
    inputs and options serves `as_of_ms` (None: now) and holds the `details`, and stored there
    after a cold load (the least recently used entries making way beyond `cache_limits`),
    holding what this load computed: the `details` and those an earlier entry held.

    With `keep_orders`, the result always holds the orders and their aggregate both (a cache
    entry alone is not enough; the cold path still fills it): what a long-running front end
    needs to answer at any instant.

    With `only` (a contactID), the result may hold that customer's orders alone, when the file
    allows finding them without reading the others (pinpoint.py): for `customer` questions."""
    export_options = export_options or ExportOptions()
    parse_options = parse_options or ParseOptions()
    notices: list[Notice] = []
    default_as_of_ms = None
    if paths:
        found = sources.resolve_sources(
            paths, input_format=input_format, encoding=encoding, stdin=stdin, delimiter=delimiter
        )
    else:
        found = [sources.sample_source()]
        default_as_of_ms = sample_as_of_ms()
        notices.append(
            Notice(
                f"using the bundled sample data (as of {sources.SAMPLE_AS_OF})",
                hint=Hint.OWN_ORDERS,
            )
        )
    contacts, contact_notices = None, []
    if customers_path is not None:
        contacts, contact_notices = contacts_stage.read_file(
            customers_path, encoding=encoding, delimiter=delimiter
        )
    asked = details
    probed = probe(found, cache_root, details, as_of_ms, timings, keep_orders=keep_orders,
                   options=(input_format, encoding, delimiter, strict, export_options,
                            parse_options))  # fmt: skip
    if probed.cached is not None:
        return replace(probed.cached, contacts=contacts,
                       notices=(*probed.cached.notices, *contact_notices))  # fmt: skip
    key, prints, options, details = probed.key, probed.prints, probed.options, probed.details
    cache_notices = list(probed.notices)

    if key is not None and len(found) > 1 and not (keep_orders or rejects_path):
        extended = incremental.extend(
            found, prints, options, details, export_options=export_options,
            parse_options=parse_options, strict=strict, root=cache_root, limits=cache_limits,
            as_of_ms=lambda: as_of_ms if as_of_ms is not None else now_ms(), timings=timings,
        )  # fmt: skip
        if extended is not None:
            said = (*cache_notices, *extended.notices, *contact_notices)
            return Loaded(None, said, None, contacts, aggregate=extended.customers,
                          newest_ms=extended.newest_ms, latest=bool(details),
                          currency=extended.currency, timings=timings)  # fmt: skip
    memory.hand_back(at_once=bool(details))
    if only is not None and not (keep_orders or strict or rejects_path or contacts):
        # a cold `show`: no entry is written, as this reads one customer (the next run too)
        said = len(notices)
        one = reading.read_orders(found, notices, export_options, parse_options, strict, details,
                                  timings=timings, only=only)  # fmt: skip
        if one is not None:
            return Loaded(one.orders, (*cache_notices, *notices, *contact_notices),
                          default_as_of_ms, currency=one.currency, timings=timings,
                          instants=one.instants)  # fmt: skip
        del notices[said:]
    read = functools.partial(  # read(details): the orders, with those customer details
        reading.read_orders,
        found,
        notices,
        export_options,
        parse_options,
        strict,
        progress=progress,
        rejects_path=rejects_path,
        timings=timings,
    )
    said = len(notices)
    try:
        done = read(details)
    except SegcliError:
        if key is None or set(details) == set(asked):
            raise
        # Reading the details this command does not show failed (text that is not UTF-8 in a
        # column it never prints, say): answer as --no-cache would, from the columns it shows,
        # and store no entry; the error stands if those fail too.
        del notices[said:]
        cache_notices.clear()  # no entry is rebuilt either
        key, details = None, asked
        done = read(details)
    orders, currency = done.orders, done.currency
    loading_notices = tuple(notices)
    notices[:0] = cache_notices
    notices.extend(contact_notices)
    if key is None and not keep_orders:  # a command that shows no details shows no reference
        return Loaded(
            orders,
            tuple(notices),
            default_as_of_ms,
            contacts,
            latest=bool(details),
            currency=currency,
            timings=timings,
        )
    with timings.stage("aggregate"):
        aggregate = metrics.per_customer(orders, latest=bool(details))
    newest = int(pc.max(orders[ORDER_MS]).as_py()) if orders.num_rows else None
    loaded = Loaded(
        orders,
        tuple(notices),
        default_as_of_ms,
        contacts,
        aggregate=aggregate,
        newest_ms=newest,
        latest=bool(details),
        currency=currency,
        timings=timings,
        memo={} if keep_orders else None,
    )
    if key is not None:
        held = (LAST_ORDER_REFERENCE, *details, *done.unmapped) if details else ()
        with timings.stage("write cache"):
            store(key, found, loaded, loading_notices, held, root=cache_root, limits=cache_limits)
            if len(found) > 1:  # what adding a file to these needs (incremental.py)
                incremental.store(key, done.account, orders, aggregate, newest, root=cache_root,
                                  limits=cache_limits)  # fmt: skip
    return loaded


@dataclass(frozen=True)
class Probed:
    """What the cache has for some inputs (`probe`): the entry's answer, when it serves; else
    the key to store one under (None: no caching) and the details to compute for it."""

    key: cache.Key | None
    details: tuple[str, ...]  # those asked for, and those an entry of these inputs held
    notices: tuple[Notice, ...] = ()  # a damaged entry's, removed: said before loading's
    cached: Loaded | None = None  # the entry's aggregate and notices (no contacts)
    prints: list[dict[str, object]] | None = None  # the inputs' fingerprints
    options: dict[str, object] | None = None  # the loading options the key covers


def probe(
    found: Sequence[sources.Source],
    cache_root: Path | None,
    details: Collection[str],
    as_of_ms: int | None,
    timings: Timings = NO_TIMINGS,
    *,
    options: tuple,
    engine: str = PANDAS,
    keep_orders: bool = False,
) -> Probed:
    """The cache's entry for the `found` inputs, read with `options` (cache.options_of's, but the
    engine) by `engine`, when it holds the `details` shown and serves `as_of_ms` (None: now):
    what every engine asks before it computes an aggregate. A damaged entry is removed, and
    the notice to tell of it given. With `keep_orders`, an entry never answers."""
    details = tuple(details)
    if cache_root is None:
        return Probed(None, details)
    covered = cache.options_of(*options, engine=engine)
    with timings.stage("read cache"):  # identifying the inputs is part of it
        prints = cache.fingerprints(found)
        key = None if prints is None else cache.key_of(prints, covered)
    if key is None:
        return Probed(None, details, prints=prints, options=covered)
    shown = (LAST_ORDER_REFERENCE, *details) if details else ()  # as the cold path reads
    with timings.stage("read cache"):
        found_entry = cache.lookup(key.name, root=cache_root, columns=shown)
    notices = (
        ()
        if found_entry.problem is None
        else (Notice(REBUILT.format(problem=found_entry.problem)),)
    )
    entry = found_entry.entry
    if entry is not None:  # (lookup gives only an entry that holds what is shown)
        cached = Loaded(None, entry.notices, entry.default_as_of_ms, aggregate=entry.customers,
                        newest_ms=entry.newest_ms, currency=entry.currency,
                        timings=timings)  # fmt: skip
        if cached.serves(cached.as_of(as_of_ms)) and not keep_orders:
            return Probed(key, details, cached=cached, prints=prints, options=covered)
    # The first run costs what its command costs: read only what it shows, and what an entry
    # of these inputs held already, so that the new entry serves both commands.
    held = entry.held if entry is not None else found_entry.held
    details = tuple(d for d in DETAIL_COLUMNS if d in details or d in held)
    return Probed(key, details, notices, prints=prints, options=covered)


def store(
    key: cache.Key,
    found: Sequence[sources.Source],
    loaded: Loaded,
    notices: tuple[Notice, ...],
    held: tuple[str, ...],
    *,
    root: Path | None,
    limits: CacheLimits | None,
) -> None:
    """Store `loaded`'s aggregate of every order of the `found` inputs under `key`, with the
    `notices` loading said and the `held` columns (cache.Entry's)."""
    entry = cache.Entry(loaded.aggregate, loaded.newest_ms, notices, loaded.default_as_of_ms,
                        loaded.currency, held)  # fmt: skip
    labels = [s.label for s in found]
    cache.write(key, entry, labels, root=root, limits=limits or CacheLimits())


def cache_root(inputs: Any) -> Path | None:
    """Where the aggregate of `inputs` (an api.Inputs) is cached; None when it is not (no
    cache, or a rejects file, whose skipped rows only a cold read finds)."""
    if not inputs.cache or inputs.rejects is not None:
        return None
    return Path(inputs.cache_dir) if inputs.cache_dir else cache.directory()


def entry_serves(
    found: Sequence[sources.Source],
    cache_root: Path,
    details: Collection[str],
    as_of_ms: int | None,
    *,
    options: tuple,
    engine: str = PANDAS,
) -> bool:
    """Whether `probe` would answer from an entry, from the entry's meta alone (its batches are
    checked when `probe` reads them): for a front end that chooses its path before loading."""
    prints = cache.fingerprints(found)
    key = (
        None if prints is None else cache.key_of(prints, cache.options_of(*options, engine=engine))
    )
    opened = key and cache.read_table(key.name, root=cache_root)
    if not opened:
        return False
    with opened:
        meta = opened.meta
    default, newest = meta["default_as_of_ms"], meta["newest_ms"]
    at = as_of_ms if as_of_ms is not None else default if default is not None else now_ms()
    shown = (LAST_ORDER_REFERENCE, *details) if details else ()
    return cache.holds(meta["held"], shown) and (newest is None or at >= newest)


def kept_extent(loaded: Loaded) -> tuple[dict[str, object], int | None]:
    """reports.extent of a long-lived `loaded`'s aggregate, computed on first use and kept in
    its memo (contacts without orders do not change it: it reads customers with orders)."""
    assert loaded.memo is not None and loaded.aggregate is not None
    if EXTENT not in loaded.memo:
        loaded.memo[EXTENT] = reports.extent(loaded.aggregate, loaded.currency)
    return loaded.memo[EXTENT]


@dataclass(frozen=True)
class Classified:
    """Every customer as of one instant (one row each), and this step's own notices."""

    customers: pd.DataFrame
    as_of_ms: int
    notices: tuple[Notice, ...]
    meta: dict[str, object] = field(default_factory=dict)  # ordersFrom/To, currency (JSON meta)


def classify_at(
    loaded: Loaded,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    *,
    only: str | None = None,
) -> Classified:
    """Every customer as of `as_of_ms`: orders after it do not exist yet. The notices are this
    step's own (orders excluded by the cut); loading's are in `loaded.notices`. With `only` (a
    contactID), just that customer is classified (NotFoundError when there is none): the rules
    look at one customer at a time, and one row costs a fraction of all of them.

    A long-lived `loaded` (one with a `memo`) keeps the last table per settings with the span
    of instants in which it holds (segments.stable_span) and answers from it there."""
    given, as_of_ms = as_of_ms, loaded.as_of(as_of_ms)
    settings = settings or Settings()
    memo = loaded.memo if loaded.memo is not None and only is None else None
    kept = memo.get(settings) if memo is not None and loaded.serves(as_of_ms) else None
    if kept is not None and kept[0] <= as_of_ms < kept[1]:
        return replace(kept[2], as_of_ms=as_of_ms)
    notices = []
    if loaded.serves(as_of_ms):
        per_customer = loaded.aggregate
    else:
        if loaded.orders is None:
            raise ValueError("the orders were not loaded: an earlier as-of needs them")
        with loaded.timings.stage("aggregate"):
            orders, excluded = metrics.cut_at(loaded.orders, as_of_ms)
            per_customer = metrics.per_customer(orders, latest=loaded.latest)
        if loaded.instants is not None:  # one customer's orders: the file's are counted here
            excluded = int(np.count_nonzero(loaded.instants > as_of_ms))
        notices.extend(reports.excluded(excluded, as_of_ms))
    if loaded.contacts is not None:
        per_customer, without = contacts_stage.attach(per_customer, loaded.contacts)
        notices.extend(reports.without_record(without, loaded.contacts.label))
    # of every customer, `only` or not; a long-lived `loaded` computes it once for its aggregate
    if loaded.memo is not None and loaded.serves(as_of_ms):
        extent = kept_extent(loaded)
    elif loaded.instants is not None:
        extent = reports.extent_of(loaded.instants[loaded.instants <= as_of_ms], loaded.currency)
    else:
        extent = reports.extent(per_customer, loaded.currency)
    meta, newest = dict(extent[0]), extent[1]
    if given is None and loaded.default_as_of_ms is None and newest is not None:
        notices.extend(reports.stale(newest, as_of_ms, settings.dormant_days))
    if only is not None:
        per_customer = select.find(per_customer, only)
    with loaded.timings.stage("classify"):
        table = segments.classify(per_customer, as_of_ms, settings)
    classified = Classified(customers=table, as_of_ms=as_of_ms, notices=tuple(notices), meta=meta)
    if memo is not None and loaded.serves(as_of_ms):
        if len(memo) >= MEMO_SETTINGS:
            memo.clear()
        memo[settings] = (*segments.stable_span(per_customer, as_of_ms), classified)
    return classified
