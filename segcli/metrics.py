"""Counted orders -> one row per customer: order count, spend in cents, first and last instant,
the latest order's reference, and each detail from the latest order that has it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.errors import InvalidInputError
from segcli.schema import (
    CONTACT_ID,
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

CUSTOMER_COLUMNS: tuple[str, ...] = (
    CONTACT_ID,
    *DETAIL_COLUMNS,
    ORDER_COUNT,
    SPEND_CENTS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
)
_INT64_MAX = np.iinfo(np.int64).max


def cut_at(orders: pa.Table, as_of_ms: int) -> tuple[pa.Table, int]:
    """Orders dated after the as-of instant had not happened yet: drop them, say how many."""
    later = orders[ORDER_MS].to_numpy() > as_of_ms
    excluded = int(np.count_nonzero(later))
    return (orders.filter(pa.array(~later)) if excluded else orders), excluded


def per_customer(orders: pa.Table) -> pd.DataFrame:
    """One row per contactID, in order of first appearance (SPEC §3, before classification).

    "Latest" means the greatest orderMs; among orders at the same instant, the one that comes
    later in the input; each detail comes from the latest order that has one. No sort: keys are
    dictionary-encoded once (first appearance order), counts and sums are bincounts, first and
    last instants are ufunc reductions by code, and the latest row of a customer is the greatest
    row number among its rows at its greatest instant.
    """
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.int64, copy=False)
    magnitude = int(np.abs(cents).sum()) if len(cents) else 0
    if magnitude > _INT64_MAX:
        raise InvalidInputError("the order totals are too large to sum exactly in cents")

    codes, contact_ids = _encode(orders[CONTACT_ID])
    n = len(contact_ids)
    ms = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
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

    rows = np.arange(len(ms), dtype=np.int64)
    latest = _latest_rows(codes, ms, rows, n, last, None)
    customers = {
        CONTACT_ID: contact_ids,
        ORDER_COUNT: count,
        SPEND_CENTS: spend,
        FIRST_ORDER_MS: first,
        LAST_ORDER_MS: last,
        LAST_ORDER_REFERENCE: _take(orders[ORDER_REFERENCE], latest),
    }
    for name in DETAIL_COLUMNS:
        column = orders[name]
        if pa.types.is_null(column.type):  # a detail no source has (or that was not read)
            customers[name] = pd.Series(pa.nulls(n, pa.string()).to_pandas(), dtype="str")
            continue
        present = pc.is_valid(column).to_numpy()
        if present.all():
            customers[name] = _take(column, latest)
        else:
            customers[name] = _take(column, _latest_rows(codes, ms, rows, n, None, present))
    return pd.DataFrame(customers)[list(CUSTOMER_COLUMNS)]


_FLOAT_EXACT = 2**53


def _encode(ids: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series]:
    """Codes (int64, by first appearance) and the distinct ids, by Arrow's hash encoding. Arrow
    encodes the chunks pandas holds against one dictionary, so they need not be joined first."""
    encoded = pc.dictionary_encode(ids)
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        codes = np.concatenate(
            [c.indices.to_numpy(zero_copy_only=False) for c in chunks] or [np.zeros(0)]
        ).astype(np.int64)
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.large_string())
    else:
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        dictionary = encoded.dictionary
    return codes, pd.Series(dictionary.to_pandas(), dtype="str")


def _latest_rows(
    codes: np.ndarray,
    ms: np.ndarray,
    rows: np.ndarray,
    n: int,
    last: np.ndarray | None,
    present: np.ndarray | None,
) -> np.ndarray:
    """Per customer, the row of its latest order (among the rows `present`, if given): the
    greatest row number at the greatest instant; -1 for a customer with no such row."""
    if present is not None:
        codes, ms, rows = codes[present], ms[present], rows[present]
    if last is None:
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, codes, ms)
    at_last = ms == last[codes]
    latest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(latest, codes[at_last], rows[at_last])
    return latest


def _take(column: pa.ChunkedArray, rows: np.ndarray) -> pd.Series:
    """column[rows] as text, missing where rows is -1."""
    picked = column.take(pa.array(np.where(rows >= 0, rows, 0)))
    picked = pc.if_else(pa.array(rows >= 0), picked, pa.scalar(None, picked.type))
    return pd.Series(picked.to_pandas(), dtype="str")
