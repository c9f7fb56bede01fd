"""The segment and purchase-frequency rules over numpy arrays, without pandas: the single truth
for how customers are classified (segments.py labels a frame with them; warm.py answers from a
cache entry with them). The first rule that holds gives the label (np.select), so the order of a
table *is* its priority. Labels and their display order come from schema.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segcli.model.schema import (
    ACTIVE,
    DAY_MS,
    DORMANT,
    FREQUENCIES,
    MONTHLY,
    NEW,
    NO_ORDERS,
    OCCASIONAL,
    ONE_TIME,
    QUARTERLY,
    SEGMENTS,
    VIP,
    WEEKLY,
)
from segcli.model.settings import Settings


@dataclass(frozen=True)
class Measures:
    """The per-customer numbers the rules read (int64 arrays; day counts floored). For one
    customer (`segments.first_label`), plain ints: the rules are comparisons that read either."""

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
    return codes(segment_rules(m, s), SEGMENT_DEFAULT, SEGMENTS)


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
    return codes(frequency_rules(m, s), FREQUENCY_DEFAULT, FREQUENCIES)


def measures_of(
    order_count: np.ndarray, spend_cents: np.ndarray, first_ms: np.ndarray, last_ms: np.ndarray,
    as_of_ms: int,
) -> Measures:  # fmt: skip
    """The Measures of customers given as int64 arrays (first and last instants in epoch ms; a
    customer with no orders has placeholders there, which the rules for 0 orders never read)."""
    return Measures(
        order_count=order_count,
        spend_cents=spend_cents,
        last_days_ago=(as_of_ms - last_ms) // DAY_MS,
        first_days_ago=(as_of_ms - first_ms) // DAY_MS,
        lifespan_days=(last_ms - first_ms) // DAY_MS,
    )


def codes(rules: list[Rule], default: str, categories: tuple[str, ...]) -> np.ndarray:
    """Each customer's label, by the first rule that holds, as its index in `categories`."""
    return np.select(
        [condition for _, condition in rules],
        [categories.index(label) for label, _ in rules],
        default=categories.index(default),
    )
