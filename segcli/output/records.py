"""The customer API's JSON records (SPEC §5) from Arrow and numpy columns, without pandas: the
one implementation of the records' text, which json.py applies to frames and warm.py to a cache
entry's columns. Each record is built column by column in Arrow (no Python object per customer):
every value becomes its JSON literal, and the pieces of every record are concatenated in one pass.
Small documents (meta, settings, breakdowns) are documents.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.model.schema import INSTANT_CHARS, instant_bytes
from segcli.output.documents import category_values as category_values  # json.py's, from here
from segcli.output.documents import cents_text as cents_text
from segcli.output.documents import dumps as dumps
from segcli.output.documents import meta_of as meta_of
from segcli.output.documents import settings_meta as settings_meta
from segcli.output.fields import METRIC_KEYS, METRICS

# JSON string escapes: the two characters that must be escaped, then the control characters.
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'

Piece = pa.Array | str  # a column of JSON text, or text every record has


# Arrays built from numpy's buffers: `pa.array` imports pandas on its first call (to check for
# pandas objects), which the warm path exists to avoid.


def ints(values: np.ndarray) -> pa.Array:
    """int64 values as an Arrow array (no nulls)."""
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def flags(values: np.ndarray) -> pa.Array:
    """Booleans as an Arrow array (no nulls)."""
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def texts(values: Sequence[str], kind: pa.DataType | None = None) -> pa.Array:
    """A few strings (labels) as an Arrow string array (large_string unless `kind` says)."""
    kind = kind or pa.large_string()
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64 if kind == pa.large_string() else np.int32)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(kind, len(encoded), buffers)


def literal(text: str, kind: pa.DataType | None = None) -> pa.Scalar:
    return texts([text], kind)[0]  # (pa.scalar imports pandas too)


def json_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value as a JSON string literal, or null."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    values = pc.cast(values, pa.large_string())
    if pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py():
        values = pc.replace_substring(values, "\\", "\\\\")
        values = pc.replace_substring(values, '"', '\\"')
        for code in range(0x20):
            char = chr(code)
            escaped = _SHORT_ESCAPES.get(char, f"\\u{code:04x}")
            values = pc.replace_substring(values, char, escaped)
    quoted = pc.binary_join_element_wise(literal('"'), values, literal('"'), literal(""))
    return pc.fill_null(quoted, literal("null"))


def json_ints(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Integers as JSON numbers, missing ones as null."""
    text = pc.cast(values, pa.large_string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return pc.fill_null(text, literal("null"))


def json_labels(codes: np.ndarray, categories: Sequence[str]) -> pa.Array:
    """Labels that need no escapes (schema.py, settings.py), given as each one's index in
    `categories`, as JSON strings."""
    labels = texts([f'"{label}"' for label in categories])
    return labels.take(ints(codes))


def cents_texts(cents: np.ndarray, whole: pa.Array | None = None) -> pa.Array:
    """Integer cents -> exact two-decimal strings: 124550 -> '1245.50', -1200 -> '-12.00'; with
    `whole`, the whole units as given (a table's '1,245')."""
    values = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(values)
    frac = pc.utf8_lpad(pc.cast(ints(magnitude % 100), pa.string()), 2, "0")
    whole = pc.cast(ints(magnitude // 100), pa.string()) if whole is None else whole
    text = pa.string()
    sign = pc.if_else(flags(values < 0), literal("-", text), literal("", text))
    return pc.binary_join_element_wise(sign, whole, literal(".", text), frac, literal("", text))


def instant_texts(ms: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Epoch milliseconds as the API's instants, null where `missing`. Each is 24 ASCII
    characters (the years 1-9999), so numpy's fixed-width bytes are Arrow's string data as
    they are."""
    text = instant_bytes(np.asarray(ms, dtype=np.int64))
    width = INSTANT_CHARS
    if text.dtype.itemsize != width:  # outside the years 1-9999 (cut to 24, as it always was)
        text = text.astype(f"S{width}")
    offsets = np.arange(0, (len(text) + 1) * width, width, dtype=np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text))]
    dates = pa.Array.from_buffers(pa.large_string(), len(text), buffers)
    if missing is None or not missing.any():
        return dates
    return pc.if_else(flags(missing), pa.nulls(1, dates.type)[0], dates)


def record_pieces(
    texts: Mapping[str, pa.Array], keys: Sequence[str], metrics: Mapping[str, pa.Array]
) -> list[Piece]:
    """The pieces of every record up to its last metric: `keys` from `texts` (text columns),
    then `"metrics":{` and each of METRIC_KEYS' JSON literals. The caller closes the metrics
    object (after any other of its parts) and the record."""
    pieces: list[Piece] = []
    for i, key in enumerate(keys):
        pieces += [("{" if i == 0 else ",") + f'"{key}":', json_strings(texts[key])]
    for i, key in enumerate(METRIC_KEYS):
        opening = f',"{METRICS}":{{' if i == 0 else ","
        pieces += [f'{opening}"{key}":', metrics[key]]
    return pieces


def assembled(pieces: Sequence[Piece], n: int) -> pa.Array:
    """The records: each one's pieces concatenated."""
    if n == 0:
        return texts([])
    parts = [p if isinstance(p, pa.Array) else literal(p) for p in pieces]
    return pc.binary_join_element_wise(*parts, literal(""))


def joined(records: pa.Array, *, lines: bool) -> list[pa.Buffer | bytes]:
    """Records that end in their separator (a newline for JSON lines, a comma in an array) as
    the parts of JSON lines or of one JSON array, the records one slice of Arrow's buffer."""
    if len(records) == 0:
        return [] if lines else [b"[]"]
    offsets = np.frombuffer(records.buffers()[1], dtype=np.int64)[records.offset :]
    start, stop = int(offsets[0]), int(offsets[len(records)])
    if lines:
        return [records.buffers()[2][start:stop]]
    return [b"[", records.buffers()[2][start : stop - 1], b"]"]  # without the last comma


def list_document(
    records: pa.Array, count: int, total: int, meta: dict[str, object]
) -> list[pa.Buffer | bytes]:
    """`{"success":true,"data":[...],"meta":{"count","total",...}}` (compact) as parts of
    UTF-8 bytes, from records that end in a comma; `meta` is what follows count and total."""
    data = joined(records, lines=False)
    said = dumps({"count": count, "total": total, **meta}, False).strip()
    return [b'{"success":true,"data":', *data, b',"meta":' + said.encode() + b"}\n"]
