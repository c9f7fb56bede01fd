"""The commands end to end: golden outputs, formats, filters, sorting, errors and exit codes."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import AS_OF, AS_OF_MS, DAY, Cli, order
from reference import REQUIRED

from segcli import __version__
from segcli.cli.printing import Format, ListFormat
from segcli.output.csv import CSV_COLUMNS
from segcli.output.values import METRIC_KEYS, SHOW_KEYS

GOLDEN = Path(__file__).parent / "golden"
FIXTURE = GOLDEN / "orders.csv"
ON_FIXTURE = ("--orders", str(FIXTURE), "--as-of", AS_OF)


def golden(name: str):
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


# --- golden outputs on a hand-checked fixture -------------------------------------------------


def test_list_json_golden(cli: Cli):
    result = cli("list", *ON_FIXTURE, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == golden("list.json")
    # compact, one trailing newline, keys in the API's order
    assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1
    assert result.stdout.startswith('{"success":true,"data":[{"contactID":"c-7","name":')
    first = json.loads(result.stdout)["data"][0]
    assert list(first) == ["contactID", "name", "email", "company", "metrics"]
    assert list(first["metrics"]) == list(METRIC_KEYS)


def test_show_json_golden(cli: Cli):
    result = cli("show", "c-1", *ON_FIXTURE, "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == golden("show-c-1.json")
    assert list(document["data"]) == [*SHOW_KEYS, "metrics"]


def test_breakdown_json_golden(cli: Cli):
    result = cli("breakdown", *ON_FIXTURE, "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == golden("breakdown.json")
    assert list(document["data"]["segment"]) == ["VIP", "Active", "New", "Dormant"]
    assert list(document["data"]["purchaseFrequency"]) == [
        "Weekly",
        "Monthly",
        "Quarterly",
        "Occasional",
        "One-time",
        "None",
    ]


def test_list_csv_golden_escapes_formulas_in_text_cells_only(cli: Cli):
    result = cli("list", *ON_FIXTURE, "--format", "csv")
    assert result.exit_code == 0
    expected = (GOLDEN / "list.csv").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert result.stdout_bytes.decode() == expected  # RFC 4180: CRLF after every record
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    rata = next(r for r in rows if r["contactID"] == "c-5")
    assert (rata["name"], rata["totalSpend"]) == ("'-Rata Bistro-", "-12.00")


def test_ndjson_is_one_list_item_per_line(cli: Cli):
    lines = cli("list", *ON_FIXTURE, "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line) for line in lines] == golden("list.json")["data"]


def test_notices_go_to_stderr_only(cli: Cli):
    result = cli("list", *ON_FIXTURE, "--format", "json")
    assert result.stderr.splitlines() == [
        "skipped 2 of 22 rows: 1 empty contactID (line 10), 1 unparseable orderDate (line 19)",
        "excluded 1 order dated after the as-of instant 2025-10-23T23:59:59.999Z",
    ]
    quiet = cli("list", *ON_FIXTURE, "--format", "json", "--quiet")
    assert quiet.stderr == "" and quiet.stdout == result.stdout


def test_pretty_json_is_the_same_document(cli: Cli):
    compact = cli("breakdown", *ON_FIXTURE, "--format", "json").stdout
    pretty = cli("breakdown", *ON_FIXTURE, "--format", "json", "--pretty").stdout
    assert json.loads(pretty) == json.loads(compact) and pretty.count("\n") > 10


def _list_shape(fmt: ListFormat, stdout: str) -> list[str]:
    """The contactIDs a list output holds, read the way its format must be read."""
    match fmt:
        case ListFormat.table:
            assert stdout.splitlines()[0].split()[:3] == ["Customer", "ID", "Segment"]
            assert stdout.rstrip().splitlines()[-1].strip() == "showing 2 of 6"
            rows = [line for line in stdout.splitlines()[2:-1] if line.strip()]
            return [re.search(r"\bc-\d+\b", line).group() for line in rows]
        case ListFormat.json:
            document = json.loads(stdout)
            assert document["meta"]["count"] == 2 and document["meta"]["total"] == 6
            return [c["contactID"] for c in document["data"]]
        case ListFormat.ndjson:
            return [json.loads(line)["contactID"] for line in stdout.splitlines()]
        case ListFormat.csv | ListFormat.tsv:
            separator = "\t" if fmt is ListFormat.tsv else ","
            rows = list(csv.DictReader(io.StringIO(stdout, newline=""), delimiter=separator))
            assert list(rows[0]) == list(CSV_COLUMNS)
            return [row["contactID"] for row in rows]
        case ListFormat.markdown:
            header, rule, *rows = stdout.splitlines()
            assert header == "| " + " | ".join(CSV_COLUMNS) + " |" and rule.startswith("|---|")
            return [row.split(" | ")[0].removeprefix("| ") for row in rows]


@pytest.mark.parametrize("fmt", list(ListFormat))
def test_every_list_format_prints_its_own_shape(cli: Cli, fmt: ListFormat):
    result = cli("list", *ON_FIXTURE, "--format", fmt.value, "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert _list_shape(fmt, result.stdout) == ["c-7", "c-2"]


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("command", [("show", "c-1"), ("breakdown",), ("rfm",)])
def test_every_document_format_prints_its_own_shape(cli: Cli, fmt: Format, command):
    result = cli(*command, *ON_FIXTURE, "--format", fmt.value)
    assert result.exit_code == 0, result.stderr
    first_key = "contactID" if command[0] == "show" else "by"
    match fmt:
        case Format.json:
            assert json.loads(result.stdout)["success"] is True
            assert result.stdout.count("\n") == 1  # compact
        case Format.table:
            with pytest.raises(json.JSONDecodeError):
                json.loads(result.stdout)
            assert ("Contact ID" if command[0] == "show" else "Customers") in result.stdout
        case Format.ndjson:
            records = [json.loads(line) for line in result.stdout.splitlines()]
            assert records and all(list(r)[0] == first_key for r in records)
        case Format.csv | Format.tsv:
            separator = "\t" if fmt is Format.tsv else ","
            rows = list(csv.DictReader(io.StringIO(result.stdout, newline=""), delimiter=separator))
            assert rows and list(rows[0])[0] == first_key
        case Format.markdown:
            header, rule, *rows = result.stdout.splitlines()
            assert header.startswith(f"| {first_key} | ") and rule.startswith("|---|") and rows


# --- filters, sorting, pagination ---------------------------------------------------------------


def ids(cli: Cli, *args: str) -> list[str]:
    return [c["contactID"] for c in cli.json("list", *ON_FIXTURE, *args)["data"]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["c-7", "c-2", "c-3", "c-1", "c-4", "c-5"]),
        (("--segment", "VIP"), ["c-7", "c-2"]),
        (("--segment", "vip", "--segment", "DORMANT"), ["c-7", "c-2", "c-3"]),
        (("--frequency", "weekly"), ["c-7", "c-5"]),
        (("--segment", "Active", "--frequency", "Weekly"), ["c-5"]),
        (("--min-days", "22"), ["c-2", "c-3", "c-5"]),
        (("--max-days", "8"), ["c-7", "c-1"]),
        (("--min-days", "8", "--max-days", "22"), ["c-2", "c-1", "c-4"]),
        (("--min-spend", "5000.01"), ["c-7", "c-2"]),
        (("--min-spend", "5000"), ["c-7", "c-2", "c-3"]),
        (("--max-spend", "0"), ["c-5"]),
        (("--max-spend", "-12"), ["c-5"]),
        (("--max-spend", "-12.01"), []),
        (("--sort", "lastOrderDaysAgo", "--asc"), ["c-7", "c-1", "c-4", "c-2", "c-5", "c-3"]),
        (("--sort", "name", "--asc"), ["c-5", "c-7", "c-2", "c-3", "c-1", "c-4"]),
        (("--sort", "ORDERCOUNT"), ["c-1", "c-2", "c-7", "c-3", "c-5", "c-4"]),
        (("--sort", "segment", "--asc"), ["c-2", "c-7", "c-1", "c-5", "c-4", "c-3"]),
        (("--sort", "contactID", "--asc"), ["c-1", "c-2", "c-3", "c-4", "c-5", "c-7"]),
        (("--limit", "2"), ["c-7", "c-2"]),
        (("--limit", "2", "--offset", "2"), ["c-3", "c-1"]),
        (("--offset", "5"), ["c-5"]),
        (("--offset", "9"), []),
        (("--limit", "0"), []),
    ],
)
def test_list_filters_sort_paginate(cli: Cli, args, expected):
    assert ids(cli, *args) == expected


def test_meta_total_counts_matches_before_pagination(cli: Cli):
    meta = cli.json("list", *ON_FIXTURE, "--segment", "VIP", "--limit", "1")["meta"]
    assert (meta["count"], meta["total"]) == (1, 2)


def test_ties_sort_by_contact_id_ascending_in_both_directions(cli: Cli, write_csv):
    rows = [order(c, AS_OF_MS - 5 * DAY, "10.00") for c in ("b", "c", "a")]
    path = str(write_csv(rows))
    for direction in ("--desc", "--asc"):
        data = cli.json("list", "--orders", path, "--as-of", AS_OF, direction)["data"]
        assert [c["contactID"] for c in data] == ["a", "b", "c"]


def test_table_shows_50_rows_and_a_footer(cli: Cli, write_csv):
    rows = [order(f"c-{i:03d}", AS_OF_MS - i * DAY, f"{i}.00") for i in range(1, 61)]
    path = str(write_csv(rows))
    table = cli("list", "--orders", path, "--as-of", AS_OF)
    assert table.exit_code == 0
    body = [line for line in table.stdout.splitlines() if line.startswith("c-")]
    assert len(body) == 0  # the name column comes first
    assert table.stdout.count(" c-0") == 50
    assert "showing 50 of 60" in table.stdout
    limited = cli("list", "--orders", path, "--as-of", AS_OF, "--limit", "5", "--offset", "10")
    assert limited.stdout.count(" c-0") == 5 and "showing 11–15 of 60" in limited.stdout
    every = cli.json("list", "--orders", path, "--as-of", AS_OF)
    assert len(every["data"]) == 60


def test_list_table_content(cli: Cli):
    out = cli("list", *ON_FIXTURE).stdout
    assert "Mediterranean Cafe" in out and "1,245.50" in out and "showing 6 of 6" in out
    header = out.splitlines()[0].split()
    assert header == [
        "Customer",
        "ID",
        "Segment",
        "Frequency",
        "Orders",
        "Spend",
        "Last",
        "order",
        "Days",
    ]


def test_show_trims_the_id_like_the_data(cli: Cli):
    assert cli.json("show", " c-1 ", *ON_FIXTURE)["data"]["contactID"] == "c-1"


def test_show_table_and_breakdown_table(cli: Cli):
    show = cli("show", "c-1", *ON_FIXTURE).stdout
    assert "+64 9 555 0100" in show and "MED01" in show and "ORD-12345-1729845000000" in show
    breakdown = cli("breakdown", *ON_FIXTURE).stdout
    assert "█" in breakdown and "33.3%" in breakdown and "5,050.26" in breakdown
    only = cli("breakdown", *ON_FIXTURE, "--by", "frequency").stdout
    assert "Occasional" in only and "Dormant" not in only


def test_breakdown_by_one_dimension_json(cli: Cli):
    data = cli.json("breakdown", *ON_FIXTURE, "--by", "segment")["data"]
    assert list(data) == ["segment"]


def test_empty_result_is_success(cli: Cli):
    result = cli("list", *ON_FIXTURE, "--min-spend", "999999", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert (document["success"], document["data"]) == (True, [])
    assert (document["meta"]["count"], document["meta"]["total"]) == (0, 0)
    assert cli("list", *ON_FIXTURE, "--min-spend", "999999", "--format", "ndjson").stdout == ""
    table = cli("list", *ON_FIXTURE, "--min-spend", "999999")
    assert table.exit_code == 0 and "no customers match" in table.stdout


def test_breakdown_of_no_customers_has_every_category_and_no_nan(cli: Cli, tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("orderReference,contactID,orderDate,total\n", encoding="utf-8")
    result = cli("breakdown", "--orders", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0 and "NaN" not in result.stdout
    segment = json.loads(result.stdout)["data"]["segment"]
    assert segment["VIP"] == {"count": 0, "share": 0.0, "totalSpend": "0.00", "avgSpend": None}


# --- sources ----------------------------------------------------------------------------------


def test_stdin_and_env_var_and_repeated_orders(cli: Cli, tmp_path):
    text = FIXTURE.read_text(encoding="utf-8")
    from_stdin = cli.json("list", "--orders", "-", "--as-of", AS_OF, input=text.encode())
    assert from_stdin == golden("list.json")
    from_env = cli.json("list", "--as-of", AS_OF, env={"SEGCLI_ORDERS": str(FIXTURE)})
    assert from_env == golden("list.json")
    lines = text.splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(lines[:12]), encoding="utf-8")
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress("".join(lines[:1] + lines[12:]).encode()))
    split = cli(
        "list",
        "-o",
        str(tmp_path / "a.csv"),
        "-o",
        str(tmp_path / "b.csv.gz"),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    assert json.loads(split.stdout) == golden("list.json")
    assert f"1 unparseable orderDate ({tmp_path / 'b.csv.gz'} line 8)" in split.stderr


def test_env_var_holds_several_paths(cli: Cli, tmp_path):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(lines[:12]), encoding="utf-8")
    (tmp_path / "b.csv").write_text("".join(lines[:1] + lines[12:]), encoding="utf-8")
    joined = os.pathsep.join([str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert cli.json("list", "--as-of", AS_OF, env={"SEGCLI_ORDERS": joined}) == golden("list.json")


def test_bundled_sample_is_the_default_with_a_notice(cli: Cli):
    result = cli("breakdown", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.startswith("using the bundled sample data (as of 2025-10-23)")
    document = json.loads(result.stdout)
    assert document["meta"]["asOf"] == "2025-10-23T23:59:59.999Z"
    assert all(v["count"] > 0 for v in document["data"]["segment"].values())


def test_input_format_overrides_extension(cli: Cli, tmp_path):
    path = tmp_path / "orders.data"
    path.write_bytes(FIXTURE.read_bytes())
    assert cli("list", "--orders", str(path), "--as-of", AS_OF).exit_code == 1
    result = cli(
        "list", "--orders", str(path), "--as-of", AS_OF, "--input-format", "CSV", "--format", "json"
    )
    assert json.loads(result.stdout) == golden("list.json")


# --- errors and exit codes ----------------------------------------------------------------------


def assert_one_line_error(result, code: int, text: str):
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:] and text in errors[0], lines  # one error line, and it is last
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "content", "code", "text"),
    [
        (
            "orders.csv",
            "id,date,amount\n1,2025-01-01,3\n",
            "MISSING_COLUMN",
            "orders.csv: missing required columns 'orderReference', 'contactID' (found: id, date, "
            "amount); map them with --column orderReference=HEADER --column contactID=HEADER",
        ),
        ("empty.csv", "", "UNREADABLE", "empty.csv: empty file (no header row)"),
        (
            "orders.parquet",
            FIXTURE.read_text(encoding="utf-8"),
            "UNREADABLE",
            "if it is CSV, pass --input-format csv",
        ),
        (
            "latin.csv",
            "orderReference,contactID,orderDate,total\nA,Ca\xe9,2025-01-01,1\n",
            "UNREADABLE",
            "not valid UTF-8 text",
        ),
        ("binary.csv", "\x00\x01\x02\xff\xfe" * 50, "UNREADABLE", "binary data, not CSV text"),
    ],
)
def test_bad_files_fail_with_one_line_and_a_json_error(
    cli: Cli, tmp_path, name, content, code, text
):
    path = tmp_path / name
    path.write_bytes(
        content.encode("latin-1") if "\xe9" in content or "\xff" in content else content.encode()
    )
    args = ("list", "--orders", str(path), "--as-of", AS_OF)
    assert_one_line_error(cli(*args), 1, text)
    result = cli(*args, "--format", "json")
    assert_one_line_error(result, 1, text)
    error = json.loads(result.stdout)
    assert error["success"] is False and error["error"]["code"] == code
    assert text in error["error"]["message"]


def test_missing_file_and_unknown_contact(cli: Cli, tmp_path):
    assert_one_line_error(
        cli("list", "--orders", str(tmp_path / "nope.csv")), 1, "nope.csv: no such file"
    )
    result = cli("show", "c-404", *ON_FIXTURE, "--format", "json")
    assert_one_line_error(result, 1, "no customer with contactID 'c-404'")
    assert json.loads(result.stdout)["error"]["code"] == "NOT_FOUND"
    future = cli("show", "c-6", *ON_FIXTURE)  # its only order is after the as-of date
    assert_one_line_error(future, 1, "no customer with contactID 'c-6'")


def test_strict_turns_skipped_rows_into_an_error(cli: Cli):
    result = cli("list", *ON_FIXTURE, "--strict", "--format", "json")
    assert_one_line_error(result, 1, "skipped 2 of 22 rows: 1 empty contactID (line 10)")
    assert json.loads(result.stdout)["error"]["code"] == "INVALID_INPUT"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("list", "--segment", "Gold"), "'Gold' is not a segment; choose from VIP, Active, New"),
        (("list", "--frequency", "daily"), "choose from Weekly, Monthly, Quarterly, Occasional"),
        (("list", "--sort", "colour"), "'colour' is not a sort field"),
        (("list", "--as-of", "23/10/2025"), "'23/10/2025' is not an ISO date or datetime"),
        (("list", "--min-spend", "lots"), "'lots' is not an amount"),
        (("list", "--limit", "-1"), "--limit"),
        (("list", "--format", "xml"), "--format"),
        (("show", "c-1", "--format", "yaml"), "--format"),
        (("list", "--no-such-option"), "No such option"),
        (("breakdown", "--by", "colour"), "--by"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, args, text):
    result = cli(*args)
    assert result.exit_code == 2
    assert text in " ".join(result.stderr.replace("│", " ").split())
    assert "Traceback" not in result.stderr


def test_unexpected_errors_are_one_line_too(cli: Cli, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    from segcli import loading

    monkeypatch.setattr(loading, "classify_at", boom)
    result = cli("list", *ON_FIXTURE)
    assert_one_line_error(result, 1, "unexpected RuntimeError: disk on fire")


def test_version(cli: Cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"segcli {__version__}"


@pytest.mark.parametrize("fmt", ["ndjson"])  # every other output: test_hostile.py
def test_a_reader_that_goes_away_ends_segcli_with_141(write_csv, fmt):
    """A real process, `python -m segcli`, whose reader closes the pipe after its first read: segcli
    itself (not the reader) ends quietly with the status of a filter killed by SIGPIPE."""
    rows = [order(f"c-{i}", AS_OF_MS - i * 1000, "10.00") for i in range(20_000)]
    path = write_csv(rows, columns=REQUIRED)  # about 5 MB of output: more than a pipe holds
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SEGCLI_ORDERS", None)
    command = [sys.executable, "-m", "segcli", "list", "--orders", str(path), "--as-of", AS_OF]
    process = subprocess.Popen(
        [*command, "--format", fmt, "--no-cache"],
        stdin=subprocess.DEVNULL,  # no data, as from a terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    first = process.stdout.read(4096)  # one read; the rest is never read
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 141
    assert first.strip()
    assert stderr == ""


def test_version_and_help_do_not_import_the_heavy_libraries():
    """Start-up stays fast because --version and --help never load pandas, pyarrow or numpy."""
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from segcli.cli import app\n"
        "for args in (['--version'], ['--help'], ['list', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.stdout.strip() == "[]"


def _segcli(*args: str, stdin=subprocess.DEVNULL, env_orders: str | None = None, data=None):
    """segcli as a process, with its standard input as given."""
    env = {**os.environ, "NO_COLOR": "1", "XDG_CONFIG_HOME": "/nonexistent"}
    env.pop("SEGCLI_ORDERS", None)
    if env_orders is not None:
        env["SEGCLI_ORDERS"] = env_orders
    return subprocess.run(
        [sys.executable, "-m", "segcli", *args],
        stdin=stdin,
        input=data,
        capture_output=True,
        env=env,
        check=False,
    )


def test_orders_come_from_the_flag_then_piped_stdin_then_the_environment_then_the_sample():
    fixture = str(GOLDEN / "orders.csv")
    total = ("list", "--as-of", AS_OF, "--format", "json", "-q")

    def count(done) -> int:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["meta"]["total"]

    piped = (GOLDEN / "orders.csv").read_bytes()
    assert count(_segcli(*total, stdin=None, data=piped)) == 6  # piped: the fixture
    with (GOLDEN / "orders.csv").open("rb") as redirected:  # `< orders.csv`
        assert count(_segcli(*total, stdin=redirected)) == 6
    # (nothing piped, as /dev/null: the sample, as in every other process test here)
    # the environment alone: test_env_var_holds_several_paths (in-process: no stdin data)
    # the flag wins over piped data; piped data over the environment
    flag = _segcli(*total, "--orders", fixture, stdin=None, data=b"not,csv\n")
    assert count(flag) == 6
    over_env = _segcli(*total, stdin=None, data=piped, env_orders="/nonexistent.csv")
    assert count(over_env) == 6
    empty = _segcli("list", "--format", "json", stdin=None, data=b"")
    assert empty.returncode == 1
    assert json.loads(empty.stdout)["error"]["message"] == "no input on stdin"
