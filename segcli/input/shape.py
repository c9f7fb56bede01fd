"""Shaping the columns read into canonical tables.

Shops and accounting systems do not write segcli's columns: they write one row per line item,
cancelled orders beside real ones, credit notes beside invoices. `shape()` takes the columns
read (as `plan.py` mapped them) and returns canonical tables: each order once (a line item row
after its order's first row is folded into it), orders that were cancelled, voided or refunded
set aside (unless asked to count them), customers keyed by normalised email where the file has
no id, names joined from first and last, credit notes marked to reduce spend. Every row set
aside is counted in the report, and row locations stay those of the file.

Vectorised with pyarrow compute and pandas; no Python loop touches a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.engines.arrow import as_numpy, text_column
from segcli.input.forms import PHONE_DIGITS_MIN, PHONE_LIKE
from segcli.input.forms import lookup_forms as lookup_forms  # where callers have found it
from segcli.input.orders import order_numbers
from segcli.input.plan import Plan
from segcli.input.presets import (
    AUXILIARY,
    CANCELLED,
    CANCELLED_AT,
    FIRST_NAME,
    KEY_FALLBACKS,
    KEY_PHONE,
    KIND,
    LAST_NAME,
    NOT_COUNTED,
    REFUNDED,
    STATUS_PREFIX,
)
from segcli.input.raw import RawOrders
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    CURRENCY,
    EMAIL,
    LINE_ORDER,
    NAME,
    ORDER_REFERENCE,
    PHONE,
    STATUS,
    TOTAL,
)


@dataclass(frozen=True)
class ShapeReport:
    """What shaping set aside or changed, for the notices."""

    folded: int = 0  # line-item rows after their order's first row
    excluded: Mapping[str, int] = field(default_factory=dict)  # status -> orders not counted
    included: Mapping[str, int] = field(default_factory=dict)  # same, counted on request
    credits: int = 0  # credit notes, counted as negative
    keyed_by_email: tuple[str, ...] = ()  # labels of the sources keyed by email
    keyed: Mapping[str, int] = field(default_factory=dict)  # way (email, phone, name) -> keys
    detected: tuple[tuple[str, str], ...] = ()  # (label, preset title)
    currencies: Mapping[str, int] = field(default_factory=dict)  # code -> orders counted
    other_currencies: Mapping[str, int] = field(default_factory=dict)  # code -> set aside
    duplicates: int = 0  # rows identical in every column to an earlier row of their file
    refunded: int = 0  # orders whose refunded amount was subtracted from their total


def shape(
    raw: RawOrders,
    plans: Sequence[Plan],
    *,
    include_cancelled: bool = False,
    read_all: Callable[[int], pa.Table] | None = None,
    currency: str | None = None,
) -> tuple[RawOrders, ShapeReport]:
    """Canonical tables from the roles read: see the module's docstring. Where a file's rows
    share order references (lines), each row gets its order's number (LINE_ORDER), and rows
    identical in every column of the file (`read_all(k)` reads source k whole) count once."""
    tables, kept_parts = [], []
    folded, credits, duplicates, refunded = 0, 0, 0, 0
    keyed: dict[str, int] = {}
    currencies: dict[str, int] = {}
    other_currencies: dict[str, int] = {}
    excluded: dict[str, int] = {}
    included: dict[str, int] = {}
    any_set_aside = False
    for k, (table, p) in enumerate(zip(raw.tables, plans, strict=True)):
        keep = np.ones(table.num_rows, dtype=bool)
        columns, ways = _canonical_columns(table, p)
        if p.preset is not None and p.preset.line_items:
            reference = pd.Series(columns[ORDER_REFERENCE].to_pandas())
            later_rows = (reference.duplicated(keep="first") & reference.notna()).to_numpy()
            folded += int(later_rows.sum())
            keep &= ~later_rows
        else:
            columns[ORDER_REFERENCE] = text_column(columns[ORDER_REFERENCE])  # trimmed once
            numbers = order_numbers(columns[ORDER_REFERENCE])
            if numbers is not None:
                whole = read_all(k) if read_all is not None else pa.table(columns)
                twins = repeated_rows(whole if whole.num_rows == table.num_rows else table, numbers)
                duplicates += int(twins.sum())
                keep &= ~twins
                columns[LINE_ORDER] = pa.array(numbers)
        refunds = None
        if REFUNDED in table.column_names:
            columns[TOTAL], refunds = _net_of_refunds(table[TOTAL], table[REFUNDED])
        status = _not_counted(table, p)
        if status is not None:
            flagged = status.notna().to_numpy() & keep
            counts = status[flagged].value_counts()
            target = included if include_cancelled else excluded
            for name, n in counts.items():
                target[str(name)] = target.get(str(name), 0) + int(n)
            if not include_cancelled:
                keep &= ~flagged
        if p.preset is not None and p.preset.credit_kinds and KIND in table.column_names:
            kind = pc.utf8_lower(text_column(table[KIND]))
            credit = as_numpy(
                pc.fill_null(pc.is_in(kind, pa.array(sorted(p.preset.credit_kinds))), False)
            )
            credits += int((credit & keep).sum())
            columns[CREDIT] = pa.array(credit)
        if CURRENCY in table.column_names:
            code = pc.utf8_upper(text_column(table[CURRENCY]))
            if currency is not None:
                other = as_numpy(pc.fill_null(pc.not_equal(code, currency.upper()), False))
                _tally(other_currencies, pc.filter(code, pa.array(other & keep)))
                keep &= ~other
            _tally(currencies, pc.filter(code, pa.array(keep)))
        if refunds is not None:
            refunded += int((as_numpy(refunds) & keep).sum())
        by_way: dict[str, list] = {}
        for role, keys in ways:
            way = "phone" if role in (KEY_PHONE, PHONE) else role
            by_way.setdefault(way, []).extend(pc.filter(keys, pa.array(keep)).chunks)
        for way, chunks in by_way.items():
            distinct = pc.count_distinct(pa.chunked_array(chunks, pa.string())).as_py()
            keyed[way] = keyed.get(way, 0) + distinct
        shaped = pa.table(columns)
        if not keep.all():
            any_set_aside = True
            shaped = shaped.filter(pa.array(keep))
        tables.append(shaped)
        kept_parts.append(keep)
    report = ShapeReport(
        folded=folded,
        excluded=excluded,
        included=included,
        credits=credits,
        duplicates=duplicates,
        refunded=refunded,
        keyed=keyed,
        currencies=currencies,
        other_currencies=other_currencies,
        keyed_by_email=tuple(
            label for label, p in zip(raw.labels, plans, strict=True) if p.key_by_email
        ),
        detected=tuple(
            (label, p.preset.title)
            for label, p in zip(raw.labels, plans, strict=True)
            if p.detected and p.preset is not None
        ),
    )
    kept = raw.kept  # row numbers are only remapped when rows were set aside
    if any_set_aside:
        kept = np.flatnonzero(np.concatenate(kept_parts))
        kept = kept if raw.kept is None else raw.kept[kept]
    shaped_raw = replace(raw, tables=tuple(tables), kept=kept)
    return shaped_raw, report


def _tally(counts: dict[str, int], codes: pa.ChunkedArray | pa.Array) -> None:
    """Add each non-empty code's number of rows to `counts`."""
    for item in pc.value_counts(pc.drop_null(codes)).to_pylist():  # one item per currency
        counts[item["values"]] = counts.get(item["values"], 0) + int(item["counts"])


def repeated_rows(table: pa.Table, numbers: np.ndarray) -> np.ndarray:
    """Rows identical in every column of `table` to an earlier row: looked for only among the
    lines of orders with several lines (identical rows share their reference)."""
    candidates = np.bincount(numbers)[numbers] > 1
    twins = np.zeros(len(numbers), dtype=bool)
    if candidates.any():
        rows = np.flatnonzero(candidates)
        frame = table.take(pa.array(rows)).to_pandas()
        frame.columns = range(frame.shape[1])  # headers may repeat
        try:
            twins[rows] = frame.duplicated(keep="first").to_numpy()
        except TypeError:  # a Parquet list or struct column: compared as its text
            twins[rows] = frame.astype("str").duplicated(keep="first").to_numpy()
    return twins


def _net_of_refunds(
    total: pa.ChunkedArray, refunded: pa.ChunkedArray
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Shopify's Total less its Refunded Amount (the order's net spend), exactly, as text for
    normalise to parse; where either is not a plain amount the total is left as it is (and is
    checked there). Also which rows had a refund subtracted."""
    total_text = text_column(total)
    refund_text = text_column(refunded)
    plain = r"^[+-]?\d+(\.\d+)?$"
    usable = pc.fill_null(
        pc.and_(
            pc.match_substring_regex(total_text, plain),
            pc.match_substring_regex(refund_text, plain),
        ),
        False,
    )
    exact = pa.decimal128(30, 9)  # a difference of two stays within 38 digits
    safe_total = pc.cast(pc.if_else(usable, total_text, "0"), exact)
    safe_refund = pc.cast(pc.if_else(usable, refund_text, "0"), exact)
    net = pc.cast(pc.subtract(safe_total, safe_refund), pa.string())
    subtracted = pc.and_(usable, pc.not_equal(safe_refund, pa.scalar(0, exact)))
    return pc.if_else(usable, net, total_text), subtracted


def _canonical_columns(table: pa.Table, p: Plan) -> tuple[dict[str, pa.ChunkedArray], list]:
    """The canonical columns of one table (auxiliary roles consumed), and how its customers
    were keyed (`customer_keys`) when by email."""
    columns = {name: table[name] for name in table.column_names if name not in AUXILIARY}
    for role, name in p.roles.items():  # a role sharing its header with another (Xero's name)
        if role not in AUXILIARY and p.mapping[name] != role:
            columns[role] = table[p.mapping[name]]
    if FIRST_NAME in table.column_names or LAST_NAME in table.column_names:
        parts = [text_column(table[c]) for c in (FIRST_NAME, LAST_NAME) if c in table.column_names]
        joined = pc.binary_join_element_wise(*parts, " ", null_handling="skip")
        columns[NAME] = text_column(joined)
    ways: list = []
    if p.key_by_email:
        columns[CONTACT_ID], ways = customer_keys({**columns, **_present(table, KEY_PHONE)})
    return columns, ways


def _present(table: pa.Table, name: str) -> dict[str, pa.ChunkedArray]:
    return {name: table[name]} if name in table.column_names else {}


def customer_keys(columns: Mapping[str, pa.ChunkedArray]) -> tuple[pa.ChunkedArray, list]:
    """Customer keys of an email-keyed export (SPEC §1, issue 12): the trimmed, lower-cased
    email; without one, the phone (the customer's, then the billing phone) as `+` and its
    digits; without one, the name. Also, per way (email, phone, name), the keys it gave."""
    ways = []
    key = None
    for role in KEY_FALLBACKS:
        if role not in columns:
            continue
        value = text_column(columns[role])
        if role == EMAIL:
            value = pc.utf8_lower(value)
        elif role in (KEY_PHONE, PHONE):
            digits = pc.replace_substring_regex(value, r"\D", "")
            usable = pc.and_(
                pc.match_substring_regex(value, PHONE_LIKE),
                pc.greater_equal(pc.utf8_length(digits), PHONE_DIGITS_MIN),
            )
            value = pc.if_else(usable, pc.binary_join_element_wise("+", digits, ""), None)
        taken = value if key is None else pc.if_else(pc.is_null(key), value, None)
        ways.append((role, taken))
        key = value if key is None else pc.coalesce(key, value)
    return key, ways


def _not_counted(table: pa.Table, p: Plan) -> pd.Series | None:
    """Per row, why its order does not count ('refunded', 'cancelled', ...), else missing."""
    if STATUS not in table.column_names and CANCELLED_AT not in table.column_names:
        return None
    excluded = p.preset.excluded if p.preset is not None else NOT_COUNTED
    reason = pd.Series(pd.NA, index=range(table.num_rows), dtype="str")
    if STATUS in table.column_names and excluded:
        status = pd.Series(pc.utf8_lower(text_column(table[STATUS])).to_pandas(), dtype="str")
        status = status.str.removeprefix(STATUS_PREFIX)
        reason = status.where(status.isin(sorted(excluded)))
    if CANCELLED_AT in table.column_names:
        cancelled = as_numpy(pc.is_valid(text_column(table[CANCELLED_AT])))
        reason = reason.mask(cancelled & reason.isna().to_numpy(), CANCELLED)
    return reason
