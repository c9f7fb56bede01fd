"""Renderers, selection and breakdown arithmetic, unit by unit."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from helpers import AS_OF_MS, DAY
from hypothesis import given, settings
from hypothesis import strategies as st

from segcli.analytics import summary
from segcli.core import select
from segcli.model import schema
from segcli.model.schema import (
    CONTACT_ID,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    NAME,
    ORDER_COUNT,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SPEND_CENTS,
)
from segcli.output import console, tables
from segcli.output import csv as csv_out
from segcli.output import json as json_out
from segcli.output.values import format_cents

NASTY = [
    '","orderCount":1,"x":"',
    '"purchaseFrequency":"Weekly"}',
    "a/b \\/ c\\",
    "日本 🙂\n\t",
    "=SUM(A1)",
    None,
]


def frame(n: int = len(NASTY), names=NASTY) -> pd.DataFrame:
    data = {
        CONTACT_ID: pd.array([f"c-{i}" for i in range(n)], dtype="str"),
        **{col: pd.array([None] * n, dtype="str") for col in DETAIL_COLUMNS},
        ORDER_COUNT: np.arange(1, n + 1, dtype=np.int64),
        SPEND_CENTS: np.array([(-1) ** i * i * 1001 for i in range(n)], dtype=np.int64),
        FIRST_ORDER_MS: np.full(n, AS_OF_MS - 50 * DAY, dtype=np.int64),
        LAST_ORDER_MS: AS_OF_MS - np.arange(n, dtype=np.int64) * DAY,
        LAST_ORDER_REFERENCE: pd.array([f"R/{i}" for i in range(n)], dtype="str"),
        LAST_ORDER_DAYS_AGO: pd.array(np.arange(n), dtype="Int64"),
        PURCHASE_FREQUENCY: pd.Categorical(["Weekly"] * n, categories=["Weekly", "Monthly"]),
        SEGMENT: pd.Categorical(["VIP", "Active"] * (n // 2) + ["VIP"] * (n % 2)),
    }
    out = pd.DataFrame(data)
    out[NAME] = pd.array(names[:n], dtype="str")
    return out


def test_format_cents():
    got = format_cents(np.array([0, 5, -5, 100, -1200, 124550, -99])).tolist()
    assert got == ["0.00", "0.05", "-0.05", "1.00", "-12.00", "1245.50", "-0.99"]
    grouped = format_cents(np.array([-123456789, 99, 100000]), grouped=True).tolist()
    assert grouped == ["-1,234,567.89", "0.99", "1,000.00"]
    empty = np.array([], dtype=np.int64)
    assert format_cents(empty).tolist() == format_cents(empty, grouped=True).tolist() == []
    assert format_cents(np.array([7])).dtype == "str"


def test_records_json_survives_hostile_text():
    customers = frame()
    records = json.loads(json_out.records_json(customers))
    assert [r["name"] for r in records] == NASTY
    for i, record in enumerate(records):
        assert list(record) == ["contactID", "name", "email", "company", "metrics"]
        assert record["metrics"]["lastOrderReference"] == f"R/{i}"
        assert record["metrics"]["orderCount"] == i + 1
    assert records[1]["metrics"]["totalSpend"] == "-10.01"
    lines = json_out.records_json(customers, lines=True).splitlines()
    assert [json.loads(line) for line in lines] == records
    assert json_out.records_json(customers.iloc[:0]) == "[]"
    assert json_out.records_json(customers.iloc[:0], lines=True) == ""


def test_json_is_utf8_without_nan():
    text = json_out.list_json(frame(), 99)
    assert "日本" in text and "NaN" not in text and text.endswith("}\n")
    assert json.loads(text)["meta"] == {"count": len(NASTY), "total": 99}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_escapes_formula_starts_in_text_cells(start):
    customers = frame(2, names=[f"{start}cmd", "plain"])
    rows = list(csv.DictReader(io.StringIO(csv_out.list_csv(customers), newline="")))
    assert rows[0]["name"] == f"'{start}cmd" and rows[1]["name"] == "plain"
    assert rows[1]["totalSpend"] == "-10.01"  # numbers are never escaped


def test_csv_quotes_line_breaks_inside_cells():
    customers = frame(2, names=["a\rb", "c\nd"])
    text = csv_out.list_csv(customers)
    assert '"a\rb"' in text and '"c\nd"' in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["name"] for r in rows] == ["a\rb", "c\nd"]


def test_error_json():
    assert json.loads(json_out.error_json("NOT_FOUND", "no customer 'x'")) == {
        "success": False,
        "error": {"code": "NOT_FOUND", "message": "no customer 'x'"},
    }


def test_sort_puts_missing_last_and_ignores_case():
    customers = frame(4, names=["beta", None, "Alpha", "gamma"])
    asc = select.sort_customers(customers, "name", descending=False)
    desc = select.sort_customers(customers, "name", descending=True)
    assert asc[NAME].tolist()[:3] == ["Alpha", "beta", "gamma"] and pd.isna(asc[NAME].iloc[3])
    assert desc[NAME].tolist()[:3] == ["gamma", "beta", "Alpha"] and pd.isna(desc[NAME].iloc[3])


def test_select_returns_page_and_total():
    page, total = select.select(frame(), select.Filters(segments=("VIP",)), limit=2, offset=1)
    assert total == 3 and len(page) == 2


def test_find_unknown_contact():
    from segcli.model.errors import NotFoundError

    with pytest.raises(NotFoundError):
        select.find(frame(), "nobody")


@pytest.mark.parametrize(
    ("spends", "share", "avg"),
    [
        ([1, 2], 1.0, 2),  # 1.5 cents -> 2 (half away from zero)
        ([-1, -2], 1.0, -2),
        ([500000, 500001], 1.0, 500001),  # 5000.005 -> 5000.01
        ([3, 3, 4], 1.0, 3),  # 3.33 -> 3
    ],
)
def test_breakdown_average_rounds_half_away_from_zero(spends, share, avg):
    n = len(spends)
    customers = frame(n, names=["x"] * n).assign(
        **{SPEND_CENTS: np.array(spends, dtype=np.int64)},
        **{SEGMENT: pd.Categorical(["VIP"] * n, categories=["VIP", "Active", "New", "Dormant"])},
    )
    table = summary.breakdown(customers, "segment")
    assert table.loc["VIP", schema.AVG_SPEND_CENTS] == avg
    assert table.loc["VIP", schema.SHARE] == share
    assert pd.isna(table.loc["Dormant", schema.AVG_SPEND_CENTS])
    assert table.index.tolist() == ["VIP", "Active", "New", "Dormant"]


def test_breakdown_share_rounds_to_four_places():
    segments = ["VIP"] + ["Active"] * 2 + ["New"] * 5
    customers = frame(8, names=["x"] * 8).assign(
        **{SEGMENT: pd.Categorical(segments, categories=["VIP", "Active", "New", "Dormant"])}
    )
    share = summary.breakdown(customers, "segment")[schema.SHARE].tolist()
    assert share == [0.125, 0.25, 0.625, 0.0]
    thirds = frame(3, names=["x"] * 3).assign(
        **{
            SEGMENT: pd.Categorical(
                ["VIP", "Active", "Active"], categories=["VIP", "Active", "New", "Dormant"]
            )
        }
    )
    assert summary.breakdown(thirds, "segment")[schema.SHARE].tolist() == [0.3333, 0.6667, 0, 0]


def test_list_table_fits_the_width_it_is_given():
    from rich.console import Console

    customers = frame(3, names=["A very long customer name indeed, too long to show"] * 3)
    for width in (80, 100, 120):
        console = Console(width=width, file=io.StringIO(), color_system=None)
        console.print(tables.list_table(customers, 3, width=width))
        lines = console.file.getvalue().splitlines()
        assert max(len(line.rstrip()) for line in lines) <= width
        assert "c-0" in lines[2]  # the id column is never cut


def test_output_text_writes_utf8_bytes(capsysbinary):
    console.Output().text("café 日本\n")
    assert capsysbinary.readouterr().out == "café 日本\n".encode()


def test_tables_show_text_as_written_not_as_markup():
    from rich.console import Console

    names = ["Cafe [VIP] [/]", "[bold]Bold[/bold] \\[x]"]
    customers = frame(2, names=names)
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(tables.list_table(customers, 2, width=120))
    console.print(tables.show_table(customers.iloc[1:]))
    out = console.file.getvalue()
    assert names[0] in out and out.count(names[1]) == 2


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["c-1", "c-2", "c-10", "C-3", "c-é", "c-4"]),
            st.one_of(st.none(), st.integers(-3, 3)),
            st.one_of(st.none(), st.sampled_from(["ana", "Ana", "bob", "ÅSA", "zoë", "", "ß"])),
            st.sampled_from(["VIP", "Active", "New", "Dormant"]),
        ),
        max_size=12,
        unique_by=lambda r: r[0],
    ),
    field=st.sampled_from(["lastOrderDaysAgo", "name", "segment", "contactID", "totalSpend"]),
    descending=st.booleans(),
)
def test_sort_matches_pandas_sort_values(rows, field, descending):
    """The lexsort on integer keys orders exactly as pandas' sort_values would (missing last,
    text ignoring case for names, ties by contactID ascending)."""
    frame = pd.DataFrame(
        {
            CONTACT_ID: pd.array([r[0] for r in rows], dtype="str"),
            LAST_ORDER_DAYS_AGO: pd.array([r[1] for r in rows], dtype="Int64"),
            NAME: pd.array([r[2] for r in rows], dtype="str"),
            SEGMENT: pd.Categorical(
                [r[3] for r in rows], categories=["VIP", "Active", "New", "Dormant"]
            ),
            SPEND_CENTS: np.array([(r[1] or 0) * 100 for r in rows], dtype=np.int64),
        }
    )
    column = schema.SORT_FIELDS[field]
    if column == CONTACT_ID:
        expected = frame.sort_values(CONTACT_ID, ascending=not descending, kind="stable")
    else:
        expected = frame.sort_values(
            [column, CONTACT_ID],
            ascending=[not descending, True],
            na_position="last",
            kind="stable",
            key=lambda v: v.str.casefold() if v.name == NAME else v,
        )
    got = select.sort_customers(frame, field, descending=descending)
    assert got[CONTACT_ID].tolist() == expected[CONTACT_ID].tolist()
