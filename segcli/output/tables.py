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
    CLV_CENTS,
    COMPANY,
    CONTACT_ID,
    COUNT,
    DORMANT,
    EMAIL,
    EXPECTED_ORDERS,
    FIRST_ORDER_MS,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    NAME,
    NEW,
    ORDER_COUNT,
    PHONE,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SHARE,
    SPEND_CENTS,
    TOTAL_SPEND_CENTS,
    VIP,
    format_instant,
    format_instants,
)
from segcli.model.settings import Settings
from segcli.output import fit, predicted
from segcli.output.escapes import shown
from segcli.output.fields import (
    DEFAULT_LIST_FIELDS,
    DEFAULT_RFM_FIELDS,
    LIST_PRIORITY,
    LIST_TITLES,
    RIGHT_FIELDS,
    TEXT_FIELDS,
)
from segcli.output.values import (
    LAST_ORDER_DATE,
    SHOW_KEYS,
    TOTAL_SPEND,
    api_frame,
    format_cents,
    has_rfm,
    shown_column,
)

COLUMN_GAP = 2  # what the list table puts between two columns

BAR_WIDTH = 24

_EIGHTHS = " ▏▎▍▌▋▊▉"

SEGMENT_STYLES = {VIP: "bold magenta", ACTIVE: "green", NEW: "cyan", DORMANT: "yellow"}

BREAKDOWN_TITLES = {"segment": "Segment", "frequency": "Purchase frequency", "rfm": "RFM segment"}


def segment_text(label: str) -> Text:
    return Text(label, style=SEGMENT_STYLES.get(label, ""))


def _list_cells(page: pd.DataFrame, field: str) -> np.ndarray:
    """One field of the page as the table shows it: grouped money, dates as YYYY-MM-DD, control
    characters escaped, a dash for a missing value."""
    if field == ORDER_COUNT:
        return page[ORDER_COUNT].map("{:,}".format).to_numpy()
    if field == TOTAL_SPEND:
        return format_cents(page[SPEND_CENTS], grouped=True).to_numpy()
    if field in predicted.FIELDS:
        return predicted.cells(page, field)
    if field == LAST_ORDER_DATE:
        last = page[LAST_ORDER_MS]
        ms = last.fillna(0).to_numpy(dtype=np.int64)
        dates = pd.Series(format_instants(ms), dtype="str").str.slice(0, 10)
        return dates.where(last.notna().to_numpy(), "—").to_numpy()
    values = page[field]
    cells = shown_column(values) if field in TEXT_FIELDS else values.astype("str")
    return cells.fillna("—").to_numpy()


def list_table(
    page: pd.DataFrame,
    total: int,
    offset: int = 0,
    *,
    width: int | None = None,
    fields: Sequence[str] | None = None,
    hint: str = "",
    currency: str | None = None,
) -> Group:
    """The customers on one page, then a `showing 50 of 2,583` line (`; amounts in NZD` when the
    orders' currency is known).

    `fields` picks and orders the columns (default: the customer's name, else the company, as
    "Customer", the id and the metrics). Given the screen `width`, numbers, dates and category
    names keep their whole width; text columns shrink and end in an ellipsis; below that, the
    lowest-priority columns are hidden and the last line names them (with `hint`).
    """
    chosen = tuple(fields) if fields else DEFAULT_LIST_FIELDS
    if not fields and has_rfm(page):
        chosen += DEFAULT_RFM_FIELDS
    if not fields and predicted.has_prediction(page):
        chosen += predicted.TABLE_FIELDS
    columns = {field: _list_cells(page, field) for field in chosen}
    titles = {field: LIST_TITLES[field] for field in chosen}
    if not fields:
        titles[NAME] = "Customer"
        names = page[NAME].fillna(page[COMPANY]) if COMPANY in page else page[NAME]
        columns[NAME] = shown_column(names).fillna("—").to_numpy()
    needs = [  # a title on one line: never cut either
        fit.text(field, list(cells), titles[field], LIST_PRIORITY[field])
        if field in TEXT_FIELDS
        else fit.whole(field, list(cells), titles[field], LIST_PRIORITY[field], title_wraps=False)
        for field, cells in columns.items()
    ]
    widths, hidden = fit.fit(needs, width or 10**6, gap=COLUMN_GAP)
    table = Table(
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for field in widths:
        justify: JustifyMethod = "right" if field in RIGHT_FIELDS else "left"
        table.add_column(
            titles[field], justify=justify, no_wrap=True, overflow="ellipsis", width=widths[field]
        )
    # Cells are Text, never markup: a name such as "Cafe [VIP]" is shown as written.
    styled = {SEGMENT: segment_text}
    for row in zip(*(columns[field] for field in widths), strict=True):
        table.add_row(*(styled.get(f, Text)(cell) for f, cell in zip(widths, row, strict=True)))
    footer = [Text(_showing(len(page), total, offset) + in_currency(currency))]
    if hidden:
        footer.append(Text(fit.hidden_note(hidden, hint)))
    return Group(table, *footer)


def in_currency(currency: str | None) -> str:
    return f"; amounts in {currency}" if currency else ""


def _showing(shown: int, total: int, offset: int) -> str:
    if total == 0:
        return "no customers match"
    if shown == 0 and offset >= total:
        return f"offset {offset:,} is past the end: {total:,} customers match"
    if offset == 0 or shown == 0:
        return f"showing {shown:,} of {total:,}"
    return f"showing {offset + 1:,}–{offset + shown:,} of {total:,}"


SHOW_EDGES = 8  # the show grid pads each of its two columns by 2 on both sides


def show_table(customer: pd.DataFrame, *, width: int | None = None) -> Table:
    """One customer's details and metrics as a two-column grid. The value column is never
    narrower than its numbers and dates; in a narrow `width`, a long text value (an email)
    folds onto more lines."""
    row = api_frame(customer, SHOW_KEYS).iloc[0]
    first_ms = customer[FIRST_ORDER_MS].iloc[0]
    first = None if pd.isna(first_ms) else format_instant(int(first_ms))
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
    cells = {
        key: "—" if values[key] is None or pd.isna(values[key]) else shown(str(values[key]))
        for key in labels
    }
    whole = fit.widest(cells[key] for key in labels if key not in TEXT_FIELDS)
    label_width = fit.widest(labels.values())
    room = (width or 10**6) - label_width - SHOW_EDGES
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, width=label_width)
    table.add_column(width=max(whole, min(fit.widest(cells.values()), room)), overflow="fold")
    for key, label in labels.items():
        table.add_row(label, segment_text(cells[key]) if key == SEGMENT else Text(cells[key]))
    return table


BOX_GAP = 3  # a boxed table draws " │ " between two columns ...
BOX_EDGES = 4  # ... and "│ " and " │" around them

BAR_MIN_WIDTH = 4  # a bar narrower than this says nothing: the column leaves instead


def _bar(share: float, scale: float = BAR_WIDTH) -> str:
    """A bar of `share * scale` characters, to an eighth."""
    eighths = round(share * scale * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def breakdown_tables(
    tables: Mapping[str, pd.DataFrame],
    total: int,
    as_of_ms: int,
    *,
    width: int | None = None,
    currency: str | None = None,
) -> Group:
    """A table per breakdown: count, share, a bar, total and average spend per category. In a
    narrow `width` the bar shrinks first, then columns leave (the line below says which)."""
    rendered: list[Any] = []
    for by, frame in tables.items():
        title = BREAKDOWN_TITLES[by]
        shares = frame[SHARE].to_numpy(dtype=float)
        avg = frame[AVG_SPEND_CENTS]
        cells = {
            "category": [str(label) for label in frame.index],
            "count": frame[COUNT].map("{:,}".format).tolist(),
            "share": frame[SHARE].map("{:.1%}".format).tolist(),
            "bar": [_bar(share) for share in shares],
            "totalSpend": format_cents(frame[TOTAL_SPEND_CENTS], grouped=True).tolist(),
            "avgSpend": format_cents(avg.fillna(0).astype("int64"), grouped=True)
            .where(avg.notna().to_numpy(), "—")
            .tolist(),
        }
        if EXPECTED_ORDERS in frame.columns:  # breakdown --predict
            cells["expectedOrders"] = frame[EXPECTED_ORDERS].map("{:,.1f}".format).tolist()
            clv = np.rint(frame[CLV_CENTS].to_numpy()).astype(np.int64)
            cells["clv"] = format_cents(clv, grouped=True).tolist()
        heads = {
            "expectedOrders": "Exp. orders",
            "clv": "CLV",
            "category": title,
            "count": "Customers",
            "share": "Share",
            "bar": "",
            "totalSpend": "Total spend",
            "avgSpend": "Avg spend",
        }
        bar_width = fit.widest(cells["bar"])
        needs = [
            fit.whole("category", cells["category"], title, 100),
            fit.whole("count", cells["count"], heads["count"], 90),
            fit.whole("share", cells["share"], heads["share"], 70),
            fit.Column("bar", bar_width, min(bar_width, BAR_MIN_WIDTH), 10),
            fit.whole("totalSpend", cells["totalSpend"], heads["totalSpend"], 85),
            fit.whole("avgSpend", cells["avgSpend"], heads["avgSpend"], 60),
            *(
                fit.whole(k, cells[k], heads[k], 80)
                for k in ("expectedOrders", "clv")
                if k in cells
            ),
        ]
        widths, hidden = fit.fit(needs, width or 10**6, gap=BOX_GAP, edges=BOX_EDGES)
        if "bar" in widths and widths["bar"] < bar_width:  # shorter bars, in proportion
            scale = BAR_WIDTH * widths["bar"] / bar_width
            cells["bar"] = [_bar(share, scale)[: widths["bar"]] for share in shares]
        table = Table(header_style="bold")
        for key in widths:
            justify: JustifyMethod = "left" if key in ("category", "bar") else "right"
            table.add_column(heads[key], justify=justify, width=widths[key])
        for i, label in enumerate(cells["category"]):
            row: dict[str, Any] = {key: cells[key][i] for key in widths}
            if by == "segment":
                row["category"] = segment_text(label)
            if "bar" in row:
                row["bar"] = Text(row["bar"], style=SEGMENT_STYLES.get(label, "blue"))
            table.add_row(*row.values())
        when = format_instant(as_of_ms)
        heading = f"{title} — {total:,} customers as of {when}{in_currency(currency)}"
        rendered += [Text(heading, style="italic"), table]
        if hidden:
            rendered.append(Text(fit.hidden_note(hidden)))
    return Group(*rendered)


def matrix_table(
    table: pd.DataFrame,
    title: str,
    corner: str,
    *,
    diagonal: bool = False,
    width: int | None = None,
) -> Group:
    """Counts of row label x column label, under a title line (not wrapped to the table's width);
    `diagonal` highlights the cells where row and column agree. Counts are never cut: in a
    narrow `width` the Total column leaves first, then the last columns."""
    heads = [corner, *map(str, table.columns), "Total"]
    counts = table.to_numpy()
    cells = [
        [str(row) for row in table.index],
        *([f"{int(n):,}" for n in counts[:, i]] for i in range(counts.shape[1])),
        [f"{int(n):,}" for n in counts.sum(axis=1)],
    ]
    priorities = [100, *range(90, 90 - len(table.columns), -1), 0]
    needs = [
        fit.whole(head, column, head, priority)
        for head, column, priority in zip(heads, cells, priorities, strict=True)
    ]
    widths, hidden = fit.fit(needs, width or 10**6, gap=BOX_GAP, edges=BOX_EDGES)
    grid = Table(header_style="bold")
    for head in widths:
        justify: JustifyMethod = "left" if head == corner else "right"
        grid.add_column(
            head, justify=justify, width=widths[head], style="bold" if head == "Total" else ""
        )
    shown_at = [heads.index(head) for head in widths]
    for r, row in enumerate(table.index):
        line: list[Any] = []
        for i in shown_at:
            if i == 0:
                line.append(segment_text(str(row)))
            elif i <= len(table.columns):
                hit = diagonal and row == table.columns[i - 1]
                line.append(Text(cells[i][r], style="reverse" if hit else ""))
            else:
                line.append(cells[i][r])
        grid.add_row(*line)
    footer = [Text(fit.hidden_note(hidden))] if hidden else []
    return Group(Text(title, style="italic"), grid, *footer)


def movements_table(moves: pd.DataFrame, title: str) -> Group:
    """A frame of (from, to, count) columns, as given (biggest first), every cell whole."""
    table = Table(header_style="bold")
    sources, targets, counts = (moves[c].tolist() for c in moves.columns)
    counted = [f"{count:,}" for count in counts]
    for name, justify, cells in (
        ("From", "left", sources),
        ("", "left", ["→"]),
        ("To", "left", targets),
        ("Customers", "right", counted),
    ):
        least = max(len(name), fit.widest(map(str, cells)))
        table.add_column(name, justify=justify, min_width=least)  # type: ignore[arg-type]
    for source, target, count in zip(sources, targets, counted, strict=True):
        table.add_row(segment_text(source), "→", segment_text(target), count)
    return Group(Text(title, style="italic"), table)


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
            format_cents(np.array([value]), grouped=True).iloc[0] + " (in the orders' currency)"
            if key == "vip-threshold"
            else f"{value} days"
        )
        table.add_row(key, shown, origins[key])
    table.add_row("rfm-scale", f"scores 1–{settings.rfm_scale}", origins["rfm-scale"])
    own = settings.rfm_table() is settings.rfm_segments_10  # scale 10, its own table
    widened = "" if own or settings.rfm_table() is settings.rfm_segments else ", ranges widened"
    origin = origins["rfm-segments-10" if own else "rfm-segments"] + widened
    rfm = Table(
        title=f"RFM segments on 1–{settings.rfm_scale}, first match wins (from {origin})",
        title_justify="left",
        header_style="bold",
    )
    for name in ("Segment", "Recency", "Frequency", "Monetary"):
        rfm.add_column(name)
    for rule in settings.rfm_table():
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
