"""Order dates -> instants: int64 milliseconds since the epoch, UTC (SPEC §1).

ISO 8601 with or without an offset (a time with none is UTC, or the given time zone), bare dates,
day/month dates when the order is known, a strftime format, and Parquet timestamps and dates.
Vectorised with pyarrow compute; pandas only for what Arrow cannot parse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.arrow import as_numpy, is_null, text_column
from segcli.model.options import DAY_FIRST, MONTH_FIRST, ParseOptions
from segcli.model.schema import DAY_MS

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
SUB_MILLISECOND = r"(\.\d{3})\d+"
# The instants an order may have: the years 1 to 9999, as ISO 8601 and the API write them.
MIN_MS = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

# Day and month in either order (`23/10/2025 09:50`, `10.07.2025`), read only when the user (or a
# preset) says which comes first: 03/04/2025 is ambiguous.
NUMERIC_DATE = (
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?$"
)

_UNIT_PER_MS = {"s": None, "ms": 1, "us": 1_000, "ns": 1_000_000}

DEFAULT_PARSE = ParseOptions()


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
        ms = _arrow_instants_ms(column)
        out_of_range = valid & ((ms < MIN_MS) | (ms > MAX_MS))
        ms[out_of_range] = 0
        return ms, ~valid, out_of_range

    text = text_column(column)
    empty = is_null(text)
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
    # Each step below copies the text only when some value needs it: at 10M orders a copy is
    # 0.3 GB, and three of them alive at once made the peak of a CSV run.
    candidates = text
    if text.type != pa.string() or not pc.all(shaped).as_py():
        candidates = pc.if_else(shaped, text, pa.scalar(None, pa.string()))
    candidates = _replaced(candidates, SPACED_OFFSET, r"\1")
    # digits below the millisecond are floored away as text (a fraction is never negative), so
    # that every value parses at the same precision: one nanosecond value must not narrow the
    # range of the others to the years 1677-2262
    candidates = _replaced(candidates, SUB_MILLISECOND, r"\1")
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


def parse_instant(
    text: str, *, date_end_ms: int = 0, options: ParseOptions = DEFAULT_PARSE
) -> int | None:
    """One instant, by exactly the rules of `parse_instants` (None if it does not parse)."""
    ms, empty, bad = parse_instants(
        pa.array([text], pa.string()), date_end_ms=date_end_ms, options=options
    )
    return None if empty[0] or bad[0] else int(ms[0])


def _replaced(
    text: pa.ChunkedArray | pa.Array, pattern: str, by: str
) -> pa.ChunkedArray | pa.Array:
    """pc.replace_substring_regex, without a copy of the text when no value matches."""
    if not pc.any(pc.match_substring_regex(text, pattern)).as_py():
        return text
    return pc.replace_substring_regex(text, pattern, by)


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


def _arrow_instants_ms(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Parquet dates and timestamps as ms since the epoch (a new array), floored. Seconds far
    outside MIN_MS..MAX_MS are kept outside it rather than wrapped by the multiplication."""
    kind = column.type
    if pa.types.is_date32(kind):
        return as_numpy(pc.fill_null(pc.cast(column, pa.int32()), 0)).astype(np.int64) * DAY_MS
    raw = as_numpy(pc.fill_null(pc.cast(column, pa.int64()), 0)).astype(np.int64)
    per_ms = None if pa.types.is_date64(kind) else _UNIT_PER_MS[kind.unit]
    if pa.types.is_date64(kind) or per_ms == 1:
        return raw
    if per_ms is None:  # seconds
        return np.clip(raw, MIN_MS // 1000 - 1, MAX_MS // 1000 + 1) * 1000
    return raw // per_ms


def _floor_to_ms(values: np.ndarray) -> np.ndarray:
    unit, _ = np.datetime_data(values.dtype)
    per_ms = _UNIT_PER_MS[unit]
    ints = values.view(np.int64)
    return ints * 1000 if per_ms is None else ints // per_ms


def infer_date_order(column: pa.ChunkedArray | pa.Array) -> tuple[str | None, str | None]:
    """For a text column of day/month/year dates with neither order given: the order the values
    prove (a first number above 12 is a day: day first; a second number above 12: month first),
    and one value that proves it. (None, None) when nothing is numeric, when no value decides,
    or when values prove both (then neither order reads them all), or when the column also has
    ISO dates (a stray `15/10/2025` among them is reported as unparseable, not guessed at)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None, None
    text = text_column(column)
    numeric = pc.fill_null(pc.match_substring_regex(text, NUMERIC_DATE), False)
    if not pc.any(numeric).as_py() or pc.any(pc.match_substring_regex(text, ISO_INSTANT)).as_py():
        return None, None
    parts = pc.extract_regex(pc.filter(text, numeric), NUMERIC_DATE)
    first = as_numpy(pc.cast(pc.struct_field(parts, "a"), pa.int64()))
    second = as_numpy(pc.cast(pc.struct_field(parts, "b"), pa.int64()))
    day_first, month_first = first > 12, second > 12
    if day_first.any() == month_first.any():
        return None, None
    proof = day_first if day_first.any() else month_first
    example = pc.filter(text, numeric)[int(np.argmax(proof))].as_py()
    return (DAY_FIRST if day_first.any() else MONTH_FIRST), example
