"""Hostile and careless inputs: each ends in a clear one-line error with a documented code, or in
a correct answer; never a hang, a traceback, an internal error or a customer's data in an error.
Each case failed before the hardening that added it."""

from __future__ import annotations

import gzip
import json
import os
import threading

from helpers import AS_OF, Cli

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


def test_a_named_pipe_nobody_writes_to_does_not_hang(cli: Cli, tmp_path):
    pipe = tmp_path / "orders.csv"
    os.mkfifo(pipe)
    fails(cli("list", "--orders", pipe, "--format", "json"), 1, "UNREADABLE", "empty file")
