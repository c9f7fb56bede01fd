"""Arrow columns as the stages need them: trimmed text with empty values missing, numpy views,
null masks. Speed code that reads Arrow's buffers directly lives here and in keys.py, behind
these small functions, so that the stages read as plain column arithmetic."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.model.errors import InvalidInputError


def as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Any column as strings (Arrow's own formatting of numbers); an error if it cannot be. A
    float NaN is no value (missing), not the text "nan"."""
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_floating(column.type):
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    try:
        return pc.cast(column, pa.string())
    except pa.ArrowException as exc:
        raise InvalidInputError(f"a column of type {column.type} cannot be read as text") from exc


def text_column(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Any column as trimmed strings, with empty and white-space-only values as null.

    Most exported text has nothing to trim. Arrow's buffers show, without copying any text,
    which values might: those whose first or last byte could belong to white space. Only when
    there are any is the column trimmed (a copy); empty values become null by a new validity
    bitmap over the same text buffers."""
    column = as_text(column)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if any(_edge_may_be_space(c).any() for c in chunks):
        column = pc.utf8_trim_whitespace(column)
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not pc.any(pc.equal(column, "")).as_py():
        return column
    cleared = [_empty_as_null(c) for c in chunks]
    return (
        pa.chunked_array(cleared, pa.string())
        if isinstance(column, pa.ChunkedArray)
        else cleared[0]
    )


# Bytes that may begin or end a white-space character, as Arrow's UTF-8 trim sees it: ASCII
# white space and separators; the lead bytes of U+0085, U+00A0, U+1680, U+2000-U+205F and
# U+3000; and any continuation byte (the last byte of a non-ASCII character). Erring wide only
# costs a trim.
_MAY_START_SPACE = np.zeros(256, dtype=bool)

_MAY_START_SPACE[[*range(0x09, 0x0E), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True

_MAY_END_SPACE = np.zeros(256, dtype=bool)

_MAY_END_SPACE[[*range(0x09, 0x0E), *range(0x1C, 0x21), *range(0x80, 0xC0)]] = True


def _edge_may_be_space(chunk: pa.Array) -> np.ndarray:
    """Per value of a string array, whether its first or last byte might be white space."""
    data = chunk.buffers()[2]
    if len(chunk) == 0 or data is None or data.size == 0:
        return np.zeros(len(chunk), dtype=bool)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
    offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
    text = np.frombuffer(data, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    # an empty value's start is the next value's (or the buffer's end): clipped, then ignored
    first = _MAY_START_SPACE[text[np.minimum(starts, len(text) - 1)]]
    last = _MAY_END_SPACE[text[np.maximum(ends - 1, 0)]]
    return (first | last) & (ends > starts)


def _empty_as_null(chunk: pa.Array) -> pa.Array:
    """A string array with its empty values made null: a new validity bitmap, the same text."""
    valid = np.zeros(chunk.offset + len(chunk), dtype=bool)
    valid[chunk.offset :] = as_numpy(pc.and_kleene(pc.is_valid(chunk), pc.not_equal(chunk, "")))
    bitmap = pa.array(valid).buffers()[1]
    _, offsets, data = chunk.buffers()
    return pa.Array.from_buffers(
        chunk.type, len(chunk), [bitmap, offsets, data], offset=chunk.offset
    )


def is_null(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return as_numpy(pc.is_null(column))


def as_numpy(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow array or chunked array as one numpy array (copied only where it must be)."""
    return np.asarray(
        column.to_numpy(zero_copy_only=False) if isinstance(column, pa.Array) else column.to_numpy()
    )
