"""Segment history for people: one customer's periods (`segcli history`) as a table with a bar
per period on a shared time axis, and the time spent in each segment with the moves between
segments (`breakdown --history`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from rich.console import Group
from rich.table import Table
from rich.text import Text

from segcli.model.schema import CONTACT_ID, FROM_MS, NAME, TO_MS, format_instant
from segcli.output.periods import period_records
from segcli.output.tables import SEGMENT_STYLES, segment_text

TIMELINE_WIDTH = 40  # characters of the time axis in `segcli history`'s table
FIXED_WIDTH = 52  # what the other columns and the borders take, with 8-character days


def history_table(
    customer: pd.DataFrame, periods: pd.DataFrame, as_of_ms: int, *, width: int | None = None
) -> Group:
    """The periods, one row each, with a bar where each falls between the first order and the
    as-of (at least one character, so that a short period still shows)."""
    name = customer[NAME].iloc[0]
    who = str(customer[CONTACT_ID].iloc[0]) + ("" if pd.isna(name) else f" ({name})")
    heading = Text(f"Segment history of {who} as of {format_instant(as_of_ms)}", style="italic")
    if periods.empty:
        return Group(heading, Text("no orders: New (a contact only) throughout"))
    axis = TIMELINE_WIDTH if width is None else max(8, min(TIMELINE_WIDTH, width - FIXED_WIDTH))
    start = int(periods[FROM_MS].iloc[0])
    span = max(as_of_ms - start, 1)
    table = Table(header_style="bold")
    for head, justify in (("Segment", "left"), ("From", "left"), ("To", "left"), ("Days", "right")):
        table.add_column(head, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("Timeline", no_wrap=True, min_width=axis)
    for record, begin, end in zip(
        period_records(periods), periods[FROM_MS], periods[TO_MS], strict=True
    ):
        left = min(axis - 1, (int(begin) - start) * axis // span)
        right = max(left + 1, -(-(int(end) - start) * axis // span))
        bar = " " * left + "█" * (right - left)
        until = "now" if record["ongoing"] else record["to"][:10]
        table.add_row(
            segment_text(record["segment"]),
            record["from"][:10],
            until,
            f"{record['days']:,.2f}",
            Text(bar, style=SEGMENT_STYLES.get(record["segment"], "")),
        )
    return Group(heading, table)


def durations_tables(shown: Mapping[str, Any]) -> Group:
    """Time in each segment (spells, mean and median days, completed and ongoing apart), then
    every move between segments, most common first: `shown` is durations_dict's."""
    table = Table(header_style="bold")
    heads = ("Segment", "Customers", "Ended", "Mean", "Median", "Ongoing", "Mean", "Median")
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=True)

    def day_text(value: float | None) -> str:
        return "—" if value is None else f"{value:,.1f}"

    for label, row in shown["segments"].items():
        done, now = row["completed"], row["ongoing"]
        table.add_row(
            segment_text(label),
            f"{row['customers']:,}",
            f"{done['spells']:,}",
            day_text(done["meanDays"]),
            day_text(done["medianDays"]),
            f"{now['spells']:,}",
            day_text(now["meanDays"]),
            day_text(now["medianDays"]),
        )
    moves = Table(header_style="bold")
    for head, justify in (("From", "left"), ("", "left"), ("To", "left"), ("Moves", "right")):
        moves.add_column(head, justify=justify)  # type: ignore[arg-type]
    for move in shown["moves"]:
        moves.add_row(
            segment_text(move["from"]), "→", segment_text(move["to"]), f"{move['count']:,}"
        )
    return Group(
        Text(
            f"Time in each segment — {shown['customers']:,} customers' histories; spells that "
            "ended, then ongoing ones, with their mean and median days",
            style="italic",
        ),
        table,
        Text("Moves between segments, most common first", style="italic"),
        moves,
    )
