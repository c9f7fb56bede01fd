"""Segment histories for `segcli.api`: each customer's periods from the orders (core/history),
one customer's for `history`, and the time spent in each segment with the moves between
segments for `breakdown --history` (analytics/durations)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from segcli.analytics import durations as durations_stage
from segcli.core import history
from segcli.loading import Loaded, classify_at
from segcli.model.schema import CONTACT_ID, HISTORY_CUSTOMER
from segcli.model.settings import Settings
from segcli.results import History


def customer_history(
    loaded: Loaded, contact_id: str, settings: Settings, as_of_ms: int | None
) -> History:
    """The customer `contact_id` is (found as `show` finds one; NotFoundError when there is
    none), and its periods up to the as-of. A customer known only from a contacts file has no
    orders and no periods."""
    at = classify_at(loaded, as_of_ms, settings, only=contact_id)
    orders = _orders(loaded)
    found = str(at.customers[CONTACT_ID].iloc[0])
    mine = orders.filter(pc.is_in(orders[CONTACT_ID], value_set=pa.array([found])))
    periods = history.periods(mine, at.as_of_ms, settings).drop(columns=[HISTORY_CUSTOMER])
    return History(periods, at.customers, at.as_of_ms, settings, at.notices, at.meta)


def durations(loaded: Loaded, settings: Settings, as_of_ms: int) -> durations_stage.Durations:
    """Time in each segment and the moves between segments, over every customer's history."""
    with loaded.timings.stage("history"):
        return durations_stage.durations(history.periods(_orders(loaded), as_of_ms, settings))


def _orders(loaded: Loaded) -> pa.Table:
    if loaded.orders is None:
        raise ValueError("the orders were not loaded: a history needs them (keep_orders=True)")
    return loaded.orders
