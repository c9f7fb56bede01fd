"""The customer list as CSV (SPEC §5), safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

from segcli.model.schema import (
    LAST_ORDER_REFERENCE,
    RFM_COLUMNS,
    RFM_SEGMENT,
)
from segcli.output.values import LIST_KEYS, METRIC_KEYS, api_frame, has_rfm

CSV_COLUMNS: tuple[str, ...] = (*LIST_KEYS, *METRIC_KEYS)

CSV_TEXT_COLUMNS: tuple[str, ...] = (*LIST_KEYS, LAST_ORDER_REFERENCE)

# A cell a spreadsheet would run as a formula (CWE-1236, OWASP's CSV injection guidance): one
# that starts with `=`, `@`, tab or CR, or with `+` or `-` unless it is a plain number (a phone
# used as an id, `+8801678126000`, or `-12.50` are data, and are written as they are).
FORMULA_START = r"^(?:[=@\t\r]|[+-](?!\d+(?:\.\d+)?$))"

CSV_RECORD_END = "\r\n"


def list_csv(page: pd.DataFrame) -> str:
    """The list as RFC 4180 CSV (CRLF after each record, so that any cell holding a CR or LF is
    quoted); text cells that a spreadsheet would run as a formula get a leading `'`."""
    frame = api_frame(page)
    columns, text_columns = CSV_COLUMNS, CSV_TEXT_COLUMNS
    if has_rfm(page):
        columns, text_columns = (*columns, *RFM_COLUMNS), (*text_columns, RFM_SEGMENT)
    for key in text_columns:
        cells = frame[key]
        risky = cells.str.match(FORMULA_START).fillna(False).to_numpy(dtype=bool)
        frame[key] = cells.where(~risky, "'" + cells)
    return frame[list(columns)].to_csv(index=False, lineterminator=CSV_RECORD_END)
