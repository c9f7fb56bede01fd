"""Every skipped row, kept: `--rejects FILE` writes them as CSV, with where each came from and
why, and the row's own values (DuckDB's `store_rejects` is the model). The file has the
canonical columns, so a user can fix the rows and read it back as an export of its own."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from segcli.input.raw import RawOrders
from segcli.model.errors import UsageError
from segcli.model.options import PARQUET
from segcli.model.schema import REQUIRED_COLUMNS

SOURCE, LINE, ROW, REASON, COLUMN, RAW = "source", "line", "row", "reason", "column", "raw"
MALFORMED = "with the wrong number of fields"


def table(
    raw: RawOrders, rows: np.ndarray, reasons: np.ndarray, malformed: str = MALFORMED
) -> pa.Table:
    """The rejected `rows` (indices into `raw`'s tables, with their `reasons`) and the rows the
    CSV reader could not split into the header's fields, in file order."""
    sources, numbers = raw.places(rows)
    parts = [_rows(raw, rows, sources, numbers, reasons)]
    for k, records in enumerate(raw.malformed):
        if len(records):
            texts = raw.malformed_text[k] if k < len(raw.malformed_text) else ()
            parts.append(_malformed(raw, k, records, texts, malformed))
    found = pa.concat_tables(parts, promote_options="permissive")
    order = pc.sort_indices(found, [("_k", "ascending"), ("_n", "ascending")])
    return found.take(order).drop_columns(["_k", "_n"])


def write(rejected: pa.Table, path: str) -> None:
    try:
        pa_csv.write_csv(rejected, path)
    except (OSError, pa.ArrowException) as exc:
        raise UsageError("rejects", f"cannot write {path} ({exc})") from None


def _rows(
    raw: RawOrders, rows: np.ndarray, sources: np.ndarray, numbers: np.ndarray, reasons: np.ndarray
) -> pa.Table:
    parquet = np.asarray([f == PARQUET for f in raw.formats], dtype=bool)[sources]
    starts = np.cumsum([0] + [t.num_rows for t in raw.tables])
    reason_text = pa.array(reasons, pa.string())
    columns = {
        SOURCE: pa.array(np.asarray(raw.labels, dtype=object)[sources], pa.string()),
        LINE: pa.array(np.where(parquet, 0, numbers), mask=parquet),
        ROW: pa.array(np.where(parquet, numbers, 0), mask=~parquet),
        REASON: reason_text,
        COLUMN: pc.struct_field(pc.extract_regex(reason_text, r"(?P<column>\w+)$"), "column"),
    }
    for name in REQUIRED_COLUMNS:
        columns[name] = _values(raw, name, rows, sources, starts)
    columns[RAW] = pa.nulls(len(rows), pa.string())
    columns["_k"], columns["_n"] = pa.array(sources), pa.array(numbers)
    return pa.table(columns)


def _malformed(
    raw: RawOrders, k: int, records: np.ndarray, texts: Sequence[str], reason: str
) -> pa.Table:
    n = len(records)
    lines = raw.lines(k, records)
    text = pa.array(list(texts), pa.string()) if len(texts) == n else pa.nulls(n, pa.string())
    columns = {
        SOURCE: pa.array([raw.labels[k]] * n, pa.string()),
        LINE: pa.array(lines),
        ROW: pa.nulls(n, pa.int64()),
        REASON: pa.array([reason] * n, pa.string()),
        COLUMN: pa.nulls(n, pa.string()),
        **{name: pa.nulls(n, pa.string()) for name in REQUIRED_COLUMNS},
        RAW: text,
        "_k": pa.array(np.full(n, k)),
        "_n": pa.array(lines),
    }
    return pa.table(columns)


def _values(
    raw: RawOrders, name: str, rows: np.ndarray, sources: np.ndarray, starts: np.ndarray
) -> pa.Array:
    """Column `name` of each rejected row, as the file held it, as text. `rows` ascend, so each
    source's rows are one run, in source order."""
    pieces = [
        pc.cast(table[name].take(pa.array(rows[sources == k] - starts[k])), pa.string())
        for k, table in enumerate(raw.tables)
    ]
    return pa.chunked_array(pieces, pa.string()).combine_chunks()
