"""segcli as a library: what every front end calls (the CLI today; an HTTP server, predictions
and other engines next).

    from segcli import api

    loaded = api.load(api.Inputs(paths=("orders.csv",)))
    vips = api.customers(loaded, as_of="2025-10-23", filters=api.Filters(segments=("VIP",)))
    for record in vips.records():
        print(record["contactID"], record["metrics"]["totalSpend"])

`load` reads the orders once; `customers`, `customer`, `breakdown`, `rfm` and `transitions` then
answer questions about them at any as-of instant, with any settings. Results are frozen
dataclasses with `.to_dict()` / `.records()` in the customer API's JSON shape and `.frame` for
pandas users. Notices (what was assumed, skipped or set aside) come back with each result,
never printed. Errors are `SegcliError`s with a code and a message.

Importing this module is cheap: pandas and pyarrow are imported by the calls that need them, so
that a front end's `--help` does not pay for them. Nothing here changes process-wide state; a
command-line front end may call `tune_for_cli()` once.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from segcli.config import Resolved
from segcli.config import resolve as resolve_settings
from segcli.input.presets import PRESET_NAMES
from segcli.input.sources import STDIN
from segcli.model.cache_limits import CacheLimits
from segcli.model.engine import Engine
from segcli.model.errors import NotFoundError, SegcliError, UsageError
from segcli.model.options import DEFAULT_ENCODING, ExportOptions, Forecast, ParseOptions
from segcli.model.schema import DEFAULT_SORT, DETAIL_COLUMNS, LIST_DETAILS, format_instant
from segcli.model.settings import Settings
from segcli.model.timings import NO_TIMINGS, Timings
from segcli.upkeep import cache_entries, clear_cache, tune_for_cli

if TYPE_CHECKING:
    from segcli.core.pick import Filters
    from segcli.loading import Loaded
    from segcli.results import Breakdown, Customer, CustomerList, History, Matrix, Prediction

# fmt: off
__all__ = [
    "DETAIL_COLUMNS", "LIST_DETAILS", "PRESET_NAMES", "STDIN", "Resolved", "cache_entries",
    "clear_cache", "resolve_settings", "Breakdown", "CacheLimits", "Customer", "Engine",
    "CustomerList", "ExportOptions", "Filters", "Forecast", "History", "Inputs", "Loaded",
    "Matrix", "NotFoundError", "Prediction", "ParseOptions", "SegcliError", "Settings", "Timings",
    "breakdown", "customer", "customer_json", "customers", "history", "load", "parse_as_of",
    "parse_money", "predict", "rfm", "snapshot", "source_state", "stream", "transitions",
    "tune_for_cli", "warm",
]
# fmt: on

AsOf = int | str | None  # epoch milliseconds, an ISO date or datetime, or None (the default)
BREAKDOWN_BY: tuple[str, ...] = ("segment", "frequency")


@dataclass(frozen=True)
class Inputs:
    """Where the orders come from, and how to read them.

    `paths` are files (CSV, gzip CSV, Parquet), folders, glob patterns, or `-` for CSV on
    `stdin`; none means the bundled sample. `contacts` is a contacts file whose customers with
    no orders are listed too. With `cache`, the per-customer aggregate is kept between runs
    (in `cache_dir`, default `$XDG_CACHE_HOME/segcli`, within `cache_limits`)."""

    paths: tuple[str, ...] = ()
    input_format: str | None = None  # 'csv' or 'parquet', whatever the extension says
    encoding: str = DEFAULT_ENCODING
    delimiter: str | None = None  # CSV's field separator; None: a tab for .tsv, else the header
    strict: bool = False  # a skipped row or conflicting copy is an error, not a notice
    export: ExportOptions = field(default_factory=ExportOptions)
    parse: ParseOptions = field(default_factory=ParseOptions)
    contacts: str | None = None
    cache: bool = False
    cache_dir: str | None = None
    rejects: str | None = None  # write every skipped row here, as CSV (reading bypasses the cache)
    cache_limits: CacheLimits = field(default_factory=CacheLimits)
    engine: Engine = field(default_factory=Engine)  # where the per-customer aggregate is computed
    stdin: BinaryIO | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise UsageError("encoding", f"'{self.encoding}' is not a text encoding") from None
        paths = (self.paths,) if isinstance(self.paths, str | Path) else self.paths
        object.__setattr__(self, "paths", tuple(str(p) for p in paths))
        for name in ("contacts", "rejects"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, str(getattr(self, name)))


def load(
    inputs: Inputs | None = None,
    *,
    details: Collection[str] = DETAIL_COLUMNS,
    as_of: AsOf = None,
    keep_orders: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    timings: Timings | None = None,
    only: str | None = None,
) -> Loaded:
    """Read the orders once. Only the customer `details` asked for are read (a breakdown needs
    none); `as_of` tells the cache which instant will be asked for; `keep_orders` keeps the
    orders themselves (for questions at several instants, such as transitions) and bypasses the
    cache. `progress(what, done, total)` is told as sources are read. `timings`, when given, is
    filled with the time each stage takes, here and in every question asked of the result.
    With `only` (a contactID), the result may hold just that customer, found without reading
    the other customers' rows where the file allows it: ask it `customer(loaded, only)` alone."""
    timings = timings or NO_TIMINGS
    with timings.stage("import"):  # pandas and pyarrow, on first use: most of a small run
        from segcli import cache, loading  # noqa: F401  (timed here; _read uses them)

    inputs = inputs or Inputs()
    if inputs.engine.is_dask:  # the aggregate as of `as_of`: cached, or computed on a cluster
        from segcli import scaling

        return scaling.load_orders(
            inputs, as_of_ms=as_of_ms(as_of), details=details, keep_orders=keep_orders
        )
    return _read(
        inputs,
        cached=not keep_orders,
        progress=progress,
        details=details,
        as_of_ms=as_of_ms(as_of),
        timings=timings,
        only=only,
    )


def snapshot(
    inputs: Inputs | None = None, *, progress: Callable[[str, int, int], None] | None = None
) -> Loaded:
    """The orders with every customer detail, and their per-customer aggregate, for a
    long-running front end (`segcli serve`) that answers at any instant: at or after the newest
    order from the aggregate, earlier (and `transitions`) from the orders. With `inputs.cache`
    the aggregate is stored for later runs, but the orders are always read."""
    inputs = inputs or Inputs()
    if inputs.engine.is_dask:
        raise UsageError("engine", "the dask engine answers at one instant; use pandas to serve")
    return _read(inputs, cached=True, progress=progress, keep_orders=True)


def _read(inputs: Inputs, *, cached: bool, **extra: object) -> Loaded:
    """`loading.load_orders` with the reading options of `inputs` and `extra`; with `cached`,
    through the cache (never when skipped rows are being written to a rejects file, which
    needs a cold read)."""
    from segcli import loading

    cache_root = loading.cache_root(inputs) if cached else None
    return loading.load_orders(
        inputs.paths,
        input_format=inputs.input_format,
        encoding=inputs.encoding,
        strict=inputs.strict,
        stdin=inputs.stdin,
        export_options=inputs.export,
        parse_options=inputs.parse,
        customers_path=inputs.contacts,
        cache_root=cache_root,
        cache_limits=inputs.cache_limits,
        rejects_path=inputs.rejects,
        delimiter=inputs.delimiter,
        **extra,
    )


def warm(inputs: Inputs, question: str, as_of: AsOf, settings: Settings, **asked: object) -> Any:
    """A `list` ("customers"), `breakdown` or `show` ("customer") answered from the cache alone
    without pandas (warm.py), with the keywords of warm.py's function of that name: a
    `warm.Answer` (notices and stdout) that is byte for byte the full path's, or None when
    only the full path can answer (then ask it)."""
    if not inputs.cache or inputs.rejects or inputs.contacts:
        return None
    with (asked.get("timings") or NO_TIMINGS).stage("import"):  # pyarrow, numpy: no pandas
        from segcli import warm as fast

    where = fast.Where(inputs.paths, inputs.input_format, inputs.encoding, inputs.delimiter,
                       inputs.strict, inputs.export, inputs.parse, inputs.cache_dir,
                       inputs.engine.name)  # fmt: skip
    return getattr(fast, question)(where, as_of_ms(as_of), settings or Settings(), **asked)


def stream(inputs: Inputs, as_of: AsOf, settings: Settings | None, **asked: Any) -> Any:
    """`customers` written as it comes (streaming.stream, with its keywords), or None."""
    from segcli import streaming

    return streaming.stream(inputs, as_of_ms(as_of), settings or Settings(), **asked)


def source_state(inputs: Inputs) -> tuple[tuple[str, int, int, int, int], ...]:
    """What tells whether the sources changed since they were read, without reading them: each
    file the paths name now (folders and globs expanded) with its size, modification time,
    inode and status-change time. Raises SegcliError when a path names nothing readable."""
    from segcli.input.sources import file_states

    return file_states(inputs.paths, inputs.input_format)


def customers(
    loaded: Loaded,
    settings: Settings | None = None,
    as_of: AsOf = None,
    *,
    filters: Filters | None = None,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
    rfm: bool = False,
    forecast: Forecast | None = None,
) -> CustomerList:
    """Customers as of `as_of`, filtered, sorted (ties by contactID) and paginated; with `rfm`,
    each carries RFM scores and segment (implied by `filters.rfm_segments`); with `forecast`
    (loaded with `keep_orders=True`; the predict extra), predictions (see `predict`)."""
    from segcli import predictions
    from segcli.analytics import rfm as rfm_stage
    from segcli.core import select
    from segcli.results import CustomerList

    settings = settings or Settings()
    filters = filters or select.Filters()
    at = _classify(loaded, settings, as_of)
    frame, notices = predictions.attached(
        loaded, at, forecast, settings.dormant_days, explicit=as_of is not None
    )
    with loaded.timings.stage("select"):
        if rfm or filters.rfm_segments:
            frame = rfm_stage.score(frame, settings)
        page, total = select.select(
            frame, filters, sort=sort, descending=descending, limit=limit, offset=offset
        )
    return CustomerList(page, total, at.as_of_ms, settings, offset, notices, at.meta)


def customer(
    loaded: Loaded, contact_id: str, settings: Settings | None = None, as_of: AsOf = None
) -> Customer:
    """One customer by contactID (compared trimmed); NotFoundError when there is none."""
    from segcli.results import Customer

    settings = settings or Settings()
    at = _classify(loaded, settings, as_of, only=contact_id)
    return Customer(at.customers, at.as_of_ms, settings, at.notices, at.meta)


def customer_json(
    loaded: Loaded, contact_id: str, settings: Settings | None = None, as_of: AsOf = None
) -> bytes:
    """`customer(...).json_text()` as UTF-8 bytes, the same document; from a long-lived snapshot
    (`snapshot`) it is read from an index in well under a millisecond, for a server's `show`."""
    from segcli import showing

    settings = settings or Settings()
    at_ms = loaded.as_of(as_of_ms(as_of))
    fast = showing.document(loaded, contact_id, settings, at_ms)
    return (
        fast
        if fast is not None
        else customer(loaded, contact_id, settings, at_ms).json_text().encode()
    )


def breakdown(
    loaded: Loaded,
    settings: Settings | None = None,
    as_of: AsOf = None,
    *,
    by: Sequence[str] = BREAKDOWN_BY,
    cross: bool = False,
    forecast: Forecast | None = None,
    history: bool = False,
) -> Breakdown | Matrix:
    """Count, share, total and average spend per segment and per purchase frequency (`by`); with
    `cross`, the counts of each segment × frequency pair instead; with `forecast` (as in
    `customers`), expected orders and CLV per category too; with `history` (loaded with
    `keep_orders=True`), the time spent in each segment and the moves between segments over
    every customer's history up to the as-of."""
    from segcli import histories, predictions
    from segcli.analytics import summary
    from segcli.model.schema import FREQUENCIES, PURCHASE_FREQUENCY, SEGMENT, SEGMENTS
    from segcli.results import Breakdown, Matrix

    settings = settings or Settings()
    at = _classify(loaded, settings, as_of)
    frame = at.customers
    if cross:
        table = summary.crosstab(frame[SEGMENT], frame[PURCHASE_FREQUENCY], SEGMENTS, FREQUENCIES)
        return Matrix(table, "segmentByFrequency", len(frame), settings, as_of_ms=at.as_of_ms,
                      notices=at.notices, meta=at.meta)  # fmt: skip
    unknown = [b for b in by if b not in BREAKDOWN_BY]
    if unknown:
        raise UsageError("by", f"'{unknown[0]}' is not one of {', '.join(BREAKDOWN_BY)}")
    frame, notices = predictions.attached(
        loaded, at, forecast, settings.dormant_days, explicit=as_of is not None
    )
    tables = {b: summary.breakdown(frame, b) for b in BREAKDOWN_BY if b in by}
    spent = histories.durations(loaded, settings, at.as_of_ms) if history else None
    return Breakdown(tables, len(frame), at.as_of_ms, settings, notices, at.meta, spent)


def history(
    loaded: Loaded, contact_id: str, settings: Settings | None = None, as_of: AsOf = None
) -> History:
    """One customer's segment history (found as `customer` finds one): the periods in which its
    segment stayed the same, from its first order to the as-of; loaded with `keep_orders=True`."""
    from segcli import histories

    return histories.customer_history(loaded, contact_id, settings or Settings(), as_of_ms(as_of))


def rfm(loaded: Loaded, settings: Settings | None = None, as_of: AsOf = None) -> Breakdown:
    """Customers per RFM segment (recency, frequency and monetary scored 1 to the settings'
    rfm_scale), in the order of the RFM table for that scale, then Others."""
    from segcli.analytics import rfm as rfm_stage
    from segcli.analytics import summary
    from segcli.model.schema import RFM_SEGMENT
    from segcli.results import Breakdown

    settings = settings or Settings()
    at = _classify(loaded, settings, as_of)
    scored = rfm_stage.score(at.customers, settings)
    table = summary.counts_by(scored, RFM_SEGMENT, settings.rfm_labels(), name="rfm")
    return Breakdown({"rfm": table}, len(scored), at.as_of_ms, settings, at.notices, at.meta)


def transitions(
    loaded: Loaded,
    since: AsOf,
    until: AsOf = None,
    settings: Settings | None = None,
    *,
    movement: tuple[str, str] | None = None,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> Matrix | CustomerList:
    """How customers moved between segments from `since` to `until` (default: the as-of
    default). Loaded with `keep_orders=True`. With `movement` (from, to), the customers who
    moved so, as they are at `until`; `from` may be `(none)`: not a customer yet."""
    from segcli.analytics import transitions as moves
    from segcli.core import select
    from segcli.results import CustomerList, Matrix

    settings = settings or Settings()
    since_ms = as_of_ms(since)
    if since_ms is None:
        raise UsageError("from", "the earlier instant is required")
    after = _classify(loaded, settings, until)
    if since_ms > after.as_of_ms:
        since_text, until_text = format_instant(since_ms), format_instant(after.as_of_ms)
        raise UsageError("from", f"{since_text} is after the later instant {until_text}")
    before = _classify(loaded, settings, since_ms)
    notices = after.notices  # at --from, orders after it are left out by definition
    if movement is not None:
        chosen = moves.moved(before.customers, after.customers, *movement)
        page, total = select.select(
            chosen, select.Filters(), sort=sort, descending=descending, limit=limit, offset=offset
        )
        return CustomerList(page, total, after.as_of_ms, settings, offset, notices, after.meta)
    table = moves.matrix(before.customers, after.customers)
    dates = {"from": format_instant(since_ms), "to": format_instant(after.as_of_ms)}
    return Matrix(table, "matrix", len(after.customers), settings, fields=dates,
                  movements=moves.movements(table), notices=notices, meta=after.meta)  # fmt: skip


def predict(loaded: Loaded, as_of: AsOf = None, *, holdout: AsOf = None) -> Prediction:
    """Fit BG/NBD (repeat orders) and Gamma-Gamma (spend per order) to the customers as of
    `as_of` by MAP with flat priors (maximum likelihood); loaded with `keep_orders=True`. With
    `holdout`, fitted to the orders up to then; `.holdout` compares predictions after it with what
    happened. Needs the `predict` extra; without it, MissingDependencyError."""
    from dataclasses import replace

    from segcli import predictions

    at_ms = loaded.as_of(as_of_ms(as_of))
    if holdout is None:
        return predictions.fit(loaded, at_ms)
    start = as_of_ms(holdout)
    fitted, compared = predictions.holdout(loaded, start, at_ms)
    return replace(fitted, as_of_ms=at_ms, holdout=compared, holdout_ms=start)


def parse_as_of(text: str) -> int:
    """An ISO date (the end of that day, UTC) or datetime (offset honoured, else UTC), in epoch
    milliseconds. Raises ValueError."""
    from segcli.core.as_of import parse_as_of as parse

    return parse(text)


def parse_money(text: str) -> int:
    """An amount (`5000`, `1,245.50`, `$5,000`) in cents, by the rules of the `total` column;
    fractions of a cent are refused. Raises ValueError. The one parser for flags, config and
    query parameters."""
    from segcli.core.amounts import parse_money as parse

    return parse(text)


def as_of_ms(value: AsOf) -> int | None:
    """An as-of given as epoch milliseconds, ISO text or None, in epoch milliseconds."""
    if value is None or isinstance(value, int):
        return value
    return parse_as_of(value)


def _classify(loaded: Loaded, settings: Settings, as_of: AsOf, *, only: str | None = None):
    from segcli import loading  # -> loading.Classified

    return loading.classify_at(loaded, as_of_ms(as_of), settings, only=only)


def __getattr__(name: str) -> object:
    """Result and filter types, imported (with pandas) on first use."""
    if name in {"Breakdown", "Customer", "CustomerList", "History", "Matrix", "Prediction"}:
        from segcli import results

        return getattr(results, name)
    if name == "Filters":  # without pandas: the CLI builds one before it knows the path
        from segcli.core.pick import Filters

        return Filters
    if name == "Loaded":
        from segcli.loading import Loaded

        return Loaded
    raise AttributeError(f"module 'segcli.api' has no attribute {name!r}")
