"""Rows that share an orderReference inside one input are the lines of one order (SPEC §1).

Each order counts once, at its lines' earliest instant. Its total is the exact sum of its lines'
totals when the file's total column holds line amounts, or the one value repeated on its lines
when it holds the order's total: decided per input file by one rule (every multi-line order
carrying one identical total on all its lines means order totals), unless the user says which.
An order whose lines name different customers, or one of whose lines was skipped, is skipped
whole: a partial sum would be a confident wrong total.

Orders are numbered while shaping (`input/orders.py`); here they are checked and folded, with
ufunc reductions by order number. No loop touches a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segcli.model.options import LINE_ONCE, LINE_SUM
from segcli.model.schema import ORDER_MS, TOTAL_CENTS


@dataclass(frozen=True)
class Decision:
    """How one file's total column was read."""

    label: str
    rows: int  # rows counted, before folding
    orders: int  # orders they folded into
    multi_line: int  # orders with several lines
    differing: int  # of those, orders whose lines carry different totals
    mode: str  # LINE_SUM or LINE_ONCE
    given: bool  # the user (or a quantity x unit price total) said so


def whole_orders(
    numbers: np.ndarray, keep: np.ndarray, contacts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows to skip with their order: (lines of orders that name several customers, lines of
    orders another line of which is skipped). `contacts` are customer codes (-1: missing)."""
    size = int(numbers.max()) + 1 if len(numbers) else 0
    named = contacts >= 0
    low = np.full(size, np.iinfo(np.int64).max)
    high = np.full(size, -1)
    np.minimum.at(low, numbers[named], contacts[named])
    np.maximum.at(high, numbers[named], contacts[named])
    conflicting = (high > low)[numbers]
    lost = np.bincount(numbers[~keep], minlength=size) > 0
    partial = lost[numbers] & keep & ~conflicting
    return conflicting & keep, partial


def fold(
    orders: pa.Table,
    numbers: np.ndarray,
    sources: np.ndarray,
    labels: Sequence[str],
    modes: Sequence[str | None],
) -> tuple[pa.Table, tuple[Decision, ...]]:
    """One row per order: the first line's row, at the lines' earliest instant, with the total
    summed or counted once as each source's mode says (None: decided by the rule above).
    `numbers` and `sources` are per row of `orders` (the rows counted)."""
    _, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    size = len(first)
    lines = np.bincount(inverse, minlength=size)
    ms = orders[ORDER_MS].to_numpy().astype(np.int64, copy=False)
    cents = orders[TOTAL_CENTS].to_numpy().astype(np.int64, copy=False)
    earliest = np.full(size, np.iinfo(np.int64).max)
    np.minimum.at(earliest, inverse, ms)
    low = np.full(size, np.iinfo(np.int64).max)
    high = np.full(size, np.iinfo(np.int64).min)
    np.minimum.at(low, inverse, cents)
    np.maximum.at(high, inverse, cents)
    summed = np.zeros(size, dtype=np.int64)
    np.add.at(summed, inverse, cents)
    order_source = sources[first]
    total = cents[first].copy()
    decisions = []
    for k, label in enumerate(labels):
        mine = order_source == k
        if not mine.any():
            continue
        multi = mine & (lines > 1)
        differing = int((multi & (high != low)).sum())
        mode = modes[k] or (LINE_SUM if differing else LINE_ONCE)
        if mode == LINE_SUM:
            total[mine] = summed[mine]
        decisions.append(
            Decision(
                label=label,
                rows=int(lines[mine].sum()),
                orders=int(mine.sum()),
                multi_line=int(multi.sum()),
                differing=differing,
                mode=mode,
                given=modes[k] is not None,
            )
        )
    order = np.argsort(first, kind="stable")  # orders in input order, by their first line
    folded = orders.take(pa.array(first[order]))
    folded = folded.set_column(
        folded.schema.get_field_index(ORDER_MS), ORDER_MS, pa.array(earliest[order])
    )
    folded = folded.set_column(
        folded.schema.get_field_index(TOTAL_CENTS), TOTAL_CENTS, pa.array(total[order])
    )
    return folded, tuple(decisions)
