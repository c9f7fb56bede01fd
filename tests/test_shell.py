"""The CLI as shell users expect it (issue: stdin, formats in any case, help that reads right,
small inconsistencies)."""

from __future__ import annotations

import json

import pytest
from helpers import AS_OF, Cli, said

ON_SAMPLE = ("--as-of", AS_OF, "-q")


@pytest.mark.parametrize("given", ["JSON", "Json", "json"])
def test_formats_in_any_case(cli: Cli, given):
    result = cli("list", "--format", given, "--limit", "1", *ON_SAMPLE)
    assert result.exit_code == 0 and json.loads(result.stdout)["success"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("list", "--format", "xml"),
            "'xml' is not a format; choose from table, json, ndjson, csv",
        ),
        (("breakdown", "--by", "x"), "'x' is not a breakdown; choose from segment, frequency"),
        (("list", "--input-format", "xls"), "'xls' is not an input format"),
        (("list", "--preset", "shopfy"), "'shopfy' is not a preset; choose from shopify"),
    ],
)
def test_choice_errors_speak_plainly(cli: Cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in said(result) and "Value error" not in result.stderr


@pytest.mark.parametrize("args", [(), ("config",), ("cache",)])
def test_a_command_group_alone_prints_its_help_and_succeeds(cli: Cli, args):
    result = cli(*args)
    assert result.exit_code == 0 and "Usage: segcli" in result.stdout


def test_short_version_flag(cli: Cli):
    assert cli("-V").stdout == cli("--version").stdout != ""


@pytest.mark.parametrize("command", [("config", "show"), ("cache", "info")])
def test_every_command_takes_quiet(cli: Cli, command):
    assert cli(*command, "-q").exit_code == 0


def test_an_offset_past_the_end_says_so(cli: Cli):
    result = cli("list", "--offset", "400", *ON_SAMPLE)
    assert result.stdout.rstrip().splitlines()[-1].strip() == (
        "offset 400 is past the end: 305 customers match"
    )


def test_transitions_list_sorts_and_pages_like_list(cli: Cli):
    common = ("transitions", "--from", "2025-07-01", "--list", "Active:Dormant", *ON_SAMPLE)
    every = cli.json(*common, "--sort", "name", "--asc")["data"]
    names = [c["name"] for c in every]
    assert names == sorted(names, key=str.casefold) and len(names) > 3
    page = cli.json(*common, "--sort", "name", "--asc", "--limit", "2", "--offset", "1")
    assert [c["contactID"] for c in page["data"]] == [c["contactID"] for c in every[1:3]]
    assert page["meta"]["total"] == len(every)


EUROPEAN = (
    "orderReference;contactID;orderDate;total\nR1;c1;2025-10-01;1,50\nR2;c1;2025-10-03;2,25\n"
)


def test_a_semicolon_export_needs_no_flag_but_the_decimal(cli: Cli, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text(EUROPEAN, encoding="utf-8")
    result = cli("list", "--orders", path, "--decimal", ",", "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.stderr
    (customer,) = json.loads(result.stdout)["data"]
    assert customer["metrics"]["totalSpend"] == "3.75"
    assert "columns separated by semicolons, as its header shows" in result.stderr
    assert "--delimiter overrides" in result.stderr
    given = cli("list", "--orders", path, "-d", ";", "--decimal", ",", "--as-of", AS_OF)
    assert given.exit_code == 0 and "separated by" not in given.stderr  # nothing assumed


def test_tsv_files_and_the_tabs_flag(cli: Cli, tmp_path):
    text = EUROPEAN.replace(";", "\t").replace(",", ".")
    tsv = tmp_path / "orders.tsv"
    tsv.write_text(text, encoding="utf-8")
    assert cli.json("list", "--orders", tsv, *ON_SAMPLE)["meta"]["total"] == 1
    named_csv = tmp_path / "orders.csv"
    named_csv.write_text(text, encoding="utf-8")
    assert cli.json("list", "--orders", named_csv, "-t", *ON_SAMPLE)["meta"]["total"] == 1


@pytest.mark.parametrize("packer", ["gz", "bz2", "xz"])
def test_compressed_csv_of_every_kind(cli: Cli, tmp_path, packer):
    import bz2
    import gzip
    import lzma

    pack = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[packer]
    path = tmp_path / f"orders.csv.{packer}"
    path.write_bytes(pack(EUROPEAN.encode()))
    result = cli.json("list", "--orders", path, "--decimal", ",", *ON_SAMPLE)
    assert result["data"][0]["metrics"]["totalSpend"] == "3.75"


def test_a_bad_delimiter_is_a_usage_error(cli: Cli):
    result = cli("list", "-d", ";;")
    assert result.exit_code == 2 and "is not one character" in said(result)


def test_the_formula_guard_leaves_plain_numbers_alone(cli: Cli, tmp_path):
    """SPEC §5: `+8801678126000` (a phone used as an id) and `-12.50` are data; `-c2` and
    `+1+cmd|x` would be run by a spreadsheet, and get a leading `'`."""
    import csv
    import io

    path = tmp_path / "o.csv"
    rows = [("+8801678126000", "-12.50"), ("-c2", "+1+cmd|x"), ("=1+1", "@SUM(A1)")]
    text = "orderReference,contactID,orderDate,total,name\n" + "".join(
        f"R{i},{contact},2025-10-0{i + 1},1.00,{name}\n" for i, (contact, name) in enumerate(rows)
    )
    path.write_text(text, encoding="utf-8")
    out = cli("list", "--orders", path, "--format", "csv", *ON_SAMPLE).stdout
    cells = {r["contactID"]: r["name"] for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert cells == {
        "+8801678126000": "-12.50",
        "'-c2": "'+1+cmd|x",
        "'=1+1": "'@SUM(A1)",
    }


@pytest.mark.parametrize(
    "command",
    [(), ("list",), ("show",), ("breakdown",), ("rfm",), ("transitions",), ("config", "show"),
     ("cache", "info"), ("cache", "clear")],
)  # fmt: skip
def test_no_flag_shows_a_bool_placeholder(cli: Cli, command):
    """Typer's own flags too: -h/--help, --install-completion, --show-completion."""
    text = cli(*command, "--help", env={"COLUMNS": "200"}).stdout
    assert "--help" in text and "<bool>" not in text
    if not command:
        assert "--install-completion" in text and "--show-completion" in text


def test_flags_show_no_bool_placeholder_in_help(cli: Cli):
    """`--strict <bool>` read as if the flag took a value (`--strict true` fails)."""
    text = cli("list", "--help", env={"COLUMNS": "200"}).stdout
    flag_lines = [line for line in text.splitlines() if "--strict" in line or "--rfm " in line]
    assert flag_lines and all("<bool>" not in line for line in flag_lines)
    for flag in ("--quiet", "--pretty", "--no-cache", "--include-cancelled", "--tabs"):
        (line,) = [line for line in text.splitlines() if f"{flag} " in line][:1]
        assert "<bool>" not in line, line


def test_shortcuts_no_headers_bom_and_the_guard_switch(cli: Cli, tmp_path):
    import csv
    import io

    as_csv = cli("breakdown", "--csv", *ON_SAMPLE).stdout
    assert as_csv == cli("breakdown", "--format", "csv", *ON_SAMPLE).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv, newline="")))
    assert [r["category"] for r in rows if r["by"] == "segment"] == [
        "VIP",
        "Active",
        "New",
        "Dormant",
    ]
    headless = cli("breakdown", "--tsv", "--no-headers", *ON_SAMPLE).stdout
    assert headless.splitlines()[0].split("\t")[:2] == ["segment", "VIP"]
    assert cli("list", "--nl", "--limit", "2", *ON_SAMPLE).stdout.count("\n") == 2
    assert cli("show", "c-1018", "--json", *ON_SAMPLE).stdout.startswith('{"success":true')
    excel = cli("list", "--csv", "--bom", "--limit", "1", *ON_SAMPLE).stdout
    assert excel.startswith("\ufeffcontactID,")
    path = tmp_path / "o.csv"
    path.write_text(
        "orderReference,contactID,orderDate,total,name\nR1,c1,2025-10-01,1.00,=cmd\n", "utf-8"
    )
    guarded = cli("list", "--orders", path, "--csv", *ON_SAMPLE).stdout
    raw = cli("list", "--orders", path, "--csv", "--no-formula-guard", *ON_SAMPLE).stdout
    assert ",'=cmd," in guarded and ",=cmd," in raw
    both = cli("list", "--csv", "--json")
    assert both.exit_code == 2


def test_transitions_matrix_as_records(cli: Cli):
    rows = cli("transitions", "--from", "2025-07-01", "--nl", *ON_SAMPLE).stdout.splitlines()
    cells = [json.loads(line) for line in rows]
    assert list(cells[0]) == ["from", "to", "count"] and len(cells) == 5 * 4
    total = cli.json("transitions", "--from", "2025-07-01", *ON_SAMPLE)["meta"]["total"]
    assert sum(c["count"] for c in cells) == total
