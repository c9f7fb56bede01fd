"""The loading half of the pipeline: sources -> read -> shape -> normalise -> de-overlap, or the
per-customer aggregate from the cache; then the cut at an as-of instant and classification.

`api.py` is the public face of this module; front ends call that, not this.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import cache
from segcli.core import metrics, normalise, segments, select
from segcli.core.instants import parse_instant
from segcli.engines import memory
from segcli.input import contacts as contacts_stage
from segcli.input import overlaps as overlaps_stage
from segcli.input import readers, rejects, sources
from segcli.input.headers import match_columns
from segcli.input.plan import Plan, plan, read_as
from segcli.input.shape import ShapeReport, shape
from segcli.model.cache_limits import CacheLimits
from segcli.model.errors import Hint, InvalidInputError, SegcliError, UsageError
from segcli.model.notices import Notice, count
from segcli.model.options import DEFAULT_ENCODING, ExportOptions, ParseOptions
from segcli.model.schema import (
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
from segcli.model.settings import Settings

MEMO_SETTINGS = 8  # classifications a memo keeps (one per settings asked for)
END_OF_DAY_MS = DAY_MS - 1  # a bare as-of date means the last millisecond of that day
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
    # For a long-lived front end (api.snapshot): the last classification per settings, reused
    # while it holds (classify_at). None: nothing is kept.
    memo: dict | None = field(default=None, compare=False, repr=False)

    def serves(self, as_of_ms: int) -> bool:
        """Whether the aggregate answers for this as-of (no order after it to leave out)."""
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
    keep_orders: bool = False,
) -> Loaded:
    """Read, map and normalise the orders at `paths` (or the bundled sample when there are none),
    and the contacts file at `customers_path`. Only the `details` wanted are read (the others
    are missing in the result); with none, customers' latest references are not picked either.

    With `cache_root`, the per-customer aggregate is taken from the cache when an entry for these
    inputs and options serves `as_of_ms` (None: now), and stored there after a cold load (the
    least recently used entries making way beyond `cache_limits`).

    With `keep_orders`, the result always holds the orders and their aggregate both (a cache
    entry alone is not enough; the cold path still fills it): what a long-running front end
    needs to answer at any instant."""
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
        contacts, contact_notices = read_contacts(
            customers_path, encoding=encoding, delimiter=delimiter
        )
    key, asked = None, details
    if cache_root is not None:
        options = {
            "input_format": input_format,
            "encoding": encoding,
            "delimiter": delimiter,
            "strict": strict,
            "export": repr(export_options),
            "parse": repr(parse_options),
        }
        key = cache.key_for(found, options)
    cache_notices = []
    if key is not None:
        shown = (LAST_ORDER_REFERENCE, *details) if details else ()  # as the cold path reads
        found_entry = cache.lookup(key.name, root=cache_root, columns=shown)
        if found_entry.problem is not None:
            cache_notices.append(Notice(REBUILT.format(problem=found_entry.problem)))
        entry = found_entry.entry
        if entry is not None:
            cached = Loaded(
                None,
                (*entry.notices, *contact_notices),
                entry.default_as_of_ms,
                contacts,
                aggregate=entry.customers,
                newest_ms=entry.newest_ms,
            )
            if cached.serves(cached.as_of(as_of_ms)) and not keep_orders:
                return cached
        asked, details = details, DETAIL_COLUMNS  # an entry serves every command: read them all

    memory.hand_back(at_once=bool(details))
    said = len(notices)
    try:
        orders = _read_orders(
            found, notices, export_options, parse_options, strict, details, progress, rejects_path
        )
    except SegcliError:
        if key is None or tuple(details) == tuple(asked):
            raise
        # Reading the details this command does not show failed (text that is not UTF-8 in a
        # column it never prints, say): answer as --no-cache would, from the columns it shows,
        # and store no entry; the error stands if those fail too.
        del notices[said:]
        cache_notices.clear()  # no entry is rebuilt either
        key, details = None, asked
        orders = _read_orders(
            found, notices, export_options, parse_options, strict, details, progress, rejects_path
        )
    loading_notices = tuple(notices)
    notices[:0] = cache_notices
    notices.extend(contact_notices)
    if key is None and not keep_orders:  # a command that shows no details shows no reference
        return Loaded(orders, tuple(notices), default_as_of_ms, contacts, latest=bool(details))
    aggregate = metrics.per_customer(orders, latest=bool(details))
    newest = int(pc.max(orders[ORDER_MS]).as_py()) if orders.num_rows else None
    if key is not None:
        entry = cache.Entry(aggregate, newest, loading_notices, default_as_of_ms)
        labels = [s.label for s in found]
        cache.write(key, entry, labels, root=cache_root, limits=cache_limits or CacheLimits())
    return Loaded(
        orders,
        tuple(notices),
        default_as_of_ms,
        contacts,
        aggregate=aggregate,
        newest_ms=newest,
        memo={} if keep_orders else None,
    )


def _read_orders(
    found: Sequence[sources.Source],
    notices: list[Notice],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    details: Collection[str],
    progress: Progress | None,
    rejects_path: str | Path | None = None,
) -> pa.Table:
    """Read, shape, parse and de-overlap the orders of `found`; append what it says to
    `notices`; with `rejects_path`, write every skipped row there."""
    settled = [readers.settle_delimiter(s) for s in found]
    found = [source for source, _ in settled]
    notices.extend(Notice(said, hint=Hint.DELIMITER) for _, said in settled if said)
    full = [plan(readers.read_header(s), s.label, export_options) for s in found]
    for source, columns in zip(found, full, strict=True):  # every mapped column, read or not,
        readers.check_types(source, columns.mapping)  # so that the answer never depends on it
    plans = [p.reading(details) for p in full]
    raw = readers.read_orders(
        found, [p.mapping for p in plans], progress=progress, encoded=(CONTACT_ID,)
    )
    if progress is not None:
        progress("parsing orders", len(found), len(found) + 1)
    raw, shaped = shape(raw, plans, include_cancelled=export_options.include_cancelled)
    notices.extend(_shape_notices(shaped))
    orders, report = normalise.normalise(raw, [p.parse_options(parse_options) for p in plans])
    if rejects_path is not None:  # written before any error below, --strict's included
        rejected = rejects.table(raw, report.rejected, report.rejected_reasons, normalise.MALFORMED)
        rejects.write(rejected, str(rejects_path))
    summary = report.skipped_summary(_headers(plans))
    if summary:
        summary = "; ".join([summary, *raw.open_quotes()])
    del raw  # the columns as read; the orders hold what counts
    if report.nothing_kept:
        raise InvalidInputError(
            f"no valid orders: all {count(report.rows_read, 'row')} skipped "
            f"({report.reasons(_headers(plans))})"
        )
    if summary and strict:
        raise InvalidInputError(summary, hint=Hint.STRICT)
    if summary:
        notices.append(Notice(summary))
    if report.rounded_amounts:
        notices.append(
            Notice(
                f"rounded {count(report.rounded_amounts, 'total')} with fractions of a cent "
                "to the cent (half away from zero)"
            )
        )
    orders, overlaps = overlaps_stage.drop_repeats(orders)
    if overlaps.repeats:
        notices.append(
            Notice(
                f"counted {count(overlaps.repeats, 'order')} once that appeared identically "
                "in more than one file"
            )
        )
    if overlaps.conflicts:
        message = (
            f"{count(overlaps.conflicts, 'order reference')} appear in more than one file "
            f"with different contents (first: '{overlaps.first_conflict}')"
        )
        if strict:
            raise InvalidInputError(message, hint=Hint.STRICT)
        notices.append(Notice(f"warning: {message}; every copy is counted"))
    return orders


def read_contacts(
    path: str | Path, *, encoding: str = DEFAULT_ENCODING, delimiter: str | None = None
) -> tuple[contacts_stage.Contacts, list[Notice]]:
    """The contacts file, and notices about the records it could not use."""
    found = sources.resolve_sources([path], encoding=encoding, delimiter=delimiter)
    if len(found) != 1:
        raise UsageError(
            "customers", f"'{path}' names {len(found)} files; contacts come from one file"
        )
    source, said = readers.settle_delimiter(found[0])
    header = readers.read_header(source)
    roles = match_columns(
        header,
        source.label,
        required=(CONTACT_ID,),
        optional=DETAIL_COLUMNS,
        email_key=True,
    )
    raw = readers.read_orders([source], [read_as(roles)])
    found = contacts_stage.from_table(raw.tables[0], roles, source.label)
    notices = [Notice(said, hint=Hint.DELIMITER)] if said else []
    malformed = raw.malformed[0]
    if len(malformed):
        where = raw.locate_malformed(0, int(malformed[0]))
        first = "first: " if len(malformed) > 1 else ""
        notices.append(
            Notice(
                f"{source.label}: skipped {count(len(malformed), 'contact')} with the wrong "
                f"number of fields ({first}{where})"
            )
        )
    if found.keyed_by_email:
        notices.append(Notice(f"{source.label}: no contactID column; contacts are keyed by email"))
    if found.without_id:
        notices.append(
            Notice(f"{source.label}: skipped {count(found.without_id, 'contact')} with no id")
        )
    if found.repeated:
        notices.append(
            Notice(
                f"{source.label}: {count(found.repeated, 'repeated contact')} "
                "ignored (the first record of each id is used)"
            )
        )
    return found, notices


def _headers(plans: Sequence[Plan]) -> dict[str, str]:
    """{canonical column: the header it was read from}, where every file agrees on one."""
    headers: dict[str, str] = {}
    for role in (ORDER_REFERENCE, CONTACT_ID, ORDER_DATE, TOTAL):
        names = {
            p.roles.get(EMAIL if p.key_by_email and role == CONTACT_ID else role) for p in plans
        }
        if len(names) == 1 and None not in names:
            headers[role] = names.pop()
    return headers


def _shape_notices(shaped: ShapeReport) -> list[Notice]:
    notices = []
    titles = sorted({title for _, title in shaped.detected})
    for title in titles:
        labels = [label for label, t in shaped.detected if t == title]
        where = labels[0] if len(labels) == 1 else f"{len(labels)} files"
        notices.append(Notice(f"{where}: detected a {title}"))
    if shaped.keyed_by_email:
        notices.append(Notice("customers are keyed by their email address (trimmed, lower-cased)"))
    if shaped.folded:
        notices.append(Notice(f"folded {count(shaped.folded, 'line-item row')} into their orders"))
    if shaped.excluded:
        n = sum(shaped.excluded.values())
        kinds = ", ".join(f"{c:,} {status}" for status, c in sorted(shaped.excluded.items()))
        notices.append(
            Notice(
                f"excluded {count(n, 'order')} not counted by the shop ({kinds})",
                hint=Hint.INCLUDE_CANCELLED,
            )
        )
    if shaped.included:
        n = sum(shaped.included.values())
        kinds = ", ".join(f"{c:,} {status}" for status, c in sorted(shaped.included.items()))
        notices.append(Notice(f"counted {count(n, 'order')} the shop did not count ({kinds})"))
    if shaped.credits:
        notices.append(Notice(f"counted {count(shaped.credits, 'credit note')} as negative spend"))
    return notices


@dataclass(frozen=True)
class Classified:
    """Every customer as of one instant (one row each), and this step's own notices."""

    customers: pd.DataFrame
    as_of_ms: int
    notices: tuple[Notice, ...]


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
    as_of_ms = loaded.as_of(as_of_ms)
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
        orders, excluded = metrics.cut_at(loaded.orders, as_of_ms)
        if excluded:
            notices.append(
                Notice(
                    f"excluded {count(excluded, 'order')} dated after the as-of instant "
                    f"{format_instant(as_of_ms)}"
                )
            )
        per_customer = metrics.per_customer(orders, latest=loaded.latest)
    if loaded.contacts is not None:
        per_customer, without = contacts_stage.attach(per_customer, loaded.contacts)
        if without:
            notices.append(
                Notice(
                    f"{count(without, 'customer')} with orders had no record in "
                    f"{loaded.contacts.label}"
                )
            )
    if only is not None:
        per_customer = select.find(per_customer, only)
    table = segments.classify(per_customer, as_of_ms, settings)
    classified = Classified(customers=table, as_of_ms=as_of_ms, notices=tuple(notices))
    if memo is not None and loaded.serves(as_of_ms):
        if len(memo) >= MEMO_SETTINGS:
            memo.clear()
        memo[settings] = (*segments.stable_span(per_customer, as_of_ms), classified)
    return classified
