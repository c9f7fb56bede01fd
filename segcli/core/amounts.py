"""Amounts -> exact integer cents (SPEC §1): plain decimals, the forms exports write them in
(currency symbols and codes, thousands separators, parentheses for negatives, a decimal comma),
and Parquet integers, decimals and floats. Never a float sum; rounding is half away from zero."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.arrow import as_numpy, is_null, text_column

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
    empty = is_null(text)
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


def parse_amount(text: str, *, decimal: str = ".") -> int | None:
    """One amount in cents, by exactly the rules of `parse_amounts` (None if it does not parse)."""
    cents, empty, bad, _ = parse_amounts(pa.array([text], pa.string()), decimal=decimal)
    return None if empty[0] or bad[0] else int(cents[0])


def parse_money(text: str) -> int:
    """An amount a user typed (a flag such as --min-spend or --vip-threshold, or a config value)
    in cents, by the same rules as the `total` column; an amount with fractions of a cent is
    refused rather than rounded. Raises ValueError with a message that quotes `text`."""
    cents, empty, bad, rounded = parse_amounts(pa.array([text], pa.string()))
    if empty[0] or bad[0]:
        raise ValueError(f"'{text}' is not an amount (e.g. 5000 or 1245.50)")
    if rounded[0]:
        raise ValueError(f"'{text}' has fractions of a cent")
    return int(cents[0])


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
    empty = is_null(column)
    limit = 10**MAX_WHOLE_DIGITS
    if pa.types.is_integer(column.type):
        # compared in the column's own type: an unsigned 2**64 - 1 must not wrap to -1, and
        # int64's minimum has no absolute value in int64
        values = as_numpy(pc.fill_null(column, 0))  # in its own integer type
        too_big = values >= limit
        if pa.types.is_signed_integer(column.type):
            too_big |= values <= -limit
        cents = np.where(too_big, 0, values).astype(np.int64) * 100
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


LINE_DECIMAL = pa.decimal256(30, FAST_DECIMAL_PLACES)  # a product of two stays within 76 digits


def parse_line_totals(
    quantity: pa.ChunkedArray | pa.Array,
    unit_price: pa.ChunkedArray | pa.Array,
    *,
    decimal: str = ".",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each line's total, quantity x unit price, in int64 cents, exact and then rounded half
    away from zero to the cent (SPEC §1); masks as `parse_amounts` returns them (empty: either
    is empty; unparseable: either does not parse, or the product is out of range)."""
    q, q_empty, q_bad = _exact_decimals(quantity, decimal)
    p, p_empty, p_bad = _exact_decimals(unit_price, decimal)
    product = pc.multiply(q, p)
    cent = pc.round(product, ndigits=CENT_DIGITS, round_mode="half_towards_infinity")
    rounded = as_numpy(pc.fill_null(pc.not_equal(cent, product), False))
    as_float = as_numpy(pc.fill_null(pc.cast(cent, pa.float64()), 0.0)).astype(np.float64)
    empty = q_empty | p_empty
    bad = ~empty & (q_bad | p_bad | (np.abs(as_float) >= 10.0**MAX_WHOLE_DIGITS))
    cents = np.rint(np.where(bad | empty, 0.0, as_float) * 100).astype(np.int64)
    return cents, empty, bad, rounded & ~bad & ~empty


def _exact_decimals(
    column: pa.ChunkedArray | pa.Array, decimal: str
) -> tuple[pa.ChunkedArray | pa.Array, np.ndarray, np.ndarray]:
    """A column of amounts or quantities as exact decimals (LINE_DECIMAL), with masks of the
    empty and the unparseable values (which read as 0)."""
    if pa.types.is_floating(column.type):
        column = pc.round(column, ndigits=FAST_DECIMAL_PLACES)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        empty = is_null(column)
        finite = pc.fill_null(pc.is_finite(column), False) if column.type != pa.null() else None
        ok = as_numpy(finite) if finite is not None else ~empty
        too_big = np.abs(as_numpy(pc.fill_null(pc.cast(column, pa.float64()), 0.0))) >= 1e13
        ok = ok & ~too_big
        safe = pc.if_else(pa.array(ok), column, pa.scalar(0, column.type))
        return pc.cast(safe, LINE_DECIMAL, safe=False), empty, ~empty & ~ok
    text = text_column(column)
    empty = is_null(text)
    text, negative = _export_forms(text, empty, decimal)
    places = r"^[+-]?\d*(?:\.\d{0,9})?$"
    shaped = as_numpy(
        pc.fill_null(
            pc.and_(
                pc.and_(
                    pc.match_substring_regex(text, AMOUNT),
                    pc.match_substring_regex(text, AMOUNT_HAS_DIGIT),
                ),
                pc.match_substring_regex(text, places),
            ),
            False,
        )
    )
    signed = as_numpy(pc.fill_null(pc.match_substring_regex(text, r"^[+-]"), False))
    ok = shaped & ~(negative & signed)
    safe = pc.if_else(pa.array(ok), text, pa.scalar("0"))
    values = pc.cast(safe, LINE_DECIMAL)
    if negative.any():
        values = pc.if_else(pa.array(negative), pc.negate(values), values)
    return values, empty, ~empty & ~ok
