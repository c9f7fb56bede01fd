"""Counted orders -> one row per customer: order count, spend in cents, first and last instant,
the latest order's reference, and each detail from the latest order that has it."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines import keys
from segcli.model.errors import InvalidInputError
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    ORDER_MS,
    ORDER_REFERENCE,
    SPEND_CENTS,
    TOTAL_CENTS,
)

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


def cut_at(orders: pa.Table, as_of_ms: int) -> tuple[pa.Table, int]:
    """Orders dated after the as-of instant had not happened yet: drop them, say how many."""
    later = orders[ORDER_MS].to_numpy() > as_of_ms
    excluded = int(np.count_nonzero(later))
    return (orders.filter(pa.array(~later)) if excluded else orders), excluded


def per_customer(orders: pa.Table, *, latest: bool = True, instants: bool = False) -> pd.DataFrame:
    """One row per contactID, in order of first appearance (SPEC §3, before classification).
    With `latest=False` (counts only: breakdown, rfm) the latest reference and the details are
    left missing, and the rows that hold them are not looked for. With `instants`, each detail
    also has the instant of the order it came from, in the column `instant_of(name)` (INT64_MIN
    where missing): what merging two such aggregates needs (core/partials.py).

    "Latest" means the greatest orderMs; among orders at the same instant, the one that comes
    later in the input; each detail comes from the latest order that has one. No sort: keys are
    dictionary-encoded once (first appearance order), counts and sums are bincounts, first and
    last instants are ufunc reductions by code, and the latest row of a customer is the greatest
    row number among its rows at its greatest instant.

    Credit notes (a CREDIT column) count in spend only: they are not orders, never the latest
    order, and a customer with nothing but credit notes has no orders and is not listed.
    """
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.int64, copy=False)
    magnitude = _magnitude_bound(cents)
    if magnitude > _INT64_MAX:
        raise InvalidInputError("the order totals are too large to sum exactly in cents")

    codes, contact_ids = customer_codes(orders[CONTACT_ID])
    n = len(contact_ids)
    ms = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
    credit = None
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
        credit = credit if credit.any() else None
    if credit is not None:  # credit notes reduce spend; they are not orders (SPEC §1)
        spent = np.zeros(n, dtype=np.int64)
        np.add.at(spent, codes, cents)
        kept = orders.filter(pa.array(~credit))
        customers = per_customer(kept.drop_columns([CREDIT]), latest=latest, instants=instants)
        known = pd.Series(np.arange(n), index=contact_ids.to_numpy())
        customers[SPEND_CENTS] = spent[known[customers[CONTACT_ID].to_numpy()].to_numpy()]
        return customers
    count = np.bincount(codes, minlength=n).astype(np.int64)
    if magnitude < _FLOAT_EXACT:  # every partial sum is an integer a float64 holds exactly
        spend = np.rint(np.bincount(codes, weights=cents, minlength=n)).astype(np.int64)
    else:
        spend = np.zeros(n, dtype=np.int64)
        np.add.at(spend, codes, cents)
    first = np.full(n, _INT64_MAX, dtype=np.int64)
    np.minimum.at(first, codes, ms)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, codes, ms)

    customers = {
        CONTACT_ID: contact_ids,
        ORDER_COUNT: count,
        SPEND_CENTS: spend,
        FIRST_ORDER_MS: first,
        LAST_ORDER_MS: last,
    }
    missing = pd.Series(pa.nulls(n, pa.string()).to_pandas(), dtype="str")
    if not latest:
        customers.update(dict.fromkeys((LAST_ORDER_REFERENCE, *DETAIL_COLUMNS), missing))
        return pd.DataFrame(customers)[list(CUSTOMER_COLUMNS)]
    latest_rows = _latest_rows(codes, ms, n, last)
    customers[LAST_ORDER_REFERENCE] = _take(orders[ORDER_REFERENCE], latest_rows)
    columns = list(CUSTOMER_COLUMNS)
    for name in DETAIL_COLUMNS:
        column = orders[name]
        if pa.types.is_null(column.type):  # a detail no source has (or that was not read)
            customers[name], rows = missing, None
        else:
            present = pc.is_valid(column).to_numpy(zero_copy_only=False)
            rows = _latest_present(codes, ms, n, latest_rows, present)
            customers[name] = _take(column, rows)
        if instants:
            rows = np.full(n, -1) if rows is None else rows
            customers[instant_of(name)] = np.where(rows >= 0, ms[rows], _INT64_MIN)
            columns.append(instant_of(name))
    return pd.DataFrame(customers)[columns]


def instant_of(detail: str) -> str:
    """The column per_customer(instants=True) gives the instant of `detail`'s order in."""
    return f"_{detail}Ms"


_FLOAT_EXACT = 2**53


def _magnitude_bound(cents: np.ndarray) -> int:
    """A bound on the sum of |cents| that is exact where it matters: the largest |value| times
    the count when that is within int64 (no temporary array), else the true sum, added up in
    blocks small enough that no block's int64 sum can overflow."""
    if len(cents) == 0:
        return 0
    peak = max(int(cents.max()), -int(cents.min()))
    if peak * len(cents) <= _INT64_MAX:
        return peak * len(cents)
    block = max(1, _INT64_MAX // peak)
    return sum(int(np.abs(cents[i : i + block]).sum()) for i in range(0, len(cents), block))


def customer_codes(ids: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series]:
    """Codes (int64, 0..n-1 by first appearance) and the distinct ids, one per customer.

    Normalised orders carry their keys dictionary-encoded (normalise.key_column), so the codes
    are the dictionary's indices. Rows dropped since (skipped, or after the as-of) may have left
    entries with no order, or changed which customer comes first: then the codes are renumbered."""
    if not pa.types.is_dictionary(ids.type):
        ids = pc.dictionary_encode(ids)
    chunks = [c for c in ids.chunks if len(c)]
    if not chunks:
        return np.zeros(0, dtype=np.int64), pd.Series([], dtype="str")
    dictionary = chunks[0].dictionary
    if len(chunks) > 1 and not all(keys.same_memory(c.dictionary, dictionary) for c in chunks):
        ids = pa.chunked_array(chunks).unify_dictionaries()
        chunks, dictionary = ids.chunks, ids.chunks[0].dictionary
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    codes = codes.astype(np.int64)
    if not keys.in_first_appearance_order(codes, len(dictionary)):
        first = np.full(len(dictionary), len(codes), dtype=np.int64)
        np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
        used = np.flatnonzero(first < len(codes))
        used = used[np.argsort(first[used], kind="stable")]
        renumber = np.empty(len(dictionary), dtype=np.int64)
        renumber[used] = np.arange(len(used), dtype=np.int64)
        codes = renumber[codes]
        dictionary = dictionary.take(pa.array(used))
    return codes, pd.Series(dictionary.to_pandas(), dtype="str")


def _latest_rows(
    codes: np.ndarray,
    ms: np.ndarray,
    n: int,
    last: np.ndarray | None = None,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Per customer, the row of its latest order (among the rows `present`, if given): the
    greatest row number at the greatest instant; -1 for a customer with no such row. `last`,
    if given, is each customer's greatest instant over all rows."""
    where = None
    if present is not None:
        where = np.flatnonzero(present)
        codes, ms = codes[where], ms[where]
    if last is None:
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, codes, ms)
    at_last = np.flatnonzero(ms == last[codes])  # about one row per customer
    rows = at_last if where is None else where[at_last]
    latest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(latest, codes[at_last], rows)
    return latest


def _latest_present(
    codes: np.ndarray, ms: np.ndarray, n: int, latest_rows: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Per customer, the latest row among those `present` (a detail given), or -1. For a
    customer whose latest order has the detail, that is its latest row; only the rows of the
    other customers are searched, so a detail most orders carry costs no pass over all rows."""
    has = np.zeros(n, dtype=bool)
    known = latest_rows >= 0
    has[known] = present[latest_rows[known]]
    if has.all():
        return latest_rows
    found = _latest_rows(codes, ms, n, None, present & ~has[codes])
    return np.where(has, latest_rows, found)


def _take(column: pa.ChunkedArray, rows: np.ndarray) -> pd.Series:
    """column[rows] as text, missing where rows is -1.

    Arrow's take on a chunked column first joins its chunks, a copy of the whole column (250 MB
    of emails at 10M orders) to pick one value per customer; so each chunk gives its own rows
    here, and they are put back in order."""
    found = rows >= 0
    wanted = np.where(found, rows, 0)
    chunks = [c for c in column.chunks if len(c)] or [pa.array([], column.type)]
    if len(chunks) == 1:
        picked = chunks[0].take(pa.array(wanted))
    else:
        starts = np.cumsum([0] + [len(c) for c in chunks])
        which = np.searchsorted(starts, wanted, side="right") - 1
        order = np.argsort(which, kind="stable")
        ends = np.searchsorted(which[order], np.arange(len(chunks)), side="right")
        pieces = [
            chunks[k].take(pa.array(wanted[order[begin:end]] - starts[k]))
            for k, (begin, end) in enumerate(pairwise([0, *ends]))
        ]
        picked = pa.concat_arrays(pieces).take(pa.array(np.argsort(order)))
    picked = pc.if_else(pa.array(found), picked, pa.scalar(None, picked.type))
    return pd.Series(picked.to_pandas(), dtype="str")


DAY_MS = 86_400_000


def repeat_summary(orders: pa.Table, as_of_ms: int) -> pd.DataFrame:
    """The BTYD summary per customer with an order by `as_of_ms` (in order of first appearance,
    as `per_customer`), counted in whole UTC days as the field's convention (`rfm_summary`) does:
    `frequency` the distinct order days after the first, `recency` the days from the first
    order day to the last, `T` the days from the first order day to the as-of day, and
    `monetary` the mean spend (in currency units) of the repeat order days (0 without any).

    Credit notes are not orders and are left out. One sort of (customer, day) and bincounts;
    no loop over customers."""
    orders, _ = cut_at(orders, as_of_ms)
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
        orders = orders.filter(pa.array(~credit)) if credit.any() else orders
    codes, contact_ids = customer_codes(orders[CONTACT_ID])
    n = len(contact_ids)
    day = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False) // DAY_MS
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.float64)
    order = np.lexsort((day, codes))
    code_sorted, day_sorted = codes[order], day[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (code_sorted[1:] != code_sorted[:-1]) | (day_sorted[1:] != day_sorted[:-1])
    day_spend = np.bincount(np.cumsum(starts) - 1, weights=cents[order])
    day_code, day_of = code_sorted[starts], day_sorted[starts]
    days = np.bincount(day_code, minlength=n)
    firsts = np.ones(len(day_code), dtype=bool)
    firsts[1:] = day_code[1:] != day_code[:-1]  # each customer's first order day
    first_day = day_of[firsts]
    last_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_day, day_code, day_of)
    repeat_spend = np.bincount(day_code, weights=day_spend, minlength=n) - day_spend[firsts]
    frequency = days - 1
    monetary = np.divide(repeat_spend, 100 * frequency, out=np.zeros(n), where=frequency > 0)
    return pd.DataFrame(
        {
            CONTACT_ID: contact_ids,
            "frequency": frequency.astype(np.int64),
            "recency": (last_day - first_day).astype(np.float64),
            "T": (as_of_ms // DAY_MS - first_day).astype(np.float64),
            "monetary": monetary,
        }
    )
