"""Real exports: presets (Shopify, WooCommerce, Xero), detection, column mapping, date and amount
options, contacts files, overlapping files, folders and globs, the progress bar."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path

import pytest
from helpers import AS_OF, AS_OF_MS, DAY, Cli, order
from rich.console import Console

from segcli import api
from segcli.core.instants import parse_instant
from segcli.input import presets
from segcli.input.plan import plan as plan_columns
from segcli.model.options import DAY_FIRST, MONTH_FIRST, ParseOptions
from segcli.output import console

EXPORTS = Path(__file__).resolve().parent.parent / "sample_data" / "exports"
SHOPIFY = EXPORTS / "shopify_orders_export.csv"
WOOCOMMERCE = EXPORTS / "woocommerce_orders.csv"
XERO = EXPORTS / "xero_sales_invoices.csv"
CONTACTS = EXPORTS / "contacts.csv"


def customers_of(cli: Cli, *args) -> tuple[dict[str, dict], str]:
    result = cli("list", *args, "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    return {c["contactID"]: c for c in data}, result.stderr


def summary(customer: dict) -> tuple:
    m = customer["metrics"]
    return (m["orderCount"], m["totalSpend"], m["lastOrderDate"], m["lastOrderReference"])


# --- presets ----------------------------------------------------------------------------------


def test_shopify_export(cli: Cli):
    got, stderr = customers_of(cli, "--orders", SHOPIFY)
    # Line items fold into their order; refunded, voided and cancelled orders do not count;
    # the customer is the trimmed, lower-cased email; +1300 and +1200 offsets both honoured.
    assert {k: summary(v) for k, v in got.items()} == {
        "alice@harbourcafe.example": (2, "335.40", "2025-09-29T19:05:10.000Z", "#1003"),
        "bob@sourdoughco.example": (2, "1759.25", "2025-10-12T03:40:00.000Z", "#1007"),
        "dan@kaibistro.example": (1, "150.00", "2025-10-19T18:30:00.000Z", "#1008"),
    }
    assert got["bob@sourdoughco.example"]["name"] == "Bob Tane"
    assert got["bob@sourdoughco.example"]["company"] == "Sourdough Co"
    assert (
        got["alice@harbourcafe.example"]["email"] == "Alice@HarbourCafe.example"
    )  # latest, as written
    assert "detected a Shopify orders export" in stderr
    assert "folded 4 line-item rows into their orders" in stderr
    assert "excluded 3 orders not counted by the shop (1 cancelled, 1 refunded, 1 voided)" in stderr


def test_shopify_include_cancelled_and_explicit_preset(cli: Cli):
    got, stderr = customers_of(
        cli, "--orders", SHOPIFY, "--preset", "shopify", "--include-cancelled"
    )
    assert "detected" not in stderr
    assert "counted 3 orders the shop did not count" in stderr
    assert summary(got["carol@moanadeli.example"])[:2] == (1, "410.00")
    assert summary(got["bob@sourdoughco.example"])[:2] == (3, "1834.25")
    assert summary(got["dan@kaibistro.example"])[:2] == (2, "470.00")


def test_woocommerce_export_month_first_dates_and_timezone(cli: Cli):
    got, stderr = customers_of(cli, "--orders", WOOCOMMERCE)
    assert {k: summary(v) for k, v in got.items()} == {
        "erin@petalandstem.example": (2, "430.40", "2025-10-07T09:50:26.000Z", "504"),
        "frank@ridgecoffee.example": (2, "1314.50", "2025-10-20T08:15:00.000Z", "507"),
    }
    assert got["erin@petalandstem.example"]["name"] == "Erin Walsh"  # first + last
    assert "1 cancelled, 1 failed, 1 refunded" in stderr
    local, _ = customers_of(cli, "--orders", WOOCOMMERCE, "--timezone", "Pacific/Auckland")
    # 10/07/2025 09:50:26 in Auckland (NZDT, +13:00) is 2025-10-06T20:50:26Z
    assert summary(local["erin@petalandstem.example"])[2] == "2025-10-06T20:50:26.000Z"


def test_xero_export_invoices_once_credit_notes_negative(cli: Cli):
    """A credit note reduces spend but is not an order: no count, never the last order (issue
    12's decision)."""
    got, stderr = customers_of(cli, "--orders", XERO)
    assert {k: summary(v) for k, v in got.items()} == {
        "Harbour Cafe Ltd": (2, "1265.00", "2025-10-05T00:00:00.000Z", "INV-0102"),
        "Kai Kitchen": (1, "460.00", "2025-10-07T00:00:00.000Z", "INV-0103"),
        "Moana Deli": (1, "5250.00", "2025-10-20T00:00:00.000Z", "INV-0105"),
    }
    assert got["Moana Deli"]["metrics"]["segment"] == "VIP"
    assert got["Harbour Cafe Ltd"]["email"] == "accounts@harbourcafe.example"
    assert "1 deleted, 1 voided" in stderr and "counted 1 credit note as negative spend" in stderr
    # its two invoices are 12 days apart; with the credit note counted it was 17 days over 2
    assert got["Harbour Cafe Ltd"]["metrics"]["purchaseFrequency"] == "Monthly"


def test_xero_import_template_headers_with_stars(cli: Cli, tmp_path):
    text = XERO.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    starred = ",".join(
        f"*{h}" if h in {"ContactName", "InvoiceNumber", "InvoiceDate", "Total"} else h
        for h in header.split(",")
    )
    path = tmp_path / "template.csv"
    path.write_text(starred + "\n" + rest, encoding="utf-8")
    assert customers_of(cli, "--orders", path)[0] == customers_of(cli, "--orders", XERO)[0]


def test_preset_that_does_not_fit_names_what_is_missing(cli: Cli):
    result = cli("list", "--orders", WOOCOMMERCE, "--preset", "xero")
    assert result.exit_code == 1
    assert "not a Xero sales invoices export: missing 'InvoiceNumber'" in result.stderr


def test_unknown_file_suggests_presets_and_column(cli: Cli, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Invoice No,Customer,Invoice Date,Amount\n1,a,2025-01-01,5\n", encoding="utf-8")
    result = cli("list", "--orders", path)
    assert result.exit_code == 1
    assert "--preset shopify|woocommerce|xero" in result.stderr and "--column" in result.stderr


def test_a_bad_row_after_folded_line_items_is_located_in_the_file(cli: Cli, tmp_path):
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines()
    bad_line = next(i for i, line in enumerate(lines) if line.startswith("#1007,"))
    lines[bad_line] = lines[bad_line].replace("2025-10-12 16:40:00 +1300", "yesterday")
    path = tmp_path / "orders_export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("list", "--orders", path, "--as-of", AS_OF)
    assert f"1 unparseable orderDate ('Created at') (line {bad_line + 1})" in result.stderr


# --- column mapping, dates and amounts --------------------------------------------------------

ACCOUNTING = (
    "Invoice No,Customer,Invoice Date,Amount,Email\n"
    'A-1,Kowhai Cafe,23.10.2025 09:15,"$1,245.50",a@k.example\n'
    "A-2,Kowhai Cafe,01.10.2025 18:00,(12.50),a@k.example\n"
    'A-3,Rimu Deli,02.10.2025 08:00,"NZ$ 5,000.01",r@d.example\n'
)


def test_column_mapping_with_date_format_and_export_amounts(cli: Cli, tmp_path):
    path = tmp_path / "accounting.csv"
    path.write_text(ACCOUNTING, encoding="utf-8")
    args = [
        "--orders", path,
        "--column", "orderReference=Invoice No",
        "--column", "contactID=Customer",
        "--column", "orderDate=invoice date",  # headers match loosely, like canonical ones
        "--column", "total=Amount",
        "--date-format", "%d.%m.%Y %H:%M",
        "--timezone", "Pacific/Auckland",
    ]  # fmt: skip
    got, _ = customers_of(cli, *args)
    assert summary(got["Kowhai Cafe"]) == (2, "1233.00", "2025-10-22T20:15:00.000Z", "A-1")
    assert summary(got["Rimu Deli"])[:2] == (1, "5000.01")
    assert got["Rimu Deli"]["metrics"]["segment"] == "VIP"
    assert got["Kowhai Cafe"]["email"] == "a@k.example"  # canonical names still match


def test_accounting_sample_with_decimal_comma_dates_and_credit_in_parentheses(cli: Cli):
    args = [
        "--orders", EXPORTS / "accounting_invoices.csv",
        "--column", "orderReference=Invoice No",
        "--column", "contactID=Customer",
        "--column", "name=Customer",  # one header may feed two roles
        "--column", "orderDate=Invoice Date",
        "--column", "total=Amount",
        "--date-format", "%d.%m.%Y %H:%M",
        "--timezone", "Europe/Berlin",
        "--decimal", ",",
    ]  # fmt: skip
    got, stderr = customers_of(cli, *args)
    assert "skipped" not in stderr
    # 1.245,50 + 5.310,00 - 120,00; 08.10.2025 09:00 in Berlin (CEST, +02:00) is 07:00Z
    assert summary(got["Kaffeehaus Lindner"]) == (
        3, "6435.50", "2025-10-08T07:00:00.000Z", "GS-2025-0019"
    )  # fmt: skip
    assert got["Kaffeehaus Lindner"]["name"] == "Kaffeehaus Lindner"
    assert summary(got["Bäckerei Sommer"])[:2] == (2, "802.25")


def test_decimal_comma(cli: Cli, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text(
        "orderReference,contactID,orderDate,total\n"
        'A,c,2025-10-01,"1 245,50"\nB,c,2025-10-02,"1.000,05 EUR"\nC,c,2025-10-03,"12.5"\n',
        encoding="utf-8",
    )
    got, stderr = customers_of(cli, "--orders", path, "--decimal", ",")
    assert summary(got["c"])[:2] == (2, "2245.55")
    assert "1 unparseable total (line 4)" in stderr


def test_email_keyed_file_without_contact_id(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(
        "orderReference,email,orderDate,total\nA, Ana@X.example ,2025-10-01,5\n"
        "B,ana@x.example,2025-10-02,6\nC,,2025-10-03,7\n",
        encoding="utf-8",
    )
    got, stderr = customers_of(cli, "--orders", path)
    assert list(got) == ["ana@x.example"] and summary(got["ana@x.example"])[:2] == (2, "11.00")
    assert "keyed by their email" in stderr and "1 empty contactID ('email') (line 4)" in stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--column", "orderDate"), "ROLE=HEADER"),
        (("--column", "when=Invoice Date"), "ROLE=HEADER"),
        (("--timezone", "Mars/Olympus"), "--timezone"),
        (("--decimal", ";"), "--decimal"),
        (("--dayfirst", "--monthfirst"), "--dayfirst"),
        (("--date-format", "dd/mm/yyyy"), "--date-format"),
        (("--preset", "magento"), "--preset"),
    ],
)
def test_reading_option_usage_errors(cli: Cli, args, needle):
    result = cli("list", *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_column_naming_a_missing_header_is_an_error(cli: Cli):
    result = cli("list", "--orders", WOOCOMMERCE, "--column", "contactID=customer_uuid")
    assert result.exit_code == 1
    assert "no column 'customer_uuid' to read contactID from" in result.stderr


def test_column_overrides_a_preset(cli: Cli):
    got, _ = customers_of(cli, "--orders", WOOCOMMERCE, "--column", "contactID=customer_id")
    assert set(got) == {"12", "0"}  # registered customer 12; guests all share id 0


NZ = "Pacific/Auckland"


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("23/10/2025", ParseOptions(date_order=DAY_FIRST), "2025-10-23T00:00:00Z"),
        ("10/23/2025", ParseOptions(date_order=MONTH_FIRST), "2025-10-23T00:00:00Z"),
        ("3/4/2025 7:05", ParseOptions(date_order=DAY_FIRST), "2025-04-03T07:05:00Z"),
        ("3/4/2025 7:05:09", ParseOptions(date_order=MONTH_FIRST), "2025-03-04T07:05:09Z"),
        ("23.10.2025", ParseOptions(date_order=DAY_FIRST), "2025-10-23T00:00:00Z"),
        ("2025-10-23", ParseOptions(date_order=DAY_FIRST), "2025-10-23T00:00:00Z"),  # ISO stays
        ("2025-10-07 09:50:26 +1300", ParseOptions(), "2025-10-06T20:50:26Z"),
        ("2025-06-07 09:50:26 +1200", ParseOptions(), "2025-06-06T21:50:26Z"),
        ("2025-10-07 09:50:26", ParseOptions(timezone=NZ), "2025-10-06T20:50:26Z"),  # NZDT
        ("2025-06-01 12:00:00", ParseOptions(timezone=NZ), "2025-06-01T00:00:00Z"),  # NZST
        ("2025-10-07", ParseOptions(timezone=NZ), "2025-10-06T11:00:00Z"),  # local midnight
        ("2025-10-07T09:50:26+02:00", ParseOptions(timezone=NZ), "2025-10-07T07:50:26Z"),
        # clocks went back at 03:00 NZDT on 2025-04-06: 02:30 happened twice; the first counts
        ("2025-04-06 02:30:00", ParseOptions(timezone=NZ), "2025-04-05T13:30:00Z"),
        # clocks went forward at 02:00 NZST on 2025-09-28: 02:30 never happened; 03:00 NZDT
        ("2025-09-28 02:30:00", ParseOptions(timezone=NZ), "2025-09-27T14:00:00Z"),
        ("07/10/2025 09:50", ParseOptions(date_format="%d/%m/%Y %H:%M"), "2025-10-07T09:50:00Z"),
        (
            "07/10/2025 09:50",
            ParseOptions(date_format="%d/%m/%Y %H:%M", timezone=NZ),
            "2025-10-06T20:50:00Z",
        ),
        (
            "2025-10-07 09:50 +0530",
            ParseOptions(date_format="%Y-%m-%d %H:%M %z"),
            "2025-10-07T04:20:00Z",
        ),
    ],
)
def test_date_options(text, options, expected):
    want = api.parse_as_of(expected.replace("Z", "+00:00"))
    assert parse_instant(text, options=options) == want


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("23/10/2025", ParseOptions()),  # ambiguous form: needs --dayfirst or --monthfirst
        ("23/10/2025", ParseOptions(date_order=MONTH_FIRST)),  # no month 23
        ("31/02/2025", ParseOptions(date_order=DAY_FIRST)),
        ("2025-10-07", ParseOptions(date_format="%d/%m/%Y")),
    ],
)
def test_date_options_reject(text, options):
    assert parse_instant(text, options=options) is None


# --- contacts ---------------------------------------------------------------------------------


def test_contacts_file_adds_details_and_customers_without_orders(cli: Cli):
    got, stderr = customers_of(cli, "--customers", CONTACTS)
    assert len(got) == 305 + 2
    prospect = got["c-9001"]
    assert prospect["name"] == "Wharf Road Bakery"
    assert prospect["metrics"] == {
        "orderCount": 0,
        "totalSpend": "0.00",
        "lastOrderDate": None,
        "lastOrderReference": None,
        "segment": "New",
        "lastOrderDaysAgo": None,
        "purchaseFrequency": "None",
    }
    assert got["c-9002"]["email"] is None
    assert "304 customers with orders had no record in" in stderr
    shown = cli.json("show", "c-1018", "--customers", CONTACTS)["data"]
    assert (shown["phone"], shown["accountCode"]) == ("+64 4 555 0118", "CUBA01")
    assert summary(got["c-1018"])[0] == 147  # its orders are unchanged


def test_customer_without_orders_in_every_view(cli: Cli):
    table = cli("show", "c-9002", "--customers", CONTACTS)
    assert table.exit_code == 0 and "Tui Street Noodles" in table.stdout
    breakdown = cli.json("breakdown", "--customers", CONTACTS)["data"]
    assert breakdown["purchaseFrequency"]["None"]["count"] == 2
    assert breakdown["segment"]["New"]["count"] == 25 + 2
    listing = cli("list", "--customers", CONTACTS, "--sort", "lastOrderDate", "--limit", "400")
    assert listing.exit_code == 0 and "Wharf Road Bakery" in listing.stdout
    last = cli.json("list", "--customers", CONTACTS, "--sort", "lastOrderDate")["data"][-2:]
    assert [c["contactID"] for c in last] == ["c-9001", "c-9002"]  # no orders sort last
    rfm = cli.json("list", "--customers", CONTACTS, "--rfm-segment", "Lost")["data"]
    assert {"c-9001", "c-9002"} <= {c["contactID"] for c in rfm}


def test_contacts_keyed_by_email_for_email_keyed_orders(cli: Cli, tmp_path):
    contacts = tmp_path / "people.csv"
    contacts.write_text(
        "email,name,phone\nBOB@sourdoughco.example,Robert Tane,021 555 0100\n"
        "new@shop.example,Newcomer,\n,Nobody,\nbob@sourdoughco.example,Dup,\n",
        encoding="utf-8",
    )
    got, stderr = customers_of(cli, "--orders", SHOPIFY, "--customers", contacts)
    assert got["bob@sourdoughco.example"]["name"] == "Robert Tane"
    assert got["alice@harbourcafe.example"]["name"] == "Alice Ng"  # no record: from orders
    assert got["new@shop.example"]["metrics"]["orderCount"] == 0
    assert "contacts are keyed by email" in stderr
    assert "skipped 1 contact with no id" in stderr and "1 repeated contact ignored" in stderr
    assert "2 customers with orders had no record" in stderr


def test_contacts_file_needs_an_id(cli: Cli, tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("name,phone\nA,1\n", encoding="utf-8")
    result = cli("list", "--customers", contacts)
    assert result.exit_code == 1 and "missing required column 'contactID'" in result.stderr


# --- overlapping files ------------------------------------------------------------------------


def test_overlapping_exports_count_each_order_once(cli: Cli, write_csv):
    a = [order("c-1", AS_OF_MS - d * DAY, "10.00", f"R{d}") for d in (40, 30, 20)]
    b = [order("c-1", AS_OF_MS - d * DAY, "10.00", f"R{d}") for d in (20, 10)]
    got, stderr = customers_of(
        cli, "--orders", write_csv(a, "sep.csv"), "--orders", write_csv(b, "oct.csv")
    )
    assert summary(got["c-1"])[:2] == (4, "40.00")
    assert "counted 1 order once that appeared identically in more than one file" in stderr


def test_a_differing_copy_is_replaced_by_the_later_files_or_fails_under_strict(cli: Cli, write_csv):
    """Issue 12 item 7: the same customer's order in two files, changed (a refund, say): the
    later file's copy counts, once."""
    a = [order("c-1", AS_OF_MS - 5 * DAY, "10.00", "R1")]
    b = [order("c-1", AS_OF_MS - 5 * DAY, "12.00", "R1")]
    args = ("--orders", write_csv(a, "a.csv"), "--orders", write_csv(b, "b.csv"))
    got, stderr = customers_of(cli, *args)
    assert summary(got["c-1"])[:2] == (1, "12.00")
    assert (
        "1 order of the same customer differ between files (first: 'R1'); the latest file's "
        "copy counts" in stderr
    )
    strict = cli("list", *args, "--strict")
    assert strict.exit_code == 1 and "first: 'R1'" in strict.stderr


def test_the_same_reference_for_another_customer_is_another_order(cli: Cli, write_csv):
    """Two shops' exports both number their orders from #1001: no order is lost."""
    a = [order("c-1", AS_OF_MS - 5 * DAY, "10.00", "#1001")]
    b = [order("c-2", AS_OF_MS - 5 * DAY, "10.00", "#1001")]
    got, stderr = customers_of(cli, "--orders", write_csv(a, "a.csv"), "--orders",
                               write_csv(b, "b.csv"))  # fmt: skip
    assert summary(got["c-1"])[:2] == summary(got["c-2"])[:2] == (1, "10.00")
    assert "differ" not in stderr and "once" not in stderr


def test_repeats_inside_one_file_are_duplicate_rows_not_overlaps(cli: Cli, write_csv):
    """Issue 12: a row identical in every column to an earlier one of its file counts once."""
    rows = [order("c-1", AS_OF_MS - DAY, "10.00", "R1")] * 2
    got, stderr = customers_of(cli, "--orders", write_csv(rows))
    assert summary(got["c-1"])[:2] == (1, "10.00")
    assert "1 duplicate row counted once" in stderr and "more than one file" not in stderr


# --- folders, globs, progress -------------------------------------------------------------------


def test_folder_and_glob_inputs(cli: Cli, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("2025-09.csv", "2025-10.csv"):
        shutil.copy(XERO, folder / name)
    (folder / "notes.txt").write_text("not orders", encoding="utf-8")
    whole, stderr = customers_of(cli, "--orders", folder)
    assert whole == customers_of(cli, "--orders", XERO)[0]  # the copy is an exact overlap
    assert "detected a Xero sales invoices export" in stderr and "2 files" in stderr
    globbed, _ = customers_of(cli, "--orders", str(folder / "2025-*.csv"))
    assert globbed == whole
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no order files" in cli("list", "--orders", empty).stderr
    assert "no files match" in cli("list", "--orders", str(tmp_path / "2024-*.csv")).stderr
    # Brackets alone name a file far more often than a character class: a missing one is a
    # missing file, while a pattern that matches is still read as one.
    missing = cli("list", "--orders", str(tmp_path / "data[1].csv"))
    assert missing.exit_code == 1 and "data[1].csv: no such file" in missing.stderr
    assert "pattern" not in missing.stderr
    bracketed, _ = customers_of(cli, "--orders", str(folder / "2025-[0-9]*.csv"))
    assert bracketed == whole


def test_progress_bar_only_on_a_terminal_after_the_delay(monkeypatch):
    out = console.Output()
    out.stderr = Console(file=io.StringIO(), force_terminal=False)
    with out.progress() as progress:
        progress("reading a.csv", 0, 1)
    assert out.stderr.file.getvalue() == ""

    monkeypatch.setattr(console, "PROGRESS_AFTER_S", 0.0)
    buffer = io.StringIO()
    out.stderr = Console(file=buffer, force_terminal=True, width=80)
    with out.progress() as progress:
        progress("reading big.csv", 0, 2)
        time.sleep(0.3)
    assert "reading big.csv" in buffer.getvalue()

    monkeypatch.setattr(console, "PROGRESS_AFTER_S", 5.0)
    quick = io.StringIO()
    out.stderr = Console(file=quick, force_terminal=True, width=80)
    with out.progress() as progress:
        progress("reading small.csv", 0, 1)
    assert "reading small.csv" not in quick.getvalue()


def test_plan_reports_detection():
    header = XERO.read_text(encoding="utf-8").splitlines()[0].split(",")
    plan = plan_columns(header, "x.csv")
    assert plan.preset is presets.XERO and plan.detected
    assert plan.parse_options(ParseOptions()).date_order == DAY_FIRST
    assert plan.parse_options(ParseOptions(date_order=MONTH_FIRST)).date_order == MONTH_FIRST


def test_the_cli_offers_every_preset(cli: Cli):
    result = cli("list", "--preset", "nosuch")
    assert result.exit_code == 2
    for name in presets.PRESETS:
        assert name in result.stderr


# --- issue 12: the real-shaped samples ----------------------------------------------------------

COD = EXPORTS / "shopify_cod_export.csv"
WOO_PLUGIN = EXPORTS / "woocommerce_plugin_export.csv"
RETAIL = EXPORTS / "online_retail_lines.csv"


def test_shopify_cod_export_keys_by_email_then_phone_then_name_and_nets_refunds(cli: Cli):
    got, stderr = customers_of(cli, "--orders", COD)
    assert {k: summary(v)[:2] for k, v in got.items()} == {
        "amy_w.91@hotmail.co.uk": (2, "4700.00"),  # 3400.00 less 400.00 refunded, and 1700.00
        "+8801678126000": (2, "2230.00"),  # `Phone` on one order, `Billing Phone` on the other
        "+01711555666": (1, "1500.00"),
        "Rahim Uddin": (1, "600.00"),  # no email, no phone: the billing name
    }  # the fully refunded order does not count; pending (cash on delivery) does
    assert "1 by email, 2 by phone, 1 by name" in stderr
    assert "subtracted refunded amounts from 1 order (net spend)" in stderr


@pytest.mark.parametrize(
    "typed", ["Amy_w.91@hotmail.co.uk", " AMY_W.91@HOTMAIL.CO.UK ", "+880 1678-126000"]
)
def test_show_finds_customers_by_their_normalised_email_or_phone(cli: Cli, typed):
    result = cli("show", typed, "--orders", str(COD), "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.stderr


def test_woocommerce_plugin_export_is_detected_and_sets_pending_aside(cli: Cli):
    got, stderr = customers_of(cli, "--orders", WOO_PLUGIN)
    assert {k: summary(v)[:2] for k, v in got.items()} == {
        "mere@kaicollective.example": (2, "1517.50"),  # each order's total once, not per line
        "tom.baker@example.com": (1, "96.00"),
        "lena@baeckerei.example": (1, "280.00"),
    }
    assert "detected a WooCommerce orders export" in stderr
    assert "(1 cancelled, 1 pending)" in stderr


@pytest.mark.parametrize(
    ("dates", "order"),
    [
        (["23/10/2025 9:50", "01/02/2025"], "dayfirst"),
        (["10/23/2025 9:50", "01/02/2025"], "monthfirst"),
        (["01/02/2025", "03/04/2025"], None),  # nothing proves either order
        (["23/10/2025", "10/23/2025"], None),  # values prove both: neither reads them all
        (["23/10/2025", "2025-10-23"], None),  # ISO dates: a stray numeric one is not guessed at
    ],
)
def test_the_order_of_day_and_month_is_read_from_values_that_prove_it(dates, order):
    import pyarrow as pa

    from segcli.core.instants import infer_date_order

    assert infer_date_order(pa.chunked_array([pa.array(dates)]))[0] == order


def test_online_retail_sample_needs_no_flags(cli: Cli):
    result = cli("list", "--orders", str(RETAIL), "--as-of", "2011-03-31", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = {c["contactID"]: c["metrics"] for c in json.loads(result.stdout)["data"]}
    assert (data["17850"]["orderCount"], data["17850"]["totalSpend"]) == (11, "1377.56")
    assert "97 rows → 41 orders" in result.stderr and "skipped" not in result.stderr
