"""Customer keys as dictionary codes: hashed in parallel runs of rows, and runs merged.

Hashing 10M customer keys is the largest single cost of a cold run, so it is shared out: a text
column is cut into runs encoded on their own threads (Arrow's kernels release the GIL), and a
Parquet file is encoded by the threads that read it (load.py). Each run has its own dictionary;
`merge` joins them by hashing the distinct values once, not the rows again.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.buffers import buffer_numpy

ENCODE_THREADS = 2  # threads that hash a text column's keys at once
THREADED_ENCODE_ROWS = 1_000_000  # below this, one thread encodes a column

Run = tuple[np.ndarray, pa.Array]  # int32 codes (-1: null) into a dictionary of text


def runs_of(column: pa.ChunkedArray | pa.Array) -> list[Run]:
    """A text column, or a dictionary column of text, as runs of (codes, dictionary): its own
    dictionaries where it has them, else its text encoded in ENCODE_THREADS runs of rows."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if pa.types.is_dictionary(column.type):
        runs: list[Run] = []
        for chunk in chunks:
            codes = _codes(chunk.indices)
            if runs and same_memory(chunk.dictionary, runs[-1][1]):
                runs[-1] = (np.concatenate([runs[-1][0], codes]), runs[-1][1])
            else:
                runs.append((codes, chunk.dictionary))
        return runs
    n = len(column)
    threads = ENCODE_THREADS if n >= THREADED_ENCODE_ROWS else 1
    bounds = [n * k // threads for k in range(threads + 1)]
    slices = [column.slice(start, stop - start) for start, stop in pairwise(bounds)]
    if threads == 1:
        return [encode(slices[0])]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(encode, slices))


def encode(column: pa.ChunkedArray | pa.Array) -> Run:
    """One run: a text column's codes, by first appearance, and its distinct values."""
    encoded = pc.dictionary_encode(column)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:  # Arrow encodes a chunked column's chunks against one dictionary
        return np.zeros(0, dtype=np.int32), pa.array([], column.type)
    return np.concatenate([_codes(c.indices) for c in chunks]), chunks[0].dictionary


def merge(runs: Sequence[Run]) -> Run:
    """One dictionary for all runs: their dictionaries, one after another, encoded once. Each
    run's values come in its rows' order of first appearance, so the merged dictionary keeps
    that order across runs too."""
    if len(runs) == 1:
        return runs[0]
    if not runs:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.string())
    values = [d if d.type == pa.string() else pc.cast(d, pa.string()) for _, d in runs]
    merged = pc.dictionary_encode(pa.chunked_array(values, pa.string()))
    position = _codes(merged.combine_chunks().indices)
    dictionary = merged.chunks[0].dictionary if merged.num_chunks else pa.array([], pa.string())
    codes = np.empty(sum(len(c) for c, _ in runs), dtype=np.int32)
    start, row = 0, 0
    for run_codes, run_values in runs:
        own = position[start : start + len(run_values)]
        start += len(run_values)
        relabel(run_codes, own, out=codes[row : row + len(run_codes)])
        row += len(run_codes)
    return codes, dictionary


def relabel(codes: np.ndarray, position: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Codes into an old dictionary as codes into a new one, where `position[i]` is old entry
    i's new code (-1: none); a -1 code stays -1. One gather: -1 picks the -1 put after the
    positions."""
    extended = np.append(position.astype(np.int32, copy=False), np.int32(-1))
    return np.take(extended, codes, out=out)


def as_column(run: Run) -> pa.ChunkedArray:
    """A run as a dictionary column (one chunk), its -1 codes null."""
    codes, dictionary = run
    missing = codes < 0
    indices = pa.array(codes, mask=missing if missing.any() else None)
    return pa.chunked_array([pa.DictionaryArray.from_arrays(indices, dictionary)])


def same_memory(a: pa.Array, b: pa.Array) -> bool:
    """Whether two arrays are views of the same memory (chunks sharing one dictionary): a check
    of addresses, not of values."""
    return (a.offset, len(a), [x and x.address for x in a.buffers()]) == (
        b.offset,
        len(b),
        [x and x.address for x in b.buffers()],
    )


BLOCK_ROWS = 1 << 20  # rows checked at a time: small temporaries, reused by the allocator


def in_first_appearance_order(codes: np.ndarray, n: int) -> bool:
    """Whether codes 0..n-1 all occur and each first occurs after the one before it: each code
    is at most one more than the greatest code before it, and the greatest is n - 1."""
    top = -1
    for start in range(0, len(codes), BLOCK_ROWS):  # a loop over blocks, not rows
        block = codes[start : start + BLOCK_ROWS]
        seen = np.maximum.accumulate(block)
        np.maximum(seen, top, out=seen)
        if block[0] > top + 1 or np.any(seen[1:] - seen[:-1] > 1):
            return False
        top = int(seen[-1])
    return top == n - 1


def _codes(indices: pa.Array) -> np.ndarray:
    """Dictionary indices as int32 codes, -1 for null (no copy when there is no null)."""
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return np.asarray(indices.to_numpy(zero_copy_only=False)).astype(np.int32, copy=False)


_FNV_BASIS = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def text_hashes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A 64-bit FNV-1a hash of each value of a text column (or a dictionary column of text,
    whose distinct values are hashed once), the same in every process; null hashes as "".
    Vectorised by byte position: one pass over the rows per byte of the longest value."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if pa.types.is_dictionary(column.type):
        return text_hashes(column.dictionary)[_codes(column.indices).clip(0)]
    if not pa.types.is_large_string(column.type):
        column = column.cast(pa.large_string())
    hashes = np.full(len(column), _FNV_BASIS, dtype=np.uint64)
    _, offsets, data = column.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[
        column.offset : column.offset + len(column) + 1
    ]
    lengths = np.diff(offsets)
    if not len(column) or data is None or not lengths.max():
        return hashes
    data = np.frombuffer(data, dtype=np.uint8)
    lengths = np.where(buffer_numpy(pc.is_valid(column)), lengths, 0)  # (no pandas: a warm show)
    starts, last = offsets[:-1], len(data) - 1
    for j in range(int(lengths.max())):  # a loop over byte positions, not rows
        byte = data[np.minimum(starts + j, last)].astype(np.uint64)
        hashes = np.where(lengths > j, (hashes ^ byte) * _FNV_PRIME, hashes)
    return hashes


def bucketed(key: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows in order of `key` (0..n-1; stable) and where each key's rows start (n + 1
    bounds). Small integer keys sort by radix, in linear time."""
    key = key.astype(np.uint16 if n <= np.iinfo(np.uint16).max else np.int64)
    order = np.argsort(key, kind="stable")
    return order, np.searchsorted(key[order], np.arange(n + 1))


def bucket_of(hashes: np.ndarray, n: int) -> np.ndarray:
    """Each hash's bucket of `n`."""
    return (hashes % np.uint64(n)).astype(np.int64)


def pairs_by_bucket(pairs: np.ndarray, *, buckets: int) -> list[np.ndarray]:
    """(key, owner) hash pairs cut into `buckets` by owner."""
    order, bounds = bucketed(bucket_of(pairs[:, 1], buckets), buckets)
    return [pairs[order[a:b]] for a, b in pairwise(bounds)]


def repeated(*pieces: np.ndarray) -> np.ndarray:
    """The owners (distinct, sorted) of the (key, owner) pairs whose key is seen more than once
    in `pieces` (a hash collision only names one owner too many)."""
    pairs = np.concatenate(pieces)
    _, which, seen = np.unique(pairs[:, 0], return_inverse=True, return_counts=True)
    twice = seen[which] > 1
    return np.unique(pairs[twice, 1])
