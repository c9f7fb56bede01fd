"""The pipeline: load -> normalise -> cut at as-of -> per customer -> classify.

`customers()` is the whole core in one call; the CLI and Python users both start here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import cache as cache_stage
from segcli import contacts as contacts_stage
from segcli import exports, load, metrics, normalise, segments
from segcli import overlaps as overlaps_stage
from segcli.errors import InvalidInputError
from segcli.options import ExportOptions, ParseOptions
from segcli.schema import (
    CONTACT_ID,
    DAY_MS,
    DETAIL_COLUMNS,
    EMAIL,
    LAST_ORDER_REFERENCE,
    ORDER_DATE,
    ORDER_MS,
    ORDER_REFERENCE,
    TOTAL,
    format_instant,
)
from segcli.settings import Settings

INPUT_FORMATS = load.INPUT_FORMATS
DEFAULT_ENCODING = load.DEFAULT_ENCODING
parse_amount = normalise.parse_amount  # exact cents, by the same rules as the `total` column
END_OF_DAY_MS = DAY_MS - 1  # a bare --as-of date means the last millisecond of that day


def _use_jemalloc() -> bool:
    """Arrow's jemalloc pool where the build has it: at 10M orders it reuses freed pages where
    the default pool asks the kernel for fresh ones, and that was about 10% of a cold run."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowException):
        return False  # a pyarrow built without jemalloc keeps its default pool
    return True


_JEMALLOC = _use_jemalloc()
KEEP_FREED_MS = 1000  # Arrow's default: jemalloc keeps freed pages this long for reuse


def _hand_back_freed_memory(at_once: bool) -> None:
    """Whether jemalloc returns freed pages to the kernel at once, or keeps them a while for
    reuse. Reading details (a list) is the memory-heavy load: returned at once, its peak at 10M
    orders was 1.5 GiB instead of 1.9, for about 5% more time. Counts only (breakdown) hold much
    less, and handing pages back at once made them about 15% slower."""
    if _JEMALLOC:
        pa.jemalloc_set_decay_ms(0 if at_once else KEEP_FREED_MS)


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


Progress = Callable[[str, int, int], None]  # (what is being done, steps done, steps in all)


@dataclass(frozen=True)
class Loaded:
    """Normalised orders (every instant, before any as-of cut) and/or the per-customer aggregate
    over all of them (from the cache, or computed to fill it), the contacts file if one was
    given, and the notices of loading them."""

    orders: pa.Table | None  # None when the aggregate came from the cache
    notices: tuple[str, ...]
    default_as_of_ms: int | None  # the bundled sample's snapshot; None means now
    contacts: contacts_stage.Contacts | None = None
    aggregate: pd.DataFrame | None = None  # metrics.per_customer over every order
    newest_ms: int | None = None  # the newest order's instant, when the aggregate is known
    latest: bool = True  # whether customers need their latest reference and details

    def serves(self, as_of_ms: int) -> bool:
        """Whether the aggregate answers for this as-of (no order after it to leave out)."""
        return self.aggregate is not None and (self.newest_ms is None or as_of_ms >= self.newest_ms)

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
    export_options: ExportOptions | None = None,
    parse_options: ParseOptions | None = None,
    customers_path: str | Path | None = None,
    progress: Progress | None = None,
    details: Collection[str] = DETAIL_COLUMNS,
    cache_root: Path | None = None,
    as_of_ms: int | None = None,
) -> Loaded:
    """Read, map and normalise the orders at `paths` (or the bundled sample when there are none),
    and the contacts file at `customers_path`. Only the `details` wanted are read (the others
    are missing in the result); with none, customers' latest references are not picked either.

    With `cache_root`, the per-customer aggregate is taken from the cache when an entry for these
    inputs and options serves `as_of_ms` (None: now), and stored there after a cold load."""
    export_options = export_options or ExportOptions()
    parse_options = parse_options or ParseOptions()
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
    contacts, contact_notices = None, []
    if customers_path is not None:
        contacts, contact_notices = read_contacts(customers_path, encoding=encoding)
    key = None
    if cache_root is not None:
        options = {
            "input_format": input_format,
            "encoding": encoding,
            "strict": strict,
            "export": repr(export_options),
            "parse": repr(parse_options),
        }
        key = cache_stage.key_for(sources, options)
    if key is not None:
        shown = (LAST_ORDER_REFERENCE, *details) if details else ()  # as the cold path reads
        entry = cache_stage.read(key, root=cache_root, columns=shown)
        if entry is not None:
            cached = Loaded(
                None,
                (*entry.notices, *contact_notices),
                entry.default_as_of_ms,
                contacts,
                aggregate=entry.customers,
                newest_ms=entry.newest_ms,
            )
            if cached.serves(cached.as_of(as_of_ms)):
                return cached
        details = DETAIL_COLUMNS  # an entry serves every command: read every detail

    _hand_back_freed_memory(at_once=bool(details))
    orders = _read_orders(
        sources, notices, export_options, parse_options, strict, details, progress
    )
    loading_notices = tuple(notices)
    notices.extend(contact_notices)
    if key is None:  # a command that shows no details (breakdown, rfm) shows no reference
        return Loaded(orders, tuple(notices), default_as_of_ms, contacts, latest=bool(details))
    aggregate = metrics.per_customer(orders)
    newest = int(pc.max(orders[ORDER_MS]).as_py()) if orders.num_rows else None
    entry = cache_stage.Entry(aggregate, newest, loading_notices, default_as_of_ms)
    cache_stage.write(key, entry, [s.label for s in sources], root=cache_root)
    return Loaded(
        orders, tuple(notices), default_as_of_ms, contacts, aggregate=aggregate, newest_ms=newest
    )


def _read_orders(
    sources: Sequence[load.Source],
    notices: list[str],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    details: Collection[str],
    progress: Progress | None,
) -> pa.Table:
    """Read, shape, parse and de-overlap the orders of `sources`; append what it says to
    `notices`."""
    plans = [
        exports.plan(load.read_header(s), s.label, export_options).reading(details) for s in sources
    ]
    raw = load.read_orders(
        sources, [p.mapping for p in plans], progress=progress, encoded=(CONTACT_ID,)
    )
    if progress is not None:
        progress("parsing orders", len(sources), len(sources) + 1)
    raw, shaped = exports.shape(raw, plans, include_cancelled=export_options.include_cancelled)
    notices.extend(_shape_notices(shaped))
    orders, report = normalise.normalise(raw, [p.parse_options(parse_options) for p in plans])
    del raw  # the columns as read; the orders hold what counts
    summary = report.skipped_summary(_headers(plans))
    if summary and strict:
        raise InvalidInputError(f"{summary} (--strict allows none)")
    if summary:
        notices.append(summary)
    if report.rounded_amounts:
        notices.append(
            f"rounded {_count(report.rounded_amounts, 'total')} with fractions of a cent "
            "to the cent (half away from zero)"
        )
    orders, overlaps = overlaps_stage.drop_repeats(orders)
    if overlaps.repeats:
        notices.append(
            f"counted {_count(overlaps.repeats, 'order')} once that appeared identically "
            "in more than one file"
        )
    if overlaps.conflicts:
        message = (
            f"{_count(overlaps.conflicts, 'order reference')} appear in more than one file "
            f"with different contents (first: '{overlaps.first_conflict}')"
        )
        if strict:
            raise InvalidInputError(f"{message} (--strict allows none)")
        notices.append(f"warning: {message}; every copy is counted")
    return orders


def read_contacts(
    path: str | Path, *, encoding: str = DEFAULT_ENCODING
) -> tuple[contacts_stage.Contacts, list[str]]:
    """The contacts file (`--customers`), and notices about the records it could not use."""
    (source,) = load.resolve_sources([path], encoding=encoding)
    header = load.read_header(source)
    roles = normalise.match_columns(
        header,
        source.label,
        required=(CONTACT_ID,),
        optional=DETAIL_COLUMNS,
        email_key=True,
    )
    raw = load.read_orders([source], [exports.read_as(roles)])
    found = contacts_stage.from_table(raw.tables[0], roles, source.label)
    notices = []
    if found.keyed_by_email:
        notices.append(f"{source.label}: no contactID column; contacts are keyed by email")
    if found.without_id:
        notices.append(f"{source.label}: skipped {_count(found.without_id, 'contact')} with no id")
    if found.repeated:
        notices.append(
            f"{source.label}: {_count(found.repeated, 'repeated contact')} "
            "ignored (the first record of each id is used)"
        )
    return found, notices


def _headers(plans: Sequence[exports.Plan]) -> dict[str, str]:
    """{canonical column: the header it was read from}, where every file agrees on one."""
    headers: dict[str, str] = {}
    for role in (ORDER_REFERENCE, CONTACT_ID, ORDER_DATE, TOTAL):
        names = {
            p.roles.get(EMAIL if p.key_by_email and role == CONTACT_ID else role) for p in plans
        }
        if len(names) == 1 and None not in names:
            headers[role] = names.pop()
    return headers


def _shape_notices(shaped: exports.ShapeReport) -> list[str]:
    notices = []
    titles = sorted({title for _, title in shaped.detected})
    for title in titles:
        labels = [label for label, t in shaped.detected if t == title]
        where = labels[0] if len(labels) == 1 else f"{len(labels)} files"
        notices.append(f"{where}: detected a {title}")
    if shaped.keyed_by_email:
        notices.append("customers are keyed by their email address (trimmed, lower-cased)")
    if shaped.folded:
        notices.append(f"folded {_count(shaped.folded, 'line-item row')} into their orders")
    if shaped.excluded:
        n = sum(shaped.excluded.values())
        kinds = ", ".join(f"{c:,} {status}" for status, c in sorted(shaped.excluded.items()))
        notices.append(
            f"excluded {_count(n, 'order')} not counted by the shop ({kinds}); "
            "--include-cancelled counts them"
        )
    if shaped.included:
        n = sum(shaped.included.values())
        kinds = ", ".join(f"{c:,} {status}" for status, c in sorted(shaped.included.items()))
        notices.append(f"counted {_count(n, 'order')} the shop did not count ({kinds})")
    if shaped.credits:
        notices.append(f"counted {_count(shaped.credits, 'credit note')} as negative spend")
    return notices


def classify_at(
    loaded: Loaded, as_of_ms: int | None = None, settings: Settings | None = None
) -> Result:
    """Every customer as of `as_of_ms`: orders after it do not exist yet. The notices are this
    step's own (orders excluded by the cut); loading's are in `loaded.notices`."""
    as_of_ms = loaded.as_of(as_of_ms)
    notices = []
    if loaded.serves(as_of_ms):
        per_customer = loaded.aggregate
    else:
        if loaded.orders is None:
            raise ValueError("the orders were not loaded: an earlier as-of needs them")
        orders, excluded = metrics.cut_at(loaded.orders, as_of_ms)
        if excluded:
            notices.append(
                f"excluded {_count(excluded, 'order')} dated after the as-of instant "
                f"{format_instant(as_of_ms)}"
            )
        per_customer = metrics.per_customer(orders, latest=loaded.latest)
    if loaded.contacts is not None:
        per_customer, without = contacts_stage.attach(per_customer, loaded.contacts)
        if without:
            notices.append(
                f"{_count(without, 'customer')} with orders had no record in "
                f"{loaded.contacts.label}"
            )
    table = segments.classify(per_customer, as_of_ms, settings or Settings())
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
    export_options: ExportOptions | None = None,
    parse_options: ParseOptions | None = None,
    customers_path: str | Path | None = None,
) -> Result:
    """Every customer in the orders at `paths` (or the bundled sample when there are none)."""
    loaded = load_orders(
        paths,
        input_format=input_format,
        encoding=encoding,
        strict=strict,
        stdin=stdin,
        export_options=export_options,
        parse_options=parse_options,
        customers_path=customers_path,
    )
    result = classify_at(loaded, as_of_ms, settings)
    return replace(result, notices=loaded.notices + result.notices)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
