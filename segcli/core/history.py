"""Orders -> each customer's segment history: the periods (segment, from, to) in which the
segment that `segments.classify` gives at an as-of instant t stays the same, for every t from
the customer's first order to the as-of.

At an instant t the segment rules read four numbers: the orders and the spend up to t, and the
days since the first and the last order up to t, floored. Between two consecutive rows of a
customer (orders and credit notes, by instant) the first two are constant, and the day counts
cross the rules' thresholds at no more than two instants:
- `last + (dormant_days + 1) * DAY`: from here `floor((t - last) / DAY) > dormant_days`;
- `first + (new_days + 1) * DAY`: from here `floor((t - first) / DAY) > new_days`.
So the interval from one row to the next splits into at most three pieces, each with one
segment, which `segments.segment_codes` gives at the piece's start; consecutive pieces with
the same segment make one period. The VIP threshold is crossed only at rows, where the spend
changes. One sort of the rows by (customer, instant); no loop over customers or orders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.core import metrics, segments
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    DAY_MS,
    FROM_MS,
    ONGOING,
    ORDER_MS,
    SEGMENT,
    SEGMENTS,
    TO_MS,
    TOTAL_CENTS,
)
from segcli.model.schema import HISTORY_CUSTOMER as CUSTOMER
from segcli.model.settings import Settings

FAR_MS = 2**62  # further than any two instants are apart (years 1-9999 span about 2**48 ms)
PERIOD_COLUMNS = (CUSTOMER, CONTACT_ID, SEGMENT, FROM_MS, TO_MS, ONGOING)


def periods(orders: pa.Table, as_of_ms: int, settings: Settings) -> pd.DataFrame:
    """Every customer's periods up to `as_of_ms` (orders after it have not happened), one row
    each, by customer (first appearance) and time: customer code, contactID, segment (a
    categorical in display order), fromMs, toMs and ongoing (the last period of a customer,
    which lasts to the as-of). Customers with nothing but credit notes have none."""
    orders, _ = metrics.cut_at(orders, as_of_ms)
    codes, ids = metrics.customer_codes(orders[CONTACT_ID])
    ms = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.int64, copy=False)
    is_order = np.ones(len(ms), dtype=bool)
    if CREDIT in orders.column_names:
        is_order = ~orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)

    by_time = _customer_time_order(codes, ms)
    codes, ms, cents, is_order = codes[by_time], ms[by_time], cents[by_time], is_order[by_time]
    del by_time
    n = len(ms)
    rows = np.arange(n, dtype=np.int64)
    starts_customer = np.ones(n, dtype=bool)
    starts_customer[1:] = codes[1:] != codes[:-1]
    head = np.maximum.accumulate(np.where(starts_customer, rows, 0))  # the customer's first row
    spend = _running_sum(cents, head)
    del cents
    credits = not is_order.all()
    # Orders so far, and the latest order's instant (a credit note is not an order).
    orders_so_far = _running_sum(is_order.astype(np.int64), head) if credits else rows - head + 1
    del head
    last = ms[np.maximum.accumulate(np.where(is_order, rows, 0))] if credits else ms
    # The customer's first order: the one row where its orders so far become 1. From there on
    # the customer exists (rows before it are credit notes, which make no customer).
    first_rows = np.flatnonzero(is_order & (orders_so_far == 1))
    first_of = np.zeros(len(ids), dtype=np.int64)
    first_of[codes[first_rows]] = ms[first_rows]
    first = first_of[codes]

    # Each row's interval [ms, end): to the customer's next row, the last one to the as-of; cut
    # where it crosses the dormant and the new threshold, in whichever order they come.
    end = np.empty(n, dtype=np.int64)
    end[:-1] = ms[1:]
    end[np.flatnonzero(starts_customer)[1:] - 1] = as_of_ms + 1
    end[-1:] = as_of_ms + 1
    del starts_customer
    dormant_from = last + _offset(settings.dormant_days + 1)
    new_until = first + _offset(settings.new_days + 1)
    cut_1 = np.clip(np.minimum(dormant_from, new_until), ms, end)
    cut_2 = np.clip(np.maximum(dormant_from, new_until), ms, end)
    del dormant_from, new_until

    # The pieces [ms, cut_1), [cut_1, cut_2), [cut_2, end) of each row, where they have a
    # length (rows at one instant, or a threshold outside the interval, make none) and the
    # customer exists (it has an order by then). Most rows have the first piece only.
    exists = orders_so_far > 0
    whole = exists & (cut_1 > ms)
    into_1 = np.flatnonzero(exists & (cut_2 > cut_1))
    into_2 = np.flatnonzero(exists & (end > cut_2))
    has_1 = np.zeros(n, dtype=bool)
    has_1[into_1] = True
    pieces = whole.astype(np.int64) + has_1
    pieces[into_2] += 1
    pieces_before = np.cumsum(pieces) - pieces
    t = np.empty(int(pieces.sum()), dtype=np.int64)
    label = np.empty(len(t), dtype=np.int8)
    state = (orders_so_far, spend, last, first)
    at = pieces_before[whole]
    t[at] = ms[whole]
    label[at] = _segment_at(ms, state, settings)[whole]
    at = pieces_before[into_1] + whole[into_1]
    t[at] = cut_1[into_1]
    label[at] = _segment_at(cut_1[into_1], [a[into_1] for a in state], settings)
    at = pieces_before[into_2] + whole[into_2] + has_1[into_2]
    t[at] = cut_2[into_2]
    label[at] = _segment_at(cut_2[into_2], [a[into_2] for a in state], settings)
    del cut_1, cut_2, end, last, first, spend, orders_so_far, state, whole, has_1, pieces

    # Runs of one segment make a period. The pieces tile each customer's time from its first
    # order to the as-of, so a period lasts to the next one's start, the last to the as-of.
    begins = np.zeros(len(t), dtype=bool)
    begins[pieces_before[first_rows]] = True  # a customer's first piece: at its first order
    begins[1:] |= label[1:] != label[:-1]
    run = np.flatnonzero(begins)
    customer = codes[np.searchsorted(pieces_before, run, side="right") - 1]
    ongoing = np.ones(len(run), dtype=bool)
    ongoing[:-1] = customer[1:] != customer[:-1]
    to_ms = np.full(len(run), as_of_ms, dtype=np.int64)
    to_ms[:-1] = np.where(ongoing[:-1], as_of_ms, t[run[1:]])
    return pd.DataFrame(
        {
            CUSTOMER: customer,
            CONTACT_ID: ids.take(customer).reset_index(drop=True),
            SEGMENT: pd.Categorical.from_codes(label[run], categories=list(SEGMENTS)),
            FROM_MS: t[run],
            TO_MS: to_ms,
            ONGOING: ongoing,
        }
    )


def _offset(days: int) -> int:
    """`days` in milliseconds, no further than FAR_MS: beyond every instant a file can hold, so
    that a threshold of any size stays unreached instead of overflowing int64."""
    return min(days * DAY_MS, FAR_MS)


def _segment_at(at: np.ndarray, state: Sequence[np.ndarray], settings: Settings) -> np.ndarray:
    """The segment (index in SEGMENTS) of rows at instants `at`, one per row, from the rows'
    state at that instant: (orders so far, spend so far, latest and first order instant)."""
    orders_so_far, spend, last, first = state
    m = segments.Measures(
        order_count=orders_so_far,
        spend_cents=spend,
        last_days_ago=(at - last) // DAY_MS,
        first_days_ago=(at - first) // DAY_MS,
        lifespan_days=at,  # read by the frequency's rules only, not by the segment's
    )
    return segments.segment_codes(m, settings).astype(np.int8)


def _customer_time_order(codes: np.ndarray, ms: np.ndarray) -> np.ndarray:
    """The rows sorted by (customer, instant): one packed int64 key when the product of the
    customers and the span of instants fits, else a lexsort. Rows of one customer at one
    instant may come in any order: the pieces between them have no length, and the running
    sums after the last of them are the same in any order."""
    if len(ms) == 0:
        return np.zeros(0, dtype=np.int64)
    low, span = int(ms.min()), int(ms.max()) - int(ms.min()) + 1
    customers = int(codes.max()) + 1
    if customers * span < np.iinfo(np.int64).max:
        return np.argsort(codes * span + (ms - low))  # quicksort: twice as fast as a stable one
    return np.lexsort((ms, codes))


def _running_sum(values: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Each row's sum of `values` over its customer's rows up to it (rows grouped by customer;
    `head` is each row's first row of its customer). A running sum over all rows minus the one
    before the customer's first row: the per-customer sums fit in int64 (metrics.per_customer
    refuses totals that do not), and int64 arithmetic wraps, so the difference is exact."""
    total = np.cumsum(values)
    return total - (total[head] - values[head])
