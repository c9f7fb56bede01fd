"""Tables on real terminals: the installed `segcli` run as a subprocess, at a width set by
COLUMNS or by a pseudo-terminal (pty), with and without TERM=dumb and colour (and, for the many
widths of the other tables, the same Output run in-process). Numbers, dates
and category names are never cut; text gives way first, then whole columns, and the table says
which; no line ends in spaces."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CLI_ENV
from typer.testing import CliRunner

from segcli.cli import app
from segcli.output import fit

ROOT = Path(__file__).resolve().parent.parent
SEGCLI = str(Path(sys.executable).with_name("segcli"))
SHOPIFY = ["--orders", str(ROOT / "sample_data/exports/shopify_orders_export.csv")]
ON_SHOPIFY = [*SHOPIFY, "--as-of", "2025-10-23", "-q"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?3[0-8][;m]")  # a foreground colour, not bold
BASE_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "XDG_CONFIG_HOME": "/nonexistent/segcli-tests",
}
ALL_LIST_COLUMNS = [
    "Customer", "ID", "Segment", "Frequency", "Orders", "Spend", "Last order", "Days"
]  # fmt: skip


def environment(**env: str) -> dict[str, str]:
    """A clean environment, with the test's own cache (conftest.own_cache) and `env`."""
    return {**BASE_ENV, "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"], **env}


def piped(*args: str, columns: int, **env: str) -> str:
    """The installed segcli's stdout through a pipe, with COLUMNS set."""
    done = subprocess.run(
        [SEGCLI, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment(COLUMNS=str(columns), NO_COLOR="1", **env),
        check=True,
    )
    return done.stdout


def at_width(*args: str, columns: int) -> str:
    """segcli's stdout with COLUMNS set, run in-process (the same Output, without starting a
    Python per table; `piped` and `in_pty` run the installed command)."""
    done = CliRunner().invoke(app, list(args), env={**CLI_ENV, "COLUMNS": str(columns)})
    assert done.exit_code == 0, done.stderr
    return done.stdout


def in_pty(*args: str, columns: int, **env: str) -> str:
    """segcli's stdout on a pseudo-terminal `columns` wide (stderr apart), with `env`."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen(
        [SEGCLI, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=environment(**env),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@functools.cache
def as_json(*args: str) -> dict:
    """A command's JSON document (asked once per test run)."""
    return json.loads(at_width(*args, "--format", "json", columns=200))


def spends(*args: str) -> list[str]:
    """Every customer's totalSpend from the JSON output, as a table groups it: 1,759.25."""
    document = as_json("list", *args)
    return [f"{Decimal(c['metrics']['totalSpend']):,.2f}" for c in document["data"]]


def header(table: str) -> list[str]:
    return table.splitlines()[0].split()


def assert_tidy(text: str, width: int) -> None:
    for line in ANSI.sub("", text).splitlines():
        assert line == line.rstrip(), f"trailing spaces: {line!r}"
        assert len(line) <= width, f"wider than {width}: {line!r}"


@pytest.mark.parametrize(
    ("width", "shown", "hidden"),
    [
        (100, ALL_LIST_COLUMNS, ""),
        (80, ALL_LIST_COLUMNS, ""),
        (60, ["Customer", "ID", "Segment", "Orders", "Spend", "Days"], "purchaseFrequency"),
        (40, ["Customer", "ID", "Segment", "Spend"], "orderCount"),
    ],
)
def test_the_shopify_list_keeps_every_number_whole(width, shown, hidden):
    """The README's Shopify example showed `1,759.…`, `2025-10…` and `Acti…` at 80 columns."""
    table = piped("list", *ON_SHOPIFY, columns=width)
    assert header(table) == [word for title in shown for word in title.split()]
    body = table.splitlines()[2:5]
    for line in body:  # only the name and the id may end in an ellipsis
        assert "…" not in "  ".join(re.split(r"\s{2,}", line)[2:]), line
    for spend in spends(*ON_SHOPIFY):
        assert spend in table
    assert ("Occasional" in table) == ("Frequency" in shown)
    assert ("2025-10-12" in table) == ("Last order" in shown)
    if hidden:
        assert "hidden for width:" in table and hidden in table and "--columns" in table
    else:
        assert "hidden" not in table
    assert_tidy(table, width)


def test_text_columns_give_way_before_numbers():
    wide = at_width("list", *ON_SHOPIFY, columns=100)
    narrow = at_width("list", *ON_SHOPIFY, columns=80)
    assert "bob@sourdoughco.example" in wide
    assert "bob@sourd…" in narrow  # the id shrank ...
    assert "Occasional" in narrow and "2025-10-19" in narrow  # ... the rest did not


@pytest.mark.parametrize("width", [80, 66, 65, 50])
def test_breakdown_keeps_every_amount_whole(width):
    table = at_width("breakdown", "-q", columns=width)
    document = as_json("breakdown", "-q")
    for by in document["data"].values():
        for category, row in by.items():
            assert category in table
            for key in ("totalSpend", "avgSpend") if width >= 60 else ("totalSpend",):
                if row[key] is not None:
                    assert f"{Decimal(row[key]):,.2f}" in table, (key, row[key])
    assert bool(re.search(r"hidden for width: .*\bbar\b", table)) == (
        width < 66
    )  # 66: both tables keep a bar
    assert ("avgSpend" in table) == (width < 60)
    assert_tidy(table, width)


@pytest.mark.parametrize("width", [80, 50])
def test_rfm_and_transitions_keep_counts_whole(width):
    rfm = at_width("rfm", "-q", columns=width)
    counts = as_json("rfm", "-q")["data"]["rfmSegment"]
    for name, row in counts.items():
        assert re.search(rf"{re.escape(name)}\s+│\s+{row['count']:,} │", rfm)
    assert_tidy(rfm, width)
    moves = at_width("transitions", "--from", "2025-07-01", "-q", columns=width)
    assert re.search(r"Active\s+│\s+11 │\s+84 │\s+0 │\s+30 │\s+125 │", moves)
    assert_tidy(moves, width)


def test_list_titles_are_whole_too():
    table = at_width("list", "--rfm", "--limit", "3", "-q", columns=80)
    assert header(table)[-3:] == ["RFM", "RFM", "segment"] and "…" not in table.splitlines()[0]


@pytest.mark.parametrize("width", [100, 50])
def test_show_folds_text_and_keeps_numbers_and_dates_whole(width):
    table = at_width("show", "c-1018", "-q", columns=width)
    record = as_json("show", "c-1018", "-q")["data"]
    metrics = record["metrics"]
    for value in (metrics["lastOrderDate"], metrics["lastOrderReference"], "37,251.50", "147"):
        assert value in table
    joined = re.sub(r"\n {27}", "", table)  # a folded value's lines, joined back
    assert record["email"] in joined  # folded, not cut
    assert record["company"].replace(" ", "") in joined.replace(" ", "")  # wrapped at a space
    assert ("\n" + " " * 27 in table) == (width < 60)  # folded only when narrow
    assert_tidy(table, max(width, 51))  # 51: labels and an instant can be no narrower


def test_a_dumb_terminal_is_as_wide_as_it_is():
    """Rich takes TERM=dumb to be 80 columns; the pty is 60 (and COLUMNS still wins)."""
    dumb = in_pty("list", *ON_SHOPIFY, columns=60, TERM="dumb")
    assert header(dumb) == ["Customer", "ID", "Segment", "Orders", "Spend", "Days"]
    assert_tidy(dumb, 60)
    told = in_pty("list", *ON_SHOPIFY, columns=60, TERM="dumb", COLUMNS="100")
    assert "bob@sourdoughco.example" in told and "hidden" not in told


def test_colour_on_a_terminal_keeps_numbers_whole_and_lines_tidy():
    coloured = in_pty("list", *ON_SHOPIFY, columns=60, TERM="xterm-256color")
    assert COLOUR.search(coloured)
    plain = ANSI.sub("", coloured)
    assert header(plain) == ["Customer", "ID", "Segment", "Orders", "Spend", "Days"]
    for spend in spends(*ON_SHOPIFY):
        assert spend in plain
    assert_tidy(coloured, 60)
    no_colour = in_pty("list", *ON_SHOPIFY, columns=60, TERM="xterm-256color", NO_COLOR="1")
    assert not COLOUR.search(no_colour) and ANSI.sub("", coloured) == ANSI.sub("", no_colour)


def test_fit_hides_the_lowest_priority_and_never_narrows_a_whole_column():
    columns = [
        fit.text("name", ["A long customer name"], "Name", 90),
        fit.whole("spend", ["1,759.25"], "Spend", 80),
        fit.whole("date", ["2025-10-12"], "Last order", 10),
    ]
    assert fit.fit(columns, 100, gap=2) == ({"name": 20, "spend": 8, "date": 10}, [])
    assert fit.fit(columns, 30, gap=2) == ({"name": 8, "spend": 8, "date": 10}, [])
    assert fit.fit(columns, 25, gap=2) == ({"name": 15, "spend": 8}, ["date"])
    assert fit.fit(columns, 5, gap=2) == ({"name": 8}, ["spend", "date"])


def test_wide_characters_count_as_two_columns(write_csv, tmp_path):
    """A name in CJK takes two columns a character; a custom RFM segment name in it is kept
    whole (the widths come from what the terminal draws, not from the number of characters)."""
    from helpers import order
    from rich.cells import cell_len

    path = write_csv(
        [
            order("c-1", 1_760_000_000_000, "1234567.89", name="日本橋の喫茶店カフェ・ド・パリ"),
            order("c-2", 1_759_000_000_000, "12.00", name="Ｆｕｌｌ Ｗｉｄｔｈ Ｂａｋｅｒｙ"),
        ]
    )
    config = tmp_path / "rfm.toml"
    config.write_text(
        '[[rfm-segments]]\nname = "常連のお客様"\nrecency = [1, 5]\nfrequency = [1, 5]\n'
        "monetary = [1, 5]\n",
        encoding="utf-8",
    )
    args = ("--orders", str(path), "--as-of", "2025-10-23", "--config", str(config), "-q")
    for width in (80, 60):
        table = at_width("list", *args, "-c", "name,totalSpend,rfmSegment,segment", columns=width)
        assert "1,234,567.89" in table and "常連のお客様" in table
        assert all(cell_len(line) <= width for line in table.splitlines())
        assert "hidden" not in table
    rfm = at_width("rfm", *args, columns=60)
    assert "常連のお客様" in rfm and all(cell_len(line) <= 60 for line in rfm.splitlines())
