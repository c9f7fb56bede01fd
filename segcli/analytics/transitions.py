"""Two classifications of the same customers (at --from and at --to) -> how segments moved.

Every customer who exists at --to has a row in the matrix: the segment they had at --from, or
`(none)` when they had no orders yet then. Matching is by contactID (an index lookup, no loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segcli.analytics.summary import crosstab
from segcli.model.schema import CONTACT_ID, NOT_YET, SEGMENT, SEGMENTS

FROM_SEGMENTS: tuple[str, ...] = (*SEGMENTS, NOT_YET)  # the matrix's rows
TO_SEGMENTS: tuple[str, ...] = SEGMENTS  # the matrix's columns
FROM_SEGMENT = "fromSegment"
TO_SEGMENT = "toSegment"
COUNT = "count"


def earlier_segments(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    """For each customer of `after` (aligned with it), their segment in `before`, or `(none)`."""
    position = pd.Index(before[CONTACT_ID]).get_indexer(after[CONTACT_ID])
    labels = np.asarray(FROM_SEGMENTS, dtype=object)
    codes = np.full(len(after), FROM_SEGMENTS.index(NOT_YET), dtype=np.int64)
    found = position >= 0
    codes[found] = before[SEGMENT].cat.codes.to_numpy()[position[found]]
    return pd.Series(labels[codes], index=after.index, dtype="str")


def matrix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Counts: rows are the segment at --from (and `(none)`), columns the segment at --to."""
    return crosstab(
        earlier_segments(before, after),
        after[SEGMENT].astype("str"),
        FROM_SEGMENTS,
        TO_SEGMENTS,
    )


def movements(table: pd.DataFrame) -> pd.DataFrame:
    """The off-diagonal cells with any customers, biggest first (ties in matrix order)."""
    cells = table.stack()
    cells.index = cells.index.set_names([FROM_SEGMENT, TO_SEGMENT])
    frame = cells.rename(COUNT).reset_index()
    moved = frame[(frame[FROM_SEGMENT] != frame[TO_SEGMENT]) & (frame[COUNT] > 0)]
    return moved.sort_values(COUNT, ascending=False, kind="stable").reset_index(drop=True)


def moved(before: pd.DataFrame, after: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """The customers of `after` (as they are at --to) who went from `source` to `target`."""
    earlier = earlier_segments(before, after).to_numpy()
    keep = (earlier == source) & (after[SEGMENT].astype("str").to_numpy() == target)
    return after[keep]
