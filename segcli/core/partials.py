"""The per-customer aggregate of a part of the orders, and the merge of several parts' into the
aggregate of them all: what lets the dask engine shuffle customers instead of orders.

The aggregate is mergeable: counts and cents add, the first instant is the least and the last the
greatest, and the latest reference and each latest detail come from the part whose order has the
greatest (instant, part) — the pandas engine's tie rule, "later in the input", when parts are
files in input order and each part's own pick is its latest row. A part's aggregate also carries
the place of each customer's first order, so that the customers can be listed as the pandas
engine lists them.

Exact only when no order is in two parts: the cross-file de-overlap (input/overlaps.py) needs the
orders themselves, and the caller keeps such customers' orders apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.core import metrics
from segcli.input.overlaps import Overlaps
from segcli.model.errors import Hint, InvalidInputError
from segcli.model.notices import Notice, count
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    SOURCE,
    SPEND_CENTS,
    TOTAL_CENTS,
)

_MAX = np.iinfo(np.int64).max
_MIN = np.iinfo(np.int64).min


def of_part(orders: pa.Table, part: int, place: str, *, latest: bool) -> pd.DataFrame:
    """The aggregate of one part's counted orders (cut at the as-of already), with the part's
    number in SOURCE and the place (column `place`, input order) of each customer's first
    order. A customer with nothing but credit notes has a row too (no orders, their spend):
    another part may hold its orders."""
    credit = np.zeros(orders.num_rows, dtype=bool)
    if CREDIT in orders.column_names:
        credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
        orders = orders.drop_columns([CREDIT])
    kept = orders.filter(pa.array(~credit)) if credit.any() else orders
    customers = metrics.per_customer(kept.drop_columns([place]), latest=latest, instants=latest)
    # per_customer lists customers by their first order: the first place of each one's code.
    codes, _ = metrics.customer_codes(kept[CONTACT_ID])
    _, first_rows = np.unique(codes, return_index=True)
    customers[place] = kept[place].to_numpy()[first_rows]
    if credit.any():
        notes = orders.filter(pa.array(credit))
        cents = notes[TOTAL_CENTS].to_numpy().astype(np.int64)
        ids = pd.Series(notes[CONTACT_ID].to_pandas(), dtype="str")
        spent = pd.Series(cents).groupby(ids.to_numpy(), sort=False).sum()
        refunds = {name: _MIN for name in customers.columns if name.startswith("_")}
        refunds.update({ORDER_COUNT: 0, FIRST_ORDER_MS: _MAX, LAST_ORDER_MS: _MIN, place: _MAX})
        refunds = pd.DataFrame(
            {CONTACT_ID: pd.Series(spent.index, dtype="str"), SPEND_CENTS: spent.to_numpy()}
        ).assign(**refunds)
        customers = pd.concat([customers, refunds], ignore_index=True)
    customers[SOURCE] = part
    return customers


def merge(parts: Sequence[pd.DataFrame], place: str, *, latest: bool) -> pd.DataFrame:
    """The customers with an order in `parts` (of_part's aggregates), each once: CUSTOMER_COLUMNS
    and `place`, in no particular order. `latest` as given to of_part."""
    frame = pd.concat(parts, ignore_index=True)
    codes, contact_ids = pd.factorize(frame[CONTACT_ID])
    n = len(contact_ids)
    count = np.zeros(n, dtype=np.int64)
    np.add.at(count, codes, frame[ORDER_COUNT].to_numpy(np.int64))
    spend = np.zeros(n, dtype=np.int64)
    np.add.at(spend, codes, frame[SPEND_CENTS].to_numpy(np.int64))
    merged = {CONTACT_ID: pd.Series(contact_ids, dtype="str"), ORDER_COUNT: count}
    merged[SPEND_CENTS] = spend
    for name, least in ((FIRST_ORDER_MS, True), (LAST_ORDER_MS, False), (place, True)):
        values = np.full(n, _MAX if least else _MIN, dtype=np.int64)
        (np.minimum if least else np.maximum).at(values, codes, frame[name].to_numpy(np.int64))
        merged[name] = values
    source = frame[SOURCE].to_numpy(np.int64)
    counted = frame[ORDER_COUNT].to_numpy(np.int64) > 0
    last = frame[LAST_ORDER_MS].to_numpy(np.int64)
    picks = [(LAST_ORDER_REFERENCE, last, counted)] if latest else []
    for name in DETAIL_COLUMNS if latest else ():
        instant = frame[metrics.instant_of(name)].to_numpy(np.int64)
        picks.append((name, instant, counted & (instant > _MIN)))
    for name, instant, eligible in picks:
        merged[name] = _pick(frame[name], _winners(codes, n, instant, source, eligible))
    for name in (LAST_ORDER_REFERENCE, *DETAIL_COLUMNS):
        merged.setdefault(name, pd.Series(pa.nulls(n, pa.string()).to_pandas(), dtype="str"))
    customers = pd.DataFrame(merged)[[*CUSTOMER_COLUMNS, place]]
    return customers[count > 0].reset_index(drop=True)


def _winners(
    codes: np.ndarray, n: int, instant: np.ndarray, source: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Per code, the eligible row of the greatest (instant, source), or -1. A part has at most
    one eligible row per customer, so (code, source) names one row."""
    rows = np.flatnonzero(eligible)
    best = np.full(n, _MIN, dtype=np.int64)
    np.maximum.at(best, codes[rows], instant[rows])
    rows = rows[instant[rows] == best[codes[rows]]]
    latest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(latest, codes[rows], source[rows])
    rows = rows[source[rows] == latest[codes[rows]]]
    winners = np.full(n, -1, dtype=np.int64)
    winners[codes[rows]] = rows
    return winners


def _pick(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """column[rows] as text, missing where rows is -1."""
    if not len(rows):
        return pd.Series([], dtype="str")
    found = rows >= 0
    picked = column.take(np.where(found, rows, 0)).reset_index(drop=True)
    return pd.Series(picked, dtype="str").where(found)


def summary(
    excluded: int,
    newest: int | None,
    overlaps: Overlaps | None = None,
) -> pd.DataFrame:
    """What a part or a bucket says: the repeats across files (and where the first replaced
    order is in the input), the orders after the cut and the newest order before it."""
    overlaps = overlaps or Overlaps(0, 0, None)
    return pd.DataFrame(
        {
            "repeats": [overlaps.repeats],
            "references": pd.Series([overlaps.references], dtype=object),
            "first_replaced": pd.Series([overlaps.first_replaced], dtype="str"),
            "first_place": pd.Series([overlaps.first_row], dtype="Int64"),
            "excluded": [excluded],
            "newest": pd.Series([newest], dtype="Int64"),
        }
    )


def overlap_notices(sums: pd.DataFrame, strict: bool) -> list[Notice]:
    """reading.read_orders' notices about orders in several files, from the summaries of every
    part and bucket."""
    notices = []
    repeats = int(sums["repeats"].sum())
    # a reference two customers each have in two files is one in loading's count: distinct ones
    references = [r for r in sums["references"] if r is not None and len(r)]
    replaced = len(pd.unique(np.concatenate(references))) if references else 0
    if repeats:
        notices.append(
            Notice(
                f"counted {count(repeats, 'order')} once that appeared identically "
                "in more than one file"
            )
        )
    if replaced:
        named = sums.dropna(subset=["first_place"]).sort_values("first_place")
        message = (
            f"{count(replaced, 'order')} of the same customer differ between files "
            f"(first: '{named['first_replaced'].iloc[0]}')"
        )
        if strict:
            raise InvalidInputError(message, hint=Hint.STRICT)
        notices.append(Notice(f"{message}; the latest file's copy counts"))
    return notices
