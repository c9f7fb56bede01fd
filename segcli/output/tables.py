"""Rich tables for people: the customer list, one customer, breakdowns with bars, matrices,
settings and the cache. Cells are Text, never markup, so data is shown as written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.console import Group, JustifyMethod
from rich.table import Table
from rich.text import Text

from segcli.model.cache_limits import (
    MAX_BYTES_KEY,
    MAX_ENTRIES_KEY,
    MIB,
    CacheLimits,
    format_size,
)
from segcli.model.schema import (
    ACCOUNT_CODE,
    ACCOUNT_NAME,
    ACTIVE,
    AVG_SPEND_CENTS,
    COMPANY,
    CONTACT_ID,
    COUNT,
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
    RFM_SCORE,
    RFM_SEGMENT,
    SEGMENT,
    SHARE,
    SPEND_CENTS,
    TOTAL_SPEND_CENTS,
    VIP,
    format_instant,
    format_instants,
)
from segcli.model.settings import Settings
from segcli.output.escapes import shown
from segcli.output.values import (
    LAST_ORDER_DATE,
    SHOW_KEYS,
    TOTAL_SPEND,
    api_frame,
    format_cents,
    has_rfm,
    shown_column,
)

NAME_MIN_WIDTH = 10

COLUMN_GAP = 2  # what the list table puts between two columns

BAR_WIDTH = 24

_EIGHTHS = " ▏▎▍▌▋▊▉"

SEGMENT_STYLES = {VIP: "bold magenta", ACTIVE: "green", NEW: "cyan", DORMANT: "yellow"}

BREAKDOWN_TITLES = {"segment": "Segment", "frequency": "Purchase frequency", "rfm": "RFM segment"}


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
        "Customer": shown_column(names).to_numpy(),
        "ID": shown_column(page[CONTACT_ID]).to_numpy(),
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
    if shown == 0 and offset >= total:
        return f"offset {offset:,} is past the end: {total:,} customers match"
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
            table.add_row(
                label, Text("—" if value is None or pd.isna(value) else shown(str(value)))
            )
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


def config_tables(
    settings: Settings, origins: Mapping[str, str], path: str | None, limits: CacheLimits
) -> Group:
    """The effective settings with their origin, then the RFM segment table, then the cache's
    limits with their origin."""
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
    return Group(table, Text(""), rfm, Text(""), _cache_limits_table(origins, limits))


def _cache_limits_table(origins: Mapping[str, str], limits: CacheLimits) -> Table:
    table = Table(title="Cache limits", title_justify="left", header_style="bold")
    for name in ("Setting", "Value", "From"):
        table.add_column(name)
    table.add_row(MAX_BYTES_KEY, format_size(limits.max_bytes), origins[MAX_BYTES_KEY])
    table.add_row(MAX_ENTRIES_KEY, f"{limits.max_entries:,}", origins[MAX_ENTRIES_KEY])
    return table


def cache_table(root: str, stored: Sequence[Any], limits: CacheLimits) -> Table:
    """`cache info` for people: the entries, their size in all, and the limits."""
    total = sum(e.size for e in stored)
    table = Table(
        title=f"{root} — {len(stored)} entries, {total / MIB:,.1f} MiB "
        f"(at most {limits.max_entries} entries, {format_size(limits.max_bytes)})",
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
            f"{e.size / MIB:,.1f}",
            Text(shown(", ".join(e.inputs))),
        )
    return table
