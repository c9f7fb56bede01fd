"""What loading says on stderr about how it read the files: the columns it mapped, the rows it
shaped, folded, set aside or counted once, the order of day and month it read dates in, and
the extent of the orders. The stages count; this module tells."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.core.extent import extent_meta
from segcli.core.extent import stale as stale  # said by loading, from here
from segcli.core.instants import infer_date_order
from segcli.core.normalise import NormaliseReport
from segcli.input.plan import Plan
from segcli.input.shape import ShapeReport
from segcli.input.sources import Source
from segcli.model.errors import Hint
from segcli.model.notices import Notice, count
from segcli.model.options import DAY_FIRST, LINE_SUM, ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    EMAIL,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    ORDER_COUNT,
    ORDER_DATE,
    ORDER_REFERENCE,
    TOTAL,
    format_instant,
)


def mapping_notices(found: Sequence[Source], plans: Sequence[Plan]) -> list[Notice]:
    """`orders.csv: mapped columns: contactID ← CustomerID, ...` for columns found by synonym."""
    notices = []
    for source, p in zip(found, plans, strict=True):
        if p.guessed:
            pairs = ", ".join(f"{role} ← {header}" for role, header in p.guessed)
            notices.append(Notice(f"{source.label}: mapped columns: {pairs}", hint=Hint.COLUMN))
    return notices


def counted_notices(rounded: int, repeats: int) -> list[Notice]:
    """What was counted otherwise than as read: totals rounded to the cent, and orders found
    identically in more than one file (counted once)."""
    notices = []
    if rounded:
        notices.append(
            Notice(
                f"rounded {count(rounded, 'total')} with fractions of a cent "
                "to the cent (half away from zero)"
            )
        )
    if repeats:
        notices.append(
            Notice(
                f"counted {count(repeats, 'order')} once that appeared identically "
                "in more than one file"
            )
        )
    return notices


def extent(customers: pd.DataFrame, currency: str | None) -> tuple[dict[str, object], int | None]:
    """JSON meta about the orders counted: the oldest and newest order instants (`ordersFrom`,
    `ordersTo`) and the currency, where known; and the newest order's instant (None: none)."""
    counted = customers[ORDER_COUNT].to_numpy() > 0
    first = customers[FIRST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)[counted]
    last = customers[LAST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)[counted]
    return extent_meta(first, last, currency)


def extent_of(instants: np.ndarray, currency: str | None) -> tuple[dict[str, object], int | None]:
    """`extent` from every counted order's instant (epoch ms), not from customers."""
    return extent_meta(instants, instants, currency)


def mixed_currencies(currencies: Mapping[str, int]) -> str:
    """`the orders are in 2 currencies (NZD: 40 rows, AUD: 3 rows); they are never summed`."""
    listed = ", ".join(f"{code}: {count(n, 'row')}" for code, n in sorted(currencies.items()))
    return f"the orders are in {len(currencies)} currencies ({listed}); they are never summed"


def folding_notices(report: NormaliseReport, derived: Collection[str] = ()) -> list[Notice]:
    """How each file of line rows was folded into orders, and which total rule was used;
    `derived`: the labels of files whose totals are quantity x unit price."""
    notices = []
    for d in report.folding:
        if d.rows == d.orders:
            continue
        folded = (
            f"{d.label}: {count(d.rows, 'row')} → {count(d.orders, 'order')} (rows sharing an "
            "orderReference are lines of one order)"
        )
        if d.mode == LINE_SUM:
            rule = "the total column holds line amounts, summed per order"
        else:
            rule = "the total column holds each order's total, repeated on its lines: counted once"
        if d.label in derived:
            why = "each line's quantity × unitPrice"
        elif d.given:
            why = "as given"
        elif d.mode == LINE_SUM:
            why = f"{d.differing:,} of {count(d.multi_line, 'multi-line order')} vary"
        else:
            why = f"all {count(d.multi_line, 'multi-line order')} repeat one total"
        hint = None if d.given else Hint.LINE_TOTALS
        notices.append(Notice(f"{folded}; {rule} ({why})", hint=hint))
    if report.first_conflict is not None:
        notices.append(
            Notice(
                f"conflicting customer for order '{report.first_conflict}': orders whose lines "
                f"name different {CONTACT_ID}s are skipped"
            )
        )
    return notices


HEADER_ROLES = (ORDER_REFERENCE, CONTACT_ID, ORDER_DATE, TOTAL)  # named in skipped-row notices


def header_names(plan: Plan) -> tuple[str | None, ...]:
    """The header a file's plan reads each of HEADER_ROLES from (None: none)."""
    return tuple(
        plan.roles.get(EMAIL if plan.key_by_email and role == CONTACT_ID else role)
        for role in HEADER_ROLES
    )


def headers(plans: Sequence[Plan]) -> dict[str, str]:
    """{canonical column: the header it was read from}, where every file agrees on one."""
    return agreed([header_names(p) for p in plans])


def agreed(names: Sequence[Sequence[str | None]]) -> dict[str, str]:
    """`headers` from each file's header_names."""
    headers: dict[str, str] = {}
    for k, role in enumerate(HEADER_ROLES):
        distinct = {file_names[k] for file_names in names}
        if len(distinct) == 1 and None not in distinct:
            headers[role] = distinct.pop()
    return headers


def shape_notices(shaped: ShapeReport) -> list[Notice]:
    notices = []
    titles = sorted({title for _, title in shaped.detected})
    for title in titles:
        labels = [label for label, t in shaped.detected if t == title]
        where = labels[0] if len(labels) == 1 else f"{len(labels)} files"
        notices.append(Notice(f"{where}: detected a {title}"))
    if shaped.keyed_by_email:
        ways = {way: n for way, n in shaped.keyed.items() if n}
        if set(ways) <= {EMAIL}:
            notices.append(
                Notice("customers are keyed by their email address (trimmed, lower-cased)")
            )
        else:
            each = ", ".join(f"{n:,} by {way}" for way, n in ways.items())
            notices.append(
                Notice(
                    f"customers are keyed by email (trimmed, lower-cased), else by phone (+ and "
                    f"its digits), else by name: {each}"
                )
            )
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
    if shaped.other_currencies:
        n = sum(shaped.other_currencies.values())
        listed = ", ".join(f"{c}: {k:,}" for c, k in sorted(shaped.other_currencies.items()))
        notices.append(Notice(f"set aside {count(n, 'row')} in other currencies ({listed})"))
    if shaped.duplicates:
        notices.append(Notice(f"{count(shaped.duplicates, 'duplicate row')} counted once"))
    if shaped.refunded:
        notices.append(
            Notice(
                f"subtracted refunded amounts from {count(shaped.refunded, 'order')} (net spend)"
            )
        )
    if shaped.credits:
        notices.append(Notice(f"counted {count(shaped.credits, 'credit note')} as negative spend"))
    return notices


def date_order(
    given: ParseOptions, table: pa.Table, label: str, notices: list[Notice]
) -> ParseOptions:
    """The parse options of one file, with the order of its day/month/year dates where neither
    was given and its values prove one (`23/10/2025`: day first), said in a notice."""
    if given.date_format is not None or given.date_order is not None:
        return given
    order, example = infer_date_order(table[ORDER_DATE])
    if order is None:
        return given
    fields = "day/month/year" if order == DAY_FIRST else "month/day/year"
    notices.append(
        Notice(f"{label}: read dates such as {example} as {fields}", hint=Hint.DATE_ORDER)
    )
    return replace(given, date_order=order)


def excluded(orders: int, as_of_ms: int) -> list[Notice]:
    """The orders an as-of cut left out, when there are any."""
    if not orders:
        return []
    when = format_instant(as_of_ms)
    return [Notice(f"excluded {count(orders, 'order')} dated after the as-of instant {when}")]


def without_record(customers: int, label: str) -> list[Notice]:
    """Customers with orders that the contacts file does not hold, when there are any."""
    if not customers:
        return []
    return [Notice(f"{count(customers, 'customer')} with orders had no record in {label}")]
