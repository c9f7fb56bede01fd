"""Issue 12: line-level exports. Rows that share an orderReference in one file are the lines of
one order; identical rows count once; a line's total may be quantity x unit price; headers are
found by their usual names; any status column sets cancelled orders aside."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import reference
from helpers import AS_OF_MS, DAY, Cli, api_customers, csv_text, order
from hypothesis import given
from hypothesis import strategies as st
from strategies import PROPERTY, TOTALS, render_instant

from segcli import api
from segcli.model.errors import InvalidInputError
from segcli.model.options import ExportOptions

COLUMNS = reference.REQUIRED + ("name", "email", "company", "phone")


@st.composite
def line_files(draw) -> list[dict]:
    """Orders of 1-4 lines for a few customers: line totals repeated or varying, lines at
    different instants, exact duplicate rows, now and then a line naming another customer or
    a line that cannot be read, and rows in any order."""
    rows = []
    repeat_totals = draw(st.booleans())  # the file's total column holds order totals
    priced = draw(st.booleans())  # quantity and unit price instead of a total
    for k in range(draw(st.integers(1, 8))):
        contact = draw(st.sampled_from(["c-1", "c-2", " c-3 ", "C-1"]))
        order_total = draw(st.sampled_from(TOTALS))
        for _ in range(draw(st.integers(1, 4))):
            ms = AS_OF_MS - draw(st.sampled_from([0, 1, 30, 31, 90, 91, 400])) * DAY
            ms += draw(st.sampled_from([0, 1, -1, 3_600_000]))
            row = {
                "orderReference": f"INV-{k}",
                "contactID": contact,
                "orderDate": render_instant(ms, draw(st.integers(0, 4)), timedelta(0)),
                "total": order_total if repeat_totals else draw(st.sampled_from(TOTALS)),
                "name": draw(st.sampled_from(["", "Ann", "Bob"])),
                "email": "",
                "company": "",
                "phone": "",
            }
            if draw(st.integers(0, 12)) == 0:
                row["contactID"] = "c-9"  # a line naming another customer
            if draw(st.integers(0, 12)) == 0:
                row["total"] = "abc"  # a line that cannot be read
            if priced:
                del row["total"]
                row["quantity"] = draw(st.sampled_from(["1", "2", "-1", "0.5", "12", "", "x"]))
                row["unitPrice"] = draw(st.sampled_from(["2.55", "0.005", "1666.67", "-3.1", "7"]))
            row["status"] = draw(st.sampled_from(["paid"] * 8 + ["cancelled", "wc-Failed", ""]))
            rows.append(row)
            if draw(st.integers(0, 5)) == 0:
                rows.append(dict(row))  # an exact duplicate row
    return draw(st.permutations(rows))


def pipeline(rows: list[dict], **export) -> dict[str, dict] | None:
    data = csv_text(rows, list(rows[0]) if rows else COLUMNS).encode("utf-8")
    inputs = api.Inputs(paths=("-",), stdin=io.BytesIO(data), export=ExportOptions(**export))
    try:
        return api_customers(inputs.paths, stdin=inputs.stdin, export=inputs.export)
    except InvalidInputError as exc:
        assert exc.message.startswith("no valid orders")
        return None


def expected(rows: list[dict], line_totals: str | None = None) -> dict[str, dict] | None:
    orders = reference.fold_lines(rows, line_totals)
    counted = [o for o in orders if reference.skip_reason(o) is None]
    if not counted and len(counted) < len(orders):
        return None  # rows were skipped and no order is left: an error
    out = reference.customers(orders, AS_OF_MS, fold=False)
    for record in out.values():
        record["accountName"] = record["accountCode"] = None
    return out


@PROPERTY
@given(rows=line_files(), line_totals=st.sampled_from([None, "sum", "once"]))
def test_line_level_files_equal_the_reference(rows, line_totals):
    assert pipeline(rows, line_totals=line_totals) == expected(rows, line_totals)


def test_line_amounts_are_summed_and_repeated_order_totals_count_once(cli: Cli, write_csv):
    """The two real shapes from the issue: UCI-style line amounts, and a Shopify-style dump
    that repeats order #1050's total of 64.40 on each of its four lines."""
    ms = AS_OF_MS - 10 * DAY
    lines = [order("c-1", ms, amount, "536365") for amount in ("15.30", "20.34", "11.10")]
    got = api_customers([write_csv(lines)])
    assert got["c-1"]["metrics"]["orderCount"] == 1
    assert got["c-1"]["metrics"]["totalSpend"] == "46.74"
    dump = [order("c-2", ms + i, "64.40", "#1050") for i in range(4)]
    dump.append(order("c-2", ms + DAY, "10.00", "#1051"))
    result = cli("list", "--orders", str(write_csv(dump, "dump.csv")), "--as-of", "2025-10-23",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert '"orderCount":2,"totalSpend":"74.40"' in result.stdout
    assert (
        "5 rows → 2 orders (rows sharing an orderReference are lines of one order); the total "
        "column holds each order's total, repeated on its lines: counted once (all 1 "
        "multi-line order repeat one total); --line-totals sum|once overrides" in result.stderr
    )
    summed = cli("list", "--orders", str(write_csv(dump, "dump.csv")), "--as-of", "2025-10-23",
                 "--format", "json", "--line-totals", "sum")  # fmt: skip
    assert '"orderCount":2,"totalSpend":"267.60"' in summed.stdout
    assert "summed per order (as given)" in summed.stderr


def test_an_order_is_at_its_earliest_line_and_its_details_are_its_first_lines():
    first, later = AS_OF_MS - 40 * DAY, AS_OF_MS - 5 * DAY
    rows = [
        order("c-1", later, "1.00", "R1", name="Later"),
        order("c-1", first, "2.00", "R1", name="First"),
    ]
    [got] = pipeline(rows).values()
    assert got["metrics"]["lastOrderDate"] == reference.format_instant(first)
    assert got["metrics"]["totalSpend"] == "3.00" and got["name"] == "Later"


def test_conflicting_customers_skip_the_order_and_say_which(cli: Cli, write_csv):
    ms = AS_OF_MS - DAY
    rows = [order("c-1", ms, "1.00", "536365"), order("c-2", ms, "2.00", "536365"),
            order("c-1", ms, "5.00", "536366")]  # fmt: skip
    result = cli("list", "--orders", str(write_csv(rows)), "--as-of", "2025-10-23")
    assert result.exit_code == 0
    assert "conflicting customer for order '536365'" in result.stderr
    assert "skipped 1 order (2 rows) of 3 rows: 2 conflicting contactID (first: line 2)" in (
        result.stderr
    )
    strict = cli("list", "--orders", str(write_csv(rows)), "--as-of", "2025-10-23", "--strict")
    assert strict.exit_code == 1 and "conflicting contactID" in strict.stderr


def test_a_line_that_cannot_be_read_skips_its_whole_order():
    ms = AS_OF_MS - DAY
    rows = [order("c-1", ms, "1.00", "R1"), order("c-1", ms, "oops", "R1"),
            order("c-1", ms, "7.00", "R2")]  # fmt: skip
    [got] = pipeline(rows).values()
    assert got["metrics"]["orderCount"] == 1 and got["metrics"]["totalSpend"] == "7.00"


@PROPERTY
@given(
    quantity=st.decimals(-1000, 1000, places=3, allow_nan=False),
    price=st.decimals(-10000, 10000, places=4, allow_nan=False),
)
def test_quantity_times_unit_price_is_exact_and_rounded_half_away(quantity, price):
    rows = [{"InvoiceNo": "1", "CustomerID": "7", "InvoiceDate": "2025-10-01",
             "Quantity": str(quantity), "UnitPrice": str(price)}]  # fmt: skip
    data = csv_text(rows).encode("utf-8")
    got = api_customers(("-",), stdin=io.BytesIO(data))
    product = (quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert got["7"]["metrics"]["totalSpend"] == f"{product:.2f}".replace("-0.00", "0.00")


def test_a_uci_shaped_file_needs_no_flags(cli: Cli, tmp_path):
    path = tmp_path / "online_retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26,2.55,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom\n"
        "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28,1.85,17850,United Kingdom\n",
        encoding="utf-8",
    )
    result = cli("show", "17850", "--orders", str(path), "--as-of", "2010-12-31", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert '"orderCount":2,"totalSpend":"46.74"' in result.stdout
    assert (
        "mapped columns: orderReference ← InvoiceNo, contactID ← CustomerID, orderDate ← "
        "InvoiceDate; --column ROLE=HEADER overrides" in result.stderr
    )
    assert "1 duplicate row counted once" in result.stderr
    assert "(each line's quantity × unitPrice)" in result.stderr


@pytest.mark.parametrize(
    "status", ["cancelled", "Canceled", "VOIDED", "draft", "trash", "wc-failed"]
)
def test_any_mapped_status_column_sets_cancelled_orders_aside(cli: Cli, write_csv, status):
    ms = AS_OF_MS - DAY
    rows = [dict(order("c-1", ms, "10.00", "R1"), status="paid"),
            dict(order("c-1", ms, "99.00", "R2"), status=status)]  # fmt: skip
    path = write_csv(rows)
    result = cli("list", "--orders", str(path), "--as-of", "2025-10-23", "-f", "json")
    assert '"orderCount":1,"totalSpend":"10.00"' in result.stdout
    assert "excluded 1 order not counted by the shop" in result.stderr
    counted = cli("list", "--orders", str(path), "--as-of", "2025-10-23", "-f", "json",
                  "--include-cancelled")  # fmt: skip
    assert '"orderCount":2,"totalSpend":"109.00"' in counted.stdout


def test_a_column_mapping_keeps_status_handling(cli: Cli, write_csv):
    ms = AS_OF_MS - DAY
    rows = [dict(order("c-1", ms, "10.00", "R1"), State="paid"),
            dict(order("c-1", ms, "99.00", "R2"), State="cancelled")]  # fmt: skip
    result = cli("list", "--orders", str(write_csv(rows)), "--as-of", "2025-10-23", "-f", "json",
                 "--column", "status=State")  # fmt: skip
    assert '"orderCount":1,"totalSpend":"10.00"' in result.stdout


def test_rows_of_an_order_level_file_stay_orders():
    """No reference repeats: nothing is folded, and no notice speaks of lines."""
    rows = [order("c-1", AS_OF_MS - k * DAY, "1.00") for k in range(3)]
    result = api.load(api.Inputs(paths=("-",), stdin=io.BytesIO(csv_text(rows).encode())))
    assert not [n for n in result.notices if "lines" in n.text or "duplicate" in n.text]


def test_identical_rows_are_found_in_parquet_with_list_columns(tmp_path):
    """Rows are compared in every column, a nested one too (its values are not hashable)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "orderReference": ["A", "A", "A"],
            "contactID": ["c", "c", "c"],
            "orderDate": ["2025-10-01"] * 3,
            "total": ["1.00", "1.00", "2.00"],
            "tags": pa.array([[1], [1], [2]]),
        }
    )
    pq.write_table(table, tmp_path / "nested.parquet")
    got = api_customers([tmp_path / "nested.parquet"])
    assert got["c"]["metrics"]["orderCount"] == 1 and got["c"]["metrics"]["totalSpend"] == "3.00"
