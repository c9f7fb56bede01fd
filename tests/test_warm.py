"""The warm path (warm.py): from a cache entry, without pandas, it answers byte for byte as the
full path (`--no-cache`) does, stdout, stderr and exit code, and leaves every question it
cannot answer so to the full path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from helpers import AS_OF, AS_OF_MS, CANONICAL, DAY, Cli, csv_text, examples_at_most, order
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import BOUNDARY_DAYS, COLUMNS, PROPERTY, order_rows

from segcli import api, cache
from segcli.engines import keys
from segcli.model.schema import (
    FREQUENCIES,
    LAST_ORDER_MS,
    NAME,
    ORDER_COUNT,
    SEGMENTS,
    SPEND_CENTS,
)

# Every order the strategies make is at most 2 days and an hour after AS_OF_MS: these as-ofs are
# at or after the newest order, where an entry serves (None: now).
LATER = [None, "2025-10-26", "2025-10-27T00:00:00Z", "2025-12-01T10:00:00.5+13:00"]
SORTS = [
    "totalSpend",
    "orderCount",
    "lastOrderDate",
    "lastOrderDaysAgo",
    "lastOrderReference",
    "purchaseFrequency",
    "segment",
    "contactID",
]
AMOUNTS = ["0", "1", "12.50", "-4", "5000", "5000.01"]
SHOWN = "contactID,phone,accountName,accountCode"  # a list that reads every detail
FILL_LIST = ("list", "--format", "csv", "--columns", SHOWN, "-q")
FIELDS = [*SHOWN.split(","), "name", "email", "company", "orderCount", "totalSpend", "segment"]
FIELDS += ["lastOrderDate", "lastOrderReference", "lastOrderDaysAgo", "purchaseFrequency"]


@contextmanager
def watched():
    """Yields a list that holds, after each command, whether api.warm answered it."""
    answers: list[bool] = []
    real = api.warm

    def spy(*args, **kwargs):
        answer = real(*args, **kwargs)
        answers.append(answer is not None)
        return answer

    with mock.patch.object(api, "warm", spy):
        yield answers


def same(cli: Cli, args: list[str]) -> bool:
    """Run `args` from the cache and with --no-cache; assert the two say the same; return
    whether the warm path answered."""
    now = mock.patch("time.time_ns", return_value=time.time_ns())  # "now": one instant for both
    with watched() as answers, now:
        warm = cli(*args)
    with now:
        cold = cli(*args, "--no-cache")
    assert (warm.stdout_bytes, warm.stderr, warm.exit_code) == (
        cold.stdout_bytes,
        cold.stderr,
        cold.exit_code,
    ), args
    return any(answers)


@st.composite
def questions(draw) -> list[str]:
    """A list, breakdown or show in a form the warm path answers, with thresholds (a list in
    every format: a table, CSV, TSV or markdown page is rendered from a frame of its rows)."""
    command = draw(st.sampled_from(["list", "list", "breakdown", "show"]))
    args: list[str] = []
    if command == "list":
        for flag, values in (("--segment", SEGMENTS), ("--frequency", FREQUENCIES)):
            for value in draw(st.lists(st.sampled_from(values), max_size=2, unique=True)):
                args += [flag, value.lower() if draw(st.booleans()) else value]
        for flag, values in (
            ("--min-days", BOUNDARY_DAYS),
            ("--max-days", BOUNDARY_DAYS),
            ("--min-spend", AMOUNTS),
            ("--max-spend", AMOUNTS),
        ):
            if draw(st.integers(0, 3)) == 0:
                args += [flag, str(draw(st.sampled_from(values)))]
        args += ["--sort", draw(st.sampled_from(SORTS)), draw(st.sampled_from(["--asc", "--desc"]))]
        if draw(st.booleans()):
            args += ["--limit", str(draw(st.integers(0, 4)))]
        if draw(st.booleans()):
            args += ["--offset", str(draw(st.integers(0, 3)))]
        fmt = draw(st.sampled_from(["json", "ndjson", "table", "csv", "tsv", "markdown"]))
        if fmt not in ("json", "ndjson") and draw(st.booleans()):  # a page of chosen fields
            fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5, unique=True))
            args += ["--columns", ",".join(fields)]
    elif command == "breakdown":
        for by in draw(st.lists(st.sampled_from(["segment", "frequency"]), max_size=2)):
            args += ["--by", by]
        fmt = draw(st.sampled_from(["json", "json", "table", "csv", "ndjson", "markdown"]))
    else:
        args.append(draw(st.sampled_from(["c-1", "C-1", "c-3", " 4 ", "c-5", "nobody"])))
        fmt = "json"
    args += ["--format", fmt]
    if fmt == "json" and draw(st.booleans()):
        args.append("--pretty")
    for flag, values in (
        ("--vip-threshold", ["0", "12.50", "5000"]),
        ("--dormant-days", ["0", "30", "90", "400"]),
        ("--new-days", ["0", "30", "91"]),
        ("--weekly-days", ["0", "7"]),
        ("--quarterly-days", ["90", "200"]),
    ):
        if draw(st.integers(0, 3)) == 0:
            args += [flag, draw(st.sampled_from(values))]
    as_of = draw(st.sampled_from(LATER))
    return [command, *args, *(["--as-of", as_of] if as_of else [])]


@settings(PROPERTY, max_examples=examples_at_most(40))
@given(rows=order_rows(), asked=st.lists(questions(), min_size=1, max_size=3))
def test_the_warm_path_answers_as_the_full_path(tmp_path_factory, rows, asked):
    """Generated orders (ties, refunds, skipped rows, details with quotes and control
    characters), filters, sorts with ties, pages, thresholds, formats and as-ofs at or after the
    newest order: the same bytes, from an entry that a list filled."""
    cli = Cli()
    path = tmp_path_factory.mktemp("warm") / "orders.csv"
    path.write_text(csv_text(rows, COLUMNS), encoding="utf-8")
    filled = cli(*FILL_LIST, "--orders", str(path), "--as-of", AS_OF)
    for args in asked:
        answered = same(cli, [*args, "--orders", str(path)])
        found = args[0] != "show" or '"success":true' in cli(*args, "--orders", str(path)).stdout
        if filled.exit_code == 0 and found:
            assert answered, args  # the entry serves it: the warm path, not the full one


def rows_of_three() -> list[dict]:
    return [
        order("c-1", AS_OF_MS - 40 * DAY, "12.50", name="Ana"),
        order("c-2", AS_OF_MS - 3 * DAY, "5000.01", name="Ben", email="b@x.example"),
        order("c-2", AS_OF_MS - 3 * DAY, "1.00", "TIE", name="Ben B"),
        order("c-3", AS_OF_MS - 200 * DAY, "-4.00", company="Cee Ltd"),
    ]


@pytest.fixture
def filled(cli: Cli, write_csv) -> Path:
    """An export whose entry holds every detail (a list that showed phone and accounts)."""
    path = write_csv(rows_of_three(), columns=CANONICAL)
    assert cli(*FILL_LIST, "--orders", path, "--as-of", AS_OF).exit_code == 0
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--format", "json"],
        ["list", "--format", "ndjson", "--sort", "lastOrderReference", "--asc"],
        ["list", "--format", "json", "--pretty", "--segment", "vip", "--limit", "1"],
        ["list"],  # a table, as other formats than JSON: a page frame rendered by the command
        ["list", "--segment", "VIP", "--columns", "contactID,phone,segment,totalSpend"],
        ["list", "--format", "csv", "--offset", "1"],
        ["list", "--format", "markdown", "--limit", "2", "--asc"],
        ["breakdown", "--format", "json"],
        ["breakdown", "--format", "json", "--by", "frequency", "--pretty"],
        ["breakdown"],  # a table: rendered from frames of the tallies alone
        ["breakdown", "--format", "csv", "--by", "segment"],
        ["breakdown", "--format", "tsv"],
        ["show", "c-2", "--format", "json"],
        ["show", "C-2", "--format", "json", "--pretty"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("as_of", [AS_OF, "2025-10-20T23:59:59.999Z", None])
def test_the_warm_path_answers_and_says_what_the_full_path_says(cli, filled, args, as_of):
    """At the newest order's instant itself (2025-10-20T23:59:59.999Z) the entry serves, as it
    does later; with no as-of, the stale-export notice is said the same."""
    asked = [*args, "--orders", str(filled), *(["--as-of", as_of] if as_of else [])]
    assert same(cli, asked)


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--format", "json", "--rfm"],
        ["list", "--columns", "name,rfmSegment"],  # a table with RFM scores
        ["list", "--format", "json", "--sort", "name"],  # sorted ignoring case, by Python
        ["list", "--format", "json", "--as-of", "2025-10-01"],  # before the newest order
        ["breakdown", "--format", "json", "--cross"],
        ["show", "nobody", "--format", "json"],  # the full path says it is not found
        ["show", "c-1"],
        ["rfm", "--format", "json"],
    ],
    ids=" ".join,
)
def test_what_the_warm_path_does_not_answer_goes_to_the_full_path(cli, filled, args):
    if "--as-of" not in args:
        args = [*args, "--as-of", AS_OF]
    assert not same(cli, [*args, "--orders", str(filled)])


def test_a_contacts_file_or_a_rejects_file_goes_to_the_full_path(cli, filled, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("contactID,name\nc-9,Nine\n", encoding="utf-8")
    base = ["list", "--format", "json", "--orders", str(filled), "--as-of", AS_OF]
    assert not same(cli, [*base, "--customers", str(contacts)])
    with watched() as answers:
        cli(*base, "--rejects", str(tmp_path / "rejects.csv"))
    assert answers == [False]


def test_an_entry_that_lacks_a_detail_goes_to_the_full_path(cli, write_csv):
    path = write_csv(rows_of_three(), columns=CANONICAL)
    cli("breakdown", "--orders", path, "--as-of", AS_OF, "-q")  # counts only
    assert not same(cli, ["list", "--format", "json", "--orders", str(path), "--as-of", AS_OF])


def test_a_show_finds_its_customer_whatever_the_ids_hashes_say(cli, write_csv, monkeypatch):
    def alike(ids):  # every id hashes alike: each lookup meets every stored customer
        return np.zeros(len(ids), dtype=np.uint64)

    monkeypatch.setattr(keys, "text_hashes", alike)  # the entry's column, and a show's forms
    path = write_csv(rows_of_three(), columns=CANONICAL)
    cli(*FILL_LIST, "--orders", path, "--as-of", AS_OF)
    for contact in ("c-2", "C-3", "nobody"):
        answered = same(cli, ["show", contact, "--format", "json", "--orders", str(path),
                              "--as-of", AS_OF])  # fmt: skip
        assert answered == (contact != "nobody")  # an unknown id: the full path says so


def damage(entry: Path, column: str) -> None:
    """Flip a byte of `column`'s values in the entry's first batch."""
    data = entry.read_bytes()
    held = pa.py_buffer(data)
    values = pa.ipc.open_file(pa.BufferReader(held)).get_batch(0).column(column).buffers()[-1]
    at = values.address - held.address  # (uncompressed: the batch's buffers are the file's)
    damaged = bytearray(data)
    damaged[at] ^= 0xFF
    entry.write_bytes(bytes(damaged))


@pytest.mark.parametrize("column", [SPEND_CENTS, LAST_ORDER_MS, ORDER_COUNT])
def test_a_damaged_entry_is_left_to_the_full_path_which_says_so(cli, filled, own_cache, column):
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    damage(entry, column)
    args = ["breakdown", "--format", "json", "--orders", str(filled), "--as-of", AS_OF]
    with watched() as answers:
        result = cli(*args)
    assert answers == [False]
    assert "damaged; rebuilt" in result.stderr
    assert result.stdout == cli(*args, "--no-cache").stdout


def test_damage_in_a_column_a_question_does_not_read_is_found_by_one_that_does(
    cli, filled, own_cache
):
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    damage(entry, NAME)
    counts = ["breakdown", "--format", "json", "--orders", str(filled), "--as-of", AS_OF]
    with watched() as answers:
        result = cli(*counts)  # the counts are whole: served, and right
    assert answers == [True] and result.stdout == cli(*counts, "--no-cache").stdout
    listed = ["list", "--format", "json", "--orders", str(filled), "--as-of", AS_OF]
    with watched() as answers:
        result = cli(*listed)
    assert answers == [False]  # the names are read: refused, and the full path says so
    assert "damaged; rebuilt" in result.stderr
    assert result.stdout == cli(*listed, "--no-cache").stdout


def test_stdin_and_named_pipes_are_left_to_the_full_path(cli, filled, tmp_path):
    where = api.Inputs(paths=("-",), cache=True)
    assert api.warm(where, "breakdown", AS_OF, None, by=["segment"], cross=False, fmt="json",
                    pretty=False) is None  # fmt: skip
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    where = api.Inputs(paths=(str(fifo),), cache=True)
    assert api.warm(where, "breakdown", AS_OF, None, by=["segment"], cross=False, fmt="json",
                    pretty=False) is None  # fmt: skip


PROBE = """
import sys
from segcli.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
heavy = ("pandas", "pydantic", *(("pyarrow.compute",) if sys.argv[1] == "breakdown" else ()))
print(sorted(m for m in heavy if m in sys.modules), code, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--segment", "VIP", "--format", "json"],
        ["list", "--format", "ndjson", "--sort", "lastOrderReference", "--max-days", "400"],
        ["breakdown", "--format", "json"],
        ["show", "c-2", "--format", "json"],
    ],
    ids=" ".join,
)
def test_a_warm_run_never_imports_pandas(cli, filled, own_cache, args):
    # nor pydantic: Typer 0.29 and later coerce every parameter through it (pyproject pins);
    # and a breakdown not pyarrow.compute (0.06-0.2 s), which only a list or show needs
    env = {"XDG_CACHE_HOME": str(own_cache.parent), "XDG_CONFIG_HOME": "/nonexistent", "PATH": ""}
    asked = [*args, "--orders", str(filled), "--as-of", "2025-10-23T23:59:59Z", "-q"]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *asked],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(own_cache.parent)},
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.stderr.strip().splitlines()[-1] == "[] 0", done.stderr
    assert json.loads(done.stdout.splitlines()[0])
    cold = subprocess.run(
        [sys.executable, "-c", PROBE, *asked, "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert cold.stdout == done.stdout
    said = cold.stderr.strip().splitlines()[-1]
    assert said.startswith("['pandas'") and said.endswith("] 0")  # the probe can tell
