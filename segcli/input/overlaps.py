"""Orders that appear in more than one input file (overlapping monthly exports, say).

An order is its reference and its customer (SPEC §1): the same reference for a different customer
is a different order (two shops' numbering), and both count. An order that a later file repeats
exactly (the same instant and total; the customer's details may differ, so that the answer never
depends on which details a command reads) counts once, as its first copy. An order whose copies
differ is replaced by the latest file's copy, and reported; `--strict` makes that an error.
Repeats inside one file are its lines (folded before this). Vectorised: references are hashed
once, and only rows whose reference repeats are compared in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.model.schema import CONTACT_ID, ORDER_MS, ORDER_REFERENCE, SOURCE, TOTAL_CENTS


@dataclass(frozen=True)
class Overlaps:
    repeats: int  # later copies identical to an earlier file's, not counted again
    replaced: int  # orders whose copies differ: the latest file's copy counts
    first_replaced: str | None  # one such reference, for the message
    # the distinct references of those orders, and the row of the first one's first copy: what
    # the dask engine adds up over partitions that each hold some of the customers
    references: np.ndarray | None = None
    first_row: int | None = None


def drop_repeats(orders: pa.Table) -> tuple[pa.Table, Overlaps]:
    """Keep one copy of each order that several files hold: see the module's docstring."""
    if SOURCE not in orders.column_names:
        return orders, Overlaps(0, 0, None)
    references = pd.Series(orders[ORDER_REFERENCE].to_pandas(), dtype="str")
    repeated = references.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return orders.drop_columns([SOURCE]), Overlaps(0, 0, None)
    rows = np.flatnonzero(repeated)
    subset = orders.filter(pa.array(repeated))
    contacts = pc.dictionary_encode(subset[CONTACT_ID]).combine_chunks()
    candidates = pd.DataFrame(
        {
            "reference": subset[ORDER_REFERENCE].to_pandas(),
            "contact": contacts.indices.to_numpy(zero_copy_only=False),
            "ms": subset[ORDER_MS].to_numpy(),
            "cents": subset[TOTAL_CENTS].to_numpy(),
            "source": subset[SOURCE].to_numpy(),
        }
    )
    order = candidates.groupby(["reference", "contact"], sort=False)
    copies = order["source"].transform("size").to_numpy() > 1
    same = (order["ms"].transform("nunique") == 1) & (order["cents"].transform("nunique") == 1)
    same = same.to_numpy()
    later_copy = candidates.duplicated(subset=["reference", "contact"], keep="first").to_numpy()
    latest = (candidates["source"] == order["source"].transform("max")).to_numpy()
    drop = np.zeros(len(orders), dtype=bool)
    drop[rows] = copies & np.where(same, later_copy, ~latest)
    replaced = candidates.loc[copies & ~same, "reference"]
    references = replaced.unique()
    result = orders.filter(pa.array(~drop)).drop_columns([SOURCE])
    return result, Overlaps(
        repeats=int((copies & same & later_copy).sum()),
        replaced=len(references),
        first_replaced=None if replaced.empty else str(replaced.iloc[0]),
        references=np.asarray(references, dtype=object),
        first_row=None if replaced.empty else int(rows[replaced.index[0]]),
    )
