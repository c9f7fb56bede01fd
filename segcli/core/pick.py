"""Which customers a `list` keeps and in what order (SPEC §4), over numpy and Arrow columns
without pandas: the filters and the sort that select.py applies to a frame and warm.py to a
cache entry's customers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.buffers import buffer_numpy


@dataclass(frozen=True)
class Filters:
    """`list` filters, combined with AND; several segments or frequencies are OR'ed."""

    segments: tuple[str, ...] = ()
    frequencies: tuple[str, ...] = ()
    min_days: int | None = None
    max_days: int | None = None
    min_spend_cents: int | None = None
    max_spend_cents: int | None = None
    rfm_segments: tuple[str, ...] = ()  # needs RFM scores (rfm.score)
    min_churn: float | None = None  # these three need predictions (analytics.predict)
    max_churn: float | None = None
    min_clv_cents: int | None = None

    def predicted(self) -> bool:
        """Whether a filter needs the predictions."""
        return any(v is not None for v in (self.min_churn, self.max_churn, self.min_clv_cents))


def within(
    keep: np.ndarray, values: np.ndarray, low: float | None, high: float | None
) -> np.ndarray:
    """`keep` narrowed to values in [low, high] (None: unbounded on that side)."""
    if low is not None:
        keep &= values >= low
    if high is not None:
        keep &= values <= high
    return keep


def ranks(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Each value's position in Arrow's sorted order (code-point order, as Python compares
    strings; equal values: the same rank); missing last."""
    indices = pc.array_sort_indices(values, null_placement="at_end")
    positions = buffer_numpy(indices)
    sorted_values = values.take(indices)
    if isinstance(sorted_values, pa.ChunkedArray):
        sorted_values = sorted_values.combine_chunks()
    starts = np.ones(len(positions), dtype=bool)
    if len(positions) > 1:
        same = pc.equal(sorted_values[1:], sorted_values[:-1])
        starts[1:] = ~buffer_numpy(pc.and_kleene(same, pc.is_valid(same)))  # null: not same
    out = np.empty(len(positions), dtype=np.int64)
    out[positions] = np.cumsum(starts) - 1
    return out


def sorted_positions(
    ids: np.ndarray, key: np.ndarray | None, missing: np.ndarray | None, *, descending: bool
) -> np.ndarray:
    """The positions that sort by `key` (missing values last), ties by `ids` (ranks of the
    contactIDs) ascending; without `key`, by the ids themselves in the direction asked."""
    if key is None:
        return np.argsort(-ids if descending else ids, kind="stable")
    missing = np.zeros(len(ids), dtype=bool) if missing is None else missing
    return np.lexsort((ids, -key if descending else key, missing))
