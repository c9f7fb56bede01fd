"""Loading and normalising: files, formats, headers, values, and what gets skipped (SPEC §1)."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers import AS_OF_MS, DAY, api_customers, classified, csv_text, order

from segcli.cli.boundary import worded
from segcli.core.amounts import parse_amounts
from segcli.core.instants import parse_instants
from segcli.input.headers import match_columns
from segcli.model.errors import Hint, InvalidInputError, MissingColumnError, UnreadableError

HEADER = "orderReference,contactID,orderDate,total\n"


# --- header matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["orderReference", "contactID", "orderDate", "total"],
        ["order_reference", "contact_id", "Order Date", "TOTAL"],
        ["ORDER-REFERENCE", "Contact ID", "order date", " Total "],
    ],
)
def test_headers_match_ignoring_case_spaces_underscores_dashes(header):
    mapping = match_columns(header + ["Phone", "account_code", "other"], "f.csv")
    assert sorted(mapping) == sorted(
        ["orderReference", "contactID", "orderDate", "total", "phone", "accountCode"]
    )


def test_exact_header_wins_over_loose_match():
    mapping = match_columns(["orderReference", "contactID", "orderDate", "total", "TOTAL"], "f")
    assert mapping["total"] == "total" and "TOTAL" not in mapping.values()


def test_missing_required_column_names_it_and_lists_what_was_found():
    with pytest.raises(MissingColumnError) as err:
        match_columns(["id", "when", "cost"], "orders.csv")
    assert err.value.message == (
        "orders.csv: missing required columns 'orderReference', 'contactID', 'orderDate', "
        "'total' (found: id, when, cost)"
    )
    assert err.value.proposal == dict.fromkeys(
        ["orderReference", "contactID", "orderDate", "total"]
    )


def test_synonyms_map_a_role_with_exactly_one_candidate():
    """Issue 12: the UCI Online Retail header needs no --column at all."""
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
              "CustomerID", "Country"]  # fmt: skip
    assert match_columns(header, "f", optional=("quantity", "unitPrice", "status")) == {
        "orderReference": "InvoiceNo",
        "contactID": "CustomerID",
        "orderDate": "InvoiceDate",
        "quantity": "Quantity",
        "unitPrice": "UnitPrice",
    }
    woo = ["order_id", "date_created", "order_total", "billing_email", "status"]
    found = match_columns(woo, "f", email_key=True, optional=("email", "status"))
    assert found == {
        "orderReference": "order_id",
        "orderDate": "date_created",
        "total": "order_total",
        "email": "billing_email",
        "status": "status",
    }


def test_a_role_with_several_synonyms_is_an_error_that_proposes_one():
    with pytest.raises(MissingColumnError) as err:
        match_columns(["Invoice", "CustomerID", "Date", "Created at", "Amount"], "f.csv")
    assert "'orderDate'" in err.value.message
    assert "'Date', 'Created at' could each be orderDate" in err.value.message
    assert err.value.proposal == {"orderDate": "Date"}
    with pytest.raises(MissingColumnError) as err:
        match_columns(["orderReference", "contactID", "total"], "orders.csv")
    assert err.value.message == (
        "orders.csv: missing required column 'orderDate' (found: orderReference, contactID, total)"
    )


def test_a_header_split_by_semicolons_gets_a_hint():
    with pytest.raises(MissingColumnError, match="looks separated by semicolons"):
        match_columns(["orderReference;contactID;orderDate;total"], "f.csv")


def test_duplicate_headers_of_unused_columns_are_fine(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(HEADER.strip() + ",notes,notes\nA,c-1,2025-10-01,1,x,y\n", encoding="utf-8")
    assert api_customers([path])["c-1"]["metrics"]["orderCount"] == 1


def test_two_headers_matching_one_name_is_an_error():
    with pytest.raises(InvalidInputError, match="'Total', 'TOTAL' all match 'total'"):
        match_columns(["orderReference", "contactID", "orderDate", "Total", "TOTAL"], "f")


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-10-15T08:30:00.000Z", "2025-10-15T08:30:00.000"),
        ("2025-10-15T08:30:00+13:00", "2025-10-14T19:30:00.000"),
        ("2025-10-15T08:30:00-0500", "2025-10-15T13:30:00.000"),
        ("2025-10-15T08:30:00+05", "2025-10-15T03:30:00.000"),
        ("2025-10-15 08:30:00", "2025-10-15T08:30:00.000"),
        ("2025-10-15", "2025-10-15T00:00:00.000"),
        ("  2025-10-15T08:30Z ", "2025-10-15T08:30:00.000"),
        ("2025-10-15T08:30:00.9999999Z", "2025-10-15T08:30:00.999"),  # floored to the ms
        ("1969-12-31T23:59:59.9999Z", "1969-12-31T23:59:59.999"),  # floored, before the epoch
    ],
)
def test_instants_parse_to_utc_milliseconds(text, iso):
    ms, empty, bad = parse_instants(pa.array([text]))
    assert not empty[0] and not bad[0]
    assert np.datetime_as_string(np.datetime64(int(ms[0]), "ms")) == iso


@pytest.mark.parametrize(
    "text", ["15/10/2025", "2025-10", "20251015", "2025-02-30", "2025-10-15T24:00:00", "0000-01-01"]
)
def test_unparseable_instants(text):
    _, empty, bad = parse_instants(pa.array([text]))
    assert (empty[0], bad[0]) == (False, True)


@pytest.mark.parametrize(
    ("text", "cents", "rounded"),
    [
        ("1245.50", 124550, False),
        ("-30", -3000, False),
        ("0.1", 10, False),
        ("+7.", 700, False),
        (".05", 5, False),
        ("12.3400", 1234, False),
        ("12.345", 1235, True),  # half away from zero
        ("-12.345", -1235, True),
        ("12.3449", 1234, True),
        ("9999999999999.99", 999999999999999, False),
    ],
)
def test_amounts_parse_to_exact_cents(text, cents, rounded):
    got, empty, bad, was_rounded = parse_amounts(pa.array([text]))
    assert (int(got[0]), bool(empty[0]), bool(bad[0]), bool(was_rounded[0])) == (
        cents,
        False,
        False,
        rounded,
    )


@pytest.mark.parametrize(
    "text", ["1,24.50", "$", "1e3", ".", "-", "12.5.1", "10000000000000.00", "(-5)", "12,50"]
)
def test_unparseable_amounts(text):
    _, empty, bad, _ = parse_amounts(pa.array([text]))
    assert (bool(empty[0]), bool(bad[0])) == (False, True)


def test_float_amounts_round_to_the_cent_as_written():
    cents, empty, bad, rounded = parse_amounts(
        pa.array([0.1, 1.005, -2.675, 1e-7, None, float("nan")], pa.float64())
    )
    assert cents[:4].tolist() == [10, 101, -268, 0]
    assert empty.tolist() == [False] * 4 + [True, False]
    assert bad.tolist() == [False] * 5 + [True]
    assert rounded[:4].tolist() == [False, True, True, True]


# --- files ------------------------------------------------------------------------------------


def rows_for(n_days=(10, 20)):
    return [order("c-1", AS_OF_MS - d * DAY, f"{d}.25", ref=f"R{d}", name=f"N{d}") for d in n_days]


def expected_c1():
    return {"orderCount": 2, "totalSpend": "30.50", "lastOrderReference": "R10"}


def pick(metrics):
    return {k: metrics[k] for k in ("orderCount", "totalSpend", "lastOrderReference")}


def test_gzip_csv_and_utf8_bom(tmp_path):
    text = "\ufeff" + csv_text(rows_for())
    plain = tmp_path / "bom.csv"
    plain.write_text(text, encoding="utf-8")
    zipped = tmp_path / "orders.csv.gz"
    zipped.write_bytes(gzip.compress(text.encode("utf-8")))
    for path in (plain, zipped):
        assert pick(api_customers([path])["c-1"]["metrics"]) == expected_c1()


def test_parquet_with_typed_columns(tmp_path):
    table = pa.table(
        {
            "order_reference": ["R20", "R10", "R5"],
            "contact_id": pa.array([1, 1, 2], pa.int64()),  # numeric ids are read as text
            "Order Date": pa.array(
                [
                    dt.datetime(2025, 10, 3, 12, tzinfo=dt.UTC),
                    dt.datetime(2025, 10, 13, 12, tzinfo=dt.UTC),
                    dt.datetime(2025, 10, 18, 12),  # a timestamp without zone is UTC
                ],
                pa.timestamp("us"),
            ),
            "total": pa.array(
                [decimal.Decimal("20.25"), decimal.Decimal("10.25"), decimal.Decimal("-1.00")],
                pa.decimal128(10, 2),
            ),
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    customers = api_customers([path])
    assert pick(customers["1"]["metrics"]) == expected_c1()
    assert customers["1"]["metrics"]["lastOrderDate"] == "2025-10-13T12:00:00.000Z"
    assert customers["2"]["metrics"]["totalSpend"] == "-1.00"


def test_parquet_dates_floats_and_string_instants(tmp_path):
    table = pa.table(
        {
            "orderReference": ["A", "B", "C"],
            "contactID": ["c", "c", "d"],
            "orderDate": pa.array([dt.date(2025, 10, 1), dt.date(2025, 10, 2), None]),
            "total": pa.array([0.1, 0.2, 5.0]),
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    result = classified([str(path)], AS_OF_MS)
    assert result.frame["totalSpendCents"].tolist() == [30]
    assert any("1 empty orderDate (row 3)" in n.text for n in result.notices)


def test_repeated_orders_files_are_one_table_in_order(write_csv, tmp_path):
    first = write_csv(rows_for((20,)), name="a.csv")
    parquet = tmp_path / "b.parquet"
    table = pa.Table.from_pylist(rows_for((10,)))
    pq.write_table(table, parquet)
    assert pick(api_customers([first, parquet])["c-1"]["metrics"]) == expected_c1()


def test_typed_parquet_and_csv_combine(write_csv, tmp_path):
    """A Parquet file with real timestamp/decimal/float columns and a CSV of strings, together."""
    typed = pa.table(
        {
            "orderReference": ["P1", "P2"],
            "contactID": ["c-1", "c-2"],
            "orderDate": pa.array(
                [dt.datetime(2025, 9, 1, tzinfo=dt.UTC), None], pa.timestamp("ms", tz="UTC")
            ),
            "total": pa.array(
                [decimal.Decimal("10.10"), decimal.Decimal("1")], pa.decimal128(9, 2)
            ),
        }
    )
    floats = typed.set_column(3, "total", pa.array([0.1, 2.5]))
    pq.write_table(typed, tmp_path / "typed.parquet")
    pq.write_table(floats, tmp_path / "floats.parquet")
    csv_path = write_csv(
        [
            order("c-1", AS_OF_MS - 5 * DAY, "1.00", ref="C1"),
            {"orderReference": "C2", "contactID": "c-1", "orderDate": "bad", "total": "1"},
        ]
    )
    paths = [str(tmp_path / "typed.parquet"), str(csv_path), str(tmp_path / "floats.parquet")]
    result = classified(paths, AS_OF_MS)
    c1 = result.frame.set_index("contactID").loc["c-1"]
    # P1 is in both Parquet files with different totals: the later file's copy (0.10) counts
    assert (c1["orderCount"], c1["totalSpendCents"], c1["lastOrderReference"]) == (2, 110, "C1")
    assert result.notices[0].text == (
        f"skipped 3 of 6 rows: 2 empty orderDate (first: {paths[0]} row 2), "
        f"1 unparseable orderDate ({csv_path} line 3)"
    )


def test_skipped_rows_report_reason_and_line(write_csv):
    rows = [
        order("c-1", AS_OF_MS - DAY, "1.00"),
        {"orderReference": "X", "contactID": "c-2", "orderDate": "15/10/2025", "total": "1"},
        {"orderReference": "Y", "contactID": "", "orderDate": "2025-10-01", "total": "1"},
        {"orderReference": "Z", "contactID": "c-3", "orderDate": "junk", "total": "x"},
    ]
    result = classified([str(write_csv(rows))], AS_OF_MS)
    assert result.notices[0].text == (
        "skipped 3 of 4 rows: 2 unparseable orderDate (first: line 3), 1 empty contactID (line 4)"
    )
    with pytest.raises(InvalidInputError, match=r"^skipped 3 of 4 rows: .*\(line 4\)$") as raised:
        classified([str(write_csv(rows))], AS_OF_MS, strict=True)
    assert raised.value.hint is Hint.STRICT  # the library names no flag; the CLI words the hint


def test_rows_with_wrong_field_count_are_skipped_and_lines_stay_right(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        HEADER
        + "A,c-1,2025-10-01,1\n"
        + "B,c-1,2025-10-02,1,extra\n"  # line 3: too many fields
        + "C,c-1,bad-date,1\n"  # line 4
        + 'D,c-1,2025-10-03,"1"\n',
        encoding="utf-8",
    )
    result = classified([str(path)], AS_OF_MS)
    assert result.notices[0].text == (
        "skipped 2 of 4 rows: 1 with the wrong number of fields (line 3), "
        "1 unparseable orderDate (line 4)"
    )
    assert result.frame["orderCount"].tolist() == [2]


def test_quoted_line_breaks_and_commas_survive(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text(
        HEADER.strip() + ",name\n" + 'A,c-1,2025-10-01,1,"Cafe, ""The""\nUpstairs"\n',
        encoding="utf-8",
    )
    assert api_customers([path])["c-1"]["name"] == 'Cafe, "The"\nUpstairs'


def test_stdin_csv(write_csv):
    data = csv_text(rows_for()).encode()
    result = classified(["-"], AS_OF_MS, stdin=io.BytesIO(data))
    assert result.frame["orderCount"].tolist() == [2]
    zipped = classified(["-"], AS_OF_MS, stdin=io.BytesIO(gzip.compress(data)))
    assert zipped.frame["orderCount"].tolist() == [2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("empty.csv", b"", "empty.csv: empty file (no header row)"),
        (
            "orders.parquet",
            HEADER.encode(),
            "orders.parquet: not a readable Parquet file (no Parquet footer); if it is CSV, pass",
        ),
        ("orders.txt", HEADER.encode(), "cannot tell the file format"),
        (
            "latin1.csv",
            (HEADER + "A,c-1,2025-10-01,1\nB,Caf\xe9,2025-10-01,1\n").encode("latin-1"),
            "not valid UTF-8 text (line 3); if it was saved by Excel or an older system, try",
        ),
        ("binary.csv", bytes(range(256)) * 4, "binary.csv: binary data, not CSV text"),
        (
            "orders.csv.gz",
            gzip.compress(b"orderReference,contactID\n\xff\n", mtime=0),
            "orders.csv.gz: not valid UTF-8 text (line 2)",
        ),
    ],
)
def test_unreadable_inputs_raise_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnreadableError) as err:
        classified([str(path)], AS_OF_MS)
    shown = worded(err.value.message, err.value.hint)  # as the CLI words the hint
    assert message in shown
    assert "\n" not in shown


def test_latin1_reads_with_encoding_option(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER.strip() + ",name\nA,c-1,2025-10-01,1,Caf\xe9\n").encode("latin-1"))
    customers = api_customers([path], encoding="latin-1")
    assert customers["c-1"]["name"] == "Café"


def test_header_only_file_gives_no_customers(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(HEADER, encoding="utf-8")
    result = classified([str(path)], AS_OF_MS)
    assert result.frame.empty and result.notices == ()


def test_nothing_is_lost_rows_read_equals_kept_plus_skipped(write_csv):
    rows = rows_for((1, 2, 3)) + [
        {"orderReference": "", "contactID": "c", "orderDate": "2025-01-01", "total": "1"}
    ]
    result = classified([str(write_csv(rows))], AS_OF_MS)
    assert result.frame["orderCount"].sum() == 3
    assert result.notices[0].text.startswith("skipped 1 of 4 rows: 1 empty orderReference (line 5)")


def test_input_file_is_not_modified(write_csv):
    path = write_csv(rows_for())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    classified([str(path)], AS_OF_MS)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_text_column_casts_and_trims():
    from segcli.engines.arrow import text_column

    out = text_column(pa.array([" a ", "", "  ", None, "b"]))
    assert out.to_pylist() == ["a", None, None, None, "b"]
    assert pc.all(pc.is_valid(text_column(pa.array([1, 2])))).as_py()


def test_parquet_dictionary_large_string_int_and_second_timestamps(tmp_path):
    table = pa.table(
        {
            "orderReference": pa.array(["A", "B"], pa.large_string()),
            "contactID": pa.array(["x", "x"]).dictionary_encode(),
            "orderDate": pa.array(
                [dt.datetime(2025, 10, 1, 12), dt.datetime(2025, 10, 2, 12)],
                pa.timestamp("s", tz="Pacific/Auckland"),  # stored as UTC instants
            ),
            "total": pa.array([1, 2], pa.int32()),
            "name": pa.array(["N1", None]).dictionary_encode(),
        }
    )
    path = tmp_path / "odd.parquet"
    pq.write_table(table, path)
    customer = api_customers([path])["x"]
    assert customer["name"] == "N1"
    assert customer["metrics"]["totalSpend"] == "3.00"
    assert customer["metrics"]["lastOrderDate"] == "2025-10-02T12:00:00.000Z"


def test_windows_line_endings_and_no_final_newline(tmp_path):
    path = tmp_path / "windows.csv"
    path.write_bytes(
        b"orderReference,contactID,orderDate,total,name\r\n"
        b"A,c-1,2025-10-01,1.50,Cafe\r\n"
        b"B,c-1,bad,2,Cafe\r\n"
        b"C,c-1,2025-10-02,2.50,Cafe Two"
    )
    result = classified([str(path)], AS_OF_MS)
    customer = api_customers([path])["c-1"]
    assert customer["name"] == "Cafe Two" and customer["metrics"]["totalSpend"] == "4.00"
    assert result.notices[0].text == "skipped 1 of 3 rows: 1 unparseable orderDate (line 3)"


def test_nested_parquet_column_is_a_clear_error(tmp_path):
    table = pa.table(
        {
            "orderReference": ["A"],
            "contactID": pa.array([{"id": 1}]),
            "orderDate": ["2025-10-01"],
            "total": ["1"],
        }
    )
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    with pytest.raises(InvalidInputError, match=r"nested.parquet: column 'contactID' holds struct"):
        classified([str(path)], AS_OF_MS)
