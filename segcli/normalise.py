"""Raw columns -> canonical orders: header matching, date and amount parsing, skipped-row counts.

Everything here is vectorised with pyarrow compute and pandas; no Python loop touches a row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import keys
from segcli.errors import InvalidInputError, MissingColumnError
from segcli.load import RawOrders
from segcli.options import DAY_FIRST, ParseOptions
from segcli.schema import (
    CONTACT_ID,
    DAY_MS,
    DETAIL_COLUMNS,
    EMAIL,
    ORDER_DATE,
    ORDER_MS,
    ORDER_REFERENCE,
    REQUIRED_COLUMNS,
    SOURCE,
    TOTAL,
    TOTAL_CENTS,
)

# ISO 8601 as SPEC §1 accepts it: a date, optionally a time (T or space), optionally an offset
# (Shopify writes a space before it: `2025-10-07 09:50:26 +1300`).
ISO_INSTANT = (
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:Z|[+-]\d{2}(?::?\d{2})?))?)?$"
)
ISO_DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"
SPACED_OFFSET = r" ([+-]\d{2}:?\d{2}|Z)$"
HAS_OFFSET = r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? ?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
YEAR_ZERO = "0000-"  # ISO's year 0 is valid to pandas, but no export means it
# Day and month in either order (`23/10/2025 09:50`, `10.07.2025`), read only when the user (or a
# preset) says which comes first: 03/04/2025 is ambiguous.
NUMERIC_DATE = (
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?$"
)
CREDIT = "_credit"  # an optional boolean column: a credit note, whose total reduces spend

# A plain decimal amount: optional sign, digits with an optional fraction, at most 13 whole digits
# so that cents stay far inside int64 (leading zeros are not counted).
MAX_WHOLE_DIGITS = 13
FAST_DECIMAL_PLACES = 9  # the fast amount path reads up to this many places; more take the slow one
AMOUNT = r"^(?P<sign>[+-]?)0*(?P<whole>\d{0,13})(?:\.(?P<frac>\d*))?$"
AMOUNT_HAS_DIGIT = r"\d"
# What exports wrap amounts in, removed before the plain form is read: `(12.50)` is negative; a
# currency symbol or code before or after (`$1,245.50`, `NZ$ 12`, `12.00 EUR`, `-$5`); thousands
# grouped by `,` (or `.` when the decimal mark is `,`), a space, a no-break space or `'`.
PARENTHESISED = r"^\((.*)\)$"
CURRENCY_BEFORE = r"^([+-]?)\s*(?:[A-Z]{0,3}[$€£¥₹]|[A-Z]{3}\s)\s*"
CURRENCY_AFTER = r"(?:\s*[$€£¥₹]|\s+[A-Z]{3})$"
GROUP_SEPARATORS = {".": ", '\u00a0\u202f", ",": ". '\u00a0\u202f"}
CENT_DIGITS = 2
FLOAT_CENT_DECIMALS = 6  # a float total is first rounded to this many decimals of a cent

_UNIT_PER_MS = {"s": None, "ms": 1, "us": 1_000, "ns": 1_000_000}

# Why a row is skipped, in the order the checks apply: a row counts under its first reason.
EMPTY_REFERENCE = f"empty {ORDER_REFERENCE}"
EMPTY_CONTACT = f"empty {CONTACT_ID}"
EMPTY_DATE = f"empty {ORDER_DATE}"
BAD_DATE = f"unparseable {ORDER_DATE}"
EMPTY_TOTAL = f"empty {TOTAL}"
BAD_TOTAL = f"unparseable {TOTAL}"
MALFORMED = "with the wrong number of fields"
SKIP_REASONS: tuple[str, ...] = (
    MALFORMED,
    EMPTY_REFERENCE,
    EMPTY_CONTACT,
    EMPTY_DATE,
    BAD_DATE,
    EMPTY_TOTAL,
    BAD_TOTAL,
)


DEFAULT_PARSE = ParseOptions()


@dataclass(frozen=True)
class Skip:
    reason: str
    count: int
    first: str  # where the first such row is, e.g. 'line 17'


@dataclass(frozen=True)
class NormaliseReport:
    rows_read: int
    skips: tuple[Skip, ...]
    rounded_amounts: int  # totals with non-zero digits below the cent, rounded half away from zero

    @property
    def skipped(self) -> int:
        return sum(s.count for s in self.skips)

    def skipped_summary(self, headers: Mapping[str, str] | None = None) -> str | None:
        """`skipped 3 of 27,270 rows: 2 unparseable orderDate (first: line 17), 1 ...`, or None.

        `headers` ({canonical column: the file's header}) names the file's own column too:
        `1 unparseable orderDate ('Created at') (line 9)`."""
        if not self.skips:
            return None
        headers = headers or {}
        parts = []
        for s in self.skips:
            column = s.reason.rsplit(" ", 1)[-1]
            header = headers.get(column)
            reason = f"{s.reason} ('{header}')" if header and header != column else s.reason
            parts.append(f"{s.count:,} {reason} ({'first: ' if s.count > 1 else ''}{s.first})")
        return f"skipped {self.skipped:,} of {self.rows_read:,} rows: " + ", ".join(parts)


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).casefold()


def match_columns(
    header: Sequence[str],
    label: str,
    *,
    overrides: Mapping[str, str] | None = None,
    email_key: bool = False,
    required: Sequence[str] = REQUIRED_COLUMNS,
    optional: Sequence[str] = DETAIL_COLUMNS,
) -> dict[str, str]:
    """Find each canonical column in a file's header: {canonical name: name in file}.

    A canonical name matches a header exactly, else ignoring case, white space, `_` and `-`;
    `overrides` ({canonical name: header}) come first. A missing required column, or two headers
    that both match one name, is an error; with `email_key`, a file with an email column but no
    contactID is accepted (its customers are keyed by email).
    """
    overrides = overrides or {}
    found_columns: dict[str, str] = {}
    missing = []
    for canonical in (*required, *optional):
        if canonical in overrides:
            found_columns[canonical] = overrides[canonical]
            continue
        found = [name for name in header if name == canonical]
        if not found:
            found = [name for name in header if _header_key(name) == _header_key(canonical)]
        if len(found) > 1:
            listed = ", ".join(f"'{_printable(n)}'" for n in found)
            raise InvalidInputError(f"{label}: columns {listed} all match '{canonical}'")
        if found:
            found_columns[canonical] = found[0]
        elif canonical in required:
            missing.append(canonical)
    if missing == [CONTACT_ID] and email_key and EMAIL in found_columns:
        missing = []
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        raise MissingColumnError(
            f"{label}: missing required column{plural} {names} (found: {found_list(header)})"
            + _separator_hint(header)
        )
    return found_columns


def normalise(
    raw: RawOrders, options: ParseOptions | Sequence[ParseOptions] | None = None
) -> tuple[pa.Table, NormaliseReport]:
    """Parse and check the canonical columns; return the counted orders, in input order, as an
    Arrow table (the text stays in Arrow's buffers; aggregation reads it from there).

    Columns: contactID, orderReference (str), orderMs (int64 ms since the epoch, UTC),
    totalCents (int64), and every detail column (str, missing where empty). Each source is parsed
    with its own column types (a Parquet timestamp, a CSV string), then the parsed columns, which
    all have one type, are joined in input order. `options` may be one per source. With several
    sources, a `_source` column (int32) says which each order came from.
    """
    if options is None or isinstance(options, ParseOptions):
        options = [options or DEFAULT_PARSE] * len(raw.tables)
    with ThreadPoolExecutor(1) as pool:  # the keys are merged while the rest is parsed
        customer_keys = pool.submit(key_column, [table[CONTACT_ID] for table in raw.tables])
        parts = [
            _parse(table, label, opts)
            for table, label, opts in zip(raw.tables, raw.labels, options, strict=True)
        ]
        columns = {name: _join([p.columns[name] for p in parts]) for name in _TEXT_AND_NUMBERS}
        masks = {name: np.concatenate([p.masks[name] for p in parts]) for name in _MASKS}
        columns[CONTACT_ID] = customer_keys.result()

    checks = [
        (EMPTY_REFERENCE, _is_null(columns[ORDER_REFERENCE])),
        (EMPTY_CONTACT, _is_null(columns[CONTACT_ID])),
        (EMPTY_DATE, masks[EMPTY_DATE]),
        (BAD_DATE, masks[BAD_DATE]),
        (EMPTY_TOTAL, masks[EMPTY_TOTAL]),
        (BAD_TOTAL, masks[BAD_TOTAL]),
    ]
    keep = ~np.logical_or.reduce([mask for _, mask in checks])
    skips = [_malformed_skip(raw)] if any(len(m) for m in raw.malformed) else []
    if not keep.all():
        # The first failing check names the row's reason; -1 means the row is kept.
        reason = np.select([mask for _, mask in checks], list(range(len(checks))), default=-1)
        counts = np.bincount(reason[~keep], minlength=len(checks))
        for code, (label, _) in enumerate(checks):
            if counts[code]:
                first = int(np.argmax(reason == code))
                skips.append(Skip(label, int(counts[code]), raw.locate(first)))
    skips.sort(key=lambda s: (-s.count, SKIP_REASONS.index(s.reason)))

    if len(raw.tables) > 1:
        sizes = [t.num_rows for t in raw.tables]
        columns[SOURCE] = pa.array(np.repeat(np.arange(len(sizes), dtype=np.int32), sizes))
    orders = pa.table(columns)
    if not keep.all():
        orders = orders.filter(pa.array(keep))
    report = NormaliseReport(
        rows_read=raw.rows_read,
        skips=tuple(skips),
        rounded_amounts=int(np.count_nonzero(masks[ROUNDED] & keep)),
    )
    return orders, report


ROUNDED = "rounded"
_TEXT_AND_NUMBERS = (ORDER_REFERENCE, ORDER_MS, TOTAL_CENTS, *DETAIL_COLUMNS)
_MASKS = (EMPTY_DATE, BAD_DATE, EMPTY_TOTAL, BAD_TOTAL, ROUNDED)


@dataclass(frozen=True)
class _Parsed:
    """One source's columns parsed to their canonical types, and its per-row masks."""

    columns: dict[str, pa.ChunkedArray | pa.Array]
    masks: dict[str, np.ndarray]


def _parse(table: pa.Table, label: str, options: ParseOptions) -> _Parsed:
    for field in table.schema:
        if pa.types.is_nested(field.type):
            raise InvalidInputError(
                f"{label}: column '{field.name}' holds {field.type} values, which are not text, "
                "numbers or instants"
            )
    date_ms, date_empty, date_bad = parse_instants(table[ORDER_DATE], options=options)
    cents, total_empty, total_bad, rounded = parse_amounts(table[TOTAL], decimal=options.decimal)
    if CREDIT in table.column_names:  # a credit note reduces spend, whatever its sign
        cents = np.where(as_numpy(pc.fill_null(table[CREDIT], False)), -np.abs(cents), cents)
    columns = {
        ORDER_REFERENCE: text_column(table[ORDER_REFERENCE]),
        ORDER_MS: pa.array(date_ms),
        TOTAL_CENTS: pa.array(cents),
    }
    for name in DETAIL_COLUMNS:
        present = name in table.column_names
        columns[name] = (
            text_column(table[name]) if present else pa.nulls(table.num_rows)  # no buffers
        )
    masks = {
        EMPTY_DATE: date_empty,
        BAD_DATE: date_bad,
        EMPTY_TOTAL: total_empty,
        BAD_TOTAL: total_bad,
        ROUNDED: rounded,
    }
    return _Parsed(columns, masks)


def _join(parts: list[pa.ChunkedArray | pa.Array]) -> pa.ChunkedArray:
    """One column from the sources' parts. A detail column a source lacks is all-null of the
    null type (no memory); where another source has it, those parts become null text."""
    types = {p.type for p in parts} - {pa.null()}
    kind = types.pop() if len(types) == 1 else parts[0].type
    if types:
        raise InvalidInputError(f"sources disagree on a column's type: {kind} and {types.pop()}")
    parts = [pc.cast(p, kind) if p.type != kind else p for p in parts]
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pa.chunked_array(chunks, type=kind)


def key_column(parts: Sequence[pa.ChunkedArray | pa.Array]) -> pa.ChunkedArray:
    """The customer keys of every source (`parts`, in order), dictionary-encoded once for every
    later stage: the dictionary holds each key once, trimmed; a blank key is null. Trimming and
    the blank check look at the dictionary (one value per customer), not at every row.

    A part may come dictionary-encoded already (by the reader, or as a Parquet dictionary
    column), in runs of chunks that each have their own dictionary; text is encoded here.
    Dictionary order is first appearance except where an input's own dictionary was not."""
    runs = [run for part in parts for run in keys.runs_of(_text_or_text_dictionary(part))]
    codes, dictionary = keys.merge(runs)
    clean = text_column(dictionary)
    if clean.null_count or not clean.equals(dictionary):
        # keys that differ only by surrounding white space are one customer; blank keys none
        position, dictionary = keys.encode(clean)
        codes = keys.relabel(codes, position)
    return keys.as_column((codes, dictionary))


def _text_or_text_dictionary(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """A dictionary column of text as it is; any other column as text."""
    kind = column.type
    if pa.types.is_dictionary(kind) and kind.value_type in (pa.string(), pa.large_string()):
        return column
    return _as_text(column)


def _as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Any column as strings (Arrow's own formatting of numbers); an error if it cannot be."""
    if pa.types.is_string(column.type):
        return column
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
    column = _as_text(column)
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


def parse_instants(
    column: pa.ChunkedArray | pa.Array,
    *,
    date_end_ms: int = 0,
    options: ParseOptions | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Instants as int64 ms since the epoch (UTC), plus masks of empty and unparseable values.

    Strings follow SPEC §1 (offsets honoured, no offset is UTC, or `options.timezone`); a bare
    date is midnight plus `date_end_ms`. With `options.date_format` strings are read by that
    strftime format instead; with `options.date_order`, day/month/year dates are read too.
    Parquet timestamps without a zone are UTC; sub-millisecond digits are floored.
    """
    options = options or DEFAULT_PARSE
    n = len(column)
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
        return _arrow_instants_ms(column), ~valid, np.zeros(n, dtype=bool)

    text = text_column(column)
    empty = _is_null(text)
    if options.date_format is not None:
        ms, ok = _strptime_ms(text, options.date_format, options.timezone)
        return ms, empty, ~empty & ~ok
    if options.date_order is not None:
        text = _numeric_dates_as_iso(text, options.date_order)
    shaped = pc.fill_null(
        pc.and_(
            pc.match_substring_regex(text, ISO_INSTANT),
            pc.invert(pc.starts_with(text, YEAR_ZERO)),
        ),
        False,
    )
    candidates = pc.if_else(shaped, text, pa.scalar(None, pa.string()))
    candidates = pc.replace_substring_regex(candidates, SPACED_OFFSET, r"\1")
    fast = _arrow_instants(candidates) if options.timezone is None and not date_end_ms else None
    if fast is not None:
        ms, ok = fast
        return ms, empty, ~empty & ~ok
    values = candidates.to_pandas()
    if options.timezone is None:
        parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    else:
        offset = as_numpy(pc.fill_null(pc.match_substring_regex(candidates, HAS_OFFSET), False))
        parsed = pd.to_datetime(values.where(offset), format="ISO8601", utc=True, errors="coerce")
        local = pd.to_datetime(values.where(~offset), format="ISO8601", errors="coerce")
        parsed = parsed.where(offset, _localize(local, options.timezone))
    ok = parsed.notna().to_numpy()
    ms = np.zeros(n, dtype=np.int64)
    ms[ok] = _floor_to_ms(parsed.dt.tz_localize(None).to_numpy()[ok])
    if date_end_ms:
        bare = pc.fill_null(pc.match_substring_regex(text, ISO_DATE_ONLY), False)
        ms[bare.to_numpy(zero_copy_only=False) & ok] += date_end_ms
    return ms, empty, ~empty & ~ok


def _arrow_instants(candidates: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The fast path for a column of ISO instants that all carry an offset, or all do not:
    Arrow's ISO 8601 cast, to the microsecond, then floored to ms. None when Arrow refuses any
    value (a bare date, a mix of the two kinds, nanoseconds, an impossible date): the general
    path, which judges value by value, decides then."""
    for target in (pa.timestamp("us", "UTC"), pa.timestamp("us")):
        try:
            parsed = pc.cast(candidates, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        ok = as_numpy(pc.is_valid(parsed))
        micros = as_numpy(pc.fill_null(pc.cast(parsed, pa.int64()), 0)).astype(np.int64)
        return micros // 1000, ok
    return None


def _localize(local: pd.Series, timezone: str) -> pd.Series:
    """Wall-clock times in `timezone` -> UTC. In the repeated hour when clocks go back, the first
    (daylight-saving) reading; in the hour skipped when they go forward, the time after the gap."""
    ambiguous = np.ones(len(local), dtype=bool)
    zoned = local.dt.tz_localize(timezone, ambiguous=ambiguous, nonexistent="shift_forward")
    return zoned.dt.tz_convert("UTC")


def _strptime_ms(
    text: pa.ChunkedArray | pa.Array, date_format: str, timezone: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Strings read by a strftime format (with %z honoured) -> ms since the epoch, and a mask of
    the values that parsed."""
    parsed = pc.strptime(text, format=date_format, unit="ms", error_is_null=True)
    ok = as_numpy(pc.is_valid(parsed))
    ms = as_numpy(pc.fill_null(pc.cast(parsed, pa.int64()), 0)).astype(np.int64)
    if parsed.type.tz is None and timezone is not None:
        local = pd.Series(ms.astype("datetime64[ms]")).where(ok)
        utc = _localize(local, timezone)
        ok = ok & utc.notna().to_numpy()
        ms[ok] = _floor_to_ms(utc.dt.tz_localize(None).to_numpy()[ok])
    return ms, ok


def _numeric_dates_as_iso(text: pa.ChunkedArray | pa.Array, order: str) -> pa.ChunkedArray:
    """`23/10/2025 9:50` (day first) or `10/23/2025 9:50` (month first) -> `2025-10-23 09:50:00`;
    other values are left as they are."""
    numeric = pc.fill_null(pc.match_substring_regex(text, NUMERIC_DATE), False)
    parts = pc.extract_regex(pc.if_else(numeric, text, "1/1/2000"), NUMERIC_DATE)

    def field(name: str) -> pa.ChunkedArray:
        return pc.struct_field(parts, name)

    def two(values: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.utf8_lpad(values, width=2, padding="0")

    day, month = (field("a"), field("b")) if order == DAY_FIRST else (field("b"), field("a"))
    date = pc.binary_join_element_wise(field("year"), two(month), two(day), "-")
    second = field("second")
    clock = pc.binary_join_element_wise(
        two(field("hour")), field("minute"), pc.if_else(pc.equal(second, ""), "00", second), ":"
    )
    timed = pc.binary_join_element_wise(date, clock, " ")
    iso = pc.if_else(pc.equal(field("hour"), ""), date, timed)
    return pc.if_else(numeric, iso, text)


def parse_amounts(
    column: pa.ChunkedArray | pa.Array, *, decimal: str = "."
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Amounts as int64 cents, plus masks of empty values, unparseable values and values that had
    to be rounded (non-zero digits below the cent; rounded half away from zero).

    Text may carry a currency symbol or code, thousands separators and parentheses for a negative
    (`($1,245.50)`); `decimal` is the decimal mark ('.' or ',')."""
    if pa.types.is_floating(column.type):
        return _float_cents(column)
    if pa.types.is_integer(column.type) or (
        pa.types.is_decimal(column.type) and column.type.scale <= CENT_DIGITS
    ):
        return _exact_number_cents(column)

    text = text_column(column)  # decimals with finer scales become exact decimal strings
    empty = _is_null(text)
    text, negative = _export_forms(text, empty, decimal)
    shaped = pc.fill_null(
        pc.and_(
            pc.match_substring_regex(text, AMOUNT),
            pc.match_substring_regex(text, AMOUNT_HAS_DIGIT),
        ),
        False,
    )
    safe = pc.if_else(shaped, text, pa.scalar("0"))
    fast = _decimal_cents(safe)
    if fast is not None:
        magnitude, minus, rounded = fast
        sign = pc.utf8_slice_codeunits(safe, 0, 1)
        signed = as_numpy(pc.is_in(sign, pa.array(["+", "-"]))) if negative.any() else negative
        ok = as_numpy(shaped) & ~(negative & signed)
        cents = np.where(minus ^ negative, -magnitude, magnitude)
        cents[~ok] = 0
        return cents, empty, ~empty & ~ok, rounded & ok
    parts = pc.extract_regex(safe, AMOUNT)
    sign = pc.struct_field(parts, "sign")
    whole = pc.struct_field(parts, "whole")
    frac = pc.struct_field(parts, "frac")
    whole_int = pc.cast(pc.if_else(pc.equal(whole, ""), "0", whole), pa.int64())
    padded = pc.utf8_rpad(frac, width=CENT_DIGITS, padding="0")
    cent_part = pc.cast(pc.utf8_slice_codeunits(padded, 0, CENT_DIGITS), pa.int64())
    below = pc.utf8_slice_codeunits(padded, CENT_DIGITS)
    round_up = pc.greater_equal(pc.utf8_slice_codeunits(below, 0, 1), "5")
    rounded = pc.match_substring_regex(below, r"[1-9]")

    magnitude = (
        as_numpy(whole_int) * 100
        + as_numpy(cent_part)
        + as_numpy(pc.fill_null(round_up, False)).astype(np.int64)
    )
    signed = as_numpy(pc.not_equal(sign, ""))
    ok = as_numpy(shaped) & ~(negative & signed)  # `(-5)` is not an amount
    cents = np.where(as_numpy(pc.equal(sign, "-")) ^ negative, -magnitude, magnitude)
    cents[~ok] = 0
    return cents, empty, ~empty & ~ok, as_numpy(pc.fill_null(rounded, False)) & ok


def _decimal_cents(
    text: pa.ChunkedArray | pa.Array,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The fast path for plain decimal strings (all already checked against AMOUNT): Arrow's
    decimal cast, rounded half away from zero to the cent. Returns the magnitude in cents, the
    negative mask and the rounded mask; None when Arrow refuses a value (more than 9 places)."""
    try:
        exact = pc.cast(text, pa.decimal128(38, FAST_DECIMAL_PLACES))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    cent = pc.round(exact, ndigits=CENT_DIGITS, round_mode="half_towards_infinity")
    rounded = as_numpy(pc.not_equal(cent, exact))
    # below 10**13 (AMOUNT allows 13 whole digits), cents < 2**50: exact through a float64
    cents = np.rint(as_numpy(pc.cast(cent, pa.float64())) * 100).astype(np.int64)
    return np.abs(cents), cents < 0, rounded


def _exact_number_cents(
    column: pa.ChunkedArray | pa.Array,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Integer and decimal (at most 2 places) columns: cents by arithmetic, no text. The same
    limit as text applies: at most 13 whole digits."""
    n = len(column)
    empty = _is_null(column)
    limit = 10**MAX_WHOLE_DIGITS
    if pa.types.is_integer(column.type):
        whole = as_numpy(pc.fill_null(pc.cast(column, pa.int64(), safe=False), 0)).astype(np.int64)
        too_big = np.abs(whole) >= limit
        cents = np.where(too_big, 0, whole) * 100
    elif pa.types.is_decimal128(column.type):
        cents, fits = _decimal128_unscaled(column)  # a new array: scaled in place
        bound = limit * 10**column.type.scale
        too_big = ~fits | (cents >= bound) | (cents <= -bound)
        cents[too_big] = 0
        if column.type.scale != CENT_DIGITS:
            cents *= 10 ** (CENT_DIGITS - column.type.scale)
    else:
        # A decimal with at most 2 places, below 10**13, is exact as a float64 once scaled to
        # cents and rounded: |cents| < 2**50, so the float's error is far below half a cent.
        values = as_numpy(pc.fill_null(pc.cast(column, pa.float64()), 0.0)).astype(np.float64)
        too_big = np.abs(values) >= limit
        cents = np.rint(np.where(too_big, 0.0, values) * 100).astype(np.int64)
    cents[empty] = 0
    return cents, empty, too_big & ~empty, np.zeros(n, dtype=bool)


def _decimal128_unscaled(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A decimal128 column's unscaled integers (12345 for 123.45 at scale 2), read from Arrow's
    buffers with no conversion into a new array, and a mask of those that fit in an int64. Each
    value is two little-endian 64-bit words; it fits when the high word only extends the low
    word's sign.
    Null slots hold whatever the buffer has: the caller masks them."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    unscaled, fits = [], []
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        words = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        pairs = words[2 * chunk.offset : 2 * (chunk.offset + len(chunk))].reshape(-1, 2)
        unscaled.append(pairs[:, 0])
        fits.append(pairs[:, 1] == pairs[:, 0] >> 63)
    if not unscaled:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return np.concatenate(unscaled), np.concatenate(fits)


def _export_forms(
    text: pa.ChunkedArray | pa.Array, empty: np.ndarray, decimal: str
) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray]:
    """`_plain_amounts` on the values that need it (not already plain decimals), so that a file
    of plain amounts pays one regex pass."""
    plain = as_numpy(pc.fill_null(pc.match_substring_regex(text, AMOUNT), False)) & (decimal == ".")
    needs = ~plain & ~empty
    if not needs.any():
        return text, np.zeros(len(text), dtype=bool)
    column = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    cleaned, negative_part = _plain_amounts(column.filter(pa.array(needs)), decimal)
    negative = np.zeros(len(text), dtype=bool)
    negative[needs] = negative_part
    return pc.replace_with_mask(column, pa.array(needs), cleaned), negative


def _without_currency(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    text = pc.replace_substring_regex(text, CURRENCY_BEFORE, r"\1")
    return pc.replace_substring_regex(text, CURRENCY_AFTER, "")


def _plain_amounts(
    text: pa.ChunkedArray | pa.Array, decimal: str
) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray]:
    """Strip parentheses, currency and thousands separators: `($1,245.50)` -> `1245.50`, and a
    mask of the parenthesised (negative) values. Badly grouped digits (`1,24.5`) are left as they
    are, so that they fail to parse; with a decimal comma, a `.` that does not group thousands
    fails too."""
    text = _without_currency(text)  # outside the parentheses: `(120,00) EUR`
    parenthesised = pc.fill_null(pc.match_substring_regex(text, PARENTHESISED), False)
    inner = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(text, 1, -1))
    text = pc.if_else(parenthesised, _without_currency(inner), text)  # inside: `($12.50)`
    separators = "[" + re.escape(GROUP_SEPARATORS[decimal]) + "]"
    mark = re.escape(decimal)
    grouped = rf"^[+-]?\d{{1,3}}(?:{separators}\d{{3}})+(?:{mark}\d*)?$"
    is_grouped = pc.fill_null(pc.match_substring_regex(text, grouped), False)
    text = pc.if_else(is_grouped, pc.replace_substring_regex(text, separators, ""), text)
    if decimal != ".":
        stray_dot = pc.fill_null(pc.match_substring(text, "."), False)
        text = pc.if_else(stray_dot, pa.scalar("-"), pc.replace_substring(text, decimal, "."))
    return text, as_numpy(parenthesised)


def parse_instant(
    text: str, *, date_end_ms: int = 0, options: ParseOptions = DEFAULT_PARSE
) -> int | None:
    """One instant, by exactly the rules of `parse_instants` (None if it does not parse)."""
    ms, empty, bad = parse_instants(
        pa.array([text], pa.string()), date_end_ms=date_end_ms, options=options
    )
    return None if empty[0] or bad[0] else int(ms[0])


def parse_amount(text: str, *, decimal: str = ".") -> int | None:
    """One amount in cents, by exactly the rules of `parse_amounts` (None if it does not parse)."""
    cents, empty, bad, _ = parse_amounts(pa.array([text], pa.string()), decimal=decimal)
    return None if empty[0] or bad[0] else int(cents[0])


def _float_cents(column: pa.ChunkedArray | pa.Array):
    values = as_numpy(pc.cast(column, pa.float64())).astype(np.float64)  # nulls become NaN
    empty = np.isnan(values) & ~as_numpy(
        pc.is_valid(column)
    )  # a null is empty; a NaN is unparseable
    finite = np.isfinite(values) & (np.abs(values) < 1e13)
    with np.errstate(invalid="ignore"):
        hundredths = np.round(np.abs(np.where(finite, values, 0.0)) * 100, FLOAT_CENT_DECIMALS)
    magnitude = np.floor(hundredths + 0.5).astype(np.int64)
    cents = np.where(values < 0, -magnitude, magnitude)
    rounded = finite & (hundredths != np.floor(hundredths))
    return cents, empty, ~empty & ~finite, rounded


def _arrow_instants_ms(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    kind = column.type
    if pa.types.is_date32(kind):
        return as_numpy(pc.fill_null(pc.cast(column, pa.int32()), 0)).astype(np.int64) * DAY_MS
    if pa.types.is_date64(kind):
        return as_numpy(pc.fill_null(pc.cast(column, pa.int64()), 0))
    raw = as_numpy(pc.fill_null(pc.cast(column, pa.int64()), 0))
    per_ms = _UNIT_PER_MS[kind.unit]
    if per_ms == 1:
        return raw
    return raw * 1000 if per_ms is None else raw // per_ms


def _floor_to_ms(values: np.ndarray) -> np.ndarray:
    unit, _ = np.datetime_data(values.dtype)
    per_ms = _UNIT_PER_MS[unit]
    ints = values.view(np.int64)
    return ints * 1000 if per_ms is None else ints // per_ms


def _malformed_skip(raw: RawOrders) -> Skip:
    count = sum(len(m) for m in raw.malformed)
    k = next(i for i, m in enumerate(raw.malformed) if len(m))
    return Skip(MALFORMED, count, raw.locate_malformed(k, int(raw.malformed[k][0])))


def _is_null(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return as_numpy(pc.is_null(column))


def as_numpy(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow array or chunked array as one numpy array (copied only where it must be)."""
    return np.asarray(
        column.to_numpy(zero_copy_only=False) if isinstance(column, pa.Array) else column.to_numpy()
    )


def _printable(name: str) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _separator_hint(header: Sequence[str]) -> str:
    """A hint when the one header holds what looks like several, split by another separator."""
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in header[0]:
                return (
                    f"; the header looks separated by {name}, but segcli reads comma-separated CSV"
                )
    return ""


def found_list(header: Sequence[str], most: int = 20) -> str:
    names = [_printable(n) for n in header]
    shown = ", ".join(names[:most])
    if len(names) > most:
        shown += f", ... ({len(names) - most} more)"
    return shown or "no columns"
