"""Customers and summaries as CSV or TSV (SPEC §5), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from segcli.model.schema import (
    LAST_ORDER_REFERENCE,
    RFM_COLUMNS,
    RFM_SEGMENT,
)
from segcli.output.dialect import BOM, CSV, Dialect
from segcli.output.values import LIST_KEYS, METRIC_KEYS, api_frame, has_rfm

CSV_COLUMNS: tuple[str, ...] = (*LIST_KEYS, *METRIC_KEYS)

CSV_TEXT_COLUMNS: tuple[str, ...] = (*LIST_KEYS, LAST_ORDER_REFERENCE)

# A cell a spreadsheet would run as a formula (CWE-1236, OWASP's CSV injection guidance): one
# that starts with `=`, `@`, tab or CR, or with `+` or `-` unless it is a plain number (a phone
# used as an id, `+8801678126000`, or `-12.50` are data, and are written as they are).
FORMULA_START = r"^(?:[=@\t\r]|[+-](?!\d+(?:\.\d+)?$))"

CSV_RECORD_END = "\r\n"


def list_csv(page: pd.DataFrame, dialect: Dialect = CSV, keys: tuple[str, ...] = LIST_KEYS) -> str:
    """The list as RFC 4180 CSV (CRLF after each record, so that any cell holding a CR or LF is
    quoted); text cells that a spreadsheet would run as a formula get a leading `'`."""
    frame = api_frame(page, keys)
    columns = (*keys, *METRIC_KEYS)
    text_columns = (*keys, LAST_ORDER_REFERENCE)
    if has_rfm(page):
        columns, text_columns = (*columns, *RFM_COLUMNS), (*text_columns, RFM_SEGMENT)
    if dialect.guard:
        for key in text_columns:
            cells = frame[key]
            risky = cells.str.match(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            frame[key] = cells.where(~risky, "'" + cells)
    text = frame[list(columns)].to_csv(
        index=False, lineterminator=CSV_RECORD_END, sep=dialect.separator, header=dialect.headers
    )
    return (BOM if dialect.bom else "") + text


def records_csv(records: Sequence[Mapping[str, Any]], dialect: Dialect = CSV) -> str:
    """A few records (a breakdown's categories, a matrix's cells) as CSV, their keys as the
    header; missing values are empty cells."""
    buffer = io.StringIO()
    if dialect.bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=dialect.separator, lineterminator=CSV_RECORD_END)
    keys = list(records[0]) if records else []
    if dialect.headers and keys:
        writer.writerow(keys)
    for record in records:  # categories or cells, never customers
        writer.writerow([_cell(record[k], dialect.guard) for k in keys])
    return buffer.getvalue()


def _cell(value: object, guard: bool) -> object:
    if value is None:
        return ""
    text = str(value)
    if guard and isinstance(value, str) and re.match(FORMULA_START, text):
        return "'" + text
    return value
