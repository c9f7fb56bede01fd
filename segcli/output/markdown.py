"""Customers and summaries as GitHub-flavoured markdown pipe tables, for docs and chats: the
same columns as CSV. A `|` in a cell is escaped as `\\|`, control characters are shown as
escapes (a line break would end the row), and numbers are aligned right."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from segcli.output.escapes import CONTROL_ESCAPES
from segcli.output.fields import RIGHT_FIELDS
from segcli.output.values import LIST_KEYS, record_frame

RIGHT = RIGHT_FIELDS | {"avgSpend"}  # amounts written as text, aligned as numbers

# Characters a cell cannot hold as they are: the pipe that separates cells, and control
# characters (shown as escapes, as on a terminal). A backslash before a pipe stays literal.
CELL_ESCAPES: dict[int, str] = {**CONTROL_ESCAPES, ord("|"): "\\|"}


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def _rule(numeric: Sequence[bool]) -> str:
    return "|" + "|".join("---:" if right else "---" for right in numeric) + "|\n"


def list_markdown(
    page: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, fields: Sequence[str] = ()
) -> str:
    """The list as a pipe table, with CSV's columns (`keys` and the metrics, or `fields`)."""
    frame = record_frame(page, keys, fields)
    numeric = [c in RIGHT or pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = pd.Series("|", index=frame.index, dtype="str")
    for column in frame.columns:  # column by column: no loop over customers
        cells = frame[column].astype("str").fillna("").str.translate(CELL_ESCAPES)
        rows = rows + " " + cells + " |"
    body = "\n".join(rows.tolist()) + "\n" if len(rows) else ""
    return _line([str(c) for c in frame.columns]) + _rule(numeric) + body


def records_markdown(records: Sequence[Mapping[str, Any]]) -> str:
    """A few records (a breakdown's categories, a matrix's cells, one customer) as a pipe
    table, their keys as the header; a missing value is an empty cell."""
    if not records:
        return ""
    keys = list(records[0])
    numeric = [
        k in RIGHT
        or all(isinstance(r[k], int | float) and not isinstance(r[k], bool) for r in records)
        for k in keys
    ]
    lines = [_line(keys), _rule(numeric)]
    for record in records:  # categories or cells, never customers
        cells = ["" if record[k] is None else str(record[k]) for k in keys]
        lines.append(_line([cell.translate(CELL_ESCAPES) for cell in cells]))
    return "".join(lines)
