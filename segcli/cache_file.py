"""A cache entry's file: an Arrow IPC file of the per-customer table, uncompressed, in record
batches of BATCH_ROWS customers, and beside it the SHA-256 of every column of every batch (and of
the entry's meta), so that a reader verifies exactly the bytes it uses and uses no byte it has not
verified.

A warm run reads what its question needs and nothing else: a breakdown the four count columns, a
`show` the ids' hashes and then one batch, a `list` the details of the batches that hold the
customers it prints. Uncompressed, a column is used as it lies in the file (no decoding), and its
checksum is the only cost proportional to its size. Each digest covers a column's type, length,
null count and offset as well as its buffers, so that a damaged footer or schema (a batch read as
shorter, a column as another type) is refused as a damaged buffer is.

The file is memory-mapped: a column is used where it lies in the page cache, and only what a
question takes from it is copied (reading it into fresh memory cost a warm run more than the
reading itself, in page faults). segcli never writes an entry in place: a new one replaces it by
a rename and eviction unlinks it, so a mapped file never changes under its reader.
A column is taken from its whole batch as the file's reader decodes it (metadata only, no
copy): a reader opened with `included_fields` for that one column took 20-35 ms a batch here
(pyarrow 26; 0.46 s for one count column of 875k customers, against 1 ms this way).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from segcli.cache_folder import META_KEY

FORMAT = 7  # bump when what an entry holds changes (5: the columns it holds; 6: Arrow IPC;
# 7: uncompressed batches, a checksum per column and batch)
BATCH_ROWS = 65_536  # customers per record batch: a `show` reads one
CHECKSUM = "sha256"
DAMAGED = "damaged"  # a problem: the entry's bytes are not the ones written


class Refused(Exception):
    """A stored entry that must not be used; `problem` is what a user is told (None: nothing,
    e.g. an entry written by another version)."""

    def __init__(self, problem: str | None) -> None:
        super().__init__(problem)
        self.problem = problem


def encode(table: pa.Table, meta: Mapping[str, object]) -> tuple[pa.Buffer, bytes]:
    """An entry's bytes, and its checksum file's: `table` in batches of BATCH_ROWS, with `meta`
    as its schema's metadata. The digests are taken from the bytes as a reader reads them back."""
    text = json.dumps(meta).encode("utf-8")
    table = table.combine_chunks().replace_schema_metadata({META_KEY: text})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=BATCH_ROWS)
    data = sink.getvalue()
    reader = pa.ipc.open_file(pa.BufferReader(data))
    batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
    columns = {
        name: [_digest(batch.column(j)) for batch in batches]
        for j, name in enumerate(table.column_names)
    }
    sums = {"meta": hashlib.sha256(text).hexdigest(), "columns": columns}
    return data, json.dumps({"format": FORMAT, CHECKSUM: sums}).encode("utf-8")


def _digest(array: pa.Array) -> str:
    """The SHA-256 of a column of one batch: its type, length, null count, offset and buffers."""
    h = hashlib.sha256(f"{array.type}|{len(array)}|{array.null_count}|{array.offset}".encode())
    for buffer in array.buffers():
        if buffer is None:
            h.update(b"-")
        else:
            h.update(buffer.size.to_bytes(8, "little"))
            h.update(buffer)
    return h.hexdigest()


class Opened:
    """An entry's file, open, its meta verified: its columns are read on demand, each batch
    checked against its digest before use. Raises Refused(DAMAGED) on a mismatch."""

    def __init__(self, path: Path, check: Path) -> None:
        try:
            stored = json.loads(check.read_bytes())
        except FileNotFoundError:  # written by an earlier segcli, or its writer stopped halfway
            raise Refused(None) from None
        except (OSError, ValueError):
            raise Refused(DAMAGED) from None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise Refused(None if isinstance(stored, dict) else DAMAGED)
        try:
            sums = stored[CHECKSUM]
            self._meta_sum, self._sums = str(sums["meta"]), dict(sums["columns"])
            lengths = {len(digests) for digests in self._sums.values()}
            if len(lengths) > 1 or not all(
                isinstance(d, str) for digests in self._sums.values() for d in digests
            ):
                raise ValueError("digests of unequal batches")
        except Exception:
            raise Refused(DAMAGED) from None
        self._file = pa.memory_map(str(path))  # (OSError: no entry, none to refuse)
        try:
            self._open()
        except Exception:
            self.close()
            raise

    def _open(self) -> None:
        """Read and verify the schema and meta of the open file."""
        try:
            self._reader = pa.ipc.open_file(self._file)
            self.schema = self._reader.schema
            text = self.schema.metadata[META_KEY]
        except Exception:
            raise Refused(DAMAGED) from None
        if hashlib.sha256(text).hexdigest() != self._meta_sum:
            raise Refused(DAMAGED)
        self.meta: dict[str, object] = json.loads(text)
        self.names: list[str] = self.schema.names
        if set(self._sums) != set(self.names):
            raise Refused(DAMAGED)
        self.batches = len(self._sums[self.names[0]]) if self.names else 0
        if self._reader.num_record_batches != self.batches:
            raise Refused(DAMAGED)
        self._read: dict[tuple[str, int], pa.Array] = {}

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def column(self, name: str) -> pa.ChunkedArray:
        """Every customer's value of `name`, verified."""
        kind = self.schema.field(name).type
        return pa.chunked_array(self._batches(name, range(self.batches)), kind)

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        """The values of `name` at `rows` (positions in the entry, any order), reading and
        verifying only the batches that hold them."""
        rows = np.asarray(rows, dtype=np.int64)
        batch = rows // BATCH_ROWS
        needed = np.unique(batch)
        chunks = self._batches(name, needed.tolist())
        starts = np.cumsum([0] + [len(c) for c in chunks])[:-1]  # each needed batch's, taken
        at = rows - batch * BATCH_ROWS + starts[np.searchsorted(needed, batch)]
        values = pa.chunked_array(chunks, self.schema.field(name).type)
        at = np.ascontiguousarray(at, dtype=np.int64)  # as Arrow (pa.array imports pandas):
        indices = pa.Array.from_buffers(pa.int64(), len(at), [None, pa.py_buffer(at)])
        return values.take(indices).combine_chunks()

    def _batches(self, name: str, which: Sequence[int]) -> list[pa.Array]:
        """Batches `which` of column `name`, verified (each read once)."""
        missing = [b for b in which if (name, b) not in self._read]
        if missing:
            field, sums = self.names.index(name), self._sums[name]
            for b in missing:
                try:  # the whole batch: from a memory map, its buffers are slices of the file;
                    # reading one field (IpcReadOptions.included_fields) copied the batch's whole
                    # body, 13 MB per batch of 65,536 customers, to read 0.5 MB of it
                    array = self._reader.get_batch(b).column(field)
                except Exception:
                    raise Refused(DAMAGED) from None
                full = len(array) == BATCH_ROWS or b == self.batches - 1  # as written
                if not full or _digest(array) != sums[b]:
                    raise Refused(DAMAGED)
                self._read[name, b] = array
        return [self._read[name, b] for b in which]

    def table(self, columns: Collection[str]) -> pa.Table:
        """The `columns` (in the entry's order) of every customer, verified."""
        wanted = [c for c in self.names if c in columns]
        return pa.Table.from_arrays([self.column(c) for c in wanted], names=wanted)
