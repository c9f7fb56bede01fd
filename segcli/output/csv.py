"""Customers and summaries as CSV or TSV (SPEC §5), safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from segcli.model.schema import LAST_ORDER_REFERENCE, RFM_SEGMENT
from segcli.output.dialect import BOM, CSV, Dialect
from segcli.output.values import LIST_KEYS, METRIC_KEYS, SHOW_KEYS, record_frame

CSV_COLUMNS: tuple[str, ...] = (*LIST_KEYS, *METRIC_KEYS)

# The columns that hold text as the data had it (the others are numbers, instants, labels).
TEXT_FIELDS = frozenset((*SHOW_KEYS, LAST_ORDER_REFERENCE, RFM_SEGMENT))

# A cell a spreadsheet would run as a formula (CWE-1236, OWASP's CSV injection guidance): one
# that starts with `=`, `@`, tab or CR, or with `+` or `-` unless it is a plain number (a phone
# used as an id, `+8801678126000`, or `-12.50` are data, and are written as they are).
FORMULA_START = r"^(?:[=@\t\r]|[+-](?!\d+(?:\.\d+)?$))"

CSV_RECORD_END = "\r\n"


def list_csv(
    page: pd.DataFrame,
    dialect: Dialect = CSV,
    keys: tuple[str, ...] = LIST_KEYS,
    fields: Sequence[str] = (),
) -> str:
    """The list as RFC 4180 CSV (CRLF after each record, so that any cell holding a CR or LF is
    quoted), with `keys` and the metrics or exactly `fields`; text cells that a spreadsheet
    would run as a formula get a leading `'`."""
    frame = record_frame(page, keys, fields)
    if dialect.guard:
        for key in TEXT_FIELDS.intersection(frame.columns):
            cells = frame[key]
            risky = cells.str.match(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            frame[key] = cells.where(~risky, "'" + cells)
    text = frame.to_csv(
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
