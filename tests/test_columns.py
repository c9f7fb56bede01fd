"""`--columns` picks and orders the fields of list output; `--format markdown` writes pipe
tables; CSV read back with the csv module and with pandas holds the ids and numbers of the
JSON document unchanged."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import AS_OF, Cli, api_customers, order, said

from segcli.output.csv import FORMULA_START

FIXTURE = Path(__file__).parent / "golden" / "orders.csv"
ON_FIXTURE = ("--orders", str(FIXTURE), "--as-of", AS_OF)
COLUMNS = "accountCode,contactID,PHONE,totalSpend,accountName,lastOrderDaysAgo,orderCount"
PICKED = [
    "accountCode",
    "contactID",
    "phone",
    "totalSpend",
    "accountName",
    "lastOrderDaysAgo",
    "orderCount",
]
DEFAULT_CSV = [  # SPEC §5: the list's keys, then the metrics
    "contactID",
    "name",
    "email",
    "company",
    "orderCount",
    "totalSpend",
    "lastOrderDate",
    "lastOrderReference",
    "segment",
    "lastOrderDaysAgo",
    "purchaseFrequency",
]


def flat(record: dict) -> dict[str, str]:
    """A JSON record's fields as CSV writes them: metrics flattened, null as '', text cells
    that a spreadsheet would run prefixed with '."""
    fields = {k: v for k, v in record.items() if k != "metrics"} | record["metrics"]
    cells = {k: "" if v is None else str(v) for k, v in fields.items()}
    return {
        k: "'" + v if isinstance(fields[k], str) and re.match(FORMULA_START, v) else v
        for k, v in cells.items()
    }


def read_back(text: str, separator: str) -> tuple[list[dict], pd.DataFrame]:
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=separator))
    frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    return rows, frame


@pytest.mark.parametrize(
    ("args", "separator", "picked"),
    [
        (("--csv",), ",", None),
        (("--tsv",), "\t", None),
        (("--csv", "--columns", COLUMNS), ",", PICKED),
        (("--tsv", "-c", COLUMNS), "\t", PICKED),
    ],
)
def test_csv_read_back_holds_every_id_and_number(cli: Cli, args, separator, picked):
    expected = {key: flat(record) for key, record in api_customers([FIXTURE]).items()}
    order_of = [c["contactID"] for c in cli.json("list", *ON_FIXTURE)["data"]]
    result = cli("list", *ON_FIXTURE, *args)
    assert result.exit_code == 0, result.stderr
    rows, frame = read_back(result.stdout, separator)
    columns = picked or DEFAULT_CSV
    assert list(frame.columns) == list(rows[0]) == columns
    assert [row["contactID"] for row in rows] == frame["contactID"].tolist() == order_of
    for i, row in enumerate(rows):
        want = expected[row["contactID"]]
        assert row == frame.iloc[i].to_dict() == {key: want[key] for key in columns}


def test_columns_pick_and_order_a_table(cli: Cli):
    table = cli("list", *ON_FIXTURE, "-c", "totalSpend,contactID,phone,segment").stdout
    assert table.splitlines()[0].split() == ["Spend", "ID", "Phone", "Segment"]
    assert re.search(r"1,245\.50\s+c-1\s+\+64 9 555 0100\s+Active", table)
    assert "Customer" not in table and "Frequency" not in table


def test_rfm_columns_imply_scores(cli: Cli):
    text = cli("list", *ON_FIXTURE, "--csv", "-c", "contactID,rfmScore,rfmSegment").stdout
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows and all(re.fullmatch(r"[1-5]{3}", row["rfmScore"]) for row in rows)
    assert all(row["rfmSegment"] for row in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-c", "contactID,nope"), "'nope' is not a field; choose from contactID, name, email"),
        (("-c", "contactID,nope"), "accountCode, orderCount"),
        (("-c", ""), "is not a field"),
        (("-c", "name,NAME"), "names a field twice"),
        (("-c", "name", "--json"), "json keeps the API's fields"),
        (("-c", "name", "--format", "ndjson"), "ndjson keeps the API's fields"),
    ],
)
def test_bad_columns_are_usage_errors(cli: Cli, args, message):
    result = cli("list", *ON_FIXTURE, *args)
    assert result.exit_code == 2 and message in said(result)


def test_transitions_pick_the_columns_of_their_list(cli: Cli):
    moved = ("transitions", *ON_FIXTURE, "--from", "2025-07-01")
    listed = cli(*moved, "--list", "Active:Dormant", "--csv", "-c", "contactID,phone")
    assert listed.exit_code == 0 and listed.stdout.splitlines()[0] == "contactID,phone"
    matrix = cli(*moved, "-c", "contactID")
    assert matrix.exit_code == 2 and "picks the columns of --list" in said(matrix)


def test_columns_read_the_details_they_name_cold_and_warm(cli: Cli, write_csv):
    """A list reads only the details it shows; --columns asks for phone and account fields,
    whether the cache already holds them or not."""
    path = write_csv([order("c-1", 1_760_000_000_000, "10.00", phone="+64 1", accountCode="A1")])
    args = ("list", "--orders", path, "--as-of", AS_OF, "--csv", "-c", "phone,accountCode")
    cold = cli(*args)  # the first run: nothing cached yet
    warm = cli(*args)
    uncached = cli(*args, "--no-cache")
    assert cold.stdout == warm.stdout == uncached.stdout
    assert cold.stdout.splitlines() == ["phone,accountCode", "'+64 1,A1"]


def test_markdown_escapes_pipes_and_control_characters(cli: Cli, write_csv):
    path = write_csv(
        [
            order("c|1", 1_760_000_000_000, "1245.50", name="A | B\nC"),
            order("c-2", 1_760_000_000_000, "-12.00", name="plain"),
        ]
    )
    text = cli("list", "--orders", path, "--as-of", AS_OF, "--format", "markdown").stdout
    lines = text.splitlines()
    assert len(lines) == 4  # header, rule, two customers: no row split by a line break
    assert lines[1] == "|---|---|---|---|---:|---:|---|---|---|---:|---|"
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
    assert all(len(row) == 11 for row in cells)
    assert [c.strip() for c in cells[2][:2]] == ["c\\|1", "A \\| B\\nC"]
    assert cells[2][5].strip() == "1245.50" and cells[3][5].strip() == "-12.00"
    assert cells[2][3].strip() == ""  # no company: an empty cell


@pytest.mark.parametrize(
    ("command", "header"),
    [
        (("show", "c-1"), "| contactID | name | email | company | phone |"),
        (("breakdown",), "| by | category | count | share | totalSpend | avgSpend |"),
        (("rfm",), "| by | category | count | share | totalSpend | avgSpend |"),
        (("breakdown", "--cross"), "| segment | purchaseFrequency | count |"),
        (("transitions", "--from", "2025-07-01"), "| from | to | count |"),
        (("list", "-c", "name,totalSpend"), "| name | totalSpend |"),
    ],
)
def test_every_command_with_a_table_writes_markdown(cli: Cli, command, header):
    text = cli(*command, *ON_FIXTURE, "--format", "MarkDown").stdout
    lines = text.splitlines()
    assert lines[0].startswith(header) and re.fullmatch(r"\|(-{3}:?\|)+", lines[1])
    body = [lines[0], *lines[2:]]
    assert len(body) > 1 and all(line.startswith("| ") and line.endswith(" |") for line in body)
