"""Counts, spend, share and average spend per category from numpy arrays alone (no pandas): the
arithmetic of `breakdown` (SPEC §5), which summary.py applies to a frame and warm.py to a cache
entry's customers."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SHARE_SCALE = 10_000  # share is rounded to 4 decimal places


class Tally(NamedTuple):
    """Per category, in category order."""

    count: np.ndarray  # int64
    spend_cents: np.ndarray  # int64, exact
    share: np.ndarray  # float64, count / all, rounded half up to 4 places (0.0 when none)
    avg_cents: np.ndarray  # int64, spend / count rounded half away from zero (0 where empty)
    empty: np.ndarray  # bool: no customer (its average is missing)


def tally(codes: np.ndarray, spend_cents: np.ndarray, categories: int) -> Tally:
    """The tally of customers whose category is `codes` (indexes into the categories)."""
    count = np.bincount(codes, minlength=categories).astype(np.int64)
    spend = np.zeros(categories, dtype=np.int64)
    np.add.at(spend, codes, spend_cents)  # exact in integers (a float sum would round)
    return of_counts(count, spend)


def of_counts(count: np.ndarray, spend_cents: np.ndarray) -> Tally:
    """The tally of categories whose counts and spends are known."""
    total = int(count.sum())
    share = (
        div_half_up(count * SHARE_SCALE, np.full_like(count, total)) / SHARE_SCALE
        if total
        else np.zeros(len(count))
    )
    avg = div_half_up(spend_cents, np.maximum(count, 1))
    return Tally(count, spend_cents, share, avg, count == 0)


def div_half_up(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator rounded half away from zero, in integers (denominator > 0)."""
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.where(numerator < 0, -magnitude, magnitude)
