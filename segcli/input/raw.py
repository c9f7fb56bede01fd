"""The columns read from every source, before they are shaped and parsed, and where each row
stands in its file: a CSV file's physical line, a Parquet file's row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segcli.input.lines import LineMap
from segcli.model.options import PARQUET


@dataclass(frozen=True)
class RawOrders:
    """The mapped columns of every source, in input order, and where each row is from.

    `tables[k]` is source k with canonical column names: CSV columns are strings, Parquet columns
    keep their types (so the sources are not concatenated here). Rows are numbered across all
    tables in order. `malformed[k]` holds the record numbers (header = 1) of CSV rows of source k
    that had the wrong number of fields and so are not in `tables[k]`. When rows have been set
    aside after reading (line items folded, cancelled orders), `kept` maps each remaining row to
    its index in the original numbering, so that locations stay those of the file. `line_maps[k]`
    turns source k's record numbers into physical lines (None for Parquet).
    """

    tables: tuple[pa.Table, ...]
    labels: tuple[str, ...]
    formats: tuple[str, ...]
    offsets: np.ndarray  # where each source starts in the row numbering, then the total
    malformed: tuple[np.ndarray, ...]
    kept: np.ndarray | None = None
    line_maps: tuple[LineMap | None, ...] = ()
    malformed_text: tuple[tuple[str, ...], ...] = ()  # each malformed row's text, as read

    @property
    def rows_read(self) -> int:
        return int(self.offsets[-1]) + sum(len(m) for m in self.malformed)

    def locate(self, index: int) -> str:
        """Where row `index` (counted across the tables) stands in its source: 'line 17'."""
        sources, numbers = self.places(np.array([index], dtype=np.int64))
        return self.describe(int(sources[0]), int(numbers[0]))

    def places(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For rows `indices`: the source of each, and its physical line (CSV) or row (Parquet)."""
        if self.kept is not None:
            indices = self.kept[indices]
        source = np.searchsorted(self.offsets, indices, side="right") - 1
        position = indices - self.offsets[source]
        numbers = position + 1  # a Parquet row
        for k, fmt in enumerate(self.formats):
            mine = source == k
            if fmt == PARQUET or not mine.any():
                continue
            records = position[mine] + 2  # the header is record 1
            # records pyarrow skipped (the wrong number of fields) shift the ones after them:
            # the i-th skipped one comes before every good record numbered m_i - i or more
            shifted = self.malformed[k] - np.arange(len(self.malformed[k]))
            records = records + np.searchsorted(shifted, records, side="right")
            numbers[mine] = self.lines(k, records)
        return source, numbers

    def lines(self, k: int, records: np.ndarray) -> np.ndarray:
        """Source k's record numbers as physical lines (as they are when no map is known)."""
        line_map = self.line_maps[k] if k < len(self.line_maps) else None
        return records if line_map is None else line_map.lines(records)

    def open_quotes(self) -> list[str]:
        """`an unterminated quote at line 11 joins lines 11–50`, for each CSV source whose last
        quote never closes: the records after it were read as one. (Scans the files: asked only
        when rows were skipped, as such a record nearly always is.)"""
        said = []
        for k, line_map in enumerate(self.line_maps):
            layout = line_map.layout if line_map is not None else None
            if layout is not None and layout.open_quote_line is not None:
                prefix = f"{self.labels[k]}: " if len(self.labels) > 1 else ""
                first, last = layout.open_quote_line, layout.lines
                said.append(
                    f"{prefix}an unterminated quote at line {first} joins lines {first}–{last}"
                )
        return said

    def locate_malformed(self, k: int, record: int) -> str:
        return self.describe(k, int(self.lines(k, np.array([record]))[0]))

    def describe(self, k: int, number: int) -> str:
        """'line 17' or 'row 17', after the file's name when there are several files."""
        kind = "row" if self.formats[k] == PARQUET else "line"
        prefix = f"{self.labels[k]} " if len(self.labels) > 1 else ""
        return f"{prefix}{kind} {number}"
