"""What is said about the orders counted, from per-customer first and last instants alone (no
pandas): JSON meta's extent (`ordersFrom`, `ordersTo`, `currency`) and the notice that the
newest order is long before now. reports.py and warm.py both say it from here."""

from __future__ import annotations

import numpy as np

from segcli.model.errors import Hint
from segcli.model.notices import Notice
from segcli.model.schema import DAY_MS, format_instant


def extent_meta(
    first: np.ndarray, last: np.ndarray, currency: str | None
) -> tuple[dict[str, object], int | None]:
    """JSON meta about the orders counted: the oldest and newest order instants (`ordersFrom`,
    `ordersTo`, from customers' first and last instants in epoch ms) and the currency, where
    known; and the newest order's instant (None: no orders)."""
    meta: dict[str, object] = {}
    newest = None
    if len(first):
        newest = int(last.max())
        meta["ordersFrom"] = format_instant(int(first.min()))
        meta["ordersTo"] = format_instant(newest)
    if currency is not None:
        meta["currency"] = currency
    return meta, newest


def stale(newest: int, now_ms: int, dormant_days: int) -> list[Notice]:
    """When the newest order is more than `dormant_days` before now (the default as-of), every
    customer but the VIPs is Dormant: say so, and which day to look from instead."""
    days = (now_ms - newest) // DAY_MS
    if days <= dormant_days:
        return []
    day = format_instant(newest)[:10]
    return [
        Notice(
            f"newest order {day}, {days:,} days before now: every customer but the VIPs is "
            f"Dormant; as of {day} the file shows its last day",
            hint=Hint.AS_OF,
        )
    ]
