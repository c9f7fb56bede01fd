"""Renderers: classified customers -> JSON, NDJSON, CSV text or Rich renderables.

Pure functions: they format what they are given and never read files or compute metrics. JSON for
many customers is written by pandas' C encoder (`to_json`), not by a Python dict per customer.
Rich is used in this module only; `Output` holds the two consoles (results on stdout, notices and
errors on stderr).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rich import box
from rich.console import Console, Group, JustifyMethod
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from segcli.schema import (
    ACCOUNT_CODE,
    ACCOUNT_NAME,
    ACTIVE,
    COMPANY,
    CONTACT_ID,
    DORMANT,
    EMAIL,
    FIRST_ORDER_MS,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    NAME,
    NEW,
    ORDER_COUNT,
    PHONE,
    PURCHASE_FREQUENCY,
    RFM_COLUMNS,
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    SEGMENT,
    SPEND_CENTS,
    VIP,
    format_instant,
    format_instants,
)
from segcli.settings import Settings
from segcli.summary import AVG_SPEND_CENTS, COUNT, SHARE, TOTAL_SPEND_CENTS

TOTAL_SPEND = "totalSpend"
LAST_ORDER_DATE = "lastOrderDate"
METRICS = "metrics"
# The customer API's key order (SPEC §5).
LIST_KEYS: tuple[str, ...] = (CONTACT_ID, NAME, EMAIL, COMPANY)
SHOW_KEYS: tuple[str, ...] = (*LIST_KEYS, PHONE, ACCOUNT_NAME, ACCOUNT_CODE)
METRIC_KEYS: tuple[str, ...] = (
    ORDER_COUNT,
    TOTAL_SPEND,
    LAST_ORDER_DATE,
    LAST_ORDER_REFERENCE,
    SEGMENT,
    LAST_ORDER_DAYS_AGO,
    PURCHASE_FREQUENCY,
)
RFM = "rfm"
# The nested `rfm` object of `list --rfm`: its keys, from the frame's columns.
RFM_KEYS: dict[str, str] = {
    RFM_RECENCY: "recency",
    RFM_FREQUENCY: "frequency",
    RFM_MONETARY: "monetary",
    RFM_SCORE: "score",
    RFM_SEGMENT: "segment",
}
CSV_COLUMNS: tuple[str, ...] = (*LIST_KEYS, *METRIC_KEYS)
CSV_TEXT_COLUMNS: tuple[str, ...] = (*LIST_KEYS, LAST_ORDER_REFERENCE)
# A CSV cell starting with one of these is run as a formula by spreadsheets (CWE-1236).
FORMULA_START = r"^[=+\-@\t\r]"
CSV_RECORD_END = "\r\n"

PROGRESS_AFTER_S = 1.0  # a load quicker than this shows no progress bar
NAME_MIN_WIDTH = 10
COLUMN_GAP = 2  # what the list table puts between two columns
BAR_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉"
SEGMENT_STYLES = {VIP: "bold magenta", ACTIVE: "green", NEW: "cyan", DORMANT: "yellow"}
BREAKDOWN_TITLES = {"segment": "Segment", "frequency": "Purchase frequency", "rfm": "RFM segment"}
BREAKDOWN_KEYS = {"segment": SEGMENT, "frequency": PURCHASE_FREQUENCY, "rfm": RFM_SEGMENT}


# --- values ---------------------------------------------------------------------------------


def format_cents(cents: np.ndarray | pd.Series, *, grouped: bool = False) -> pd.Series:
    """Integer cents -> exact two-decimal strings: 124550 -> '1245.50', -1200 -> '-12.00';
    `grouped` adds thousands separators for tables ('1,245.50'; the page on screen only)."""
    values = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(values)
    whole = pd.Series(magnitude // 100)
    whole = whole.map("{:,}".format).astype("str") if grouped else whole.astype("str")
    frac = pd.Series(magnitude % 100).astype("str").str.zfill(2)
    sign = pd.Series(np.where(values < 0, "-", ""), dtype="str")
    return sign + whole + "." + frac


def has_rfm(customers: pd.DataFrame) -> bool:
    """Whether RFM scores were added (`list --rfm`); renderers show what they are given."""
    return RFM_SEGMENT in customers.columns


def settings_meta(settings: Settings) -> dict[str, object]:
    """The effective thresholds for JSON `meta.settings`: camelCase keys, money as text."""
    meta: dict[str, object] = {}
    for key, value in settings.thresholds().items():
        head, *rest = key.split("-")
        name = head + "".join(word.capitalize() for word in rest)
        meta[name] = format_cents(np.array([value])).iloc[0] if key == "vip-threshold" else value
    return meta


def api_frame(customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS) -> pd.DataFrame:
    """The API's flat fields, formatted, in key order (`keys` then the metrics)."""
    last = customers[LAST_ORDER_MS]
    dates = pd.Series(format_instants(last.fillna(0).to_numpy(dtype=np.int64)), dtype="str")
    dates[last.isna().to_numpy()] = pd.NA
    flat = {key: customers[key].to_numpy() for key in keys}
    flat |= {
        ORDER_COUNT: customers[ORDER_COUNT].to_numpy(),
        TOTAL_SPEND: format_cents(customers[SPEND_CENTS]).to_numpy(),
        LAST_ORDER_DATE: dates.to_numpy(),
        LAST_ORDER_REFERENCE: customers[LAST_ORDER_REFERENCE].to_numpy(),
        SEGMENT: customers[SEGMENT].astype("str").to_numpy(),
        LAST_ORDER_DAYS_AGO: customers[LAST_ORDER_DAYS_AGO].array,
        PURCHASE_FREQUENCY: customers[PURCHASE_FREQUENCY].astype("str").to_numpy(),
    }
    if has_rfm(customers):
        flat |= {column: customers[column].to_numpy() for column in RFM_COLUMNS}
        flat[RFM_SEGMENT] = customers[RFM_SEGMENT].astype("str").to_numpy()
    frame = pd.DataFrame(flat)
    for key in (*keys, LAST_ORDER_DATE, LAST_ORDER_REFERENCE):
        frame[key] = frame[key].astype("str")  # keeps missing values missing (null in JSON)
    return frame


# --- JSON -----------------------------------------------------------------------------------


def records_json(
    customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, *, lines: bool = False
) -> str:
    """The API objects as a JSON array (or JSON lines)."""
    parts = _joined(record_texts(customers, keys, end="\n" if lines else ","), lines=lines)
    return _text(parts)


def record_texts(
    customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, *, end: str = ""
) -> pa.Array:
    """One compact JSON object per customer, in the API's key order, built column by column in
    Arrow (no Python object per customer): each value becomes its JSON literal, and the pieces
    of every record, then `end` (the separator of a JSON array or JSON lines), are concatenated
    in one pass."""
    last = customers[LAST_ORDER_MS]
    dates = pa.array(format_instants(last.fillna(0).to_numpy(dtype=np.int64)), pa.large_string())
    dates = pc.if_else(pa.array(last.isna().to_numpy()), pa.scalar(None, dates.type), dates)
    metric_values: dict[str, pa.Array] = {
        ORDER_COUNT: _json_ints(customers[ORDER_COUNT]),
        TOTAL_SPEND: _json_strings(pa.array(format_cents(customers[SPEND_CENTS]).to_numpy())),
        LAST_ORDER_DATE: _json_strings(dates),
        LAST_ORDER_REFERENCE: _json_strings(_arrow_text(customers[LAST_ORDER_REFERENCE])),
        SEGMENT: _json_labels(customers[SEGMENT]),
        LAST_ORDER_DAYS_AGO: _json_ints(customers[LAST_ORDER_DAYS_AGO]),
        PURCHASE_FREQUENCY: _json_labels(customers[PURCHASE_FREQUENCY]),
    }
    pieces: list[pa.Array | str] = []
    for i, key in enumerate(keys):
        pieces += [
            ("{" if i == 0 else ",") + f'"{key}":',
            _json_strings(_arrow_text(customers[key])),
        ]
    for i, key in enumerate(METRIC_KEYS):
        opening = f',"{METRICS}":{{' if i == 0 else ","
        pieces += [f'{opening}"{key}":', metric_values[key]]
    if has_rfm(customers):
        rfm = {
            RFM_RECENCY: _json_ints(customers[RFM_RECENCY]),
            RFM_FREQUENCY: _json_ints(customers[RFM_FREQUENCY]),
            RFM_MONETARY: _json_ints(customers[RFM_MONETARY]),
            RFM_SCORE: _json_strings(_arrow_text(customers[RFM_SCORE])),
            RFM_SEGMENT: _json_labels(customers[RFM_SEGMENT]),
        }
        for i, (column, key) in enumerate(RFM_KEYS.items()):
            opening = f',"{RFM}":{{' if i == 0 else ","
            pieces += [f'{opening}"{key}":', rfm[column]]
        pieces.append("}")
    pieces.append("}}" + end)
    if len(customers) == 0:
        return pa.array([], pa.large_string())
    parts = [p if isinstance(p, pa.Array) else _literal(p) for p in pieces]
    return pc.binary_join_element_wise(*parts, _literal(""))


def _text(parts: Sequence[pa.Buffer | bytes]) -> str:
    """Parts of UTF-8 bytes (`_joined`, `list_json_bytes`) as one string."""
    return b"".join(bytes(p) for p in parts).decode("utf-8")


def _joined(records: pa.Array, *, lines: bool) -> list[pa.Buffer | bytes]:
    """Records that end in their separator (record_texts' `end`: a newline for JSON lines, a
    comma in an array) as the parts of JSON lines or of one JSON array, the records one slice of
    Arrow's buffer (no copy)."""
    if len(records) == 0:
        return [] if lines else [b"[]"]
    offsets = np.frombuffer(records.buffers()[1], dtype=np.int64)[records.offset :]
    start, stop = int(offsets[0]), int(offsets[len(records)])
    if lines:
        return [records.buffers()[2][start:stop]]
    return [b"[", records.buffers()[2][start : stop - 1], b"]"]  # without the last comma


# JSON string escapes: the two characters that must be escaped, then the control characters.
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def _json_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value as a JSON string literal, or null."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    values = pc.cast(values, pa.large_string())
    if pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py():
        values = pc.replace_substring(values, "\\", "\\\\")
        values = pc.replace_substring(values, '"', '\\"')
        for code in range(0x20):
            char = chr(code)
            escaped = _SHORT_ESCAPES.get(char, f"\\u{code:04x}")
            values = pc.replace_substring(values, char, escaped)
    quoted = pc.binary_join_element_wise(_literal('"'), values, _literal('"'), _literal(""))
    return pc.fill_null(quoted, _literal("null"))


def _json_ints(values: pd.Series) -> pa.Array:
    """Integers as JSON numbers, missing ones as null."""
    text = pc.cast(pa.array(values.array), pa.large_string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return pc.fill_null(text, _literal("null"))


def _json_labels(values: pd.Series) -> pa.Array:
    """A categorical of labels that need no escapes (schema.py, settings.py) as JSON strings."""
    labels = pa.array([f'"{label}"' for label in values.cat.categories], pa.large_string())
    return labels.take(pa.array(values.cat.codes.to_numpy()))


def _literal(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _arrow_text(values: pd.Series) -> pa.Array:
    array = pa.array(values.array) if values.dtype == "str" else pa.array(values, pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _dumps(document: object, pretty: bool) -> str:
    if pretty:
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def _finish(text: str, pretty: bool) -> str:
    return _dumps(json.loads(text), pretty=True) if pretty else text + "\n"


def list_json(
    page: pd.DataFrame,
    total: int,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": [...], "meta": {"count": n, "total": matches, ...}}`."""
    parts = list_json_bytes(page, total, as_of_ms=as_of_ms, settings=settings)
    return _finish(_text(parts).rstrip("\n"), pretty)


def list_json_bytes(
    page: pd.DataFrame,
    total: int,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
) -> list[pa.Buffer | bytes]:
    """`list_json` (compact) as parts of UTF-8 bytes, to be written one after another: the
    records are a slice of Arrow's buffer, never copied into one Python bytes object."""
    data = _joined(record_texts(page, LIST_KEYS, end=","), lines=False)
    meta = _dumps(_meta({"count": len(page), "total": total}, as_of_ms, settings), False).strip()
    return [b'{"success":true,"data":', *data, b',"meta":' + meta.encode() + b"}\n"]


def _meta(
    meta: dict[str, object], as_of_ms: int | None, settings: Settings | None
) -> dict[str, object]:
    """`meta` plus the as-of instant and the effective settings, when known."""
    if as_of_ms is not None:
        meta["asOf"] = format_instant(as_of_ms)
    if settings is not None:
        meta["settings"] = settings_meta(settings)
    return meta


def list_ndjson(page: pd.DataFrame) -> str:
    """One API customer object per line."""
    return records_json(page, LIST_KEYS, lines=True)


def list_ndjson_bytes(page: pd.DataFrame) -> list[pa.Buffer | bytes]:
    """`list_ndjson` as parts of UTF-8 bytes, straight from Arrow's buffer (no Python string)."""
    return _joined(record_texts(page, LIST_KEYS, end="\n"), lines=True)


def show_json(
    customer: pd.DataFrame,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {contactID, ..., accountCode, metrics}, "meta": {...}}` for a
    one-row frame (meta only when there is an as-of instant or settings to report)."""
    data = records_json(customer, SHOW_KEYS, lines=True).strip()
    meta = _meta({}, as_of_ms, settings)
    if not meta:
        return _finish(f'{{"success":true,"data":{data}}}', pretty)
    return _finish(f'{{"success":true,"data":{data},"meta":{_dumps(meta, False).strip()}}}', pretty)


def breakdown_json(
    tables: Mapping[str, pd.DataFrame],
    total: int,
    as_of_ms: int,
    *,
    settings: Settings | None = None,
    pretty: bool = False,
) -> str:
    data = {}
    for by, table in tables.items():
        spend = format_cents(table[TOTAL_SPEND_CENTS]).tolist()
        avg = table[AVG_SPEND_CENTS]
        avg_text = format_cents(avg.fillna(0).to_numpy(dtype=np.int64)).tolist()
        data[BREAKDOWN_KEYS[by]] = {
            label: {
                "count": int(table[COUNT].iloc[i]),
                "share": float(table[SHARE].iloc[i]),
                "totalSpend": spend[i],
                "avgSpend": None if pd.isna(avg.iloc[i]) else avg_text[i],
            }
            for i, label in enumerate(table.index)
        }
    document = {
        "success": True,
        "data": data,
        "meta": _meta({"total": total}, as_of_ms, settings),
    }
    return _dumps(document, pretty)


def matrix_json(
    table: pd.DataFrame,
    meta: dict[str, object],
    *,
    key: str,
    fields: Mapping[str, object] | None = None,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {**fields, key: {row: {column: count}}}, "meta": {...}}`."""
    cells = {
        str(row): {str(column): int(count) for column, count in counts.items()}
        for row, counts in table.to_dict(orient="index").items()
    }
    document = {
        "success": True,
        "data": {**(fields or {}), key: cells},
        "meta": _meta(dict(meta), as_of_ms, settings),
    }
    return _dumps(document, pretty)


def error_json(code: str, message: str) -> str:
    return _dumps({"success": False, "error": {"code": code, "message": message}}, pretty=False)


# --- CSV ------------------------------------------------------------------------------------


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


# --- Rich -----------------------------------------------------------------------------------


def _segment_text(label: str) -> Text:
    return Text(label, style=SEGMENT_STYLES.get(label, ""))


def list_table(
    page: pd.DataFrame, total: int, offset: int = 0, *, width: int | None = None
) -> Table:
    """The customers on one page, with a `showing 50 of 2,583` caption.

    Every column but the customer's name keeps its full width; given the screen `width`, the name
    column takes what is left (at least NAME_MIN_WIDTH) and long names end in an ellipsis.
    """
    table = Table(
        caption=_showing(len(page), total, offset),
        caption_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    names = page[NAME].fillna(page[COMPANY]).fillna("—").astype("str")
    last = page[LAST_ORDER_MS]
    dates = pd.Series(format_instants(last.fillna(0).to_numpy(dtype=np.int64))).str.slice(0, 10)
    dates[last.isna().to_numpy()] = "—"
    columns = {
        "Customer": names.to_numpy(),
        "ID": page[CONTACT_ID].to_numpy(),
        "Segment": page[SEGMENT].astype("str").to_numpy(),
        "Frequency": page[PURCHASE_FREQUENCY].astype("str").to_numpy(),
        "Orders": page[ORDER_COUNT].map("{:,}".format).to_numpy(),
        "Spend": format_cents(page[SPEND_CENTS], grouped=True).to_numpy(),
        "Last order": dates.to_numpy(),
        "Days": page[LAST_ORDER_DAYS_AGO].astype("str").fillna("—").to_numpy(),
    }
    if has_rfm(page):
        columns["RFM"] = page[RFM_SCORE].to_numpy()
        columns["RFM segment"] = page[RFM_SEGMENT].astype("str").to_numpy()
    widths = {}
    for title, values in columns.items():
        lengths = pd.Series(values, dtype="str").str.len()
        widths[title] = max(len(title), int(lengths.max()) if len(lengths) else 0)
    if width is not None:
        others = sum(widths.values()) - widths["Customer"] + COLUMN_GAP * (len(widths) - 1)
        widths["Customer"] = max(NAME_MIN_WIDTH, min(widths["Customer"], width - others))
    for title in columns:
        justify: JustifyMethod = "right" if title in {"Orders", "Spend", "Days"} else "left"
        table.add_column(
            title, justify=justify, no_wrap=True, overflow="ellipsis", width=widths[title]
        )
    # Cells are Text, never markup: a name such as "Cafe [VIP]" is shown as written.
    for name, contact, segment, *rest in zip(*columns.values(), strict=True):
        table.add_row(Text(name), Text(contact), _segment_text(segment), *map(Text, rest))
    return table


def _showing(shown: int, total: int, offset: int) -> str:
    if total == 0:
        return "no customers match"
    if offset == 0 or shown == 0:
        return f"showing {shown:,} of {total:,}"
    return f"showing {offset + 1:,}–{offset + shown:,} of {total:,}"


def show_table(customer: pd.DataFrame) -> Table:
    """One customer's details and metrics as a two-column grid."""
    row = api_frame(customer, SHOW_KEYS).iloc[0]
    first_ms = customer[FIRST_ORDER_MS].iloc[0]
    first = None if pd.isna(first_ms) else format_instant(int(first_ms))
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    labels = {
        CONTACT_ID: "Contact ID",
        NAME: "Name",
        EMAIL: "Email",
        COMPANY: "Company",
        PHONE: "Phone",
        ACCOUNT_NAME: "Account name",
        ACCOUNT_CODE: "Account code",
        SEGMENT: "Segment",
        PURCHASE_FREQUENCY: "Purchase frequency",
        ORDER_COUNT: "Orders",
        TOTAL_SPEND: "Total spend",
        "firstOrderDate": "First order",
        LAST_ORDER_DATE: "Last order",
        LAST_ORDER_DAYS_AGO: "Days since last order",
        LAST_ORDER_REFERENCE: "Last order reference",
    }
    values = row.to_dict() | {"firstOrderDate": first}
    values[TOTAL_SPEND] = format_cents(customer[SPEND_CENTS], grouped=True).iloc[0]
    for key, label in labels.items():
        value = values[key]
        if key == SEGMENT:
            table.add_row(label, _segment_text(value))
        else:
            table.add_row(label, Text("—" if value is None or pd.isna(value) else str(value)))
    return table


def _bar(share: float) -> str:
    eighths = round(share * BAR_WIDTH * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def breakdown_tables(tables: Mapping[str, pd.DataFrame], total: int, as_of_ms: int) -> Group:
    """A table per breakdown: count, share, a bar, total and average spend per category."""
    rendered = []
    for by, frame in tables.items():
        table = Table(
            title=f"{BREAKDOWN_TITLES[by]} — {total:,} customers as of {format_instant(as_of_ms)}",
            title_justify="left",
            header_style="bold",
        )
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            (BREAKDOWN_TITLES[by], "left"),
            ("Customers", "right"),
            ("Share", "right"),
            ("", "left"),
            ("Total spend", "right"),
            ("Avg spend", "right"),
        )
        for title, justify in columns:
            table.add_column(title, justify=justify)
        money = format_cents(frame[TOTAL_SPEND_CENTS], grouped=True).to_numpy()
        avg = frame[AVG_SPEND_CENTS]
        avg_text = format_cents(avg.fillna(0).astype("int64"), grouped=True).where(
            avg.notna().to_numpy(), "—"
        )
        for i, label in enumerate(frame.index):
            share = float(frame[SHARE].iloc[i])
            table.add_row(
                _segment_text(label) if by == "segment" else label,
                f"{int(frame[COUNT].iloc[i]):,}",
                f"{share:.1%}",
                Text(_bar(share), style=SEGMENT_STYLES.get(label, "blue")),
                money[i],
                avg_text.iloc[i],
            )
        rendered.append(table)
    return Group(*rendered)


def matrix_table(table: pd.DataFrame, title: str, corner: str, *, diagonal: bool = False) -> Group:
    """Counts of row label x column label, under a title line (not wrapped to the table's width);
    `diagonal` highlights the cells where row and column agree."""
    grid = Table(header_style="bold")
    grid.add_column(corner, justify="left")
    for column in table.columns:
        grid.add_column(str(column), justify="right", min_width=len(str(column)))
    grid.add_column("Total", justify="right", style="bold")
    for row, counts in zip(table.index, table.to_numpy(), strict=True):
        cells = [
            Text(f"{int(n):,}", style="reverse" if diagonal and row == column else "")
            for column, n in zip(table.columns, counts, strict=True)
        ]
        grid.add_row(_segment_text(str(row)), *cells, f"{int(counts.sum()):,}")
    return Group(Text(title, style="italic"), grid)


def movements_table(moves: pd.DataFrame, title: str) -> Table:
    """A frame of (from, to, count) columns, as given (biggest first)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in (("From", "left"), ("", "left"), ("To", "left"), ("Customers", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for source, target, count in zip(*(moves[c].tolist() for c in moves.columns), strict=True):
        table.add_row(_segment_text(source), "→", _segment_text(target), f"{count:,}")
    return table


def config_json(
    settings: Settings, origins: Mapping[str, str], path: str | None, *, pretty: bool = False
) -> str:
    """The effective settings, where each came from, and the RFM segment table."""
    document = {
        "success": True,
        "data": {
            "configFile": path,
            "settings": settings_meta(settings),
            "origins": dict(origins),
            "rfmSegments": [
                {
                    "name": rule.name,
                    "recency": list(rule.recency),
                    "frequency": list(rule.frequency),
                    "monetary": list(rule.monetary),
                }
                for rule in settings.rfm_segments
            ],
        },
    }
    return _dumps(document, pretty)


def config_tables(settings: Settings, origins: Mapping[str, str], path: str | None) -> Group:
    """The effective settings with their origin, then the RFM segment table."""
    source = f"config file: {path}" if path else "no config file"
    table = Table(title=f"Settings ({source})", title_justify="left", header_style="bold")
    for name in ("Setting", "Value", "From"):
        table.add_column(name)
    for key, value in settings.thresholds().items():
        shown = (
            format_cents(np.array([value]), grouped=True).iloc[0]
            if key == "vip-threshold"
            else f"{value} days"
        )
        table.add_row(key, shown, origins[key])
    rfm = Table(
        title=f"RFM segments, first match wins (from {origins['rfm-segments']})",
        title_justify="left",
        header_style="bold",
    )
    for name in ("Segment", "Recency", "Frequency", "Monetary"):
        rfm.add_column(name)
    for rule in settings.rfm_segments:
        ranges = [f"{low}–{high}" for low, high in (rule.recency, rule.frequency, rule.monetary)]
        rfm.add_row(Text(rule.name), *ranges)
    rfm.add_row(Text(settings.rfm_labels()[-1]), "otherwise", "", "")
    return Group(table, Text(""), rfm)


def cache_json(root: str, stored: Sequence[Any], *, pretty: bool = False) -> str:
    """`cache info` as JSON: the directory and each entry."""
    document = {
        "success": True,
        "data": {
            "directory": root,
            "entries": [
                {
                    "name": e.name,
                    "bytes": e.size,
                    "created": e.created,
                    "inputs": list(e.inputs),
                    "customers": e.customers,
                }
                for e in stored
            ],
            "bytes": sum(e.size for e in stored),
        },
    }
    return _dumps(document, pretty)


def cache_table(root: str, stored: Sequence[Any]) -> Table:
    """`cache info` for people."""
    total = sum(e.size for e in stored)
    table = Table(
        title=f"{root} — {len(stored)} entries, {total / 2**20:,.1f} MiB",
        title_justify="left",
        header_style="bold",
    )
    for name, justify in (
        ("Created", "left"),
        ("Customers", "right"),
        ("MiB", "right"),
        ("Inputs", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in stored:
        customers = "?" if e.customers is None else f"{e.customers:,}"
        table.add_row(
            e.created or "unreadable",
            customers,
            f"{e.size / 2**20:,.1f}",
            Text(", ".join(e.inputs)),
        )
    return table


class Output:
    """Where things go: results to stdout, notices and errors to stderr."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.stdout = Console(soft_wrap=False)
        self.stderr = Console(stderr=True, soft_wrap=True, highlight=False)

    def write(self, parts: Sequence[pa.Buffer | bytes]) -> None:
        """Machine-readable bytes (UTF-8), as they are, part after part."""
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(_text(parts))
            return
        for part in parts:
            buffer.write(memoryview(part))
        buffer.flush()

    def text(self, text: str) -> None:
        """Machine-readable text, written as UTF-8 bytes, untouched by Rich."""
        stream = sys.stdout
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(text)
        else:
            buffer.write(text.encode("utf-8"))
            buffer.flush()

    @property
    def width(self) -> int:
        return self.stdout.width

    def show(self, renderable: object) -> None:
        self.stdout.print(renderable)

    @contextmanager
    def progress(self) -> Iterator[Callable[[str, int, int], None]]:
        """A progress callback `(what, done, total)`. A bar is drawn on stderr only when it is a
        terminal, and only once the work has taken PROGRESS_AFTER_S; it is gone when done."""
        if self.quiet or not self.stderr.is_terminal:
            yield lambda what, done, total: None
            return
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.stderr,
            transient=True,
        )
        task = bar.add_task("loading", total=None)
        timer = threading.Timer(PROGRESS_AFTER_S, bar.start)
        timer.daemon = True
        timer.start()

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        try:
            yield update
        finally:
            timer.cancel()
            timer.join()
            bar.stop()

    def notice(self, message: str) -> None:
        if not self.quiet:
            self.stderr.print(Text(message, style="dim"))

    def error(self, message: str) -> None:
        self.stderr.print(Text(f"error: {message}", style="bold red"))
