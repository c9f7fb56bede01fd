"""Reading order exports: the only module that reads files' contents.

Their headers are read without reading the data, and then only the columns the caller maps are
read: as strings from CSV (parsing is the core's job, so that bad values can be counted rather
than guessed at) and with their own types from Parquet. Reading never modifies an input.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import lzma
import re
import sys
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from segcli.engines import keys
from segcli.input import parquet
from segcli.input.lines import LineMap
from segcli.input.raw import RawOrders
from segcli.input.sources import TAB, Source, compression, one_line, open_bytes
from segcli.model.errors import Hint, InvalidInputError, UnreadableError
from segcli.model.options import CSV, PARQUET

_SNIFF_BYTES = 1 << 20  # how much is read at a time to explain a file that does not decode


def read_header(source: Source) -> list[str]:
    """The column names of a source, without reading its rows. A CSV header is looked for in the
    first MAX_HEADER_CHARS characters only: a file with no line end there (`/dev/zero`, a binary
    blob) is refused rather than read without end."""
    if source.format == PARQUET:
        try:
            return list(pq.read_schema(_arrow_input(source)).names)
        except (pa.ArrowException, OSError) as exc:
            raise parquet.not_parquet(source, exc) from None
    with _text_stream(source) as stream:
        try:
            start = stream.read(MAX_HEADER_CHARS)
        except UnicodeError:
            raise _not_text(source) from None
        except DECOMPRESSION_ERRORS as exc:
            raise UnreadableError(f"{source.label}: cannot be read ({one_line(exc)})") from None
    if len(start) == MAX_HEADER_CHARS and "\n" not in start and "\r" not in start:
        raise UnreadableError(
            f"{source.label}: no line end in the first {MAX_HEADER_CHARS // 2**20} MiB; "
            "not a CSV file with a header row"
        )
    try:
        header = next(
            csv.reader(io.StringIO(start, newline=""), delimiter=source.delimiter or COMMA), None
        )
    except csv.Error as exc:
        raise UnreadableError(f"{source.label}: not readable as CSV ({exc})") from None
    if not header or all(not name.strip() for name in header):
        raise UnreadableError(f"{source.label}: empty file (no header row)")
    if "\x00" in start:
        raise _not_text(source)
    return header


def check_types(source: Source, mapping: Mapping[str, str]) -> None:
    """A Parquet column that a role maps must hold text, numbers or instants (not lists,
    structs or bytes), whether or not this command reads it."""
    if source.format != PARQUET:
        return
    try:
        schema = pq.read_schema(_arrow_input(source))
    except (pa.ArrowException, OSError) as exc:
        raise parquet.not_parquet(source, exc) from None
    for name in mapping:
        kind = schema.field(name).type if name in schema.names else None
        if kind is not None and (pa.types.is_nested(kind) or _is_bytes(kind)):
            raise InvalidInputError(
                f"{source.label}: column '{name}' holds {kind} values, which are not text, "
                "numbers or instants"
            )


def _is_bytes(kind: pa.DataType) -> bool:
    return (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or (pa.types.is_fixed_size_binary(kind))
    )


COMMA = ","
# What a header may be separated by besides commas, and how a notice names it.
OTHER_DELIMITERS = {";": "semicolons", TAB: "tabs"}


def settle_delimiter(source: Source) -> tuple[Source, str | None]:
    """A CSV source with its delimiter decided: the one given, else the one its header clearly
    uses (more `;` or tabs than commas), else a comma. Returns the source and, when the header
    decided something other than a comma, a notice that says so."""
    if source.format != CSV or source.delimiter is not None:
        return source, None
    with _text_stream(source) as stream:
        try:
            first = stream.readline(MAX_HEADER_CHARS)
        except (UnicodeError, *DECOMPRESSION_ERRORS):
            return source, None  # read_header reports it
    commas = first.count(COMMA)
    counts = {sep: first.count(sep) for sep in OTHER_DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0 or counts[best] <= commas:
        return replace(source, delimiter=COMMA), None
    said = (
        f"{source.label}: columns separated by {OTHER_DELIMITERS[best]}, as its header shows "
        f"({counts[best]} {OTHER_DELIMITERS[best]}, {commas} commas)"
    )
    return replace(source, delimiter=best), said


def read_orders(
    sources: Sequence[Source],
    mappings: Sequence[Mapping[str, str]],
    *,
    progress: Callable[[str, int, int], None] | None = None,
    encoded: Collection[str] = (),
) -> RawOrders:
    """Read each source's mapped columns ({column in file: canonical name}) into one table;
    `progress(what, done, total)` is told before each source is read.

    Text columns read as one of the canonical names `encoded` come dictionary-encoded: from
    Parquet by each reading thread for its own rows (see `parquet.read`), from CSV as soon as the
    file is read, so that the text (0.36 GB of uuids at 10M orders) is not held through parsing."""
    tables, malformed, malformed_text = [], [], []
    for k, (source, mapping) in enumerate(zip(sources, mappings, strict=True)):
        if progress is not None:
            progress(f"reading {source.label}", k, len(sources))
        if source.format == PARQUET:
            to_encode = [name for name, role in mapping.items() if role in encoded]
            table = parquet.read(
                source, mapping, to_encode, functools.partial(_arrow_input, source)
            )
            bad, text = np.empty(0, dtype=np.int64), ()
        else:
            table, bad, text = _read_csv(source, mapping)
            for name in [name for name, role in mapping.items() if role in encoded]:
                runs = keys.runs_of(table[name])  # on ENCODE_THREADS threads
                column = keys.as_column(keys.merge(runs))
                table = table.set_column(table.schema.get_field_index(name), name, column)
        tables.append(table.rename_columns([mapping[name] for name in table.column_names]))
        malformed.append(bad)
        malformed_text.append(text)
    return RawOrders(
        tables=tuple(tables),
        labels=tuple(s.label for s in sources),
        formats=tuple(s.format for s in sources),
        offsets=np.cumsum([0] + [t.num_rows for t in tables]),
        malformed=tuple(malformed),
        malformed_text=tuple(malformed_text),
        line_maps=tuple(LineMap(s) if s.format == CSV else None for s in sources),
    )


def _read_csv(
    source: Source, mapping: Mapping[str, str]
) -> tuple[pa.Table, np.ndarray, tuple[str, ...]]:
    """Read the mapped columns as strings. Rows with the wrong number of fields are left out, and
    their record numbers and text returned. pyarrow only numbers them when reading on one
    thread, so the rare file that has any is read a second time that way."""
    table, bad = _read_csv_once(source, mapping, use_threads=True)
    if bad:
        table, bad = _read_csv_once(source, mapping, use_threads=False)
    bad.sort()
    return table, np.array([n for n, _ in bad], dtype=np.int64), tuple(t for _, t in bad)


def _read_csv_once(
    source: Source, mapping: Mapping[str, str], *, use_threads: bool
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """One read. Arrow reads in blocks, and a record longer than a block (a 2 MiB field) fails:
    the block is doubled and the file read again, up to MAX_BLOCK_BYTES."""
    bad: list[tuple[int, str]] = []

    def skip_row(row: pa_csv.InvalidRow) -> str:
        bad.append((row.number if row.number is not None else -1, row.text))
        return "skip"

    block = BLOCK_BYTES
    while True:
        bad.clear()
        try:
            with _quiet_row_errors():
                table = pa_csv.read_csv(
                    _arrow_input(source),
                    **_csv_options(source, mapping, skip_row, use_threads, block),
                )
            return table, bad
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "straddling" in message and block < MAX_BLOCK_BYTES:
                block *= 4
                continue
            if "Empty CSV file" in message:  # a header and no line end: no rows
                return pa.table({name: pa.array([], pa.string()) for name in mapping}), []
            if "UTF8" in message or "UTF-8" in message or _undecodable(source):
                raise _not_text(source) from None
            if "straddling" in message:
                raise UnreadableError(
                    f"{source.label}: a record longer than {MAX_BLOCK_BYTES // 2**20} MiB, "
                    "or a quote that is never closed"
                ) from None
            raise UnreadableError(
                f"{source.label}: not readable as CSV ({_without_row_text(message)})"
            ) from None
        except DECOMPRESSION_ERRORS + (pa.ArrowException, UnicodeError, LookupError) as exc:
            raise UnreadableError(f"{source.label}: cannot be read ({one_line(exc)})") from None


BLOCK_BYTES = 1 << 20  # Arrow's default block
MAX_BLOCK_BYTES = 64 << 20  # the longest record segcli reads
MAX_HEADER_CHARS = 1 << 20  # where a CSV header must end
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
)


def _csv_options(
    source: Source,
    mapping: Mapping[str, str],
    skip_row: Callable[[pa_csv.InvalidRow], str],
    use_threads: bool,
    block: int,
) -> dict[str, object]:
    encoding = source.encoding
    return {
        "read_options": pa_csv.ReadOptions(
            use_threads=use_threads,
            block_size=block,
            encoding="utf8" if _is_utf8(encoding) else encoding,
        ),
        "parse_options": pa_csv.ParseOptions(
            delimiter=source.delimiter or COMMA,
            newlines_in_values=True,
            invalid_row_handler=skip_row,
        ),
        "convert_options": pa_csv.ConvertOptions(
            include_columns=list(mapping),
            column_types={name: pa.string() for name in mapping},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


@contextmanager
def _quiet_row_errors() -> Iterator[None]:
    """Arrow decodes a bad row's text before it calls the row handler; text that is not UTF-8
    fails there, and Python would print that failure (with a traceback and the row's contents)
    as an ignored exception. The read still fails, and is reported without either."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _without_row_text(message: str) -> str:
    """Arrow's parse error without the row it quotes (customers' names, emails, phones)."""
    return one_line(re.sub(r"(Expected \d+ columns?, got \d+).*", r"\1", message, flags=re.S))


def _undecodable(source: Source) -> bool:
    try:
        with ExitStack() as stack:
            return _first_undecodable_line(open_bytes(source, stack), source.encoding) is not None
    except DECOMPRESSION_ERRORS + (LookupError,):
        return False


def _arrow_input(source: Source) -> pa.NativeFile | str:
    """The source for Arrow's readers, CSV unpacked: gzip and bzip2 by Arrow's codecs, xz (which
    Arrow lacks) through Python's lzma."""
    if source.data is not None:
        raw: pa.NativeFile = pa.BufferReader(source.data)
        packed = compression(io.BytesIO(source.data[:8])) if source.format == CSV else None
    else:
        assert source.path is not None
        raw = pa.OSFile(str(source.path))
        packed = None
        if source.format == CSV:
            with source.path.open("rb") as handle:
                packed = compression(handle)
    if packed == "xz":
        return pa.PythonFile(lzma.LZMAFile(raw), mode="r")
    if packed is not None:
        return pa.CompressedInputStream(raw, packed)
    return raw


@contextmanager
def _text_stream(source: Source) -> Iterator[io.TextIOWrapper]:
    encoding = "utf-8-sig" if _is_utf8(source.encoding) else source.encoding
    with ExitStack() as stack:
        try:
            text = io.TextIOWrapper(open_bytes(source, stack), encoding=encoding, newline="")
        except OSError as exc:
            raise UnreadableError(f"{source.label}: cannot be read ({one_line(exc)})") from None
        except LookupError:
            raise UnreadableError(f"unknown encoding '{source.encoding}'") from None
        try:
            yield text
        finally:
            text.detach()  # the ExitStack closes what lies beneath


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}


def _not_text(source: Source) -> UnreadableError:
    """The error for CSV bytes that do not decode: binary data, or text in another encoding (with
    the line of the first byte that does not decode)."""
    try:
        with ExitStack() as stack:
            raw = open_bytes(source, stack)
            binary = b"\x00" in raw.read(_SNIFF_BYTES)
            raw.seek(0)
            line = None if binary else _first_undecodable_line(raw, source.encoding)
    except DECOMPRESSION_ERRORS as exc:
        return UnreadableError(f"{source.label}: cannot be read ({one_line(exc)})")
    if binary:
        return UnreadableError(
            f"{source.label}: binary data, not CSV text", hint=Hint.ENCODING_UTF16
        )
    where = f" (line {line:,})" if line else ""
    if _is_utf8(source.encoding):
        return UnreadableError(
            f"{source.label}: not valid UTF-8 text{where}", hint=Hint.ENCODING_LEGACY
        )
    return UnreadableError(f"{source.label}: not valid {source.encoding} text{where}")


def _first_undecodable_line(raw: IO[bytes], encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    while chunk := raw.read(_SNIFF_BYTES):
        try:
            decoder.decode(chunk)
        except UnicodeError as exc:  # a decoding error, or UTF-16 text without its BOM
            start = getattr(exc, "start", 0)
            return lines_before + chunk.count(b"\n", 0, max(start, 0)) + 1
        lines_before += chunk.count(b"\n")
    return None
