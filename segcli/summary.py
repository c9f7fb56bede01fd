"""Classified customers -> counts, share, total and average spend per category (`breakdown`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segcli.schema import FREQUENCIES, PURCHASE_FREQUENCY, SEGMENT, SEGMENTS, SPEND_CENTS

SHARE_SCALE = 10_000  # share is rounded to 4 decimal places
BREAKDOWNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "segment": (SEGMENT, SEGMENTS),
    "frequency": (PURCHASE_FREQUENCY, FREQUENCIES),
}

COUNT = "count"
SHARE = "share"
TOTAL_SPEND_CENTS = "totalSpendCents"
AVG_SPEND_CENTS = "avgSpendCents"


def breakdown(customers: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per category of `by` ('segment' or 'frequency'), every category, in order.

    share = count / all customers, rounded half up to 4 places (0.0 when there are none);
    avgSpendCents = spend / count rounded half away from zero to the cent (missing when empty).
    """
    column, categories = BREAKDOWNS[by]
    grouped = customers.groupby(column, observed=False)[SPEND_CENTS]
    table = pd.DataFrame({COUNT: grouped.size(), TOTAL_SPEND_CENTS: grouped.sum()})
    table = table.reindex(list(categories), fill_value=0).astype(np.int64)
    count = table[COUNT].to_numpy()
    spend = table[TOTAL_SPEND_CENTS].to_numpy()
    total = int(count.sum())
    table[SHARE] = (
        _div_half_up(count * SHARE_SCALE, np.full_like(count, total)) / SHARE_SCALE
        if total
        else np.zeros(len(count))
    )
    avg = pd.array(_div_half_up(spend, np.maximum(count, 1)), dtype="Int64")
    avg[count == 0] = pd.NA
    table[AVG_SPEND_CENTS] = avg
    table.index.name = by
    return table[[COUNT, SHARE, TOTAL_SPEND_CENTS, AVG_SPEND_CENTS]]


def _div_half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator rounded half away from zero, in integers (denominator > 0)."""
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.where(numerator < 0, -magnitude, magnitude)
