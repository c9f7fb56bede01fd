"""Classified customers -> RFM scores (1-5 each, or 1-10 with `rfm-scale = 10`) and a named RFM
segment.

Scores are tie-consistent ranks: a customer's score on a measure is `1 + floor(scale * w / n)`,
where `w` counts the customers strictly worse on it and `n` is every customer, so identical
values always get identical scores. Recency is lastOrderDaysAgo (fewer days is better; a
customer with no orders is the worst), frequency is orderCount, monetary is totalSpend.

The named segment is the first rule of the settings' RFM table for the scale whose three ranges
hold, else Others (np.select: the order of the table is its priority).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segcli.model.schema import (
    LAST_ORDER_DAYS_AGO,
    ORDER_COUNT,
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    SPEND_CENTS,
)
from segcli.model.settings import DEFAULT_RFM_SCALE, RFM_OTHERS, Settings

_NO_ORDERS_DAYS = np.iinfo(np.int64).max  # the worst recency of all


def tie_scores(goodness: np.ndarray, scale: int = DEFAULT_RFM_SCALE) -> np.ndarray:
    """1 + floor(scale * w / n) for each value, w = how many values are strictly less."""
    n = len(goodness)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    worse = np.searchsorted(np.sort(goodness), goodness, side="left").astype(np.int64)
    return 1 + (scale * worse) // n


def score_texts(
    recency: np.ndarray, frequency: np.ndarray, monetary: np.ndarray, scale: int
) -> np.ndarray:
    """rfmScore: on scale 5 the three scores as digits ("545"); on 10 always joined by "-"
    ("10-9-7", "3-1-10", "2-2-2"), so that a score reads the same whatever its width."""
    if scale == DEFAULT_RFM_SCALE:
        digits = pd.Series(recency * 100 + frequency * 10 + monetary, dtype=np.int64)
        return digits.astype("str").to_numpy()
    r, f, m = (pd.Series(s, dtype=np.int64).astype("str") for s in (recency, frequency, monetary))
    return (r + "-" + f + "-" + m).to_numpy()


def score(customers: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add rfmRecency, rfmFrequency, rfmMonetary (int64), rfmScore ("545", or "10-9-7" on
    scale 10) and rfmSegment (a categorical in table order, then Others)."""
    scale = settings.rfm_scale
    days = customers[LAST_ORDER_DAYS_AGO].to_numpy(dtype=np.int64, na_value=_NO_ORDERS_DAYS)
    recency = tie_scores(-days, scale)  # fewer days is better; -INT64_MAX is still an int64
    frequency = tie_scores(customers[ORDER_COUNT].to_numpy(dtype=np.int64), scale)
    monetary = tie_scores(customers[SPEND_CENTS].to_numpy(dtype=np.int64), scale)
    return customers.assign(
        **{
            RFM_RECENCY: recency,
            RFM_FREQUENCY: frequency,
            RFM_MONETARY: monetary,
            RFM_SCORE: pd.array(score_texts(recency, frequency, monetary, scale), dtype="str"),
            RFM_SEGMENT: name_segments(recency, frequency, monetary, settings),
        }
    )


def name_segments(
    recency: np.ndarray, frequency: np.ndarray, monetary: np.ndarray, settings: Settings
) -> pd.Categorical:
    """The first rule of the RFM table whose three ranges hold, else Others."""
    labels = settings.rfm_labels()
    conditions = [
        _within(recency, rule.recency)
        & _within(frequency, rule.frequency)
        & _within(monetary, rule.monetary)
        for rule in settings.rfm_table()
    ]
    codes = np.select(conditions, list(range(len(conditions))), default=labels.index(RFM_OTHERS))
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _within(scores: np.ndarray, bounds: tuple[int, int]) -> np.ndarray:
    low, high = bounds
    return (scores >= low) & (scores <= high)
