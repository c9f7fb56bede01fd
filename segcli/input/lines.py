"""Physical lines of a CSV file, for messages: Arrow numbers records (the header is 1, and blank
lines are not counted), and a quoted field may hold line breaks, so a record's number is not its
line. The file is scanned once, vectorised per block, and only when a location is wanted (rows
were skipped): where each record starts, and whether a quote is left open at the end."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

import numpy as np

from segcli.input.sources import Source, open_bytes

QUOTE, NEWLINE, RETURN = ord('"'), ord("\n"), ord("\r")
SCAN_BYTES = 16 << 20


@dataclass(frozen=True)
class Layout:
    """Where each record starts (`starts[r - 1]` is record r's first line), how many lines the
    file has, and the line of the record an unclosed quote opened (None: every quote closes)."""

    starts: np.ndarray
    lines: int
    open_quote_line: int | None


class LineMap:
    """Record numbers -> physical lines of one CSV source, scanned on first use."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._layout: Layout | None = None

    @property
    def layout(self) -> Layout | None:
        """The file's layout; None when its encoding is not one byte per ASCII character (UTF-16)
        or it cannot be read again (then records' numbers stand in for lines)."""
        if self._layout is None and ascii_compatible(self.source.encoding):
            try:
                with ExitStack() as stack:
                    self._layout = scan(open_bytes(self.source, stack))
            except (OSError, EOFError, ValueError):
                return None
        return self._layout

    def lines(self, records: np.ndarray) -> np.ndarray:
        """The first physical line of each record (1-based numbers, header 1)."""
        layout = self.layout
        if layout is None or not len(layout.starts):
            return records
        known = np.clip(records - 1, 0, len(layout.starts) - 1)
        return np.where(records - 1 < len(layout.starts), layout.starts[known], records)


def ascii_compatible(encoding: str) -> bool:
    return "utf_16" not in encoding.replace("-", "_").lower() and "32" not in encoding


def scan(raw: IO[bytes]) -> Layout:
    """Record starts, line count and an unclosed quote's line, block by block: a newline ends a
    record when the quotes before it are even; a record that starts with a line end is blank."""
    starts: list[np.ndarray] = []
    quotes = lines = 0  # quotes and line ends before the block
    at_start = True  # whether the block's first byte starts a record
    last_start = 1
    ends_with_newline = True  # an empty file has no lines
    while block := raw.read(SCAN_BYTES):
        data = np.frombuffer(block, dtype=np.uint8)
        is_quote = data == QUOTE
        is_newline = data == NEWLINE
        quotes_before = quotes + np.cumsum(is_quote) - is_quote
        lines_before = lines + np.cumsum(is_newline) - is_newline
        ends = np.flatnonzero(is_newline & (quotes_before % 2 == 0))
        begin = ends + 1
        if at_start:
            begin = np.concatenate([[0], begin])
        at_start = bool(len(ends)) and ends[-1] == len(data) - 1
        begin = begin[begin < len(data)]
        blank = (data[begin] == NEWLINE) | (data[begin] == RETURN)
        begin = begin[~blank]
        starts.append(lines_before[begin] + 1)
        if len(begin):
            last_start = int(lines_before[begin[-1]]) + 1
        quotes += int(is_quote.sum())
        lines += int(is_newline.sum())
        ends_with_newline = bool(data[-1] == NEWLINE)
    total = lines + (0 if ends_with_newline else 1)
    found = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    return Layout(found.astype(np.int64), total, last_start if quotes % 2 else None)
