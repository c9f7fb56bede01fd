"""Which rows are lines of one order: rows that share an orderReference inside one input
(SPEC §1). Numbered here, while the rows are still those of the file; `core/lines.py` folds them.

Vectorised: a file whose references are sorted (either way) is checked by comparing neighbours,
which is what nearly every export is; any other is dictionary-encoded.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.arrow import as_numpy


def order_numbers(reference: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """Per row, the number of its order (0, 1, ... by first appearance; rows sharing a reference
    share a number; a missing reference is an order of its own), or None when no reference
    repeats, which is by far the usual case and costs one or two passes of comparisons."""
    n = len(reference)
    if n < 2:
        return None
    present = reference if reference.null_count == 0 else reference.drop_null()
    earlier, later = present[:-1], present[1:]
    if len(present) < 2:
        return None
    ordered = (
        pc.all(pc.less_equal(earlier, later)).as_py()
        or pc.all(pc.greater_equal(earlier, later)).as_py()
    )
    if ordered:
        if not pc.any(pc.equal(earlier, later)).as_py():
            return None
    codes = pc.dictionary_encode(reference)
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.unify_dictionaries()
        indices = np.concatenate(
            [as_numpy(pc.fill_null(c.indices, -1)).astype(np.int64) for c in codes.chunks]
            or [np.zeros(0, dtype=np.int64)]
        )
        size = len(codes.chunks[0].dictionary) if codes.num_chunks else 0
    else:
        indices = as_numpy(pc.fill_null(codes.indices, -1)).astype(np.int64)
        size = len(codes.dictionary)
    missing = indices < 0
    if not missing.any() and np.bincount(indices, minlength=size).max(initial=0) <= 1:
        return None
    indices[missing] = size + np.arange(int(missing.sum()))  # each its own order
    _, first, numbers = np.unique(indices, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[numbers.reshape(-1)]
