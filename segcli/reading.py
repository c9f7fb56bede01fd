"""Reading orders: sources -> read -> shape -> normalise -> de-overlap, and the account of what
that found (accounts.py), told as loading's notices. loading.py decides when to read; this is
how."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from segcli import accounts, pinpoint, reports
from segcli.core import normalise
from segcli.input import overlaps as overlaps_stage
from segcli.input import readers, rejects, sources
from segcli.input.plan import plan
from segcli.input.shape import lookup_forms, shape
from segcli.model.errors import Hint, InvalidInputError, NoValidOrdersError
from segcli.model.notices import Notice, count
from segcli.model.options import LINE_SUM, ExportOptions, ParseOptions
from segcli.model.schema import CONTACT_ID, DETAIL_COLUMNS, LINE_ORDER
from segcli.model.timings import NO_TIMINGS, Timings

Progress = Callable[[str, int, int], None]  # (what is being done, steps done, steps in all)


@dataclass(frozen=True)
class Read:
    """The counted orders of some sources, their currency, and what reading them found."""

    orders: pa.Table
    currency: str | None
    instants: np.ndarray | None  # with `only`: every order's instant
    account: accounts.Account
    unmapped: tuple[str, ...] = ()  # the details no file has (missing for all, read or not)


def read_orders(
    found: Sequence[sources.Source],
    notices: list[Notice],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    details: Collection[str],
    progress: Progress | None = None,
    rejects_path: str | Path | None = None,
    timings: Timings = NO_TIMINGS,
    only: str | None = None,
    quotes: bool = False,
) -> Read | None:
    """Read, shape, parse and de-overlap the orders of `found`; append what it says to
    `notices`; with `rejects_path`, write every skipped row there. Also the orders' currency,
    where the files say or the user chose one. With `only` (a contactID), that customer's orders
    alone and every order's instant (else None), or None when the file does not allow finding
    them alone (pinpoint.py). With `quotes`, the account says where a quote never closes even
    when no row was skipped (a merged account may need it)."""
    settled = [readers.settle_delimiter(s) for s in found]
    found = [source for source, _ in settled]
    full = [plan(readers.read_header(s), s.label, export_options) for s in found]
    for source, columns in zip(found, full, strict=True):  # every mapped column, read or not,
        readers.check_types(source, columns.mapping)  # so that the answer never depends on it
    plans = [p.reading(details) for p in full]
    with timings.stage("read"):
        pinned = only and pinpoint.pinpoint(found, plans, lookup_forms(only), parse_options)
        if only is not None and not pinned:
            return None
        raw = pinned.raw if pinned else readers.read_orders(
            found, [p.mapping for p in plans], progress=progress, encoded=(CONTACT_ID,)
        )  # fmt: skip
    if progress is not None:
        progress("parsing orders", len(found), len(found) + 1)

    def read_all(k: int) -> pa.Table:  # every column of source k, to find identical rows
        header = readers.read_header(found[k])
        every = {name: f"{i}" for i, name in enumerate(dict.fromkeys(header))}
        return readers.read_orders([found[k]], [every]).tables[0]

    dates: list[Notice] = []
    with timings.stage("parse"):  # shaping lines and statuses, then dates and amounts
        raw, shaped = shape(
            raw,
            plans,
            include_cancelled=export_options.include_cancelled,
            read_all=read_all,
            currency=export_options.currency,
        )
        if len(shaped.currencies) > 1:  # never sum two currencies
            raise InvalidInputError(reports.mixed_currencies(shaped.currencies), hint=Hint.CURRENCY)
        currency = next(iter(shaped.currencies), None) or (export_options.currency or "").upper()
        line_totals = [export_options.line_totals or (LINE_SUM if p.line_amounts else None)
                       for p in plans]  # fmt: skip
        parsing = [reports.date_order(p.parse_options(parse_options), raw.tables[k], raw.labels[k],
                               dates) for k, p in enumerate(plans)]  # fmt: skip
        lines = any(LINE_ORDER in table.column_names for table in raw.tables)
        orders, report = normalise.normalise(raw, parsing, line_totals)
    if rejects_path is not None:  # written before any error below, --strict's included
        rejected = rejects.table(raw, report.rejected, report.rejected_reasons, normalise.MALFORMED)
        rejects.write(rejected, str(rejects_path))
    headers = reports.headers(plans)
    summary = report.skipped_summary(headers)
    open_quotes = tuple(raw.open_quotes()) if summary or quotes else None
    if summary and open_quotes:
        summary = "; ".join([summary, *open_quotes])
    del raw  # the columns as read; the orders hold what counts
    if report.nothing_kept:
        skipped = (
            f"all {count(report.rows_read, 'row')}"
            if report.skipped == report.rows_read
            else f"{report.skipped:,} of {count(report.rows_read, 'row')}"
        )
        raise NoValidOrdersError(f"no valid orders: {skipped} skipped ({report.reasons(headers)})")
    if summary and strict:
        raise InvalidInputError(summary, hint=Hint.STRICT)
    derived = [s.label for s, p in zip(found, plans, strict=True) if p.line_amounts]
    derived = derived if export_options.line_totals is None else []
    orders, overlaps = overlaps_stage.drop_repeats(orders)
    if overlaps.replaced and strict:
        message = accounts.replaced_message(overlaps.replaced, overlaps.first_replaced)
        raise InvalidInputError(message, hint=Hint.STRICT)
    account = accounts.Account(
        labels=tuple(s.label for s in found),
        delimiters=tuple(said for _, said in settled if said),
        mapping=tuple(reports.mapping_notices(found, plans)),
        shape=shaped,
        dates=tuple(dates),
        normalised=normalise.NormaliseReport(
            rows_read=report.rows_read,
            skips=report.skips,
            rounded_amounts=report.rounded_amounts,
            folding=report.folding,
            skipped_orders=report.skipped_orders,
            first_conflict=report.first_conflict,
            kept=report.kept,
        ),
        roles=tuple(reports.header_names(p) for p in plans),
        derived=tuple(derived),
        lines=lines,
        open_quotes=open_quotes,
        repeats=overlaps.repeats,
        replaced=overlaps.replaced,
        first_replaced=overlaps.first_replaced,
    )
    notices.extend(accounts.tell(account))
    unmapped = tuple(d for d in DETAIL_COLUMNS if not any(d in p.details for p in full))
    return Read(orders, currency or None, pinned.instants if pinned else None, account, unmapped)
