"""Counted orders -> one row per customer: order count, spend in cents, first and last instant,
the latest order's reference, and each detail from the latest order that has it."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
_KEY = "_customer"


def cut_at(orders: pd.DataFrame, as_of_ms: int) -> tuple[pd.DataFrame, int]:
    """Orders dated after the as-of instant had not happened yet: drop them, say how many."""
    later = orders[ORDER_MS].to_numpy() > as_of_ms
    excluded = int(np.count_nonzero(later))
    return (orders[~later] if excluded else orders), excluded


def per_customer(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per contactID, in order of first appearance (SPEC §3, before classification).

    "Latest" means the greatest orderMs; among orders at the same instant, the one that comes
    later in the input. A stable sort on orderMs keeps input order among ties, so the last row of
    each customer in that order is the latest, and groupby's `last` (which skips missing values)
    gives each detail from the latest order that has one.
    """
    cents = orders[TOTAL_CENTS].to_numpy()
    if len(cents) and int(np.abs(cents).max()) * len(cents) > _INT64_MAX:
        raise InvalidInputError("the order totals are too large to sum exactly in cents")

    codes, contact_ids = pd.factorize(orders[CONTACT_ID], sort=False)
    keyed = orders.assign(**{_KEY: codes})
    totals = keyed.groupby(_KEY, sort=True).agg(
        **{
            ORDER_COUNT: (ORDER_MS, "size"),
            SPEND_CENTS: (TOTAL_CENTS, "sum"),
            FIRST_ORDER_MS: (ORDER_MS, "min"),
            LAST_ORDER_MS: (ORDER_MS, "max"),
        }
    )
    latest = (
        keyed[[_KEY, ORDER_MS, ORDER_REFERENCE, *DETAIL_COLUMNS]]  # only what `last` reads
        .sort_values(ORDER_MS, kind="stable")
        .groupby(_KEY, sort=True)[[ORDER_REFERENCE, *DETAIL_COLUMNS]]
        .last()
        .rename(columns={ORDER_REFERENCE: LAST_ORDER_REFERENCE})
    )
    customers = totals.join(latest)
    customers.insert(0, CONTACT_ID, pd.array(contact_ids.to_numpy(), dtype="str"))
    customers = customers.reset_index(drop=True)
    return customers[list(CUSTOMER_COLUMNS)].astype(
        {
            ORDER_COUNT: np.int64,
            SPEND_CENTS: np.int64,
            FIRST_ORDER_MS: np.int64,
            LAST_ORDER_MS: np.int64,
        }
    )
