"""The per-customer cache: a warm run prints exactly what a cold run prints, and a changed,
corrupt or foreign entry is never trusted."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from helpers import AS_OF, AS_OF_MS, CANONICAL, DAY, Cli, csv_text, order

from segcli import cache, cache_file, config
from segcli.input import fingerprint
from segcli.input.sources import Source
from segcli.model.cache_limits import CacheLimits, parse_size
from segcli.model.errors import ConfigError
from segcli.model.schema import (
    CONTACT_ID,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    NAME,
    ORDER_COUNT,
    REQUIRED_COLUMNS,
    SPEND_CENTS,
)

COMMANDS = [
    ("list", "--format", "json"),
    ("list", "--format", "ndjson"),
    ("list", "--format", "csv", "--rfm"),
    ("list", "--segment", "VIP", "--sort", "name", "--asc"),
    ("show", "c-2", "--format", "json"),
    ("breakdown", "--format", "json"),
    ("breakdown", "--cross"),
    ("rfm", "--format", "json"),
    ("list", "--format", "json", "--vip-threshold", "100", "--dormant-days", "10"),
]


def rows(extra=()):
    return [
        *extra,
        order("c-1", AS_OF_MS - 40 * DAY, "12.50", name="Ana"),
        order("c-2", AS_OF_MS - 3 * DAY, "5000.01", name="Ben", email="b@x.example"),
        order("c-2", AS_OF_MS - 3 * DAY, "1.00", "TIE", name="Ben B"),  # a tie: later row wins
        order("c-3", AS_OF_MS - 200 * DAY, "-4.00", company="Cee Ltd"),
        order("c-1", AS_OF_MS - 2 * DAY, "7.25", phone="021"),
    ]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_warm_output_is_the_cold_output(cli: Cli, write_csv, own_cache, command):
    path = write_csv(rows(), columns=CANONICAL)
    args = (*command, "--orders", path, "--as-of", AS_OF)
    cold = cli(*args, "--no-cache")
    assert not own_cache.exists()  # --no-cache neither reads nor writes
    first = cli(*args)  # cold, and fills the cache
    assert len(cache.entries(own_cache)) == 1
    warm = cli(*args)
    assert cold.exit_code == first.exit_code == warm.exit_code == 0
    assert cold.stdout == first.stdout == warm.stdout
    assert cold.stderr == warm.stderr  # the notices are said again


def no_reading(monkeypatch) -> None:
    """From here on, reading the orders fails the test: the cache must answer."""
    from segcli.input import readers

    def refuse(*args, **kwargs):
        raise AssertionError("the orders were read although the cache holds them")

    monkeypatch.setattr(readers, "read_orders", refuse)


def test_an_entry_of_every_detail_serves_every_command(cli: Cli, write_csv, own_cache, monkeypatch):
    path = write_csv(rows(), columns=CANONICAL)
    cli("show", "c-1", "--orders", path, "--as-of", AS_OF)  # show reads every detail
    no_reading(monkeypatch)
    shown = cli.json("show", "c-2", "--orders", path, "--as-of", AS_OF)["data"]
    assert (shown["name"], shown["email"]) == ("Ben B", "b@x.example")
    assert cli("list", "--orders", path, "--as-of", AS_OF, "--rfm").exit_code == 0
    assert cli("breakdown", "--orders", path, "--as-of", AS_OF).exit_code == 0


@pytest.mark.parametrize("columns", [("name", "email", "company"), ("name", "phone")])
def test_a_show_after_a_list_reads_again_only_for_a_detail_the_files_have(
    cli: Cli, write_csv, own_cache, monkeypatch, columns
):
    """`list` reads no phone or account; where no file has those columns there is nothing to
    read, so the entry `list` wrote holds them (missing for all) and `show` is warm."""
    path = write_csv(rows(), columns=(*REQUIRED_COLUMNS, *columns))
    args = ("show", "c-1", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args, "--no-cache").stdout
    assert cli("list", "--orders", path, "--as-of", AS_OF).exit_code == 0
    if "phone" in columns:  # the phone column must be read: the list's entry cannot answer
        assert "phone" not in held(own_cache)
        assert cli(*args).stdout == cold
    else:
        assert {"phone", "accountName", "accountCode"} <= set(held(own_cache))
    no_reading(monkeypatch)
    assert cli(*args).stdout == cold


def held(own_cache: Path) -> tuple[str, ...]:
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    return cache.read(entry.stem, root=own_cache).held


def test_a_first_breakdown_stores_counts_only(cli: Cli, write_csv, own_cache, monkeypatch):
    path = write_csv(rows(), columns=CANONICAL)
    args = ("breakdown", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args, "--no-cache").stdout
    assert cli(*args).stdout == cold
    assert held(own_cache) == ()
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    stored = cache.read(entry.stem, root=own_cache).customers
    assert stored["name"].isna().all() and stored["lastOrderReference"].isna().all()
    no_reading(monkeypatch)
    assert cli(*args).stdout == cold


def test_a_later_command_adds_the_details_it_needs(cli: Cli, write_csv, own_cache, monkeypatch):
    path = write_csv(rows(), columns=CANONICAL)
    listing = ("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    counts = ("breakdown", "--orders", path, "--as-of", AS_OF, "--format", "json")
    one = ("show", "c-1", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = [cli(*args, "--no-cache").stdout for args in (counts, listing, one)]
    assert cli(*counts).stdout == cold[0]
    assert cli(*listing).stdout == cold[1]  # reads the orders again, for the details
    assert len(cache.entries(own_cache)) == 1  # the same entry, now holding them
    assert held(own_cache) == ("lastOrderReference", "name", "email", "company")
    assert cli(*one).stdout == cold[2]  # show needs phone and the rest too
    assert held(own_cache) == cache.OPTIONAL
    no_reading(monkeypatch)  # now one entry serves every command
    assert [cli(*args).stdout for args in (counts, listing, one)] == cold


def test_an_entry_is_never_narrowed(cli: Cli, write_csv, own_cache, monkeypatch):
    """A command that needs one detail more than the entry holds keeps what it held."""
    path = write_csv(rows(), columns=CANONICAL)
    cli("list", "--orders", path, "--as-of", AS_OF)
    listed = ("lastOrderReference", "name", "email", "company")
    assert held(own_cache) == listed
    phones = ("list", "--orders", path, "--as-of", AS_OF, "--columns", "contactID,phone", "--csv")
    assert cli(*phones).stdout == cli(*phones, "--no-cache").stdout
    assert "c-1,021" in cli(*phones).stdout
    assert held(own_cache) == (*listed, "phone")
    cli("breakdown", "--orders", path, "--as-of", AS_OF)  # served: nothing is rewritten
    assert held(own_cache) == (*listed, "phone")


def test_a_changed_input_is_never_served_from_a_stale_entry(cli: Cli, write_csv, own_cache):
    path = write_csv(rows(), columns=CANONICAL)
    before = cli.json("list", "--orders", path, "--as-of", AS_OF)
    stat = path.stat()
    # same size, same modification time, different content: the hash tells them apart
    text = path.read_text(encoding="utf-8").replace("12.50", "92.50")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    after = cli.json("list", "--orders", path, "--as-of", AS_OF)
    spend = {c["contactID"]: c["metrics"]["totalSpend"] for c in after["data"]}
    assert spend["c-1"] == "99.75" and before != after
    grown = csv_text(rows([order("c-9", AS_OF_MS - DAY, "1")]), CANONICAL)
    path.write_text(grown, encoding="utf-8")
    assert len(cli.json("list", "--orders", path, "--as-of", AS_OF)["data"]) == 4


def test_options_that_change_loading_are_part_of_the_key(cli: Cli, tmp_path, own_cache):
    path = tmp_path / "o.csv"
    path.write_text(
        "orderReference,contactID,orderDate,total\nA,c,03/04/2025,5\n", encoding="utf-8"
    )
    day = cli.json("list", "--orders", path, "--as-of", AS_OF, "--dayfirst")["data"]
    month = cli.json("list", "--orders", path, "--as-of", AS_OF, "--monthfirst")["data"]
    assert day[0]["metrics"]["lastOrderDate"].startswith("2025-04-03")
    assert month[0]["metrics"]["lastOrderDate"].startswith("2025-03-04")
    assert len(cache.entries(own_cache)) == 2


def test_an_earlier_as_of_is_answered_from_the_orders(cli: Cli, write_csv):
    path = write_csv(rows(), columns=CANONICAL)
    cli("list", "--orders", path, "--as-of", AS_OF)  # fills the cache
    early = ("list", "--orders", path, "--as-of", "2025-10-01", "--format", "json")
    warm, cold = cli(*early), cli(*early, "--no-cache")
    assert warm.stdout == cold.stdout and "excluded" in warm.stderr
    assert len(json.loads(warm.stdout)["data"]) == 2  # c-2's orders had not happened yet


@pytest.mark.parametrize("damage", [b"", b"not an entry at all", b"ARROW1\x00\x00ARROW1"])
def test_a_corrupt_entry_is_ignored_and_rebuilt(cli: Cli, write_csv, own_cache, damage):
    path = write_csv(rows(), columns=CANONICAL)
    args = ("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args).stdout
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    entry.write_bytes(damage)
    again = cli(*args)
    assert again.exit_code == 0 and again.stdout == cold
    assert entry.stat().st_size > 100  # rewritten
    assert cli(*args).stdout == cold


def test_an_entry_of_another_version_is_not_trusted(cli: Cli, write_csv, own_cache, monkeypatch):
    path = write_csv(rows(), columns=CANONICAL)
    args = ("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args).stdout
    monkeypatch.setattr(cache, "__version__", "0.0.1")
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    key = entry.stem
    assert cache.read(key, root=own_cache) is None  # written by 1.x: refused, and removed
    assert not entry.exists()
    assert cli(*args).stdout == cold


def test_stdin_is_never_cached(cli: Cli, own_cache):
    text = "orderReference,contactID,orderDate,total\nA,c,2025-10-01,5\n"
    assert cli("list", "--orders", "-", "--as-of", AS_OF, input=text).exit_code == 0
    assert cache.entries(own_cache) == []


def test_cache_info_and_clear(cli: Cli, write_csv, own_cache):
    path = write_csv(rows(), columns=CANONICAL)
    cli("breakdown", "--orders", path, "--as-of", AS_OF)
    info = cli.json("cache", "info")["data"]
    assert info["directory"] == str(own_cache)
    (entry,) = info["entries"]
    assert entry["inputs"] == [str(path)] and entry["customers"] == 3
    assert "1 entries" in cli("cache", "info").stdout
    cleared = cli("cache", "clear")
    assert cleared.exit_code == 0 and "removed 1 cache entry" in cleared.stderr
    assert cli.json("cache", "info")["data"]["entries"] == []


def test_cache_clear_removes_the_parquet_entries_of_earlier_versions(cli: Cli, own_cache):
    own_cache.mkdir(parents=True)
    older = own_cache / "0123456789abcdef0123456789abcdef.parquet"  # format 5 and before
    older.write_bytes(b"an entry an earlier segcli wrote")
    (own_cache / "0123456789abcdef0123456789abcdef.json").write_text("{}")
    cleared = cli("cache", "clear")
    assert cleared.exit_code == 0 and "removed 1 cache entry" in cleared.stderr
    assert list(own_cache.iterdir()) == []


def test_an_entry_reads_only_the_columns_a_command_shows(cli: Cli, write_csv, own_cache):
    path = write_csv(rows(), columns=CANONICAL)
    cli("show", "c-1", "--orders", path, "--as-of", AS_OF)
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    full = cache.read(entry.stem, root=own_cache).customers
    counts = cache.read(entry.stem, root=own_cache, columns=()).customers
    names = cache.read(entry.stem, root=own_cache, columns=("name",)).customers
    assert list(counts.columns) == list(full.columns) == list(names.columns)
    numbers = ["contactID", "orderCount", "totalSpendCents", "firstOrderMs", "lastOrderMs"]
    assert counts[numbers].equals(full[numbers])
    assert counts["name"].isna().all() and counts["lastOrderReference"].isna().all()
    assert names["name"].equals(full["name"]) and names["email"].isna().all()
    assert full["name"].notna().any() and full["email"].notna().any()


# --- the key: an edit the key misses would be served stale --------------------------------------

MIDDLE_ROWS = 40_000  # about 3 MiB of CSV: more than the first and last MiB


def large_csv(write_csv) -> Path:
    many = [
        order(f"m-{i:05d}", AS_OF_MS - (i % 300) * DAY, "10.00", name=f"Name {i:05d}")
        for i in range(MIDDLE_ROWS)
    ]
    path = write_csv(rows(many), columns=CANONICAL)
    assert path.stat().st_size > 2 * fingerprint.HEAD_BYTES
    return path


def edit_in_place(path: Path, offset: int, old: bytes, new: bytes) -> None:
    """Overwrite `old` at `offset` with `new` (same length), then set the mtime back."""
    stat = path.stat()
    time.sleep(0.05)  # past the file system clock's tick: the status-change time moves
    with path.open("r+b") as handle:
        handle.seek(offset)
        assert handle.read(len(old)) == old
        handle.seek(offset)
        handle.write(new)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def test_a_mid_file_edit_that_keeps_size_and_mtime_is_not_served(cli: Cli, write_csv):
    path = large_csv(write_csv)
    args = ("show", "m-20000", "--orders", path, "--as-of", AS_OF, "--format", "json")
    assert cli.json(*args)["data"]["metrics"]["totalSpend"] == "10.00"  # fills the cache
    data = path.read_bytes()
    offset = data.index(b",10.00,Name 20000")
    assert fingerprint.HEAD_BYTES < offset < len(data) - fingerprint.TAIL_BYTES
    edit_in_place(path, offset, b",10.00,", b",90.00,")
    assert cli.json(*args)["data"]["metrics"]["totalSpend"] == "90.00"


def test_the_key_covers_the_status_change_time_and_the_inode(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("orderReference,contactID,orderDate,total\nA,c,2025-10-01,5\n")
    sources = [Source(path.name, "csv", path)]
    key = cache.key_for(sources, {})
    assert cache.key_for(sources, {}) == key
    time.sleep(0.05)  # past the file system clock's tick
    os.chmod(path, path.stat().st_mode)  # same bytes, size and mtime; a new ctime
    changed = cache.key_for(sources, {})
    assert changed != key
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    stat = path.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(copy, path)  # what an editor's save does: another inode
    assert path.stat().st_ino != stat.st_ino
    assert cache.key_for(sources, {}) not in (key, changed)


@pytest.mark.parametrize(
    "size", [0, 1, fingerprint.WHOLE_BELOW, fingerprint.WHOLE_BELOW + 1, 10**9]
)
def test_the_samples_cover_head_windows_and_tail_in_order(size):
    spans = fingerprint.spans(size)
    assert all(0 <= offset and offset + length <= size for offset, length in spans)
    ends = [offset + length for offset, length in spans]
    assert all(end <= start for end, (start, _) in zip(ends, spans[1:], strict=False))
    if size <= fingerprint.WHOLE_BELOW:
        assert spans == [(0, size)]
    else:
        assert spans[0] == (0, fingerprint.HEAD_BYTES)
        assert spans[-1] == (size - fingerprint.TAIL_BYTES, fingerprint.TAIL_BYTES)
        assert len(spans) == fingerprint.WINDOWS + 2
        assert sum(length for _, length in spans) < 4 * 2**20  # cheap at any size


def test_the_sampled_hash_sees_an_edit_in_a_window(tmp_path):
    size = 64 * 2**20
    path = tmp_path / "big.bin"
    with path.open("wb") as handle:
        handle.truncate(size)
    before = fingerprint.sampled_digest(path, size)
    offset, _ = fingerprint.spans(size)[fingerprint.WINDOWS // 2]
    with path.open("r+b") as handle:
        handle.seek(offset + 1)
        handle.write(b"x")
    assert fingerprint.sampled_digest(path, size) != before


# --- the checksum: a damaged entry would be served as data --------------------------------------

REBUILT = "the cache entry for these inputs was damaged; rebuilt"


def test_a_flipped_byte_in_an_entry_is_not_served(cli: Cli, write_csv, own_cache):
    path = write_csv(rows(), columns=CANONICAL)
    args = ("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args, "--no-cache")
    cli(*args)  # fills the cache
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    data = entry.read_bytes()
    assert b"Ana" in data  # in the page, and in its statistics
    entry.write_bytes(data.replace(b"Ana", b"Anb"))  # still a valid Parquet file
    damaged = cli(*args)
    assert damaged.stdout == cold.stdout and "Anb" not in damaged.stdout
    assert REBUILT in damaged.stderr
    assert damaged.stderr.replace(REBUILT + "\n", "") == cold.stderr
    again = cli(*args)
    assert again.stdout == cold.stdout and again.stderr == cold.stderr  # rebuilt, and trusted
    assert entry.read_bytes() != data.replace(b"Ana", b"Anb")


def test_no_flipped_bit_anywhere_in_an_entry_is_served(cli: Cli, write_csv, own_cache):
    path = write_csv(rows(), columns=CANONICAL)
    cli("list", "--orders", path, "--as-of", AS_OF)
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")
    check = entry.with_suffix(cache.CHECK_SUFFIX)
    data, checksum = entry.read_bytes(), check.read_bytes() if check.exists() else None
    good = cache.read(entry.stem, root=own_cache).customers
    served_wrong = []
    for offset in range(0, len(data), 7):  # ~600 positions, every part of the file
        entry.write_bytes(data[:offset] + bytes([data[offset] ^ 0x10]) + data[offset + 1 :])
        if checksum is not None:
            check.write_bytes(checksum)
        found = cache.read(entry.stem, root=own_cache)
        if found is not None and not found.customers.equals(good):
            served_wrong.append(offset)
    assert served_wrong == []


# --- what an entry was built from: another file's entry would be served as this one's -----------


@pytest.mark.parametrize(
    ("suffixes", "problem"),
    [
        ((cache.ENTRY_SUFFIX,), "damaged"),
        ((cache.ENTRY_SUFFIX, cache.CHECK_SUFFIX), "built from other inputs"),
    ],
    ids=["entry", "entry and checksum"],
)
def test_another_files_entry_copied_onto_this_key_is_not_served(
    cli: Cli, write_csv, own_cache, suffixes, problem
):
    mine = write_csv(rows(), name="mine.csv", columns=CANONICAL)
    other = write_csv([order("x-1", AS_OF_MS - DAY, "1.00")], name="other.csv")
    args = ("list", "--as-of", AS_OF, "--format", "json")
    cold = cli(*args, "--orders", mine)  # fills the cache
    cli(*args, "--orders", other)
    (my_entry,) = [e for e in cache.entries(own_cache) if e.inputs == (str(mine),)]
    (other_entry,) = [e for e in cache.entries(own_cache) if e.inputs == (str(other),)]
    my_key, other_key = Path(my_entry.name).stem, Path(other_entry.name).stem
    for suffix in suffixes:
        source = own_cache / f"{other_key}{suffix}"
        if source.exists():
            (own_cache / f"{my_key}{suffix}").write_bytes(source.read_bytes())
    served = cli(*args, "--orders", mine)
    assert served.stdout == cold.stdout
    assert f"the cache entry for these inputs was {problem}; rebuilt" in served.stderr
    assert cli(*args, "--orders", mine).stderr == cold.stderr


# --- personal data: readable by its owner only --------------------------------------------------


def modes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mode & 0o777 for p in [folder, *folder.iterdir()]}


@pytest.fixture
def open_umask():
    """The usual umask, under which files are created readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_cache_is_readable_by_its_owner_only(cli: Cli, write_csv, own_cache, open_umask):
    path = write_csv(rows(), columns=CANONICAL)
    cli("list", "--orders", path, "--as-of", AS_OF)
    found = modes(own_cache)
    assert found.pop(own_cache.name) == 0o700
    assert len(found) == 2 and set(found.values()) == {0o600}  # the entry and its checksum


def test_an_open_cache_folder_is_closed(cli: Cli, write_csv, own_cache, open_umask):
    own_cache.mkdir(mode=0o755, parents=True)
    own_cache.chmod(0o755)
    older = own_cache / "0123456789abcdef0123456789abcdef.parquet"
    older.write_bytes(b"an entry an earlier segcli wrote")
    older.chmod(0o644)
    cli("list", "--orders", write_csv(rows(), columns=CANONICAL), "--as-of", AS_OF)
    found = modes(own_cache)
    assert found.pop(own_cache.name) == 0o700
    assert len(found) == 3 and set(found.values()) == {0o600}


# --- the size bound: least recently used first ---------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "segcli.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cached_inputs(own_cache: Path) -> set[str]:
    return {e.inputs[0] for e in cache.entries(own_cache)}


def three_files(write_csv) -> list[Path]:
    return [
        write_csv(rows([order(f"{name}-1", AS_OF_MS - DAY, "1.00")]), name=f"{name}.csv")
        for name in ("a", "b", "c")
    ]


def test_the_least_recently_used_entry_leaves_first(cli: Cli, write_csv, own_cache, tmp_path):
    limit = write_config(tmp_path, "cache-max-entries = 2\n")
    a, b, c = three_files(write_csv)
    for path in (a, b, a):  # a is used again after b was stored: b is now the least recent
        cli("breakdown", "--orders", path, "--as-of", AS_OF, "--config", limit)
    assert cached_inputs(own_cache) == {str(a), str(b)}
    cli("breakdown", "--orders", c, "--as-of", AS_OF, "--config", limit)
    assert cached_inputs(own_cache) == {str(a), str(c)}
    assert len(list(own_cache.iterdir())) == 4  # each entry's checksum left with it


def test_the_cache_keeps_within_its_bytes(cli: Cli, write_csv, own_cache, tmp_path):
    a, b, c = three_files(write_csv)
    cli("breakdown", "--orders", a, "--as-of", AS_OF)
    (entry,) = cli.json("cache", "info")["data"]["entries"]
    room = write_config(tmp_path, f"cache-max-bytes = {entry['bytes'] * 3 // 2}\n")
    cli("breakdown", "--orders", b, "--as-of", AS_OF, "--config", room)
    assert cached_inputs(own_cache) == {str(b)}  # a and b do not both fit: a was used less lately
    info = cli.json("cache", "info", "--config", room)["data"]
    assert info["bytes"] <= info["limits"]["bytes"] == entry["bytes"] * 3 // 2
    tiny = write_config(tmp_path, 'cache-max-bytes = "1 KiB"\n')
    args = ("list", "--orders", c, "--as-of", AS_OF, "--format", "json")
    assert cli(*args, "--config", tiny).stdout == cli(*args, "--no-cache").stdout
    assert cache.entries(own_cache) == []  # an entry larger than the bound is not kept


def test_cache_info_shows_the_total_and_the_limits(cli: Cli, write_csv, own_cache, tmp_path):
    limits = write_config(tmp_path, 'cache-max-bytes = "512 MiB"\ncache-max-entries = 7\n')
    cli("breakdown", "--orders", write_csv(rows()), "--as-of", AS_OF)
    info = cli.json("cache", "info", "--config", limits)["data"]
    assert info["limits"] == {"bytes": 512 * 2**20, "entries": 7}
    (entry,) = info["entries"]
    assert info["bytes"] == entry["bytes"] == sum(p.stat().st_size for p in own_cache.iterdir())
    assert entry["lastUsed"] >= entry["created"]
    table = cli("cache", "info", "--config", limits).stdout
    assert "1 entries, 0.0 MiB (at most 7 entries, 512 MiB)" in table
    assert "(at most 20 entries, 2 GiB)" in cli("cache", "info").stdout  # the defaults


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GiB", 2 * 2**30), ("500 MiB", 500 * 2**20), ("1024", 1024), ("3 kib", 3072), ("0", 0)],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ('cache-max-bytes = "2GiB"\n', CacheLimits(max_bytes=2 * 2**30)),
        ("cache-max-bytes = 1000\ncache-max-entries = 3\n", CacheLimits(1000, 3)),
        ("cache-max-entries = 0\n", CacheLimits(max_entries=0)),
        ("", CacheLimits(2 * 2**30, 20)),
    ],
)
def test_cache_limits_from_the_config_file(tmp_path, text, limits):
    resolved = config.resolve({}, write_config(tmp_path, text))
    assert resolved.cache_limits == limits


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("cache-max-bytes = -1\n", "cache-max-bytes"),
        ('cache-max-bytes = "2 GB"\n', "cache-max-bytes"),
        ("cache-max-bytes = 1.5\n", "cache-max-bytes"),
        ("cache-max-bytes = true\n", "cache-max-bytes"),
        ('cache-max-entries = "20"\n', "cache-max-entries"),
        ("cache-max-entries = -3\n", "cache-max-entries"),
    ],
)
def test_a_bad_cache_limit_names_the_key_and_the_file(cli: Cli, tmp_path, text, key):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.resolve({}, path)
    assert caught.value.key == key and str(path) in str(caught.value)
    for command in (("breakdown", "--as-of", AS_OF), ("cache", "info")):
        result = cli(*command, "--config", path)
        assert result.exit_code == 2
        assert key in result.stderr and path.name in result.stderr


def test_config_show_lists_the_cache_limits(cli: Cli, tmp_path):
    path = write_config(tmp_path, 'cache-max-bytes = "500 MiB"\n')
    data = cli.json("config", "show", "--config", path)["data"]
    assert data["cacheLimits"] == {"bytes": 500 * 2**20, "entries": 20}
    assert data["origins"]["cache-max-bytes"] == str(path)
    assert data["origins"]["cache-max-entries"] == "default"
    table = cli("config", "show", "--config", path).stdout
    assert "cache-max-bytes   │ 500 MiB │" in table and "cache-max-entries │ 20" in table


# --- the entry's file: batches stored by spend, read back in the aggregate's order --------------


def several_batches(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """`n` customers with every detail, as an aggregate has them."""
    spend = rng.integers(-500, 900_000, n)  # ties and credit-only spends included
    return pd.DataFrame(
        {
            CONTACT_ID: [f"c-{i:07d}" for i in range(n)],
            **{c: pd.Series([f"{c}-{i}" for i in range(n)], dtype="str") for c in DETAIL_COLUMNS},
            ORDER_COUNT: rng.integers(1, 50, n),
            SPEND_CENTS: spend,
            FIRST_ORDER_MS: rng.integers(0, AS_OF_MS, n),
            LAST_ORDER_MS: rng.integers(0, AS_OF_MS, n),
            LAST_ORDER_REFERENCE: pd.Series([f"r-{i}" for i in range(n)], dtype="str"),
        }
    )[list(CUSTOMER_COLUMNS)]


def test_an_entry_of_several_batches_reads_back_as_written(tmp_path):
    n = 2 * cache_file.BATCH_ROWS + 123  # three batches, the last one short
    rng = np.random.default_rng(7)
    customers = several_batches(n, rng)
    key = cache.key_of([{"file": "x"}], {})
    cache.write(key, cache.Entry(customers, AS_OF_MS, (), None), ["x"], root=tmp_path)
    read = cache.read(key.name, root=tmp_path)
    pd.testing.assert_frame_equal(read.customers, customers)  # the aggregate's order, restored
    with cache.open_entry(key.name, root=tmp_path) as opened:
        stored = opened.column(SPEND_CENTS).to_numpy()
        assert opened.batches == 3 and (np.diff(stored) <= 0).all()  # highest spend first
        rows = rng.permutation(n)[:5000]  # any order, across the batches
        ids = opened.take(CONTACT_ID, rows).to_pylist()
        at = opened.column(cache.POSITION).to_numpy()[rows]
        assert ids == customers[CONTACT_ID].to_numpy()[at].tolist()
        assert opened.take(NAME, np.array([n - 1, 0, n - 1])).to_pylist() == [
            customers[NAME].iloc[i] for i in opened.column(cache.POSITION).to_numpy()[[-1, 0, -1]]
        ]


def test_reading_one_column_of_an_entry_copies_none_of_the_others(tmp_path):
    """A warm run reads the few columns its question needs from the memory-mapped entry: their
    buffers are slices of the map. Reading one field of a batch with Arrow's included_fields
    copied the batch's whole body, every column (13 MB for 65,536 customers at 10M orders)."""
    n = cache_file.BATCH_ROWS + 10  # two batches
    customers = several_batches(n, np.random.default_rng(3))
    key = cache.key_of([{"file": "x"}], {})
    cache.write(key, cache.Entry(customers, AS_OF_MS, (), None), ["x"], root=tmp_path)
    with cache.open_entry(key.name, root=tmp_path) as opened:
        before = pa.total_allocated_bytes()
        counts = opened.column(ORDER_COUNT)
        names = opened.take(NAME, np.array([0, n - 1]))  # a text column: a take of two rows
        copied = pa.total_allocated_bytes() - before
        assert counts.to_numpy().sum() == customers[ORDER_COUNT].sum() and len(names) == 2
    assert copied < 4096  # the two names' take; the whole entry is several MB


def test_a_file_is_hashed_once_per_state_within_a_process(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"a" * 1000)
    hashed = []
    real = fingerprint.sampled_digest
    monkeypatch.setattr(fingerprint, "sampled_digest", lambda p, n: hashed.append(p) or real(p, n))
    first = fingerprint.fingerprint(path)
    assert fingerprint.fingerprint(path) == first and len(hashed) == 1  # the same state: once
    stat = path.stat()
    time.sleep(0.05)  # file times tick at the kernel's coarse clock (a few ms)
    path.write_bytes(b"b" * 1000)  # the same size, and the modification time set back
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = fingerprint.fingerprint(path)
    assert len(hashed) == 2 and again["sampled_sha256"] != first["sampled_sha256"]


def test_an_entry_that_lacks_what_is_asked_is_not_read(cli: Cli, write_csv, own_cache, monkeypatch):
    path = write_csv(rows(), columns=CANONICAL)
    cli("breakdown", "--orders", path, "--as-of", AS_OF, "--format", "json")  # counts only
    (entry,) = own_cache.glob(f"*{cache.ENTRY_SUFFIX}")

    def unread(*_):
        raise AssertionError("the entry's table was read")

    monkeypatch.setattr(cache_file.Opened, "table", unread)
    found = cache.lookup(entry.stem, root=own_cache, columns=("lastOrderReference", "name"))
    assert found.entry is None and found.problem is None and found.held == ()
    assert entry.exists()  # kept: a later command widens it


@pytest.mark.parametrize(
    "spoil",
    [
        lambda sums: sums["columns"]["name"].pop(),  # one batch fewer for one column
        lambda sums: sums["columns"].update(name=[1]),  # not a digest
        lambda sums: sums["columns"].update(name=7),  # not a list
        lambda sums: sums.pop("meta"),
    ],
    ids=["short", "number", "not a list", "no meta"],
)
def test_a_damaged_checksum_file_is_refused_not_a_traceback(cli: Cli, write_csv, own_cache, spoil):
    path = write_csv(rows(), columns=CANONICAL)
    args = ("list", "--orders", path, "--as-of", AS_OF, "--format", "json")
    cold = cli(*args, "--no-cache")
    cli(*args)  # fills the cache
    (check,) = own_cache.glob(f"*{cache.CHECK_SUFFIX}")
    stored = json.loads(check.read_bytes())
    spoil(stored["sha256"])
    check.write_text(json.dumps(stored), encoding="utf-8")
    damaged = cli(*args)
    assert damaged.exit_code == 0 and damaged.stdout == cold.stdout
    assert REBUILT in damaged.stderr
