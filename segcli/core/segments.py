"""Customers -> lastOrderDaysAgo, purchaseFrequency and segment.

The two ordered rule tables below are the single truth for how customers are classified: the
first rule that holds gives the label (np.select), so the order of a table *is* its priority.
Labels and their display order come from schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segcli.model.schema import (
    ACTIVE,
    DAY_MS,
    DORMANT,
    FIRST_ORDER_MS,
    FREQUENCIES,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    MONTHLY,
    NEW,
    NO_ORDERS,
    OCCASIONAL,
    ONE_TIME,
    ORDER_COUNT,
    PURCHASE_FREQUENCY,
    QUARTERLY,
    SEGMENT,
    SEGMENTS,
    SPEND_CENTS,
    VIP,
    WEEKLY,
)
from segcli.model.settings import Settings


@dataclass(frozen=True)
class Measures:
    """The per-customer numbers the rules read (int64 arrays; day counts floored). For one
    customer (`first_label`), plain ints: the rules are comparisons that read either."""

    order_count: np.ndarray
    spend_cents: np.ndarray
    last_days_ago: np.ndarray  # floor((asOf - lastOrderDate) / DAY)
    first_days_ago: np.ndarray  # floor((asOf - firstOrderDate) / DAY)
    lifespan_days: np.ndarray  # floor((lastOrderDate - firstOrderDate) / DAY)


Rule = tuple[str, np.ndarray]


def segment_rules(m: Measures, s: Settings) -> list[Rule]:
    """SPEC §3 segments, first rule that holds; a customer matching none is Active."""
    return [
        (NEW, m.order_count == 0),
        (VIP, m.spend_cents > s.vip_threshold_cents),
        (DORMANT, m.last_days_ago > s.dormant_days),
        (NEW, m.first_days_ago <= s.new_days),
    ]


SEGMENT_DEFAULT = ACTIVE


def segment_codes(m: Measures, s: Settings) -> np.ndarray:
    """Each customer's segment as its index in SEGMENTS (what classify labels)."""
    return _codes(segment_rules(m, s), SEGMENT_DEFAULT, SEGMENTS)


def frequency_rules(m: Measures, s: Settings) -> list[Rule]:
    """SPEC §3 purchase frequency. `avg = lifespan / (orders - 1) <= band` is compared as
    `lifespan <= band * (orders - 1)`, exactly, in integers."""
    gaps = m.order_count - 1
    return [
        (NO_ORDERS, m.order_count == 0),
        (ONE_TIME, m.order_count == 1),
        (WEEKLY, m.lifespan_days <= s.weekly_days * gaps),
        (MONTHLY, m.lifespan_days <= s.monthly_days * gaps),
        (QUARTERLY, m.lifespan_days <= s.quarterly_days * gaps),
    ]


FREQUENCY_DEFAULT = OCCASIONAL


def frequency_codes(m: Measures, s: Settings) -> np.ndarray:
    """Each customer's purchase frequency as its index in FREQUENCIES (what classify labels)."""
    return _codes(frequency_rules(m, s), FREQUENCY_DEFAULT, FREQUENCIES)


def measures(customers: pd.DataFrame, as_of_ms: int) -> Measures:
    count = customers[ORDER_COUNT].to_numpy(dtype=np.int64)
    # A customer with no orders has no instants; the rules for 0 orders come first, so the
    # placeholder 0 never decides a label.
    first = customers[FIRST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)
    last = customers[LAST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)
    return Measures(
        order_count=count,
        spend_cents=customers[SPEND_CENTS].to_numpy(dtype=np.int64),
        last_days_ago=(as_of_ms - last) // DAY_MS,
        first_days_ago=(as_of_ms - first) // DAY_MS,
        lifespan_days=(last - first) // DAY_MS,
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
    codes = _codes(rules, default, categories)
    return pd.Categorical.from_codes(codes, categories=list(categories))


def _codes(rules: list[Rule], default: str, categories: tuple[str, ...]) -> np.ndarray:
    return np.select(
        [condition for _, condition in rules],
        [categories.index(label) for label, _ in rules],
        default=categories.index(default),
    )
