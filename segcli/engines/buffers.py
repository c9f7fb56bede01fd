"""Arrow columns read back as numpy from their buffers, without pandas and without
pyarrow.compute (each costs a warm run a good part of its time to import)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def buffer_numpy(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column of int64 or booleans without nulls as numpy, read from Arrow's buffer: what a
    path without pandas uses, as Arrow's own `to_numpy` imports pandas (for its converters) on
    first use."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if array.null_count:
        raise ValueError("buffer_numpy: the column has missing values")
    data = array.buffers()[1]
    if pa.types.is_boolean(array.type):
        bits = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
        unpacked = np.unpackbits(bits, count=array.offset + len(array), bitorder="little")
        return unpacked[array.offset :].astype(bool)
    dtype = {pa.int64(): np.int64, pa.uint64(): np.uint64}[array.type]
    if data is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=len(array), offset=array.offset * 8)
