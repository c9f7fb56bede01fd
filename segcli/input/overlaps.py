"""Orders that appear in more than one input file (overlapping monthly exports, say).

An order whose reference already appeared in an earlier file is a repeat: counted once when it is
the same order as an earlier copy (reference, customer, instant and total; the customer's details
may differ, so that the answer never depends on which details a command reads), and reported;
with a different customer, instant or total it is a conflict, which
`--strict` makes an error (otherwise both copies count, with a warning). Repeats inside one file
are that file's own business (presets fold line items before this). Vectorised: references are
hashed once, and only rows whose reference repeats are compared in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.model.schema import CONTACT_ID, ORDER_MS, ORDER_REFERENCE, SOURCE, TOTAL_CENTS


@dataclass(frozen=True)
class Overlaps:
    repeats: int  # later copies identical to an earlier file's, not counted again
    conflicts: int  # references from an earlier file seen again with different contents
    first_conflict: str | None  # one such reference, for the message


def drop_repeats(orders: pa.Table) -> tuple[pa.Table, Overlaps]:
    """Drop later files' identical copies of orders; count the conflicting ones."""
    if SOURCE not in orders.column_names:
        return orders, Overlaps(0, 0, None)
    references = pd.Series(orders[ORDER_REFERENCE].to_pandas(), dtype="str")
    repeated = references.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return orders.drop_columns([SOURCE]), Overlaps(0, 0, None)
    candidates = orders.filter(pa.array(repeated)).to_pandas()
    first_source = candidates.groupby(ORDER_REFERENCE, sort=False)[SOURCE].transform("min")
    from_later_file = (candidates[SOURCE] > first_source).to_numpy()
    fields = [ORDER_REFERENCE, CONTACT_ID, ORDER_MS, TOTAL_CENTS]  # the order, not its details
    identical = candidates.duplicated(subset=fields, keep="first").to_numpy()
    repeat = from_later_file & identical
    conflict = from_later_file & ~identical
    drop = np.zeros(len(orders), dtype=bool)
    drop[np.flatnonzero(repeated)[repeat]] = True
    conflicting = candidates[ORDER_REFERENCE][conflict]
    result = orders.filter(pa.array(~drop)).drop_columns([SOURCE])
    return result, Overlaps(
        repeats=int(repeat.sum()),
        conflicts=int(conflicting.nunique()),
        first_conflict=None if conflicting.empty else str(conflicting.iloc[0]),
    )
