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

PERIOD_COLUMNS = (CUSTOMER, CONTACT_ID, SEGMENT, FROM_MS, TO_MS, ONGOING)
PIECES = 3  # pieces an interval between two rows can split into (two thresholds in it)


def periods(orders: pa.Table, as_of_ms: int, settings: Settings) -> pd.DataFrame:
    """Every customer's periods up to `as_of_ms` (orders after it have not happened), one row
    each, by customer (first appearance) and time: customer code, contactID, segment (a
    categorical in display order), fromMs, toMs and ongoing (the last period of a customer,
    which lasts to the as-of). Customers with nothing but credit notes have none."""
    ms_all = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
    if (ms_all > as_of_ms).any():
        orders = orders.filter(pa.array(ms_all <= as_of_ms))
    codes, ids = metrics.customer_codes(orders[CONTACT_ID])
    ms = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.int64, copy=False)
    is_order = np.ones(len(ms), dtype=bool)
    if CREDIT in orders.column_names:
        is_order = ~orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)

    by_time = _customer_time_order(codes, ms)
    codes, ms, cents, is_order = codes[by_time], ms[by_time], cents[by_time], is_order[by_time]
    n = len(ms)
    rows = np.arange(n, dtype=np.int64)
    starts_customer = np.ones(n, dtype=bool)
    starts_customer[1:] = codes[1:] != codes[:-1]
    ends_customer = np.ones(n, dtype=bool)
    ends_customer[:-1] = starts_customer[1:]
    head = np.maximum.accumulate(np.where(starts_customer, rows, 0))  # the customer's first row

    spend = _running_sum(cents, head)
    orders_so_far = _running_sum(is_order.astype(np.int64), head)
    latest_order_row = np.maximum.accumulate(np.where(is_order, rows, -1))
    last = ms[np.maximum(latest_order_row, 0)]  # read only where orders_so_far > 0
    first_rows = np.flatnonzero(is_order & (orders_so_far == 1))  # one per customer with orders
    first_of = np.zeros(len(ids), dtype=np.int64)
    first_of[codes[first_rows]] = ms[first_rows]
    first = first_of[codes]

    # Each row's interval [ms, end): to the customer's next row, the last one to the as-of.
    end = np.empty(n, dtype=np.int64)
    end[:-1] = ms[1:]
    end[ends_customer] = as_of_ms + 1
    dormant_from = last + (settings.dormant_days + 1) * DAY_MS
    new_until = first + (settings.new_days + 1) * DAY_MS
    cut_1 = np.clip(np.minimum(dormant_from, new_until), ms, end)
    cut_2 = np.clip(np.maximum(dormant_from, new_until), ms, end)
    piece_start = np.stack([ms, cut_1, cut_2], axis=1)
    piece_end = np.stack([cut_1, cut_2, end], axis=1)
    # A customer exists from its first order on; an interval of no length (rows at one
    # instant, or a threshold outside the interval) is no piece.
    kept = (piece_end > piece_start) & (orders_so_far > 0)[:, None]
    row_of = np.broadcast_to(rows[:, None], (n, PIECES))[kept]
    t = piece_start[kept]
    t_end = piece_end[kept]
    del piece_start, piece_end, kept

    at_t = segments.Measures(
        order_count=orders_so_far[row_of],
        spend_cents=spend[row_of],
        last_days_ago=(t - last[row_of]) // DAY_MS,
        first_days_ago=(t - first[row_of]) // DAY_MS,
        lifespan_days=np.zeros(len(t), dtype=np.int64),  # the frequency's: no segment rule reads it
    )
    label = segments.segment_codes(at_t, settings)
    customer = codes[row_of]
    begins = np.ones(len(t), dtype=bool)
    begins[1:] = (customer[1:] != customer[:-1]) | (label[1:] != label[:-1])
    first_piece = np.flatnonzero(begins)
    last_piece = np.empty_like(first_piece)
    last_piece[:-1] = first_piece[1:] - 1
    last_piece[-1:] = len(t) - 1
    ongoing = t_end[last_piece] > as_of_ms
    return pd.DataFrame(
        {
            CUSTOMER: customer[first_piece],
            CONTACT_ID: ids.to_numpy()[customer[first_piece]],
            SEGMENT: pd.Categorical.from_codes(label[first_piece], categories=list(SEGMENTS)),
            FROM_MS: t[first_piece],
            TO_MS: np.where(ongoing, as_of_ms, t_end[last_piece]),
            ONGOING: ongoing,
        }
    ).astype({CONTACT_ID: "str"})


def _customer_time_order(codes: np.ndarray, ms: np.ndarray) -> np.ndarray:
    """The rows sorted by (customer, instant): one packed int64 key when the product of the
    customers and the span of instants fits, else a lexsort."""
    if len(ms) == 0:
        return np.zeros(0, dtype=np.int64)
    low, span = int(ms.min()), int(ms.max()) - int(ms.min()) + 1
    customers = int(codes.max()) + 1
    if customers * span < np.iinfo(np.int64).max:
        return np.argsort(codes * span + (ms - low), kind="stable")
    return np.lexsort((ms, codes))


def _running_sum(values: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Each row's sum of `values` over its customer's rows up to it (rows grouped by customer;
    `head` is each row's first row of its customer). A running sum over all rows minus the one
    before the customer's first row: the per-customer sums fit in int64 (metrics.per_customer
    refuses totals that do not), and int64 arithmetic wraps, so the difference is exact."""
    total = np.cumsum(values)
    return total - (total[head] - values[head])
