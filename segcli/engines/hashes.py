"""64-bit hashes of text, computed from Arrow's buffers with numpy (no Python loop over rows):
what an incremental cache keeps of the order references it has seen (incremental.py), to tell
whether a new file repeats one. Equal text always hashes equal; two texts may share a hash (then
the caller does the exact work), never the other way round. Stable across runs and machines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_MIX = np.uint64(0x9E3779B97F4A7C15)  # the golden ratio's 64-bit multiplier
_SHIFT = np.uint64(31)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_WORD = 8  # bytes folded in at a time


def text_hashes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """One uint64 per value of a text column (a null hashes as the empty text)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = [_chunk_hashes(c) for c in chunks if len(c)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def distinct_sorted(hashes: np.ndarray) -> np.ndarray:
    """The distinct values of `hashes`, ascending (a sort: numpy's hash-based unique is many
    times slower on 10M random uint64)."""
    ordered = np.sort(hashes)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    if pa.types.is_dictionary(chunk.type):
        chunk = chunk.cast(chunk.type.value_type)
    if not pa.types.is_large_string(chunk.type):
        chunk = chunk.cast(pa.large_string())  # one offset width; a no-op for most columns
    _, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = np.zeros(0, np.uint8)
    if data_buffer is not None:  # only this chunk's bytes: a slice may share a larger buffer
        data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    words = np.zeros(len(data) // _WORD + 2, dtype=np.uint64)  # the bytes, and a zero word after
    words.view(np.uint8)[: len(data)] = data
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    if chunk.null_count:
        lengths = np.where(chunk.is_valid().to_numpy(zero_copy_only=False), lengths, 0)
    hashes = lengths.astype(np.uint64) * _MIX
    for w in range(-(-int(lengths.max(initial=0)) // _WORD)):
        at = starts + _WORD * w
        index = np.minimum(at // _WORD, len(words) - 2)  # past the end only where masked
        shift = ((at % _WORD) * 8).astype(np.uint64)
        low = words[index] >> shift  # an unaligned word from two aligned ones
        high = np.where(
            shift == 0, np.uint64(0), words[index + 1] << ((np.uint64(64) - shift) % np.uint64(64))
        )
        left = np.clip(lengths - _WORD * w, 0, _WORD).astype(np.uint64)
        mask = np.where(left >= _WORD, _ALL, (np.uint64(1) << (left * np.uint64(8))) - np.uint64(1))
        mixed = (hashes ^ ((low | high) & mask)) * _MIX
        mixed ^= mixed >> _SHIFT
        hashes = np.where(left > 0, mixed, hashes)  # a text's hash never depends on others'
    return hashes
