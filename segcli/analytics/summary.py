"""Classified customers -> counts, share, total and average spend per category (`breakdown`,
`rfm`), and counts per pair of categories (`breakdown --cross`, `transitions`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segcli.analytics import tally
from segcli.model.schema import (
    AVG_SPEND_CENTS,
    CLV_CENTS,
    COUNT,
    EXPECTED_ORDERS,
    FREQUENCIES,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SEGMENTS,
    SHARE,
    SPEND_CENTS,
    TOTAL_SPEND_CENTS,
)

BREAKDOWNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "segment": (SEGMENT, SEGMENTS),
    "frequency": (PURCHASE_FREQUENCY, FREQUENCIES),
}


def breakdown(customers: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per category of `by` ('segment' or 'frequency'), every category, in order."""
    column, categories = BREAKDOWNS[by]
    table = counts_by(customers, column, categories, name=by)
    if EXPECTED_ORDERS in customers.columns:  # with predictions: what each category will bring
        grouped = customers.groupby(column, observed=False)[[EXPECTED_ORDERS, CLV_CENTS]].sum()
        table = table.join(grouped.reindex(list(categories), fill_value=0.0))
    return table


def counts_by(
    customers: pd.DataFrame, column: str, categories: tuple[str, ...], *, name: str | None = None
) -> pd.DataFrame:
    """One row per category of `column`, every category in `categories`, in that order.

    share = count / all customers, rounded half up to 4 places (0.0 when there are none);
    avgSpendCents = spend / count rounded half away from zero to the cent (missing when empty).
    """
    grouped = customers.groupby(column, observed=False)[SPEND_CENTS]
    table = pd.DataFrame({COUNT: grouped.size(), TOTAL_SPEND_CENTS: grouped.sum()})
    table = table.reindex(list(categories), fill_value=0).astype(np.int64)
    tallied = tally.of_counts(table[COUNT].to_numpy(), table[TOTAL_SPEND_CENTS].to_numpy())
    return tallied_table(tallied, categories, name or column)


def tallied_table(tallied: tally.Tally, categories: tuple[str, ...], name: str) -> pd.DataFrame:
    """The table of a tally (counts_by's, or warm.py's from a cache entry): one row per
    category, in order, indexed by the category named `name`."""
    index = pd.Index(list(categories), dtype="str", name=name)
    table = pd.DataFrame(
        {COUNT: tallied.count, SHARE: tallied.share, TOTAL_SPEND_CENTS: tallied.spend_cents},
        index=index,
    )
    avg = pd.array(tallied.avg_cents, dtype="Int64")
    avg[tallied.empty] = pd.NA
    table[AVG_SPEND_CENTS] = avg
    return table[[COUNT, SHARE, TOTAL_SPEND_CENTS, AVG_SPEND_CENTS]]


def crosstab(
    rows: pd.Series,
    columns: pd.Series,
    row_labels: tuple[str, ...],
    column_labels: tuple[str, ...],
) -> pd.DataFrame:
    """Counts of each (row label, column label) pair, every label in the given order, zeros
    included. `rows` and `columns` are aligned label series; every value is one of the labels."""
    row_codes = pd.Categorical(rows, categories=list(row_labels)).codes.astype(np.int64)
    column_codes = pd.Categorical(columns, categories=list(column_labels)).codes.astype(np.int64)
    if (row_codes < 0).any() or (column_codes < 0).any():
        raise ValueError("crosstab: a value is not one of the labels")
    cells = np.bincount(
        row_codes * len(column_labels) + column_codes,
        minlength=len(row_labels) * len(column_labels),
    ).reshape(len(row_labels), len(column_labels))
    return pd.DataFrame(cells, index=list(row_labels), columns=list(column_labels))
