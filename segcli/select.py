"""Filter, sort and paginate classified customers (SPEC §4, `list` and `show`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segcli.errors import NotFoundError
from segcli.schema import (
    COMPANY,
    CONTACT_ID,
    DEFAULT_SORT,
    EMAIL,
    LAST_ORDER_DAYS_AGO,
    NAME,
    PURCHASE_FREQUENCY,
    RFM_SEGMENT,
    SEGMENT,
    SORT_FIELDS,
    SPEND_CENTS,
)

_TEXT_SORT = {NAME, EMAIL, COMPANY}  # sorted ignoring case


@dataclass(frozen=True)
class Filters:
    """`list` filters, combined with AND; several segments or frequencies are OR'ed."""

    segments: tuple[str, ...] = ()
    frequencies: tuple[str, ...] = ()
    min_days: int | None = None
    max_days: int | None = None
    min_spend_cents: int | None = None
    max_spend_cents: int | None = None
    rfm_segments: tuple[str, ...] = ()  # needs RFM scores (rfm.score)


def filter_customers(customers: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    keep = np.ones(len(customers), dtype=bool)
    if filters.segments:
        keep &= customers[SEGMENT].isin(filters.segments).to_numpy()
    if filters.frequencies:
        keep &= customers[PURCHASE_FREQUENCY].isin(filters.frequencies).to_numpy()
    if filters.rfm_segments:
        keep &= customers[RFM_SEGMENT].isin(filters.rfm_segments).to_numpy()
    days = customers[LAST_ORDER_DAYS_AGO]
    if filters.min_days is not None:
        keep &= (days >= filters.min_days).to_numpy(dtype=bool, na_value=False)
    if filters.max_days is not None:
        keep &= (days <= filters.max_days).to_numpy(dtype=bool, na_value=False)
    spend = customers[SPEND_CENTS].to_numpy()
    if filters.min_spend_cents is not None:
        keep &= spend >= filters.min_spend_cents
    if filters.max_spend_cents is not None:
        keep &= spend <= filters.max_spend_cents
    return customers[keep]


def sort_customers(
    customers: pd.DataFrame, field: str = DEFAULT_SORT, *, descending: bool = True
) -> pd.DataFrame:
    """Sort by one field (missing values last), ties by contactID ascending."""
    column = SORT_FIELDS[field]
    if column == CONTACT_ID:
        return customers.sort_values(CONTACT_ID, ascending=not descending, kind="stable")

    def key(values: pd.Series) -> pd.Series:
        return values.str.casefold() if values.name in _TEXT_SORT else values

    return customers.sort_values(
        [column, CONTACT_ID],
        ascending=[not descending, True],
        na_position="last",
        kind="stable",
        key=key,
    )


def paginate(customers: pd.DataFrame, limit: int | None, offset: int = 0) -> pd.DataFrame:
    stop = None if limit is None else offset + limit
    return customers.iloc[offset:stop]


def find(customers: pd.DataFrame, contact_id: str) -> pd.DataFrame:
    """The one-row frame of a customer, or NotFoundError. Ids are compared trimmed, as loaded."""
    contact_id = contact_id.strip()
    match = customers[customers[CONTACT_ID].to_numpy() == contact_id]
    if match.empty:
        raise NotFoundError(f"no customer with contactID '{contact_id}'")
    return match


def select(
    customers: pd.DataFrame,
    filters: Filters,
    *,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """Filter, sort and paginate; also return how many matched before pagination."""
    matched = sort_customers(filter_customers(customers, filters), sort, descending=descending)
    return paginate(matched, limit, offset), len(matched)
