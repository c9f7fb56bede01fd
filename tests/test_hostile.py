"""Hostile and careless inputs: each ends in a clear one-line error with a documented code, or in
a correct answer; never a hang, a traceback, an internal error or a customer's data in an error.
Each case failed before the hardening that added it."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import AS_OF, Cli, said

HEADER = "orderReference,contactID,orderDate,total,name\n"
GOOD = [f"R{i},c-{i},2025-10-01,1.00,Name {i}\n" for i in range(400)]


def fails(result, exit_code: int, code: str, needle: str) -> dict:
    """The result is exactly one `error:` line on stderr and a JSON error with `code`."""
    assert result.exit_code == exit_code, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == code and needle in error["message"], error
    return error


def test_a_short_row_that_is_not_utf8_names_its_line_only(cli: Cli, tmp_path):
    """Arrow decodes a malformed row's text before handing it over; that used to print an ignored
    UnicodeDecodeError with a traceback, then an error quoting the row (a customer's name)."""
    path = tmp_path / "o.csv"
    path.write_bytes((HEADER + "".join(GOOD)).encode() + b"R9,Caf\xe9 Secret\n")
    result = cli("list", "--orders", path, "--format", "json")
    error = fails(result, 1, "UNREADABLE", "not valid UTF-8 text (line 402)")
    assert "Secret" not in error["message"] and "Secret" not in result.stderr


def test_a_gzip_file_damaged_early_is_unreadable_not_internal(cli: Cli, tmp_path):
    packed = gzip.compress((HEADER + "".join(GOOD)).encode())
    path = tmp_path / "o.csv.gz"
    path.write_bytes(packed[:20] + b"\x00" * 10 + packed[30:])
    fails(cli("list", "--orders", path, "--format", "json"), 1, "UNREADABLE", "cannot be read")


def test_a_header_without_a_line_end_is_a_file_without_orders(cli: Cli, tmp_path):
    for name, text in (("a.csv", HEADER.strip()), ("b.csv", HEADER)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        document = cli.json("list", "--orders", path, "--as-of", AS_OF)
        assert document["data"] == [] and document["meta"]["total"] == 0


def test_a_field_longer_than_arrows_block_is_read(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    long_name = "x" * (2 * 2**20 + 10)
    path.write_text(HEADER + f"R1,c-1,2025-10-01,1.00,{long_name}\n", encoding="utf-8")
    (customer,) = cli.json("list", "--orders", path, "--as-of", AS_OF)["data"]
    assert customer["name"] == long_name


def test_a_device_is_refused_not_read_forever(cli: Cli):
    result = cli("list", "--orders", "/dev/zero", "--input-format", "csv", "--format", "json")
    fails(result, 1, "UNREADABLE", "not a regular file")


def test_no_line_end_in_the_first_mib_is_refused(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(b"a" * (2 * 2**20))
    fails(cli("list", "--orders", path, "--format", "json"), 1, "UNREADABLE", "no line end")


def test_a_named_pipe_is_read_once_as_a_stream(cli: Cli, tmp_path):
    pipe = tmp_path / "orders.csv"
    os.mkfifo(pipe)

    def write() -> None:
        with pipe.open("w", encoding="utf-8") as handle:
            handle.write(HEADER + "".join(GOOD[:3]))

    writer = threading.Thread(target=write)
    writer.start()
    document = cli.json("list", "--orders", pipe, "--as-of", AS_OF)
    writer.join(timeout=10)
    assert document["meta"]["total"] == 3


def test_a_named_pipe_nobody_writes_to_does_not_hang(cli: Cli, tmp_path, monkeypatch):
    from segcli.input import sources

    monkeypatch.setattr(sources, "PIPE_WAIT_S", 0.2)  # how long a writer may take to come
    pipe = tmp_path / "orders.csv"
    os.mkfifo(pipe)
    fails(cli("list", "--orders", pipe, "--format", "json"), 1, "UNREADABLE", "empty file")


def test_every_row_skipped_is_an_error_not_an_empty_answer(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "R1,c,bad,1,\nR2,c,bad,1,\nR3,c,2025-10-01,x,\n", encoding="utf-8")
    result = cli("list", "--orders", path, "--format", "json")
    fails(
        result, 1, "INVALID_INPUT", "no valid orders: all 3 rows skipped (2 unparseable orderDate"
    )


def test_an_unknown_encoding_is_a_usage_error_before_reading(cli: Cli):
    result = cli("breakdown", "--encoding", "foo")  # the sample (Parquet) is never read
    assert result.exit_code == 2 and "is not a text encoding" in result.stderr


def _parquet(tmp_path, **columns) -> str:
    n = len(next(iter(columns.values())))
    base = {
        "orderReference": pa.array([f"R{i}" for i in range(n)]),
        "contactID": pa.array([f"c-{i}" for i in range(n)]),
        "orderDate": pa.array(["2025-10-01"] * n),
        "total": pa.array(["1.00"] * n),
    }
    path = tmp_path / "o.parquet"
    pq.write_table(pa.table(base | columns), path)
    return str(path)


def _skipped(cli: Cli, path: str) -> tuple[list[str], str]:
    result = cli("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [c["contactID"] for c in json.loads(result.stdout)["data"]], result.stderr


def test_integer_totals_past_the_limit_are_unparseable_not_wrapped(cli: Cli, tmp_path):
    """2**64 - 1 as uint64 once counted as -1.00, 2**63 as 0.00, and int64's minimum passed."""
    big = pa.array([2**64 - 1, 2**63, 500], pa.uint64())
    kept, stderr = _skipped(cli, _parquet(tmp_path, total=big))
    assert kept == ["c-2"] and "2 unparseable total" in stderr
    small = pa.array([-(2**63), 2**63 - 1, -5], pa.int64())
    kept, stderr = _skipped(cli, _parquet(tmp_path, total=small))
    assert kept == ["c-2"] and "2 unparseable total" in stderr


def test_parquet_instants_outside_years_1_to_9999_are_unparseable(cli: Cli, tmp_path):
    seconds = pa.array([-(10**15), 10**15, 1_759_276_800], pa.timestamp("s"))
    kept, stderr = _skipped(cli, _parquet(tmp_path, orderDate=seconds))
    assert kept == ["c-2"] and "2 unparseable orderDate" in stderr


def test_a_nanosecond_value_does_not_narrow_the_range_of_the_others(cli: Cli, tmp_path):
    dates = ["3000-01-01T00:00:00Z", "2025-01-01T00:00:00.123456789Z", "1500-06-01"]
    path = tmp_path / "o.csv"
    rows = [f"R{i},c-{i},{d},1.00,\n" for i, d in enumerate(dates)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    customers = cli.json("list", "--orders", path, "--as-of", "3001-01-01")["data"]
    dated = {c["contactID"]: c["metrics"]["lastOrderDate"] for c in customers}
    assert dated == {
        "c-0": "3000-01-01T00:00:00.000Z",
        "c-1": "2025-01-01T00:00:00.123Z",
        "c-2": "1500-06-01T00:00:00.000Z",
    }


def test_a_nan_contact_id_is_an_empty_id_not_a_customer_called_nan(cli: Cli, tmp_path):
    ids = pa.array([17850.0, float("nan"), None], pa.float64())
    kept, stderr = _skipped(cli, _parquet(tmp_path, contactID=ids))
    assert kept == ["17850"] and "2 empty contactID" in stderr


def test_parquet_text_that_is_not_utf8_is_refused_naming_column_and_row(cli: Cli, tmp_path):
    raw = pa.array([b"ok", b"Caf\xe9 Secret", b"x"], pa.binary())
    names = pa.Array.from_buffers(pa.string(), 3, raw.buffers())  # not validated, as a writer may
    path = _parquet(tmp_path, name=names)
    for fmt in ("json", "table", "csv"):
        result = cli("list", "--orders", path, "--format", fmt)
        assert result.exit_code == 1 and "Secret" not in result.stderr + result.stdout
        assert "column 'name' holds text that is not valid UTF-8 (row 2)" in result.stderr


def test_a_headerless_file_says_so_and_shows_no_values(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("R1,Jane Doe,jane@example.com,+15550100\n", encoding="utf-8")
    error = fails(cli("list", "--orders", path, "--format", "json"), 1, "MISSING_COLUMN", "")
    assert "the first line looks like data, not a header row" in error["message"]
    assert "Jane" not in error["message"] and "jane@" not in error["message"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],  # printed by Typer through Rich
        ["list"],  # a table
        ["list", "--format", "json"],  # bytes from Arrow's buffers
        ["config", "show"],  # text, outside the commands that load orders
    ],
    ids=" ".join,
)
def test_a_closed_stdout_ends_every_output_with_141(args):
    """The reader is gone before segcli writes a byte: every output path, tables and help
    included, ends quietly with the status of a filter killed by SIGPIPE."""
    env = {**os.environ, "NO_COLOR": "1", "XDG_CONFIG_HOME": "/nonexistent"}
    env.pop("SEGCLI_ORDERS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "segcli", *args],
        stdin=subprocess.DEVNULL,  # no data, as from a terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 141, stderr
    assert "Traceback" not in stderr and "error" not in stderr


def test_contacts_from_a_folder_of_several_files_is_a_usage_error(cli: Cli, tmp_path):
    folder = tmp_path / "contacts"
    folder.mkdir()
    for name in ("a.csv", "b.csv"):
        (folder / name).write_text("contactID,name\nc-1,Ann\n", encoding="utf-8")
    for given in (folder, folder / "*.csv"):
        result = cli("list", "--customers", given)
        assert result.exit_code == 2, result.stderr
        assert "names 2 files; contacts come from one file" in said(result)


def test_terminal_escapes_in_data_and_file_names_reach_no_terminal_raw(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    rows = ["R1,\x1b]0;pwn\x07,2025-10-01,1.00,\x1b[2JEvil\nCorp\n"]
    path.write_text(
        HEADER.replace("name", '"name"')
        + rows[0].replace("\x1b[2JEvil\nCorp", '"\x1b[2JEvil\nCorp"'),
        encoding="utf-8",
    )
    for args in (("list",), ("show", "\x1b]0;pwn\x07")):
        result = cli(*args, "--orders", path, "--as-of", AS_OF)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\\x1b[2JEvil\\nCorp" in result.stdout
    named = tmp_path / "bad\x1b[2Jname\n.csv"
    result = cli("list", "--orders", named)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and result.stderr.count("\n") == 1
    assert "bad\\x1b[2Jname\\n.csv: no such file" in result.stderr
    # JSON keeps the data itself, escaped as JSON escapes it
    (record,) = cli.json("list", "--orders", path, "--as-of", AS_OF)["data"]
    assert record["name"] == "\x1b[2JEvil\nCorp"


def test_bands_out_of_order_blame_the_value_the_user_set(cli: Cli, tmp_path, monkeypatch):
    too_big = cli("list", "--weekly-days", "40")
    assert too_big.exit_code == 2
    assert "'--weekly-days': must be less than monthly-days (got 40, monthly-days is 30)" in (
        said(too_big)
    )
    too_small = cli("list", "--monthly-days", "5")
    assert "'--monthly-days': must be greater than weekly-days (got 5" in said(too_small)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "segcli.toml").write_text("weekly-days = 40\n", encoding="utf-8")
    from_file = cli("list")
    assert from_file.exit_code == 2
    assert "'weekly-days' in segcli.toml: must be less than monthly-days" in said(from_file)


def test_contacts_with_the_wrong_number_of_fields_are_counted(cli: Cli, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("contactID,name,email\nc-1,Ann,a@x\nc-2,Bob\nc-3,Cy,c@x,extra\n", "utf-8")
    result = cli("list", "--customers", path, "--format", "json")
    assert result.exit_code == 0
    assert f"{path}: skipped 2 contacts with the wrong number of fields (first: line 3)" in (
        result.stderr
    )


def test_locations_are_physical_lines_past_blank_lines_and_quoted_breaks(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    text = (
        "orderReference,contactID,orderDate,total\n"
        "R1,c1,2025-10-01,1\n"
        "\n"
        '"R\n2",c2,bad,1\n'  # lines 4-5
        "short\n"  # line 6
        "R4,c4,2025-10-02,1\n"
        "\n"
        "R5,,2025-10-02,1\n"  # line 9
    )
    path.write_text(text, encoding="utf-8")
    result = cli("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    assert result.stderr.strip() == (
        "skipped 3 of 5 rows: 1 with the wrong number of fields (line 6), "
        "1 empty contactID (line 9), 1 unparseable orderDate (line 4)"
    )


def test_an_unterminated_quote_is_named_with_the_lines_it_joins(cli: Cli, tmp_path):
    rows = [f"R{i},c{i},2025-10-01,1" for i in range(1, 50)]
    rows[9] = 'R10,c10,"2025-10-01,1'  # line 11 opens a quote that never closes
    path = tmp_path / "o.csv"
    path.write_text("orderReference,contactID,orderDate,total\n" + "\n".join(rows) + "\n", "utf-8")
    result = cli("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0
    assert "skipped 1 of 10 rows" in result.stderr
    assert "an unterminated quote at line 11 joins lines 11–50" in result.stderr


def test_rejects_keeps_every_skipped_row_to_fix_and_read_back(cli: Cli, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(
        "orderReference,contactID,orderDate,total,name\n"
        "R1,c1,2025-10-01,1,A\n"
        "\n"
        '"R\n2",c2,bad,1,B\n'
        "short\n"
        "R4,c4,2025-10-02,1,D\n"
        "R5,,2025-10-02,x,E\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    result = cli("list", "--orders", path, "--rejects", rejects, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0
    with rejects.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"], r["column"]) for r in rows] == [
        ("4", "unparseable orderDate", "orderDate"),
        ("6", "with the wrong number of fields", ""),
        ("8", "empty contactID", "contactID"),
    ]
    assert rows[0]["orderReference"] == "R\n2" and rows[0]["orderDate"] == "bad"
    assert rows[1]["raw"] == "short" and rows[2]["total"] == "x"
    # under --strict the file is written before the error
    strict = tmp_path / "strict.csv"
    failed = cli("list", "--orders", path, "--rejects", strict, "--strict", "--as-of", AS_OF)
    assert failed.exit_code == 1 and strict.read_text("utf-8") == rejects.read_text("utf-8")
    # fixed, the rows read back as orders of their own
    fixed = rejects.read_text("utf-8").replace('"bad"', '"2025-10-03"')
    fixed = fixed.replace('"R5","",', '"R5","c5",').replace('"2025-10-02","x"', '"2025-10-02","5"')
    rejects.write_text(fixed, encoding="utf-8")
    back = cli.json("list", "--orders", rejects, "--as-of", AS_OF, "-q")
    assert {c["contactID"] for c in back["data"]} == {"c2", "c5"}


def test_a_file_that_cannot_be_opened_is_unreadable_with_the_json_envelope(
    cli: Cli, tmp_path, monkeypatch
):
    path = tmp_path / "o.csv"
    path.write_text(HEADER + GOOD[0], encoding="utf-8")
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)  # as for a user without read permission
    fails(cli("list", "--orders", path, "--format", "json"), 1, "UNREADABLE", "Permission denied")


@pytest.mark.parametrize("fmt", ["ndjson", "table"])
def test_a_non_blocking_stdout_still_gets_every_byte(write_csv, fmt):
    """A pipe whose write end is non-blocking (as some runners leave it), read slowly, with
    PYTHONUNBUFFERED=1: the output arrives whole, where a partial write once ended it early."""
    from helpers import order

    count = 5_000 if fmt == "ndjson" else 1_500  # more than a pipe holds, either way
    rows = [order(f"c-{i}", 1_759_276_800_000 - i * 1000, "10.00") for i in range(count)]
    path = write_csv(rows, columns=("orderReference", "contactID", "orderDate", "total"))
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "120"}
    command = [sys.executable, "-m", "segcli", "list", "--orders", str(path), "--as-of", AS_OF]
    process = subprocess.Popen(
        [*command, "--format", fmt, "--limit", str(count), "-q", "--no-cache"],
        stdin=subprocess.DEVNULL,  # no data, as from a terminal
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(write_end)
    received = []
    with os.fdopen(read_end, "rb") as reader:
        while chunk := reader.read(4096):
            received.append(chunk)
            time.sleep(0.0005)  # a slow reader: the pipe fills, writes would block
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 0, stderr
    lines = b"".join(received).decode().splitlines()
    assert len(lines) >= count
    if fmt == "ndjson":
        assert all(json.loads(line)["contactID"].startswith("c-") for line in lines)
    else:
        assert lines[-1].strip() == f"showing {count:,} of {count:,}"


def test_a_bad_column_the_command_does_not_show_never_splits_warm_from_cold(cli: Cli, tmp_path):
    """The cache reads every detail; text that is not UTF-8 in one `list` never prints must not
    fail a cached `list` where `--no-cache` succeeds (a fuzz finding). `show` prints it: it
    fails, cached or not."""
    raw = pa.array([b"+64 1", b"+64 \xff", b"+64 3"], pa.binary())
    phones = pa.Array.from_buffers(pa.string(), 3, raw.buffers())
    path = _parquet(tmp_path, phone=phones)
    common = ("--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli("list", *common)
    warm = cli("list", *common)
    plain = cli("list", *common, "--no-cache")
    assert cold.exit_code == warm.exit_code == plain.exit_code == 0
    assert cold.stdout == warm.stdout == plain.stdout and cold.stderr == plain.stderr
    for extra in ((), ("--no-cache",)):
        shown = cli("show", "c-1", *common, *extra)
        assert shown.exit_code == 1 and "column 'phone' holds text that is not valid UTF-8" in (
            shown.stderr
        )
