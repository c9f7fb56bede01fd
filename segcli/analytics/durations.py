"""Segment periods -> time in each segment and the moves between segments (`breakdown
--history`): per segment, the customers who were ever in it, its spells (periods), and the mean
and median days of a spell, completed spells and ongoing ones apart (an ongoing spell has not
ended: its days so far understate it); and every move from one segment to the next over the
customers' whole histories, most common first.

Days are exact: (to - from) / DAY, in fractions of a day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from segcli.model.schema import (
    COMPLETED,
    DAY_MS,
    EVER,
    FROM_MS,
    HISTORY_CUSTOMER,
    MEAN_DAYS,
    MEDIAN_DAYS,
    MOVE_FROM,
    MOVE_TO,
    MOVES,
    ONGOING,
    SEGMENT,
    SEGMENTS,
    SPELLS,
    TO_MS,
    spell_column,
)


@dataclass(frozen=True)
class Durations:
    """`segments`: one row per segment, in display order: EVER, SPELLS, and for COMPLETED and
    ONGOING spells their count, mean and median days (spell_column; NaN days when none);
    `moves`: (from, to, count) for each move that happened, most common first, then in segment
    order; `customers`: customers with a history."""

    segments: pd.DataFrame
    moves: pd.DataFrame
    customers: int


def durations(periods: pd.DataFrame) -> Durations:
    """From history.periods: one row per period, by customer and time."""
    label = periods[SEGMENT].cat.codes.to_numpy(dtype=np.int64)
    customer = periods[HISTORY_CUSTOMER].to_numpy(dtype=np.int64)
    days = (periods[TO_MS].to_numpy() - periods[FROM_MS].to_numpy()) / DAY_MS
    ongoing = periods[ONGOING].to_numpy(dtype=bool)
    k = len(SEGMENTS)

    ever = np.unique(customer * k + label) % k
    table = pd.DataFrame(
        {EVER: np.bincount(ever, minlength=k), SPELLS: np.bincount(label, minlength=k)},
        index=pd.Index(list(SEGMENTS), name=SEGMENT),
    )
    for kind, chosen in ((COMPLETED, ~ongoing), (ONGOING, ongoing)):
        labels = pd.Categorical.from_codes(label[chosen], categories=list(SEGMENTS))
        spells = pd.Series(days[chosen]).groupby(labels, observed=False)
        table[spell_column(kind, SPELLS)] = spells.size().to_numpy()
        table[spell_column(kind, MEAN_DAYS)] = spells.mean().to_numpy()
        table[spell_column(kind, MEDIAN_DAYS)] = spells.median().to_numpy()

    moved = np.flatnonzero(customer[1:] == customer[:-1])  # period i -> i + 1 of one customer
    pairs = np.bincount(label[moved] * k + label[moved + 1], minlength=k * k)
    happened = np.flatnonzero(pairs)
    happened = happened[np.argsort(-pairs[happened], kind="stable")]  # ties: segment order
    names = np.array(SEGMENTS, dtype=object)
    moves = pd.DataFrame(
        {
            MOVE_FROM: names[happened // k],
            MOVE_TO: names[happened % k],
            MOVES: pairs[happened].astype(np.int64),
        }
    )
    return Durations(table, moves, len(np.unique(customer)))
