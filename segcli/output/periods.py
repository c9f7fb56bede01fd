"""Segment history as JSON: one customer's periods (`segcli history`), and the time spent in
each segment with the moves between segments (`data.history` of `breakdown --history`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from segcli.model.schema import (
    COMPLETED,
    CONTACT_ID,
    DAY_MS,
    EVER,
    FROM_MS,
    MEAN_DAYS,
    MEDIAN_DAYS,
    MOVE_FROM,
    MOVE_TO,
    MOVES,
    NAME,
    ONGOING,
    SEGMENT,
    SEGMENTS,
    SPELLS,
    TO_MS,
    format_instant,
    spell_column,
)

DAYS_DECIMALS = 2  # days are exact, shown to a hundredth of a day (about 15 minutes)


def days(ms: float) -> float:
    return round(ms / DAY_MS, DAYS_DECIMALS)


def period_records(periods: pd.DataFrame) -> list[dict[str, Any]]:
    """`[{"segment", "from", "to", "days", "ongoing"}, ...]`: days exact, (to - from) / DAY."""
    starts, ends = periods[FROM_MS].tolist(), periods[TO_MS].tolist()
    return [
        {
            "segment": str(label),
            "from": format_instant(start),
            "to": format_instant(end),
            "days": days(end - start),
            "ongoing": bool(ongoing),
        }
        for label, start, end, ongoing in zip(
            periods[SEGMENT], starts, ends, periods[ONGOING], strict=True
        )
    ]


def history_document(
    customer: pd.DataFrame, periods: pd.DataFrame, meta: Mapping[str, object]
) -> dict[str, Any]:
    """`{"success": true, "data": {"contactID", "name", "periods": [...]}, "meta": {...}}`."""
    name = customer[NAME].iloc[0]
    return {
        "success": True,
        "data": {
            "contactID": str(customer[CONTACT_ID].iloc[0]),
            "name": None if pd.isna(name) else str(name),
            "periods": period_records(periods),
        },
        "meta": dict(meta),
    }


def durations_dict(segments: pd.DataFrame, moves: pd.DataFrame, customers: int) -> dict[str, Any]:
    """`data.history` of `breakdown --history`: {"customers", "segments": {segment: {...}},
    "moves": [{"from", "to", "count"}, ...]}, from analytics.durations."""

    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(float(value), DAYS_DECIMALS)

    def spells(label: str, kind: str) -> dict[str, Any]:
        return {
            "spells": int(segments.at[label, spell_column(kind, SPELLS)]),
            "meanDays": number(segments.at[label, spell_column(kind, MEAN_DAYS)]),
            "medianDays": number(segments.at[label, spell_column(kind, MEDIAN_DAYS)]),
        }

    return {
        "customers": customers,
        "segments": {
            label: {
                "customers": int(segments.at[label, EVER]),
                "spells": int(segments.at[label, SPELLS]),
                "completed": spells(label, COMPLETED),
                "ongoing": spells(label, ONGOING),
            }
            for label in SEGMENTS
        },
        "moves": [
            {"from": source, "to": target, "count": int(count)}
            for source, target, count in zip(
                moves[MOVE_FROM], moves[MOVE_TO], moves[MOVES], strict=True
            )
        ],
    }
