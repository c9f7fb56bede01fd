"""Customers (a frame) -> lastOrderDaysAgo, purchaseFrequency and segment.

The two ordered rule tables are in rules.py (numpy only, so that a warm run can classify without
pandas): the single truth for how customers are classified. This module applies them to a frame
and labels the result with categoricals in display order (schema.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segcli.core.rules import (  # the rule tables: one place, over numpy (no pandas there)
    FREQUENCY_DEFAULT,
    SEGMENT_DEFAULT,
    Measures,
    Rule,
    codes,
    frequency_codes,
    frequency_rules,
    measures_of,
    segment_codes,
    segment_rules,
)
from segcli.model.schema import (
    DAY_MS,
    FIRST_ORDER_MS,
    FREQUENCIES,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    ORDER_COUNT,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SEGMENTS,
    SPEND_CENTS,
)
from segcli.model.settings import Settings

__all__ = [
    "FREQUENCY_DEFAULT", "SEGMENT_DEFAULT", "Measures", "Rule", "classify", "frequency_codes",
    "first_label", "frequency_rules", "measures", "segment_codes", "segment_rules", "stable_span",
]  # fmt: skip


def measures(customers: pd.DataFrame, as_of_ms: int) -> Measures:
    # A customer with no orders has no instants; the rules for 0 orders come first, so the
    # placeholder 0 never decides a label.
    return measures_of(
        customers[ORDER_COUNT].to_numpy(dtype=np.int64),
        customers[SPEND_CENTS].to_numpy(dtype=np.int64),
        customers[FIRST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0),
        customers[LAST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0),
        as_of_ms,
    )


def stable_span(customers: pd.DataFrame, as_of_ms: int) -> tuple[int, int]:
    """The instants [start, end) around `as_of_ms` in which every customer's day counts, and so
    every label `classify` gives, are what they are at `as_of_ms`: the next day boundary of any
    customer's first or last order is where it ends. With 100k customers that is about a
    second; a server answering many requests a second classifies once in it."""
    first = customers[FIRST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)
    last = customers[LAST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)
    into_day = np.concatenate([(as_of_ms - first) % DAY_MS, (as_of_ms - last) % DAY_MS])
    if not len(into_day):
        return as_of_ms, as_of_ms + 1
    return as_of_ms - int(into_day.min()), as_of_ms + DAY_MS - int(into_day.max())


def classify(customers: pd.DataFrame, as_of_ms: int, settings: Settings) -> pd.DataFrame:
    """Add lastOrderDaysAgo (Int64, missing for 0 orders), purchaseFrequency and segment
    (categoricals in display order)."""
    m = measures(customers, as_of_ms)
    days = pd.array(m.last_days_ago, dtype="Int64")
    days[m.order_count == 0] = pd.NA
    return customers.assign(
        **{
            LAST_ORDER_DAYS_AGO: days,
            PURCHASE_FREQUENCY: _label(
                frequency_rules(m, settings), FREQUENCY_DEFAULT, FREQUENCIES
            ),
            SEGMENT: _label(segment_rules(m, settings), SEGMENT_DEFAULT, SEGMENTS),
        }
    )


def first_label(rules: list[Rule], default: str) -> str:
    """One customer's label from rules built on a Measures of plain ints: the first that holds,
    as np.select picks it for many (a server's `show` answers one customer; np.select on
    one-element arrays costs tens of microseconds more)."""
    return next((label for label, holds in rules if holds), default)


def _label(rules: list[Rule], default: str, categories: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes(rules, default, categories), categories=list(categories))
